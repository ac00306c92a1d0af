"""Editing conflicts merge per field: the forms carry the values they were loaded with (base_*), so a field
only one person changed goes through without asking, and only a field both changed asks. "Use my text"
then puts back only what this person changed. A refused score-picker save keeps the card's text. Deleting
says what went with the element."""

import json
import re

import pytest
from django.urls import reverse

from journeys import services
from journeys.models import Card, Lane, LaneKind, Stage, Step
from tests import factories

HX = {"HX-Request": "true"}


@pytest.fixture
def board(admin, editor, workspace):
    journey = factories.make_journey(workspace, by=admin, title="Signup")
    stage = services.stage_create(journey_id=journey.pk, by=admin, title="Sign up", description="First")
    step = stage.steps.get()
    lane = services.lane_create(journey_id=journey.pk, by=admin, title="Feels", kind=LaneKind.EMOTIONS)
    card = services.card_create(
        lane_id=lane.pk, step_id=step.pk, by=admin, text="Old words", note="A note", emotion_score=1
    )
    return {"journey": journey, "stage": stage, "step": step, "lane": lane, "card": card}


def _card_form(card, **fields):
    """What the card form posts: every field, and the values it was loaded with."""
    data = {"expected_version": card.version}
    for name in ("text", "note", "emotion_score", "channel"):
        value = getattr(card, name)
        data[name] = "" if value is None else value
        data[f"base_{name}"] = "" if value is None else value
    data.update(fields)
    return data


def _post(client, name, pk, data):
    return client.post(reverse(name, args=[pk]), data, headers=HX)


def test_a_score_change_keeps_words_someone_changed_meanwhile(client, admin, editor, board):
    """B loaded the card, A rewords it, B changes only the score: both changes stay, no question."""
    card = board["card"]
    stale = Card.objects.get(pk=card.pk)
    services.card_update(card_id=card.pk, by=admin, text="Clear new words")
    client.force_login(editor)
    response = _post(client, "journeys:editor_card_edit", card.pk, _card_form(stale, emotion_score="-2"))
    assert response.status_code == 200
    card = Card.objects.get(pk=card.pk)
    assert (card.text, card.emotion_score, card.note) == ("Clear new words", -2, "A note")
    assert 'class="card__text" dir="auto">Clear new words<' in response.content.decode()


def test_the_score_picker_merges_too(client, admin, editor, board):
    card = board["card"]
    services.card_update(card_id=card.pk, by=admin, text="Clear new words")
    client.force_login(editor)
    response = _post(
        client,
        "journeys:editor_card_edit",
        card.pk,
        {"expected_version": 1, "emotion_score": "3", "base_emotion_score": "1"},
    )
    assert response.status_code == 200
    card = Card.objects.get(pk=card.pk)
    assert (card.text, card.emotion_score) == ("Clear new words", 3)


def test_only_a_field_both_changed_asks_and_use_mine_keeps_their_other_changes(client, admin, editor, board):
    card = board["card"]
    stale = Card.objects.get(pk=card.pk)
    services.card_update(card_id=card.pk, by=admin, text="Their words", note="Their note")
    client.force_login(editor)
    response = _post(
        client, "journeys:editor_card_edit", card.pk, _card_form(stale, text="My words", emotion_score="2")
    )
    body = response.content.decode()
    assert response.status_code == 409
    assert Card.objects.get(pk=card.pk).text == "Their words"  # nothing written yet
    # The form now shows my words (the field both changed), their note (only they changed it) and my score
    # (only I changed it); its base is their version, so saving again changes only what I changed.
    assert re.search(r'name="text"[^>]*>My words</textarea>', body)
    assert re.search(r'name="note"[^>]*>Their note</textarea>', body)
    assert 'name="base_text" value="Their words"' in body and 'name="base_note" value="Their note"' in body
    assert re.search(r'value="2"\s+checked', body)
    assert "changed the text" in body and "changed the note" not in body
    data = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', body))
    data.update(text="My words", note="Their note", emotion_score="2", channel="")
    response = _post(client, "journeys:editor_card_edit", card.pk, data)  # "Use my text"
    assert response.status_code == 200
    card = Card.objects.get(pk=card.pk)
    assert (card.text, card.note, card.emotion_score) == ("My words", "Their note", 2)


def test_a_refused_score_picker_save_keeps_the_card_text(client, admin, editor, board):
    """409 (both changed the score) and 422 (a score out of range): the card form shows the card's text."""
    card = board["card"]
    services.card_update(card_id=card.pk, by=admin, emotion_score=-3, text="Their words")
    client.force_login(editor)
    picker = {"expected_version": 1, "emotion_score": "2", "base_emotion_score": "1"}
    response = _post(client, "journeys:editor_card_edit", card.pk, picker)
    body = response.content.decode()
    assert response.status_code == 409
    assert re.search(r'name="text"[^>]*>Their words</textarea>', body)
    assert "changed the emotion score" in body
    response = _post(
        client, "journeys:editor_card_edit", card.pk, {"expected_version": 3, "emotion_score": "9"}
    )
    body = response.content.decode()
    assert response.status_code == 422
    assert re.search(r'name="text"[^>]*>Their words</textarea>', body)
    assert "Pick a score from −3 to +3." in body or "Pick a score from -3 to +3." in body
    assert Card.objects.get(pk=card.pk).emotion_score == -3


@pytest.mark.parametrize("kind", ["stage", "step"])
def test_a_rename_keeps_a_description_someone_changed_meanwhile(client, admin, editor, board, kind):
    element = board[kind]
    model = Stage if kind == "stage" else Step
    update = services.stage_update if kind == "stage" else services.step_update
    stale = model.objects.get(pk=element.pk)
    update(**{f"{kind}_id": element.pk}, by=admin, description="Their description")
    client.force_login(editor)
    data = {
        "expected_version": stale.version,
        "title": "My name",
        "description": stale.description,
        "base_title": stale.title,
        "base_description": stale.description,
    }
    if kind == "stage":
        data.update(standard_stage="", base_standard_stage="")
    response = _post(client, f"journeys:editor_{kind}", element.pk, data)
    assert response.status_code == 200
    element = model.objects.get(pk=element.pk)
    assert (element.title, element.description) == ("My name", "Their description")
    # Both renamed: that asks, showing their name.
    update(**{f"{kind}_id": element.pk}, by=admin, title="Their name")
    data.update(expected_version=element.version, title="Another name of mine", base_title="My name",
                base_description="Their description", description="Their description")  # fmt: skip
    response = _post(client, f"journeys:editor_{kind}", element.pk, data)
    assert response.status_code == 409
    assert "Their name" in response.content.decode()
    assert model.objects.get(pk=element.pk).title == "Their name"


def test_a_lane_rename_keeps_a_kind_someone_changed_meanwhile(client, admin, editor, board):
    lane = board["lane"]
    stale = Lane.objects.get(pk=lane.pk)
    services.lane_update(lane_id=lane.pk, by=admin, kind=LaneKind.THOUGHTS)
    client.force_login(editor)
    data = {"expected_version": stale.version, "title": "Feelings", "kind": stale.kind,
            "base_title": stale.title, "base_kind": stale.kind}  # fmt: skip
    response = _post(client, "journeys:editor_lane", lane.pk, data)
    assert response.status_code == 200
    lane = Lane.objects.get(pk=lane.pk)
    assert (lane.title, lane.kind) == ("Feelings", LaneKind.THOUGHTS)


def test_edit_forms_carry_the_values_they_were_loaded_with(client, editor, board):
    client.force_login(editor)
    body = client.get(reverse("journeys:editor_card_edit", args=[board["card"].pk])).content.decode()
    for name, value in (("text", "Old words"), ("note", "A note"), ("emotion_score", "1"), ("channel", "")):
        assert f'name="base_{name}" value="{value}"' in body
    body = client.get(reverse("journeys:editor_stage", args=[board["stage"].pk])).content.decode()
    assert 'name="base_title" value="Sign up"' in body and 'name="base_description" value="First"' in body
    body = client.get(reverse("journeys:map", args=[board["journey"].pk])).content.decode()
    # the score picker: the card's score, which static/js/editor.js copies into the page's one picker panel
    # (<template id="score-picker">) as its base_emotion_score when it opens
    assert 'data-score="1"' in body and '<template id="score-picker">' in body
    assert 'name="base_emotion_score" value=""' in body


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("lane", {"cards": 3, "steps": 0}),
        ("step", {"cards": 3, "steps": 0}),
        ("stage", {"cards": 3, "steps": 2}),
    ],
)
def test_deleting_says_what_went_with_it(client, admin, editor, board, kind, expected):
    stage = board["stage"]
    services.step_create(stage_id=stage.pk, by=admin, title="Second")
    for text in ("Two", "Three"):
        services.card_create(lane_id=board["lane"].pk, step_id=board["step"].pk, by=admin, text=text)
    element = {"lane": board["lane"], "step": board["step"], "stage": stage}[kind]
    element.refresh_from_db()
    client.force_login(editor)
    response = _post(
        client, f"journeys:editor_{kind}_delete", element.pk, {"expected_version": element.version}
    )
    assert response.status_code == 200
    event = json.loads(response["HX-Trigger-After-Swap"])["editor:deleted"]
    assert {"cards": event["cards"], "steps": event["steps"]} == expected
    assert event["label"] == kind.capitalize() and event["title"] == element.title


def _settings_post(client, journey, **changes):
    """The settings form as loaded (with its base_* values), with some fields changed."""
    html = client.get(reverse("journeys:settings", args=[journey.pk])).content.decode()
    data = dict(re.findall(r'<input type="hidden" name="(base_\w+|expected_version)" value="([^"]*)"', html))
    data.update({name[5:]: value for name, value in data.items() if name.startswith("base_")})
    data.update(changes)
    return data


def test_journey_settings_merge_per_field(client, admin, editor, board):
    journey = board["journey"]
    client.force_login(editor)
    stale = _settings_post(client, journey, description="My description")
    assert stale["base_title"] == "Signup" and stale["title"] == "Signup"
    services.journey_update(journey_id=journey.pk, by=admin, title="Their title")
    response = client.post(reverse("journeys:settings", args=[journey.pk]), stale)
    assert response.status_code == 302
    journey.refresh_from_db()
    assert (journey.title, journey.description) == ("Their title", "My description")
    # Both change the title: the page asks, naming the field, and keeps their description.
    stale = _settings_post(client, journey, title="My title")
    services.journey_update(
        journey_id=journey.pk, by=admin, title="Their second title", persona="Their persona"
    )
    response = client.post(reverse("journeys:settings", args=[journey.pk]), stale)
    body = response.content.decode()
    assert response.status_code == 200 and "you both changed\n  the title." in body
    assert 'value="My title"' in body and 'value="Their persona"' in body
    journey.refresh_from_db()
    assert journey.title == "Their second title"
    response = client.post(reverse("journeys:settings", args=[journey.pk]), _form_fields(body))
    assert response.status_code == 302
    journey.refresh_from_db()
    assert (journey.title, journey.persona, journey.description) == (
        "My title",
        "Their persona",
        "My description",
    )


def _form_fields(html: str) -> dict:
    """The values a settings page would post as it is shown (inputs, text areas, checked radios, selects)."""
    data = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    for name, value in re.findall(r'<input type="text" name="(\w+)" value="([^"]*)"', html):
        data[name] = value
    for name, value in re.findall(r'<textarea name="(\w+)"[^>]*>\s*([^<]*)</textarea>', html):
        data[name] = value.strip()
    for name, value in re.findall(r'<input type="radio" name="(\w+)" value="([^"]*)"[^>]*checked', html):
        data[name] = value
    for name, body in re.findall(r'<select name="(\w+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', body)
        data[name] = chosen.group(1) if chosen else ""
    return data
