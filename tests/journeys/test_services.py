"""Map services: ordering (insert, move, delete renumber densely), versions, conflicts, permission, and
concurrent moves in one cell from several connections."""

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404

from journeys import services
from journeys.models import Activity, Card, Journey, Stage
from tests import factories


@pytest.fixture
def blank(workspace, admin):
    """A journey with 2 stages × 2 steps and 3 lanes, no cards."""
    return factories.make_map(factories.make_journey(workspace, by=admin, title="Blank"), cards=0)


def cell_texts(lane, step):
    rows = list(
        Card.objects.filter(lane=lane, step=step).order_by("position").values_list("text", "position")
    )
    assert [pos for _, pos in rows] == list(range(len(rows))), f"positions not dense: {rows}"
    return [text for text, _ in rows]


def fill(lane, step, by, *texts):
    return [services.card_create(lane_id=lane.pk, step_id=step.pk, by=by, text=t) for t in texts]


def test_card_create_inserts_at_a_position_and_clamps_beyond_the_end(blank, admin):
    lane, step = blank.lanes.first(), blank.steps.first()
    fill(lane, step, admin, "a", "b", "c")
    services.card_create(lane_id=lane.pk, step_id=step.pk, by=admin, text="first", position=0)
    services.card_create(lane_id=lane.pk, step_id=step.pk, by=admin, text="middle", position=2)
    services.card_create(lane_id=lane.pk, step_id=step.pk, by=admin, text="last", position=99)
    assert cell_texts(lane, step) == ["first", "a", "middle", "b", "c", "last"]


def test_renumbering_siblings_does_not_bump_their_version(blank, admin):
    lane, step = blank.lanes.first(), blank.steps.first()
    a, b = fill(lane, step, admin, "a", "b")
    services.card_create(lane_id=lane.pk, step_id=step.pk, by=admin, text="new", position=0)
    assert Card.objects.get(pk=a.pk).version == a.version
    assert Card.objects.get(pk=b.pk).version == b.version


def test_move_within_a_cell(blank, admin):
    lane, step = blank.lanes.first(), blank.steps.first()
    a, b, c, d = fill(lane, step, admin, "a", "b", "c", "d")
    services.card_move(card_id=a.pk, by=admin, position=2, expected_version=a.version)
    assert cell_texts(lane, step) == ["b", "c", "a", "d"]
    services.card_move(card_id=d.pk, by=admin, position=0, expected_version=d.version)
    assert cell_texts(lane, step) == ["d", "b", "c", "a"]
    assert Card.objects.get(pk=a.pk).version == a.version + 1


def test_move_between_cells_renumbers_both(blank, admin):
    lane_a, lane_b = blank.lanes.order_by("position")[:2]
    step_a, step_b = blank.steps.order_by("stage__position", "position")[:2]
    fill(lane_a, step_a, admin, "a1", "a2", "a3")
    fill(lane_b, step_b, admin, "b1", "b2")
    moving = Card.objects.get(text="a1")
    services.card_move(
        card_id=moving.pk,
        by=admin,
        to_lane=lane_b.pk,
        to_step=step_b.pk,
        position=1,
        expected_version=moving.version,
    )
    assert cell_texts(lane_a, step_a) == ["a2", "a3"]
    assert cell_texts(lane_b, step_b) == ["b1", "a1", "b2"]


def test_delete_renumbers_cards_steps_stages_and_lanes(blank, admin):
    lane, step = blank.lanes.first(), blank.steps.first()
    a, b, c = fill(lane, step, admin, "a", "b", "c")
    services.card_delete(card_id=a.pk, by=admin, expected_version=a.version)
    assert cell_texts(lane, step) == ["b", "c"]

    stage = blank.stages.order_by("position").first()
    first_step = stage.steps.order_by("position").first()
    services.step_delete(step_id=first_step.pk, by=admin, expected_version=first_step.version)
    assert list(stage.steps.values_list("position", flat=True)) == [0]
    assert not Card.objects.filter(pk__in=[b.pk, c.pk]).exists()  # the step's cards went with it

    services.stage_delete(stage_id=stage.pk, by=admin, expected_version=stage.version)
    assert list(blank.stages.values_list("position", flat=True)) == [0]

    first_lane = blank.lanes.order_by("position").first()
    services.lane_delete(lane_id=first_lane.pk, by=admin, expected_version=first_lane.version)
    assert list(blank.lanes.order_by("position").values_list("position", flat=True)) == [0, 1]


def test_stage_lane_and_step_create_at_positions(blank, admin):
    services.stage_create(journey_id=blank.pk, by=admin, title="Zero", position=0)
    assert list(blank.stages.order_by("position").values_list("title", flat=True)) == [
        "Zero",
        "Stage 1",
        "Stage 2",
    ]
    services.lane_create(journey_id=blank.pk, by=admin, title="Middle", position=1)
    assert list(blank.lanes.order_by("position").values_list("title", flat=True))[1] == "Middle"
    assert list(blank.lanes.order_by("position").values_list("position", flat=True)) == [0, 1, 2, 3]
    stage = Stage.objects.get(journey=blank, title="Stage 1")
    services.step_create(stage_id=stage.pk, by=admin, title="Between", position=1)
    assert list(stage.steps.order_by("position").values_list("title", flat=True)) == [
        "Stage 1 · step 1", "Between", "Stage 1 · step 2",
    ]  # fmt: skip


def test_step_move_to_another_stage_renumbers_both_stages(blank, admin):
    first, second = blank.stages.order_by("position")
    step = first.steps.order_by("position").first()
    services.step_move(
        step_id=step.pk, by=admin, position=0, to_stage=second.pk, expected_version=step.version
    )
    assert list(first.steps.order_by("position").values_list("position", flat=True)) == [0]
    assert list(second.steps.order_by("position").values_list("pk", flat=True))[0] == step.pk
    assert list(second.steps.order_by("position").values_list("position", flat=True)) == [0, 1, 2]


def test_stage_and_lane_move(blank, admin):
    stages = list(blank.stages.order_by("position"))
    services.stage_move(stage_id=stages[1].pk, by=admin, position=0, expected_version=stages[1].version)
    assert list(blank.stages.order_by("position").values_list("pk", flat=True)) == [
        stages[1].pk,
        stages[0].pk,
    ]
    lanes = list(blank.lanes.order_by("position"))
    services.lane_move(lane_id=lanes[0].pk, by=admin, position=10, expected_version=lanes[0].version)
    assert list(blank.lanes.order_by("position").values_list("pk", flat=True)) == [
        lanes[1].pk,
        lanes[2].pk,
        lanes[0].pk,
    ]


def test_writes_bump_revision_and_record_activity(blank, admin):
    revision = blank.revision
    card = fill(blank.lanes.first(), blank.steps.first(), admin, "hello")[0]
    services.card_update(card_id=card.pk, by=admin, expected_version=card.version, text="hello again")
    assert Journey.objects.get(pk=blank.pk).revision == revision + 2
    verbs = list(Activity.objects.filter(journey=blank, target_type="card").values_list("verb", flat=True))
    assert sorted(verbs) == ["added", "changed"]


def test_stale_version_raises_conflict_with_current_and_changes_nothing(blank, admin):
    card = fill(blank.lanes.first(), blank.steps.first(), admin, "v1")[0]
    services.card_update(card_id=card.pk, by=admin, expected_version=1, text="v2")
    revision = Journey.objects.get(pk=blank.pk).revision
    with pytest.raises(services.Conflict) as caught:
        services.card_update(card_id=card.pk, by=admin, expected_version=1, text="v3")
    assert (caught.value.current.pk, caught.value.current.text, caught.value.current.version) == (
        card.pk,
        "v2",
        2,
    )
    with pytest.raises(services.Conflict):
        services.card_move(card_id=card.pk, by=admin, position=0, expected_version=1)
    assert Card.objects.get(pk=card.pk).text == "v2"
    assert Journey.objects.get(pk=blank.pk).revision == revision


def test_permission_is_checked_by_the_services(blank, admin, viewer, outsider):
    lane, step = blank.lanes.first(), blank.steps.first()
    with pytest.raises(PermissionDenied):
        services.card_create(lane_id=lane.pk, step_id=step.pk, by=viewer, text="nope")
    with pytest.raises(Http404):
        services.card_create(lane_id=lane.pk, step_id=step.pk, by=outsider, text="nope")
    with pytest.raises(PermissionDenied):
        services.stage_create(journey_id=blank.pk, by=viewer, title="nope")
    assert not Card.objects.filter(journey=blank).exists()
    assert blank.stages.count() == 2


def test_bad_position_is_a_validation_error_naming_it(blank, admin):
    lane, step = blank.lanes.first(), blank.steps.first()
    with pytest.raises(ValidationError) as caught:
        services.card_create(lane_id=lane.pk, step_id=step.pk, by=admin, text="x", position=-1)
    assert "position" in caught.value.message_dict
    assert not Card.objects.filter(journey=blank).exists()


def test_emotion_score_out_of_range_is_refused_by_the_service(blank, admin):
    lane, step = blank.lanes.first(), blank.steps.first()
    with pytest.raises(ValidationError) as caught:
        services.card_create(lane_id=lane.pk, step_id=step.pk, by=admin, text="x", emotion_score=5)
    assert "emotion_score" in caught.value.message_dict
    assert not Card.objects.filter(journey=blank).exists()


# ---------------------------------------------------------------------------------------------- concurrency


def _run_concurrently(calls):
    """Run each call in its own thread with its own connection, all released at once; return the errors."""
    barrier = threading.Barrier(len(calls))
    errors = []

    def run(call):
        try:
            barrier.wait(timeout=30)
            call()
        except Exception as exc:  # collected and asserted by the caller
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_moves_in_one_cell_keep_a_dense_order(workspace, admin):
    journey = factories.make_map(factories.make_journey(workspace, by=admin), cards=0)
    lane, step = journey.lanes.first(), journey.steps.first()
    cards = fill(lane, step, admin, *[f"card {i}" for i in range(8)])
    calls = [
        (
            lambda c=card, p=(index * 5) % 8: services.card_move(
                card_id=c.pk, by=admin, position=p, expected_version=c.version
            )
        )
        for index, card in enumerate(cards)
    ]
    assert _run_concurrently(calls) == []
    rows = list(
        Card.objects.filter(lane=lane, step=step)
        .order_by("position")
        .values_list("pk", "position", "version")
    )
    assert [position for _, position, _ in rows] == list(range(8))
    assert sorted(pk for pk, _, _ in rows) == sorted(card.pk for card in cards)
    assert {version for _, _, version in rows} == {2}  # every move landed exactly once


@pytest.mark.django_db(transaction=True)
def test_concurrent_moves_between_two_cells_keep_both_dense(workspace, admin):
    journey = factories.make_map(factories.make_journey(workspace, by=admin), cards=0)
    lane = journey.lanes.first()
    step_a, step_b = journey.steps.order_by("stage__position", "position")[:2]
    left = fill(lane, step_a, admin, *[f"a{i}" for i in range(6)])
    right = fill(lane, step_b, admin, *[f"b{i}" for i in range(4)])
    calls = [
        (
            lambda c=card: services.card_move(
                card_id=c.pk, by=admin, to_step=step_b.pk, position=0, expected_version=c.version
            )
        )
        for card in left[:3]
    ] + [
        (
            lambda c=card: services.card_move(
                card_id=c.pk, by=admin, to_step=step_a.pk, position=1, expected_version=c.version
            )
        )
        for card in right[:2]
    ]
    assert _run_concurrently(calls) == []
    a = list(Card.objects.filter(lane=lane, step=step_a).order_by("position").values_list("pk", "position"))
    b = list(Card.objects.filter(lane=lane, step=step_b).order_by("position").values_list("pk", "position"))
    assert [p for _, p in a] == list(range(5)) and [p for _, p in b] == list(range(5))
    assert sorted(pk for pk, _ in a + b) == sorted(c.pk for c in left + right)


@pytest.mark.django_db(transaction=True)
def test_concurrent_edits_with_the_same_version_let_exactly_one_win(workspace, admin):
    journey = factories.make_map(factories.make_journey(workspace, by=admin), cards=0)
    card = fill(journey.lanes.first(), journey.steps.first(), admin, "original")[0]
    calls = [
        (
            lambda t=text: services.card_update(
                card_id=card.pk, by=admin, expected_version=card.version, text=t
            )
        )
        for text in ("mine", "theirs", "someone else's")
    ]
    errors = _run_concurrently(calls)
    assert len(errors) == 2 and all(isinstance(e, services.Conflict) for e in errors)
    card.refresh_from_db()
    assert card.version == 2 and card.text in {"mine", "theirs", "someone else's"}
    assert {e.current.text for e in errors} == {card.text}
