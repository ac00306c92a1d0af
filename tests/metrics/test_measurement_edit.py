"""One measurement corrected or deleted (metrics.services.measurement_update / measurement_delete): through
the service, the API (expected_version, 409 with the measurement as it is now) and the pages reached from
the measurements table; each change in the metric's history, health following at once, a stale version
refused, and the metric's shift of that period found again by the scan a real worker runs."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from rest_framework.test import APIClient

from config.celery import app
from core.errors import Conflict
from journeys.models import Activity
from metrics import health, services, shifts
from metrics.models import Measurement, MetricShift
from metrics.tasks import SCAN_ALL_TASK
from tests import factories
from tests.checks import wait_for

from .conftest import month, record


def _page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _history(metric) -> list[str]:
    return list(
        Activity.objects.filter(target_type="metric", target_id=metric.pk)
        .order_by("created_at", "pk")
        .values_list("summary", flat=True)
    )


@pytest.fixture
def series(csat, admin):
    """CSAT (a stage's, kind defaults: good from 80, off track below 70) for January and February."""
    record(csat, admin, [84, 79])
    return {m.period_start: m for m in Measurement.objects.filter(metric=csat)}


# ---------------------------------------------------------------------------------------------- service


def test_correcting_a_value_is_recorded_on_the_metric_and_health_follows(
    journey, stage, csat, series, editor
):
    february = series[month(1)]
    assert health.journey_health(journey=journey, user=editor).stages[stage.pk].score == 50  # 79: at risk
    revision = type(journey).objects.get(pk=journey.pk).revision
    updated = services.measurement_update(
        measurement_id=february.pk, by=editor, expected_version=1, value=Decimal("81.5")
    )
    assert (updated.value, updated.version, updated.entered_by, updated.source) == (
        Decimal("81.5"),
        2,
        editor,
        "manual",
    )
    assert health.journey_health(journey=journey, user=editor).stages[stage.pk].score == 100  # 81.5: good
    assert _history(csat)[-1] == "changed the measurement of “CSAT” for 1 Feb 2025: 79 % → 81.5 %"
    assert type(journey).objects.get(pk=journey.pk).revision == revision + 1
    # Nothing changed: no version, no history line.
    services.measurement_update(
        measurement_id=february.pk, by=editor, expected_version=2, value=Decimal("81.5")
    )
    assert Measurement.objects.get(pk=february.pk).version == 2 and len(_history(csat)) == 2


def test_moving_a_measurement_to_another_period_and_segment(csat, series, editor):
    january = series[month(0)]
    services.measurement_update(measurement_id=january.pk, by=editor, date=date(2024, 12, 1), segment="EMEA")
    moved = Measurement.objects.get(pk=january.pk)
    assert (moved.period_start, moved.period_end, moved.segment, moved.value) == (
        date(2024, 12, 1),
        date(2024, 12, 1),
        "EMEA",
        Decimal("84.000000"),
    )
    assert _history(csat)[-1] == "changed the measurement of “CSAT” for 1 Jan 2025 to 1 Dec 2024 (EMEA): 84 %"
    # Onto a period and segment the metric has in another row: refused on the period, nothing changed.
    with pytest.raises(ValidationError) as exc:
        services.measurement_update(measurement_id=january.pk, by=editor, date=month(1), segment="")
    assert "has a value for this period and segment already" in exc.value.message_dict["period_start"][0]
    assert Measurement.objects.get(pk=january.pk).segment == "EMEA"


def test_bad_input_and_stale_versions_change_nothing(csat, series, editor, viewer, outsider):
    february = series[month(1)]
    with pytest.raises(ValidationError) as exc:
        services.measurement_update(measurement_id=february.pk, by=editor, value=Decimal(120))
    assert exc.value.message_dict["value"] == ["A CSAT value is from 0 to 100 (you gave 120)."]
    with pytest.raises(ValidationError) as exc:
        services.measurement_update(measurement_id=february.pk, by=editor, metric=7)
    assert list(exc.value.message_dict) == ["metric"]
    services.measurement_update(measurement_id=february.pk, by=editor, expected_version=1, value=80)
    with pytest.raises(Conflict) as conflict:
        services.measurement_update(measurement_id=february.pk, by=editor, expected_version=1, value=70)
    assert conflict.value.current.value == Decimal("80.000000") and conflict.value.current.version == 2
    with pytest.raises(Conflict):
        services.measurement_delete(measurement_id=february.pk, by=editor, expected_version=1)
    with pytest.raises(PermissionDenied):
        services.measurement_update(measurement_id=february.pk, by=viewer, value=70)
    with pytest.raises(Http404):
        services.measurement_delete(measurement_id=february.pk, by=outsider)
    assert Measurement.objects.get(pk=february.pk).value == Decimal("80.000000")


def test_new_counts_make_the_value_again(journey, admin, nps_metric):
    services.measurements_upsert(
        journey_id=journey.pk,
        by=admin,
        items=[{"metric": nps_metric.pk, "date": month(0), "components": {"promoters": 5, "passives": 3,
                                                                           "detractors": 2}}],
    )  # fmt: skip
    measurement = Measurement.objects.get(metric=nps_metric)
    assert measurement.value == Decimal(30)
    services.measurement_update(
        measurement_id=measurement.pk, by=admin, components={"promoters": 2, "passives": 3, "detractors": 5}
    )
    assert Measurement.objects.get(pk=measurement.pk).value == Decimal(-30)


def test_deleting_keeps_the_value_in_the_history(journey, stage, csat, series, editor):
    services.measurement_delete(measurement_id=series[month(1)].pk, by=editor, expected_version=1)
    assert not Measurement.objects.filter(pk=series[month(1)].pk).exists()
    assert _history(csat)[-1] == "deleted the measurement of “CSAT” for 1 Feb 2025 (79 %)"
    assert health.journey_health(journey=journey, user=editor).stages[stage.pk].score == 100  # January: 84


def test_an_upsert_that_changes_a_value_makes_an_open_edit_stale(journey, admin, csat, series):
    services.measurements_upsert(
        journey_id=journey.pk, by=admin, items=[{"metric": csat.pk, "date": month(1), "value": 79}]
    )
    assert Measurement.objects.get(pk=series[month(1)].pk).version == 1  # the same value: unchanged
    services.measurements_upsert(
        journey_id=journey.pk, by=admin, items=[{"metric": csat.pk, "date": month(1), "value": 78}]
    )
    assert Measurement.objects.get(pk=series[month(1)].pk).version == 2
    with pytest.raises(Conflict):
        services.measurement_update(measurement_id=series[month(1)].pk, by=admin, expected_version=1, value=1)


def test_a_corrected_period_s_shift_is_found_again_by_the_worker(worker, workspace, admin):
    journey = factories.make_journey(workspace, by=admin, title="Trials")
    metric = services.metric_create(
        journey_id=journey.pk, by=admin, name="Conversion", kind="conversion_rate"
    )
    record(metric, admin, [10.0, 10.4, 9.8, 10.2, 10.1, 9.9, 7.5])
    assert wait_for(lambda: MetricShift.objects.filter(metric=metric, value=Decimal("7.5")).exists())
    latest = Measurement.objects.get(metric=metric, period_start=month(6))
    # A typo corrected to another value that is still a shift: the shift now holds the corrected value.
    services.measurement_update(measurement_id=latest.pk, by=admin, expected_version=1, value=Decimal(7))
    assert not MetricShift.objects.filter(value=Decimal("7.5")).exists()  # gone with the old value
    assert wait_for(lambda: MetricShift.objects.filter(metric=metric, value=Decimal(7)).exists())
    # Corrected to an ordinary value: no shift is left, and the nightly scan (twice) finds none.
    services.measurement_update(measurement_id=latest.pk, by=admin, expected_version=2, value=Decimal(10))
    assert app.send_task(SCAN_ALL_TASK).get(timeout=30) == 0
    assert app.send_task(SCAN_ALL_TASK).get(timeout=30) == 0
    assert not MetricShift.objects.filter(metric=metric).exists()
    # Deleted: the period before becomes the latest; its own shift, if any, is a scan's to find.
    services.measurement_delete(measurement_id=latest.pk, by=admin, expected_version=3)
    assert shifts.scan_journey(journey_id=journey.pk) == []


# ---------------------------------------------------------------------------------------------- API


@pytest.fixture
def api(editor):
    client = APIClient()
    client.default_format = "json"
    client.force_login(editor)
    return client


def test_the_api_reads_corrects_and_deletes_a_measurement(api, csat, series):
    february = series[month(1)]
    url = reverse("metrics-api:measurement-detail", args=[february.pk])
    body = api.get(url).json()
    assert (body["value"], body["version"], body["segment"]) == (79.0, 1, "")
    response = api.patch(url, {"value": "81", "segment": "EMEA"})
    assert response.status_code == 400 and list(response.json()) == ["expected_version"]
    response = api.patch(url, {"value": "81", "expected_version": 1})
    assert response.status_code == 200 and (response.json()["value"], response.json()["version"]) == (81.0, 2)
    stale = api.patch(url, {"value": "70", "expected_version": 1})
    assert stale.status_code == 409 and stale.json()["current"]["value"] == 81.0
    bad = api.patch(url, {"value": "-1", "expected_version": 2})
    assert bad.status_code == 400
    assert bad.json() == {"value": ["A CSAT value is from 0 to 100 (you gave -1)."]}
    assert api.delete(url + "?expected_version=1").status_code == 409
    assert api.delete(url + "?expected_version=2").status_code == 204
    assert api.get(url).status_code == 404


@pytest.mark.parametrize("rows", [2, 200])
def test_the_api_s_queries_do_not_grow(api, csat, admin, django_assert_num_queries, rows):
    record(csat, admin, [70 + i % 20 for i in range(rows)])
    measurement = Measurement.objects.filter(metric=csat).first()
    url = reverse("metrics-api:measurement-detail", args=[measurement.pk])
    # session, user, the journey with the access check, the measurement with its metric
    with django_assert_num_queries(4):
        assert api.get(url).status_code == 200


# ---------------------------------------------------------------------------------------------- pages


def test_the_measurements_table_links_to_edit_and_delete_for_editors_only(
    client, editor, viewer, csat, series
):
    metric_url = reverse("metrics:metric", args=[csat.pk])
    edit = reverse("metrics:measurement_edit", args=[series[month(1)].pk])
    client.force_login(viewer)
    assert edit not in _page(client.get(metric_url))
    client.force_login(editor)
    page = _page(client.get(metric_url))
    assert edit in page and reverse("metrics:measurement_delete", args=[series[month(1)].pk]) in page


def test_edit_and_delete_pages(client, editor, csat, series):
    client.force_login(editor)
    february = series[month(1)]
    url = reverse("metrics:measurement_edit", args=[february.pk])
    page = _page(client.get(url))
    assert 'name="value" value="79"' in page and 'name="expected_version" value="1"' in page
    form = {"period_start": "2025-02-01", "value": "82", "segment": "", "expected_version": "1",
            "base_period_start": "2025-02-01", "base_value": "79", "base_segment": ""}  # fmt: skip
    response = client.post(url, form)
    assert response.status_code == 302 and response["Location"] == reverse("metrics:metric", args=[csat.pk])
    assert Measurement.objects.get(pk=february.pk).value == Decimal(82)
    # The metric's page: the new value, and the change in its history.
    page = _page(client.get(reverse("metrics:metric", args=[csat.pk])))
    assert "changed the measurement of “CSAT” for 1 Feb 2025: 79 % → 82 %" in page
    # A form opened at version 1 changing the same value: a clash, answered 409, nothing saved.
    clash = client.post(url, {**form, "value": "60"})
    assert clash.status_code == 409 and "you both changed" in clash.content.decode()
    assert Measurement.objects.get(pk=february.pk).value == Decimal(82)
    # Bad input names the field.
    bad = client.post(url, {**form, "expected_version": "2", "value": "101"})
    assert bad.status_code == 200 and "A CSAT value is from 0 to 100 (you gave 101)." in bad.content.decode()
    # Delete: the confirmation names the value; a stale version shows the measurement as it is now (409).
    delete = reverse("metrics:measurement_delete", args=[february.pk])
    assert "82 %" in _page(client.get(delete))
    stale = client.post(delete, {"expected_version": "1"})
    assert stale.status_code == 409 and Measurement.objects.filter(pk=february.pk).exists()
    response = client.post(delete, {"expected_version": "2"})
    assert response.status_code == 302 and not Measurement.objects.filter(pk=february.pk).exists()
    assert "deleted the measurement of “CSAT” for 1 Feb 2025 (82 %)" in _page(
        client.get(reverse("metrics:metric", args=[csat.pk]))
    )


@pytest.mark.parametrize("rows", [2, 200])
def test_edit_page_queries_do_not_grow(client, editor, admin, csat, django_assert_num_queries, rows):
    record(csat, admin, [70 + i % 20 for i in range(rows)])
    client.force_login(editor)
    measurement = Measurement.objects.filter(metric=csat).first()
    # session, user, memberships (top bar), the journey with the access check, the measurement with its
    # metric and who entered it
    with django_assert_num_queries(5):
        _page(client.get(reverse("metrics:measurement_edit", args=[measurement.pk])))
    with django_assert_num_queries(5):
        _page(client.get(reverse("metrics:measurement_delete", args=[measurement.pk])))
