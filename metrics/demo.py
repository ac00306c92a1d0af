"""Metrics' part of the demo (`manage.py load_demo`, registered in apps.py through core/demo.py).

The mid-market lifecycle map (journeys/demo.py) gets five metrics with 18 months of monthly values, the
last 18 complete months before the day the demo is loaded, written through metrics.services:

- CSAT of support conversations (share of 4–5 answers, from the counts), on "Contacts support": good;
- NPS (from promoters, passives and detractors), on "Answers the NPS survey": 31 against a target of
  45, so **off track** (the metric off target);
- trial conversion (from trials converted / started), on "Runs a 14-day trial": about 18 % for 17 months,
  then 24 % in the latest month, when trials began to extend themselves while a data connection waits for
  IT approval: **the shift** metrics/shifts.py finds (and this loader records by running its scan);
- onboarding time (median days from signature to go-live), on the Onboarding stage: at risk;
- support cost to serve (USD per account a month), on the Engagement stage: good.

So the lifecycle's health (metrics/health.py) has a score, a previous score and a change to explain. A
metric the map already has (by name) is left alone: loading again changes nothing.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from journeys import demo as journeys_demo

from . import services, shifts
from .health import journey_health
from .models import Kind, Metric, Source, Unit

MONTHS = 18


@dataclass(frozen=True)
class Series:
    """A metric of the demo and its monthly values, oldest first (`values`), or the counts they come
    from (`components`: a list of {name: count} per month)."""

    name: str
    kind: str
    where: tuple[str, str]  # ("step" | "stage", title)
    description: str
    owner: str
    source: str
    fields: dict = field(default_factory=dict)
    values: tuple = ()
    components: tuple = ()


def _csat(responses, shares) -> tuple:
    return tuple(
        {"satisfied": round(n * share / 100), "responses": n}
        for n, share in zip(responses, shares, strict=True)
    )


def _nps(totals, scores, detractor_shares) -> tuple:
    out = []
    for total, score, detractors in zip(totals, scores, detractor_shares, strict=True):
        d = round(total * detractors / 100)
        p = round(total * (score + detractors) / 100)
        out.append({"promoters": p, "passives": total - p - d, "detractors": d})
    return tuple(out)


def _rate(started, rates) -> tuple:
    return tuple(
        {"numerator": round(n * rate / 100), "denominator": n} for n, rate in zip(started, rates, strict=True)
    )


SERIES = (
    Series(
        name="Support CSAT",
        kind=Kind.CSAT,
        where=("step", "Contacts support"),
        description="Share of 4–5 answers to the survey sent when a support conversation closes (Zendesk).",
        owner="nadia",
        source=Source.CSV,
        components=_csat(
            (352, 368, 391, 377, 402, 415, 398, 421, 436, 429, 447, 458, 441, 463, 472, 455, 481, 476),
            (
                82.1,
                83.0,
                82.6,
                83.4,
                84.1,
                83.7,
                84.5,
                84.0,
                84.9,
                85.2,
                84.6,
                85.5,
                85.1,
                85.8,
                85.3,
                86.0,
                85.6,
                85.9,
            ),
        ),  # fmt: skip
    ),
    Series(
        name="NPS",
        kind=Kind.NPS,
        where=("step", "Answers the NPS survey"),
        description="Quarterly in-app NPS prompt, answered after a dashboard view; monthly results.",
        owner="admin",
        source=Source.CSV,
        fields={"target_value": Decimal(45)},  # target date: set when loaded (a year on)
        components=_nps(
            (188, 203, 196, 214, 221, 209, 232, 227, 218, 240, 236, 229, 251, 244, 238, 259, 262, 255),
            (22, 24, 23, 25, 24, 26, 27, 26, 28, 27, 29, 28, 30, 29, 31, 30, 32, 31),
            (16, 15, 16, 15, 15, 14, 15, 14, 14, 14, 13, 14, 13, 13, 13, 13, 12, 13),
        ),  # fmt: skip
    ),
    Series(
        name="Trial conversion",
        kind=Kind.CONVERSION_RATE,
        where=("step", "Runs a 14-day trial"),
        description=(
            "Trials that become paying accounts within 30 days of the trial's start, by month of start. "
            "In the latest month trials began to extend themselves while a data connection waits for IT "
            "approval."
        ),
        owner="tom",
        source=Source.API,
        fields={
            "target_value": Decimal(25),
            "good_threshold": Decimal(20),
            "off_track_threshold": Decimal(15),
        },
        components=_rate(
            (131, 126, 142, 138, 129, 147, 151, 139, 144, 156, 149, 153, 160, 148, 157, 163, 158, 166),
            (
                16.8,
                17.5,
                16.9,
                17.8,
                17.2,
                18.1,
                17.4,
                17.9,
                18.3,
                17.6,
                18.0,
                18.4,
                17.7,
                18.2,
                18.6,
                17.9,
                18.3,
                24.1,
            ),
        ),  # fmt: skip
    ),
    Series(
        name="Onboarding time",
        kind=Kind.TIME_TO_COMPLETE,
        where=("stage", "Onboarding"),
        description="Median days from signature to go-live: the first dashboard a leadership meeting uses.",
        owner="editor",
        source=Source.MANUAL,
        fields={"unit": Unit.DAYS, "target_value": Decimal(15)},
        values=(24, 23, 25, 22, 23, 21, 22, 20, 21, 19, 20, 18, 19, 18, 17, 17.5, 16.5, 16),
    ),
    Series(
        name="Support cost to serve",
        kind=Kind.COST_TO_SERVE,
        where=("stage", "Engagement"),
        description="Support cost per mid-market account a month: tickets × cost of a ticket (finance).",
        owner="nadia",
        source=Source.CSV,
        fields={"currency": "USD", "target_value": Decimal(48)},
        values=(
            52.4,
            51.8,
            53.1,
            50.9,
            51.5,
            49.8,
            50.6,
            49.2,
            48.7,
            49.5,
            48.1,
            47.6,
            48.3,
            47.2,
            46.8,
            47.5,
            46.4,
            46.9,
        ),
    ),  # fmt: skip
)


def months(today: datetime.date, count: int = MONTHS) -> list[tuple[datetime.date, datetime.date]]:
    """The `count` complete calendar months before `today`, oldest first, as (first day, last day)."""
    out = []
    end = today.replace(day=1) - datetime.timedelta(days=1)
    for _ in range(count):
        start = end.replace(day=1)
        out.append((start, end))
        end = start - datetime.timedelta(days=1)
    return out[::-1]


def target_date(today: datetime.date) -> datetime.date:
    """The last day of the quarter a year after `today` (when the demo's targets are due)."""
    quarter_end_month = ((today.month - 1) // 3 + 1) * 3
    end = datetime.date(today.year + 1, quarter_end_month, 1)
    following = end.replace(day=28) + datetime.timedelta(days=4)
    return following - datetime.timedelta(days=following.day)


@transaction.atomic
def _build(*, journey, specs, today: datetime.date) -> tuple[int, list]:
    """Create these metrics with their measurements and scan for shifts; returns (measurements, new
    shifts)."""
    users = {m.user.username: m.user for m in journey.workspace.memberships.select_related("user")}
    by = journey.owner
    places = {
        "step": dict(journey.steps.values_list("title", "pk")),
        "stage": dict(journey.stages.values_list("title", "pk")),
    }
    periods = months(today)
    items_by_source: dict[str, list] = {}
    for spec in specs:
        kind, title = spec.where
        fields = dict(spec.fields)
        if "target_value" in fields:
            fields["target_date"] = target_date(today)
        owner = users.get(spec.owner)
        metric = services.metric_create(
            journey_id=journey.pk, by=by, name=spec.name, kind=spec.kind, description=spec.description,
            source=spec.source, owner=owner.pk if owner else None, **{kind: places[kind].get(title)},
            **fields,
        )  # fmt: skip
        for index, (start, end) in enumerate(periods):
            item = {"metric": metric.pk, "period_start": start, "period_end": end}
            if spec.components:
                item["components"] = spec.components[index]
            else:
                item["value"] = Decimal(str(spec.values[index]))
            items_by_source.setdefault(spec.source, []).append(item)
    written = 0
    for source, items in items_by_source.items():
        written += services.measurements_upsert(
            journey_id=journey.pk, by=by, items=items, source=source
        ).created
    # The scan also runs after each upsert (a Celery task, after commit); run here, the shift is there now.
    return written, shifts.scan_journey(journey_id=journey.pk)


def load(*, workspace, journeys: dict, today: datetime.date | None = None) -> str:
    """The demo's metrics and measurements on the lifecycle map (see the module docstring): only the
    metrics it lacks (by name). Returns one line saying what it made. `today`: the day the months count
    back from (default: today)."""
    journey = journeys.get(journeys_demo.LIFECYCLE["title"])
    if journey is None:
        return "Metrics: the demo's lifecycle map is gone, so no metrics were added."
    names = [spec.name for spec in SERIES]
    there = dict(
        Metric.objects.filter(journey=journey, name__in=names)
        .values_list("name")
        .annotate(n=Count("measurements"))
    )
    missing = [spec for spec in SERIES if spec.name not in there]
    if not missing:
        return (
            f"Metrics: the {len(there)} demo metrics are there already ({sum(there.values())} measurements): "
            "nothing changed."
        )
    today = today or timezone.localdate()
    written, found = _build(journey=journey, specs=missing, today=today)
    health = journey_health(journey=journey, user=journey.owner).journey
    named = {spec.name: spec for spec in missing}
    metric_names = dict(Metric.objects.filter(journey=journey, name__in=named).values_list("pk", "name"))
    shifts_text = "; ".join(
        f"{metric_names.get(s.metric_id, 'a metric')} {s.get_direction_display().lower()} in "
        f"{s.period_start:%B %Y}"
        for s in found
    )
    change = f", {health.change:+d} since the month before" if health.change is not None else ""
    return (
        f"Metrics: {len(missing)} metrics with {written} monthly measurements on “{journey.title}”; "
        f"{len(found)} shift{'s' if len(found) != 1 else ''}{': ' + shifts_text if found else ''}; "
        f"health {health.score if health.score is not None else 'not measured'}{change}."
    )
