"""The map editor's endpoints (journeys/views/editor.py): every write goes through the services, answers with
what changed, refuses viewers (403) and outsiders (404), changes nothing on bad input, and shows a conflict
as the other person's version beside this person's text with a one-click reapply."""

import json
import re

import pytest
from django.urls import reverse

from journeys import services
from journeys.models import Card, Journey, Lane, LaneKind, Stage, Step, TrashedItem
from journeys.services import comments
from tests import factories

HX = {"HX-Request": "true"}
MENU = {"HX-Request": "true", "HX-Target": "map-grid"}  # a header menu's one-click change


def _first(queryset):
    return queryset.order_by("pk").first()


@pytest.fixture
def stage(journey):
    return journey.stages.order_by("position").first()


@pytest.fixture
def step(journey):
    return journey.steps.order_by("stage__position", "position").first()


@pytest.fixture
def lane(journey):
    return journey.lanes.exclude(kind=LaneKind.EMOTIONS).order_by("position").first()


@pytest.fixture
def card(journey):
    return _first(journey.cards.exclude(lane__kind=LaneKind.EMOTIONS))


@pytest.fixture
def emotion_card(journey):
    return _first(journey.cards.filter(lane__kind=LaneKind.EMOTIONS))


def _events(response, header="HX-Trigger-After-Settle"):
    return json.loads(response.get(header, "{}"))


def _state(journey):
    """Everything an editor write could change, to prove a refused one changed nothing."""
    journey = Journey.objects.get(pk=journey.pk)
    return (
        journey.revision,
        list(
            Stage.objects.filter(journey=journey)
            .order_by("pk")
            .values_list("pk", "position", "title", "version")
        ),
        list(
            Step.objects.filter(journey=journey)
            .order_by("pk")
            .values_list("pk", "stage", "position", "title", "version")
        ),
        list(
            Lane.objects.filter(journey=journey)
            .order_by("pk")
            .values_list("pk", "position", "title", "kind", "version")
        ),
        list(
            Card.objects.filter(journey=journey)
            .order_by("pk")
            .values_list("pk", "lane", "step", "position", "text", "emotion_score", "channel", "version")
        ),
        TrashedItem.objects.filter(journey=journey).count(),
    )


# ---------------------------------------------------------------------------------------------- the page


def test_editors_get_the_editor_and_viewers_the_read_only_map(client, journey, editor, viewer, card):
    client.force_login(editor)
    body = client.get(reverse("journeys:map", args=[journey.pk])).content.decode()
    assert 'id="editor"' in body and 'class="map-scroll is-editing"' in body
    # tabindex -1: the map is one tab stop, static/js/map-keys.js moves a roving tabindex="0" between cards
    assert (
        f'id="card-{card.pk}" data-card-id="{card.pk}" data-version="1" tabindex="-1" draggable="true"'
        in body
    )
    assert 'data-drag="stage"' in body and 'data-drag="step"' in body and 'data-drag="lane"' in body
    # One card toolbar, one menu per kind of header and one "Add card" URL for the whole map, not one per
    # card, header or cell (templates/journeys/editor/_shared.html; static/js/map-keys.js and editor.js).
    assert body.count('data-card-action="delete"') == 1 and body.count('id="menu-lane"') == 1
    assert "Delete lane" in body and "data-card-new-url=" in body and "js/editor.js" in body
    assert body.count('class="menu el-menu" data-menu="lane"') == journey.lanes.count()

    client.force_login(viewer)
    body = client.get(reverse("journeys:map", args=[journey.pk])).content.decode()
    for control in (
        'id="editor"',
        "is-editing",
        'draggable="true"',
        "data-drag",
        "cell-add",
        "el-menu",
        "hx-post",
        'data-card-action="edit"',
        'data-card-action="delete"',
        'id="menu-',
    ):
        assert control not in body, control
    assert "Comments (0)" in body  # viewers may comment (journeys/services/comments.py)


def test_live_grid_partial_keeps_the_editor_for_editors_only(client, journey, editor, viewer):
    client.force_login(editor)
    assert "data-drag" in client.get(reverse("journeys:map_grid", args=[journey.pk])).content.decode()
    client.force_login(viewer)
    assert "data-drag" not in client.get(reverse("journeys:map_grid", args=[journey.pk])).content.decode()


def _add_comments(journey, by, cards=3):
    for card in journey.cards.order_by("pk")[:cards]:
        comments.comment_create(card_id=card.pk, by=by, body="Where is this from?")
        root = comments.comment_create(card_id=card.pk, by=by, body="Second thread")
        comments.comment_resolve(comment_id=root.pk, by=by)


def test_cards_with_comments_show_their_count(client, journey, editor):
    _add_comments(journey, editor, cards=1)
    card = _first(journey.cards.all())
    client.force_login(editor)
    body = client.get(reverse("journeys:map", args=[journey.pk])).content.decode()
    start = body.index(f'id="card-{card.pk}"')
    element = body[start : body.index("</article>", start)]
    badge = re.search(r'<button class="card__badge is-open"[^>]*aria-label="Comments \((\d)\)"', element)
    assert badge and badge.group(1) == "2"  # two comments, one thread still open
    assert body.count('class="card__badge') == 1
    assert f'data-comments-url="{reverse("journeys:card_comments", args=[journey.pk, 0])}"' in body


# Queries of the editor page (an editor by role on a workspace-visible journey):
#   1 session · 2 user · 3 journey (+ owner, updated_by, whether it has children) with the editor's role
#   (membership) and guardian grants on the journey · 4 memberships for the workspace switcher · 5 stages
#   with their steps (one joined query) · 6 lanes · 7 cards with their comment counts. (The visible journeys
#   of the workspace are read only for a map that links to others: tests/journeys/test_pages_map.py.)
EDITOR_PAGE_QUERIES = 7


def test_editor_page_query_count_does_not_grow_with_the_map(
    client, workspace, admin, editor, django_assert_num_queries
):
    small = factories.make_map(factories.make_journey(workspace, by=admin, title="Small"), cards=10)
    big = factories.make_map(
        factories.make_journey(workspace, by=admin, title="Big"),
        stages=6,
        steps_per_stage=5,
        lanes=10,
        cards=500,
    )
    for journey in (small, big):
        _add_comments(journey, admin, cards=5 if journey is small else 200)
    client.force_login(editor)
    for journey in (small, big):
        with django_assert_num_queries(EDITOR_PAGE_QUERIES):
            response = client.get(reverse("journeys:map", args=[journey.pk]))
        assert response.status_code == 200
    body = response.content.decode()
    assert body.count('class="card ') == 500 and body.count('draggable="true"') == 500 + 6 + 30 + 10
    assert body.count('class="card__badge') == 200


def _last_card_of_a_cell(journey):
    """A card nothing follows in its cell, so moving it away renumbers nothing (the same work on any map)."""
    return journey.cards.order_by("-position", "pk").first()


def test_a_move_answers_in_the_same_number_of_queries_on_a_map_50_times_bigger(
    client, workspace, admin, editor, django_assert_num_queries
):
    small = factories.make_map(factories.make_journey(workspace, by=admin, title="Small"), cards=10)
    big = factories.make_map(
        factories.make_journey(workspace, by=admin, title="Big"),
        stages=6,
        steps_per_stage=5,
        lanes=10,
        cards=500,
    )
    client.force_login(editor)
    for journey in (small, big):
        empty = services.lane_create(journey_id=journey.pk, by=admin, title="Empty")
        card = _last_card_of_a_cell(journey)
        # session · user · the move: savepoint, the card's journey locked with access (role, grants: one
        # query), the card (+ lane, step), the target lane (its step is the card's own: no look-up), the
        # target cell, save, the old cell closing its gap (one UPDATE), revision bump with the activity
        # line (one statement), release · the answer, the two cells: their lanes, steps, cards with
        # comment counts, and the curve of the emotion lane the card left (one query)
        with django_assert_num_queries(15):
            response = client.post(
                reverse("journeys:editor_card_move", args=[card.pk]),
                {"to_lane": empty.pk, "position": 0, "expected_version": card.version},
                headers=HX,
            )
        assert response.status_code == 200
        assert Card.objects.get(pk=card.pk).lane == empty
        # just the two cells, out of band (the grid itself is not swapped)
        body = response.content.decode()
        assert response["HX-Reswap"] == "none" and 'id="map-grid"' not in body
        assert body.count('hx-swap-oob="true"') == 2
        assert f'id="cell-{empty.pk}-{card.step_id}"' in body


# ---------------------------------------------------------------------------------------------- who may

# (url name, kwargs from the fixtures, method, data from the fixtures)
ENDPOINTS = [
    ("journeys:editor_stage_add", lambda f: [f["journey"].pk], "post", lambda f: {}),
    ("journeys:editor_stage", lambda f: [f["stage"].pk], "get", lambda f: {}),
    (
        "journeys:editor_stage",
        lambda f: [f["stage"].pk],
        "post",
        lambda f: {"title": "X", "expected_version": 1},
    ),
    (
        "journeys:editor_stage_move",
        lambda f: [f["stage"].pk],
        "post",
        lambda f: {"position": 1, "expected_version": 1},
    ),
    ("journeys:editor_stage_delete", lambda f: [f["stage"].pk], "post", lambda f: {"expected_version": 1}),
    ("journeys:editor_step_add", lambda f: [f["stage"].pk], "post", lambda f: {}),
    ("journeys:editor_step", lambda f: [f["step"].pk], "get", lambda f: {}),
    (
        "journeys:editor_step",
        lambda f: [f["step"].pk],
        "post",
        lambda f: {"title": "X", "expected_version": 1},
    ),
    (
        "journeys:editor_step_move",
        lambda f: [f["step"].pk],
        "post",
        lambda f: {"position": 1, "expected_version": 1},
    ),
    ("journeys:editor_step_delete", lambda f: [f["step"].pk], "post", lambda f: {"expected_version": 1}),
    ("journeys:editor_lane_add", lambda f: [f["journey"].pk], "post", lambda f: {}),
    ("journeys:editor_lane", lambda f: [f["lane"].pk], "get", lambda f: {}),
    (
        "journeys:editor_lane",
        lambda f: [f["lane"].pk],
        "post",
        lambda f: {"kind": "metrics", "expected_version": 1},
    ),
    (
        "journeys:editor_lane_move",
        lambda f: [f["lane"].pk],
        "post",
        lambda f: {"position": 1, "expected_version": 1},
    ),
    ("journeys:editor_lane_delete", lambda f: [f["lane"].pk], "post", lambda f: {"expected_version": 1}),
    (
        "journeys:editor_card_new",
        lambda f: [f["journey"].pk],
        "get",
        lambda f: {"lane": f["lane"].pk, "step": f["step"].pk},
    ),
    (
        "journeys:editor_card_add",
        lambda f: [f["journey"].pk],
        "post",
        lambda f: {"lane": f["lane"].pk, "step": f["step"].pk, "text": "New"},
    ),
    ("journeys:editor_card_edit", lambda f: [f["card"].pk], "get", lambda f: {}),
    (
        "journeys:editor_card_edit",
        lambda f: [f["card"].pk],
        "post",
        lambda f: {"text": "X", "expected_version": 1},
    ),
    (
        "journeys:editor_card_move",
        lambda f: [f["card"].pk],
        "post",
        lambda f: {"to_step": f["step"].pk, "position": 0, "expected_version": 1},
    ),
    ("journeys:editor_card_delete", lambda f: [f["card"].pk], "post", lambda f: {"expected_version": 1}),
    ("journeys:editor_trash", lambda f: [f["journey"].pk], "get", lambda f: {}),
]


def _call(client, spec, fixtures):
    name, args, method, data = spec
    url = reverse(name, args=args(fixtures))
    return getattr(client, method)(url, data(fixtures), headers=HX)


@pytest.mark.parametrize("spec", ENDPOINTS, ids=[f"{s[0].split(':')[1]}-{s[2]}" for s in ENDPOINTS])
def test_viewers_get_403_outsiders_404_and_nothing_changes(
    client, journey, stage, step, lane, card, viewer, outsider, spec
):
    fixtures = {"journey": journey, "stage": stage, "step": step, "lane": lane, "card": card}
    before = _state(journey)
    client.force_login(viewer)
    assert _call(client, spec, fixtures).status_code == 403
    client.force_login(outsider)
    assert _call(client, spec, fixtures).status_code == 404
    client.logout()
    response = _call(client, spec, fixtures)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    assert _state(journey) == before


@pytest.mark.parametrize("spec", ENDPOINTS, ids=[f"{s[0].split(':')[1]}-{s[2]}" for s in ENDPOINTS])
def test_every_endpoint_works_for_an_editor(client, journey, stage, step, lane, card, editor, spec):
    fixtures = {"journey": journey, "stage": stage, "step": step, "lane": lane, "card": card}
    before = _state(journey)
    client.force_login(editor)
    response = _call(client, spec, fixtures)
    assert response.status_code == 200, response.content[:400]
    changed = _state(journey) != before
    assert changed == (spec[2] == "post")  # every POST wrote, no GET did


def test_a_restricted_journey_is_404_to_an_editor_without_a_grant(client, restricted_journey, editor):
    card = _first(restricted_journey.cards.all())
    client.force_login(editor)
    response = client.post(
        reverse("journeys:editor_card_edit", args=[card.pk]), {"text": "x", "expected_version": 1}
    )
    assert response.status_code == 404
    assert Card.objects.get(pk=card.pk).text == card.text


def test_activity_feed_partial_for_everyone_who_sees_the_map(client, journey, viewer, outsider, editor, card):
    services.card_update(card_id=card.pk, by=editor, text="Fresh words")
    client.force_login(viewer)
    body = client.get(reverse("journeys:activity", args=[journey.pk])).content.decode()
    assert "edited a card: Fresh words" in body and "<html" not in body
    client.force_login(outsider)
    assert client.get(reverse("journeys:activity", args=[journey.pk])).status_code == 404


# ------------------------------------------------------------------------------------- stages, steps, lanes


def test_adding_a_stage_opens_its_title_for_typing(client, journey, editor):
    client.force_login(editor)
    response = client.post(reverse("journeys:editor_stage_add", args=[journey.pk]), headers=HX)
    stage = journey.stages.order_by("-position").first()
    assert stage.title == "New stage" and stage.steps.count() == 1
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="map-grid"')
    assert f'id="stage-form-{stage.pk}"' in body and "autofocus" in body
    journey.refresh_from_db()
    assert f'data-revision="{journey.revision}"' in body
    assert _events(response)["editor:saved"] == {"revision": journey.revision}


def test_a_stage_added_after_another_lands_there(client, journey, editor, stage):
    client.force_login(editor)
    client.post(
        reverse("journeys:editor_stage_add", args=[journey.pk]),
        {"title": "Research", "position": 1},
        headers=HX,
    )
    assert list(journey.stages.order_by("position").values_list("title", flat=True))[:2] == [
        stage.title,
        "Research",
    ]


def test_renaming_a_stage_and_mapping_it_to_a_standard_stage(client, journey, editor, stage):
    client.force_login(editor)
    form = client.get(reverse("journeys:editor_stage", args=[stage.pk]), headers=HX).content.decode()
    assert f'value="{stage.title}"' in form and 'name="standard_stage"' in form
    response = client.post(
        reverse("journeys:editor_stage", args=[stage.pk]),
        {
            "title": "Discover",
            "standard_stage": "awareness",
            "description": "",
            "expected_version": stage.version,
        },
        headers=HX,
    )
    assert response.status_code == 200 and ">Discover<" in response.content.decode()
    stage.refresh_from_db()
    assert (stage.title, stage.standard_stage) == ("Discover", "awareness")
    assert _events(response)["editor:focus"] == {"key": f"stage:{stage.pk}"}


def test_a_blank_stage_name_is_refused_in_the_form_and_changes_nothing(client, journey, editor, stage):
    before = _state(journey)
    client.force_login(editor)
    response = client.post(
        reverse("journeys:editor_stage", args=[stage.pk]),
        {"title": "  ", "expected_version": stage.version},
        headers=HX,
    )
    assert response.status_code == 422
    assert response["HX-Retarget"] == f"#stage-form-{stage.pk}" and response["HX-Reswap"] == "outerHTML"
    assert "This field cannot be blank." in response.content.decode()
    assert _state(journey) == before


def test_a_stage_rename_conflict_shows_both_names_and_mine_can_be_reapplied(
    client, journey, editor, admin, stage
):
    client.force_login(editor)
    stale = stage.version
    services.stage_update(stage_id=stage.pk, by=admin, title="Their name")
    response = client.post(
        reverse("journeys:editor_stage", args=[stage.pk]),
        {"title": "My name", "expected_version": stale},
        headers=HX,
    )
    body = response.content.decode()
    assert response.status_code == 409 and response["HX-Retarget"] == f"#stage-form-{stage.pk}"
    assert "Alice Admin" in body and "changed the name of this stage" in body
    assert "Their name" in body and 'value="My name"' in body
    version = re.search(r'name="expected_version" value="(\d+)"', body).group(1)
    assert int(version) == stale + 1
    response = client.post(
        reverse("journeys:editor_stage", args=[stage.pk]),
        {"title": "My name", "expected_version": version},
        headers=HX,
    )
    assert response.status_code == 200
    assert Stage.objects.get(pk=stage.pk).title == "My name"


def test_moving_stages_steps_and_lanes(client, journey, editor):
    client.force_login(editor)
    first, second = journey.stages.order_by("position")[:2]
    response = client.post(
        reverse("journeys:editor_stage_move", args=[first.pk]),
        {"position": 1, "expected_version": 1},
        headers=HX,
    )
    assert response.status_code == 200
    assert list(journey.stages.order_by("position")) == [second, first]

    step = first.steps.order_by("position").first()
    response = client.post(
        reverse("journeys:editor_step_move", args=[step.pk]),
        {"to_stage": second.pk, "position": 0, "expected_version": step.version},
        headers=HX,
    )
    assert response.status_code == 200 and _events(response)["editor:focus"] == {"key": f"step:{step.pk}"}
    assert list(second.steps.order_by("position"))[0] == step

    top, *_rest, bottom = journey.lanes.order_by("position")
    client.post(
        reverse("journeys:editor_lane_move", args=[top.pk]),
        {"position": 99, "expected_version": 1},
        headers=HX,
    )
    assert journey.lanes.order_by("position").last() == top


@pytest.mark.parametrize(
    "data",
    [{"position": -1, "expected_version": 1}, {"position": "left", "expected_version": 1}, {"position": 1}],
)
def test_a_move_with_bad_input_is_refused_naming_the_field(client, journey, editor, stage, data):
    before = _state(journey)
    client.force_login(editor)
    response = client.post(reverse("journeys:editor_stage_move", args=[stage.pk]), data, headers=HX)
    assert response.status_code == 422 and response["HX-Reswap"] == "none"
    notice = json.loads(response["HX-Trigger"])["editor:notice"]["text"]
    assert notice.startswith(("Position:", "Expected version:"))
    assert _state(journey) == before


def test_a_stale_move_refreshes_the_grid_and_says_so(client, journey, editor, admin, stage):
    services.stage_update(stage_id=stage.pk, by=admin, title="Renamed meanwhile")
    before = _state(journey)
    client.force_login(editor)
    response = client.post(
        reverse("journeys:editor_stage_move", args=[stage.pk]),
        {"position": 1, "expected_version": 1},
        headers=HX,
    )
    assert response.status_code == 409 and "Renamed meanwhile" in response.content.decode()
    assert "meanwhile" in json.loads(response["HX-Trigger"])["editor:notice"]["text"]
    assert _state(journey) == before


def test_adding_renaming_and_deleting_a_step(client, journey, editor, stage):
    client.force_login(editor)
    response = client.post(reverse("journeys:editor_step_add", args=[stage.pk]), {"position": 0}, headers=HX)
    step = stage.steps.order_by("position").first()
    assert step.title == "New step" and f'id="step-form-{step.pk}"' in response.content.decode()
    client.post(
        reverse("journeys:editor_step", args=[step.pk]),
        {"title": "Compares plans", "description": "On the pricing page", "expected_version": step.version},
        headers=HX,
    )
    step.refresh_from_db()
    assert (step.title, step.description) == ("Compares plans", "On the pricing page")
    response = client.post(
        reverse("journeys:editor_step_delete", args=[step.pk]), {"expected_version": 2}, headers=HX
    )
    assert response.status_code == 200 and not Step.objects.filter(pk=step.pk).exists()
    assert _events(response, "HX-Trigger-After-Swap")["editor:deleted"]["kind"] == "step"


def test_adding_a_lane_and_changing_its_kind_from_the_menu(client, journey, editor, lane):
    client.force_login(editor)
    response = client.post(reverse("journeys:editor_lane_add", args=[journey.pk]), headers=HX)
    new = journey.lanes.order_by("position").last()
    assert (new.title, new.kind) == ("New lane", LaneKind.TEXT)
    assert f'id="lane-form-{new.pk}"' in response.content.decode()
    response = client.post(
        reverse("journeys:editor_lane", args=[lane.pk]),
        {"kind": "emotions", "expected_version": 1},
        headers=MENU,
    )
    assert response.status_code == 200 and Lane.objects.get(pk=lane.pk).kind == LaneKind.EMOTIONS
    assert f'class="map__curve" data-lane-id="{lane.pk}"' in response.content.decode()  # now drawn as a curve


def test_an_unknown_lane_kind_is_refused(client, journey, editor, lane):
    before = _state(journey)
    client.force_login(editor)
    response = client.post(
        reverse("journeys:editor_lane", args=[lane.pk]),
        {"title": "Ok", "kind": "feelings", "expected_version": 1},
        headers=HX,
    )
    assert response.status_code == 422 and "Select a valid choice" in response.content.decode()
    response = client.post(
        reverse("journeys:editor_lane", args=[lane.pk]),
        {"kind": "feelings", "expected_version": 1},
        headers=MENU,
    )
    assert response.status_code == 422 and json.loads(response["HX-Trigger"])["editor:notice"][
        "text"
    ].startswith("Kind:")
    assert _state(journey) == before


def test_a_stale_kind_change_from_the_menu_answers_with_the_fresh_grid(client, journey, editor, admin, lane):
    services.lane_update(lane_id=lane.pk, by=admin, title="Renamed lane")
    client.force_login(editor)
    response = client.post(
        reverse("journeys:editor_lane", args=[lane.pk]),
        {"kind": "metrics", "expected_version": 1},
        headers=MENU,
    )
    assert response.status_code == 409 and "Renamed lane" in response.content.decode()
    assert Lane.objects.get(pk=lane.pk).kind == lane.kind


def test_deleting_a_lane_offers_undo_through_the_trash(client, journey, editor, lane):
    cards = lane.cards.count()
    client.force_login(editor)
    response = client.post(
        reverse("journeys:editor_lane_delete", args=[lane.pk]), {"expected_version": 1}, headers=HX
    )
    deleted = _events(response, "HX-Trigger-After-Swap")["editor:deleted"]
    item = TrashedItem.objects.get(pk=deleted["id"])
    assert deleted["url"] == reverse("journeys:trash_restore", args=[journey.pk, item.pk])
    assert (deleted["kind"], deleted["label"], deleted["title"]) == ("lane", "Lane", lane.title)
    assert f'data-lane-id="{lane.pk}"' not in response.content.decode()

    response = client.post(deleted["url"], headers=HX)
    assert response.status_code == 204
    assert Lane.objects.get(pk=lane.pk).cards.count() == cards


def test_recently_deleted_lists_what_can_be_put_back(
    client, journey, editor, card, django_assert_num_queries
):
    services.card_delete(card_id=card.pk, by=editor)
    client.force_login(editor)
    client.get(reverse("journeys:map", args=[journey.pk]))  # session and user are cached from here on
    # session · user · journey with role and grants · trashed items with their deleters and card counts ·
    # memberships (the workspace context processor)
    with django_assert_num_queries(5):
        body = client.get(reverse("journeys:editor_trash", args=[journey.pk]), headers=HX).content.decode()
    assert "Card" in body and "Bob" in body
    item = TrashedItem.objects.get(journey=journey)
    assert f'data-undo-url="{reverse("journeys:trash_restore", args=[journey.pk, item.pk])}"' in body


# ---------------------------------------------------------------------------------------------- cards


def test_a_new_card_form_and_adding_a_card(client, journey, editor, lane, step):
    client.force_login(editor)
    form = client.get(
        reverse("journeys:editor_card_new", args=[journey.pk]), {"lane": lane.pk, "step": step.pk}, headers=HX
    ).content.decode()
    assert 'id="card-new-form"' in form and f'name="lane" value="{lane.pk}"' in form
    response = client.post(
        reverse("journeys:editor_card_add", args=[journey.pk]),
        {"lane": lane.pk, "step": step.pk, "text": "Needs SSO <b>now</b>", "note": "Interview 4"},
        headers=HX,
    )
    card = Card.objects.get(text="Needs SSO <b>now</b>")
    assert (card.lane, card.step, card.note, card.created_by) == (lane, step, "Interview 4", editor)
    body = response.content.decode()
    assert "Needs SSO &lt;b&gt;now&lt;/b&gt;" in body and "<b>now</b>" not in body
    assert _events(response)["editor:focus"] == {"key": f"card:{card.pk}"}


def test_a_card_in_a_cell_of_another_journey_cannot_be_opened_or_added(
    client, journey, workspace, admin, editor, step
):
    other = factories.make_map(factories.make_journey(workspace, by=admin, title="Other"), cards=2)
    foreign = other.lanes.order_by("pk").first()
    client.force_login(editor)
    assert (
        client.get(
            reverse("journeys:editor_card_new", args=[journey.pk]), {"lane": foreign.pk, "step": step.pk}
        ).status_code
        == 404
    )
    before, other_before = _state(journey), _state(other)
    response = client.post(
        reverse("journeys:editor_card_add", args=[journey.pk]),
        {"lane": foreign.pk, "step": step.pk, "text": "x"},
        headers=HX,
    )
    assert response.status_code == 422
    assert (_state(journey), _state(other)) == (before, other_before)


def test_an_empty_card_is_refused_in_its_form(client, journey, editor, lane, step):
    before = _state(journey)
    client.force_login(editor)
    response = client.post(
        reverse("journeys:editor_card_add", args=[journey.pk]),
        {"lane": lane.pk, "step": step.pk, "text": "   "},
        headers=HX,
    )
    assert response.status_code == 422 and response["HX-Retarget"] == "#card-new-form"
    assert "A card needs some text." in response.content.decode()
    assert _state(journey) == before


def test_editing_a_card_in_place(client, journey, editor, card):
    client.force_login(editor)
    form = client.get(reverse("journeys:editor_card_edit", args=[card.pk]), headers=HX).content.decode()
    assert f'<form class="card card--{card.lane.kind} card-edit" id="card-{card.pk}"' in form
    assert "&lt;b&gt;bold?&lt;/b&gt;</textarea>" in form  # the factory's text, escaped
    response = client.post(
        reverse("journeys:editor_card_edit", args=[card.pk]),
        {"text": "Rewritten", "expected_version": 1},
        headers=HX,
    )
    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith(
        f'<article class="card card--{card.lane.kind}"'
    )
    assert ">Rewritten<" in body and 'data-version="2"' in body
    card.refresh_from_db()
    assert (card.text, card.version) == ("Rewritten", 2)
    journey.refresh_from_db()
    assert _events(response)["editor:saved"] == {"revision": journey.revision}


def test_a_touchpoint_card_edits_its_channel(client, journey, editor):
    card = _first(journey.cards.filter(lane__kind=LaneKind.TOUCHPOINTS))
    client.force_login(editor)
    form = client.get(reverse("journeys:editor_card_edit", args=[card.pk]), headers=HX).content.decode()
    assert 'name="channel" value="Email"' in form
    response = client.post(
        reverse("journeys:editor_card_edit", args=[card.pk]),
        {"channel": "Chat", "expected_version": 1},
        headers=HX,
    )
    assert '<span class="chip-channel" dir="auto">Chat</span>' in response.content.decode()
    assert Card.objects.get(pk=card.pk).channel == "Chat"


def _curve_path(html, lane_id):
    """The `d` of an emotion lane's curve line in a page or an answer."""
    block = html[html.index(f'class="map__curve" data-lane-id="{lane_id}"') :]
    return re.search(r'class="curve__line" d="([^"]+)"', block).group(1)


def test_a_new_emotion_score_redraws_the_curve(client, journey, editor, emotion_card):
    client.force_login(editor)
    page = client.get(reverse("journeys:map", args=[journey.pk])).content.decode()
    before = _curve_path(page, emotion_card.lane_id)
    new_score = 3 if emotion_card.emotion_score != 3 else -3
    response = client.post(
        reverse("journeys:editor_card_edit", args=[emotion_card.pk]),
        {"emotion_score": str(new_score), "expected_version": emotion_card.version},
        headers=HX,
    )
    body = response.content.decode()
    assert f"hx-swap-oob=\"outerHTML:.map__curve[data-lane-id='{emotion_card.lane_id}']\"" in body
    assert _curve_path(body, emotion_card.lane_id) != before
    assert Card.objects.get(pk=emotion_card.pk).emotion_score == new_score
    assert Card.objects.get(pk=emotion_card.pk).text == emotion_card.text  # only the score was sent


def test_an_emotion_score_out_of_range_is_refused(client, journey, editor, emotion_card):
    before = _state(journey)
    client.force_login(editor)
    response = client.post(
        reverse("journeys:editor_card_edit", args=[emotion_card.pk]),
        {"emotion_score": "9", "expected_version": 1},
        headers=HX,
    )
    assert response.status_code == 422 and "Pick a score from -3 to +3." in response.content.decode()
    assert _state(journey) == before


def test_a_card_conflict_shows_their_text_and_mine_and_mine_can_be_reapplied(
    client, journey, editor, admin, card
):
    client.force_login(editor)
    services.card_update(card_id=card.pk, by=admin, text="Their <i>text</i>")
    response = client.post(
        reverse("journeys:editor_card_edit", args=[card.pk]),
        {"text": "My text", "expected_version": 1},
        headers=HX,
    )
    body = response.content.decode()
    assert response.status_code == 409
    assert response["HX-Retarget"] == f"#card-{card.pk}" and response["HX-Reswap"] == "outerHTML"
    changed = '<strong dir="auto">Alice Admin</strong> changed the text of this card while you were editing'
    assert changed in body
    assert "Their &lt;i&gt;text&lt;/i&gt;" in body and ">My text</textarea>" in body
    assert "Use my text" in body and "Keep theirs" in body
    version = re.search(r'name="expected_version" value="(\d+)"', body).group(1)
    response = client.post(
        reverse("journeys:editor_card_edit", args=[card.pk]),
        {"text": "My text", "expected_version": version},
        headers=HX,
    )
    assert response.status_code == 200
    assert Card.objects.get(pk=card.pk).text == "My text"


def test_editing_different_cards_at_once_never_conflicts(client, journey, editor, admin, card):
    other = _first(journey.cards.exclude(pk=card.pk))
    services.card_update(card_id=other.pk, by=admin, text="Someone else's card")
    client.force_login(editor)
    response = client.post(
        reverse("journeys:editor_card_edit", args=[card.pk]),
        {"text": "Mine", "expected_version": 1},
        headers=HX,
    )
    assert response.status_code == 200
    # Their change bumped the revision too: the page learns it should fetch the whole grid.
    journey.refresh_from_db()
    assert _events(response)["editor:saved"]["revision"] == journey.revision


def test_saving_a_card_someone_deleted_offers_to_add_it_back(client, journey, editor, admin, card):
    client.force_login(editor)
    services.card_delete(card_id=card.pk, by=admin)
    response = client.post(
        reverse("journeys:editor_card_edit", args=[card.pk]),
        {"text": "Still true", "expected_version": 1},
        headers=HX,
    )
    body = response.content.decode()
    assert response.status_code == 409 and response["HX-Retarget"] == f"#card-{card.pk}"
    assert '<strong dir="auto">Alice Admin</strong> deleted this card while you were editing.' in body
    assert reverse("journeys:editor_card_add", args=[journey.pk]) in body and ">Still true</textarea>" in body
    lane, step = (
        re.search(r'name="lane" value="(\d+)"', body).group(1),
        re.search(r'name="step" value="(\d+)"', body),
    )
    response = client.post(
        reverse("journeys:editor_card_add", args=[journey.pk]),
        {"lane": lane, "step": step.group(1), "text": "Still true"},
        headers=HX,
    )
    assert response.status_code == 200
    assert Card.objects.filter(
        journey=journey, lane_id=card.lane_id, step_id=card.step_id, text="Still true"
    ).exists()


def test_a_deleted_card_is_no_way_in_for_viewers_and_outsiders(
    client, journey, admin, viewer, outsider, card
):
    services.card_delete(card_id=card.pk, by=admin)
    url = reverse("journeys:editor_card_edit", args=[card.pk])
    client.force_login(viewer)
    assert client.post(url, {"text": "x", "expected_version": 1}).status_code == 403
    client.force_login(outsider)
    assert client.post(url, {"text": "x", "expected_version": 1}).status_code == 404
    assert not Card.objects.filter(pk=card.pk).exists()


def test_moving_a_card_to_another_cell(client, journey, editor, card):
    target_lane = journey.lanes.exclude(pk=card.lane_id).order_by("position").first()
    target_step = journey.steps.exclude(pk=card.step_id).order_by("pk").first()
    client.force_login(editor)
    response = client.post(
        reverse("journeys:editor_card_move", args=[card.pk]),
        {"to_lane": target_lane.pk, "to_step": target_step.pk, "position": 0, "expected_version": 1},
        headers=HX,
    )
    assert response.status_code == 200
    card.refresh_from_db()
    assert (card.lane, card.step, card.position) == (target_lane, target_step, 0)
    assert _events(response)["editor:focus"] == {"key": f"card:{card.pk}"}


def test_moving_a_card_to_a_lane_of_another_journey_is_refused(
    client, journey, workspace, admin, editor, card
):
    other = factories.make_map(factories.make_journey(workspace, by=admin, title="Other"), cards=1)
    before = _state(journey)
    client.force_login(editor)
    response = client.post(
        reverse("journeys:editor_card_move", args=[card.pk]),
        {"to_lane": other.lanes.first().pk, "position": 0, "expected_version": 1},
        headers=HX,
    )
    assert response.status_code == 422
    assert json.loads(response["HX-Trigger"])["editor:notice"]["text"].startswith("To lane: No lane")
    assert _state(journey) == before


def test_deleting_a_card_and_a_stale_delete(client, journey, editor, admin, card):
    other = _first(journey.cards.exclude(pk=card.pk))
    services.card_update(card_id=other.pk, by=admin, text="Changed meanwhile")
    client.force_login(editor)
    before = _state(journey)
    response = client.post(
        reverse("journeys:editor_card_delete", args=[other.pk]), {"expected_version": 1}, headers=HX
    )
    assert response.status_code == 409 and _state(journey) == before
    response = client.post(
        reverse("journeys:editor_card_delete", args=[card.pk]), {"expected_version": 1}, headers=HX
    )
    assert response.status_code == 200 and not Card.objects.filter(pk=card.pk).exists()
    assert _events(response, "HX-Trigger-After-Swap")["editor:deleted"]["label"] == "Card"


def test_the_card_partial_for_viewers_has_no_edit_tools(client, journey, viewer, editor, card):
    client.force_login(viewer)
    body = client.get(reverse("journeys:editor_card", args=[card.pk])).content.decode()
    assert (
        f'id="card-{card.pk}"' in body and 'data-card-action="delete"' not in body and "draggable" not in body
    )
    client.force_login(editor)
    body = client.get(reverse("journeys:editor_card", args=[card.pk])).content.decode()
    assert 'draggable="true"' in body  # its tools are the map's one toolbar (test above), not in each card
