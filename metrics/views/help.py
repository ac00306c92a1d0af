"""Help: the health rule and the shift rule, rendered from metrics/health.py's and metrics/shifts.py's
constants, with their worked examples computed by the rules' own functions (never copied numbers)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts.selectors import current_workspace

from .. import health, shifts
from ..models import KIND_DEFAULTS, Direction, Kind, Metric
from ..selectors import Period
from .common import score_look, status_look

# The worked example of health.py's docstring (tests/metrics/test_health.py holds the same figures):
# (name, kind, where, weight, target, direction, latest, before).
HEALTH_EXAMPLE = (
    ("NPS", Kind.NPS, "a step", 2, None, None, "24", "31"),
    ("CSAT", Kind.CSAT, "a stage", 1, None, None, "84", "79"),
    ("Drop-off", Kind.DROP_OFF_RATE, "the journey", 1, "20", Direction.LOWER, "25", "21"),
)
# shifts.py's worked examples: monthly conversion, then a short history.
SHIFT_EXAMPLES = (
    ("10.0", "10.4", "9.8", "10.2", "10.1", "9.9", "7.5"),
    ("12.0", "12.4", "16.0"),
)


def _periods(values) -> list[Period]:
    """Monthly periods of these values (oldest first in, newest first out), as the selectors make them."""
    out = []
    for i, v in enumerate(values):
        day = date(2025, i + 1, 1)
        out.append(Period(day, day, Decimal(v), None, 0))
    return out[::-1]


def health_example() -> dict:
    """The worked example run through health's functions: each metric's statuses, points and rule, and
    the journey's score now and before."""
    items = []
    for i, (name, kind, where, weight, target, direction, latest, before) in enumerate(HEALTH_EXAMPLE, 1):
        default_direction = KIND_DEFAULTS[kind][1]
        metric = Metric(
            pk=i,
            name=name,
            kind=kind,
            weight=weight,
            target_value=Decimal(target) if target else None,
            direction=direction or default_direction,
        )
        items.append((where, health.metric_health(metric, _periods([before, latest]))))
    score = health.score_of([h for _, h in items])
    lines = [
        {
            "where": where,
            "h": h,
            "look": status_look(h.status),
            "previous_look": status_look(h.previous_status),
            "source": h.limits.source if h.limits else None,
        }
        for where, h in items
    ]
    return {
        "lines": lines,
        "score": score,
        "look": score_look(score.score),
        "now": " + ".join(f"{h.metric.weight}×{h.points}" for _, h in items),
        "before": " + ".join(f"{h.metric.weight}×{h.previous_points}" for _, h in items),
        "weights": sum(h.metric.weight for _, h in items),
    }


def shift_examples(params: shifts.Params) -> list[dict]:
    """shifts.py's worked examples run through shifts.detect with these parameters."""
    metric = Metric(
        pk=1, journey_id=1, name="Trial conversion", kind=Kind.CONVERSION_RATE, direction=Direction.HIGHER
    )
    out = []
    for values in SHIFT_EXAMPLES:
        found = shifts.detect(metric, _periods(values), params)
        out.append({"values": values, "before": values[:-1], "latest": values[-1], "shift": found})
    return out


@login_required
@require_safe
def metrics_help(request):
    """How a metric's status, a journey's health score and a metric shift are worked out."""
    workspace = current_workspace(request)
    params = shifts.params_for([workspace.pk])[workspace.pk] if workspace is not None else shifts.Params()
    defaults = [
        {
            "kind": Kind(kind).label,
            "unit": unit.label,
            "direction": direction.label,
            "aggregation": aggregation.label,
            "good": limits[0] if limits else None,
            "off": limits[1] if limits else None,
        }
        for kind, (unit, direction, aggregation, limits) in KIND_DEFAULTS.items()
    ]
    context = {
        "h": health,
        "tolerance": health.TOLERANCE * 100,
        "steady": health.STEADY * 100,
        "points": [(status_look(status), points) for status, points in health.POINTS.items()],
        "defaults": defaults,
        "example": health_example(),
        "params": params,
        "default_params": shifts.Params(),
        "shift_examples": shift_examples(params),
        "workspace": workspace,
    }
    return render(request, "metrics/help.html", context)
