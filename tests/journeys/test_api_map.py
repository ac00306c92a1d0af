"""GET /api/v1/journeys/{id}/map/: the whole map in one read, in a constant number of queries."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from journeys.models import Card, Lane, Stage, Step
from tests import factories


@pytest.fixture
def api():
    client = APIClient()
    client.default_format = "json"
    return client


def map_url(journey):
    return reverse("journeys-api:journey-map", args=[journey.pk])


def test_map_has_every_stage_step_lane_and_card_in_order(api, admin, journey):
    api.force_login(admin)
    response = api.get(map_url(journey))
    assert response.status_code == 200
    body = response.json()
    journey.refresh_from_db()
    assert body["journey"]["id"] == journey.pk
    assert body["journey"]["revision"] == journey.revision
    assert body["journey"]["version"] == journey.version
    assert body["journey"]["access_level"] == "manage"
    assert [s["id"] for s in body["stages"]] == list(
        journey.stages.order_by("position").values_list("pk", flat=True)
    )
    for stage in body["stages"]:
        assert [s["position"] for s in stage["steps"]] == list(range(len(stage["steps"])))
        assert {s["stage"] for s in stage["steps"]} == {stage["id"]}
    assert sum(len(s["steps"]) for s in body["stages"]) == Step.objects.filter(journey=journey).count()
    assert [lane["id"] for lane in body["lanes"]] == list(
        journey.lanes.order_by("position").values_list("pk", flat=True)
    )
    assert sorted(c["id"] for c in body["cards"]) == sorted(
        Card.objects.filter(journey=journey).values_list("pk", flat=True)
    )
    card = Card.objects.filter(journey=journey, emotion_score__isnull=False).first()
    out = next(c for c in body["cards"] if c["id"] == card.pk)
    assert out == {
        "id": card.pk, "version": card.version, "position": card.position, "lane": card.lane_id,
        "step": card.step_id, "text": card.text, "note": card.note, "emotion_score": card.emotion_score,
        "channel": card.channel,
    }  # fmt: skip


def test_map_text_is_returned_as_data_not_markup(api, admin, journey):
    api.force_login(admin)
    body = api.get(map_url(journey)).json()
    # JSON carries the user's text verbatim; escaping is the renderer's job (pages escape it).
    assert any("<b>bold?</b>" in c["text"] for c in body["cards"])
    assert api.get(map_url(journey))["Content-Type"] == "application/json"


def test_map_query_count_does_not_grow_with_the_map(
    api, admin, workspace, journey, django_assert_num_queries
):
    big = factories.make_map(
        factories.make_journey(workspace, by=admin, title="Big"),
        stages=6,
        steps_per_stage=5,
        lanes=10,
        cards=500,
    )
    assert Card.objects.filter(journey=big).count() == 500
    assert Card.objects.filter(journey=journey).count() == 10
    api.force_login(admin)
    # session, user, journey (+workspace, owner) with membership role, stages with their steps, lanes with
    # their cards (overlays only when asked for: ?overlays=…, see the next test)
    with django_assert_num_queries(5):
        small_body = api.get(map_url(journey)).json()
    with django_assert_num_queries(5):
        big_body = api.get(map_url(big)).json()
    assert len(small_body["cards"]) == 10
    assert len(big_body["cards"]) == 500
    assert len(big_body["stages"]) == 6 and len(big_body["lanes"]) == 10


def test_map_query_count_for_a_member_with_grants_lookup(
    api, viewer, workspace, journey, admin, django_assert_num_queries
):
    big = factories.make_map(factories.make_journey(workspace, by=admin), stages=5, lanes=10, cards=500)
    api.force_login(viewer)
    # session, user, journey with membership role and grants (user, team), stages with their steps, lanes
    # with their cards; + the overlays asked for (research's evidence: 3, metrics': 3, prioritization's: 2)
    with django_assert_num_queries(5):
        assert api.get(map_url(journey)).status_code == 200
    with django_assert_num_queries(5 + 8):
        assert len(api.get(map_url(big) + "?overlays=all").json()["cards"]) == 500
    with django_assert_num_queries(5 + 3):
        assert set(api.get(map_url(big) + "?overlays=evidence").json()["overlays"]) == {"evidence"}


def test_the_overlays_asked_for_are_named_and_an_unknown_one_is_refused(api, viewer, journey):
    api.force_login(viewer)
    assert api.get(map_url(journey)).json()["overlays"] == {}
    assert set(api.get(map_url(journey) + "?overlays=metrics,evidence").json()["overlays"]) == {
        "evidence",
        "metrics",
    }
    response = api.get(map_url(journey) + "?overlays=evidence,risk")
    assert response.status_code == 400
    assert response.json() == {
        "overlays": ["No overlay named “risk” (known: all, evidence, metrics, priority)."]
    }


def test_empty_map(api, admin, workspace):
    empty = factories.make_journey(workspace, by=admin, title="Empty")
    api.force_login(admin)
    body = api.get(map_url(empty)).json()
    assert (body["stages"], body["lanes"], body["cards"]) == ([], [], [])
    assert (
        not Stage.objects.filter(journey=empty).exists() and not Lane.objects.filter(journey=empty).exists()
    )


def test_map_rows_are_what_the_schema_serializers_give_in_map_order(api, admin, workspace, journey):
    """The map is built from plain rows, not serializer instances: it must still be, field for field and in
    the same order, what MapOut's serializers (the OpenAPI schema) give for the same models."""
    from django.test import RequestFactory

    from journeys.api.journeys import LaneOut, MapCardOut, StageWithStepsOut
    from journeys.services import card_create, lane_create, stage_create, step_delete

    # a stage without steps and a lane without cards come too; cards follow the map's order, not their ids
    empty_stage = stage_create(journey_id=journey.pk, by=admin, title="No steps yet", position=0)
    for step in empty_stage.steps.all():
        step_delete(step_id=step.pk, by=admin)
    lane_create(journey_id=journey.pk, by=admin, title="Nothing here", position=1)
    first_step = Step.objects.filter(journey=journey).order_by("stage__position", "position").first()
    first_lane = journey.lanes.order_by("position").first()
    card_create(lane_id=first_lane.pk, step_id=first_step.pk, by=admin, text="Newest, first", position=0)
    api.force_login(admin)
    body = api.get(map_url(journey)).json()

    request = RequestFactory().get("/")
    request.user = admin
    context = {"request": request}
    stages = list(journey.stages.order_by("position"))
    steps = []
    for stage in stages:
        stage.step_list = list(stage.steps.order_by("position"))
        steps += stage.step_list
    lanes = list(journey.lanes.order_by("position"))
    step_index = {step.pk: i for i, step in enumerate(steps)}
    lane_index = {lane.pk: i for i, lane in enumerate(lanes)}
    cards = sorted(
        Card.objects.filter(journey=journey),
        key=lambda c: (lane_index[c.lane_id], step_index[c.step_id], c.position),
    )
    assert body["stages"][0] == {**StageWithStepsOut(stages[0], context=context).data, "steps": []}
    assert body["stages"] == StageWithStepsOut(stages, many=True, context=context).data
    assert body["lanes"] == LaneOut(lanes, many=True).data
    assert body["cards"] == MapCardOut(cards, many=True).data
    assert [list(c) for c in body["cards"]] == [list(c) for c in MapCardOut(cards, many=True).data]
