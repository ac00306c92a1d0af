"""The evidence overlay through journeys' map API (registered in ResearchConfig.ready()): the map shows
each card's level and costs three more queries, whatever its size."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from journeys import overlays
from journeys import services as journey_services
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


# ---------------------------------------------------------------------------------------------- live figure
# What another person's map fetches after a live `change` (static/js/live.js): the cells a card link names,
# or the whole grid for a step or stage link. In the evidence view (the page's X-Map-View header) both carry
# the header figure out of band, so "x% validated" follows links and unlinks without a reload.

VIEW = {"X-Map-View": "evidence"}


def _figure(html: str) -> str:
    start = html.index('id="overlay-headline"')
    return html[start : html.index("</p>", start)]


def _moderate(workspace, admin, card, n=3):
    """Three supporting items from three participants of one study: a moderate (validated) card."""
    study = services.study_create(workspace_id=workspace.pk, by=admin, title="Calls", method="interviews")
    links = []
    for i in range(n):
        evidence = services.evidence_create(
            workspace_id=workspace.pk, by=admin, study=study.pk, text=f"Said so ({i})", participant=f"P{i}"
        )
        links.append(services.link_create(evidence_id=evidence.pk, by=admin, card=card.pk))
    return links


@pytest.fixture
def with_pains(workspace, admin):
    """A map with pain point and opportunity lanes (what the figure counts)."""
    journey = factories.make_journey(workspace, by=admin, title="Renewal")
    return factories.make_map(journey, stages=2, steps_per_stage=2, lanes=5, cards=24)


def test_the_cells_and_grid_a_live_update_fetches_carry_the_refreshed_figure(
    client, workspace, admin, viewer, with_pains
):
    journey = with_pains
    pains = journey.cards.filter(lane__kind__in=["pain_points", "opportunities"]).order_by("pk")
    card, total = pains.first(), pains.count()
    client.force_login(viewer)
    page = client.get(reverse("journeys:map", args=[journey.pk]) + "?view=evidence").content.decode()
    assert "0% validated" in _figure(page) and "hx-swap-oob" not in _figure(page)

    links = _moderate(workspace, admin, card)  # someone else links evidence
    cells = reverse("journeys:map_cells", args=[journey.pk]) + f"?cells={card.lane_id}-{card.step_id}"
    fragment = client.get(cells, headers=VIEW).content.decode()
    percent = round(100 / total)
    assert f"{percent}% validated" in _figure(fragment)
    assert 'id="overlay-headline" hx-swap-oob="true"' in fragment
    assert 'aria-label="Evidence: Moderate"' in fragment  # and the card's badge
    grid = client.get(reverse("journeys:map_grid", args=[journey.pk]), headers=VIEW).content.decode()
    assert f"{percent}% validated" in _figure(grid) and grid.count('id="overlay-headline"') == 1

    services.link_delete(link_id=links[0].pk, by=admin)  # and unlinks one: weak again
    fragment = client.get(cells, headers=VIEW).content.decode()
    assert "0% validated" in _figure(fragment) and 'aria-label="Evidence: Weak"' in fragment
    # The plain map's fragments carry no figure.
    assert "overlay-headline" not in client.get(cells).content.decode()
    assert (
        "overlay-headline" not in client.get(reverse("journeys:map_grid", args=[journey.pk])).content.decode()
    )


def test_a_cell_emptied_by_a_delete_still_refreshes_the_figure(client, workspace, admin, with_pains):
    journey = with_pains
    pains = journey.cards.filter(lane__kind__in=["pain_points", "opportunities"]).order_by("pk")
    card = pains.first()
    _moderate(workspace, admin, card)
    client.force_login(admin)
    cells = reverse("journeys:map_cells", args=[journey.pk]) + f"?cells={card.lane_id}-{card.step_id}"
    assert "0% validated" not in _figure(client.get(cells, headers=VIEW).content.decode())
    for other in journey.cards.filter(lane_id=card.lane_id, step_id=card.step_id):
        journey_services.card_delete(card_id=other.pk, by=admin)
    fragment = client.get(cells, headers=VIEW).content.decode()
    assert "0% validated" in _figure(fragment)
