"""Structure across journeys: copies, future states, templates, sub-journeys, the breadcrumb, comparison
of current and future, present mode and saved views."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from journeys import services
from journeys.models import (
    Activity,
    Card,
    Journey,
    JourneyLevel,
    JourneyState,
    LaneKind,
    SavedView,
    Stage,
    StandardStage,
    Visibility,
)
from journeys.services import structure
from tests import factories


def _structure_of(journey):
    """Stages with their step titles, lanes, and cards by (lane title, step title), all in order."""
    stages = [
        (
            s.position,
            s.title,
            s.standard_stage,
            [(st.position, st.title, st.sub_journey_id) for st in s.steps.all()],
        )
        for s in journey.stages.order_by("position").prefetch_related("steps")
    ]
    lanes = list(journey.lanes.order_by("position").values_list("position", "title", "kind"))
    cards = list(
        journey.cards.order_by(
            "lane__position", "step__stage__position", "step__position", "position"
        ).values_list("lane__title", "step__title", "position", "text", "emotion_score", "channel")
    )
    return stages, lanes, cards


# ---------------------------------------------------------------------------------------------- copies


def test_copy_with_cards_preserves_order_and_counts(journey, editor):
    linked = factories.make_journey(journey.workspace, title="Sign-up detail")
    step = journey.steps.order_by("stage__position", "position").last()
    services.step_update(step_id=step.pk, by=journey.owner, sub_journey=linked)
    # Reorder something so positions are not simply creation order.
    first_lane = journey.lanes.order_by("position").first()
    services.lane_move(lane_id=first_lane.pk, by=editor, position=2)

    copy = structure.journey_copy(
        journey_id=journey.pk, by=editor, title="  Lifecycle (copy) ", with_cards=True
    )

    assert copy.pk != journey.pk and copy.title == "Lifecycle (copy)"
    assert copy.owner == editor and copy.workspace_id == journey.workspace_id
    assert copy.state == JourneyState.CURRENT and copy.current_state_of is None and not copy.is_template
    assert _structure_of(copy) == _structure_of(journey)
    assert copy.cards.count() == journey.cards.count() == 10
    # The sub-journey link is copied, and the copy's elements are its own rows.
    assert copy.steps.filter(sub_journey=linked).count() == 1
    assert not Card.objects.filter(journey=copy, lane__journey=journey).exists()
    assert not Card.objects.filter(journey=copy, step__journey=journey).exists()
    assert Activity.objects.filter(journey=copy, verb="created").exists()
    assert Activity.objects.filter(journey=journey, verb="copied", target_id=copy.pk).exists()


def test_copy_without_cards_keeps_structure_only(journey, editor):
    copy = structure.journey_copy(journey_id=journey.pk, by=editor, title="Skeleton", with_cards=False)
    stages, lanes, cards = _structure_of(copy)
    source_stages, source_lanes, _ = _structure_of(journey)
    assert (stages, lanes) == (source_stages, source_lanes)
    assert cards == [] and journey.cards.count() == 10


def test_copy_as_future_state_links_back(journey, editor):
    parent = factories.make_journey(journey.workspace, title="Everything")
    future = structure.journey_copy(
        journey_id=journey.pk, by=editor, title="Lifecycle 2026", as_future_state=True, parent=parent.pk
    )
    assert future.state == JourneyState.FUTURE
    assert future.current_state_of == journey and future.parent == parent
    assert list(journey.future_states.all()) == [future]
    # An alternative future made from the future still belongs to the same current state.
    other = structure.journey_copy(journey_id=future.pk, by=editor, title="Plan B", as_future_state=True)
    assert other.current_state_of == journey


def test_copy_query_count_is_constant(journey, editor, django_assert_num_queries):
    big = factories.make_journey(journey.workspace, title="Big")
    factories.make_map(big, stages=10, steps_per_stage=5, lanes=10, cards=500)
    # savepoint; lock source (role and grants in it), workspace; full_clean: workspace, owner, updated_by
    # exist, owner is a member (the CHECK constraints are left to the database); insert journey; stages,
    # steps, lanes, cards (read + bulk insert each: 8); activity on the copy and on the source; release.
    copies = []
    for source in (journey, big):
        with django_assert_num_queries(19):
            copies.append(
                structure.journey_copy(journey_id=source.pk, by=editor, title="Copy", with_cards=True)
            )
    assert [c.cards.count() for c in copies] == [10, 500]


def test_copy_rejects_blank_title_and_writes_nothing(journey, editor):
    before = Journey.objects.count()
    with pytest.raises(ValidationError) as exc:
        structure.journey_copy(journey_id=journey.pk, by=editor, title="   ")
    assert "title" in exc.value.message_dict
    assert Journey.objects.count() == before


def test_copy_rejects_parent_from_elsewhere(journey, editor, outsider):
    foreign = factories.make_journey(outsider.memberships.get().workspace, by=outsider, title="Theirs")
    with pytest.raises(ValidationError) as exc:
        structure.journey_copy(journey_id=journey.pk, by=editor, title="Copy", parent=foreign.pk)
    assert "parent" in exc.value.message_dict


def test_copy_permissions(journey, restricted_journey, viewer, editor, manager, outsider, admin):
    with pytest.raises(PermissionDenied):
        structure.journey_copy(journey_id=journey.pk, by=viewer, title="Nope")
    with pytest.raises(PermissionDenied):  # manages the journey, but a viewer in the workspace
        structure.journey_copy(journey_id=journey.pk, by=manager, title="Nope")
    with pytest.raises(Http404):
        structure.journey_copy(journey_id=journey.pk, by=outsider, title="Nope")
    with pytest.raises(Http404):  # the editor cannot see the restricted journey at all
        structure.journey_copy(journey_id=restricted_journey.pk, by=editor, title="Nope")
    assert not Journey.objects.filter(title="Nope").exists()


def test_copy_of_restricted_journey_stays_restricted_with_same_audience(
    restricted_journey, manager, admin, editor
):
    copy = structure.journey_copy(journey_id=restricted_journey.pk, by=admin, title="Confidential copy")
    assert copy.visibility == Visibility.RESTRICTED
    visible_to_editor = Journey.objects.visible_to(editor)
    assert not visible_to_editor.filter(pk=copy.pk).exists()
    assert Journey.objects.visible_to(manager).filter(pk=copy.pk).exists()


# ---------------------------------------------------------------------------------------------- templates


def test_template_mark_and_create_from_template(journey, editor, manager, admin):
    with pytest.raises(PermissionDenied):  # editors edit maps; offering one as a template is a manager's call
        structure.journey_template_set(journey_id=journey.pk, by=editor, is_template=True)
    structure.journey_template_set(journey_id=journey.pk, by=manager, is_template=True)
    journey.refresh_from_db()
    assert journey.is_template
    assert list(structure.templates_of(user=editor, workspace=journey.workspace)) == [journey]

    new = structure.journey_create_from_template(
        template_id=journey.pk, by=editor, title="Checkout journey", with_cards=False
    )
    assert not new.is_template and new.owner == editor
    assert new.stages.count() == journey.stages.count() and new.cards.count() == 0

    structure.journey_template_set(journey_id=journey.pk, by=admin, is_template=False)
    assert list(structure.templates_of(user=editor, workspace=journey.workspace)) == []
    with pytest.raises(ValidationError) as exc:
        structure.journey_create_from_template(template_id=journey.pk, by=editor, title="Again")
    assert "template" in exc.value.message_dict


# ---------------------------------------------------------------------------------------------- sub-journeys


def test_sub_journey_from_step_links_and_sets_level_and_parent(journey, editor):
    step = journey.steps.order_by("stage__position", "position").first()
    revision = journey.revision
    child = structure.sub_journey_create_from_step(step_id=step.pk, by=editor, from_framework=True)
    step.refresh_from_db()
    journey.refresh_from_db()
    assert step.sub_journey == child
    assert child.title == step.title and child.parent == journey and child.owner == editor
    assert child.level == JourneyLevel.SUB_JOURNEY and child.workspace_id == journey.workspace_id
    assert child.stages.count() == len(StandardStage) and child.lanes.exists()
    assert journey.revision == revision + 1
    assert Activity.objects.filter(journey=journey, verb="linked", target_id=step.pk).exists()

    micro_step = child.steps.order_by("stage__position", "position").first()
    micro = structure.sub_journey_create_from_step(step_id=micro_step.pk, by=editor, title="Password reset")
    assert micro.level == JourneyLevel.MICRO and micro.parent == child and micro.title == "Password reset"
    deepest = services.stage_create(journey_id=micro.pk, by=editor, title="Request link").steps.get()
    with pytest.raises(ValidationError) as exc:
        structure.sub_journey_create_from_step(step_id=deepest.pk, by=editor)
    assert "step" in exc.value.message_dict


def test_sub_journey_refuses_a_linked_step_and_writes_nothing(journey, editor):
    step = journey.steps.order_by("stage__position", "position").first()
    structure.sub_journey_create_from_step(step_id=step.pk, by=editor, title="Detail")
    count = Journey.objects.count()
    with pytest.raises(ValidationError) as exc:
        structure.sub_journey_create_from_step(step_id=step.pk, by=editor, title="Another")
    assert "step" in exc.value.message_dict and Journey.objects.count() == count


def test_sub_journey_inherits_visibility(restricted_journey, manager, admin, editor):
    step = restricted_journey.steps.first()
    child = structure.sub_journey_create_from_step(step_id=step.pk, by=admin, title="Confidential detail")
    assert child.visibility == Visibility.RESTRICTED
    assert not Journey.objects.visible_to(editor).filter(pk=child.pk).exists()
    assert Journey.objects.visible_to(manager).filter(pk=child.pk).exists()


def test_sub_journey_permissions(journey, restricted_journey, viewer, manager, outsider, editor):
    step = journey.steps.first()
    with pytest.raises(PermissionDenied):
        structure.sub_journey_create_from_step(step_id=step.pk, by=viewer)
    with pytest.raises(PermissionDenied):
        structure.sub_journey_create_from_step(step_id=step.pk, by=manager)
    with pytest.raises(Http404):
        structure.sub_journey_create_from_step(step_id=step.pk, by=outsider)
    with pytest.raises(Http404):
        structure.sub_journey_create_from_step(step_id=restricted_journey.steps.first().pk, by=editor)
    step.refresh_from_db()
    assert step.sub_journey_id is None


# ---------------------------------------------------------------------------------------------- ancestors


def _chain(workspace, depth):
    journeys = [factories.make_journey(workspace, title="Level 0")]
    for i in range(1, depth):
        journeys.append(factories.make_journey(workspace, title=f"Level {i}", parent=journeys[-1]))
    return journeys


def test_ancestors_outermost_first_in_one_query(workspace, editor, django_assert_num_queries):
    chain = _chain(workspace, 4)
    with django_assert_num_queries(1):  # the parent with its parent and grandparent joined
        ancestors = structure.journey_ancestors(journey=chain[-1], user=editor)
    assert ancestors == chain[:-1]
    with django_assert_num_queries(0):
        assert structure.journey_ancestors(journey=chain[0], user=editor) == []


def test_ancestors_deeper_than_three_take_one_more_query(workspace, editor, django_assert_num_queries):
    chain = _chain(workspace, 6)
    with django_assert_num_queries(2):
        assert structure.journey_ancestors(journey=chain[-1], user=editor) == chain[:-1]


def test_ancestors_leave_out_what_the_user_cannot_see(workspace, admin, editor):
    top = factories.make_journey(workspace, title="Secret programme", visibility=Visibility.RESTRICTED)
    middle = factories.make_journey(workspace, title="Onboarding", parent=top)
    leaf = factories.make_journey(workspace, title="Verify email", parent=middle)
    assert structure.journey_ancestors(journey=leaf, user=editor) == [middle]
    assert structure.journey_ancestors(journey=leaf, user=admin) == [top, middle]
    assert structure.journey_ancestors(journey=leaf) == [top, middle]


# ---------------------------------------------------------------------------------------------- compare


def _stage(journey, title, position, standard=""):
    return Stage(journey=journey, title=title, position=position, standard_stage=standard)


def test_align_stages_by_standard_title_then_position(workspace):
    j = Journey(pk=1, workspace=workspace)
    left = [
        _stage(j, "Discover", 0, "awareness"),
        _stage(j, "Compare plans", 1, "consideration"),
        _stage(j, "Sign up", 2),
        _stage(j, "Call support", 3),
        _stage(j, "Renew", 4, "advocacy"),
    ]
    right = [
        _stage(j, "Find us", 0, "awareness"),  # standard stage beats the different title
        _stage(j, "Sign Up ", 1),  # title (case and spaces ignored) beats the different position
        _stage(j, "Self-serve help", 3),  # position: left's "Call support" is also at 3
        _stage(j, "Try it", 2, "purchase"),  # only in future: purchase is not on the left
        _stage(
            j, "Recommend", 4, "engagement"
        ),  # different standard stage than "Renew": not paired by position
    ]
    rows = structure.align_stages(left, right)
    pairs = [(a.title if a else None, b.title if b else None, how) for a, b, how in rows]
    assert pairs == [
        ("Discover", "Find us", "standard_stage"),
        ("Compare plans", None, ""),
        ("Sign up", "Sign Up ", "title"),
        ("Call support", "Self-serve help", "position"),
        (None, "Try it", ""),
        (None, "Recommend", ""),
        ("Renew", None, ""),
    ]


def _scored_map(journey, stage_specs, by):
    """Stages (title, standard stage, step titles), a pain-point, opportunity and emotion lane, key cards."""
    pain = services.lane_create(journey_id=journey.pk, by=by, title="Pain points", kind=LaneKind.PAIN_POINTS)
    opp = services.lane_create(
        journey_id=journey.pk, by=by, title="Opportunities", kind=LaneKind.OPPORTUNITIES
    )
    emo = services.lane_create(journey_id=journey.pk, by=by, title="Feelings", kind=LaneKind.EMOTIONS)
    for title, standard, steps, pains, scores in stage_specs:
        stage = services.stage_create(journey_id=journey.pk, by=by, title=title, standard_stage=standard)
        first = stage.steps.get()
        services.step_update(step_id=first.pk, by=by, title=steps[0])
        for step_title in steps[1:]:
            services.step_create(stage_id=stage.pk, by=by, title=step_title)
        for text in pains:
            services.card_create(lane_id=pain.pk, step_id=first.pk, by=by, text=text)
        services.card_create(lane_id=opp.pk, step_id=first.pk, by=by, text=f"Improve {title}")
        for score in scores:
            services.card_create(lane_id=emo.pk, step_id=first.pk, by=by, text="feel", emotion_score=score)
    return journey


def test_compare_aligns_stages_and_summarises_key_cards(workspace, admin):
    current = factories.make_journey(workspace, title="Today")
    _scored_map(
        current,
        [
            ("Discover", "awareness", ["See ad", "Visit site"], ["Ads feel generic"], [-1, 0]),
            ("Fax the form", "", ["Print", "Fax"], ["Nobody has a fax"], [-2]),
            ("Buy", "purchase", ["Checkout"], ["Card declined", "Hidden fees"], [-3]),
        ],
        admin,
    )
    future = structure.journey_copy(journey_id=current.pk, by=admin, title="Tomorrow", as_future_state=True)
    fax = future.stages.get(title="Fax the form")
    services.stage_delete(stage_id=fax.pk, by=admin)
    stage = services.stage_create(
        journey_id=future.pk, by=admin, title="Onboard", standard_stage="onboarding"
    )
    checkout = future.steps.get(title="Checkout")
    services.step_update(step_id=checkout.pk, by=admin, title="One-click checkout")
    emotion_lane = future.lanes.get(kind=LaneKind.EMOTIONS)
    services.card_create(
        lane_id=emotion_lane.pk, step_id=stage.steps.get().pk, by=admin, text="yay", emotion_score=3
    )

    comparison = structure.journey_compare(left=current, right=future)
    rows = [
        (r.left.stage.title if r.left else None, r.right.stage.title if r.right else None)
        for r in comparison.rows
    ]
    # "Fax the form" has no partner: its place in the future is taken by "Buy" (matched by standard stage).
    assert rows == [("Discover", "Discover"), ("Fax the form", None), ("Buy", "Buy"), (None, "Onboard")]
    discover, fax_row, buy, onboard = comparison.rows
    assert discover.matched_by == "standard_stage" and discover.standard_stage_label == "Awareness"
    assert [c["text"] for c in buy.left.pain_points] == ["Card declined", "Hidden fees"]
    assert [c["text"] for c in buy.right.opportunities] == ["Improve Buy"]
    assert discover.left.emotion == pytest.approx(-0.5) and buy.left.emotion == -3
    assert onboard.right.emotion == 3 and onboard.left is None and fax_row.right is None
    # Steps renamed in the future are flagged on both sides.
    assert {s.title for s in buy.right.steps if s.pk in buy.right.changed_steps} == {"One-click checkout"}
    assert {s.title for s in buy.left.steps if s.pk in buy.left.changed_steps} == {"Checkout"}
    assert comparison.only_left == 1 and comparison.only_right == 1
    assert comparison.left_totals.stages == 3 and comparison.right_totals.stages == 3
    assert comparison.left_totals.pain_points == 4 and comparison.right_totals.pain_points == 3
    assert comparison.left_totals.emotion == pytest.approx((-1 + 0 - 3 - 2) / 4)


def test_compare_partner_finds_the_other_state(journey, editor, admin):
    assert structure.compare_partner(journey=journey, user=editor) is None
    future = structure.journey_copy(journey_id=journey.pk, by=admin, title="Future", as_future_state=True)
    assert structure.compare_partner(journey=journey, user=editor) == future
    assert structure.compare_partner(journey=future, user=editor) == journey


# ---------------------------------------------------------------------------------------------- saved views


def test_saved_view_create_validates_and_records(journey, editor, viewer):
    lanes = list(journey.lanes.order_by("position"))
    view = structure.saved_view_create(
        journey_id=journey.pk, by=editor, name=" Workshop ", hidden_lanes=[str(lanes[1].pk), lanes[0].pk]
    )
    assert view.name == "Workshop" and view.hidden_lanes == sorted([lanes[0].pk, lanes[1].pk])
    assert Activity.objects.filter(journey=journey, verb="saved view").exists()
    with pytest.raises(ValidationError) as exc:
        structure.saved_view_create(journey_id=journey.pk, by=editor, name="workshop")
    assert "name" in exc.value.message_dict
    other = factories.make_map(factories.make_journey(journey.workspace), cards=0)
    with pytest.raises(ValidationError) as exc:
        structure.saved_view_create(
            journey_id=journey.pk, by=editor, name="Bad", hidden_lanes=[other.lanes.first().pk]
        )
    assert "hidden_lanes" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        structure.saved_view_create(journey_id=journey.pk, by=viewer, name="Mine")
    assert SavedView.objects.filter(journey=journey).count() == 1

    with pytest.raises(PermissionDenied):
        structure.saved_view_delete(view_id=view.pk, by=viewer)
    structure.saved_view_delete(view_id=view.pk, by=editor)
    assert not SavedView.objects.exists()
