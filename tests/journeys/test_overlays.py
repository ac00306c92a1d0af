"""journeys' overlay hook: apps above journeys register providers; the map API asks each once, in a
constant number of queries whatever the size of the map (DESIGN.md "How upper apps show on the map")."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from core.overlays import Decoration, MapIds, Overlay
from journeys import overlays
from journeys.models import Card
from tests import factories


class LongCards:
    """A provider like research's or metrics': one query for the whole map, a badge on some cards."""

    name = "long-cards"
    label = "Long cards"

    def __init__(self):
        self.calls = []

    def decorate(self, *, ids: MapIds, user) -> Overlay:
        self.calls.append((ids, user.pk))
        rows = Card.objects.filter(pk__in=ids.cards, text__regex=r"^.{12,}").values_list("pk", "text")
        return Overlay(
            cards={
                pk: Decoration(label=str(len(text)), tone="warning", data={"chars": len(text)})
                for pk, text in rows
            },
            headline=Decoration(label=f"{len(rows)} long cards"),
        )


@pytest.fixture(autouse=True)
def only_this_modules_providers():
    """research and metrics register their providers in ready(); these tests look at the hook alone."""
    registered = overlays.providers()
    for provider in registered:
        overlays.unregister(provider.name)
    yield
    for provider in overlays.providers():
        overlays.unregister(provider.name)
    for provider in registered:
        overlays.register(provider)


@pytest.fixture
def provider():
    provider = LongCards()
    overlays.register(provider)
    yield provider
    overlays.unregister(provider.name)


@pytest.fixture
def api():
    return APIClient()


def test_the_map_api_carries_each_providers_decorations(api, admin, journey, provider):
    api.force_login(admin)
    body = api.get(reverse("journeys-api:journey-map", args=[journey.pk]), {"overlays": "long-cards"}).json()
    overlay = body["overlays"]["long-cards"]
    long_cards = {c["id"]: c["text"] for c in body["cards"] if len(c["text"]) >= 12}
    assert long_cards, "the fixture map has long cards"
    assert {int(pk) for pk in overlay["cards"]} == set(long_cards)
    some = next(iter(long_cards))
    assert overlay["cards"][str(some)]["data"] == {"chars": len(long_cards[some])}
    assert overlay["headline"]["label"] == f"{len(long_cards)} long cards"
    # asked once, with every card of the map and the reader
    assert len(provider.calls) == 1
    ids, user_id = provider.calls[0]
    assert set(ids.cards) == set(Card.objects.filter(journey=journey).values_list("pk", flat=True))
    assert ids.journey == journey.pk and user_id == admin.pk


def test_without_providers_the_map_api_has_no_overlays(api, admin, journey):
    api.force_login(admin)
    assert api.get(reverse("journeys-api:journey-map", args=[journey.pk])).json()["overlays"] == {}


@pytest.mark.parametrize("cards", [10, 500])
def test_a_provider_adds_its_queries_once_whatever_the_map_size(
    api, admin, workspace, provider, cards, django_assert_max_num_queries
):
    journey = factories.make_journey(workspace, by=admin, title=f"Map of {cards}")
    factories.make_map(journey, stages=5, steps_per_stage=4, lanes=5, cards=cards)
    api.force_login(admin)
    url = reverse("journeys-api:journey-map", args=[journey.pk]) + "?overlays=all"
    overlays.unregister(provider.name)
    with django_assert_max_num_queries(50) as without:
        api.get(url)
    overlays.register(provider)
    with django_assert_max_num_queries(50) as with_provider:
        assert api.get(url).status_code == 200
    assert len(with_provider.captured_queries) == len(without.captured_queries) + 1


def test_two_providers_cannot_share_a_name(provider):
    with pytest.raises(ValueError, match="long-cards"):
        overlays.register(LongCards())
    overlays.register(provider)  # the same provider again is harmless
    assert [p.name for p in overlays.providers()] == ["long-cards"]
