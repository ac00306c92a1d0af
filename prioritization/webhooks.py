"""Outbound webhooks: signed JSON POSTs to the URLs a workspace's admins registered (models.Webhook), on
initiative status changes and score changes.

    emit(*, workspace_id, event, payload)   call inside the write's transaction: one WebhookDelivery per
                                            matching active webhook, queued for delivery on commit
    sign(secret, body) / verify(...)        the signature receivers check
    deliver(*, delivery_pk)                 one attempt (the Celery task prioritization.deliver_webhook)
    requeue_due()                           the beat sweep: re-queues pending deliveries that are due

What a receiver gets (README "Receiving webhooks"): a POST whose body is JSON

    {"id": "<delivery uuid>", "event": "initiative.status_changed", "created_at": "<ISO 8601>",
     "timestamp": <Unix seconds of this attempt>, "workspace": <id>, "data": {...}}

with the headers
    X-Throughline-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with the webhook's secret>
    X-Throughline-Delivery:  the delivery id (the same on every attempt: drop repeats by it)
    X-Throughline-Event:     the event name
    X-Throughline-Timestamp: the attempt's Unix time (also inside the signed body: refuse old ones)

Delivery: at least once. A 2xx answer delivers; anything else (another status, a timeout, a refused
connection) is a failed attempt, recorded (WebhookAttempt) and retried after an exponential backoff
(WEBHOOK_RETRY_BASE_SECONDS × 2^(attempt − 1), at most WEBHOOK_RETRY_MAX_SECONDS) up to
WEBHOOK_MAX_ATTEMPTS attempts; then the delivery is "gave up" and an admin can send it again from the
delivery log. A receiver that is down loses nothing: the delivery waits. An attempt first claims the
delivery (a row lock, then a lease of LEASE_SECONDS on `next_attempt_at`), so two workers given the same
delivery (a retry and the beat sweep, a redelivered message) never both send it; the lease also lets the
sweep pick up a delivery whose worker died mid-request. Receivers should still drop repeats by delivery id:
a worker that dies after the receiver answered but before the answer is recorded sends it again.

Logs: deliveries both ways (these, and sync.py's InboundDelivery) are kept DELIVERY_LOG_RETENTION_DAYS, then
purged daily (`purge_logs`); a delivery still being retried stays.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from celery import current_app
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Count, Max, Prefetch, Q
from django.utils import timezone
from kombu.exceptions import OperationalError

from . import outbound
from .models import DeliveryState, Event, InboundDelivery, Webhook, WebhookAttempt, WebhookDelivery

log = logging.getLogger(__name__)

DELIVER_TASK = "prioritization.deliver_webhook"
REQUEUE_TASK = "prioritization.requeue_webhook_deliveries"
PURGE_LOGS_TASK = "prioritization.purge_delivery_logs"

SIGNATURE_HEADER = "X-Throughline-Signature"
DELIVERY_HEADER = "X-Throughline-Delivery"
EVENT_HEADER = "X-Throughline-Event"
TIMESTAMP_HEADER = "X-Throughline-Timestamp"
SIGNATURE_PREFIX = "sha256="
REPLAY_WINDOW_SECONDS = 5 * 60  # what we advise receivers to accept (verify's default)

LEASE_SECONDS = 120  # an attempt's claim: longer than the request's timeout
REQUEUE_BATCH = 500  # deliveries one sweep queues (the next sweep takes the rest)
ERROR_MAX = 500
RECORDED_FIELDS = ["attempts", "last_status_code", "last_error", "state", "delivered_at", "next_attempt_at"]


def _setting(name: str, default):
    return getattr(settings, name, default)


def max_attempts() -> int:
    return _setting("WEBHOOK_MAX_ATTEMPTS", 15)


def backoff(attempts: int) -> float:
    """Seconds to wait after the `attempts`-th failed attempt: base × 2^(attempts − 1), capped."""
    base = float(_setting("WEBHOOK_RETRY_BASE_SECONDS", 30))
    cap = float(_setting("WEBHOOK_RETRY_MAX_SECONDS", 6 * 60 * 60))
    return min(base * 2 ** max(attempts - 1, 0), cap)


# ------------------------------------------------------------------------------------------ signing


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: `sha256=` and the hex HMAC-SHA256 of the raw body keyed with the
    secret (its UTF-8 bytes)."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def verify(
    secret: str,
    body: bytes,
    signature: str | None,
    *,
    now: float | None = None,
    window: int = REPLAY_WINDOW_SECONDS,
) -> bool:
    """What a receiver does (README): the signature matches the body (compared in constant time) and the
    body's `timestamp` is within `window` seconds of now."""
    if not signature or not hmac.compare_digest(sign(secret, body), signature):
        return False
    try:
        timestamp = json.loads(body)["timestamp"]
    except (ValueError, KeyError, TypeError):
        return False
    now = time.time() if now is None else now
    return isinstance(timestamp, int) and abs(now - timestamp) <= window


def body_of(delivery: WebhookDelivery, workspace_id: int, timestamp: int) -> bytes:
    """The exact bytes POSTed for one attempt (the envelope around the event's payload)."""
    envelope = {
        "id": str(delivery.delivery_id),
        "event": delivery.event,
        "created_at": delivery.created_at.isoformat(),
        "timestamp": timestamp,
        "workspace": workspace_id,
        "data": delivery.payload,
    }
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()


# ------------------------------------------------------------------------------------------ emitting


def emit(*, workspace_id: int, event: str, payload: dict) -> list[WebhookDelivery]:
    """Record one delivery of `event` per active webhook of the workspace that wants it (its `events` list
    has it, or is empty: all), queued for delivery when the surrounding transaction commits (nothing is
    sent for a write that rolls back). `payload` is made JSON with Django's encoder (Decimal, dates).
    Call it inside the write's transaction. One query when no webhook wants it, two otherwise."""
    data = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    webhooks = Webhook.objects.filter(workspace_id=workspace_id, active=True).filter(
        Q(events=[]) | Q(events__contains=[event])
    )
    pks = webhooks.values_list("pk", flat=True)
    deliveries = [WebhookDelivery(webhook_id=pk, event=event, payload=data) for pk in pks]
    if not deliveries:
        return []
    WebhookDelivery.objects.bulk_create(deliveries)
    queue_on_commit([d.pk for d in deliveries])
    return deliveries


def queue_on_commit(pks: list[int]) -> None:
    """Queue the deliveries' first attempts once the transaction commits."""
    pks = list(pks)
    transaction.on_commit(lambda: queue(pks), robust=True)


def queue(pks: list[int], *, countdown: float | None = None) -> int:
    """Send the delivery task for each delivery (by name; tasks.py). A broker that cannot take it only
    delays the delivery to the beat sweep (requeue_due), which finds every pending delivery that is due.
    Returns how many were queued."""
    sent = 0
    for pk in pks:
        try:
            current_app.send_task(DELIVER_TASK, args=[pk], countdown=countdown)
        except OperationalError:
            log.exception("Could not queue webhook delivery %s; the sweep will", pk)
            continue
        sent += 1
    return sent


# ------------------------------------------------------------------------------------------ delivering


@dataclass(frozen=True)
class Outcome:
    """What one call of deliver() did: `state` after it ("skipped": not pending, not due, or claimed by
    another worker; "gone": deleted meanwhile), the attempt's status code or error, and the seconds until
    the next attempt."""

    state: str
    status_code: int | None = None
    error: str = ""
    retry_in: float | None = None


def _claim(pk: int):
    """Take a pending, due delivery for one attempt: lock its row (a worker holding it makes others skip)
    and push `next_attempt_at` past the attempt, so nobody else takes it until the lease ends. Returns
    (delivery, webhook url, secret, workspace id) or None."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("webhook")
            .filter(pk=pk, state=DeliveryState.PENDING, next_attempt_at__lte=now)
            .filter(Q(webhook__active=True) | Q(event=Event.TEST))
            .first()
        )
        if delivery is None:
            return None
        delivery.next_attempt_at = now + timedelta(seconds=LEASE_SECONDS)
        delivery.save(update_fields=["next_attempt_at"])
    webhook = delivery.webhook
    return delivery, webhook.url, webhook.secret, webhook.workspace_id


def _record(pk: int, *, status_code: int | None, error: str, duration_ms: int, at) -> Outcome:
    """Record an attempt and what follows from it: delivered on a 2xx, else retried after the backoff, or
    given up after the last attempt."""
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().filter(pk=pk).first()
        if delivery is None:  # the webhook was deleted while the request ran
            return Outcome("gone", status_code, error[:ERROR_MAX])
        error = error[:ERROR_MAX]
        WebhookAttempt.objects.create(
            delivery=delivery, at=at, status_code=status_code, error=error, duration_ms=duration_ms
        )
        delivery.attempts += 1
        delivery.last_status_code = status_code
        delivery.last_error = error
        retry_in = None
        now = timezone.now()
        if status_code is not None and 200 <= status_code < 300:
            delivery.state = DeliveryState.DELIVERED
            delivery.delivered_at = now
            delivery.last_error = ""
        elif delivery.attempts >= max_attempts():
            delivery.state = DeliveryState.FAILED
        else:
            retry_in = backoff(delivery.attempts)
            delivery.next_attempt_at = now + timedelta(seconds=retry_in)
        delivery.save(update_fields=RECORDED_FIELDS)
    return Outcome(delivery.state, status_code, error, retry_in)


def deliver(*, delivery_pk: int) -> Outcome:
    """One attempt of a delivery: claim it, POST the signed body, record the answer, queue the retry.
    Idempotent: a delivery that is delivered, given up, not yet due or being sent by another worker is
    skipped."""
    claimed = _claim(delivery_pk)
    if claimed is None:
        return Outcome("skipped")
    delivery, url, secret, workspace_id = claimed
    timestamp = int(time.time())
    body = body_of(delivery, workspace_id, timestamp)
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(secret, body),
        DELIVERY_HEADER: str(delivery.delivery_id),
        EVENT_HEADER: delivery.event,
        TIMESTAMP_HEADER: str(timestamp),
    }
    at = timezone.now()
    started = time.monotonic()
    status_code, error = None, ""
    try:
        response = outbound.request(
            "POST", url, content=body, headers=headers, timeout=_setting("WEBHOOK_TIMEOUT_SECONDS", 10)
        )
    except outbound.Refused as exc:
        error = str(exc)
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    else:
        status_code = response.status_code
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code} {response.reason_phrase}".strip()
    duration_ms = int((time.monotonic() - started) * 1000)
    outcome = _record(delivery_pk, status_code=status_code, error=error, duration_ms=duration_ms, at=at)
    if outcome.retry_in is not None:
        queue([delivery_pk], countdown=outcome.retry_in)
    return outcome


def requeue_due(*, limit: int = REQUEUE_BATCH) -> int:
    """The beat sweep (every minute, config/celery.py): queue every pending delivery that is due, oldest
    first, so a task the broker lost, a retry whose message vanished or a worker that died mid-attempt
    delays a delivery but never loses it. Queuing one that is already queued is harmless (deliver()
    skips what it cannot claim). Returns how many were queued."""
    pks = list(
        WebhookDelivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=timezone.now())
        .filter(Q(webhook__active=True) | Q(event=Event.TEST))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return queue(pks)


# ------------------------------------------------------------------------------------------ reads
# What the webhook pages and the API share (views/webhooks.py, api/integrations.py).


def webhooks_of(*, workspace_id: int):
    """A workspace's webhooks, oldest first, each with how many deliveries wait (`pending_count`), gave up
    (`failed_count`) and when the last was made (`last_delivery_at`). One query."""
    return (
        Webhook.objects.filter(workspace_id=workspace_id)
        .annotate(
            pending_count=Count("deliveries", filter=Q(deliveries__state=DeliveryState.PENDING)),
            failed_count=Count("deliveries", filter=Q(deliveries__state=DeliveryState.FAILED)),
            last_delivery_at=Max("deliveries__created_at"),
        )
        .order_by("pk")
    )


def deliveries_of(*, webhook_id: int):
    """A webhook's deliveries, newest first, with their attempts (prefetched, oldest first): two queries
    for a page, however many attempts."""
    return (
        WebhookDelivery.objects.filter(webhook_id=webhook_id)
        .order_by("-created_at", "-pk")
        .prefetch_related(Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("at", "pk")))
    )


def purge_logs(*, now: datetime | None = None) -> tuple[int, int]:
    """Delete delivery sync's log rows older than DELIVERY_LOG_RETENTION_DAYS (days; settings, 90 by
    default). Inbound deliveries go by when they were received, except the newest of each issue of an
    integration, whatever its age: its delivery id is what makes the next poll of an issue whose provider
    gives no update time a duplicate (sync.poll's `poll:<key>:<status>`), so an issue sitting in "Done"
    does not move its initiative again every retention period. Outbound webhook deliveries (with their
    attempts) go by when they were made, delivered or given-up ones only: a pending delivery is still being
    retried; rows are locked first (skipping any a "Send again" holds) and their state checked again at
    the delete. Daily, from beat (config/celery.py). Returns (inbound, outbound) rows deleted."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.DELIVERY_LOG_RETENTION_DAYS)
    newest = (
        InboundDelivery.objects.order_by("integration_id", "issue_key", "-received_at", "-id")
        .distinct("integration_id", "issue_key")
        .values("pk")
    )
    inbound = (
        InboundDelivery.objects.filter(received_at__lt=cutoff)
        .exclude(pk__in=newest)
        .delete()[1]
        .get(InboundDelivery._meta.label, 0)
    )
    finished = [DeliveryState.DELIVERED, DeliveryState.FAILED]
    with transaction.atomic():
        ids = list(
            WebhookDelivery.objects.filter(created_at__lt=cutoff, state__in=finished)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        outbound = (
            WebhookDelivery.objects.filter(pk__in=ids, state__in=finished)
            .delete()[1]
            .get(WebhookDelivery._meta.label, 0)
        )
    return inbound, outbound
