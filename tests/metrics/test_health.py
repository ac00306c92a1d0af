"""Journey health (metrics/health.py): the worked example of its docstring, roll-up through stages,
steps and the sub-journeys the reader can see, "not measured" rather than 0, the explanation, and a
constant number of queries for 10 and 10,000 measurements."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from journeys.models import Visibility
from metrics import health, services
from metrics.health import Status, Trend, journey_health, status_of, thresholds, trend_of
from metrics.models import Measurement, Metric
from tests import factories

from .conftest import record


@pytest.fixture
def example(journey, stage, csat, nps_metric, admin):
    """The docstring's worked example: NPS on a step of the stage (weight 2), CSAT on the stage, drop-off
    on the journey with a target of 20 (lower is better)."""
    drop_off = services.metric_create(
        journey_id=journey.pk, by=admin, name="Drop-off", kind="drop_off_rate", target_value=Decimal(20)
    )
    record(nps_metric, admin, [31, 24])
    record(csat, admin, [79, 84])
    record(drop_off, admin, [21, 25])
    return {"nps": nps_metric, "csat": csat, "drop_off": drop_off}


def test_the_worked_example(journey, stage, step, example, admin):
    result = journey_health(journey=journey, user=admin)
    assert (result.journey.score, result.journey.previous, result.journey.change) == (50, 75, -25)
    assert result.stages[stage.pk].score == 67
    assert result.steps[step.pk].score == 50
    statuses = {m.metric.name: (m.status, m.previous_status) for m in result.journey.metrics}
    assert statuses == {
        "Onboarding NPS": (Status.AT_RISK, Status.GOOD),
        "CSAT": (Status.GOOD, Status.AT_RISK),
        "Drop-off": (Status.OFF_TRACK, Status.AT_RISK),
    }


def test_the_explanation_names_metrics_values_weights_and_rules(journey, step, example, admin):
    explained = health.explain(journey=journey, user=admin)
    assert (explained.score, explained.previous, explained.change) == (50, 75, -25)
    assert explained.counts == {"good": 1, "at_risk": 1, "off_track": 1, "not_rated": 0}
    lines = {line.name: line for line in explained.metrics}
    nps = lines["Onboarding NPS"]
    assert (nps.element, nps.element_id, nps.weight, nps.value, nps.previous_value) == (
        "step",
        step.pk,
        2,
        Decimal(24),
        Decimal(31),
    )
    assert (nps.good, nps.off_track, nps.thresholds_from, nps.points) == (30, 0, "kind", 50)
    assert nps.rule == "24 between good 30 and off track 0 (the kind's defaults; higher is better)."
    drop = lines["Drop-off"]
    assert (drop.good, drop.off_track, drop.thresholds_from) == (20, 22, "target")
    assert drop.rule == "25 > off track 22 (its target ± 10 %; lower is better)."
    assert lines["CSAT"].rule == "84 ≥ good 80 (the kind's defaults; higher is better)."


def test_a_journey_without_metrics_or_measurements_is_not_measured_not_zero(journey, admin, csat):
    result = journey_health(journey=journey, user=admin)
    assert result.journey.score is None and result.journey.previous is None and result.journey.change is None
    assert [m.status for m in result.journey.metrics] == [Status.NOT_RATED]
    assert "No measurement yet" in result.journey.metrics[0].rule


def test_a_metric_without_target_thresholds_or_kind_default_is_listed_but_not_rated(journey, admin):
    metric = services.metric_create(journey_id=journey.pk, by=admin, name="Tickets", kind="count")
    record(metric, admin, [10])
    result = journey_health(journey=journey, user=admin)
    assert result.journey.score is None
    assert result.journey.metrics[0].rule == "No target, thresholds or kind default: not rated."


@pytest.mark.parametrize(
    ("value", "direction", "expected"),
    [
        (Decimal(80), "higher", Status.GOOD),
        (Decimal(75), "higher", Status.AT_RISK),
        (Decimal(69), "higher", Status.OFF_TRACK),
        (Decimal(20), "lower", Status.GOOD),
        (Decimal(22), "lower", Status.AT_RISK),
        (Decimal("22.1"), "lower", Status.OFF_TRACK),
    ],
)
def test_status_is_direction_aware(value, direction, expected):
    limits = health.Thresholds(Decimal(80), Decimal(70), "metric")
    if direction == "lower":
        limits = health.Thresholds(Decimal(20), Decimal(22), "target")
    assert status_of(value, direction, limits) == expected


def test_own_thresholds_beat_the_target_which_beats_the_kind(journey):
    metric = Metric(journey=journey, kind="csat", direction="higher", target_value=Decimal(90))
    assert thresholds(metric) == health.Thresholds(Decimal(90), Decimal(81), "target")
    metric.good_threshold, metric.off_track_threshold = Decimal(85), Decimal(60)
    assert thresholds(metric) == health.Thresholds(Decimal(85), Decimal(60), "metric")


def test_trend_against_the_mean_of_the_periods_before():
    assert trend_of([Decimal(84), Decimal(80), Decimal(79), Decimal(81)], "higher") == Trend.IMPROVING
    assert trend_of([Decimal(84), Decimal(80), Decimal(79), Decimal(81)], "lower") == Trend.WORSENING
    assert trend_of([Decimal("80.5"), Decimal(80)], "higher") == Trend.STEADY
    assert trend_of([Decimal(80)], "higher") is None


def test_the_score_rolls_up_through_the_sub_journeys_the_reader_can_see(
    journey, workspace, admin, editor, example
):
    child = factories.make_journey(workspace, by=admin, title="Onboarding detail", parent=journey)
    hidden = factories.make_journey(
        workspace, by=admin, title="Pricing detail", parent=journey, visibility=Visibility.RESTRICTED
    )
    grandchild = factories.make_journey(workspace, by=admin, title="Invite teammates", parent=child)
    for target, value in ((child, 5), (hidden, 50), (grandchild, 10)):
        metric = services.metric_create(
            journey_id=target.pk, by=admin, name="Drop-off", kind="drop_off_rate", target_value=Decimal(20)
        )
        record(metric, admin, [value])
    # The admin sees all: 50-point journey (weight 4) + child 100 + hidden off track 0 + grandchild 100.
    assert journey_health(journey=journey, user=admin).journey.score == round((200 + 100 + 0 + 100) / 7)
    # The editor does not see the restricted sub-journey: it neither counts nor shows.
    seen = journey_health(journey=journey, user=editor)
    assert seen.journey.score == round((200 + 100 + 100) / 6)
    assert set(seen.children) == {child.pk}
    assert seen.children[child.pk].score == 100
    assert hidden.pk not in {m.metric.journey_id for m in seen.journey.metrics}
    assert hidden.pk not in health.explain(journey=journey, user=editor).sub_journeys


def _bulk_measurements(metrics, per_metric: int):
    rows = [
        Measurement(
            metric=metric,
            period_start=date(2000, 1, 1) + timedelta(days=i),
            period_end=date(2000, 1, 1) + timedelta(days=i),
            value=Decimal(70 + i % 20),
        )
        for metric in metrics
        for i in range(per_metric)
    ]
    Measurement.objects.bulk_create(rows, batch_size=5000)


@pytest.mark.parametrize("per_metric", [2, 2000])
def test_health_and_its_explanation_take_three_queries_for_10_or_10000_measurements(
    journey, workspace, admin, stage, step, per_metric, django_assert_num_queries
):
    child = factories.make_journey(workspace, by=admin, title="Sub", parent=journey)
    metrics = [
        services.metric_create(journey_id=j.pk, by=admin, name=f"CSAT {i}", kind="csat", **where)
        for i, (j, where) in enumerate(
            [
                (journey, {}),
                (journey, {"stage": stage.pk}),
                (journey, {"step": step.pk}),
                (child, {}),
                (journey, {}),
            ]
        )
    ]
    _bulk_measurements(metrics, per_metric)  # 5 metrics × 2 = 10, or × 2,000 = 10,000 measurements
    # the reader's journeys of the workspace, their metrics (with stages and steps), their recent periods
    with django_assert_num_queries(3):
        result = journey_health(journey=journey, user=admin)
        health.explain(journey=journey, user=admin, health=result)
    assert result.journey.score is not None and len(result.journey.metrics) == 5
