"""The outcome loop: did the metric an initiative targeted move?

For a target metric of an initiative with a ship date S, `baseline_days` B and `after_days` A:

    baseline window   the B days before S:     S − B … S − 1
    after window      the A days from S on:    S … S + A − 1

A period of the metric (a month, a week, a day: its measurements, metrics/selectors.py) belongs to the
baseline when it ends before S and its end falls in the baseline window, and to the after side when it
starts on or after S and its start falls in the after window. So both sides count whole periods on their own
side of the ship date, each reaching out the same number of days; a period that straddles the ship date
(starts before S, ends on or after it) belongs to neither: it mixes before and after.

Each side's value follows the metric's own aggregation (metrics.models.Aggregation; the rules of
metrics.selectors.period_value, reused here, not repeated): the side is read as one long period whose rows
are its periods' rows (for each period its all-customers row when it has one, else its segment rows) —

    NPS with counts          % promoters − % detractors of the summed counts
    CSAT share with counts   summed satisfied / summed responses × 100
    with responses on every row (average, CSAT mean, and NPS/CSAT without counts)
                             the mean weighted by responses
    without responses        the plain mean of the periods' values
    sum                      the mean period total (a side with a missing month still compares)
    last                     the latest period's value

The change is after − baseline, and in percent (after − baseline) / |baseline| × 100 (none when the
baseline is 0). The target is **met** when the change goes the expected direction by at least the expected
size: in the metric's unit (absolute) or in percent of the baseline; a size of 0 asks for any move that way,
and no change is never met. A percent size from a baseline of 0 is met by any move the expected way (an
unbounded percentage).

**Not enough data yet**, not a verdict, when either side has fewer than MIN_PERIODS periods. While the
after window is still running (its last day is after today) a verdict is "so far": more data may change it.
Moving an initiative to "measured" records each target's verdict as it stands then
(services.initiatives.initiative_set_status); until then the page and the API compute it live.

Worked examples (the help page shows them; tests/prioritization/test_outcomes.py holds them):

1. Onboarding time (days, average), shipped 1 Jul 2025, windows 91/92 days, expected down by 2 days:
   baseline Apr–Jun 22, 20, 21 → 21; after Jul–Sep 19, 20, 18 → 19; change −2 (−9.52 %): met.
2. Support CSAT (CSAT share from counts), expected up by 2 points: baseline 380 of 446 and 378 of 447
   satisfied (the counts summed: 758 / 893 = 84.88 %), after 390 of 458 and 395 of 463 (785 / 921 =
   85.23 %); change +0.35 points: not met.
3. NPS from counts, expected up by 10 %: baseline months of 10 promoters, 10 passives, 5 detractors and of
   40, 20, 15 (summed 50, 30, 20 → NPS 30); after months of 20, 5, 5 and 40, 20, 10 (summed 60, 25, 15 →
   45); change +15 (+50 %): met. The mean of the monthly NPS (20 and 33.33 before) would weigh a month of
   25 answers like one of 75: the counts are summed instead.
4. One baseline month only (a metric measured since shortly before the ship date): not enough data yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from metrics.charts import number
from metrics.models import VALUE_PLACES, Aggregation, Measurement, Metric, Unit
from metrics.selectors import ROW_FIELDS, Period, period_value, responses_of

from .models import ExpectedDirection, Initiative, InitiativeTarget, SizeUnit, Verdict

MIN_PERIODS = 2  # periods each side needs before a verdict
QUANTUM = Decimal(1).scaleb(-VALUE_PLACES)
PERCENT_QUANTUM = Decimal("0.01")
CONTEXT_FACTOR = 1  # the chart shows this many window lengths beyond each window, for context


@dataclass(frozen=True)
class Side:
    """One window of an outcome: its days, the periods in it (oldest first), its value and the answers
    behind it when the rows say (None otherwise)."""

    start: date
    end: date
    periods: tuple[Period, ...] = ()
    value: Decimal | None = None
    responses: int | None = None

    @property
    def count(self) -> int:
        return len(self.periods)


@dataclass(frozen=True)
class Outcome:
    """A target's outcome: both sides, the change, the verdict and why."""

    target: InitiativeTarget
    metric: Metric
    ship_date: date | None
    baseline: Side | None = None
    after: Side | None = None
    change: Decimal | None = None
    change_percent: Decimal | None = None
    verdict: str = Verdict.NOT_ENOUGH_DATA
    reason: str = ""
    window_open: bool = False  # the after window has not ended yet: the verdict is "so far"
    straddling: int = 0  # periods across the ship date, in neither side
    context: tuple[Period, ...] = field(default_factory=tuple)  # periods around the windows, for the chart

    @property
    def verdict_label(self) -> str:
        return Verdict(self.verdict).label

    @property
    def has_verdict(self) -> bool:
        return self.verdict != Verdict.NOT_ENOUGH_DATA


def windows(ship: date, baseline_days: int, after_days: int) -> tuple[tuple[date, date], tuple[date, date]]:
    """((baseline first day, last day), (after first day, last day)) around the ship date."""
    return (
        (ship - timedelta(days=baseline_days), ship - timedelta(days=1)),
        (ship, ship + timedelta(days=after_days - 1)),
    )


def _q(value) -> Decimal:
    return Decimal(value).quantize(QUANTUM, rounding=ROUND_HALF_UP)


def _rows_of_period(rows: list[dict]) -> list[dict]:
    """The rows that make a period's value: its all-customers row when it has one, else its segments."""
    whole = [r for r in rows if r["segment"] == ""]
    return whole[:1] or rows


def window_value(aggregation: str, periods_rows: list[list[dict]]) -> tuple[Decimal, int | None]:
    """The value of a side made of these periods (each a list of its measurement rows, oldest period
    first) and the responses behind it (None when not every row says), by the module docstring's rules.
    No queries."""
    chosen = [_rows_of_period(rows) for rows in periods_rows]
    values = [period_value(aggregation, rows) for rows in periods_rows]
    counts = [responses_of(r["components"]) for rows in chosen for r in rows]
    responses = sum(counts) if counts and all(n is not None for n in counts) else None
    if aggregation == Aggregation.LAST:
        return values[-1].value, values[-1].responses
    if aggregation == Aggregation.SUM:
        return _q(sum(p.value for p in values) / len(values)), responses
    if responses is None:
        return _q(sum(p.value for p in values) / len(values)), None
    # One long period whose segments are the periods' rows: metrics' rule combines them (counts summed for
    # NPS and CSAT share, the responses-weighted mean otherwise).
    pooled = [{**r, "segment": f"{i}:{r['segment']}"} for i, rows in enumerate(chosen) for r in rows]
    return _q(period_value(aggregation, pooled).value), responses


def judge(
    *, direction: str, size: Decimal, unit: str, baseline: Decimal, after: Decimal
) -> tuple[bool, Decimal, Decimal | None]:
    """(met, change, change in percent or None) of a move from `baseline` to `after` against the expected
    direction and size (module docstring). No queries."""
    change = _q(after - baseline)
    percent = (
        ((after - baseline) / abs(baseline) * 100).quantize(PERCENT_QUANTUM, rounding=ROUND_HALF_UP)
        if baseline
        else None
    )
    sign = 1 if direction == ExpectedDirection.UP else -1
    moved = change * sign
    if moved <= 0:
        return False, change, percent
    if unit == SizeUnit.PERCENT:
        if percent is None:  # from 0, any move the expected way is an unbounded percentage
            return True, change, percent
        return percent * sign >= size, change, percent
    return moved >= size, change, percent


def outcome_of(
    target: InitiativeTarget,
    *,
    ship_date: date | None,
    baseline_days: int,
    after_days: int,
    periods_rows: list[list[dict]],
    today: date | None = None,
) -> Outcome:
    """The outcome of one target from its metric's periods around the ship date (`periods_rows`: each
    period's measurement rows, any order; periods outside the windows are kept as the chart's context).
    No queries."""
    metric = target.metric
    if ship_date is None:
        return Outcome(
            target, metric, None, reason="Not shipped yet: the outcome is measured from the ship date."
        )
    today = today or timezone.localdate()
    (b_start, b_end), (a_start, a_end) = windows(ship_date, baseline_days, after_days)
    ordered = sorted(periods_rows, key=lambda rows: (rows[0]["period_start"], rows[0]["period_end"]))
    before, after, straddling = [], [], 0
    for rows in ordered:
        start, end = rows[0]["period_start"], rows[0]["period_end"]
        if end < ship_date and b_start <= end:
            before.append(rows)
        elif start >= ship_date and start <= a_end:
            after.append(rows)
        elif start < ship_date <= end:
            straddling += 1
    context = tuple(period_value(metric.aggregation, rows) for rows in ordered)

    def side(start, end, chosen):
        if not chosen:
            return Side(start, end)
        value, responses = window_value(metric.aggregation, chosen)
        periods = tuple(period_value(metric.aggregation, rows) for rows in chosen)
        return Side(start, end, periods, value, responses)

    base, post = side(b_start, b_end, before), side(a_start, a_end, after)
    common = {
        "baseline": base,
        "after": post,
        "window_open": a_end >= today,
        "straddling": straddling,
        "context": context,
    }
    if base.count < MIN_PERIODS or post.count < MIN_PERIODS:
        return Outcome(
            target,
            metric,
            ship_date,
            reason=(
                f"Not enough data yet: {base.count} period{'s' if base.count != 1 else ''} before and "
                f"{post.count} after the ship date; a verdict needs at least {MIN_PERIODS} on each side."
            ),
            **common,
        )
    met, change, percent = judge(
        direction=target.expected_direction,
        size=target.expected_size,
        unit=target.size_unit,
        baseline=base.value,
        after=post.value,
    )
    return Outcome(
        target,
        metric,
        ship_date,
        change=change,
        change_percent=percent,
        verdict=Verdict.MET if met else Verdict.NOT_MET,
        reason=expectation(target) + (" — met." if met else " — not met."),
        **common,
    )


def expectation(target: InitiativeTarget) -> str:
    """ "Expected up by at least 2 points" in words (the metric's unit, or percent)."""
    word = "up" if target.expected_direction == ExpectedDirection.UP else "down"
    if target.expected_size == 0:
        return f"Expected to go {word}"
    if target.size_unit == SizeUnit.PERCENT:
        return f"Expected {word} by at least {number(target.expected_size)} %"
    # A percent metric moves in points: "%" here would read as percent of the baseline.
    unit = "points" if target.metric.unit == Unit.PERCENT else target.metric.unit_text()
    return f"Expected {word} by at least {number(target.expected_size)}{' ' + unit if unit else ''}"


# ------------------------------------------------------------------------------------------ reading


def _span(initiative: Initiative, *, context: bool) -> tuple[date, date]:
    (b_start, _), (_, a_end) = windows(
        initiative.shipped_date, initiative.baseline_days, initiative.after_days
    )
    if context:
        b_start -= timedelta(days=initiative.baseline_days * CONTEXT_FACTOR)
        a_end += timedelta(days=initiative.after_days * CONTEXT_FACTOR)
    return b_start, a_end


def periods_of(targets: list[InitiativeTarget], initiative: Initiative, *, context: bool = True) -> dict:
    """{metric id: [rows of one period, …]} of the targets' metrics around the initiative's ship date (and,
    with `context`, one window length beyond each window for the chart). One query for any number of
    targets; none when there is no ship date or no target."""
    if initiative.shipped_date is None or not targets:
        return {}
    first, last = _span(initiative, context=context)
    rows = (
        Measurement.objects.filter(
            metric_id__in=[t.metric_id for t in targets], period_end__gte=first, period_start__lte=last
        )
        .order_by("metric_id", "period_start", "period_end", "segment")
        .values(*ROW_FIELDS)
    )
    grouped: dict[int, dict[tuple, list[dict]]] = {}
    for row in rows:
        key = (row["period_start"], row["period_end"])
        grouped.setdefault(row["metric_id"], {}).setdefault(key, []).append(row)
    return {metric_id: list(by_period.values()) for metric_id, by_period in grouped.items()}


def outcomes_for(initiative: Initiative, targets: list[InitiativeTarget], *, today=None) -> list[Outcome]:
    """The outcome of each target (their `metric` read already), in their order. One query (the
    measurements of every target around the ship date), none without a ship date or targets."""
    found = periods_of(targets, initiative)
    return [
        outcome_of(
            t,
            ship_date=initiative.shipped_date,
            baseline_days=initiative.baseline_days,
            after_days=initiative.after_days,
            periods_rows=found.get(t.metric_id, []),
            today=today,
        )
        for t in targets
    ]


def record(outcome: Outcome, *, at) -> list[str]:
    """Put an outcome's verdict, side values and counts on its target (unsaved); the changed field names."""
    t = outcome.target
    t.verdict = outcome.verdict
    t.baseline_value = outcome.baseline.value if outcome.baseline else None
    t.after_value = outcome.after.value if outcome.after else None
    t.baseline_count = outcome.baseline.count if outcome.baseline else 0
    t.after_count = outcome.after.count if outcome.after else 0
    t.measured_at = at
    return ["verdict", "baseline_value", "after_value", "baseline_count", "after_count", "measured_at"]


# ------------------------------------------------------------------------------------------ worked examples
# The module docstring's examples as data: the help page computes and shows them (inputs, both sides, the
# change and the verdict) and tests/prioritization/test_outcomes.py holds the figures, so the page, the
# docstring and the code cannot drift apart.


@dataclass(frozen=True)
class Example:
    title: str
    metric: dict  # Metric fields: name, kind, unit, aggregation
    ship: date
    baseline_days: int
    after_days: int
    direction: str
    size: Decimal
    size_unit: str
    periods: tuple  # (first day, last day, value, components)
    note: str = ""


def _month(year: int, month: int) -> tuple[date, date]:
    start = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return start, following - timedelta(days=1)


def _monthly(year: int, first_month: int, values, components=None) -> tuple:
    out = []
    for i, value in enumerate(values):
        start, end = _month(year + (first_month - 1 + i) // 12, (first_month - 1 + i) % 12 + 1)
        comps = components[i] if components else {}
        out.append((start, end, None if value is None else Decimal(str(value)), comps))
    return tuple(out)


def _csat(satisfied: int, responses: int) -> tuple[Decimal, dict]:
    return (Decimal(100) * satisfied / responses).quantize(QUANTUM), {
        "satisfied": satisfied,
        "responses": responses,
    }


def _nps(p: int, n: int, d: int) -> tuple[Decimal, dict]:
    return (Decimal(100) * (p - d) / (p + n + d)).quantize(QUANTUM), {
        "promoters": p,
        "passives": n,
        "detractors": d,
    }


def _counted(year: int, first_month: int, pairs) -> tuple:
    return _monthly(year, first_month, [v for v, _c in pairs], [c for _v, c in pairs])


EXAMPLES = (
    Example(
        title="Onboarding time goes down by 2 days: met",
        metric={
            "name": "Onboarding time",
            "kind": "time_to_complete",
            "unit": "days",
            "aggregation": "average",
        },
        ship=date(2025, 7, 1),
        baseline_days=91,  # 1 Apr – 30 Jun
        after_days=92,  # 1 Jul – 30 Sep
        direction=ExpectedDirection.DOWN,
        size=Decimal(2),
        size_unit=SizeUnit.ABSOLUTE,
        periods=_monthly(2025, 3, [23, 22, 20, 21, 19, 20, 18, 17]),
        note="March and October lie outside the windows; no answers counted, so each side is the mean of its "
        "months.",
    ),
    Example(
        title="Support CSAT up by 2 points: not met",
        metric={"name": "Support CSAT", "kind": "csat", "unit": "percent", "aggregation": "csat_share"},
        ship=date(2025, 5, 1),
        baseline_days=61,  # 1 Mar – 30 Apr
        after_days=61,  # 1 May – 30 Jun
        direction=ExpectedDirection.UP,
        size=Decimal(2),
        size_unit=SizeUnit.ABSOLUTE,
        periods=_counted(2025, 3, [_csat(380, 446), _csat(378, 447), _csat(390, 458), _csat(395, 463)]),
        note="Each side sums its satisfied answers and its responses: 758 of 893 before, 785 of 921 after.",
    ),
    Example(
        title="NPS up by 10 %: met",
        metric={"name": "NPS", "kind": "nps", "unit": "score", "aggregation": "nps"},
        ship=date(2025, 3, 1),
        baseline_days=59,  # 1 Jan – 28 Feb
        after_days=61,  # 1 Mar – 30 Apr
        direction=ExpectedDirection.UP,
        size=Decimal(10),
        size_unit=SizeUnit.PERCENT,
        periods=_counted(2025, 1, [_nps(10, 10, 5), _nps(40, 20, 15), _nps(20, 5, 5), _nps(40, 20, 10)]),
        note="Summed counts: 50 promoters, 30 passives, 20 detractors before (NPS 30), 60, 25, 15 after "
        "(45). The mean of the monthly NPS before (20 and 33.33) would weigh 25 answers like 75.",
    ),
    Example(
        title="One month before the ship date: not enough data yet",
        metric={
            "name": "Trial conversion",
            "kind": "conversion_rate",
            "unit": "percent",
            "aggregation": "average",
        },
        ship=date(2025, 9, 1),
        baseline_days=90,
        after_days=90,
        direction=ExpectedDirection.UP,
        size=Decimal(1),
        size_unit=SizeUnit.ABSOLUTE,
        periods=_monthly(2025, 8, [17.5, 18.9, 19.4, 19.8]),
        note=f"The metric was first measured in August: a verdict needs {MIN_PERIODS} periods on each side.",
    ),
)


def example_outcome(example: Example, *, today: date | None = None) -> Outcome:
    """An example's outcome, computed on unsaved rows (no queries)."""
    metric = Metric(**example.metric)
    target = InitiativeTarget(
        metric=metric,
        expected_direction=example.direction,
        expected_size=example.size,
        size_unit=example.size_unit,
    )
    periods_rows = [
        [
            {
                "metric_id": None,
                "period_start": start,
                "period_end": end,
                "segment": "",
                "value": value,
                "components": comps,
                "entered_at": None,
            }
        ]
        for start, end, value, comps in example.periods
    ]
    return outcome_of(
        target,
        ship_date=example.ship,
        baseline_days=example.baseline_days,
        after_days=example.after_days,
        periods_rows=periods_rows,
        today=today or date(2026, 1, 1),
    )
