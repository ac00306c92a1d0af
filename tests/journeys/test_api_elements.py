"""Stages, steps, lanes and cards through the API: create, change, move, delete; versions and conflicts."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from journeys import services
from journeys.models import Activity, Card, Journey, Lane, LaneKind, Stage, Step
from tests import factories
from tests.checks import assert_refused


@pytest.fixture
def api(admin):
    client = APIClient()
    client.default_format = "json"
    client.force_login(admin)
    return client


def url(name, obj):
    return reverse(f"journeys-api:{name}", args=[obj.pk])


def snapshot(journey):
    """Everything a write could change on the map, to prove a refused write changed nothing."""
    journey = Journey.objects.get(pk=journey.pk)
    return {
        "journey": (journey.title, journey.version, journey.revision),
        "stages": list(Stage.objects.filter(journey=journey).order_by("pk").values_list()),
        "steps": list(Step.objects.filter(journey=journey).order_by("pk").values_list()),
        "lanes": list(Lane.objects.filter(journey=journey).order_by("pk").values_list()),
        "cards": list(Card.objects.filter(journey=journey).order_by("pk").values_list()),
        "activity": Activity.objects.filter(journey=journey).count(),
    }


INVISIBLE = "Write something visible: spaces and invisible characters alone do not count."


def cell(lane, step):
    return list(Card.objects.filter(lane=lane, step=step).order_by("position").values_list("pk", "position"))


# ---------------------------------------------------------------------------------------------- creating


def test_add_stage_at_a_position_renumbers_and_comes_with_a_step(api, journey):
    first = journey.stages.order_by("position").first()
    response = api.post(
        url("journey-stages", journey), {"title": "Discover", "position": 0, "standard_stage": "awareness"}
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["position"] == 0 and body["version"] == 1 and body["standard_stage"] == "awareness"
    assert len(body["steps"]) == 1 and body["steps"][0]["stage"] == body["id"]
    assert list(journey.stages.order_by("position").values_list("position", flat=True)) == [0, 1, 2]
    first.refresh_from_db()
    assert first.position == 1


def test_add_step_to_a_stage_both_ways(api, journey):
    stage = journey.stages.order_by("position").first()
    response = api.post(url("stage-steps", stage), {"title": "Search", "position": 0})
    assert response.status_code == 201
    assert response.json()["stage"] == stage.pk and response.json()["position"] == 0
    response = api.post(url("journey-steps", journey), {"stage": stage.pk, "title": "Compare"})
    assert response.status_code == 201
    assert response.json()["position"] == 3  # two from the map, one added above: appended last
    assert list(stage.steps.order_by("position").values_list("title", flat=True))[0] == "Search"


def test_journey_steps_refuses_a_stage_of_another_journey(api, workspace, admin, journey):
    other = factories.make_map(factories.make_journey(workspace, by=admin), cards=0)
    before = snapshot(other)
    stage = other.stages.first()
    response = api.post(url("journey-steps", journey), {"stage": stage.pk, "title": "Sneaky"})
    assert_refused(response, 400, {"stage": [f"No stage {stage.pk} in this journey."]})
    assert snapshot(other) == before


def test_add_lane_and_card(api, journey):
    response = api.post(
        url("journey-lanes", journey), {"title": "Feelings", "kind": "emotions", "position": 1}
    )
    assert response.status_code == 201
    lane = Lane.objects.get(pk=response.json()["id"])
    assert (lane.kind, lane.position) == (LaneKind.EMOTIONS, 1)
    step = journey.steps.first()
    response = api.post(
        url("journey-cards", journey),
        {"lane": lane.pk, "step": step.pk, "text": "  Anxious  ", "emotion_score": -2},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["text"], body["emotion_score"], body["position"], body["version"]) == ("Anxious", -2, 0, 1)
    assert Card.objects.get(pk=body["id"]).created_by.username == "alice"


def test_card_inserted_at_a_position_pushes_the_others_down(api, journey):
    card = journey.cards.first()
    before = cell(card.lane, card.step)
    response = api.post(
        url("journey-cards", journey),
        {"lane": card.lane_id, "step": card.step_id, "text": "First", "position": 0},
    )
    after = cell(card.lane, card.step)
    assert after[0][0] == response.json()["id"]
    assert [pk for pk, _ in after[1:]] == [pk for pk, _ in before]
    assert [pos for _, pos in after] == list(range(len(after)))


def test_card_in_a_lane_of_another_journey_is_refused(api, workspace, admin, journey):
    other = factories.make_map(factories.make_journey(workspace, by=admin), cards=0)
    before, before_other = snapshot(journey), snapshot(other)
    response = api.post(
        url("journey-cards", journey),
        {"lane": other.lanes.first().pk, "step": journey.steps.first().pk, "text": "x"},
    )
    assert_refused(response, 400, {"lane": [f"No lane {other.lanes.first().pk} in this journey."]})
    assert snapshot(journey) == before and snapshot(other) == before_other


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({"text": ""}, {"text": ["This field may not be blank."]}),
        ({"text": "x" * 2001}, {"text": ["At most 2,000 characters (you have 2,001)."]}),
        (
            {"text": "ok", "emotion_score": 4},
            {"emotion_score": ["Ensure this value is less than or equal to 3."]},
        ),
        (
            {"text": "ok", "emotion_score": -4},
            {"emotion_score": ["Ensure this value is greater than or equal to -3."]},
        ),
        ({"text": "ok", "position": -1}, {"position": ["Ensure this value is greater than or equal to 0."]}),
        (
            {"text": "ok", "channel": "c" * 61},
            {"channel": ["At most 60 characters (you have 61)."]},
        ),
    ],
)
def test_bad_card_input_names_the_field_and_changes_nothing(api, journey, payload, errors):
    lane, step = journey.lanes.first(), journey.steps.first()
    before = snapshot(journey)
    response = api.post(url("journey-cards", journey), {"lane": lane.pk, "step": step.pk, **payload})
    assert_refused(response, 400, errors)
    assert snapshot(journey) == before


def test_missing_lane_and_step_are_named(api, journey):
    before = snapshot(journey)
    response = api.post(url("journey-cards", journey), {"text": "Orphan"})
    assert_refused(response, 400, {"lane": ["This field is required."], "step": ["This field is required."]})
    response = api.post(
        url("journey-cards", journey), {"lane": 999999, "step": journey.steps.first().pk, "text": "x"}
    )
    assert_refused(response, 400, {"lane": ["No lane 999999 in this journey."]})
    assert snapshot(journey) == before


def test_bad_lane_kind_and_blank_titles_are_refused(api, journey):
    before = snapshot(journey)
    response = api.post(url("journey-lanes", journey), {"title": "X", "kind": "feelings"})
    assert_refused(response, 400, {"kind": ['"feelings" is not a valid choice.']})
    response = api.post(url("journey-lanes", journey), {"title": "   "})
    assert_refused(response, 400, {"title": [INVISIBLE]})
    response = api.post(url("journey-stages", journey), {"title": ""})
    assert_refused(response, 400, {"title": ["This field may not be blank."]})
    response = api.post(url("journey-stages", journey), {"title": "S", "standard_stage": "x"})
    assert_refused(response, 400, {"standard_stage": ['"x" is not a valid choice.']})
    assert snapshot(journey) == before


# ---------------------------------------------------------------------------------------------- updating


def test_update_card_bumps_its_version_and_the_map_revision(api, journey):
    card = journey.cards.first()
    revision = Journey.objects.get(pk=journey.pk).revision
    response = api.patch(
        url("card-detail", card), {"text": "Calls support", "expected_version": card.version}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["text"] == "Calls support"
    assert response.json()["version"] == card.version + 1
    assert Journey.objects.get(pk=journey.pk).revision == revision + 1
    assert Activity.objects.filter(journey=journey, verb="changed", target_id=card.pk).exists()


@pytest.mark.parametrize("kind", ["card", "stage", "step", "lane"])
def test_update_without_expected_version_is_400_naming_it(api, journey, kind):
    obj = {"card": journey.cards, "stage": journey.stages, "step": journey.steps, "lane": journey.lanes}[
        kind
    ].first()
    before = snapshot(journey)
    response = api.patch(
        url(f"{kind}-detail", obj), {"title": "New", "text": "New"} if kind == "card" else {"title": "New"}
    )
    required = {"expected_version": ["This field is required."]}
    assert_refused(response, 400, required)
    assert_refused(api.delete(url(f"{kind}-detail", obj)), 400, required)
    assert_refused(api.post(url(f"{kind}-move", obj), {"position": 0}), 400, required)
    assert snapshot(journey) == before


def _stale(journey, kind, admin):
    """Someone else changes the object first; returns the object as the client last saw it."""
    obj = {"card": journey.cards, "stage": journey.stages, "step": journey.steps, "lane": journey.lanes}[
        kind
    ].first()
    seen = type(obj).objects.get(pk=obj.pk)
    if kind == "card":
        services.card_update(card_id=obj.pk, by=admin, expected_version=obj.version, text="Theirs")
    else:
        getattr(services, f"{kind}_update")(
            **{f"{kind}_id": obj.pk}, by=admin, expected_version=obj.version, title="Theirs"
        )
    return seen


@pytest.mark.parametrize("kind", ["card", "stage", "step", "lane"])
@pytest.mark.parametrize("action", ["patch", "move", "delete"])
def test_stale_expected_version_is_409_with_current_and_changes_nothing(api, admin, journey, kind, action):
    seen = _stale(journey, kind, admin)
    before = snapshot(journey)
    if action == "patch":
        data = {"expected_version": seen.version, "text" if kind == "card" else "title": "Mine"}
        response = api.patch(url(f"{kind}-detail", seen), data)
    elif action == "move":
        response = api.post(url(f"{kind}-move", seen), {"expected_version": seen.version, "position": 1})
    else:
        response = api.delete(f"{url(f'{kind}-detail', seen)}?expected_version={seen.version}")
    assert response.status_code == 409, response.json()
    body = response.json()
    assert body["detail"]
    current = type(seen).objects.get(pk=seen.pk)
    assert body["current"]["id"] == seen.pk
    assert body["current"]["version"] == current.version == seen.version + 1
    assert body["current"]["text" if kind == "card" else "title"] == "Theirs"
    assert snapshot(journey) == before


def test_stale_journey_update_and_delete_are_409(api, admin, journey):
    seen_version = journey.version
    services.journey_update(journey_id=journey.pk, by=admin, expected_version=seen_version, title="Theirs")
    before = snapshot(journey)
    response = api.patch(url("journey-detail", journey), {"title": "Mine", "expected_version": seen_version})
    assert response.status_code == 409
    assert response.json()["current"]["title"] == "Theirs"
    assert response.json()["current"]["version"] == seen_version + 1
    response = api.delete(f"{url('journey-detail', journey)}?expected_version={seen_version}")
    assert response.status_code == 409
    assert snapshot(journey) == before


def test_deleted_meanwhile_is_404(api, admin, journey):
    card = journey.cards.first()
    services.card_delete(card_id=card.pk, by=admin, expected_version=card.version)
    before = snapshot(journey)
    assert (
        api.patch(url("card-detail", card), {"text": "x", "expected_version": card.version}).status_code
        == 404
    )
    assert (
        api.post(url("card-move", card), {"expected_version": card.version, "position": 0}).status_code == 404
    )
    assert api.delete(f"{url('card-detail', card)}?expected_version={card.version}").status_code == 404
    assert snapshot(journey) == before


def test_edits_to_different_cards_never_conflict(api, journey):
    """Two people load the map, each edits a different card of the same cell: both edits land."""
    step, lane = journey.steps.first(), journey.lanes.first()
    services.card_create(lane_id=lane.pk, step_id=step.pk, by=journey.owner, text="Second")
    a, b = Card.objects.filter(lane=lane, step=step).order_by("position")[:2]
    assert (
        api.patch(url("card-detail", a), {"text": "A edited", "expected_version": a.version}).status_code
        == 200
    )
    # Moving a within the cell renumbers b, which must not make b's loaded version stale.
    assert (
        api.post(url("card-move", a), {"expected_version": a.version + 1, "position": 5}).status_code == 200
    )
    response = api.patch(url("card-detail", b), {"text": "B edited", "expected_version": b.version})
    assert response.status_code == 200, response.json()
    assert set(Card.objects.filter(pk__in=[a.pk, b.pk]).values_list("text", flat=True)) == {
        "A edited",
        "B edited",
    }


def test_expected_version_in_a_delete_body_is_accepted(api, journey):
    lane = journey.lanes.order_by("position").first()
    response = api.delete(url("lane-detail", lane), {"expected_version": lane.version})
    assert response.status_code == 204
    assert not Lane.objects.filter(pk=lane.pk).exists()
    assert list(journey.lanes.order_by("position").values_list("position", flat=True)) == [0, 1]


def test_card_emotion_score_out_of_range_on_update(api, journey):
    card = journey.cards.filter(emotion_score__isnull=False).first()
    before = snapshot(journey)
    response = api.patch(url("card-detail", card), {"emotion_score": 7, "expected_version": card.version})
    assert_refused(response, 400, {"emotion_score": ["Ensure this value is less than or equal to 3."]})
    assert snapshot(journey) == before
    response = api.patch(url("card-detail", card), {"emotion_score": None, "expected_version": card.version})
    assert response.status_code == 200 and response.json()["emotion_score"] is None


def test_step_links_to_a_sub_journey_of_the_same_workspace(api, admin, workspace, outsider, journey):
    step = journey.steps.first()
    child = factories.make_journey(workspace, by=admin, title="Checkout detail")
    response = api.patch(
        url("step-detail", step), {"sub_journey": child.pk, "expected_version": step.version}
    )
    assert response.status_code == 200 and response.json()["sub_journey"] == child.pk
    foreign = factories.make_journey(outsider.memberships.get().workspace, by=outsider)
    step.refresh_from_db()
    before = snapshot(journey)
    response = api.patch(
        url("step-detail", step), {"sub_journey": foreign.pk, "expected_version": step.version}
    )
    assert_refused(response, 400, {"sub_journey": [f"No journey {foreign.pk}."]})
    response = api.patch(
        url("step-detail", step), {"sub_journey": journey.pk, "expected_version": step.version}
    )
    assert_refused(response, 400, {"sub_journey": ["A step cannot link to its own journey."]})
    assert snapshot(journey) == before


def test_get_one_element(api, journey):
    card = journey.cards.first()
    body = api.get(url("card-detail", card)).json()
    assert (body["id"], body["lane"], body["step"], body["version"]) == (
        card.pk,
        card.lane_id,
        card.step_id,
        card.version,
    )
    assert api.get(reverse("journeys-api:card-detail", args=[999999])).status_code == 404


# ---------------------------------------------------------------------------------------------- moving


def test_move_card_to_another_cell_renumbers_both_cells(api, journey):
    lane = journey.lanes.order_by("position")[1]
    source_step, target_step = journey.steps.order_by("stage__position", "position")[:2]
    for text in ("a", "b", "c"):
        services.card_create(lane_id=lane.pk, step_id=source_step.pk, by=journey.owner, text=text)
    moving = Card.objects.filter(lane=lane, step=source_step).order_by("position")[0]
    target_before = [pk for pk, _ in cell(lane, target_step)]
    response = api.post(
        url("card-move", moving),
        {"expected_version": moving.version, "to_step": target_step.pk, "to_lane": lane.pk, "position": 0},
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["step"], response.json()["position"]) == (target_step.pk, 0)
    assert [pos for _, pos in cell(lane, source_step)] == list(range(len(cell(lane, source_step))))
    assert cell(lane, target_step)[0][0] == moving.pk
    assert [pk for pk, _ in cell(lane, target_step)][1:] == target_before
    assert [pos for _, pos in cell(lane, target_step)] == list(range(len(target_before) + 1))


def test_move_card_to_a_lane_of_another_journey_is_refused(api, workspace, admin, journey):
    other = factories.make_map(factories.make_journey(workspace, by=admin), cards=0)
    card = journey.cards.first()
    before = snapshot(journey)
    response = api.post(
        url("card-move", card), {"expected_version": card.version, "to_lane": other.lanes.first().pk}
    )
    assert_refused(response, 400, {"to_lane": [f"No lane {other.lanes.first().pk} in this journey."]})
    assert snapshot(journey) == before


def test_move_stage_lane_and_step(api, journey):
    stages = list(journey.stages.order_by("position"))
    response = api.post(url("stage-move", stages[0]), {"expected_version": stages[0].version, "position": 1})
    assert response.status_code == 200
    assert list(journey.stages.order_by("position").values_list("pk", flat=True)) == [
        stages[1].pk,
        stages[0].pk,
    ]
    lanes = list(journey.lanes.order_by("position"))
    response = api.post(url("lane-move", lanes[2]), {"expected_version": lanes[2].version, "position": 0})
    assert response.status_code == 200
    assert list(journey.lanes.order_by("position").values_list("pk", flat=True)) == [
        lanes[2].pk,
        lanes[0].pk,
        lanes[1].pk,
    ]
    step = stages[0].steps.order_by("position").first()
    response = api.post(
        url("step-move", step), {"expected_version": step.version, "position": 0, "to_stage": stages[1].pk}
    )
    assert response.status_code == 200 and response.json()["stage"] == stages[1].pk
    assert list(stages[0].steps.order_by("position").values_list("position", flat=True)) == [0]
    assert list(stages[1].steps.order_by("position").values_list("position", flat=True)) == [0, 1, 2]
    assert Card.objects.filter(step=step).exists()  # its cards travel with it


def test_move_step_to_a_stage_of_another_journey_is_refused(api, workspace, admin, journey):
    other = factories.make_map(factories.make_journey(workspace, by=admin), cards=0)
    step = journey.steps.first()
    before = snapshot(journey)
    response = api.post(
        url("step-move", step),
        {"expected_version": step.version, "position": 0, "to_stage": other.stages.first().pk},
    )
    assert_refused(response, 400, {"to_stage": [f"No stage {other.stages.first().pk} in this journey."]})
    assert snapshot(journey) == before


# ---------------------------------------------------------------------------------------------- deleting


def test_delete_stage_takes_its_steps_and_cards(api, journey):
    stage = journey.stages.order_by("position").first()
    step_ids = list(stage.steps.values_list("pk", flat=True))
    assert Card.objects.filter(step_id__in=step_ids).exists()
    response = api.delete(f"{url('stage-detail', stage)}?expected_version={stage.version}")
    assert response.status_code == 204
    assert not Step.objects.filter(pk__in=step_ids).exists()
    assert not Card.objects.filter(step_id__in=step_ids).exists()
    assert list(journey.stages.values_list("position", flat=True)) == [0]


def test_delete_card_renumbers_its_cell(api, journey):
    lane, step = journey.lanes.first(), journey.steps.first()
    for text in ("a", "b"):
        services.card_create(lane_id=lane.pk, step_id=step.pk, by=journey.owner, text=text)
    first = Card.objects.filter(lane=lane, step=step).order_by("position").first()
    assert api.delete(f"{url('card-detail', first)}?expected_version={first.version}").status_code == 204
    assert [pos for _, pos in cell(lane, step)] == list(range(len(cell(lane, step))))
