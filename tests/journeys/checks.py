"""Checks shared by the journey tests."""

from django.db import connection


def assert_constraints_hold() -> None:
    """Check the deferred constraints (dense unique positions, foreign keys) now.

    Tests run inside a transaction that is rolled back, so deferred constraints would never be checked;
    SET CONSTRAINTS ALL IMMEDIATE checks every pending one at once (an IntegrityError fails the test)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def positions_are_dense(journey) -> bool:
    """Every sibling group of the map is numbered 0…n-1."""
    groups = {}
    for stage in journey.stages.all():
        groups.setdefault(("stages",), []).append(stage.position)
    for step in journey.steps.all():
        groups.setdefault(("steps", step.stage_id), []).append(step.position)
    for lane in journey.lanes.all():
        groups.setdefault(("lanes",), []).append(lane.position)
    for card in journey.cards.all():
        groups.setdefault(("cards", card.lane_id, card.step_id), []).append(card.position)
    return all(sorted(values) == list(range(len(values))) for values in groups.values())
