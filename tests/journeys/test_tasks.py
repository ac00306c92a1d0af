"""The hourly automatic version, run by a real Celery worker against the real Redis (never eager).

The worker runs in a thread of this process and reads the database through its own connection, so these
tests use `transactional_db`: data is committed, and on_commit hooks really fire after each service call.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from journeys import services, tasks
from journeys.models import MapVersion
from journeys.services import changes, versioning
from tests import factories
from tests.checks import wait_for

WAIT = 30  # seconds: generous upper bound for a worker to pick a task up, not a timing assertion


@pytest.fixture
def live_journey(transactional_db):
    admin = factories.make_user("alice")
    workspace = factories.make_workspace("Acme", admin=admin)
    journey = factories.make_journey(workspace, by=admin, title="Onboarding")
    factories.make_map(journey, cards=6)
    return journey


def test_the_task_takes_a_version_once_and_is_idempotent(worker, live_journey):
    first = tasks.version_auto.delay(live_journey.pk).get(timeout=WAIT)
    version = MapVersion.objects.get(pk=first)
    assert version.kind == MapVersion.Kind.AUTO and version.created_by is None
    assert version.snapshot == versioning.version_snapshot(live_journey)
    # A second run (a retry, or a duplicate queued by two quick edits) does nothing.
    assert tasks.version_auto.delay(live_journey.pk).get(timeout=WAIT) is None
    assert MapVersion.objects.filter(journey=live_journey).count() == 1


def test_the_task_skips_a_map_unchanged_since_its_latest_version(worker, live_journey):
    old = MapVersion.objects.create(
        journey=live_journey, kind=MapVersion.Kind.NAMED, label="Old", revision=live_journey.revision,
        snapshot=versioning.version_snapshot(live_journey), created_at=timezone.now() - timedelta(hours=3),
    )  # fmt: skip
    assert tasks.version_auto.delay(live_journey.pk).get(timeout=WAIT) is None
    assert list(MapVersion.objects.filter(journey=live_journey)) == [old]


def test_the_task_does_nothing_for_a_deleted_journey(worker):
    assert tasks.version_auto.delay(987654).get(timeout=WAIT) is None


def test_an_edit_queues_the_automatic_version_and_the_worker_takes_it(worker, live_journey):
    editor = live_journey.owner
    card = live_journey.cards.order_by("pk").first()
    services.card_update(card_id=card.pk, by=editor, text="Edited: the automatic version follows")
    assert wait_for(lambda: MapVersion.objects.filter(journey=live_journey).exists())
    version = MapVersion.objects.get(journey=live_journey)
    live_journey.refresh_from_db()
    assert version.kind == MapVersion.Kind.AUTO and version.revision == live_journey.revision
    assert any(c["text"] == "Edited: the automatic version follows" for c in version.snapshot["cards"])
    # Within the hour further edits queue nothing more.
    assert changes.auto_version_queue(journey_id=live_journey.pk) is False


def test_an_edit_an_hour_after_the_latest_version_queues_a_new_one(worker, live_journey):
    MapVersion.objects.create(
        journey=live_journey, kind=MapVersion.Kind.AUTO, revision=live_journey.revision,
        snapshot=versioning.version_snapshot(live_journey), created_at=timezone.now() - timedelta(minutes=61),
    )  # fmt: skip
    services.lane_update(
        lane_id=live_journey.lanes.order_by("pk").first().pk, by=live_journey.owner, title="Feel"
    )
    assert wait_for(lambda: MapVersion.objects.filter(journey=live_journey).count() == 2)
    newest = MapVersion.objects.filter(journey=live_journey).first()
    assert newest.created_at > timezone.now() - timedelta(minutes=5)
    assert newest.snapshot["lanes"][0]["title"] == "Feel"
