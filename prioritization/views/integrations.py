"""Jira and Asana integrations: the admins' pages (list, connect, an integration's page with its mapping
editor, secret and rotate, the webhook URL with setup steps, recent inbound deliveries; check now; delete)
and the two webhook endpoints Jira and Asana call.

The endpoints are the only views here without a session: the integration's token in the URL finds it, the
provider's signature authenticates the call (prioritization/sync.py), so they are exempt from CSRF (there
is no cookie to ride on) and answer 401 to a call that is unsigned or signed with another secret, having
changed nothing."""

import hmac

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.forms import add_service_errors
from accounts.models import Role
from accounts.selectors import current_workspace
from core.errors import Conflict
from core.forms import text_field_for

from .. import access, sync
from ..models import EXTERNAL_KEY_MAX, SYNCED_PROVIDERS, URL_MAX, Integration, Provider
from ..services import integrations as services
from ..services.integrations import MAPPABLE

MAPPING_BLANK_ROWS = 3  # empty rows under the mapping, for new statuses


# ------------------------------------------------------------------------------------------ forms


class IntegrationForm(forms.Form):
    name = text_field_for(
        Integration, "name", help_text="How you tell integrations apart: “Jira Cloud”, “Mobile team's Asana”."
    )
    base_url = forms.CharField(
        label="API address",
        required=False,
        max_length=URL_MAX,
        widget=forms.URLInput(attrs={"class": "input", "placeholder": "https://your-site.atlassian.net"}),
        help_text="For “check now” and the regular catch-up: Jira's site address, or Asana's API root.",
    )
    api_user = forms.CharField(
        label="API user",
        required=False,
        max_length=200,
        help_text="Jira Cloud: the account's email (with an API token). Leave empty for a bearer token.",
    )
    api_token = forms.CharField(
        label="API token",
        required=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Stored for the catch-up; never shown again. Leave empty to keep the one saved.",
    )
    remove_api_token = forms.BooleanField(label="Remove the saved API token", required=False)
    active = forms.BooleanField(
        label="Active", required=False, initial=True, help_text="An inactive integration's URL answers 404."
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if creating:
            self.fields["provider"] = forms.ChoiceField(
                label="Tool", choices=[(p.value, p.label) for p in SYNCED_PROVIDERS], initial=Provider.JIRA
            )
            self.order_fields(["provider"])
            del self.fields["remove_api_token"]
            self.fields["api_token"].help_text = "Asana needs one (its webhooks do not say the status)."

    @staticmethod
    def initial_of(integration: Integration) -> dict:
        return {
            "name": integration.name,
            "base_url": integration.base_url,
            "api_user": integration.api_user,
            "active": integration.active,
            "expected_version": integration.version,
        }

    def fields_for_service(self) -> dict:
        data = self.cleaned_data
        fields = {
            "name": data["name"],
            "base_url": data["base_url"],
            "api_user": data["api_user"],
            "active": data["active"],
        }
        if data.get("remove_api_token"):
            fields["api_token"] = ""
        elif data["api_token"]:
            fields["api_token"] = data["api_token"]
        return fields


def mapping_rows(post, mapping: dict) -> list[dict]:
    """The mapping editor's rows: each saved (or posted) status name with its initiative status, then
    blank rows for new ones."""
    if post is not None:
        names, statuses = post.getlist("mapping_name"), post.getlist("mapping_status")
        rows = [{"name": n, "status": s} for n, s in zip(names, statuses, strict=False)]
        rows = [row for row in rows if row["name"].strip() or row["status"]]
    else:
        # In the order of the statuses, then by name (PostgreSQL's jsonb keeps no key order).
        order = {status.value: n for n, status in enumerate(MAPPABLE)}
        saved = sorted(mapping.items(), key=lambda item: (order.get(item[1], len(order)), item[0].casefold()))
        rows = [{"name": name, "status": status} for name, status in saved]
    return rows + [{"name": "", "status": ""} for _ in range(MAPPING_BLANK_ROWS)]


def mapping_from(post) -> tuple[dict, str | None]:
    """The mapping the editor posted (rows with a name), or an error naming the row at fault."""
    mapping = {}
    names, statuses = post.getlist("mapping_name"), post.getlist("mapping_status")
    for index, (name, status) in enumerate(zip(names, statuses, strict=False), start=1):
        name = " ".join(name.split())
        if not name and not status:
            continue
        if not name:
            return {}, f"Row {index} of the mapping: write the status name as your tool shows it."
        if len(name) > EXTERNAL_KEY_MAX:
            return {}, f"Row {index} of the mapping: at most {EXTERNAL_KEY_MAX} characters."
        if not status:
            return {}, f"Row {index} of the mapping: choose the initiative status “{name}” means."
        mapping[name] = status
    return mapping, None


# ------------------------------------------------------------------------------------------ pages


def _admin_workspace(request):
    workspace = current_workspace(request)
    if workspace is None:
        raise Http404("No workspace.")
    if workspace.role != Role.ADMIN:
        raise PermissionDenied(access.ADMIN_MESSAGE)
    return workspace


def webhook_url(request, integration: Integration) -> str:
    """The address to paste into Jira's or Asana's webhook form."""
    name = (
        "prioritization:jira_webhook"
        if integration.provider == Provider.JIRA
        else "prioritization:asana_webhook"
    )
    return request.build_absolute_uri(reverse(name, kwargs={"token": integration.token}))


@login_required
@require_safe
def integration_list(request):
    """The current workspace's Jira and Asana integrations (admins)."""
    workspace = _admin_workspace(request)
    integrations = list(sync.integrations_of(workspace_id=workspace.pk))
    return render(
        request,
        "prioritization/integration_list.html",
        {"workspace": workspace, "integrations": integrations},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def integration_create(request):
    """Connect Jira or Asana (admins); the integration's page then shows the URL and the setup steps."""
    workspace = _admin_workspace(request)
    form = IntegrationForm(request.POST or None, creating=True)
    if request.method == "POST" and form.is_valid():
        try:
            integration = services.integration_create(
                workspace_id=workspace.pk,
                by=request.user,
                provider=form.cleaned_data["provider"],
                **form.fields_for_service(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, f"{integration.get_provider_display()} connected: follow the steps below."
            )
            return redirect("prioritization:integration", pk=integration.pk)
    return render(request, "prioritization/integration_form.html", {"form": form, "workspace": workspace})


def _integration(request, pk) -> Integration:
    return access.integration_for(request.user, pk, queryset=Integration.objects.select_related("workspace"))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def integration_detail(request, pk):
    """An integration: its settings and status mapping (a sent form that someone else's save overtook is
    refused and shown again as typed, next to what is saved now), its secret, the webhook URL with the
    provider's setup steps, and the latest inbound deliveries with their outcomes."""
    integration = _integration(request, pk)
    post = request.POST if request.method == "POST" else None
    form = IntegrationForm(post, initial=IntegrationForm.initial_of(integration))
    rows = mapping_rows(post, integration.status_mapping)
    conflict, mapping_error = None, None
    if post is not None and form.is_valid():
        mapping, mapping_error = mapping_from(post)
        if mapping_error is None:
            try:
                services.integration_update(
                    integration_id=integration.pk,
                    by=request.user,
                    expected_version=form.cleaned_data["expected_version"],
                    status_mapping=mapping,
                    **form.fields_for_service(),
                )
            except Conflict as exc:
                conflict = exc.current
                data = post.copy()
                data["expected_version"] = conflict.version
                form = IntegrationForm(data, initial=IntegrationForm.initial_of(conflict))
                form.is_valid()
                integration = conflict
            except ValidationError as exc:
                errors = exc.message_dict
                mapping_error = " ".join(errors.pop("status_mapping", [])) or None
                if errors:
                    add_service_errors(form, ValidationError(errors))
            else:
                messages.success(request, "Integration saved.")
                return redirect("prioritization:integration", pk=integration.pk)
    recent = list(sync.inbound_of(integration_id=integration.pk)[: sync.RECENT_INBOUND])
    return render(
        request,
        "prioritization/integration_detail.html",
        {
            "integration": integration,
            "workspace": integration.workspace,
            "form": form,
            "rows": rows,
            "mapping_error": mapping_error,
            "statuses": [(s.value, s.label) for s in MAPPABLE],
            "conflict": conflict,
            "recent": recent,
            "log_days": settings.DELIVERY_LOG_RETENTION_DAYS,
            "webhook_url": webhook_url(request, integration),
            "pollable": bool(integration.active and integration.base_url and integration.api_token),
        },
    )


class VersionForm(forms.Form):
    expected_version = forms.IntegerField(widget=forms.HiddenInput)


@login_required
@require_POST
def integration_rotate(request, pk):
    """A new secret (Jira) or waiting for a new Asana handshake (admins)."""
    integration = _integration(request, pk)
    form = VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The secret was not changed: reload the page and try again.")
        return redirect("prioritization:integration", pk=integration.pk)
    try:
        integration = services.integration_secret_rotate(
            integration_id=integration.pk,
            by=request.user,
            expected_version=form.cleaned_data["expected_version"],
        )
    except Conflict:
        messages.error(
            request, "The integration was changed meanwhile: the secret was not changed. Try again."
        )
    else:
        if integration.provider == Provider.ASANA:
            messages.success(request, "Waiting for Asana: create the webhook again to send a new handshake.")
        else:
            messages.success(request, "New secret made: paste it into Jira's webhook, or calls are refused.")
    return redirect("prioritization:integration", pk=integration.pk)


@login_required
@require_POST
def integration_poll(request, pk):
    """Ask the provider now about every linked issue (admins): queued, the deliveries show below."""
    integration = _integration(request, pk)
    if not (integration.active and integration.base_url and integration.api_token):
        messages.error(request, "Add the API address and a token first: checking asks the provider's API.")
    elif sync.poll_queue(integration_id=integration.pk):
        messages.success(request, "Checking: what changed shows in the deliveries below in a moment.")
    else:
        messages.error(request, "The background queue is not reachable: try again in a moment.")
    return redirect("prioritization:integration", pk=integration.pk)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def integration_delete(request, pk):
    """Disconnect an integration, after a confirmation (admins)."""
    integration = _integration(request, pk)
    form = VersionForm(request.POST or None, initial={"expected_version": integration.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.integration_delete(
                integration_id=integration.pk,
                by=request.user,
                expected_version=form.cleaned_data["expected_version"],
            )
        except Conflict:
            form.add_error(
                None, "The integration was changed meanwhile: look at it again before deleting it."
            )
        else:
            messages.success(request, "Integration disconnected.")
            return redirect("prioritization:integrations")
    return render(
        request,
        "prioritization/integration_delete.html",
        {"integration": integration, "workspace": integration.workspace, "form": form},
    )


# ------------------------------------------------------------------------------------------ endpoints


def _unsigned(provider: str, header: str) -> HttpResponse:
    response = JsonResponse({"detail": f"Missing or wrong {header}: nothing was changed."}, status=401)
    response["WWW-Authenticate"] = f'HMAC-SHA256 realm="{provider}", header="{header}"'
    return response


def _receiving(token, provider: str) -> Integration:
    integration = Integration.objects.filter(token=token, provider=provider, active=True).first()
    if integration is None:
        raise Http404("No such integration.")
    return integration


def _answer(outcomes: list[str]) -> JsonResponse:
    return JsonResponse({"outcomes": outcomes})


@csrf_exempt
@require_POST
def jira_webhook(request, token):
    """Jira's webhook: signed with the integration's secret (X-Hub-Signature); 401 otherwise."""
    integration = _receiving(token, Provider.JIRA)
    body = request.body
    if not sync.jira_signed(integration, body, request.headers.get(sync.JIRA_SIGNATURE)):
        return _unsigned("jira", sync.JIRA_SIGNATURE)
    applied = sync.jira_receive(
        integration=integration, body=body, delivery_id=request.headers.get(sync.JIRA_DELIVERY)
    )
    return _answer([applied.outcome])


@csrf_exempt
@require_POST
def asana_webhook(request, token):
    """Asana's webhook: the handshake (X-Hook-Secret, echoed back and stored while the integration waits
    for one), then events signed with that secret (X-Hook-Signature); 401 otherwise. 503 when Asana's API
    cannot be read for a task's status: Asana sends the batch again later."""
    integration = _receiving(token, Provider.ASANA)
    handshake = request.headers.get(sync.ASANA_HANDSHAKE)
    if handshake is not None:
        secret = handshake.strip()
        if not secret or len(secret) > sync.SECRET_MAX:
            return _unsigned("asana", sync.ASANA_HANDSHAKE)
        if integration.secret:
            accepted = hmac.compare_digest(integration.secret, secret)
        else:
            accepted = services.integration_handshake_accept(integration_id=integration.pk, secret=secret)
        if not accepted:
            return _unsigned("asana", sync.ASANA_HANDSHAKE)
        response = HttpResponse(status=200)
        response[sync.ASANA_HANDSHAKE] = secret
        return response
    body = request.body
    if not sync.asana_signed(integration, body, request.headers.get(sync.ASANA_SIGNATURE)):
        return _unsigned("asana", sync.ASANA_SIGNATURE)
    try:
        received = sync.asana_receive(integration=integration, body=body)
    except sync.ProviderError as exc:
        return JsonResponse(
            {"detail": f"Asana's API could not be read: {exc}. Send it again later."}, status=503
        )
    return _answer(received.outcomes)
