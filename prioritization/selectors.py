"""Reads of prioritization that pages, the API, the map overlay and the queue share.

A card's delivery status comes from the initiatives that address it: the most advanced one that is not
dropped (proposed < planned < in progress < shipped < measured), else "not planned". `delivery_for_cards`
reads it for any number of cards in one query; `delivery_rank` is the same rule as an SQL expression for a
Card queryset (the queue filters and sorts by it).

Scores (below): a card's score with its version and the current model (`card_score`), its history with old
→ new per criterion (`score_history`), the model's versions with what changed (`model_versions`), every
pain point's and opportunity's score on a journey (`journey_card_scores`) and the map's Priority view
(`card_priorities`), each in a constant number of queries.

Initiatives (at the end): the list and the board with counts, an initiative's page (`initiative_detail`),
cards to link and metrics to target; cards and target metrics of journeys the reader cannot see are never
shown nor counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber

from journeys.models import Card, LaneKind
from metrics.models import Metric
from research.confidence import level_of, map_confidence
from research.confidence_sql import card_level, cutoff_for

from . import access, outcomes, scoring
from .models import (
    DeliveryLink,
    Initiative,
    InitiativeCard,
    InitiativeTarget,
    Score,
    ScoreRevision,
    ScoringModel,
    Status,
    StatusChange,
    Verdict,
)

NOT_PLANNED = "not_planned"
NOT_PLANNED_LABEL = "Not planned"

# How far delivery has come, by initiative status; dropped initiatives count for nothing.
DELIVERY_ORDER = {
    Status.PROPOSED: 1,
    Status.PLANNED: 2,
    Status.IN_PROGRESS: 3,
    Status.SHIPPED: 4,
    Status.MEASURED: 5,
}
RANK_STATUS = {rank: status for status, rank in DELIVERY_ORDER.items()}
DELIVERY_STATUSES = [(NOT_PLANNED, NOT_PLANNED_LABEL)] + [
    (s.value, s.label) for s in sorted(DELIVERY_ORDER, key=DELIVERY_ORDER.get)
]
ADDRESSED = (Status.SHIPPED, Status.MEASURED)  # the card shows "addressed by …, shipped on …"


@dataclass(frozen=True)
class InitiativeBrief:
    """An initiative as a card sees it."""

    id: int
    title: str
    status: str
    shipped_date: date | None
    # Targets whose recorded verdict is "met" / "not met" (recorded when the initiative is measured), counted
    # over the metrics the reader can see; None when delivery_for_cards was not given a reader.
    met: int | None = None
    not_met: int | None = None

    @property
    def outcome(self) -> str:
        """ "2 of 3 targets met" once measured (targets with a verdict), else ""."""
        if self.status != Status.MEASURED or self.met is None or not (self.met + self.not_met):
            return ""
        judged = self.met + self.not_met
        return f"{self.met} of {judged} target{'s' if judged != 1 else ''} met"

    @property
    def status_label(self) -> str:
        return Status(self.status).label


@dataclass(frozen=True)
class DeliveryInfo:
    """A card's delivery: `status` is the most advanced non-dropped initiative's status or NOT_PLANNED;
    `initiatives` every initiative linking the card (dropped ones too), most advanced first; `shipped_date`
    the lead initiative's ship date (None until one ships)."""

    status: str = NOT_PLANNED
    initiatives: tuple[InitiativeBrief, ...] = field(default_factory=tuple)
    shipped_date: date | None = None

    @property
    def status_label(self) -> str:
        return NOT_PLANNED_LABEL if self.status == NOT_PLANNED else Status(self.status).label

    @property
    def lead(self) -> InitiativeBrief | None:
        """The initiative that gives the status (None when not planned)."""
        if self.status == NOT_PLANNED:
            return None
        return self.initiatives[0]

    @property
    def addressed(self) -> bool:
        """Whether a shipped (or measured) initiative addresses the card."""
        return self.status in ADDRESSED


def _rank_case(prefix: str = "") -> Case:
    return Case(
        *(When(**{f"{prefix}status": status}, then=Value(rank)) for status, rank in DELIVERY_ORDER.items()),
        default=Value(0),
        output_field=IntegerField(),
    )


def delivery_rank(outer: str = "pk"):
    """An expression for a Card queryset: 0 when not planned, else DELIVERY_ORDER of the most advanced
    non-dropped initiative addressing the card (`outer` names the card id on the outer query).
    `RANK_STATUS` turns a rank back into a status."""
    best = (
        InitiativeCard.objects.filter(card_id=OuterRef(outer))
        .exclude(initiative__status=Status.DROPPED)
        .order_by()
        .values("card_id")
        .annotate(rank=Max(_rank_case("initiative__")))
        .values("rank")
    )
    return Coalesce(Subquery(best[:1], output_field=IntegerField()), Value(0))


def delivery_rank_filter(statuses) -> Q:
    """A filter for a Card queryset annotated with `delivery_rank` as `delivery_rank`: the cards whose
    delivery status is one of `statuses` (NOT_PLANNED or Status values)."""
    ranks = [0 if s == NOT_PLANNED else DELIVERY_ORDER[Status(s)] for s in statuses]
    return Q(delivery_rank__in=ranks)


def delivery_for_cards(card_ids, *, user=None) -> dict[int, DeliveryInfo]:
    """{card id: DeliveryInfo} for every id given (NOT_PLANNED when nothing addresses it), in one query
    (verdict counts are subqueries of it) whatever the number of cards and initiatives; none for no ids.
    The caller shows these cards to a reader who may see them; initiatives are the workspace's, readable by
    every member. With `user`, each initiative's measured verdicts are counted (`met`, `not_met`) over the
    target metrics of journeys that reader can see (a hidden metric is never counted); without, they are
    None."""
    ids = list(dict.fromkeys(card_ids))
    if not ids:
        return {}
    qs = InitiativeCard.objects.filter(card_id__in=ids).order_by()
    if user is not None:
        qs = qs.annotate(met=_verdicts(Verdict.MET, user), not_met=_verdicts(Verdict.NOT_MET, user))
    else:
        qs = qs.annotate(met=Value(None, IntegerField()), not_met=Value(None, IntegerField()))
    rows = list(
        qs.values_list(
            "card_id",
            "initiative_id",
            "initiative__title",
            "initiative__status",
            "initiative__shipped_date",
            "met",
            "not_met",
        )
    )
    per_card: dict[int, list[InitiativeBrief]] = {}
    for card_id, initiative_id, title, status, shipped, met, not_met in rows:
        per_card.setdefault(card_id, []).append(
            InitiativeBrief(initiative_id, title, status, shipped, met, not_met)
        )
    result = {}
    for card_id in ids:
        briefs = per_card.get(card_id)
        if not briefs:
            result[card_id] = DeliveryInfo()
            continue
        briefs.sort(key=lambda b: (-DELIVERY_ORDER.get(b.status, 0), b.shipped_date or date.max, b.id))
        lead = briefs[0]
        status = lead.status if lead.status in DELIVERY_ORDER else NOT_PLANNED
        result[card_id] = DeliveryInfo(
            status=status,
            initiatives=tuple(briefs),
            shipped_date=lead.shipped_date if status in ADDRESSED else None,
        )
    return result


def _verdicts(verdict: str, user):
    counted = (
        InitiativeTarget.objects.filter(
            initiative_id=OuterRef("initiative_id"),
            verdict=verdict,
            metric__journey_id__in=access.visible_journeys(user).values("pk"),
        )
        .order_by()
        .values("initiative_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted[:1], output_field=IntegerField()), Value(0))


# ---------------------------------------------------------------------------------------------- scores
# A card's score, its history (old → new per criterion), the scoring model's versions with what changed, a
# journey's card scores and the map's Priority view. The figures' rule: prioritization/scoring.py.

SCORED_KINDS = (LaneKind.PAIN_POINTS, LaneKind.OPPORTUNITIES)
HISTORY_PAGE = 50  # revisions a history page shows


@dataclass
class CardScore:
    """A card's score as pages, the API and a 409 show it: the card, its score (None when unscored, its
    model's criteria prefetched), the score's version (its number of changes: 0 for a card never scored)
    and the workspace's current model (criteria prefetched)."""

    card: Card
    score: Score | None
    version: int
    current_model: ScoringModel

    @property
    def stale(self) -> bool:
        """Scored under a model version that is no longer current: the score asks to be re-scored."""
        return self.score is not None and self.score.model_id != self.current_model.pk

    @property
    def model(self) -> ScoringModel:
        """The model the score was made under, or the current one for an unscored card."""
        return self.score.model if self.score is not None else self.current_model


def current_model(*, workspace_id: int) -> ScoringModel | None:
    """The workspace's current scoring model with its criteria, or None before its first use (pages and the
    API make version 1 then: services.scoring_model_ensure_default). Two queries."""
    return (
        ScoringModel.objects.filter(workspace_id=workspace_id, is_current=True)
        .select_related("created_by")
        .prefetch_related("criteria")
        .first()
    )


def card_score(*, card: Card, current_model: ScoringModel) -> CardScore:
    """The card's score with its model, criteria, scorer and satisfaction metric (two queries), and the
    number of its revisions when it is unscored (one more). The caller checked the reader sees the card."""
    score = (
        Score.objects.filter(card_id=card.pk)
        .select_related("model", "scored_by", "satisfaction_metric")
        .prefetch_related("model__criteria")
        .first()
    )
    version = score.version if score is not None else ScoreRevision.objects.filter(card_id=card.pk).count()
    return CardScore(card=card, score=score, version=version, current_model=current_model)


# ---------------------------------------------------------------------------------------------- history


@dataclass(frozen=True)
class CriterionChange:
    """One criterion's value before and after a change, with the meanings of both values and the
    rationale given with the new one."""

    key: str
    name: str
    old: int | None
    new: int | None
    old_meaning: str
    new_meaning: str
    rationale: str
    old_rationale: str


@dataclass
class HistoryEntry:
    """One change of a card's score: the revision (who, when, model version), and old → new per criterion
    (only those that changed, or every criterion when the model version changed), of the composite, the
    importance and the satisfaction."""

    revision: ScoreRevision
    previous: ScoreRevision | None
    changes: list[CriterionChange]

    @property
    def model_changed(self) -> bool:
        return self.previous is not None and self.previous.model_id != self.revision.model_id

    @property
    def cleared(self) -> bool:
        return self.revision.cleared

    @property
    def old_composite(self):
        return self.previous.composite if self.previous is not None else None

    @property
    def old_importance(self):
        return self.previous.importance if self.previous is not None else None

    @property
    def old_satisfaction(self):
        return self.previous.satisfaction if self.previous is not None else None


def _meaning(criterion, value) -> str:
    if criterion is None or value is None:
        return ""
    meanings = criterion.meanings or []
    return meanings[value - 1] if 1 <= value <= len(meanings) else ""


def _entry(revision: ScoreRevision, previous: ScoreRevision | None) -> HistoryEntry:
    criteria = list(revision.model.criteria.all())
    before_values = previous.values if previous is not None and not previous.cleared else {}
    before_rationales = previous.rationales if previous is not None and not previous.cleared else {}
    before_criteria = {c.key: c for c in previous.model.criteria.all()} if previous is not None else {}
    model_changed = previous is not None and previous.model_id != revision.model_id
    changes = []
    keys = [c.key for c in criteria]
    keys += [key for key in before_criteria if key not in keys and key in before_values]
    by_key = {c.key: c for c in criteria}
    for key in keys:
        criterion, old_criterion = by_key.get(key), before_criteria.get(key)
        old, new = before_values.get(key), revision.values.get(key)
        rationale, old_rationale = revision.rationales.get(key, ""), before_rationales.get(key, "")
        if old == new and rationale == old_rationale and not model_changed:
            continue
        if revision.cleared and old is None:
            continue
        changes.append(
            CriterionChange(
                key=key,
                name=(criterion or old_criterion).name,
                old=old,
                new=new,
                old_meaning=_meaning(old_criterion, old),
                new_meaning=_meaning(criterion, new),
                rationale=rationale,
                old_rationale=old_rationale,
            )
        )
    return HistoryEntry(revision=revision, previous=previous, changes=changes)


@dataclass
class History:
    """A page of a card's score history, newest first; `older` is the revision id to ask for the next page
    with (`before=`), None on the last page."""

    entries: list[HistoryEntry]
    older: int | None


def history_entries(revisions: list, predecessor: ScoreRevision | None = None) -> list[HistoryEntry]:
    """History entries of `revisions` (newest first, with their model's criteria prefetched); each compares
    with the next one, the last with `predecessor` (the revision before it, or None for a first score)."""
    return [
        _entry(revision, revisions[index + 1] if index + 1 < len(revisions) else predecessor)
        for index, revision in enumerate(revisions)
    ]


def revisions_of(card_id: int):
    """A card's revisions, newest first, with scorer, model and its criteria (for history_entries)."""
    return (
        ScoreRevision.objects.filter(card_id=card_id)
        .select_related("by", "model")
        .prefetch_related("model__criteria")
        .order_by("-pk")
    )


def score_history(*, card_id: int, before: int | None = None, limit: int = HISTORY_PAGE) -> History:
    """A page of `limit` changes of the card's score, newest first, each with old → new per criterion (its
    rationale, the meanings of both values) and its model version, before revision `before` (its id) when
    given. Two queries whatever the length of the history: the revisions with their scorer and model (one
    more than the page, the oldest shown's predecessor) and the criteria of their models."""
    rows = revisions_of(card_id)
    if before is not None:
        rows = rows.filter(pk__lt=before)
    revisions = list(rows[: limit + 1])
    shown = revisions[:limit]
    predecessor = revisions[limit] if len(revisions) > limit else None
    return History(entries=history_entries(shown, predecessor), older=shown[-1].pk if predecessor else None)


# ---------------------------------------------------------------------------------------------- versions


@dataclass
class Version:
    """A version of the scoring model with its criteria, how many scores were made under it and are still
    current cards' scores, and what changed from the version before (in words)."""

    model: ScoringModel
    criteria: list
    score_count: int
    changes: list[str]


def model_changes(old: ScoringModel | None, new: ScoringModel) -> list[str]:
    """What changed from version `old` to `new`, one line each ("Added “Reach” (weight 2)", "“Effort”:
    weight 2 → 3", "Evidence confidence now scales the composite"); criteria are told apart by key.
    Reads the criteria both have prefetched."""
    if old is None:
        return ["The first version."]
    before = {c.key: c for c in old.criteria.all()}
    after = {c.key: c for c in new.criteria.all()}
    lines = []
    for key, c in after.items():
        if key not in before:
            direction = ", lower is better" if c.lower_is_better else ""
            lines.append(f"Added “{c.name}” (weight {c.weight}{direction}).")
            continue
        b = before[key]
        if b.name != c.name:
            lines.append(f"Renamed “{b.name}” to “{c.name}”.")
        if b.weight != c.weight:
            lines.append(f"“{c.name}”: weight {b.weight} → {c.weight}.")
        if b.lower_is_better != c.lower_is_better:
            lines.append(f"“{c.name}”: now {'lower' if c.lower_is_better else 'higher'} is better.")
        changed = [str(i) for i, (x, y) in enumerate(zip(b.meanings, c.meanings, strict=False), 1) if x != y]
        if changed:
            lines.append(
                f"“{c.name}”: the meaning of {', '.join(changed)} changed."
                if len(changed) < len(c.meanings)
                else f"“{c.name}”: every meaning changed."
            )
        if b.description != c.description:
            lines.append(f"“{c.name}”: description changed.")
    for key, b in before.items():
        if key not in after:
            lines.append(f"Removed “{b.name}”.")
    common = [k for k in after if k in before]
    if [k for k in before if k in after] != common:
        lines.append("Criteria reordered.")
    if old.use_confidence != new.use_confidence:
        lines.append(
            "Evidence confidence now scales the composite."
            if new.use_confidence
            else "Evidence confidence no longer scales the composite."
        )
    return lines


def model_versions(*, workspace_id: int) -> list[Version]:
    """Every version of the workspace's scoring model, newest first, with criteria, the number of current
    card scores made under it, and what changed from the version before. Two queries, whatever the number
    of versions and criteria."""
    models = list(
        ScoringModel.objects.filter(workspace_id=workspace_id)
        .select_related("created_by")
        .prefetch_related("criteria")
        .annotate(score_count=Count("scores"))
        .order_by("-number")
    )
    return [
        Version(
            model=m,
            criteria=list(m.criteria.all()),
            score_count=m.score_count,
            changes=model_changes(models[i + 1] if i + 1 < len(models) else None, m),
        )
        for i, m in enumerate(models)
    ]


# ---------------------------------------------------------------------------------------------- a journey


def journey_card_scores(*, journey_id: int, current_model: ScoringModel) -> list[CardScore]:
    """The CardScore of every pain-point and opportunity card of a journey in map order (stage, step, lane,
    position; each card with its lane and step). Two queries whatever the size of the map: the cards with
    their scores, models and numbers of changes, and the criteria of those models."""
    changes = (
        ScoreRevision.objects.filter(card_id=OuterRef("pk"))
        .order_by()
        .values("card_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    cards = list(
        Card.objects.filter(journey_id=journey_id, lane__kind__in=SCORED_KINDS)
        .select_related("lane", "step", "score__model", "score__scored_by")
        .prefetch_related("score__model__criteria")
        .annotate(score_changes=Coalesce(Subquery(changes[:1], output_field=IntegerField()), Value(0)))
        .order_by("step__stage__position", "step__position", "lane__position", "position", "pk")
    )
    return [
        CardScore(card=card, score=_score_of(card), version=card.score_changes, current_model=current_model)
        for card in cards
    ]


def _score_of(card: Card) -> Score | None:
    try:
        return card.score
    except Score.DoesNotExist:
        return None


# ---------------------------------------------------------------------------------------------- the map


@dataclass(frozen=True)
class CardPriority:
    """What the map's Priority view shows of one pain-point or opportunity card (see scoring.py): the
    composite, the priority (times the confidence factor when its model uses confidence), its band, the
    model version it was scored under and whether that is stale. Unscored: every figure None."""

    card_id: int
    kind: str
    composite: Decimal | None = None
    priority: Decimal | None = None
    scored: bool = False
    model_number: int | None = None
    stale: bool = False
    use_confidence: bool = False
    level: str | None = None


def card_priorities(*, journey_id: int, card_ids=None) -> dict[int, CardPriority]:
    """{card id: CardPriority} for the pain-point and opportunity cards of a journey (among `card_ids` when
    given; other cards are left out). One query, plus research's three of map_confidence only when a
    score's model uses confidence, whatever the number of cards."""
    cards = Card.objects.filter(journey_id=journey_id, lane__kind__in=SCORED_KINDS)
    if card_ids is not None:
        cards = cards.filter(pk__in=list(card_ids))
    rows = list(
        cards.order_by().values_list(
            "pk",
            "lane__kind",
            "score__pk",
            "score__composite",
            "score__model__number",
            "score__model__is_current",
            "score__model__use_confidence",
        )
    )
    levels = {}
    if any(row[6] for row in rows):
        confidence = map_confidence(journey_id=journey_id)
        levels = {pk: level_of(confidence.cards, pk) for pk, *_ in rows}
    out = {}
    for pk, kind, score_pk, composite, number, is_current, use_confidence in rows:
        if score_pk is None:
            out[pk] = CardPriority(card_id=pk, kind=kind)
            continue
        level = levels.get(pk)
        out[pk] = CardPriority(
            card_id=pk,
            kind=kind,
            composite=composite,
            priority=scoring.priority(composite, use_confidence=bool(use_confidence), level=level),
            scored=True,
            model_number=number,
            stale=not is_current,
            use_confidence=bool(use_confidence),
            level=level,
        )
    return out


# ---------------------------------------------------------------------------------------------- initiatives
# The initiative list and board, an initiative's page (its cards with score and confidence, its targets with
# their outcome, history, delivery links), cards to link and metrics to target. Cards and target metrics of
# journeys the reader cannot see are neither shown nor counted: an initiative never reveals a restricted
# journey.

LINKABLE_KINDS = (LaneKind.PAIN_POINTS, LaneKind.OPPORTUNITIES)
BOARD_COLUMN_MAX = 50  # initiatives a board column shows (the list pages through all)
CARD_SEARCH_MAX = 20
BOARD_ORDER = [
    Status.PROPOSED,
    Status.PLANNED,
    Status.IN_PROGRESS,
    Status.SHIPPED,
    Status.MEASURED,
    Status.DROPPED,
]


def _visible_journey_ids(user):
    return access.visible_journeys(user).values("pk")


def _counted(queryset):
    counted = queryset.order_by().values("initiative_id").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted[:1], output_field=IntegerField()), Value(0))


def with_counts(queryset, user):
    """Initiatives with `card_count` and `target_count`: their cards and target metrics on journeys the
    reader can see (two correlated subqueries), their owner and delivery links (one prefetch query)."""
    visible = _visible_journey_ids(user)
    cards = InitiativeCard.objects.filter(initiative_id=OuterRef("pk"), card__journey_id__in=visible)
    targets = InitiativeTarget.objects.filter(initiative_id=OuterRef("pk"), metric__journey_id__in=visible)
    return (
        queryset.select_related("owner")
        .prefetch_related(
            Prefetch("delivery_links", queryset=DeliveryLink.objects.order_by("provider", "key"))
        )
        .annotate(card_count=_counted(cards), target_count=_counted(targets))
    )


def initiative_list(
    *, workspace_id: int, user, status: str | None = None, owner: int | None = None, q: str = ""
):
    """The workspace's initiatives, most recently changed first, with counts (see `with_counts`). Filters: a
    status, an owner (user id), words of the title."""
    qs = Initiative.objects.filter(workspace_id=workspace_id)
    if status:
        qs = qs.filter(status=status)
    if owner:
        qs = qs.filter(owner_id=owner)
    for word in (q or "").split()[:8]:
        qs = qs.filter(title__icontains=word)
    return with_counts(qs, user).order_by("-updated_at", "-pk")


@dataclass
class Column:
    status: str
    label: str
    items: list = field(default_factory=list)
    total: int = 0

    @property
    def more(self) -> int:
        return self.total - len(self.items)


def initiative_board(*, workspace_id: int, user) -> list[Column]:
    """The board: a column per status in lifecycle order (dropped last), each with its most recently
    changed initiatives (at most BOARD_COLUMN_MAX, with counts) and how many it has. Three queries (counts
    per status, the initiatives, their delivery links) whatever the number of initiatives."""
    totals = dict(
        Initiative.objects.filter(workspace_id=workspace_id)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    ranked = Initiative.objects.filter(workspace_id=workspace_id).annotate(
        board_rank=Window(RowNumber(), partition_by=["status"], order_by=["-updated_at", "-pk"])
    )
    items = list(
        with_counts(ranked, user).filter(board_rank__lte=BOARD_COLUMN_MAX).order_by("-updated_at", "-pk")
    )
    columns = {s: Column(s.value, s.label, total=totals.get(s.value, 0)) for s in BOARD_ORDER}
    for item in items:
        columns[Status(item.status)].items.append(item)
    return list(columns.values())


@dataclass
class LinkedCard:
    """A card an initiative addresses, as its page shows it."""

    card: Card
    added_at: object
    composite: object = None  # the card's score (0–100) or None when unscored
    scored: bool = False
    confidence: str = "assumption"


@dataclass
class InitiativeDetail:
    initiative: Initiative
    cards: list[LinkedCard]
    targets: list[InitiativeTarget]
    outcomes: list[outcomes.Outcome]
    history: list[StatusChange]
    links: list[DeliveryLink]


def linked_cards(*, initiative: Initiative, user) -> list[LinkedCard]:
    """The cards the initiative addresses on journeys the reader can see, by journey and map order, with
    their journey, lane, step, score and research confidence level. One query."""
    cutoff = cutoff_for(workspace_id=initiative.workspace_id)
    rows = (
        InitiativeCard.objects.filter(initiative=initiative, card__journey_id__in=_visible_journey_ids(user))
        .select_related("card__journey", "card__lane", "card__step__stage", "card__score")
        .annotate(confidence=card_level(cutoff=cutoff, card=OuterRef("card_id")))
        .order_by(
            "card__journey__title",
            "card__journey_id",
            "card__step__stage__position",
            "card__step__position",
            "card__lane__position",
            "card__position",
        )
    )
    out = []
    for row in rows:
        card = row.card
        score = getattr(card, "score", None)
        out.append(
            LinkedCard(
                card=card,
                added_at=row.added_at,
                composite=score.composite if score is not None else None,
                scored=score is not None,
                confidence=row.confidence,
            )
        )
    return out


def visible_targets(*, initiative: Initiative, user) -> list[InitiativeTarget]:
    """The initiative's targets whose metric is on a journey the reader can see, with the metric, its
    journey, stage and step. One query."""
    return list(
        InitiativeTarget.objects.filter(
            initiative=initiative, metric__journey_id__in=_visible_journey_ids(user)
        )
        .select_related("metric__journey", "metric__stage", "metric__step")
        .order_by("pk")
    )


def status_history(*, initiative: Initiative) -> list[StatusChange]:
    """Every status change, oldest first, with who made it. One query."""
    return list(StatusChange.objects.filter(initiative=initiative).select_related("by").order_by("at", "pk"))


def initiative_detail(*, initiative: Initiative, user) -> InitiativeDetail:
    """What an initiative's page shows (the caller checked access): its visible cards with scores and
    confidence, visible targets with their outcome (live; the recorded verdict too once measured), the
    status history and delivery links. Seven queries whatever the numbers (owner, research settings, cards,
    targets, measurements, history, links)."""
    found = Initiative.objects.select_related("owner", "created_by").get(pk=initiative.pk)
    found.role = getattr(initiative, "role", None)
    targets = visible_targets(initiative=found, user=user)
    return InitiativeDetail(
        initiative=found,
        cards=linked_cards(initiative=found, user=user),
        targets=targets,
        outcomes=outcomes.outcomes_for(found, targets),
        history=status_history(initiative=found),
        links=list(found.delivery_links.order_by("provider", "key")),
    )


def linkable_cards(*, initiative: Initiative, user, q: str = "", limit: int = CARD_SEARCH_MAX) -> list[Card]:
    """Pain points and opportunities of the workspace's journeys the reader can see, not yet addressed by the
    initiative, whose text has every word of `q` (all of them when empty), by journey and map order, at
    most `limit`. One query."""
    qs = Card.objects.filter(
        journey__workspace_id=initiative.workspace_id,
        journey_id__in=_visible_journey_ids(user),
        lane__kind__in=LINKABLE_KINDS,
        journey__archived=False,
    ).exclude(initiative_links__initiative=initiative)
    for word in (q or "").split()[:8]:
        qs = qs.filter(text__icontains=word)
    return list(
        qs.select_related("journey", "lane", "step").order_by(
            "journey__title",
            "journey_id",
            "step__stage__position",
            "step__position",
            "lane__position",
            "position",
        )[:limit]
    )


def metric_choices(*, workspace_id: int, user, exclude=()) -> list[Metric]:
    """Metrics of the workspace's journeys the reader can see (a target's choice), by journey then name.
    One query."""
    return list(
        Metric.objects.filter(journey__workspace_id=workspace_id, journey_id__in=_visible_journey_ids(user))
        .exclude(pk__in=list(exclude))
        .select_related("journey", "stage", "step")
        .order_by("journey__title", "journey_id", "name", "pk")
    )
