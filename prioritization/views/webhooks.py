"""Outbound webhooks pages (workspace admins): the list, register, a webhook's page (edit, its secret with
rotate, send a test, recent deliveries), delete, the delivery log with every attempt's answer, and sending a
delivery again. Thin: access once (prioritization.access), a service or a read of webhooks.py, render."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.forms import add_service_errors
from accounts.models import Role
from accounts.selectors import current_workspace
from core.errors import Conflict

from .. import access, webhooks
from ..models import URL_MAX, DeliveryState, Webhook, WebhookDelivery
from ..services import webhooks as services
from ..services.webhooks import SUBSCRIBABLE

LOG_PAGE = 25  # deliveries a page of the log
RECENT = 5  # deliveries on a webhook's page


class WebhookForm(forms.Form):
    url = forms.CharField(
        label="Payload URL",
        max_length=URL_MAX,
        help_text="Where Throughline POSTs the JSON: the http:// or https:// address of your receiver.",
        widget=forms.URLInput(
            attrs={"class": "input", "placeholder": "https://example.com/hooks/throughline"}
        ),
    )
    events = forms.MultipleChoiceField(
        label="Events",
        required=False,
        choices=[(e.value, e.label) for e in SUBSCRIBABLE],
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every event, including ones added later.",
    )
    active = forms.BooleanField(
        label="Active",
        required=False,
        initial=True,
        help_text="A paused webhook keeps its waiting deliveries.",
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    @staticmethod
    def initial_of(webhook: Webhook) -> dict:
        return {
            "url": webhook.url,
            "events": webhook.events,
            "active": webhook.active,
            "expected_version": webhook.version,
        }

    def fields_for_service(self) -> dict:
        data = self.cleaned_data
        return {"url": data["url"], "events": list(data["events"]), "active": data["active"]}


class VersionForm(forms.Form):
    expected_version = forms.IntegerField(widget=forms.HiddenInput)


def _admin_workspace(request):
    workspace = current_workspace(request)
    if workspace is None:
        raise Http404("No workspace.")
    if workspace.role != Role.ADMIN:
        raise PermissionDenied(access.ADMIN_MESSAGE)
    return workspace


@login_required
@require_safe
def webhook_list(request):
    """The current workspace's outbound webhooks (admins), with waiting and failed deliveries."""
    workspace = _admin_workspace(request)
    hooks = list(webhooks.webhooks_of(workspace_id=workspace.pk))
    return render(
        request,
        "prioritization/webhook_list.html",
        {"workspace": workspace, "webhooks": hooks},
    )


def _event_labels():
    return [(e.value, e.label) for e in SUBSCRIBABLE]


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def webhook_create(request):
    """Register a webhook in the current workspace (admins); its page then shows the secret."""
    workspace = _admin_workspace(request)
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            webhook = services.webhook_create(
                workspace_id=workspace.pk, by=request.user, **form.fields_for_service()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Webhook added. Copy its secret to your receiver, then send a test.")
            return redirect("prioritization:webhook", pk=webhook.pk)
    return render(request, "prioritization/webhook_form.html", {"form": form, "workspace": workspace})


def _webhook(request, pk) -> Webhook:
    return access.webhook_for(request.user, pk, queryset=Webhook.objects.select_related("workspace"))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def webhook_detail(request, pk):
    """A webhook: edit its address, events and whether it is active; its secret (rotate); send a test;
    its latest deliveries. A form sent after someone else saved is refused and shown again with what the
    person typed and what is saved now (sending it again saves it)."""
    webhook = _webhook(request, pk)
    form = WebhookForm(request.POST or None, initial=WebhookForm.initial_of(webhook))
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            services.webhook_update(
                webhook_id=webhook.pk,
                by=request.user,
                expected_version=form.cleaned_data["expected_version"],
                **form.fields_for_service(),
            )
        except Conflict as exc:
            conflict = exc.current
            data = request.POST.copy()
            data["expected_version"] = conflict.version
            form = WebhookForm(data, initial=WebhookForm.initial_of(conflict))
            form.is_valid()
            webhook = conflict
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Webhook saved.")
            return redirect("prioritization:webhook", pk=webhook.pk)
    recent = list(webhooks.deliveries_of(webhook_id=webhook.pk)[:RECENT])
    return render(
        request,
        "prioritization/webhook_detail.html",
        {
            "webhook": webhook,
            "workspace": webhook.workspace,
            "form": form,
            "conflict": conflict,
            "recent": recent,
            "headers": _headers(),
            "event_names": [dict(_event_labels()).get(e, e) for e in webhook.events],
        },
    )


def _headers() -> list[tuple[str, str]]:
    return [
        (webhooks.SIGNATURE_HEADER, "sha256= and the hex HMAC-SHA256 of the raw body, keyed with the secret"),
        (webhooks.DELIVERY_HEADER, "the delivery id: the same on every attempt, so drop repeats by it"),
        (webhooks.EVENT_HEADER, "the event name"),
        (webhooks.TIMESTAMP_HEADER, "when this attempt was sent (Unix seconds; also in the signed body)"),
    ]


@login_required
@require_POST
def webhook_rotate(request, pk):
    """A new secret for the webhook (admins); the old one stops signing at once."""
    webhook = _webhook(request, pk)
    form = VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The secret was not changed: reload the page and try again.")
        return redirect("prioritization:webhook", pk=webhook.pk)
    try:
        services.webhook_secret_rotate(
            webhook_id=webhook.pk, by=request.user, expected_version=form.cleaned_data["expected_version"]
        )
    except Conflict:
        messages.error(request, "The webhook was changed meanwhile: the secret was not changed. Try again.")
    else:
        messages.success(request, "New secret made. Update your receiver: deliveries are signed with it now.")
    return redirect("prioritization:webhook", pk=webhook.pk)


@login_required
@require_POST
def webhook_test(request, pk):
    """Send a test delivery to the webhook (admins); it shows in the log."""
    webhook = _webhook(request, pk)
    services.webhook_send_test(webhook_id=webhook.pk, by=request.user)
    messages.success(request, "Test delivery queued: its answer shows in the log below in a moment.")
    return redirect("prioritization:webhook", pk=webhook.pk)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def webhook_delete(request, pk):
    """Delete a webhook and its delivery log, after a confirmation (admins)."""
    webhook = _webhook(request, pk)
    form = VersionForm(request.POST or None, initial={"expected_version": webhook.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.webhook_delete(
                webhook_id=webhook.pk, by=request.user, expected_version=form.cleaned_data["expected_version"]
            )
        except Conflict:
            form.add_error(None, "The webhook was changed meanwhile: look at it again before deleting it.")
        else:
            messages.success(request, "Webhook deleted.")
            return redirect("prioritization:webhooks")
    count = WebhookDelivery.objects.filter(webhook_id=webhook.pk).count()
    return render(
        request,
        "prioritization/webhook_delete.html",
        {"webhook": webhook, "workspace": webhook.workspace, "form": form, "delivery_count": count},
    )


@login_required
@require_safe
def webhook_deliveries(request, pk):
    """The webhook's delivery log, newest first, 25 a page: each delivery's event, state and every
    attempt's answer (status code or error, time taken). Filter by state."""
    webhook = _webhook(request, pk)
    state = request.GET.get("state", "")
    state = state if state in DeliveryState.values else ""
    deliveries = webhooks.deliveries_of(webhook_id=webhook.pk)
    if state:
        deliveries = deliveries.filter(state=state)
    page = Paginator(deliveries, LOG_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "prioritization/webhook_deliveries.html",
        {
            "webhook": webhook,
            "workspace": webhook.workspace,
            "page": page,
            "page_query": query.urlencode(),
            "state": state,
            "states": DeliveryState.choices,
            "log_days": settings.DELIVERY_LOG_RETENTION_DAYS,
        },
    )


@login_required
@require_POST
def delivery_resend(request, pk):
    """Send a delivery again now (admins of its webhook's workspace)."""
    delivery = services.webhook_delivery_resend(delivery_id=pk, by=request.user)
    messages.success(request, "Delivery queued again.")
    return redirect("prioritization:webhook_deliveries", pk=delivery.webhook_id)
