"""Rows attached to map elements that wait for what they point at (journeys/attachments.py explains why).

An evidence link points at two things with an undo each: its card (journeys' trash) and its evidence
(research's trash). Whichever is put back first, the link cannot come back with it while the other is
still deleted; it waits here (WaitingRow) and comes back with the other, whichever order the deletes and
undos happened in:
- journeys' undo and version restore end with `waiting_return` (the rows waiting on their journey);
- an upper app's undo takes the rows waiting for what it puts back (`waiting_take`) and keeps those whose
  element is still deleted waiting (`waiting_keep`).

A cleared pointer waits the same way for the row it belongs to (`waiting_keep_pointers`): a step delete
clears the satisfaction metric of a card's score (SET_NULL) and keeps the pointer to put it back on undo;
if the card was deleted since, its score is in the card's trash item when the step comes back, so the
pointer waits and is pointed back when the card's undo puts the score back (`waiting_return`).

Both kinds of undo first take `waiting_lock` (the workspace's row, FOR NO KEY UPDATE: inserts pointing at
the workspace are not blocked) and then their journeys' locks, always in that order, so one undo's rows
cannot start waiting just after the other undo looked for them.
"""

import datetime

from django.conf import settings
from django.utils import timezone

from accounts.models import Workspace

from .. import attachments
from ..models import Card, Journey, Lane, Stage, Step, WaitingRow
from .rows import Returned, model_of, pointers_return, rows_return

ELEMENTS = frozenset({Stage, Step, Lane, Card})
POINTER = "pointer"  # WaitingRow.model of a waiting pointer: its row is {label, attname, pk, value}


def waiting_lock(*, workspace_id: int | None = None, journey_id: int | None = None) -> None:
    """Serialise undos of one workspace around its waiting rows (call before locking any journey): lock the
    workspace row, named directly or by one of its journeys (one query)."""
    workspaces = Workspace.objects.select_for_update(no_key=True, of=("self",))
    if workspace_id is not None:
        workspaces = workspaces.filter(pk=workspace_id)
    else:
        workspaces = workspaces.filter(journeys__pk=journey_id)
    list(workspaces.values_list("pk", flat=True))


def waiting_keep(*, journey_id: int, rows: dict) -> int:
    """Keep rows ({label: [row]}) of the journey waiting for what they point at (one query). Returns how
    many."""
    objs = [
        WaitingRow(journey_id=journey_id, model=label, row=row)
        for label, kept in rows.items()
        for row in kept
    ]
    if objs:
        WaitingRow.objects.bulk_create(objs)
    return len(objs)


def waiting_keep_pointers(*, journey_id: int, pointers: dict) -> int:
    """Keep cleared pointers ({label: {attname: [[pk, value]]}}, rows.pointers_return's missing ones) of the
    journey waiting for their rows to come back (one query). Returns how many."""
    objs = [
        WaitingRow(
            journey_id=journey_id,
            model=POINTER,
            row={"label": label, "attname": attname, "pk": pk, "value": value},
        )
        for label, columns in pointers.items()
        for attname, pairs in columns.items()
        for pk, value in pairs
    ]
    if objs:
        WaitingRow.objects.bulk_create(objs)
    return len(objs)


def waiting_take(*, model, column: str, values) -> list[tuple[int, dict]]:
    """Take out the rows of `model` waiting whose `column` (an attname, e.g. "evidence_id") is one of
    `values`: [(journey id, row)], oldest first. The caller puts them back or keeps them waiting again, in
    the same transaction (two queries)."""
    values = sorted(set(values))
    if not values:
        return []
    waiting = list(
        WaitingRow.objects.select_for_update()
        .filter(model=model._meta.label, **{f"row__{column}__in": values})
        .order_by("created_at", "id")
        .values_list("pk", "journey_id", "row")
    )
    if waiting:
        WaitingRow.objects.filter(pk__in=[pk for pk, _, _ in waiting]).delete()
    return [(journey_id, row) for _, journey_id, row in waiting]


def waiting_return(*, journey: Journey, known: dict) -> Returned:
    """Put back the rows waiting on the journey whose references now hold (`known` {model: ids} of what is
    on the map), after an undo or version restore of the journey (locked). Rows already there, or equal to
    one made meanwhile, stop waiting; the others keep waiting. A constant number of queries."""
    waiting = list(
        WaitingRow.objects.filter(journey=journey).order_by("pk").values_list("pk", "model", "row")
    )
    if not waiting:
        return Returned()
    rows, owner, pointers, pointer_rows = {}, {}, {}, []
    for pk, label, row in waiting:
        if label == POINTER:
            pointers.setdefault(row["label"], {}).setdefault(row["attname"], []).append(
                [row["pk"], row["value"]]
            )
            pointer_rows.append((pk, row))
            continue
        model = model_of(label)
        key = row.get(model._meta.pk.attname) if model is not None else None
        if key is None:
            continue
        rows.setdefault(label, {})[key] = row
        owner[(label, key)] = pk
    returned = rows_return(rows=rows, known=known, skip_equal=True)
    done = [
        owner[(label, key)]
        for found in (returned.back, returned.there)
        for label, keys in found.items()
        for key in keys
        if (label, key) in owner
    ]
    if pointers:  # after the rows: a row that came back just now takes its pointer
        for columns in pointers.values():
            for pairs in columns.values():
                pairs.reverse()  # the newest waiting first: pointers_return takes a row's first pair
        _, missing = pointers_return(pointers)
        still = {
            (label, attname, pk) for label, columns in missing.items() for attname, pairs in columns.items()
            for pk, _ in pairs
        }  # fmt: skip
        done += [pk for pk, row in pointer_rows if (row["label"], row["attname"], row["pk"]) not in still]
    if done:
        WaitingRow.objects.filter(pk__in=done).delete()
    return returned


def restorable() -> frozenset:
    """Models whose deleted rows may come back: map elements, and what upper apps registered."""
    return ELEMENTS | attachments.restorable()


def waiting_purge(*, now: datetime.datetime | None = None) -> int:
    """Delete rows that waited longer than TRASH_RETENTION_DAYS: what they wait for was purged from its
    trash by then (it was deleted before they started waiting). Returns how many."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.TRASH_RETENTION_DAYS)
    deleted, _ = WaitingRow.objects.filter(created_at__lt=cutoff).delete()
    return deleted
