"""What the metrics pages share: how a status, a score and a metric's row look (colour always with an
icon and a word, so each reads in greyscale), and who may write."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.views import follow_workspace
from journeys.access import rank

from .. import access, charts
from ..health import MetricHealth, Score, Status, Trend
from ..overlays import LOOK

# How a score (0–100) looks: the map's headline uses the same bands (metrics/overlays.py).
SCORE_GOOD, SCORE_AT_RISK = 75, 40
TREND_LOOK = {Trend.IMPROVING: "↗", Trend.WORSENING: "↘", Trend.STEADY: "→"}


@dataclass(frozen=True)
class Look:
    """A status as shown: its tone (CSS modifier), icon name, and words."""

    tone: str
    icon: str
    label: str


def status_look(status: Status) -> Look:
    tone, icon = LOOK[status]
    return Look(tone, icon, status.label)


def score_look(score: int | None) -> Look:
    """The look of a health score: good from SCORE_GOOD, at risk from SCORE_AT_RISK, off track below."""
    if score is None:
        return Look("none", "dot", "Not measured")
    status = (
        Status.GOOD if score >= SCORE_GOOD else Status.AT_RISK if score >= SCORE_AT_RISK else Status.OFF_TRACK
    )
    tone, icon = LOOK[status]
    return Look(tone, icon, status.label)


@dataclass(frozen=True)
class ScoreView:
    score: Score
    look: Look


def score_view(score: Score | None) -> ScoreView | None:
    return None if score is None else ScoreView(score, score_look(score.score))


def value_text(value, unit: str, *, places: int | None = charts.SHOWN_PLACES) -> str:
    """ "72.5 %", "12 EUR", "30" ("–" for none); rounded to `places` decimals (None: every digit)."""
    if value is None:
        return "–"
    return f"{charts.number(value, places)} {unit}".strip()


@dataclass(frozen=True)
class MetricRow:
    """One metric as the journey page and the metric page show it."""

    h: MetricHealth
    value: str
    period: str
    look: Look
    trend: str  # the trend's word, "" with one period
    trend_icon: str
    target: str
    spark: str

    @property
    def metric(self):
        return self.h.metric


def metric_row(h: MetricHealth) -> MetricRow:
    m = h.metric
    unit = m.unit_text()
    target = ""
    if m.target_value is not None:
        target = value_text(m.target_value, unit)
        if m.target_date:
            target += f" by {m.target_date.day} {m.target_date:%b %Y}"
    return MetricRow(
        h=h,
        value=value_text(h.latest.value if h.latest else None, unit),
        period=charts.period_label(h.latest.start, h.latest.end) if h.latest else "",
        look=status_look(h.status),
        trend=h.trend.label if h.trend else "",
        trend_icon=TREND_LOOK.get(h.trend, "") if h.trend else "",
        target=target,
        spark=charts.sparkline(h),
    )


def can_edit(journey) -> bool:
    return rank(journey.access_level) >= rank(access.EDIT)


def follow(request, journey) -> None:
    """Opening a page of another of the person's workspaces makes it the current one (no query)."""
    follow_workspace(request, journey.workspace_id, journey.role)


# ---------------------------------------------------------------------------------------------- stale forms
# An edit form carries the values it was opened with (`base_<field>`). When someone else saved meanwhile,
# each field is merged as the journey settings page does (journeys/views/journeys.py; research has the same
# in research/views/common.py: a candidate for core): what only this person changed goes over the newer
# version, what only the other person changed stays theirs, and only a field both changed is left for this
# person to decide (a clash).


def form_value(value) -> str:
    """A field's value as a form posts it, for comparing: dates in ISO form, line breaks and outer spaces
    aside, None as ""."""
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").strip()


def base_values(initial: dict, posted=None) -> dict:
    """The base_* values an edit form carries: those it was posted with, else the row's own."""
    posted = posted or {}
    return {
        name: posted.get(f"base_{name}", form_value(value))
        for name, value in initial.items()
        if name != "expected_version"
    }


def merge_stale(posted, current: dict, version: int) -> tuple[dict, list[str]]:
    """A stale form (`posted`, a QueryDict) merged per field with the row as it is now (`current`: the
    form's initial values of it, at `version`): (the data to save or show, the names of the fields both
    people changed). The merged data's base becomes the current row."""
    data = posted.copy()
    clashes = []
    for name, value in current.items():
        if name == "expected_version" or name not in posted:
            continue
        theirs, mine = form_value(value), form_value(posted.get(name))
        base = posted.get(f"base_{name}")
        if base is not None and mine == form_value(base):
            data[name] = theirs  # untouched here: theirs stands
        elif theirs != mine and (base is None or theirs != form_value(base)):
            clashes.append(name)
        data[f"base_{name}"] = theirs
    data["expected_version"] = version
    return data, clashes


def labels_of(form, names) -> list[str]:
    """The fields' labels in lower case, for "you both changed the name and the target"."""
    return [str(form.fields[name].label or name).lower() for name in names]
