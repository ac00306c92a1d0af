"""Undo of deletions, and the keeping of everything attached to a map's elements.

A deleted stage, step, lane or card is kept as a TrashedItem with every row the delete takes with it, each
with all its columns: the steps and cards under it, and every row of any app that points at one of them
through a foreign key with on_delete=CASCADE — comment threads, @mention links, and what later apps attach
(evidence links, scores, metrics). Those rows are found from the models' relations (`cascade_relations`),
not from a list, so the rows of an app added later are kept and put back without changing this module.

`trash_restore` puts an item back following one rule: things come back where they were, with their
original ids, or not at all. An element returns at its old position among today's siblings (clamped to the
end when they are fewer now). When the stage of a step, or the lane or step of a card, has since been
deleted too, the restore is refused with a message naming it (put that back first: undoing in reverse
order always works). Cards under a restored step or lane whose other parent is gone for good are left out.
Rows attached to what comes back return when what they point at is there; a reference to a person who has
left since is cleared (SET_NULL columns). A row that cannot exist without something deleted too waits for
it when that has an undo of its own (another element; an upper app's evidence, journeys/attachments.py):
an evidence link whose evidence was deleted after the card comes back when both are back, whichever undo
comes last (waiting.py). A row pointing at what is gone for good (a person's mention) stays out. A row
the delete does not take but changes — a SET_NULL column pointing at a deleted row, like a score's
satisfaction metric on a deleted step — is pointed back when the restore brings its target back and the
column is still empty (`collect_pointers` / `pointers_return`).

A version restore (versioning.py) keeps through the same machinery: what the version lacks goes to the
trash as one item of kind RESTORE, and what the version has but the map lacks comes back from the trash
(`trash_held` / `rows_return` / `trash_consume`), so a restore and its undo lose nothing.

Items are kept TRASH_RETENTION_DAYS (settings; 30 by default) after the delete, then purged for good by a
daily task (`trash_purge`, journeys.purge_trash), put back or not.
"""

import datetime
import json
import operator
from dataclasses import dataclass, field
from functools import reduce

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Func, IntegerField, Q, Value
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from core.text import shorten

from .. import access
from ..models import Card, Comment, Journey, Lane, Stage, Step, TrashedItem
from .changes import lock_journey, record_change
from .rows import (
    collect,
    collect_pointers,
    instances,
    model_of,
    pointers_left,
    pointers_return,
    rows_return,
    settle_references,
)
from .waiting import (
    restorable,
    waiting_keep,
    waiting_keep_pointers,
    waiting_lock,
    waiting_purge,
    waiting_return,
)

PAYLOAD_SCHEMA = 2
KINDS = ("stage", "step", "lane", "card")  # parents before children
RESTORE = "restore"  # the kind of the item holding what a version restore removed
PLURAL = {"stage": "stages", "step": "steps", "lane": "lanes", "card": "cards"}
ELEMENT = {"stage": Stage, "step": Step, "lane": Lane, "card": Card}
KIND_OF = {model: kind for kind, model in ELEMENT.items()}
TITLE_MAX = TrashedItem._meta.get_field("title").max_length
PURGE_TASK = "journeys.purge_trash"


def _payload(found: dict) -> dict:
    payload = {"schema": PAYLOAD_SCHEMA, **{PLURAL[kind]: [] for kind in KINDS}, "rows": {}}
    for model, rows in found.items():
        if model in KIND_OF:
            payload[PLURAL[KIND_OF[model]]] = list(rows.values())
        else:
            payload["rows"][model._meta.label] = list(rows.values())
    return payload


def _upgraded(payload: dict) -> dict | None:
    """A kept payload in today's shape; None when this server cannot read it."""
    if payload.get("schema") == PAYLOAD_SCHEMA:
        return payload
    if payload.get("schema") == 1:  # comments and (comment, user) mention pairs, by name
        mentions = Comment.mentions.through
        rows = {
            Comment._meta.label: payload.get("comments", []),
            mentions._meta.label: [{"comment_id": c, "user_id": u} for c, u in payload.get("mentions", [])],
        }
        return {
            "schema": PAYLOAD_SCHEMA,
            **{PLURAL[k]: payload.get(PLURAL[k], []) for k in KINDS},
            "rows": rows,
        }
    return None


# ---------------------------------------------------------------------------------------------- keeping


def title_of(kind: str, obj) -> str:
    """A one-line title for a trash item: the element's title (a card's text), shortened to fit."""
    text = obj.text if kind == "card" else obj.title
    return shorten(" ".join(text.split()), TITLE_MAX)


def trash_keep(*, journey: Journey, by: User | None, kind: str, seeds: dict, title: str) -> TrashedItem:
    """Keep elements about to be deleted ({model: ids}) with every row their delete takes with it, as one
    trash item (called under the journey's lock, before the delete)."""
    found = collect(seeds)
    payload = _payload(found)
    pointers = collect_pointers(found)
    if pointers:  # SET_NULL columns elsewhere the delete clears (a score's metric): pointed back on restore
        payload["pointers"] = pointers
    return TrashedItem.objects.create(journey=journey, kind=kind, title=title, payload=payload, deleted_by=by)


def trash_put(*, journey: Journey, by: User, kind: str, obj) -> TrashedItem:
    """Keep a stage, step, lane or card about to be deleted, with everything under and attached to it
    (called by the *_delete services under the journey's lock)."""
    return trash_keep(
        journey=journey, by=by, kind=kind, seeds={type(obj): [obj.pk]}, title=title_of(kind, obj)
    )


def trash_list(*, journey: Journey, limit: int = 50):
    """Recently deleted elements of a journey not yet put back, newest first, each with `card_count` (the
    cards that would come back with it) and its deleter."""
    return (
        TrashedItem.objects.filter(journey=journey, restored_at__isnull=True)
        .select_related("deleted_by")
        .defer("payload")
        .annotate(
            card_count=Func(F("payload__cards"), function="jsonb_array_length", output_field=IntegerField())
        )
        .order_by("-deleted_at", "-id")[:limit]
    )


# ---------------------------------------------------------------------------------------------- finding


class _JsonPath(Func):
    template = "%(expressions)s::jsonpath"


class _JsonbValue(Func):
    template = "%(expressions)s::jsonb"


def _holds(kind: str, ids) -> Q:
    """Items whose payload holds one of these elements (one jsonpath test per item, in SQL)."""
    test = Func(
        F("payload"),
        _JsonPath(Value(f"$.{PLURAL[kind]}[*] ? (@.id == $ids)")),
        _JsonbValue(Value(json.dumps({"ids": sorted(ids)}))),
        function="jsonb_path_exists",
        output_field=models.BooleanField(),
    )
    return Q(test)


def _open_items_holding(journey: Journey, wanted: dict, exclude=None) -> list[TrashedItem]:
    """Open trash items of the journey holding any of `wanted` ({kind: ids}), newest first (one query)."""
    tests = [_holds(kind, ids) for kind, ids in wanted.items() if ids]
    if not tests:
        return []
    items = TrashedItem.objects.filter(journey=journey, restored_at__isnull=True).filter(
        reduce(operator.or_, tests)
    )
    if exclude is not None:
        items = items.exclude(pk=exclude.pk)
    return list(items.order_by("-deleted_at", "-id"))


@dataclass
class Held:
    """Elements a version restore wants back that sit in the trash: their kept rows (the newest keeping of
    each), the rows attached to them, and the items holding them."""

    items: list = field(default_factory=list)
    elements: dict = field(default_factory=dict)  # kind -> {id: row}
    rows: dict = field(default_factory=dict)  # model label -> {pk: row}
    pointers: dict = field(default_factory=dict)  # model label -> {attname: [[pk, value]]}


def trash_held(*, journey: Journey, wanted: dict) -> Held:
    """What of `wanted` ({kind: ids}) the journey's open trash items hold, with what is attached to it
    (one query)."""
    held = Held(elements={kind: {} for kind in KINDS})
    for item in _open_items_holding(journey, wanted):
        payload = _upgraded(item.payload)
        if payload is None:
            continue
        item.payload = payload
        held.items.append(item)
        for kind in KINDS:
            for row in payload[PLURAL[kind]]:
                if row["id"] in wanted.get(kind, ()):
                    held.elements[kind].setdefault(row["id"], row)
        for label, rows in _by_pk(payload["rows"]).items():
            for pk, row in rows.items():
                held.rows.setdefault(label, {}).setdefault(pk, row)
        for label, columns in payload.get("pointers", {}).items():
            for attname, pairs in columns.items():
                held.pointers.setdefault(label, {}).setdefault(attname, []).extend(pairs)
    return held


def trash_consume(*, held: Held, elements: dict, rows: dict) -> None:
    """Take what a version restore brought back ({kind: ids}, {label: pks}: put back, or waiting now) out of
    the items holding it; an item with no element left is put back (one query)."""
    now = timezone.now()
    for item in held.items:
        payload = item.payload
        for kind in KINDS:
            payload[PLURAL[kind]] = [
                r for r in payload[PLURAL[kind]] if r["id"] not in elements.get(kind, ())
            ]
        for label, kept in payload["rows"].items():
            model = model_of(label)
            back = rows.get(label, set())
            if model is not None and back:
                pk = model._meta.pk.attname
                payload["rows"][label] = [r for r in kept if r.get(pk) not in back]
        # Pointers at what came back were pointed back now (rows_back): an undo of the item later must not
        # point them again over a choice made since.
        if payload.get("pointers"):
            payload["pointers"] = pointers_left(payload["pointers"], back=rows, elements=elements)
        if not any(payload[PLURAL[kind]] for kind in KINDS):
            item.restored_at = now
    if held.items:
        TrashedItem.objects.bulk_update(held.items, ["payload", "restored_at"])


def _by_pk(rows: dict) -> dict:
    """Kept rows {label: [row]} keyed by their primary key: {label: {pk: row}}."""
    out = {}
    for label, kept in rows.items():
        model = model_of(label)
        if model is not None:
            pk = model._meta.pk.attname
            out[label] = {row.get(pk, ("new", index)): row for index, row in enumerate(kept)}
    return out


# ---------------------------------------------------------------------------------------------- putting back


def _item_journey_id(item_id) -> int:
    journey_id = TrashedItem.objects.filter(pk=item_id).values_list("journey_id", flat=True).first()
    if journey_id is None:
        raise Http404("No such deleted item.")
    return journey_id


def rows_back(*, journey: Journey, rows: dict, known: dict, pointers=None) -> tuple[dict, dict]:
    """Put back kept rows attached to elements now on the journey's map ({label: {pk: row}}; `known` {model:
    ids} on the map), then the rows waiting on the journey whose references now hold, then point back the
    SET_NULL columns the delete cleared (`pointers`, rows.collect_pointers). Returns ({label: pks
    put back}, {label: pks waiting now}): a kept row missing only what may come back (an element in a trash
    item, evidence in research's) waits for it; the caller takes both out of the items that held them. A
    constant number of queries."""
    returned = rows_return(rows=rows, known=known, restorable=restorable())
    again = waiting_return(journey=journey, known=known)
    waiting_keep(journey_id=journey.pk, rows=returned.waiting)
    if pointers:
        _, missing = pointers_return(pointers)
        waiting_keep_pointers(journey_id=journey.pk, pointers=missing)
    back = {label: set(pks) for label, pks in returned.back.items()}
    for label, pks in again.back.items():
        back.setdefault(label, set()).update(pks)
    waiting = {}
    for label, kept in returned.waiting.items():
        pk = model_of(label)._meta.pk.attname  # rows_return returns rows of installed models only
        waiting[label] = {row[pk] for row in kept}
    return back, waiting


def _element_name(item: TrashedItem, kind: str, pk: int) -> str:
    for row in (_upgraded(item.payload) or {}).get(PLURAL[kind], []):
        if row["id"] == pk:
            return row.get("title") or row.get("text") or item.title
    return item.title


def _place_back(journey: Journey, kind: str, coming: list) -> None:
    """Give elements coming back their old positions among today's siblings (clamped to the end) and
    renumber the siblings densely; saves the siblings whose position changed (one or two queries)."""
    model = ELEMENT[kind]
    parents = model.parent_fields

    def group(obj):
        return tuple(getattr(obj, f"{p}_id") for p in parents)

    groups = {}
    for obj in coming:
        groups.setdefault(group(obj), []).append(obj)
    siblings = model.objects.select_for_update().filter(journey=journey)
    if parents:
        siblings = siblings.filter(**{f"{parents[0]}_id__in": {key[0] for key in groups}})
    live = {}
    for obj in siblings.order_by("position"):
        if group(obj) in groups:
            live.setdefault(group(obj), []).append(obj)
    moved = []
    for key, returning in groups.items():
        ordered = list(live.get(key, []))
        for obj in sorted(returning, key=lambda o: o.position):
            ordered.insert(min(obj.position, len(ordered)), obj)
        for index, obj in enumerate(ordered):
            if obj.position != index and obj not in returning:
                moved.append(obj)
            obj.position = index
    if moved:
        model.objects.bulk_update(moved, ["position"])


@transaction.atomic
def trash_restore(*, item_id: int, by: User):
    """Put a deleted stage, step, lane or card back where it was, with what was under and attached to it
    (editors); an item of kind RESTORE puts back everything that version restore removed. Returns the
    (first) element put back."""
    journey_id = _item_journey_id(item_id)
    waiting_lock(journey_id=journey_id)  # before the journey's lock, like every undo (waiting.py)
    journey = lock_journey(journey_id, by, access.EDIT)
    item = TrashedItem.objects.select_for_update().get(pk=item_id)
    label = "what a restore removed" if item.kind == RESTORE else f"the {item.kind} “{item.title}”"
    if item.restored_at is not None:
        raise ValidationError({"item": f"{label[0].upper()}{label[1:]} was already put back."})
    payload = _upgraded(item.payload)
    if payload is None or item.kind not in (*KINDS, RESTORE):
        raise ValidationError({"item": "This deleted item was kept in a format this server cannot restore."})
    kept = {kind: instances(ELEMENT[kind], payload[PLURAL[kind]]) for kind in KINDS}
    in_item = {kind: {obj.pk for obj in kept[kind]} for kind in KINDS}

    # What is on the map already (brought back by other means) stays as it is.
    live = {
        kind: set(ELEMENT[kind].objects.filter(journey=journey).values_list("pk", flat=True))
        for kind in ("stage", "step", "lane")
    }
    taken = {
        kind: set(ELEMENT[kind].objects.filter(pk__in=in_item[kind]).values_list("pk", flat=True))
        for kind in KINDS
    }
    coming = {kind: [obj for obj in kept[kind] if obj.pk not in taken[kind]] for kind in KINDS}
    if not any(coming.values()):
        raise ValidationError({"item": f"{label[0].upper()}{label[1:]} is on the map again already."})

    # Parents outside the item that are gone: deleted too (then say which, to put back first) or for good.
    def is_root(obj, kind):
        return not any(getattr(obj, f"{p}_id") in in_item[p] for p in ELEMENT[kind].parent_fields)

    roots = [obj for kind in KINDS for obj in kept[kind] if is_root(obj, kind)]
    outside = {p: set() for p in ("stage", "step", "lane")}
    for kind in KINDS:
        for obj in coming[kind]:
            for p in ELEMENT[kind].parent_fields:
                pk = getattr(obj, f"{p}_id")
                if pk not in live[p] and pk not in in_item[p]:
                    outside[p].add(pk)
    holders = _open_items_holding(journey, outside, exclude=item)
    back = {kind: [] for kind in KINDS}
    back_ids = {kind: set() for kind in KINDS}
    for kind in KINDS:
        for obj in coming[kind]:
            root = is_root(obj, kind)
            what = f"this {kind} was in" if root else f"holding some of these {kind}s"
            fine = True
            for p in ELEMENT[kind].parent_fields:
                pk = getattr(obj, f"{p}_id")
                if pk in live[p] or pk in back_ids[p]:
                    continue
                fine = False
                if pk in in_item[p]:
                    break  # its parent in this item stays out, so does it
                holder = next(
                    (h for h in holders if pk in {r["id"] for r in _upgraded(h.payload)[PLURAL[p]]}), None
                )
                if holder is not None:
                    name = _element_name(holder, p, pk)
                    how = "removed by a restore" if holder.kind == RESTORE else "deleted"
                    raise ValidationError(
                        {"item": f"The {p} “{name}” {what} was {how} too. Put it back first, then this."}
                    )
                if root and len(roots) == 1:
                    raise ValidationError(
                        {"item": f"The {p} {what} no longer exists, so this cannot go back where it was."}
                    )
                break  # gone for good: leave it out
            if fine:
                back[kind].append(obj)
                back_ids[kind].add(obj.pk)
    if not any(back.values()):
        raise ValidationError({"item": "Nothing of this can go back where it was: what held it is gone."})

    # People who have left since keep their rows' history as "someone"; links to journeys deleted since go.
    settled = settle_references(
        {ELEMENT[kind]: back[kind] for kind in KINDS if back[kind]},
        {Journey: {journey.pk}, **{ELEMENT[k]: live[k] for k in live}},
    )
    for kind in KINDS:
        objs = settled.get(ELEMENT[kind], [])
        if not objs:
            continue
        for obj in objs:
            obj.journey_id = journey.pk
        _place_back(journey, kind, objs)
        ELEMENT[kind].objects.bulk_create(objs)
    known = {Journey: {journey.pk}, **{ELEMENT[k]: back_ids[k] | live.get(k, set()) for k in KINDS}}
    rows_back(journey=journey, rows=_by_pk(payload["rows"]), known=known, pointers=payload.get("pointers"))

    item.restored_at = timezone.now()
    item.save(update_fields=["restored_at"])
    first = next(obj for kind in KINDS for obj in back[kind] if is_root(obj, kind))
    cards = len(back["card"])
    if item.kind == RESTORE:
        count = sum(len(objs) for objs in back.values())
        summary = (
            f"put back {count} element{'s' if count != 1 else ''} {item.title[0].lower()}{item.title[1:]}"
        )
    else:
        with_cards = f" with {cards} card{'s' if cards != 1 else ''}" if item.kind != "card" else ""
        summary = f"put back the deleted {item.kind} “{item.title}”{with_cards}"
    record_change(journey, by, "restored", first, summary)
    return first


# ---------------------------------------------------------------------------------------------- retention


def trash_purge(*, now: datetime.datetime | None = None) -> int:
    """Delete trash items deleted more than TRASH_RETENTION_DAYS ago, put back or not, and the rows that
    waited as long for what they point at (journeys.purge_trash, daily; a second run finds nothing).
    Returns how many items went."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.TRASH_RETENTION_DAYS)
    deleted, _ = TrashedItem.objects.filter(deleted_at__lt=cutoff).delete()
    waiting_purge(now=now)
    return deleted
