"""The evidence overlay through journeys' map API (registered in ResearchConfig.ready()): the map shows
each card's level and costs three more queries, whatever its size."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from journeys import overlays
from research import services
from research.overlays import EvidenceOverlay

from .. import factories
from .conftest import first_card


@pytest.fixture
def evidence_overlay():
    provider = next(p for p in overlays.providers() if p.name == "evidence")
    assert isinstance(provider, EvidenceOverlay)
    yield provider
    overlays.register(provider)  # back, if a test took it away


def test_the_map_api_shows_each_cards_level(admin, journey, evidence, evidence_overlay):
    card = first_card(journey)
    services.link_create(evidence_id=evidence.pk, by=admin, card=card.pk)
    api = APIClient()
    api.force_login(admin)
    body = api.get(reverse("journeys-api:journey-map", args=[journey.pk]), {"overlays": "evidence"}).json()
    shown = body["overlays"]["evidence"]
    assert {int(pk) for pk in shown["cards"]} == {c["id"] for c in body["cards"]}
    assert shown["cards"][str(card.pk)] == {
        "label": "Weak",
        "tone": "neutral",
        "icon": "dot",
        "detail": "Weak evidence.",
        "url": reverse("research:card_evidence", args=[card.pk]),
        "data": {"level": "weak", "supporting": 1, "contradicting": 0},
    }
    others = [d["data"]["level"] for pk, d in shown["cards"].items() if pk != str(card.pk)]
    assert set(others) == {"assumption"}


@pytest.mark.parametrize("cards", [10, 500])
def test_the_overlay_adds_three_queries_to_the_map_whatever_its_size(
    admin, workspace, cards, evidence_overlay, django_assert_max_num_queries
):
    journey = factories.make_journey(workspace, by=admin)
    factories.make_map(journey, stages=5, steps_per_stage=4, lanes=5, cards=cards)
    evidence = services.evidence_create(workspace_id=workspace.pk, by=admin, text="Seen often")
    for card in journey.cards.order_by("pk")[:5]:
        services.link_create(evidence_id=evidence.pk, by=admin, card=card.pk)
    api = APIClient()
    api.force_login(admin)
    url = reverse("journeys-api:journey-map", args=[journey.pk]) + "?overlays=all"
    overlays.unregister(evidence_overlay.name)
    with django_assert_max_num_queries(50) as without:
        api.get(url)
    overlays.register(evidence_overlay)
    with django_assert_max_num_queries(50) as with_overlay:
        assert api.get(url).status_code == 200
    # recency setting, cards (with step, stage, lane kind), links with their evidence and study
    assert len(with_overlay.captured_queries) == len(without.captured_queries) + 3
