"""The prioritization queue: every pain-point and opportunity card of the journeys a reader can see in a
workspace, scored or not, ranked — what the queue page, its impact/effort matrix, its CSV export and the
queue API all read (`queue`).

**Which cards.** Cards in pain-point and opportunity lanes (selectors.SCORED_KINDS) of the workspace's
journeys that the reader may see (journeys' visibility rule, in SQL), archived journeys and templates left
out. Nothing of a hidden journey is shown or counted, and the filters' choices (journeys, owners, tags)
come from visible journeys only.

**Figures of a card** (annotations of each row, all in SQL so the queue can filter and sort by them):

- the score's composite, impact and effort (stored by scoring services: prioritization/scoring.py);
- `priority`: the composite, times the confidence factor of the card's level when the model it was scored
  under uses confidence (scoring.priority, the same rule in SQL); the composite otherwise;
- `opportunity`: importance + max(importance − satisfaction, 0) when both are given (scoring.opportunity);
- `confidence`: the card's research confidence level (research/confidence_sql.py: the rule of
  research/confidence.py in SQL);
- `evidence_count`: evidence items linked to the card (supporting or contradicting);
- `delivery_rank`: the rank of the most advanced non-dropped initiative addressing the card
  (selectors.delivery_rank; selectors.RANK_STATUS turns it into a status, 0 is "not planned");
- `quadrant`: the impact/effort matrix's quadrant (scoring.quadrant), None without both axes;
- `stale`: scored under a model version that is no longer current;
- `updated`: the later of the card's last edit and its last scoring.

**Filters** (`Filters`): a journey and its sub-journeys (recursively through Journey.parent, through
journeys the reader can see), a standard stage (the stage's `standard_stage`), the lane kind, the delivery
status, the journey's owner, a journey tag, the confidence level, the impact/effort quadrant, unscored
only (no composite: never scored, or part-scored), stale scores only.

**Sorts** (`SORTS`): priority (the default: the composite, or the composite times the confidence factor
where the model uses confidence; cards without a composite last), composite (the rating alone), impact,
effort (least first), opportunity score, evidence count, journey (A–Z, then priority), updated (the later
of the card's last edit and its last scoring). Every sort ends with the card's id, so pages never overlap.

The number of queries does not grow with the number of cards: `queue` reads the reader's journeys of the
workspace (the filters' choices and the sub-journey tree) and the recency setting; the cards are one
queryset (a count and a page of it); `page_details` reads what a page shows beside its rows (criteria of
the page's model versions, the initiatives of its cards) in two more.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, Greatest, Round, RowNumber
from django.db.models.lookups import Exact
from django.utils import timezone

from accounts.models import Workspace
from journeys.models import Card, LaneKind, StandardStage
from research.confidence import Level, months_before
from research.confidence_sql import card_level, card_level_by_sets, cards_at_level
from research.models import DEFAULT_RECENCY_MONTHS, EvidenceLink, ResearchSettings

from .access import visible_journeys
from .models import Criterion, InitiativeCard, ScoringModel, Status
from .scoring import CONFIDENCE_FACTORS, QUADRANT_SPLIT, Quadrant
from .selectors import (
    DELIVERY_ORDER,
    DELIVERY_STATUSES,
    NOT_PLANNED,
    RANK_STATUS,
    SCORED_KINDS,
    delivery_for_cards,
    delivery_rank,
)

SORTS = {
    "priority": "Priority",
    "composite": "Composite",
    "impact": "Impact",
    "effort": "Effort (least first)",
    "opportunity": "Opportunity score",
    "evidence": "Evidence count",
    "journey": "Journey",
    "updated": "Recently updated",
}
DEFAULT_SORT = "priority"
KINDS = [(k.value, k.label) for k in SCORED_KINDS]
STAGES = list(StandardStage.choices)
LEVELS = list(Level.choices)
QUADRANTS = list(Quadrant.LABELS.items())  # quick wins, big bets, fill-ins, money pits
STATUSES = DELIVERY_STATUSES  # (NOT_PLANNED, "Not planned"), then initiative statuses in delivery order
SCORE = DecimalField(max_digits=8, decimal_places=2)
EXPORT_FIELDS = (
    "pk", "text", "lane__kind", "journey_id", "journey__title", "step__stage__title",
    "step__stage__standard_stage", "step__title", "journey__owner__first_name", "journey__owner__last_name",
    "journey__owner__username", "priority", "score__composite", "score__impact", "score__effort",
    "quadrant", "score__values", "score__model_id", "score__model__number", "stale", "opportunity",
    "score__importance", "score__satisfaction", "confidence", "evidence_count", "delivery_rank",
    "initiative_titles",
)  # fmt: skip


@dataclass(frozen=True)
class Filters:
    """What the queue is narrowed to and how it is sorted; empty values filter nothing."""

    journey: int | None = None  # with its sub-journeys
    stage: str = ""  # a StandardStage value
    kind: str = ""  # LaneKind.PAIN_POINTS or OPPORTUNITIES
    status: str = ""  # NOT_PLANNED or a Status value (delivery)
    owner: int | None = None  # the journey's owner (a user id)
    tag: str = ""  # a journey tag
    confidence: str = ""  # a research Level value
    quadrant: str = ""  # a scoring.Quadrant value (the impact/effort matrix's)
    unscored: bool = False
    stale: bool = False
    sort: str = DEFAULT_SORT

    @property
    def is_filtered(self) -> bool:
        return any(getattr(self, f.name) not in (None, "", False) for f in fields(self) if f.name != "sort")

    def without_sort(self) -> Filters:
        return replace(self, sort=DEFAULT_SORT)


@dataclass(frozen=True)
class JourneyChoice:
    """A journey the reader can see, as the filters offer it (in hierarchy order, `depth` under its root)."""

    id: int
    title: str
    parent_id: int | None
    depth: int


@dataclass
class Scope:
    """The reader's journeys of the workspace (archived ones and templates left out) and what the filters
    offer from them: journeys in hierarchy order, their owners and tags."""

    journeys: list[JourneyChoice]
    owners: list[tuple[int, str]]  # (user id, name), by name
    tags: list[str]  # by name, without regard to case
    children: dict[int, list[int]] = field(default_factory=dict)

    def subtree(self, journey_id: int) -> list[int]:
        """The journey and every journey under it (reached through journeys in this scope); empty when the
        journey is not in it (hidden, archived or of another workspace)."""
        if not any(j.id == journey_id for j in self.journeys):
            return []
        found, todo = [journey_id], [journey_id]
        seen = {journey_id}
        while todo:
            for child in self.children.get(todo.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    found.append(child)
                    todo.append(child)
        return found


def _journeys(user, workspace_id: int) -> QuerySet:
    return visible_journeys(user).filter(workspace_id=workspace_id, archived=False, is_template=False)


def queue_scope(*, user, workspace_id: int) -> Scope:
    """The reader's journeys of the workspace with their owners and tags (one query)."""
    rows = list(
        _journeys(user, workspace_id)
        .order_by("title", "pk")
        .values_list("pk", "title", "parent_id", "owner_id", "owner__first_name", "owner__last_name",
                     "owner__username", "tags")
    )  # fmt: skip
    ids = {row[0] for row in rows}
    children: dict[int, list[int]] = {}
    for pk, _title, parent_id, *_ in rows:
        if parent_id in ids:
            children.setdefault(parent_id, []).append(pk)
    # Hierarchy order: each journey followed by its children; one whose parent is hidden at the top level.
    by_id = {row[0]: row for row in rows}
    ordered: list[JourneyChoice] = []
    placed: set[int] = set()

    def place(pk: int, depth: int) -> None:
        placed.add(pk)
        ordered.append(JourneyChoice(pk, by_id[pk][1], by_id[pk][2], depth))
        for child in children.get(pk, ()):
            if child not in placed:
                place(child, depth + 1)

    for row in rows:
        if row[2] not in ids and row[0] not in placed:
            place(row[0], 0)
    for row in rows:  # a cycle without a root cannot be saved, but never lose a journey
        if row[0] not in placed:
            place(row[0], 0)
    owners = {}
    tags: dict[str, str] = {}
    for _pk, _title, _parent, owner_id, first, last, username, journey_tags in rows:
        owners[owner_id] = f"{first} {last}".strip() or username
        for tag in journey_tags or ():
            tags.setdefault(tag.casefold(), tag)
    return Scope(
        journeys=ordered,
        owners=sorted(owners.items(), key=lambda item: (item[1].casefold(), item[0])),
        tags=sorted(tags.values(), key=str.casefold),
        children=children,
    )


# ---------------------------------------------------------------------------------------------- figures


def _evidence_count():
    """A card's evidence links, as a subquery per card: for a page's rows."""
    links = EvidenceLink.objects.filter(card_id=OuterRef("pk")).order_by().values("card_id")
    return Coalesce(Subquery(links.annotate(n=Count("pk")).values("n")[:1]), Value(0))


def _factor(level) -> Case:
    """The confidence factor (scoring.CONFIDENCE_FACTORS) of the level expression `level`."""
    return Case(
        *(When(Exact(level, Value(key)), then=Value(factor)) for key, factor in CONFIDENCE_FACTORS.items()),
        default=Value(CONFIDENCE_FACTORS[Level.ASSUMPTION]),
        output_field=SCORE,
    )


def _priority(level=None):
    """scoring.priority in SQL: the composite, times the factor of the card's confidence `level` (an
    expression) when the score's model uses confidence, rounded to two decimals (PostgreSQL rounds halves
    away from zero: half up here). Without `level` (no model of the workspace uses confidence) the
    composite itself."""
    if level is None:
        return ExpressionWrapper(F("score__composite"), output_field=SCORE)
    scaled = Round(ExpressionWrapper(F("score__composite") * _factor(level), output_field=SCORE), 2)
    return Case(
        When(score__model__use_confidence=True, then=scaled),
        default=F("score__composite"),
        output_field=SCORE,
    )


def _opportunity() -> Case:
    """scoring.opportunity in SQL: importance + max(importance − satisfaction, 0), when both are given."""
    gap = Greatest(F("score__importance") - F("score__satisfaction"), Value(Decimal(0)), output_field=SCORE)
    return Case(
        When(
            score__importance__isnull=False,
            score__satisfaction__isnull=False,
            then=ExpressionWrapper(F("score__importance") + gap, output_field=SCORE),
        ),
        default=Value(None),
        output_field=SCORE,
    )


def _quadrant() -> Case:
    """scoring.quadrant in SQL (None when an axis is missing)."""
    high_impact, high_effort = Q(score__impact__gte=QUADRANT_SPLIT), Q(score__effort__gte=QUADRANT_SPLIT)
    placed = Q(score__impact__isnull=False, score__effort__isnull=False)
    return Case(
        When(placed & high_impact & ~high_effort, then=Value(Quadrant.QUICK_WINS)),
        When(placed & high_impact & high_effort, then=Value(Quadrant.BIG_BETS)),
        When(placed & ~high_impact & ~high_effort, then=Value(Quadrant.FILL_INS)),
        When(placed & ~high_impact & high_effort, then=Value(Quadrant.MONEY_PITS)),
        default=Value(None),
    )


def _stale() -> Case:
    return Case(
        When(score__model__is_current=False, then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


def _live_links():
    return InitiativeCard.objects.exclude(initiative__status=Status.DROPPED)


def _delivery_status(status: str) -> Q:
    """Cards whose delivery status (selectors.delivery_rank's rule: the most advanced non-dropped
    initiative's status, else not planned) is `status`: addressed by a non-dropped initiative of that status
    and by none further on (DELIVERY_ORDER); "not planned": by no non-dropped initiative. Semi-joins, so
    PostgreSQL reads the initiative links once instead of asking per card."""
    if status == NOT_PLANNED:
        return ~Q(pk__in=_live_links().values("card_id"))
    rank = DELIVERY_ORDER[Status(status)]
    further = [s for s, r in DELIVERY_ORDER.items() if r > rank]
    return Q(pk__in=_live_links().filter(initiative__status=status).values("card_id")) & ~Q(
        pk__in=_live_links().filter(initiative__status__in=further).values("card_id")
    )


def _delivery_rank_by_sets() -> Case:
    """selectors.delivery_rank's rule for many cards: the rank of the most advanced non-dropped initiative's
    status, as a CASE over the cards each status addresses (hashed once each), 0 when not planned."""
    ordered = sorted(DELIVERY_ORDER.items(), key=lambda item: -item[1])
    return Case(
        *(
            When(pk__in=_live_links().filter(initiative__status=s).values("card_id"), then=Value(r))
            for s, r in ordered
        ),
        default=Value(0),
        output_field=IntegerField(),
    )


def _order(sort: str) -> list:
    last = [F("priority").desc(nulls_last=True), "-pk"]
    orders = {
        "priority": [F("priority").desc(nulls_last=True), F("score__composite").desc(nulls_last=True), "-pk"],
        "composite": [F("score__composite").desc(nulls_last=True), "-pk"],
        "impact": [F("score__impact").desc(nulls_last=True), *last],
        "effort": [F("score__effort").asc(nulls_last=True), *last],
        "opportunity": [F("opportunity").desc(nulls_last=True), *last],
        "evidence": [F("evidence_count").desc(), *last],
        "journey": ["journey__title", "journey_id", *last],
        "updated": [F("updated").desc(), "-pk"],
    }
    return orders.get(sort, orders[DEFAULT_SORT])


# ---------------------------------------------------------------------------------------------- the queue


@dataclass(frozen=True)
class Matrix:
    """The impact/effort matrix of a queue: cards per quadrant (and "unplaced"), and the ids it draws."""

    counts: dict[str, int]
    ids: list[int]


@dataclass
class Queue:
    """The queue for one reader. `ranked`: the filtered cards in the queue's order, narrow (ids and what the
    order needs; paginate it, count it); `rows(ids)`: those cards with every figure, for a page. Also the
    `scope` the filters chose from, the filters applied, the recency cutoff of its confidence levels and
    whether a scoring model of the workspace uses confidence (then the priority depends on the level)."""

    ranked: QuerySet
    scope: Scope | None
    filters: Filters
    cutoff: datetime.date
    workspace_id: int
    uses_confidence: bool
    links: QuerySet  # the evidence links that count: those on the reader's journeys of the workspace

    def ids(self) -> QuerySet:
        """The ranked card ids (a values list: count it, slice it for a page)."""
        return self.ranked.values_list("pk", flat=True)

    def rows(self, ids) -> list[Card]:
        """The cards of `ids` in that order, each with its journey (and owner), lane, step, stage, score
        (and model) and every figure: confidence, evidence_count, delivery_rank, priority, opportunity,
        quadrant, stale. One query (subqueries for the few rows asked)."""
        ids = list(ids)
        if not ids:
            return []
        found = (
            Card.objects.filter(pk__in=ids)
            .select_related("journey__owner", "lane", "step__stage", "score__model")
            .annotate(
                confidence=card_level(cutoff=self.cutoff),
                evidence_count=_evidence_count(),
                delivery_rank=delivery_rank(),
                priority=_priority(F("confidence") if self.uses_confidence else None),
                opportunity=_opportunity(),
                quadrant=_quadrant(),
                stale=_stale(),
            )
        )
        by_id = {card.pk: card for card in found}
        return [by_id[pk] for pk in ids if pk in by_id]

    def matrix(self, per_quadrant: int) -> Matrix:
        """How many of the filtered cards fall in each quadrant and how many cannot be placed (no impact or
        effort yet), and the ids of the first `per_quadrant` cards of each quadrant in the queue's order,
        quadrant by quadrant (quick wins, big bets, fill-ins, money pits). One query, one pass over the
        cards: a row number and a count per quadrant (windows), whatever the number of cards."""
        order = _order_expressions(self.ranked.query.order_by)
        ranked = self.ranked.annotate(
            quadrant_rank=Window(RowNumber(), partition_by=F("quadrant"), order_by=order),
            quadrant_count=Window(Count("pk"), partition_by=F("quadrant")),
        )
        rows = list(
            ranked.filter(quadrant_rank__lte=max(1, per_quadrant)).values_list(
                "pk", "quadrant", "quadrant_rank", "quadrant_count"
            )
        )
        counts = {key: 0 for key, _label in QUADRANTS} | {"unplaced": 0}
        for _pk, quadrant, _rank, count in rows:
            counts[quadrant or "unplaced"] = count
        position = {key: n for n, (key, _label) in enumerate(QUADRANTS)}
        placed = sorted(
            (row for row in rows if row[1] is not None), key=lambda row: (position[row[1]], row[2])
        )
        return Matrix(counts=counts, ids=[row[0] for row in placed if row[2] <= per_quadrant])

    def matrix_counts(self) -> dict[str, int]:
        """Cards per quadrant and unplaced ones: {Quadrant.*: n, "unplaced": n} (`matrix`'s one query)."""
        return self.matrix(0).counts

    def export_rows(self) -> QuerySet:
        """What the CSV export writes, every card in the queue's order, as dicts (EXPORT_FIELDS): the card,
        its place, the journey's owner, every figure, the score's values by criterion key and model
        version, and the titles of the non-dropped initiatives addressing it. One query whose figures are
        read from sets (level, delivery) hashed once, not per card; iterate it with `.iterator()`."""
        titles = (
            _live_links()
            .filter(card_id=OuterRef("pk"))
            .order_by("initiative__title", "initiative_id")
            .values("initiative__title")
        )
        rows = self.ranked
        if "confidence" not in rows.query.annotations:
            rows = rows.annotate(confidence=card_level_by_sets(cutoff=self.cutoff, links=self.links))
        if "evidence_count" not in rows.query.annotations:
            rows = rows.annotate(evidence_count=_evidence_count())
        return rows.annotate(
            delivery_rank=_delivery_rank_by_sets(), initiative_titles=ArraySubquery(titles)
        ).values(*EXPORT_FIELDS)


def _order_expressions(order) -> list:
    """A queryset's ordering ("-pk", F(...).desc()) as expressions for a window's ORDER BY."""
    out = []
    for item in order:
        if isinstance(item, str):
            name = item.removeprefix("-")
            out.append(F(name).desc() if item.startswith("-") else F(name).asc())
        else:
            out.append(item)
    return out


def _settings(workspace_id: int) -> tuple[int, bool]:
    """The workspace's recency window in months (research's setting, its default without one) and whether
    any of its scoring model versions uses confidence. One query."""
    months = ResearchSettings.objects.filter(workspace_id=OuterRef("pk")).values("recency_months")[:1]
    confident = ScoringModel.objects.filter(workspace_id=OuterRef("pk"), use_confidence=True)
    row = Workspace.objects.filter(pk=workspace_id).values_list(Subquery(months), Exists(confident)).first()
    if row is None:
        return DEFAULT_RECENCY_MONTHS, False
    return row[0] or DEFAULT_RECENCY_MONTHS, bool(row[1])


def queue(
    *,
    user,
    workspace_id: int,
    filters: Filters = Filters(),  # noqa: B008 - frozen: a shared default is safe
    scope: Scope | None = None,
    today: datetime.date | None = None,
) -> Queue:
    """The queue of `workspace_id` as `user` sees it, filtered and sorted by `filters` (see the module's
    docstring). `scope` (queue_scope) is read when the journey filter needs the sub-journey tree and none
    is given. Reads the workspace's recency setting and whether its models use confidence (one query) and
    the scope when needed (one); `ranked` is a lazy queryset: a count and a page of ids are one query
    each, and `rows` one more, whatever the number of cards."""
    months, uses_confidence = _settings(workspace_id)
    cutoff = months_before(today or timezone.localdate(), months)
    journeys = _journeys(user, workspace_id)
    links = EvidenceLink.objects.filter(journey__in=journeys)
    cards = Card.objects.filter(journey__in=journeys, lane__kind__in=SCORED_KINDS)
    f = filters
    if f.journey:
        if scope is None:
            scope = queue_scope(user=user, workspace_id=workspace_id)
        cards = cards.filter(journey_id__in=scope.subtree(f.journey))
    if f.stage:
        cards = cards.filter(step__stage__standard_stage=f.stage)
    if f.kind:
        cards = cards.filter(lane__kind=f.kind)
    if f.status:
        cards = cards.filter(_delivery_status(f.status))
    if f.owner:
        cards = cards.filter(journey__owner_id=f.owner)
    if f.tag:
        cards = cards.filter(journey__tags__contains=[f.tag])
    if f.confidence:
        cards = cards.filter(cards_at_level(f.confidence, cutoff=cutoff, links=links))
    if f.unscored:
        cards = cards.filter(score__composite__isnull=True)
    if f.stale:
        cards = cards.filter(score__model__is_current=False)
    if uses_confidence:  # the priority needs every card's level: from the level sets, hashed once each
        cards = cards.annotate(confidence=card_level_by_sets(cutoff=cutoff, links=links))
    ranked = cards.annotate(
        priority=_priority(F("confidence") if uses_confidence else None),
        opportunity=_opportunity(),
        quadrant=_quadrant(),
        stale=_stale(),
        updated=Greatest("updated_at", Coalesce("score__scored_at", "updated_at")),
    )
    if f.quadrant:
        ranked = ranked.filter(quadrant=f.quadrant)
    if f.sort == "evidence":
        # One grouped pass over the cards' links (a join), not a count per card.
        ranked = ranked.annotate(evidence_count=Count("evidence_links"))
    return Queue(
        ranked=ranked.order_by(*_order(f.sort)),
        scope=scope,
        filters=f,
        cutoff=cutoff,
        workspace_id=workspace_id,
        uses_confidence=uses_confidence,
        links=links,
    )


# ---------------------------------------------------------------------------------------------- a page


@dataclass(frozen=True)
class CriterionValue:
    """One criterion's value in a score, as the queue shows it."""

    key: str
    name: str
    value: int | None
    lower_is_better: bool


def page_details(cards: list[Card], *, user) -> None:
    """Sets on each card of a page what the queue shows beside its figures: `score_row` (its Score or
    None), `criteria` (CriterionValue of its score's model, in order; empty when unscored), `delivery_info`
    (selectors.DeliveryInfo, verdicts counted over metrics `user` can see) and `delivery_status`
    (NOT_PLANNED or a Status value). Two queries whatever the page's size (none for an empty page)."""
    model_ids = {card.score.model_id for card in cards if _score(card) is not None}
    criteria: dict[int, list[Criterion]] = {pk: [] for pk in model_ids}
    if model_ids:
        for criterion in Criterion.objects.filter(model_id__in=model_ids).order_by(
            "model_id", "position", "pk"
        ):
            criteria[criterion.model_id].append(criterion)
    delivery = delivery_for_cards([card.pk for card in cards], user=user)
    for card in cards:
        score = _score(card)
        card.score_row = score
        card.criteria = [
            CriterionValue(c.key, c.name, score.values.get(c.key), c.lower_is_better)
            for c in criteria.get(score.model_id, [])
            if c.weight > 0 or score.values.get(c.key) is not None
        ] if score is not None else []  # fmt: skip
        card.delivery_info = delivery.get(card.pk)
        card.delivery_status = RANK_STATUS.get(card.delivery_rank, NOT_PLANNED)


def criterion_keys(*, workspace_id: int) -> dict[int, list[str]]:
    """{model version id: its criterion keys in order} of the workspace's scoring models, for writing a
    score's values (a JSON object, whose keys PostgreSQL keeps in its own order) in the model's order. One
    query."""
    keys: dict[int, list[str]] = {}
    rows = Criterion.objects.filter(model__workspace_id=workspace_id).order_by("model_id", "position", "pk")
    for model_id, key in rows.values_list("model_id", "key"):
        keys.setdefault(model_id, []).append(key)
    return keys


def _score(card: Card):
    try:
        return card.score
    except Card.score.RelatedObjectDoesNotExist:
        return None


def kind_label(kind: str) -> str:
    return LaneKind(kind).label if kind in LaneKind.values else kind


def status_label(status: str) -> str:
    return dict(STATUSES).get(status, status)


def level_label(level: str) -> str:
    return dict(LEVELS).get(level, level)


__all__ = [
    "DEFAULT_SORT",
    "EXPORT_FIELDS",
    "KINDS",
    "LEVELS",
    "QUADRANTS",
    "Matrix",
    "SORTS",
    "STAGES",
    "STATUSES",
    "CriterionValue",
    "Filters",
    "JourneyChoice",
    "Queue",
    "Scope",
    "kind_label",
    "level_label",
    "page_details",
    "criterion_keys",
    "queue",
    "queue_scope",
    "status_label",
]
