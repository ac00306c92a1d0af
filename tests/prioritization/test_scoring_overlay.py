"""The map's Priority view (prioritization/overlays.py, registered in PrioritizationConfig.ready()): a badge
on every pain point and opportunity (band as colour, icon and word; stale; shipped), opening the score panel;
the header figure; the cells and card fragments keep the badges; the map API carries the data; the map
costs a fixed number of queries more in the Priority view only, whatever its size."""

from datetime import date

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from journeys import overlays
from journeys.models import Card, LaneKind
from prioritization.models import Initiative, InitiativeCard, Status
from prioritization.overlays import PriorityOverlay
from research import services as research_services
from tests import factories
from tests.journeys.test_pages_map import MAP_GRID_QUERIES, MAP_PAGE_QUERIES

from .scoring_fixtures import *  # noqa: F403 (fixtures)
from .scoring_fixtures import VALUES, cards_of, change_model, score, scoring_map

# The Priority view's queries, once per request whatever the map: the pain points' and opportunities'
# scores with their models (1) and the initiatives addressing them (1); research's three more (recency
# setting, cards, links) only when a score's model multiplies by evidence confidence.
PRIORITY_QUERIES = 2
CONFIDENCE_QUERIES = 3


def page(client, user, journey, view="priority", name="journeys:map"):
    client.force_login(user)
    response = client.get(reverse(name, args=[journey.pk]) + (f"?view={view}" if view else ""))
    assert response.status_code == 200
    return response.content.decode()


def test_the_provider_is_registered():
    provider = next(p for p in overlays.providers() if p.name == "priority")
    assert isinstance(provider, PriorityOverlay) and provider.label == "Priority"


def test_every_pain_point_and_opportunity_gets_a_badge(client, viewer, editor, scoring_journey):
    pains = cards_of(scoring_journey)
    score(pains[0], editor)  # 72.5: high
    score(
        pains[1],
        editor,
        values={"customer_impact": 5, "business_impact": 5, "effort": 1, "strategic_alignment": 5},
    )
    score(pains[2], editor, values={"customer_impact": 5})  # part-scored
    body = page(client, viewer, scoring_journey)
    assert 'data-view="priority"' in body and 'aria-current="page">Priority</a>' in body
    assert body.count('class="ov-badge ov--') == len(pains) == 16  # no badge on the other lanes' cards
    url = reverse("prioritization:card_score", args=[pains[0].pk])
    assert (
        f'data-card-action="overlay" hx-get="{url}" hx-target="#side-panel-body" hx-swap="innerHTML" '
        'aria-label="Priority: 73 · High" title="Priority 72.5 (high), scored under model v1."' in body
    )
    assert 'class="card card--pain_points ov-card ov-card--warning"' in body
    assert 'aria-label="Priority: 100 · Top"' in body and '<use href="#ov-chevrons-up"/>' in body
    assert 'aria-label="Priority: Part-scored"' in body
    assert body.count('aria-label="Priority: Not scored"') == 13
    assert '<symbol id="ov-chevron-up"' in body  # the band icons are in the page's sprite
    assert (
        '<p class="ov-headline ov--warning" id="overlay-headline"><span class="ov-headline__view">Priority'
        in body
    )
    assert "2 of 16 scored" in body and "1 top priority." in body


def test_the_plain_map_and_other_views_show_no_priority(client, viewer, editor, scoring_journey):
    score(cards_of(scoring_journey)[0], editor)
    assert "Priority: " not in page(client, viewer, scoring_journey, view="")
    assert "Priority: " not in page(client, viewer, scoring_journey, view="evidence")
    assert f'href="/journeys/{scoring_journey.pk}/?view=priority"' in page(
        client, viewer, scoring_journey, view=""
    )


def test_stale_scores_say_so(client, viewer, editor, admin, workspace, scoring_journey):
    pains = cards_of(scoring_journey)
    score(pains[0], editor)
    change_model(workspace, admin, effort={"weight": 5})
    score(pains[1], editor)
    body = page(client, viewer, scoring_journey)
    assert 'aria-label="Priority: 73 · High · stale"' in body
    assert "The scoring model has changed since: re-score it." in body
    assert 'aria-label="Priority: 73 · High"' in body  # 100·(2.25+1.5+3.75+2)/13 = 73.08, current
    assert "1 stale (scored under an older model)" in body


def test_a_shipped_initiative_shows_as_addressed(client, viewer, editor, workspace, scoring_journey):
    pains = cards_of(scoring_journey)
    score(pains[0], editor)
    shipped = Initiative.objects.create(
        workspace=workspace, title="Guided <b>setup</b>", status=Status.SHIPPED, shipped_date=date(2026, 3, 3)
    )
    planned = Initiative.objects.create(workspace=workspace, title="Later", status=Status.PLANNED)
    InitiativeCard.objects.create(initiative=shipped, card=pains[0])
    InitiativeCard.objects.create(initiative=planned, card=pains[1])
    body = page(client, viewer, scoring_journey)
    assert 'aria-label="Priority: 73 · High · shipped"' in body
    assert "Addressed by “Guided &lt;b&gt;setup&lt;/b&gt;”, shipped on 3 March 2026." in body
    assert "<b>setup</b>" not in body
    assert 'aria-label="Priority: Not scored"' in body  # the planned one is not addressed yet


def test_evidence_confidence_scales_the_priority_when_the_model_says_so(
    client, viewer, editor, admin, workspace, scoring_journey
):
    pains = cards_of(scoring_journey)
    change_model(workspace, admin, use_confidence=True)
    score(pains[0], editor)
    evidence = research_services.evidence_create(workspace_id=workspace.pk, by=admin, text="Seen")
    research_services.link_create(evidence_id=evidence.pk, by=admin, card=pains[0].pk)
    body = page(client, viewer, scoring_journey)
    # 72.5 × 0.7 (weak evidence) = 50.75
    assert 'aria-label="Priority: 51 · High"' in body
    assert "Priority 50.75 (high): composite 72.5 × 0.7 for weak evidence, scored under model v2." in body


def test_cells_and_card_fragments_keep_the_badge(client, editor, scoring_journey):
    card = cards_of(scoring_journey)[0]
    score(card, editor)
    client.force_login(editor)
    cells = reverse("journeys:map_cells", args=[scoring_journey.pk]) + f"?cells={card.lane_id}-{card.step_id}"
    assert (
        'aria-label="Priority: 73 · High"'
        in client.get(cells, headers={"X-Map-View": "priority"}).content.decode()
    )
    one = client.get(reverse("journeys:editor_card", args=[card.pk]), headers={"X-Map-View": "priority"})
    assert 'aria-label="Priority: 73 · High"' in one.content.decode()
    grid = page(client, editor, scoring_journey, name="journeys:map_grid")
    assert grid.count('class="ov-badge ov--') == 16


def test_the_map_api_carries_the_priorities(admin, editor, scoring_journey):
    pains = cards_of(scoring_journey)
    score(pains[0], editor)
    api = APIClient()
    api.force_login(admin)
    body = api.get(
        reverse("journeys-api:journey-map", args=[scoring_journey.pk]), {"overlays": "priority"}
    ).json()
    shown = body["overlays"]["priority"]
    assert set(shown["cards"]) == {str(c.pk) for c in pains}
    assert shown["cards"][str(pains[0].pk)]["data"] == {
        "scored": True,
        "composite": 72.5,
        "priority": 72.5,
        "band": "high",
        "model_version": 1,
        "stale": False,
        "confidence_level": None,
        "delivery": None,
    }
    assert shown["cards"][str(pains[1].pk)]["data"]["scored"] is False
    assert shown["headline"]["data"] == {"scored": 1, "of": 16, "stale": 0, "top": 0}


def _big(workspace, admin, editor):
    journey = scoring_map(factories.make_journey(workspace, by=admin, title="Big"), cards=500)
    for card in cards_of(journey)[:40]:
        score(card, editor)
    shipped = Initiative.objects.create(
        workspace=workspace, title="Shipped", status=Status.SHIPPED, shipped_date=date(2026, 1, 1)
    )
    InitiativeCard.objects.bulk_create(
        InitiativeCard(initiative=shipped, card=c) for c in cards_of(journey)[:30]
    )
    return journey


@pytest.mark.parametrize(
    ("name", "view", "expected"),
    [
        ("journeys:map", "", MAP_PAGE_QUERIES),
        ("journeys:map", "priority", MAP_PAGE_QUERIES + PRIORITY_QUERIES),
        ("journeys:map_grid", "priority", MAP_GRID_QUERIES + PRIORITY_QUERIES),
    ],
)
def test_the_priority_view_costs_a_fixed_number_of_queries(
    client, workspace, admin, editor, viewer, name, view, expected, django_assert_num_queries
):
    small = factories.make_journey(workspace, by=admin, title="Small")
    factories.make_map(
        small, stages=1, steps_per_stage=1, lanes=5, cards=10
    )  # 2 pain points, 2 opportunities
    score(Card.objects.filter(journey=small, lane__kind=LaneKind.PAIN_POINTS).first(), editor)
    big = _big(workspace, admin, editor)
    client.force_login(viewer)
    for journey in (small, big):
        with django_assert_num_queries(expected):
            response = client.get(reverse(name, args=[journey.pk]) + (f"?view={view}" if view else ""))
        assert response.status_code == 200
    body = response.content.decode()
    assert body.count('class="ov-badge ov--') == (200 if view else 0)  # 500 cards, 200 in the two lanes
    if view:
        assert body.count(' · High · shipped"') == 30  # in the badges' names


def test_with_confidence_the_view_adds_researchs_three_queries(
    client, workspace, admin, editor, viewer, django_assert_num_queries
):
    change_model(workspace, admin, use_confidence=True)
    small = factories.make_journey(workspace, by=admin, title="Small")
    factories.make_map(small, stages=1, steps_per_stage=1, lanes=5, cards=10)
    score(cards_of(small)[0], editor)
    big = _big(workspace, admin, editor)
    client.force_login(viewer)
    for journey in (small, big):
        with django_assert_num_queries(MAP_PAGE_QUERIES + PRIORITY_QUERIES + CONFIDENCE_QUERIES):
            client.get(reverse("journeys:map", args=[journey.pk]) + "?view=priority")


def test_scores_need_not_exist_for_the_view(client, viewer, scoring_journey):
    body = page(client, viewer, scoring_journey)
    assert body.count('aria-label="Priority: Not scored"') == 16 and "0 of 16 scored" in body
    assert VALUES  # the fixtures' values are what other tests score with
