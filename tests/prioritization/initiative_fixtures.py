"""Fixtures of the initiative tests (imported by name into test_initiatives*.py and test_outcomes*.py; the
other prioritization tests have their own): a map with pain-point and opportunity lanes on the personas'
journey and on the restricted one."""

import pytest

from journeys.models import Card, LaneKind
from tests import factories


def scored_map(journey, cards=20):
    """Lanes: emotions, actions, touchpoints, pain points, opportunities; cards spread over them."""
    factories.make_map(journey, lanes=5, cards=cards)
    return journey


def pain_cards_of(journey):
    return list(
        Card.objects.filter(
            journey=journey, lane__kind__in=[LaneKind.PAIN_POINTS, LaneKind.OPPORTUNITIES]
        ).order_by("lane__position", "step__stage__position", "step__position", "position")
    )


@pytest.fixture
def pain_journey(workspace, admin):
    journey = factories.make_journey(workspace, by=admin, title="Onboarding")
    return scored_map(journey, cards=20)


@pytest.fixture
def pain_cards(pain_journey):
    return pain_cards_of(pain_journey)


@pytest.fixture
def restricted_pain_journey(workspace, admin):
    from journeys.models import Visibility

    journey = factories.make_journey(
        workspace, by=admin, title="Secret pricing", visibility=Visibility.RESTRICTED
    )
    return scored_map(journey, cards=20)


@pytest.fixture
def restricted_pain_cards(restricted_pain_journey):
    return pain_cards_of(restricted_pain_journey)
