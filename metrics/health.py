"""Journey health: the one rule, explained. (The help page will quote this docstring.)

**A metric's status** comes from its latest period's value (metrics/selectors.py `period_value`) against
two thresholds, in the metric's direction:

    higher is better:  value ≥ good → good;  value < off track → off track;  otherwise at risk
    lower is better:   value ≤ good → good;  value > off track → off track;  otherwise at risk

The thresholds are, in this order: the metric's own (both set); else from its target: good = the target,
off track = the target moved by TOLERANCE (10 %) of its size against the direction (target 20, lower is
better → off track above 22); else the kind's defaults (models.KIND_DEFAULTS: CSAT good from 80 % and off
track below 70 %, NPS good from 30 and off track below 0, CES good from 5 and off track below 4 on 1–7).
A metric with none of these, or no measurement yet, is **not rated**: it is listed, and left out.

**Trend**: the latest value against the mean of up to TREND_PERIODS − 1 periods before it: improving or
worsening (in the metric's direction) when it moved by more than STEADY (2 %) of that mean's size (or
by anything, when the mean is 0), steady otherwise, none with one period. It is shown, not scored.

**A score** (0–100) of a set of metrics is the weighted mean of their statuses' points (good 100, at
risk 50, off track 0) over the rated ones, each metric counting its `weight` (1 by default, so equal):

    score = round( Σ weight × points / Σ weight )          — None ("not measured") when none is rated

never 0 for want of data. Scores roll up through the hierarchy by the metrics they include:

    a step:    its metrics
    a stage:   its metrics and its steps' metrics
    a journey: its own, its stages' and steps' metrics, and those of every sub-journey (recursively)
               the reader can see, through sub-journeys they can see, archived ones left out

**Change since the previous period**: the same score from each metric's period before its latest
(metrics with only one period are left out of it), and the difference.

Worked example (the tests hold it, tests/metrics/test_health.py): a journey has
  NPS on a step (weight 2; kind defaults 30 / 0): latest 24 → at risk (50); before: 31 → good (100);
  CSAT on a stage (weight 1; defaults 80 / 70): latest 84 → good (100); before: 79 → at risk (50);
  drop-off on the journey (weight 1; target 20, lower is better → good ≤ 20, off track > 22):
  latest 25 → off track (0); before: 21 → at risk (50).
  Journey: (2×50 + 1×100 + 1×0) / 4 = 50; before: (2×100 + 1×50 + 1×50) / 4 = 75; change −25.
  The stage: (2×50 + 1×100) / 3 = 67 (its step's NPS and its own CSAT); the step: 50.

Every read here runs a constant number of queries (three), whatever the number of metrics,
measurements and journeys: the reader's journeys of the workspace, their metrics, their recent periods.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import TextChoices

from journeys.models import Journey

from .models import KIND_DEFAULTS, Direction, Metric
from .selectors import Period, journey_metrics, recent_periods

TOLERANCE = Decimal("0.10")
STEADY = Decimal("0.02")
TREND_PERIODS = 4


class Status(TextChoices):
    GOOD = "good", "Good"
    AT_RISK = "at_risk", "At risk"
    OFF_TRACK = "off_track", "Off track"
    NOT_RATED = "not_rated", "Not rated"


POINTS = {Status.GOOD: 100, Status.AT_RISK: 50, Status.OFF_TRACK: 0}


class Trend(TextChoices):
    IMPROVING = "improving", "Improving"
    WORSENING = "worsening", "Worsening"
    STEADY = "steady", "Steady"


@dataclass(frozen=True)
class Thresholds:
    """Where good ends and off track begins, and where they came from ("metric", "target", "kind")."""

    good: Decimal
    off_track: Decimal
    source: str


def thresholds(metric: Metric) -> Thresholds | None:
    """The thresholds that rate `metric` (the metric's own, its target's, its kind's), or None."""
    if metric.good_threshold is not None and metric.off_track_threshold is not None:
        return Thresholds(metric.good_threshold, metric.off_track_threshold, "metric")
    if metric.target_value is not None:
        target = metric.target_value
        band = abs(target) * TOLERANCE
        off = target - band if metric.direction == Direction.HIGHER else target + band
        return Thresholds(target, off, "target")
    defaults = KIND_DEFAULTS.get(metric.kind, (None,) * 4)[3]
    if defaults is not None:
        good, off = defaults
        return Thresholds(good, off, "kind")
    return None


def status_of(value: Decimal | None, direction: str, limits: Thresholds | None) -> Status:
    """The status of a value (see the module docstring); NOT_RATED without a value or thresholds."""
    if value is None or limits is None:
        return Status.NOT_RATED
    if direction == Direction.HIGHER:
        if value >= limits.good:
            return Status.GOOD
        return Status.OFF_TRACK if value < limits.off_track else Status.AT_RISK
    if value <= limits.good:
        return Status.GOOD
    return Status.OFF_TRACK if value > limits.off_track else Status.AT_RISK


def trend_of(values: list[Decimal], direction: str) -> Trend | None:
    """The trend of values newest first (see the module docstring); None with fewer than two."""
    if len(values) < 2:
        return None
    latest, before = values[0], values[1:TREND_PERIODS]
    mean = sum(before) / len(before)
    moved = latest - mean
    if abs(moved) <= abs(mean) * STEADY and (mean != 0 or moved == 0):
        return Trend.STEADY
    better = moved > 0 if direction == Direction.HIGHER else moved < 0
    return Trend.IMPROVING if better else Trend.WORSENING


@dataclass(frozen=True)
class MetricHealth:
    """How one metric stands: what produced its status and its share of a score."""

    metric: Metric
    latest: Period | None
    previous: Period | None
    limits: Thresholds | None
    status: Status
    previous_status: Status
    trend: Trend | None
    history: tuple[Period, ...]  # newest first

    @property
    def points(self) -> int | None:
        return POINTS.get(self.status)

    @property
    def previous_points(self) -> int | None:
        return POINTS.get(self.previous_status)

    @property
    def rule(self) -> str:
        """The rule that gave the status, in words ("84 ≥ good 80 (CSAT default)")."""
        if self.latest is None:
            return "No measurement yet: not rated."
        if self.limits is None:
            return "No target, thresholds or kind default: not rated."
        value, good, off = (_num(self.latest.value), _num(self.limits.good), _num(self.limits.off_track))
        origin = {"metric": "its thresholds", "target": "its target ± 10 %", "kind": "the kind's defaults"}
        higher = self.metric.direction == Direction.HIGHER
        if self.status == Status.GOOD:
            text = f"{value} {'≥' if higher else '≤'} good {good}"
        elif self.status == Status.OFF_TRACK:
            text = f"{value} {'<' if higher else '>'} off track {off}"
        else:
            text = f"{value} between good {good} and off track {off}"
        return f"{text} ({origin[self.limits.source]}; {'higher' if higher else 'lower'} is better)."


def _num(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return text


@dataclass(frozen=True)
class Score:
    """A score and what made it. `score`/`previous`: 0–100 or None (not measured); `metrics`: every
    metric the score includes, rated or not; `counts`: how many of them have each status."""

    score: int | None
    previous: int | None
    metrics: tuple[MetricHealth, ...]
    counts: dict = field(default_factory=dict)

    @property
    def change(self) -> int | None:
        return None if self.score is None or self.previous is None else self.score - self.previous


def _weighted(pairs: list[tuple[int, int]]) -> int | None:
    total = sum(weight for weight, _ in pairs)
    if not total:
        return None
    return int((Decimal(sum(w * p for w, p in pairs)) / total).quantize(Decimal(1), rounding="ROUND_HALF_UP"))


def score_of(items) -> Score:
    """The score of these MetricHealth items (see the module docstring)."""
    items = tuple(items)
    now, before = [], []
    counts = {status.value: 0 for status in Status}
    for h in items:  # one pass (a root's score reads every metric of the hierarchy)
        counts[h.status] += 1
        points, previous = POINTS.get(h.status), POINTS.get(h.previous_status)
        if points is not None:
            now.append((h.metric.weight, points))
        if previous is not None:
            before.append((h.metric.weight, previous))
    return Score(_weighted(now), _weighted(before), items, counts)


def metric_health(metric: Metric, periods: list[Period]) -> MetricHealth:
    """One metric's status, previous status and trend from its recent periods (newest first)."""
    limits = thresholds(metric)
    latest = periods[0] if periods else None
    previous = periods[1] if len(periods) > 1 else None
    return MetricHealth(
        metric=metric,
        latest=latest,
        previous=previous,
        limits=limits,
        status=status_of(latest.value if latest else None, metric.direction, limits),
        previous_status=status_of(previous.value if previous else None, metric.direction, limits),
        trend=trend_of([p.value for p in periods], metric.direction),
        history=tuple(periods),
    )


def metrics_health(metrics: list[Metric], *, periods: int = TREND_PERIODS) -> dict[int, MetricHealth]:
    """{metric id: MetricHealth} of these metrics, with `periods` recent periods each (one query)."""
    recent = recent_periods(metrics={m.pk: m.aggregation for m in metrics}, periods=max(periods, 2))
    return {m.pk: metric_health(m, recent.get(m.pk, [])) for m in metrics}


def visible_tree(*, journey: Journey, user) -> tuple[dict[int, list[int]], dict[int, str]]:
    """({journey id: ids of its sub-journeys} under `journey`, {journey id: title}): only journeys the
    reader can see, reached through journeys they can see, archived ones left out (`journey` itself is the
    caller's, checked). One query: the reader's journeys of the workspace."""
    rows = Journey.objects.visible_to(user).filter(workspace_id=journey.workspace_id, archived=False)
    children: dict[int, list[int]] = {}
    titles = {journey.pk: journey.title}
    for pk, parent_id, title in rows.values_list("pk", "parent_id", "title").order_by("title", "pk"):
        titles[pk] = title
        if parent_id is not None and pk != journey.pk:
            children.setdefault(parent_id, []).append(pk)
    tree, todo, seen = {}, [journey.pk], {journey.pk}
    while todo:
        current = todo.pop()
        kids = [k for k in children.get(current, []) if k not in seen]
        tree[current] = kids
        seen.update(kids)
        todo.extend(kids)
    return tree, {pk: titles[pk] for pk in tree}


@dataclass(frozen=True)
class JourneyHealth:
    """A journey's health for one reader: the journey's score (its sub-journeys included), each stage's
    and step's, each visible direct sub-journey's, and every metric's health."""

    journey: Score
    own: Score  # the journey's own map only (no sub-journeys)
    stages: dict[int, Score]
    steps: dict[int, Score]
    children: dict[int, Score]
    metrics: dict[int, MetricHealth]
    journeys: dict[int, list[int]]  # the visible hierarchy under the journey
    titles: dict[int, str]  # of the journeys in it


def journey_health(*, journey: Journey, user, periods: int = TREND_PERIODS) -> JourneyHealth:
    """The health of `journey` (which the caller checked `user` may see) and of its stages, steps and
    visible sub-journeys. Three queries, whatever the number of metrics and measurements.
    `periods`: recent periods read per metric (≥ 2; more for sparklines)."""
    tree, titles = visible_tree(journey=journey, user=user)
    metrics = journey_metrics(journey_ids=tree)
    health = metrics_health(metrics, periods=periods)
    by_journey: dict[int, list[MetricHealth]] = {}
    for metric in metrics:
        by_journey.setdefault(metric.journey_id, []).append(health[metric.pk])

    def subtree(pk: int) -> list[MetricHealth]:
        out, todo = [], [pk]
        while todo:
            current = todo.pop()
            out.extend(by_journey.get(current, []))
            todo.extend(tree.get(current, []))
        return out

    own = by_journey.get(journey.pk, [])
    steps: dict[int, list] = {}
    stages: dict[int, list] = {}
    for h in own:
        if h.metric.step_id:
            steps.setdefault(h.metric.step_id, []).append(h)
            stages.setdefault(h.metric.step.stage_id, []).append(h)
        elif h.metric.stage_id:
            stages.setdefault(h.metric.stage_id, []).append(h)
    return JourneyHealth(
        journey=score_of(subtree(journey.pk)),
        own=score_of(own),
        stages={pk: score_of(items) for pk, items in stages.items()},
        steps={pk: score_of(items) for pk, items in steps.items()},
        children={pk: score_of(subtree(pk)) for pk in tree.get(journey.pk, [])},
        metrics=health,
        journeys=tree,
        titles=titles,
    )


@dataclass(frozen=True)
class ExplainedMetric:
    """One line of an explanation: a metric, where it sits, its values, weight, status and rule."""

    metric: int
    name: str
    journey: int
    element: str  # "journey", "stage" or "step"
    element_id: int
    element_title: str
    unit: str
    direction: str
    weight: int
    period_start: date | None
    period_end: date | None
    value: Decimal | None
    responses: int | None
    previous_period_end: date | None
    previous_value: Decimal | None
    good: Decimal | None
    off_track: Decimal | None
    thresholds_from: str | None
    status: str
    previous_status: str
    points: int | None
    trend: str | None
    rule: str


@dataclass(frozen=True)
class Explanation:
    """Why a journey has its score: the score, the previous period's, the change, the counts by status,
    the rule's constants, and one line per metric included."""

    journey: int
    score: int | None
    previous: int | None
    change: int | None
    counts: dict
    metrics: list[ExplainedMetric]
    sub_journeys: list[int]
    rule: dict


def _line(h: MetricHealth, titles: dict[int, str]) -> ExplainedMetric:
    m = h.metric
    if m.step_id:
        element, element_id, title = "step", m.step_id, m.step.title
    elif m.stage_id:
        element, element_id, title = "stage", m.stage_id, m.stage.title
    else:
        element, element_id, title = "journey", m.journey_id, titles.get(m.journey_id, "")
    return ExplainedMetric(
        metric=m.pk,
        name=m.name,
        journey=m.journey_id,
        element=element,
        element_id=element_id,
        element_title=title,
        unit=m.unit_text(),
        direction=m.direction,
        weight=m.weight,
        period_start=h.latest.start if h.latest else None,
        period_end=h.latest.end if h.latest else None,
        value=h.latest.value if h.latest else None,
        responses=h.latest.responses if h.latest else None,
        previous_period_end=h.previous.end if h.previous else None,
        previous_value=h.previous.value if h.previous else None,
        good=h.limits.good if h.limits else None,
        off_track=h.limits.off_track if h.limits else None,
        thresholds_from=h.limits.source if h.limits else None,
        status=h.status,
        previous_status=h.previous_status,
        points=h.points,
        trend=h.trend,
        rule=h.rule,
    )


RULE = {
    "points": {str(k): v for k, v in POINTS.items()},
    "formula": "round(Σ weight × points / Σ weight) over rated metrics; none rated: not measured",
    "target_tolerance": float(TOLERANCE),
    "steady_within": float(STEADY),
    "trend_periods": TREND_PERIODS,
}


def explain(*, journey: Journey, user, health: JourneyHealth | None = None) -> Explanation:
    """Which metrics, values, weights and rules produced the journey's score, and its change since the
    previous period (see the module docstring). `journey` is checked visible to `user` by the caller.
    journey_health's three queries, or none given its `health`."""
    health = health or journey_health(journey=journey, user=user)
    score = health.journey
    return Explanation(
        journey=journey.pk,
        score=score.score,
        previous=score.previous,
        change=score.change,
        counts=score.counts,
        metrics=[_line(h, health.titles) for h in score.metrics],
        sub_journeys=sorted(pk for pks in health.journeys.values() for pk in pks),
        rule=RULE,
    )
