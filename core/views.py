"""The import pages every app shares (core/imports.py): the preview with its encoding, delimiter, date
order and column mapping; then the progress, which a reload or a later visit shows as it stands; then
the result or the errors by line. An app's own page takes the upload and calls core.imports.create_job."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from . import imports, tabular
from .models import ImportJob
from .text import parse_id

NOT_IN_FILE = "— not in the file —"


def _job(request, pk) -> tuple[ImportJob, imports.Importer]:
    """The person's own import job and its importer; 404 for anyone else's (or a job whose importer is
    gone), and the importer's own check that they may still import into its target."""
    job_id = parse_id(pk)
    jobs = ImportJob.objects.filter(pk=job_id, created_by=request.user).defer("data")  # up to 50 MB: not here
    job = jobs.first() if job_id else None
    if job is None:
        raise Http404("No such import.")
    try:
        importer = imports.importer_for(job.kind)
    except LookupError:
        raise Http404("No such import.") from None
    importer.authorize(request.user, job.target)
    return job, importer


class MappingForm(forms.Form):
    """How to read the file: encoding, delimiter, date order, and which column of the file each of the
    import's columns reads (fields named `column_<name>`)."""

    encoding = forms.ChoiceField(label="Encoding")
    delimiter = forms.ChoiceField(label="Delimiter", choices=list(tabular.DELIMITERS.items()))
    date_order = forms.ChoiceField(
        label="Date order",
        required=False,
        choices=[("", "Not needed / not chosen"), *tabular.DATE_ORDERS.items()],
        help_text="Only for dates such as 03/04/2025, which read two ways.",
    )

    def __init__(self, *args, job: ImportJob, importer: imports.Importer, **kwargs):
        super().__init__(*args, **kwargs)
        encodings = dict(tabular.ENCODINGS)
        encodings.setdefault(job.encoding, job.encoding)
        self.fields["encoding"].choices = list(encodings.items())
        options = [("", NOT_IN_FILE)] + [(str(i), name) for i, name in enumerate(job.header)]
        columns = importer.columns_for(job.header)
        for column in columns:
            self.fields[f"column_{column.name}"] = forms.ChoiceField(
                label=column.label,  # the form marks the others "optional"
                choices=options,
                required=column.required,
                error_messages={"required": f"Choose the file's column for “{column.label}” (required)."},
                help_text=column.help,
            )
        self.columns = columns

    def mapping(self) -> dict[str, int | None]:
        return {
            c.name: int(self.cleaned_data[f"column_{c.name}"])
            if self.cleaned_data[f"column_{c.name}"]
            else None
            for c in self.columns
        }

    def column_fields(self):
        return [self[f"column_{c.name}"] for c in self.columns]


def _initial(job: ImportJob, importer: imports.Importer) -> dict:
    initial = {"encoding": job.encoding, "delimiter": job.delimiter, "date_order": job.date_order}
    for column in importer.columns_for(job.header):
        position = job.mapping.get(column.name)
        initial[f"column_{column.name}"] = "" if position is None else str(position)
    return initial


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def import_detail(request, pk):
    """GET: the preview and mapping (a job waiting for them), else the progress or result. POST: save the
    settings and show the preview again ("preview"), or save them and start the import ("start")."""
    job, importer = _job(request, pk)
    problems: list[str] = []
    if request.method == "POST":
        if job.status not in {ImportJob.Status.MAPPING, ImportJob.Status.INVALID}:
            return redirect("imports:detail", job.pk)
        form = MappingForm(request.POST, job=job, importer=importer)
        if form.is_valid():
            job.encoding = form.cleaned_data["encoding"]
            job.delimiter = form.cleaned_data["delimiter"]
            job.date_order = form.cleaned_data["date_order"]
            job.mapping = form.mapping()
            job.status = ImportJob.Status.MAPPING
            try:
                table = imports.table_of(job)
            except tabular.TableError as exc:
                form.add_error(None, str(exc))
            else:
                header_changed = table.header != job.header
                job.header, job.total_rows = table.header, len(table.rows)
                if header_changed:  # another delimiter or encoding: other columns, guessed again
                    job.mapping = tabular.guess_mapping(table.header, importer.columns_for(table.header))
                    problems.append("The file's columns changed: check which column holds what, then import.")
                job.encoding_certain = True  # the person chose or confirmed it
                job.save()
                if request.POST.get("action") == "start" and not header_changed:
                    try:
                        imports.start(job, user=request.user)
                    except (ValueError, tabular.TableError) as exc:
                        problems.append(str(exc))
                    else:
                        return redirect("imports:detail", job.pk)
                form = MappingForm(initial=_initial(job, importer), job=job, importer=importer)
    else:
        form = MappingForm(initial=_initial(job, importer), job=job, importer=importer)
    preview = None
    if job.status in {ImportJob.Status.MAPPING, ImportJob.Status.INVALID}:
        try:
            table = imports.head_of(job)
        except tabular.TableError as exc:
            form.add_error(None, str(exc))
        else:
            preview = imports.preview(job, importer, table)
    context = {
        "job": job,
        "importer": importer,
        "columns": importer.columns_for(job.header),
        "target": importer.describe(job.target),
        "form": form,
        "preview": preview,
        "problems": problems,
        "progress": imports.progress(job),
        "done_url": importer.done_url(job) if job.status == ImportJob.Status.DONE else None,
        "encodings": tabular.ENCODINGS,
    }
    return render(request, "core/import.html", context)


@login_required
@require_safe
def import_progress(request, pk):
    """The progress bar (an HTMX fragment, polled each second while the job runs), then the result."""
    job, importer = _job(request, pk)
    context = {
        "job": job,
        "progress": imports.progress(job),
        "done_url": importer.done_url(job) if job.status == ImportJob.Status.DONE else None,
    }
    return render(request, "core/_import_progress.html", context)
