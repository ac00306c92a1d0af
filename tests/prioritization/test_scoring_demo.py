"""Scoring's part of the demo (prioritization/demo.py `scores`): the lifecycle map's pain points and
opportunities scored through the services, some under v1 then the model changed to v2 (stale scores), some
re-scored under v2, a satisfaction read from the NPS metric; loading again changes nothing."""

from decimal import Decimal

from accounts.models import Workspace
from journeys import demo as journeys_demo
from journeys.models import Journey, LaneKind
from metrics import demo as metrics_demo
from prioritization import demo, selectors
from prioritization.models import Score, ScoreRevision, ScoringModel


def _load():
    journeys_demo.demo_load()
    workspace = Workspace.objects.get(name=journeys_demo.WORKSPACE_NAME)
    journeys = {j.title: j for j in workspace.journeys.all()}
    metrics_demo.load(workspace=workspace, journeys=journeys)
    return workspace, journeys


def test_the_demo_scores_the_lifecycle_map_under_two_versions(db):
    workspace, journeys = _load()
    line = demo.scores(workspace=workspace, journeys=journeys)
    journey = Journey.objects.get(title=journeys_demo.LIFECYCLE["title"], workspace=workspace)
    assert line == (
        f"Scores: 14 pain points and opportunities of “{journey.title}” scored, 5 of them under v1 "
        "(stale since v2)."
    )
    models = {m.number: m for m in ScoringModel.objects.filter(workspace=workspace)}
    assert set(models) == {1, 2} and models[2].is_current and models[2].note == demo.V2_NOTE
    weights = {c.key: c.weight for c in models[2].criteria.all()}
    assert weights == {"customer_impact": 4, "business_impact": 3, "effort": 3, "strategic_alignment": 2}

    scores = Score.objects.filter(card__journey=journey).select_related("model", "card__lane")
    assert scores.count() == 14
    assert sorted(s.model.number for s in scores) == [1] * 5 + [2] * 9
    assert {s.card.lane.kind for s in scores} == {LaneKind.PAIN_POINTS, LaneKind.OPPORTUNITIES}
    unscored = journey.cards.filter(lane__kind__in=[LaneKind.PAIN_POINTS, LaneKind.OPPORTUNITIES], score=None)
    assert unscored.count() == 4
    assert all(s.composite is not None for s in scores)

    # The NPS metric (31 in metrics' demo, −100…100) gives the satisfaction: (31 + 100) / 20 = 6.55.
    loop = scores.get(card__text__startswith="Close the loop")
    assert loop.satisfaction_metric.name == "NPS" and loop.importance == 7
    assert Decimal(0) <= loop.satisfaction <= Decimal(10)
    # A re-scored card's history: v1, then v2 with what changed and why.
    silent = scores.get(card__text__startswith="NetSuite sync failures are silent")
    history = selectors.score_history(card_id=silent.card_id)
    assert [e.revision.model.number for e in history.entries] == [2, 1]
    assert history.entries[0].model_changed
    effort = next(c for c in history.entries[0].changes if c.key == "effort")
    assert (effort.old, effort.new, effort.rationale) == (3, 4, demo.SCORES[5].why["effort"])

    # Again: nothing new.
    revisions = ScoreRevision.objects.count()
    again = demo.scores(workspace=workspace, journeys=journeys)
    assert again == "Scores: the lifecycle map's pain points are scored already: nothing changed."
    assert ScoreRevision.objects.count() == revisions and ScoringModel.objects.count() == 2


def test_the_priority_view_of_the_demo_shows_stale_and_current_scores(db, client):
    workspace, journeys = _load()
    demo.scores(workspace=workspace, journeys=journeys)
    journey = Journey.objects.get(title=journeys_demo.LIFECYCLE["title"], workspace=workspace)
    client.force_login(workspace.memberships.get(user__username="viewer").user)
    body = client.get(f"/journeys/{journey.pk}/?view=priority").content.decode()
    assert body.count(' · stale"') == 5  # in the badges' names
    assert "14 of 18 scored" in body and "5 stale (scored under an older model)" in body
