"""Outbound webhook delivery by a real Celery worker to a real HTTP receiver in a thread."""

import json

import pytest

from prioritization import webhooks
from prioritization.models import DeliveryState, Event, Webhook, WebhookDelivery
from tests.checks import wait_for

from .receivers import webhook_receiver


@pytest.fixture
def fast_retries(settings):
    settings.OUTBOUND_ALLOW_PRIVATE_ADDRESSES = True  # the receiver listens on 127.0.0.1
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0.2
    settings.WEBHOOK_MAX_ATTEMPTS = 5


def test_a_receiver_failing_twice_gets_the_delivery_once(worker, workspace, admin, fast_retries):
    with webhook_receiver(fail_first=2) as receiver:
        hook = Webhook.objects.create(workspace=workspace, url=receiver.url, created_by=admin)
        webhooks.emit(workspace_id=workspace.pk, event=Event.SCORE_CHANGED, payload={"card": 1})
        delivery = WebhookDelivery.objects.get(webhook=hook)
        assert wait_for(lambda: WebhookDelivery.objects.get(pk=delivery.pk).state == DeliveryState.DELIVERED)
        assert len(receiver.requests) == 3
    delivery.refresh_from_db()
    assert [a.status_code for a in delivery.attempt_log.all()] == [500, 500, 200]
    assert receiver.delivered_ids() == [str(delivery.delivery_id)]
    body = receiver.requests[-1]["body"]
    assert receiver.requests[-1]["headers"]["X-Throughline-Signature"] == webhooks.sign(hook.secret, body)
    assert json.loads(body)["data"] == {"card": 1}
