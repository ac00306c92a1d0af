"""Fixtures of the scoring tests (imported by name into test_scoring*.py): a map with pain-point and
opportunity lanes on the personas' workspace (tests/conftest.py), and helpers that score through the
services."""

import pytest

from journeys.models import Card, LaneKind, Visibility
from prioritization import services
from tests import factories

VALUES = {"customer_impact": 4, "business_impact": 3, "effort": 2, "strategic_alignment": 5}  # composite 72.5


def scoring_map(journey, cards=40):
    """Lanes: emotions, actions, touchpoints, pain points, opportunities; two cards a cell (20 cells)."""
    return factories.make_map(journey, lanes=5, cards=cards)


def cards_of(journey, kind=None):
    kinds = [kind] if kind else [LaneKind.PAIN_POINTS, LaneKind.OPPORTUNITIES]
    return list(Card.objects.filter(journey=journey, lane__kind__in=kinds).order_by("pk"))


def score(card, by, values=None, **kwargs):
    """Score `card` through the service (no version check unless given)."""
    return services.score_set(
        card_id=card.pk, by=by, values=dict(VALUES if values is None else values), **kwargs
    )


def change_model(workspace, by, **changes):
    """Make a new version of the workspace's model: the current criteria with `changes` applied
    ({criterion key: {field: value}}), or `criteria=[...]` as given."""
    current = services.scoring_model_ensure_default(workspace_id=workspace.pk)
    criteria = changes.pop("criteria", None)
    if criteria is None:
        criteria = [
            {
                "key": c.key,
                "name": c.name,
                "description": c.description,
                "weight": c.weight,
                "lower_is_better": c.lower_is_better,
                "meanings": list(c.meanings),
                **changes.get(c.key, {}),
            }
            for c in current.criteria.all()
        ]
    return services.scoring_model_change(
        workspace_id=workspace.pk,
        by=by,
        criteria=criteria,
        use_confidence=changes.get("use_confidence", current.use_confidence),
        note=changes.get("note", ""),
    )


@pytest.fixture
def scoring_journey(workspace, admin):
    journey = factories.make_journey(workspace, by=admin, title="Onboarding")
    return scoring_map(journey)


@pytest.fixture
def pain_card(scoring_journey):
    return cards_of(scoring_journey, LaneKind.PAIN_POINTS)[0]


@pytest.fixture
def opportunity_card(scoring_journey):
    return cards_of(scoring_journey, LaneKind.OPPORTUNITIES)[0]


@pytest.fixture
def action_card(scoring_journey):
    return Card.objects.filter(journey=scoring_journey, lane__kind=LaneKind.ACTIONS).order_by("pk").first()


@pytest.fixture
def restricted_scoring_journey(workspace, admin):
    journey = factories.make_journey(
        workspace, by=admin, title="Pricing (confidential)", visibility=Visibility.RESTRICTED
    )
    return scoring_map(journey)


@pytest.fixture
def restricted_pain_card(restricted_scoring_journey):
    return cards_of(restricted_scoring_journey, LaneKind.PAIN_POINTS)[0]
