"""`manage.py load_demo`: a believable workspace built through the services, idempotent, with its logins."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from accounts.models import Membership, Team, Workspace
from core import demo as demo_registry
from journeys import demo
from journeys.models import (
    EMOTION_MAX,
    EMOTION_MIN,
    Activity,
    Card,
    Journey,
    JourneyLevel,
    JourneyState,
    LaneKind,
    StandardStage,
    Visibility,
)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _journeys_demo_alone():
    """These tests are about journeys' demo: the demo loaders of the apps above journeys (core/demo.py)
    are left out here, and tested in tests/test_demo_apps.py."""
    registered = demo_registry.loaders()
    for name, _loader in registered:
        demo_registry.unregister(name)
    yield
    for name, loader in registered:
        demo_registry.register(name, loader)


def load() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def counts() -> dict:
    workspace = Workspace.objects.get(name=demo.WORKSPACE_NAME)
    return {
        "journeys": workspace.journeys.count(),
        "cards": Card.objects.filter(journey__workspace=workspace).count(),
        "activity": Activity.objects.filter(journey__workspace=workspace).count(),
        "members": Membership.objects.filter(workspace=workspace).count(),
        "teams": Team.objects.filter(workspace=workspace).count(),
        "revisions": sorted(workspace.journeys.values_list("revision", flat=True)),
    }


@pytest.fixture
def loaded(db):
    return load()


def lifecycle() -> Journey:
    return Journey.objects.get(title=demo.LIFECYCLE["title"])


def test_second_run_changes_nothing_and_prints_the_logins(loaded, django_assert_num_queries):
    first = counts()
    # savepoint, workspace lookup, the demo users, journey count, card count, release: no writes at all.
    with django_assert_num_queries(6):
        second_output = load()
    assert counts() == first
    assert Workspace.objects.filter(name=demo.WORKSPACE_NAME).count() == 1
    assert "nothing changed" in second_output
    for output in (loaded, second_output):
        for username, role in (("admin", "admin"), ("editor", "editor"), ("viewer", "viewer")):
            line = next(line for line in output.splitlines() if line.strip().startswith(username + " "))
            assert demo.demo_password(username) in line and line.split()[-1] == role


def test_printed_passwords_sign_in(loaded):
    for username in ("admin", "editor", "viewer"):
        assert authenticate(username=username, password=demo.demo_password(username)) is not None
    # Colleagues without a demo login cannot sign in at all.
    assert authenticate(username="nadia", password=demo.demo_password("nadia")) is None


def test_size_and_roles(loaded):
    c = counts()
    assert 130 <= c["cards"] <= 180
    assert c["journeys"] == 5
    assert c["teams"] == len(demo.TEAMS)
    roles = dict(
        Membership.objects.filter(workspace__name=demo.WORKSPACE_NAME).values_list("user__username", "role")
    )
    assert (roles["admin"], roles["editor"], roles["viewer"]) == ("admin", "editor", "viewer")


def test_built_through_services(loaded):
    journey = lifecycle()
    # Every card added is a line in the activity feed and a step of the revision.
    added = Activity.objects.filter(journey=journey, verb="added", target_type="card").count()
    assert added == journey.cards.count()
    assert journey.revision > journey.cards.count()


def test_lifecycle_follows_the_standard_stages(loaded):
    journey = lifecycle()
    stages = list(journey.stages.order_by("position"))
    assert len(stages) == 6
    assert [s.standard_stage for s in stages] == list(StandardStage.values)
    for stage in stages:
        assert 2 <= stage.steps.count() <= 4
    kinds = set(journey.lanes.values_list("kind", flat=True))
    wanted = {LaneKind.ACTIONS, LaneKind.TOUCHPOINTS, LaneKind.EMOTIONS, LaneKind.PAIN_POINTS,
              LaneKind.OPPORTUNITIES, LaneKind.BACKSTAGE, LaneKind.SYSTEMS, LaneKind.METRICS}  # fmt: skip
    assert wanted <= kinds
    assert journey.cards.filter(lane__kind=LaneKind.TOUCHPOINTS).exclude(channel="").exists()
    assert not journey.cards.filter(lane__kind=LaneKind.TOUCHPOINTS, channel="").exists()


def test_steps_link_to_sub_journeys(loaded):
    journey = lifecycle()
    links = {
        step.title: step.sub_journey
        for step in journey.steps.filter(sub_journey__isnull=False).select_related("sub_journey")
    }
    assert set(links) == {"Kick-off call", "Contacts support"}
    for sub in links.values():
        assert sub.level == JourneyLevel.SUB_JOURNEY
        assert sub.parent_id == journey.pk
        assert sub.cards.count() >= 15


def test_emotions_form_a_curve_within_range(loaded):
    journey = lifecycle()
    scores = list(journey.cards.filter(lane__kind=LaneKind.EMOTIONS).values_list("emotion_score", flat=True))
    assert Card.objects.filter(lane__kind=LaneKind.EMOTIONS, emotion_score__isnull=True).count() == 0
    all_scores = Card.objects.filter(lane__kind=LaneKind.EMOTIONS).values_list("emotion_score", flat=True)
    assert all(EMOTION_MIN <= score <= EMOTION_MAX for score in all_scores)
    # One emotion per step, with real highs and lows (a curve, not a flat line).
    assert len(scores) == journey.steps.count()
    assert min(scores) == EMOTION_MIN and max(scores) == EMOTION_MAX
    assert not Card.objects.exclude(lane__kind=LaneKind.EMOTIONS).filter(emotion_score__isnull=False).exists()


def test_future_state_and_restricted_journey(loaded):
    current = lifecycle()
    future = Journey.objects.get(current_state_of=current)
    assert future.state == JourneyState.FUTURE
    assert future.stages.count() == 6 and future.steps.count() == current.steps.count()
    assert future.cards.filter(lane__kind=LaneKind.EMOTIONS).count() == future.steps.count()

    restricted = Journey.objects.get(visibility=Visibility.RESTRICTED, workspace__name=demo.WORKSPACE_NAME)
    viewer = Membership.objects.get(user__username="viewer", workspace=restricted.workspace).user
    editor = Membership.objects.get(user__username="editor", workspace=restricted.workspace).user
    visible_to_viewer = Journey.objects.visible_to(viewer).filter(workspace=restricted.workspace)
    assert restricted not in visible_to_viewer and current in visible_to_viewer
    assert restricted in Journey.objects.visible_to(editor)  # through the demo's grant
