"""Prioritization's part of the demo (`manage.py load_demo`, registered in apps.py through core/demo.py).

Initiatives (`initiatives`): six on the mid-market lifecycle map, one in every status, each addressing the
map's pain points and opportunities, written through prioritization.services.initiatives:

- **measured**, met: guided connector setup, targeting onboarding time (down by 2 days): shipped at the
  start of the demo's 10th month, its baseline the three months before (22, 20, 21 days → 21) and its
  after window the three months from it (19, 20, 18 → 19): −2 days, met, recorded when measured;
- **shipped**, not met: weekend cover for Friday tickets, targeting support CSAT (up by 2 points): the
  three months before the 13th month (85.2, 84.6, 85.5 % from their counts) against the three from it
  (85.1, 85.8, 85.3 %): about +0.3 points, not met (computed live on its page);
- **in progress** with a Jira issue (SEC-88), **planned** with a planned date, **proposed** with an NPS
  target, and **dropped** (viewer-seat pricing).

Scores (`scores`, loaded first): 14 of the map's 18 pain points and opportunities scored, some under the
default model (v1) that the admin then changes (v2: customer impact and effort weigh more); 5 keep their v1
score (stale), 9 are scored under v2 (some re-scored, with rationales); one takes its satisfaction from the
NPS metric. Loading again changes nothing (the map's cards have score history already).

The windows are set to those three months exactly (their days), so the verdicts do not depend on the day the
demo is loaded. The measurements are metrics/demo.py's (18 complete months before the load day); this
loader reads them, never writes them. An initiative the workspace already has (by title) is left alone:
loading again changes nothing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from journeys import demo as journeys_demo
from journeys.models import Card
from metrics import demo as metrics_demo
from metrics.models import Metric

from .models import ExpectedDirection, Initiative, Provider, ScoreRevision, SizeUnit, Status, StatusChange
from .services import initiatives as services
from .services import scoring as scoring_services


@dataclass(frozen=True)
class Target:
    metric: str
    direction: str
    size: Decimal
    unit: str = SizeUnit.ABSOLUTE


@dataclass(frozen=True)
class Spec:
    title: str
    status: str
    owner: str
    description: str
    cards: tuple[str, ...]  # the start of each card's text on the lifecycle map
    targets: tuple[Target, ...] = ()
    links: tuple[tuple[str, str, str], ...] = ()  # (provider, key, url)
    month: int | None = None  # shipped at the start of this month of metrics' demo (0 = the oldest)
    path: tuple[str, ...] = ()  # statuses it goes through before `status`
    planned_in_days: int | None = None
    extra: dict = field(default_factory=dict)


JIRA = "https://northwind.atlassian.net/browse/"

INITIATIVES = (
    Spec(
        title="Guided connector setup with an admin-rights checklist",
        status=Status.MEASURED,
        owner="editor",
        description=(
            "A setup wizard that checks each connector's OAuth scopes before the kick-off, and a checklist "
            "sent with the order form naming the admin rights each connector needs (NetSuite first)."
        ),
        cards=(
            "Needs a NetSuite admin for OAuth scopes",
            "Pre-kick-off checklist listing the admin rights",
            "NetSuite sync failures are silent",
        ),
        targets=(Target("Onboarding time", ExpectedDirection.DOWN, Decimal(2)),),
        links=((Provider.JIRA, "ONB-142", JIRA + "ONB-142"),),
        month=9,
        path=(Status.PLANNED, Status.IN_PROGRESS, Status.SHIPPED),
    ),
    Spec(
        title="Weekend cover for tickets opened on a Friday",
        status=Status.SHIPPED,
        owner="nadia",
        description="A rota of two support engineers on Saturdays so a Friday ticket gets its first answer "
        "before Monday.",
        cards=("First response in business hours only",),
        targets=(Target("Support CSAT", ExpectedDirection.UP, Decimal(2)),),
        links=((Provider.JIRA, "SUP-310", JIRA + "SUP-310"),),
        month=12,
        path=(Status.PLANNED, Status.IN_PROGRESS),
    ),
    Spec(
        title="Self-serve trust portal",
        status=Status.IN_PROGRESS,
        owner="admin",
        description="Pre-filled CAIQ and SIG Lite answers, the SOC 2 report behind an NDA click-through.",
        cards=("Security questionnaires are answered by hand", "Self-serve trust portal"),
        targets=(Target("Trial conversion", ExpectedDirection.UP, Decimal(10), SizeUnit.PERCENT),),
        links=((Provider.JIRA, "SEC-88", JIRA + "SEC-88"),),
        path=(Status.PLANNED,),
    ),
    Spec(
        title="Automated ROI summary for quarterly reviews",
        status=Status.PLANNED,
        owner="editor",
        description="Reports replaced, hours saved and active viewers, ready for the QBR deck.",
        cards=("No built-in view of hours saved", "Automated ROI summary"),
        planned_in_days=75,
    ),
    Spec(
        title="Reply to every NPS comment within 5 days",
        status=Status.PROPOSED,
        owner="admin",
        description="Route NPS comments to the account's CSM with a 5-day reply target.",
        cards=("Survey comments never get a reply", "Close the loop"),
        targets=(Target("NPS", ExpectedDirection.UP, Decimal(5)),),
    ),
    Spec(
        title="Cheaper viewer seats",
        status=Status.DROPPED,
        owner="admin",
        description="Dropped: finance would rather bundle viewers into the plan tiers (see the pricing map).",
        cards=("Viewer seats priced like editor seats",),
        path=(Status.PLANNED,),
    ),
)


def _month_start(months: list[tuple[datetime.date, datetime.date]], index: int) -> datetime.date:
    if index < len(months):
        return months[index][0]
    last = months[-1][1]
    return last + datetime.timedelta(days=1)


def _cards(journey, starts) -> list[Card]:
    texts = list(Card.objects.filter(journey=journey).values_list("pk", "text"))
    found = []
    for start in starts:
        pk = next((pk for pk, text in texts if text.startswith(start)), None)
        if pk is not None:
            found.append(pk)
    return found


@transaction.atomic
def _build(spec: Spec, *, workspace, journey, users: dict, metrics: dict, months, today) -> Initiative:
    by = users.get(spec.owner) or journey.owner
    fields = {}
    if spec.month is not None:
        ship = _month_start(months, spec.month)
        fields["baseline_days"] = (ship - _month_start(months, spec.month - 3)).days
        fields["after_days"] = (_month_start(months, spec.month + 3) - ship).days
    if spec.planned_in_days is not None:
        fields["planned_date"] = today + datetime.timedelta(days=spec.planned_in_days)
    initiative = services.initiative_create(
        workspace_id=workspace.pk,
        by=by,
        title=spec.title,
        description=spec.description,
        owner=by.pk,
        **fields,
    )
    for card_id in _cards(journey, spec.cards):
        services.initiative_card_link(initiative_id=initiative.pk, card_id=card_id, by=by)
    for target in spec.targets:
        metric = metrics.get(target.metric)
        if metric is None:
            continue
        services.initiative_target_add(
            initiative_id=initiative.pk,
            by=by,
            metric_id=metric.pk,
            expected_direction=target.direction,
            expected_size=target.size,
            size_unit=target.unit,
        )
    for provider, key, url in spec.links:
        services.delivery_link_add(initiative_id=initiative.pk, by=by, provider=provider, key=key, url=url)
    for status in (*spec.path, spec.status):
        shipped = _month_start(months, spec.month) if status == Status.SHIPPED and spec.month else None
        services.initiative_set_status(
            initiative=initiative, status=status, by=by, via=StatusChange.Via.PERSON, shipped_date=shipped
        )
    return initiative


def initiatives(*, workspace, journeys: dict, today: datetime.date | None = None) -> str:
    """The demo's six initiatives (module docstring) on the lifecycle map: only those the workspace lacks
    (by title). Returns one line saying what it made."""
    journey = journeys.get(journeys_demo.LIFECYCLE["title"])
    if journey is None:
        return "Initiatives: the demo's lifecycle map is gone, so no initiatives were added."
    there = set(
        Initiative.objects.filter(workspace=workspace, title__in=[s.title for s in INITIATIVES]).values_list(
            "title", flat=True
        )
    )
    missing = [spec for spec in INITIATIVES if spec.title not in there]
    if not missing:
        return f"Initiatives: the {len(there)} demo initiatives are there already: nothing changed."
    today = today or timezone.localdate()
    users = {m.user.username: m.user for m in workspace.memberships.select_related("user")}
    metrics = {m.name: m for m in Metric.objects.filter(journey=journey)}
    months = metrics_demo.months(today)
    context = {"workspace": workspace, "journey": journey, "users": users, "metrics": metrics, "today": today}
    made = [_build(spec, months=months, **context) for spec in missing]
    verdicts = []
    for initiative in made:
        for target in initiative.targets.select_related("metric"):
            if target.verdict:
                verdicts.append(f"{target.metric.name} {target.get_verdict_display().lower()}")
    recorded = f"; recorded outcome: {', '.join(verdicts)}" if verdicts else ""
    return (
        f"Initiatives: {len(made)} on “{journey.title}” "
        f"({', '.join(Status(i.status).label.lower() for i in made)}){recorded}."
    )


# ---------------------------------------------------------------------------------------------- scores
# Scoring's part (`scores`): the lifecycle map's pain points and opportunities scored through
# prioritization.services, some under the default model (v1), which the admin then changes (v2: customer
# impact and effort weigh more); some cards are re-scored under v2, some keep their v1 score (stale: the
# Priority view and the panel ask for a re-score), a few are left unscored. One card's satisfaction comes
# from the NPS metric (metrics/demo.py), two have an opportunity score.

CI, BI, EF, SA = "customer_impact", "business_impact", "effort", "strategic_alignment"
V2_WEIGHTS = {CI: 4, EF: 3}
V2_NOTE = (
    "After the Q3 planning review: customer impact and effort weigh more, so quick fixes to painful problems "
    "rise above large projects."
)


@dataclass(frozen=True)
class Scored:
    starts: str  # the start of the card's text on the lifecycle map
    by: str  # a demo username
    v1: tuple[int, int, int, int] | None = None  # customer impact, business impact, effort, alignment
    v2: tuple[int, int, int, int] | None = None  # re-scored (or first scored) under v2
    why: dict = field(default_factory=dict)  # rationales by criterion key (given with the last score)
    importance: int | None = None
    satisfaction: int | None = None
    nps: bool = False  # satisfaction from the NPS metric's latest value


SCORES = (
    Scored("Weekly report takes ~4 hours", "editor", v1=(5, 4, 3, 4), v2=(5, 4, 3, 4),
           why={CI: "17 of 24 interviewees rebuild the Monday report by hand.",
                SA: "Automated reporting is the 2025 product theme."}),
    Scored("Trial expires before IT approves", "editor", v1=(4, 5, 2, 5), v2=(4, 5, 2, 5),
           why={BI: "Trials that wait on IT convert at half the rate (trial analytics)."}),
    Scored("Extend the trial automatically", "admin", v1=(4, 5, 2, 4), v2=(4, 5, 1, 4),
           why={EF: "A flag in billing and one email: days, not weeks."}),
    Scored("Security questionnaires are answered by hand", "admin", v1=(3, 4, 3, 3),
           why={BI: "11 days added to every enterprise deal."}),
    Scored("Self-serve trust portal", "admin", v1=(3, 4, 4, 3)),
    Scored("NetSuite sync failures are silent", "editor", v1=(5, 4, 3, 4), v2=(5, 4, 4, 4),
           why={EF: "Needs alerting on the sync workers first: larger than we thought.",
                CI: "Customers find out from empty charts in front of their board."}),
    Scored("Needs a NetSuite admin for OAuth scopes", "editor", v1=(4, 3, 1, 3), v2=(4, 3, 1, 3)),
    Scored("Pre-kick-off checklist listing the admin rights", "editor", v1=(4, 3, 1, 3)),
    Scored("First response in business hours only", "nadia", v1=(4, 3, 4, 2), v2=(4, 4, 4, 2),
           why={BI: "Friday tickets churn twice as often in the ticket analysis."}),
    Scored("Viewer seats priced like editor seats", "admin", v1=(3, 5, 2, 4)),
    Scored("Integration list on the website is out of date", "nadia", v1=(2, 3, 1, 2)),
    Scored("No built-in view of hours saved", "editor", v2=(3, 4, 3, 5),
           why={SA: "Renewals depend on showing value: a company goal for 2026."}),
    Scored("Automated ROI summary", "editor", v2=(3, 4, 3, 5), importance=8, satisfaction=4),
    Scored("Close the loop: reply to every NPS comment", "admin", v2=(3, 3, 2, 3), importance=7, nps=True),
)  # fmt: skip


def _values(values) -> dict:
    return dict(zip((CI, BI, EF, SA), values, strict=True))


def _v2_criteria(model) -> list[dict]:
    return [
        {
            "key": c.key,
            "name": c.name,
            "description": c.description,
            "weight": V2_WEIGHTS.get(c.key, c.weight),
            "lower_is_better": c.lower_is_better,
            "meanings": list(c.meanings),
        }
        for c in model.criteria.all()
    ]


def scores(*, workspace, journeys: dict) -> str:
    """The demo's scores (SCORES) on the lifecycle map and the model's version 2, in one transaction, unless
    the map's cards were scored already (then nothing changes: one query). Returns one line saying what it
    made."""
    journey = journeys.get(journeys_demo.LIFECYCLE["title"])
    if journey is None:
        return "Scores: the demo's lifecycle map is gone, so nothing was scored."
    if ScoreRevision.objects.filter(card__journey=journey).exists():
        return "Scores: the lifecycle map's pain points are scored already: nothing changed."
    with transaction.atomic():
        return _score_the_map(workspace=workspace, journey=journey)


def _score_the_map(*, workspace, journey) -> str:
    """Score SCORES under v1, make v2 (when the workspace still has the default v1), score under v2."""
    users = {m.user.username: m.user for m in workspace.memberships.select_related("user")}
    admin = users[journeys_demo.USERS[0].username]
    texts = list(Card.objects.filter(journey=journey).values_list("pk", "text"))
    cards = {spec.starts: next(pk for pk, text in texts if text.startswith(spec.starts)) for spec in SCORES}
    nps = Metric.objects.filter(journey=journey, name="NPS").first()
    v1 = scoring_services.scoring_model_ensure_default(workspace_id=workspace.pk)
    for spec in SCORES:
        if spec.v1:
            scoring_services.score_set(
                card_id=cards[spec.starts],
                by=users[spec.by],
                values=_values(spec.v1),
                rationales=spec.why if not spec.v2 else {},
            )
    current = v1
    if v1.number == 1:  # the default model, as a new workspace has it: the admin's change makes v2
        current = scoring_services.scoring_model_change(
            workspace_id=workspace.pk, by=admin, criteria=_v2_criteria(v1), note=V2_NOTE, expected_version=1
        )
    for spec in SCORES:
        if spec.v2:
            scoring_services.score_set(
                card_id=cards[spec.starts],
                by=users[spec.by],
                values=_values(spec.v2),
                rationales=spec.why,
                importance=spec.importance,
                satisfaction=spec.satisfaction,
                satisfaction_metric=nps.pk if spec.nps and nps is not None else None,
            )
    stale = sum(1 for spec in SCORES if spec.v1 and not spec.v2)
    return (
        f"Scores: {len(SCORES)} pain points and opportunities of “{journey.title}” scored, {stale} of them "
        f"under v1 (stale since v{current.number})."
    )


def load(*, workspace, journeys: dict, today: datetime.date | None = None) -> str:
    """Prioritization's demo loader (core/demo.py): the scores (`scores`), then the initiatives."""
    lines = [
        scores(workspace=workspace, journeys=journeys),
        initiatives(workspace=workspace, journeys=journeys, today=today),
    ]
    return " ".join(lines)
