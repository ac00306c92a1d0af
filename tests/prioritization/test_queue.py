"""The queue selector (prioritization/queue.py): which cards, in what order, under which filters, with which
figures — and never a hidden journey's card, count or filter choice."""

import datetime
from decimal import Decimal

import pytest

from journeys import services as journey_services
from journeys.models import Card, LaneKind, StandardStage
from prioritization import scoring, services
from prioritization.models import Score, Status
from prioritization.queue import Filters, queue, queue_scope
from prioritization.selectors import NOT_PLANNED, delivery_for_cards
from research import services as research_services
from research.confidence import Level, map_confidence

from .queue_fixtures import *  # noqa: F403 (fixtures)
from .queue_fixtures import BIG, FILL, HIGH, PART, PIT, QUICK, cards_of, initiative, score
from .scoring_fixtures import change_model


def ids(q):
    return list(q.ids())


def rows(q, limit=None):
    """The queue's cards with every figure, in its order (the first `limit`)."""
    return q.rows(q.ids()[:limit] if limit else q.ids())


def scored_ids(q):
    return [pk for pk, composite in q.ranked.values_list("pk", "score__composite") if composite is not None]


def visible_scored_cards(p, *journeys):
    return {c.pk for j in journeys for c in cards_of(j)}


# ---------------------------------------------------------------------------------------------- which cards


def test_every_pain_point_and_opportunity_of_visible_journeys_scored_or_not(portfolio, admin, viewer):
    p = portfolio
    score(cards_of(p.lifecycle)[0], admin, HIGH)
    seen = set(ids(queue(user=viewer, workspace_id=p.lifecycle.workspace_id)))
    # Visible, active, not templates: lifecycle, onboarding, setup, pricing (its parent is hidden from the
    # viewer, the journey itself is not). Never the restricted one, archived, template or elsewhere.
    assert seen == visible_scored_cards(p, p.lifecycle, p.onboarding, p.setup, p.pricing)
    kinds = set(Card.objects.filter(pk__in=seen).values_list("lane__kind", flat=True))
    assert kinds == {LaneKind.PAIN_POINTS, LaneKind.OPPORTUNITIES}


def test_the_restricted_journey_shows_to_those_who_may_see_it(portfolio, admin, viewer, outsider):
    p = portfolio
    workspace_id = p.lifecycle.workspace_id
    everything = visible_scored_cards(p, p.lifecycle, p.onboarding, p.setup, p.secret, p.pricing)
    assert set(ids(queue(user=admin, workspace_id=workspace_id))) == everything
    journey_services.journey_grant_set(journey_id=p.secret.pk, by=admin, grantee=viewer, level="view")
    assert set(ids(queue(user=viewer, workspace_id=workspace_id))) == everything
    assert ids(queue(user=outsider, workspace_id=workspace_id)) == []


def test_scope_offers_only_what_visible_journeys_have(portfolio, viewer, admin, editor):
    p = portfolio
    scope = queue_scope(user=viewer, workspace_id=p.lifecycle.workspace_id)
    titles = [(j.title, j.depth) for j in scope.journeys]
    # Hierarchy order; the pricing page's parent is hidden, so it stands at the top level.
    assert titles == [("Lifecycle", 0), ("Onboarding", 1), ("Setup", 2), ("Pricing page", 0)]
    assert scope.tags == ["B2B", "Core", "Onboarding", "Pricing"]  # not "Hidden tag"
    assert [name for _, name in scope.owners] == ["Alice Admin", "Bob"]
    admin_scope = queue_scope(user=admin, workspace_id=p.lifecycle.workspace_id)
    assert "Hidden tag" in admin_scope.tags
    assert [j.title for j in admin_scope.journeys] == [
        "Lifecycle", "Onboarding", "Setup", "Secret pricing", "Pricing page",
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------------- order


def test_ranked_by_priority_unscored_and_part_scored_last(portfolio, admin, viewer):
    p = portfolio
    a, b, c, d, e = cards_of(p.lifecycle)[:5]
    score(a, admin, FILL)  # 32.5
    score(b, admin, HIGH)  # 100
    score(c, admin, QUICK)  # 70
    score(d, admin, PART)  # no composite
    q = queue(user=viewer, workspace_id=p.lifecycle.workspace_id)
    order = ids(q)
    assert order[:3] == [b.pk, c.pk, a.pk]
    assert order.index(d.pk) > 2 and e.pk in order[3:]
    # The rest keep a stable order (newest card first) so pages never overlap.
    rest = order[3:]
    assert rest == sorted(rest, reverse=True)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("impact", ["high", "big", "quick", "fill", "pit"]),  # 100, 84.38, 68.75, 15.63, 9.38
        ("effort", ["high", "fill", "quick", "pit", "big"]),  # 0, 0, 25, 75, 100; ties by priority
        ("composite", ["high", "quick", "big", "fill", "pit"]),  # 100, 70, 67.5, 32.5, 12.5
        ("priority", ["high", "quick", "big", "fill", "pit"]),
    ],
)
def test_sorts_by_the_score_figures(portfolio, admin, viewer, sort, expected):
    p = portfolio
    cards = dict(zip(["high", "big", "quick", "fill", "pit"], cards_of(p.lifecycle), strict=False))
    for name, values in (("high", HIGH), ("big", BIG), ("quick", QUICK), ("fill", FILL), ("pit", PIT)):
        score(cards[name], admin, values)
    q = queue(user=viewer, workspace_id=p.lifecycle.workspace_id, filters=Filters(sort=sort))
    names = {card.pk: name for name, card in cards.items()}
    assert [names[pk] for pk in scored_ids(q)] == expected


def test_sort_by_opportunity_score_evidence_journey_and_updated(portfolio, admin, viewer, workspace):
    p = portfolio
    a, b, c = cards_of(p.setup)[:3]
    services.score_set(card_id=a.pk, by=admin, values=QUICK, importance=8, satisfaction=7)  # 9
    services.score_set(card_id=b.pk, by=admin, values=QUICK, importance=7, satisfaction=2)  # 12
    services.score_set(card_id=c.pk, by=admin, values=QUICK, importance=9)  # no satisfaction: none
    got = queue(
        user=viewer, workspace_id=workspace.pk, filters=Filters(sort="opportunity", journey=p.setup.pk)
    )
    found = rows(got)
    assert [r.pk for r in found[:2]] == [b.pk, a.pk]
    assert {r.pk: r.opportunity for r in found[:3]} == {
        b.pk: Decimal("12.00"), a.pk: Decimal("9.00"), c.pk: None,
    }  # fmt: skip
    assert found[0].opportunity == scoring.opportunity(Decimal(7), Decimal(2))

    study = research_services.study_create(
        workspace_id=workspace.pk, by=admin, title="Calls", method="interviews"
    )
    for n in range(3):
        evidence = research_services.evidence_create(
            workspace_id=workspace.pk, by=admin, text=f"Said {n}", study=study.pk
        )
        research_services.link_create(evidence_id=evidence.pk, by=admin, card=c.pk)
        if n < 2:
            research_services.link_create(evidence_id=evidence.pk, by=admin, card=a.pk, stance="contradicts")
    got = queue(user=viewer, workspace_id=workspace.pk, filters=Filters(sort="evidence", journey=p.setup.pk))
    found = rows(got)
    assert [(r.pk, r.evidence_count) for r in found[:2]] == [(c.pk, 3), (a.pk, 2)]

    got = queue(user=viewer, workspace_id=workspace.pk, filters=Filters(sort="journey"))
    titles = [r.journey.title for r in rows(got)]
    assert titles == sorted(titles) and titles[0] == "Lifecycle"

    journey_services.card_update(card_id=b.pk, by=admin, text="Edited just now")
    got = queue(user=viewer, workspace_id=workspace.pk, filters=Filters(sort="updated"))
    assert ids(got)[0] == b.pk


# ---------------------------------------------------------------------------------------------- filters


def test_journey_filter_takes_sub_journeys_through_visible_ones(portfolio, viewer, admin, workspace):
    p = portfolio

    def under(user, journey):
        return set(ids(queue(user=user, workspace_id=workspace.pk, filters=Filters(journey=journey.pk))))

    assert under(viewer, p.lifecycle) == visible_scored_cards(p, p.lifecycle, p.onboarding, p.setup)
    assert under(viewer, p.onboarding) == visible_scored_cards(p, p.onboarding, p.setup)
    # The pricing page sits under the restricted journey: the viewer reaches it on its own, not through it.
    assert under(viewer, p.pricing) == visible_scored_cards(p, p.pricing)
    assert under(viewer, p.secret) == set()  # hidden: nothing, the same as a journey that does not exist
    assert under(viewer, p.elsewhere) == set()
    assert under(admin, p.lifecycle) == visible_scored_cards(
        p, p.lifecycle, p.onboarding, p.setup, p.secret, p.pricing
    )


def test_stage_kind_owner_and_tag_filters(portfolio, viewer, editor, workspace):
    p = portfolio

    def found(**filters):
        return set(ids(queue(user=viewer, workspace_id=workspace.pk, filters=Filters(**filters))))

    everything = found()
    onboarding_stage = found(stage=StandardStage.ONBOARDING)
    engagement_stage = found(stage=StandardStage.ENGAGEMENT)
    assert onboarding_stage and engagement_stage and onboarding_stage | engagement_stage == everything
    assert not onboarding_stage & engagement_stage
    assert found(stage=StandardStage.ADVOCACY) == set()
    assert set(
        Card.objects.filter(pk__in=onboarding_stage).values_list("step__stage__standard_stage", flat=True)
    ) == {StandardStage.ONBOARDING}
    pain = found(kind=LaneKind.PAIN_POINTS)
    assert pain and set(Card.objects.filter(pk__in=pain).values_list("lane__kind", flat=True)) == {
        LaneKind.PAIN_POINTS
    }
    assert pain | found(kind=LaneKind.OPPORTUNITIES) == everything
    assert found(owner=editor.pk) == visible_scored_cards(p, p.onboarding)
    assert found(tag="Core") == visible_scored_cards(p, p.lifecycle)
    assert found(tag="Hidden tag") == set()


def test_unscored_and_stale_filters(portfolio, admin, viewer, workspace):
    p = portfolio
    a, b, c = cards_of(p.lifecycle)[:3]
    score(a, admin, HIGH)
    score(b, admin, PART)
    everything = set(ids(queue(user=viewer, workspace_id=workspace.pk)))
    unscored = set(ids(queue(user=viewer, workspace_id=workspace.pk, filters=Filters(unscored=True))))
    assert unscored == everything - {a.pk}  # the part-scored card has no composite yet: unscored
    assert ids(queue(user=viewer, workspace_id=workspace.pk, filters=Filters(stale=True))) == []
    change_model(workspace, admin, effort={"weight": 3})
    score(c, admin, QUICK)  # under v2
    stale = queue(user=viewer, workspace_id=workspace.pk, filters=Filters(stale=True))
    assert set(ids(stale)) == {a.pk, b.pk}
    assert all(row.stale for row in rows(stale))
    fresh = next(row for row in rows(queue(user=viewer, workspace_id=workspace.pk)) if row.pk == c.pk)
    assert fresh.stale is False


def test_delivery_status_filter_follows_the_one_rule(portfolio, admin, viewer, workspace):
    p = portfolio
    a, b, c, d, e = cards_of(p.lifecycle)[:5]
    initiative(workspace, admin, [a, b], Status.PLANNED)
    initiative(workspace, admin, [b], Status.SHIPPED)  # b: shipped wins over planned
    initiative(workspace, admin, [c], Status.DROPPED)  # c: dropped counts for nothing
    initiative(workspace, admin, [d, c], Status.IN_PROGRESS)
    initiative(workspace, admin, [e], Status.MEASURED)
    everything = ids(queue(user=viewer, workspace_id=workspace.pk))
    rule = delivery_for_cards(everything)
    for status in [NOT_PLANNED, *Status.values]:
        if status == Status.DROPPED:
            continue
        found = ids(queue(user=viewer, workspace_id=workspace.pk, filters=Filters(status=status)))
        assert set(found) == {pk for pk, info in rule.items() if info.status == status}, status
    assert rule[b.pk].status == Status.SHIPPED and rule[c.pk].status == Status.IN_PROGRESS


def test_confidence_filter_and_levels_agree_with_research(portfolio, admin, viewer, workspace):
    p = portfolio
    a, b, c = cards_of(p.onboarding)[:3]
    studies = [
        research_services.study_create(workspace_id=workspace.pk, by=admin, title=f"S{n}", method=m)
        for n, m in enumerate(("interviews", "survey"))
    ]
    for n in range(4):  # a: two studies, 4 points, two methods: strong
        evidence = research_services.evidence_create(
            workspace_id=workspace.pk, by=admin, text=f"Strong {n}", study=studies[n % 2].pk
        )
        research_services.link_create(evidence_id=evidence.pk, by=admin, card=a.pk)
    evidence = research_services.evidence_create(workspace_id=workspace.pk, by=admin, text="One")
    research_services.link_create(evidence_id=evidence.pk, by=admin, card=b.pk)  # weak
    research_services.link_create(evidence_id=evidence.pk, by=admin, card=c.pk, stance="contradicts")
    expected = {}
    for journey in (p.lifecycle, p.onboarding, p.setup, p.pricing):
        levels = map_confidence(journey_id=journey.pk).cards
        expected.update({card.pk: levels[card.pk].level for card in cards_of(journey)})
    levels = {row.pk: row.confidence for row in rows(queue(user=viewer, workspace_id=workspace.pk))}
    assert levels == expected
    assert (levels[a.pk], levels[b.pk], levels[c.pk]) == (Level.STRONG, Level.WEAK, Level.ASSUMPTION)
    for level in Level.values:
        found = ids(queue(user=viewer, workspace_id=workspace.pk, filters=Filters(confidence=level)))
        assert set(found) == {pk for pk, lv in expected.items() if lv == level}, level


def test_priority_applies_the_confidence_factor_when_the_model_uses_it(portfolio, admin, viewer, workspace):
    p = portfolio
    a, b = cards_of(p.lifecycle)[:2]
    score(a, admin, QUICK)  # 70
    score(b, admin, BIG)  # 67.5
    evidence = research_services.evidence_create(workspace_id=workspace.pk, by=admin, text="Seen")
    research_services.link_create(evidence_id=evidence.pk, by=admin, card=b.pk)  # b weak, a assumption
    change_model(workspace, admin, use_confidence=True)
    # Still under v1 (no confidence): ranked by composite.
    top = rows(queue(user=viewer, workspace_id=workspace.pk), 2)
    assert [(r.pk, r.priority) for r in top] == [(a.pk, Decimal("70.00")), (b.pk, Decimal("67.50"))]
    score(a, admin, QUICK)
    score(b, admin, BIG)
    top = rows(queue(user=viewer, workspace_id=workspace.pk), 2)
    # Re-scored under v2, which uses confidence: 67.5 × 0.7 = 47.25 (weak) ranks above 70 × 0.5 = 35.
    assert [(r.pk, r.priority) for r in top] == [(b.pk, Decimal("47.25")), (a.pk, Decimal("35.00"))]
    assert top[0].priority == scoring.priority(Decimal("67.5"), use_confidence=True, level=Level.WEAK)
    composite_first = list(
        rows(queue(user=viewer, workspace_id=workspace.pk, filters=Filters(sort="composite")), 2)
    )
    assert [r.pk for r in composite_first] == [a.pk, b.pk]


def test_matrix_counts_by_quadrant(portfolio, admin, viewer, workspace):
    p = portfolio
    for card, values in zip(cards_of(p.lifecycle), (HIGH, QUICK, BIG, FILL, PIT, PIT, PART), strict=False):
        score(card, admin, values)
    counts = queue(user=viewer, workspace_id=workspace.pk).matrix_counts()
    total = len(ids(queue(user=viewer, workspace_id=workspace.pk)))
    assert counts == {
        "quick_wins": 2, "big_bets": 1, "fill_ins": 1, "money_pits": 2, "unplaced": total - 6,
    }  # fmt: skip
    for row in rows(queue(user=viewer, workspace_id=workspace.pk)):
        score_row = Score.objects.filter(card_id=row.pk).first()
        expected = scoring.quadrant(score_row.impact, score_row.effort) if score_row else None
        assert row.quadrant == expected


def test_filters_know_whether_they_filter():
    assert not Filters().is_filtered and not Filters(sort="impact").is_filtered
    assert Filters(unscored=True).is_filtered and Filters(tag="x").is_filtered


def test_today_moves_the_recency_cutoff(workspace, viewer):
    got = queue(user=viewer, workspace_id=workspace.pk, today=datetime.date(2026, 11, 30))
    assert got.cutoff == datetime.date(2025, 5, 30)  # 18 months before


def test_the_ranking_and_export_read_the_same_figures_as_a_page(portfolio, admin, viewer, workspace):
    """The ranking and the export read levels and delivery from sets (hashed once for many cards), a page's
    rows from subqueries per card: the same rules, the same figures — with and without the confidence
    factor."""
    p = portfolio
    cards = cards_of(p.lifecycle) + cards_of(p.onboarding)
    values = (HIGH, QUICK, BIG, FILL, PIT, PART)
    for n, card in enumerate(cards[:12]):
        score(card, admin, values[n % len(values)])
    study = research_services.study_create(workspace_id=workspace.pk, by=admin, title="S", method="survey")
    for n in range(10):
        evidence = research_services.evidence_create(
            workspace_id=workspace.pk,
            by=admin,
            text=f"E{n}",
            study=study.pk if n % 2 else None,
            participant=f"P{n}",
        )
        for card in cards[n % 4 : 12 : 2 + n % 3]:
            stance = "contradicts" if (n + card.pk) % 5 == 0 else "supports"
            research_services.link_create(evidence_id=evidence.pk, by=admin, card=card.pk, stance=stance)
    initiative(workspace, admin, cards[:3], Status.PLANNED)
    initiative(workspace, admin, cards[2:5], Status.SHIPPED)
    initiative(workspace, admin, cards[6:8], Status.DROPPED)
    figures = (
        "confidence",
        "evidence_count",
        "delivery_rank",
        "priority",
        "quadrant",
        "stale",
        "opportunity",
    )
    for use_confidence in (False, True):
        if use_confidence:
            change_model(workspace, admin, use_confidence=True)
            for n, card in enumerate(cards[:12]):
                score(card, admin, values[(n + 1) % len(values)])
        q = queue(user=viewer, workspace_id=workspace.pk)
        assert q.uses_confidence is use_confidence
        page = {row.pk: row for row in rows(q)}
        exported = list(q.export_rows())
        assert [row["pk"] for row in exported] == ids(q)
        for row in exported:
            card = page[row["pk"]]
            assert {name: row[name] for name in figures} == {name: getattr(card, name) for name in figures}
        assert len({row["confidence"] for row in exported}) >= 3
        ranked = [card.priority for card in rows(q) if card.priority is not None]
        assert ranked == sorted(ranked, reverse=True)
