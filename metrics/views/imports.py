"""Pages of metrics. The upload of a measurements CSV for a journey: the file goes to core's import
machinery (core.imports.create_job), whose pages show the preview, the mapping and the progress."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from core import imports, tabular

from .. import access
from ..imports import MEASUREMENTS, MEASUREMENTS_WIDE, is_long_form


class UploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Long form: one row per metric and period — metric, date (or period start and end), value, "
        "segment, and optionally the counts (promoters, passives, detractors, satisfied, responses). "
        "Wide form (a file without a Metric column): a date column and one column per metric, headed by "
        "its name.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > imports.MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / 2**20:,.1f} MB; at most {imports.MAX_BYTES // 2**20} MB."
            )
        return upload


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def measurements_import(request, pk):
    """GET: the upload form for a journey's measurements (edit on the journey). POST: read the file into
    an import job and go to its preview and mapping (core's import page); a file that cannot be read is
    said on this form, nothing saved."""
    journey = access.journey_for(request.user, pk, need=access.EDIT)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            importer = MEASUREMENTS if is_long_form(imports.peek_header(data)) else MEASUREMENTS_WIDE
            job = imports.create_job(
                importer=importer,
                user=request.user,
                target={"journey": journey.pk},
                filename=upload.name,
                data=data,
            )
        except tabular.TableError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("imports:detail", job.pk)
    context = {"journey": journey, "form": form}
    return render(request, "metrics/measurements_import.html", context, status=400 if form.errors else 200)
