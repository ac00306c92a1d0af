"""The confidence rule (research/confidence.py), its roll-ups, `explain`, query counts, and the overlay
provider the map will show."""

import datetime

import pytest

from core.overlays import MapIds
from journeys.models import LaneKind
from research import services
from research.confidence import Level, explain, level_for, map_confidence, months_before
from research.models import Evidence
from research.overlays import EvidenceOverlay

from .. import factories
from .conftest import first_card

TODAY = datetime.date(2026, 11, 30)
RECENT = datetime.date(2026, 6, 1)
OLD = datetime.date(2024, 1, 15)  # older than 18 months before TODAY


@pytest.fixture
def make(workspace, admin):
    """make(card, stance, study=…, participant=…, captured=…): one evidence item linked to `card`."""
    studies = {}

    def study(name, method):
        if name not in studies:
            studies[name] = services.study_create(
                workspace_id=workspace.pk, by=admin, title=name, method=method
            )
        return studies[name]

    def make(
        target,
        stance="supports",
        *,
        study_name="Interviews",
        method="interviews",
        participant="",
        captured=RECENT,
    ):
        the_study = study(study_name, method) if study_name else None
        evidence = services.evidence_create(
            workspace_id=workspace.pk,
            by=admin,
            text=f"Evidence {stance}",
            study=the_study.pk if the_study else None,
            participant=participant,
            captured_on=captured,
        )
        kind = type(target).__name__.lower()
        return services.link_create(evidence_id=evidence.pk, by=admin, stance=stance, **{kind: target.pk})

    return make


def level(card):
    return map_confidence(journey_id=card.journey_id, today=TODAY).cards[card.pk].level


@pytest.mark.parametrize(
    ("support", "contra", "expected"),
    [
        (0, 0, Level.ASSUMPTION),
        (0, 3, Level.ASSUMPTION),
        (1, 0, Level.WEAK),
        (2, 0, Level.MODERATE),
        (3, 0, Level.STRONG),
        (1, 1, Level.CONTESTED),
        (2, 1, Level.WEAK),
        (3, 1, Level.MODERATE),
        (3, 2, Level.CONTESTED),
        (2, 2, Level.CONTESTED),
    ],
)
def test_level_from_the_two_sides(support, contra, expected):
    assert level_for(support, contra) == expected


def test_a_card_without_evidence_is_an_assumption(journey):
    assert level(first_card(journey)) == Level.ASSUMPTION


def test_one_item_is_weak_two_studies_moderate(journey, make):
    card = first_card(journey)
    make(card)
    assert level(card) == Level.WEAK
    make(card, study_name="Survey", method="survey")
    assert level(card) == Level.MODERATE


def test_three_participants_of_one_study_are_moderate(journey, make):
    card = first_card(journey)
    for p in ("P1", "P2"):
        make(card, participant=p)
    assert level(card) == Level.WEAK  # two points, one source, two participants
    make(card, participant="P3")
    assert level(card) == Level.MODERATE


def test_strong_needs_points_sources_and_methods_or_participants(journey, make):
    card = first_card(journey)
    make(card, study_name="Interviews", participant="P1")
    make(card, study_name="Interviews", participant="P2")
    make(card, study_name="Interviews 2", participant="P3")
    make(card, study_name="Interviews 2", participant="P4")
    assert level(card) == Level.MODERATE  # 4 points, 2 studies, 1 method, 4 participants
    make(card, study_name="Tickets", method="support_tickets")
    assert level(card) == Level.STRONG


def test_older_evidence_counts_half_and_the_window_is_a_workspace_setting(journey, workspace, admin, make):
    card = first_card(journey)
    make(card, study_name="Interviews", captured=OLD)
    make(card, study_name="Interviews", captured=OLD)
    make(card, study_name="Survey", method="survey", captured=OLD)
    make(card, study_name="Survey", method="survey", captured=OLD)
    assert level(card) == Level.MODERATE  # 2 points only
    services.research_settings_update(workspace_id=workspace.pk, by=admin, recency_months=48)
    assert level(card) == Level.STRONG
    assert map_confidence(journey_id=journey.pk, today=TODAY).recency_months == 48


def test_credible_evidence_on_both_sides_is_contested(journey, make):
    card = first_card(journey)
    make(card)
    make(card, stance="contradicts", study_name="Survey", method="survey")
    assert level(card) == Level.CONTESTED  # weak against weak


def test_weaker_contradiction_lowers_the_level(journey, make):
    card = first_card(journey)
    for name, method in (("A", "interviews"), ("A", "interviews"), ("B", "survey"), ("B", "survey")):
        make(card, study_name=name, method=method)
    assert level(card) == Level.STRONG
    make(card, stance="contradicts", study_name="C", method="analytics")
    assert level(card) == Level.MODERATE
    make(card, stance="contradicts", study_name="D", method="analytics")
    assert level(card) == Level.CONTESTED  # the contradiction is moderate now


def test_roll_ups_count_the_element_and_everything_inside_it_once(journey, make):
    card = first_card(journey)
    step = card.step
    link = make(card)
    make(step, study_name="Survey", method="survey")
    result = map_confidence(journey_id=journey.pk, today=TODAY)
    assert result.cards[card.pk].level == Level.WEAK
    assert result.steps[step.pk].level == Level.MODERATE  # the card's item + the step's item, 2 studies
    assert result.stages[step.stage_id].level == Level.MODERATE
    assert result.journey.level == Level.MODERATE
    # The same evidence linked to a second card of the step counts once in the step.
    other = journey.cards.filter(step=step).exclude(pk=card.pk).first()
    services.link_create(evidence_id=link.evidence_id, by=link.created_by, card=other.pk)
    assert len(map_confidence(journey_id=journey.pk, today=TODAY).steps[step.pk].supporting.items) == 2


def test_explain_names_the_evidence_and_what_would_raise_the_level(journey, make):
    card = first_card(journey)
    assert explain(card, today=TODAY).to_raise == [
        "Link one supporting evidence item: the card becomes weak."
    ]
    recent = make(card, participant="P1")
    old = make(card, study_name="Survey", method="survey", captured=OLD)
    found = explain(card, today=TODAY)
    assert found.level == Level.WEAK  # 1.5 points
    assert {link.pk: (link.weight, link.recent) for link in found.links} == {
        recent.pk: (1.0, True),
        old.pk: (0.5, False),
    }
    assert found.supporting == {
        "items": 2,
        "points": 1.5,
        "sources": 2,
        "participants": 1,
        "methods": 2,
        "tier": 1,
    }
    assert found.to_raise == [
        "To reach moderate support: 0.5 more point(s) of evidence (a recent item counts 1, one older than "
        "18 months ½)."
    ]


def test_explain_of_a_contested_card_says_how_to_resolve_it(journey, make):
    card = first_card(journey)
    make(card)
    make(card, stance="contradicts", study_name="Survey", method="survey")
    reasons = explain(card, today=TODAY).to_raise
    assert reasons[0].startswith("Supporting evidence must outweigh the contradicting (1 of 3)")
    assert "unlink items that no longer hold" in reasons[1]


def test_months_before_keeps_to_the_calendar():
    assert months_before(datetime.date(2026, 8, 31), 18) == datetime.date(2025, 2, 28)
    assert months_before(datetime.date(2026, 1, 15), 1) == datetime.date(2025, 12, 15)


# ---------------------------------------------------------------------------------------------- queries


def _linked_map(workspace, admin, cards):
    journey = factories.make_journey(workspace, by=admin)
    factories.make_map(journey, stages=5, steps_per_stage=5, lanes=6, cards=cards)
    evidence = services.evidence_create(workspace_id=workspace.pk, by=admin, text="Seen in every session")
    for card in journey.cards.order_by("pk")[:3]:
        services.link_create(evidence_id=evidence.pk, by=admin, card=card.pk)
    services.link_create(evidence_id=evidence.pk, by=admin, step=journey.steps.first().pk)
    return journey


@pytest.mark.parametrize("cards", [10, 500])
def test_a_whole_map_in_three_queries(workspace, admin, cards, django_assert_num_queries):
    journey = _linked_map(workspace, admin, cards)
    # recency setting, cards (with step, stage, lane kind), links with their evidence and study
    with django_assert_num_queries(3):
        result = map_confidence(journey_id=journey.pk)
    assert len(result.cards) == cards
    assert result.card_levels[Level.WEAK] == 3


@pytest.mark.parametrize("cards", [10, 500])
def test_the_overlay_provider_decorates_every_card_in_three_queries(
    workspace, admin, editor, cards, django_assert_num_queries
):
    journey = _linked_map(workspace, admin, cards)
    ids = MapIds(
        journey=journey.pk,
        stages=tuple(journey.stages.values_list("pk", flat=True)),
        steps=tuple(journey.steps.values_list("pk", flat=True)),
        cards=tuple(journey.cards.values_list("pk", flat=True)),
    )
    with django_assert_num_queries(3):
        overlay = EvidenceOverlay().decorate(ids=ids, user=editor)
    assert set(overlay.cards) == set(ids.cards) and set(overlay.steps) == set(ids.steps)
    levels = [d.data["level"] for d in overlay.cards.values()]
    assert levels.count("weak") == 3 and levels.count("assumption") == cards - 3
    weak = next(d for d in overlay.cards.values() if d.data["level"] == "weak")
    assert (weak.label, weak.tone, weak.icon, weak.data["supporting"]) == ("Weak", "neutral", "dot", 1)


def test_the_headline_is_the_share_of_validated_pain_points_and_opportunities(workspace, admin, make):
    journey = factories.make_map(factories.make_journey(workspace, by=admin), lanes=5, cards=40)
    pains = list(journey.cards.filter(lane__kind__in=[LaneKind.PAIN_POINTS, LaneKind.OPPORTUNITIES]))
    assert len(pains) == 16
    pain = pains[0]
    make(pain, participant="P1")
    make(pain, study_name="Survey", method="survey")
    overlay = EvidenceOverlay().decorate(
        ids=MapIds(journey=journey.pk, stages=(), steps=(), cards=tuple(c.pk for c in journey.cards.all())),
        user=None,
    )
    share = round(100 / len(pains))
    assert overlay.headline.label == f"{share}% validated"
    assert overlay.headline.data == {"validated": 1, "of": len(pains), "percent": share}


def test_without_a_capture_date_an_item_counts_from_the_day_it_was_entered(journey, workspace, admin):
    card = first_card(journey)
    evidence = services.evidence_create(workspace_id=workspace.pk, by=admin, text="Undated, entered long ago")
    services.link_create(evidence_id=evidence.pk, by=admin, card=card.pk)
    entered = datetime.datetime(2023, 3, 1, 23, 30, tzinfo=datetime.UTC)
    Evidence.objects.filter(pk=evidence.pk).update(created_at=entered)  # as if entered then
    assert map_confidence(journey_id=journey.pk, today=TODAY).cards[card.pk].supporting.points == 0.5
    assert explain(card, today=TODAY).supporting["points"] == 0.5
    Evidence.objects.filter(pk=evidence.pk).update(
        created_at=datetime.datetime(2026, 5, 1, tzinfo=datetime.UTC)
    )
    assert map_confidence(journey_id=journey.pk, today=TODAY).cards[card.pk].supporting.points == 1.0
