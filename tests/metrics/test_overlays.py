"""The map's metrics view (metrics/overlays.py), asked directly as journeys' overlay hook would: each
step's and stage's metrics with latest value, unit, status and sparkline, the journey's health as the
header figure, nothing of journeys the reader cannot see, and four queries whatever the number of metrics
and measurements. (Registered by the lead later: registration changes journeys' map query counts.)"""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from journeys import overlays as journey_overlays
from journeys.models import Visibility
from journeys.selectors import journey_map
from metrics import services
from metrics.models import Measurement
from metrics.overlays import MetricsOverlay
from tests import factories

from .conftest import record


def ids_of(journey):
    return journey_overlays.map_ids(journey_map(journey=journey))


def test_steps_and_stages_show_their_metrics(journey, stage, step, csat, nps_metric, admin):
    record(csat, admin, [79, 84])
    record(nps_metric, admin, [31, 24])
    overlay = MetricsOverlay().decorate(ids=ids_of(journey), user=admin)
    assert set(overlay.steps) == {step.pk} and set(overlay.stages) == {stage.pk}
    on_step = overlay.steps[step.pk]
    assert (on_step.label, on_step.tone, on_step.icon) == ("24", "warning", "alert")
    assert on_step.detail == "Onboarding NPS: 24 (at risk), 1 Feb 2025."
    (data,) = on_step.data["metrics"]
    assert data["name"] == "Onboarding NPS" and data["status"] == "at_risk" and data["trend"] == "worsening"
    assert data["sparkline"] == [31.0, 24.0] and data["period_end"] == "2025-02-01"
    on_stage = overlay.stages[stage.pk]
    assert (on_stage.label, on_stage.tone, on_stage.data["metrics"][0]["unit"]) == ("84 %", "good", "%")
    assert on_stage.data["health"] == 67  # the stage's score counts its step's NPS too
    assert (overlay.headline.label, overlay.headline.data) == (
        "Health 67",
        {"health": 67, "previous": 83, "change": -16},
    )


def test_several_metrics_on_a_step_show_its_health(journey, step, nps_metric, admin):
    second = services.metric_create(
        journey_id=journey.pk,
        by=admin,
        step=step.pk,
        name="Setup time",
        kind="time_to_complete",
        target_value=10,
    )
    record(nps_metric, admin, [40])
    record(second, admin, [15])
    decoration = MetricsOverlay().decorate(ids=ids_of(journey), user=admin).steps[step.pk]
    # NPS good (100, weight 2) and setup time off track (0): 67
    assert (decoration.label, decoration.tone) == ("Health 67", "warning")
    assert [m["name"] for m in decoration.data["metrics"]] == ["Onboarding NPS", "Setup time"]


def test_hover_text_gives_the_period_and_the_responses(journey, step, nps_metric, admin):
    services.measurements_upsert(
        journey_id=journey.pk,
        by=admin,
        items=[
            {
                "metric": nps_metric.pk,
                "period_start": date(2025, 1, 1),
                "period_end": date(2025, 1, 31),
                "components": {"promoters": 120, "passives": 50, "detractors": 30},
            }
        ],
    )
    decoration = MetricsOverlay().decorate(ids=ids_of(journey), user=admin).steps[step.pk]
    assert decoration.detail == "Onboarding NPS: 45 (good), 1 Jan 2025 – 31 Jan 2025, 200 responses."
    assert decoration.data["metrics"][0]["responses"] == 200


def test_a_map_without_metrics_is_not_measured(journey, admin):
    overlay = MetricsOverlay().decorate(ids=ids_of(journey), user=admin)
    assert overlay.steps == {} and overlay.stages == {}
    assert (overlay.headline.label, overlay.headline.data["health"]) == ("Not measured", None)


def test_the_header_counts_only_sub_journeys_the_reader_sees(journey, workspace, admin, editor):
    hidden = factories.make_journey(
        workspace, by=admin, title="Secret", parent=journey, visibility=Visibility.RESTRICTED
    )
    metric = services.metric_create(journey_id=hidden.pk, by=admin, name="NPS", kind="nps")
    record(metric, admin, [-50])
    assert MetricsOverlay().decorate(ids=ids_of(journey), user=admin).headline.data["health"] == 0
    assert MetricsOverlay().decorate(ids=ids_of(journey), user=editor).headline.data["health"] is None


@pytest.mark.parametrize(("metrics", "periods"), [(2, 5), (40, 250)])
def test_four_queries_whatever_the_number_of_metrics_and_measurements(
    journey, stage, step, admin, metrics, periods, django_assert_num_queries
):
    made = []
    for i in range(metrics):
        where = [{"stage": stage.pk}, {"step": step.pk}][i % 2]
        made.append(
            services.metric_create(journey_id=journey.pk, by=admin, name=f"M{i}", kind="csat", **where)
        )
    Measurement.objects.bulk_create(
        Measurement(
            metric=m,
            period_start=date(2020, 1, 1) + timedelta(days=d),
            period_end=date(2020, 1, 1) + timedelta(days=d),
            value=Decimal(70 + d % 20),
        )
        for m in made
        for d in range(periods)
    )
    ids = ids_of(journey)
    # the journey, the reader's journeys of the workspace, the metrics, their recent periods
    with django_assert_num_queries(4):
        overlay = MetricsOverlay().decorate(ids=ids, user=admin)
    assert len(overlay.steps[step.pk].data["metrics"]) == metrics // 2
    assert all(len(m["sparkline"]) == min(periods, 12) for m in overlay.steps[step.pk].data["metrics"])
