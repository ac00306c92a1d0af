"""Prioritization's demo: six initiatives on the lifecycle map, one in every status, two shipped with
outcomes from metrics' demo measurements (one met and recorded, one not met), a Jira link; idempotent; the
verdicts hold whatever the day it is loaded."""

import datetime

import pytest

from accounts.models import Workspace
from journeys import demo as journeys_demo
from metrics import demo as metrics_demo
from prioritization import demo, outcomes, selectors
from prioritization.models import DeliveryLink, Initiative, InitiativeCard, Status, Verdict

pytestmark = pytest.mark.django_db


def _load(today):
    journeys_demo.demo_load()
    ws = Workspace.objects.get(name=journeys_demo.WORKSPACE_NAME)
    journeys = {j.title: j for j in ws.journeys.all()}
    metrics_demo.load(workspace=ws, journeys=journeys, today=today)
    return ws, journeys, demo.initiatives(workspace=ws, journeys=journeys, today=today)


@pytest.mark.parametrize("today", [datetime.date(2026, 12, 1), datetime.date(2027, 3, 31)])
def test_six_initiatives_in_every_status_with_a_met_and_a_missed_outcome(today):
    ws, journeys, line = _load(today)
    made = {i.status: i for i in Initiative.objects.filter(workspace=ws)}
    assert sorted(made) == sorted(Status.values)
    assert "Initiatives: 6 on “Customer lifecycle — mid-market”" in line
    assert "recorded outcome: Onboarding time met" in line
    # Every initiative addresses cards of the map.
    for initiative in made.values():
        assert InitiativeCard.objects.filter(initiative=initiative).exists(), initiative.title
    measured = made[Status.MEASURED]
    (target,) = measured.targets.all()
    assert (target.verdict, target.baseline_value, target.after_value) == (Verdict.MET, 21, 19)
    assert (target.baseline_count, target.after_count) == (3, 3)
    shipped = made[Status.SHIPPED]
    owner = journeys[journeys_demo.LIFECYCLE["title"]].owner
    (live,) = outcomes.outcomes_for(shipped, list(shipped.targets.select_related("metric")), today=today)
    assert live.verdict == Verdict.NOT_MET and not live.window_open
    assert (live.baseline.count, live.after.count) == (3, 3)
    assert 0 < live.change < 1  # about +0.3 points against an expected +2
    assert DeliveryLink.objects.filter(initiative__workspace=ws, provider="jira").count() >= 1
    assert made[Status.PLANNED].planned_date > today
    # The map's cards say what addresses them.
    card = InitiativeCard.objects.filter(initiative=measured).first().card
    info = selectors.delivery_for_cards([card.pk], user=owner)[card.pk]
    assert info.addressed and info.lead.outcome == "1 of 1 target met"


def test_loading_again_changes_nothing():
    today = datetime.date(2026, 12, 1)
    ws, journeys, _line = _load(today)
    before = sorted(Initiative.objects.values_list("pk", "version", "status"))
    again = demo.initiatives(workspace=ws, journeys=journeys, today=today)
    assert again == "Initiatives: the 6 demo initiatives are there already: nothing changed."
    assert sorted(Initiative.objects.values_list("pk", "version", "status")) == before
