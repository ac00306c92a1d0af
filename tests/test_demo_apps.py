"""`manage.py load_demo` with the apps above journeys: core/demo.py's registry, research's and metrics'
demo loaders (research/demo.py, metrics/demo.py). Journeys' own demo: tests/journeys/test_demo.py."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Workspace
from core import demo as demo_registry
from journeys import demo as journeys_demo
from journeys.models import Activity, Journey
from metrics import demo as metrics_demo
from metrics.health import Status, explain, journey_health
from metrics.models import Measurement, Metric, MetricShift, ShiftDirection
from metrics.shifts import scan_journey
from research import demo as research_demo
from research.confidence import Level, map_confidence
from research.models import Evidence, EvidenceLink, Method, ResearchEvent, Stance, Study


def load() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def workspace() -> Workspace:
    return Workspace.objects.get(name=journeys_demo.WORKSPACE_NAME)


def lifecycle() -> Journey:
    return Journey.objects.get(title=journeys_demo.LIFECYCLE["title"], workspace=workspace())


def rows() -> dict:
    ws = workspace()
    return {
        "studies": sorted(Study.objects.filter(workspace=ws).values_list("pk", "version")),
        "evidence": sorted(Evidence.objects.filter(workspace=ws).values_list("pk", "version")),
        "links": sorted(EvidenceLink.objects.filter(journey__workspace=ws).values_list("pk", "stance")),
        "research events": ResearchEvent.objects.filter(journey__workspace=ws).count(),
        "metrics": sorted(Metric.objects.filter(journey__workspace=ws).values_list("pk", "version")),
        "measurements": sorted(
            Measurement.objects.filter(metric__journey__workspace=ws).values_list("pk", "value")
        ),
        "shifts": sorted(MetricShift.objects.filter(journey__workspace=ws).values_list("pk", flat=True)),
        "activity": Activity.objects.filter(journey__workspace=ws).count(),
        "revisions": sorted(ws.journeys.values_list("pk", "revision")),
    }


def by_title() -> dict:
    return {journey.title: journey for journey in workspace().journeys.all()}


# ---------------------------------------------------------------------------------------------- registry


def test_registry_resolves_paths_and_refuses_a_second_loader_under_one_name():
    loaders = dict(demo_registry.loaders())
    assert loaders["research"] is research_demo.load and loaders["metrics"] is metrics_demo.load
    # The same loader again, by path or as the callable (ready() running twice): no error.
    demo_registry.register("research", "research.demo.load")
    demo_registry.register("research", research_demo.load)
    demo_registry.register("research", "research.demo.load")
    with pytest.raises(ValueError, match="research"):
        demo_registry.register("research", lambda **kwargs: "")
    demo_registry.register("test-only", "research.demo.topics")
    try:
        assert dict(demo_registry.loaders())["test-only"] is research_demo.topics
    finally:
        demo_registry.unregister("test-only")
    assert "test-only" not in dict(demo_registry.loaders())


# ---------------------------------------------------------------------------------------------- the command


def test_second_run_changes_nothing(db, django_assert_num_queries):
    first_output = load()
    assert "Research: 3 studies, 122 evidence items" in first_output
    assert "Metrics: 5 metrics with 90 monthly measurements" in first_output
    assert "1 shift: Trial conversion up" in first_output
    assert "Scores: 14 pain points and opportunities of" in first_output
    assert "Initiatives: 6 on “Customer lifecycle — mid-market”" in first_output
    assert "recorded outcome: Onboarding time met" in first_output
    assert "skipped" not in first_output
    # The apps' lines come before the sign-in table that `make run` reads (tests/ops/test_run.py).
    assert first_output.index("Metrics:") < first_output.index("Sign in with:")
    before = rows()
    # Journeys' six (savepoint, workspace, users, journey count, card count, release), the journeys by
    # title, research's studies with their evidence count, metrics' metrics with their measurement count,
    # prioritization's: whether the lifecycle map has score history, the initiatives by title.
    with django_assert_num_queries(11):
        second_output = load()
    assert rows() == before
    assert "Research: the 3 demo studies are there already (122 evidence items): nothing changed." in (
        second_output
    )
    assert "Metrics: the 5 demo metrics are there already (90 measurements): nothing changed." in (
        second_output
    )
    assert "Scores: the lifecycle map's pain points are scored already: nothing changed." in second_output
    assert "Initiatives: the 6 demo initiatives are there already: nothing changed." in second_output


# ---------------------------------------------------------------------------------------------- research


def test_research_demo_shows_every_confidence_level(db):
    journeys_demo.demo_load()
    line = research_demo.load(workspace=workspace(), journeys=by_title())
    journey = lifecycle()

    levels = map_confidence(journey_id=journey.pk).card_levels
    assert all(levels[level] >= 1 for level in Level.values), levels
    assert levels[Level.CONTESTED] >= 3 and levels[Level.STRONG] >= 5
    assert f"{levels[Level.CONTESTED]} contested" in line and "skipped" not in line

    studies = {s.title: s for s in Study.objects.filter(workspace=journey.workspace)}
    assert set(studies) == {"Onboarding interviews", "Mid-market customer survey",
                            "Support ticket analysis — mid-market"}  # fmt: skip
    assert {s.method for s in studies.values()} == {Method.INTERVIEWS, Method.SURVEY, Method.SUPPORT_TICKETS}
    interviews = studies["Onboarding interviews"]
    labels = set(interviews.evidence.exclude(participant="").values_list("participant", flat=True))
    assert labels == {f"P{n:02d}" for n in range(1, 25)} and interviews.participants == 24
    assert 100 <= Evidence.objects.filter(workspace=journey.workspace).count() <= 140
    assert set(Evidence.objects.values_list("kind", flat=True)) == {"quote", "observation", "data_point",
                                                                   "finding"}  # fmt: skip

    # Every link is on the lifecycle map, made through the service: a line in its activity feed and a
    # "new research" event each; some contradict.
    links = EvidenceLink.objects.filter(journey__workspace=journey.workspace)
    assert links.exclude(journey=journey).count() == 0
    assert links.filter(stance=Stance.CONTRADICTS).count() >= 5
    assert links.filter(step__isnull=False).exists() and links.filter(stage__isnull=False).exists()
    assert Activity.objects.filter(journey=journey, verb="linked evidence").count() == links.count()
    assert ResearchEvent.objects.filter(journey=journey).count() == links.count()
    # Some evidence is not linked yet (the library's "unlinked" filter has something to show).
    assert Evidence.objects.filter(workspace=journey.workspace, links__isnull=True).exists()

    # Again: nothing new.
    again = research_demo.load(workspace=workspace(), journeys=by_title())
    assert "nothing changed" in again and links.count() == EvidenceLink.objects.count()


# ---------------------------------------------------------------------------------------------- metrics


def test_metrics_demo_has_a_shift_and_an_explained_health(db):
    journeys_demo.demo_load()
    metrics_demo.load(workspace=workspace(), journeys=by_title())
    journey = lifecycle()

    metrics = {m.name: m for m in Metric.objects.filter(journey=journey)}
    assert set(metrics) == {"Support CSAT", "NPS", "Trial conversion", "Onboarding time",
                            "Support cost to serve"}  # fmt: skip
    for metric in metrics.values():
        periods = list(metric.measurements.order_by("period_start").values_list("period_start", "period_end"))
        assert len(periods) == metrics_demo.MONTHS
        for (start, end), (next_start, _) in zip(periods, periods[1:], strict=False):
            assert start.day == 1 and (end + datetime.timedelta(days=1)) == next_start
    nps = metrics["NPS"].measurements.order_by("-period_start").first()
    assert set(nps.components) == {"promoters", "passives", "detractors"}

    # One shift, found by metrics.shifts in the latest month: trial conversion jumped.
    shift = MetricShift.objects.get(journey=journey)
    assert shift.metric == metrics["Trial conversion"]
    assert shift.direction == ShiftDirection.UP and shift.better
    assert shift.period_end == max(
        metrics["Trial conversion"].measurements.values_list("period_end", flat=True)
    )
    assert scan_journey(journey_id=journey.pk) == []  # recorded once

    # Health: a score with its explanation; NPS is the metric off target.
    health = journey_health(journey=journey, user=journey.owner)
    assert health.journey.score is not None and health.journey.change is not None
    statuses = {h.metric.name: h.status for h in health.metrics.values()}
    assert [name for name, status in statuses.items() if status == Status.OFF_TRACK] == ["NPS"]
    assert Status.GOOD in statuses.values() and Status.AT_RISK in statuses.values()
    explanation = explain(journey=journey, user=journey.owner, health=health)
    assert explanation.score == health.journey.score
    assert {line.name for line in explanation.metrics} == set(metrics)
    nps_line = next(line for line in explanation.metrics if line.name == "NPS")
    assert nps_line.thresholds_from == "target" and "off track" in nps_line.rule

    again = metrics_demo.load(workspace=workspace(), journeys=by_title())
    assert "nothing changed" in again and MetricShift.objects.count() == 1
