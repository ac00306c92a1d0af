"""Writes to journeys themselves: create, change their own fields, delete, and per-journey grants.

Like every write (journeys/services/changes.py): keyword-only, one transaction, the journey locked and
access checked once, the change recorded.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404

from accounts.models import Membership, Team, User

from .. import access
from ..models import Journey, Lane, LaneKind, Stage, StandardStage, Step
from .changes import apply_fields, check_version, lock_journey, note_activity, record_change

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
    note_activity(journey, by, "created", journey, f"created the journey “{journey.title}”")
    return journey


@transaction.atomic
def journey_update(*, journey_id: int, by: User, expected_version=None, **fields) -> Journey:
    """Change a journey's own fields (title, owner, parent, visibility…)."""
    # Offering a journey as a workspace template is the manager's call, like its audience and owner.
    need = access.MANAGE if {"visibility", "owner", "is_template"} & set(fields) else access.EDIT
    journey = lock_journey(journey_id, by, need)
    check_version(journey, expected_version)
    changed = apply_fields(journey, fields, JOURNEY_FIELDS)
    if not changed:
        return journey
    journey.full_clean()
    journey.version += 1
    journey.save(update_fields=[*changed, "version"])
    record_change(journey, by, "updated", journey, f"changed {', '.join(changed)} of the journey")
    return journey


@transaction.atomic
def journey_delete(*, journey_id: int, by: User, expected_version=None) -> None:
    """Delete a journey and its map (manage right); children keep existing without a parent."""
    journey = lock_journey(journey_id, by, access.MANAGE)
    check_version(journey, expected_version)
    journey.delete()


def _check_grantee(journey, grantee: User | Team) -> None:
    # Someone (or a team) of another workspace is refused in the words used for an unknown id: a grant
    # never confirms, names or records people outside the workspace.
    if isinstance(grantee, Team):
        if grantee.workspace_id != journey.workspace_id:
            raise ValidationError({"team": "Choose a team of this workspace."})
    elif not Membership.objects.filter(workspace_id=journey.workspace_id, user=grantee).exists():
        raise ValidationError({"user": "Choose a member of this workspace."})


@transaction.atomic
def journey_grant_set(*, journey_id: int, by: User, grantee: User | Team, level: str) -> None:
    """Grant a member or team view, edit or manage on the journey (manage right needed)."""
    journey = lock_journey(journey_id, by, access.MANAGE)
    if level not in access.LEVELS:
        raise ValidationError({"level": f"Level must be one of {', '.join(access.LEVELS)}."})
    _check_grantee(journey, grantee)
    access.grant_set(journey=journey, grantee=grantee, level=level)
    record_change(journey, by, "granted", None, f"granted {level} to {grantee}")


@transaction.atomic
def journey_grant_remove(*, journey_id: int, by: User, grantee: User | Team) -> None:
    """Remove a member's or team's grant on the journey."""
    journey = lock_journey(journey_id, by, access.MANAGE)
    _check_grantee(journey, grantee)
    access.grant_remove(journey=journey, grantee=grantee)
    record_change(journey, by, "revoked", None, f"removed the access of {grantee}")
