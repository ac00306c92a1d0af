"""Undo of research deletions: a deleted evidence item or study is kept whole, and can be put back.

Keeping (`research_trash_keep`, called by evidence_delete and study_delete before they delete): every row
the delete takes with it, each with all its columns, by journeys' machinery (journeys.services.trash
`collect`: the rows of every model pointing at them with on_delete=CASCADE, so the rows of an app added
later are kept too): the study and its tag rows, the evidence and their tag rows, their links to cards,
steps and stages. Besides rows: the names of the tags (a tag deleted meanwhile comes back by name) and
the "new research" events (ResearchEvent) whose evidence the delete cleared (SET_NULL).

Putting back (`research_trash_restore`) follows one rule: everything comes back as it was — same ids,
created_at/created_by, updated_at/updated_by, versions — or nothing does, with a message naming why:
- already put back (field `item`); the study of a deleted item deleted too (field `study`: put the
  study back first); an external id taken again since by a new item (field `external_id`);
- a link on a journey the restorer may not edit: refused (403) naming that journey when they can see it,
  "a journey you cannot see" otherwise (who may delete may undo, but a link is a change to its map);
- a link whose card, step or stage was deleted since waits for it (journeys/attachments.py): it comes back
  when that element is put back (the map's undo or a version restore); a link on a journey deleted since
  is dropped. Both are reported (`Restored.left_out`); the item is then closed. The other way round too:
  a link the map's undo could not put back because its evidence was deleted waited on the map, and comes
  back here with the evidence. So every link returns once both its ends are back, whichever order the
  deletes and undos happened in, and never twice (same ids).

Items are kept TRASH_RETENTION_DAYS (settings; 30 by default) after the delete, then purged for good by a
daily task (`research_trash_purge`, research.purge_trash), put back or not.
Each journey that gets links back records it in its activity (record_change, one line per journey, like
the delete). No new ResearchEvent is written: the links are not new research, and the events the
delete had cleared get their evidence back, so governance sees what it saw before the delete.
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from core.text import shorten
from journeys.access import EDIT
from journeys.models import Card, Journey, Stage, Step
from journeys.services.changes import lock_journey, record_change
from journeys.services.rows import collect, instances, rows_put_back, settle_references
from journeys.services.waiting import waiting_keep, waiting_lock, waiting_take

from .. import access
from ..models import Evidence, EvidenceLink, ResearchEvent, ResearchTrash, Study, Tag
from .tags import tags_resolve

PAYLOAD_SCHEMA = 1
TITLE_MAX = ResearchTrash.TITLE_MAX
STUDY, EVIDENCE, LINK = Study._meta.label, Evidence._meta.label, EvidenceLink._meta.label
STUDY_TAGS, EVIDENCE_TAGS = Study.tags.through._meta.label, Evidence.tags.through._meta.label
TARGETS = {"card_id": Card, "step_id": Step, "stage_id": Stage}
RECENT = 20  # the "Recently deleted" list's length
PURGE_TASK = "research.purge_trash"


@dataclass
class Restored:
    """What a restore put back: the item, the study (or None), the evidence ids, how many links came back,
    how many wait for their deleted card, step or stage, and lines saying what did not come back."""

    item: ResearchTrash
    study: Study | None = None
    evidence_ids: list = field(default_factory=list)
    links: int = 0
    waiting: int = 0
    left_out: list = field(default_factory=list)


def _title(text: str) -> str:
    return shorten(" ".join(str(text).split()), TITLE_MAX)


def _rows(found: dict) -> dict:
    """{label: [row]} of what `collect` found, without generated columns (PostgreSQL computes them)."""
    out = {}
    for model, rows in found.items():
        generated = [f.attname for f in model._meta.concrete_fields if getattr(f, "generated", False)]
        out[model._meta.label] = [
            {k: v for k, v in row.items() if k not in generated} for row in rows.values()
        ]
    return out


def research_trash_keep(*, workspace_id: int, by: User, evidence_ids: list[int], study: Study | None = None):
    """Keep the evidence (ids) and, for a study delete, the study, with every row their delete takes with it,
    as one trash item (called by the delete services, which checked access, before they delete)."""
    seeds = {Evidence: list(evidence_ids)}
    if study is not None:
        seeds[Study] = [study.pk]
    rows = _rows(collect(seeds))
    tag_ids = {r["tag_id"] for label in (STUDY_TAGS, EVIDENCE_TAGS) for r in rows.get(label, [])}
    tags = dict(Tag.objects.filter(pk__in=tag_ids).values_list("pk", "name")) if tag_ids else {}
    events = list(ResearchEvent.objects.filter(evidence_id__in=evidence_ids).values_list("pk", "evidence_id"))
    if study is not None:
        kind, title = ResearchTrash.Kind.STUDY, _title(study.title)
    else:
        kind = ResearchTrash.Kind.EVIDENCE
        title = _title(rows[EVIDENCE][0]["text"]) if rows.get(EVIDENCE) else "Evidence"
    payload = {
        "schema": PAYLOAD_SCHEMA,
        "study_id": study.pk if study is not None else None,
        "rows": rows,
        "tags": {str(pk): name for pk, name in tags.items()},
        "events": [list(pair) for pair in events],
    }
    return ResearchTrash.objects.create(
        workspace_id=workspace_id,
        kind=kind,
        title=title,
        evidence_count=len(rows.get(EVIDENCE, [])),
        payload=payload,
        deleted_by=by,
    )


def research_trash_recent(*, workspace_id: int, limit: int = RECENT):
    """The workspace's deleted evidence and studies not yet put back, newest first, with their deleters
    (one query when read; the payload is left unread). For callers that checked membership."""
    return (
        ResearchTrash.objects.filter(workspace_id=workspace_id, restored_at__isnull=True)
        .select_related("deleted_by")
        .defer("payload")
        .order_by("-deleted_at", "-id")[:limit]
    )


def research_trash_list(*, user: User, workspace_id: int, limit: int = RECENT):
    """`research_trash_recent` for a member of the workspace. Raises Http404 for outsiders."""
    access.workspace_for(user, workspace_id)
    return research_trash_recent(workspace_id=workspace_id, limit=limit)


def _item_for(by: User, item_id) -> ResearchTrash:
    """The trash item, locked, after checking `by` may write research in its workspace (404 outsiders)."""
    item = ResearchTrash.objects.select_for_update(of=("self",)).filter(pk=item_id).first()
    if item is None or not by.is_authenticated:
        raise Http404("No such deleted item.")
    try:
        access.workspace_for(by, item.workspace_id, need=access.WRITE)
    except Http404:
        raise Http404("No such deleted item.") from None
    return item


def _check_study(item: ResearchTrash, evidence: list) -> None:
    """Every item's study is there or comes back with it; ValidationError on `study` otherwise."""
    wanted = {e.study_id for e in evidence if e.study_id is not None} - {item.payload.get("study_id")}
    if not wanted:
        return
    there = set(Study.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    missing = wanted - there
    if not missing:
        return
    holder = (
        ResearchTrash.objects.filter(
            workspace_id=item.workspace_id, kind=ResearchTrash.Kind.STUDY, payload__study_id__in=list(missing)
        )
        .order_by("-deleted_at")
        .values_list("title", "restored_at")
        .first()
    )
    if holder is not None and holder[1] is None:
        raise ValidationError(
            {"study": f"The study “{holder[0]}” this evidence was in was deleted too: put it back first."}
        )
    raise ValidationError({"study": "The study this evidence was in no longer exists."})


def _check_external_ids(evidence: list) -> None:
    """No item added since holds one of these external ids in the same study (or, standalone, workspace)."""
    keyed = [e for e in evidence if e.external_id]
    if not keyed:
        return
    match = Q()
    for e in keyed:
        if e.study_id:
            match |= Q(study_id=e.study_id, external_id=e.external_id)
        else:
            match |= Q(workspace_id=e.workspace_id, study__isnull=True, external_id=e.external_id)
    taken = Evidence.objects.filter(match).values_list("external_id", flat=True).first()
    if taken is not None:
        raise ValidationError(
            {
                "external_id": f"An item added since has the external id “{taken}” in the same place: "
                "change or delete that item first, then put this back."
            }
        )


def _links_back(by: User, rows: list[dict]):
    """Of kept links (rows): those that come back (their element is there), with the journeys they are on
    locked and edit checked; those that wait (their card, step or stage is deleted), as rows by journey, and
    how many of them are on journeys the restorer can see; and lines saying what did not come back. Every
    journey concerned is locked (in id order) before its elements are looked at, so a delete or undo on it
    comes wholly before or after this. PermissionDenied names a journey the restorer may see but not edit,
    and says "a journey you cannot see" for the others."""
    rows = list({row["id"]: row for row in rows}.values())  # one link kept twice comes back once
    links = instances(EvidenceLink, rows)
    journey_ids = sorted({link.journey_id for link in links})
    alive = set()
    if journey_ids:
        alive = set(
            Journey.objects.select_for_update(of=("self",))
            .filter(pk__in=journey_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    present = {}
    for column, model in TARGETS.items():
        ids = {getattr(link, column) for link in links if link.journey_id in alive} - {None}
        present[column] = set(model.objects.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    coming, waiting, gone = [], {}, 0
    for link, row in zip(links, rows, strict=True):
        if link.journey_id not in alive:
            gone += 1
        elif any(getattr(link, c) is not None and getattr(link, c) in present[c] for c in TARGETS):
            coming.append(link)
        else:
            waiting.setdefault(link.journey_id, []).append(row)
    journeys = {}
    for journey_id in sorted({link.journey_id for link in coming}):
        try:
            journeys[journey_id] = lock_journey(journey_id, by, EDIT)
        except Http404:
            raise PermissionDenied(
                "Some of these links are on a journey you cannot see: ask someone who can edit it "
                "to put this back."
            ) from None
        except PermissionDenied:
            title = Journey.objects.filter(pk=journey_id).values_list("title", flat=True).first()
            raise PermissionDenied(
                f"Some of these links are on the journey “{title}”, which you cannot edit: ask someone "
                "who can to put this back."
            ) from None
    left_out = []
    # Counted on journeys the restorer can see only: a restricted journey's links never show in counts.
    seen = set()
    if waiting:
        seen = set(Journey.objects.visible_to(by).filter(pk__in=list(waiting)).values_list("pk", flat=True))
    waits = sum(len(kept) for journey_id, kept in waiting.items() if journey_id in seen)
    if waits:
        left_out.append(
            "1 link to a deleted card, step or stage will come back when that is put back."
            if waits == 1
            else f"{waits} links to deleted cards, steps or stages will come back when those are put back."
        )
    if gone:
        left_out.append(
            f"{gone} link{'s' if gone != 1 else ''} to a journey deleted since "
            f"{'were' if gone != 1 else 'was'} not put back."
        )
    return coming, journeys, waiting, waits, left_out


@transaction.atomic
def research_trash_restore(*, item_id: int, by: User) -> Restored:
    """Put a deleted evidence item or study back as it was (same ids, versions, who/when), with its tags and
    its links on cards, steps and stages that still exist (editors and admins of the workspace; edit on
    each journey the links are on). Each journey records the links' return.

    Raises Http404 (no item, or an outsider), PermissionDenied (a viewer; a journey the restorer may not
    edit), ValidationError on `item` (already put back, unreadable), `study` (its study is gone) or
    `external_id` (taken again since). Nothing is written when it raises."""
    item = _item_for(by, item_id)
    waiting_lock(workspace_id=item.workspace_id)  # before any journey's lock (journeys/services/waiting.py)
    what = "This study" if item.kind == ResearchTrash.Kind.STUDY else "This evidence"
    if item.restored_at is not None:
        raise ValidationError({"item": f"{what} was already put back."})
    payload = item.payload
    if payload.get("schema") != PAYLOAD_SCHEMA:
        raise ValidationError({"item": f"{what} was kept in a format this server cannot restore."})
    rows = payload["rows"]
    studies = instances(Study, rows.get(STUDY, []))
    evidence = instances(Evidence, rows.get(EVIDENCE, []))
    if Evidence.objects.filter(pk__in=[e.pk for e in evidence]).exists() or (
        studies and Study.objects.filter(pk__in=[s.pk for s in studies]).exists()
    ):
        raise ValidationError({"item": f"{what} is there again already."})
    _check_study(item, evidence)
    _check_external_ids(evidence)
    # Its own links, and those the map's undo could not put back while this evidence was deleted.
    waited = waiting_take(model=EvidenceLink, column="evidence_id", values=[e.pk for e in evidence])
    kept_links = rows.get(LINK, []) + [row for _, row in waited]
    links, journeys, waiting, waits, left_out = _links_back(by, kept_links)

    # People who have left since: their columns (owner, created_by…) are cleared, as SET_NULL would have.
    settled = settle_references(
        {Study: studies, Evidence: evidence, EvidenceLink: links},
        {Journey: set(journeys), Study: {s.pk for s in studies}},
    )
    Study.objects.bulk_create(settled[Study])
    _tags_back(item, rows.get(STUDY_TAGS, []), Study.tags.through)
    Evidence.objects.bulk_create(settled[Evidence])
    _tags_back(item, rows.get(EVIDENCE_TAGS, []), Evidence.tags.through)
    EvidenceLink.objects.bulk_create(settled[EvidenceLink])
    # Rows other apps attach to evidence or studies (none today): back when what they point at is.
    done = {STUDY, EVIDENCE, LINK, STUDY_TAGS, EVIDENCE_TAGS}
    others = {label: dict(enumerate(kept)) for label, kept in rows.items() if label not in done}
    if others:
        rows_put_back(
            rows=others,
            known={
                Study: {s.pk for s in studies},
                Evidence: {e.pk for e in evidence},
                EvidenceLink: {link.pk for link in settled[EvidenceLink]},
            },
        )
    for journey_id, kept in waiting.items():
        waiting_keep(journey_id=journey_id, rows={LINK: kept})
    _events_back(payload.get("events", []))
    _record(journeys, settled[EvidenceLink], by, item)

    item.restored_at, item.restored_by = timezone.now(), by
    item.save(update_fields=["restored_at", "restored_by"])
    return Restored(
        item=item,
        study=studies[0] if studies else None,
        evidence_ids=[e.pk for e in evidence],
        links=len(settled[EvidenceLink]),
        waiting=waits,
        left_out=left_out,
    )


def _tags_back(item: ResearchTrash, rows: list[dict], through) -> None:
    """Tag rows back, same ids; a tag deleted since comes back by its name (made again when missing)."""
    if not rows:
        return
    objs = instances(through, rows)
    there = set(Tag.objects.filter(pk__in={o.tag_id for o in objs}).values_list("pk", flat=True))
    names = item.payload.get("tags", {})
    lost = [o for o in objs if o.tag_id not in there]
    if lost:
        wanted = [names[str(o.tag_id)] for o in lost if str(o.tag_id) in names]
        found = {t.name.lower(): t.pk for t in tags_resolve(workspace_id=item.workspace_id, names=wanted)}
        for o in lost:
            name = names.get(str(o.tag_id))
            o.tag_id = found.get(name.lower()) if name else None
        objs = [o for o in objs if o.tag_id is not None]
    through.objects.bulk_create(objs)


def _events_back(pairs: list) -> None:
    """ "New research" events the delete had left without their evidence get it back (when still unset)."""
    if not pairs:
        return
    evidence_of = dict(pairs)
    events = list(ResearchEvent.objects.filter(pk__in=list(evidence_of), evidence__isnull=True).only("pk"))
    for event in events:
        event.evidence_id = evidence_of[event.pk]
    if events:
        ResearchEvent.objects.bulk_update(events, ["evidence"])


def _record(journeys: dict, links: list, by: User, item: ResearchTrash) -> None:
    """One activity line per journey that got links back (cards' cells named for live maps)."""
    if not links:
        return
    card_ids = [link.card_id for link in links if link.card_id]
    cells_of = {}
    if card_ids:
        cells_of = {
            pk: (lane, step)
            for pk, lane, step in Card.objects.filter(pk__in=card_ids).values_list("pk", "lane_id", "step_id")
        }
    reason = f"{'study' if item.kind == ResearchTrash.Kind.STUDY else 'evidence'} “{item.title}” put back"
    by_journey: dict[int, list] = {}
    for link in links:
        by_journey.setdefault(link.journey_id, []).append(link)
    for journey_id in sorted(by_journey):
        mine = by_journey[journey_id]
        cells = [cells_of[x.card_id] for x in mine if x.card_id in cells_of]
        count = len(mine)
        record_change(
            journeys[journey_id],
            by,
            "linked evidence",
            None,
            f"put back {count} evidence link{'s' if count != 1 else ''} ({reason})",
            cells=cells,
        )


def research_trash_purge(*, now: datetime.datetime | None = None) -> int:
    """Delete research trash items deleted more than TRASH_RETENTION_DAYS ago, put back or not (the daily
    research.purge_trash; a second run finds nothing). Returns how many went."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.TRASH_RETENTION_DAYS)
    deleted, _ = ResearchTrash.objects.filter(deleted_at__lt=cutoff).delete()
    return deleted
