"""Outbound webhook delivery by a real Celery worker to a real HTTP receiver in a thread."""

import json

import pytest

from prioritization import webhooks
from prioritization.models import DeliveryState, Event, WebhookDelivery
from prioritization.services import webhooks as services
from tests.checks import wait_for

from .receivers import webhook_receiver


@pytest.fixture
def fast_retries(settings):
    settings.OUTBOUND_ALLOW_PRIVATE_ADDRESSES = True  # the receiver listens on 127.0.0.1
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0.2
    settings.WEBHOOK_MAX_ATTEMPTS = 5


def test_a_receiver_failing_twice_gets_the_delivery_once(worker, workspace, admin, fast_retries):
    with webhook_receiver(fail_first=2) as receiver:
        hook = services.webhook_create(workspace_id=workspace.pk, by=admin, url=receiver.url)
        webhooks.emit(workspace_id=workspace.pk, event=Event.SCORE_CHANGED, payload={"card": 1})
        delivery = WebhookDelivery.objects.get(webhook=hook)
        assert wait_for(lambda: WebhookDelivery.objects.get(pk=delivery.pk).state == DeliveryState.DELIVERED)
        assert len(receiver.requests) == 3
    delivery.refresh_from_db()
    assert [a.status_code for a in delivery.attempt_log.all()] == [500, 500, 200]
    assert receiver.delivered_ids() == [str(delivery.delivery_id)]
    # Every attempt carried the same delivery id, each signed (with a fresh timestamp) as documented.
    assert {r["headers"]["X-Throughline-Delivery"] for r in receiver.requests} == {str(delivery.delivery_id)}
    for request in receiver.requests:
        body, headers = request["body"], request["headers"]
        assert webhooks.verify(hook.secret, body, headers["X-Throughline-Signature"])
        assert headers["X-Throughline-Event"] == "score.changed"
        assert headers["X-Throughline-Timestamp"] == str(json.loads(body)["timestamp"])
    assert json.loads(receiver.requests[-1]["body"])["data"] == {"card": 1}


def test_a_delivery_whose_task_the_broker_lost_is_sent_by_the_sweep(worker, workspace, admin, fast_retries):
    from config.celery import app

    with webhook_receiver() as receiver:
        services.webhook_create(workspace_id=workspace.pk, by=admin, url=receiver.url)
        # The first attempt's task goes to a queue nobody reads: as good as lost.
        queue = app.conf.task_default_queue
        app.conf.task_default_queue = f"{queue}-lost"
        try:
            (delivery,) = webhooks.emit(workspace_id=workspace.pk, event=Event.SCORE_CHANGED, payload={})
        finally:
            app.conf.task_default_queue = queue
        app.send_task(webhooks.REQUEUE_TASK)  # what beat sends every minute
        assert wait_for(lambda: WebhookDelivery.objects.get(pk=delivery.pk).state == DeliveryState.DELIVERED)
        assert receiver.delivered_ids() == [str(delivery.delivery_id)]
        with app.connection_for_write() as connection:
            connection.default_channel.queue_purge(f"{queue}-lost")


def test_repeated_tasks_for_one_delivery_send_it_once(worker, workspace, admin, fast_retries):
    from config.celery import app

    with webhook_receiver() as receiver:
        services.webhook_create(workspace_id=workspace.pk, by=admin, url=receiver.url)
        (delivery,) = webhooks.emit(workspace_id=workspace.pk, event=Event.SCORE_CHANGED, payload={})
        for _ in range(3):  # a redelivered message, a sweep, a retry: the same delivery queued again
            app.send_task(webhooks.DELIVER_TASK, args=[delivery.pk])
        app.send_task(webhooks.REQUEUE_TASK)
        assert wait_for(lambda: WebhookDelivery.objects.get(pk=delivery.pk).state == DeliveryState.DELIVERED)
        # Every task queued above has run once the sweep's answer is in (one worker, one queue, in order).
        result = app.send_task(webhooks.REQUEUE_TASK)
        assert result.get(timeout=30) == 0
        assert len(receiver.requests) == 1
    assert delivery.attempt_log.count() == 1


def test_a_receiver_that_never_answers_2xx_gets_the_capped_attempts_then_it_gives_up(
    worker, workspace, admin, fast_retries
):
    with webhook_receiver(fail_first=99, status=500) as receiver:
        services.webhook_create(workspace_id=workspace.pk, by=admin, url=receiver.url)
        (delivery,) = webhooks.emit(workspace_id=workspace.pk, event=Event.SCORE_CHANGED, payload={})
        assert wait_for(lambda: WebhookDelivery.objects.get(pk=delivery.pk).state == DeliveryState.FAILED)
        assert len(receiver.requests) == 5  # WEBHOOK_MAX_ATTEMPTS
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status_code) == (5, 500)
    # The waits grew: each gap at least the backoff before it (0.2, 0.4, 0.8, 1.6 s).
    times = list(delivery.attempt_log.values_list("at", flat=True))
    gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)]
    assert all(gap >= wait for gap, wait in zip(gaps, [0.2, 0.4, 0.8, 1.6], strict=True))
