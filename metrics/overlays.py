"""The map's "metrics" view: each step's and stage's metrics (latest value with unit, status, sparkline
points, target) through journeys' overlay hook (journeys/overlays.py; base types in core/overlays.py),
and the journey's health as the header figure.

Registered in MetricsConfig.ready() with `journeys.overlays.register(MetricsOverlay())`; the headline links
to the journey's metrics page (metrics:journey).
"""

from __future__ import annotations

from django.urls import reverse

from core.overlays import Decoration, MapIds, Overlay
from journeys.models import Journey

from .health import MetricHealth, Score, Status, journey_health

SPARKLINE_PERIODS = 12
# Colour (tone) always with an icon and a label, so each status reads in greyscale too.
LOOK = {
    Status.GOOD: ("good", "check"),
    Status.AT_RISK: ("warning", "alert"),
    Status.OFF_TRACK: ("bad", "cross"),
    Status.NOT_RATED: ("none", "dot"),
}


def _status(score: int) -> Status:
    """The look of a score: good from 75, at risk from 40, off track below."""
    return Status.GOOD if score >= 75 else Status.AT_RISK if score >= 40 else Status.OFF_TRACK


def _number(value) -> str:
    """A value for the map: at most one decimal (24.096386 shows as 24.1), no trailing zeros."""
    return f"{round(value, 1).normalize():f}"


def value_text(h: MetricHealth) -> str:
    """The latest value with its unit ("72 %", "12.5 EUR", "3 min"), or "–" with none."""
    if h.latest is None:
        return "–"
    unit = h.metric.unit_text()
    return f"{_number(h.latest.value)} {unit}".strip()


def period_text(h: MetricHealth) -> str:
    """ ", 1–31 Jan 2025, 200 responses" for hover and screen readers ("" with no measurement)."""
    if h.latest is None:
        return ""
    start, end = h.latest.start, h.latest.end
    when = f"{end.day} {end:%b %Y}" if start == end else f"{start.day} {start:%b %Y} – {end.day} {end:%b %Y}"
    responses = h.latest.responses
    return f", {when}" + (
        f", {responses:,} response{'s' if responses != 1 else ''}" if responses is not None else ""
    )


def metric_data(h: MetricHealth) -> dict:
    """One metric as the overlay's data (JSON): latest value, unit, status (with its tone, icon and word,
    so it reads in greyscale), trend, sparkline (oldest first), target, the period and the number of
    responses (also as `period_text`, "1 Jan 2025 – 31 Jan 2025, 200 responses", "" with none)."""
    m = h.metric
    tone, icon = LOOK[h.status]
    return {
        "id": m.pk,
        "name": m.name,
        "value": float(h.latest.value) if h.latest else None,
        "value_text": value_text(h),
        "unit": m.unit_text(),
        "status": str(h.status),
        "status_label": str(h.status.label),
        "tone": tone,
        "icon": icon,
        "trend": str(h.trend) if h.trend else None,
        "sparkline": [float(p.value) for p in reversed(h.history)],
        "target": float(m.target_value) if m.target_value is not None else None,
        "period_start": h.latest.start.isoformat() if h.latest else None,
        "period_end": h.latest.end.isoformat() if h.latest else None,
        "responses": h.latest.responses if h.latest else None,
        "period_text": period_text(h).removeprefix(", "),
    }


def decoration(score: Score, own: list[MetricHealth]) -> Decoration:
    """How one step or stage shows: one metric → its value; several → the health score; the tone from
    the score (good from 75, at risk from 40), each metric in `data`."""
    if len(own) == 1:
        h = own[0]
        tone, icon = LOOK[h.status]
        label = value_text(h)
        detail = f"{h.metric.name}: {label} ({h.status.label.lower()}){period_text(h)}."
    else:
        value = score.score
        tone, icon = LOOK[Status.NOT_RATED if value is None else _status(value)]
        label = "Not measured" if value is None else f"Health {value}"
        detail = f"{len(own)} metrics; health {value if value is not None else 'not measured'}."
    return Decoration(
        label=label,
        tone=tone,
        icon=icon,
        detail=detail,
        data={"health": score.score, "metrics": [metric_data(h) for h in own]},
    )


class MetricsOverlay:
    """The overlay provider of metrics: every step's and stage's metrics and the journey's health, in
    journey_health's three queries plus one for the journey, whatever the number of metrics and
    measurements."""

    name = "metrics"
    label = "Metrics"

    def decorate(self, *, ids: MapIds, user) -> Overlay:
        journey = Journey.objects.only("pk", "workspace_id", "title").get(pk=ids.journey)
        health = journey_health(journey=journey, user=user, periods=SPARKLINE_PERIODS)
        own: dict[tuple[str, int], list[MetricHealth]] = {}
        for h in health.own.metrics:
            m = h.metric
            if m.step_id:
                own.setdefault(("step", m.step_id), []).append(h)
            elif m.stage_id:
                own.setdefault(("stage", m.stage_id), []).append(h)
        steps = {
            pk: decoration(health.steps[pk], own[("step", pk)]) for pk in ids.steps if ("step", pk) in own
        }
        stages = {
            pk: decoration(health.stages[pk], own[("stage", pk)]) for pk in ids.stages if ("stage", pk) in own
        }
        score = health.journey
        headline = Decoration(
            label="Not measured" if score.score is None else f"Health {score.score}",
            tone="none" if score.score is None else LOOK[_status(score.score)][0],
            icon="" if score.score is None else LOOK[_status(score.score)][1],
            detail="Journey health from its metrics and its sub-journeys' (0–100).",
            url=reverse("metrics:journey", args=[ids.journey]),
            data={"health": score.score, "previous": score.previous, "change": score.change},
        )
        return Overlay(steps=steps, stages=stages, headline=headline)
