"""How a pain point or opportunity is scored — the one rule. Everything that shows or stores a score
(services, the map's Priority view, the queue, the API, the help page) computes it here.

**Criteria.** A scoring model version (models.ScoringModel) has criteria (models.Criterion), each rated on a
whole-number scale from 1 to 5 with a written meaning for every value, a weight `w` (0–100, a whole
number; 0 leaves the criterion out of every figure) and a direction: higher is better (customer impact), or
lower is better (effort: a 1, little effort, adds the most).

**Composite** (0–100, two decimals, rounded half up). For each criterion with `w > 0` and value `v`:

    n = (v − 1) / 4    when higher is better        (1 → 0, 3 → 0.5, 5 → 1)
    n = (5 − v) / 4    when lower is better         (1 → 1, 3 → 0.5, 5 → 0)
    composite = 100 · Σ w·n / Σ w

The composite is empty (None) while any weighted criterion is unrated: a part-scored card is not ranked
as if its missing values were the lowest.

**Impact and effort** — the impact/effort matrix's axes, 0–100 each, two decimals:

    impact = the composite's formula over the higher-is-better criteria only
    effort = Σ w · 100·(v − 1)/4 / Σ w over the lower-is-better criteria (high means much effort)

Each is None when the model has no weighted criterion of its kind or one of them is unrated. The matrix's
quadrants split both axes at 50 (`quadrant`): quick wins (impact ≥ 50, effort < 50), big bets (impact ≥ 50,
effort ≥ 50), fill-ins (impact < 50, effort < 50) and money pits (impact < 50, effort ≥ 50).

**Evidence confidence as a factor** (only when the model's `use_confidence` is on; off by default). The
card's research confidence level (research/confidence.py) scales the composite:

    priority = composite × factor(level)
    assumption 0.5 · contested 0.6 · weak 0.7 · moderate 0.85 · strong 1.0

so an unvalidated guess ranks below an equally rated card that evidence backs. The stored composite is
always the rating alone (it changes only when someone re-scores); the factor is applied when a score is
read, because a card's confidence changes whenever evidence is linked or unlinked and a stored product
would silently go stale. Without `use_confidence`, priority = composite.

**Bands** of the priority, for the map's Priority view (colour always with an icon and a word): top from 75,
high from 50, medium from 25, low below.

**Opportunity score** (optional; Ulwick's opportunity algorithm, from Anthony W. Ulwick, "Turn Customer
Input into Innovation", Harvard Business Review, January 2002, and "What Customers Want", McGraw-Hill
2005): for an outcome customers rate by importance and by satisfaction with how it is met today, both on
0–10 (Ulwick asks for the share of respondents rating 4–5 on a five-point scale, divided by 10),

    opportunity = importance + max(importance − satisfaction, 0)        (0–20)

Above 15 Ulwick calls an outcome under-served "extreme", 10–15 a solid opportunity, below 10 not worth
pursuing. Satisfaction may come from a metric's latest value instead of a survey (`satisfaction_from`).

**Stale.** A score made under a model version that is no longer current is *stale*: it stays readable
under the criteria it was made with (versions never change), and pages prompt a re-score.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from metrics.models import Aggregation, Direction, Kind, Unit
from research.confidence import Level

from .models import OPPORTUNITY_SCALE_MAX, SCALE_MAX, SCALE_MIN

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
SPAN = SCALE_MAX - SCALE_MIN  # 4: the steps between the lowest and the highest value
QUADRANT_SPLIT = Decimal(50)
OPPORTUNITY_MAX = 2 * OPPORTUNITY_SCALE_MAX  # 20

# The confidence factor of each research confidence level (use_confidence).
CONFIDENCE_FACTORS: dict[str, Decimal] = {
    Level.ASSUMPTION: Decimal("0.5"),
    Level.CONTESTED: Decimal("0.6"),
    Level.WEAK: Decimal("0.7"),
    Level.MODERATE: Decimal("0.85"),
    Level.STRONG: Decimal("1.0"),
}


class CriterionLike(Protocol):
    """What the rule reads of a criterion: a models.Criterion, or anything with these attributes."""

    key: str
    weight: int
    lower_is_better: bool


def _round(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def normalized(value: int, lower_is_better: bool) -> Decimal:
    """A 1–5 value on 0–1, where 1 is always the best for the composite: (v−1)/4, or (5−v)/4 when lower is
    better. ValueError for a value outside 1–5."""
    if not isinstance(value, int) or isinstance(value, bool) or not SCALE_MIN <= value <= SCALE_MAX:
        raise ValueError(f"A criterion's value is a whole number from {SCALE_MIN} to {SCALE_MAX}: {value!r}")
    steps = SCALE_MAX - value if lower_is_better else value - SCALE_MIN
    return Decimal(steps) / SPAN


def _weighted(criteria: Iterable[CriterionLike], values: Mapping[str, int | None], part) -> Decimal | None:
    """100 · Σ w·part(c, v) / Σ w over the weighted criteria; None when there are none or one is unrated."""
    total_weight = Decimal(0)
    total = Decimal(0)
    for criterion in criteria:
        if criterion.weight <= 0:
            continue
        value = values.get(criterion.key)
        if value is None:
            return None
        total_weight += criterion.weight
        total += criterion.weight * part(criterion, value)
    if total_weight == 0:
        return None
    return _round(HUNDRED * total / total_weight)


def composite(criteria: Iterable[CriterionLike], values: Mapping[str, int | None]) -> Decimal | None:
    """The composite, 0–100 (two decimals, half up), of `values` ({criterion key: 1–5 or None}) under
    `criteria`; None while a weighted criterion is unrated (or no criterion has a weight)."""
    return _weighted(criteria, values, lambda c, v: normalized(v, c.lower_is_better))


def impact(criteria: Iterable[CriterionLike], values: Mapping[str, int | None]) -> Decimal | None:
    """The matrix's impact axis, 0–100: the composite's formula over the higher-is-better criteria."""
    return composite([c for c in criteria if not c.lower_is_better], values)


def effort(criteria: Iterable[CriterionLike], values: Mapping[str, int | None]) -> Decimal | None:
    """The matrix's effort axis, 0–100: the weighted mean of the lower-is-better criteria's values,
    rescaled (v−1)/4·100, so 100 is the most effort."""
    return _weighted(
        [c for c in criteria if c.lower_is_better], values, lambda c, v: normalized(v, lower_is_better=False)
    )


class Quadrant:
    QUICK_WINS = "quick_wins"
    BIG_BETS = "big_bets"
    FILL_INS = "fill_ins"
    MONEY_PITS = "money_pits"

    LABELS = {
        QUICK_WINS: "Quick wins",
        BIG_BETS: "Big bets",
        FILL_INS: "Fill-ins",
        MONEY_PITS: "Money pits",
    }


def quadrant(impact_value: Decimal | None, effort_value: Decimal | None) -> str | None:
    """The impact/effort quadrant (Quadrant.*), split at 50 on both axes; None when an axis is missing."""
    if impact_value is None or effort_value is None:
        return None
    high_impact, high_effort = impact_value >= QUADRANT_SPLIT, effort_value >= QUADRANT_SPLIT
    if high_impact:
        return Quadrant.BIG_BETS if high_effort else Quadrant.QUICK_WINS
    return Quadrant.MONEY_PITS if high_effort else Quadrant.FILL_INS


def confidence_factor(level: str | None) -> Decimal:
    """The factor of a research confidence level (CONFIDENCE_FACTORS); an unknown or missing level counts
    as an assumption."""
    return CONFIDENCE_FACTORS.get(level or Level.ASSUMPTION, CONFIDENCE_FACTORS[Level.ASSUMPTION])


def priority(composite_value: Decimal | None, *, use_confidence: bool, level: str | None = None):
    """What ranks a card: the composite, times the confidence factor of `level` when the model it was
    scored under uses confidence (two decimals, half up); None without a composite."""
    if composite_value is None:
        return None
    if not use_confidence:
        return composite_value
    return _round(composite_value * confidence_factor(level))


def opportunity(importance: Decimal | None, satisfaction: Decimal | None) -> Decimal | None:
    """Ulwick's opportunity score, importance + max(importance − satisfaction, 0), 0–20 (two decimals);
    None unless both are given. Both are on 0–10."""
    if importance is None or satisfaction is None:
        return None
    importance, satisfaction = Decimal(importance), Decimal(satisfaction)
    return _round(importance + max(importance - satisfaction, Decimal(0)))


# ---------------------------------------------------------------------------------------------- bands


@dataclass(frozen=True)
class Band:
    """A range of priorities and how the map shows it: a tone (colour), an icon and a word."""

    key: str
    label: str
    floor: Decimal  # the band holds priorities ≥ floor (and below the next band's floor)
    tone: str
    icon: str


BANDS = (
    Band("top", "Top", Decimal(75), "bad", "chevrons-up"),
    Band("high", "High", Decimal(50), "warning", "chevron-up"),
    Band("medium", "Medium", Decimal(25), "neutral", "dash"),
    Band("low", "Low", Decimal(0), "good", "chevron-down"),
)
UNSCORED = Band("unscored", "Not scored", Decimal(0), "none", "help")
PARTIAL = Band("partial", "Part-scored", Decimal(0), "none", "dot")


def band(value: Decimal | None) -> Band | None:
    """The band of a priority (0–100), or None without one."""
    if value is None:
        return None
    return next(b for b in BANDS if value >= b.floor)


# ---------------------------------------------------------------------------------------------- satisfaction


@dataclass(frozen=True)
class Rescale:
    """How one kind of metric's value becomes a satisfaction on 0–10: the rule in words, and as a function."""

    words: str
    apply: Callable[[Decimal], Decimal]


CSAT_SHARE = Rescale("value / 10", lambda v: v / 10)
CSAT_MEAN = Rescale("(value − 1) / 4 × 10", lambda v: (v - 1) / 4 * 10)
NPS = Rescale("(value + 100) / 20", lambda v: (v + 100) / 20)
CES = Rescale("(value − 1) / 6 × 10", lambda v: (v - 1) / 6 * 10)
PERCENT_HIGHER = Rescale("value / 10", lambda v: v / 10)
PERCENT_LOWER = Rescale("(100 − value) / 10", lambda v: (100 - v) / 10)


def satisfaction_scale(metric) -> Rescale | None:
    """How a metric's latest value becomes a 0–10 satisfaction, or None when the metric has no fixed scale
    (a time, a cost, a count, a custom figure): then satisfaction is entered by hand.

    - CSAT as a share of 4–5 answers (%):  value / 10
    - CSAT as a mean score (1–5):          (value − 1) / 4 × 10
    - NPS (−100 to 100):                   (value + 100) / 20
    - CES (1–7, agreeing is better):       (value − 1) / 6 × 10
    - any other percentage, higher better: value / 10 (conversion 30 % → 3)
    - a percentage where lower is better:  (100 − value) / 10 (drop-off 30 % → 7)
    The result is kept within 0–10 and rounded to two decimals."""
    if metric.kind == Kind.CSAT:
        return CSAT_MEAN if metric.aggregation == Aggregation.CSAT_MEAN else CSAT_SHARE
    if metric.kind == Kind.NPS:
        return NPS
    if metric.kind == Kind.CES:
        return CES
    if metric.unit == Unit.PERCENT:
        return PERCENT_LOWER if metric.direction == Direction.LOWER else PERCENT_HIGHER
    return None


def satisfaction_from(metric, value) -> Decimal | None:
    """A metric's value rescaled to a satisfaction on 0–10 (`satisfaction_scale`), or None when the metric
    has no fixed scale."""
    rule = satisfaction_scale(metric)
    if rule is None:
        return None
    return _round(min(max(rule.apply(Decimal(value)), Decimal(0)), Decimal(OPPORTUNITY_SCALE_MAX)))


# ---------------------------------------------------------------------------------------------- default model


@dataclass(frozen=True)
class CriterionSpec:
    """A criterion as it is written before it is saved (the default model, a change's input)."""

    key: str
    name: str
    weight: int
    lower_is_better: bool
    meanings: tuple[str, str, str, str, str]
    description: str = ""


DEFAULT_NOTE = "The default model: customer impact, business impact, effort and strategic alignment."
DEFAULT_CRITERIA = (
    CriterionSpec(
        "customer_impact",
        "Customer impact",
        3,
        False,
        (
            "Hardly noticed: a small annoyance for a few customers.",
            "Noticeable for some customers, who work around it easily.",
            "Slows down or frustrates many customers; some need help to get past it.",
            "Blocks an important task for many customers, or costs them real time or money.",
            "Stops customers reaching their goal: they give up, complain or leave.",
        ),
        "How much this pain point hurts customers, or how much the opportunity would help them.",
    ),
    CriterionSpec(
        "business_impact",
        "Business impact",
        3,
        False,
        (
            "No measurable effect on revenue, cost or risk.",
            "A small effect on one business metric.",
            "A clear effect on a key metric (conversion, retention, cost to serve).",
            "A large effect on a key metric, or a clear effect on several.",
            "Critical: major revenue, churn, legal or reputation risk.",
        ),
        "What it is worth to the business: revenue, retention, cost to serve, risk.",
    ),
    CriterionSpec(
        "effort",
        "Effort",
        2,
        True,
        (
            "Hours to a few days for one person; no dependencies.",
            "Up to two weeks for one team.",
            "A few weeks for one team, or small work from other teams too.",
            "About a quarter for a team, or work across several teams.",
            "Several quarters, several teams, or new systems.",
        ),
        "How much work addressing it takes. Lower is better: little effort adds the most.",
    ),
    CriterionSpec(
        "strategic_alignment",
        "Strategic alignment",
        2,
        False,
        (
            "Unrelated to this year's goals.",
            "Loosely related to a goal.",
            "Supports a stated goal.",
            "Directly advances one of the top goals.",
            "Central to the strategy: leadership has asked for it.",
        ),
        "How closely it serves the organisation's stated goals.",
    ),
)


@dataclass(frozen=True)
class Figures:
    """Every figure of one set of values under one model's criteria."""

    composite: Decimal | None
    impact: Decimal | None
    effort: Decimal | None

    @property
    def quadrant(self) -> str | None:
        return quadrant(self.impact, self.effort)


def figures(criteria: Iterable[CriterionLike], values: Mapping[str, int | None]) -> Figures:
    """The composite, impact and effort of `values` under `criteria` (each as its function says)."""
    criteria = list(criteria)
    return Figures(composite(criteria, values), impact(criteria, values), effort(criteria, values))
