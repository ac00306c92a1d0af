"""Delivery sync's logs are kept DELIVERY_LOG_RETENTION_DAYS (90 by default), then purged daily; a webhook
delivery still being retried stays whatever its age."""

import datetime

from django.urls import reverse
from django.utils import timezone

from config.celery import app
from prioritization import tasks, webhooks
from prioritization.models import DeliveryState, InboundDelivery, WebhookAttempt, WebhookDelivery
from prioritization.services import integrations
from prioritization.services import webhooks as webhook_services

NOW = timezone.now()


def _ago(days):
    return NOW - datetime.timedelta(days=days)


def test_old_logs_go_and_recent_or_pending_ones_stay(workspace, admin, settings):
    integration = integrations.integration_create(
        workspace_id=workspace.pk, by=admin, provider="jira", name="Jira Cloud"
    )
    inbound = {
        (key, days): InboundDelivery.objects.create(
            integration=integration, delivery_id=f"{key}-{days}", issue_key=key,
            outcome=InboundDelivery.Outcome.APPLIED, received_at=_ago(days),
        ).pk
        for key, days in (("ONB-1", 120), ("ONB-1", 95), ("ONB-2", 91), ("ONB-2", 89))
    }  # fmt: skip
    webhook = webhook_services.webhook_create(
        workspace_id=workspace.pk, by=admin, url="https://hooks.example.com/"
    )

    def delivery(days, state):
        made = WebhookDelivery.objects.create(
            webhook=webhook, event="webhook.test", payload={}, state=state, created_at=_ago(days)
        )
        WebhookAttempt.objects.create(delivery=made, at=_ago(days), status_code=500)
        return made.pk

    old_delivered = delivery(120, DeliveryState.DELIVERED)
    old_failed = delivery(95, DeliveryState.FAILED)
    old_pending = delivery(200, DeliveryState.PENDING)
    recent = delivery(10, DeliveryState.DELIVERED)

    # ONB-1's newest delivery stays however old: the next poll of an issue without update times sees it
    assert webhooks.purge_logs(now=NOW) == (2, 2)
    assert set(InboundDelivery.objects.values_list("pk", flat=True)) == {
        inbound["ONB-1", 95],
        inbound["ONB-2", 89],
    }
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {old_pending, recent}
    assert not WebhookAttempt.objects.filter(delivery_id__in=[old_delivered, old_failed]).exists()
    assert webhooks.purge_logs(now=NOW) == (0, 0)  # nothing twice

    settings.DELIVERY_LOG_RETENTION_DAYS = 7  # a shorter setting takes the 10-day-old delivery too
    assert webhooks.purge_logs(now=NOW) == (0, 1)
    assert list(WebhookDelivery.objects.values_list("pk", flat=True)) == [old_pending]


def test_the_purge_runs_daily_from_beat():
    daily = {e["task"]: e["schedule"] for e in app.conf.beat_schedule.values()}
    assert daily[webhooks.PURGE_LOGS_TASK] == 24 * 60 * 60
    assert tasks.purge_delivery_logs.name == webhooks.PURGE_LOGS_TASK


def test_the_logs_say_how_long_they_are_kept(client, workspace, admin, settings):
    settings.DELIVERY_LOG_RETENTION_DAYS = 30
    integration = integrations.integration_create(
        workspace_id=workspace.pk, by=admin, provider="jira", name="Jira Cloud"
    )
    webhook = webhook_services.webhook_create(
        workspace_id=workspace.pk, by=admin, url="https://hooks.example.com/"
    )
    client.force_login(admin)
    pages = [
        reverse("prioritization:integration", args=[integration.pk]),
        reverse("prioritization:webhook_deliveries", args=[webhook.pk]),
    ]
    for url in pages:
        assert "Deliveries are kept 30 days." in client.get(url).content.decode(), url
