"""Background work of prioritization. Tasks take ids (JSON) and are idempotent: a delivery is claimed
before it is sent, so a repeated or concurrent task never sends it twice (prioritization/webhooks.py)."""

from celery import shared_task

from . import webhooks


@shared_task(name=webhooks.DELIVER_TASK)
def deliver_webhook(delivery_pk: int) -> str:
    """One attempt of an outbound webhook delivery (queued on commit by webhooks.emit, by a retry, or by
    the sweep). Returns the delivery's state after it, or "skipped"."""
    return webhooks.deliver(delivery_pk=delivery_pk).state


@shared_task(name=webhooks.REQUEUE_TASK)
def requeue_webhook_deliveries() -> int:
    """Every minute (config/celery.py's beat schedule): queue pending deliveries that are due, so nothing
    is lost when the broker drops a task. Returns how many were queued."""
    return webhooks.requeue_due()
