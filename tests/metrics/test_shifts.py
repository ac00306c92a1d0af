"""Shift detection (metrics/shifts.py): the docstring's worked examples, per-workspace parameters, one
record per metric and period however often the scan runs, and the scan a real Celery worker runs after
measurements are recorded (and nightly, from beat's schedule)."""

from datetime import date
from decimal import Decimal

import pytest
from celery.schedules import crontab

from config.celery import app, metric_shift_scan_schedule
from metrics import services, shifts
from metrics.models import MetricShift
from metrics.selectors import Period
from metrics.tasks import SCAN_ALL_TASK
from tests.checks import wait_for

from .conftest import month, record


def _periods(values):
    """Periods newest first from values oldest first."""
    return [Period(month(i), month(i), Decimal(str(v)), None, 0) for i, v in enumerate(values)][::-1]


@pytest.fixture
def conversion(journey, admin):
    return services.metric_create(
        journey_id=journey.pk, by=admin, name="Trial conversion", kind="conversion_rate"
    )


def test_a_drop_beyond_three_standard_deviations_is_a_shift(conversion):
    found = shifts.detect(conversion, _periods([10.0, 10.4, 9.8, 10.2, 10.1, 9.9, 7.5]), shifts.Params())
    assert (found.rule, found.direction, found.better, found.history) == ("deviation", "down", False, 6)
    assert found.size == pytest.approx(-11.88, abs=0.01)
    assert found.baseline == Decimal("10.066667")
    assert found.period_start == month(6)


def test_within_the_spread_is_no_shift(conversion):
    assert (
        shifts.detect(conversion, _periods([10.0, 10.4, 9.8, 10.2, 10.1, 9.9, 10.3]), shifts.Params()) is None
    )


def test_a_short_history_uses_the_relative_change(conversion):
    found = shifts.detect(conversion, _periods([12.0, 12.4, 16.0]), shifts.Params())
    assert (found.rule, found.direction, found.better) == ("relative", "up", True)
    assert found.size == pytest.approx(0.3115, abs=0.0001)
    assert shifts.detect(conversion, _periods([12.0, 12.4, 14.0]), shifts.Params()) is None  # +15 %
    assert shifts.detect(conversion, _periods([12.0]), shifts.Params()) is None  # nothing before


def test_parameters_come_from_the_workspace(conversion, workspace, admin, viewer):
    values = _periods([12.0, 12.4, 14.0])
    services.metrics_settings_update(workspace_id=workspace.pk, by=admin, shift_relative=10)
    params = shifts.params_for([workspace.pk])[workspace.pk]
    assert params == shifts.Params(Decimal(3), 8, 4, 10)
    assert shifts.detect(conversion, values, params).rule == "relative"
    with pytest.raises(Exception, match="Only workspace admins"):
        services.metrics_settings_update(workspace_id=workspace.pk, by=viewer, shift_relative=50)


def test_the_same_shift_is_recorded_once_however_often_the_scan_runs(conversion, journey, admin):
    record(conversion, admin, [10.0, 10.4, 9.8, 10.2, 10.1, 9.9, 7.5])
    assert len(shifts.scan_journey(journey_id=journey.pk)) == 1
    assert shifts.scan_journey(journey_id=journey.pk) == []
    assert shifts.scan_all() == 0
    shift = MetricShift.objects.get()
    assert (shift.metric, shift.journey, shift.period_start, shift.direction) == (
        conversion,
        journey,
        month(6),
        "down",
    )
    # A new period with a shift of its own is a new record.
    record(conversion, admin, [2.0], start=7)
    assert shifts.scan_all() == 1
    assert MetricShift.objects.count() == 2


def test_the_scan_reads_a_constant_number_of_queries(conversion, journey, admin, django_assert_num_queries):
    for n in range(5):
        metric = services.metric_create(journey_id=journey.pk, by=admin, name=f"M{n}", kind="count")
        record(metric, admin, [10, 11, 10, 11, 10, 30])
    # metrics with journeys, the workspaces' settings, recent periods; in the recording's savepoint
    # (2 statements): existing shifts, the insert
    with django_assert_num_queries(7):
        assert len(shifts.scan_journey(journey_id=journey.pk)) == 5


def test_the_nightly_scan_runs_at_the_configured_hour(settings):
    entries = [entry for entry in app.conf.beat_schedule.values() if entry["task"] == SCAN_ALL_TASK]
    assert len(entries) == 1
    # At METRICS_SHIFT_SCAN_HOUR o'clock (3 by default, .env.example), every day: not 24 h after beat started.
    schedule = entries[0]["schedule"]
    assert isinstance(schedule, crontab) and (schedule.hour, schedule.minute) == ({3}, {0})
    assert schedule.day_of_week == set(range(7)) and schedule.day_of_month == set(range(1, 32))
    settings.METRICS_SHIFT_SCAN_HOUR = 22
    assert metric_shift_scan_schedule().hour == {22}


def test_a_worker_scans_the_journey_after_measurements_are_recorded(worker, workspace, admin):
    from tests import factories

    journey = factories.make_journey(workspace, by=admin, title="Checkout")
    metric = services.metric_create(
        journey_id=journey.pk, by=admin, name="Conversion", kind="conversion_rate"
    )
    services.measurements_upsert(
        journey_id=journey.pk,
        by=admin,
        items=[
            {"metric": metric.pk, "date": date(2025, m, 1), "value": v}
            for m, v in ((1, 12), (2, 12.4), (3, 16))
        ],
    )
    assert wait_for(lambda: MetricShift.objects.filter(metric=metric).exists())
    # The nightly scan, run by the worker (twice), finds nothing new: the shift is recorded once.
    assert app.send_task(SCAN_ALL_TASK).get(timeout=30) == 0
    assert app.send_task(SCAN_ALL_TASK).get(timeout=30) == 0
    assert MetricShift.objects.count() == 1
    shift = MetricShift.objects.get()
    assert (shift.period_start, shift.direction, shift.rule) == (date(2025, 3, 1), "up", "relative")
