"""Studies: create, update, delete. A study's evidence goes with it (through evidence.py, which records
on every journey it was linked to that the links went)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, User

from .. import access
from ..models import Evidence, ResearchTrash, Study
from .base import apply_fields, check_version, save_versioned
from .evidence import evidence_remove
from .tags import clean_names, tags_resolve
from .trash import research_trash_keep

STUDY_FIELDS = (
    "title", "method", "started_on", "ended_on", "participants", "segment", "owner", "summary",
    "external_link", "tags",
)  # fmt: skip


def _owner(workspace_id: int, owner_id):
    if owner_id is None:
        return None
    member = Membership.objects.filter(workspace_id=workspace_id, user_id=owner_id).select_related("user")
    membership = member.first()
    if membership is None:
        raise ValidationError({"owner": f"No member {owner_id} in this workspace."})
    return membership.user


@transaction.atomic
def study_create(
    *,
    workspace_id: int,
    by: User,
    title: str,
    method: str,
    started_on=None,
    ended_on=None,
    participants: int | None = None,
    segment: str = "",
    owner: int | None = None,
    summary: str = "",
    external_link: str = "",
    tags=(),
) -> Study:
    """Add a study to a workspace (editors and admins). `owner` is a member's user id (default: `by`);
    `tags` a list of tag names (made when new). Raises ValidationError by field."""
    access.workspace_for(by, workspace_id, need=access.WRITE)
    names = clean_names(tags)
    now = timezone.now()
    study = Study(
        workspace_id=workspace_id,
        title=title,
        method=method,
        started_on=started_on,
        ended_on=ended_on,
        participants=participants,
        segment=segment,
        owner=_owner(workspace_id, owner) if owner is not None else by,
        summary=summary,
        external_link=external_link,
        created_by=by,
        created_at=now,
        updated_by=by,
        updated_at=now,
    )
    study.full_clean(exclude=["owner", "workspace"])
    study.save()
    study.tags.set(tags_resolve(workspace_id=workspace_id, names=names))
    return study


@transaction.atomic
def study_update(*, study_id: int, by: User, expected_version=None, **fields) -> Study:
    """Change a study's fields (any of STUDY_FIELDS; `owner` a member's user id or None, `tags` names).
    Raises Conflict when `expected_version` is stale, ValidationError by field."""
    study = access.study_for(
        by, study_id, need=access.WRITE, queryset=Study.objects.select_for_update(of=("self",))
    )
    check_version(study, expected_version)
    names = clean_names(fields.pop("tags")) if "tags" in fields else None
    if "owner" in fields:
        fields["owner"] = _owner(study.workspace_id, fields["owner"])
    changed = apply_fields(study, fields, STUDY_FIELDS)
    touched = False
    if names is not None:
        new = tags_resolve(workspace_id=study.workspace_id, names=names)
        if {t.pk for t in new} != set(study.tags.values_list("pk", flat=True)):
            study.tags.set(new)
            touched = True
    save_versioned(study, changed, by, touched=touched, exclude=["owner", "workspace"])
    return study


@transaction.atomic
def study_delete(*, study_id: int, by: User, expected_version=None) -> ResearchTrash:
    """Delete a study with its evidence; links of that evidence go too, each recorded on its journey. All of
    it is kept in the research trash so that it can be put back (trash.research_trash_restore). Returns the
    trash item (`evidence_count`: how many evidence items went). Raises Conflict when `expected_version` is
    stale."""
    study = access.study_for(
        by, study_id, need=access.WRITE, queryset=Study.objects.select_for_update(of=("self",))
    )
    check_version(study, expected_version)
    evidence_ids = list(Evidence.objects.filter(study_id=study.pk).values_list("pk", flat=True))
    item = research_trash_keep(workspace_id=study.workspace_id, by=by, evidence_ids=evidence_ids, study=study)
    evidence_remove(
        queryset=Evidence.objects.filter(study_id=study.pk), by=by, reason=f"study “{study.title}” deleted"
    )
    study.delete()
    return item
