"""The SQL form of the confidence rule (research/confidence_sql.py) gives every card the level the Python
rule (research/confidence.py) gives it: on seeded, varied data (studies of several methods, standalone
items, participants written in different case, recent, old and undated items, both stances, the
workspace's recency window changed), as an annotation, as a filter and as a CASE over level sets."""

import datetime
import random

import pytest
from django.db.models import Count

from journeys.models import Card
from research import services
from research.confidence import Level, map_confidence
from research.confidence_sql import card_level, card_level_by_sets, cards_at_level, cutoff_for, level_rows
from research.models import Evidence, EvidenceLink

from .. import factories

TODAY = datetime.date(2026, 11, 30)
RECENT = datetime.date(2026, 6, 1)
OLD = datetime.date(2024, 1, 15)  # older than 18 months before TODAY, within 36
ANCIENT = datetime.date(2020, 3, 2)
METHODS = ("interviews", "survey", "usability_test", "support_tickets")
# Labels that are one participant whatever their case (Python compares them casefolded).
PARTICIPANTS = ("", "", "P1", "p1", "P2", "P3", "Straße", "STRASSE", "Σίσυφος", "ΣΊΣΥΦΟΣ", "Émile", "émile")


def python_levels(journeys) -> dict[int, str]:
    levels = {}
    for journey in journeys:
        found = map_confidence(journey_id=journey.pk, today=TODAY)
        levels.update({pk: c.level for pk, c in found.cards.items()})
    return levels


def sql_levels(workspace) -> dict[int, str]:
    cutoff = cutoff_for(workspace_id=workspace.pk, today=TODAY)
    cards = Card.objects.filter(journey__workspace=workspace).annotate(level=card_level(cutoff=cutoff))
    return dict(cards.values_list("pk", "level"))


def set_levels(workspace) -> dict[int, str]:
    """Each card's level from card_level_by_sets (the form for sorting and exporting many cards)."""
    cutoff = cutoff_for(workspace_id=workspace.pk, today=TODAY)
    links = EvidenceLink.objects.filter(journey__workspace=workspace)
    cards = Card.objects.filter(journey__workspace=workspace)
    return dict(
        cards.annotate(level=card_level_by_sets(cutoff=cutoff, links=links)).values_list("pk", "level")
    )


def filtered_levels(workspace) -> dict[int, str]:
    """Each card's level as the filter finds it: the level whose filter keeps it (exactly one)."""
    cutoff = cutoff_for(workspace_id=workspace.pk, today=TODAY)
    links = EvidenceLink.objects.filter(journey__workspace=workspace)
    found: dict[int, str] = {}
    for level in Level.values:
        kept = Card.objects.filter(journey__workspace=workspace).filter(
            cards_at_level(level, cutoff=cutoff, links=links)
        )
        for pk in kept.values_list("pk", flat=True):
            assert pk not in found, f"card {pk} is both {found[pk]} and {level}"
            found[pk] = level
    return found


@pytest.fixture
def varied(workspace, admin):
    """Two maps with 36 cards each; 30 of the first's and 20 of the second's cards get 1–10 evidence links
    drawn (seeded) from 5 studies and standalone items."""
    rng = random.Random(20261130)
    journeys = []
    for title in ("Onboarding", "Renewal"):
        journey = factories.make_journey(workspace, by=admin, title=title)
        factories.make_map(journey, stages=3, steps_per_stage=3, lanes=5, cards=36, emotion_lane=False)
        journeys.append(journey)
    studies = [
        services.study_create(
            workspace_id=workspace.pk, by=admin, title=f"Study {n}", method=METHODS[n % len(METHODS)]
        )
        for n in range(5)
    ]
    undated = []
    for journey, linked in zip(journeys, (30, 20), strict=True):
        cards = list(journey.cards.order_by("pk"))[:linked]
        for card in cards:
            # Some cards get supporting evidence only, others both sides in varying shares.
            contra_share = rng.choice((0, 0, 0.2, 0.4, 0.7))
            for _ in range(rng.choice((1, 1, 2, 3, 4, 6, 8, 10))):
                study = rng.choice([*studies, None, None])
                captured = rng.choice((RECENT, RECENT, OLD, ANCIENT, None))
                evidence = services.evidence_create(
                    workspace_id=workspace.pk,
                    by=admin,
                    text="Seen in the research",
                    study=study.pk if study else None,
                    participant=rng.choice(PARTICIPANTS),
                    captured_on=captured,
                )
                if captured is None:
                    undated.append((evidence.pk, rng.choice((RECENT, OLD))))
                stance = "contradicts" if rng.random() < contra_share else "supports"
                services.link_create(evidence_id=evidence.pk, by=admin, stance=stance, card=card.pk)
    # Undated items count from the day they were entered: some entered long ago.
    for pk, day in undated:
        entered = datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)
        Evidence.objects.filter(pk=pk).update(created_at=entered)
    return journeys


def test_sql_and_python_give_every_card_the_same_level(workspace, varied):
    expected = python_levels(varied)
    assert len(expected) == 72
    # The data reaches every level, so the comparison covers each branch of the rule.
    assert set(expected.values()) == set(Level.values)
    assert sql_levels(workspace) == expected
    assert filtered_levels(workspace) == expected
    assert set_levels(workspace) == expected


def test_they_agree_when_the_recency_window_changes(workspace, admin, varied):
    before = python_levels(varied)
    services.research_settings_update(workspace_id=workspace.pk, by=admin, recency_months=48)
    after = python_levels(varied)
    assert after != before  # old items count fully now: some levels rise
    assert sql_levels(workspace) == after
    assert filtered_levels(workspace) == after
    assert set_levels(workspace) == after


def test_participants_differing_in_case_are_one(workspace, admin, journey):
    """Three items of one study by "Straße", "STRASSE" and "ſtrasse" (a long s) are one participant for
    str.casefold: weak (3 points, one source, one participant). lower() alone makes them three distinct
    labels, which would make the card moderate."""
    card = journey.cards.order_by("pk").first()
    study = services.study_create(workspace_id=workspace.pk, by=admin, title="Calls", method="interviews")
    for label in ("Straße", "STRASSE", "ſtrasse"):
        evidence = services.evidence_create(
            workspace_id=workspace.pk, by=admin, text="Said so", study=study.pk, participant=label
        )
        services.link_create(evidence_id=evidence.pk, by=admin, card=card.pk)
    assert python_levels([journey])[card.pk] == Level.WEAK
    assert sql_levels(workspace)[card.pk] == Level.WEAK


def test_a_card_without_links_is_an_assumption_and_has_no_row(workspace, journey):
    cutoff = cutoff_for(workspace_id=workspace.pk, today=TODAY)
    for level in Level.values:
        rows = level_rows(EvidenceLink.objects.all(), cutoff=cutoff, level=level, negate=True)
        assert not Card.objects.filter(pk__in=rows).exists()
    assert set(sql_levels(workspace).values()) == {Level.ASSUMPTION}
    kept = Card.objects.filter(cards_at_level(Level.ASSUMPTION, cutoff=cutoff))
    assert kept.count() == Card.objects.count()


def test_the_filter_is_one_grouped_pass_not_a_subquery_per_card(workspace, varied):
    """The filter's SQL groups the links once and keeps cards whose id is among those at the level; every
    aggregate is written once (Django would inline it in each tier and level test that reads it)."""
    cutoff = cutoff_for(workspace_id=workspace.pk, today=TODAY)
    sql = str(Card.objects.filter(cards_at_level(Level.STRONG, cutoff=cutoff)).query).upper()
    assert sql.count("GROUP BY") == 1 and sql.count("SUM(") == 2  # the points of each side, once
    assert len(sql) < 5_000
    page = str(Card.objects.annotate(level=card_level(cutoff=cutoff)).query)
    assert page.upper().count("SUM(") == 2 and len(page) < 5_000
    assert Card.objects.annotate(n=Count("evidence_links")).filter(n__gt=0).count() == 50
