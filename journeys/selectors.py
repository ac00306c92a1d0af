"""Reads that pages and the API share. Query counts do not grow with the size of a map."""

from collections import defaultdict
from dataclasses import dataclass, field
from operator import itemgetter
from typing import NamedTuple

from django.db.models import Avg, Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from core.queries import CompiledRows

from .models import BACKSTAGE_KINDS, Activity, Card, Journey, Lane, LaneKind, Stage, Step


@dataclass
class MapData:
    journey: Journey
    stages: list[Stage]  # each with `.step_list`
    steps: list[Step]  # in display order (stage by stage)
    lanes: list[Lane]
    cards_by_cell: dict = field(default_factory=dict)  # (lane_id, step_id) -> [MapCard, or Card of a version]

    @property
    def card_count(self) -> int:
        return sum(len(cards) for cards in self.cards_by_cell.values())

    def rows(self):
        """Lanes with their cells in step order, and where the line of visibility falls."""
        seen_backstage = False
        for lane in self.lanes:
            first_backstage = lane.kind in BACKSTAGE_KINDS and not seen_backstage
            seen_backstage = seen_backstage or lane.kind in BACKSTAGE_KINDS
            cells = [(step, self.cards_by_cell.get((lane.pk, step.pk), [])) for step in self.steps]
            yield lane, cells, first_backstage

    def emotion_points(self, lane: Lane):
        """(step index, mean score) per step that has a scored card in this emotion lane."""
        points = []
        for index, step in enumerate(self.steps):
            scores = [
                c.emotion_score
                for c in self.cards_by_cell.get((lane.pk, step.pk), [])
                if c.emotion_score is not None
            ]
            if scores:
                points.append((index, sum(scores) / len(scores)))
        return points


# Each card's comments and open (unresolved) threads, counted in the cards' own query (for the map's badges).
COMMENT_COUNTS = {
    "comment_count": Count("comments"),
    "open_comment_count": Count(
        "comments", filter=Q(comments__thread__isnull=True, comments__resolved_at__isnull=True)
    ),
}


def comment_counts(*, card_ids) -> dict[int, tuple[int, int]]:
    """{card id: (comments, open threads)} for a few cards (one query)."""
    rows = Card.objects.filter(pk__in=card_ids).annotate(**COMMENT_COUNTS)
    counts = rows.values_list("pk", "comment_count", "open_comment_count")
    return {pk: (total, unresolved) for pk, total, unresolved in counts}


class MapCard(NamedTuple):
    """A card as the map reads it: its shown fields and comment counts, a plain row rather than a model
    instance (building 2,000 Card instances was a good part of a big map's time). Read-only; `pk` as on a
    model, so the grid, overlays and versions' model instances are used alike."""

    id: int
    journey_id: int
    version: int
    position: int
    lane_id: int
    step_id: int
    text: str
    note: str
    emotion_score: int | None
    channel: str
    comment_count: int
    open_comment_count: int

    @property
    def pk(self) -> int:
        return self.id


# A stage's, a step's and a lane's columns, by field name in the models' own order: journey_map reads them
# as plain rows and builds complete instances from them (Model.from_db), so nothing is left to load later.
_STAGE_COLUMNS = tuple(f.name for f in Stage._meta.concrete_fields)
_STEP_COLUMNS = tuple(f"steps__{f.name}" for f in Step._meta.concrete_fields)
_LANE_COLUMNS = tuple(f.name for f in Lane._meta.concrete_fields)

# The map's reads run on every view of a map: their SQL is written by the ORM once (core.queries).
_MAP_STAGES = CompiledRows(
    lambda journey_id: (
        Stage.objects.filter(journey_id=journey_id)
        .order_by("position", "steps__position")  # a stage without steps comes once, with a null step
        .values_list(*_STAGE_COLUMNS, *_STEP_COLUMNS)
    )
)
_MAP_LANES = CompiledRows(
    lambda journey_id: (
        Lane.objects.filter(journey_id=journey_id).order_by("position").values_list(*_LANE_COLUMNS)
    )
)
_MAP_CARDS = CompiledRows(
    lambda journey_id: (
        Card.objects.filter(journey_id=journey_id)
        .annotate(**COMMENT_COUNTS)
        .order_by("lane_id", "step_id", "position")
        .values_list(*MapCard._fields)
    )
)


def journey_map(*, journey: Journey) -> MapData:
    """The whole map in three queries: stages joined with their steps (as model instances, each stage with
    `.step_list`), lanes, and cards with their comment counts (as MapCard rows)."""
    db, width = Stage.objects.db, len(_STAGE_COLUMNS)
    stages, steps = [], []
    stage_field = Step._meta.get_field("stage")
    for row in _MAP_STAGES(journey_id=journey.pk):
        if not stages or stages[-1].pk != row[0]:
            stages.append(Stage.from_db(db, None, row[:width]))
            stages[-1].step_list = []
        if row[width] is not None:
            step = Step.from_db(db, None, row[width:])
            stage_field.set_cached_value(step, stages[-1])
            stages[-1].step_list.append(step)
            steps.append(step)
    lanes = [Lane.from_db(db, None, row) for row in _MAP_LANES(journey_id=journey.pk)]
    cards_by_cell = defaultdict(list)
    for card in map(MapCard._make, _MAP_CARDS(journey_id=journey.pk)):
        cards_by_cell[(card.lane_id, card.step_id)].append(card)
    return MapData(
        journey=journey, stages=stages, steps=steps, lanes=lanes, cards_by_cell=dict(cards_by_cell)
    )


STAGE_FIELDS = ("id", "journey_id", "version", "position", "title", "description", "standard_stage")
STEP_FIELDS = (
    "id",
    "journey_id",
    "stage_id",
    "version",
    "position",
    "title",
    "description",
    "sub_journey_id",
)
LANE_FIELDS = ("id", "journey_id", "version", "position", "title", "kind")
CARD_FIELDS = ("id", "version", "position", "lane_id", "step_id", "text", "note", "emotion_score", "channel")


def _api_names(fields: tuple) -> tuple:
    # "journey_id" → "journey": the API names foreign keys by the object, as DRF's serializers do.
    return tuple(name[:-3] if name.endswith("_id") and name != "id" else name for name in fields)


STAGE_KEYS, STEP_KEYS = _api_names(STAGE_FIELDS), _api_names(STEP_FIELDS)
LANE_KEYS, CARD_KEYS = _api_names(LANE_FIELDS), _api_names(CARD_FIELDS)


_API_STAGES = CompiledRows(
    lambda journey_id: (
        Stage.objects.filter(journey_id=journey_id)
        .order_by("position", "steps__position")  # a stage without steps comes once, with a null step
        .values_list(*STAGE_FIELDS, *(f"steps__{name}" for name in STEP_FIELDS))
    )
)
_API_LANES = CompiledRows(
    lambda journey_id: (
        Lane.objects.filter(journey_id=journey_id)
        .order_by("position")  # a lane without cards comes once, with a null card
        .values_list(*LANE_FIELDS, *(f"cards__{name}" for name in CARD_FIELDS))
    )
)


def journey_map_rows(*, journey: Journey) -> dict:
    """The whole map as plain rows for the map API, in two queries and no model instances: stages (each
    with `steps`) in order; lanes in order, and cards lane by lane, step by step (the steps' order on the
    map), in their cell's order."""
    stages, step_order = [], {}
    width = len(STAGE_FIELDS)
    for row in _API_STAGES(journey_id=journey.pk):
        if not stages or stages[-1]["id"] != row[0]:
            stages.append({**dict(zip(STAGE_KEYS, row[:width], strict=True)), "steps": []})
        if row[width] is not None:
            stages[-1]["steps"].append(dict(zip(STEP_KEYS, row[width:], strict=True)))
            step_order[row[width]] = len(step_order)
    lanes, cards = [], []
    width = len(LANE_FIELDS)
    step_at, position_at = width + CARD_FIELDS.index("step_id"), width + CARD_FIELDS.index("position")
    step_index = step_order.get
    for row in _API_LANES(journey_id=journey.pk):
        if not lanes or lanes[-1]["id"] != row[0]:
            lanes.append(dict(zip(LANE_KEYS, row[:width], strict=True)))
        if row[width] is not None:
            card = dict(zip(CARD_KEYS, row[width:], strict=True))
            cards.append((len(lanes), step_index(row[step_at], 0), row[position_at], card))
    cards.sort(key=_CARD_ORDER)  # sorting here costs less than joining steps and stages to sort
    return {"stages": stages, "lanes": lanes, "cards": [entry[3] for entry in cards]}


_CARD_ORDER = itemgetter(0, 1, 2)  # lane, step, position within the cell


def map_cells(*, journey: Journey, cells) -> tuple[dict, dict, dict]:
    """Some lane × step cells of a map as the grid shows them, for answers that swap just those cells:
    ({lane id: Lane}, {step id: Step}, {(lane id, step id): [Card with comment counts]}) in three queries,
    whatever the size of the map. Cells whose lane or step is not (or no longer) on the map are left out."""
    cells = set(cells)
    lane_ids, step_ids = {lane for lane, _ in cells}, {step for _, step in cells}
    lanes = {lane.pk: lane for lane in Lane.objects.filter(journey=journey, pk__in=lane_ids)}
    steps = {step.pk: step for step in Step.objects.filter(journey=journey, pk__in=step_ids)}
    cards_by_cell = {cell: [] for cell in cells if cell[0] in lanes and cell[1] in steps}
    cards = Card.objects.filter(journey=journey, lane_id__in=lane_ids, step_id__in=step_ids)
    for card in cards.annotate(**COMMENT_COUNTS).order_by("lane_id", "step_id", "position"):
        if (card.lane_id, card.step_id) in cards_by_cell:
            cards_by_cell[(card.lane_id, card.step_id)].append(card)
    return lanes, steps, cards_by_cell


def lane_scores(*, journey: Journey, lane: Lane) -> tuple[list[float | None], list[bool]]:
    """An emotion lane's mean score per grid column (the map's steps in order; a stage without steps is one
    empty column; None where no card is scored) and which columns start a stage: what its curve is drawn
    from, in one query."""
    columns = (
        Stage.objects.filter(journey=journey)
        .order_by("position", "steps__position")
        .values_list("pk", "steps__pk")
        .annotate(mean=Avg("steps__cards__emotion_score", filter=Q(steps__cards__lane=lane)))
    )
    means, starts, previous = [], [], None
    for stage_id, _step_id, mean in columns:
        means.append(float(mean) if mean is not None else None)
        starts.append(stage_id != previous)
        previous = stage_id
    return means, starts


def journey_list(
    *,
    user,
    workspace,
    search: str = "",
    level: str = "",
    state: str = "",
    tag: str = "",
    owner=None,
    parent=None,
    include_archived: bool = False,
):
    """Journeys of a workspace (or of all the user's workspaces when None) the user may see, filtered, with
    their owner. Card counts are not in it (they would group every card of the workspace): give the page
    shown, as `.annotate(card_count=card_count())`."""
    qs = (
        Journey.objects.visible_to(user)
        .select_related("owner", "parent", "updated_by")
        .order_by("title", "pk")  # pk: a stable order for pagination when titles repeat
    )
    if workspace is not None:
        qs = qs.filter(workspace=workspace)
    if not include_archived:
        qs = qs.filter(archived=False)
    if search:
        qs = qs.filter(title__icontains=search)
    if level:
        qs = qs.filter(level=level)
    if state:
        qs = qs.filter(state=state)
    if tag:
        qs = qs.filter(tags__contains=[tag])
    if owner:
        qs = qs.filter(owner_id=owner)
    if parent:
        qs = qs.filter(parent_id=parent)
    return qs


def card_count() -> Coalesce:
    """A journey's cards, as an annotation (`.annotate(card_count=card_count())`): a subquery that
    PostgreSQL evaluates for the rows returned only (a page), not a GROUP BY over every card of the
    workspace."""
    cards = Card.objects.filter(journey_id=OuterRef("pk")).order_by().values("journey_id")
    return Coalesce(Subquery(cards.annotate(n=Count("pk")).values("n")), 0)


@dataclass
class TreePage:
    rows: list  # (journey, depth) in hierarchy order, with owner, last editor and card counts
    total: int  # journeys in the whole (filtered) tree
    number: int  # this page, from 1
    pages: int
    start: int  # position of the first row in the whole tree, from 1 (0 when empty)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def end(self) -> int:
        return self.start + len(self.rows) - 1 if self.rows else 0


def journey_tree_page(journeys, *, page: int = 1, per_page: int = 50) -> TreePage:
    """One page of the hierarchy of `journeys` (each journey followed by its children; one whose parent is
    not among them at the top level) in two queries whatever the number of journeys: the tree's
    order from the ids and parents of all of them, in the list's order (search and filters apply to all),
    then the page's journeys by id with their owner, last editor and card counts. A page past the last shows
    the last."""
    links = journeys.select_related(None).values_list("pk", "parent_id")  # plain tuples: no instances
    order = _tree_order(list(links))
    pages = max(1, -(-len(order) // per_page))
    number = min(max(1, page), pages)
    window = order[(number - 1) * per_page : number * per_page]
    # The page's journeys by id: the ids come from `journeys` (visibility and filters applied there), so the
    # second query needs neither again (its subqueries cost more to build and plan than the 50 rows).
    page_journeys = journeys.model.objects.filter(pk__in=[pk for pk, _ in window])
    full = {
        j.pk: j for j in page_journeys.select_related("owner", "updated_by").annotate(card_count=card_count())
    }
    rows = [(full[pk], depth) for pk, depth in window if pk in full]
    start = (number - 1) * per_page + 1 if rows else 0
    return TreePage(rows=rows, total=len(order), number=number, pages=pages, start=start)


def _tree_order(links: list[tuple[int, int | None]]) -> list[tuple[int, int]]:
    """(id, depth) in hierarchy order from (id, parent id) pairs in display order; a journey whose parent
    is not among them is a root."""
    present = {pk for pk, _ in links}
    children = defaultdict(list)
    roots = []
    for pk, parent_id in links:
        (children[parent_id] if parent_id in present else roots).append(pk)
    out = []
    stack = [(pk, 0) for pk in reversed(roots)]
    while stack:  # depth first, children in display order (no recursion limit on deep hierarchies)
        pk, depth = stack.pop()
        out.append((pk, depth))
        stack.extend((child, depth + 1) for child in reversed(children.get(pk, ())))
    return out


def journey_activity(*, journey: Journey, limit: int = 50):
    return Activity.objects.filter(journey=journey).select_related("actor")[:limit]


def emotion_lanes(map_data: MapData):
    return [lane for lane in map_data.lanes if lane.kind == LaneKind.EMOTIONS]
