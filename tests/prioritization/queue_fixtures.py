"""Fixtures of the queue tests (imported by name into test_queue*.py): a small portfolio on the personas'
workspace (tests/conftest.py) with scores made through the scoring services, and `bulk_queue` for the
query-count tests (thousands of scored cards written in bulk, figures from prioritization/scoring.py)."""

import itertools
import random
from dataclasses import dataclass

import pytest

from accounts.models import Role
from journeys.models import Card, Journey, LaneKind, Stage, StandardStage, Visibility
from prioritization import scoring, services
from prioritization.models import Initiative, InitiativeCard, Score, ScoreRevision, Status
from tests import factories

KINDS = (LaneKind.PAIN_POINTS, LaneKind.OPPORTUNITIES)
# Customer impact, business impact, effort (lower is better), strategic alignment: the default model v1.
# Composite, impact, effort (prioritization/scoring.py) in the comments.
HIGH = {"customer_impact": 5, "business_impact": 5, "effort": 1, "strategic_alignment": 5}  # 100, 100, 0
QUICK = {"customer_impact": 4, "business_impact": 4, "effort": 2, "strategic_alignment": 3}  # 70, 68.75, 25
BIG = {"customer_impact": 5, "business_impact": 4, "effort": 5, "strategic_alignment": 4}  # 67.5, 84.38, 100
FILL = {"customer_impact": 2, "business_impact": 1, "effort": 1, "strategic_alignment": 2}  # 32.5, 15.63, 0
PIT = {"customer_impact": 1, "business_impact": 2, "effort": 4, "strategic_alignment": 1}  # 12.5, 9.38, 75
PART = {"customer_impact": 3}  # part-scored: no composite


def scored_kinds_map(journey, cards=40):
    """Lanes: emotions, actions, touchpoints, pain points, opportunities; `cards` spread over the cells
    (2 stages × 2 steps): 40 cards put 8 pain points and 8 opportunities on the map."""
    factories.make_map(journey, lanes=5, cards=cards)
    return journey


def cards_of(journey, kind=None):
    kinds = [kind] if kind else list(KINDS)
    return list(Card.objects.filter(journey=journey, lane__kind__in=kinds).order_by("pk"))


def score(card, by, values):
    return services.score_set(card_id=card.pk, by=by, values=dict(values))


def initiative(workspace, by, cards, status=Status.PROPOSED, title=None):
    """An initiative addressing `cards` in `status` (rows written directly: the initiative services are
    tested in test_initiatives*.py; the queue only reads the links and the status)."""
    made = Initiative.objects.create(
        workspace=workspace, title=title or f"Initiative {status}", status=status
    )
    InitiativeCard.objects.bulk_create(
        InitiativeCard(initiative=made, card=card, added_by=by) for card in cards
    )
    return made


@dataclass
class Portfolio:
    lifecycle: Journey  # root, owner admin, tags B2B and Core
    onboarding: Journey  # child of lifecycle, owner editor, tag Onboarding
    setup: Journey  # child of onboarding
    secret: Journey  # restricted child of lifecycle
    pricing: Journey  # workspace-visible child of the restricted journey
    archived: Journey
    template: Journey
    elsewhere: Journey  # another workspace's


@pytest.fixture
def portfolio(workspace, admin, editor, outsider):
    def make(title, **fields):
        return scored_kinds_map(factories.make_journey(workspace, by=admin, title=title, **fields))

    lifecycle = make("Lifecycle", tags=["B2B", "Core"])
    onboarding = make("Onboarding", parent=lifecycle, owner=editor, tags=["Onboarding"], level="sub-journey")
    setup = make("Setup", parent=onboarding, level="micro")
    secret = make("Secret pricing", parent=lifecycle, visibility=Visibility.RESTRICTED, tags=["Hidden tag"])
    pricing = make("Pricing page", parent=secret, tags=["Pricing"])
    archived = make("Old journey", archived=True)
    template = make("Template", is_template=True)
    other = factories.make_workspace("Elsewhere", admin=factories.make_user("erin"))
    elsewhere = scored_kinds_map(factories.make_journey(other, title="Elsewhere"))
    # The first stage of each map is Onboarding, the second Engagement, in the standard framework.
    Stage.objects.filter(position=0).update(standard_stage=StandardStage.ONBOARDING)
    Stage.objects.filter(position=1).update(standard_stage=StandardStage.ENGAGEMENT)
    return Portfolio(lifecycle, onboarding, setup, secret, pricing, archived, template, elsewhere)


# ---------------------------------------------------------------------------------------------- bulk


def bulk_queue(
    workspace, owner, *, journeys: int, cards_per_journey: int, seed: int = 7, under: Journey | None = None
) -> list[Journey]:
    """`journeys` journeys (a tree: every tenth a root, under `under` when given) of about
    `cards_per_journey` pain-point and opportunity cards each (and more in three other lanes), 90 % scored
    under the current model (some with importance and satisfaction), the rest unscored; written in bulk."""
    rng = random.Random(seed)
    model = services.scoring_model_ensure_default(workspace_id=workspace.pk)
    criteria = list(model.criteria.all())
    made = []
    for n in range(journeys):
        parent = made[(n // 10) * 10] if n % 10 else under
        journey = Journey.objects.create(
            workspace=workspace, owner=owner, title=f"Bulk journey {n:04d}", parent=parent, tags=[f"t{n % 5}"]
        )
        # Five lanes, two of them scored: cards_per_journey pain points and opportunities.
        factories.make_map(journey, lanes=5, cards=cards_per_journey * 5 // 2, emotion_lane=True)
        made.append(journey)
    Stage.objects.filter(journey__in=made, position=0).update(standard_stage=StandardStage.ONBOARDING)
    Stage.objects.filter(journey__in=made, position=1).update(standard_stage=StandardStage.ENGAGEMENT)
    cards = Card.objects.filter(journey__in=made, lane__kind__in=KINDS).order_by("pk")
    scores = []
    for card in cards.iterator():
        if rng.random() < 0.1:
            continue
        values = {c.key: rng.randint(1, 5) for c in criteria}
        figures = scoring.figures(criteria, values)
        scores.append(
            Score(
                card=card,
                model=model,
                values=values,
                composite=figures.composite,
                impact=figures.impact,
                effort=figures.effort,
                importance=rng.choice((None, 6, 8)),
                satisfaction=rng.choice((None, 3, 7)),
                scored_by=owner,
            )
        )
    Score.objects.bulk_create(scores, batch_size=2_000)
    ScoreRevision.objects.bulk_create(
        (
            ScoreRevision(card_id=s.card_id, model=model, values=s.values, composite=s.composite)
            for s in scores
        ),
        batch_size=2_000,
    )
    return made


def a_member(workspace, role=Role.VIEWER):
    return factories.add_member(workspace, factories.make_user(f"member{next(_members)}"), role)


_members = itertools.count(1)
