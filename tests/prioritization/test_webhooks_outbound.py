"""Outbound webhooks without a worker: which webhooks an event goes to, the signature and its replay
window, the backoff, the claim that keeps two attempts of one delivery apart, the SSRF guard, and the
services admins use."""

import json
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from config.celery import app
from core.errors import Conflict
from prioritization import outbound, webhooks
from prioritization.models import DeliveryState, Event, WebhookAttempt, WebhookDelivery
from prioritization.services import webhooks as services

from .receivers import webhook_receiver


@pytest.fixture
def scratch_queue():
    """Tasks these tests queue (first attempts, retries) go to a queue of their own, purged afterwards: no
    worker runs here, and none of another test may pick them up."""
    queue = f"throughline-scratch-{time.monotonic_ns()}"
    default = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        yield queue
    finally:
        app.conf.task_default_queue = default
        with app.connection_for_write() as connection:
            connection.default_channel.queue_purge(queue)


@pytest.fixture
def local(settings):
    settings.OUTBOUND_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_RETRY_BASE_SECONDS = 10
    settings.WEBHOOK_MAX_ATTEMPTS = 3


def hook(workspace, admin, url="https://hooks.example.com/tl", **kwargs):
    return services.webhook_create(workspace_id=workspace.pk, by=admin, url=url, **kwargs)


# ------------------------------------------------------------------------------------------ emit


def test_emit_records_a_delivery_per_active_webhook_that_wants_the_event(workspace, admin, outsider):
    every = hook(workspace, admin)
    scores = hook(workspace, admin, events=[Event.SCORE_CHANGED])
    statuses = hook(workspace, admin, events=[Event.INITIATIVE_STATUS])
    paused = hook(workspace, admin, active=False)
    theirs = hook(outsider.memberships.get().workspace, outsider)

    made = webhooks.emit(workspace_id=workspace.pk, event=Event.SCORE_CHANGED, payload={"card": 7})

    assert {d.webhook_id for d in made} == {every.pk, scores.pk}
    assert not WebhookDelivery.objects.filter(webhook__in=[statuses, paused, theirs]).exists()
    assert {d.state for d in made} == {DeliveryState.PENDING}


def test_emit_makes_the_payload_json_with_django_s_encoder(workspace, admin):
    from decimal import Decimal

    hook(workspace, admin)
    (delivery,) = webhooks.emit(
        workspace_id=workspace.pk,
        event=Event.SCORE_CHANGED,
        payload={"composite": Decimal("72.50"), "at": datetime(2026, 3, 1, tzinfo=UTC)},
    )
    delivery.refresh_from_db()
    assert delivery.payload == {"composite": "72.50", "at": "2026-03-01T00:00:00Z"}


def test_emit_without_webhooks_is_one_query(workspace, django_assert_num_queries):
    with django_assert_num_queries(1):  # the matching webhooks
        assert webhooks.emit(workspace_id=workspace.pk, event=Event.SCORE_CHANGED, payload={}) == []


def test_emit_in_a_write_that_rolls_back_leaves_nothing(workspace, admin, scratch_queue):
    hook(workspace, admin)
    with pytest.raises(RuntimeError), transaction.atomic():
        webhooks.emit(workspace_id=workspace.pk, event=Event.SCORE_CHANGED, payload={})
        raise RuntimeError("the write failed")
    assert not WebhookDelivery.objects.exists()


# ------------------------------------------------------------------------------------------ signing


def test_the_signature_is_the_hmac_of_the_raw_body():
    import hashlib
    import hmac

    body = b'{"id":"x","timestamp":1}'
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert webhooks.sign("s3cret", body) == f"sha256={expected}"


def test_verify_accepts_a_fresh_signed_body_and_refuses_replays_and_forgeries():
    now = 1_800_000_000
    body = json.dumps({"id": "d", "timestamp": now}).encode()
    signature = webhooks.sign("k", body)
    assert webhooks.verify("k", body, signature, now=now + 60)
    assert not webhooks.verify("k", body, signature, now=now + 301)  # replayed six minutes later
    assert not webhooks.verify("other", body, signature, now=now)
    assert not webhooks.verify("k", body.replace(b"d", b"e"), signature, now=now)
    assert not webhooks.verify("k", body, None, now=now)


def test_body_of_an_attempt_carries_id_event_time_and_data(workspace, admin):
    hook(workspace, admin)
    (delivery,) = webhooks.emit(workspace_id=workspace.pk, event=Event.INITIATIVE_STATUS, payload={"a": 1})
    body = json.loads(webhooks.body_of(delivery, workspace.pk, 1_800_000_000))
    assert body == {
        "id": str(delivery.delivery_id),
        "event": "initiative.status_changed",
        "created_at": delivery.created_at.isoformat(),
        "timestamp": 1_800_000_000,
        "workspace": workspace.pk,
        "data": {"a": 1},
    }


# ------------------------------------------------------------------------------------------ attempts


def test_backoff_doubles_from_the_base_up_to_the_cap(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    settings.WEBHOOK_RETRY_MAX_SECONDS = 600
    assert [webhooks.backoff(n) for n in range(1, 7)] == [30, 60, 120, 240, 480, 600]


def test_a_failed_attempt_is_logged_and_waits_then_the_last_one_gives_up(
    workspace, admin, local, scratch_queue
):
    with webhook_receiver(fail_first=99, status=503) as receiver:
        webhook = hook(workspace, admin, url=receiver.url)
        (delivery,) = webhooks.emit(workspace_id=workspace.pk, event=Event.SCORE_CHANGED, payload={})
        started = timezone.now()
        first = webhooks.deliver(delivery_pk=delivery.pk)
        assert (first.state, first.status_code, first.retry_in) == (DeliveryState.PENDING, 503, 10)
        delivery.refresh_from_db()
        assert delivery.attempts == 1 and delivery.last_status_code == 503
        assert delivery.next_attempt_at >= started + timedelta(seconds=10)
        # Not due yet: another task for it does nothing.
        assert webhooks.deliver(delivery_pk=delivery.pk).state == "skipped"
        for _ in range(2):
            WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
            last = webhooks.deliver(delivery_pk=delivery.pk)
        assert last.state == DeliveryState.FAILED and last.retry_in is None
        assert len(receiver.requests) == 3
    codes = WebhookAttempt.objects.filter(delivery=delivery).values_list("status_code", flat=True)
    assert list(codes) == [503] * 3
    assert webhook.deliveries.get().state == DeliveryState.FAILED


def test_a_delivery_being_sent_is_not_taken_by_a_second_task(workspace, admin, local, scratch_queue):
    hook(workspace, admin)
    (delivery,) = webhooks.emit(workspace_id=workspace.pk, event=Event.SCORE_CHANGED, payload={})
    claimed = webhooks._claim(delivery.pk)
    assert claimed is not None
    # The claim pushed the next attempt past the lease: the sweep and a second task leave it alone.
    assert webhooks._claim(delivery.pk) is None
    assert webhooks.requeue_due() == 0


def test_a_delivered_delivery_is_never_sent_again_by_a_task(workspace, admin, local, scratch_queue):
    with webhook_receiver() as receiver:
        hook(workspace, admin, url=receiver.url)
        (delivery,) = webhooks.emit(workspace_id=workspace.pk, event=Event.SCORE_CHANGED, payload={})
        assert webhooks.deliver(delivery_pk=delivery.pk).state == DeliveryState.DELIVERED
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        assert webhooks.deliver(delivery_pk=delivery.pk).state == "skipped"
        assert len(receiver.requests) == 1


def test_a_paused_webhook_s_deliveries_wait(workspace, admin, local, scratch_queue):
    webhook = hook(workspace, admin)
    (delivery,) = webhooks.emit(workspace_id=workspace.pk, event=Event.SCORE_CHANGED, payload={})
    services.webhook_update(webhook_id=webhook.pk, by=admin, active=False)
    assert webhooks.deliver(delivery_pk=delivery.pk).state == "skipped"
    assert webhooks.requeue_due() == 0
    services.webhook_update(webhook_id=webhook.pk, by=admin, active=True)
    assert webhooks.requeue_due() == 1


def test_the_sweep_takes_due_pending_deliveries_only(workspace, admin, scratch_queue):
    hook(workspace, admin)
    due, later, done = (
        webhooks.emit(workspace_id=workspace.pk, event=Event.SCORE_CHANGED, payload={})[0] for _ in range(3)
    )
    WebhookDelivery.objects.filter(pk=later.pk).update(next_attempt_at=timezone.now() + timedelta(hours=1))
    WebhookDelivery.objects.filter(pk=done.pk).update(state=DeliveryState.DELIVERED)
    assert webhooks.requeue_due() == 1
    assert due.pk  # the one queued


# ------------------------------------------------------------------------------------------ SSRF


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("file:///etc/passwd", "Use an http:// or https:// address."),
        ("gopher://example.com/", "Use an http:// or https:// address."),
        ("https://user:pw@example.com/hook", "Leave the user name and password out of the address."),
        ("http://127.0.0.1:8000/", "private or reserved"),
        ("http://169.254.169.254/latest/meta-data/", "private or reserved"),
        ("http://10.1.2.3/", "private or reserved"),
        ("http://[::1]/", "private or reserved"),
        ("http://[::ffff:192.168.0.1]/", "private or reserved"),
        ("https://hooks.example.com/tl", None),
    ],
)
def test_url_problem(url, problem, settings):
    settings.OUTBOUND_ALLOW_PRIVATE_ADDRESSES = False
    found = outbound.url_problem(url)
    if problem is None:
        assert found is None
    else:
        assert problem in found


def test_a_name_resolving_to_a_private_address_is_refused_when_sending(settings):
    settings.OUTBOUND_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(outbound.Refused, match="private or reserved"):
        outbound.request("POST", "http://localhost:9/hook", content=b"{}", timeout=1)


def test_private_addresses_are_allowed_only_when_the_setting_says_so(settings):
    settings.OUTBOUND_ALLOW_PRIVATE_ADDRESSES = True
    assert outbound.url_problem("http://127.0.0.1:8000/") is None
    with webhook_receiver() as receiver:
        assert outbound.request("POST", receiver.url, content=b"{}", timeout=5).status_code == 200
        # Redirects are answers, not followed.


def test_a_refused_address_is_a_failed_attempt_with_the_reason(workspace, admin, settings, scratch_queue):
    settings.OUTBOUND_ALLOW_PRIVATE_ADDRESSES = True
    webhook = hook(workspace, admin, url="http://localhost:9/hook")  # saved while allowed
    settings.OUTBOUND_ALLOW_PRIVATE_ADDRESSES = False
    (delivery,) = webhooks.emit(workspace_id=workspace.pk, event=Event.SCORE_CHANGED, payload={})
    outcome = webhooks.deliver(delivery_pk=delivery.pk)
    attempt = WebhookAttempt.objects.get(delivery__webhook=webhook)
    assert (outcome.state, outcome.status_code, outcome.error) == (DeliveryState.PENDING, None, attempt.error)
    assert re.fullmatch(r"localhost is (::1|127\.0\.0\.1), a private or reserved address: .+", attempt.error)


# ------------------------------------------------------------------------------------------ services


def test_webhook_services_are_for_admins(workspace, admin, editor, outsider):
    with pytest.raises(PermissionDenied):
        services.webhook_create(workspace_id=workspace.pk, by=editor, url="https://example.com/h")
    with pytest.raises(Http404):
        services.webhook_create(workspace_id=workspace.pk, by=outsider, url="https://example.com/h")
    webhook = hook(workspace, admin)
    with pytest.raises(PermissionDenied):
        services.webhook_update(webhook_id=webhook.pk, by=editor, active=False)
    with pytest.raises(Http404):
        services.webhook_secret_rotate(webhook_id=webhook.pk, by=outsider)


def test_bad_input_names_the_field(workspace, admin, settings):
    settings.OUTBOUND_ALLOW_PRIVATE_ADDRESSES = False
    for url, field in [("", "url"), ("ftp://example.com/x", "url"), ("http://10.0.0.1/", "url")]:
        with pytest.raises(ValidationError) as caught:
            services.webhook_create(workspace_id=workspace.pk, by=admin, url=url)
        assert list(caught.value.message_dict) == [field]
    with pytest.raises(ValidationError) as caught:
        services.webhook_create(
            workspace_id=workspace.pk, by=admin, url="https://example.com/h", events=["card.deleted"]
        )
    assert "Unknown event 'card.deleted'" in caught.value.message_dict["events"][0]


def test_choosing_every_event_is_stored_as_all(workspace, admin):
    webhook = hook(workspace, admin, events=[Event.SCORE_CHANGED, Event.INITIATIVE_STATUS])
    assert webhook.events == []


def test_a_stale_update_is_a_conflict(workspace, admin):
    webhook = hook(workspace, admin)
    services.webhook_update(webhook_id=webhook.pk, by=admin, expected_version=1, active=False)
    with pytest.raises(Conflict):
        services.webhook_update(webhook_id=webhook.pk, by=admin, expected_version=1, url="https://x.example/")


def test_rotating_changes_the_secret(workspace, admin):
    webhook = hook(workspace, admin)
    rotated = services.webhook_secret_rotate(webhook_id=webhook.pk, by=admin)
    assert rotated.secret != webhook.secret and len(rotated.secret) >= 43


def test_send_test_and_resend(workspace, admin, scratch_queue):
    webhook = hook(workspace, admin, events=[Event.SCORE_CHANGED], active=False)
    test = services.webhook_send_test(webhook_id=webhook.pk, by=admin)
    assert (test.event, test.payload["sent_by"]) == (Event.TEST, admin.display_name)
    WebhookDelivery.objects.filter(pk=test.pk).update(state=DeliveryState.FAILED, attempts=15)
    again = services.webhook_delivery_resend(delivery_id=test.pk, by=admin)
    assert (again.state, again.attempts) == (DeliveryState.PENDING, 0)


def test_the_readme_s_python_example_verifies_our_deliveries(workspace, admin):
    """The receiver code README.md gives people, run against a body we send."""
    import re
    from pathlib import Path

    readme = Path(__file__).resolve().parents[2].joinpath("README.md").read_text()
    section = readme.split("To check a delivery in Python:", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own documentation
    verify = namespace["verify"]

    webhook = hook(workspace, admin)
    (delivery,) = webhooks.emit(workspace_id=workspace.pk, event=Event.SCORE_CHANGED, payload={"card": 3})
    body = webhooks.body_of(delivery, workspace.pk, int(time.time()))
    assert verify(webhook.secret, body, webhooks.sign(webhook.secret, body))["data"] == {"card": 3}
    with pytest.raises(ValueError, match="bad signature"):
        verify("another secret", body, webhooks.sign(webhook.secret, body))
    old = webhooks.body_of(delivery, workspace.pk, int(time.time()) - 600)
    with pytest.raises(ValueError, match="too old"):
        verify(webhook.secret, old, webhooks.sign(webhook.secret, old))
