"""Versions of a map: snapshots, named versions, the diff between any two, and restore."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from journeys import services
from journeys.models import Activity, Card, Comment, Lane, MapVersion, Stage, Step, TrashedItem
from journeys.services import versioning
from journeys.services.versioning import version_diff, version_snapshot

from .checks import assert_constraints_hold, positions_are_dense


def first(qs):
    return qs.order_by("pk").first()


# ---------------------------------------------------------------------------------------------- snapshot


def test_snapshot_holds_every_element_with_ids_positions_and_fields(journey, django_assert_num_queries):
    stage = first(journey.stages)
    services.stage_update(
        stage_id=stage.pk, by=journey.owner, standard_stage="awareness", description="Find us"
    )
    with django_assert_num_queries(4):  # stages, steps, lanes, cards
        snap = version_snapshot(journey)
    assert snap["schema"] == versioning.SNAPSHOT_SCHEMA
    assert [s["id"] for s in snap["stages"]] == list(
        journey.stages.order_by("position").values_list("pk", flat=True)
    )
    assert snap["stages"][0] == {
        "id": stage.pk,
        "position": 0,
        "title": stage.title,
        "description": "Find us",
        "standard_stage": "awareness",
    }
    step = first(journey.steps)
    assert {
        "id": step.pk,
        "stage": step.stage_id,
        "position": step.position,
        "title": step.title,
        "description": "",
        "sub_journey": None,
    } in snap["steps"]
    assert [(lane["id"], lane["kind"]) for lane in snap["lanes"]] == list(
        journey.lanes.order_by("position").values_list("pk", "kind")
    )
    card = Card.objects.filter(journey=journey, emotion_score__isnull=False).first()
    assert {
        "id": card.pk,
        "lane": card.lane_id,
        "step": card.step_id,
        "position": card.position,
        "text": card.text,
        "note": "",
        "emotion_score": card.emotion_score,
        "channel": card.channel,
    } in snap["cards"]
    assert len(snap["cards"]) == 10


def test_snapshot_query_count_does_not_grow_with_the_map(
    journey, workspace, admin, django_assert_num_queries
):
    from tests import factories

    big = factories.make_map(
        factories.make_journey(workspace, by=admin), stages=6, steps_per_stage=5, lanes=10, cards=500
    )
    with django_assert_num_queries(4):
        snap = version_snapshot(big)
    assert len(snap["cards"]) == 500 and len(snap["steps"]) == 30


# ------------------------------------------------------------------------------------------ named versions


def test_editor_saves_a_named_version_without_changing_the_map(journey, editor):
    revision = journey.revision
    version = versioning.version_save(journey_id=journey.pk, by=editor, label="  Before the Q3 workshop ")
    journey.refresh_from_db()
    assert version.kind == MapVersion.Kind.NAMED
    assert version.label == "Before the Q3 workshop"
    assert version.created_by == editor
    assert version.revision == revision == journey.revision  # saving is not a change to the map
    assert version.snapshot == version_snapshot(journey)
    line = Activity.objects.filter(journey=journey).first()
    assert (line.actor, line.verb, line.target_id) == (editor, "saved version", version.pk)
    assert "Before the Q3 workshop" in line.summary


@pytest.mark.parametrize("label", ["", "   ", "x" * 201])
def test_a_version_needs_a_sensible_label(journey, editor, label):
    with pytest.raises(ValidationError) as error:
        versioning.version_save(journey_id=journey.pk, by=editor, label=label)
    assert "label" in error.value.message_dict
    assert not MapVersion.objects.exists()


def test_viewer_cannot_save_and_outsider_cannot_see(journey, viewer, outsider):
    with pytest.raises(PermissionDenied):
        versioning.version_save(journey_id=journey.pk, by=viewer, label="Mine")
    with pytest.raises(Http404):
        versioning.version_save(journey_id=journey.pk, by=outsider, label="Mine")
    assert not MapVersion.objects.exists()


# ---------------------------------------------------------------------------------------------- diff


def test_diff_of_a_snapshot_with_itself_is_empty(journey):
    snap = version_snapshot(journey)
    diff = version_diff(snap, snap)
    assert diff.is_empty
    assert diff.counts() == {"added": 0, "removed": 0, "changed": 0, "moved": 0}


def test_diff_shows_changed_fields_with_before_and_after(journey, admin):
    card = first(journey.cards.exclude(lane__kind="emotions"))
    lane = first(journey.lanes)
    before = version_snapshot(journey)
    services.card_update(card_id=card.pk, by=admin, text="Waits on hold", note="Seen in 4 of 6 interviews")
    services.lane_update(lane_id=lane.pk, by=admin, title="Feelings")
    diff = version_diff(before, version_snapshot(journey))
    [changed_card] = diff.of("card", "changed")
    assert changed_card.id == card.pk and not changed_card.moved
    assert {(f.field, f.before, f.after) for f in changed_card.fields} == {
        ("text", card.text, "Waits on hold"),
        ("note", "", "Seen in 4 of 6 interviews"),
    }
    [changed_lane] = diff.of("lane", "changed")
    assert [(f.field, f.after) for f in changed_lane.fields] == [("title", "Feelings")]
    assert diff.counts() == {"added": 0, "removed": 0, "changed": 2, "moved": 0}


def test_diff_shows_added_and_removed_elements(journey, admin):
    before = version_snapshot(journey)
    stage = first(journey.stages)
    step_ids = set(stage.steps.values_list("pk", flat=True))
    cards_in_stage = set(Card.objects.filter(step__stage=stage).values_list("pk", flat=True))
    services.stage_delete(stage_id=stage.pk, by=admin)
    lane = services.lane_create(journey_id=journey.pk, by=admin, title="Systems", kind="systems")
    diff = version_diff(before, version_snapshot(journey))
    assert [e.id for e in diff.of("stage", "removed")] == [stage.pk]
    assert {e.id for e in diff.of("step", "removed")} == step_ids
    assert {e.id for e in diff.of("card", "removed")} == cards_in_stage
    [added] = diff.of("lane", "added")
    assert added.id == lane.pk and added.after["title"] == "Systems" and added.before is None
    # The stages after the deleted one shifted position, but their order did not change: not "moved".
    assert not diff.of("stage", "moved")


def test_diff_marks_only_what_really_moved(journey, admin):
    stages = list(journey.stages.order_by("position"))
    before = version_snapshot(journey)
    services.stage_create(journey_id=journey.pk, by=admin, title="Discover", position=0)
    diff = version_diff(before, version_snapshot(journey))
    assert not diff.of("stage", "moved")  # an insertion in front shifts the others without moving them
    services.stage_move(stage_id=stages[1].pk, by=admin, position=0)
    diff = version_diff(before, version_snapshot(journey))
    assert [e.id for e in diff.of("stage", "moved")] == [stages[1].pk]
    [moved] = diff.of("stage", "moved")
    assert moved.status == "moved" and not moved.fields and not moved.parent_changed


def test_diff_shows_a_card_moved_to_another_cell_and_a_step_to_another_stage(journey, admin):
    stages = list(journey.stages.order_by("position"))
    step = first(stages[0].steps)
    card = first(journey.cards.exclude(step=step).exclude(lane__kind="emotions"))
    other_lane = journey.lanes.exclude(pk=card.lane_id).order_by("position").first()
    before = version_snapshot(journey)
    services.card_move(card_id=card.pk, by=admin, to_lane=other_lane.pk, to_step=step.pk)
    services.card_update(card_id=card.pk, by=admin, text="Moved and edited")
    services.step_move(step_id=step.pk, by=admin, position=0, to_stage=stages[1].pk)
    diff = version_diff(before, version_snapshot(journey))
    [moved_card] = diff.of("card", "moved")
    assert moved_card.id == card.pk and moved_card.parent_changed
    assert moved_card.status == "changed" and [f.field for f in moved_card.fields] == ["text"]
    assert (moved_card.before["lane"], moved_card.after["lane"]) == (card.lane_id, other_lane.pk)
    [moved_step] = diff.of("step", "moved")
    assert moved_step.id == step.pk and moved_step.after["stage"] == stages[1].pk
    api = diff.as_dict()
    assert [c["id"] for c in api["cards"]["moved"]] == [card.pk]
    assert [c["id"] for c in api["cards"]["changed"]] == [card.pk]  # both changed and moved
    assert api["cards"]["changed"][0]["fields"] == [
        {"field": "text", "before": card.text, "after": "Moved and edited"}
    ]
    assert api["counts"] == {"added": 0, "removed": 0, "changed": 1, "moved": 2}


def test_reordering_within_a_cell_moves_only_the_dragged_card(journey, admin):
    lane = first(journey.lanes.exclude(kind="emotions"))
    step = first(journey.steps)
    cards = [
        services.card_create(lane_id=lane.pk, step_id=step.pk, by=admin, text=f"Extra {i}") for i in range(4)
    ]
    before = version_snapshot(journey)
    services.card_move(card_id=cards[3].pk, by=admin, position=0)
    diff = version_diff(before, version_snapshot(journey))
    assert [e.id for e in diff.of("card", "moved")] == [cards[3].pk]


# ---------------------------------------------------------------------------------------------- restore


def _scramble(journey, admin):
    """Many kinds of change at once: edits, additions, deletions, moves."""
    stages = list(journey.stages.order_by("position"))
    lanes = list(journey.lanes.order_by("position"))
    card = first(journey.cards.exclude(lane__kind="emotions"))
    services.card_update(card_id=card.pk, by=admin, text="Rewritten", channel="Phone")
    services.stage_update(stage_id=stages[0].pk, by=admin, title="Renamed stage")
    services.lane_move(lane_id=lanes[-1].pk, by=admin, position=0)
    moving = first(journey.cards.exclude(pk=card.pk).exclude(lane__kind="emotions"))
    target_step = stages[1].steps.order_by("position").last()
    services.card_move(card_id=moving.pk, by=admin, to_step=target_step.pk, position=0)
    services.stage_delete(stage_id=stages[1].pk, by=admin)
    new_stage = services.stage_create(journey_id=journey.pk, by=admin, title="Brand new", position=0)
    services.card_create(lane_id=lanes[0].pk, step_id=new_stage.steps.get().pk, by=admin, text="New card")
    services.lane_delete(lane_id=lanes[1].pk, by=admin)


def test_restore_round_trip_makes_the_map_equal_to_the_version(journey, admin, editor):
    version = versioning.version_save(journey_id=journey.pk, by=editor, label="Baseline")
    deleted_stage = journey.stages.order_by("position")[1]
    _scramble(journey, admin)
    scrambled = version_snapshot(journey)
    assert not version_diff(version.snapshot, scrambled).is_empty
    journey.refresh_from_db()
    revision = journey.revision

    before = versioning.version_restore(version_id=version.pk, by=editor)

    journey.refresh_from_db()
    now = version_snapshot(journey)
    assert version_diff(version.snapshot, now).is_empty
    assert now == version.snapshot  # ids, positions and fields: all equal
    assert journey.revision == revision + 1  # one new change
    assert Stage.objects.filter(pk=deleted_stage.pk, journey=journey).exists()  # recreated with its old id
    assert before.kind == MapVersion.Kind.BEFORE_RESTORE and before.snapshot == scrambled
    assert before.revision == revision and before.created_by == editor
    assert "Baseline" in before.label
    line = Activity.objects.filter(journey=journey).first()
    assert (line.verb, line.actor, line.revision) == ("restored", editor, journey.revision)
    assert positions_are_dense(journey)
    assert_constraints_hold()


def test_restoring_the_automatic_before_version_undoes_the_restore(journey, admin, editor):
    version = versioning.version_save(journey_id=journey.pk, by=editor, label="Baseline")
    _scramble(journey, admin)
    scrambled = version_snapshot(journey)
    before = versioning.version_restore(version_id=version.pk, by=editor)
    versioning.version_restore(version_id=before.pk, by=editor)
    assert version_diff(scrambled, version_snapshot(journey)).is_empty
    assert MapVersion.objects.filter(kind=MapVersion.Kind.BEFORE_RESTORE).count() == 2
    assert_constraints_hold()


def test_restore_bumps_versions_only_of_what_changed_and_keeps_comments(journey, admin, editor):
    card, untouched = list(journey.cards.exclude(lane__kind="emotions").order_by("pk")[:2])
    comment = Comment.objects.create(journey=journey, card=untouched, author=editor, body="Is this right?")
    version = versioning.version_save(journey_id=journey.pk, by=editor, label="Baseline")
    services.card_update(card_id=card.pk, by=admin, text="Edited after the version")
    card.refresh_from_db()
    edited_version, untouched_version = card.version, untouched.version
    versioning.version_restore(version_id=version.pk, by=editor)
    card.refresh_from_db()
    untouched.refresh_from_db()
    assert card.text != "Edited after the version" and card.version == edited_version + 1
    assert untouched.version == untouched_version  # unchanged elements keep their version
    assert Comment.objects.filter(pk=comment.pk).exists()  # the card stayed, so its thread stays


def test_restore_brings_a_card_deleted_since_back_from_the_trash_as_it_was(journey, admin, editor):
    card = first(journey.cards.exclude(lane__kind="emotions"))
    Card.objects.filter(pk=card.pk).update(created_by=admin)
    card.refresh_from_db()
    comment = Comment.objects.create(journey=journey, card=card, author=editor, body="Is this right?")
    version = versioning.version_save(journey_id=journey.pk, by=editor, label="Baseline")
    item = services.card_delete(card_id=card.pk, by=admin)
    versioning.version_restore(version_id=version.pk, by=editor)
    back = Card.objects.get(pk=card.pk)
    assert (back.text, back.lane_id, back.step_id, back.position) == (
        card.text,
        card.lane_id,
        card.step_id,
        card.position,
    )
    assert (back.version, back.created_by, back.created_at) == (card.version, admin, card.created_at)
    assert Comment.objects.get(pk=comment.pk).card == back
    item.refresh_from_db()
    assert item.restored_at is not None
    assert_constraints_hold()


def test_restore_recreates_a_card_that_is_not_in_the_trash_with_its_old_id(journey, admin, editor):
    card = first(journey.cards.exclude(lane__kind="emotions"))
    version = versioning.version_save(journey_id=journey.pk, by=editor, label="Baseline")
    services.card_delete(card_id=card.pk, by=admin)
    TrashedItem.objects.all().delete()  # emptied
    versioning.version_restore(version_id=version.pk, by=editor)
    back = Card.objects.get(pk=card.pk)
    assert (back.text, back.lane_id, back.step_id, back.position) == (
        card.text,
        card.lane_id,
        card.step_id,
        card.position,
    )
    assert back.version == 1 and back.created_by == editor  # a new row in the database's eyes
    assert_constraints_hold()


def test_restore_moves_what_the_version_lacks_to_the_trash_as_one_item(journey, admin, editor):
    version = versioning.version_save(journey_id=journey.pk, by=editor, label="Baseline")
    stage = services.stage_create(journey_id=journey.pk, by=admin, title="Added later")
    card = services.card_create(
        lane_id=first(journey.lanes).pk, step_id=first(journey.steps).pk, by=admin, text="Added later too"
    )
    comment = Comment.objects.create(journey=journey, card=card, author=editor, body="Keep this")
    versioning.version_restore(version_id=version.pk, by=editor)
    assert (
        not Stage.objects.filter(pk=stage.pk).exists() and not Comment.objects.filter(pk=comment.pk).exists()
    )
    item = TrashedItem.objects.get()
    assert (item.kind, item.title, item.deleted_by) == ("restore", "Removed by restoring “Baseline”", editor)
    assert [s["id"] for s in item.payload["stages"]] == [stage.pk]
    assert {c["id"] for c in item.payload["cards"]} == {card.pk}
    assert [c["id"] for c in item.payload["rows"]["journeys.Comment"]] == [comment.pk]


def test_restore_drops_a_sub_journey_link_to_a_journey_deleted_since(journey, workspace, admin, editor):
    from tests import factories

    child = factories.make_journey(workspace, by=admin, title="Checkout detail")
    step = first(journey.steps)
    services.step_update(step_id=step.pk, by=admin, sub_journey=child)
    version = versioning.version_save(journey_id=journey.pk, by=editor, label="Linked")
    services.journey_delete(journey_id=child.pk, by=admin)
    versioning.version_restore(version_id=version.pk, by=editor)
    step.refresh_from_db()
    assert step.sub_journey_id is None
    assert_constraints_hold()


def test_viewer_cannot_restore_and_nothing_changes(journey, admin, viewer, outsider):
    version = versioning.version_save(journey_id=journey.pk, by=admin, label="Baseline")
    services.card_update(card_id=first(journey.cards).pk, by=admin, text="Later")
    snap = version_snapshot(journey)
    with pytest.raises(PermissionDenied):
        versioning.version_restore(version_id=version.pk, by=viewer)
    with pytest.raises(Http404):
        versioning.version_restore(version_id=version.pk, by=outsider)
    with pytest.raises(Http404):
        versioning.version_restore(version_id=999999, by=admin)
    assert version_snapshot(journey) == snap
    assert MapVersion.objects.count() == 1


def test_restore_query_count_does_not_grow_with_the_map(workspace, admin):
    from tests import factories

    counts = []
    for size in (10, 500):
        journey = factories.make_map(
            factories.make_journey(workspace, by=admin), stages=5, steps_per_stage=4, lanes=8, cards=size
        )
        version = versioning.version_save(journey_id=journey.pk, by=admin, label="Baseline")
        # Every kind of work: cards changed, a step with cards to recreate, a lane renamed, a stage added.
        Card.objects.filter(journey=journey).update(text="All changed")
        Step.objects.filter(journey=journey, stage__position=0, position=1).delete()
        Lane.objects.filter(journey=journey, position=0).update(title="Renamed")
        services.stage_create(journey_id=journey.pk, by=admin, title="To remove")
        with CaptureQueriesContext(connection) as ctx:
            versioning.version_restore(version_id=version.pk, by=admin)
        counts.append(len(ctx.captured_queries))
        assert version_diff(version.snapshot, version_snapshot(journey)).is_empty
    assert counts[0] == counts[1]


def test_a_review_confirms_a_version_and_other_kinds_are_not_saved_by_people(journey, editor):
    version = versioning.version_save(journey_id=journey.pk, by=editor, label="Q3 review", kind="review")
    assert version.kind == MapVersion.Kind.REVIEW
    with pytest.raises(ValidationError) as error:
        versioning.version_save(journey_id=journey.pk, by=editor, label="Sneaky", kind="auto")
    assert "kind" in error.value.message_dict
    assert MapVersion.objects.count() == 1
