"""Background work of prioritization. Tasks take ids (JSON) and are idempotent: a delivery is claimed
before it is sent, so a repeated or concurrent task never sends it twice (prioritization/webhooks.py)."""

from celery import shared_task

from . import sync, webhooks


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


@shared_task(name=webhooks.PURGE_LOGS_TASK)
def purge_delivery_logs() -> list[int]:
    """Daily (config/celery.py's beat schedule): delivery sync's logs past DELIVERY_LOG_RETENTION_DAYS.
    Returns [inbound, outbound] rows deleted."""
    return list(webhooks.purge_logs())


@shared_task(name=sync.POLL_TASK)
def poll_integration(integration_id: int) -> list[str]:
    """Ask Jira or Asana about one integration's linked issues ("Check now"). Returns the outcomes of
    what was newer than what the links had seen."""
    return sync.poll(integration_id=integration_id).outcomes


@shared_task(name=sync.POLL_ALL_TASK)
def poll_integrations() -> int:
    """Every 30 minutes (config/celery.py's beat schedule): catch up on webhooks Jira or Asana did not
    deliver, for every integration with API access. Returns how many deliveries were applied or recorded."""
    return sum(len(polled.outcomes) for polled in sync.poll_all())
