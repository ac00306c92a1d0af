"""Metric and measurement writes: access through the journey, one transaction recorded on the journey,
optimistic concurrency, and measurements that are all or nothing, idempotent, and named by item and field
when bad."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from core.errors import Conflict
from journeys.models import Activity
from metrics import services
from metrics.models import Measurement, Metric

from .conftest import month, record


def test_a_metric_takes_its_kind_s_defaults_and_is_recorded_on_the_journey(journey, step, editor):
    revision = journey.revision
    metric = services.metric_create(journey_id=journey.pk, by=editor, step=step.pk, name="NPS", kind="nps")
    assert (metric.unit, metric.direction, metric.aggregation) == ("score", "higher", "nps")
    assert metric.owner == editor and metric.step == step and metric.journey == journey
    journey.refresh_from_db()
    assert journey.revision == revision + 1
    line = Activity.objects.filter(journey=journey).first()
    assert (line.verb, line.target_type, line.target_id) == ("added metric", "metric", metric.pk)
    assert line.summary == f"added metric “NPS” to step “{step.title}”"


def test_a_cost_metric_needs_an_iso_currency(journey, editor):
    with pytest.raises(ValidationError) as exc:
        services.metric_create(journey_id=journey.pk, by=editor, name="Cost to serve", kind="cost_to_serve")
    assert "currency" in exc.value.message_dict
    metric = services.metric_create(
        journey_id=journey.pk, by=editor, name="Cost to serve", kind="cost_to_serve", currency="EUR"
    )
    assert metric.unit_text() == "EUR"


def test_a_stage_or_step_must_be_of_the_same_journey(journey, restricted_journey, admin):
    other = restricted_journey.steps.first()
    with pytest.raises(ValidationError) as exc:
        services.metric_create(journey_id=journey.pk, by=admin, step=other.pk, name="x")
    assert exc.value.message_dict == {"step": [f"No step {other.pk} in this journey."]}
    assert not Metric.objects.exists()


def test_who_may_define_metrics_follows_the_journey(journey, restricted_journey, viewer, outsider, editor):
    with pytest.raises(PermissionDenied):
        services.metric_create(journey_id=journey.pk, by=viewer, name="CSAT", kind="csat")
    with pytest.raises(Http404):
        services.metric_create(journey_id=journey.pk, by=outsider, name="CSAT", kind="csat")
    with pytest.raises(Http404):  # an editor without a grant does not see a restricted journey
        services.metric_create(journey_id=restricted_journey.pk, by=editor, name="CSAT", kind="csat")
    assert not Metric.objects.exists()


def test_an_owner_must_see_the_journey(restricted_journey, admin, editor):
    with pytest.raises(ValidationError) as exc:
        services.metric_create(journey_id=restricted_journey.pk, by=admin, name="CSAT", owner=editor.pk)
    assert list(exc.value.message_dict) == ["owner"]


def test_update_with_a_stale_version_is_a_conflict_and_changes_nothing(csat, editor):
    services.metric_update(metric_id=csat.pk, by=editor, expected_version=1, name="CSAT (support)")
    with pytest.raises(Conflict) as exc:
        services.metric_update(metric_id=csat.pk, by=editor, expected_version=1, weight=5)
    assert exc.value.current.version == 2
    csat.refresh_from_db()
    assert (csat.name, csat.weight, csat.version) == ("CSAT (support)", 1, 2)


def test_a_metric_moves_between_elements(csat, step, editor):
    metric = services.metric_update(metric_id=csat.pk, by=editor, step=step.pk)
    assert (metric.stage_id, metric.step_id) == (None, step.pk)
    metric = services.metric_update(metric_id=csat.pk, by=editor, stage=None)
    assert (metric.stage_id, metric.step_id) == (None, None)
    metric = services.metric_update(metric_id=csat.pk, by=editor, stage=step.stage_id, weight=2)
    assert (metric.stage_id, metric.step_id, metric.weight) == (step.stage_id, None, 2)
    assert [a.summary for a in Activity.objects.filter(verb="changed metric").order_by("pk")] == [
        f"moved metric “CSAT” to step “{step.title}”",
        "moved metric “CSAT” to the journey",
        f"changed metric “CSAT” (weight) and moved it to stage “{step.stage.title}”",
    ]


def test_delete_takes_the_measurements_and_is_recorded(csat, admin, editor, viewer):
    record(csat, admin, [80, 81])
    with pytest.raises(PermissionDenied):
        services.metric_delete(metric_id=csat.pk, by=viewer, expected_version=1)
    with pytest.raises(Conflict):
        services.metric_delete(metric_id=csat.pk, by=editor, expected_version=7)
    services.metric_delete(metric_id=csat.pk, by=editor, expected_version=1)
    assert not Metric.objects.exists() and not Measurement.objects.exists()
    assert Activity.objects.filter(verb="deleted metric", summary__contains="CSAT").exists()


# ---------------------------------------------------------------------------------------------- measurements


def test_upsert_is_idempotent_and_updates_a_changed_period(csat, admin, editor):
    first = record(csat, admin, [80, 82, 84])
    assert first.as_dict() == {"created": 3, "updated": 0, "unchanged": 0}
    revision = csat.journey.__class__.objects.get(pk=csat.journey_id).revision
    again = record(csat, editor, [80, 82, 84])
    assert again.as_dict() == {"created": 0, "updated": 0, "unchanged": 3}
    # nothing changed: no new revision, and who entered them stays
    assert csat.journey.__class__.objects.get(pk=csat.journey_id).revision == revision
    assert set(Measurement.objects.values_list("entered_by", flat=True)) == {admin.pk}
    changed = record(csat, editor, [80, 83, 84, 86])
    assert changed.as_dict() == {"created": 1, "updated": 1, "unchanged": 2}
    row = Measurement.objects.get(period_start=month(1))
    assert (row.value, row.entered_by, row.source) == (Decimal(83), editor, "api")
    assert Measurement.objects.count() == 4


def test_nps_and_csat_share_come_from_their_counts(nps_metric, csat, admin):
    result = services.measurements_upsert(
        journey_id=nps_metric.journey_id,
        by=admin,
        items=[
            {
                "metric": nps_metric.pk,
                "date": date(2025, 1, 31),
                "components": {"promoters": 50, "passives": 30, "detractors": 20},
            },
            {
                "metric": csat.pk,
                "period_start": date(2025, 1, 1),
                "period_end": date(2025, 1, 31),
                "components": {"satisfied": 170, "responses": 200},
            },
        ],
    )
    assert result.created == 2
    assert Measurement.objects.get(metric=nps_metric).value == Decimal(30)
    assert Measurement.objects.get(metric=csat).value == Decimal(85)


def test_a_bad_batch_names_every_item_and_field_and_writes_nothing(csat, nps_metric, admin):
    day = date(2025, 1, 1)
    items = [
        {"metric": csat.pk, "date": day, "value": Decimal(80)},
        {"metric": csat.pk, "date": day, "value": Decimal(140)},  # a share above 100 %
        {"metric": 999_999, "date": day, "value": Decimal(1)},
        {
            "metric": nps_metric.pk,
            "date": day,
            "value": Decimal(10),
            "components": {"promoters": 5, "passives": 0, "detractors": 5},
        },  # counts make 0
        {"metric": csat.pk, "date": day, "value": Decimal(81)},  # repeats item 0
        {"metric": csat.pk, "period_start": date(2025, 2, 1), "period_end": day, "value": Decimal(1)},
        {"metric": csat.pk, "date": day, "value": Decimal(1), "segment": "x" * 101},
    ]
    with pytest.raises(ValidationError) as exc:
        services.measurements_upsert(journey_id=csat.journey_id, by=admin, items=items)
    errors = exc.value.message_dict
    assert sorted(errors) == [
        "items[1].value",
        "items[2].metric",
        "items[3].value",
        "items[4]",
        "items[5].period_end",
        "items[6].segment",
    ]
    assert errors["items[1].value"] == ["A CSAT value is from 0 to 100 (you gave 140)."]
    assert errors["items[4]"] == ["Repeats item 0: the same metric, period and segment once per request."]
    assert errors["items[6].segment"] == ["At most 100 characters (you have 101)."]
    assert not Measurement.objects.exists()


def test_a_batch_is_limited_to_5000(csat, admin):
    items = [
        {"metric": csat.pk, "date": date(2025, 1, 1), "value": 1, "segment": str(i)} for i in range(5001)
    ]
    with pytest.raises(ValidationError) as exc:
        services.measurements_upsert(journey_id=csat.journey_id, by=admin, items=items)
    assert exc.value.message_dict == {"items": ["At most 5,000 measurements at once (you sent 5,001)."]}


def test_measurements_of_another_journey_s_metric_are_refused(csat, restricted_journey, admin):
    with pytest.raises(ValidationError) as exc:
        services.measurements_upsert(
            journey_id=restricted_journey.pk,
            by=admin,
            items=[{"metric": csat.pk, "date": date(2025, 1, 1), "value": 1}],
        )
    assert list(exc.value.message_dict) == ["items[0].metric"]


def test_a_viewer_cannot_record_measurements(csat, viewer, outsider):
    item = {"metric": csat.pk, "date": date(2025, 1, 1), "value": Decimal(80)}
    with pytest.raises(PermissionDenied):
        services.measurements_upsert(journey_id=csat.journey_id, by=viewer, items=[item])
    with pytest.raises(Http404):
        services.measurement_upsert(metric_id=csat.pk, by=outsider, date=date(2025, 1, 1), value=Decimal(80))
    assert not Measurement.objects.exists()


def test_one_measurement_errors_name_the_field_alone(csat, editor):
    with pytest.raises(ValidationError) as exc:
        services.measurement_upsert(metric_id=csat.pk, by=editor, date=date(2025, 1, 1))
    assert exc.value.message_dict == {"value": ["Give a value (or the counts it comes from)."]}
    result = services.measurement_upsert(
        metric_id=csat.pk, by=editor, date=date(2025, 1, 1), value=Decimal("81.5")
    )
    assert result.created == 1


def test_one_element_has_one_metric_of_a_name(journey, csat, stage, step, editor):
    with pytest.raises(ValidationError) as exc:
        services.metric_create(journey_id=journey.pk, by=editor, stage=stage.pk, name=" c sat ", kind="csat")
    assert exc.value.message_dict == {
        "name": [f"Stage “{stage.title}” has a metric named “ c sat ” already."]
    }
    on_step = services.metric_create(journey_id=journey.pk, by=editor, step=step.pk, name="CSAT", kind="csat")
    with pytest.raises(ValidationError):  # moving it next to the other is refused too
        services.metric_update(metric_id=on_step.pk, by=editor, stage=stage.pk)
    assert Metric.objects.filter(name="CSAT").count() == 2
