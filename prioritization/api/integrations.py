"""REST API of delivery sync (workspace admins only; other members get 403, outsiders 404): the Jira and
Asana integrations (settings, status mapping, secret and rotate, the inbound log) and the outbound webhooks
(settings, secret and rotate, send a test, the delivery log with every attempt, send a delivery again).

Secrets are shown to admins (they paste them into Jira or their receiver); an integration's API token is
write-only (`has_api_token` says whether one is saved). Updates and deletes name the `expected_version`
they change: a stale one gets 409 with the object as it now is. What Jira and Asana call is not here: those
endpoints are authenticated by signature (views/integrations.py).
"""

from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import conflict_serializer
from core.serializers import BooleanField, TextField, VersionField

from .. import access, sync, webhooks
from ..models import (
    NAME_MAX,
    SYNCED_PROVIDERS,
    URL_MAX,
    DeliveryState,
    InboundDelivery,
    Integration,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
)
from ..services import integrations as integration_services
from ..services import webhooks as webhook_services
from ..services.integrations import MAPPABLE
from ..services.webhooks import SUBSCRIBABLE

TAGS = ["delivery sync"]


def _parsed(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class VersionIn(serializers.Serializer):
    expected_version = VersionField(help_text="The version you last saw (optimistic concurrency).")


def _expected_version(request) -> int:
    data = request.query_params.dict()
    if isinstance(request.data, dict):
        data.update(request.data)
    return _parsed(VersionIn, data)["expected_version"]


EXPECTED_VERSION_PARAM = OpenApiParameter(
    "expected_version", {"type": "integer", "minimum": 1}, OpenApiParameter.QUERY, required=True,
    description="The version you last saw; may also be sent in a JSON body.",
)  # fmt: skip


def _errors(model=None, *, bad_input=True) -> dict:
    errors = {
        403: OpenApiResponse(description="You are a member of the workspace but not an admin."),
        404: OpenApiResponse(description="No such object, or you are not a member of its workspace."),
    }
    if bad_input:
        errors[400] = OpenApiResponse(description="Bad input: `{field: [messages]}`; nothing was changed.")
    if model is not None:
        errors[409] = OpenApiResponse(description="`expected_version` is stale: nothing was changed; "
                                      "`current` is the object as it is now.")  # fmt: skip
    return errors


# ------------------------------------------------------------------------------------------ integrations


class IntegrationOut(serializers.ModelSerializer):
    webhook_path = serializers.SerializerMethodField(
        help_text="The path Jira or Asana calls (prefix it with this server's address)."
    )
    waiting_for_handshake = serializers.SerializerMethodField(
        help_text="An Asana integration without a secret yet: the next handshake sets it."
    )
    has_api_token = serializers.SerializerMethodField()
    base_url = serializers.CharField(read_only=True, help_text="The API root the poll asks, or empty.")

    class Meta:
        model = Integration
        fields = [
            "id", "workspace", "provider", "name", "active", "webhook_path", "secret",
            "waiting_for_handshake", "status_mapping", "base_url", "api_user", "has_api_token",
            "last_polled_at", "version", "created_at", "created_by",
        ]  # fmt: skip
        read_only_fields = fields

    def get_webhook_path(self, obj) -> str:
        return reverse(f"prioritization:{obj.provider}_webhook", kwargs={"token": obj.token})

    def get_waiting_for_handshake(self, obj) -> bool:
        return not obj.secret

    def get_has_api_token(self, obj) -> bool:
        return bool(obj.api_token)


conflict_serializer(Integration, IntegrationOut)

MAPPING_HELP = (
    "The provider's status names → initiative statuses ("
    + ", ".join(s.value for s in MAPPABLE)
    + "). Names match regardless of case and spacing."
)


class IntegrationFieldsIn(serializers.Serializer):
    name = TextField(max_length=NAME_MAX, single_line=True, required=False)
    status_mapping = serializers.DictField(
        child=serializers.ChoiceField(choices=[(s.value, s.label) for s in MAPPABLE]),
        required=False,
        help_text=MAPPING_HELP,
    )
    base_url = TextField(max_length=URL_MAX, single_line=True, required=False, allow_blank=True)
    api_user = TextField(max_length=200, single_line=True, required=False, allow_blank=True)
    api_token = serializers.CharField(
        max_length=500, required=False, allow_blank=True, write_only=True, help_text="Empty removes it."
    )
    active = BooleanField(required=False)


class IntegrationCreateIn(IntegrationFieldsIn):
    provider = serializers.ChoiceField(choices=[(p.value, p.label) for p in SYNCED_PROVIDERS])
    name = TextField(max_length=NAME_MAX, single_line=True)


class IntegrationUpdateIn(VersionIn, IntegrationFieldsIn):
    pass


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="The workspace's Jira and Asana integrations",
        responses={200: IntegrationOut, **_errors(bad_input=False)},
    ),
    post=extend_schema(
        tags=TAGS,
        summary="Connect Jira or Asana",
        description="Jira gets a new secret; Asana waits for its handshake. The mapping defaults to the "
        "usual statuses. Asana needs `api_token` (its webhooks name the task, not its status).",
        request=IntegrationCreateIn,
        responses={201: IntegrationOut, **_errors()},
    ),
)
class IntegrationListApi(generics.ListAPIView):
    serializer_class = IntegrationOut

    def get_queryset(self):
        access.workspace_for(self.request.user, self.kwargs["pk"], need=access.ADMIN)
        return sync.integrations_of(workspace_id=self.kwargs["pk"])

    def post(self, request, pk):
        access.workspace_for(request.user, pk, need=access.ADMIN)
        data = _parsed(IntegrationCreateIn, request.data)
        integration = integration_services.integration_create(workspace_id=pk, by=request.user, **data)
        return Response(IntegrationOut(integration).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        tags=TAGS, summary="An integration", responses={200: IntegrationOut, **_errors(bad_input=False)}
    ),
    patch=extend_schema(
        tags=TAGS,
        summary="Change an integration",
        description="Bumps `version`. The provider stays.",
        request=IntegrationUpdateIn,
        responses={200: IntegrationOut, **_errors(Integration)},
    ),
    delete=extend_schema(
        tags=TAGS,
        summary="Disconnect an integration",
        description="Its webhook URL stops working and its inbound log goes; initiatives and links stay.",
        parameters=[EXPECTED_VERSION_PARAM],
        request=None,
        responses={204: None, **_errors(Integration)},
    ),
)
class IntegrationApi(APIView):
    def get(self, request, pk):
        return Response(IntegrationOut(access.integration_for(request.user, pk)).data)

    def patch(self, request, pk):
        access.integration_for(request.user, pk)
        data = _parsed(IntegrationUpdateIn, request.data)
        integration = integration_services.integration_update(integration_id=pk, by=request.user, **data)
        return Response(IntegrationOut(integration).data)

    def delete(self, request, pk):
        access.integration_for(request.user, pk)
        integration_services.integration_delete(
            integration_id=pk, by=request.user, expected_version=_expected_version(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    post=extend_schema(
        tags=TAGS,
        summary="Rotate an integration's secret",
        description="Jira: a new random secret (paste it into Jira's webhook). Asana: the secret is cleared "
        "and the integration waits for the handshake of a new Asana webhook.",
        request=VersionIn,
        responses={200: IntegrationOut, **_errors(Integration)},
    )
)
class IntegrationRotateApi(APIView):
    def post(self, request, pk):
        access.integration_for(request.user, pk)
        data = _parsed(VersionIn, request.data)
        integration = integration_services.integration_secret_rotate(
            integration_id=pk, by=request.user, **data
        )
        return Response(IntegrationOut(integration).data)


class InboundOut(serializers.ModelSerializer):
    class Meta:
        model = InboundDelivery
        fields = [
            "id", "delivery_id", "issue_key", "issue_updated_at", "external_status", "outcome", "received_at",
        ]  # fmt: skip
        read_only_fields = fields


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="What an integration received",
        description="Newest first: each delivery (webhook call or catch-up) once, with its outcome.",
        responses={200: InboundOut, **_errors(bad_input=False)},
    )
)
class InboundListApi(generics.ListAPIView):
    serializer_class = InboundOut

    def get_queryset(self):
        access.integration_for(self.request.user, self.kwargs["pk"])
        return sync.inbound_of(integration_id=self.kwargs["pk"])


# ------------------------------------------------------------------------------------------ webhooks


class WebhookOut(serializers.ModelSerializer):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=[(e.value, e.label) for e in SUBSCRIBABLE]),
        read_only=True,
        help_text="The events sent; empty: all.",
    )
    pending_count = serializers.SerializerMethodField(help_text="Deliveries waiting for a 2xx answer.")
    failed_count = serializers.SerializerMethodField(help_text="Deliveries that gave up.")

    class Meta:
        model = Webhook
        fields = [
            "id", "workspace", "url", "events", "active", "secret", "pending_count", "failed_count",
            "version", "created_at", "created_by",
        ]  # fmt: skip
        read_only_fields = fields

    def _count(self, obj, state) -> int:
        name = f"{state}_count"
        if hasattr(obj, name):
            return getattr(obj, name)
        return obj.deliveries.filter(state=state).count()

    def get_pending_count(self, obj) -> int:
        return self._count(obj, DeliveryState.PENDING)

    def get_failed_count(self, obj) -> int:
        return self._count(obj, DeliveryState.FAILED)


conflict_serializer(Webhook, WebhookOut)


class WebhookFieldsIn(serializers.Serializer):
    url = TextField(max_length=URL_MAX, single_line=True, required=False, help_text="http:// or https://")
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=[(e.value, e.label) for e in SUBSCRIBABLE]),
        required=False,
        help_text="The events to send; empty or left out: all.",
    )
    active = BooleanField(required=False)


class WebhookCreateIn(WebhookFieldsIn):
    url = TextField(max_length=URL_MAX, single_line=True, help_text="http:// or https://")


class WebhookUpdateIn(VersionIn, WebhookFieldsIn):
    pass


def _webhook(user, pk) -> Webhook:
    webhook = access.webhook_for(user, pk)
    return webhooks.webhooks_of(workspace_id=webhook.workspace_id).get(pk=webhook.pk)


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="The workspace's outbound webhooks",
        responses={200: WebhookOut, **_errors(bad_input=False)},
    ),
    post=extend_schema(
        tags=TAGS,
        summary="Add an outbound webhook",
        description="Its secret is made here: deliveries carry `X-Throughline-Signature: sha256=<hex "
        "HMAC-SHA256 of the raw body>` (README, “Receiving webhooks”).",
        request=WebhookCreateIn,
        responses={201: WebhookOut, **_errors()},
    ),
)
class WebhookListApi(generics.ListAPIView):
    serializer_class = WebhookOut

    def get_queryset(self):
        access.workspace_for(self.request.user, self.kwargs["pk"], need=access.ADMIN)
        return webhooks.webhooks_of(workspace_id=self.kwargs["pk"])

    def post(self, request, pk):
        access.workspace_for(request.user, pk, need=access.ADMIN)
        data = _parsed(WebhookCreateIn, request.data)
        webhook = webhook_services.webhook_create(workspace_id=pk, by=request.user, **data)
        return Response(WebhookOut(_webhook(request.user, webhook.pk)).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        tags=TAGS, summary="An outbound webhook", responses={200: WebhookOut, **_errors(bad_input=False)}
    ),
    patch=extend_schema(
        tags=TAGS,
        summary="Change an outbound webhook",
        description="Bumps `version`. A paused webhook (`active: false`) keeps its waiting deliveries.",
        request=WebhookUpdateIn,
        responses={200: WebhookOut, **_errors(Webhook)},
    ),
    delete=extend_schema(
        tags=TAGS,
        summary="Delete an outbound webhook",
        description="With its delivery log, waiting deliveries included.",
        parameters=[EXPECTED_VERSION_PARAM],
        request=None,
        responses={204: None, **_errors(Webhook)},
    ),
)
class WebhookApi(APIView):
    def get(self, request, pk):
        return Response(WebhookOut(_webhook(request.user, pk)).data)

    def patch(self, request, pk):
        access.webhook_for(request.user, pk)
        data = _parsed(WebhookUpdateIn, request.data)
        webhook_services.webhook_update(webhook_id=pk, by=request.user, **data)
        return Response(WebhookOut(_webhook(request.user, pk)).data)

    def delete(self, request, pk):
        access.webhook_for(request.user, pk)
        expected = _expected_version(request)
        webhook_services.webhook_delete(webhook_id=pk, by=request.user, expected_version=expected)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    post=extend_schema(
        tags=TAGS,
        summary="Rotate an outbound webhook's secret",
        description="Every attempt from now on is signed with the new secret, retries of earlier ones too.",
        request=VersionIn,
        responses={200: WebhookOut, **_errors(Webhook)},
    )
)
class WebhookRotateApi(APIView):
    def post(self, request, pk):
        access.webhook_for(request.user, pk)
        data = _parsed(VersionIn, request.data)
        webhook_services.webhook_secret_rotate(webhook_id=pk, by=request.user, **data)
        return Response(WebhookOut(_webhook(request.user, pk)).data)


class AttemptOut(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["at", "status_code", "error", "duration_ms"]
        read_only_fields = fields


class DeliveryOut(serializers.ModelSerializer):
    state = serializers.ChoiceField(
        choices=DeliveryState.choices, read_only=True, help_text="pending (waiting), delivered, failed."
    )
    attempt_log = AttemptOut(many=True, read_only=True, help_text="Every attempt, oldest first.")

    class Meta:
        model = WebhookDelivery
        fields = [
            "id", "webhook", "delivery_id", "event", "payload", "state", "attempts", "last_status_code",
            "last_error", "next_attempt_at", "created_at", "delivered_at", "attempt_log",
        ]  # fmt: skip
        read_only_fields = fields


@extend_schema_view(
    post=extend_schema(
        tags=TAGS,
        summary="Send a test delivery",
        description="Event `webhook.test`, whatever the webhook's events and even when paused; delivered, "
        "retried and logged like any other.",
        request=None,
        responses={202: DeliveryOut, **_errors(bad_input=False)},
    )
)
class WebhookTestApi(APIView):
    def post(self, request, pk):
        access.webhook_for(request.user, pk)
        delivery = webhook_services.webhook_send_test(webhook_id=pk, by=request.user)
        return Response(DeliveryOut(delivery).data, status=status.HTTP_202_ACCEPTED)


class DeliveryFilterIn(serializers.Serializer):
    state = serializers.ChoiceField(choices=DeliveryState.choices, required=False)


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="An outbound webhook's delivery log",
        description="Newest first, each delivery with every attempt's answer (status code or error).",
        parameters=[DeliveryFilterIn],
        responses={200: DeliveryOut, **_errors()},
    )
)
class DeliveryListApi(generics.ListAPIView):
    serializer_class = DeliveryOut

    def get_queryset(self):
        access.webhook_for(self.request.user, self.kwargs["pk"])
        filters = _parsed(DeliveryFilterIn, self.request.query_params)
        deliveries = webhooks.deliveries_of(webhook_id=self.kwargs["pk"])
        if filters.get("state"):
            deliveries = deliveries.filter(state=filters["state"])
        return deliveries


@extend_schema_view(
    post=extend_schema(
        tags=TAGS,
        summary="Send a delivery again",
        description="Now, with the same delivery id; one that gave up gets a fresh round of attempts.",
        request=None,
        responses={202: DeliveryOut, **_errors(bad_input=False)},
    )
)
class DeliveryResendApi(APIView):
    def post(self, request, pk):
        delivery = webhook_services.webhook_delivery_resend(delivery_id=pk, by=request.user)
        return Response(DeliveryOut(delivery).data, status=status.HTTP_202_ACCEPTED)
