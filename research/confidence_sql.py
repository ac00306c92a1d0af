"""The confidence rule of research/confidence.py, in SQL: a card's level as a database expression, so that
lists of many cards (the prioritization queue: 50,000 cards) can show, filter and count by it without
reading every link into Python.

The rule is research/confidence.py's (read it there); this module writes the same steps as aggregates over
a card's links, and tests/research/test_confidence_sql.py checks on varied data that both give every card
the same level:

- an item's weight: 1 when captured (its `captured_on`, else the local day it was entered) on or after
  the cutoff (`cutoff_for`: the workspace's recency window before today), else 0.5;
- per side (the links' stance): points = the sum of weights; sources = distinct studies plus standalone
  items; participants = distinct (study or standalone item, participant label without regard to case);
  methods = distinct methods of the studies; the side's tier 0–3 from those, as `Side.tier`;
- the level from the two tiers, as `level_for`.

A card has at most one link per evidence item (research's unique constraint), so each item counts once per
side without a DISTINCT on items.

One difference is known and harmless: Python compares participant labels with `str.casefold()`, SQL with
`lower()` after spelling out the few letters whose case folding is not their lower case in European
scripts (ß and ẞ → ss, final ς → σ, long ſ → s); labels that differ only in rarer folded letters (ligatures
such as ﬁ, Cherokee) would count as two participants here and one in Python. Participant labels are
pseudonyms such as "P07".
"""

import datetime

from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat, Lower, Replace, TruncDate
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone

from .confidence import (
    MODERATE_PARTICIPANTS,
    MODERATE_POINTS,
    MODERATE_SOURCES,
    OLD_WEIGHT,
    RECENT_WEIGHT,
    STRONG_METHODS,
    STRONG_PARTICIPANTS,
    STRONG_POINTS,
    STRONG_SOURCES,
    TIER_LEVEL,
    Level,
    months_before,
    recency_months_of,
)
from .models import EvidenceLink, Stance

__all__ = ["card_level", "cards_at_level", "cutoff_for", "level_rows"]

_WEIGHT = DecimalField(max_digits=12, decimal_places=1)
# Letters whose case folding (Python's str.casefold) is not their lower case, in the scripts participant
# labels are written in: lower() leaves these, so they are spelled out after it.
_FOLDS = (("ß", "ss"), ("ẞ", "ss"), ("ς", "σ"), ("ſ", "s"))


def cutoff_for(*, workspace_id: int, today: datetime.date | None = None) -> datetime.date:
    """The first day whose evidence counts as recent in this workspace (its recency window before
    `today`, the local date by default). One query: the workspace's research settings."""
    months = recency_months_of(workspace_id=workspace_id)
    return months_before(today or timezone.localdate(), months)


def _folded(expression):
    folded = Lower(expression, output_field=CharField())
    for letter, spelled in _FOLDS:
        folded = Replace(folded, Value(letter), Value(spelled), output_field=CharField())
    return folded


def _side(stance: str, cutoff: datetime.date) -> dict:
    """The aggregates of one side of a card's links, named `<stance>_items`, `_points`, `_sources`,
    `_participants` and `_methods` (expressions for `.annotate` on links grouped by card)."""
    side = Q(stance=stance)
    captured = Coalesce("evidence__captured_on", TruncDate("evidence__created_at"))
    weight = Case(
        When(GreaterThanOrEqual(captured, Value(cutoff)), then=Value(RECENT_WEIGHT)),
        default=Value(OLD_WEIGHT),
        output_field=_WEIGHT,
    )
    # A standalone item is its own source ("e<id>"); a study is one source however many items it has.
    text = CharField()
    source = Coalesce(
        Cast("evidence__study_id", text),
        Concat(Value("e"), Cast("evidence_id", text), output_field=text),
        output_field=text,
    )
    participant = Concat(source, Value("/"), _folded(F("evidence__participant")), output_field=text)
    return {
        f"{stance}_items": Count("pk", filter=side),
        f"{stance}_points": Coalesce(Sum(weight, filter=side), Value(0), output_field=_WEIGHT),
        f"{stance}_sources": Count(source, distinct=True, filter=side),
        f"{stance}_participants": Count(
            participant, distinct=True, filter=side & ~Q(evidence__participant="")
        ),
        f"{stance}_methods": Count("evidence__study__method", distinct=True, filter=side),
    }


def _tier(stance: str) -> Case:
    """A side's tier (0–3) from its aggregates, as confidence.Side.tier."""

    def at_least(what: str, n) -> Q:
        return Q(**{f"{stance}_{what}__gte": n})

    strong = (
        at_least("points", STRONG_POINTS)
        & at_least("sources", STRONG_SOURCES)
        & (at_least("methods", STRONG_METHODS) | at_least("participants", STRONG_PARTICIPANTS))
    )
    moderate = at_least("points", MODERATE_POINTS) & (
        at_least("sources", MODERATE_SOURCES) | at_least("participants", MODERATE_PARTICIPANTS)
    )
    return Case(
        When(Q(**{f"{stance}_items": 0}), then=Value(0)),
        When(strong, then=Value(3)),
        When(moderate, then=Value(2)),
        When(Q(**{f"{stance}_points__gt": 0}), then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )


def _level() -> Case:
    """The level from the `support_tier` and `contra_tier` annotations, as confidence.level_for."""
    contested = Q(contra_tier__gte=1) & (Q(contra_tier__gte=F("support_tier")) | Q(contra_tier__gte=2))
    return Case(
        When(support_tier=0, then=Value(Level.ASSUMPTION.value)),
        When(contested, then=Value(Level.CONTESTED.value)),
        *(
            When(support_tier=F("contra_tier") + tier, then=Value(level.value))
            for tier, level in TIER_LEVEL.items()
        ),
        default=Value(Level.ASSUMPTION.value),  # not reached: S − C is 1–3 when not contested
        output_field=CharField(),
    )


def level_rows(links, *, cutoff: datetime.date):
    """`links` (EvidenceLink rows; those to steps and stages are left out) grouped by card:
    `.values("card_id", "level")`, one row per card that has any (a card without links is an assumption and
    has no row). `.filter(level=…)` keeps one level (a HAVING clause)."""
    return (
        links.filter(card__isnull=False)
        .order_by()
        .values("card_id")
        .annotate(**_side(Stance.SUPPORTS, cutoff), **_side(Stance.CONTRADICTS, cutoff))
        .annotate(support_tier=_tier(Stance.SUPPORTS), contra_tier=_tier(Stance.CONTRADICTS))
        .annotate(level=_level())
        .values("card_id", "level")
    )


def card_level(*, cutoff: datetime.date, card=None):
    """A card's level as an expression for `.annotate(confidence=card_level(cutoff=…))` on cards (`card`:
    the card's id, OuterRef("pk") by default). A correlated subquery: PostgreSQL computes it for the rows
    a page returns, after its sort and limit, unless the query sorts or filters by it."""
    card = OuterRef("pk") if card is None else card
    rows = level_rows(EvidenceLink.objects.filter(card_id=card), cutoff=cutoff)
    return Coalesce(
        Subquery(rows.values("level")[:1]), Value(Level.ASSUMPTION.value), output_field=CharField()
    )


def cards_at_level(level: str, *, cutoff: datetime.date, links=None) -> Q:
    """A filter on cards (`Card.objects.filter(cards_at_level(…))`) keeping those at `level`, in a form
    that scales to many cards: one grouped pass over `links` (default: every card link; narrow it, e.g. to
    a workspace's journeys) joined to the cards, rather than a subquery per card."""
    links = EvidenceLink.objects.all() if links is None else links
    rows = level_rows(links, cutoff=cutoff)
    if level == Level.ASSUMPTION:
        return ~Q(pk__in=rows.exclude(level=Level.ASSUMPTION).values("card_id"))
    return Q(pk__in=rows.filter(level=level).values("card_id"))
