"""Big maps and big workspaces (issue 7, "Big maps"): what an edit costs and answers, whatever the size.

Statement counts are asserted on a small map and on one 50× bigger; inside a test every service runs in a
savepoint of the test's transaction (SAVEPOINT … RELEASE: 2 statements a production request does not send).
"""

import re

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from journeys import access, selectors, services
from journeys.api.journeys import MapOut
from journeys.models import Card, Journey, LaneKind, MapVersion
from journeys.services import versioning

from .. import factories

HX = {"HX-Request": "true"}


def _maps(workspace, admin):
    small = factories.make_map(factories.make_journey(workspace, by=admin, title="Small"), cards=10)
    big = factories.make_map(
        factories.make_journey(workspace, by=admin, title="Big"),
        stages=6,
        steps_per_stage=5,
        lanes=10,
        cards=500,
    )
    return small, big


def _plain_card(journey):
    """A card outside the emotion lane (an emotion card's answer also redraws the lane's curve)."""
    return journey.cards.exclude(lane__kind=LaneKind.EMOTIONS).order_by("pk").first()


# ---------------------------------------------------------------------------------------------- card edits


def test_a_card_edit_through_the_service_is_four_statements(
    workspace, admin, editor, django_assert_num_queries
):
    for journey in _maps(workspace, admin):
        card = _plain_card(journey)
        # the journey locked with the editor's access (role and grants in the same query) · the card with
        # its lane and step, locked · UPDATE card · UPDATE journey revision + INSERT activity (one
        # statement) (+ savepoint)
        with django_assert_num_queries(4 + 2):
            services.card_update(card_id=card.pk, by=editor, text="Shorter", expected_version=card.version)
        card.refresh_from_db()
        assert card.text == "Shorter" and card.version == 2


def test_the_service_still_refuses_what_full_clean_refused(journey, editor):
    card = _plain_card(journey)
    with pytest.raises(services.Conflict):
        services.card_update(card_id=card.pk, by=editor, text="x", expected_version=card.version + 1)
    with pytest.raises(Exception, match="A card needs some text"):
        services.card_update(card_id=card.pk, by=editor, text="   ")
    card.refresh_from_db()
    assert card.version == 1


def test_a_card_edit_through_the_api_is_five_statements(workspace, admin, editor, django_assert_num_queries):
    api = APIClient(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=editor).key}")
    for journey in _maps(workspace, admin):
        card = _plain_card(journey)
        # token + user · then the service's four (+ savepoint): access is checked once, in the service
        with django_assert_num_queries(1 + 4 + 2):
            response = api.patch(
                reverse("journeys-api:card-detail", args=[card.pk]),
                {"text": "Through the API", "expected_version": card.version},
                format="json",
            )
        assert response.status_code == 200 and response.json()["version"] == 2


def test_api_writes_check_access_once_yet_answer_outsiders_404_and_viewers_403(journey, viewer, outsider):
    card = _plain_card(journey)
    url = reverse("journeys-api:card-detail", args=[card.pk])
    for user, status in ((outsider, 404), (viewer, 403)):
        api = APIClient(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        # valid input: the service's access check answers; bad input: the same answer, not a 400
        assert api.patch(url, {"text": "x", "expected_version": 1}, format="json").status_code == status
        assert api.patch(url, {"text": "", "expected_version": "x"}, format="json").status_code == status
        assert (
            api.post(reverse("journeys-api:card-move", args=[card.pk]), {}, format="json").status_code
            == status
        )
    card.refresh_from_db()
    assert card.version == 1


def test_a_card_edit_through_the_editor_is_eight_statements(
    client, workspace, admin, editor, django_assert_num_queries
):
    client.force_login(editor)
    for journey in _maps(workspace, admin):
        card = _plain_card(journey)
        # session · user · the service's four (+ savepoint), whose card read also counts the card's
        # comments; no context processor (the answer is a fragment) and no second access check
        with django_assert_num_queries(2 + 4 + 2):
            response = client.post(
                reverse("journeys:editor_card_edit", args=[card.pk]),
                {"text": "In the editor", "expected_version": card.version},
                headers=HX,
            )
        assert response.status_code == 200
        body = response.content.decode()
        assert body.count("<article") == 1 and "In the editor" in body and 'id="map-grid"' not in body


# ---------------------------------------------------------------------------------------------- fragments


def _cell_ids(body):
    return set(re.findall(r'id="cell-(\d+)-(\d+)" hx-swap-oob="true"', body))


def test_a_move_answers_with_the_two_cells_only(client, workspace, admin, editor, django_assert_num_queries):
    client.force_login(editor)
    for journey in _maps(workspace, admin):
        # the last card of its cell, moved to the end of another: no renumbering, the same work on any map
        card = journey.cards.exclude(lane__kind=LaneKind.EMOTIONS).order_by("-position", "pk").first()
        lanes = list(journey.lanes.exclude(kind=LaneKind.EMOTIONS).exclude(pk=card.lane_id).order_by("pk"))
        target = lanes[0]
        # session · user · the move (lock+access, card, target lane, target cell, save, old cell closing
        # its gap, revision + activity in one statement, + savepoint) · the cells: lanes, steps, cards with
        # comment counts
        with django_assert_num_queries(2 + 7 + 2 + 3):
            response = client.post(
                reverse("journeys:editor_card_move", args=[card.pk]),
                {"to_lane": target.pk, "position": 99, "expected_version": card.version},
                headers=HX,
            )
        assert response.status_code == 200 and response["HX-Reswap"] == "none"
        body = response.content.decode()
        assert _cell_ids(body) == {
            (str(card.lane_id), str(card.step_id)),
            (str(target.pk), str(card.step_id)),
        }
        assert f'id="card-{card.pk}"' in body and len(body) < 20_000
        assert '"editor:saved": {"revision": ' in response["HX-Trigger-After-Settle"]


def test_add_and_delete_answer_with_the_cell(client, journey, editor):
    client.force_login(editor)
    card = _plain_card(journey)
    response = client.post(
        reverse("journeys:editor_card_add", args=[journey.pk]),
        {"lane": card.lane_id, "step": card.step_id, "text": "A new one"},
        headers=HX,
    )
    assert response.status_code == 200 and response["HX-Reswap"] == "none"
    assert _cell_ids(response.content.decode()) == {(str(card.lane_id), str(card.step_id))}
    assert "A new one" in response.content.decode()
    new = Card.objects.get(text="A new one")
    response = client.post(
        reverse("journeys:editor_card_delete", args=[new.pk]), {"expected_version": new.version}, headers=HX
    )
    body = response.content.decode()
    assert response.status_code == 200 and _cell_ids(body) == {(str(card.lane_id), str(card.step_id))}
    assert "A new one" not in body and "editor:deleted" in response["HX-Trigger-After-Swap"]


def test_an_emotion_card_moved_redraws_its_lane_curve(client, journey, editor):
    client.force_login(editor)
    card = journey.cards.filter(lane__kind=LaneKind.EMOTIONS).first()
    other_step = journey.steps.exclude(pk=card.step_id).first()
    response = client.post(
        reverse("journeys:editor_card_move", args=[card.pk]),
        {"to_step": other_step.pk, "position": 0, "expected_version": card.version},
        headers=HX,
    )
    body = response.content.decode()
    assert f"hx-swap-oob=\"outerHTML:.map__curve[data-lane-id='{card.lane_id}']\"" in body
    # the same curve as the whole grid draws (its points, at least one of them scored)
    grid = client.get(reverse("journeys:map_grid", args=[journey.pk])).content.decode()
    curve = grid[grid.index(f'<div class="map__curve" data-lane-id="{card.lane_id}"') :]
    curve = curve[curve.index("<svg") : curve.index("</svg>")]
    assert "<circle" in curve and curve in body


def test_the_cells_a_live_change_names_are_served_alone(
    client, workspace, admin, viewer, django_assert_num_queries
):
    client.force_login(viewer)
    for journey in _maps(workspace, admin):
        card = _plain_card(journey)
        url = reverse("journeys:map_cells", args=[journey.pk])
        cells = f"{card.lane_id}-{card.step_id},999999-1,junk"
        # session · user · journey with access · lanes · steps · cards with comment counts
        with django_assert_num_queries(6):
            response = client.get(url, {"cells": cells})
        body = response.content.decode()
        assert response.status_code == 200 and _cell_ids(body) == {(str(card.lane_id), str(card.step_id))}
        assert 'draggable="true"' not in body  # a viewer gets no editing affordances


def test_a_card_change_names_its_cells_in_the_live_event(journey, editor, django_capture_on_commit_callbacks):
    card = _plain_card(journey)
    published = []
    from journeys import events

    original = events.publish_change
    events.publish_change = published.append
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.card_update(card_id=card.pk, by=editor, text="Live")
    finally:
        events.publish_change = original
    assert published[0]["cells"] == [f"{card.lane_id}-{card.step_id}"]


# ---------------------------------------------------------------------------------------------- reads


def test_the_map_api_keeps_the_serializers_shape(api_admin_journey):
    api, journey = api_admin_journey
    body = api.get(reverse("journeys-api:journey-map", args=[journey.pk])).json()
    data = selectors.journey_map(journey=journey)
    # The map reads plain rows (selectors.MapCard); the serializer takes model instances.
    instances = Card.objects.in_bulk()
    cards = [
        instances[c.pk]
        for lane in data.lanes
        for step in data.steps
        for c in data.cards_by_cell.get((lane.pk, step.pk), ())
    ]
    shaped = MapOut(
        {"journey": access.journey_for(journey.owner, journey.pk), "stages": data.stages, "lanes": data.lanes,
         "cards": cards, "overlays": {}}
    ).data  # fmt: skip
    for key in ("stages", "lanes", "cards"):
        assert body[key] == shaped[key], key


@pytest.fixture
def api_admin_journey(admin, journey):
    client = APIClient()
    client.force_login(admin)
    return client, journey


def test_versions_store_their_counts_when_saved(journey, admin, django_assert_num_queries):
    version = versioning.version_save(journey_id=journey.pk, by=admin, label="Counted")
    stored = MapVersion.objects.values("stage_count", "step_count", "lane_count", "card_count").get(
        pk=version.pk
    )
    assert stored == {
        "stage_count": journey.stages.count(),
        "step_count": journey.steps.count(),
        "lane_count": journey.lanes.count(),
        "card_count": journey.cards.count(),
    }
    with django_assert_num_queries(1):
        listed = list(versioning.version_list(journey=journey))
    assert listed[0].card_count == 10 and "snapshot" in listed[0].get_deferred_fields()


# ---------------------------------------------------------------------------------------------- the list


def _portfolio(workspace, admin, n):
    roots = Journey.objects.bulk_create(
        Journey(workspace=workspace, owner=admin, title=f"Root {i:03d}") for i in range(n)
    )
    Journey.objects.bulk_create(
        Journey(
            workspace=workspace, owner=admin, title=f"Child {i:03d}", parent=roots[i], level="sub-journey"
        )
        for i in range(n)
    )


@pytest.mark.parametrize("n", [5, 60])
def test_the_list_is_paginated_in_hierarchy_order_with_constant_queries(
    client, workspace, admin, django_assert_num_queries, n
):
    _portfolio(workspace, admin, n)
    client.force_login(admin)
    # session · user · memberships · members · tags · the tree's order · the page with its card counts
    with django_assert_num_queries(7):
        response = client.get(reverse("journeys:list"))
    body = response.content.decode()
    rows = re.findall(r'data-journey-id="(\d+)"', body)
    assert len(rows) == min(50, 2 * n)
    titles = re.findall(r'<a href="/journeys/\d+/" dir="auto">([^<]+)</a>', body)
    assert titles[:2] == ["Root 000", "Child 000"]  # a child follows its parent
    if n == 60:
        assert "Page 1 of 3" in body and f"{2 * n} journeys" in body
        second = client.get(reverse("journeys:list"), {"page": 2}).content.decode()
        assert len(re.findall(r'data-journey-id="(\d+)"', second)) == 50
        searched = client.get(reverse("journeys:list"), {"q": "Child 059"}).content.decode()
        assert "Child 059" in searched


def test_the_list_api_counts_cards_of_its_page_only(workspace, admin, django_assert_num_queries):
    _portfolio(workspace, admin, 60)
    factories.make_map(Journey.objects.get(title="Root 000"), cards=7)
    api = APIClient()
    api.force_login(admin)
    # session · user · count · page with the card counts of its rows · which parents on the page the
    # reader sees
    with django_assert_num_queries(5):
        body = api.get(reverse("journeys-api:journey-list"), {"limit": 100}).json()
    assert body["count"] == 120 and len(body["results"]) == 100
    assert any(j["parent"] is not None for j in body["results"])
    assert {j["title"]: j["card_count"] for j in body["results"]}["Root 000"] == 7
