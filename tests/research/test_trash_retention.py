"""Retention of undo's trash (TRASH_RETENTION_DAYS, 30 by default): research's deleted evidence and studies,
the map's deleted elements and the links that wait between them are kept that long after the delete, then
purged for good by daily tasks (journeys.purge_trash, research.purge_trash), run here by a real Celery
worker against the real Redis. Purging is idempotent: a second run finds nothing. The pages say how long
things stay."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from config.celery import app
from journeys import services as journey_services
from journeys import tasks as journey_tasks
from journeys.models import TrashedItem, WaitingRow
from journeys.services import trash
from research import services
from research import tasks as research_tasks
from research.models import Evidence, EvidenceLink, ResearchTrash
from tests import factories
from tests.conftest import WORKER_WAIT


def _age(model, pk, days, field="deleted_at"):
    model.objects.filter(pk=pk).update(**{field: timezone.now() - datetime.timedelta(days=days)})


@pytest.fixture
def committed(transactional_db):
    admin = factories.make_user("alice")
    workspace = factories.make_workspace("Acme", admin=admin)
    journey = factories.make_journey(workspace, by=admin, title="Onboarding")
    factories.make_map(journey, cards=6)
    return workspace, journey, admin


def _evidence(workspace, admin, text):
    return services.evidence_create(workspace_id=workspace.pk, by=admin, text=text)


def test_the_research_task_purges_items_older_than_the_retention_once(worker, committed, settings):
    workspace, _journey, admin = committed
    old, recent, restored = (_evidence(workspace, admin, t) for t in ("Old", "Recent", "Put back"))
    items = {e.text: services.evidence_delete(evidence_id=e.pk, by=admin) for e in (old, recent, restored)}
    services.research_trash_restore(item_id=items["Put back"].pk, by=admin)
    _age(ResearchTrash, items["Old"].pk, 31)
    _age(ResearchTrash, items["Put back"].pk, 31)
    _age(ResearchTrash, items["Recent"].pk, 29)

    assert research_tasks.purge_trash.delay().get(timeout=WORKER_WAIT) == 2
    assert set(ResearchTrash.objects.values_list("title", flat=True)) == {"Recent"}
    assert research_tasks.purge_trash.delay().get(timeout=WORKER_WAIT) == 0  # a second run: nothing
    assert Evidence.objects.filter(text="Put back").exists()  # what was put back stays, of course

    settings.TRASH_RETENTION_DAYS = 7  # a shorter setting takes the 29-day-old item too
    assert research_tasks.purge_trash.delay().get(timeout=WORKER_WAIT) == 1
    assert not ResearchTrash.objects.exists()


def test_the_map_task_purges_old_items_and_links_that_waited_as_long(worker, committed):
    workspace, journey, admin = committed
    card, other = journey.cards.exclude(lane__kind="emotions").order_by("pk")[:2]
    evidence = _evidence(workspace, admin, "Seen in the calls")
    services.link_create(evidence_id=evidence.pk, by=admin, card=card.pk)
    old = journey_services.card_delete(card_id=card.pk, by=admin)
    services.evidence_delete(evidence_id=evidence.pk, by=admin)
    trash.trash_restore(item_id=old.pk, by=admin)  # the card is back; its link waits for the evidence
    recent = journey_services.card_delete(card_id=other.pk, by=admin)
    waiting = WaitingRow.objects.get()
    _age(TrashedItem, old.pk, 40)
    _age(WaitingRow, waiting.pk, 31, field="created_at")
    _age(TrashedItem, recent.pk, 2)

    assert journey_tasks.purge_trash.delay().get(timeout=WORKER_WAIT) == 1
    assert list(TrashedItem.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not WaitingRow.objects.exists()
    assert journey_tasks.purge_trash.delay().get(timeout=WORKER_WAIT) == 0
    assert not EvidenceLink.objects.exists()


def test_both_purges_run_daily_from_beat():
    daily = {e["task"]: e["schedule"] for e in app.conf.beat_schedule.values()}
    assert daily["journeys.purge_trash"] == daily["research.purge_trash"] == 24 * 60 * 60


def test_the_pages_say_how_long_deleted_things_stay(client, workspace, journey, editor, settings):
    settings.TRASH_RETENTION_DAYS = 14
    evidence = _evidence(workspace, editor, "A quote")
    client.force_login(editor)
    confirm = client.get(reverse("research:evidence_delete", args=[evidence.pk])).content.decode()
    assert "put it back from Recently deleted on the evidence page for 14 days." in confirm
    services.evidence_delete(evidence_id=evidence.pk, by=editor)
    library = client.get(reverse("research:evidence")).content.decode()
    assert "Deleted evidence and studies stay here 14 days, then are deleted for good." in library
    popover = client.get(reverse("journeys:editor_trash", args=[journey.pk])).content.decode()
    assert "Kept 14 days after they are deleted, then deleted for good." in popover
