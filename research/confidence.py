"""Confidence of map elements, computed from the evidence linked to them — the one rule.

**What counts.** Each evidence item linked to an element counts once on the side of its link's stance
(supports or contradicts), with a weight: 1 when it was captured (its `captured_on`, else the day it was
entered) within the workspace's recency window (ResearchSettings.recency_months, default 18 months), 0.5
when older. For each side:

- points       = the sum of the weights of its items;
- sources      = independent sources: its distinct studies, each standalone item counting as its own;
- participants = distinct participants (a study's pseudonymous labels, counted per study);
- methods      = distinct research methods of its studies.

**Strength of a side** (tier 0…3), the highest whose every condition holds:

- strong (3):   points ≥ 4, sources ≥ 2, and (methods ≥ 2 or participants ≥ 5)
- moderate (2): points ≥ 2, and (sources ≥ 2 or participants ≥ 3)
- weak (1):     points > 0
- none (0):     no item

**Level of an element**, from the supporting tier S and the contradicting tier C:

- **assumption** when S = 0 (no supporting evidence, whatever contradicts it);
- **contested**  when C ≥ 1 and (C ≥ S or C ≥ 2): credible evidence on both sides;
- otherwise the tier S − C: **weak** (1), **moderate** (2) or **strong** (3) — weaker contradicting
  evidence lowers the level by its tier.

A card's level counts the links to that card. A step's, stage's and the journey's level apply the same
rule to the evidence linked to the element and to everything inside it (a step: itself and its cards; a
stage: itself, its steps and their cards; the journey: every link on its map), each item once per side.
A pain point or opportunity card is **validated** when its level is moderate or strong.

`map_confidence` computes every element of a map in three queries whatever its size; `explain` says for
one card which evidence produced its level and what would raise it.
"""

import datetime
from dataclasses import dataclass, field

from django.db import models
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from journeys.models import Card, LaneKind

from .models import DEFAULT_RECENCY_MONTHS, EvidenceLink, ResearchSettings, Stance

RECENT_WEIGHT, OLD_WEIGHT = 1.0, 0.5
STRONG_POINTS, STRONG_SOURCES, STRONG_METHODS, STRONG_PARTICIPANTS = 4, 2, 2, 5
MODERATE_POINTS, MODERATE_SOURCES, MODERATE_PARTICIPANTS = 2, 2, 3
VALIDATED_KINDS = (LaneKind.PAIN_POINTS, LaneKind.OPPORTUNITIES)


class Level(models.TextChoices):
    ASSUMPTION = "assumption", "Assumption"
    WEAK = "weak", "Weak"
    MODERATE = "moderate", "Moderate"
    STRONG = "strong", "Strong"
    CONTESTED = "contested", "Contested"


TIER_LEVEL = {1: Level.WEAK, 2: Level.MODERATE, 3: Level.STRONG}
VALIDATED = frozenset({Level.MODERATE, Level.STRONG})


@dataclass(frozen=True)
class Item:
    """One evidence item as it counts on one side of one element."""

    evidence_id: int
    study_id: int | None
    method: str | None
    participant: str
    captured: datetime.date
    weight: float


@dataclass
class Side:
    """The items on one side (supporting or contradicting) of an element, and what they add up to."""

    items: dict[int, Item] = field(default_factory=dict)  # by evidence id: each item once

    def add(self, item: Item) -> None:
        self.items.setdefault(item.evidence_id, item)

    @property
    def points(self) -> float:
        return sum(item.weight for item in self.items.values())

    @property
    def sources(self) -> int:
        return len({item.study_id or ("standalone", item.evidence_id) for item in self.items.values()})

    @property
    def participants(self) -> int:
        return len(
            {
                (item.study_id or ("standalone", item.evidence_id), item.participant.casefold())
                for item in self.items.values()
                if item.participant
            }
        )

    @property
    def methods(self) -> int:
        return len({item.method for item in self.items.values() if item.method})

    @property
    def tier(self) -> int:
        if not self.items:
            return 0
        points, sources, participants, methods = self.points, self.sources, self.participants, self.methods
        if (
            points >= STRONG_POINTS
            and sources >= STRONG_SOURCES
            and (methods >= STRONG_METHODS or participants >= STRONG_PARTICIPANTS)
        ):
            return 3
        if points >= MODERATE_POINTS and (
            sources >= MODERATE_SOURCES or participants >= MODERATE_PARTICIPANTS
        ):
            return 2
        return 1 if points > 0 else 0

    def as_dict(self) -> dict:
        return {
            "items": len(self.items),
            "points": self.points,
            "sources": self.sources,
            "participants": self.participants,
            "methods": self.methods,
            "tier": self.tier,
        }


@dataclass
class Confidence:
    """An element's supporting and contradicting evidence and the level they give."""

    supporting: Side = field(default_factory=Side)
    contradicting: Side = field(default_factory=Side)

    def add(self, stance: str, item: Item) -> None:
        (self.supporting if stance == Stance.SUPPORTS else self.contradicting).add(item)

    @property
    def level(self) -> str:
        return level_for(self.supporting.tier, self.contradicting.tier)


def level_for(support: int, contra: int) -> str:
    """The level of an element whose supporting side has tier `support` and contradicting side `contra`."""
    if support == 0:
        return Level.ASSUMPTION
    if contra >= 1 and (contra >= support or contra >= 2):
        return Level.CONTESTED
    return TIER_LEVEL[support - contra]


# ---------------------------------------------------------------------------------------------- reading


def months_before(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` calendar months earlier (the month's last day when it is shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - every month has 28 days


def recency_months_of(*, journey_id: int | None = None, workspace_id: int | None = None) -> int:
    """The workspace's recency window in months (DEFAULT_RECENCY_MONTHS without a settings row): one query."""
    rows = ResearchSettings.objects.all()
    rows = (
        rows.filter(workspace__journeys=journey_id) if journey_id else rows.filter(workspace_id=workspace_id)
    )
    months = rows.values_list("recency_months", flat=True).first()
    return months or DEFAULT_RECENCY_MONTHS


LINK_VALUES = (
    "id", "stance", "card_id", "step_id", "stage_id", "evidence_id", "evidence__study_id",
    "evidence__study__method", "evidence__participant", "evidence__captured_on", "evidence__created_at",
)  # fmt: skip


def _item(row: dict, cutoff: datetime.date) -> Item:
    captured = (
        row.get("captured") or row["evidence__captured_on"] or timezone.localdate(row["evidence__created_at"])
    )
    return Item(
        evidence_id=row["evidence_id"],
        study_id=row["evidence__study_id"],
        method=row["evidence__study__method"],
        participant=row["evidence__participant"] or "",
        captured=captured,
        weight=RECENT_WEIGHT if captured >= cutoff else OLD_WEIGHT,
    )


@dataclass
class MapConfidence:
    """The confidence of every card, step and stage of a map and of the journey as a whole."""

    cards: dict[int, Confidence]
    steps: dict[int, Confidence]
    stages: dict[int, Confidence]
    journey: Confidence
    card_levels: dict[str, int]  # how many cards at each level
    validated: int  # pain point and opportunity cards at moderate or strong
    validatable: int  # pain point and opportunity cards
    recency_months: int


def map_confidence(*, journey_id: int, today: datetime.date | None = None) -> MapConfidence:
    """Confidence of a whole map in three queries, whatever its size: the recency setting, the cards
    (with their step, stage and lane kind) and the links with their evidence. The caller has checked that
    the reader sees the journey; every link of a journey is visible to whoever sees the journey."""
    months = recency_months_of(journey_id=journey_id)
    cutoff = months_before(today or timezone.localdate(), months)
    cards = list(
        Card.objects.filter(journey_id=journey_id)
        .order_by("pk")
        .values_list("pk", "step_id", "step__stage_id", "lane__kind")
    )
    step_stage = {}
    card_place = {}
    for pk, step_id, stage_id, _kind in cards:
        card_place[pk] = (step_id, stage_id)
        step_stage[step_id] = stage_id
    # The day an item counts from: when it was captured, else the (local) day it was entered.
    captured = Coalesce("evidence__captured_on", TruncDate("evidence__created_at"))
    links = (
        EvidenceLink.objects.filter(journey_id=journey_id)
        .annotate(captured=captured)
        .values(*LINK_VALUES, "step__stage_id", "captured")
    )
    by_card = {pk: Confidence() for pk, *_ in cards}
    by_step: dict[int, Confidence] = {}
    by_stage: dict[int, Confidence] = {}
    whole = Confidence()
    for row in links:
        item = _item(row, cutoff)
        stance = row["stance"]
        whole.add(stance, item)
        if row["card_id"]:
            if row["card_id"] not in card_place:
                continue
            by_card[row["card_id"]].add(stance, item)
            step_id, stage_id = card_place[row["card_id"]]
        elif row["step_id"]:
            step_id, stage_id = row["step_id"], row["step__stage_id"]
        else:
            step_id, stage_id = None, row["stage_id"]
        if step_id is not None:
            by_step.setdefault(step_id, Confidence()).add(stance, item)
        by_stage.setdefault(stage_id, Confidence()).add(stance, item)
    counts = {level: 0 for level in Level.values}
    validated = validatable = 0
    for pk, _step, _stage, kind in cards:
        level = by_card[pk].level
        counts[level] += 1
        if kind in VALIDATED_KINDS:
            validatable += 1
            validated += level in VALIDATED
    return MapConfidence(
        cards=by_card,
        steps=by_step,
        stages=by_stage,
        journey=whole,
        card_levels=counts,
        validated=validated,
        validatable=validatable,
        recency_months=months,
    )


def level_of(confidences: dict, pk) -> str:
    """The level of element `pk` in a MapConfidence mapping (assumption when nothing is linked to it)."""
    found = confidences.get(pk)
    return found.level if found is not None else Level.ASSUMPTION


# ---------------------------------------------------------------------------------------------- explaining


@dataclass
class Explanation:
    """Why a card has its level: the evidence on each side (links with their evidence, study and weight),
    the figures of each side, and what would raise the level."""

    level: str
    supporting: dict
    contradicting: dict
    links: list  # EvidenceLink with evidence (and its study) loaded, each with `.weight` and `.recent`
    to_raise: list[str]
    recency_months: int


def explain(card, *, today: datetime.date | None = None) -> Explanation:
    """Which evidence gives `card` (a Card the reader can see) its level, and what would raise it.
    Two queries: the recency setting and the card's links with their evidence and study."""
    months = recency_months_of(journey_id=card.journey_id)
    cutoff = months_before(today or timezone.localdate(), months)
    links = list(
        EvidenceLink.objects.filter(card_id=card.pk)
        .select_related("evidence__study")
        .order_by("stance", "-evidence__captured_on", "pk")
    )
    confidence = Confidence()
    for link in links:
        evidence = link.evidence
        row = {
            "evidence_id": evidence.pk,
            "evidence__study_id": evidence.study_id,
            "evidence__study__method": evidence.study.method if evidence.study_id else None,
            "evidence__participant": evidence.participant,
            "evidence__captured_on": evidence.captured_on,
            "evidence__created_at": evidence.created_at,
        }
        item = _item(row, cutoff)
        link.weight, link.recent = item.weight, item.weight == RECENT_WEIGHT
        confidence.add(link.stance, item)
    return Explanation(
        level=confidence.level,
        supporting=confidence.supporting.as_dict(),
        contradicting=confidence.contradicting.as_dict(),
        links=links,
        to_raise=what_would_raise(confidence, months),
        recency_months=months,
    )


def _more(have, need, what: str) -> str | None:
    if have >= need:
        return None
    missing = need - have
    missing = int(missing) if float(missing).is_integer() else missing
    return f"{missing} more {what}"


def _tier_needs(side: Side, tier: int, months: int) -> list[str]:
    """What the side lacks to reach `tier` (2 or 3), in words."""
    points = f"point(s) of evidence (a recent item counts 1, one older than {months} months ½)"
    if tier == 3:
        needs = [
            _more(side.points, STRONG_POINTS, points),
            _more(side.sources, STRONG_SOURCES, "independent source(s) (another study)"),
        ]
        if side.methods < STRONG_METHODS and side.participants < STRONG_PARTICIPANTS:
            needs.append(
                f"evidence by another research method, or {STRONG_PARTICIPANTS - side.participants} more "
                "participant(s)"
            )
    else:
        needs = [_more(side.points, MODERATE_POINTS, points)]
        if side.sources < MODERATE_SOURCES and side.participants < MODERATE_PARTICIPANTS:
            needs.append(
                "evidence from another study, or "
                f"{MODERATE_PARTICIPANTS - side.participants} more participant(s)"
            )
    return [need for need in needs if need]


def what_would_raise(confidence: Confidence, months: int) -> list[str]:
    """Steps, in words, that would raise this level by one (empty at strong without contradiction)."""
    support, contra = confidence.supporting, confidence.contradicting
    level = confidence.level
    if level == Level.ASSUMPTION:
        return ["Link one supporting evidence item: the card becomes weak."]
    if level == Level.CONTESTED:
        target = max(contra.tier + 1, 2)
        if target > 3:
            return [
                "Contradicting evidence is strong: review it, and unlink items that no longer hold or "
                "do not apply. Strong contradicting evidence keeps the card contested."
            ]
        needs = _tier_needs(support, target, months)
        return [
            f"Supporting evidence must outweigh the contradicting ({contra.tier} of 3): "
            + ("; ".join(needs) if needs else "it does once the contradicting evidence is weaker")
            + ".",
            "Or review the contradicting evidence and unlink items that no longer hold.",
        ]
    tier = support.tier
    out = []
    if contra.tier:
        out.append("Contradicting evidence lowers the level by one: review it, or outweigh it.")
    if tier < 3:
        needs = _tier_needs(support, tier + 1, months)
        out.append(f"To reach {TIER_LEVEL[tier + 1].label.lower()} support: " + "; ".join(needs) + ".")
    elif not contra.tier:
        return []
    return out
