"""Writes to journey maps. Each service checks permission, validates, runs in one transaction, records
who did it in the activity feed and bumps the journey's revision.

Concurrency: every write to a map locks its journey row first (SELECT … FOR UPDATE), so writes to one map
are serialised and positions are renumbered densely (0…n-1) without gaps or duplicates; the deferred
unique constraints on positions are the database's guarantee of the same. Each stage, step, lane and card
carries a `version`; a write that names a stale `expected_version` raises `Conflict` and changes nothing.
Renumbering siblings does not bump their version, so edits to different cards never conflict.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone

from accounts import access
from accounts.models import Membership, Team, User

from . import events
from .models import (
    EMOTION_MAX,
    EMOTION_MIN,
    Activity,
    Card,
    Journey,
    Lane,
    LaneKind,
    Stage,
    StandardStage,
    Step,
)


class Conflict(Exception):
    """A write named a stale version; `current` is the object as it is now (None when it was deleted)."""

    def __init__(self, current, message="This was changed by someone else since you loaded it."):
        super().__init__(message)
        self.current = current


@dataclass(frozen=True)
class Change:
    journey_id: int
    revision: int


DEFAULT_LANES = [
    ("Customer actions", LaneKind.ACTIONS),
    ("Touchpoints", LaneKind.TOUCHPOINTS),
    ("Thoughts", LaneKind.THOUGHTS),
    ("Emotions", LaneKind.EMOTIONS),
    ("Pain points", LaneKind.PAIN_POINTS),
    ("Opportunities", LaneKind.OPPORTUNITIES),
    ("Backstage", LaneKind.BACKSTAGE),
]

JOURNEY_FIELDS = (
    "title", "description", "persona", "state", "level", "parent", "owner", "tags", "visibility", "archived",
    "is_template",
)  # fmt: skip


# ---------------------------------------------------------------------------------------------- helpers


def _lock(journey_id: int, by: User, need: str = access.EDIT) -> Journey:
    """Lock the journey row for this write and check `by` holds `need` on it (404/403 otherwise)."""
    return access.journey_for(
        by, journey_id, need=need, queryset=Journey.objects.select_for_update(of=("self",))
    )


def _journey_id_of(model, pk) -> int:
    """The journey an element belongs to; 404 when there is no such element."""
    journey_id = model.objects.filter(pk=pk).values_list("journey_id", flat=True).first() if pk else None
    if journey_id is None:
        raise Http404(f"No such {model.__name__.lower()}.")
    return journey_id


def _check_version(obj, expected_version) -> None:
    if expected_version is None:
        return
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        raise ValidationError({"expected_version": "Must be an integer."}) from None
    if obj.version != expected:
        raise Conflict(obj)


def _record(journey: Journey, by: User, verb: str, target, summary: str) -> Change:
    """Bump the journey's revision, write the activity line and announce the change after commit."""
    now = timezone.now()
    Journey.objects.filter(pk=journey.pk).update(revision=F("revision") + 1, updated_at=now, updated_by=by)
    journey.refresh_from_db(fields=["revision", "updated_at", "updated_by"])
    target_type = type(target).__name__.lower() if target is not None else "journey"
    Activity.objects.create(
        journey=journey,
        actor=by,
        verb=verb,
        target_type=target_type,
        target_id=getattr(target, "pk", None),
        summary=summary[:300],
        revision=journey.revision,
        created_at=now,
    )
    payload = {
        "journey": journey.pk,
        "revision": journey.revision,
        "verb": verb,
        "target_type": target_type,
        "target_id": getattr(target, "pk", None),
        "actor": by.pk,
        "actor_name": by.display_name,
        "summary": summary[:300],
    }
    transaction.on_commit(lambda: events.publish_change(payload))
    transaction.on_commit(lambda: _queue_auto_version(journey.pk), robust=True)
    return Change(journey.pk, journey.revision)


def _queue_auto_version(journey_id: int) -> None:
    """After a committed change: the hourly automatic version, when one is due (journeys/versioning.py)."""
    from .versioning import version_auto_queue  # versioning builds on this module

    version_auto_queue(journey_id=journey_id)


def _trash(journey: Journey, by: User, kind: str, obj):
    """Keep an element about to be deleted, with what is under it, so the deletion can be undone."""
    from .trash import trash_put  # trash builds on this module

    return trash_put(journey=journey, by=by, kind=kind, obj=obj)


def _place(siblings: list, obj, position) -> None:
    """Put obj at `position` among siblings (already ordered, without obj) and renumber densely."""
    if position is None:
        position = len(siblings)
    try:
        position = int(position)
    except (TypeError, ValueError):
        raise ValidationError({"position": "Must be an integer."}) from None
    if position < 0:
        raise ValidationError({"position": "Must be 0 or more."})
    position = min(position, len(siblings))
    ordered = siblings[:position] + [obj] + siblings[position:]
    changed = []
    for index, item in enumerate(ordered):
        if item.position != index or item is obj:
            item.position = index
            if item is not obj:
                changed.append(item)
    if changed:
        type(obj).objects.bulk_update(changed, ["position"])


def _renumber(siblings: list) -> None:
    changed = []
    for index, item in enumerate(siblings):
        if item.position != index:
            item.position = index
            changed.append(item)
    if changed:
        type(siblings[0]).objects.bulk_update(changed, ["position"])


def _apply(obj, fields: dict, allowed: tuple) -> list[str]:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationError({name: "This field cannot be changed here." for name in sorted(unknown)})
    changed = []
    for name, value in fields.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed.append(name)
    return changed


def _save_version(obj, changed: list[str]) -> None:
    obj.full_clean()
    obj.version += 1
    obj.save(update_fields=[*changed, "version"])


def _ref(model, pk, journey: Journey, field: str):
    """Fetch an element of this journey by id (locked), or a validation error naming the field."""
    if isinstance(pk, model):
        pk = pk.pk
    obj = model.objects.select_for_update().filter(pk=pk, journey_id=journey.pk).first() if pk else None
    if obj is None:
        raise ValidationError({field: f"No {model.__name__.lower()} {pk} in this journey."})
    return obj


# ---------------------------------------------------------------------------------------------- journeys


@transaction.atomic
def journey_create(
    *,
    workspace,
    by: User,
    title: str,
    owner: User | None = None,
    from_framework: bool = False,
    with_default_lanes: bool | None = None,
    **fields,
) -> Journey:
    """Create a journey, blank or with the standard stage framework (one stage per standard stage)."""
    role = access.role_in(by, workspace.pk)
    if role is None:
        raise Http404("No such workspace.")
    if not access.can_create_journeys(role):
        raise PermissionDenied("Viewers cannot create journeys.")
    unknown = set(fields) - set(JOURNEY_FIELDS)
    if unknown:
        raise ValidationError({name: "Unknown field." for name in sorted(unknown)})
    journey = Journey(
        workspace=workspace, title=(title or "").strip(), owner=owner or by, updated_by=by, **fields
    )
    journey.full_clean()
    journey.save()
    if from_framework:
        for index, key in enumerate(StandardStage):
            stage = Stage.objects.create(
                journey=journey, position=index, title=key.label, standard_stage=key.value
            )
            Step.objects.create(journey=journey, stage=stage, position=0, title=key.label)
    if with_default_lanes if with_default_lanes is not None else from_framework:
        for index, (lane_title, kind) in enumerate(DEFAULT_LANES):
            Lane.objects.create(journey=journey, position=index, title=lane_title, kind=kind)
    Activity.objects.create(
        journey=journey,
        actor=by,
        verb="created",
        target_type="journey",
        target_id=journey.pk,
        summary=f"created the journey “{journey.title}”",
        revision=journey.revision,
    )
    return journey


@transaction.atomic
def journey_update(*, journey_id: int, by: User, expected_version=None, **fields) -> Journey:
    """Change a journey's own fields (title, owner, parent, visibility…)."""
    # Offering a journey as a workspace template is the manager's call, like its audience and owner.
    need = access.MANAGE if {"visibility", "owner", "is_template"} & set(fields) else access.EDIT
    journey = _lock(journey_id, by, need)
    _check_version(journey, expected_version)
    changed = _apply(journey, fields, JOURNEY_FIELDS)
    if not changed:
        return journey
    journey.full_clean()
    journey.version += 1
    journey.save(update_fields=[*changed, "version"])
    _record(journey, by, "updated", journey, f"changed {', '.join(changed)} of the journey")
    return journey


@transaction.atomic
def journey_delete(*, journey_id: int, by: User, expected_version=None) -> None:
    """Delete a journey and its map (manage right); children keep existing without a parent."""
    journey = _lock(journey_id, by, access.MANAGE)
    _check_version(journey, expected_version)
    journey.delete()


@transaction.atomic
def journey_grant_set(*, journey_id: int, by: User, grantee: User | Team, level: str) -> None:
    """Grant a member or team view, edit or manage on the journey (manage right needed)."""
    journey = _lock(journey_id, by, access.MANAGE)
    if level not in access.LEVELS:
        raise ValidationError({"level": f"Level must be one of {', '.join(access.LEVELS)}."})
    if isinstance(grantee, Team):
        if grantee.workspace_id != journey.workspace_id:
            raise ValidationError({"team": "The team belongs to another workspace."})
    elif not Membership.objects.filter(workspace_id=journey.workspace_id, user=grantee).exists():
        raise ValidationError({"user": "Only members of the workspace can be granted access."})
    access.grant_set(journey=journey, grantee=grantee, level=level)
    _record(journey, by, "granted", None, f"granted {level} to {grantee}")


@transaction.atomic
def journey_grant_remove(*, journey_id: int, by: User, grantee: User | Team) -> None:
    """Remove a member's or team's grant on the journey."""
    journey = _lock(journey_id, by, access.MANAGE)
    access.grant_remove(journey=journey, grantee=grantee)
    _record(journey, by, "revoked", None, f"removed the access of {grantee}")


# ---------------------------------------------------------------------------------------------- stages


@transaction.atomic
def stage_create(
    *, journey_id: int, by: User, title: str, position=None, standard_stage: str = "", description: str = ""
) -> Stage:
    """Add a stage (column group) at a position; it starts with one empty step."""
    journey = _lock(journey_id, by)
    stage = Stage(
        journey=journey,
        position=0,
        title=(title or "").strip(),
        standard_stage=standard_stage,
        description=description,
    )
    siblings = list(journey.stages.select_for_update().order_by("position"))
    _place(siblings, stage, position)
    stage.full_clean(exclude=["position"])
    stage.save()
    Step.objects.create(journey=journey, stage=stage, position=0, title="New step")
    _record(journey, by, "added", stage, f"added stage “{stage.title}”")
    return stage


@transaction.atomic
def stage_update(*, stage_id: int, by: User, expected_version=None, **fields) -> Stage:
    """Rename or re-describe a stage, or map it to a standard stage."""
    journey = _lock(_journey_id_of(Stage, stage_id), by)
    stage = Stage.objects.select_for_update().get(pk=stage_id)
    _check_version(stage, expected_version)
    changed = _apply(stage, fields, ("title", "description", "standard_stage"))
    if changed:
        _save_version(stage, changed)
        _record(journey, by, "changed", stage, f"changed stage “{stage.title}”")
    return stage


@transaction.atomic
def stage_move(*, stage_id: int, by: User, position, expected_version=None) -> Stage:
    """Reorder a stage among the journey's stages."""
    journey = _lock(_journey_id_of(Stage, stage_id), by)
    stage = Stage.objects.select_for_update().get(pk=stage_id)
    _check_version(stage, expected_version)
    siblings = [s for s in journey.stages.select_for_update().order_by("position") if s.pk != stage.pk]
    _place(siblings, stage, position)
    stage.version += 1
    stage.save(update_fields=["position", "version"])
    _record(journey, by, "moved", stage, f"moved stage “{stage.title}” to position {stage.position + 1}")
    return stage


@transaction.atomic
def stage_delete(*, stage_id: int, by: User, expected_version=None):
    """Delete a stage with its steps and their cards; returns the TrashedItem that can undo it."""
    journey = _lock(_journey_id_of(Stage, stage_id), by)
    stage = Stage.objects.select_for_update().get(pk=stage_id)
    _check_version(stage, expected_version)
    title = stage.title
    item = _trash(journey, by, "stage", stage)
    stage.delete()
    remaining = list(journey.stages.select_for_update().order_by("position"))
    if remaining:
        _renumber(remaining)
    _record(journey, by, "deleted", None, f"deleted stage “{title}”")
    return item


# ---------------------------------------------------------------------------------------------- steps


@transaction.atomic
def step_create(
    *, stage_id: int, by: User, title: str, position=None, description: str = "", sub_journey=None
) -> Step:
    """Add a step to a stage at a position."""
    journey = _lock(_journey_id_of(Stage, stage_id), by)
    stage = Stage.objects.get(pk=stage_id)
    step = Step(
        journey=journey,
        stage=stage,
        position=0,
        title=(title or "").strip(),
        description=description,
        sub_journey=sub_journey,
    )
    siblings = list(stage.steps.select_for_update().order_by("position"))
    _place(siblings, step, position)
    step.full_clean(exclude=["position"])
    step.save()
    _record(journey, by, "added", step, f"added step “{step.title}” to “{stage.title}”")
    return step


@transaction.atomic
def step_update(*, step_id: int, by: User, expected_version=None, **fields) -> Step:
    """Rename a step, change its description or its link to a sub-journey."""
    journey = _lock(_journey_id_of(Step, step_id), by)
    step = Step.objects.select_for_update().get(pk=step_id)
    _check_version(step, expected_version)
    changed = _apply(step, fields, ("title", "description", "sub_journey"))
    if changed:
        _save_version(step, changed)
        _record(journey, by, "changed", step, f"changed step “{step.title}”")
    return step


@transaction.atomic
def step_move(*, step_id: int, by: User, position, to_stage=None, expected_version=None) -> Step:
    """Reorder a step within its stage or move it to another stage of the same journey."""
    journey = _lock(_journey_id_of(Step, step_id), by)
    step = Step.objects.select_for_update().get(pk=step_id)
    _check_version(step, expected_version)
    old_stage_id = step.stage_id
    target = _ref(Stage, to_stage, journey, "to_stage") if to_stage is not None else step.stage
    siblings = [s for s in target.steps.select_for_update().order_by("position") if s.pk != step.pk]
    step.stage = target
    _place(siblings, step, position)
    step.version += 1
    step.save(update_fields=["stage", "position", "version"])
    if old_stage_id != target.pk:
        left = list(Step.objects.select_for_update().filter(stage_id=old_stage_id).order_by("position"))
        if left:
            _renumber(left)
    _record(journey, by, "moved", step, f"moved step “{step.title}”")
    return step


@transaction.atomic
def step_delete(*, step_id: int, by: User, expected_version=None):
    """Delete a step and its cards; returns the TrashedItem that can undo it."""
    journey = _lock(_journey_id_of(Step, step_id), by)
    step = Step.objects.select_for_update().get(pk=step_id)
    _check_version(step, expected_version)
    title, stage_id = step.title, step.stage_id
    item = _trash(journey, by, "step", step)
    step.delete()
    left = list(Step.objects.select_for_update().filter(stage_id=stage_id).order_by("position"))
    if left:
        _renumber(left)
    _record(journey, by, "deleted", None, f"deleted step “{title}”")
    return item


# ---------------------------------------------------------------------------------------------- lanes


@transaction.atomic
def lane_create(*, journey_id: int, by: User, title: str, kind: str = LaneKind.TEXT, position=None) -> Lane:
    """Add a lane (row) of a kind at a position."""
    journey = _lock(journey_id, by)
    lane = Lane(journey=journey, position=0, title=(title or "").strip(), kind=kind)
    siblings = list(journey.lanes.select_for_update().order_by("position"))
    _place(siblings, lane, position)
    lane.full_clean(exclude=["position"])
    lane.save()
    _record(journey, by, "added", lane, f"added lane “{lane.title}”")
    return lane


@transaction.atomic
def lane_update(*, lane_id: int, by: User, expected_version=None, **fields) -> Lane:
    """Rename a lane or change its kind."""
    journey = _lock(_journey_id_of(Lane, lane_id), by)
    lane = Lane.objects.select_for_update().get(pk=lane_id)
    _check_version(lane, expected_version)
    changed = _apply(lane, fields, ("title", "kind"))
    if changed:
        _save_version(lane, changed)
        _record(journey, by, "changed", lane, f"changed lane “{lane.title}”")
    return lane


@transaction.atomic
def lane_move(*, lane_id: int, by: User, position, expected_version=None) -> Lane:
    """Reorder a lane."""
    journey = _lock(_journey_id_of(Lane, lane_id), by)
    lane = Lane.objects.select_for_update().get(pk=lane_id)
    _check_version(lane, expected_version)
    siblings = [item for item in journey.lanes.select_for_update().order_by("position") if item.pk != lane.pk]
    _place(siblings, lane, position)
    lane.version += 1
    lane.save(update_fields=["position", "version"])
    _record(journey, by, "moved", lane, f"moved lane “{lane.title}”")
    return lane


@transaction.atomic
def lane_delete(*, lane_id: int, by: User, expected_version=None):
    """Delete a lane and its cards; returns the TrashedItem that can undo it."""
    journey = _lock(_journey_id_of(Lane, lane_id), by)
    lane = Lane.objects.select_for_update().get(pk=lane_id)
    _check_version(lane, expected_version)
    title = lane.title
    item = _trash(journey, by, "lane", lane)
    lane.delete()
    left = list(journey.lanes.select_for_update().order_by("position"))
    if left:
        _renumber(left)
    _record(journey, by, "deleted", None, f"deleted lane “{title}”")
    return item


# ---------------------------------------------------------------------------------------------- cards


def _check_card_fields(card: Card) -> None:
    if card.emotion_score is not None and not (EMOTION_MIN <= card.emotion_score <= EMOTION_MAX):
        raise ValidationError({"emotion_score": f"Must be between {EMOTION_MIN} and +{EMOTION_MAX}."})


@transaction.atomic
def card_create(*, lane_id: int, step_id: int, by: User, text: str, position=None, **fields) -> Card:
    """Add a card to a lane × step cell at a position."""
    journey_id = Lane.objects.filter(pk=lane_id).values_list("journey_id", flat=True).first()
    if journey_id is None:
        raise ValidationError({"lane": f"No lane {lane_id}."})
    journey = _lock(journey_id, by)
    lane = _ref(Lane, lane_id, journey, "lane")
    step = _ref(Step, step_id, journey, "step")
    unknown = set(fields) - {"note", "emotion_score", "channel"}
    if unknown:
        raise ValidationError({name: "Unknown field." for name in sorted(unknown)})
    card = Card(
        journey=journey, lane=lane, step=step, position=0, text=(text or "").strip(), created_by=by, **fields
    )
    _check_card_fields(card)
    card.full_clean(exclude=["position"])
    siblings = list(Card.objects.select_for_update().filter(lane=lane, step=step).order_by("position"))
    _place(siblings, card, position)
    card.save()
    _record(journey, by, "added", card, f"added a card to “{lane.title}” at “{step.title}”: {card.text[:80]}")
    return card


@transaction.atomic
def card_update(*, card_id: int, by: User, expected_version=None, **fields) -> Card:
    """Edit a card's text, note, emotion score or channel."""
    journey = _lock(_journey_id_of(Card, card_id), by)
    card = Card.objects.select_for_update().get(pk=card_id)
    _check_version(card, expected_version)
    if "text" in fields:
        fields["text"] = (fields["text"] or "").strip()
    changed = _apply(card, fields, ("text", "note", "emotion_score", "channel"))
    if changed:
        _check_card_fields(card)
        card.updated_at = timezone.now()
        _save_version(card, [*changed, "updated_at"])
        _record(journey, by, "changed", card, f"edited a card: {card.text[:80]}")
    return card


@transaction.atomic
def card_move(
    *, card_id: int, by: User, position=None, to_lane=None, to_step=None, expected_version=None
) -> Card:
    """Move a card within its cell or to another lane × step cell of the same journey."""
    journey = _lock(_journey_id_of(Card, card_id), by)
    card = Card.objects.select_for_update().get(pk=card_id)
    _check_version(card, expected_version)
    old_cell = (card.lane_id, card.step_id)
    lane = _ref(Lane, to_lane, journey, "to_lane") if to_lane is not None else card.lane
    step = _ref(Step, to_step, journey, "to_step") if to_step is not None else card.step
    siblings = [
        c
        for c in Card.objects.select_for_update().filter(lane=lane, step=step).order_by("position")
        if c.pk != card.pk
    ]
    card.lane, card.step = lane, step
    _place(siblings, card, position)
    card.version += 1
    card.save(update_fields=["lane", "step", "position", "version"])
    if old_cell != (lane.pk, step.pk):
        left = list(
            Card.objects.select_for_update()
            .filter(lane_id=old_cell[0], step_id=old_cell[1])
            .order_by("position")
        )
        if left:
            _renumber(left)
    _record(journey, by, "moved", card, f"moved a card to “{lane.title}” at “{step.title}”: {card.text[:60]}")
    return card


@transaction.atomic
def card_delete(*, card_id: int, by: User, expected_version=None):
    """Delete a card; returns the TrashedItem that can undo it."""
    journey = _lock(_journey_id_of(Card, card_id), by)
    card = Card.objects.select_for_update().get(pk=card_id)
    _check_version(card, expected_version)
    cell, text = (card.lane_id, card.step_id), card.text
    item = _trash(journey, by, "card", card)
    card.delete()
    left = list(
        Card.objects.select_for_update().filter(lane_id=cell[0], step_id=cell[1]).order_by("position")
    )
    if left:
        _renumber(left)
    _record(journey, by, "deleted", None, f"deleted a card: {text[:80]}")
    return item
