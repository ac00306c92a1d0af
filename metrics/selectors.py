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

from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    Count,
    DateTimeField,
    Expression,
    F,
    JSONField,
    Q,
    Value,
    When,
    Window,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, DenseRank

# Activity: a lower app's model, read here because journeys.selectors has no filter by target yet.
from journeys.models import Activity, Stage, Step

from .models import (
    DIRECTION_LABELS,
    KIND_LABELS,
    VALUE_PLACES,
    Aggregation,
    Measurement,
    Metric,
    MetricShift,
    MetricsSettings,
    unit_text_of,
)

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


class _AnyOf(Expression):
    """`column = ANY('{1,2,3}'::bigint[])`: the ids as one parameter. An IN list binds (and Django
    prepares) one parameter per id; with the 3,000 metrics of a 1,000-journey hierarchy, building and
    sending that query cost more than PostgreSQL's running it."""

    output_field = BooleanField()

    def __init__(self, column: str, ids):
        super().__init__()
        self.column = F(column)
        self.ids = "{" + ",".join(str(int(pk)) for pk in ids) + "}"

    def get_source_expressions(self):
        return [self.column]

    def set_source_expressions(self, exprs):
        (self.column,) = exprs

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.column)
        return f"({sql} = ANY(%s::bigint[]))", (*params, self.ids)


def any_of(column: str, ids) -> _AnyOf:
    """A filter: `column` is one of `ids` (ints)."""
    return _AnyOf(column, ids)


def _count(key: str):
    """One count of a measurement's components, as a number, in SQL (null when the row has none)."""
    return Cast(KT(f"components__{key}"), BigIntegerField())


# `_responses` in SQL: the responses count, else promoters + passives + detractors (null unless all three),
# else the denominator.
RESPONSES = Coalesce(
    _count("responses"),
    _count("promoters") + _count("passives") + _count("detractors"),
    _count("denominator"),
)


def _segment_only(name: str, output_field):
    """A column read only for segment rows (the rows that are combined in Python): null for the
    all-customers row, whose value is the period's as it is."""
    return Case(When(segment="", then=Value(None)), default=F(name), output_field=output_field)


def recent_periods(*, metrics: dict[int, str], periods: int) -> dict[int, list[Period]]:
    """The latest `periods` periods of each metric, newest first, as {metric id: [Period]}.

    Args:
        metrics: {metric id: its aggregation}.
        periods: how many periods per metric (≥ 1).
    One query, whatever the number of metrics and measurements. The database does what it can of
    `period_value`: it ranks each metric's periods, keeps only the all-customers row of a period that
    has one (its value is the period's), and counts its responses; only the segments of a period
    without an all-customers row come as rows to combine here. Plain tuples, no JSON decoded for the
    usual period: the 1,000-journey health bench spent most of its time turning rows into dicts."""
    if not metrics:
        return {}
    rank = Window(
        DenseRank(),
        partition_by=[F("metric_id")],
        order_by=[F("period_end").desc(), F("period_start").desc()],
    )
    whole_rows = Window(
        Count("pk", filter=Q(segment="")),
        partition_by=[F("metric_id"), F("period_start"), F("period_end")],
    )
    rows = (
        Measurement.objects.filter(any_of("metric_id", metrics))
        .annotate(period_rank=rank, whole_rows=whole_rows)
        .filter(period_rank__lte=periods)
        .filter(Q(segment="") | Q(whole_rows=0))
        .order_by("metric_id", "-period_end", "-period_start", "segment")
        .values_list(
            "metric_id",
            "period_start",
            "period_end",
            "segment",
            "value",
            RESPONSES,
            _segment_only("components", JSONField()),
            _segment_only("entered_at", DateTimeField()),
        )
    )
    out: dict[int, list[Period]] = {}
    segments: list[dict] = []  # the rows of one period without an all-customers row

    def combine() -> None:
        first = segments[0]
        out.setdefault(first["metric_id"], []).append(period_value(metrics[first["metric_id"]], segments))
        segments.clear()

    for metric_id, start, end, segment, value, responses, components, entered_at in rows:
        if segments and (metric_id, start, end) != (
            segments[0]["metric_id"],
            segments[0]["period_start"],
            segments[0]["period_end"],
        ):
            combine()
        if segment == "":
            out.setdefault(metric_id, []).append(Period(start, end, value, responses, 0))
        else:
            segments.append(
                dict(
                    zip(
                        ROW_FIELDS,
                        (metric_id, start, end, segment, value, components, entered_at),
                        strict=True,
                    )
                )
            )
    if segments:
        combine()
    return out


@dataclass(frozen=True, slots=True)
class Place:
    """The stage or step a metric sits on, as health and the metrics pages show it: id, title, position,
    and for a step its stage."""

    pk: int
    title: str
    position: int
    stage: Place | None = None

    @property
    def stage_id(self) -> int | None:
        return self.stage.pk if self.stage is not None else None


@dataclass(frozen=True, slots=True)
class MetricFacts:
    """A metric as health, the map's overlay and the journey's metrics page read it: the fields that rate
    it and show it, with its stage or step as a Place. Made from a row of values, which costs a fifth of a
    model instance (the 1,000-journey health bench: 3,000 metrics)."""

    pk: int
    journey_id: int
    stage_id: int | None
    step_id: int | None
    name: str
    kind: str
    unit: str
    currency: str
    unit_label: str
    direction: str
    target_value: Decimal | None
    target_date: date | None
    good_threshold: Decimal | None
    off_track_threshold: Decimal | None
    aggregation: str
    weight: int
    stage: Place | None
    step: Place | None

    @property
    def id(self) -> int:
        return self.pk

    @property
    def element_kind(self) -> str:
        return "step" if self.step_id else "stage" if self.stage_id else "journey"

    def unit_text(self) -> str:
        return unit_text_of(self.unit, self.currency, self.unit_label)

    def get_kind_display(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    def get_direction_display(self) -> str:
        return DIRECTION_LABELS.get(self.direction, self.direction)


FACT_FIELDS = (
    "pk", "journey_id", "stage_id", "step_id", "name", "kind", "unit", "currency", "unit_label",
    "direction", "target_value", "target_date", "good_threshold", "off_track_threshold", "aggregation",
    "weight", "stage__title", "stage__position", "step__title", "step__position", "step__stage_id",
    "step__stage__title", "step__stage__position",
)  # fmt: skip


def journey_metrics(*, journey_ids) -> list[MetricFacts]:
    """The metrics of these journeys (as MetricFacts, with their stage or step), ordered by journey, then
    stage metrics by stage position, step metrics by their stage's and their own position, the
    journey's own metrics last, and by name within each. One query."""
    places: dict[tuple[str, int], Place] = {}

    def place(kind: str, pk: int | None, title, position, stage=None) -> Place | None:
        if pk is None:
            return None
        found = places.get((kind, pk))
        if found is None:
            found = places[(kind, pk)] = Place(pk, title, position, stage)
        return found

    rows = (
        Metric.objects.filter(any_of("journey_id", journey_ids))
        .order_by("journey_id", "stage__position", "step__stage__position", "step__position", "name", "pk")
        .values_list(*FACT_FIELDS)
    )
    out = []
    for (
        *fields,
        stage_title,
        stage_position,
        step_title,
        step_position,
        step_stage,
        step_stage_title,
        step_stage_position,
    ) in rows:
        stage = place("stage", fields[2], stage_title, stage_position)
        step = place(
            "step",
            fields[3],
            step_title,
            step_position,
            place("stage", step_stage, step_stage_title, step_stage_position),
        )
        out.append(MetricFacts(*fields, stage, step))
    return out


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


def metrics_settings(*, workspace_id: int) -> MetricsSettings:
    """The workspace's shift-detection settings: its row, or the defaults (unsaved, version 1). One
    query."""
    found = MetricsSettings.objects.filter(workspace_id=workspace_id).select_related("updated_by").first()
    return found if found is not None else MetricsSettings(workspace_id=workspace_id)


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
