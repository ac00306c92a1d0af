"""Shift detection: sharp changes of a metric, found after each import and nightly (metrics/tasks.py,
config/celery.py's beat schedule), recorded as MetricShift events through services.shifts_record, once
per metric and period however often the scan runs. Governance turns them into review triggers.

The rule, for a metric's latest period value x against its trailing baseline, the up to n periods before
it (values of periods as metrics/selectors.py `period_value` makes them):

    with at least `min_history` baseline periods whose standard deviation s (sample) is above 0:
        a shift when |x − mean| > k × s;             size = (x − mean) / s   (rule "deviation")
    otherwise (a short or flat history, at least one period before):
        a shift when |x − mean| / |mean| > r;        size = (x − mean) / |mean|   (rule "relative")
        (no shift when the mean is 0: no relative change is defined)

Parameters (models.MetricsSettings, per workspace; defaults k = 3, n = 8, min_history = 4, r = 25 %).
Direction: up or down; `better` when it goes the metric's good way.

Worked example: monthly conversion 10.0, 10.4, 9.8, 10.2, 10.1, 9.9 then 7.5: mean 10.067, s 0.216,
(7.5 − 10.067) / 0.216 = −11.9 standard deviations → a shift down (worse, conversion is higher-better).
With only 12.0 and 12.4 before a 16.0: mean 12.2, relative change +31 % > 25 % → a shift up.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from decimal import Decimal

from .models import (
    DEFAULT_SHIFT_MIN_HISTORY,
    DEFAULT_SHIFT_RELATIVE,
    DEFAULT_SHIFT_SIGMAS,
    DEFAULT_SHIFT_WINDOW,
    Direction,
    Metric,
    MetricShift,
    MetricsSettings,
    ShiftDirection,
    ShiftRule,
)
from .selectors import Period, recent_periods
from .services import shifts_record

SCAN_CHUNK = 2_000  # metrics read at once by the nightly scan


@dataclass(frozen=True)
class Params:
    """k (standard deviations), n (trailing periods), the history below which the relative rule applies,
    and r (relative change, percent)."""

    sigmas: Decimal = DEFAULT_SHIFT_SIGMAS
    window: int = DEFAULT_SHIFT_WINDOW
    min_history: int = DEFAULT_SHIFT_MIN_HISTORY
    relative: int = DEFAULT_SHIFT_RELATIVE


def params_for(workspace_ids) -> dict[int, Params]:
    """{workspace id: Params} (defaults for a workspace without settings). One query."""
    found = {
        s.workspace_id: Params(s.shift_sigmas, s.shift_window, s.shift_min_history, s.shift_relative)
        for s in MetricsSettings.objects.filter(workspace_id__in=list(workspace_ids))
    }
    return {pk: found.get(pk, Params()) for pk in workspace_ids}


def detect(metric: Metric, periods: list[Period], params: Params) -> MetricShift | None:
    """The shift of the metric's latest period (periods newest first), unsaved, or None (see the module
    docstring). No queries."""
    if len(periods) < 2:
        return None
    latest, baseline = periods[0], [p.value for p in periods[1 : 1 + params.window]]
    x = float(latest.value)
    values = [float(v) for v in baseline]
    mean = statistics.fmean(values)
    relative = (x - mean) / abs(mean) if mean else None
    spread = statistics.stdev(values) if len(values) >= max(params.min_history, 2) else 0.0
    if spread > 0:
        size = (x - mean) / spread
        if abs(size) <= float(params.sigmas):
            return None
        rule = ShiftRule.DEVIATION
    else:
        if relative is None or abs(relative) * 100 <= params.relative:
            return None
        size, rule = relative, ShiftRule.RELATIVE
    up = x > mean
    return MetricShift(
        metric_id=metric.pk,
        journey_id=metric.journey_id,
        period_start=latest.start,
        period_end=latest.end,
        value=latest.value,
        baseline=Decimal(str(round(mean, 6))),
        size=size,
        relative_change=relative,
        direction=ShiftDirection.UP if up else ShiftDirection.DOWN,
        better=up == (metric.direction == Direction.HIGHER),
        rule=rule,
        history=len(values),
    )


def _scan(metrics: list[Metric]) -> list[MetricShift]:
    if not metrics:
        return []
    params = params_for({m.journey.workspace_id for m in metrics})
    window = max(p.window for p in params.values())
    recent = recent_periods(metrics={m.pk: m.aggregation for m in metrics}, periods=window + 1)
    found = []
    for metric in metrics:
        p = params[metric.journey.workspace_id]
        shift = detect(metric, recent.get(metric.pk, [])[: p.window + 1], p)
        if shift is not None:
            found.append(shift)
    return shifts_record(shifts=found)


def scan_journey(*, journey_id: int) -> list[MetricShift]:
    """Detect and record the shifts of one journey's metrics (after an import or API push). Returns the
    new ones. Four queries, whatever the number of metrics and measurements (and one more to record)."""
    metrics = list(Metric.objects.filter(journey_id=journey_id).select_related("journey"))
    return _scan(metrics)


def scan_all() -> int:
    """The nightly scan: every metric, SCAN_CHUNK at a time. Returns how many shifts are new."""
    new, last = 0, 0
    while True:
        chunk = list(Metric.objects.filter(pk__gt=last).select_related("journey").order_by("pk")[:SCAN_CHUNK])
        if not chunk:
            return new
        new += len(_scan(chunk))
        last = chunk[-1].pk
