"""A journey's metrics page: its metrics grouped by journey, stage and step (latest value, status, trend,
target, sparkline), the journey's health score with its explanation (metrics.health.explain), its visible
sub-journeys' scores and recent shifts. Constant queries whatever the number of metrics and measurements."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from .. import access, health, selectors
from ..overlays import SPARKLINE_PERIODS
from .common import MetricRow, can_edit, follow, metric_row, score_view, status_look, value_text

RECENT_SHIFTS = 5


@dataclass
class StepGroup:
    step: object
    score: object
    rows: list[MetricRow] = field(default_factory=list)


@dataclass
class StageGroup:
    stage: object
    score: object
    rows: list[MetricRow] = field(default_factory=list)
    steps: dict[int, StepGroup] = field(default_factory=dict)


def groups_of(report: health.JourneyHealth) -> tuple[list[MetricRow], list[StageGroup]]:
    """The journey's own metrics as (journey-level rows, stage groups in map order, each with its own
    rows and its steps' groups in map order). No queries: stage and step come with the metrics."""
    journey_rows: list[MetricRow] = []
    stages: dict[int, StageGroup] = {}

    def stage_group(stage):
        if stage.pk not in stages:
            stages[stage.pk] = StageGroup(stage, score_view(report.stages.get(stage.pk)))
        return stages[stage.pk]

    for h in report.own.metrics:
        m, row = h.metric, metric_row(h)
        if m.step_id:
            group = stage_group(m.step.stage)
            if m.step_id not in group.steps:
                group.steps[m.step_id] = StepGroup(m.step, score_view(report.steps.get(m.step_id)))
            group.steps[m.step_id].rows.append(row)
        elif m.stage_id:
            stage_group(m.stage).rows.append(row)
        else:
            journey_rows.append(row)
    ordered = sorted(stages.values(), key=lambda g: (g.stage.position, g.stage.pk))
    for group in ordered:
        group.steps = dict(sorted(group.steps.items(), key=lambda kv: (kv[1].step.position, kv[0])))
    return journey_rows, ordered


@dataclass(frozen=True)
class Line:
    """One line of the explanation, as shown."""

    x: health.ExplainedMetric
    where: str
    value: str
    previous: str
    look: object
    previous_look: object
    journey_title: str


def explanation_lines(explained: health.Explanation, titles: dict[int, str], journey_id: int) -> list[Line]:
    out = []
    for x in explained.metrics:
        where = {"journey": "Journey", "stage": "Stage", "step": "Step"}[x.element]
        where = f"{where}: {x.element_title}" if x.element != "journey" else "The journey as a whole"
        out.append(
            Line(
                x=x,
                where=where,
                value=value_text(x.value, x.unit),
                previous=value_text(x.previous_value, x.unit),
                look=status_look(health.Status(x.status)),
                previous_look=status_look(health.Status(x.previous_status)),
                journey_title="" if x.journey == journey_id else titles.get(x.journey, ""),
            )
        )
    return out


def arithmetic(lines: list[Line], *, previous: bool = False) -> str:
    """The score's sum written out, "(2×50 + 1×100 + 1×0) / 4" (the page puts health's own figure after
    it); "" when no metric is rated."""
    pairs = [
        (
            line.x.weight,
            health.POINTS.get(health.Status(line.x.previous_status if previous else line.x.status)),
        )
        for line in lines
    ]
    pairs = [(w, p) for w, p in pairs if p is not None]
    if not pairs:
        return ""
    total = sum(w for w, _ in pairs)
    terms = " + ".join(f"{w}×{p}" for w, p in pairs)
    return f"({terms}) / {total}"


@login_required
@require_safe
def journey_metrics(request, pk):
    """A journey's metrics and health (anyone who sees the journey)."""
    journey = access.journey_for(request.user, pk)
    follow(request, journey)
    report = health.journey_health(journey=journey, user=request.user, periods=SPARKLINE_PERIODS)
    explained = health.explain(journey=journey, user=request.user, health=report)
    journey_rows, stages = groups_of(report)
    lines = explanation_lines(explained, report.titles, journey.pk)
    children = [
        {"id": pk_, "title": report.titles[pk_], "score": score_view(score)}
        for pk_, score in report.children.items()
    ]
    children.sort(key=lambda c: c["title"].lower())
    shifts = list(selectors.shift_list(journey_id=journey.pk)[:RECENT_SHIFTS])
    context = {
        "journey": journey,
        "report": report,
        "score": score_view(report.journey),
        "explained": explained,
        "counts": [(health.Status(k).label, n) for k, n in explained.counts.items() if n],
        "lines": lines,
        "sum_now": arithmetic(lines),
        "sum_before": arithmetic(lines, previous=True),
        "journey_rows": journey_rows,
        "stages": stages,
        "metric_count": len(report.own.metrics),
        "children": children,
        "shifts": shifts,
        "can_edit": can_edit(journey),
        "rule": health,
        "api": {
            "measurements": reverse("metrics-api:journey-measurements", args=[journey.pk]),
            "health": reverse("metrics-api:journey-health", args=[journey.pk]),
            "metrics": reverse("metrics-api:journey-metrics", args=[journey.pk]),
        },
    }
    return render(request, "metrics/journey_metrics.html", context)
