"""A metric's value per period as `recent_periods` reads it in one query (metrics/selectors.py): the
database keeps the all-customers row of a period that has one and counts its responses, and only the
segments of a period without one are combined in Python. Checked against `period_value` applied to every
row of each period (the rule as the docstring states it), for each aggregation and each way a row gives
its number of responses; plus the metrics as journey_health reads them (MetricFacts, no model instances).
"""

from datetime import date
from decimal import Decimal

import pytest

from metrics import selectors, services
from metrics.models import Measurement
from metrics.selectors import ROW_FIELDS, Period, journey_metrics, period_value, recent_periods

JAN, FEB, MAR, APR = (date(2025, m, 1) for m in (1, 2, 3, 4))


def _reference(metric) -> list[Period]:
    """Every period of the metric from all its rows, newest first, by period_value itself."""
    by_period: dict[tuple, list[dict]] = {}
    rows = Measurement.objects.filter(metric=metric).order_by("-period_end", "-period_start", "segment")
    for row in rows.values(*ROW_FIELDS):
        by_period.setdefault((row["period_start"], row["period_end"]), []).append(row)
    return [period_value(metric.aggregation, rows) for rows in by_period.values()]


def _items(metric, rows):
    return [
        {"metric": metric.pk, "date": day, "segment": segment, "value": value, "components": comps}
        for day, segment, value, comps in rows
    ]


@pytest.mark.parametrize(
    ("kind", "aggregation", "rows"),
    [
        # average: segments weighted by their responses; an all-customers row wins over segments.
        (
            "custom",
            "average",
            [
                (JAN, "EMEA", Decimal(10), {"responses": 30}),
                (JAN, "APAC", Decimal(20), {"responses": 10}),
                (FEB, "", Decimal(7), {"numerator": 7, "denominator": 100}),
                (FEB, "EMEA", Decimal(99), {"responses": 5}),
                (MAR, "EMEA", Decimal(4), None),
                (MAR, "APAC", Decimal(6), {"responses": 3}),  # one row without responses: a plain mean
                (APR, "", Decimal("12.5"), None),
            ],
        ),
        ("count", "sum", [(JAN, "EMEA", Decimal(3), None), (JAN, "APAC", Decimal(4), None)]),
        ("custom", "last", [(JAN, "EMEA", Decimal(3), None), (JAN, "APAC", Decimal(4), None)]),
        # NPS from summed counts; an all-customers row gives its responses as the three counts' sum.
        (
            "nps",
            "nps",
            [
                (JAN, "EMEA", None, {"promoters": 50, "passives": 30, "detractors": 20}),
                (JAN, "APAC", None, {"promoters": 10, "passives": 10, "detractors": 30}),
                (FEB, "", None, {"promoters": 60, "passives": 20, "detractors": 20}),
                (MAR, "EMEA", Decimal(20), None),  # no counts: the weighted mean
                (MAR, "APAC", None, {"promoters": 5, "passives": 0, "detractors": 5}),
            ],
        ),
        (
            "csat",
            "csat_share",
            [
                (JAN, "EMEA", None, {"satisfied": 80, "responses": 100}),
                (JAN, "APAC", None, {"satisfied": 10, "responses": 50}),
                (FEB, "", Decimal(75), {"satisfied": 75, "responses": 100}),
            ],
        ),
        ("csat", "csat_mean", [(JAN, "EMEA", Decimal(4), {"responses": 9}), (JAN, "APAC", Decimal(3), None)]),
    ],
)
def test_periods_read_in_sql_equal_the_rule_applied_to_every_row(journey, admin, kind, aggregation, rows):
    metric = services.metric_create(
        journey_id=journey.pk, by=admin, name="M", kind=kind, aggregation=aggregation, unit_label="points"
    )
    services.measurements_upsert(journey_id=journey.pk, by=admin, items=_items(metric, rows))
    expected = _reference(metric)
    assert recent_periods(metrics={metric.pk: aggregation}, periods=10)[metric.pk] == expected
    # Fewer periods: the newest ones, the same values.
    assert recent_periods(metrics={metric.pk: aggregation}, periods=1)[metric.pk] == expected[:1]


def test_the_responses_of_an_all_customers_row_come_from_its_counts(journey, admin):
    metric = services.metric_create(journey_id=journey.pk, by=admin, name="Rate", kind="conversion_rate")
    services.measurements_upsert(
        journey_id=journey.pk,
        by=admin,
        items=_items(
            metric,
            [
                (JAN, "", None, {"numerator": 12, "denominator": 48}),  # the denominator
                (FEB, "", Decimal(30), {"responses": 7, "denominator": 48}),  # responses come first
                (MAR, "", Decimal(30), {"promoters": 1, "passives": 2}),  # not all three: none
                (APR, "", Decimal(30), None),
            ],
        ),
    )
    periods = recent_periods(metrics={metric.pk: metric.aggregation}, periods=4)[metric.pk]
    assert [(p.start, p.value, p.responses, p.segments) for p in periods] == [
        (APR, Decimal("30.000000"), None, 0),
        (MAR, Decimal("30.000000"), None, 0),
        (FEB, Decimal("30.000000"), 7, 0),
        (JAN, Decimal("25.000000"), 48, 0),
    ]


def test_journey_metrics_are_facts_with_their_places(journey, admin, stage, step):
    on_step = services.metric_create(
        journey_id=journey.pk, by=admin, step=step.pk, name="Cost", kind="cost_to_serve", currency="EUR"
    )
    on_stage = services.metric_create(
        journey_id=journey.pk, by=admin, stage=stage.pk, name="CSAT", kind="csat"
    )
    own = services.metric_create(
        journey_id=journey.pk, by=admin, name="Effort", kind="custom", unit_label="pts"
    )
    facts = {m.pk: m for m in journey_metrics(journey_ids=[journey.pk])}
    # By journey: stage metrics, then step metrics in map order, then the journey's own (nulls last).
    assert list(facts) == [on_stage.pk, on_step.pk, own.pk]
    cost = facts[on_step.pk]
    assert (cost.step.pk, cost.step.title, cost.step.stage.pk, cost.step.stage_id) == (
        step.pk,
        step.title,
        step.stage_id,
        step.stage_id,
    )
    assert (cost.unit_text(), cost.get_kind_display(), cost.element_kind) == ("EUR", "Cost to serve", "step")
    assert facts[on_stage.pk].stage.title == stage.title and facts[on_stage.pk].element_kind == "stage"
    assert facts[own.pk].unit_text() == "pts" and facts[own.pk].get_direction_display() == "Higher is better"
    # The same unit text as the model's, for every unit.
    for metric in (on_step, on_stage, own):
        assert facts[metric.pk].unit_text() == metric.unit_text()
    assert selectors.any_of("journey_id", [])  # an empty list is a valid filter (no rows)
    assert journey_metrics(journey_ids=[]) == []
