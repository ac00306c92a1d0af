"""prioritization.selectors: a card's delivery status from the initiatives addressing it (the queue's
"status" filter and the map's "addressed by …, shipped on …"), in one query whatever the numbers."""

from datetime import date

import pytest

from journeys.models import Card
from prioritization import selectors
from prioritization.models import Initiative, InitiativeCard, InitiativeTarget, Status, Verdict
from prioritization.selectors import NOT_PLANNED, delivery_for_cards, delivery_rank, delivery_rank_filter

from .initiative_fixtures import *  # noqa: F403 (fixtures)

pytestmark = pytest.mark.django_db


def _initiative(workspace, title, status, cards, shipped=None):
    initiative = Initiative.objects.create(
        workspace=workspace, title=title, status=status, shipped_date=shipped
    )
    InitiativeCard.objects.bulk_create(InitiativeCard(initiative=initiative, card=c) for c in cards)
    return initiative


def test_the_most_advanced_initiative_that_is_not_dropped_gives_the_status(workspace, pain_cards):
    a, b, c, d = pain_cards[:4]
    _initiative(workspace, "Proposed", Status.PROPOSED, [a, b])
    shipped = _initiative(workspace, "Shipped", Status.SHIPPED, [a], shipped=date(2025, 6, 1))
    _initiative(workspace, "Dropped", Status.DROPPED, [b, c])
    info = delivery_for_cards([a.pk, b.pk, c.pk, d.pk])

    assert info[a.pk].status == Status.SHIPPED
    assert info[a.pk].lead.id == shipped.pk
    assert info[a.pk].shipped_date == date(2025, 6, 1)
    assert info[a.pk].addressed
    assert [i.title for i in info[a.pk].initiatives] == ["Shipped", "Proposed"]

    assert info[b.pk].status == Status.PROPOSED
    assert info[b.pk].shipped_date is None
    assert not info[b.pk].addressed
    assert [i.title for i in info[b.pk].initiatives] == ["Proposed", "Dropped"]

    # Dropped alone: listed, but the card is not planned.
    assert info[c.pk].status == NOT_PLANNED
    assert info[c.pk].lead is None
    assert info[c.pk].status_label == "Not planned"
    assert [i.title for i in info[c.pk].initiatives] == ["Dropped"]

    assert info[d.pk] == selectors.DeliveryInfo()


def test_measured_beats_shipped_and_carries_its_verdict_counts(workspace, pain_cards):
    from metrics import services as metric_services

    a = pain_cards[0]
    _initiative(workspace, "Shipped later", Status.SHIPPED, [a], shipped=date(2025, 9, 1))
    measured = _initiative(workspace, "Measured", Status.MEASURED, [a], shipped=date(2025, 3, 1))
    admin = workspace.memberships.get(role="admin").user
    for name, verdict in (("m1", Verdict.MET), ("m2", Verdict.NOT_MET), ("m3", Verdict.MET)):
        metric = metric_services.metric_create(journey_id=a.journey_id, by=admin, name=name, kind="csat")
        InitiativeTarget.objects.create(
            initiative=measured, metric=metric, expected_direction="up", expected_size=1, verdict=verdict
        )
    info = delivery_for_cards([a.pk], user=admin)[a.pk]
    assert delivery_for_cards([a.pk])[a.pk].lead.met is None  # no reader, no counts
    assert info.status == Status.MEASURED
    assert info.shipped_date == date(2025, 3, 1)
    assert (info.lead.met, info.lead.not_met) == (2, 1)
    assert (info.initiatives[1].met, info.initiatives[1].not_met) == (0, 0)
    assert info.lead.outcome == "2 of 3 targets met"
    assert info.initiatives[1].outcome == ""  # shipped, not measured


def test_verdicts_of_metrics_the_reader_cannot_see_are_not_counted(
    workspace, admin, editor, pain_cards, restricted_pain_journey
):
    from metrics import services as metric_services

    a = pain_cards[0]
    measured = _initiative(workspace, "Measured", Status.MEASURED, [a], shipped=date(2025, 3, 1))
    seen = metric_services.metric_create(journey_id=a.journey_id, by=admin, name="CSAT", kind="csat")
    hidden = metric_services.metric_create(
        journey_id=restricted_pain_journey.pk, by=admin, name="Churn", kind="csat"
    )
    for metric, verdict in ((seen, Verdict.NOT_MET), (hidden, Verdict.MET)):
        InitiativeTarget.objects.create(
            initiative=measured, metric=metric, expected_direction="up", expected_size=1, verdict=verdict
        )
    assert delivery_for_cards([a.pk], user=admin)[a.pk].lead.outcome == "1 of 2 targets met"
    assert delivery_for_cards([a.pk], user=editor)[a.pk].lead.outcome == "0 of 1 target met"


def test_no_ids_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert delivery_for_cards([]) == {}


@pytest.mark.parametrize("size", [2, 40])
def test_one_query_whatever_the_numbers(workspace, editor, pain_cards, size, django_assert_num_queries):
    cards = pain_cards[:size] if size <= len(pain_cards) else pain_cards
    for i in range(size):
        _initiative(workspace, f"I{i}", list(selectors.DELIVERY_ORDER)[i % 5], cards)
    # initiative cards joined with their initiative, verdict counts as subqueries
    with django_assert_num_queries(1):
        info = delivery_for_cards([c.pk for c in cards], user=editor)
    assert len(info) == len(cards)
    assert all(len(i.initiatives) == size for i in info.values())


def test_delivery_rank_in_sql_agrees_with_the_python_rule(workspace, pain_cards):
    a, b, c, d = pain_cards[:4]
    _initiative(workspace, "P", Status.PLANNED, [a, b])
    _initiative(workspace, "M", Status.MEASURED, [a], shipped=date(2025, 1, 1))
    _initiative(workspace, "D", Status.DROPPED, [c])
    ids = [a.pk, b.pk, c.pk, d.pk]
    ranked = dict(Card.objects.filter(pk__in=ids).annotate(r=delivery_rank()).values_list("pk", "r"))
    expected = delivery_for_cards(ids)
    for pk in ids:
        status = selectors.RANK_STATUS.get(ranked[pk], NOT_PLANNED)
        assert status == expected[pk].status
    not_planned = Card.objects.filter(pk__in=ids).annotate(delivery_rank=delivery_rank())
    picked = set(
        not_planned.filter(delivery_rank_filter([NOT_PLANNED, Status.PLANNED])).values_list("pk", flat=True)
    )
    assert picked == {b.pk, c.pk, d.pk}
