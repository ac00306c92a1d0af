"""The queue pages: every pain point and opportunity of the journeys the reader can see in their current
workspace, ranked (prioritization/queue.py), as a list with pages, as an impact/effort matrix, and as a CSV
file of what the filters show. The filters ride on HTMX (the results swap in place, the address follows);
without JavaScript the form's Apply button does the same. Every member of the workspace reads the queue;
what it holds is limited to journeys they can see.
"""

from __future__ import annotations

import csv

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from accounts.selectors import current_workspace
from core import tabular
from core.text import parse_id

from .. import charts
from ..queue import (
    DEFAULT_SORT,
    KINDS,
    LEVELS,
    QUADRANTS,
    SORTS,
    STAGES,
    STATUSES,
    Filters,
    Scope,
    criterion_keys,
    kind_label,
    level_label,
    page_details,
    queue,
    queue_scope,
    status_label,
)
from ..selectors import NOT_PLANNED, RANK_STATUS

PAGE_SIZE = 50  # cards a page of the list
MATRIX_PER_QUADRANT = 10  # cards each quadrant of the matrix shows, numbered, with its list
SELECT = {"class": "select select--sm"}


class QueueFilterForm(forms.Form):
    """The queue's filters and sort (GET). A value that is not one of the choices is dropped, so a filter
    never fails the page: `filters()` gives the selector's Filters."""

    journey = forms.ChoiceField(required=False, widget=forms.Select(attrs=SELECT))
    stage = forms.ChoiceField(
        required=False, choices=[("", "Any stage"), *STAGES], widget=forms.Select(attrs=SELECT)
    )
    kind = forms.ChoiceField(
        required=False,
        choices=[("", "Pain points and opportunities"), *KINDS],
        widget=forms.Select(attrs=SELECT),
    )
    status = forms.ChoiceField(
        required=False, choices=[("", "Any delivery status"), *STATUSES], widget=forms.Select(attrs=SELECT)
    )
    owner = forms.ChoiceField(required=False, widget=forms.Select(attrs=SELECT))
    tag = forms.ChoiceField(required=False, widget=forms.Select(attrs=SELECT))
    confidence = forms.ChoiceField(
        required=False, choices=[("", "Any confidence"), *LEVELS], widget=forms.Select(attrs=SELECT)
    )
    quadrant = forms.ChoiceField(
        required=False, choices=[("", "Any quadrant"), *QUADRANTS], widget=forms.Select(attrs=SELECT)
    )
    unscored = forms.BooleanField(required=False, label="Not scored yet")
    stale = forms.BooleanField(required=False, label="Scored under an older model")
    sort = forms.ChoiceField(required=False, choices=list(SORTS.items()), widget=forms.Select(attrs=SELECT))

    def __init__(self, data=None, *, scope: Scope):
        super().__init__(data)
        self.fields["journey"].choices = [
            ("", "Every journey"),
            *((str(j.id), j.title) for j in scope.journeys),
        ]
        # What the template draws the journey picker from (by hand: there may be a thousand), an em space
        # per level of the hierarchy.
        self.journey_choices = [
            {"id": j.id, "title": j.title, "indent": range(j.depth)} for j in scope.journeys
        ]
        self.fields["owner"].choices = [("", "Any owner"), *((str(pk), name) for pk, name in scope.owners)]
        self.fields["tag"].choices = [("", "Any tag"), *((tag, tag) for tag in scope.tags)]

    def filters(self) -> Filters:
        data = self._valid_part()
        return Filters(
            journey=parse_id(data.get("journey")) if data.get("journey") else None,
            stage=data.get("stage") or "",
            kind=data.get("kind") or "",
            status=data.get("status") or "",
            owner=parse_id(data.get("owner")) if data.get("owner") else None,
            tag=data.get("tag") or "",
            confidence=data.get("confidence") or "",
            quadrant=data.get("quadrant") or "",
            unscored=bool(data.get("unscored")),
            stale=bool(data.get("stale")),
            sort=data.get("sort") or DEFAULT_SORT,
        )

    def _valid_part(self) -> dict:
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if name not in self.errors}


def _partial(request) -> bool:
    return bool(request.htmx) and not request.htmx.history_restore_request


def _no_workspace(request, template: str):
    return render(request, template, {"workspace": None})


def _context(request, workspace, view: str) -> dict:
    """The filter form (from the reader's journeys: one query), the queue its filters ask for (the
    recency setting: one more) and the links that keep the filters (other view, export, pages)."""
    scope = queue_scope(user=request.user, workspace_id=workspace.pk)
    form = QueueFilterForm(request.GET or None, scope=scope)
    filters = form.filters()
    found = queue(user=request.user, workspace_id=workspace.pk, filters=filters, scope=scope)
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "workspace": workspace,
        "form": form,
        "filters": filters,
        "queue": found,
        "view": view,
        "query": query.urlencode(),
        "list_url": reverse("prioritization:queue"),
        "matrix_url": reverse("prioritization:queue_matrix"),
        "export_url": reverse("prioritization:queue_export"),
        "results_url": request.path,
    }


def _respond(request, template: str, partial: str, context: dict):
    response = render(request, partial if _partial(request) else template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_safe
def queue_list(request):
    """The queue as a ranked list, PAGE_SIZE cards a page: HTMX asks for the results alone."""
    workspace = current_workspace(request)
    if workspace is None:
        return _no_workspace(request, "prioritization/queue.html")
    context = _context(request, workspace, "list")
    found = context["queue"]
    page = Paginator(found.ids(), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = found.rows(page.object_list)
    page_details(rows, user=request.user)
    page.object_list = rows
    context["page"] = page
    return _respond(request, "prioritization/queue.html", "prioritization/_queue_results.html", context)


@login_required
@require_safe
def queue_matrix(request):
    """The queue as an impact/effort matrix: how many cards each quadrant holds, the first
    MATRIX_PER_QUADRANT of each (in the queue's order) drawn and listed with numbers, and how many cannot
    be placed yet. HTMX asks for the results alone."""
    workspace = current_workspace(request)
    if workspace is None:
        return _no_workspace(request, "prioritization/queue.html")
    context = _context(request, workspace, "matrix")
    found = context["queue"]
    matrix = found.matrix(MATRIX_PER_QUADRANT)
    counts, top = matrix.counts, found.rows(matrix.ids)
    points = [
        charts.Point(n, card.quadrant, card.score.impact, card.score.effort, card.evidence_count)
        for n, card in enumerate(top, start=1)
    ]
    for point, card in zip(points, top, strict=True):
        card.number = point.number
    quadrants = [
        {
            "key": key,
            "label": label,
            "count": counts[key],
            "cards": [card for card in top if card.quadrant == key],
            "query": _with(context["query"], quadrant=key),
        }
        for key, label in QUADRANTS
    ]
    context.update(
        {
            "counts": counts,
            "placed": sum(counts[key] for key, _ in QUADRANTS),
            "quadrants": quadrants,
            "chart": charts.impact_effort_matrix(points, counts, nonce=str(request.csp_nonce))
            if points
            else None,
            "per_quadrant": MATRIX_PER_QUADRANT,
            "unscored_query": _with(context["query"], unscored="on"),
        }
    )
    return _respond(request, "prioritization/queue.html", "prioritization/_queue_matrix.html", context)


def _with(query: str, **values) -> str:
    """`query` (a query string) with these values set, without a page number."""
    out = QueryDict(query, mutable=True)
    for name, value in values.items():
        out[name] = value
    out.pop("page", None)
    return out.urlencode()


# ---------------------------------------------------------------------------------------------- export

EXPORT_COLUMNS = (
    "rank", "card_id", "card", "kind", "journey", "stage", "standard_stage", "step", "owner", "priority",
    "composite", "impact", "effort", "quadrant", "criteria", "model_version", "stale", "opportunity",
    "importance", "satisfaction", "confidence", "evidence_count", "delivery_status", "initiatives", "map_url",
)  # fmt: skip


class _Line:
    """csv.writer's file: each write returns the line, for streaming."""

    def write(self, value):
        return value


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return tabular.guard_formula(str(value))


def _figure(value) -> str:
    return "" if value is None else f"{value.normalize():f}"


def _values(values: dict, keys: list[str]) -> str:
    """A score's values as "key=value; …", in its model's order of criteria (any others after, by key)."""
    ordered = [key for key in keys if key in values] + sorted(key for key in values if key not in keys)
    return "; ".join(f"{key}={values[key]}" for key in ordered)


def export_lines(rows, *, base_url: str, keys: dict[int, list[str]]):
    """The CSV file's lines: a byte order mark for Excel, the header, one line per card in queue order.
    `keys`: each model version's criterion keys in order (queue.criterion_keys)."""
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow(EXPORT_COLUMNS)
    quadrants = dict(QUADRANTS)
    map_url = base_url + reverse("journeys:map", args=[0])  # reversed once; each row's ids put in
    for rank, row in enumerate(rows, start=1):
        owner = f"{row['journey__owner__first_name']} {row['journey__owner__last_name']}".strip()
        values = row["score__values"] or {}
        status = RANK_STATUS.get(row["delivery_rank"], NOT_PLANNED)
        yield writer.writerow(
            [
                rank,
                row["pk"],
                _cell(row["text"]),
                _cell(kind_label(row["lane__kind"])),
                _cell(row["journey__title"]),
                _cell(row["step__stage__title"]),
                _cell(row["step__stage__standard_stage"]),
                _cell(row["step__title"]),
                _cell(owner or row["journey__owner__username"]),
                _figure(row["priority"]),
                _figure(row["score__composite"]),
                _figure(row["score__impact"]),
                _figure(row["score__effort"]),
                _cell(quadrants.get(row["quadrant"], "")),
                _cell(_values(values, keys.get(row["score__model_id"], []))),
                _cell(row["score__model__number"]),
                _cell(row["stale"]) if row["score__model__number"] is not None else "",
                _figure(row["opportunity"]),
                _figure(row["score__importance"]),
                _figure(row["score__satisfaction"]),
                _cell(level_label(row["confidence"])),
                row["evidence_count"],
                _cell(status_label(status)),
                _cell("; ".join(row["initiative_titles"] or [])),
                map_url.replace("/0/", f"/{row['journey_id']}/") + f"?view=priority#card-{row['pk']}",
            ]
        )


@login_required
@require_safe
def queue_export(request):
    """What the queue shows with these filters and sort, every card of it (not a page), as a CSV file
    (UTF-8 with a byte order mark). Streamed: one query, read in chunks, whatever the number of cards."""
    workspace = current_workspace(request)
    if workspace is None:
        rows, name, keys = [], "priorities", {}
    else:
        context = _context(request, workspace, "list")
        rows = context["queue"].export_rows().iterator(chunk_size=1_000)
        keys = criterion_keys(workspace_id=workspace.pk)
        name = f"priorities-{slugify(workspace.name) or 'workspace'}-{timezone.localdate().isoformat()}"
    base = request.build_absolute_uri("/").rstrip("/")
    lines = export_lines(rows, base_url=base, keys=keys)
    response = StreamingHttpResponse(tabular.in_pieces(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response
