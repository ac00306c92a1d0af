"""The poll: catching up on webhooks Jira or Asana did not deliver, by asking their REST API — here a real
HTTP server in a thread playing Jira or Asana. Through sync.poll, `manage.py sync_poll` and the Celery task
a real worker runs."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from prioritization import sync
from prioritization.models import DeliveryLink, InboundDelivery, Initiative, Provider, Status
from prioritization.services import initiatives as initiative_services
from prioritization.services import integrations as integration_services
from tests.checks import wait_for

from .receivers import fake_provider

Outcome = InboundDelivery.Outcome


class FakeJira:
    """Issues by key: (status name, updated). A JQL search naming a key Jira does not have is a 400, as
    Jira's is."""

    def __init__(self, issues):
        self.issues = dict(issues)

    def __call__(self, path, query):
        if path != "/rest/api/3/search/jql":
            return 404, {"errorMessages": ["No such resource"]}
        keys = re.findall(r'"([^"]+)"', query["jql"][0])
        missing = [k for k in keys if k not in self.issues]
        if missing:
            return 400, {
                "errorMessages": [f"An issue with key '{missing[0]}' does not exist for field 'key'."]
            }
        assert query["fields"] == ["status,updated"]
        issues = [
            {
                "id": str(n),
                "key": k,
                "fields": {"status": {"name": self.issues[k][0]}, "updated": self.issues[k][1]},
            }
            for n, k in enumerate(keys)
        ]
        return 200, {"issues": issues, "isLast": True}


@pytest.fixture
def allow_local(settings):
    settings.OUTBOUND_ALLOW_PRIVATE_ADDRESSES = True


def linked(workspace, admin, title, provider, key):
    initiative = initiative_services.initiative_create(workspace_id=workspace.pk, by=admin, title=title)
    initiative_services.delivery_link_add(initiative_id=initiative.pk, by=admin, provider=provider, key=key)
    return initiative


def jira_integration(workspace, admin, url, **extra):
    return integration_services.integration_create(
        workspace_id=workspace.pk,
        by=admin,
        provider=Provider.JIRA,
        name="Jira Cloud",
        base_url=url,
        api_user="ops@example.com",
        api_token="jira-token",
        **extra,
    )


def status_of(initiative):
    return Initiative.objects.get(pk=initiative.pk).status


def test_the_jira_poll_applies_what_webhooks_missed_and_a_second_poll_changes_nothing(
    workspace, admin, allow_local
):
    one = linked(workspace, admin, "Invoices", Provider.JIRA, "PROJ-1")
    two = linked(workspace, admin, "Onboarding", Provider.JIRA, "PROJ-2")
    fake = FakeJira(
        {
            "PROJ-1": ("Done", "2026-03-02T10:00:00.000+0000"),
            "PROJ-2": ("Backlog", "2026-03-01T08:00:00.000+0000"),
        }
    )
    with fake_provider(fake) as jira_api:
        integration = jira_integration(workspace, admin, jira_api.url)
        polled = sync.poll(integration_id=integration.pk)
        assert (polled.asked, polled.error, sorted(polled.outcomes)) == (2, None, ["applied", "unmapped"])
        request = jira_api.requests[0]
        assert request["query"]["jql"] == ['key in ("PROJ-1", "PROJ-2")']
        assert request["headers"]["Authorization"].startswith("Basic ")  # email + API token
        assert status_of(one) == Status.SHIPPED and status_of(two) == Status.PROPOSED

        again = sync.poll(integration_id=integration.pk)
        assert again.outcomes == [] and InboundDelivery.objects.count() == 2
    record = InboundDelivery.objects.get(issue_key="PROJ-1")
    assert record.delivery_id == "poll:PROJ-1:2026-03-02T10:00:00+00:00"
    integration.refresh_from_db()
    assert integration.last_polled_at is not None


def test_the_poll_does_not_undo_a_newer_webhook(workspace, admin, allow_local):
    initiative = linked(workspace, admin, "Invoices", Provider.JIRA, "PROJ-1")
    # A webhook already told us the issue was reopened at 11:00; Jira's search answers an older state
    # (a replica lagging behind).
    DeliveryLink.objects.filter(initiative=initiative).update(external_updated_at="2026-03-02T11:00:00Z")
    with fake_provider(FakeJira({"PROJ-1": ("Done", "2026-03-02T10:00:00.000+0000")})) as jira_api:
        integration = jira_integration(workspace, admin, jira_api.url)
        assert sync.poll(integration_id=integration.pk).outcomes == []
    assert status_of(initiative) == Status.PROPOSED


def test_a_key_jira_does_not_know_does_not_stop_the_others(workspace, admin, allow_local):
    known = linked(workspace, admin, "Known", Provider.JIRA, "PROJ-1")
    linked(workspace, admin, "Mistyped", Provider.JIRA, "PROJ-404")
    with fake_provider(FakeJira({"PROJ-1": ("In Progress", "2026-03-02T10:00:00.000+0000")})) as jira_api:
        integration = jira_integration(workspace, admin, jira_api.url)
        polled = sync.poll(integration_id=integration.pk)
        assert polled.error is None and polled.outcomes == ["applied"]
        # The batch, refused for PROJ-404, then each key alone.
        assert [r["query"]["jql"][0] for r in jira_api.requests] == [
            'key in ("PROJ-1", "PROJ-404")', 'key in ("PROJ-1")', 'key in ("PROJ-404")',
        ]  # fmt: skip
    assert status_of(known) == Status.IN_PROGRESS


def test_a_provider_that_refuses_the_token_stops_the_poll_with_the_reason(workspace, admin, allow_local):
    linked(workspace, admin, "Invoices", Provider.JIRA, "PROJ-1")
    with fake_provider(lambda path, query: (401, {"errorMessages": ["Unauthorized"]})) as jira_api:
        integration = jira_integration(workspace, admin, jira_api.url)
        polled = sync.poll(integration_id=integration.pk)
    assert polled.error == f"Jira answered HTTP 401 for {jira_api.url}/rest/api/3/search/jql"
    assert not InboundDelivery.objects.exists()


def test_the_asana_poll_reads_each_linked_task(workspace, admin, allow_local):
    doing = linked(workspace, admin, "Checkout", Provider.ASANA, "1201")
    done = linked(workspace, admin, "Receipts", Provider.ASANA, "1202")
    tasks = {
        "1201": {
            "completed": False,
            "modified_at": "2026-03-02T09:00:00.000Z",
            "memberships": [{"section": {"name": "In Progress"}}],
        },
        "1202": {"completed": True, "modified_at": "2026-03-02T09:30:00.000Z", "memberships": []},
    }

    def answer(path, query):
        gid = path.rsplit("/", 1)[-1]
        return (200, {"data": {"gid": gid, **tasks[gid]}}) if gid in tasks else (404, {"errors": []})

    with fake_provider(answer) as asana_api:
        integration = integration_services.integration_create(
            workspace_id=workspace.pk, by=admin, provider=Provider.ASANA, name="Asana",
            base_url=asana_api.url, api_token="pat",
        )  # fmt: skip
        assert sorted(sync.poll(integration_id=integration.pk).outcomes) == ["applied", "applied"]
        assert sorted(asana_api.asked_paths()) == ["/tasks/1201", "/tasks/1202"]
    assert (status_of(doing), status_of(done)) == (Status.IN_PROGRESS, Status.SHIPPED)


def test_the_poll_refuses_private_addresses_unless_allowed(workspace, admin, settings):
    settings.OUTBOUND_ALLOW_PRIVATE_ADDRESSES = True
    linked(workspace, admin, "Invoices", Provider.JIRA, "PROJ-1")
    integration = jira_integration(workspace, admin, "http://localhost:9")
    settings.OUTBOUND_ALLOW_PRIVATE_ADDRESSES = False
    polled = sync.poll(integration_id=integration.pk)
    assert "private or reserved" in polled.error


def test_the_command_polls_every_pollable_integration_and_reports(workspace, admin, allow_local):
    linked(workspace, admin, "Invoices", Provider.JIRA, "PROJ-1")
    with fake_provider(FakeJira({"PROJ-1": ("In Progress", "2026-03-02T10:00:00.000+0000")})) as jira_api:
        jira_integration(workspace, admin, jira_api.url)
        integration_services.integration_create(  # no API access: not polled
            workspace_id=workspace.pk, by=admin, provider=Provider.JIRA, name="Webhooks only"
        )
        out = StringIO()
        call_command("sync_poll", stdout=out)
    assert out.getvalue() == "Jira Cloud: asked about 1 issues: 1 applied.\n"


def test_the_command_names_an_integration_it_cannot_poll(workspace, admin):
    hooks_only = integration_services.integration_create(
        workspace_id=workspace.pk, by=admin, provider=Provider.JIRA, name="Webhooks only"
    )
    with pytest.raises(CommandError, match=f"No active integration {hooks_only.pk} with an API address"):
        call_command("sync_poll", integration=hooks_only.pk)


def test_the_beat_poll_is_scheduled():
    from config.celery import app

    entries = [e for e in app.conf.beat_schedule.values() if e["task"] == sync.POLL_ALL_TASK]
    assert len(entries) == 1 and entries[0]["schedule"] == 30 * 60


def test_check_now_queues_the_poll_a_worker_runs(worker, workspace, admin, allow_local):
    initiative = linked(workspace, admin, "Invoices", Provider.JIRA, "PROJ-1")
    with fake_provider(FakeJira({"PROJ-1": ("Done", "2026-03-02T10:00:00.000+0000")})) as jira_api:
        integration = jira_integration(workspace, admin, jira_api.url)
        assert sync.poll_queue(integration_id=integration.pk)
        assert wait_for(lambda: status_of(initiative) == Status.SHIPPED)
    assert InboundDelivery.objects.get().outcome == Outcome.APPLIED
