"""The one way every write to a journey is recorded, and the helpers writes share.

A write to a map:
1. `lock_journey(journey_id, by, need)` locks the journey row (SELECT … FOR UPDATE) and checks that `by`
   holds `need` on it, in the same query set (404 outsiders, 403 members below `need`);
2. changes rows (positions with `place`/`renumber`, fields with `apply_fields` + `save_versioned`);
3. `record_change(journey, by, verb, target, summary)` bumps the journey's revision, writes the Activity
   line, and after commit publishes the live event and queues the automatic version when one is due.
A write that leaves the map as it was (a comment, a saved version, a copy made of it) calls
`note_activity` instead: the activity line without a new revision.

Concurrency: writes to one map are serialised by the journey lock, so positions are renumbered densely
(0…n-1) without gaps or duplicates (the deferred unique constraints on positions are the database's
guarantee of the same). Each stage, step, lane and card carries a `version`; a write that names a stale
`expected_version` raises `Conflict` and changes nothing. Renumbering siblings does not bump their
version, so edits to different cards never conflict.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from celery import current_app
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.text import Truncator
from kombu.exceptions import OperationalError

from accounts.models import User
from core.errors import Conflict

from .. import access, events
from ..models import Activity, Journey, MapVersion

log = logging.getLogger(__name__)

SUMMARY_MAX = Activity._meta.get_field("summary").max_length
# The automatic version is taken at most this often (journeys/tasks.py runs it; see versioning.py).
AUTO_VERSION_EVERY = timedelta(hours=1)
AUTO_VERSION_TASK = "journeys.version_auto"


@dataclass(frozen=True)
class Change:
    """What `record_change` made: the journey and its new revision."""

    journey_id: int
    revision: int


def _locking():
    """Journeys locked for a write (SELECT … FOR UPDATE OF the journey), each with the time of its latest
    version read in the same query, so that the automatic version's check after commit costs none."""
    latest = MapVersion.objects.filter(journey=OuterRef("pk")).order_by("-created_at").values("created_at")
    return Journey.objects.select_for_update(of=("self",)).annotate(latest_version_at=Subquery(latest[:1]))


def lock_journey(journey_id: int, by: User, need: str = access.EDIT) -> Journey:
    """Lock the journey row for this write and check `by` holds `need` on it.

    Args:
        journey_id: the journey's primary key.
        by: the person writing.
        need: access.VIEW, access.EDIT or access.MANAGE.
    Returns the journey with `.access_level` and `.role` set.
    Raises Http404 when `by` cannot see the journey, PermissionDenied below `need`.
    """
    return access.journey_for(by, journey_id, need=need, queryset=_locking())


def lock_journey_of(model, pk, by: User, need: str = access.EDIT) -> Journey:
    """Lock the journey of an element (a stage, step, lane or card by id) and check `by` holds `need` on it,
    in one query: what `journey_id_of` + `lock_journey` do in two.
    Raises Http404 ("No such card.") when there is no such element or `by` cannot see its journey."""
    journey_id = Subquery(model.objects.filter(pk=pk).values("journey_id")[:1])
    return access.journey_for(by, journey_id, need=need, queryset=_locking(), what=model.__name__.lower())


def locked(model, pk, journey: Journey, *, related: tuple = (), annotate: dict | None = None):
    """An element of the locked journey by id, locked too (with `related` joined and `annotate` computed in
    the same query); Http404 when it is gone. Its `journey` is the locked journey (no query to reach it)."""
    qs = model.objects.select_for_update(of=("self",))
    if related:  # select_related() with no fields is deprecated (and would follow every FK)
        qs = qs.select_related(*related)
    if annotate:
        qs = qs.annotate(**annotate)
    obj = qs.filter(pk=pk, journey_id=journey.pk).first()
    if obj is None:
        raise Http404(f"No such {model.__name__.lower()}.")
    obj.journey = journey
    return obj


def validate(obj, *, changed: list[str] | None = None, checked: tuple = ()) -> None:
    """`full_clean` without the checks a write through these services has already covered, each of which
    would cost a query: foreign keys the service looked up itself (`checked`, e.g. a card's lane and step
    found in its journey) or did not change (every relation not in `changed`, the fields an update sets),
    uniqueness (positions are kept dense under the journey lock, and the deferred unique constraints are
    the database's guarantee) and check constraints (the database enforces them; the services check the
    ones a person can break, e.g. the emotion score, with a message). `checked` may also name plain
    fields the service sets later (a new element's position). Raises ValidationError by field."""
    exclude = set(checked)
    if changed is not None:
        exclude |= {f.name for f in obj._meta.concrete_fields if f.is_relation and f.name not in changed}
    obj.full_clean(exclude=sorted(exclude), validate_unique=False, validate_constraints=False)


def journey_id_of(model, pk) -> int:
    """The journey an element (any model with a `journey` foreign key) belongs to; Http404 when none."""
    journey_id = model.objects.filter(pk=pk).values_list("journey_id", flat=True).first() if pk else None
    if journey_id is None:
        raise Http404(f"No such {model.__name__.lower()}.")
    return journey_id


def check_version(obj, expected_version) -> None:
    """Raise Conflict(obj) when `expected_version` (an int, or None for "don't check") is stale;
    ValidationError on `expected_version` when it is not an integer."""
    if expected_version is None:
        return
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        raise ValidationError({"expected_version": "Must be an integer."}) from None
    if obj.version != expected:
        raise Conflict(obj)


def _activity(journey: Journey, by: User | None, verb: str, target, summary: str, now) -> Activity:
    return Activity(
        journey=journey,
        actor=by,
        verb=verb,
        target_type=type(target).__name__.lower() if target is not None else "journey",
        target_id=getattr(target, "pk", None),
        # generated text that quotes user text: shortened with "…" on purpose (the element keeps it whole)
        summary=Truncator(summary).chars(SUMMARY_MAX),
        revision=journey.revision,
        created_at=now,
    )


def _bump_and_insert(journey: Journey, by: User, activity: Activity, now) -> None:
    """The journey's revision bumped and the activity line written with it, in one statement (a
    data-modifying CTE, which the ORM cannot express): every write to a map pays one round trip less."""
    ops = connection.ops
    journey_meta, activity_meta = Journey._meta, Activity._meta

    def column(meta, name):
        return ops.quote_name(meta.get_field(name).column)

    revision = column(journey_meta, "revision")
    fields = [f for f in activity_meta.concrete_fields if not f.primary_key]
    values, params = [], []
    for f in fields:
        if f.name == "revision":
            values.append("(SELECT revision FROM bumped)")
        else:
            values.append("%s")
            params.append(f.get_db_prep_save(getattr(activity, f.attname), connection))
    journeys, activities = ops.quote_name(journey_meta.db_table), ops.quote_name(activity_meta.db_table)
    # names from the models' meta, quoted; every value is a bound parameter
    sql = (
        f"WITH bumped AS (UPDATE {journeys} SET {revision} = {revision} + 1, "  # noqa: S608
        f"{column(journey_meta, 'updated_at')} = %s, {column(journey_meta, 'updated_by')} = %s "
        f"WHERE {ops.quote_name(journey_meta.pk.column)} = %s RETURNING {revision} AS revision) "
        f"INSERT INTO {activities} ({', '.join(ops.quote_name(f.column) for f in fields)}) "
        f"VALUES ({', '.join(values)}) "
        f"RETURNING {ops.quote_name(activity_meta.pk.column)}, {column(activity_meta, 'revision')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, by.pk, journey.pk, *params])
        activity.pk, activity.revision = cursor.fetchone()
    activity._state.adding, activity._state.db = False, connection.alias


def record_change(journey: Journey, by: User, verb: str, target, summary: str, *, cells=()) -> Change:
    """Record a change of the map: bump the journey's revision, write the activity line, and after commit
    publish the live event and queue the automatic version when one is due. Call it inside the write's
    transaction, after `lock_journey`.

    Args:
        journey: the locked journey.
        by: who made the change.
        verb: a past-tense verb for the feed ("updated", "moved", "deleted" …).
        target: the element changed (a model instance) or None for the journey itself.
        summary: one line for the activity feed (shortened to the feed's limit).
        cells: for a change of cards only, the (lane id, step id) cells it changed: the live event names
            them so open maps fetch just those cells (journeys:map_cells), not the whole grid.
    """
    now = timezone.now()
    activity = _activity(journey, by, verb, target, summary, now)
    _bump_and_insert(journey, by, activity, now)
    journey.revision = activity.revision
    journey.updated_at, journey.updated_by = now, by
    payload = {
        "journey": journey.pk,
        "revision": journey.revision,
        "verb": verb,
        "target_type": activity.target_type,
        "target_id": activity.target_id,
        "actor": by.pk,
        "actor_name": by.display_name,
        "summary": activity.summary,
    }
    if cells:
        payload["cells"] = [f"{lane_id}-{step_id}" for lane_id, step_id in sorted(set(cells))]
    transaction.on_commit(lambda: events.publish_change(payload))
    latest = getattr(journey, "latest_version_at", UNKNOWN)
    transaction.on_commit(lambda: auto_version_queue(journey_id=journey.pk, latest=latest), robust=True)
    return Change(journey.pk, journey.revision)


def note_activity(journey: Journey, by: User | None, verb: str, target, summary: str) -> Activity:
    """An activity line on a journey whose map did not change (so its revision stays): comments, saved
    versions, copies. Same arguments as `record_change`."""
    activity = _activity(journey, by, verb, target, summary, timezone.now())
    activity.save(force_insert=True)
    return activity


UNKNOWN = object()  # auto_version_queue: the latest version's time was not read with the lock


def auto_version_queue(*, journey_id: int, latest=UNKNOWN) -> bool:
    """After a committed change: queue the automatic version (task AUTO_VERSION_TASK, journeys/tasks.py)
    when the journey's latest version is more than AUTO_VERSION_EVERY old, or there is none. True when a
    task was queued. The task is sent by name so that this module, below versioning, needs not import it.
    `latest`: the latest version's time (None: there is none) as the write read it under its lock
    (`lock_journey`); when not given, it is queried."""
    since = timezone.now() - AUTO_VERSION_EVERY
    if latest is UNKNOWN:
        if MapVersion.objects.filter(journey_id=journey_id, created_at__gte=since).exists():
            return False
    elif latest is not None and latest >= since:  # `latest`: read under the write's lock (_locking)
        return False
    try:
        current_app.send_task(AUTO_VERSION_TASK, args=[journey_id])
    except OperationalError:
        # The change is saved; a broker hiccup only skips this automatic version (the next edit retries).
        log.exception("Could not queue the automatic version of journey %s", journey_id)
        return False
    return True


def place(siblings: list, obj, position) -> None:
    """Put obj at `position` (an int ≥ 0, or None for the end) among `siblings` (already ordered, without
    obj) and renumber densely; saves the siblings whose position changed (obj is saved by the caller).
    Raises ValidationError on `position` when it is not an integer ≥ 0."""
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


def renumber(siblings: list) -> None:
    """Positions 0…n-1 for `siblings` in their list order; saves those that changed."""
    changed = []
    for index, item in enumerate(siblings):
        if item.position != index:
            item.position = index
            changed.append(item)
    if changed:
        type(siblings[0]).objects.bulk_update(changed, ["position"])


def apply_fields(obj, fields: dict, allowed: tuple) -> list[str]:
    """Set `fields` ({name: value}) on obj; returns the names whose value changed.
    Raises ValidationError naming every field not in `allowed`."""
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationError({name: "This field cannot be changed here." for name in sorted(unknown)})
    changed = []
    for name, value in fields.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed.append(name)
    return changed


def save_versioned(obj, changed: list[str]) -> None:
    """Validate obj (ValidationError by field; see `validate`), bump its `version` and save the changed
    fields."""
    validate(obj, changed=changed)
    obj.version += 1
    obj.save(update_fields=[*changed, "version"])


def element_of(model, pk, journey: Journey, field: str):
    """An element of this journey by id (or instance), locked; ValidationError naming `field` when the
    journey has no such element."""
    if isinstance(pk, model):
        pk = pk.pk
    obj = model.objects.select_for_update().filter(pk=pk, journey_id=journey.pk).first() if pk else None
    if obj is None:
        raise ValidationError({field: f"No {model.__name__.lower()} {pk} in this journey."})
    return obj
