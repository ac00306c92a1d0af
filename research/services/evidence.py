"""Evidence: create one, create many at once (all or nothing, idempotent by external id), update,
delete. Deleting evidence takes its links with it, each journey it was linked to recording that; what a
delete takes is kept in the research trash (trash.py) so that it can be undone."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User

from .. import access
from ..models import Evidence, ResearchTrash, Study
from .base import apply_fields, check_version, save_versioned
from .links import links_forget
from .tags import clean_names, tags_resolve
from .trash import research_trash_keep

EVIDENCE_FIELDS = (
    "study", "kind", "text", "participant", "captured_on", "source_link", "external_id", "tags",
)  # fmt: skip
BULK_MAX = 1_000
# Foreign keys the services look up (or set) themselves: full_clean need not query them again.
CHECKED = ["workspace", "study", "created_by", "updated_by"]


def _study(workspace_id: int, study_id, field_name: str = "study"):
    if study_id is None:
        return None
    study = Study.objects.filter(pk=study_id, workspace_id=workspace_id).first()
    if study is None:
        raise ValidationError({field_name: f"No study {study_id} in this workspace."})
    return study


def _check_external_id(evidence: Evidence) -> None:
    if not evidence.external_id:
        return
    same = Evidence.objects.filter(external_id=evidence.external_id).exclude(pk=evidence.pk)
    if evidence.study_id:
        same = same.filter(study_id=evidence.study_id)
    else:
        same = same.filter(workspace_id=evidence.workspace_id, study__isnull=True)
    if same.exists():
        where = "The study" if evidence.study_id else "The workspace (outside studies)"
        raise ValidationError({"external_id": f"{where} has an item with this external id already."})


RACED = "Someone added an item with this external id at the same time: send it again (it is then found)."


def _save_new(save, field_name: str) -> None:
    """Run `save` (an insert); an external id another write stored meanwhile (standalone items are not
    serialised by a study lock) is refused on `field_name` instead of failing with the database's error."""
    try:
        with transaction.atomic():
            save()
    except IntegrityError as exc:
        if "external_id" not in str(exc):
            raise
        raise ValidationError({field_name: RACED}) from None


@transaction.atomic
def evidence_create(
    *,
    workspace_id: int,
    by: User,
    text: str,
    kind: str = "observation",
    study: int | None = None,
    participant: str = "",
    captured_on=None,
    source_link: str = "",
    external_id: str = "",
    tags=(),
) -> Evidence:
    """Add an evidence item to a workspace, in a study of it (`study`, an id) or standalone (editors and
    admins); `tags` are tag names (made when new). Raises ValidationError by field."""
    access.workspace_for(by, workspace_id, need=access.WRITE)
    names = clean_names(tags)
    now = timezone.now()
    evidence = Evidence(
        workspace_id=workspace_id,
        study=_study(workspace_id, study),
        kind=kind,
        text=text,
        participant=participant,
        captured_on=captured_on,
        source_link=source_link,
        external_id=external_id,
        created_by=by,
        created_at=now,
        updated_by=by,
        updated_at=now,
    )
    evidence.full_clean(exclude=CHECKED, validate_constraints=False)
    _check_external_id(evidence)
    _save_new(evidence.save, "external_id")
    evidence.tags.set(tags_resolve(workspace_id=workspace_id, names=names))
    return evidence


@transaction.atomic
def evidence_update(*, evidence_id: int, by: User, expected_version=None, **fields) -> Evidence:
    """Change an evidence item's fields (any of EVIDENCE_FIELDS; `study` an id or None, `tags` names).
    Raises Conflict when `expected_version` is stale, ValidationError by field."""
    evidence = access.evidence_for(
        by, evidence_id, need=access.WRITE, queryset=Evidence.objects.select_for_update(of=("self",))
    )
    check_version(evidence, expected_version)
    names = clean_names(fields.pop("tags")) if "tags" in fields else None
    if "study" in fields:
        fields["study"] = _study(evidence.workspace_id, fields["study"])
    changed = apply_fields(evidence, fields, EVIDENCE_FIELDS)
    touched = False
    if names is not None:
        new = tags_resolve(workspace_id=evidence.workspace_id, names=names)
        if {t.pk for t in new} != set(evidence.tags.values_list("pk", flat=True)):
            evidence.tags.set(new)
            touched = True
    if "external_id" in changed or "study" in changed:
        _check_external_id(evidence)
    save_versioned(evidence, changed, by, touched=touched, exclude=CHECKED)
    return evidence


def evidence_remove(*, queryset, by: User, reason: str) -> int:
    """Delete the evidence of `queryset` with its links, recording on each journey they were linked to
    that they went (`reason` says why, e.g. "evidence deleted"). For services that checked access."""
    ids = list(queryset.values_list("pk", flat=True))
    if not ids:
        return 0
    links_forget(evidence_ids=ids, by=by, reason=reason)
    Evidence.objects.filter(pk__in=ids).delete()
    return len(ids)


@transaction.atomic
def evidence_delete(*, evidence_id: int, by: User, expected_version=None) -> ResearchTrash:
    """Delete an evidence item and its links (each journey it was linked to records that), kept in the
    research trash so that it can be put back (trash.research_trash_restore). Returns the trash item.
    Raises Conflict when `expected_version` is stale."""
    evidence = access.evidence_for(
        by, evidence_id, need=access.WRITE, queryset=Evidence.objects.select_for_update(of=("self",))
    )
    check_version(evidence, expected_version)
    item = research_trash_keep(workspace_id=evidence.workspace_id, by=by, evidence_ids=[evidence.pk])
    evidence_remove(queryset=Evidence.objects.filter(pk=evidence.pk), by=by, reason="evidence deleted")
    return item


# ---------------------------------------------------------------------------------------------- bulk


@dataclass
class BulkResult:
    """What a bulk create did: the items it made, and those it found already there by external id (in
    the order given)."""

    created: list = field(default_factory=list)
    existing: list = field(default_factory=list)


ITEM_FIELDS = ("study", "kind", "text", "participant", "captured_on", "source_link", "external_id", "tags")


@transaction.atomic
def evidence_bulk_create(*, workspace_id: int, by: User, items: list[dict]) -> BulkResult:
    """Create up to BULK_MAX evidence items at once, all or nothing (editors and admins).

    Args:
        items: dicts with evidence_create's fields (`text` required; `study` an id; `tags` names).
    An item whose `external_id` its study (or, standalone, the workspace) holds already is not made again:
    it is returned in `existing`, so sending the same batch twice creates nothing new.
    Raises ValidationError keyed `items[<index>].<field>` (index from 0) for every bad item, nothing written.
    A constant number of queries whatever the number of items."""
    access.workspace_for(by, workspace_id, need=access.WRITE)
    if not isinstance(items, list) or not items:
        raise ValidationError({"items": "Give a list of at least one item."})
    if len(items) > BULK_MAX:
        raise ValidationError({"items": f"At most {BULK_MAX:,} items a request (you sent {len(items):,})."})
    errors: dict[str, list[str]] = {}

    def fail(index, name, messages):
        errors.setdefault(f"items[{index}].{name}", []).extend(messages)

    study_ids = {item.get("study") for item in items if isinstance(item, dict)} - {None}
    # Locked: two batches into one study take turns, so "already stored" below is read after the other's
    # commit and an external id is never made twice.
    studies = {
        s.pk: s for s in Study.objects.select_for_update().filter(workspace_id=workspace_id, pk__in=study_ids)
    }
    now = timezone.now()
    built, names_of = [], []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            fail(index, "non_field_errors", ["Each item is an object."])
            built.append(None)
            names_of.append([])
            continue
        unknown = set(item) - set(ITEM_FIELDS)
        for name in sorted(unknown):
            fail(index, name, ["Not a field of evidence."])
        study_id = item.get("study")
        if study_id is not None and study_id not in studies:
            fail(index, "study", [f"No study {study_id} in this workspace."])
        try:
            names = clean_names(item.get("tags", []))
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                fail(index, name, messages)
            names = []
        evidence = Evidence(
            workspace_id=workspace_id,
            study=studies.get(study_id),
            kind=item.get("kind", "observation"),
            text=item.get("text", ""),
            participant=item.get("participant", ""),
            captured_on=item.get("captured_on"),
            source_link=item.get("source_link", ""),
            external_id=item.get("external_id", ""),
            created_by=by,
            created_at=now,
            updated_by=by,
            updated_at=now,
        )
        try:
            evidence.full_clean(exclude=CHECKED, validate_constraints=False)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                fail(index, name, messages)
        built.append(evidence)
        names_of.append(names)
    # External ids: twice in the batch is an error; already stored means "made before, not again".
    seen: dict[tuple, int] = {}
    for index, evidence in enumerate(built):
        if evidence is None or not evidence.external_id:
            continue
        key = (evidence.study_id, evidence.external_id)
        if key in seen:
            fail(index, "external_id", [f"Item {seen[key]} has the same external id in the same study."])
        else:
            seen[key] = index
    if errors:
        raise ValidationError(errors)
    stored = {}
    if seen:
        # One IN list per study (a batch names few studies): an OR of 1,000 (study, id) pairs took
        # PostgreSQL seconds on a large library.
        ids_by_study: dict = {}
        for study_id, external_id in seen:
            ids_by_study.setdefault(study_id, []).append(external_id)
        match = Q()
        for study_id, external_ids in ids_by_study.items():
            where = Q(study_id=study_id) if study_id else Q(study__isnull=True)
            match |= where & Q(external_id__in=external_ids)
        for row in Evidence.objects.filter(match, workspace_id=workspace_id):
            stored[(row.study_id, row.external_id)] = row
    result = BulkResult()
    new, new_names = [], []
    for evidence, names in zip(built, names_of, strict=True):
        there = stored.get((evidence.study_id, evidence.external_id)) if evidence.external_id else None
        if there is not None:
            result.existing.append(there)
        else:
            new.append(evidence)
            new_names.append(names)
    if new:
        _save_new(lambda: Evidence.objects.bulk_create(new), "items")
        all_names = clean_names_union(new_names)
        tags = {t.name.lower(): t for t in tags_resolve(workspace_id=workspace_id, names=all_names)}
        through = Evidence.tags.through
        through.objects.bulk_create(
            [
                through(evidence_id=evidence.pk, tag_id=tags[name.lower()].pk)
                for evidence, names in zip(new, new_names, strict=True)
                for name in names
            ]
        )
    result.created = new
    return result


def clean_names_union(lists: list[list[str]]) -> list[str]:
    """One list of the names in `lists`, each once without regard to case (the first spelling wins)."""
    out, seen = [], set()
    for names in lists:
        for name in names:
            if name.lower() not in seen:
                seen.add(name.lower())
                out.append(name)
    return out
