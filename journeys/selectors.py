"""Reads that pages and the API share. Query counts do not grow with the size of a map."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q

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
    cards = Card.objects.filter(journey=journey).annotate(**COMMENT_COUNTS)
    cards = cards.order_by("lane_id", "step_id", "position")
    for card in cards:
        cards_by_cell[(card.lane_id, card.step_id)].append(card)
    return MapData(
        journey=journey, stages=stages, steps=steps, lanes=lanes, cards_by_cell=dict(cards_by_cell)
    )


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
    """Journeys of a workspace (or of all the user's workspaces when None) the user may see, filtered,
    with owner and card counts."""
    qs = (
        Journey.objects.visible_to(user)
        .select_related("owner", "parent", "updated_by")
        .annotate(card_count=Count("cards", distinct=True))
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
