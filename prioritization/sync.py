"""Sync in: Jira and Asana tell us an issue's status changed (webhooks), or we ask them (the poll); the
status maps to an initiative status through the integration's mapping, for every initiative of the
integration's workspace whose DeliveryLink names that issue.

Webhooks (views/integrations.py answers them; each integration's URL carries its token):
- Jira: `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with the integration's secret>`
  (Atlassian's webhooks with a secret, WebSub's method=signature); the delivery id is the
  `X-Atlassian-Webhook-Identifier` header; the body's `issue.key`, `issue.fields.updated` and
  `issue.fields.status.name` say what changed.
- Asana: on creation a handshake carrying `X-Hook-Secret`, echoed back and stored as the secret while the
  integration waits for one (services/integrations.py); then events signed with `X-Hook-Signature: <hex
  HMAC-SHA256 of the body>`, a batch of events naming the task's gid and `created_at`. An event does not
  carry the task's status, so it is read from Asana's API (GET tasks/{gid}): Asana's status is the task's
  section (board column) in its first project, or "Completed" once the task is completed.

Every delivery is recorded once (InboundDelivery, unique by integration and delivery id) with its outcome:
a repeated delivery id changes nothing; a delivery about an issue updated before what a link has seen
(`DeliveryLink.external_updated_at`) is "stale" and changes nothing. Unsigned or wrongly signed calls are
refused by the view before anything here runs.

The poll (`manage.py sync_poll`, the beat task) asks the provider for every linked issue of an integration
(Jira: a JQL search by key with fields=status,updated; Asana: GET tasks/{gid}) and applies what is newer
than what the links have seen, through the same code, as deliveries with ids `poll:<key>:<updated>`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from celery import current_app
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from kombu.exceptions import OperationalError

from . import outbound
from .models import (
    TRANSITIONS,
    DeliveryLink,
    InboundDelivery,
    Initiative,
    Integration,
    Provider,
    Status,
    StatusChange,
)

log = logging.getLogger(__name__)
Outcome = InboundDelivery.Outcome

POLL_TASK = "prioritization.poll_integration"
POLL_ALL_TASK = "prioritization.poll_integrations"
DUPLICATE = "duplicate"  # not an Outcome: a repeated delivery id is not recorded again
JIRA_SIGNATURE = "X-Hub-Signature"
JIRA_DELIVERY = "X-Atlassian-Webhook-Identifier"
ASANA_HANDSHAKE = "X-Hook-Secret"  # noqa: S105 - a header name
ASANA_SIGNATURE = "X-Hook-Signature"
ASANA_COMPLETED = "Completed"
POLL_TIMEOUT = 10  # seconds per request to the provider
JIRA_BATCH = 50  # issue keys per JQL search
SECRET_MAX = 200
TEXT_MAX = 100  # external status and key as stored


class ProviderError(Exception):
    """The provider's API could not be read (network, auth, an unexpected answer); the message says why,
    `status` is the HTTP status of the answer when there was one."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


# ------------------------------------------------------------------------------------------ signatures


def _hmac_hex(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def jira_signed(integration: Integration, body: bytes, header: str | None) -> bool:
    """Jira's `X-Hub-Signature: sha256=<hex>` matches the body under the integration's secret."""
    if not integration.secret or not header or not header.startswith("sha256="):
        return False
    return hmac.compare_digest(_hmac_hex(integration.secret, body), header.removeprefix("sha256=").lower())


def asana_signed(integration: Integration, body: bytes, header: str | None) -> bool:
    """Asana's `X-Hook-Signature: <hex>` matches the body under the secret of its handshake."""
    if not integration.secret or not header:
        return False
    return hmac.compare_digest(_hmac_hex(integration.secret, body), header.strip().lower())


# ------------------------------------------------------------------------------------------ applying


def _parse_time(value) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _links(integration: Integration, key: str):
    return DeliveryLink.objects.filter(
        provider=integration.provider, key__iexact=key, initiative__workspace_id=integration.workspace_id
    )


def _not_older(updated_at: datetime | None, seen: datetime | None) -> bool:
    """An update not older than what a link has seen (unknown times are never "older")."""
    return seen is None or updated_at is None or updated_at >= seen


def mapped_status(integration: Integration, name: str) -> str | None:
    """The initiative status the integration maps a provider status name to (case and spacing ignored)."""
    wanted = " ".join(name.split()).casefold()
    for status_name, status in (integration.status_mapping or {}).items():
        if " ".join(status_name.split()).casefold() == wanted:
            return status
    return None


def _set_status(initiative: Initiative, status: str, at: datetime) -> None:
    # P3's service records the StatusChange, the dates and the outcome; imported here so that sync.py can
    # be read (and its other paths run) without it.
    from .services.initiatives import initiative_set_status

    initiative_set_status(initiative=initiative, status=status, by=None, via=StatusChange.Via.SYNC, at=at)


def _move(initiative: Initiative, target: str, at: datetime) -> str:
    """Move one initiative to `target`: "changed", "same" (already there, or measured and told shipped:
    measuring comes after shipping) or "refused" (not a move TRANSITIONS allows)."""
    current = initiative.status
    if current == target or (target == Status.SHIPPED and current == Status.MEASURED):
        return "same"
    if target not in TRANSITIONS.get(Status(current), set()):
        return "refused"
    _set_status(initiative, target, at)
    return "changed"


@dataclass
class Applied:
    """What applying one delivery did: its outcome (an InboundDelivery.Outcome or DUPLICATE) and the
    initiatives whose status changed."""

    outcome: str
    changed: list[int] = field(default_factory=list)


def issue_apply(
    *,
    integration: Integration,
    delivery_id: str,
    key: str,
    updated_at: datetime | None,
    status_name: str | None,
    ignored: bool = False,
) -> Applied:
    """Record one delivery about issue `key` and apply it (a system write; the caller authenticated it):

    - a delivery id seen before: DUPLICATE, nothing recorded or changed;
    - `ignored` (not about an issue's status): recorded as ignored;
    - no initiative of the workspace links the issue: unknown_issue;
    - every link has seen a later update: stale;
    - else the links take the status and update time, and the mapped status moves their initiatives
      (applied), unless the status is not mapped (unmapped) or no initiative may make that move (refused).
    Concurrent deliveries about one issue queue on its links' row locks; a concurrent copy of the same
    delivery fails on the unique (integration, delivery id) and is reported as DUPLICATE."""
    delivery_id = delivery_id[:SECRET_MAX]
    key = (key or "")[:TEXT_MAX]
    status_name = (status_name or "")[:TEXT_MAX] if status_name is not None else None
    try:
        with transaction.atomic():
            return _apply(integration, delivery_id, key, updated_at, status_name, ignored)
    except IntegrityError:
        if InboundDelivery.objects.filter(integration=integration, delivery_id=delivery_id).exists():
            return Applied(DUPLICATE)
        raise


def _apply(integration, delivery_id, key, updated_at, status_name, ignored) -> Applied:
    if InboundDelivery.objects.filter(integration=integration, delivery_id=delivery_id).exists():
        return Applied(DUPLICATE)
    record = InboundDelivery(
        integration=integration,
        delivery_id=delivery_id,
        issue_key=key,
        issue_updated_at=updated_at,
        external_status=status_name or "",
        received_at=timezone.now(),
    )
    changed: list[int] = []
    if ignored or not key:
        record.outcome = Outcome.IGNORED
    else:
        links = list(_links(integration, key).select_for_update(of=("self",)).order_by("pk"))
        fresh = [link for link in links if _not_older(updated_at, link.external_updated_at)]
        if not links:
            record.outcome = Outcome.UNKNOWN_ISSUE
        elif not fresh:
            record.outcome = Outcome.STALE
        elif status_name is None:
            record.outcome = Outcome.IGNORED
        else:
            for link in fresh:
                link.external_status = status_name
                link.external_updated_at = updated_at or link.external_updated_at
                link.save(update_fields=["external_status", "external_updated_at"])
            target = mapped_status(integration, status_name)
            if target is None:
                record.outcome = Outcome.UNMAPPED
            else:
                at = min(updated_at or timezone.now(), timezone.now())
                initiative_ids = sorted({link.initiative_id for link in fresh})
                initiatives = Initiative.objects.select_for_update(of=("self",)).filter(pk__in=initiative_ids)
                moves = {}
                for initiative in initiatives.order_by("pk"):
                    moves[initiative.pk] = _move(initiative, target, at)
                changed = [pk for pk, move in moves.items() if move == "changed"]
                refused = all(move == "refused" for move in moves.values()) and moves
                record.outcome = Outcome.REFUSED if refused else Outcome.APPLIED
    record.full_clean(exclude=["integration"])
    record.save()
    return Applied(record.outcome, changed)


# ------------------------------------------------------------------------------------------ Jira


def jira_receive(*, integration: Integration, body: bytes, delivery_id: str | None) -> Applied:
    """A signed Jira webhook call: the issue's key, update time and status from the body. Without Jira's
    delivery id header, the body's SHA-256 identifies the delivery (a resent body is then a duplicate)."""
    delivery_id = delivery_id or "sha256:" + hashlib.sha256(body).hexdigest()
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    issue = payload.get("issue") if isinstance(payload, dict) else None
    fields = issue.get("fields") if isinstance(issue, dict) else None
    key = issue.get("key") if isinstance(issue, dict) else None
    status = (fields or {}).get("status") if isinstance(fields, dict) else None
    status_name = status.get("name") if isinstance(status, dict) else None
    if not isinstance(key, str) or not isinstance(status_name, str):
        return issue_apply(
            integration=integration,
            delivery_id=delivery_id,
            key=key if isinstance(key, str) else "",
            updated_at=None,
            status_name=None,
            ignored=True,
        )
    updated_at = _parse_time(fields.get("updated"))
    if updated_at is None and isinstance(payload.get("timestamp"), int):
        updated_at = datetime.fromtimestamp(payload["timestamp"] / 1000, tz=UTC)
    return issue_apply(
        integration=integration,
        delivery_id=delivery_id,
        key=key,
        updated_at=updated_at,
        status_name=status_name,
    )


def _jira_auth(integration: Integration) -> tuple[dict, tuple | None]:
    # Jira Cloud: the account's email and an API token (basic auth); Data Center: a personal access token.
    if integration.api_user:
        return {}, (integration.api_user, integration.api_token)
    return {"Authorization": f"Bearer {integration.api_token}"}, None


def _get_json(integration: Integration, url: str, *, params=None, headers=None, auth=None) -> dict:
    try:
        response = outbound.request(
            "GET",
            url,
            params=params,
            headers={"Accept": "application/json", **(headers or {})},
            auth=auth,
            timeout=POLL_TIMEOUT,
        )
    except outbound.Refused as exc:
        raise ProviderError(str(exc)) from exc
    except httpx.HTTPError as exc:
        raise ProviderError(f"{integration.get_provider_display()} did not answer: {exc}") from exc
    if response.status_code != 200:
        raise ProviderError(
            f"{integration.get_provider_display()} answered HTTP {response.status_code} for {url}",
            status=response.status_code,
        )
    try:
        data = response.json()
    except ValueError as exc:
        raise ProviderError(f"{integration.get_provider_display()} answered something not JSON") from exc
    if not isinstance(data, dict):
        raise ProviderError(f"{integration.get_provider_display()} answered an unexpected shape")
    return data


def jira_fetch(integration: Integration, keys: list[str]) -> dict[str, tuple[str, datetime | None]]:
    """{key: (status name, updated)} of these Jira issues, by JQL search (GET /rest/api/3/search/jql,
    fields=status,updated), JIRA_BATCH keys a request. Keys Jira does not know are left out."""
    headers, auth = _jira_auth(integration)
    url = f"{integration.base_url}/rest/api/3/search/jql"
    found: dict[str, tuple[str, datetime | None]] = {}
    batches = [keys[start : start + JIRA_BATCH] for start in range(0, len(keys), JIRA_BATCH)]
    while batches:
        batch = batches.pop(0)
        jql = "key in (" + ", ".join(json.dumps(k) for k in batch) + ")"
        params = {"jql": jql, "fields": "status,updated", "maxResults": JIRA_BATCH}
        try:
            data = _get_json(integration, url, params=params, headers=headers, auth=auth)
        except ProviderError as exc:
            # JQL refuses the whole search when one key does not exist (deleted, moved, mistyped): ask
            # for the keys one by one, and leave out the ones refused alone.
            if exc.status != 400:
                raise
            if len(batch) > 1:
                batches[:0] = [[key] for key in batch]
            continue
        for issue in data.get("issues") or []:
            if not isinstance(issue, dict) or not isinstance(issue.get("key"), str):
                continue
            fields = issue.get("fields") or {}
            status = (fields.get("status") or {}).get("name") if isinstance(fields, dict) else None
            if isinstance(status, str):
                found[issue["key"].upper()] = (status, _parse_time(fields.get("updated")))
    return found


# ------------------------------------------------------------------------------------------ Asana


def asana_task(integration: Integration, gid: str) -> tuple[str, datetime | None] | None:
    """(status name, modified_at) of an Asana task (GET tasks/{gid}); None when Asana has no such task."""
    url = f"{integration.base_url}/tasks/{gid}"
    params = {"opt_fields": "completed,modified_at,memberships.section.name"}
    headers = {"Authorization": f"Bearer {integration.api_token}"}
    try:
        data = _get_json(integration, url, params=params, headers=headers)
    except ProviderError as exc:
        if exc.status == 404:
            return None
        raise
    task = data.get("data")
    if not isinstance(task, dict):
        raise ProviderError("Asana answered an unexpected shape")
    return asana_status(task), _parse_time(task.get("modified_at"))


def asana_status(task: dict) -> str:
    """Asana's status of a task: "Completed" once completed, else its section in its first project."""
    if task.get("completed"):
        return ASANA_COMPLETED
    for membership in task.get("memberships") or []:
        section = membership.get("section") if isinstance(membership, dict) else None
        if isinstance(section, dict) and isinstance(section.get("name"), str):
            return section["name"]
    return ""


def _asana_event_id(event: dict) -> str:
    canonical = json.dumps(event, sort_keys=True, separators=(",", ":"))
    return "asana:" + hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class Received:
    """What a webhook call did: one outcome per delivery it carried."""

    outcomes: list[str] = field(default_factory=list)


def asana_receive(*, integration: Integration, body: bytes) -> Received:
    """A signed Asana webhook call: a batch of events (an empty batch is Asana's heartbeat). Each task event
    is one delivery (its id: the event's SHA-256): unknown tasks and events older than what the links have
    seen are recorded without asking Asana; the others read the task from Asana's API first (once a call
    per task; the later events of a task in the batch are then stale). Raises ProviderError when Asana's
    API cannot be read: the view answers 503 so that Asana sends the batch again (what was recorded before
    is then a duplicate)."""
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    events = payload.get("events") if isinstance(payload, dict) else None
    received = Received()
    for event in events if isinstance(events, list) else []:
        if not isinstance(event, dict):
            continue
        resource = event.get("resource") or {}
        if not isinstance(resource, dict) or resource.get("resource_type") != "task":
            continue  # stories, sections, projects…: not an initiative's issue
        gid = resource.get("gid")
        if not isinstance(gid, str) or not gid:
            continue
        delivery_id = _asana_event_id(event)
        created_at = _parse_time(event.get("created_at"))
        if event.get("action") == "deleted":
            received.outcomes.append(
                issue_apply(
                    integration=integration,
                    delivery_id=delivery_id,
                    key=gid,
                    updated_at=created_at,
                    status_name=None,
                    ignored=True,
                ).outcome
            )
            continue
        received.outcomes.append(_asana_event(integration, delivery_id, gid, created_at))
    return received


def _asana_event(integration, delivery_id, gid, created_at) -> str:
    if InboundDelivery.objects.filter(integration=integration, delivery_id=delivery_id).exists():
        return DUPLICATE
    links = list(_links(integration, gid).values_list("external_updated_at", flat=True))
    needs_task = any(_not_older(created_at, seen) for seen in links)
    status_name, updated_at = None, created_at
    if needs_task:
        task = asana_task(integration, gid)
        if task is not None:
            status_name, updated_at = task[0], task[1] or created_at
    # Without links (unknown) or fresh ones (stale) the status is not needed; issue_apply decides under
    # the links' locks, so a link made meanwhile is seen.
    return issue_apply(
        integration=integration,
        delivery_id=delivery_id,
        key=gid,
        updated_at=updated_at,
        status_name=status_name if needs_task else "",
        ignored=needs_task and status_name is None,
    ).outcome


# ------------------------------------------------------------------------------------------ the poll


@dataclass
class Polled:
    """What a poll of one integration did: issues asked about, outcomes of those newer than what we had,
    and the error that stopped it (None when it ran through)."""

    integration_id: int
    asked: int = 0
    outcomes: list[str] = field(default_factory=list)
    error: str | None = None


def pollable() -> Q:
    """Integrations the poll can ask: active, with an API root and a token."""
    return Q(active=True) & ~Q(base_url="") & ~Q(api_token="")


def poll(*, integration_id: int) -> Polled:
    """Ask the provider about every issue the integration's workspace links, and apply what changed
    after what the links have seen (a missed webhook). Asking again changes nothing: an issue whose update
    time we have already seen is not applied twice (its delivery id, `poll:<key>:<updated>`, is recorded)."""
    integration = Integration.objects.get(pk=integration_id)
    result = Polled(integration.pk)
    links = DeliveryLink.objects.filter(
        provider=integration.provider, initiative__workspace_id=integration.workspace_id
    )
    seen: dict[str, datetime | None] = {}
    for key, at in links.values_list("key", "external_updated_at").order_by("key"):
        key = key.upper() if integration.provider == Provider.JIRA else key
        if key not in seen or (at is not None and (seen[key] is None or at < seen[key])):
            seen[key] = at  # the oldest of the links: a newer update moves at least one of them
    result.asked = len(seen)
    try:
        if integration.provider == Provider.JIRA:
            current = jira_fetch(integration, sorted(seen))
        else:
            current = {}
            for gid in sorted(seen):
                task = asana_task(integration, gid)
                if task is not None:
                    current[gid] = task
    except ProviderError as exc:
        result.error = str(exc)
        log.warning("Poll of integration %s stopped: %s", integration.pk, exc)
    for key, (status_name, updated_at) in sorted(current.items()) if result.error is None else ():
        if key not in seen:
            continue
        last = seen[key]
        if last is not None and updated_at is not None and updated_at <= last:
            continue  # nothing we have not seen
        stamp = updated_at.isoformat() if updated_at is not None else status_name
        applied = issue_apply(
            integration=integration,
            delivery_id=f"poll:{key}:{stamp}",
            key=key,
            updated_at=updated_at,
            status_name=status_name,
        )
        if applied.outcome != DUPLICATE:
            result.outcomes.append(applied.outcome)
    Integration.objects.filter(pk=integration.pk).update(last_polled_at=timezone.now())
    return result


def poll_queue(*, integration_id: int) -> bool:
    """Queue the poll of one integration (tasks.py; sent by name). False when the broker cannot take it."""
    try:
        current_app.send_task(POLL_TASK, args=[integration_id])
    except OperationalError:
        log.exception("Could not queue the poll of integration %s", integration_id)
        return False
    return True


def poll_all() -> list[Polled]:
    """Poll every integration that can be polled (pollable())."""
    ids = Integration.objects.filter(pollable()).order_by("pk").values_list("pk", flat=True)
    return [poll(integration_id=pk) for pk in ids]


# ------------------------------------------------------------------------------------------ reads
# What the integration pages and the API share (views/integrations.py, api/integrations.py).

RECENT_INBOUND = 20


def integrations_of(*, workspace_id: int):
    """A workspace's integrations by provider and name, each with how many deliveries it received
    (`delivery_count`) and when the last came (`last_received_at`). One query."""
    return (
        Integration.objects.filter(workspace_id=workspace_id)
        .annotate(delivery_count=Count("deliveries"), last_received_at=Max("deliveries__received_at"))
        .order_by("provider", "name", "pk")
    )


def inbound_of(*, integration_id: int):
    """An integration's received deliveries, newest first."""
    return InboundDelivery.objects.filter(integration_id=integration_id).order_by("-received_at", "-pk")
