"""Metrics through the API: CRUD with expected_version (409 on a stale one), one measurement or up to
5,000 at once with a token (idempotent, errors by item and field), a journey's health with its
explanation, its shifts; nothing of a journey the reader cannot see; query counts that do not grow with
the data; every endpoint in the OpenAPI schema without a warning."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from metrics import services
from metrics.models import Measurement, Metric, MetricShift

from .conftest import record


@pytest.fixture
def api(editor):
    client = APIClient()
    client.default_format = "json"
    client.force_login(editor)
    return client


def url(name, pk):
    return reverse(f"metrics-api:{name}", args=[pk])


def test_define_change_and_delete_a_metric(api, journey, step):
    response = api.post(
        url("journey-metrics", journey.pk),
        {"name": "Trial conversion", "kind": "conversion_rate", "step": step.pk, "target_value": "25.5"},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["unit"], body["unit_text"], body["direction"], body["element"], body["step"]) == (
        "percent",
        "%",
        "higher",
        "step",
        step.pk,
    )
    assert body["target_value"] == 25.5 and body["version"] == 1
    pk = body["id"]
    response = api.patch(url("metric-detail", pk), {"weight": 3, "expected_version": 1})
    assert response.status_code == 200 and response.json()["version"] == 2
    stale = api.patch(url("metric-detail", pk), {"weight": 4, "expected_version": 1})
    assert stale.status_code == 409
    assert stale.json()["current"]["weight"] == 3
    assert api.delete(url("metric-detail", pk) + "?expected_version=1").status_code == 409
    assert api.delete(url("metric-detail", pk) + "?expected_version=2").status_code == 204
    assert not Metric.objects.exists()


def test_bad_input_names_the_field_and_changes_nothing(api, journey):
    response = api.post(
        url("journey-metrics", journey.pk), {"name": "x" * 201, "kind": "cost_to_serve", "currency": "euro"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "name": ["At most 200 characters (you have 201)."],
        "currency": ["At most 3 characters (you have 4)."],
    }
    response = api.post(url("journey-metrics", journey.pk), {"name": "Cost", "kind": "cost_to_serve"})
    assert response.status_code == 400 and list(response.json()) == ["currency"]
    # Three capitals that no currency has: named as the field's error, checked against ISO 4217.
    response = api.post(
        url("journey-metrics", journey.pk), {"name": "Cost", "kind": "cost_to_serve", "currency": "EUX"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "currency": ["“EUX” is not an ISO 4217 currency code: give one such as EUR, USD or JPY."]
    }
    assert not Metric.objects.exists()


def test_bulk_upsert_with_a_token_is_idempotent(journey, editor, csat, nps_metric):
    token = Token.objects.create(user=editor)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    items = [
        {"metric": csat.pk, "date": "2025-01-31", "value": "84.5", "segment": "EMEA"},
        {
            "metric": csat.pk,
            "period_start": "2025-01-01",
            "period_end": "2025-01-31",
            "components": {"satisfied": 80, "responses": 100},
        },
        {
            "metric": nps_metric.pk,
            "date": "2025-01-31",
            "components": {"promoters": 5, "passives": 3, "detractors": 2},
        },
    ]
    first = client.post(url("journey-measurements", journey.pk), {"items": items}, format="json")
    assert first.status_code == 200 and first.json() == {"created": 3, "updated": 0, "unchanged": 0}
    again = client.post(url("journey-measurements", journey.pk), {"items": items}, format="json")
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 3}
    assert Measurement.objects.get(metric=nps_metric).value == Decimal(30)
    assert set(Measurement.objects.values_list("source", flat=True)) == {"api"}


def test_bulk_errors_name_item_and_field_and_write_nothing(api, journey, csat):
    items = [
        {"metric": csat.pk, "date": "2025-01-31", "value": "80"},
        {"metric": csat.pk, "date": "2025-13-01", "value": "80"},
        {"metric": csat.pk, "date": "2025-02-28", "value": "abc"},
    ]
    response = api.post(url("journey-measurements", journey.pk), {"items": items})
    assert response.status_code == 400
    errors = response.json()["items"]
    assert {index: sorted(fields) for index, fields in errors.items()} == {"1": ["date"], "2": ["value"]}
    items[1]["date"], items[2]["value"] = "2025-03-31", "180"
    items.append(dict(items[0]))
    response = api.post(url("journey-measurements", journey.pk), {"items": items})
    assert response.json() == {
        "items": {
            "2": {"value": ["A CSAT value is from 0 to 100 (you gave 180)."]},
            "3": {
                "non_field_errors": ["Repeats item 0: the same metric, period and segment once per request."]
            },
        }
    }
    too_many = [{"metric": csat.pk, "date": "2025-01-31", "value": 1, "segment": str(i)} for i in range(5001)]
    response = api.post(url("journey-measurements", journey.pk), {"items": too_many})
    assert response.status_code == 400 and list(response.json()) == ["items"]
    assert not Measurement.objects.exists()


def test_one_measurement_and_the_list(api, csat):
    response = api.post(url("metric-measurements", csat.pk), {"date": "2025-01-31", "value": "81"})
    assert response.status_code == 200 and response.json()["created"] == 1
    listed = api.get(url("metric-measurements", csat.pk)).json()
    assert listed["count"] == 1 and listed["results"][0]["value"] == 81.0


def test_health_with_its_explanation(api, journey, stage, csat, nps_metric, admin):
    record(csat, admin, [79, 84])
    record(nps_metric, admin, [31, 24])
    body = api.get(url("journey-health", journey.pk)).json()
    assert (body["score"], body["previous"], body["change"]) == (67, 83, -16)
    assert body["stages"] == [{"id": stage.pk, "score": 67, "previous": 83, "change": -16}]
    assert {m["name"]: m["status"] for m in body["metrics"]} == {"CSAT": "good", "Onboarding NPS": "at_risk"}
    assert body["rule"]["points"] == {"good": 100, "at_risk": 50, "off_track": 0}


def test_a_journey_without_metrics_is_not_measured(api, journey):
    body = api.get(url("journey-health", journey.pk)).json()
    assert body["score"] is None and body["metrics"] == []


def test_nothing_of_a_restricted_journey_reaches_who_cannot_see_it(
    api, journey, restricted_journey, admin, workspace
):
    hidden = services.metric_create(journey_id=restricted_journey.pk, by=admin, name="Secret NPS", kind="nps")
    record(hidden, admin, [-40])
    for name, pk in (
        ("metric-detail", hidden.pk),
        ("metric-measurements", hidden.pk),
        ("journey-metrics", restricted_journey.pk),
        ("journey-health", restricted_journey.pk),
        ("journey-shifts", restricted_journey.pk),
    ):
        assert api.get(url(name, pk)).status_code == 404, name
    # As a sub-journey of the journey the editor sees, it counts for the admin and not for the editor.
    restricted_journey.parent = journey
    restricted_journey.save(update_fields=["parent"])
    body = api.get(url("journey-health", journey.pk)).json()
    assert body["score"] is None and body["sub_journeys"] == [] and body["metrics"] == []
    response = api.post(
        url("journey-measurements", journey.pk),
        {"items": [{"metric": hidden.pk, "date": "2025-01-01", "value": 1}]},
    )
    assert response.status_code == 400 and response.json() == {
        "items": {"0": {"metric": [f"No metric {hidden.pk} on this journey."]}}
    }


def test_shifts_are_listed(api, journey, csat):
    MetricShift.objects.create(
        metric=csat,
        journey=journey,
        period_start=date(2025, 3, 1),
        period_end=date(2025, 3, 31),
        value=60,
        baseline=84,
        size=-5.2,
        relative_change=-0.29,
        direction="down",
        better=False,
        rule="deviation",
        history=8,
    )
    body = api.get(url("journey-shifts", journey.pk)).json()
    assert body["count"] == 1 and body["results"][0]["metric_name"] == "CSAT"


def _grow(journey, stage, step, admin, metrics: int, periods: int):
    made = []
    for i in range(metrics):
        where = [{}, {"stage": stage.pk}, {"step": step.pk}][i % 3]
        made.append(
            services.metric_create(journey_id=journey.pk, by=admin, name=f"M{i}", kind="csat", **where)
        )
    Measurement.objects.bulk_create(
        Measurement(
            metric=m,
            period_start=date(2020, 1, 1) + timedelta(days=d),
            period_end=date(2020, 1, 1) + timedelta(days=d),
            value=80,
        )
        for m in made
        for d in range(periods)
    )
    MetricShift.objects.bulk_create(
        MetricShift(
            metric=m,
            journey=journey,
            period_start=date(2020, 1, 1) + timedelta(days=d),
            period_end=date(2020, 1, 1) + timedelta(days=d),
            value=1,
            baseline=2,
            size=3,
            direction="up",
            better=True,
            rule="relative",
            history=2,
        )
        for m in made
        for d in range(max(1, periods // 10))
    )
    return made


@pytest.mark.parametrize(("metrics", "periods"), [(2, 5), (40, 250)])
def test_query_counts_do_not_grow_with_the_data(
    api, journey, stage, step, admin, metrics, periods, django_assert_num_queries
):
    made = _grow(journey, stage, step, admin, metrics, periods)  # 10 or 10,000 measurements
    # session, user, journey with access, the count, the page
    with django_assert_num_queries(5):
        assert api.get(url("journey-metrics", journey.pk)).status_code == 200
    # session, user, journey with access, metric, the count, the page
    with django_assert_num_queries(6):
        assert api.get(url("metric-measurements", made[0].pk)).status_code == 200
    # session, user, journey with access; the reader's journeys, their metrics, their recent periods
    with django_assert_num_queries(6):
        assert api.get(url("journey-health", journey.pk)).status_code == 200
    # session, user, journey with access, the count, the page (with metrics)
    with django_assert_num_queries(5):
        assert api.get(url("journey-shifts", journey.pk)).status_code == 200
    # session, user, journey with access, metric
    with django_assert_num_queries(4):
        assert api.get(url("metric-detail", made[0].pk)).status_code == 200


@pytest.mark.parametrize("count", [10, 2000])
def test_a_bulk_upsert_takes_the_same_queries_for_10_or_2000_items(
    api, journey, csat, count, django_assert_num_queries
):
    items = [
        {"metric": csat.pk, "date": (date(2020, 1, 1) + timedelta(days=i)).isoformat(), "value": "80"}
        for i in range(count)
    ]
    post = url("journey-measurements", journey.pk)
    # session, user, journey with access; in the service's savepoint: the journey locked with access and
    # its latest version, its metrics, existing rows, the insert, the revision with its activity line
    with django_assert_num_queries(10):
        assert api.post(post, {"items": items}).json()["created"] == count
    for item in items:
        item["value"] = "81"
    # … the same, with the update instead of the insert
    with django_assert_num_queries(10):
        assert api.post(post, {"items": items}).json()["updated"] == count


def test_every_metrics_endpoint_is_in_the_schema_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    paths = yaml.safe_load(target.read_text())["paths"]
    assert {
        "/api/v1/journeys/{id}/metrics/",
        "/api/v1/journeys/{id}/measurements/",
        "/api/v1/journeys/{id}/health/",
        "/api/v1/journeys/{id}/metric-shifts/",
        "/api/v1/metrics/{id}/",
        "/api/v1/metrics/{id}/measurements/",
    } <= set(paths)
    assert "409" in paths["/api/v1/metrics/{id}/"]["patch"]["responses"]
