"""Importing evidence into a study from a CSV file: the upload page. The preview, column mapping,
progress and result pages are core's (core/views.py), the same for every import."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from core import imports, tabular
from core.models import ImportJob

from .. import access
from ..imports import EVIDENCE_IMPORT

RECENT = 10


class UploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text=f"UTF-8, UTF-16 or Windows-1252; comma, semicolon or tab separated; up to "
        f"{imports.MAX_BYTES // 2**20} MB and {imports.MAX_ROWS:,} rows.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.tsv,.txt,text/csv,text/plain"}),
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def study_import(request, pk):
    """GET: the upload form, the columns it reads, and the person's recent imports into this study.
    POST: read the file and go to its preview (core's import page); a file that cannot be read is
    refused here, naming why."""
    study = access.study_for(request.user, pk, need=access.WRITE)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > imports.MAX_BYTES:
            form.add_error(
                "file", f"The file is {upload.size / 2**20:,.1f} MB; at most {imports.MAX_BYTES // 2**20} MB."
            )
        else:
            try:
                job = imports.create_job(
                    importer=EVIDENCE_IMPORT,
                    user=request.user,
                    target={"study": study.pk},
                    filename=upload.name,
                    data=upload.read(),
                )
            except tabular.TableError as exc:
                form.add_error("file", str(exc))
            else:
                return redirect("imports:detail", job.pk)
    recent = (
        ImportJob.objects.filter(created_by=request.user, kind=EVIDENCE_IMPORT.kind, target__study=study.pk)
        .only("id", "filename", "status", "created_at", "total_rows", "result")
        .order_by("-created_at")[:RECENT]
    )
    context = {"study": study, "form": form, "columns": EVIDENCE_IMPORT.columns, "recent": recent}
    return render(request, "research/study_import.html", context, status=400 if form.errors else 200)
