"""Rows kept whole and put back: the machinery journeys' trash (trash.py), version restores (versioning.py),
the rows waiting for what they point at (waiting.py) and upper apps' own undo (research's trash) share.

A kept row is every concrete column of a model's row, by attname (`card_id`), as JSON-safe values
(`rows_of`), read back into unsaved instances (`instances`). `collect` finds every row a delete takes with
it from the models' relations (on_delete=CASCADE, of every installed app), so the rows of an app added later
are kept without changing this module. `rows_return` puts kept rows back when what they point at is there,
and says which of the others can wait for it: a row pointing at something that has an undo of its own
(a map element, or a model an upper app registered in journeys/attachments.py) can come back later.
"""

import datetime
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.db import models
from django.utils.duration import duration_iso_string

from ..models import Card, Lane, Stage, Step


def json_safe(value):
    """A column value as JSON that `Field.to_python` reads back exactly (datetimes keep microseconds)."""
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return duration_iso_string(value)
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    return value


def rows_of(model, queryset) -> list[dict]:
    """Every concrete column of the rows, by attname (`card_id`), as JSON-safe values."""
    names = [f.attname for f in model._meta.concrete_fields]
    return [{k: json_safe(v) for k, v in row.items()} for row in queryset.values(*names)]


def instances(model, rows: list[dict]) -> list:
    """Unsaved model instances from kept rows (values parsed back by each field)."""
    fields = {f.attname: f for f in model._meta.concrete_fields}
    return [model(**{k: fields[k].to_python(v) for k, v in row.items() if k in fields}) for row in rows]


def model_of(label: str):
    """The model of a kept row's label ("research.EvidenceLink"), or None for an app removed since (its rows
    cannot come back)."""
    try:
        return apps.get_model(label)
    except LookupError:
        return None


def _reverse_relations(model, on_delete) -> list:
    """Reverse foreign keys and one-to-ones onto `model` with this on_delete, of every installed app, hidden
    ones included (many-to-many tables)."""
    return [
        rel
        for rel in model._meta.get_fields(include_hidden=True)
        if rel.auto_created
        and not rel.concrete
        and (rel.one_to_many or rel.one_to_one)
        and rel.on_delete is on_delete
    ]


def cascade_relations(model) -> list:
    """The relations whose rows a delete of `model` rows takes with it (on_delete=CASCADE)."""
    return _reverse_relations(model, models.CASCADE)


def collect(seeds: dict) -> dict:
    """Every row that deleting `seeds` ({model: ids}) takes with it, the seeds included: {model: {pk: row}}.
    One query per seed model and per relation followed at each depth, whatever the number of rows."""
    found, frontier = {}, {}

    def add(model, rows):
        have, pk = found.setdefault(model, {}), model._meta.pk.attname
        new = [row for row in rows if row[pk] not in have]
        for row in new:
            have[row[pk]] = row
        if new:
            frontier.setdefault(model, []).extend(new)

    for model, ids in seeds.items():
        if ids:
            add(model, rows_of(model, model._base_manager.filter(pk__in=ids).order_by("pk")))
    while frontier:
        current, frontier = frontier, {}
        for model, rows in current.items():
            for rel in cascade_relations(model):
                child, link = rel.related_model, rel.field
                keys = {row[link.target_field.attname] for row in rows}
                queryset = child._base_manager.filter(**{f"{link.attname}__in": keys}).order_by("pk")
                add(child, rows_of(child, queryset))
    return found


def pointer_relations(model) -> list:
    """The relations whose rows a delete of `model` rows keeps but changes (on_delete=SET_NULL: a score's
    satisfaction metric)."""
    return _reverse_relations(model, models.SET_NULL)


def collect_pointers(found: dict) -> dict:
    """What deleting the rows `collect` found ({model: {pk: row}}) would clear in rows it does not take:
    {label: {attname: [[pk, value], ...]}} for every SET_NULL foreign key pointing at one of them, so a
    restore can point them back (`pointers_return`). One query per such relation of the models found."""
    out = {}
    for model, rows in found.items():
        for rel in pointer_relations(model):
            child, link = rel.related_model, rel.field
            keys = {row[link.target_field.attname] for row in rows.values()}
            taken = set(found.get(child, {}))
            pairs = (
                child._base_manager.filter(**{f"{link.attname}__in": keys})
                .exclude(pk__in=taken)
                .order_by("pk")
                .values_list("pk", link.attname)
            )
            listed = [[json_safe(pk), json_safe(value)] for pk, value in pairs]
            if listed:
                out.setdefault(child._meta.label, {}).setdefault(link.attname, []).extend(listed)
    return out


def pointers_left(pointers: dict, *, back: dict, elements: dict | None = None) -> dict:
    """`pointers` ({label: {attname: [[pk, value]]}}) without those at rows that came back (`back` {label:
    pks}; `elements` {kind: ids} of map elements, by their model's label), which were pointed back with
    them. No query."""
    came = {label: set(pks) for label, pks in back.items()}
    kinds = {"stage": Stage, "step": Step, "lane": Lane, "card": Card}
    for kind, ids in (elements or {}).items():
        came.setdefault(kinds[kind]._meta.label, set()).update(ids)
    left = {}
    for label, columns in pointers.items():
        model = model_of(label)
        for attname, pairs in columns.items():
            fields = model._meta.concrete_fields if model is not None else ()
            f = next((f for f in fields if f.attname == attname), None)
            target = f.related_model._meta.label if f is not None and f.is_relation else None
            kept = [pair for pair in pairs if target is None or pair[1] not in came.get(target, set())]
            if kept:
                left.setdefault(label, {})[attname] = kept
    return left


def pointers_return(pointers: dict) -> tuple[int, dict]:
    """Point back what a delete cleared ({label: {attname: [[pk, value]]}} from `collect_pointers`), once
    what they point at is there again: only rows that exist and are still cleared (a value chosen since is
    kept). Returns (how many rows changed, the pointers of rows that are not there: {label: {attname: [[pk,
    value]]}}, taken by another delete whose undo has not come yet — `waiting_keep_pointers` keeps them
    for it). Two queries per pointer column, whatever the rows."""
    changed, missing = 0, {}
    for label, columns in pointers.items():
        model = model_of(label)
        if model is None:
            continue
        for attname, pairs in columns.items():
            f = next((f for f in model._meta.concrete_fields if f.attname == attname), None)
            if f is None or not f.is_relation or not pairs:
                continue
            wanted = {}  # the first pair of a row wins: callers list the newest keeping first
            for pk, value in pairs:
                wanted.setdefault(f.model._meta.pk.to_python(pk), f.target_field.to_python(value))
            target = f.related_model
            there = set(
                target._base_manager.filter(
                    **{f"{f.target_field.attname}__in": set(wanted.values())}
                ).values_list(f.target_field.attname, flat=True)
            )
            existing = dict(model._base_manager.filter(pk__in=wanted).values_list("pk", attname))
            objs = []
            for pk, value in wanted.items():
                if pk not in existing:
                    missing.setdefault(label, {}).setdefault(attname, []).append(
                        [json_safe(pk), json_safe(value)]
                    )
                elif existing[pk] is None and value in there:
                    obj = model(pk=pk)
                    setattr(obj, attname, value)
                    objs.append(obj)
            if objs:
                model._base_manager.bulk_update(objs, [f.name])
                changed += len(objs)
    return changed, missing


# ---------------------------------------------------------------------------------------------- references


def _links(candidates: dict) -> list:
    return [
        (model, f)
        for model in candidates
        for f in model._meta.concrete_fields
        if f.is_relation and (f.many_to_one or f.one_to_one)
    ]


def _settle(candidates: dict, known: dict):
    """settle_references, also returning the rows left out and, for each, what it points at that is not
    there: ([(model, obj, {(target model, pk)})])."""
    links = _links(candidates)
    alive = {model: {obj.pk for obj in objs} for model, objs in candidates.items()}
    present = {model: set(ids) for model, ids in known.items()}
    asked = {}
    for model, f in links:
        target = f.related_model
        values = {getattr(obj, f.attname) for obj in candidates[model]} - {None}
        values -= present.get(target, set()) | alive.get(target, set())
        if values:
            asked.setdefault(target, set()).update(values)
    for target, values in asked.items():
        found = target._base_manager.filter(pk__in=values).values_list("pk", flat=True)
        present.setdefault(target, set()).update(found)
    kept = {model: list(objs) for model, objs in candidates.items()}
    dropped = []
    changed = True
    while changed:
        changed = False
        for model, f in links:
            target, on_delete = f.related_model, f.remote_field.on_delete
            there = present.get(target, set()) | alive.get(target, set())
            for obj in list(kept[model]):
                value = getattr(obj, f.attname)
                if value is None or value in there:
                    continue
                if on_delete is models.SET_NULL and f.null:
                    setattr(obj, f.attname, None)
                elif on_delete is models.SET_DEFAULT:
                    setattr(obj, f.attname, f.get_default())
                else:
                    kept[model].remove(obj)
                    alive[model].discard(obj.pk)
                    dropped.append((model, obj))
                    changed = True
    missing = []
    for model, obj in dropped:
        away = set()
        for f in model._meta.concrete_fields:
            if f.is_relation and (f.many_to_one or f.one_to_one):
                target, value = f.related_model, getattr(obj, f.attname)
                if value is not None and value not in present.get(target, set()) | alive.get(target, set()):
                    away.add((target, value))
        missing.append((model, obj, away))
    return kept, missing


def settle_references(candidates: dict, known: dict) -> dict:
    """Of rows about to be put back ({model: [instances]}), those whose references hold: a foreign key must
    point at a row that is there (in the database, among the candidates, or in `known` {model: ids}). A
    dangling SET_NULL (SET_DEFAULT) column is cleared (reset); a row that cannot exist without its target
    stays out, and so do the rows pointing at it. One query per model pointed at outside `known`."""
    return _settle(candidates, known)[0]


def _dependency_order(models_: list) -> list:
    """Models ordered so that one comes after those it points at (self-references aside)."""
    ordered, left = [], list(models_)
    while left:
        for model in left:
            targets = {f.related_model for f in model._meta.concrete_fields if f.is_relation} - {model}
            if not targets & (set(left) - {model}):
                ordered.append(model)
                left.remove(model)
                break
        else:  # a cycle between models: foreign keys are checked at commit anyway
            ordered.extend(left)
            break
    return ordered


@dataclass
class Returned:
    """What `rows_return` did: {label: pks put back}, {label: pks that were there already (or an equal row
    was, by a unique constraint)}, and the kept rows that can wait for what they point at {label: [row]}."""

    back: dict = field(default_factory=dict)
    there: dict = field(default_factory=dict)
    waiting: dict = field(default_factory=dict)


def rows_return(*, rows: dict, known: dict, restorable=frozenset(), skip_equal: bool = False) -> Returned:
    """Put back kept rows ({label: {pk: row}}) whose references hold once the elements are back (`known`
    {model: ids} of what is on the map); rows already there are left as they are. Of the rows left out, those
    pointing only at rows of `restorable` models (things with an undo of their own: they may come back) or
    at rows waiting themselves are returned as `waiting`; the others (pointing at a person or journey gone
    for good) are dropped. `skip_equal`: a row that would break a unique constraint (an equal row was made
    meanwhile) is skipped as being there. A constant number of queries per model, whatever the rows."""
    candidates, kept_rows = {}, {}
    for label, kept in rows.items():
        model = model_of(label)
        if model is not None and kept:
            candidates[model] = instances(model, list(kept.values()))
            kept_rows[model] = kept
    result = Returned()
    for model, objs in candidates.items():
        ids = [obj.pk for obj in objs if obj.pk is not None]
        there = set(model._base_manager.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
        if there:
            result.there[model._meta.label] = there
        candidates[model] = [obj for obj in objs if obj.pk is None or obj.pk not in there]
    settled, missing = _settle(candidates, known)
    for model in _dependency_order(list(settled)):
        objs = sorted(settled[model], key=lambda o: (o.pk is None, o.pk or 0))
        if not objs:
            continue
        label = model._meta.label
        if skip_equal:
            model._base_manager.bulk_create(objs, ignore_conflicts=True)
            ids = {obj.pk for obj in objs}
            made = set(model._base_manager.filter(pk__in=ids).values_list("pk", flat=True))
            if ids - made:
                result.there.setdefault(label, set()).update(ids - made)
            objs = [obj for obj in objs if obj.pk in made]
        else:
            model._base_manager.bulk_create(objs)
        if objs:
            result.back[label] = {obj.pk for obj in objs}
    # Left out: those that can wait (everything they miss may come back), worked out to a fixed point.
    waits = {(model, obj.pk): away for model, obj, away in missing if obj.pk is not None}
    changed = True
    while changed:
        changed = False
        for key, away in list(waits.items()):
            if any(target not in restorable and (target, pk) not in waits for target, pk in away):
                del waits[key]
                changed = True
    for model, pk in waits:
        row = kept_rows[model].get(pk)
        if row is not None:
            result.waiting.setdefault(model._meta.label, []).append(row)
    return result


def rows_put_back(*, rows: dict, known: dict) -> dict:
    """Put back kept rows attached to elements ({label: {pk: row}}) whose references hold once the elements
    are back (`known` {model: ids} of what is on the map); rows already there are left as they are.
    Returns {label: pks put back}. A constant number of queries per model, whatever the number of rows."""
    return rows_return(rows=rows, known=known).back
