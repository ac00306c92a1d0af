"""The outcome loop (prioritization/outcomes.py): each side's value by the metric's own aggregation, the
windows around the ship date, the verdict, "not enough data yet", and the worked examples of the docstring
and help page, with real measurements recorded through metrics' services."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from metrics import services as metric_services
from prioritization import outcomes
from prioritization.models import Initiative, InitiativeTarget, SizeUnit, Verdict
from prioritization.outcomes import EXAMPLES, example_outcome, judge, outcome_of, outcomes_for, windows

from .initiative_fixtures import *  # noqa: F403 (fixtures)

D = Decimal


def month(year, m):
    start = date(year, m, 1)
    end = date(year + m // 12, m % 12 + 1, 1) - timedelta(days=1)
    return start, end


def put(metric, by, year, first_month, values, *, segment="", components=None):
    """Monthly measurements (None skips a month) through the bulk service."""
    items = []
    for i, value in enumerate(values):
        m = first_month + i
        start, end = month(year + (m - 1) // 12, (m - 1) % 12 + 1)
        if value is None and not components:
            continue
        item = {"metric": metric.pk, "period_start": start, "period_end": end, "segment": segment}
        if value is not None:
            item["value"] = D(str(value))
        if components:
            item["components"] = components[i]
        items.append(item)
    metric_services.measurements_upsert(journey_id=metric.journey_id, by=by, items=items)


def shipped(workspace, ship, baseline=90, after=90):
    return Initiative.objects.create(
        workspace=workspace, title="Guided setup", status="shipped", shipped_date=ship,
        baseline_days=baseline, after_days=after,
    )  # fmt: skip


def target(initiative, metric, direction="up", size=0, unit=SizeUnit.ABSOLUTE):
    return InitiativeTarget.objects.create(
        initiative=initiative,
        metric=metric,
        expected_direction=direction,
        expected_size=D(size),
        size_unit=unit,
    )


# ------------------------------------------------------------------------------------------ worked examples


def test_the_worked_examples_give_the_documented_figures():
    onboarding, csat, nps, early = (example_outcome(e) for e in EXAMPLES)

    assert onboarding.verdict == Verdict.MET
    assert (onboarding.baseline.value, onboarding.after.value) == (D(21), D(19))
    assert (onboarding.change, onboarding.change_percent) == (D(-2), D("-9.52"))
    assert (onboarding.baseline.count, onboarding.after.count) == (3, 3)
    assert [p.start.month for p in onboarding.baseline.periods] == [4, 5, 6]
    assert [p.start.month for p in onboarding.after.periods] == [7, 8, 9]

    # CSAT share: the counts summed per side, 758 / 893 and 785 / 921.
    assert csat.verdict == Verdict.NOT_MET
    assert csat.baseline.value.quantize(D("0.01")) == D("84.88")
    assert csat.after.value.quantize(D("0.01")) == D("85.23")
    assert csat.baseline.value == (D(100) * 758 / 893).quantize(D("0.000001"))
    assert (csat.baseline.responses, csat.after.responses) == (893, 921)
    assert csat.change.quantize(D("0.01")) == D("0.35")

    # NPS from summed counts (30 → 45), not the mean of monthly NPS (26.67 before).
    assert nps.verdict == Verdict.MET
    assert (nps.baseline.value, nps.after.value, nps.change, nps.change_percent) == (
        D(30),
        D(45),
        D(15),
        D(50),
    )
    monthly_mean = sum(p.value for p in nps.baseline.periods) / 2
    assert monthly_mean.quantize(D("0.01")) == D("26.67")

    assert early.verdict == Verdict.NOT_ENOUGH_DATA
    assert (early.baseline.count, early.after.count) == (1, 3)
    assert early.change is None
    assert "Not enough data yet" in early.reason and "at least 2 on each side" in early.reason


def test_the_docstring_and_the_examples_say_the_same():
    text = outcomes.__doc__
    for words in ("−2 (−9.52 %): met", "758 / 893 = 84.88 %", "785 / 921 =", "+15 (+50 %): met"):
        assert words in text
    assert [e.title for e in EXAMPLES][-1].startswith("One month before the ship date")


# ---------------------------------------------------------------------------------------------- windows


def test_windows_are_whole_days_before_and_from_the_ship_date():
    assert windows(date(2025, 7, 1), 91, 92) == (
        (date(2025, 4, 1), date(2025, 6, 30)),
        (date(2025, 7, 1), date(2025, 9, 30)),
    )
    assert windows(date(2025, 7, 1), 1, 1) == (
        (date(2025, 6, 30), date(2025, 6, 30)),
        (date(2025, 7, 1),) * 2,
    )


def _rows(periods):
    return [
        [
            {
                "period_start": s,
                "period_end": e,
                "segment": "",
                "value": D(v),
                "components": {},
                "entered_at": None,
            }
        ]
        for s, e, v in periods
    ]


def test_a_period_across_the_ship_date_counts_on_neither_side():
    metric = outcomes.Metric(name="Weekly", aggregation="average", unit="count")
    t = InitiativeTarget(metric=metric, expected_direction="up", expected_size=D(0))
    ship = date(2025, 3, 5)  # a Wednesday
    weeks = [
        (date(2025, 2, 3) + timedelta(weeks=i), date(2025, 2, 9) + timedelta(weeks=i), 10 + i)
        for i in range(8)
    ]
    result = outcome_of(
        t, ship_date=ship, baseline_days=14, after_days=14, periods_rows=_rows(weeks), today=ship
    )
    # Weeks ending 23 Feb and 2 Mar before; the week of 3–9 Mar straddles; weeks from 10 and 17 Mar after.
    assert [p.end for p in result.baseline.periods] == [date(2025, 2, 23), date(2025, 3, 2)]
    assert [p.start for p in result.after.periods] == [date(2025, 3, 10), date(2025, 3, 17)]
    assert result.straddling == 1
    assert (result.baseline.value, result.after.value) == (D("12.5"), D("15.5"))
    assert result.verdict == Verdict.MET
    assert result.window_open  # the after window runs until 18 March


def test_the_after_window_closed_is_not_so_far():
    metric = outcomes.Metric(name="M", aggregation="average", unit="count")
    t = InitiativeTarget(metric=metric, expected_direction="up", expected_size=D(0))
    periods = [(date(2025, 1, d), date(2025, 1, d), v) for d, v in ((1, 1), (2, 1), (3, 2), (4, 2))]
    result = outcome_of(
        t, ship_date=date(2025, 1, 3), baseline_days=2, after_days=2, periods_rows=_rows(periods),
        today=date(2025, 1, 5),
    )  # fmt: skip
    assert not result.window_open
    assert result.verdict == Verdict.MET


def test_no_ship_date_no_outcome():
    metric = outcomes.Metric(name="M", aggregation="average")
    result = outcome_of(
        InitiativeTarget(metric=metric, expected_direction="up", expected_size=D(1)),
        ship_date=None, baseline_days=90, after_days=90, periods_rows=[],
    )  # fmt: skip
    assert result.verdict == Verdict.NOT_ENOUGH_DATA
    assert result.baseline is None and "Not shipped yet" in result.reason


# ---------------------------------------------------------------------------------------------- the verdict


@pytest.mark.parametrize(
    ("direction", "size", "unit", "baseline", "after", "met"),
    [
        ("up", 2, "absolute", 10, 12, True),  # exactly the size
        ("up", 2, "absolute", 10, 11.99, False),
        ("up", 0, "absolute", 10, 10, False),  # no move is never met
        ("up", 0, "absolute", 10, 10.01, True),  # size 0: any move up
        ("down", 2, "absolute", 10, 8, True),
        ("down", 2, "absolute", 10, 12, False),  # the wrong way
        ("up", 10, "percent", 40, 44, True),  # +10 %
        ("up", 10, "percent", 40, 43.9, False),
        ("down", 10, "percent", -20, -22, True),  # −2 on |−20|: −10 %
        ("up", 10, "percent", 0, 0.5, True),  # from 0: an unbounded percentage
        ("down", 10, "percent", 0, 0.5, False),
    ],
)
def test_judge(direction, size, unit, baseline, after, met):
    result, change, _percent = judge(
        direction=direction, size=D(size), unit=unit, baseline=D(str(baseline)), after=D(str(after))
    )
    assert result is met
    assert change == (D(str(after)) - D(str(baseline)))


def test_percent_change_is_none_from_zero():
    assert judge(direction="up", size=D(1), unit="absolute", baseline=D(0), after=D(2)) == (True, D(2), None)


# ---------------------------------------------------------------------------------------------- aggregation


@pytest.mark.django_db
def test_segments_and_all_customer_rows_follow_metrics_rules(workspace, admin, pain_journey):
    nps = metric_services.metric_create(journey_id=pain_journey.pk, by=admin, name="NPS", kind="nps")
    counts = [
        {"promoters": 6, "passives": 2, "detractors": 2},
        {"promoters": 4, "passives": 4, "detractors": 2},
    ]
    # Jan–Feb: segments only (combined from their counts); Mar–Apr: an all-customers row that wins over its
    # segments (whatever they say).
    put(nps, admin, 2025, 1, [None, None], segment="EU", components=counts)
    put(nps, admin, 2025, 1, [None, None], segment="US", components=counts)
    put(nps, admin, 2025, 3, [None, None], components=[{"promoters": 8, "passives": 1, "detractors": 1}] * 2)
    put(
        nps,
        admin,
        2025,
        3,
        [-100, -100],
        segment="EU",
        components=[{"promoters": 0, "passives": 0, "detractors": 5}] * 2,
    )
    initiative = shipped(workspace, date(2025, 3, 1), baseline=59, after=61)
    t = target(initiative, nps, "up", 10)
    (result,) = outcomes_for(initiative, [InitiativeTarget.objects.select_related("metric").get(pk=t.pk)])
    # before: 2 × (6+4) promoters, 2 × (2+4) passives, 2 × (2+2) detractors = 20, 12, 8 → (20 − 8) / 40 = 30
    assert result.baseline.value == D(30)
    assert result.baseline.responses == 40
    # after: the all-customers rows only: 16, 2, 2 → 70
    assert result.after.value == D(70)
    assert result.verdict == Verdict.MET


@pytest.mark.django_db
def test_sum_is_the_mean_period_total_and_last_the_latest(workspace, admin, pain_journey):
    tickets = metric_services.metric_create(
        journey_id=pain_journey.pk, by=admin, name="Tickets", kind="count"
    )
    level = metric_services.metric_create(
        journey_id=pain_journey.pk,
        by=admin,
        name="Backlog",
        kind="custom",
        aggregation="last",
        unit_label="items",
    )
    put(tickets, admin, 2025, 1, [100, None, 120, 90, 60, 30])  # February missing
    put(level, admin, 2025, 1, [5, 7, 9, 3, 2, 1])
    initiative = shipped(workspace, date(2025, 4, 1), baseline=90, after=91)
    for metric in (tickets, level):
        target(initiative, metric, "down", 0)
    targets = list(initiative.targets.select_related("metric").order_by("pk"))
    by_tickets, by_level = outcomes_for(initiative, targets)
    assert by_tickets.baseline.count == 2  # January and March
    assert by_tickets.baseline.value == D(110)  # (100 + 120) / 2: a missing month does not halve the side
    assert by_tickets.after.value == D(60)
    assert by_level.baseline.value == D(9)  # the latest period before: March
    assert by_level.after.value == D(1)  # the latest after: June


@pytest.mark.django_db
def test_values_without_responses_are_the_mean_of_periods(workspace, admin, pain_journey):
    m = metric_services.metric_create(
        journey_id=pain_journey.pk, by=admin, name="Conversion", kind="conversion_rate"
    )
    # February has two segments without counts (mean 20); January an all-customers 10.
    put(m, admin, 2025, 1, [10])
    put(m, admin, 2025, 2, [15], segment="EU")
    put(m, admin, 2025, 2, [25], segment="US")
    put(m, admin, 2025, 3, [30, 40])
    initiative = shipped(workspace, date(2025, 3, 1), baseline=59, after=61)
    target(initiative, m, "up", 50, SizeUnit.PERCENT)
    (result,) = outcomes_for(initiative, list(initiative.targets.select_related("metric")))
    assert result.baseline.value == D(15)  # (10 + 20) / 2, not (10 + 15 + 25) / 3
    assert result.after.value == D(35)
    assert result.change_percent == D("133.33")
    assert result.verdict == Verdict.MET


@pytest.mark.django_db
@pytest.mark.parametrize("targets_n", [1, 6])
def test_outcomes_read_every_target_in_one_query(
    workspace, admin, pain_journey, targets_n, django_assert_num_queries
):
    initiative = shipped(workspace, date(2025, 4, 1))
    for i in range(targets_n):
        m = metric_services.metric_create(
            journey_id=pain_journey.pk, by=admin, name=f"M{i}", kind="custom", unit_label="points"
        )
        put(m, admin, 2024, 10, list(range(12)))
        target(initiative, m)
    targets = list(initiative.targets.select_related("metric"))
    with django_assert_num_queries(1):  # the measurements of every target around the ship date
        found = outcomes_for(initiative, targets)
    assert all(o.verdict == Verdict.MET for o in found)
    assert all(o.baseline.count == 3 and o.after.count == 3 for o in found)
    # The chart's context reaches one window length further each way.
    assert min(p.start for p in found[0].context) == date(2024, 10, 1)
