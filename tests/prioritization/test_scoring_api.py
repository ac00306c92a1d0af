"""REST API of scoring (prioritization/api/scoring.py): the scoring model's versions (members read, admins
make one, 409 on a stale version, errors by criterion and field), a card's score (read, set, clear with
expected_version, 409 with the score as it is now), its history, a journey's card scores in one call with
a constant number of queries."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from journeys.models import LaneKind
from prioritization import services
from prioritization.models import Score, ScoringModel
from research import services as research_services
from tests import factories

from .scoring_fixtures import *  # noqa: F403 (fixtures)
from .scoring_fixtures import VALUES, cards_of, change_model, score, scoring_map


@pytest.fixture
def api():
    return APIClient()


def as_user(api, user):
    api.force_authenticate(user)
    return api


def models_url(workspace):
    return reverse("prioritization-api:scoring-model-list", args=[workspace.pk])


def score_url(card):
    return reverse("prioritization-api:card-score", args=[card.pk])


def criteria_of(model):
    return [
        {
            "key": c.key,
            "name": c.name,
            "description": c.description,
            "weight": c.weight,
            "lower_is_better": c.lower_is_better,
            "meanings": list(c.meanings),
        }
        for c in model.criteria.all()
    ]


# ---------------------------------------------------------------------------------------------- the model


def test_members_list_the_versions(api, viewer, workspace, admin):
    change_model(workspace, admin, effort={"weight": 4}, note="Effort counts more")
    body = as_user(api, viewer).get(models_url(workspace)).json()
    assert [(v["version"], v["is_current"]) for v in body] == [(2, True), (1, False)]
    assert body[0]["changes"] == ["“Effort”: weight 2 → 4."] and body[0]["note"] == "Effort counts more"
    assert body[1]["changes"] == ["The first version."]
    assert body[0]["criteria"][2] == {
        "key": "effort",
        "name": "Effort",
        "description": "How much work addressing it takes. Lower is better: little effort adds the most.",
        "weight": 4,
        "lower_is_better": True,
        "meanings": list(body[1]["criteria"][2]["meanings"]),
    }
    current = api.get(reverse("prioritization-api:scoring-model-current", args=[workspace.pk])).json()
    assert current["version"] == 2 and current["changes"] == ["“Effort”: weight 2 → 4."]
    one = api.get(reverse("prioritization-api:scoring-model-detail", args=[body[1]["id"]])).json()
    assert one["version"] == 1 and one["is_current"] is False


def test_the_default_model_is_made_on_first_read(api, viewer, workspace):
    body = as_user(api, viewer).get(models_url(workspace)).json()
    assert [v["version"] for v in body] == [1]
    assert [c["key"] for c in body[0]["criteria"]] == [
        "customer_impact",
        "business_impact",
        "effort",
        "strategic_alignment",
    ]


def test_an_admin_makes_a_version(api, admin, editor, workspace):
    model = services.scoring_model_ensure_default(workspace_id=workspace.pk)
    criteria = criteria_of(model)
    criteria[0]["weight"] = 5
    sent = {"criteria": criteria, "use_confidence": True, "note": "Customers first", "expected_version": 1}
    assert as_user(api, editor).post(models_url(workspace), sent, format="json").status_code == 403
    response = as_user(api, admin).post(models_url(workspace), sent, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["version"], body["use_confidence"], body["note"]) == (2, True, "Customers first")
    assert body["changes"] == [
        "“Customer impact”: weight 3 → 5.",
        "Evidence confidence now scales the composite.",
    ]
    stale = api.post(models_url(workspace), sent, format="json")
    assert stale.status_code == 409
    assert stale.json()["current"]["version"] == 2
    assert ScoringModel.objects.filter(workspace=workspace).count() == 2


def test_model_errors_name_the_criterion_and_field(api, admin, workspace):
    model = services.scoring_model_ensure_default(workspace_id=workspace.pk)
    criteria = criteria_of(model)
    criteria[1]["name"] = "Customer Impact"
    criteria[3]["meanings"] = ["a", "b"]
    response = as_user(api, admin).post(
        models_url(workspace), {"criteria": criteria, "expected_version": 1}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "criteria": {"3": {"meanings": ["Ensure this field has at least 5 elements."]}}
    }
    criteria[3]["meanings"] = list(model.criteria.all()[3].meanings)
    response = api.post(models_url(workspace), {"criteria": criteria, "expected_version": 1}, format="json")
    assert response.json() == {"criteria": {"1": {"name": ["Criterion 1 has this name already."]}}}
    unchanged = api.post(
        models_url(workspace), {"criteria": criteria_of(model), "expected_version": 1}, format="json"
    )
    assert unchanged.status_code == 400
    assert unchanged.json() == {
        "non_field_errors": [
            "Nothing would change: change a criterion, a weight, a meaning or the confidence setting first."
        ]
    }


def test_a_model_of_another_workspace_is_not_found(api, outsider, workspace):
    model = services.scoring_model_ensure_default(workspace_id=workspace.pk)
    as_user(api, outsider)
    assert api.get(reverse("prioritization-api:scoring-model-detail", args=[model.pk])).status_code == 404
    assert api.get(reverse("prioritization-api:scoring-model-detail", args=[10**9])).status_code == 404
    assert api.get(models_url(workspace)).status_code == 404


# ---------------------------------------------------------------------------------------------- scores


def test_set_read_and_clear_a_score(api, editor, viewer, pain_card):
    as_user(api, viewer)
    unscored = api.get(score_url(pain_card)).json()
    assert (unscored["scored"], unscored["version"], unscored["composite"], unscored["values"]) == (
        False,
        0,
        None,
        {},
    )
    assert unscored["confidence_level"] == "assumption"
    as_user(api, editor)
    response = api.put(
        score_url(pain_card),
        {
            "values": {**VALUES, "strategic_alignment": None},
            "rationales": {"effort": "One field"},
            "importance": "8",
            "satisfaction": 3,
            "expected_version": 0,
        },
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["values"] == {k: v for k, v in VALUES.items() if k != "strategic_alignment"}
    assert (body["composite"], body["impact"], body["effort"]) == (None, None, 25.0)
    assert (body["opportunity"], body["version"], body["model_version"], body["stale"]) == (13.0, 1, 1, False)
    full = api.put(score_url(pain_card), {"values": VALUES, "expected_version": 1}, format="json").json()
    assert (full["composite"], full["priority"], full["impact"], full["quadrant"]) == (
        72.5,
        72.5,
        71.88,
        "quick_wins",
    )
    assert full["importance"] is None  # a PUT replaces the whole score
    assert api.delete(score_url(pain_card) + "?expected_version=2").status_code == 204
    assert not Score.objects.exists()
    assert api.get(score_url(pain_card)).json()["version"] == 3


def test_a_stale_version_is_409_with_the_score_now(api, editor, admin, pain_card):
    score(pain_card, admin)
    as_user(api, editor)
    response = api.put(score_url(pain_card), {"values": VALUES, "expected_version": 0}, format="json")
    assert response.status_code == 409
    current = response.json()["current"]
    assert (current["version"], current["composite"], current["values"]) == (1, 72.5, VALUES)
    assert api.delete(score_url(pain_card), {"expected_version": 0}, format="json").status_code == 409
    missing = api.delete(score_url(pain_card))
    assert missing.status_code == 400 and missing.json() == {"expected_version": ["This field is required."]}
    assert Score.objects.get().version == 1


def test_score_errors_name_the_criterion(api, editor, pain_card, action_card):
    as_user(api, editor)
    response = api.put(
        score_url(pain_card), {"values": {"effort": 7, "reach": 2}, "expected_version": 0}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"values": {"effort": ["Ensure this value is less than or equal to 5."]}}
    response = api.put(score_url(pain_card), {"values": {"reach": 2}, "expected_version": 0}, format="json")
    assert response.json() == {
        "values": {
            "reach": [
                "No criterion “reach” in scoring model v1 (its criteria: customer_impact, business_impact, "
                "effort, strategic_alignment)."
            ]
        }
    }
    other = api.put(score_url(action_card), {"values": VALUES, "expected_version": 0}, format="json")
    assert other.json() == {"card": ["Only pain points and opportunities are scored."]}
    assert not Score.objects.exists()


def test_viewers_read_but_do_not_score(api, viewer, outsider, pain_card, restricted_pain_card):
    as_user(api, viewer)
    assert (
        api.put(score_url(pain_card), {"values": VALUES, "expected_version": 0}, format="json").status_code
        == 403
    )
    assert api.get(score_url(restricted_pain_card)).status_code == 404
    as_user(api, outsider)
    assert api.get(score_url(pain_card)).status_code == 404


def test_history(api, viewer, editor, admin, workspace, pain_card):
    score(pain_card, editor)
    score(pain_card, admin, values={**VALUES, "effort": 4}, rationales={"effort": "Billing team too"})
    change_model(workspace, admin, effort={"weight": 6})
    score(pain_card, editor)
    as_user(api, viewer)
    url = reverse("prioritization-api:card-score-history", args=[pain_card.pk])
    body = api.get(url, {"limit": 2}).json()
    assert body["count"] == 3
    newest, middle = body["results"]
    assert (newest["model_version"], newest["previous_model_version"], len(newest["changes"])) == (2, 1, 4)
    assert middle["changes"] == [
        {
            "key": "effort",
            "name": "Effort",
            "old": 2,
            "new": 4,
            "old_meaning": "Up to two weeks for one team.",
            "new_meaning": "About a quarter for a team, or work across several teams.",
            "rationale": "Billing team too",
            "old_rationale": "",
        }
    ]
    assert (middle["by_name"], middle["composite"], middle["previous_composite"]) == (
        "Alice Admin",
        62.5,
        72.5,
    )
    last = api.get(url, {"limit": 2, "offset": 2}).json()["results"]
    assert (
        len(last) == 1 and last[0]["previous_model_version"] is None and last[0]["previous_composite"] is None
    )


def test_a_journeys_card_scores(api, viewer, editor, admin, workspace, scoring_journey):
    pains = cards_of(scoring_journey)
    score(pains[0], editor)
    evidence = research_services.evidence_create(workspace_id=workspace.pk, by=admin, text="Seen")
    research_services.link_create(evidence_id=evidence.pk, by=admin, card=pains[0].pk)
    as_user(api, viewer)
    body = api.get(reverse("prioritization-api:journey-card-scores", args=[scoring_journey.pk])).json()
    assert [row["card"] for row in body] == [
        c.pk
        for c in sorted(
            pains, key=lambda c: (c.step.stage.position, c.step.position, c.lane.position, c.position)
        )
    ]
    first = next(row for row in body if row["card"] == pains[0].pk)
    assert (first["composite"], first["confidence_level"], first["kind"], first["version"]) == (
        72.5,
        "weak",
        "pain_points",
        1,
    )
    assert sum(row["scored"] for row in body) == 1


@pytest.mark.parametrize("cards", [10, 500])
def test_a_journeys_card_scores_cost_the_same_for_any_map(
    api, viewer, editor, admin, workspace, cards, django_assert_num_queries
):
    journey = factories.make_journey(workspace, by=admin)
    factories.make_map(journey, stages=1, steps_per_stage=1, lanes=5, cards=cards)
    for card in cards_of(journey)[:20]:
        score(card, editor)
    as_user(api, viewer)
    url = reverse("prioritization-api:journey-card-scores", args=[journey.pk])
    # the journey with the reader's access, the current model and its criteria, the cards with their
    # scores, models and numbers of changes, those models' criteria, research's three (recency, cards, links)
    with django_assert_num_queries(8):
        body = api.get(url).json()
    assert len(body) == len(cards_of(journey)) == cards * 2 // 5


def test_history_costs_the_same_for_any_length(api, viewer, pain_card, editor, django_assert_num_queries):
    for effort in [1, 2, 3, 4, 5] * 6:
        score(pain_card, editor, values={**VALUES, "effort": effort})
    as_user(api, viewer)
    url = reverse("prioritization-api:card-score-history", args=[pain_card.pk])
    # the card's journey with access, the card, the count, the page (scorer, model), their criteria, the
    # predecessor, its model's criteria
    for limit in (2, 25):
        with django_assert_num_queries(7):
            assert len(api.get(url, {"limit": limit}).json()["results"]) == limit


def test_the_panel_and_api_agree(api, client, editor, pain_card):
    score(pain_card, editor)
    as_user(api, editor)
    body = api.get(score_url(pain_card)).json()
    client.force_login(editor)
    page = client.get(reverse("prioritization:card_score", args=[pain_card.pk]), HTTP_HX_REQUEST="true")
    assert f"<strong>{body['composite']:g}</strong> of 100" in page.content.decode()
    assert LaneKind.PAIN_POINTS == body["kind"] and scoring_map  # the fixtures' map has both kinds
