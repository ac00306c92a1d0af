"""Scoring pages: a card's score panel (read, save, errors by criterion, 409 keeping what was chosen, clear,
stale scores prompting a re-score), its history, the scoring model page (members read, admins make a new
version), the help page's worked example, escaping, and constant query counts."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from journeys import services as journey_services
from journeys.models import LaneKind
from prioritization import scoring, services
from prioritization.models import Score, ScoreRevision, ScoringModel
from prioritization.scoring import DEFAULT_CRITERIA
from prioritization.views.scoring import worked_example
from research import services as research_services
from tests import factories

from .scoring_fixtures import *  # noqa: F403 (fixtures)
from .scoring_fixtures import VALUES, cards_of, change_model, score, scoring_map

HTMX = {"HTTP_HX_REQUEST": "true"}


def panel_url(card):
    return reverse("prioritization:card_score", args=[card.pk])


def history_url(card):
    return reverse("prioritization:card_score_history", args=[card.pk])


def post(client, card, data, **headers):
    return client.post(panel_url(card), data, **headers)


def form_data(values=VALUES, version=0, **extra):
    data = {"action": "save", "expected_version": str(version)}
    data.update({f"value-{k}": str(v) for k, v in values.items()})
    data.update(extra)
    return data


def checked(body, key) -> list[str]:
    """The values checked for criterion `key` in the panel's form."""
    return re.findall(rf'name="value-{key}" value="(\d?)" checked', body)


# ---------------------------------------------------------------------------------------------- the panel


def test_an_editor_sees_every_criterion_with_its_meanings(client, editor, pain_card):
    client.force_login(editor)
    body = client.get(panel_url(pain_card), **HTMX).content.decode()
    assert 'id="card-score-' in body and "<html" not in body  # the partial, for the side panel
    for criterion in DEFAULT_CRITERIA:
        assert f'name="value-{criterion.key}"' in body
        for meaning in criterion.meanings:
            assert meaning.replace("'", "&#x27;") in body
        assert checked(body, criterion.key) == [""]  # "not rated"
    assert "Not scored yet." in body
    assert 'name="expected_version" value="0"' in body
    assert "Evidence: Assumption" in body  # the card's confidence beside the score
    assert "Card 13 &lt;b&gt;bold?&lt;/b&gt;" in body  # the card's text, escaped


def test_saving_scores_the_card_and_shows_the_figures(client, editor, pain_card):
    client.force_login(editor)
    response = post(
        client, pain_card, form_data(**{"rationale-effort": "One <script>field</script>"}), **HTMX
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Score saved." in body
    stored = Score.objects.get(card=pain_card)
    assert (stored.composite, stored.rationales, stored.version) == (
        Decimal("72.50"),
        {"effort": "One <script>field</script>"},
        1,
    )
    assert "<strong>72.5</strong> of 100" in body
    assert "73 · High" in body  # the badge: whole number and band
    assert "71.88 · 25" in body and "(quick wins)" in body
    assert "One &lt;script&gt;field&lt;/script&gt;" in body and "<script>field" not in body
    assert checked(body, "effort") == ["2"] and checked(body, "strategic_alignment") == ["5"]
    assert 'name="expected_version" value="1"' in body


def test_without_htmx_a_save_redirects_to_the_panel_page(client, editor, pain_card):
    client.force_login(editor)
    response = post(client, pain_card, form_data())
    assert response.status_code == 302 and response.url == panel_url(pain_card)
    page = client.get(response.url).content.decode()
    assert "<html" in page and "Score of a card" in page and "Score saved." in page


def test_errors_name_the_criterion_and_save_nothing(client, editor, pain_card):
    client.force_login(editor)
    response = post(client, pain_card, form_data({**VALUES, "effort": "9"}, importance="12"), **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Effort: choose a whole number from 1 to 5." in body
    assert "Give a number from 0 to 10, with at most two decimals." in body
    assert 'class="spp__criterion field--error" id="criterion-effort-' in body
    assert not Score.objects.exists()
    assert post(client, pain_card, form_data({**VALUES, "effort": "9"})).status_code == 400


def test_a_stale_version_keeps_what_was_chosen_and_shows_the_score_now(client, editor, admin, pain_card):
    score(pain_card, admin, values={**VALUES, "effort": 5})  # version 1, made while the editor chose
    client.force_login(editor)
    response = post(client, pain_card, form_data({**VALUES, "effort": 1}, version=0), **HTMX)
    body = response.content.decode()
    assert "Someone else changed this score while you were editing" in body
    assert checked(body, "effort") == ["1"]  # the editor's choice, kept
    assert "composite 57.5, by <bdi>Alice Admin</bdi>" in body and "Effort</bdi> 5" in body
    assert 'name="expected_version" value="1"' in body  # saving again replaces it
    assert Score.objects.get(card=pain_card).values["effort"] == 5
    assert post(client, pain_card, form_data({**VALUES, "effort": 1}, version=0)).status_code == 409
    assert post(client, pain_card, form_data({**VALUES, "effort": 1}, version=1), **HTMX).status_code == 200
    assert Score.objects.get(card=pain_card).values["effort"] == 1


def test_clearing(client, editor, pain_card):
    score(pain_card, editor)
    client.force_login(editor)
    body = post(client, pain_card, {"action": "clear", "expected_version": "1"}, **HTMX).content.decode()
    assert "Score cleared. Its history is kept." in body and "Not scored yet." in body
    assert not Score.objects.exists() and ScoreRevision.objects.count() == 2
    assert post(client, pain_card, {"action": "fly"}, **HTMX).content.decode().count("Unknown action.") == 1


def test_a_viewer_reads_the_score_without_a_form(client, viewer, editor, pain_card):
    score(pain_card, editor, rationales={"customer_impact": "Seen in 5 interviews"})
    client.force_login(viewer)
    body = client.get(panel_url(pain_card), **HTMX).content.decode()
    assert "<form" not in body
    assert "You can read this card's score." in body
    assert "Seen in 5 interviews" in body and DEFAULT_CRITERIA[0].meanings[3] in body
    assert post(client, pain_card, form_data()).status_code == 403


def test_a_stale_score_asks_for_a_re_score(client, editor, admin, workspace, pain_card):
    score(pain_card, editor)
    change_model(workspace, admin, effort={"weight": 6}, business_impact={"name": "Business value"})
    client.force_login(editor)
    body = client.get(panel_url(pain_card), **HTMX).content.decode()
    assert "Scored under model v1; the model is now v2." in body
    assert "73 · High · stale" in body
    assert ">Re-score</button>" in body
    assert checked(body, "effort") == ["2"]  # carried over by key, to check against the new meanings
    assert "Business value" in body
    post(client, pain_card, form_data(version=1), **HTMX)
    assert Score.objects.get(card=pain_card).model.number == 2


def test_a_card_that_is_not_a_pain_point_is_not_scored(client, editor, action_card):
    client.force_login(editor)
    body = client.get(panel_url(action_card), **HTMX).content.decode()
    assert "Only pain points and opportunities are scored." in body and "<form" not in body


def test_the_panel_says_addressed_by_once_an_initiative_ships(client, editor, admin, workspace, pain_card):
    from prioritization.models import Initiative, InitiativeCard, Status

    shipped = Initiative.objects.create(
        workspace=workspace, title="Guided <setup>", status=Status.SHIPPED, shipped_date="2026-03-03"
    )
    InitiativeCard.objects.create(initiative=shipped, card=pain_card)
    client.force_login(editor)
    body = client.get(panel_url(pain_card), **HTMX).content.decode()
    assert "Addressed by “Guided &lt;setup&gt;”, shipped on 3 March 2026." in body


# ---------------------------------------------------------------------------------------------- history


def test_history_shows_old_to_new_with_who_when_why_and_version(
    client, viewer, editor, admin, workspace, pain_card
):
    score(pain_card, editor)
    score(pain_card, admin, values={**VALUES, "effort": 4}, rationales={"effort": "Needs <billing>"})
    change_model(workspace, admin, effort={"weight": 6})
    score(pain_card, editor)
    client.force_login(viewer)
    body = client.get(history_url(pain_card), **HTMX).content.decode()
    entries = body.split('class="sph__entry"')[1:]
    assert len(entries) == 3
    assert "Re-scored under v2" in entries[0] and "model v2 (was v1)" in entries[0]
    assert "Changed</strong>" in entries[1] and "Alice Admin" in entries[1] and "model v1" in entries[1]
    assert re.search(r'>2</span> → <strong title="[^"]*">4</strong>', entries[1])
    assert "Needs &lt;billing&gt;" in entries[1]
    assert "Composite 72.5 → <strong>62.5</strong>" in entries[1]
    assert "Scored</strong>" in entries[2] and "Bob" in entries[2]
    page = client.get(history_url(pain_card)).content.decode()
    assert "Score history of a card" in page


# ---------------------------------------------------------------------------------------------- model


def test_members_read_the_model_and_its_versions(client, viewer, workspace, admin):
    change_model(workspace, admin, effort={"weight": 4}, note="Effort counts more")
    client.force_login(viewer)
    body = client.get(reverse("prioritization:scoring_model", args=[workspace.pk])).content.decode()
    assert "Scoring model v2" in body and "Only workspace admins change the scoring model." in body
    assert "<form" not in body.split('class="smp"')[1]
    assert "“Effort”: weight 2 → 4." in body and "The first version." in body and "Effort counts more" in body
    assert ">Members</a>" not in body and "Scoring model</a>" in body  # the tabs a member may open
    for meaning in DEFAULT_CRITERIA[0].meanings:
        assert meaning in body


def _model_post(model, **overrides):
    """The admin's form as the page sends it: every criterion of `model`, one empty new row."""
    criteria = list(model.criteria.all())
    data = {
        "criteria-TOTAL_FORMS": str(len(criteria) + 1),
        "criteria-INITIAL_FORMS": str(len(criteria)),
        "criteria-MIN_NUM_FORMS": "0",
        "criteria-MAX_NUM_FORMS": "12",
        "expected_version": str(model.number),
        "note": "",
    }
    for i, c in enumerate(criteria):
        data.update(
            {
                f"criteria-{i}-key": c.key,
                f"criteria-{i}-name": c.name,
                f"criteria-{i}-description": c.description,
                f"criteria-{i}-weight": str(c.weight),
                **({f"criteria-{i}-lower_is_better": "on"} if c.lower_is_better else {}),
                **{f"criteria-{i}-meaning_{v}": m for v, m in enumerate(c.meanings, start=1)},
            }
        )
    data[f"criteria-{len(criteria)}-weight"] = "1"
    data.update(overrides)
    return data


def test_an_admin_makes_a_new_version(client, admin, workspace):
    model = services.scoring_model_ensure_default(workspace_id=workspace.pk)
    client.force_login(admin)
    url = reverse("prioritization:scoring_model", args=[workspace.pk])
    assert "Make version 2" in client.get(url).content.decode()
    new_row = {
        "criteria-4-name": "Reach",
        "criteria-4-weight": "2",
        **{f"criteria-4-meaning_{v}": f"Reach {v}" for v in range(1, 6)},
    }
    response = client.post(
        url, _model_post(model, **new_row, **{"criteria-3-DELETE": "on", "note": "Reach instead of strategy"})
    )
    assert response.status_code == 302
    current = ScoringModel.objects.get(workspace=workspace, is_current=True)
    assert current.number == 2 and current.note == "Reach instead of strategy"
    assert [c.key for c in current.criteria.all()] == [
        "customer_impact",
        "business_impact",
        "effort",
        "reach",
    ]
    body = client.get(url).content.decode()
    assert "Added “Reach” (weight 2)." in body and "Removed “Strategic alignment”." in body


def test_model_errors_show_on_the_criterion(client, admin, workspace):
    model = services.scoring_model_ensure_default(workspace_id=workspace.pk)
    client.force_login(admin)
    url = reverse("prioritization:scoring_model", args=[workspace.pk])
    response = client.post(
        url, _model_post(model, **{"criteria-1-name": "customer IMPACT", "criteria-2-meaning_3": ""})
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Criterion 1 has this name already." not in body  # the form's own errors come first
    assert re.search(r'for="id_criteria-2-meaning_3">3 means</label>.*?This field is required\.', body, re.S)
    assert ScoringModel.objects.filter(workspace=workspace).count() == 1
    named = client.post(url, _model_post(model, **{"criteria-1-name": "customer IMPACT"}))
    assert "Criterion 1 has this name already." in named.content.decode() and named.status_code == 400
    same = client.post(url, _model_post(model))
    assert "Nothing would change" in same.content.decode() and same.status_code == 400


def test_a_stale_model_form_keeps_the_admins_changes(client, admin, workspace):
    model = services.scoring_model_ensure_default(workspace_id=workspace.pk)
    change_model(workspace, admin, effort={"weight": 3})  # someone else, meanwhile
    client.force_login(admin)
    url = reverse("prioritization:scoring_model", args=[workspace.pk])
    response = client.post(url, _model_post(model, **{"criteria-0-weight": "5"}))
    assert response.status_code == 409
    body = response.content.decode()
    assert "Someone else made version 2 while you were editing" in body
    assert 'name="criteria-0-weight" value="5"' in body
    assert 'name="expected_version" value="2"' in body
    assert (
        client.post(
            url, _model_post(model, **{"criteria-0-weight": "5", "expected_version": "2"})
        ).status_code
        == 302
    )
    assert ScoringModel.objects.get(workspace=workspace, is_current=True).number == 3


# ---------------------------------------------------------------------------------------------- help


def test_the_help_page_shows_the_worked_example_the_rule_computes(client, viewer):
    example = worked_example()
    # The rule's own figures (tests/prioritization/test_scoring_rule.py holds them by hand too).
    assert (example["composite"], example["impact"], example["effort"]) == (
        Decimal("72.50"),
        Decimal("71.88"),
        Decimal("25.00"),
    )
    assert example["with_confidence"] == Decimal("61.63") and example["opportunity"] == Decimal("13.00")
    assert example["quadrant"] == "Quick wins" and example["band"].key == "high"
    client.force_login(viewer)
    body = client.get(reverse("prioritization:scoring_help")).content.decode()
    assert 'id="example-composite">72.5<' in body
    assert 'id="example-impact">71.88<' in body
    assert 'id="example-effort">25<' in body
    assert 'id="example-quadrant">quick wins<' in body
    assert 'id="example-confidence">61.63<' in body
    assert 'id="example-opportunity">13<' in body
    assert "100 × 7.25 / 10" in body and "(5 − 2) / 4 = 0.75" in body
    for band in scoring.BANDS:
        assert f"<span>{band.label}</span></span> from {band.floor}" in body


# ---------------------------------------------------------------------------------------------- queries


@pytest.mark.parametrize("cards", [40, 600])
def test_the_panel_costs_the_same_for_any_map(
    client, editor, admin, workspace, cards, django_assert_num_queries
):
    journey = scoring_map(factories.make_journey(workspace, by=admin), cards=cards)
    card = cards_of(journey, LaneKind.PAIN_POINTS)[0]
    score(card, admin)
    evidence = research_services.evidence_create(workspace_id=workspace.pk, by=admin, text="Seen")
    research_services.link_create(evidence_id=evidence.pk, by=admin, card=card.pk)
    client.force_login(editor)
    # session, user, the card's journey with access, the card (lane, step), the current model, its criteria,
    # the score (model, scorer, metric), its model's criteria, the recency setting, the card's evidence
    # links, the delivery, the journey's metrics (for satisfaction), the top bar's workspaces: 13
    with django_assert_num_queries(13):
        assert client.get(panel_url(card), **HTMX).status_code == 200


@pytest.mark.parametrize("changes", [2, 40])
def test_history_costs_the_same_for_any_length(client, editor, pain_card, changes, django_assert_num_queries):
    for i in range(changes):
        score(pain_card, editor, values={**VALUES, "effort": 1 + i % 5})
    client.force_login(editor)
    # session, user, the card's journey with access, the card, the revisions (scorer, model), their
    # criteria, the reader's workspaces (the context processor)
    with django_assert_num_queries(7):
        assert client.get(history_url(pain_card), **HTMX).status_code == 200


@pytest.mark.parametrize("versions", [1, 8])
def test_the_model_page_costs_the_same_for_any_number_of_versions(
    client, admin, workspace, versions, django_assert_num_queries
):
    services.scoring_model_ensure_default(workspace_id=workspace.pk)
    for weight in range(2, versions + 1):
        change_model(workspace, admin, effort={"weight": weight + 2})
    client.force_login(admin)
    url = reverse("prioritization:scoring_model", args=[workspace.pk])
    # session, user, the workspace with the role, the current model, its criteria, the versions (with the
    # counts of their scores), their criteria, the top bar's workspaces
    with django_assert_num_queries(8):
        assert client.get(url).status_code == 200


def test_a_manager_with_edit_on_a_restricted_journey_scores_it(client, manager, admin, restricted_pain_card):
    journey_services.journey_grant_set(
        journey_id=restricted_pain_card.journey_id, by=admin, grantee=manager, level="edit"
    )
    client.force_login(manager)
    assert post(client, restricted_pain_card, form_data(), **HTMX).status_code == 200
    assert Score.objects.get().card == restricted_pain_card
