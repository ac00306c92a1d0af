"""Reads that pages and the API share. Query counts do not grow with the size of a map."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Avg, Count, Prefetch, Q

from .models import BACKSTAGE_KINDS, Activity, Card, Journey, Lane, LaneKind, Stage, Step


@dataclass
class MapData:
    journey: Journey
    stages: list[Stage]  # each with `.step_list`
    steps: list[Step]  # in display order (stage by stage)
    lanes: list[Lane]
    cards_by_cell: dict = field(default_factory=dict)  # (lane_id, step_id) -> [Card]

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


MAP_CARD_FIELDS = ("id", "journey_id", "version", "position", "lane_id", "step_id")
MAP_CARD_FIELDS += ("text", "note", "emotion_score", "channel")


def journey_map(*, journey: Journey) -> MapData:
    """The whole map in four queries: stages with steps (2), lanes (1), cards with comment counts (1)."""
    stages = list(
        Stage.objects.filter(journey=journey)
        .order_by("position")
        .prefetch_related(
            Prefetch(
                "steps",
                queryset=Step.objects.select_related("sub_journey").order_by("position"),
                to_attr="step_list",
            )
        )
    )
    steps = [step for stage in stages for step in stage.step_list]
    lanes = list(Lane.objects.filter(journey=journey).order_by("position"))
    cards_by_cell = defaultdict(list)
    # only what the map shows of a card: building 500 instances is a good part of the page's time
    cards = Card.objects.filter(journey=journey).only(*MAP_CARD_FIELDS).annotate(**COMMENT_COUNTS)
    cards = cards.order_by("lane_id", "step_id", "position")
    for card in cards:
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


def _api_row(row: dict) -> dict:
    # "journey_id" → "journey": the API names foreign keys by the object, as DRF's serializers do.
    return {
        (name[:-3] if name.endswith("_id") and name != "id" else name): value for name, value in row.items()
    }


def journey_map_rows(*, journey: Journey) -> dict:
    """The whole map as plain rows for the map API, in four queries and no model instances: stages (each
    with `steps`) in order, lanes in order, and cards lane by lane, step by step, in their cell's order."""
    stages = [
        _api_row(row)
        for row in Stage.objects.filter(journey=journey).order_by("position").values(*STAGE_FIELDS)
    ]
    by_stage = {stage["id"]: stage for stage in stages}
    for stage in stages:
        stage["steps"] = []
    steps = Step.objects.filter(journey=journey).order_by("stage__position", "position").values(*STEP_FIELDS)
    step_order = {}
    for row in steps:
        step = _api_row(row)
        by_stage[step["stage"]]["steps"].append(step)
        step_order[step["id"]] = len(step_order)
    lanes = [
        _api_row(row)
        for row in Lane.objects.filter(journey=journey).order_by("position").values(*LANE_FIELDS)
    ]
    lane_order = {lane["id"]: index for index, lane in enumerate(lanes)}
    cards = [_api_row(row) for row in Card.objects.filter(journey=journey).values(*CARD_FIELDS)]
    cards.sort(key=lambda c: (lane_order.get(c["lane"], 0), step_order.get(c["step"], 0), c["position"]))
    return {"stages": stages, "lanes": lanes, "cards": cards}


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
    shown to `with_card_counts`."""
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


def with_card_counts(journeys) -> list[Journey]:
    """Set `card_count` on each journey of a page (one query counting only those journeys' cards)."""
    journeys = list(journeys)
    counts = dict(
        Card.objects.filter(journey_id__in=[j.pk for j in journeys])
        .order_by()
        .values_list("journey_id")
        .annotate(n=Count("pk"))
    )
    for journey in journeys:
        journey.card_count = counts.get(journey.pk, 0)
    return journeys


@dataclass
class TreePage:
    rows: list  # (journey, depth) in hierarchy order, with owner, parent, last editor and card counts
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
    """One page of `journey_tree(journeys)` in three queries whatever the number of journeys: the tree's
    order from the ids, parents and titles of all of them (search and filters apply to all), then the
    page's journeys in full, then their card counts. A page past the last shows the last."""
    light = journeys.select_related(None).only("pk", "parent_id", "title")
    order = journey_tree(light)
    pages = max(1, -(-len(order) // per_page))
    number = min(max(1, page), pages)
    window = order[(number - 1) * per_page : number * per_page]
    full = {j.pk: j for j in journeys.filter(pk__in=[j.pk for j, _ in window])}
    rows = [(full[j.pk], depth) for j, depth in window if j.pk in full]
    with_card_counts([journey for journey, _ in rows])
    start = (number - 1) * per_page + 1 if rows else 0
    return TreePage(rows=rows, total=len(order), number=number, pages=pages, start=start)


def journey_tree(journeys) -> list[tuple[Journey, int]]:
    """(journey, depth) in hierarchy order: each journey followed by its visible children.

    A journey whose parent is not in the list (filtered out or not visible) is shown at the top level."""
    journeys = list(journeys)
    by_id = {j.pk: j for j in journeys}
    children = defaultdict(list)
    roots = []
    for j in journeys:
        (children[j.parent_id] if j.parent_id in by_id else roots).append(j)
    out = []

    def walk(node, depth):
        out.append((node, depth))
        for child in children.get(node.pk, []):
            walk(child, depth + 1)

    for root in roots:
        walk(root, 0)
    return out


def journey_activity(*, journey: Journey, limit: int = 50):
    return Activity.objects.filter(journey=journey).select_related("actor")[:limit]


def emotion_lanes(map_data: MapData):
    return [lane for lane in map_data.lanes if lane.kind == LaneKind.EMOTIONS]
