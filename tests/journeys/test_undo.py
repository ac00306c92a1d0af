"""Undo of deletions: deleting keeps a TrashedItem; trash_restore puts it back where it was."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from journeys import services
from journeys.models import Activity, Card, Comment, Lane, Stage, Step, TrashedItem
from journeys.services import comments, trash, versioning
from tests import factories

from .checks import assert_constraints_hold, positions_are_dense


def ordered(qs):
    return list(qs.order_by("position").values_list("pk", flat=True))


@pytest.fixture
def busy_cell(journey, admin):
    """A lane × step cell holding three cards (in order)."""
    lane = journey.lanes.exclude(kind="emotions").order_by("position").first()
    step = journey.steps.order_by("stage__position", "position").last()
    Card.objects.filter(lane=lane, step=step).delete()
    cards = [
        services.card_create(lane_id=lane.pk, step_id=step.pk, by=admin, text=f"Card {i}") for i in range(3)
    ]
    return lane, step, cards


def test_deleting_a_card_keeps_it_and_undo_puts_it_back_in_place(journey, admin, editor, busy_cell):
    lane, step, cards = busy_cell
    middle = cards[1]
    thread = comments.comment_create(card_id=middle.pk, by=editor, body="Really? @alice please check")
    reply = comments.comment_create(card_id=middle.pk, by=admin, body="Yes", thread=thread)

    item = services.card_delete(card_id=middle.pk, by=editor)

    assert isinstance(item, TrashedItem)
    assert (item.kind, item.title, item.deleted_by, item.restored_at) == ("card", "Card 1", editor, None)
    assert not Card.objects.filter(pk=middle.pk).exists()
    assert ordered(Card.objects.filter(lane=lane, step=step)) == [cards[0].pk, cards[2].pk]
    journey.refresh_from_db()
    revision = journey.revision

    back = trash.trash_restore(item_id=item.pk, by=editor)

    assert back.pk == middle.pk
    assert ordered(Card.objects.filter(lane=lane, step=step)) == [c.pk for c in cards]
    restored = Card.objects.get(pk=middle.pk)
    assert (restored.text, restored.created_by, restored.version) == ("Card 1", admin, middle.version)
    # Its discussion comes back too, mentions included.
    assert list(Comment.objects.filter(card=restored).order_by("pk").values_list("pk", flat=True)) == [
        thread.pk,
        reply.pk,
    ]
    assert list(Comment.objects.get(pk=thread.pk).mentions.all()) == [admin]
    assert Comment.objects.get(pk=reply.pk).thread_id == thread.pk
    item.refresh_from_db()
    assert item.restored_at is not None
    journey.refresh_from_db()
    assert journey.revision == revision + 1
    line = Activity.objects.filter(journey=journey).first()
    assert (line.verb, line.actor, line.target_type, line.target_id) == (
        "restored",
        editor,
        "card",
        middle.pk,
    )
    assert_constraints_hold()


def test_undoing_a_step_brings_back_its_cards_at_its_old_position(journey, admin):
    stage = journey.stages.order_by("position").first()
    steps = list(stage.steps.order_by("position"))
    step = steps[0]
    card_ids = set(step.cards.values_list("pk", flat=True))
    assert card_ids
    item = services.step_delete(step_id=step.pk, by=admin)
    assert not Card.objects.filter(pk__in=card_ids).exists()
    trash.trash_restore(item_id=item.pk, by=admin)
    assert ordered(stage.steps) == [s.pk for s in steps]
    assert set(Step.objects.get(pk=step.pk).cards.values_list("pk", flat=True)) == card_ids
    assert positions_are_dense(journey)
    assert_constraints_hold()


def test_undoing_a_stage_brings_back_its_steps_and_cards(journey, admin):
    stages = list(journey.stages.order_by("position"))
    stage = stages[0]
    step_ids = ordered(stage.steps)
    card_ids = set(Card.objects.filter(step__stage=stage).values_list("pk", flat=True))
    item = services.stage_delete(stage_id=stage.pk, by=admin)
    assert item.payload["stages"][0]["id"] == stage.pk
    trash.trash_restore(item_id=item.pk, by=admin)
    assert ordered(journey.stages) == [s.pk for s in stages]
    assert ordered(Step.objects.filter(stage_id=stage.pk)) == step_ids
    assert set(Card.objects.filter(step__stage_id=stage.pk).values_list("pk", flat=True)) == card_ids
    assert positions_are_dense(journey)
    assert_constraints_hold()


def test_undoing_a_lane_brings_back_its_cards(journey, admin):
    lanes = list(journey.lanes.order_by("position"))
    lane = lanes[1]
    card_ids = set(lane.cards.values_list("pk", flat=True))
    item = services.lane_delete(lane_id=lane.pk, by=admin)
    trash.trash_restore(item_id=item.pk, by=admin)
    assert ordered(journey.lanes) == [x.pk for x in lanes]
    assert set(Lane.objects.get(pk=lane.pk).cards.values_list("pk", flat=True)) == card_ids
    assert_constraints_hold()


def test_a_stage_comes_back_at_its_old_position_clamped_to_the_end(journey, admin):
    extra = services.stage_create(journey_id=journey.pk, by=admin, title="Third")
    stages = ordered(journey.stages)
    assert stages[-1] == extra.pk
    item = services.stage_delete(stage_id=extra.pk, by=admin)  # was at position 2
    services.stage_delete(stage_id=stages[0], by=admin)
    trash.trash_restore(item_id=item.pk, by=admin)
    assert ordered(journey.stages) == [stages[1], extra.pk]  # only 1 sibling left: it goes last
    assert Stage.objects.get(pk=extra.pk).position == 1
    assert_constraints_hold()


def test_a_step_whose_stage_was_deleted_later_is_refused_naming_the_stage(journey, admin):
    stage = journey.stages.order_by("position").first()
    step = stage.steps.order_by("position").first()
    step_item = services.step_delete(step_id=step.pk, by=admin)
    stage_item = services.stage_delete(stage_id=stage.pk, by=admin)

    with pytest.raises(ValidationError) as error:
        trash.trash_restore(item_id=step_item.pk, by=admin)
    message = error.value.message_dict["item"][0]
    assert stage.title in message and "Put it back first" in message
    assert not Step.objects.filter(pk=step.pk).exists()
    step_item.refresh_from_db()
    assert step_item.restored_at is None

    # Undoing in reverse order works: the stage, then the step into it.
    trash.trash_restore(item_id=stage_item.pk, by=admin)
    trash.trash_restore(item_id=step_item.pk, by=admin)
    assert Step.objects.get(pk=step.pk).stage_id == stage.pk
    assert ordered(Step.objects.filter(stage=stage))[0] == step.pk
    assert_constraints_hold()


def test_a_card_whose_lane_was_deleted_later_is_refused_naming_the_lane(journey, admin, busy_cell):
    lane, _step, cards = busy_cell
    card_item = services.card_delete(card_id=cards[0].pk, by=admin)
    lane_item = services.lane_delete(lane_id=lane.pk, by=admin)
    with pytest.raises(ValidationError) as error:
        trash.trash_restore(item_id=card_item.pk, by=admin)
    assert lane.title in error.value.message_dict["item"][0]
    trash.trash_restore(item_id=lane_item.pk, by=admin)
    trash.trash_restore(item_id=card_item.pk, by=admin)
    assert ordered(Card.objects.filter(lane=lane, step=_step)) == [c.pk for c in cards]


def test_a_lane_whose_cards_sat_in_a_step_deleted_later_asks_for_that_step_first(journey, admin, busy_cell):
    lane, step, _cards = busy_cell
    lane_item = services.lane_delete(lane_id=lane.pk, by=admin)
    step_item = services.step_delete(step_id=step.pk, by=admin)
    with pytest.raises(ValidationError) as error:
        trash.trash_restore(item_id=lane_item.pk, by=admin)
    assert step.title in error.value.message_dict["item"][0]
    trash.trash_restore(item_id=step_item.pk, by=admin)
    trash.trash_restore(item_id=lane_item.pk, by=admin)
    assert Card.objects.filter(lane=lane, step=step).count() == 3


def test_cards_whose_other_parent_is_gone_for_good_are_left_out(journey, admin, editor, busy_cell):
    lane, step, cards = busy_cell
    other = Card.objects.filter(lane=lane).exclude(step=step).count()
    version = versioning.version_save(journey_id=journey.pk, by=admin, label="Without the step")
    lane_item = services.lane_delete(lane_id=lane.pk, by=admin)
    # The step is gone for good: deleted, and its trash item emptied since.
    services.step_delete(step_id=step.pk, by=admin)
    version.snapshot["steps"] = [s for s in version.snapshot["steps"] if s["id"] != step.pk]
    version.snapshot["cards"] = [c for c in version.snapshot["cards"] if c["step"] != step.pk]
    version.snapshot["lanes"] = [x for x in version.snapshot["lanes"] if x["id"] != lane.pk]
    version.snapshot["cards"] = [c for c in version.snapshot["cards"] if c["lane"] != lane.pk]
    version.save()
    TrashedItem.objects.filter(kind="step").delete()
    versioning.version_restore(version_id=version.pk, by=admin)
    trash.trash_restore(item_id=lane_item.pk, by=editor)
    assert Lane.objects.filter(pk=lane.pk).exists()
    assert Card.objects.filter(lane=lane).count() == other  # the three cards of the vanished step stay out
    assert not Card.objects.filter(pk__in=[c.pk for c in cards]).exists()
    assert_constraints_hold()


def test_an_item_goes_back_once(journey, admin):
    card = journey.cards.order_by("pk").first()
    item = services.card_delete(card_id=card.pk, by=admin)
    trash.trash_restore(item_id=item.pk, by=admin)
    with pytest.raises(ValidationError) as error:
        trash.trash_restore(item_id=item.pk, by=admin)
    assert "already put back" in error.value.message_dict["item"][0]
    assert Card.objects.filter(pk=card.pk).count() == 1


def test_items_a_version_restore_brought_back_leave_the_trash(journey, admin):
    card = journey.cards.order_by("pk").first()
    lane = journey.lanes.order_by("position").last()
    version = versioning.version_save(journey_id=journey.pk, by=admin, label="With the card")
    item = services.card_delete(card_id=card.pk, by=admin)
    lane_item = services.lane_delete(lane_id=lane.pk, by=admin)
    still_gone = services.card_delete(card_id=journey.cards.order_by("pk").first().pk, by=admin)
    version.snapshot["cards"] = [
        c for c in version.snapshot["cards"] if c["id"] != still_gone.payload["cards"][0]["id"]
    ]
    version.save()
    versioning.version_restore(version_id=version.pk, by=admin)
    assert [i.pk for i in trash.trash_list(journey=journey)] == [still_gone.pk]
    item.refresh_from_db()
    lane_item.refresh_from_db()
    assert item.restored_at is not None and lane_item.restored_at is not None
    with pytest.raises(ValidationError) as error:
        trash.trash_restore(item_id=item.pk, by=admin)
    assert "already put back" in error.value.message_dict["item"][0]
    assert Card.objects.filter(pk=card.pk).count() == 1


def test_an_element_back_on_the_map_by_other_means_is_not_duplicated(journey, admin):
    card = journey.cards.order_by("pk").first()
    item = services.card_delete(card_id=card.pk, by=admin)
    # Say an import brought the very same card back (same id) while the trash item stayed open.
    Card.objects.create(
        pk=card.pk, journey=journey, lane_id=card.lane_id, step_id=card.step_id, position=99, text=card.text
    )
    with pytest.raises(ValidationError) as error:
        trash.trash_restore(item_id=item.pk, by=admin)
    assert "on the map again" in error.value.message_dict["item"][0]
    assert Card.objects.filter(pk=card.pk).count() == 1


def test_viewer_cannot_undo_and_outsider_cannot_see(journey, admin, viewer, outsider):
    card = journey.cards.order_by("pk").first()
    item = services.card_delete(card_id=card.pk, by=admin)
    with pytest.raises(PermissionDenied):
        trash.trash_restore(item_id=item.pk, by=viewer)
    with pytest.raises(Http404):
        trash.trash_restore(item_id=item.pk, by=outsider)
    with pytest.raises(Http404):
        trash.trash_restore(item_id=987654, by=admin)
    assert not Card.objects.filter(pk=card.pk).exists()


def test_trash_list_shows_recent_unrestored_items_with_card_counts(journey, admin, django_assert_num_queries):
    stage = journey.stages.order_by("position").first()
    n_cards = Card.objects.filter(step__stage=stage).count()
    card_item = services.card_delete(card_id=journey.cards.exclude(step__stage=stage).first().pk, by=admin)
    stage_item = services.stage_delete(stage_id=stage.pk, by=admin)
    restored = services.lane_delete(lane_id=journey.lanes.order_by("position").last().pk, by=admin)
    trash.trash_restore(item_id=restored.pk, by=admin)
    with django_assert_num_queries(1):  # trashed items with their deleters and card counts
        items = list(trash.trash_list(journey=journey))
    assert [i.pk for i in items] == [stage_item.pk, card_item.pk]
    assert items[0].card_count == n_cards and items[0].deleted_by == admin
    assert items[1].card_count == 1  # a card item holds the card itself


def test_trash_list_query_count_does_not_grow(workspace, admin, django_assert_num_queries):
    big = factories.make_map(
        factories.make_journey(workspace, by=admin), stages=5, steps_per_stage=4, cards=500
    )
    for stage in list(big.stages.all()):
        services.stage_delete(stage_id=stage.pk, by=admin)
    with django_assert_num_queries(1):
        items = list(trash.trash_list(journey=big))
    assert len(items) == 5 and sum(i.card_count for i in items) == 500


def test_an_item_kept_before_the_generic_trash_still_goes_back_with_its_comments(journey, admin, editor):
    card = journey.cards.exclude(lane__kind="emotions").order_by("pk").first()
    comment = comments.comment_create(card_id=card.pk, by=admin, body="@bob look", mention_ids=[editor.pk])
    item = services.card_delete(card_id=card.pk, by=admin)
    # The payload as the first trash kept it: element lists, comments, (comment, user) mention pairs.
    item.payload = {
        "schema": 1,
        **{key: item.payload[key] for key in ("stages", "steps", "lanes", "cards")},
        "comments": item.payload["rows"]["journeys.Comment"],
        "mentions": [[comment.pk, editor.pk]],
    }
    item.save()
    trash.trash_restore(item_id=item.pk, by=admin)
    back = Comment.objects.get(pk=comment.pk)
    assert (back.card_id, back.body, list(back.mentions.all())) == (card.pk, "@bob look", [editor])
