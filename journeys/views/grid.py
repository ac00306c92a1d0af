"""The map grid as pages show it: stages × steps by lanes, cards and cells for journeys_ui's `map_cell` and
`map_card` tags (the markup is built there),
the emotion curve, the breadcrumb, and the editing affordances. The map page, the grid partial, the editor's
answers, versions and present mode all build on this module; it imports none of them.
"""

import math

from core.overlays import MapIds, Overlay

from .. import access, overlays, selectors
from ..models import BACKSTAGE_KINDS, EMOTION_MAX, EMOTION_MIN, Journey, LaneKind, StandardStage

STEP_WIDTH = 248
CURVE_HEIGHT = 168
CURVE_PADDING = 26

SCORES = list(range(EMOTION_MAX, EMOTION_MIN - 1, -1))

COMMON_CHANNELS = (
    "Email",
    "Website",
    "In-app",
    "Mobile app",
    "Phone",
    "Chat",
    "Sales call",
    "Social",
    "Store",
)


def can_edit(journey) -> bool:
    return access.rank(journey.access_level) >= access.rank(access.EDIT)


def editing_context(journey) -> dict:
    """What the live map's grid templates need: comment buttons for everyone who sees the map (viewers may
    comment), and the editor's affordances for people who may edit."""
    if not can_edit(journey):
        # `editing` set, not absent: templates test it per card, and a missing variable is slow to look up
        return {"commenting": True, "editing": False}
    return {
        "commenting": True,
        "editing": True,
        "lane_kinds": LaneKind.choices,
        "standard_stages": StandardStage.choices,
        "scores": SCORES,
        "common_channels": COMMON_CHANNELS,
    }


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
    """Geometry of one emotion lane: a point per column with a mean score, the zero line, and a smooth line
    through each run of consecutive scored columns. A column with no score breaks the line (a gap, never a
    straight line across it); a score with no scored neighbour stands as a point."""
    inner = CURVE_HEIGHT - 2 * CURVE_PADDING

    def y_of(score):
        return CURVE_PADDING + (EMOTION_MAX - score) / (EMOTION_MAX - EMOTION_MIN) * inner

    points = []
    runs: list[list[tuple[float, float]]] = []  # (x, y) of consecutive scored columns
    for index, score in enumerate(scores):
        if score is None:
            continue
        if not points or points[-1]["index"] != index - 1:
            runs.append([])
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
                "index": index,
            }
        )
        runs[-1].append((float(f"{x:.1f}"), float(f"{y:.1f}")))
    zero = y_of(0)
    segments = []
    for xy in runs:
        path = _monotone_path(xy)
        if path:  # two points or more
            area = f"{path} L{xy[-1][0]:.1f},{zero:.1f} L{xy[0][0]:.1f},{zero:.1f} Z"
            segments.append({"path": path, "area": area})
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
        "segments": segments,
    }


def _cell_class(lane, stage_start: bool) -> str:
    return (
        f"map__cell lane--{lane.kind}"
        + (" is-stage-start" if stage_start else "")
        + (" is-backstage" if lane.kind in BACKSTAGE_KINDS else "")
    )


def cell_fragments(journey, cells) -> tuple[list[dict], list[dict]]:
    """Some cells of the map (lane id, step id) as templates/journeys/_map_grid.html's `cell` partial shows
    them, and the curve rows of the emotion lanes among them: for answers and live updates that swap just
    what changed. Returns ([{cell, row}], [{lane, curve}]); cells no longer on the map are left out."""
    lanes, steps, cards_by_cell = selectors.map_cells(journey=journey, cells=cells)
    out = []
    for (lane_id, step_id), cards in sorted(cards_by_cell.items()):
        lane, step = lanes[lane_id], steps[step_id]
        stage_start = step.position == 0  # positions within a stage are dense (services/changes.py)
        cell = {
            "step": step,
            "cards": cards,
            "ui_class": _cell_class(lane, stage_start),
            "ui_lane_id": str(lane_id),
            "ui_step_id": str(step_id),
        }
        out.append({"cell": cell, "row": {"lane": lane}})
    emotion_lanes = {row["row"]["lane"] for row in out if row["row"]["lane"].kind == LaneKind.EMOTIONS}
    curves = [{"lane": lane, "curve": lane_curve(journey, lane)} for lane in emotion_lanes]
    return out, curves


def lane_curve(journey, lane) -> dict:
    """The curve of one emotion lane (two queries), as grid_context draws it for the whole grid."""
    means, starts = selectors.lane_scores(journey=journey, lane=lane)
    return emotion_curve(means, stage_starts=starts)


def grid_context(map_data: selectors.MapData, *, linkable_journeys=None, linkable_states=None) -> dict:
    """Everything templates/journeys/_map_grid.html needs, computed without further queries.

    `linkable_journeys` ({id: title}) are the journeys the viewer may open: a step's drill-down link shows
    only for those, so a restricted sub-journey's title never leaks. `linkable_states` ({id: state}) marks
    a link into a sub-journey of the other state (a future-state copy's steps still drilling into the
    current-state detail) so the link says so."""
    linkable = linkable_journeys or {}
    states = linkable_states or {}
    map_state = map_data.journey.state
    columns = []  # one per step; a stage without steps still gets one (empty) column
    stage_heads = []
    for stage in map_data.stages:
        steps = stage.step_list or [None]
        stage_heads.append({"stage": stage, "span": len(steps)})
        for index, step in enumerate(steps):
            if step is not None:
                step.drill_down = step.sub_journey_id if step.sub_journey_id in linkable else None
                step.drill_down_title = linkable.get(step.sub_journey_id, "")
                state = states.get(step.sub_journey_id)
                step.drill_down_other_state = (
                    state if step.drill_down and state and state != map_state else None
                )
            columns.append({"stage": stage, "step": step, "stage_start": index == 0})
    rows = []
    seen_backstage = False
    for lane in map_data.lanes:
        backstage = lane.kind in BACKSTAGE_KINDS
        lane_class = f"map__cell lane--{lane.kind}"
        lane_id = str(lane.pk)
        cells = []
        for column in columns:
            step = column["step"]
            cards = map_data.cards_by_cell.get((lane.pk, step.pk), []) if step else []
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
        "oob": False,  # the `cell` partial is swapped out of band only when rendered alone
    }


def visible_in_workspace(user, journey, *, ids=None) -> dict:
    """{id: {title, parent_id, level, archived, state}} of the journeys the user can see in the journey's
    workspace, or of those among `ids` (one query)."""
    rows = Journey.objects.visible_to(user).filter(workspace_id=journey.workspace_id)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return {row["id"]: row for row in rows.values("id", "title", "parent_id", "level", "archived", "state")}


def in_hierarchy(journey) -> bool:
    """Whether the map page has a breadcrumb, sub-journeys or a current state to show: the journey has a
    parent, a current state, or children (`has_children`, annotated by the page's query when it asks)."""
    return bool(journey.parent_id or journey.current_state_of_id or getattr(journey, "has_children", True))


def breadcrumb(journey, visible: dict) -> list[dict]:
    """The visible parent chain, outermost first; stops at a journey the user cannot see."""
    chain, node_id, seen = [], journey.parent_id, {journey.pk}
    while node_id in visible and node_id not in seen:
        seen.add(node_id)
        chain.append(visible[node_id])
        node_id = visible[node_id]["parent_id"]
    return list(reversed(chain))


# ---------------------------------------------------------------------------------------------- overlays
# The map's views (DESIGN.md "How upper apps show on the map"): the plain map, or one registered overlay
# provider's decorations (research's "evidence", metrics' "metrics"), chosen with ?view=<name> on the page and
# the grid partial, and carried by the page's HTMX requests in the X-Map-View header (static/js/editor.js),
# so a grid or cells swapped in after an edit or a live update keep the view's badges. Only the chosen
# provider is asked, once per request: the plain map costs nothing more.

VIEW_HEADER = "X-Map-View"


def map_view(request) -> str:
    """The name of the overlay view the request asks for (`?view=` or the X-Map-View header), or "" for the
    plain map (also for a name no provider has)."""
    name = request.GET.get("view") or request.headers.get(VIEW_HEADER, "")
    return name if any(provider.name == name for provider in overlays.providers()) else ""


def view_overlay(view: str, *, ids: MapIds, user) -> Overlay | None:
    """The decorations of the provider named `view` for these ids (its constant number of queries), or None
    for the plain map. The caller has checked that `user` may see the journey."""
    if not view:
        return None
    provider = next(p for p in overlays.providers() if p.name == view)
    return provider.decorate(ids=ids, user=user)


def overlay_context(view: str, overlay: Overlay | None) -> dict:
    """What the map's templates and journeys_ui's tags need to show a view: the switcher's choices, the
    chosen view and its decorations (`card_decorations` by card id, for the cell and card renderers)."""
    providers = overlays.providers()
    return {
        "views": [{"name": p.name, "label": p.label} for p in providers],
        "view": view,
        "view_label": next((p.label for p in providers if p.name == view), ""),
        "overlay": overlay,
        "card_decorations": overlay.cards if overlay is not None else {},
    }


def cards_overlay_context(request, journey, card_ids) -> dict:
    """overlay_context for some cards of the map (a cell or card swapped in after an edit or a live
    update), in the chosen provider's constant number of queries; none without a view."""
    view = map_view(request)
    ids = MapIds(journey=journey.pk, stages=(), steps=(), cards=tuple(card_ids))
    # Asked even for no cards (a cell emptied): the fragment carries the view's header figure too.
    overlay = view_overlay(view, ids=ids, user=request.user) if view else None
    return overlay_context(view, overlay)


def map_grid_data(request, journey, *, hierarchy: bool = False):
    """The map (selectors.journey_map) as grid_context draws it for `request.user`, with the overlay view
    asked for, and {id: row} of the journeys it may link to that they can see (visible_in_workspace). Those
    are read only when there is something to link: the steps' sub-journeys for the grid; with `hierarchy`
    (the map page) the whole workspace when the journey is in a hierarchy (in_hierarchy), for the breadcrumb,
    its sub-journeys and its current state. A map standing alone costs no query for them."""
    map_data = selectors.journey_map(journey=journey)
    sub_journeys = {step.sub_journey_id for step in map_data.steps} - {None}
    if hierarchy and in_hierarchy(journey):
        visible = visible_in_workspace(request.user, journey)
    elif sub_journeys:
        visible = visible_in_workspace(request.user, journey, ids=sub_journeys)
    else:
        visible = {}
    grid = grid_context(
        map_data,
        linkable_journeys={pk: row["title"] for pk, row in visible.items()},
        linkable_states={pk: row["state"] for pk, row in visible.items()},
    )
    grid.update(editing_context(journey))  # edit affordances for people who may edit; nothing for viewers
    view = map_view(request)
    overlay = view_overlay(view, ids=overlays.map_ids(map_data), user=request.user) if view else None
    grid.update(overlay_context(view, overlay))
    return visible, grid
