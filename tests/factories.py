"""Plain factory functions. Tests about behaviour build data through services; these make the setting."""

import itertools

from accounts import services as account_services
from accounts.models import Membership, Role, User, Workspace
from journeys import services as journey_services
from journeys.models import Card, Journey, Lane, LaneKind, Stage, Step

_seq = itertools.count(1)
PASSWORD = "correct-horse-battery-staple"


def make_user(username: str | None = None, **fields) -> User:
    n = next(_seq)
    username = username or f"user{n}"
    fields.setdefault("email", f"{username}@example.com")
    return User.objects.create_user(username=username, password=PASSWORD, **fields)


def make_workspace(name: str | None = None, admin: User | None = None) -> Workspace:
    admin = admin or make_user()
    return account_services.workspace_create(name=name or f"Workspace {next(_seq)}", by=admin)


def add_member(workspace: Workspace, user: User | None = None, role: str = Role.VIEWER) -> User:
    user = user or make_user()
    Membership.objects.update_or_create(workspace=workspace, user=user, defaults={"role": role})
    return user


def make_journey(workspace: Workspace, by: User | None = None, title: str | None = None, **fields) -> Journey:
    """A journey through the service (so activity and revision are real); `by` defaults to an admin."""
    by = by or workspace.memberships.filter(role=Role.ADMIN).first().user
    return journey_services.journey_create(
        workspace=workspace, by=by, title=title or f"Journey {next(_seq)}", **fields
    )


def make_map(
    journey: Journey,
    *,
    stages: int = 2,
    steps_per_stage: int = 2,
    lanes: int = 3,
    cards: int = 10,
    emotion_lane: bool = True,
) -> Journey:
    """A map of the given size written in bulk (fast for large maps; services are tested elsewhere)."""
    stage_rows = Stage.objects.bulk_create(
        Stage(journey=journey, position=i, title=f"Stage {i + 1}") for i in range(stages)
    )
    step_rows = Step.objects.bulk_create(
        Step(journey=journey, stage=stage, position=i, title=f"{stage.title} · step {i + 1}")
        for stage in stage_rows
        for i in range(steps_per_stage)
    )
    kinds = [
        LaneKind.ACTIONS,
        LaneKind.TOUCHPOINTS,
        LaneKind.PAIN_POINTS,
        LaneKind.OPPORTUNITIES,
        LaneKind.THOUGHTS,
        LaneKind.BACKSTAGE,
        LaneKind.SYSTEMS,
        LaneKind.TEXT,
    ]
    lane_specs = ([("Emotions", LaneKind.EMOTIONS)] if emotion_lane else []) + [
        (f"Lane {i + 1}", kinds[i % len(kinds)]) for i in range(lanes - (1 if emotion_lane else 0))
    ]
    lane_rows = Lane.objects.bulk_create(
        Lane(journey=journey, position=i, title=title, kind=kind)
        for i, (title, kind) in enumerate(lane_specs)
    )
    cells = [(lane, step) for lane in lane_rows for step in step_rows]
    counts = {}
    objs = []
    for i in range(cards):
        lane, step = cells[i % len(cells)]
        position = counts.get((lane.pk, step.pk), 0)
        counts[(lane.pk, step.pk)] = position + 1
        objs.append(
            Card(
                journey=journey,
                lane=lane,
                step=step,
                position=position,
                text=f"Card {i + 1} <b>bold?</b>",
                emotion_score=(i % 7) - 3 if lane.kind == LaneKind.EMOTIONS else None,
                channel="Email" if lane.kind == LaneKind.TOUCHPOINTS else "",
            )
        )
    Card.objects.bulk_create(objs)
    return journey
