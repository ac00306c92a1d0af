"""Restores and undos are lossless round trips, judged straight from the database.

These tests do not judge a restore with the code under test (`version_snapshot`, `version_diff`): they read
every concrete column of every row of every table of every installed app (many-to-many tables included)
before and after, ids included. Only the journal of the journey changes: its revision, activity lines,
versions and trash items.
"""

import datetime

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from journeys import services
from journeys.models import (
    Activity,
    Card,
    Comment,
    Journey,
    Lane,
    MapVersion,
    Stage,
    Step,
    TrashedItem,
)
from journeys.services import comments, trash, versioning
from journeys.services.rows import cascade_relations
from tests import factories

from .checks import assert_constraints_hold, positions_are_dense

ELEMENTS = (Stage, Step, Lane, Card)
# Rows a write to a map adds to its journal; everything else must come back exactly.
JOURNAL = {Activity, MapVersion, TrashedItem, Session}
JOURNEY_BOOKKEEPING = {"revision", "updated_at", "updated_by_id"}
LONG_AGO = datetime.datetime(2024, 3, 1, 9, 30, 15, 123456, tzinfo=datetime.UTC)


def database() -> dict:
    """Every concrete column of every row of every table (auto-created many-to-many tables included), by
    table and primary key, read with the ORM's plain `values()`: nothing of versioning or trash."""
    state = {}
    for model in apps.get_models(include_auto_created=True):
        if model in JOURNAL or model._meta.proxy or not model._meta.managed:
            continue
        names = [f.attname for f in model._meta.concrete_fields]
        if model is Journey:
            names = [n for n in names if n not in JOURNEY_BOOKKEEPING]
        pk = model._meta.pk.attname
        state[model._meta.label] = {row[pk]: row for row in model._base_manager.order_by(pk).values(*names)}
    return state


def differences(before: dict, after: dict) -> set:
    """(table, pk, column) of every value that differs; (table, pk, None) for rows gone or added."""
    found = set()
    for table, rows in before.items():
        others = after[table]
        for pk in rows.keys() ^ others.keys():
            found.add((table, pk, None))
        for pk in rows.keys() & others.keys():
            found.update((table, pk, col) for col, value in rows[pk].items() if others[pk][col] != value)
    return found


def element_rows(state: dict, journey) -> int:
    return sum(
        1
        for model in ELEMENTS
        for row in state[model._meta.label].values()
        if row["journey_id"] == journey.pk
    )


@pytest.fixture
def rich(workspace, admin, editor, viewer):
    """The journey with the history people leave on a map: cards made by different people long ago, notes,
    channels, emotion scores, stage descriptions, a step drilling into a sub-journey, and comment threads
    with replies, mentions, a resolved thread and an edited comment on several cards."""
    journey = factories.make_journey(workspace, by=admin, title="Customer lifecycle")
    factories.make_map(journey, stages=3, steps_per_stage=2, lanes=5, cards=24)
    child = factories.make_journey(workspace, by=admin, title="Checkout detail")
    stages = list(journey.stages.order_by("position"))
    services.stage_update(
        stage_id=stages[0].pk, by=admin, description="Finding us", standard_stage="awareness"
    )
    step = stages[1].steps.order_by("position").first()
    services.step_update(step_id=step.pk, by=admin, description="Pay", sub_journey=child)
    cards = list(journey.cards.exclude(lane__kind="emotions").order_by("pk"))
    Card.objects.filter(pk__in=[c.pk for c in cards[::2]]).update(created_by=editor, created_at=LONG_AGO)
    Card.objects.filter(pk__in=[c.pk for c in cards[1::2]]).update(created_by=viewer, updated_at=LONG_AGO)
    services.card_update(card_id=cards[0].pk, by=admin, note="Seen in 4 of 6 interviews", channel="Chat")
    for card in cards:
        root = comments.comment_create(card_id=card.pk, by=viewer, body="Is this still true?")
        comments.comment_create(
            card_id=card.pk, by=admin, body="@Bob can you check?", thread=root, mention_ids=[editor.pk]
        )
        comments.comment_create(card_id=card.pk, by=editor, body="Yes, checked.", thread=root)
    resolved = Comment.objects.filter(card=cards[1], thread=None).get()
    comments.comment_resolve(comment_id=resolved.pk, by=editor)
    Comment.objects.filter(card=cards[2]).update(edited_at=LONG_AGO)
    journey.refresh_from_db()
    return journey


def test_the_fixture_has_what_a_restore_could_lose(rich):
    assert (
        Comment.objects.filter(journey=rich).count() == 3 * rich.cards.exclude(lane__kind="emotions").count()
    )
    assert Comment.mentions.through.objects.filter(comment__journey=rich).count() > 0
    assert Comment.objects.filter(journey=rich, resolved_at__isnull=False).exists()
    assert rich.cards.filter(created_at=LONG_AGO).exists() and rich.steps.exclude(sub_journey=None).exists()


# ---------------------------------------------------------------------------------------------- one source


BOOKKEEPING = {"journey", "version", "created_at", "updated_at", "created_by"}


@pytest.mark.parametrize("model", ELEMENTS, ids=lambda m: m.__name__)
def test_snapshots_cover_every_editable_column(rich, model):
    """Every concrete field of the model (read from _meta) but its bookkeeping is in the snapshot, so a field
    added later is restored without anyone remembering to list it."""
    editable = {f.name for f in model._meta.concrete_fields} - BOOKKEEPING
    snapshot = versioning.version_snapshot(rich)
    rows = snapshot[{Stage: "stages", Step: "steps", Lane: "lanes", Card: "cards"}[model]]
    assert rows and all(set(row) == editable for row in rows)
    assert set(model.snapshot_fields()) == editable
    assert set(versioning.CONTENT_FIELDS[model.__name__.lower()]) == editable - {"id", "position"} - set(
        model.parent_fields
    )


def test_the_trash_finds_every_model_that_points_at_an_element():
    """Every table (of any app, many-to-many tables included) whose rows a delete of a stage, step, lane or
    card takes with it, found here from forward foreign keys, is what the trash keeps; every foreign key to
    those rows cascades (a SET_NULL one would lose its link: the trash would have to keep it too)."""
    closure, grew = set(ELEMENTS), True
    while grew:
        grew = False
        for model in apps.get_models(include_auto_created=True):
            for f in model._meta.concrete_fields:
                if f.is_relation and f.related_model in closure and model not in closure:
                    assert f.remote_field.on_delete is models.CASCADE, (
                        f"{model._meta.label}.{f.name} points at a map element without cascading: the trash "
                        "keeps only cascading rows (teach journeys/services/trash.py to keep this link too)"
                    )
                    closure.add(model)
                    grew = True
    discovered, frontier = set(ELEMENTS), list(ELEMENTS)
    while frontier:
        for rel in cascade_relations(frontier.pop()):
            if rel.related_model not in discovered:
                discovered.add(rel.related_model)
                frontier.append(rel.related_model)
    assert discovered == closure
    assert {Comment, Comment.mentions.through} <= discovered


def test_a_deleted_card_keeps_a_row_of_every_attached_table(rich, admin):
    card = Comment.objects.filter(journey=rich).exclude(mentions=None).first().card
    item = services.card_delete(card_id=card.pk, by=admin)
    kept = item.payload["rows"]
    assert {label: len(rows) for label, rows in kept.items() if rows} == {  # (apps above may add empty ones)
        "journeys.Comment": 3,
        "journeys.Comment_mentions": 1,
    }
    assert (
        item.payload["cards"][0]["created_at"]
        == Card._meta.get_field("created_at").to_python(item.payload["cards"][0]["created_at"]).isoformat()
    )


# ---------------------------------------------------------------------------------------------- trash undo


def _delete(rich, admin, kind):
    stage = rich.stages.order_by("position").last()
    if kind == "stage":
        return services.stage_delete(stage_id=stage.pk, by=admin)
    if kind == "step":
        return services.step_delete(step_id=stage.steps.order_by("position").first().pk, by=admin)
    if kind == "lane":
        lane = rich.lanes.exclude(kind="emotions").order_by("position").first()
        return services.lane_delete(lane_id=lane.pk, by=admin)
    card = Comment.objects.filter(journey=rich, resolved_at__isnull=False).first().card
    return services.card_delete(card_id=card.pk, by=admin)


@pytest.mark.parametrize("kind", ["stage", "step", "lane", "card"])
def test_undoing_a_delete_gives_back_every_column_of_every_row(rich, admin, editor, kind):
    before = database()
    item = _delete(rich, admin, kind)
    gone = differences(before, database())
    assert {(table, col) for table, _, col in gone} >= {("journeys.Card", None), ("journeys.Comment", None)}
    trash.trash_restore(item_id=item.pk, by=editor)
    assert differences(before, database()) == set()
    assert_constraints_hold()


# ---------------------------------------------------------------------------------------------- restore


def _delete_much(journey, admin):
    """Delete a card with comments, a step, a stage and a lane, all with cards and comment threads."""
    stages = list(journey.stages.order_by("position"))
    card = Comment.objects.filter(journey=journey, card__step__stage=stages[0]).first().card
    services.card_delete(card_id=card.pk, by=admin)
    services.step_delete(step_id=stages[0].steps.order_by("position").last().pk, by=admin)
    services.stage_delete(stage_id=stages[1].pk, by=admin)
    services.lane_delete(
        lane_id=journey.lanes.exclude(kind="emotions").order_by("position").first().pk, by=admin
    )


def test_restoring_a_version_after_deletes_gives_back_every_column_of_every_row(rich, admin, editor):
    version = versioning.version_save(journey_id=rich.pk, by=editor, label="Before the clean-up")
    before = database()
    _delete_much(rich, admin)
    assert element_rows(database(), rich) < element_rows(before, rich)

    versioning.version_restore(version_id=version.pk, by=editor)

    assert differences(before, database()) == set()  # ids, history, versions, comments, mentions: all
    assert list(trash.trash_list(journey=rich)) == []  # everything came back out of the trash
    assert positions_are_dense(rich)
    assert_constraints_hold()


def _change_much(journey, admin, editor):
    """Edits after a version: a card reworded, a stage renamed, a card moved to another cell, a new card and
    a new stage with commented cards, a lane deleted, a thread resolved. Returns what was edited or moved."""
    stages = list(journey.stages.order_by("position"))
    lanes = list(journey.lanes.exclude(kind="emotions").order_by("position"))
    reworded = journey.cards.exclude(lane__kind="emotions").order_by("pk").first()
    services.card_update(card_id=reworded.pk, by=admin, text="Reworded after the version")
    services.stage_update(stage_id=stages[0].pk, by=admin, title="Renamed after the version")
    moved = journey.cards.filter(lane=lanes[1]).order_by("pk").first()
    target = stages[1].steps.order_by("position").last()
    services.card_move(card_id=moved.pk, by=admin, to_step=target.pk, to_lane=lanes[2].pk, position=0)
    new_stage = services.stage_create(journey_id=journey.pk, by=admin, title="Added later", position=1)
    for lane in lanes[:2]:
        card = services.card_create(
            lane_id=lane.pk, step_id=new_stage.steps.get().pk, by=editor, text="Later"
        )
        root = comments.comment_create(
            card_id=card.pk, by=admin, body="@Bob new idea", mention_ids=[editor.pk]
        )
        comments.comment_create(card_id=card.pk, by=editor, body="Agreed", thread=root)
    services.lane_delete(lane_id=lanes[-1].pk, by=admin)
    thread = Comment.objects.filter(journey=journey, thread=None, resolved_at=None).first()
    comments.comment_resolve(comment_id=thread.pk, by=editor)
    # And every editable column of one element of each kind, straight in the database (not through the
    # services, which may not offer a field yet): the restore must put each back.
    step = journey.steps.exclude(sub_journey=None).get()
    for obj in (reworded, stages[0], step, lanes[0]):
        _change_every_field(obj)
    return {
        "card": {reworded.pk, moved.pk},
        "stage": {stages[0].pk},
        "step": {step.pk},
        "lane": {lanes[0].pk},
        "reworded": reworded.pk,
        "resolved": thread.pk,
    }


def _change_every_field(obj) -> None:
    """A new value in every concrete column of the element but its bookkeeping, place and parents."""
    model = type(obj)
    obj.refresh_from_db()
    values = {}
    for f in model._meta.concrete_fields:
        if f.primary_key or f.name in BOOKKEEPING | {"position", *model.parent_fields}:
            continue
        current = getattr(obj, f.attname)
        if f.choices:
            values[f.attname] = next(value for value, _ in f.choices if value != current)
        elif f.is_relation:
            assert f.null and current is not None, f"give {model.__name__}.{f.name} a value to change"
            values[f.attname] = None
        elif isinstance(f, models.CharField | models.TextField):
            values[f.attname] = f"Changed {f.name}"
        elif isinstance(f, models.IntegerField):
            values[f.attname] = 2 if current != 2 else 1
        elif isinstance(f, models.BooleanField):
            values[f.attname] = not current
        else:
            raise AssertionError(f"Teach this test a new value for {model.__name__}.{f.name}")
    model.objects.filter(pk=obj.pk).update(**values)


def _versions_grew(before: dict, after: dict, touched: dict, by: int) -> set:
    """The `version` of each element a restore changed grew by `by` (each change is one an open editor must
    not overwrite; nothing else grows); returns those (table, pk, column) and the reworded card's
    `updated_at`, which is all a restore may change besides content."""
    grown = set()
    for model in ELEMENTS:
        table = model._meta.label
        for pk in touched[model.__name__.lower()]:
            assert after[table][pk]["version"] == before[table][pk]["version"] + by
            grown.add((table, pk, "version"))
    return grown | {("journeys.Card", touched["reworded"], "updated_at")}


def _check_undone(before: dict, touched: dict) -> None:
    after = database()
    assert differences(before, after) == _versions_grew(before, after, touched, 2)
    assert_constraints_hold()


def test_restoring_an_older_version_then_undoing_gives_back_every_row(rich, admin, editor):
    version = versioning.version_save(journey_id=rich.pk, by=editor, label="Workshop")
    at_version = database()
    touched = _change_much(rich, admin, editor)
    before = database()

    undo = versioning.version_restore(version_id=version.pk, by=editor)

    restored = database()
    # The map is the version's again, column by column: what was deleted since is back with every column,
    # what was added is in the trash (comments added since sit there with their cards). Besides versions,
    # only the thread resolved since differs: comments are not part of a version.
    resolved = {("journeys.Comment", touched["resolved"], col) for col in ("resolved_at", "resolved_by_id")}
    grown = _versions_grew(before, restored, touched, 1)
    assert differences(at_version, restored) == grown | resolved
    removed = TrashedItem.objects.get(kind=trash.RESTORE)
    assert removed.title == "Removed by restoring “Workshop”" and removed.deleted_by == editor
    assert len(removed.payload["cards"]) == 2 and len(removed.payload["rows"]["journeys.Comment"]) == 4

    versioning.version_restore(version_id=undo.pk, by=editor)

    _check_undone(before, touched)
    assert positions_are_dense(rich)


def test_what_a_restore_removed_can_be_put_back_from_the_trash(rich, admin, editor):
    version = versioning.version_save(journey_id=rich.pk, by=editor, label="Workshop")
    stage = services.stage_create(journey_id=rich.pk, by=admin, title="Added later", position=0)
    lane = rich.lanes.order_by("position").last()
    card = services.card_create(lane_id=lane.pk, step_id=stage.steps.get().pk, by=editor, text="Keep me")
    comments.comment_create(card_id=card.pk, by=admin, body="@Bob look", mention_ids=[editor.pk])
    before = database()
    versioning.version_restore(version_id=version.pk, by=editor)
    item = trash.trash_list(journey=rich)[0]
    assert (item.kind, item.card_count) == ("restore", 1)

    back = trash.trash_restore(item_id=item.pk, by=admin)

    assert back == stage
    assert differences(before, database()) == set()
    assert_constraints_hold()


def test_a_restore_brings_back_only_what_the_version_has_and_the_rest_stays_in_the_trash(rich, admin, editor):
    stage = rich.stages.order_by("position").last()
    version = versioning.version_save(journey_id=rich.pk, by=editor, label="Two steps")
    extra = services.step_create(stage_id=stage.pk, by=admin, title="Added after the version")
    item = services.stage_delete(stage_id=stage.pk, by=admin)
    versioning.version_restore(version_id=version.pk, by=editor)
    assert Stage.objects.filter(pk=stage.pk).exists() and not Step.objects.filter(pk=extra.pk).exists()
    item.refresh_from_db()
    assert item.restored_at is None and [s["id"] for s in item.payload["steps"]] == [extra.pk]
    assert item.payload["stages"] == []  # what came back left the item
    trash.trash_restore(item_id=item.pk, by=editor)
    assert Step.objects.get(pk=extra.pk).stage_id == stage.pk
    assert_constraints_hold()


def test_a_person_who_left_is_cleared_from_what_comes_back(rich, admin, editor, viewer):
    version = versioning.version_save(journey_id=rich.pk, by=editor, label="Baseline")
    card = rich.cards.filter(created_by=viewer).order_by("pk").first()
    services.card_delete(card_id=card.pk, by=admin)
    viewer.delete()
    versioning.version_restore(version_id=version.pk, by=editor)
    back = Card.objects.get(pk=card.pk)
    assert back.created_by is None and back.created_at == card.created_at
    assert [c.author for c in Comment.objects.filter(card=back).order_by("pk")] == [None, admin, editor]
    assert_constraints_hold()


# ---------------------------------------------------------------------------------------------- pages, API


def test_restore_and_undo_the_restore_from_the_pages(client, rich, admin, editor):
    version = versioning.version_save(journey_id=rich.pk, by=editor, label="Workshop")
    client.force_login(editor)
    touched = _change_much(rich, admin, editor)
    before = database()
    response = client.post(reverse("journeys:version_restore", args=[rich.pk, version.pk]))
    assert response.status_code == 302
    undo = MapVersion.objects.get(kind=MapVersion.Kind.BEFORE_RESTORE)
    page = client.get(response["Location"]).content.decode()
    undo_url = reverse("journeys:version_restore", args=[rich.pk, undo.pk])
    assert "Undo the restore" in page and f'action="{undo_url}"' in page

    assert client.post(undo_url).status_code == 302

    _check_undone(before, touched)


def test_restore_and_undo_the_restore_through_the_api(rich, admin, editor):
    version = versioning.version_save(journey_id=rich.pk, by=editor, label="Workshop")
    api = APIClient()
    api.force_login(editor)
    card = Comment.objects.filter(journey=rich, thread=None).first().card
    threads = api.get(reverse("journeys-api:card-comments", args=[card.pk])).json()
    services.card_delete(card_id=card.pk, by=admin)
    touched = _change_much(rich, admin, editor)
    before = database()

    response = api.post(reverse("journeys-api:version-restore", args=[version.pk]))
    assert response.status_code == 200
    assert api.get(reverse("journeys-api:card-comments", args=[card.pk])).json() == threads
    undo = response.json()["before_restore"]["id"]
    assert api.post(reverse("journeys-api:version-restore", args=[undo])).status_code == 200

    _check_undone(before, touched)
    assert not Card.objects.filter(pk=card.pk).exists()  # deleted before: in the trash again, comments too


# ---------------------------------------------------------------------------------------------- scale


def test_restore_query_count_does_not_grow_with_the_map_and_its_comments(workspace, admin, editor):
    counts = []
    for size in (10, 500):
        journey = factories.make_map(
            factories.make_journey(workspace, by=admin), stages=5, steps_per_stage=4, lanes=8, cards=size
        )
        cards = list(journey.cards.order_by("pk"))
        Comment.objects.bulk_create(
            Comment(journey=journey, card=c, author=editor, body="Why?") for c in cards
        )
        Comment.mentions.through.objects.bulk_create(
            Comment.mentions.through(comment=c, user=admin) for c in Comment.objects.filter(journey=journey)
        )
        version = versioning.version_save(journey_id=journey.pk, by=admin, label="Baseline")
        # Every kind of work: cards changed, a step with cards from the trash, a stage to the trash.
        Card.objects.filter(journey=journey).update(text="All changed")
        step = Step.objects.get(journey=journey, stage__position=0, position=1)
        services.step_delete(step_id=step.pk, by=admin)
        services.stage_create(journey_id=journey.pk, by=admin, title="To remove")
        left = Comment.objects.filter(journey=journey).count()
        with CaptureQueriesContext(connection) as ctx:
            undo = versioning.version_restore(version_id=version.pk, by=admin)
        counts.append(len(ctx.captured_queries))
        assert Comment.objects.filter(journey=journey).count() == size  # the step's came back from the trash
        with CaptureQueriesContext(connection) as ctx:
            versioning.version_restore(version_id=undo.pk, by=admin)
        counts.append(len(ctx.captured_queries))
        assert Comment.objects.filter(journey=journey).count() == left < size
    assert counts[:2] == counts[2:]


def test_restore_does_not_touch_other_journeys(rich, workspace, admin, editor):
    other = factories.make_map(factories.make_journey(workspace, by=admin), cards=6)
    comments.comment_create(card_id=other.cards.order_by("pk").first().pk, by=admin, body="Elsewhere")
    version = versioning.version_save(journey_id=rich.pk, by=editor, label="Baseline")
    _delete_much(rich, admin)
    before = database()
    versioning.version_restore(version_id=version.pk, by=editor)
    after = database()
    for model in (*ELEMENTS, Comment):
        label = model._meta.label
        theirs = {pk: row for pk, row in before[label].items() if row["journey_id"] == other.pk}
        assert theirs and {pk: after[label].get(pk) for pk in theirs} == theirs
