"""The evidence library (search, filters, sort, pages, CSV export) and an evidence item's pages: detail
(where it is linked, on journeys the reader can see), create, edit (a stale form answers with the
conflict), delete (kept in the research trash: the page it lands on offers "Undo", views/trash.py)."""

import csv
import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods, require_safe

from accounts.forms import add_service_errors
from accounts.selectors import current_workspace
from core import tabular
from core.errors import Conflict
from core.forms import base_values, labels_of, merge_stale

from .. import access, selectors, services
from ..forms import EvidenceDeleteForm, EvidenceFilterForm, EvidenceForm
from ..models import Tag
from .common import follow, mark_matches, page_query, paginate
from .trash import remember_deleted, trash_context


def _filter_form(request, workspace, *, fixed_study=None) -> EvidenceFilterForm:
    """The library's search and filters as asked (two queries: the studies and tags to pick from)."""
    studies = [] if fixed_study is not None else list(selectors.study_choices(workspace_id=workspace.pk))
    tags = list(Tag.objects.filter(workspace_id=workspace.pk).only("id", "name"))
    return EvidenceFilterForm(request.GET or None, studies=studies, tags=tags, fixed_study=fixed_study)


def library_context(request, workspace, *, fixed_study=None) -> dict:
    """The search form, its filters and the page of evidence they show (the library, a study's page)."""
    form = _filter_form(request, workspace, fixed_study=fixed_study)
    filters = form.filters()
    items = selectors.evidence_search(user=request.user, workspace_id=workspace.pk, **filters)
    page = paginate(request, items)
    page.object_list = mark_matches(page.object_list, filters["q"])
    export = request.GET.copy()
    export.pop("page", None)
    if fixed_study is not None:
        export["study"] = fixed_study
    return {
        "workspace": workspace,
        "form": form,
        "filters": filters,
        "is_filtered": form.is_filtered,
        "page": page,
        "page_query": page_query(request),
        "export_query": export.urlencode(),
        "can_write": access.can_write(workspace.role),
    }


@login_required
@require_safe
def evidence_library(request):
    """The current workspace's evidence: full-text search, filters, sort, pages; HTMX gets the results."""
    workspace = current_workspace(request)
    if workspace is None:
        return render(request, "research/evidence_library.html", {"workspace": None})
    context = library_context(request, workspace)
    partial = request.htmx and not request.htmx.history_restore_request
    template = "research/_evidence_results.html" if partial else "research/evidence_library.html"
    if not partial:
        context.update(trash_context(request, workspace))
    context["results_url"] = request.path
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# ---------------------------------------------------------------------------------------------- export

EXPORT_COLUMNS = (
    "external_id", "text", "kind", "participant", "captured_on", "source_link", "tags", "study",
)  # fmt: skip
TAG_SEPARATOR = "; "


def csv_cell(value) -> str:
    """A value as an exported cell: text as it is (never cut), dates in ISO form, formulas defused
    (core.tabular.guard_formula, which the import undoes)."""
    if value is None:
        return ""
    return tabular.guard_formula(value.isoformat() if isinstance(value, datetime.date) else str(value))


class _Line:
    """csv.writer's file: each write returns the line, for streaming."""

    def write(self, value):
        return value


def export_lines(rows):
    """The CSV file's lines (str): a byte order mark for Excel, the header, one line per evidence item."""
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        yield writer.writerow(
            [
                csv_cell(row["external_id"]),
                csv_cell(row["text"]),
                csv_cell(row["kind"]),
                csv_cell(row["participant"]),
                csv_cell(row["captured_on"]),
                csv_cell(row["source_link"]),
                csv_cell(TAG_SEPARATOR.join(row["tag_names"] or [])),
                csv_cell(row["study__title"]),
            ]
        )


@login_required
@require_safe
def evidence_export(request):
    """The evidence the library shows with these filters, as a CSV file (UTF-8 with a byte order mark)
    that the study import reads back. Streamed: one query, read in chunks, whatever the number of items."""
    workspace = current_workspace(request)
    if workspace is None:
        rows = []
        name = "evidence"
    else:
        form = _filter_form(request, workspace)
        filters = form.filters()
        rows = selectors.evidence_export_rows(user=request.user, workspace_id=workspace.pk, **filters)
        rows = rows.iterator(chunk_size=500)
        name = f"evidence-{slugify(workspace.name) or 'workspace'}-{timezone.localdate().isoformat()}"
    response = StreamingHttpResponse(
        tabular.in_pieces(export_lines(rows)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------------------------------------- detail


@login_required
@require_safe
def evidence_detail(request, pk):
    """One evidence item: its fields, its study, and where it is linked (journeys the reader can see)."""
    found = access.evidence_for(request.user, pk)
    follow(request, found)
    evidence = selectors.evidence_detail(user=request.user, evidence_id=found.pk)
    places = list(selectors.evidence_places(user=request.user, evidence_id=evidence.pk))
    return render(
        request,
        "research/evidence_detail.html",
        {"evidence": evidence, "places": places, "can_write": access.can_write(found.role)},
    )


# ---------------------------------------------------------------------------------------------- writes


def _studies(workspace_id):
    return list(selectors.study_choices(workspace_id=workspace_id))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def evidence_create(request):
    """A new evidence item in the current workspace (in the study of `?study=`, when given)."""
    workspace = current_workspace(request)
    if workspace is None:
        messages.info(request, "Create a workspace first: research lives in a workspace.")
        return redirect("accounts:workspace_create")
    if not access.can_write(workspace.role):
        raise PermissionDenied(access.WRITE_MESSAGE)
    studies = _studies(workspace.pk)
    study = request.GET.get("study", "")
    initial = {"study": int(study)} if study.isascii() and study.isdigit() else {}
    form = EvidenceForm(request.POST or None, studies=studies, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            evidence = services.evidence_create(
                workspace_id=workspace.pk, by=request.user, **form.evidence_fields()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Evidence added.")
            return redirect("research:evidence_detail", pk=evidence.pk)
    return render(request, "research/evidence_form.html", {"form": form, "workspace": workspace})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def evidence_edit(request, pk):
    """Edit an evidence item. A form opened before someone else saved is merged per field with their version
    (core.forms.merge_stale); only fields both changed are left for the person to decide."""
    evidence = access.evidence_for(request.user, pk, need=access.WRITE)
    follow(request, evidence)
    studies = _studies(evidence.workspace_id)
    initial = EvidenceForm.initial_of(evidence)
    form = EvidenceForm(request.POST or None, studies=studies, initial=initial)
    base = base_values(initial, request.POST)
    conflict, clashes = None, []
    if request.method == "POST" and form.is_valid():
        expected = form.cleaned_data["expected_version"]
        for _attempt in range(3):  # someone may save again between our reads: merge again
            try:
                services.evidence_update(
                    evidence_id=evidence.pk,
                    by=request.user,
                    expected_version=expected,
                    **form.evidence_fields(),
                )
            except Conflict as exc:
                conflict = exc.current
                theirs = EvidenceForm.initial_of(conflict)
                data, clashes = merge_stale(request.POST, theirs, conflict.version)
                form = EvidenceForm(data, studies=studies, initial=theirs)
                base = base_values(theirs)
                if clashes or not form.is_valid():
                    form.is_valid()
                    break
                expected = conflict.version
            except ValidationError as exc:
                add_service_errors(form, exc)
                break
            else:
                merged = " (merged with changes saved meanwhile)" if conflict is not None else ""
                messages.success(request, f"Evidence saved{merged}.")
                return redirect("research:evidence_detail", pk=evidence.pk)
    return render(
        request,
        "research/evidence_form.html",
        {
            "form": form,
            "evidence": evidence,
            "base": base,
            "conflict": conflict,
            "clashes": labels_of(form, clashes),
        },
        status=409 if conflict is not None else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def evidence_delete(request, pk):
    """Delete an evidence item (the detail page's button posts here at once; GET shows a confirmation that
    says what goes with it). The page it lands on offers to undo it."""
    found = access.evidence_for(request.user, pk, need=access.WRITE)
    follow(request, found)
    evidence = selectors.evidence_detail(user=request.user, evidence_id=found.pk)
    form = EvidenceDeleteForm(request.POST or None, initial={"expected_version": evidence.version})
    if request.method == "POST" and form.is_valid():
        try:
            item = services.evidence_delete(
                evidence_id=evidence.pk,
                by=request.user,
                expected_version=form.cleaned_data["expected_version"],
            )
        except Conflict:
            form.add_error(
                None, "Someone changed this evidence since you opened this page. Check it and try again."
            )
        else:
            remember_deleted(request, item)
            if evidence.study_id:
                return redirect("research:study", pk=evidence.study_id)
            return redirect("research:evidence")
    context = {"evidence": evidence, "form": form, "trash_days": settings.TRASH_RETENTION_DAYS}
    return render(request, "research/evidence_delete.html", context)
