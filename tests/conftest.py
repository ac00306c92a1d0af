"""Personas and shared fixtures.

Personas, from least to most rights on `journey` (a workspace-visible map) and `restricted_journey`:
anonymous · outsider (member of another workspace) · viewer · editor · manager (viewer role with a
guardian `manage` grant on both journeys) · admin (workspace admin).
"""

import os
import uuid

import pytest
from celery.contrib.testing.worker import start_worker

from accounts.models import Role
from journeys import services as journey_services
from journeys.models import Visibility

from . import factories

WORKER_WAIT = 30  # seconds: an upper bound for a worker to pick a task up, not a timing assertion

# Fixtures that start processes or a Celery worker: their tests are marked `services`, which .ci/run runs
# against TCP PostgreSQL and Redis too (the whole suite runs on the embedded servers' unix sockets).
SERVICE_FIXTURES = {"worker", "servers"}


def pytest_collection_modifyitems(items):
    for item in items:
        if SERVICE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.services)


@pytest.fixture(autouse=True)
def _test_settings(settings):
    """Pages use {% static %}; tests run without collectstatic's manifest, so serve names as they are.
    A fast password hasher: the production one spends ~0.4 s per user on purpose."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Rate-limit counters live in Redis, outside the test database: each test counts afresh.
    settings.THROTTLE_KEY_PREFIX = f"test-throttle:{uuid.uuid4().hex}"


@pytest.fixture
def admin(db):
    return factories.make_user("alice", first_name="Alice", last_name="Admin")


@pytest.fixture
def workspace(admin):
    return factories.make_workspace("Acme Software", admin=admin)


@pytest.fixture
def editor(workspace):
    return factories.add_member(workspace, factories.make_user("bob", first_name="Bob"), Role.EDITOR)


@pytest.fixture
def viewer(workspace):
    return factories.add_member(workspace, factories.make_user("charlie", first_name="Charlie"), Role.VIEWER)


@pytest.fixture
def outsider(db):
    user = factories.make_user("mallory", first_name="Mallory")
    factories.make_workspace("Other Corp", admin=user)
    return user


@pytest.fixture
def journey(workspace, admin):
    journey = factories.make_journey(workspace, by=admin, title="Customer lifecycle")
    factories.make_map(journey, cards=10)
    return journey


@pytest.fixture
def restricted_journey(workspace, admin):
    journey = factories.make_journey(
        workspace, by=admin, title="Pricing change (confidential)", visibility=Visibility.RESTRICTED
    )
    factories.make_map(journey, cards=4)
    return journey


@pytest.fixture
def manager(workspace, admin, journey, restricted_journey):
    """A viewer by role who manages both journeys through a guardian grant."""
    user = factories.add_member(workspace, factories.make_user("dana", first_name="Dana"), Role.VIEWER)
    for j in (journey, restricted_journey):
        journey_services.journey_grant_set(journey_id=j.pk, by=admin, grantee=user, level="manage")
    return user


PERSONAS = ["anonymous", "outsider", "viewer", "editor", "manager", "admin"]


@pytest.fixture
def persona_user(request):
    """Resolve a persona name (parametrize with indirect=False and call) to a user or None."""

    def resolve(name):
        if name == "anonymous":
            return None
        return request.getfixturevalue(name)

    return resolve


@pytest.fixture
def login(client):
    """Log the Django test client in as a user (None stays anonymous)."""

    def do(user):
        if user is not None:
            client.force_login(user)
        return client

    return do


@pytest.fixture
def worker(transactional_db):
    """A real Celery worker thread (never eager) against the real Redis, consuming a queue of this test
    alone. Parallel test processes share the Redis database but not their test databases, so each routes
    its tasks to its own queue: a worker of another process must never run our task against its database
    (nor ours theirs). It reads the database through its own connection: tests using it commit their data
    (`transactional_db`), and on_commit hooks really fire."""
    from config.celery import app

    queue = f"throughline-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    default_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue  # where .delay() and send_task send (read on every send)
    try:
        options = {
            "pool": "solo",
            "perform_ping_check": False,
            "shutdown_timeout": WORKER_WAIT,
            "queues": [queue],
        }
        with start_worker(app, **options) as running:
            yield running
    finally:
        app.conf.task_default_queue = default_queue
