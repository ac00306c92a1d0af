"""Reads of prioritization that pages, the API, the map overlay and the queue share.

A card's delivery status comes from the initiatives that address it: the most advanced one that is not
dropped (proposed < planned < in progress < shipped < measured), else "not planned". `delivery_for_cards`
reads it for any number of cards in one query; `delivery_rank` is the same rule as an SQL expression for a
Card queryset (the queue filters and sorts by it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Case, Count, IntegerField, Max, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce

from .models import InitiativeCard, InitiativeTarget, Status, Verdict

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
    met: int = 0  # targets whose recorded verdict is "met" (filled when the initiative is measured)
    not_met: int = 0

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


def delivery_for_cards(card_ids) -> dict[int, DeliveryInfo]:
    """{card id: DeliveryInfo} for every id given (NOT_PLANNED when nothing addresses it), in one query
    (verdict counts are subqueries of it) whatever the number of cards and initiatives; none for no ids.
    The caller shows these cards to a reader who may see them; initiatives are the workspace's, readable by
    every member."""
    ids = list(dict.fromkeys(card_ids))
    if not ids:
        return {}
    rows = list(
        InitiativeCard.objects.filter(card_id__in=ids)
        .order_by()
        .annotate(met=_verdicts(Verdict.MET), not_met=_verdicts(Verdict.NOT_MET))
        .values_list(
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


def _verdicts(verdict: str):
    counted = (
        InitiativeTarget.objects.filter(initiative_id=OuterRef("initiative_id"), verdict=verdict)
        .order_by()
        .values("initiative_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted[:1], output_field=IntegerField()), Value(0))
