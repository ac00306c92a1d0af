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
