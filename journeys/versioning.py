"""Versions of a map: snapshots, the diff between any two, restore, and the hourly automatic version.

A snapshot is plain JSON: every stage, step, lane and card of the map with its id, position, parent and
fields (`version_snapshot`). Diffs match elements by id, so a renamed card is "changed", not "removed and
added", and a card dragged to another cell is "moved". Restoring makes the map equal to a snapshot as one
new change: it first keeps the map as it is in an automatic "before restore" version, so restoring that
one undoes the restore. The journey's own fields (title, owner, visibility…) are not part of the map and
are never restored.

Saving a version or taking the automatic one does not change the map, so it records activity without
bumping the journey's revision (a version "at revision N" then still matches a map at revision N).
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BigIntegerField, F, Func, IntegerField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.http import Http404
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts import access
from accounts.models import User

from . import services
from .models import Activity, Card, Journey, Lane, MapVersion, Stage, Step, TrashedItem
from .selectors import MapData

log = logging.getLogger(__name__)

SNAPSHOT_SCHEMA = 1
AUTO_VERSION_EVERY = timedelta(hours=1)
LABEL_MAX = MapVersion._meta.get_field("label").max_length

KINDS = ("stage", "step", "lane", "card")
PLURAL = {"stage": "stages", "step": "steps", "lane": "lanes", "card": "cards"}
MODEL = {"stage": Stage, "step": Step, "lane": Lane, "card": Card}
# What a diff compares as the element's content; position and parents make a move instead.
CONTENT_FIELDS = {
    "stage": ("title", "description", "standard_stage"),
    "step": ("title", "description", "sub_journey"),
    "lane": ("title", "kind"),
    "card": ("text", "note", "emotion_score", "channel"),
}
DIFF_STATUSES = ("added", "removed", "changed", "moved")
PARENTS = {"stage": (), "step": ("stage",), "lane": (), "card": ("lane", "step")}
SNAPSHOT_FIELDS = {kind: ("id", *PARENTS[kind], "position", *CONTENT_FIELDS[kind]) for kind in KINDS}


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
        snapshot[PLURAL[kind]] = list(rows.values(*SNAPSHOT_FIELDS[kind]))
    return snapshot


def _note(journey: Journey, by: User | None, verb: str, target, summary: str) -> None:
    """An activity line on a journey whose map did not change (so its revision stays)."""
    Activity.objects.create(
        journey=journey,
        actor=by,
        verb=verb,
        target_type=type(target).__name__.lower() if target is not None else "journey",
        target_id=getattr(target, "pk", None),
        summary=summary[:300],
        revision=journey.revision,
    )


@transaction.atomic
def version_save(*, journey_id: int, by: User, label: str, kind: str = MapVersion.Kind.NAMED) -> MapVersion:
    """Save a named version of the map as it is now (editors); a review confirms one with kind=REVIEW."""
    if kind not in (MapVersion.Kind.NAMED, MapVersion.Kind.REVIEW):
        raise ValidationError({"kind": "Only named and review versions are saved by people."})
    journey = services._lock(journey_id, by, access.EDIT)
    label = (label or "").strip()
    if not label:
        raise ValidationError({"label": "Give the version a name, e.g. “Before the Q3 workshop”."})
    if len(label) > LABEL_MAX:
        raise ValidationError({"label": f"At most {LABEL_MAX} characters."})
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
    _note(journey, by, "saved version", version, f"saved the version “{label}”")
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


def version_auto_queue(*, journey_id: int) -> bool:
    """After a committed change: queue the automatic version when the journey's latest version is more than
    an hour old (or there is none). True when a task was queued."""
    recent = MapVersion.objects.filter(
        journey_id=journey_id, created_at__gte=timezone.now() - AUTO_VERSION_EVERY
    )
    if recent.exists():
        return False
    from . import tasks  # tasks imports this module

    try:
        tasks.version_auto.delay(journey_id)
    except OperationalError:
        # The change is saved; a broker hiccup only skips this automatic version (the next edit retries).
        log.exception("Could not queue the automatic version of journey %s", journey_id)
        return False
    return True


def version_list(*, journey: Journey):
    """A journey's versions, newest first, with their authors and element counts but not their snapshots
    (one query; the counts are read from the JSON in SQL)."""
    counts = {
        f"{plural[:-1]}_count": Func(
            F(f"snapshot__{plural}"), function="jsonb_array_length", output_field=IntegerField()
        )
        for plural in PLURAL.values()
    }
    return (
        MapVersion.objects.filter(journey=journey)
        .select_related("created_by")
        .defer("snapshot")
        .annotate(**counts)
        .order_by("-created_at", "-id")
    )


def snapshot_map(journey: Journey, snapshot: dict) -> MapData:
    """A past map as `selectors.MapData` (unsaved model instances, no queries), so the map grid renders it
    read-only exactly like the live map."""
    stages = {}
    for row in snapshot.get("stages", []):
        stage = Stage(
            pk=row["id"],
            journey=journey,
            position=row["position"],
            title=row["title"],
            description=row.get("description") or "",
            standard_stage=row.get("standard_stage") or "",
        )
        stage.step_list = []
        stages[stage.pk] = stage
    steps = {}
    for row in sorted(snapshot.get("steps", []), key=lambda r: r["position"]):
        stage = stages.get(row["stage"])
        if stage is None:
            continue
        step = Step(
            pk=row["id"],
            journey=journey,
            stage=stage,
            position=row["position"],
            title=row["title"],
            description=row.get("description") or "",
            sub_journey_id=row.get("sub_journey"),
        )
        stage.step_list.append(step)
        steps[step.pk] = step
    lanes = {
        row["id"]: Lane(
            pk=row["id"], journey=journey, position=row["position"], title=row["title"], kind=row["kind"]
        )
        for row in snapshot.get("lanes", [])
    }
    cards_by_cell = {}
    for row in sorted(snapshot.get("cards", []), key=lambda r: r["position"]):
        lane, step = lanes.get(row["lane"]), steps.get(row["step"])
        if lane is None or step is None:
            continue
        card = Card(
            pk=row["id"],
            journey=journey,
            lane=lane,
            step=step,
            position=row["position"],
            text=row["text"],
            note=row.get("note") or "",
            emotion_score=row.get("emotion_score"),
            channel=row.get("channel") or "",
        )
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
    created: int = 0
    updated: int = 0
    deleted: int = 0


def _apply_snapshot(journey: Journey, target: dict, by: User) -> _Applied:
    """Make the map equal to `target`: update what exists, recreate what is missing (with its old id when
    free), delete what the snapshot lacks. Elements whose content, place or parent changed get a new
    version. A constant number of queries per kind of element, whatever the size of the map."""
    applied = _Applied()
    now = timezone.now()
    ids = {}  # kind -> {snapshot id: id on the map}
    valid_sub_journeys = set(
        Journey.objects.filter(
            workspace_id=journey.workspace_id,
            pk__in=[s["sub_journey"] for s in target.get("steps", []) if s.get("sub_journey")],
        )
        .exclude(pk=journey.pk)
        .values_list("pk", flat=True)
    )
    for kind in KINDS:
        model = MODEL[kind]
        existing = {obj.pk: obj for obj in model.objects.select_for_update().filter(journey=journey)}
        wanted = []
        for element in target.get(PLURAL[kind], []):
            values = {name: element.get(name) for name in (*CONTENT_FIELDS[kind], "position")}
            if kind == "step" and values["sub_journey"] not in valid_sub_journeys:
                values["sub_journey"] = None
            for name in ("note", "channel", "description", "standard_stage"):
                if name in values and values[name] is None:
                    values[name] = ""
            parents = {p: ids[p].get(element[p]) for p in PARENTS[kind]}
            if any(v is None for v in parents.values()):
                continue  # a parent missing from the snapshot itself: nothing sensible to place it in
            wanted.append((element["id"], {**values, **{f"{p}_id": v for p, v in parents.items()}}))
        missing = [pk for pk, _ in wanted if pk not in existing]
        taken = set(model.objects.filter(pk__in=missing).values_list("pk", flat=True))
        ids[kind] = {}
        to_update, to_create, update_fields = [], [], {"version"}
        for pk, values in wanted:
            values = {("sub_journey_id" if name == "sub_journey" else name): v for name, v in values.items()}
            obj = existing.get(pk)
            if obj is not None:
                changed = [name for name, value in values.items() if getattr(obj, name) != value]
                if changed:
                    for name in changed:
                        setattr(obj, name, values[name])
                    obj.version += 1
                    if kind == "card" and set(changed) & set(CONTENT_FIELDS["card"]):
                        obj.updated_at = now
                    to_update.append(obj)
                    update_fields.update(changed)
                ids[kind][pk] = pk
                continue
            obj = model(journey=journey, **values)
            if pk not in taken:
                obj.pk = pk
            if kind == "card":
                obj.created_by, obj.created_at, obj.updated_at = by, now, now
            to_create.append((pk, obj))
        if to_update:
            if kind == "card":
                update_fields.add("updated_at")
            model.objects.bulk_update(to_update, sorted(update_fields))
        if to_create:
            model.objects.bulk_create([obj for _, obj in to_create])
            for pk, obj in to_create:
                ids[kind][pk] = obj.pk
        applied.created += len(to_create)
        applied.updated += len(to_update)
    # Delete what the snapshot lacks, leaves first (so nothing kept is cascaded away).
    for kind in reversed(KINDS):
        gone = MODEL[kind].objects.filter(journey=journey).exclude(pk__in=ids[kind].values())
        applied.deleted += gone.delete()[1].get(MODEL[kind]._meta.label, 0)
    return applied


def _settle_trash(journey: Journey) -> None:
    """Deleted elements that a restore brought back are no longer "recently deleted": mark them put back."""
    now = timezone.now()
    for kind in KINDS:
        back = (
            TrashedItem.objects.filter(journey=journey, kind=kind, restored_at__isnull=True)
            .annotate(root=Cast(KT(f"payload__{PLURAL[kind]}__0__id"), BigIntegerField()))
            .filter(root__in=MODEL[kind].objects.filter(journey=journey).values("pk"))
            .values_list("pk", flat=True)
        )
        TrashedItem.objects.filter(pk__in=back).update(restored_at=now)  # one UPDATE … WHERE id IN (SELECT …)


@transaction.atomic
def version_restore(*, version_id: int, by: User) -> MapVersion:
    """Make the map equal to a version as a new change (editors). The map as it was is first kept as an
    automatic "before restore" version, which is returned: restoring it undoes this restore."""
    journey = services._lock(_version_journey_id(version_id), by, access.EDIT)
    version = MapVersion.objects.get(pk=version_id)
    if version.snapshot.get("schema") != SNAPSHOT_SCHEMA:
        raise ValidationError({"version": "This version was saved in a format this server cannot restore."})
    before = MapVersion.objects.create(
        journey=journey,
        kind=MapVersion.Kind.BEFORE_RESTORE,
        label=f"Before restoring “{version}”"[:LABEL_MAX],
        revision=journey.revision,
        snapshot=version_snapshot(journey),
        created_by=by,
    )
    _apply_snapshot(journey, version.snapshot, by)
    _settle_trash(journey)
    services._record(journey, by, "restored", version, f"restored the map to the version “{version}”")
    return before
