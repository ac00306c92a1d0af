"""Reads of metrics that pages, the API, health, shift detection and the map overlay share.

A metric's value for a period comes from its measurements of that period, one per segment: the row of
all customers (segment "") when there is one, otherwise the segments combined by the metric's aggregation
(`period_value`). `recent_periods` reads the latest periods of many metrics in one query, whatever the
number of measurements (a window function ranks each metric's periods in the database).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import F, Window
from django.db.models.functions import DenseRank

# Activity: a lower app's model, read here because journeys.selectors has no filter by target yet.
from journeys.models import Activity, Stage, Step

from .models import VALUE_PLACES, Aggregation, Measurement, Metric, MetricShift

QUANTUM = Decimal(1).scaleb(-VALUE_PLACES)


@dataclass(frozen=True)
class Period:
    """A metric's value for one period. `responses`: answers behind it, when the rows say; `segments`:
    how many segment rows made it (0: the all-customers row)."""

    start: date
    end: date
    value: Decimal
    responses: int | None
    segments: int


def _responses(components: dict) -> int | None:
    comps = components or {}
    if "responses" in comps:
        return int(comps["responses"])
    if all(k in comps for k in ("promoters", "passives", "detractors")):
        return int(comps["promoters"]) + int(comps["passives"]) + int(comps["detractors"])
    if "denominator" in comps:
        return int(comps["denominator"])
    return None


def _weighted_mean(rows: list[dict]) -> Decimal:
    weights = [_responses(r["components"]) for r in rows]
    if all(w is not None for w in weights) and sum(weights) > 0:
        total = sum(Decimal(w) for w in weights)
        return sum(r["value"] * w for r, w in zip(rows, weights, strict=True)) / total
    return sum(r["value"] for r in rows) / len(rows)


def _all_have(rows: list[dict], keys) -> bool:
    return all(all(k in (r["components"] or {}) for k in keys) for r in rows)


def period_value(aggregation: str, rows: list[dict]) -> Period:
    """The value of one period from its rows (dicts with period_start, period_end, segment, value,
    components, entered_at): the all-customers row (segment "") when there is one; otherwise the segments
    combined — average: mean weighted by responses when every row has them (plain mean otherwise); sum;
    last: the latest entered row; nps: % promoters − % detractors of the summed counts; csat_share: summed
    satisfied / summed responses × 100; csat_mean: mean weighted by responses. NPS and CSAT share fall
    back to the weighted mean when a row lacks its counts."""
    first = rows[0]
    whole = [r for r in rows if r["segment"] == ""]
    if whole:
        row = whole[0]
        return Period(
            first["period_start"], first["period_end"], row["value"], _responses(row["components"]), 0
        )
    responses = [_responses(r["components"]) for r in rows]
    total = sum(responses) if all(n is not None for n in responses) else None
    if aggregation == Aggregation.SUM:
        value = sum(r["value"] for r in rows)
    elif aggregation == Aggregation.LAST:
        value = max(rows, key=lambda r: (r["entered_at"], r["segment"]))["value"]
    elif aggregation == Aggregation.NPS and _all_have(rows, ("promoters", "passives", "detractors")):
        sums = {
            k: sum(int(r["components"][k]) for r in rows) for k in ("promoters", "passives", "detractors")
        }
        value = nps(**sums)
    elif aggregation == Aggregation.CSAT_SHARE and _all_have(rows, ("satisfied", "responses")):
        value = share(sum(int(r["components"]["satisfied"]) for r in rows), total or 0)
    else:
        value = _weighted_mean(rows)
    return Period(first["period_start"], first["period_end"], _q(value), total, len(rows))


def _q(value) -> Decimal:
    return Decimal(value).quantize(QUANTUM)


def nps(*, promoters: int, passives: int, detractors: int) -> Decimal:
    """Net Promoter Score: % promoters − % detractors (−100…100). ValueError when there are no answers."""
    total = promoters + passives + detractors
    if total <= 0:
        raise ValueError("no answers")
    return _q(Decimal(100) * (promoters - detractors) / total)


def share(part: int, whole: int) -> Decimal:
    """`part` as a percentage of `whole`. ValueError when `whole` is 0."""
    if whole <= 0:
        raise ValueError("nothing to take a share of")
    return _q(Decimal(100) * part / whole)


ROW_FIELDS = ("metric_id", "period_start", "period_end", "segment", "value", "components", "entered_at")


def recent_periods(*, metrics: dict[int, str], periods: int) -> dict[int, list[Period]]:
    """The latest `periods` periods of each metric, newest first, as {metric id: [Period]}.

    Args:
        metrics: {metric id: its aggregation}.
        periods: how many periods per metric (≥ 1).
    One query, whatever the number of metrics and measurements."""
    if not metrics:
        return {}
    rank = Window(
        DenseRank(),
        partition_by=[F("metric_id")],
        order_by=[F("period_end").desc(), F("period_start").desc()],
    )
    rows = (
        Measurement.objects.filter(metric_id__in=list(metrics))
        .annotate(period_rank=rank)
        .filter(period_rank__lte=periods)
        .order_by("metric_id", "-period_end", "-period_start", "segment")
        .values(*ROW_FIELDS)
    )
    grouped: dict[int, dict[tuple, list[dict]]] = {}
    for row in rows:
        key = (row["period_start"], row["period_end"])
        grouped.setdefault(row["metric_id"], {}).setdefault(key, []).append(row)
    return {
        metric_id: [period_value(metrics[metric_id], rows) for rows in by_period.values()]
        for metric_id, by_period in grouped.items()
    }


def journey_metrics(*, journey_ids) -> list[Metric]:
    """The metrics of these journeys with their stage and step (for titles), ordered by journey, then
    journey-level first, then stage and step positions, then name. One query."""
    return list(
        Metric.objects.filter(journey_id__in=list(journey_ids))
        .select_related("stage", "step", "step__stage")
        .order_by("journey_id", "stage__position", "step__stage__position", "step__position", "name", "pk")
    )


def metric_list(*, journey_id: int):
    """A journey's metrics (journey, stage and step ones) for the API's list, in map order."""
    return (
        Metric.objects.filter(journey_id=journey_id)
        .select_related("stage", "step")
        .order_by("stage__position", "step__stage__position", "step__position", "name", "pk")
    )


def measurement_list(*, metric_id: int):
    """A metric's measurements, newest period first, then by segment."""
    return Measurement.objects.filter(metric_id=metric_id).order_by(
        "-period_end", "-period_start", "segment", "pk"
    )


def shift_list(*, journey_id: int):
    """A journey's metric shifts, newest first, with their metric."""
    return (
        MetricShift.objects.filter(journey_id=journey_id)
        .select_related("metric")
        .order_by("-detected_at", "-pk")
    )


# ---------------------------------------------------------------------------------------------- pages


def responses_of(components: dict) -> int | None:
    """How many answered, from a measurement's counts: `responses`, else promoters + passives +
    detractors, else the denominator; None when the counts do not say."""
    return _responses(components)


def measurement_rows(*, metric_id: int):
    """A metric's measurements for its page's table, newest period first, with who entered them (one
    query per page of rows)."""
    return measurement_list(metric_id=metric_id).select_related("entered_by")


def metric_shifts(*, metric_id: int, limit: int = 20) -> list[MetricShift]:
    """A metric's recorded shifts, newest period first (at most `limit`; one query)."""
    return list(MetricShift.objects.filter(metric_id=metric_id).order_by("-period_end", "-pk")[:limit])


def metric_activity(*, journey_id: int, metric_id: int, limit: int = 20):
    """The journey's activity lines about this metric (created, changed, moved), newest first, with who
    made them (at most `limit`; one query). Measurements are recorded per journey, not per metric: the
    measurements table says who entered each value."""
    return list(
        Activity.objects.filter(journey_id=journey_id, target_type="metric", target_id=metric_id)
        .select_related("actor")
        .order_by("-created_at", "-pk")[:limit]
    )


def metric_places(*, journey_id: int) -> list[tuple[str, str]]:
    """Where a metric of the journey can sit, for a form's choice: ("journey", …), then each stage
    ("stage:<id>") followed by its steps ("step:<id>"), in map order. Two queries."""
    stages = {s.pk: s for s in Stage.objects.filter(journey_id=journey_id).order_by("position", "pk")}
    steps: dict[int, list] = {}
    for step in (
        Step.objects.filter(journey_id=journey_id).order_by("position", "pk").only("pk", "title", "stage_id")
    ):
        steps.setdefault(step.stage_id, []).append(step)
    out = [("journey", "The journey as a whole")]
    for stage in stages.values():
        out.append((f"stage:{stage.pk}", f"Stage: {stage.title}"))
        out.extend((f"step:{step.pk}", f"— Step: {step.title}") for step in steps.get(stage.pk, []))
    return out
