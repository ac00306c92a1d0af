"""Versions of a map: snapshots, the diff between any two, restore, and the hourly automatic version.

A snapshot is plain JSON: every stage, step, lane and card of the map with its id, position, parent and
fields (`version_snapshot`). Diffs match elements by id, so a renamed card is "changed", not "removed and
added", and a card dragged to another cell is "moved". Which fields a snapshot holds is read from the
models (`MapElement.snapshot_fields`), so a field added to a stage, step, lane or card is versioned,
diffed and restored without editing a list here.

Restoring makes the map equal to a snapshot as one new change, and loses nothing: it first keeps the map
as it is in an automatic "before restore" version (restoring that one undoes the restore); elements the
snapshot lacks go to the trash as one item with everything attached to them (comments, mentions, other
apps' rows); elements it has but the map lacks come back from the trash when they are there — with their
ids, history and attached rows — and are recreated (with the snapshot's id when free) only otherwise.
Elements keep their ids and their `version` unless their content, parent or place among siblings changes.
The journey's own fields (title, owner, visibility…) are not part of the map and are never restored.

Saving a version or taking the automatic one does not change the map, so it records activity without
bumping the journey's revision (a version "at revision N" then still matches a map at revision N).
"""

import logging
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from core.text import is_blank, shorten, too_long_message

from .. import access
from ..models import Card, Journey, Lane, MapVersion, Stage, Step
from ..selectors import MapData
from . import trash, waiting
from .changes import AUTO_VERSION_EVERY, lock_journey, note_activity, record_change
from .rows import instances, json_safe, settle_references

log = logging.getLogger(__name__)

SNAPSHOT_SCHEMA = 1
LABEL_MAX = MapVersion._meta.get_field("label").max_length

KINDS = ("stage", "step", "lane", "card")
PLURAL = {"stage": "stages", "step": "steps", "lane": "lanes", "card": "cards"}
MODEL = {"stage": Stage, "step": Step, "lane": Lane, "card": Card}
# Read from the models (journeys.models.MapElement): what a diff compares as the element's content
# (position and parents make a move instead), its parents, and what a snapshot holds.
CONTENT_FIELDS = {kind: MODEL[kind].content_fields() for kind in KINDS}
PARENTS = {kind: MODEL[kind].parent_fields for kind in KINDS}
SNAPSHOT_FIELDS = {kind: MODEL[kind].snapshot_fields() for kind in KINDS}
DIFF_STATUSES = ("added", "removed", "changed", "moved")


# ---------------------------------------------------------------------------------------------- snapshots


def version_snapshot(journey: Journey | int) -> dict:
    """The whole map as JSON (ids, positions, parents and fields), in display order: four queries."""
    journey_id = journey.pk if isinstance(journey, Journey) else journey
    order = {
        "stage": ("position",),
        "step": ("stage__position", "position"),
        "lane": ("position",),
        "card": ("lane__position", "step__stage__position", "step__position", "position"),
    }
    snapshot = {"schema": SNAPSHOT_SCHEMA}
    for kind in KINDS:
        rows = MODEL[kind].objects.filter(journey_id=journey_id).order_by(*order[kind])
        snapshot[PLURAL[kind]] = [
            {name: json_safe(value) for name, value in row.items()}
            for row in rows.values(*SNAPSHOT_FIELDS[kind])
        ]
    return snapshot


@transaction.atomic
def version_save(*, journey_id: int, by: User, label: str, kind: str = MapVersion.Kind.NAMED) -> MapVersion:
    """Save a named version of the map as it is now (editors); a review confirms one with kind=REVIEW."""
    if kind not in (MapVersion.Kind.NAMED, MapVersion.Kind.REVIEW):
        raise ValidationError({"kind": "Only named and review versions are saved by people."})
    journey = lock_journey(journey_id, by, access.EDIT)
    label = (label or "").strip()
    if is_blank(label):
        raise ValidationError({"label": "Give the version a name, e.g. “Before the Q3 workshop”."})
    if len(label) > LABEL_MAX:
        raise ValidationError({"label": too_long_message(LABEL_MAX, len(label))})
    version = MapVersion(
        journey=journey,
        kind=kind,
        label=label,
        revision=journey.revision,
        snapshot=version_snapshot(journey),
        created_by=by,
    )
    version.full_clean()
    version.save()
    note_activity(journey, by, "saved version", version, f"saved the version “{label}”")
    return version


@transaction.atomic
def version_auto_save(*, journey_id: int) -> MapVersion | None:
    """Take the automatic version unless one exists from within the hour or nothing changed since the latest
    (idempotent: a retried or duplicated task does nothing). None when nothing was taken."""
    journey = Journey.objects.select_for_update(of=("self",)).filter(pk=journey_id).first()
    if journey is None:
        return None
    latest = MapVersion.objects.filter(journey=journey).order_by("-created_at", "-id").first()
    if latest is not None and (
        latest.created_at >= timezone.now() - AUTO_VERSION_EVERY or latest.revision == journey.revision
    ):
        return None
    return MapVersion.objects.create(
        journey=journey,
        kind=MapVersion.Kind.AUTO,
        revision=journey.revision,
        snapshot=version_snapshot(journey),
        created_by=None,
    )


def version_list(*, journey: Journey):
    """A journey's versions, newest first, with their authors and element counts but not their snapshots
    (one query; the counts were stored when each version was written: MapVersion.card_count …)."""
    return (
        MapVersion.objects.filter(journey=journey)
        .select_related("created_by")
        .defer("snapshot")
        .order_by("-created_at", "-id")
    )


def _element(kind: str, row: dict, journey: Journey, **parents):
    """An unsaved stage, step, lane or card from a snapshot row; fields the row lacks (a version older than
    the field) take their default."""
    model = MODEL[kind]
    values = {}
    for name in CONTENT_FIELDS[kind]:
        f = model._meta.get_field(name)
        value = row.get(name)
        values[f.attname] = f.get_default() if value is None and not f.null else f.to_python(value)
    return model(pk=row["id"], journey=journey, position=row["position"], **parents, **values)


def snapshot_map(journey: Journey, snapshot: dict) -> MapData:
    """A past map as `selectors.MapData` (unsaved model instances, no queries), so the map grid renders it
    read-only exactly like the live map."""
    stages = {}
    for row in snapshot.get("stages", []):
        stage = _element("stage", row, journey)
        stage.step_list = []
        stages[stage.pk] = stage
    steps = {}
    for row in sorted(snapshot.get("steps", []), key=lambda r: r["position"]):
        stage = stages.get(row["stage"])
        if stage is None:
            continue
        step = _element("step", row, journey, stage=stage)
        stage.step_list.append(step)
        steps[step.pk] = step
    lanes = {row["id"]: _element("lane", row, journey) for row in snapshot.get("lanes", [])}
    cards_by_cell = {}
    for row in sorted(snapshot.get("cards", []), key=lambda r: r["position"]):
        lane, step = lanes.get(row["lane"]), steps.get(row["step"])
        if lane is None or step is None:
            continue
        card = _element("card", row, journey, lane=lane, step=step)
        cards_by_cell.setdefault((lane.pk, step.pk), []).append(card)
    ordered_stages = sorted(stages.values(), key=lambda s: s.position)
    return MapData(
        journey=journey,
        stages=ordered_stages,
        steps=[step for stage in ordered_stages for step in stage.step_list],
        lanes=sorted(lanes.values(), key=lambda lane: lane.position),
        cards_by_cell=cards_by_cell,
    )


# ---------------------------------------------------------------------------------------------- diff


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: object
    after: object


@dataclass
class ElementDiff:
    """One stage, step, lane or card that differs. `status`: added, removed, changed (its content; it may
    also have moved) or moved (only its place)."""

    kind: str
    id: int
    status: str
    before: dict | None = None
    after: dict | None = None
    fields: list[FieldChange] = field(default_factory=list)
    moved: bool = False

    @property
    def element(self) -> dict:
        return self.after if self.after is not None else self.before

    @property
    def parent_changed(self) -> bool:
        return self.moved and any(self.before[p] != self.after[p] for p in PARENTS[self.kind])

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "status": self.status,
            "before": self.before,
            "after": self.after,
            "fields": [{"field": f.field, "before": f.before, "after": f.after} for f in self.fields],
            "moved": self.moved,
        }


@dataclass
class MapDiff:
    """What changed from snapshot `before` to snapshot `after`, per kind of element, in display order."""

    before: dict
    after: dict
    elements: dict = field(default_factory=dict)  # kind -> [ElementDiff]

    @property
    def is_empty(self) -> bool:
        return not any(self.elements.values())

    def of(self, kind: str, status: str | None = None) -> list[ElementDiff]:
        items = self.elements.get(kind, [])
        if status == "changed":
            return [e for e in items if e.fields]
        if status == "moved":
            return [e for e in items if e.moved]
        return [e for e in items if status is None or e.status == status]

    def counts(self) -> dict:
        every = [e for items in self.elements.values() for e in items]
        return {
            "added": sum(e.status == "added" for e in every),
            "removed": sum(e.status == "removed" for e in every),
            "changed": sum(bool(e.fields) for e in every),
            "moved": sum(e.moved for e in every),
        }

    def as_dict(self) -> dict:
        """The API's shape: per kind, the elements added, removed, changed and moved (an element both changed
        and moved is in both lists)."""
        out = {"is_empty": self.is_empty, "counts": self.counts()}
        for kind in KINDS:
            out[PLURAL[kind]] = {
                status: [e.as_dict() for e in self.of(kind, status)]
                for status in ("added", "removed", "changed", "moved")
            }
        return out


def _longest_increasing(values: list[int]) -> set[int]:
    """Indexes of one longest strictly increasing subsequence (patience sorting, O(n log n))."""
    from bisect import bisect_left

    tails, tails_at, previous = [], [], [-1] * len(values)
    for index, value in enumerate(values):
        spot = bisect_left(tails, value)
        if spot == len(tails):
            tails.append(value)
            tails_at.append(index)
        else:
            tails[spot] = value
            tails_at[spot] = index
        previous[index] = tails_at[spot - 1] if spot else -1
    keep, index = set(), tails_at[-1] if tails_at else -1
    while index != -1:
        keep.add(index)
        index = previous[index]
    return keep


def _moved_ids(kind: str, before: dict, after: dict) -> set[int]:
    """Elements in both snapshots that changed parent, or changed place relative to their siblings.

    Order is relative: inserting a stage at the front does not "move" the others. Among siblings that stay
    under the same parent, the longest run that kept its relative order stayed; the rest moved."""
    parents = PARENTS[kind]
    moved, groups = set(), {}
    for pk, element in after.items():
        old = before.get(pk)
        if old is None:
            continue
        if any(old[p] != element[p] for p in parents):
            moved.add(pk)
            continue
        groups.setdefault(tuple(element[p] for p in parents), []).append(pk)
    for ids in groups.values():
        ids.sort(key=lambda pk: after[pk]["position"])
        old_positions = [before[pk]["position"] for pk in ids]
        stayed = _longest_increasing(old_positions)
        moved.update(pk for index, pk in enumerate(ids) if index not in stayed)
    return moved


def version_diff(a: dict, b: dict) -> MapDiff:
    """What changed from snapshot `a` to snapshot `b` (a version's, or `version_snapshot` of the map now),
    matched by id: added, removed, changed (field by field) and moved, per stage, step, lane and card."""
    diff = MapDiff(before=a, after=b)
    for kind in KINDS:
        before = {e["id"]: e for e in a.get(PLURAL[kind], [])}
        after = {e["id"]: e for e in b.get(PLURAL[kind], [])}
        moved = _moved_ids(kind, before, after)
        items = []
        for pk, element in after.items():
            old = before.get(pk)
            if old is None:
                items.append(ElementDiff(kind, pk, "added", after=element))
                continue
            fields = [
                FieldChange(name, old.get(name), element.get(name))
                for name in CONTENT_FIELDS[kind]
                if old.get(name) != element.get(name)
            ]
            if fields or pk in moved:
                status = "changed" if fields else "moved"
                items.append(ElementDiff(kind, pk, status, old, element, fields, moved=pk in moved))
        items.extend(
            ElementDiff(kind, pk, "removed", before=old) for pk, old in before.items() if pk not in after
        )
        diff.elements[kind] = items
    return diff


# ---------------------------------------------------------------------------------------------- restore


def _version_journey_id(version_id) -> int:
    journey_id = MapVersion.objects.filter(pk=version_id).values_list("journey_id", flat=True).first()
    if journey_id is None:
        raise Http404("No such version.")
    return journey_id


@dataclass
class _Applied:
    created: int = 0  # recreated: in the snapshot, neither on the map nor in the trash
    from_trash: int = 0  # brought back from the trash with their ids and what was attached to them
    updated: int = 0
    removed: int = 0  # gone to the trash, as one item


def _wanted_values(kind: str, element: dict, parents: dict, fields: dict, sub_journeys: set) -> dict:
    """The columns a snapshot element asks for, by attname; fields the snapshot lacks are left out."""
    values = {"position": element["position"], **{f"{p}_id": v for p, v in parents.items()}}
    for name in CONTENT_FIELDS[kind]:
        if name not in element:
            continue  # a version older than the field: keep what the element has
        f, value = fields[name], element[name]
        values[f.attname] = f.get_default() if value is None and not f.null else f.to_python(value)
    if kind == "step" and values.get("sub_journey_id") not in sub_journeys:
        values["sub_journey_id"] = None
    return values


def _apply_snapshot(journey: Journey, target: dict, current: dict, by: User, version: MapVersion) -> _Applied:
    """Make the map equal to `target` (the map is `current`): update what exists, bring back from the trash
    what sits there, recreate the rest (with its old id when free), and move what the snapshot lacks to the
    trash as one item. Elements whose content, parent or place among their siblings changed get a new
    version. A constant number of queries, whatever the size of the map."""
    applied = _Applied()
    now = timezone.now()
    diff = version_diff(current, target)
    bump = {kind: {e.id for e in diff.elements[kind] if e.fields or e.moved} for kind in KINDS}
    sub_journeys = set(
        Journey.objects.filter(
            workspace_id=journey.workspace_id,
            pk__in=[s["sub_journey"] for s in target.get("steps", []) if s.get("sub_journey")],
        )
        .exclude(pk=journey.pk)
        .values_list("pk", flat=True)
    )
    existing = {
        kind: {obj.pk: obj for obj in MODEL[kind].objects.select_for_update().filter(journey=journey)}
        for kind in KINDS
    }
    missing = {
        kind: {e["id"] for e in target.get(PLURAL[kind], []) if e["id"] not in existing[kind]}
        for kind in KINDS
    }
    held = trash.trash_held(journey=journey, wanted=missing)
    ids = {}  # kind -> {snapshot id: id on the map}
    brought = {kind: set() for kind in KINDS}
    for kind in KINDS:
        model = MODEL[kind]
        fields = {f.name: f for f in model._meta.concrete_fields}
        content = {fields[name].attname for name in CONTENT_FIELDS[kind]}
        taken = set()
        if missing[kind]:
            taken = set(model.objects.filter(pk__in=missing[kind]).values_list("pk", flat=True))
        ids[kind] = {}
        to_update, to_create, kept, update_fields = [], [], [], set()
        for element in target.get(PLURAL[kind], []):
            parents = {p: ids[p].get(element[p]) for p in PARENTS[kind]}
            if any(v is None for v in parents.values()):
                continue  # a parent missing from the snapshot itself: nothing sensible to place it in
            pk = element["id"]
            values = _wanted_values(kind, element, parents, fields, sub_journeys)
            obj = existing[kind].get(pk)
            if obj is not None:
                changed = [name for name, value in values.items() if getattr(obj, name) != value]
                if changed:
                    for name in changed:
                        setattr(obj, name, values[name])
                    update_fields.update(changed)
                    if pk in bump[kind]:
                        obj.version += 1
                        update_fields.add("version")
                    if kind == "card" and content & set(changed):
                        obj.updated_at = now
                        update_fields.add("updated_at")
                    to_update.append(obj)
                ids[kind][pk] = pk
                continue
            row = held.elements[kind].get(pk) if pk not in taken else None
            if row is not None:
                # Back from the trash as it was kept (id, history, version), then as the snapshot has it.
                obj = instances(model, [row])[0]
                differs = [n for n, value in values.items() if n != "position" and getattr(obj, n) != value]
                for name, value in values.items():
                    setattr(obj, name, value)
                obj.journey_id = journey.pk
                if differs:
                    obj.version += 1
                    if kind == "card" and content & set(differs):
                        obj.updated_at = now
                kept.append(obj)
            else:
                obj = model(journey=journey, **values)
                if pk not in taken:
                    obj.pk = pk
                if kind == "card":
                    obj.created_by, obj.created_at, obj.updated_at = by, now, now
            to_create.append((pk, obj))
        if kept:
            # People who have left since are cleared from the kept rows (their SET_NULL columns).
            known = {Journey: {journey.pk}, **{MODEL[k]: set(ids[k].values()) for k in ids}}
            settled = {id(o) for o in settle_references({model: kept}, known)[model]}
            dropped = {id(o) for o in kept} - settled  # a row that cannot exist without what is gone
            to_create = [(pk, o) for pk, o in to_create if id(o) not in dropped]
            brought[kind] = {o.pk for o in kept if id(o) in settled}
        if to_update:
            model.objects.bulk_update(to_update, sorted(update_fields))
        if to_create:
            model.objects.bulk_create([obj for _, obj in to_create])
            for pk, obj in to_create:
                ids[kind][pk] = obj.pk
        applied.from_trash += len(brought[kind])
        applied.created += len(to_create) - len(brought[kind])
        applied.updated += len(to_update)
    # What was attached to the elements back from the trash (comments, mentions, other apps' rows), and the
    # rows that waited on this map for what they point at (trash.rows_back; both kinds of undo run it).
    known = {Journey: {journey.pk}, **{MODEL[kind]: set(ids[kind].values()) for kind in KINDS}}
    back, waiting_now = trash.rows_back(journey=journey, rows=held.rows, known=known, pointers=held.pointers)
    if held.items:
        taken = {k: back.get(k, set()) | waiting_now.get(k, set()) for k in {*back, *waiting_now}}
        trash.trash_consume(held=held, elements=brought, rows=taken)
    # What the snapshot lacks goes to the trash, with what is attached to it, as one item.
    gone = {kind: set(existing[kind]) - set(ids[kind].values()) for kind in KINDS}
    if any(gone.values()):
        trash.trash_keep(
            journey=journey,
            by=by,
            kind=trash.RESTORE,
            seeds={MODEL[kind]: ids_ for kind, ids_ in gone.items()},
            title=shorten(f"Removed by restoring “{version}”", trash.TITLE_MAX),
        )
        for kind in reversed(KINDS):
            if gone[kind]:
                deleted = MODEL[kind].objects.filter(pk__in=gone[kind]).delete()[1]
                applied.removed += deleted.get(MODEL[kind]._meta.label, 0)
    return applied


@transaction.atomic
def version_restore(*, version_id: int, by: User) -> MapVersion:
    """Make the map equal to a version as a new change (editors), losing nothing: what the version lacks goes
    to the trash with what is attached to it. The map as it was is first kept as an automatic "before
    restore" version, which is returned: restoring it undoes this restore."""
    journey_id = _version_journey_id(version_id)
    waiting.waiting_lock(journey_id=journey_id)  # before the journey's lock, like every undo (waiting.py)
    journey = lock_journey(journey_id, by, access.EDIT)
    version = MapVersion.objects.get(pk=version_id)
    if version.snapshot.get("schema") != SNAPSHOT_SCHEMA:
        raise ValidationError({"version": "This version was saved in a format this server cannot restore."})
    current = version_snapshot(journey)
    before = MapVersion.objects.create(
        journey=journey,
        kind=MapVersion.Kind.BEFORE_RESTORE,
        label=shorten(f"Before restoring “{version}”", LABEL_MAX),
        revision=journey.revision,
        snapshot=current,
        created_by=by,
    )
    _apply_snapshot(journey, version.snapshot, current, by, version)
    record_change(journey, by, "restored", version, f"restored the map to the version “{version}”")
    return before
