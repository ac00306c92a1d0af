"""Writes to metrics: one function per use case, keyword-only, transactional, permission checked once
(STYLE.md). A metric or a measurement is part of its journey's map (the map shows them), so every write
locks the journey and records the change through journeys' one way (journeys.services.changes:
`lock_journey` + `record_change`): it shows in the activity feed, bumps the revision, reaches open maps.

    metric_create / metric_update / metric_delete      definitions (edit on the journey; expected_version)
    measurements_upsert / measurement_upsert           values: all or nothing, idempotent, errors by item
    measurement_update / measurement_delete            one value corrected or removed (expected_version)
    shifts_record                                      sharp changes found by metrics/shifts.py
    metrics_settings_update                            a workspace's shift-detection parameters (admins)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from celery import current_app
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Subquery
from django.http import Http404
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts import access as workspace_access
from accounts.models import Role, User
from core.text import has_line_break, strip_invisible
from journeys.access import people_who_see
from journeys.models import Journey, Stage, Step
from journeys.services.changes import (
    apply_fields,
    check_version,
    element_of,
    lock_journey,
    lock_journey_of,
    locked,
    record_change,
)

from .charts import period_label
from .models import (
    COMPONENT_MAX,
    KIND_DEFAULTS,
    KIND_RANGES,
    NEEDS,
    VALUE_MAX,
    VALUE_PLACES,
    Aggregation,
    Component,
    Kind,
    Measurement,
    Metric,
    MetricShift,
    MetricsSettings,
    Source,
    Unit,
    name_key,
)
from .selectors import nps, share

log = logging.getLogger(__name__)

BULK_MAX = 5_000  # measurements in one API request
SCAN_JOURNEY_TASK = "metrics.scan_journey"
METRIC_FIELDS = (
    "name", "kind", "unit", "currency", "unit_label", "direction", "target_value", "target_date",
    "good_threshold", "off_track_threshold", "aggregation", "source", "owner", "description", "weight",
)  # fmt: skip
# Checked by the services themselves (each lookup would cost full_clean a query).
CHECKED = ["journey", "stage", "step", "owner", "created_by", "updated_by"]
MATCH_TOLERANCE = Decimal("0.01")
COMPONENTS = tuple(Component.values)  # read per row: Choices.values builds its list on every access
COMPONENT_SET = frozenset(COMPONENTS)


def _owner(journey, owner_id):
    """The owner (a user id): someone who can see the journey. ValidationError on `owner` otherwise."""
    if owner_id is None:
        return None
    user = people_who_see(journey).filter(pk=owner_id).first()
    if user is None:
        raise ValidationError({"owner": f"No member {owner_id} who can see this journey."})
    return user


def _attach(journey, stage, step):
    """The stage or step (ids, or None) of the locked journey a metric is attached to."""
    if stage is not None and step is not None:
        raise ValidationError({"stage": "Attach a metric to the journey, one stage or one step: not both."})
    return (
        element_of(Stage, stage, journey, "stage") if stage is not None else None,
        element_of(Step, step, journey, "step") if step is not None else None,
    )


def _unique_name(metric) -> None:
    """ValidationError on `name` when the metric's element (journey, stage or step) has another metric of
    that name, case and spaces ignored (imports match names so). One query."""
    others = Metric.objects.filter(
        journey_id=metric.journey_id, stage_id=metric.stage_id, step_id=metric.step_id
    )
    if metric.pk:
        others = others.exclude(pk=metric.pk)
    key = name_key(metric.name)
    if any(name_key(name) == key for name in others.values_list("name", flat=True)):
        where = _where(metric)
        raise ValidationError(
            {"name": f"{where[0].upper()}{where[1:]} has a metric named “{metric.name}” already."}
        )


def _where(metric) -> str:
    if metric.step_id:
        return f"step “{metric.step.title}”"
    if metric.stage_id:
        return f"stage “{metric.stage.title}”"
    return "the journey"


@transaction.atomic
def metric_create(
    *,
    journey_id: int,
    by: User,
    name: str,
    kind: str = Kind.CUSTOM,
    stage: int | None = None,
    step: int | None = None,
    unit: str | None = None,
    currency: str = "",
    unit_label: str = "",
    direction: str | None = None,
    target_value: Decimal | None = None,
    target_date: date | None = None,
    good_threshold: Decimal | None = None,
    off_track_threshold: Decimal | None = None,
    aggregation: str | None = None,
    source: str = Source.MANUAL,
    owner: int | None = None,
    description: str = "",
    weight: int = 1,
) -> Metric:
    """Define a metric on a journey, or on one of its stages or steps (`stage`/`step`: ids), with edit on
    the journey. `unit`, `direction` and `aggregation` default to the kind's (models.KIND_DEFAULTS);
    `owner` is a user id of someone who sees the journey (default: `by`). Recorded on the journey.
    Raises Http404/PermissionDenied (journey access), ValidationError by field."""
    journey = lock_journey(journey_id, by)
    stage_obj, step_obj = _attach(journey, stage, step)
    if kind not in Kind.values:
        raise ValidationError({"kind": f"Choose one of: {', '.join(Kind.values)}."})
    default_unit, default_direction, default_aggregation, _ = KIND_DEFAULTS[Kind(kind)]
    now = timezone.now()
    metric = Metric(
        journey=journey,
        stage=stage_obj,
        step=step_obj,
        name=name,
        kind=kind,
        unit=unit or default_unit,
        currency=currency,
        unit_label=unit_label,
        direction=direction or default_direction,
        target_value=target_value,
        target_date=target_date,
        good_threshold=good_threshold,
        off_track_threshold=off_track_threshold,
        aggregation=aggregation or default_aggregation,
        source=source,
        owner=_owner(journey, owner) if owner is not None else by,
        description=description,
        weight=weight,
        created_by=by,
        created_at=now,
        updated_by=by,
        updated_at=now,
    )
    metric.full_clean(exclude=CHECKED)
    _unique_name(metric)
    metric.save()
    record_change(journey, by, "added metric", metric, f"added metric “{metric.name}” to {_where(metric)}")
    return metric


@transaction.atomic
def metric_update(*, metric_id: int, by: User, expected_version=None, **fields) -> Metric:
    """Change a metric's fields (any of METRIC_FIELDS; `owner` a user id or None) or move it (`stage` or
    `step`: the id of its new place; either one as None: onto the journey itself), with edit on its
    journey. Recorded on the journey.
    Raises Conflict when `expected_version` is stale, ValidationError by field."""
    journey = lock_journey_of(Metric, metric_id, by)
    metric = locked(Metric, metric_id, journey, related=("stage", "step"))
    check_version(metric, expected_version)
    moved = False
    if "stage" in fields or "step" in fields:
        # The place given is the whole place: {"step": 7} moves it to step 7, {"stage": null} to the journey.
        stage_obj, step_obj = _attach(journey, fields.pop("stage", None), fields.pop("step", None))
        if (metric.stage_id, metric.step_id) != (
            getattr(stage_obj, "pk", None),
            getattr(step_obj, "pk", None),
        ):
            metric.stage, metric.step = stage_obj, step_obj
            moved = True
    if "owner" in fields:
        fields["owner"] = _owner(journey, fields["owner"])
    changed = apply_fields(metric, fields, METRIC_FIELDS)
    if not changed and not moved:
        return metric
    metric.full_clean(exclude=CHECKED)
    if moved or "name" in changed:
        _unique_name(metric)
    metric.version += 1
    metric.updated_at, metric.updated_by = timezone.now(), by
    update = [*changed, *(["stage", "step"] if moved else []), "version", "updated_at", "updated_by"]
    metric.save(update_fields=update)
    what = ", ".join(name.replace("_", " ") for name in changed)
    if not changed:
        summary = f"moved metric “{metric.name}” to {_where(metric)}"
    else:
        summary = f"changed metric “{metric.name}” ({what})" + (
            f" and moved it to {_where(metric)}" if moved else ""
        )
    record_change(journey, by, "changed metric", metric, summary)
    return metric


@transaction.atomic
def metric_delete(*, metric_id: int, by: User, expected_version=None) -> None:
    """Delete a metric with its measurements and shifts (edit on its journey); recorded on the journey.
    Raises Conflict when `expected_version` is stale."""
    journey = lock_journey_of(Metric, metric_id, by)
    metric = locked(Metric, metric_id, journey, related=("stage", "step"))
    check_version(metric, expected_version)
    record_change(
        journey, by, "deleted metric", metric, f"deleted metric “{metric.name}” of {_where(metric)}"
    )
    metric.delete()


# ---------------------------------------------------------------------------------------------- measurements


@dataclass(frozen=True)
class UpsertResult:
    """What an upsert did: rows created, updated (value or components changed), unchanged."""

    created: int
    updated: int
    unchanged: int

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


def _decimal(value, field: str) -> Decimal:
    if isinstance(value, bool):
        raise ValidationError({field: "Give a number."})
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field: "Give a number."}) from None
    if not number.is_finite():
        raise ValidationError({field: "Give a finite number."})
    if abs(number) > VALUE_MAX:
        raise ValidationError({field: f"At most {VALUE_MAX:,} in size."})
    if number.as_tuple().exponent < -VALUE_PLACES and number != number.quantize(
        Decimal(1).scaleb(-VALUE_PLACES)
    ):
        raise ValidationError({field: f"At most {VALUE_PLACES} decimal places."})
    return number


def _components(raw) -> dict[str, int]:
    if raw in (None, ""):
        return {}
    if not isinstance(raw, dict):
        raise ValidationError({"components": 'Give the counts as an object: {"promoters": 120, …}.'})
    unknown = sorted(set(raw) - COMPONENT_SET)
    if unknown:
        raise ValidationError({"components": f"Unknown count “{unknown[0]}”: use {', '.join(COMPONENTS)}."})
    out = {}
    for name in COMPONENTS:
        if name not in raw or raw[name] is None:
            continue
        value = raw[name]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= COMPONENT_MAX:
            raise ValidationError({"components": f"{name}: give a whole number from 0 to {COMPONENT_MAX:,}."})
        out[name] = value
    if "satisfied" in out and "responses" in out and out["satisfied"] > out["responses"]:
        raise ValidationError({"components": "satisfied cannot be more than responses."})
    if "numerator" in out and "denominator" in out and out["denominator"] == 0:
        raise ValidationError({"components": "denominator cannot be 0."})
    return out


def _computed(metric: Metric, comps: dict) -> Decimal | None:
    """The value the counts give, for NPS and CSAT share (and a percentage from numerator/denominator)."""
    needs = NEEDS.get(metric.aggregation)
    try:
        if needs and all(k in comps for k in needs):
            if metric.aggregation == Aggregation.NPS:
                return nps(
                    promoters=comps["promoters"], passives=comps["passives"], detractors=comps["detractors"]
                )
            return share(comps["satisfied"], comps["responses"])
        if metric.unit == Unit.PERCENT and "numerator" in comps and "denominator" in comps:
            return share(comps["numerator"], comps["denominator"])
    except ValueError:
        raise ValidationError({"components": "The counts add up to no answers at all."}) from None
    return None


def measurement_clean(item: dict, metrics: dict[int, Metric]) -> dict:
    """One measurement as given (metric id, `date` or `period_start` [+ `period_end`], `value`, `segment`,
    `components`) checked and completed: {metric, period_start, period_end, segment, value, components}.
    `metrics`: the journey's metrics by id. No queries. Raises ValidationError by field."""
    metric = metrics.get(item.get("metric"))
    if metric is None:
        raise ValidationError({"metric": f"No metric {item.get('metric')} on this journey."})
    start = item.get("period_start") or item.get("date")
    end = item.get("period_end") or start
    if item.get("date") and (item.get("period_start") or item.get("period_end")):
        raise ValidationError({"date": "Give a date or a period (start and end), not both."})
    if not isinstance(start, date):
        raise ValidationError({"period_start": "Give the date, or the period's start."})
    if not isinstance(end, date):
        raise ValidationError({"period_end": "Give a date."})
    if end < start:
        raise ValidationError({"period_end": "A period cannot end before it starts."})
    raw_segment = item.get("segment") or ""
    if not isinstance(raw_segment, str) or has_line_break(raw_segment):
        raise ValidationError({"segment": "Give one line of text."})
    segment = strip_invisible(raw_segment)
    try:
        Measurement._meta.get_field("segment").run_validators(segment)
    except ValidationError as exc:
        raise ValidationError({"segment": exc.messages}) from None
    comps = _components(item.get("components"))
    given = item.get("value")
    value = _decimal(given, "value") if given is not None else None
    computed = _computed(metric, comps)
    if value is None:
        if computed is None:
            raise ValidationError({"value": "Give a value (or the counts it comes from)."})
        value = computed
    elif computed is not None and abs(value - computed) > MATCH_TOLERANCE:
        given, made = f"{value.normalize():f}", f"{computed.normalize():f}"
        raise ValidationError({"value": f"{given} does not match the counts given, which make {made}."})
    low, high = KIND_RANGES.get(metric.kind, (None, None))
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise ValidationError(
            {"value": f"A {metric.get_kind_display()} value is {bounds} (you gave {value.normalize():f})."}
        )
    return {
        "metric": metric.pk,
        "period_start": start,
        "period_end": end,
        "segment": segment,
        "value": value.quantize(Decimal(1).scaleb(-VALUE_PLACES)),
        "components": comps,
    }


def _upsert(
    journey, by: User, items: list[dict], *, source: str, limit: int | None, progress=None
) -> UpsertResult:
    if limit is not None and len(items) > limit:
        raise ValidationError({"items": f"At most {limit:,} measurements at once (you sent {len(items):,})."})
    metrics = {m.pk: m for m in Metric.objects.filter(journey_id=journey.pk)}
    errors: dict[str, list[str]] = {}
    rows, seen = [], {}
    for index, item in enumerate(items):
        try:
            row = measurement_clean(item, metrics)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors[f"items[{index}].{field}"] = messages
            continue
        key = (row["metric"], row["period_start"], row["period_end"], row["segment"])
        if key in seen:
            errors[f"items[{index}]"] = [
                f"Repeats item {seen[key]}: the same metric, period and segment once per request."
            ]
            continue
        seen[key] = index
        rows.append(row)
    if errors:
        raise ValidationError(errors)
    if not rows:
        return UpsertResult(0, 0, 0)
    # Plain tuples (a model instance per existing row would cost more than the write itself).
    existing = {
        (metric_id, start, end, segment): (pk, value, components)
        for pk, metric_id, start, end, segment, value, components in Measurement.objects.filter(
            metric_id__in={r["metric"] for r in rows},
            period_start__gte=min(r["period_start"] for r in rows),
            period_end__lte=max(r["period_end"] for r in rows),
        ).values_list("pk", "metric_id", "period_start", "period_end", "segment", "value", "components")
    }
    now = timezone.now()
    new, changed, unchanged = [], [], 0
    for row in rows:
        found = existing.get((row["metric"], row["period_start"], row["period_end"], row["segment"]))
        if found is None:
            new.append(
                Measurement(
                    metric_id=row["metric"],
                    period_start=row["period_start"],
                    period_end=row["period_end"],
                    segment=row["segment"],
                    value=row["value"],
                    components=row["components"],
                    source=source,
                    entered_by=by,
                    entered_at=now,
                )
            )
        elif found[1] != row["value"] or found[2] != row["components"]:
            changed.append(
                Measurement(
                    pk=found[0],
                    value=row["value"],
                    components=row["components"],
                    source=source,
                    entered_by=by,
                    entered_at=now,
                    version=F("version") + 1,  # an edit opened before this upsert is now stale
                )
            )
        else:
            unchanged += 1
    # Batches of BULK_MAX: an API request (at most BULK_MAX items) writes in one statement each way.
    for start in range(0, len(new), BULK_MAX):
        Measurement.objects.bulk_create(new[start : start + BULK_MAX])
        if progress is not None:
            progress(min(start + BULK_MAX, len(new)))
    Measurement.objects.bulk_update(
        changed, ["value", "components", "source", "entered_by", "entered_at", "version"], batch_size=BULK_MAX
    )
    if new or changed:
        count, touched = len(new) + len(changed), len({r["metric"] for r in rows})
        record_change(
            journey,
            by,
            "recorded measurements",
            None,
            f"recorded {count:,} measurement{'s' if count != 1 else ''} of {touched} "
            f"metric{'s' if touched != 1 else ''}",
        )
        journey_id = journey.pk
        transaction.on_commit(lambda: shift_scan_queue(journey_id=journey_id), robust=True)
    return UpsertResult(len(new), len(changed), unchanged)


@transaction.atomic
def measurements_upsert(
    *,
    journey_id: int,
    by: User,
    items: list[dict],
    source: str = Source.API,
    limit: int | None = BULK_MAX,
    progress=None,
) -> UpsertResult:
    """Record measurements of a journey's metrics (edit on the journey), all or none: a period and segment
    a metric has already is updated when its value or counts differ, left alone when they do not (so
    sending the same items twice changes nothing).

    Args:
        items: dicts of `metric` (id of a metric of this journey), `date` or `period_start` (+ optional
            `period_end`), `value` (Decimal; may be left out when `components` give it), `segment` (""),
            `components` ({name: count}, models.Component).
        source: how they came (models.Source).
        limit: the most items at once (BULK_MAX; None for the CSV import, which has its own limit).
        progress: called with the number of rows written so far (imports).
    Raises ValidationError naming item and field ("items[3].value") and writing nothing."""
    journey = lock_journey(journey_id, by)
    return _upsert(journey, by, items, source=source, limit=limit, progress=progress)


@transaction.atomic
def measurement_upsert(
    *,
    metric_id: int,
    by: User,
    period_start: date | None = None,
    period_end: date | None = None,
    date: date | None = None,
    value: Decimal | None = None,
    segment: str = "",
    components: dict | None = None,
    source: str = Source.MANUAL,
) -> UpsertResult:
    """Record one measurement of a metric (see measurements_upsert; errors name the field without an
    item prefix)."""
    journey = lock_journey_of(Metric, metric_id, by)
    item = {
        "metric": int(metric_id), "period_start": period_start, "period_end": period_end, "date": date,
        "value": value, "segment": segment, "components": components,
    }  # fmt: skip
    try:
        return _upsert(journey, by, [item], source=source, limit=1)
    except ValidationError as exc:
        raise ValidationError(
            {
                name.removeprefix("items[0]").lstrip(".") or "non_field_errors": m
                for name, m in exc.message_dict.items()
            }
        ) from None


def _period_text(start: date, end: date, segment: str) -> str:
    """ "1 Feb 2025", "1–31 Jan 2025 (EMEA)": a measurement's period and segment, for its history."""
    return period_label(start, end) + (f" ({segment})" if segment else "")


def _value_text(value: Decimal, metric: Metric) -> str:
    return f"{value.normalize():f} {metric.unit_text()}".strip()


def _forget_shifts(metric: Metric, periods) -> None:
    """A shift recorded for a period whose value is corrected or removed no longer stands: it goes, and
    the scan queued after commit records it again if the period still makes one."""
    for start, end in set(periods):
        MetricShift.objects.filter(metric_id=metric.pk, period_start=start, period_end=end).delete()


@transaction.atomic
def measurement_update(
    *,
    measurement_id: int,
    by: User,
    expected_version=None,
    **fields,
) -> Measurement:
    """Correct one measurement (edit on its metric's journey): any of `period_start`, `period_end`,
    `date`, `value`, `segment`, `components` (the others stay). Checked as an upsert's item is; a period
    and segment the metric has in another row is refused on `period_start`. Recorded on the journey with
    the metric as target (the metric's history shows it); the metric's shift for the old and new period
    is forgotten and the journey scanned again after commit.
    Raises Conflict when `expected_version` is stale, ValidationError by field."""
    journey = lock_journey_of_measurement(measurement_id, by)
    measurement = (
        Measurement.objects.select_for_update(of=("self",))
        .select_related("metric")
        .filter(pk=measurement_id, metric__journey_id=journey.pk)
        .first()
    )
    if measurement is None:
        raise Http404("No such measurement.")
    metric = measurement.metric
    check_version(measurement, expected_version)
    unknown = sorted(set(fields) - {"period_start", "period_end", "date", "value", "segment", "components"})
    if unknown:
        raise ValidationError({name: "This field cannot be changed here." for name in unknown})
    item = {
        "metric": metric.pk,
        "period_start": measurement.period_start,
        "period_end": measurement.period_end,
        "value": measurement.value,
        "segment": measurement.segment,
        "components": measurement.components,
    }
    if "date" in fields or "period_start" in fields:
        item["period_start"] = item["period_end"] = None
    if (
        "components" in fields
        and "value" not in fields
        and _computed(metric, _components(fields["components"])) is not None
    ):
        item["value"] = None  # new counts that make a value (NPS, CSAT share) make it again
    item.update(fields)
    row = measurement_clean(item, {metric.pk: metric})
    old = (measurement.period_start, measurement.period_end, measurement.segment)
    new = (row["period_start"], row["period_end"], row["segment"])
    if (
        new != old
        and Measurement.objects.filter(
            metric_id=metric.pk, period_start=new[0], period_end=new[1], segment=new[2]
        ).exists()
    ):
        raise ValidationError(
            {"period_start": "The metric has a value for this period and segment already: change that one."}
        )
    before_value = measurement.value
    changed = [
        name
        for name in ("period_start", "period_end", "segment", "value", "components")
        if getattr(measurement, name) != row[name]
    ]
    if not changed:
        return measurement
    for name in changed:
        setattr(measurement, name, row[name])
    measurement.version += 1
    measurement.entered_by, measurement.entered_at = by, timezone.now()
    measurement.source = Source.MANUAL
    measurement.save(update_fields=[*changed, "version", "entered_by", "entered_at", "source"])
    what = f"the measurement of “{metric.name}” for {_period_text(*old)}"
    if set(changed) <= {"value", "components"}:
        summary = f"changed {what}: {_value_text(before_value, metric)} → {_value_text(row['value'], metric)}"
    else:
        summary = f"changed {what} to {_period_text(*new)}: {_value_text(row['value'], metric)}"
    record_change(journey, by, "changed measurement", metric, summary)
    _forget_shifts(metric, [old[:2], new[:2]])
    journey_id = journey.pk
    transaction.on_commit(lambda: shift_scan_queue(journey_id=journey_id), robust=True)
    return measurement


@transaction.atomic
def measurement_delete(*, measurement_id: int, by: User, expected_version=None) -> None:
    """Delete one measurement (edit on its metric's journey), recorded on the journey with the metric as
    target (its value in the summary, so the metric's history keeps it); the metric's shift of that
    period is forgotten and the journey scanned again after commit.
    Raises Conflict when `expected_version` is stale."""
    journey = lock_journey_of_measurement(measurement_id, by)
    measurement = (
        Measurement.objects.select_for_update(of=("self",))
        .select_related("metric")
        .filter(pk=measurement_id, metric__journey_id=journey.pk)
        .first()
    )
    if measurement is None:
        raise Http404("No such measurement.")
    check_version(measurement, expected_version)
    metric = measurement.metric
    period = _period_text(measurement.period_start, measurement.period_end, measurement.segment)
    what = f"the measurement of “{metric.name}” for {period}"
    summary = f"deleted {what} ({_value_text(measurement.value, metric)})"
    record_change(journey, by, "deleted measurement", metric, summary)
    measurement.delete()
    _forget_shifts(metric, [(measurement.period_start, measurement.period_end)])
    journey_id = journey.pk
    transaction.on_commit(lambda: shift_scan_queue(journey_id=journey_id), robust=True)


def lock_journey_of_measurement(measurement_id, by: User) -> Journey:
    """Lock the journey of a measurement and check `by` may edit it, in one query (404 when there is no
    such measurement or `by` cannot see its journey, 403 below edit)."""
    journey_id = Subquery(Measurement.objects.filter(pk=measurement_id).values("metric__journey_id")[:1])
    return lock_journey(journey_id, by)


def shift_scan_queue(*, journey_id: int) -> bool:
    """After committed measurements: queue the shift scan of the journey (metrics/tasks.py). The task is
    sent by name; a broker hiccup only delays detection to the nightly scan. True when queued."""
    try:
        current_app.send_task(SCAN_JOURNEY_TASK, args=[journey_id])
    except OperationalError:
        log.exception("Could not queue the shift scan of journey %s", journey_id)
        return False
    return True


# ---------------------------------------------------------------------------------------------- shifts


@transaction.atomic
def shifts_record(*, shifts: list[MetricShift]) -> list[MetricShift]:
    """Record sharp changes found by metrics/shifts.py (unsaved MetricShift rows): each (metric, period)
    once, however often the scan runs or however many scans run at once (a unique constraint, inserts
    that skip what exists). Returns the shifts that are new. A system write: no person, no permission."""
    if not shifts:
        return []
    keys = {(s.metric_id, s.period_start, s.period_end) for s in shifts}
    there = set(
        MetricShift.objects.filter(metric_id__in={k[0] for k in keys}).values_list(
            "metric_id", "period_start", "period_end"
        )
    )
    new = [s for s in shifts if (s.metric_id, s.period_start, s.period_end) not in there]
    MetricShift.objects.bulk_create(new, ignore_conflicts=True)
    return new


# ---------------------------------------------------------------------------------------------- settings


@transaction.atomic
def metrics_settings_update(
    *, workspace_id: int, by: User, expected_version=None, **fields
) -> MetricsSettings:
    """Set a workspace's shift-detection parameters (workspace admins): any of shift_sigmas, shift_window,
    shift_min_history, shift_relative. A workspace without settings has the defaults at version 1.
    Raises Conflict when `expected_version` is stale, ValidationError by field."""
    workspace_access.workspace_for(by, workspace_id, need=Role.ADMIN)
    settings, _ = MetricsSettings.objects.select_for_update().get_or_create(workspace_id=workspace_id)
    check_version(settings, expected_version)
    changed = apply_fields(settings, fields, MetricsSettings.FIELDS)
    settings.full_clean(exclude=["workspace", "updated_by"])
    if changed:
        settings.version += 1
        settings.updated_at, settings.updated_by = timezone.now(), by
        settings.save(update_fields=[*changed, "version", "updated_at", "updated_by"])
    return settings
