"""The API of a map's history and discussion: versions, diff, restore, trash, comments."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from journeys import services
from journeys.models import Card, Comment, MapVersion
from journeys.services import comments, versioning
from tests import factories
from tests.checks import assert_refused


@pytest.fixture
def api():
    client = APIClient()
    client.default_format = "json"
    return client


def url(name, *args, **query):
    path = reverse(f"journeys-api:{name}", args=args)
    if query:
        path += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return path


def some_card(journey):
    return journey.cards.exclude(lane__kind="emotions").order_by("pk").first()


# ---------------------------------------------------------------------------------------------- versions


def test_versions_list_newest_first_with_counts(api, viewer, admin, journey):
    older = versioning.version_save(journey_id=journey.pk, by=admin, label="Kick-off")
    services.card_delete(card_id=some_card(journey).pk, by=admin)
    newer = versioning.version_save(journey_id=journey.pk, by=admin, label="After clean-up")
    api.force_login(viewer)
    response = api.get(url("journey-versions", journey.pk))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    first, second = body["results"]
    assert [first["id"], second["id"]] == [newer.pk, older.pk]
    assert first == {
        "id": newer.pk, "journey": journey.pk, "kind": "named", "label": "After clean-up",
        "name": "After clean-up", "revision": newer.revision,
        "created_by": {"id": admin.pk, "username": "alice", "name": "Alice Admin"},
        "created_at": first["created_at"], "stage_count": 2, "step_count": 4, "lane_count": 3,
        "card_count": 9,
    }  # fmt: skip
    assert second["card_count"] == 10
    assert "snapshot" not in first


def test_versions_list_query_count_does_not_grow(api, admin, workspace, journey, django_assert_num_queries):
    big = factories.make_map(
        factories.make_journey(workspace, by=admin), stages=6, steps_per_stage=5, cards=500
    )
    api.force_login(admin)
    for j in (journey, big):
        for n in range(3):
            versioning.version_save(journey_id=j.pk, by=admin, label=f"V{n}")
        # session, user, journey with membership role, count, versions with authors and element counts
        with django_assert_num_queries(5):
            response = api.get(url("journey-versions", j.pk))
        assert response.json()["count"] == 3


def test_editor_saves_a_named_version(api, editor, journey):
    api.force_login(editor)
    response = api.post(url("journey-versions", journey.pk), {"label": "Workshop outcome"})
    assert response.status_code == 201
    body = response.json()
    version = MapVersion.objects.get()
    assert body["id"] == version.pk and body["label"] == "Workshop outcome" and body["card_count"] == 10
    assert body["created_by"]["id"] == editor.pk


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "This field is required."),
        ({"label": "  "}, "Write something visible: spaces and invisible characters alone do not count."),
        ({"label": "x" * 201}, "At most 200 characters (you have 201)."),
    ],
)
def test_a_bad_label_is_refused_naming_the_field(api, editor, journey, data, message):
    api.force_login(editor)
    response = api.post(url("journey-versions", journey.pk), data)
    assert_refused(response, 400, {"label": [message]})
    assert not MapVersion.objects.exists()


def test_viewer_cannot_save_or_restore_and_outsider_sees_nothing(api, viewer, outsider, admin, journey):
    version = versioning.version_save(journey_id=journey.pk, by=admin, label="Baseline")
    api.force_login(viewer)
    assert api.post(url("journey-versions", journey.pk), {"label": "Mine"}).status_code == 403
    assert api.post(url("version-restore", version.pk)).status_code == 403
    api.force_login(outsider)
    assert api.get(url("journey-versions", journey.pk)).status_code == 404
    assert api.get(url("version-detail", version.pk)).status_code == 404
    assert api.post(url("version-restore", version.pk)).status_code == 404
    assert MapVersion.objects.count() == 1


def test_version_detail_has_the_snapshot(api, viewer, admin, journey):
    version = versioning.version_save(journey_id=journey.pk, by=admin, label="Baseline")
    api.force_login(viewer)
    body = api.get(url("version-detail", version.pk)).json()
    assert body["snapshot"] == version.snapshot
    assert body["card_count"] == 10 and body["kind"] == "named"


def test_diff_between_a_version_and_now_and_between_two_versions(api, viewer, admin, journey):
    card = some_card(journey)
    v1 = versioning.version_save(journey_id=journey.pk, by=admin, label="One")
    services.card_update(card_id=card.pk, by=admin, text="Rewritten")
    v2 = versioning.version_save(journey_id=journey.pk, by=admin, label="Two")
    lane = services.lane_create(journey_id=journey.pk, by=admin, title="Systems", kind="systems")
    api.force_login(viewer)

    body = api.get(url("journey-versions-diff", journey.pk, **{"from": v1.pk, "to": v2.pk})).json()
    assert body["from"]["id"] == v1.pk and body["to"]["id"] == v2.pk
    assert body["counts"] == {"added": 0, "removed": 0, "changed": 1, "moved": 0}
    assert body["cards"]["changed"] == [
        {
            "id": card.pk, "status": "changed", "before": body["cards"]["changed"][0]["before"],
            "after": body["cards"]["changed"][0]["after"],
            "fields": [{"field": "text", "before": card.text, "after": "Rewritten"}], "moved": False,
        }
    ]  # fmt: skip
    assert body["cards"]["changed"][0]["after"]["text"] == "Rewritten"

    body = api.get(url("journey-versions-diff", journey.pk, **{"from": v2.pk})).json()  # to defaults to now
    assert body["to"] is None and not body["is_empty"]
    assert [e["id"] for e in body["lanes"]["added"]] == [lane.pk]
    assert body["cards"] == {"added": [], "removed": [], "changed": [], "moved": []}


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({}, {"from": ["Give the id of a version of this journey."]}),
        ({"from": "abc"}, {"from": ["Give the id of a version of this journey."]}),
        ({"from": "999999"}, {"from": ["No version 999999 of this journey."]}),
        ({"from": "V", "to": "x"}, {"from": ["Give the id of a version of this journey."]}),
    ],
)
def test_diff_with_bad_ends_is_a_400_naming_them(api, viewer, admin, journey, query, errors):
    versioning.version_save(journey_id=journey.pk, by=admin, label="One")
    api.force_login(viewer)
    response = api.get(url("journey-versions-diff", journey.pk, **query))
    assert_refused(response, 400, errors)


def test_diff_refuses_a_version_of_another_journey(api, admin, journey, restricted_journey):
    mine = versioning.version_save(journey_id=journey.pk, by=admin, label="Mine")
    other = versioning.version_save(journey_id=restricted_journey.pk, by=admin, label="Other")
    api.force_login(admin)
    response = api.get(url("journey-versions-diff", journey.pk, **{"from": mine.pk, "to": other.pk}))
    # Another journey's version is "no version of this journey", like an id that does not exist.
    assert_refused(response, 400, {"to": [f"No version {other.pk} of this journey."]})
    response = api.get(url("journey-versions-diff", journey.pk, **{"from": "1", "to": "later"}))
    assert_refused(response, 400, {"to": ["Give the id of a version of this journey, or `now`."]})


def test_diff_query_count_does_not_grow(api, admin, workspace, journey, django_assert_num_queries):
    big = factories.make_map(
        factories.make_journey(workspace, by=admin), stages=6, steps_per_stage=5, cards=500
    )
    api.force_login(admin)
    for j in (journey, big):
        version = versioning.version_save(journey_id=j.pk, by=admin, label="Before")
        Card.objects.filter(journey=j).update(text="Changed everywhere")
        # session, user, journey with membership role, the version, stages, steps, lanes, cards (the map now)
        with django_assert_num_queries(8):
            response = api.get(url("journey-versions-diff", j.pk, **{"from": version.pk}))
        assert response.json()["counts"]["changed"] == Card.objects.filter(journey=j).count()


def test_restore_answers_both_versions_and_the_new_revision(api, editor, admin, journey):
    version = versioning.version_save(journey_id=journey.pk, by=admin, label="Baseline")
    card = some_card(journey)
    services.card_delete(card_id=card.pk, by=admin)
    api.force_login(editor)
    response = api.post(url("version-restore", version.pk))
    assert response.status_code == 200
    body = response.json()
    journey.refresh_from_db()
    assert body["restored"]["id"] == version.pk and body["revision"] == journey.revision
    assert body["before_restore"]["kind"] == "before_restore" and body["before_restore"]["card_count"] == 9
    assert Card.objects.filter(pk=card.pk).exists()
    assert versioning.version_diff(version.snapshot, versioning.version_snapshot(journey)).is_empty


# ---------------------------------------------------------------------------------------------- trash


def test_trash_list_and_undo(api, editor, admin, journey):
    card = some_card(journey)
    item = services.card_delete(card_id=card.pk, by=admin)
    api.force_login(editor)
    listed = api.get(url("journey-trash", journey.pk)).json()
    assert listed == [
        {
            "id": item.pk, "journey": journey.pk, "kind": "card", "title": card.text, "card_count": 1,
            "deleted_by": {"id": admin.pk, "username": "alice", "name": "Alice Admin"},
            "deleted_at": listed[0]["deleted_at"],
        }
    ]  # fmt: skip
    response = api.post(url("trash-restore", item.pk))
    assert response.status_code == 200
    body = response.json()
    assert (
        body["kind"] == "card" and body["restored"]["id"] == card.pk and body["restored"]["text"] == card.text
    )
    journey.refresh_from_db()
    assert body["revision"] == journey.revision
    assert api.get(url("journey-trash", journey.pk)).json() == []
    again = api.post(url("trash-restore", item.pk))
    assert_refused(again, 400, {"item": [f"The card “{card.text}” was already put back."]})


def test_undo_refused_when_the_parent_is_gone_names_it(api, admin, journey):
    stage = journey.stages.order_by("position").first()
    step = stage.steps.order_by("position").first()
    step_item = services.step_delete(step_id=step.pk, by=admin)
    services.stage_delete(stage_id=stage.pk, by=admin)
    api.force_login(admin)
    response = api.post(url("trash-restore", step_item.pk))
    message = f"The stage “{stage.title}” this step was in was deleted too. Put it back first, then this."
    assert_refused(response, 400, {"item": [message]})


def test_viewer_cannot_undo(api, viewer, admin, journey):
    item = services.card_delete(card_id=some_card(journey).pk, by=admin)
    api.force_login(viewer)
    assert api.get(url("journey-trash", journey.pk)).status_code == 200
    assert api.post(url("trash-restore", item.pk)).status_code == 403


def test_trash_query_count_does_not_grow(api, admin, workspace, journey, django_assert_num_queries):
    big = factories.make_map(
        factories.make_journey(workspace, by=admin), stages=6, steps_per_stage=5, cards=500
    )
    api.force_login(admin)
    for j in (journey, big):
        for stage in list(j.stages.all()):
            services.stage_delete(stage_id=stage.pk, by=admin)
        with django_assert_num_queries(4):  # session, user, journey with membership role, trashed items
            response = api.get(url("journey-trash", j.pk))
        assert len(response.json()) == j.trash.count()


# ---------------------------------------------------------------------------------------------- comments


def test_viewer_comments_with_a_mention_and_reads_the_threads(api, viewer, editor, journey):
    card = some_card(journey)
    api.force_login(viewer)
    response = api.post(url("card-comments", card.pk), {"body": "@bob where is this from? <script>"})
    assert response.status_code == 201
    body = response.json()
    assert body["body"] == "@bob where is this from? <script>"  # data, not markup: pages escape it
    assert [m["username"] for m in body["mentions"]] == ["bob"]
    reply = api.post(url("card-comments", card.pk), {"body": "Interview 4", "thread": body["id"]}).json()
    threads = api.get(url("card-comments", card.pk)).json()
    assert [t["id"] for t in threads] == [body["id"]]
    assert [r["id"] for r in threads[0]["replies"]] == [reply["id"]]
    assert threads[0]["author"]["username"] == "charlie"


def test_bad_comments_are_400_naming_the_field(api, viewer, journey):
    card = some_card(journey)
    api.force_login(viewer)
    response = api.post(url("card-comments", card.pk), {"body": ""})
    assert_refused(response, 400, {"body": ["This field may not be blank."]})
    response = api.post(url("card-comments", card.pk), {"body": "Hi", "thread": 999999})
    assert_refused(response, 400, {"thread": ["No comment 999999 on this card."]})
    assert not Comment.objects.exists()


def test_resolve_reopen_and_delete(api, viewer, editor, journey):
    card = some_card(journey)
    root = comments.comment_create(card_id=card.pk, by=viewer, body="Outdated?")
    api.force_login(editor)
    body = api.post(url("comment-resolve", root.pk)).json()
    assert body["resolved_by"]["id"] == editor.pk and body["resolved_at"]
    body = api.post(url("comment-reopen", root.pk)).json()
    assert body["resolved_at"] is None
    assert api.delete(url("comment-detail", root.pk)).status_code == 403  # not the author nor a manager
    api.force_login(viewer)
    assert api.get(url("comment-detail", root.pk)).json()["body"] == "Outdated?"
    assert api.delete(url("comment-detail", root.pk)).status_code == 204
    assert not Comment.objects.exists()


def test_card_comments_query_count_does_not_grow(
    api, viewer, editor, admin, journey, django_assert_num_queries
):
    cards = list(journey.cards.order_by("pk")[:2])
    for card, n in zip(cards, (1, 50), strict=True):
        for i in range(n):
            root = comments.comment_create(card_id=card.pk, by=viewer, body=f"@bob @alice question {i}")
            comments.comment_create(card_id=card.pk, by=editor, body="@charlie answer", thread=root)
    api.force_login(viewer)
    for card, n in zip(cards, (1, 50), strict=True):
        # session, user, card's journey id, journey with membership role and grants (a viewer), card,
        # comments with their people, mentioned people
        with django_assert_num_queries(7):
            threads = api.get(url("card-comments", card.pk)).json()
        assert len(threads) == n
