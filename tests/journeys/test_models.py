"""Map invariants the database and the models hold by themselves, whatever code writes the rows."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F

from journeys.models import Card, Journey, Lane, Stage, Step
from tests import factories


def test_emotion_score_range_is_a_database_constraint(journey):
    card = journey.cards.first()
    for bad in (4, -4, 100):
        with pytest.raises(IntegrityError), transaction.atomic():
            Card.objects.filter(pk=card.pk).update(emotion_score=bad)
    for good in (-3, 0, 3, None):
        Card.objects.filter(pk=card.pk).update(emotion_score=good)
        assert Card.objects.get(pk=card.pk).emotion_score == good


def test_emotion_score_range_is_checked_by_full_clean(journey):
    card = journey.cards.first()
    card.emotion_score = 9
    with pytest.raises(ValidationError) as caught:
        card.full_clean()
    assert "between −3 and +3" in str(caught.value)


def test_a_journey_cannot_be_its_own_parent_in_the_database(journey):
    with pytest.raises(IntegrityError), transaction.atomic():
        Journey.objects.filter(pk=journey.pk).update(parent=F("id"))
    assert Journey.objects.get(pk=journey.pk).parent_id is None


def test_lane_kind_is_a_database_constraint(journey):
    lane = journey.lanes.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Lane.objects.filter(pk=lane.pk).update(kind="feelings")


@pytest.mark.parametrize("model", [Card, Stage, Step, Lane])
def test_positions_are_unique_among_siblings_in_the_database(journey, model):
    first, second = model.objects.filter(journey=journey).order_by("pk")[:2]
    if model is Card:  # siblings share a cell
        Card.objects.filter(pk=second.pk).update(
            lane=first.lane_id, step=first.step_id, position=first.position + 1
        )
    if model is Step:
        Step.objects.filter(pk=second.pk).update(stage=first.stage_id)
    with pytest.raises(IntegrityError), transaction.atomic():
        with connection.cursor() as cursor:
            # The constraints are deferred (renumbering passes through duplicates); check now, not at commit.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        model.objects.filter(pk=second.pk).update(position=first.position)


def test_hierarchy_cycles_are_refused_by_clean(workspace, admin):
    a = factories.make_journey(workspace, by=admin, title="A")
    b = factories.make_journey(workspace, by=admin, title="B", parent=a)
    c = factories.make_journey(workspace, by=admin, title="C", parent=b)
    a.parent = c
    with pytest.raises(ValidationError) as caught:
        a.full_clean()
    assert "parent" in caught.value.message_dict
    a.parent = a
    with pytest.raises(ValidationError) as caught:
        a.full_clean()
    assert "parent" in caught.value.message_dict


def test_parent_and_owner_must_belong_to_the_workspace(workspace, admin, outsider):
    theirs = factories.make_journey(outsider.memberships.get().workspace, by=outsider)
    journey = factories.make_journey(workspace, by=admin)
    journey.parent = theirs
    journey.owner = outsider
    with pytest.raises(ValidationError) as caught:
        journey.full_clean()
    assert {"parent", "owner"} <= set(caught.value.message_dict)


def test_cards_and_steps_cannot_point_into_another_journey(workspace, admin, journey):
    other = factories.make_map(factories.make_journey(workspace, by=admin), cards=0)
    card = journey.cards.first()
    card.lane = other.lanes.first()
    card.step = other.steps.first()
    with pytest.raises(ValidationError) as caught:
        card.full_clean()
    assert {"lane", "step"} <= set(caught.value.message_dict)
    step = journey.steps.first()
    step.stage = other.stages.first()
    with pytest.raises(ValidationError) as caught:
        step.full_clean()
    assert "stage" in caught.value.message_dict


def test_a_step_cannot_link_to_its_own_journey(journey):
    step = journey.steps.first()
    step.sub_journey = journey
    with pytest.raises(ValidationError) as caught:
        step.full_clean()
    assert "sub_journey" in caught.value.message_dict


def test_card_text_must_not_be_blank(journey):
    card = journey.cards.first()
    card.text = "   "
    with pytest.raises(ValidationError) as caught:
        card.full_clean()
    assert "text" in caught.value.message_dict
