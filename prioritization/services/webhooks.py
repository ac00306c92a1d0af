"""Outbound webhooks of a workspace (admins only): register, change, delete, rotate the secret, send a test,
send a delivery again. Delivery itself is prioritization/webhooks.py (emit, the Celery task)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from journeys.services.changes import apply_fields, check_version

from .. import access, outbound
from ..models import URL_MAX, DeliveryState, Event, Webhook, WebhookDelivery, new_secret
from ..webhooks import queue_on_commit

# The events an admin can choose (the test event is only sent by "Send test").
SUBSCRIBABLE = (Event.INITIATIVE_STATUS, Event.SCORE_CHANGED)
WEBHOOK_FIELDS = ("url", "events", "active")


def clean_url(url) -> str:
    """The URL trimmed; ValidationError on `url` when we may not call it (prioritization/outbound.py)."""
    url = (url or "").strip()
    if not url:
        raise ValidationError({"url": "Enter the address to send webhooks to."})
    if len(url) > URL_MAX:
        raise ValidationError({"url": f"At most {URL_MAX:,} characters (you have {len(url):,})."})
    problem = outbound.url_problem(url)
    if problem:
        raise ValidationError({"url": problem})
    return url


def clean_events(events) -> list[str]:
    """The chosen event names, deduplicated in the order of SUBSCRIBABLE; [] means all of them."""
    if events is None:
        return []
    if isinstance(events, str) or not isinstance(events, list | tuple):
        raise ValidationError({"events": "A list of event names."})
    known = [e.value for e in SUBSCRIBABLE]
    unknown = [e for e in events if e not in known]
    if unknown:
        raise ValidationError(
            {"events": f"Unknown event {unknown[0]!r}: choose from {', '.join(known)} (or none for all)."}
        )
    chosen = [e for e in known if e in events]
    return [] if len(chosen) == len(known) else chosen


@transaction.atomic
def webhook_create(*, workspace_id: int, by: User, url: str, events=None, active: bool = True) -> Webhook:
    """Register an outbound webhook (workspace admins); its secret is made here. Raises ValidationError
    by field."""
    access.workspace_for(by, workspace_id, need=access.ADMIN)
    webhook = Webhook(
        workspace_id=workspace_id,
        url=clean_url(url),
        events=clean_events(events),
        active=bool(active),
        created_by=by,
        created_at=timezone.now(),
    )
    webhook.full_clean(exclude=["workspace", "created_by", "events"])
    webhook.save()
    return webhook


def _locked(by: User, webhook_id) -> Webhook:
    return access.webhook_for(by, webhook_id, queryset=Webhook.objects.select_for_update(of=("self",)))


@transaction.atomic
def webhook_update(*, webhook_id: int, by: User, expected_version=None, **fields) -> Webhook:
    """Change a webhook's `url`, `events` or `active` (admins). Raises Conflict when `expected_version`
    is stale, ValidationError by field."""
    webhook = _locked(by, webhook_id)
    check_version(webhook, expected_version)
    if "url" in fields:
        fields["url"] = clean_url(fields["url"])
    if "events" in fields:
        fields["events"] = clean_events(fields["events"])
    if "active" in fields:
        fields["active"] = bool(fields["active"])
    changed = apply_fields(webhook, fields, WEBHOOK_FIELDS)
    if changed:
        webhook.full_clean(exclude=["workspace", "created_by", "events"])
        webhook.version += 1
        webhook.save(update_fields=[*changed, "version"])
    return webhook


@transaction.atomic
def webhook_delete(*, webhook_id: int, by: User, expected_version=None) -> None:
    """Delete a webhook with its delivery log (admins). Raises Conflict when `expected_version` is stale."""
    webhook = _locked(by, webhook_id)
    check_version(webhook, expected_version)
    webhook.delete()


@transaction.atomic
def webhook_secret_rotate(*, webhook_id: int, by: User, expected_version=None) -> Webhook:
    """Give a webhook a new secret (admins): every attempt from now on is signed with it, retries of earlier
    deliveries included. Raises Conflict when `expected_version` is stale."""
    webhook = _locked(by, webhook_id)
    check_version(webhook, expected_version)
    webhook.secret = new_secret()
    webhook.version += 1
    webhook.save(update_fields=["secret", "version"])
    return webhook


@transaction.atomic
def webhook_send_test(*, webhook_id: int, by: User) -> WebhookDelivery:
    """Queue a test delivery (event `webhook.test`) to a webhook, whatever its events and even when it is
    paused (admins). It is delivered, retried and logged like any other."""
    webhook = access.webhook_for(by, webhook_id)
    delivery = WebhookDelivery.objects.create(
        webhook=webhook,
        event=Event.TEST,
        payload={"message": "A test delivery from Throughline.", "sent_by": by.display_name},
    )
    queue_on_commit([delivery.pk])
    return delivery


@transaction.atomic
def webhook_delivery_resend(*, delivery_id: int, by: User) -> WebhookDelivery:
    """Send a delivery again (admins of its webhook's workspace): one that gave up gets a fresh round of
    attempts (its attempt count starts again; the log keeps every earlier attempt); a delivered one is sent
    again with the same delivery id (receivers that drop repeats ignore it); a waiting one is tried now."""
    delivery = (
        WebhookDelivery.objects.select_for_update(of=("self",))
        .select_related("webhook")
        .filter(pk=delivery_id)
    ).first()
    if delivery is None:
        raise Http404("No such delivery.")
    access.webhook_for(by, delivery.webhook_id)
    delivery.state = DeliveryState.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = timezone.now()
    delivery.delivered_at = None
    delivery.save(update_fields=["state", "attempts", "next_attempt_at", "delivered_at"])
    queue_on_commit([delivery.pk])
    return delivery
