"""Writes to a map's elements: stages, steps, lanes and cards (create, update, move, delete).

Like every write (journeys/services/changes.py): keyword-only, one transaction, the journey locked and
access checked once, stale `expected_version` refused with Conflict, the change recorded. Deleted
elements go to the trash (journeys/services/trash.py) with what is under them, so a delete can be undone.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from core.text import shorten

from ..models import EMOTION_MAX, EMOTION_MIN, Card, Comment, Journey, Lane, LaneKind, Stage, Step
from .changes import (
    apply_fields,
    check_version,
    element_of,
    lock_journey,
    lock_journey_of,
    locked,
    place,
    record_change,
    renumber,
    save_versioned,
    validate,
)
from .trash import trash_put


def _trash(journey: Journey, by: User, kind: str, obj):
    """Keep an element about to be deleted, with what is under it, so the deletion can be undone."""
    return trash_put(journey=journey, by=by, kind=kind, obj=obj)


# ---------------------------------------------------------------------------------------------- stages


@transaction.atomic
def stage_create(
    *, journey_id: int, by: User, title: str, position=None, standard_stage: str = "", description: str = ""
) -> Stage:
    """Add a stage (column group) at a position; it starts with one empty step."""
    journey = lock_journey(journey_id, by)
    stage = Stage(
        journey=journey,
        position=0,
        title=(title or "").strip(),
        standard_stage=standard_stage,
        description=description,
    )
    siblings = list(journey.stages.select_for_update().order_by("position"))
    place(siblings, stage, position)
    validate(stage, checked=("position", "journey"))
    stage.save()
    Step.objects.create(journey=journey, stage=stage, position=0, title="New step")
    record_change(journey, by, "added", stage, f"added stage “{stage.title}”")
    return stage


@transaction.atomic
def stage_update(*, stage_id: int, by: User, expected_version=None, **fields) -> Stage:
    """Rename or re-describe a stage, or map it to a standard stage."""
    journey = lock_journey_of(Stage, stage_id, by)
    stage = locked(Stage, stage_id, journey)
    check_version(stage, expected_version)
    changed = apply_fields(stage, fields, ("title", "description", "standard_stage"))
    if changed:
        save_versioned(stage, changed)
        record_change(journey, by, "changed", stage, f"changed stage “{stage.title}”")
    return stage


@transaction.atomic
def stage_move(*, stage_id: int, by: User, position, expected_version=None) -> Stage:
    """Reorder a stage among the journey's stages."""
    journey = lock_journey_of(Stage, stage_id, by)
    stage = locked(Stage, stage_id, journey)
    check_version(stage, expected_version)
    siblings = [s for s in journey.stages.select_for_update().order_by("position") if s.pk != stage.pk]
    place(siblings, stage, position)
    stage.version += 1
    stage.save(update_fields=["position", "version"])
    record_change(
        journey, by, "moved", stage, f"moved stage “{stage.title}” to position {stage.position + 1}"
    )
    return stage


@transaction.atomic
def stage_delete(*, stage_id: int, by: User, expected_version=None):
    """Delete a stage with its steps and their cards; returns the TrashedItem that can undo it."""
    journey = lock_journey_of(Stage, stage_id, by)
    stage = locked(Stage, stage_id, journey)
    check_version(stage, expected_version)
    title = stage.title
    item = _trash(journey, by, "stage", stage)
    stage.delete()
    remaining = list(journey.stages.select_for_update().order_by("position"))
    if remaining:
        renumber(remaining)
    record_change(journey, by, "deleted", None, f"deleted stage “{title}”")
    return item


# ---------------------------------------------------------------------------------------------- steps


@transaction.atomic
def step_create(
    *, stage_id: int, by: User, title: str, position=None, description: str = "", sub_journey=None
) -> Step:
    """Add a step to a stage at a position."""
    journey = lock_journey_of(Stage, stage_id, by)
    stage = locked(Stage, stage_id, journey)
    step = Step(
        journey=journey,
        stage=stage,
        position=0,
        title=(title or "").strip(),
        description=description,
        sub_journey=sub_journey,
    )
    siblings = list(stage.steps.select_for_update().order_by("position"))
    place(siblings, step, position)
    validate(step, checked=("position", "journey", "stage"))
    step.save()
    record_change(journey, by, "added", step, f"added step “{step.title}” to “{stage.title}”")
    return step


@transaction.atomic
def step_update(*, step_id: int, by: User, expected_version=None, **fields) -> Step:
    """Rename a step, change its description or its link to a sub-journey."""
    journey = lock_journey_of(Step, step_id, by)
    step = locked(Step, step_id, journey, related=("stage", "sub_journey"))
    check_version(step, expected_version)
    changed = apply_fields(step, fields, ("title", "description", "sub_journey"))
    if changed:
        save_versioned(step, changed)
        record_change(journey, by, "changed", step, f"changed step “{step.title}”")
    return step


@transaction.atomic
def step_move(*, step_id: int, by: User, position, to_stage=None, expected_version=None) -> Step:
    """Reorder a step within its stage or move it to another stage of the same journey."""
    journey = lock_journey_of(Step, step_id, by)
    step = locked(Step, step_id, journey, related=("stage", "sub_journey"))
    check_version(step, expected_version)
    old_stage_id = step.stage_id
    target = element_of(Stage, to_stage, journey, "to_stage") if to_stage is not None else step.stage
    siblings = [s for s in target.steps.select_for_update().order_by("position") if s.pk != step.pk]
    step.stage = target
    place(siblings, step, position)
    step.version += 1
    step.save(update_fields=["stage", "position", "version"])
    if old_stage_id != target.pk:
        left = list(Step.objects.select_for_update().filter(stage_id=old_stage_id).order_by("position"))
        if left:
            renumber(left)
    record_change(journey, by, "moved", step, f"moved step “{step.title}”")
    return step


@transaction.atomic
def step_delete(*, step_id: int, by: User, expected_version=None):
    """Delete a step and its cards; returns the TrashedItem that can undo it."""
    journey = lock_journey_of(Step, step_id, by)
    step = locked(Step, step_id, journey, related=("stage", "sub_journey"))
    check_version(step, expected_version)
    title, stage_id = step.title, step.stage_id
    item = _trash(journey, by, "step", step)
    step.delete()
    left = list(Step.objects.select_for_update().filter(stage_id=stage_id).order_by("position"))
    if left:
        renumber(left)
    record_change(journey, by, "deleted", None, f"deleted step “{title}”")
    return item


# ---------------------------------------------------------------------------------------------- lanes


@transaction.atomic
def lane_create(*, journey_id: int, by: User, title: str, kind: str = LaneKind.TEXT, position=None) -> Lane:
    """Add a lane (row) of a kind at a position."""
    journey = lock_journey(journey_id, by)
    lane = Lane(journey=journey, position=0, title=(title or "").strip(), kind=kind)
    siblings = list(journey.lanes.select_for_update().order_by("position"))
    place(siblings, lane, position)
    validate(lane, checked=("position", "journey"))
    lane.save()
    record_change(journey, by, "added", lane, f"added lane “{lane.title}”")
    return lane


@transaction.atomic
def lane_update(*, lane_id: int, by: User, expected_version=None, **fields) -> Lane:
    """Rename a lane or change its kind."""
    journey = lock_journey_of(Lane, lane_id, by)
    lane = locked(Lane, lane_id, journey)
    check_version(lane, expected_version)
    changed = apply_fields(lane, fields, ("title", "kind"))
    if changed:
        save_versioned(lane, changed)
        record_change(journey, by, "changed", lane, f"changed lane “{lane.title}”")
    return lane


@transaction.atomic
def lane_move(*, lane_id: int, by: User, position, expected_version=None) -> Lane:
    """Reorder a lane."""
    journey = lock_journey_of(Lane, lane_id, by)
    lane = locked(Lane, lane_id, journey)
    check_version(lane, expected_version)
    siblings = [item for item in journey.lanes.select_for_update().order_by("position") if item.pk != lane.pk]
    place(siblings, lane, position)
    lane.version += 1
    lane.save(update_fields=["position", "version"])
    record_change(journey, by, "moved", lane, f"moved lane “{lane.title}”")
    return lane


@transaction.atomic
def lane_delete(*, lane_id: int, by: User, expected_version=None):
    """Delete a lane and its cards; returns the TrashedItem that can undo it."""
    journey = lock_journey_of(Lane, lane_id, by)
    lane = locked(Lane, lane_id, journey)
    check_version(lane, expected_version)
    title = lane.title
    item = _trash(journey, by, "lane", lane)
    lane.delete()
    left = list(journey.lanes.select_for_update().order_by("position"))
    if left:
        renumber(left)
    record_change(journey, by, "deleted", None, f"deleted lane “{title}”")
    return item


# ---------------------------------------------------------------------------------------------- cards


def _check_card_fields(card: Card) -> None:
    if card.emotion_score is not None and not (EMOTION_MIN <= card.emotion_score <= EMOTION_MAX):
        raise ValidationError({"emotion_score": f"Must be between {EMOTION_MIN} and +{EMOTION_MAX}."})


@transaction.atomic
def card_create(
    *, lane_id: int, step_id: int, by: User, text: str, position=None, journey_id: int | None = None, **fields
) -> Card:
    """Add a card to a lane × step cell at a position. With `journey_id` (the API's /journeys/<id>/cards/)
    the lane and step must be of that journey (ValidationError on `lane`/`step` otherwise)."""
    if journey_id is not None:
        journey = lock_journey(journey_id, by)
    else:
        try:
            journey = lock_journey_of(Lane, lane_id, by)
        except Http404:
            if Lane.objects.filter(pk=lane_id).exists():
                raise
            raise ValidationError({"lane": f"No lane {lane_id}."}) from None
    lane = element_of(Lane, lane_id, journey, "lane")
    step = element_of(Step, step_id, journey, "step")
    unknown = set(fields) - {"note", "emotion_score", "channel"}
    if unknown:
        raise ValidationError({name: "Unknown field." for name in sorted(unknown)})
    card = Card(
        journey=journey, lane=lane, step=step, position=0, text=(text or "").strip(), created_by=by, **fields
    )
    _check_card_fields(card)
    validate(card, checked=("position", "journey", "lane", "step", "created_by"))
    siblings = list(Card.objects.select_for_update().filter(lane=lane, step=step).order_by("position"))
    place(siblings, card, position)
    card.save()
    record_change(
        journey,
        by,
        "added",
        card,
        f"added a card to “{lane.title}” at “{step.title}”: {shorten(card.text, 80)}",
        cells=[(lane.pk, step.pk)],
    )
    return card


@transaction.atomic
def card_update(*, card_id: int, by: User, expected_version=None, **fields) -> Card:
    """Edit a card's text, note, emotion score or channel. The card's `journey` is the locked journey,
    with its new revision."""
    journey = lock_journey_of(Card, card_id, by)
    # its comment counts in the same read: the editor answers with the card and its badge (no query more)
    card = locked(Card, card_id, journey, related=("lane", "step"), annotate=_comment_counts())
    check_version(card, expected_version)
    if "text" in fields:
        fields["text"] = (fields["text"] or "").strip()
    changed = apply_fields(card, fields, ("text", "note", "emotion_score", "channel"))
    if changed:
        _check_card_fields(card)
        card.updated_at = timezone.now()
        save_versioned(card, [*changed, "updated_at"])
        summary = f"edited a card: {shorten(card.text, 80)}"
        record_change(journey, by, "changed", card, summary, cells=[(card.lane_id, card.step_id)])
    return card


def _comment_counts() -> dict:
    """A card's comments and open (unresolved) threads as scalar subqueries (`comment_count`,
    `open_comment_count`, as selectors.COMMENT_COUNTS names them): a locked read (FOR UPDATE) cannot
    GROUP BY."""
    comments = Comment.objects.filter(card_id=OuterRef("pk")).order_by().values("card_id")

    def count(qs):
        return Coalesce(Subquery(qs.annotate(n=Count("pk")).values("n")), 0)

    return {
        "comment_count": count(comments),
        "open_comment_count": count(comments.filter(thread__isnull=True, resolved_at__isnull=True)),
    }


def _same(pk, current_id: int) -> bool:
    """Whether a move's `to_lane`/`to_step` (an id, an instance or None) names the card's own lane/step."""
    return pk is None or getattr(pk, "pk", pk) == current_id


@transaction.atomic
def card_move(
    *, card_id: int, by: User, position=None, to_lane=None, to_step=None, expected_version=None
) -> Card:
    """Move a card within its cell or to another lane × step cell of the same journey. The card's
    `moved_from` is the (lane id, step id) of the cell it left (its own cell when it moved within it)."""
    journey = lock_journey_of(Card, card_id, by)
    card = locked(Card, card_id, journey, related=("lane", "step"))
    check_version(card, expected_version)
    old_cell, old_position = (card.lane_id, card.step_id), card.position
    # the card's own lane or step (read with it) needs no second look-up
    lane = card.lane if _same(to_lane, card.lane_id) else element_of(Lane, to_lane, journey, "to_lane")
    step = card.step if _same(to_step, card.step_id) else element_of(Step, to_step, journey, "to_step")
    siblings = [
        c
        for c in Card.objects.select_for_update().filter(lane=lane, step=step).order_by("position")
        if c.pk != card.pk
    ]
    card.lane, card.step = lane, step
    place(siblings, card, position)
    card.version += 1
    card.save(update_fields=["lane", "step", "position", "version"])
    if old_cell != (lane.pk, step.pk):
        # the cards after it in the cell it left close the gap: positions stay dense (0…n-1) under the lock
        left = Card.objects.filter(lane_id=old_cell[0], step_id=old_cell[1], position__gt=old_position)
        left.update(position=F("position") - 1)
    record_change(
        journey,
        by,
        "moved",
        card,
        f"moved a card to “{lane.title}” at “{step.title}”: {shorten(card.text, 60)}",
        cells=[old_cell, (lane.pk, step.pk)],
    )
    card.moved_from = old_cell
    return card


@transaction.atomic
def card_delete(*, card_id: int, by: User, expected_version=None):
    """Delete a card; returns the TrashedItem that can undo it."""
    journey = lock_journey_of(Card, card_id, by)
    card = locked(Card, card_id, journey)
    check_version(card, expected_version)
    cell, text = (card.lane_id, card.step_id), card.text
    item = _trash(journey, by, "card", card)
    card.delete()
    left = list(
        Card.objects.select_for_update().filter(lane_id=cell[0], step_id=cell[1]).order_by("position")
    )
    if left:
        renumber(left)
    record_change(journey, by, "deleted", None, f"deleted a card: {shorten(text, 80)}", cells=[cell])
    return item
