"""The CSV import of measurements into a journey's metrics, through core's import machinery
(core/tabular.py reads the file: encodings, delimiters, decimal commas, thousands separators, percent
signs, NA/NULL/empty as missing; core/imports.py runs the job with preview, mapping and progress).

Long form (`MEASUREMENTS`): one row per metric, period (a date, or a start and an end) and segment, with
the value and/or its counts (promoters, passives, detractors, satisfied, responses, numerator,
denominator). The metric is named as on the map; names are matched ignoring case and spaces (“ Trial
conversion ” is “trial conversion”), and the stage or step columns tell apart metrics of the same name on
different elements. Metrics are never made by an import: an unknown name is a line error naming the
journey's metrics. A row whose value and counts are all missing records nothing (missing is not zero) and
is counted as skipped. Everything else goes through services.measurements_upsert: all rows or none, and
the same file twice changes nothing.

Wide form (`MEASUREMENTS_WIDE`): a date column (or period start and end), an optional segment, and one
column per metric, headed by the metric's name ("Date;NPS;Trial conversion"). A header that names no
metric of the journey, or several (the same name on two steps: use the long form), is an error of the
header line; the person can leave such a column out in the mapping. An empty cell records nothing.
The upload page reads a file with a "Metric" column as long form, any other as wide form.

Before the person confirms, the preview shows how the file's names map (`name_matches`): each metric
name (with the stage and step given beside it) to the metric it is read as, each stage and step name to
the journey's stage or step, each wide column to its metric — or what the import will say of those
lines. Spellings that differ only in case or spaces are shown together, as the one metric they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.urls import reverse

from core import imports, tabular
from journeys.models import Journey, Stage, Step

from . import access
from .models import NAME_MAX, SEGMENT_MAX, Component, Metric, Source, name_key
from .services import measurement_clean, measurements_upsert

COUNTS = tuple(Component.values)


@dataclass(frozen=True)
class MeasurementImporter(imports.Importer):
    """Measurements of a journey's metrics (target {"journey": id}); needs edit on the journey."""

    def authorize(self, user, target: dict) -> None:
        access.journey_for(user, target.get("journey"), need=access.EDIT)

    def describe(self, target: dict) -> str:
        title = Journey.objects.filter(pk=target.get("journey")).values_list("title", flat=True).first()
        return f"Metrics of “{title}”" if title else ""

    def _metrics(self, journey_id) -> tuple[dict[int, Metric], dict[str, list[Metric]]]:
        metrics = list(Metric.objects.filter(journey_id=journey_id).select_related("stage", "step__stage"))
        by_name: dict[str, list[Metric]] = {}
        for metric in metrics:
            by_name.setdefault(name_key(metric.name), []).append(metric)
        return {m.pk: m for m in metrics}, by_name

    def _resolve(self, record: dict, by_name: dict[str, list[Metric]], names: str) -> Metric:
        """The metric a row names (its stage and step, when given, tell apart metrics of one name).
        ValueError saying why none or several."""
        name = record["metric"]
        found = by_name.get(name_key(name), [])
        if not found:
            raise ValueError(f"no metric “{name}” here (this journey's metrics: {names})")
        narrowed = found
        if record.get("step"):
            narrowed = [
                m for m in narrowed if m.step_id and name_key(m.step.title) == name_key(record["step"])
            ]
        if record.get("stage"):
            narrowed = [
                m
                for m in narrowed
                if (m.stage_id and name_key(m.stage.title) == name_key(record["stage"]))
                or (m.step_id and name_key(m.step.stage.title) == name_key(record["stage"]))
            ]
        if not narrowed:
            given = " and ".join(f"{kind} “{record[kind]}”" for kind in ("step", "stage") if record.get(kind))
            places = "; ".join(place_of(m) for m in found)
            raise ValueError(f"no metric “{name}” on {given} (“{found[0].name}” is on {places})")
        if len(narrowed) > 1:
            raise ValueError(f"“{name}” names {len(narrowed)} metrics: give its stage or step")
        return narrowed[0]

    def name_matches(self, records, *, target, columns=(), mapping=None):
        """Each metric name of the previewed rows (with the stage and step beside it) as the metric
        it is read as, then each stage and step name as the journey's stage or step. Three queries."""
        journey_id = target.get("journey")
        metrics, by_name = self._metrics(journey_id)
        names = ", ".join(sorted({m.name for m in metrics.values()})) or "none yet"
        groups: dict[tuple, dict] = {}
        elements: dict[tuple, dict] = {}
        for record in records:
            for kind in ("stage", "step"):
                if record.get(kind):
                    _count(elements, (kind, name_key(record[kind])), record[kind])
            if not record.get("metric"):
                continue
            key = tuple(name_key(record.get(k) or "") for k in ("metric", "stage", "step"))
            _count(groups, key, record["metric"], first=record)
        out = []
        for group in groups.values():
            first = group["first"]
            given = ", ".join(f"{kind} “{first[kind]}”" for kind in ("stage", "step") if first.get(kind))
            try:
                metric = self._resolve(first, by_name, names)
            except ValueError as exc:
                match = imports.NameMatch(
                    "Metric", group["names"], group["rows"], problem=str(exc), given=given
                )
            else:
                match = imports.NameMatch(
                    "Metric", group["names"], group["rows"], maps_to=describe(metric), given=given
                )
            out.append(match)
        if elements:
            stages, steps = _elements(journey_id)
            for (kind, key), group in elements.items():
                found = (stages if kind == "stage" else steps).get(key, [])
                if found:
                    maps_to = "; ".join(found)
                    out.append(
                        imports.NameMatch(kind.title(), group["names"], group["rows"], maps_to=maps_to)
                    )
                else:
                    problem = f"no {kind} of that name on this journey: no metric of the line can be on it"
                    out.append(
                        imports.NameMatch(kind.title(), group["names"], group["rows"], problem=problem)
                    )
        return out

    def _items(self, records, target, columns=()):
        """(line, item or None for a row with nothing to record, error or None) per record."""
        metrics, by_name = self._metrics(target.get("journey"))
        names = ", ".join(sorted({m.name for m in metrics.values()})) or "none yet"
        for record in records:
            counts = {k: record[k] for k in COUNTS if record.get(k) is not None}
            if record.get("value") is None and not counts:
                yield record, None, None, metrics
                continue
            try:
                metric = self._resolve(record, by_name, names)
            except ValueError as exc:
                yield record, None, tabular.LineError(record["line"], "metric", str(exc)), metrics
                continue
            item = {
                "metric": metric.pk,
                "date": record.get("date"),
                "period_start": record.get("period_start"),
                "period_end": record.get("period_end"),
                "value": record.get("value"),
                "segment": record.get("segment") or "",
                "components": counts,
            }
            yield record, item, None, metrics

    def check(self, records, *, target, user, columns=()):
        errors, seen = [], {}
        for record, item, error, metrics in self._items(records, target, columns):
            if error is not None:
                errors.append(error)
            elif item is not None:
                try:
                    row = measurement_clean(item, metrics)
                except ValidationError as exc:
                    for field, messages in exc.message_dict.items():
                        column = "date" if field in {"period_start", "date"} and record.get("date") else field
                        errors.extend(
                            tabular.LineError(record["line"], column, m.rstrip(".")) for m in messages
                        )
                    continue
                # The write would refuse it: said here, by line, so that the job never fails mid-write.
                key = (row["metric"], row["period_start"], row["period_end"], row["segment"])
                if key in seen:
                    message = f"the same metric, period and segment as line {seen[key]:,}"
                    errors.append(tabular.LineError(record["line"], "", message))
                else:
                    seen[key] = record["line"]
        return errors

    def write(self, records, *, target, user, progress, columns=()):
        items = [item for _, item, _, _ in self._items(records, target, columns) if item is not None]
        result = measurements_upsert(
            journey_id=target["journey"],
            by=user,
            items=items,
            source=Source.CSV,
            limit=None,
            progress=progress,
        )
        return {**result.as_dict(), "skipped": len(records) - len(items)}

    def done_url(self, job) -> str:
        return reverse("journeys:map", args=[job.target["journey"]])


COLUMNS = (
    tabular.Column("metric", "Metric", required=True, max_chars=NAME_MAX, aliases=("metric name", "kpi")),
    tabular.Column("stage", "Stage", max_chars=NAME_MAX, help="Only to tell apart metrics of the same name."),
    tabular.Column("step", "Step", max_chars=NAME_MAX, help="Only to tell apart metrics of the same name."),
    tabular.Column(
        "date", "Date", kind="date", aliases=("day", "month", "period"), help="Or a start and end."
    ),
    tabular.Column("period_start", "Period start", kind="date", aliases=("start", "from")),
    tabular.Column("period_end", "Period end", kind="date", aliases=("end", "to")),
    tabular.Column("value", "Value", kind="decimal", aliases=("score", "amount")),
    tabular.Column("segment", "Segment", max_chars=SEGMENT_MAX, aliases=("region", "plan")),
    *(tabular.Column(name, label, kind="integer") for name, label in Component.choices),
)
NAMES_HELP = (
    "Names are matched ignoring case and spaces (“ Trial CONVERSION ” is “Trial conversion”), so spellings "
    "of one metric count as that one metric. An import never makes a metric, stage or step: a name that "
    "matches none is an error of its lines, and nothing is imported until every line is right."
)
MEASUREMENTS = MeasurementImporter(
    kind="metrics.measurements",
    title="Measurements",
    columns=COLUMNS,
    name_columns=("metric", "stage", "step"),
    names_help=NAMES_HELP,
)

WIDE_FIXED = (
    tabular.Column(
        "date", "Date", kind="date", aliases=("day", "month", "period"), help="Or a start and end."
    ),
    tabular.Column("period_start", "Period start", kind="date", aliases=("start", "from")),
    tabular.Column("period_end", "Period end", kind="date", aliases=("end", "to")),
    tabular.Column("segment", "Segment", max_chars=SEGMENT_MAX, aliases=("region", "plan")),
)
METRIC_COLUMN = "metric_{}"  # the wide form's column of the file's column number {} (from 0)


def is_long_form(header: list[str]) -> bool:
    """Whether a file's header has a column naming the metric of each row (long form)."""
    return tabular.guess_mapping(header, COLUMNS[:1])["metric"] is not None


@dataclass(frozen=True)
class WideMeasurementImporter(MeasurementImporter):
    """Measurements in wide form: one column per metric (see the module docstring)."""

    def columns_for(self, header: list[str]) -> tuple[tabular.Column, ...]:
        fixed = tabular.guess_mapping(header, WIDE_FIXED)
        taken = {position for position in fixed.values() if position is not None}
        metric_columns = tuple(
            tabular.Column(METRIC_COLUMN.format(position), name, kind="decimal")
            for position, name in enumerate(header)
            if position not in taken
        )
        return WIDE_FIXED + metric_columns

    def name_matches(self, records, *, target, columns=(), mapping=None):
        """Each metric column of the file (its header) as the metric it is read as; two headers naming
        one metric ("NPS" and "nps ") are said to repeat each other. One query."""
        mapping = mapping or {}
        metrics, by_name = self._metrics(target.get("journey"))
        names = ", ".join(sorted({m.name for m in metrics.values()})) or "none yet"
        out, taken = [], {}
        for column in columns:
            if not column.name.startswith("metric_"):
                continue
            header = (column.label,)
            if mapping.get(column.name) is None:
                out.append(imports.NameMatch("Column", header, 0, note="left out: not imported"))
                continue
            rows = sum(1 for r in records if r.get(column.name) is not None)
            found = by_name.get(name_key(column.label), [])
            if not found:
                problem = f"names no metric here (this journey's metrics: {names})"
            elif len(found) > 1:
                problem = (
                    f"names {len(found)} metrics (on different steps): import it in long form with its step"
                )
            elif found[0].pk in taken:
                problem = f"the same metric as the column “{taken[found[0].pk]}”: leave one of them out"
            else:
                taken[found[0].pk] = column.label
                out.append(imports.NameMatch("Column", header, rows, maps_to=describe(found[0])))
                continue
            out.append(imports.NameMatch("Column", header, rows, problem=problem))
        return out

    def _items(self, records, target, columns=()):
        """(record, item or None, error or None, metrics) for each metric cell of each record; a header
        naming no metric (or several) is one error of line 1."""
        metrics, by_name = self._metrics(target.get("journey"))
        names = ", ".join(sorted({m.name for m in metrics.values()})) or "none yet"
        columns = [c for c in columns if c.name.startswith("metric_")]
        resolved: dict[str, Metric] = {}
        for column in columns:
            found = by_name.get(name_key(column.label), [])
            if len(found) == 1:
                resolved[column.name] = found[0]
            elif any(record.get(column.name) is not None for record in records):
                what = (
                    f"names no metric here (this journey's metrics: {names})"
                    if not found
                    else (
                        f"names {len(found)} metrics (on different steps): "
                        "import it in long form with its step"
                    )
                )
                yield {"line": 1}, None, tabular.LineError(1, column.label, what), metrics
        for record in records:
            for column in columns:
                metric = resolved.get(column.name)
                if metric is None or record.get(column.name) is None:
                    continue
                item = {
                    "metric": metric.pk,
                    "date": record.get("date"),
                    "period_start": record.get("period_start"),
                    "period_end": record.get("period_end"),
                    "value": record[column.name],
                    "segment": record.get("segment") or "",
                    "components": {},
                }
                yield record, item, None, metrics

    def write(self, records, *, target, user, progress, columns=()):
        items = [item for _, item, _, _ in self._items(records, target, columns) if item is not None]
        result = measurements_upsert(
            journey_id=target["journey"],
            by=user,
            items=items,
            source=Source.CSV,
            limit=None,
            progress=progress,
        )
        return result.as_dict()


def place_of(metric: Metric) -> str:
    """Where a metric sits, in words: "step “Connect bank” (stage “Onboarding”)", "stage “Trial”", "the
    journey as a whole"."""
    if metric.step_id:
        return f"step “{metric.step.title}” (stage “{metric.step.stage.title}”)"
    if metric.stage_id:
        return f"stage “{metric.stage.title}”"
    return "the journey as a whole"


def describe(metric: Metric) -> str:
    """A metric as the name map shows it: "metric “NPS” on stage “Stage 1”"."""
    where = place_of(metric)
    return (
        f"metric “{metric.name}” of {where}"
        if not (metric.step_id or metric.stage_id)
        else (f"metric “{metric.name}” on {where}")
    )


def _count(groups: dict, key, name: str, *, first: dict | None = None) -> None:
    """Count a row under `key`, keeping each spelling of its name once, in the order first seen."""
    group = groups.setdefault(key, {"names": (), "rows": 0, "first": first})
    group["rows"] += 1
    if name not in group["names"]:
        group["names"] = (*group["names"], name)


def _elements(journey_id) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """The journey's stages and steps by name key, each as the name map says it. Two queries."""
    stages: dict[str, list[str]] = {}
    for title in (
        Stage.objects.filter(journey_id=journey_id).order_by("position").values_list("title", flat=True)
    ):
        stages.setdefault(name_key(title), []).append(f"stage “{title}”")
    steps: dict[str, list[str]] = {}
    for title, stage in (
        Step.objects.filter(journey_id=journey_id)
        .order_by("stage__position", "position")
        .values_list("title", "stage__title")
    ):
        steps.setdefault(name_key(title), []).append(f"step “{title}” (stage “{stage}”)")
    return stages, steps


MEASUREMENTS_WIDE = WideMeasurementImporter(
    kind="metrics.measurements_wide",
    title="Measurements (one column per metric)",
    columns=WIDE_FIXED,
    name_columns=(METRIC_COLUMN.format("*"),),
    names_help=NAMES_HELP.replace(
        "An import never makes a metric, stage or step", "An import never makes a metric"
    )
    + " Each column is read as the metric its header names.",
)
