"""The delivery sync pages (admins): integrations with their mapping editor, secret and setup steps, and
outbound webhooks with their secret, send test and delivery log. Constant queries for small and large
data; user text escaped; a stale form refused and shown again as typed."""

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from prioritization import sync, webhooks
from prioritization.models import (
    DeliveryState,
    Event,
    InboundDelivery,
    Integration,
    Provider,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
)
from prioritization.services import integrations as integration_services
from prioritization.services import webhooks as webhook_services


@pytest.fixture
def jira(workspace, admin):
    return integration_services.integration_create(
        workspace_id=workspace.pk, by=admin, provider=Provider.JIRA, name="Jira Cloud"
    )


@pytest.fixture
def hook(workspace, admin):
    return webhook_services.webhook_create(
        workspace_id=workspace.pk, by=admin, url="https://hooks.example.com/tl"
    )


@pytest.fixture
def scratch_queue():
    """Deliveries queued by a page go to a queue of this test, purged after it (no worker here)."""
    import time

    from config.celery import app

    queue = f"throughline-scratch-{time.monotonic_ns()}"
    default = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        yield
    finally:
        app.conf.task_default_queue = default
        with app.connection_for_write() as connection:
            connection.default_channel.queue_purge(queue)


def inbound(integration, n, *, start=0):
    InboundDelivery.objects.bulk_create(
        InboundDelivery(
            integration=integration,
            delivery_id=f"d-{i}",
            issue_key=f"PROJ-{i}",
            external_status="In Progress",
            issue_updated_at=timezone.now(),
            outcome=InboundDelivery.Outcome.UNKNOWN_ISSUE,
        )
        for i in range(start, start + n)
    )


def deliveries(webhook, n, attempts=3):
    made = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            webhook=webhook, event=Event.SCORE_CHANGED, payload={"n": i}, state=DeliveryState.FAILED
        )
        for i in range(n)
    )
    WebhookAttempt.objects.bulk_create(
        WebhookAttempt(delivery=d, status_code=500, error="HTTP 500 Internal Server Error", duration_ms=12)
        for d in made
        for _ in range(attempts)
    )


# ------------------------------------------------------------------------------------------ integrations


def test_the_integration_page_shows_url_secret_steps_mapping_and_deliveries(client, admin, jira):
    inbound(jira, 2)
    client.force_login(admin)
    page = client.get(reverse("prioritization:integration", args=[jira.pk])).content.decode()
    assert f"/prioritization/sync/jira/{jira.token}/" in page
    assert jira.secret in page
    assert "Settings → System → WebHooks" in page
    assert 'value="To Do"' in page and 'value="In Progress"' in page and 'value="Done"' in page
    assert "PROJ-1" in page and "No initiative links this issue" in page


def test_the_mapping_editor_saves_rows_and_names_the_row_at_fault(client, admin, jira):
    client.force_login(admin)
    url = reverse("prioritization:integration", args=[jira.pk])
    form = {
        "name": "Jira Cloud",
        "base_url": "",
        "api_user": "",
        "api_token": "",
        "active": "on",
        "expected_version": jira.version,
        "mapping_name": ["To Do", "QA Review", "Done", ""],
        "mapping_status": ["planned", "in_progress", "shipped", ""],
    }
    assert client.post(url, form).status_code == 302
    jira.refresh_from_db()
    assert jira.status_mapping == {"To Do": "planned", "QA Review": "in_progress", "Done": "shipped"}
    bad = {
        **form,
        "expected_version": jira.version,
        "mapping_name": ["To Do", "Won't do"],
        "mapping_status": ["planned", ""],
    }
    page = client.post(url, bad)
    assert page.status_code == 200
    assert (
        "Row 2 of the mapping: choose the initiative status “Won&#x27;t do” means." in page.content.decode()
    )
    jira.refresh_from_db()
    assert "Won't do" not in jira.status_mapping


def test_a_stale_integration_form_is_refused_and_kept_as_typed(client, admin, jira):
    client.force_login(admin)
    integration_services.integration_update(integration_id=jira.pk, by=admin, name="Renamed meanwhile")
    response = client.post(
        reverse("prioritization:integration", args=[jira.pk]),
        {
            "name": "My name",
            "active": "on",
            "expected_version": 1,
            "mapping_name": ["Done"],
            "mapping_status": ["shipped"],
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Someone else saved this integration meanwhile" in page and 'value="My name"' in page
    jira.refresh_from_db()
    assert jira.name == "Renamed meanwhile"


def test_connecting_asana_needs_a_token_and_then_waits_for_the_handshake(client, admin, workspace):
    client.force_login(admin)
    url = reverse("prioritization:integration_create")
    page = client.post(url, {"provider": "asana", "name": "Asana", "active": "on"})
    assert page.status_code == 200 and "personal access token" in page.content.decode()
    response = client.post(url, {"provider": "asana", "name": "Asana", "api_token": "pat", "active": "on"})
    integration = Integration.objects.get()
    assert response["Location"] == reverse("prioritization:integration", args=[integration.pk])
    page = client.get(response["Location"]).content.decode()
    assert (
        "Waiting for Asana's handshake" in page
        and "curl -X POST https://app.asana.com/api/1.0/webhooks" in page
    )
    assert "pat" not in page.replace("path", "")  # the token is never shown again


def test_rotate_and_delete(client, admin, jira):
    client.force_login(admin)
    old = jira.secret
    client.post(
        reverse("prioritization:integration_rotate", args=[jira.pk]), {"expected_version": jira.version}
    )
    jira.refresh_from_db()
    assert jira.secret != old
    client.post(
        reverse("prioritization:integration_delete", args=[jira.pk]), {"expected_version": jira.version}
    )
    assert not Integration.objects.exists()


def test_user_text_is_escaped(client, admin, workspace):
    integration_services.integration_create(
        workspace_id=workspace.pk, by=admin, provider="jira", name="<script>alert(1)</script>"
    )
    client.force_login(admin)
    page = client.get(reverse("prioritization:integrations")).content.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# Queries of the list: session, user, memberships (current workspace), the integrations with their counts.
INTEGRATION_LIST_QUERIES = 4
# The page: session, user, the integration with the reader's role, memberships (top bar), recent deliveries.
INTEGRATION_PAGE_QUERIES = 5


@pytest.mark.parametrize("size", [1, 30])
def test_integration_pages_queries_do_not_grow(client, django_assert_num_queries, admin, workspace, size):
    made = [
        integration_services.integration_create(
            workspace_id=workspace.pk, by=admin, provider="jira", name=f"Jira {n}"
        )
        for n in range(size)
    ]
    for integration in made:
        inbound(integration, size)
    client.force_login(admin)
    with django_assert_num_queries(INTEGRATION_LIST_QUERIES):
        assert client.get(reverse("prioritization:integrations")).status_code == 200
    with django_assert_num_queries(INTEGRATION_PAGE_QUERIES):
        assert client.get(reverse("prioritization:integration", args=[made[0].pk])).status_code == 200


# ------------------------------------------------------------------------------------------ webhooks


def test_the_webhook_page_shows_secret_headers_and_latest_deliveries(client, admin, hook):
    deliveries(hook, 2)
    client.force_login(admin)
    page = client.get(reverse("prioritization:webhook", args=[hook.pk])).content.decode()
    assert hook.secret in page
    for header in (
        "X-Throughline-Signature",
        "X-Throughline-Delivery",
        "X-Throughline-Event",
        "X-Throughline-Timestamp",
    ):
        assert header in page
    assert page.count('class="sync-code-pill sync-code-pill--bad">500<') == 6


def test_send_test_queues_a_test_delivery(client, admin, hook, scratch_queue):
    client.force_login(admin)
    response = client.post(reverse("prioritization:webhook_test", args=[hook.pk]))
    assert response.status_code == 302
    delivery = WebhookDelivery.objects.get()
    assert (delivery.webhook_id, delivery.event, delivery.state) == (
        hook.pk,
        Event.TEST,
        DeliveryState.PENDING,
    )


def test_adding_a_webhook_refuses_an_internal_address(client, admin, workspace, settings):
    settings.OUTBOUND_ALLOW_PRIVATE_ADDRESSES = False
    client.force_login(admin)
    page = client.post(
        reverse("prioritization:webhook_create"), {"url": "http://169.254.169.254/latest", "active": "on"}
    )
    assert page.status_code == 200 and "private or reserved address" in page.content.decode()
    assert not Webhook.objects.exists()
    response = client.post(
        reverse("prioritization:webhook_create"),
        {"url": "https://hooks.example.com/a", "events": ["score.changed"], "active": "on"},
    )
    assert response.status_code == 302
    assert Webhook.objects.get().events == ["score.changed"]


def test_the_delivery_log_filters_by_state_and_resends(client, admin, hook, scratch_queue):
    deliveries(hook, 3)
    webhooks.emit(workspace_id=hook.workspace_id, event=Event.INITIATIVE_STATUS, payload={})
    client.force_login(admin)
    url = reverse("prioritization:webhook_deliveries", args=[hook.pk])
    assert "4 deliveries" in client.get(url).content.decode()
    assert "3 deliveries" in client.get(url, {"state": "failed"}).content.decode()
    failed = WebhookDelivery.objects.filter(state=DeliveryState.FAILED).first()
    client.post(reverse("prioritization:delivery_resend", args=[failed.pk]))
    failed.refresh_from_db()
    assert (failed.state, failed.attempts) == (DeliveryState.PENDING, 0)
    assert failed.attempt_log.count() == 3  # the earlier attempts stay in the log


def test_edit_pause_and_delete(client, admin, hook):
    client.force_login(admin)
    url = reverse("prioritization:webhook", args=[hook.pk])
    assert client.post(url, {"url": hook.url, "expected_version": hook.version}).status_code == 302
    hook.refresh_from_db()
    assert hook.active is False
    stale = client.post(url, {"url": "https://other.example.com/", "active": "on", "expected_version": 1})
    assert "Someone else saved this webhook meanwhile" in stale.content.decode()
    client.post(reverse("prioritization:webhook_delete", args=[hook.pk]), {"expected_version": hook.version})
    assert not Webhook.objects.exists()


# session, user, memberships (current workspace), the webhooks with their counts.
WEBHOOK_LIST_QUERIES = 4
# session, user, the webhook with the reader's role, memberships (top bar), latest deliveries, attempts.
WEBHOOK_PAGE_QUERIES = 6
# session, user, the webhook with the reader's role, memberships (top bar), count, deliveries, their attempts.
DELIVERY_LOG_QUERIES = 7


@pytest.mark.parametrize("size", [1, 40])
def test_webhook_pages_queries_do_not_grow(client, django_assert_num_queries, admin, workspace, size):
    made = [
        webhook_services.webhook_create(workspace_id=workspace.pk, by=admin, url=f"https://h{n}.example.com/")
        for n in range(size)
    ]
    deliveries(made[0], size, attempts=size // 4 + 1)
    client.force_login(admin)
    with django_assert_num_queries(WEBHOOK_LIST_QUERIES):
        assert client.get(reverse("prioritization:webhooks")).status_code == 200
    with django_assert_num_queries(WEBHOOK_PAGE_QUERIES):
        assert client.get(reverse("prioritization:webhook", args=[made[0].pk])).status_code == 200
    with django_assert_num_queries(DELIVERY_LOG_QUERIES):
        assert client.get(reverse("prioritization:webhook_deliveries", args=[made[0].pk])).status_code == 200


# ------------------------------------------------------------------------------------------ API


def test_api_integrations_round_trip(client, admin, workspace):
    client.force_login(admin)
    url = reverse("prioritization-api:integration-list", args=[workspace.pk])
    created = client.post(
        url,
        {"provider": "jira", "name": "Jira", "api_token": "t0ken", "status_mapping": {"Done": "shipped"}},
        content_type="application/json",
    )
    assert created.status_code == 201
    body = created.json()
    assert body["status_mapping"] == {"Done": "shipped"} and body["has_api_token"] is True
    assert "api_token" not in body and body["secret"]
    assert body["webhook_path"].startswith("/prioritization/sync/jira/")
    detail = reverse("prioritization-api:integration-detail", args=[body["id"]])
    bad = client.patch(
        detail,
        {"expected_version": 1, "status_mapping": {"Done": "measured"}},
        content_type="application/json",
    )
    assert (bad.status_code, bad.json()) == (
        400,
        {"status_mapping": {"Done": ['"measured" is not a valid choice.']}},
    )
    ok = client.patch(detail, {"expected_version": 1, "api_token": ""}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["has_api_token"] is False and ok.json()["version"] == 2
    stale = client.patch(detail, {"expected_version": 1, "name": "X"}, content_type="application/json")
    assert stale.status_code == 409 and stale.json()["current"]["version"] == 2
    rotated = client.post(
        reverse("prioritization-api:integration-rotate", args=[body["id"]]),
        {"expected_version": 2},
        content_type="application/json",
    )
    assert rotated.status_code == 200 and rotated.json()["secret"] != body["secret"]
    assert client.delete(f"{detail}?expected_version=3").status_code == 204


def test_api_webhooks_round_trip(client, admin, workspace, scratch_queue):
    client.force_login(admin)
    created = client.post(
        reverse("prioritization-api:webhook-list", args=[workspace.pk]),
        {"url": "https://hooks.example.com/x", "events": ["initiative.status_changed"]},
        content_type="application/json",
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["events"], body["pending_count"], body["active"]) == (["initiative.status_changed"], 0, True)
    test = client.post(reverse("prioritization-api:webhook-test", args=[body["id"]]))
    assert test.status_code == 202 and test.json()["event"] == "webhook.test"
    log = client.get(reverse("prioritization-api:webhook-deliveries", args=[body["id"]]))
    assert log.status_code == 200
    assert [d["state"] for d in log.json()["results"]] == ["pending"]
    assert (
        client.get(reverse("prioritization-api:webhook-detail", args=[body["id"]])).json()["pending_count"]
        == 1
    )


@pytest.mark.parametrize("size", [1, 30])
def test_api_lists_queries_do_not_grow(client, django_assert_num_queries, admin, workspace, size):
    hook = webhook_services.webhook_create(workspace_id=workspace.pk, by=admin, url="https://h.example.com/")
    deliveries(hook, size, attempts=3)
    jira = integration_services.integration_create(
        workspace_id=workspace.pk, by=admin, provider="jira", name="J"
    )
    inbound(jira, size)
    client.force_login(admin)
    # session, user, membership, count, deliveries, attempts
    with django_assert_num_queries(6):
        assert client.get(reverse("prioritization-api:webhook-deliveries", args=[hook.pk])).status_code == 200
    # session, user, membership, count, deliveries
    with django_assert_num_queries(5):
        response = client.get(reverse("prioritization-api:integration-deliveries", args=[jira.pk]))
        assert response.status_code == 200
    assert json.loads(response.content)["count"] == size


def test_reads_are_shared_by_pages_and_api(workspace, admin, jira, hook):
    assert list(sync.integrations_of(workspace_id=workspace.pk)) == [jira]
    assert list(webhooks.webhooks_of(workspace_id=workspace.pk)) == [hook]
