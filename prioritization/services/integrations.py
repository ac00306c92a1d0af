"""Jira and Asana integrations of a workspace (admins only): connect, change (name, status mapping, the
poll's API access), delete, rotate the secret; and the one system write of Asana's handshake (the secret
Asana chose). What the integrations receive is prioritization/sync.py.

Secrets: Jira's webhook secret is ours (made here, pasted into Jira's webhook form); Asana chooses its own
and sends it once, in the handshake when the Asana webhook is created. So a new Asana integration has no
secret and *waits for one*: the first handshake sets it; later handshakes are refused until an admin
rotates (which, for Asana, means "wait for a new handshake")."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from journeys.services.changes import apply_fields, check_version

from .. import access, outbound
from ..models import (
    EXTERNAL_KEY_MAX,
    SYNCED_PROVIDERS,
    URL_MAX,
    Integration,
    Provider,
    Status,
    new_secret,
)

# Where a delivery tool's status can move an initiative: not "measured" (that records the outcome's
# verdict, a person's call).
MAPPABLE = (Status.PROPOSED, Status.PLANNED, Status.IN_PROGRESS, Status.SHIPPED, Status.DROPPED)
DEFAULT_MAPPINGS = {
    Provider.JIRA: {"To Do": Status.PLANNED, "In Progress": Status.IN_PROGRESS, "Done": Status.SHIPPED},
    # Asana's status is the task's section (board column) or "Completed" (prioritization/sync.py).
    Provider.ASANA: {
        "To Do": Status.PLANNED,
        "In Progress": Status.IN_PROGRESS,
        "Done": Status.SHIPPED,
        "Completed": Status.SHIPPED,
    },
}
ASANA_API = "https://app.asana.com/api/1.0"
MAPPING_MAX = 100  # status names in one mapping
FIELDS = ("name", "status_mapping", "base_url", "api_user", "api_token", "active")
SECRET_FIELDS_MAX = {"api_user": 200, "api_token": 500}


def default_mapping(provider: str) -> dict[str, str]:
    """The status mapping a new integration starts with."""
    return {name: str(status) for name, status in DEFAULT_MAPPINGS.get(provider, {}).items()}


def clean_mapping(mapping) -> dict[str, str]:
    """{provider status name: initiative status}: names trimmed and unique regardless of case, statuses
    among MAPPABLE. ValidationError on `status_mapping` naming the first problem."""
    if mapping is None:
        return {}
    if not isinstance(mapping, dict):
        raise ValidationError({"status_mapping": "An object of status names to initiative statuses."})
    if len(mapping) > MAPPING_MAX:
        raise ValidationError({"status_mapping": f"At most {MAPPING_MAX} statuses."})
    allowed = {s.value: s.label for s in MAPPABLE}
    cleaned, seen = {}, set()
    for raw_name, status in mapping.items():
        name = " ".join(str(raw_name).split())
        if not name:
            raise ValidationError({"status_mapping": "A status name is empty."})
        if len(name) > EXTERNAL_KEY_MAX:
            raise ValidationError(
                {"status_mapping": f"“{name[:40]}…”: at most {EXTERNAL_KEY_MAX} characters."}
            )
        if name.casefold() in seen:
            raise ValidationError({"status_mapping": f"“{name}” is mapped twice."})
        if status not in allowed:
            raise ValidationError(
                {
                    "status_mapping": f"“{name}”: map it to one of {', '.join(allowed)} "
                    f"(got {str(status)[:40]!r})."
                }
            )
        seen.add(name.casefold())
        cleaned[name] = status
    return cleaned


def _clean_base_url(url) -> str:
    url = (url or "").strip().rstrip("/")
    if not url:
        return ""
    if len(url) > URL_MAX:
        raise ValidationError({"base_url": f"At most {URL_MAX:,} characters."})
    problem = outbound.url_problem(url)
    if problem:
        raise ValidationError({"base_url": problem})
    return url


def _clean(integration: Integration) -> None:
    for name, limit in SECRET_FIELDS_MAX.items():
        value = getattr(integration, name)
        if len(value) > limit:
            raise ValidationError({name: f"At most {limit} characters."})
    if integration.provider == Provider.ASANA and not integration.api_token:
        raise ValidationError(
            {
                "api_token": "Asana's webhooks say which task changed, not its status: Throughline reads "
                "the task from Asana's API, so it needs a personal access token."
            }
        )
    # The secret is blank while an Asana integration waits for its handshake (the model requires one).
    integration.full_clean(exclude=["secret", "created_by"])


@transaction.atomic
def integration_create(
    *,
    workspace_id: int,
    by: User,
    provider: str,
    name: str,
    status_mapping=None,
    base_url: str = "",
    api_user: str = "",
    api_token: str = "",
    active: bool = True,
) -> Integration:
    """Connect Jira or Asana (workspace admins). The mapping defaults to DEFAULT_MAPPINGS; Jira gets a new
    secret, Asana waits for its handshake; Asana's API root defaults to Asana's. ValidationError by field."""
    access.workspace_for(by, workspace_id, need=access.ADMIN)
    if provider not in [p.value for p in SYNCED_PROVIDERS]:
        raise ValidationError({"provider": "Choose Jira or Asana."})
    if provider == Provider.ASANA and not (base_url or "").strip():
        base_url = ASANA_API
    integration = Integration(
        workspace_id=workspace_id,
        provider=provider,
        name=" ".join((name or "").split()),
        secret="" if provider == Provider.ASANA else new_secret(),
        status_mapping=clean_mapping(default_mapping(provider) if status_mapping is None else status_mapping),
        base_url=_clean_base_url(base_url),
        api_user=(api_user or "").strip(),
        api_token=(api_token or "").strip(),
        active=bool(active),
        created_by=by,
        created_at=timezone.now(),
    )
    _clean(integration)
    integration.save()
    return integration


def _locked(by: User, integration_id) -> Integration:
    return access.integration_for(
        by, integration_id, queryset=Integration.objects.select_for_update(of=("self",))
    )


@transaction.atomic
def integration_update(*, integration_id: int, by: User, expected_version=None, **fields) -> Integration:
    """Change an integration's FIELDS (admins; the provider stays). `api_token` "" removes the token.
    Raises Conflict when `expected_version` is stale, ValidationError by field."""
    integration = _locked(by, integration_id)
    check_version(integration, expected_version)
    if "name" in fields:
        fields["name"] = " ".join((fields["name"] or "").split())
    if "status_mapping" in fields:
        fields["status_mapping"] = clean_mapping(fields["status_mapping"])
    if "base_url" in fields:
        fields["base_url"] = _clean_base_url(fields["base_url"])
    for name in ("api_user", "api_token"):
        if name in fields:
            fields[name] = (fields[name] or "").strip()
    if "active" in fields:
        fields["active"] = bool(fields["active"])
    changed = apply_fields(integration, fields, FIELDS)
    if changed:
        _clean(integration)
        integration.version += 1
        integration.save(update_fields=[*changed, "version"])
    return integration


@transaction.atomic
def integration_delete(*, integration_id: int, by: User, expected_version=None) -> None:
    """Disconnect an integration (admins): its webhook URL stops working, its inbound log goes. Initiatives
    and their delivery links stay. Raises Conflict when `expected_version` is stale."""
    integration = _locked(by, integration_id)
    check_version(integration, expected_version)
    integration.delete()


@transaction.atomic
def integration_secret_rotate(*, integration_id: int, by: User, expected_version=None) -> Integration:
    """A new secret (admins). Jira: a new random secret, to paste into Jira's webhook (calls signed with the
    old one are refused from now on). Asana: the secret is cleared and the integration waits for the
    handshake of a new Asana webhook. Raises Conflict when `expected_version` is stale."""
    integration = _locked(by, integration_id)
    check_version(integration, expected_version)
    integration.secret = "" if integration.provider == Provider.ASANA else new_secret()
    integration.version += 1
    integration.save(update_fields=["secret", "version"])
    return integration


@transaction.atomic
def integration_handshake_accept(*, integration_id: int, secret: str) -> bool:
    """Asana's handshake (a system write, authenticated by the unguessable token in the URL while the
    integration waits): store the secret Asana chose. True when stored, or when it is the secret already
    stored (a repeated handshake); False when the integration has another secret (refused)."""
    integration = Integration.objects.select_for_update().get(pk=integration_id)
    if integration.secret:
        return integration.secret == secret
    integration.secret = secret
    integration.version += 1
    integration.save(update_fields=["secret", "version"])
    return True
