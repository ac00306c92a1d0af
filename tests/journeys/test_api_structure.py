"""API of structure across journeys: copy, template, sub-journey, ancestors, compare, saved views."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from journeys.models import Journey, JourneyLevel, JourneyState, SavedView
from journeys.services import structure
from tests import factories
from tests.checks import assert_refused


@pytest.fixture
def api():
    client = APIClient()
    client.default_format = "json"
    return client


def test_copy_as_future_state(api, journey, editor):
    api.force_login(editor)
    response = api.post(
        reverse("journeys-api:journey-copy", args=[journey.pk]),
        {"title": "Lifecycle 2026", "with_cards": False, "as_future_state": True},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    copy = Journey.objects.get(pk=body["id"])
    assert body["state"] == JourneyState.FUTURE and body["current_state_of"] == journey.pk
    assert body["access_level"] == "manage" and copy.owner == editor
    assert copy.cards.count() == 0 and copy.steps.count() == journey.steps.count()


def test_copy_bad_input_names_the_field(api, journey, editor, outsider):
    api.force_login(editor)
    count = Journey.objects.count()
    response = api.post(reverse("journeys-api:journey-copy", args=[journey.pk]), {"title": "  "})
    message = "Write something visible: spaces and invisible characters alone do not count."
    assert_refused(response, 400, {"title": [message]})
    foreign = factories.make_journey(outsider.memberships.get().workspace, by=outsider)
    response = api.post(
        reverse("journeys-api:journey-copy", args=[journey.pk]), {"title": "Copy", "parent": foreign.pk}
    )
    assert_refused(response, 400, {"parent": [f"No journey {foreign.pk}."]})
    assert Journey.objects.count() == count + 1  # only the outsider's own journey


def test_template_put_and_list(api, journey, workspace, admin, editor, django_assert_num_queries):
    api.force_login(editor)
    url = reverse("journeys-api:journey-template", args=[journey.pk])
    assert api.put(url, {"is_template": True}).status_code == 403
    api.force_login(admin)
    response = api.put(url, {"is_template": True, "expected_version": journey.version})
    assert response.status_code == 200 and response.json()["is_template"] is True
    assert api.put(url, {"is_template": False, "expected_version": journey.version}).status_code == 409

    other = factories.make_journey(workspace, by=admin, title="Big template")
    factories.make_map(other, stages=10, steps_per_stage=5, lanes=10, cards=500)
    structure.journey_template_set(journey_id=other.pk, by=admin, is_template=True)
    api.force_login(editor)
    # session, user, count (pagination), templates with their sizes and owner
    with django_assert_num_queries(4):
        body = api.get(reverse("journeys-api:template-list")).json()
    rows = {row["title"]: row for row in body["results"]}
    assert rows["Big template"]["card_count"] == 500 and rows["Big template"]["stage_count"] == 10
    assert rows[journey.title]["card_count"] == 10


def test_sub_journey_from_step(api, journey, editor, viewer):
    step = journey.steps.order_by("stage__position", "position").first()
    url = reverse("journeys-api:step-sub-journey", args=[step.pk])
    api.force_login(viewer)
    assert api.post(url, {}).status_code == 403
    api.force_login(editor)
    response = api.post(url, {"from_framework": True})
    assert response.status_code == 201
    body = response.json()
    assert (
        body["parent"] == journey.pk
        and body["level"] == JourneyLevel.SUB_JOURNEY
        and body["title"] == step.title
    )
    step.refresh_from_db()
    assert step.sub_journey_id == body["id"]
    again = api.post(url, {"title": "Second"})
    assert_refused(again, 400, {"step": ["This step already links to a sub-journey; unlink it first."]})
    assert api.post(reverse("journeys-api:step-sub-journey", args=[999999]), {}).status_code == 404


def test_ancestors(api, workspace, admin, editor, django_assert_num_queries):
    top = factories.make_journey(workspace, by=admin, title="Lifecycle")
    middle = factories.make_journey(workspace, by=admin, title="Onboarding", parent=top, level="sub-journey")
    leaf = factories.make_journey(workspace, by=admin, title="Verify email", parent=middle, level="micro")
    api.force_login(editor)
    # session, user; journey with role and grants; the parent chain in one join
    with django_assert_num_queries(4):
        body = api.get(reverse("journeys-api:journey-ancestors", args=[leaf.pk])).json()
    assert [a["title"] for a in body] == ["Lifecycle", "Onboarding"]


@pytest.mark.parametrize("big", [False, True], ids=["small", "50x"])
def test_compare_query_count(api, workspace, admin, editor, big, django_assert_num_queries):
    current = factories.make_journey(workspace, by=admin, title="Today")
    factories.make_map(
        current, **({"stages": 10, "steps_per_stage": 5, "lanes": 10, "cards": 500} if big else {})
    )
    future = structure.journey_copy(journey_id=current.pk, by=admin, title="Tomorrow", as_future_state=True)
    api.force_login(editor)
    # session, user; both journeys, each with role and grants (2); stages, steps, key cards, emotion means
    with django_assert_num_queries(8):
        response = api.get(reverse("journeys-api:journey-compare", args=[current.pk]), {"with": future.pk})
    body = response.json()
    assert response.status_code == 200 and body["right"]["id"] == future.pk
    assert len(body["rows"]) == (10 if big else 2)
    assert all(row["matched_by"] == "title" for row in body["rows"])
    assert body["left_totals"] == body["right_totals"]


def test_compare_needs_another_journey(api, journey, editor):
    api.force_login(editor)
    response = api.get(reverse("journeys-api:journey-compare", args=[journey.pk]))
    assert_refused(response, 400, {"with": ["This journey has no future or current state: name one."]})
    response = api.get(reverse("journeys-api:journey-compare", args=[journey.pk]), {"with": "x"})
    assert_refused(response, 400, {"with": ["Must be a journey id (an integer)."]})


def test_saved_views(api, journey, editor, viewer):
    lane = journey.lanes.order_by("position").first()
    url = reverse("journeys-api:journey-saved-views", args=[journey.pk])
    api.force_login(viewer)
    assert api.post(url, {"name": "Mine"}).status_code == 403
    api.force_login(editor)
    response = api.post(url, {"name": "Board", "hidden_lanes": [lane.pk]})
    assert response.status_code == 201 and response.json()["hidden_lanes"] == [lane.pk]
    refused = api.post(url, {"name": "Board"})
    assert_refused(refused, 400, {"name": ["There is already a view called “Board” on this journey."]})
    refused = api.post(url, {"name": "Other", "hidden_lanes": [0]})
    assert_refused(
        refused, 400, {"hidden_lanes": {"0": ["Ensure this value is greater than or equal to 1."]}}
    )
    refused = api.post(url, {"name": "Other", "hidden_lanes": [999999]})
    assert_refused(refused, 400, {"hidden_lanes": ["No lane 999999 in this journey."]})
    api.force_login(viewer)
    assert [v["name"] for v in api.get(url).json()] == ["Board"]
    detail = reverse("journeys-api:saved-view-detail", args=[response.json()["id"]])
    assert api.get(detail).json()["name"] == "Board"
    assert api.delete(detail).status_code == 403
    api.force_login(editor)
    assert api.delete(detail).status_code == 204
    assert not SavedView.objects.exists()
