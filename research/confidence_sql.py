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

__all__ = ["card_level", "card_level_by_sets", "cards_at_level", "cutoff_for", "level_rows"]

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


def _tier_sql(stance: str) -> str:
    """A side's tier (0–3) from its aggregate columns in the derived table `agg`, as confidence.Side.tier."""

    def col(what: str) -> str:
        return f'agg."{stance}_{what}"'

    strong = (
        f"{col('points')} >= {STRONG_POINTS} AND {col('sources')} >= {STRONG_SOURCES} AND "
        f"({col('methods')} >= {STRONG_METHODS} OR {col('participants')} >= {STRONG_PARTICIPANTS})"
    )
    moderate = (
        f"{col('points')} >= {MODERATE_POINTS} AND "
        f"({col('sources')} >= {MODERATE_SOURCES} OR {col('participants')} >= {MODERATE_PARTICIPANTS})"
    )
    return (
        f"CASE WHEN {col('items')} = 0 THEN 0 WHEN {strong} THEN 3 WHEN {moderate} THEN 2 "
        f"WHEN {col('points')} > 0 THEN 1 ELSE 0 END"
    )


def _level_sql() -> str:
    """The level from the tiers `s` (supporting) and `c` (contradicting) of the derived table `tiers`, as
    confidence.level_for."""
    by_difference = " ".join(
        f"WHEN tiers.s - tiers.c = {tier} THEN '{level.value}'" for tier, level in TIER_LEVEL.items()
    )
    return (
        f"CASE WHEN tiers.s = 0 THEN '{Level.ASSUMPTION.value}' "
        f"WHEN tiers.c >= 1 AND (tiers.c >= tiers.s OR tiers.c >= 2) THEN '{Level.CONTESTED.value}' "
        f"{by_difference} ELSE '{Level.ASSUMPTION.value}' END"
    )


# The aggregates of a card's links (`_aggregates`), then each side's tier, then the level: each step reads
# the one before from a derived table, so every aggregate is written (and computed) once. Written in the
# ORM, the tiers and the level repeat each aggregate wherever they use it (Django inlines annotations): the
# SQL of one card's level was 20,870 characters and took ~390 ms to build on a loaded machine; this form is
# ~2,000 characters and builds in milliseconds. Only constants of the rule go into this SQL text.
_TIERS = (
    f'SELECT agg."card_id", {_tier_sql(Stance.SUPPORTS)} AS s, {_tier_sql(Stance.CONTRADICTS)} AS c '  # noqa: S608
    "FROM (%(subquery)s) AS agg"
)
_LEVEL = _level_sql()


def _aggregates(links, cutoff: datetime.date):
    """`links` (EvidenceLink rows; those to steps and stages are left out) grouped by card, with each
    side's aggregates (`_side`)."""
    return (
        links.filter(card__isnull=False)
        .order_by()
        .values("card_id")
        .annotate(**_side(Stance.SUPPORTS, cutoff), **_side(Stance.CONTRADICTS, cutoff))
    )


class _CardLevel(Subquery):
    """The level of the card the aggregated links belong to (None when it has none)."""

    template = f"(SELECT {_LEVEL} FROM ({_TIERS}) AS tiers)"  # noqa: S608 - the rule's constants only
    output_field = CharField()


class _CardsAtLevel(Subquery):
    """The ids of the cards whose aggregated links give them `level` (one of Level's values)."""

    def __init__(self, queryset, *, level: str, negate: bool = False):
        level = Level(level).value  # a known value only: it is written into the SQL
        test = "<>" if negate else "="
        self.template = (
            f"(SELECT tiers.\"card_id\" FROM ({_TIERS}) AS tiers WHERE ({_LEVEL}) {test} '{level}')"  # noqa: S608
        )
        super().__init__(queryset, output_field=IntegerField())


def level_rows(links, *, cutoff: datetime.date, level: str, negate: bool = False) -> Subquery:
    """The ids of the cards among `links`' cards (EvidenceLink rows to cards) that the rule puts at `level`
    (or, with `negate`, at any other level) — for `pk__in=`. One grouped pass over the links; a card
    without links is an assumption and has no row."""
    return _CardsAtLevel(_aggregates(links, cutoff), level=level, negate=negate)


def card_level(*, cutoff: datetime.date, card=None):
    """A card's level as an expression for `.annotate(confidence=card_level(cutoff=…))` on cards (`card`:
    the card's id, OuterRef("pk") by default). A correlated subquery: PostgreSQL computes it for the rows
    a page returns, after its sort and limit, unless the query sorts or filters by it."""
    card = OuterRef("pk") if card is None else card
    rows = _aggregates(EvidenceLink.objects.filter(card_id=card), cutoff)
    return Coalesce(_CardLevel(rows), Value(Level.ASSUMPTION.value), output_field=CharField())


def cards_at_level(level: str, *, cutoff: datetime.date, links=None) -> Q:
    """A filter on cards (`Card.objects.filter(cards_at_level(…))`) keeping those at `level`, in a form
    that scales to many cards: one grouped pass over `links` (default: every card link; narrow it, e.g. to
    a workspace's journeys) joined to the cards, rather than a subquery per card."""
    links = EvidenceLink.objects.all() if links is None else links
    if level == Level.ASSUMPTION:
        return ~Q(pk__in=level_rows(links, cutoff=cutoff, level=Level.ASSUMPTION, negate=True))
    return Q(pk__in=level_rows(links, cutoff=cutoff, level=level))


def card_level_by_sets(*, cutoff: datetime.date, links=None) -> Case:
    """A card's level (on cards, `pk`) as a CASE over the cards of each level: one grouped pass over
    `links` per level, which PostgreSQL hashes once, rather than a subquery per card. What sorting or
    exporting many cards by level (or by a factor of it) needs; `card_level` reads a page's few rows
    cheaper."""
    levels = (Level.STRONG, Level.MODERATE, Level.WEAK, Level.CONTESTED)
    return Case(
        *(
            When(cards_at_level(level, cutoff=cutoff, links=links), then=Value(level.value))
            for level in levels
        ),
        default=Value(Level.ASSUMPTION.value),
        output_field=CharField(),
    )
