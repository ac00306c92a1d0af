"""Scoring services: the default model and its versions, setting and clearing card scores (access, validation
by field, 409 on a stale version, every change kept as a revision, the journey's feed and live event),
satisfaction from a metric, and webhooks on score changes."""

import json
from datetime import date
from decimal import Decimal

import pytest
import redis
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from core.errors import Conflict
from journeys import events
from journeys import services as journey_services
from journeys.models import Activity, Journey
from metrics import services as metrics_services
from prioritization import selectors, services
from prioritization.models import Criterion, Score, ScoreRevision, ScoringModel, Webhook, WebhookDelivery
from prioritization.scoring import DEFAULT_CRITERIA
from tests import factories

from .scoring_fixtures import *  # noqa: F403 (fixtures)
from .scoring_fixtures import VALUES, change_model, score

# ---------------------------------------------------------------------------------------------- the model


def test_the_default_model_is_made_once(workspace):
    first = services.scoring_model_ensure_default(workspace_id=workspace.pk)
    again = services.scoring_model_ensure_default(workspace_id=workspace.pk)
    assert first.pk == again.pk and first.number == 1 and first.is_current
    assert ScoringModel.objects.filter(workspace=workspace).count() == 1
    criteria = list(first.criteria.all())
    assert [(c.key, c.name, c.weight, c.lower_is_better, c.meanings) for c in criteria] == [
        (s.key, s.name, s.weight, s.lower_is_better, list(s.meanings)) for s in DEFAULT_CRITERIA
    ]


def test_a_change_makes_a_new_version_and_keeps_the_old_one(workspace, admin):
    v1 = services.scoring_model_ensure_default(workspace_id=workspace.pk)
    v2 = change_model(workspace, admin, effort={"weight": 4}, note="Effort matters more this year")
    assert (v2.number, v2.is_current, v2.note, v2.created_by) == (
        2,
        True,
        "Effort matters more this year",
        admin,
    )
    v1.refresh_from_db()
    assert not v1.is_current
    assert Criterion.objects.get(model=v1, key="effort").weight == 2  # the old version is untouched
    assert Criterion.objects.get(model=v2, key="effort").weight == 4
    assert Criterion.objects.filter(model=v1).count() == Criterion.objects.filter(model=v2).count() == 4


def test_only_admins_change_the_model(workspace, editor, outsider):
    criteria = [{"name": "Reach", "weight": 1, "meanings": ["a", "b", "c", "d", "e"]}]
    with pytest.raises(PermissionDenied):
        services.scoring_model_change(workspace_id=workspace.pk, by=editor, criteria=criteria)
    with pytest.raises(Http404):
        services.scoring_model_change(workspace_id=workspace.pk, by=outsider, criteria=criteria)
    assert not ScoringModel.objects.filter(workspace=workspace).exists()


def test_model_errors_name_the_criterion_and_field(workspace, admin):
    services.scoring_model_ensure_default(workspace_id=workspace.pk)
    criteria = [
        {"name": "Reach", "weight": 1, "meanings": ["a", "b", "c", "d", "e"]},
        {"name": "reach", "weight": 101, "meanings": ["a", "b", "", "d", "e"], "colour": "red"},
        {"name": "Risk", "key": "9risk", "weight": "lots", "meanings": ["a"]},
    ]
    with pytest.raises(ValidationError) as raised:
        services.scoring_model_change(workspace_id=workspace.pk, by=admin, criteria=criteria)
    errors = raised.value.message_dict
    assert errors["criteria[1].name"] == ["Criterion 1 has this name already."]
    assert errors["criteria[1].weight"] == ["Ensure this value is less than or equal to 100."]
    assert errors["criteria[1].meanings"] == ["Write what 3 means."]
    assert errors["criteria[1].colour"] == ["Not a field of a criterion."]
    assert errors["criteria[2].weight"] == ["Give a whole number from 0 to 100."]
    assert errors["criteria[2].meanings"] == ["Write what each value from 1 to 5 means (five texts)."]
    assert errors["criteria[2].key"] == [
        "Use lower-case letters, digits and underscores, starting with a letter (customer_impact)."
    ]
    assert "criteria[0].name" not in errors
    assert ScoringModel.objects.filter(workspace=workspace).count() == 1


def test_a_model_needs_a_weighted_criterion_and_a_change(workspace, admin):
    current = services.scoring_model_ensure_default(workspace_id=workspace.pk)
    with pytest.raises(ValidationError) as none:
        services.scoring_model_change(workspace_id=workspace.pk, by=admin, criteria=[])
    assert none.value.message_dict == {"criteria": ["Give the model at least one criterion."]}
    with pytest.raises(ValidationError) as weightless:
        services.scoring_model_change(
            workspace_id=workspace.pk,
            by=admin,
            criteria=[{"name": "Reach", "weight": 0, "meanings": list("abcde")}],
        )
    assert weightless.value.message_dict == {"criteria": ["Give at least one criterion a weight above 0."]}
    with pytest.raises(ValidationError) as same:
        change_model(workspace, admin)
    assert same.value.messages == [
        "Nothing would change: change a criterion, a weight, a meaning or the confidence setting first."
    ]
    assert list(ScoringModel.objects.filter(workspace=workspace)) == [current]


def test_a_stale_model_change_is_a_conflict(workspace, admin):
    services.scoring_model_ensure_default(workspace_id=workspace.pk)
    change_model(workspace, admin, effort={"weight": 3})
    with pytest.raises(Conflict) as conflict:
        services.scoring_model_change(
            workspace_id=workspace.pk,
            by=admin,
            criteria=[{"name": "Reach", "weight": 1, "meanings": list("abcde")}],
            expected_version=1,
        )
    assert conflict.value.current.number == 2
    assert ScoringModel.objects.filter(workspace=workspace).count() == 2


def test_a_new_criterion_gets_a_key_from_its_name(workspace, admin):
    model = change_model(
        workspace,
        admin,
        criteria=[
            {"name": "Time to value", "weight": 2, "meanings": list("abcde")},
            {"name": "2026 goals", "weight": 1, "meanings": list("abcde")},
            {"name": "顧客への影響", "weight": 1, "meanings": list("abcde")},
        ],
    )
    assert [c.key for c in model.criteria.all()] == ["time_to_value", "c_2026_goals", "criterion_3"]


def test_what_changed_between_versions(workspace, admin):
    services.scoring_model_ensure_default(workspace_id=workspace.pk)
    v2 = services.scoring_model_change(
        workspace_id=workspace.pk,
        by=admin,
        use_confidence=True,
        criteria=[
            {
                "key": "customer_impact",
                "name": "Customer pain",
                "weight": 4,
                "meanings": [
                    *DEFAULT_CRITERIA[0].meanings[:2],
                    "Many customers",
                    *DEFAULT_CRITERIA[0].meanings[3:],
                ],
                "description": DEFAULT_CRITERIA[0].description,
            },
            {
                "key": "effort",
                "name": "Effort",
                "weight": 2,
                "lower_is_better": True,
                "meanings": list(DEFAULT_CRITERIA[2].meanings),
                "description": DEFAULT_CRITERIA[2].description,
            },
            {"name": "Reach", "weight": 2, "meanings": list("abcde")},
        ],
    )
    versions = selectors.model_versions(workspace_id=workspace.pk)
    assert [v.model.number for v in versions] == [2, 1]
    assert versions[0].model == v2
    assert versions[0].changes == [
        "Renamed “Customer impact” to “Customer pain”.",
        "“Customer pain”: weight 3 → 4.",
        "“Customer pain”: the meaning of 3 changed.",
        "Added “Reach” (weight 2).",
        "Removed “Business impact”.",
        "Removed “Strategic alignment”.",
        "Evidence confidence now scales the composite.",
    ]
    assert versions[1].changes == ["The first version."]


# ---------------------------------------------------------------------------------------------- scores


def test_scoring_a_card_stores_the_figures_and_a_revision(pain_card, editor):
    score(pain_card, editor, rationales={"effort": "One form field", "business_impact": ""})
    stored = Score.objects.get(card=pain_card)
    assert (stored.composite, stored.impact, stored.effort) == (
        Decimal("72.50"),
        Decimal("71.88"),
        Decimal("25.00"),
    )
    assert stored.values == VALUES
    assert stored.rationales == {"effort": "One form field"}  # an empty rationale is none
    assert (stored.version, stored.scored_by, stored.model.number) == (1, editor, 1)
    revision = ScoreRevision.objects.get(card=pain_card)
    assert (revision.values, revision.rationales, revision.composite, revision.by, revision.model) == (
        VALUES,
        {"effort": "One form field"},
        Decimal("72.50"),
        editor,
        stored.model,
    )


def test_scoring_is_a_change_of_the_journey(transactional_db, pain_card, scoring_journey, editor):
    client = redis.Redis.from_url(settings.REDIS_URL)
    pubsub = client.pubsub()
    pubsub.subscribe(events.channel(scoring_journey.pk))
    assert pubsub.get_message(timeout=5)["type"] == "subscribe"
    before = Journey.objects.get(pk=scoring_journey.pk).revision
    try:
        score(pain_card, editor)
        score(pain_card, editor, values={**VALUES, "effort": 1})
        message = json.loads(pubsub.get_message(timeout=5)["data"])
        second = json.loads(pubsub.get_message(timeout=5)["data"])
    finally:
        pubsub.close()
        client.close()
    assert Journey.objects.get(pk=scoring_journey.pk).revision == before + 2
    line = Activity.objects.filter(journey=scoring_journey).first()
    assert (line.verb, line.target_type, line.target_id, line.actor) == (
        "scored",
        "card",
        pain_card.pk,
        editor,
    )
    assert (
        line.summary == "scored the pain point “Card 13 <b>bold?</b>”: Effort 2 → 1 (composite 72.5 → 77.5)"
    )
    assert (message["verb"], message["target_id"], message["cells"]) == (
        "scored",
        pain_card.pk,
        [f"{pain_card.lane_id}-{pain_card.step_id}"],
    )
    assert second["summary"] == line.summary


def test_the_same_score_again_changes_nothing(pain_card, editor, scoring_journey):
    score(pain_card, editor)
    revision = Journey.objects.get(pk=scoring_journey.pk).revision
    score(pain_card, editor)
    assert ScoreRevision.objects.filter(card=pain_card).count() == 1
    assert Journey.objects.get(pk=scoring_journey.pk).revision == revision


def test_scoring_needs_edit_on_the_cards_journey(
    pain_card, restricted_pain_card, viewer, editor, manager, outsider, admin
):
    journey_services.journey_grant_set(
        journey_id=restricted_pain_card.journey_id, by=admin, grantee=manager, level="edit"
    )
    with pytest.raises(PermissionDenied):
        score(pain_card, viewer)
    with pytest.raises(Http404):
        score(pain_card, outsider)
    with pytest.raises(Http404):
        score(restricted_pain_card, editor)  # an editor of the workspace who cannot see the journey
    score(restricted_pain_card, manager)  # a viewer by role with edit on the journey
    assert list(Score.objects.values_list("card_id", flat=True)) == [restricted_pain_card.pk]


def test_only_pain_points_and_opportunities_are_scored(action_card, opportunity_card, editor):
    with pytest.raises(ValidationError) as raised:
        score(action_card, editor)
    assert raised.value.message_dict == {"card": ["Only pain points and opportunities are scored."]}
    score(opportunity_card, editor)
    assert Score.objects.get().card == opportunity_card


def test_score_errors_name_the_criterion(pain_card, editor, scoring_journey):
    with pytest.raises(ValidationError) as raised:
        score(
            pain_card,
            editor,
            values={"customer_impact": 6, "effort": "x", "reach": 3, "business_impact": True},
            rationales={"effort": "x" * 2001, "nope": "y"},
            importance=11,
            satisfaction="abc",
        )
    assert raised.value.message_dict == {
        "values.customer_impact": ["Customer impact: choose a whole number from 1 to 5."],
        "values.effort": ["Effort: choose a whole number from 1 to 5."],
        "values.business_impact": ["Business impact: choose a whole number from 1 to 5."],
        "values.reach": [
            "No criterion “reach” in scoring model v1 (its criteria: customer_impact, business_impact, "
            "effort, strategic_alignment)."
        ],
        "rationales.effort": ["Effort: At most 2,000 characters (you have 2,001)."],
        "rationales.nope": ["No criterion “nope” in scoring model v1."],
        "importance": ["Give a number from 0 to 10, with at most two decimals."],
        "satisfaction": ["Give a number from 0 to 10."],
    }
    with pytest.raises(ValidationError) as empty:
        score(pain_card, editor, values={"effort": None})
    assert empty.value.message_dict == {
        "values": ["Rate at least one criterion (or clear the score instead)."]
    }
    assert not Score.objects.exists() and not ScoreRevision.objects.exists()


def test_a_part_scored_card_has_no_composite(pain_card, editor):
    stored = score(pain_card, editor, values={"customer_impact": 5, "business_impact": "4", "effort": ""})
    stored.refresh_from_db()
    assert stored.values == {"customer_impact": 5, "business_impact": 4}
    assert stored.composite is None
    assert stored.impact is None  # strategic alignment (higher is better) is unrated
    assert stored.effort is None


def test_a_stale_version_is_a_conflict_and_changes_nothing(pain_card, editor, admin):
    score(pain_card, editor, expected_version=0)
    score(pain_card, admin, values={**VALUES, "effort": 5}, expected_version=1)
    with pytest.raises(Conflict) as conflict:
        score(pain_card, editor, values={**VALUES, "effort": 1}, expected_version=1)
    current = conflict.value.current
    assert (current.version, current.score.values["effort"]) == (2, 5)
    assert ScoreRevision.objects.filter(card=pain_card).count() == 2
    with pytest.raises(ValidationError) as junk:
        score(pain_card, editor, expected_version="two")
    assert junk.value.message_dict == {"expected_version": ["Must be an integer."]}


def test_a_form_opened_before_a_clear_conflicts_with_it(pain_card, editor, admin):
    score(pain_card, editor)  # version 1
    services.score_clear(card_id=pain_card.pk, by=admin, expected_version=1)  # version 2, unscored
    with pytest.raises(Conflict) as conflict:
        score(pain_card, editor, expected_version=1)
    assert conflict.value.current.score is None and conflict.value.current.version == 2
    rescored = score(pain_card, editor, expected_version=2)
    assert rescored.version == 3  # the count of changes goes on: a version never comes back


def test_clearing_keeps_the_history(pain_card, editor, scoring_journey):
    score(pain_card, editor)
    services.score_clear(card_id=pain_card.pk, by=editor)
    assert not Score.objects.filter(card=pain_card).exists()
    revisions = list(ScoreRevision.objects.filter(card=pain_card).order_by("pk"))
    assert [(r.cleared, r.composite) for r in revisions] == [(False, Decimal("72.50")), (True, None)]
    line = Activity.objects.filter(journey=scoring_journey).first()
    assert (line.verb, line.summary) == (
        "cleared score",
        "cleared the score of the pain point “Card 13 <b>bold?</b>” (composite was 72.5)",
    )
    services.score_clear(card_id=pain_card.pk, by=editor)  # unscored: nothing to do
    assert ScoreRevision.objects.filter(card=pain_card).count() == 2


def test_old_scores_stay_readable_under_their_version(pain_card, opportunity_card, editor, admin, workspace):
    score(pain_card, editor)
    v1 = Score.objects.get(card=pain_card).model
    v2 = change_model(workspace, admin, effort={"weight": 6})
    current = services.scoring_model_ensure_default(workspace_id=workspace.pk)
    assert current == v2
    old = selectors.card_score(card=pain_card, current_model=current)
    assert old.stale and old.score.model == v1 and old.score.composite == Decimal("72.50")
    assert [c.weight for c in old.score.model.criteria.all() if c.key == "effort"] == [2]
    score(opportunity_card, editor)
    assert not selectors.card_score(card=opportunity_card, current_model=current).stale
    # Re-scoring with the same values under v2 is a change: the model version differs.
    rescored = score(pain_card, editor)
    assert (rescored.model, rescored.composite) == (v2, Decimal("73.21"))  # 100·(2.25+1.5+6·.75+2)/14
    assert Activity.objects.first().summary.startswith(
        "scored the pain point “Card 13 <b>bold?</b>”: re-scored"
    )


def test_importance_and_satisfaction(pain_card, editor):
    stored = score(pain_card, editor, importance="8", satisfaction=Decimal("3.5"))
    assert (stored.importance, stored.satisfaction) == (Decimal(8), Decimal("3.5"))
    only_opportunity = score(pain_card, editor, values={}, importance=7, satisfaction=2)
    assert only_opportunity.composite is None and only_opportunity.importance == 7


def test_satisfaction_from_a_metrics_latest_value(pain_card, editor, admin, scoring_journey):
    csat = metrics_services.metric_create(journey_id=scoring_journey.pk, by=admin, name="CSAT", kind="csat")
    for day, value in ((date(2025, 1, 31), 60), (date(2025, 2, 28), 82)):
        metrics_services.measurement_upsert(
            metric_id=csat.pk, by=admin, period_start=day.replace(day=1), period_end=day, value=Decimal(value)
        )
    stored = score(pain_card, editor, importance=9, satisfaction_metric=csat.pk)
    assert (stored.satisfaction, stored.satisfaction_metric) == (Decimal("8.20"), csat)
    time = metrics_services.metric_create(
        journey_id=scoring_journey.pk, by=admin, name="Setup time", kind="time_to_complete"
    )
    with pytest.raises(ValidationError) as no_scale:
        score(pain_card, editor, satisfaction_metric=time.pk)
    assert no_scale.value.message_dict["satisfaction_metric"] == [
        "“Setup time” has no fixed scale to read a satisfaction from (CSAT, NPS, CES and percentages "
        "have one): enter the satisfaction yourself."
    ]
    nps = metrics_services.metric_create(journey_id=scoring_journey.pk, by=admin, name="NPS", kind="nps")
    with pytest.raises(ValidationError) as unmeasured:
        score(pain_card, editor, satisfaction_metric=nps.pk)
    assert unmeasured.value.message_dict["satisfaction_metric"] == ["“NPS” has no measurement yet."]
    other = factories.make_journey(scoring_journey.workspace, by=admin)
    elsewhere = metrics_services.metric_create(journey_id=other.pk, by=admin, name="CSAT", kind="csat")
    with pytest.raises(ValidationError) as foreign:
        score(pain_card, editor, satisfaction_metric=elsewhere.pk)
    assert foreign.value.message_dict["satisfaction_metric"] == [
        f"No metric {elsewhere.pk} on this card's journey."
    ]


# ---------------------------------------------------------------------------------------------- history


def test_history_shows_old_to_new_per_criterion(pain_card, editor, admin, workspace):
    score(pain_card, editor)
    score(pain_card, admin, values={**VALUES, "effort": 4}, rationales={"effort": "Needs the billing team"})
    change_model(workspace, admin, effort={"weight": 6})
    score(pain_card, editor, values={**VALUES, "effort": 4})
    services.score_clear(card_id=pain_card.pk, by=admin)
    history = selectors.score_history(card_id=pain_card.pk)
    assert history.older is None
    cleared, rescored, changed, first = history.entries
    assert cleared.cleared and [(c.key, c.old, c.new) for c in cleared.changes] == [
        ("customer_impact", 4, None),
        ("business_impact", 3, None),
        ("effort", 4, None),
        ("strategic_alignment", 5, None),
    ]
    assert (
        rescored.model_changed and rescored.revision.model.number == 2 and rescored.previous.model.number == 1
    )
    assert [(c.key, c.old, c.new) for c in rescored.changes] == [
        ("customer_impact", 4, 4),
        ("business_impact", 3, 3),
        ("effort", 4, 4),
        ("strategic_alignment", 5, 5),
    ]  # every criterion under the new version
    (effort,) = changed.changes
    assert (effort.name, effort.old, effort.new, effort.rationale, effort.old_rationale) == (
        "Effort",
        2,
        4,
        "Needs the billing team",
        "",
    )
    assert effort.old_meaning == DEFAULT_CRITERIA[2].meanings[1]
    assert effort.new_meaning == DEFAULT_CRITERIA[2].meanings[3]
    assert (changed.old_composite, changed.revision.composite, changed.revision.by) == (
        Decimal("72.50"),
        Decimal("62.50"),
        admin,
    )
    assert first.previous is None and len(first.changes) == 4 and first.old_composite is None


def test_history_pages_through_long_histories(pain_card, editor, django_assert_num_queries):
    for effort in [1, 2, 3, 4, 5] * 3:
        score(pain_card, editor, values={**VALUES, "effort": effort})
    with django_assert_num_queries(2):  # revisions with scorer and model, the models' criteria
        page = selectors.score_history(card_id=pain_card.pk, limit=4)
    assert [(e.changes[0].old, e.changes[0].new) for e in page.entries] == [(4, 5), (3, 4), (2, 3), (1, 2)]
    rest = selectors.score_history(card_id=pain_card.pk, before=page.older, limit=20)
    assert len(rest.entries) == 11 and rest.older is None
    assert rest.entries[-1].previous is None


# ---------------------------------------------------------------------------------------------- webhooks


def test_a_score_change_sends_a_webhook(
    pain_card, editor, workspace, admin, django_capture_on_commit_callbacks
):
    hook = Webhook.objects.create(workspace=workspace, url="https://hooks.example.com/in", created_by=admin)
    Webhook.objects.create(
        workspace=workspace, url="https://hooks.example.com/other", events=["webhook.test"]
    )
    score(pain_card, editor)
    services.score_clear(card_id=pain_card.pk, by=editor)
    deliveries = list(WebhookDelivery.objects.order_by("pk"))
    assert [(d.webhook, d.event) for d in deliveries] == [(hook, "score.changed"), (hook, "score.changed")]
    payload = deliveries[0].payload
    assert payload == {
        "card": pain_card.pk,
        "journey": pain_card.journey_id,
        "kind": "pain_points",
        "model_version": 1,
        "version": 1,
        "cleared": False,
        "values": VALUES,
        "rationales": {},
        "composite": "72.50",
        "previous_composite": None,
        "impact": "71.88",
        "effort": "25.00",
        "importance": None,
        "satisfaction": None,
        "by": editor.pk,
        "at": payload["at"],
    }
    assert deliveries[1].payload["cleared"] is True
    assert deliveries[1].payload["previous_composite"] == "72.50"
    assert deliveries[1].payload["composite"] is None
