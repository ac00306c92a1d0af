"""Metrics live and die with their map element: deleting a step or stage keeps its metrics (with their
measurements and shifts) in journeys' trash, and undo or a version restore brings them back with their
ids (lossless round trips)."""

from journeys import services as journey_services
from journeys.services import trash, versioning
from metrics import services
from metrics.health import journey_health
from metrics.models import Measurement, Metric, MetricShift

from .conftest import month, record


def _state(journey):
    metrics = sorted(
        Metric.objects.filter(journey=journey).values_list("pk", "stage_id", "step_id", "name", "version")
    )
    rows = sorted(
        Measurement.objects.filter(metric__journey=journey).values_list(
            "pk", "metric_id", "period_start", "value"
        )
    )
    shifts = sorted(
        MetricShift.objects.filter(journey=journey).values_list("pk", "metric_id", "period_start")
    )
    return metrics, rows, shifts


def _shift(metric):
    return services.shifts_record(
        shifts=[
            MetricShift(
                metric=metric,
                journey_id=metric.journey_id,
                period_start=month(2),
                period_end=month(2),
                value=60,
                baseline=85,
                size=-4.0,
                relative_change=-0.29,
                direction="down",
                better=False,
                rule="deviation",
                history=2,
            )
        ]
    )


def test_step_delete_and_undo_keep_its_metrics_measurements_and_shifts(
    journey, nps_metric, step, editor, admin
):
    record(nps_metric, admin, [31, 24, 20])
    _shift(nps_metric)
    before = _state(journey)
    item = journey_services.step_delete(step_id=step.pk, by=editor)
    assert (
        not Metric.objects.exists() and not Measurement.objects.exists() and not MetricShift.objects.exists()
    )
    assert journey_health(journey=journey, user=admin).journey.score is None
    trash.trash_restore(item_id=item.pk, by=editor)
    assert _state(journey) == before
    assert journey_health(journey=journey, user=admin).steps[step.pk].score == 50  # NPS 20: at risk


def test_stage_delete_and_undo_keep_the_stage_s_and_its_steps_metrics(
    journey, csat, nps_metric, stage, editor, admin
):
    assert nps_metric.step.stage_id == stage.pk
    record(csat, admin, [84])
    record(nps_metric, admin, [31])
    before = _state(journey)
    item = journey_services.stage_delete(stage_id=stage.pk, by=editor)
    assert not Metric.objects.exists()
    trash.trash_restore(item_id=item.pk, by=editor)
    assert _state(journey) == before
    assert journey_health(journey=journey, user=admin).stages[stage.pk].score == 100


def test_a_version_restore_round_trip_keeps_the_metrics(journey, stage, editor, admin):
    baseline = versioning.version_save(journey_id=journey.pk, by=admin, label="Before the new step")
    new_step = journey_services.step_create(stage_id=stage.pk, by=editor, title="Verify email")
    metric = services.metric_create(
        journey_id=journey.pk,
        by=editor,
        step=new_step.pk,
        name="Verified",
        kind="conversion_rate",
        target_value=60,
    )
    record(metric, admin, [55, 58])
    journey_metric = services.metric_create(journey_id=journey.pk, by=editor, name="Cost", kind="count")
    before = _state(journey)
    # Restoring the baseline removes the new step (to the trash, with its metric) …
    versioning.version_restore(version_id=baseline.pk, by=admin)
    assert list(Metric.objects.values_list("pk", flat=True)) == [journey_metric.pk]  # on the journey: stays
    # … and restoring the automatic "before restore" version brings both back, same ids.
    undo = journey.versions.filter(kind="before_restore").latest("created_at")
    versioning.version_restore(version_id=undo.pk, by=admin)
    assert _state(journey) == before
