"""Journey pages: the list, create, settings, access, and the read-only map. Thin: parse, check access
(accounts.access), call a service or selector, render."""

import math

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Func
from django.shortcuts import redirect, render
from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.text import Truncator
from django.views.decorators.http import require_POST

from accounts import access
from accounts.forms import add_service_errors, members_queryset
from accounts.models import Team, User
from accounts.selectors import current_workspace
from accounts.views import follow_workspace

from . import selectors, services
from .forms import (
    LEVEL_LABELS,
    GrantForm,
    GrantRemoveForm,
    JourneyCreateForm,
    JourneyDeleteForm,
    JourneyFilterForm,
    JourneySettingsForm,
)
from .models import BACKSTAGE_KINDS, EMOTION_MAX, EMOTION_MIN, Journey, LaneKind

# Map geometry shared by the CSS grid (passed as custom properties) and the emotion curve's SVG.
STEP_WIDTH = 248
CURVE_HEIGHT = 168
CURVE_PADDING = 26

# The journey row with what every journey page header shows, fetched in access.journey_for's one query.
JOURNEY_PAGE_QUERYSET = Journey.objects.select_related("workspace", "owner", "updated_by")


def _follow_workspace(request, journey) -> None:
    follow_workspace(request, journey.workspace_id, journey.role)


# ---------------------------------------------------------------------------------------------- list


def _workspace_tags(user, workspace) -> list[str]:
    """Every tag used on a journey the user can see in the workspace, sorted (one query)."""
    tags = (
        Journey.objects.visible_to(user)
        .filter(workspace=workspace)
        .annotate(tag=Func(F("tags"), function="unnest"))
        .order_by()
        .values_list("tag", flat=True)
        .distinct()
    )
    return sorted(tags, key=str.lower)


@login_required
def journey_list(request):
    """The current workspace's journeys as a hierarchy, filtered; HTMX requests get just the results."""
    workspace = current_workspace(request)
    if workspace is None:
        return render(request, "journeys/journey_list.html", {"workspace": None})
    owners = list(members_queryset(workspace))
    form = JourneyFilterForm(
        request.GET or None, tags=_workspace_tags(request.user, workspace), owners=owners
    )
    filters = form.filters()
    journeys = selectors.journey_list(user=request.user, workspace=workspace, **filters)
    context = {
        "workspace": workspace,
        "form": form,
        "filters": filters,
        "is_filtered": form.is_filtered,
        "rows": selectors.journey_tree(journeys),
        "can_create": access.can_create_journeys(workspace.role),
    }
    partial = request.htmx and not request.htmx.history_restore_request
    template = "journeys/_journey_list_results.html" if partial else "journeys/journey_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# ---------------------------------------------------------------------------------------------- create


@login_required
def journey_create(request):
    """A new journey in the current workspace, blank or from the standard stage framework."""
    workspace = current_workspace(request)
    if workspace is None:
        messages.info(request, "Create a workspace first: journeys live in a workspace.")
        return redirect("accounts:workspace_create")
    if not access.can_create_journeys(workspace.role):
        raise PermissionDenied("Viewers cannot create journeys.")
    initial = {"owner": request.user.pk, "parent": request.GET.get("parent") or None}
    form = JourneyCreateForm(request.POST or None, workspace=workspace, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        fields = form.journey_fields()
        try:
            journey = services.journey_create(
                workspace=workspace,
                by=request.user,
                from_framework=form.cleaned_data["start"] == "framework",
                **fields,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Journey “{journey.title}” created.")
            return redirect("journeys:map", pk=journey.pk)
    return render(request, "journeys/journey_create.html", {"form": form, "workspace": workspace})


# ---------------------------------------------------------------------------------------------- settings


def _can_manage(journey) -> bool:
    return access.rank(journey.access_level) >= access.rank(access.MANAGE)


@login_required
def journey_settings(request, pk):
    """Edit a journey's own fields; owner and visibility need the manage right."""
    journey = access.journey_for(request.user, pk, need=access.EDIT, queryset=JOURNEY_PAGE_QUERYSET)
    _follow_workspace(request, journey)
    can_manage = _can_manage(journey)
    form_kwargs = {
        "workspace": journey.workspace,
        "user": request.user,
        "journey": journey,
        "can_manage": can_manage,
    }
    form = JourneySettingsForm(
        request.POST or None, initial=JourneySettingsForm.initial_of(journey), **form_kwargs
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            services.journey_update(
                journey_id=journey.pk,
                by=request.user,
                expected_version=form.cleaned_data["expected_version"],
                **form.journey_fields(),
            )
        except services.Conflict as exc:
            conflict = exc.current
            # Keep what the person typed, but let a second save knowingly replace the newer version.
            data = request.POST.copy()
            data["expected_version"] = conflict.version
            form = JourneySettingsForm(data, initial=JourneySettingsForm.initial_of(conflict), **form_kwargs)
            form.is_valid()
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Journey settings saved.")
            return redirect("journeys:settings", pk=journey.pk)
    return render(
        request,
        "journeys/journey_settings.html",
        {
            "journey": journey,
            "form": form,
            "conflict": conflict,
            "conflict_by": conflict.updated_by if conflict is not None else None,
            "can_manage": can_manage,
            "tab": "settings",
        },
    )


@login_required
@require_POST
def journey_archive(request, pk):
    """Archive a journey (hidden from the list by default) or bring it back."""
    journey = access.journey_for(request.user, pk, need=access.MANAGE)
    archived = not journey.archived
    services.journey_update(journey_id=journey.pk, by=request.user, archived=archived)
    messages.success(request, f"“{journey.title}” {'archived' if archived else 'restored from the archive'}.")
    return redirect("journeys:settings", pk=journey.pk)


@login_required
def journey_delete(request, pk):
    """Delete a journey and its whole map after the person types its title."""
    journey = access.journey_for(request.user, pk, need=access.MANAGE, queryset=JOURNEY_PAGE_QUERYSET)
    _follow_workspace(request, journey)
    form = JourneyDeleteForm(
        request.POST or None, journey=journey, initial={"expected_version": journey.version}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.journey_delete(
                journey_id=journey.pk, by=request.user, expected_version=form.cleaned_data["expected_version"]
            )
        except services.Conflict:
            form.add_error(
                None, "Someone changed this journey since you opened this page. Check it and try again."
            )
        else:
            messages.success(request, f"Journey “{journey.title}” deleted.")
            return redirect("journeys:list")
    counts = {
        "stages": journey.stages.count(),
        "cards": journey.cards.count(),
        "children": journey.children.count(),
    }
    return render(
        request,
        "journeys/journey_delete.html",
        {"journey": journey, "form": form, "counts": counts, "tab": "settings"},
    )


# ---------------------------------------------------------------------------------------------- access


def _access_page(request, journey, form, status=200):
    members = form.members
    names = {u.pk: u.display_name for u in members}
    grants = access.grants_of(journey)
    for grant in grants:
        if grant["kind"] == "user":
            grant["name"] = names.get(grant["id"], grant["name"])
        grant["label"] = LEVEL_LABELS[grant["level"]]
        grant["key"] = f"{grant['kind']}:{grant['id']}"
    return render(
        request,
        "journeys/journey_access.html",
        {"journey": journey, "form": form, "grants": grants, "tab": "access"},
        status=status,
    )


def _grant_form(request, journey):
    members = list(members_queryset(journey.workspace))
    teams = list(Team.objects.filter(workspace=journey.workspace).order_by("name"))
    form = GrantForm(request.POST or None, members=members, teams=teams)
    form.members, form.teams = members, teams
    return form


@login_required
def journey_access(request, pk):
    """Who has which right on the journey; managers grant and revoke rights for members and teams."""
    journey = access.journey_for(request.user, pk, need=access.MANAGE, queryset=JOURNEY_PAGE_QUERYSET)
    _follow_workspace(request, journey)
    form = _grant_form(request, journey)
    if request.method == "POST" and form.is_valid():
        grantee, level = form.cleaned_data["grantee"], form.cleaned_data["level"]
        try:
            services.journey_grant_set(journey_id=journey.pk, by=request.user, grantee=grantee, level=level)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{grantee} {LEVEL_LABELS[level].lower()} this journey.")
            return redirect("journeys:access", pk=journey.pk)
    return _access_page(request, journey, form)


@login_required
@require_POST
def journey_access_remove(request, pk):
    """Take back a member's or team's grant on the journey."""
    journey = access.journey_for(request.user, pk, need=access.MANAGE, queryset=JOURNEY_PAGE_QUERYSET)
    form = GrantRemoveForm(request.POST)
    granted = {(grant["kind"], grant["id"]) for grant in access.grants_of(journey)}
    if form.is_valid() and form.grantee_key() in granted:
        kind, grantee_pk = form.grantee_key()
        grantee = (Team if kind == "team" else User).objects.filter(pk=grantee_pk).first()
        if grantee is not None:
            services.journey_grant_remove(journey_id=journey.pk, by=request.user, grantee=grantee)
            messages.success(request, f"Access of {grantee} removed.")
            return redirect("journeys:access", pk=journey.pk)
    messages.error(request, "No such grant on this journey.")
    return redirect("journeys:access", pk=journey.pk)


# ---------------------------------------------------------------------------------------------- map


def _fmt_score(value: float) -> str:
    """+2, −1.5, 0: one decimal at most, a real minus sign."""
    text = f"{abs(value):.1f}".rstrip("0").rstrip(".")
    if value > 0:
        return f"+{text}"
    if value < 0:
        return f"−{text}"
    return "0"


def _monotone_path(points: list[tuple[float, float]]) -> str:
    """A smooth SVG path through the points that never overshoots them (monotone cubic, Fritsch–Carlson)."""
    if len(points) < 2:
        return ""
    if len(points) == 2:
        (x0, y0), (x1, y1) = points
        return f"M{x0:.1f},{y0:.1f} L{x1:.1f},{y1:.1f}"
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    n = len(points)
    d = [(ys[k + 1] - ys[k]) / (xs[k + 1] - xs[k]) for k in range(n - 1)]
    m = [d[0]] + [0.0 if d[k - 1] * d[k] <= 0 else (d[k - 1] + d[k]) / 2 for k in range(1, n - 1)] + [d[-1]]
    for k in range(n - 1):
        if d[k] == 0:
            m[k] = m[k + 1] = 0.0
            continue
        a, b = m[k] / d[k], m[k + 1] / d[k]
        if a * a + b * b > 9:
            t = 3 / math.sqrt(a * a + b * b)
            m[k], m[k + 1] = t * a * d[k], t * b * d[k]
    path = [f"M{xs[0]:.1f},{ys[0]:.1f}"]
    for k in range(n - 1):
        h = (xs[k + 1] - xs[k]) / 3
        path.append(
            f"C{xs[k] + h:.1f},{ys[k] + m[k] * h:.1f} {xs[k + 1] - h:.1f},{ys[k + 1] - m[k + 1] * h:.1f} "
            f"{xs[k + 1]:.1f},{ys[k + 1]:.1f}"
        )
    return " ".join(path)


def emotion_curve(scores: list[float | None], stage_starts: list[bool] | None = None) -> dict:
    """Geometry of one emotion lane: a point per column with a mean score, the smooth path, the zero line."""
    inner = CURVE_HEIGHT - 2 * CURVE_PADDING

    def y_of(score):
        return CURVE_PADDING + (EMOTION_MAX - score) / (EMOTION_MAX - EMOTION_MIN) * inner

    points = []
    for index, score in enumerate(scores):
        if score is None:
            continue
        x, y = (index + 0.5) * STEP_WIDTH, y_of(score)
        tone = "positive" if score > 0.25 else "negative" if score < -0.25 else "neutral"
        label_y = y - 12 if score >= 0 else y + 20
        points.append(
            {
                "x": f"{x:.1f}",
                "y": f"{y:.1f}",
                "label": _fmt_score(score),
                "tone": tone,
                "label_y": f"{label_y:.1f}",
                "score": score,
            }
        )
    xy = [(float(p["x"]), float(p["y"])) for p in points]
    path = _monotone_path(xy)
    area = ""
    if path:
        zero = y_of(0)
        area = f"{path} L{xy[-1][0]:.1f},{zero:.1f} L{xy[0][0]:.1f},{zero:.1f} Z"
    stage_starts = stage_starts or [index == 0 for index in range(len(scores))]
    gridlines = [
        {"x": index * STEP_WIDTH, "stage_start": start}
        for index, start in enumerate(stage_starts)
        if index > 0
    ]
    return {
        "gridlines": gridlines,
        "width": len(scores) * STEP_WIDTH,
        "height": CURVE_HEIGHT,
        "zero_y": f"{y_of(0):.1f}",
        "top_y": f"{y_of(EMOTION_MAX):.1f}",
        "bottom_y": f"{y_of(EMOTION_MIN):.1f}",
        "points": points,
        "path": path,
        "area": area,
    }


def _score_label(value) -> str:
    """As journeys_ui's `score` filter: +2, 0 or −3 (a real minus sign)."""
    return f"+{value}" if value > 0 else f"−{-value}" if value < 0 else "0"


def _score_tone(value) -> str:
    """As journeys_ui's `tone` filter: positive | neutral | negative."""
    if value is None:
        return "neutral"
    return "positive" if value > 0 else "negative" if value < 0 else "neutral"


# The buttons of an emotion card's score picker (templates/journeys/editor/_score_picker.html), +3 down to −3,
# for each current score (None: not set): built once, so the template compares nothing per button.
SCORE_SCALES = {
    current: [
        {
            "input": str(n),
            "label": _score_label(n),
            "class": f"score score--{_score_tone(n)}{' is-current' if n == current else ''}",
            "pressed": "true" if n == current else "false",
        }
        for n in range(EMOTION_MAX, EMOTION_MIN - 1, -1)
    ]
    for current in [*range(EMOTION_MAX, EMOTION_MIN - 1, -1), None]
}


def card_edit_url_parts() -> list[str]:
    """journeys:editor_card_edit reversed once, split around the card id ("/…/cards/", "edit/")."""
    return reverse("journeys:editor_card_edit", args=[0]).rsplit("/0/", 1)


def present_card(card, edit_url_parts: list[str] | None = None):
    """Precompute what templates/journeys/_card.html shows of a card (ui_* attributes): in Python rather than
    chains of filters and a `{% url %}` per card in the template, which made big grids slow to render.
    `edit_url_parts`: card_edit_url_parts(), computed once per grid."""
    head, tail = edit_url_parts or card_edit_url_parts()
    score = card.emotion_score
    card.ui_id = str(card.pk)
    card.ui_version = str(card.version)
    card.ui_tone = _score_tone(score)
    card.ui_score = "" if score is None else _score_label(int(score))
    card.ui_text = linebreaksbr(card.text, autoescape=True)
    card.ui_note = Truncator(card.note).chars(180) if card.note else ""
    card.ui_aria = Truncator(card.text).chars(90)
    card.ui_edit_url = f"{head}/{card.pk}/{tail}"
    card.ui_scale = SCORE_SCALES.get(score, SCORE_SCALES[None])
    return card


def grid_context(map_data: selectors.MapData, *, linkable_journeys=None) -> dict:
    """Everything templates/journeys/_map_grid.html needs, computed without further queries.

    `linkable_journeys` ({id: title}) are the journeys the viewer may open: a step's drill-down link shows
    only for those, so a restricted sub-journey's title never leaks."""
    linkable = linkable_journeys or {}
    columns = []  # one per step; a stage without steps still gets one (empty) column
    stage_heads = []
    for stage in map_data.stages:
        steps = stage.step_list or [None]
        stage_heads.append({"stage": stage, "span": len(steps)})
        for index, step in enumerate(steps):
            if step is not None:
                step.drill_down = step.sub_journey_id if step.sub_journey_id in linkable else None
                step.drill_down_title = linkable.get(step.sub_journey_id, "")
            columns.append({"stage": stage, "step": step, "stage_start": index == 0})
    rows = []
    seen_backstage = False
    edit_url_parts = card_edit_url_parts()
    for lane in map_data.lanes:
        backstage = lane.kind in BACKSTAGE_KINDS
        lane_class = f"map__cell lane--{lane.kind}"
        lane_id = str(lane.pk)
        cells = []
        for column in columns:
            step = column["step"]
            cards = map_data.cards_by_cell.get((lane.pk, step.pk), []) if step else []
            for card in cards:
                present_card(card, edit_url_parts)
            cells.append(
                {
                    **column,
                    "cards": cards,
                    # the cell's class and ids as rendered, precomputed (hundreds of cells per map)
                    "ui_class": lane_class
                    + (" is-stage-start" if column["stage_start"] else "")
                    + (" is-backstage" if backstage else ""),
                    "ui_lane_id": lane_id,
                    "ui_step_id": str(step.pk) if step else "",
                }
            )
        row = {"lane": lane, "cells": cells, "line_of_visibility": backstage and not seen_backstage}
        seen_backstage = seen_backstage or backstage
        if lane.kind == LaneKind.EMOTIONS:
            scores = []
            for cell in cells:
                values = [c.emotion_score for c in cell["cards"] if c.emotion_score is not None]
                scores.append(sum(values) / len(values) if values else None)
            row["curve"] = emotion_curve(scores, stage_starts=[c["stage_start"] for c in columns])
        rows.append(row)
    return {
        "map": map_data,
        "journey": map_data.journey,
        "stage_heads": stage_heads,
        "columns": columns,
        "rows": rows,
        "column_count": len(columns),
        "step_width": STEP_WIDTH,
        "is_empty": not map_data.stages and not map_data.lanes,
    }


def _visible_in_workspace(user, journey) -> dict:
    """{id: {title, parent_id}} of the journeys the user can see in the journey's workspace (one query)."""
    rows = (
        Journey.objects.visible_to(user)
        .filter(workspace_id=journey.workspace_id)
        .values("id", "title", "parent_id", "level", "archived")
    )
    return {row["id"]: row for row in rows}


def _breadcrumb(journey, visible: dict) -> list[dict]:
    """The visible parent chain, outermost first; stops at a journey the user cannot see."""
    chain, node_id, seen = [], journey.parent_id, {journey.pk}
    while node_id in visible and node_id not in seen:
        seen.add(node_id)
        chain.append(visible[node_id])
        node_id = visible[node_id]["parent_id"]
    return list(reversed(chain))


def _map_grid_data(request, journey):
    visible = _visible_in_workspace(request.user, journey)
    map_data = selectors.journey_map(journey=journey)
    grid = grid_context(map_data, linkable_journeys={pk: row["title"] for pk, row in visible.items()})
    from .views_editor import editing_context  # the editor builds on this module

    grid.update(editing_context(journey))  # edit affordances for people who may edit; nothing for viewers
    return visible, grid


@login_required
def journey_map(request, pk):
    """The read-only map: stages × steps by lanes, the emotion curve, and the journey's activity."""
    journey = access.journey_for(request.user, pk, need=access.VIEW, queryset=JOURNEY_PAGE_QUERYSET)
    _follow_workspace(request, journey)
    visible, grid = _map_grid_data(request, journey)
    children = [row for row in visible.values() if row["parent_id"] == journey.pk and not row["archived"]]
    context = {
        **grid,
        "breadcrumb": _breadcrumb(journey, visible),
        "children": sorted(children, key=lambda row: row["title"].lower()),
        "activity": list(selectors.journey_activity(journey=journey, limit=30)),
        "can_edit": access.rank(journey.access_level) >= access.rank(access.EDIT),
        "can_manage": _can_manage(journey),
    }
    return render(request, "journeys/journey_map.html", context)


@login_required
def journey_map_grid(request, pk):
    """Just the map grid (templates/journeys/_map_grid.html), for live updates to re-fetch."""
    journey = access.journey_for(request.user, pk, need=access.VIEW, queryset=JOURNEY_PAGE_QUERYSET)
    _visible, grid = _map_grid_data(request, journey)
    return render(request, "journeys/_map_grid.html", grid)
