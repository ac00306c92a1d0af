"""REST API of a workspace's shift-detection settings (metrics/shifts.py's k, n, minimum history and
relative threshold): members read them, workspace admins change them naming the `expected_version` they
last saw (a stale one is 409 with the settings as they are now)."""

from decimal import Decimal

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import access as workspace_access
from accounts.models import Role
from core.api import conflict_serializer
from core.serializers import WholeNumberField

from .. import selectors, services
from ..models import MetricsSettings
from .metrics import TAGS, VersionIn, parsed


class MetricsSettingsOut(serializers.Serializer):
    workspace = serializers.IntegerField(source="workspace_id")
    shift_sigmas = serializers.DecimalField(
        max_digits=4, decimal_places=2, coerce_to_string=False, help_text="k: standard deviations."
    )
    shift_window = serializers.IntegerField(help_text="n: trailing periods that make the baseline.")
    shift_min_history = serializers.IntegerField(
        help_text="Baseline periods needed for the deviation rule; below it, the relative rule applies."
    )
    shift_relative = serializers.IntegerField(help_text="Relative change (percent) for short histories.")
    version = serializers.IntegerField(help_text="1 while the workspace has the defaults.")
    updated_at = serializers.DateTimeField(allow_null=True)
    updated_by = serializers.IntegerField(source="updated_by_id", allow_null=True)


def _limits(name: str) -> dict:
    return MetricsSettings.limits(name)


class MetricsSettingsIn(VersionIn):
    shift_sigmas = serializers.DecimalField(
        max_digits=4, decimal_places=2, required=False, **_limits("shift_sigmas")
    )
    shift_window = WholeNumberField(required=False, **_limits("shift_window"))
    shift_min_history = WholeNumberField(required=False, **_limits("shift_min_history"))
    shift_relative = WholeNumberField(required=False, **_limits("shift_relative"))


conflict_serializer(MetricsSettings, MetricsSettingsOut)
SETTINGS_CONFLICT = inline_serializer(
    name="MetricsSettingsConflict",
    fields={"detail": serializers.CharField(), "current": MetricsSettingsOut(help_text="As they are now.")},
)
NOT_MEMBER = OpenApiResponse(description="No such workspace, or you are not a member of it.")


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="The workspace's shift-detection settings",
        description="k, n, the minimum history for the deviation rule and the relative threshold "
        "(metrics/shifts.py); the defaults at version 1 until an admin changes them. Members.",
        responses={200: MetricsSettingsOut, 404: NOT_MEMBER},
    ),
    patch=extend_schema(
        tags=TAGS,
        summary="Change the workspace's shift-detection settings",
        description="Workspace admins. Give `expected_version` (the version you last saw) and any of the "
        "settings; a stale version is 409 with the settings as they are now. Later scans use them; "
        "shifts already recorded stay.",
        request=MetricsSettingsIn,
        responses={
            200: MetricsSettingsOut,
            400: OpenApiResponse(description="Bad input: `{field: [messages]}`; nothing was changed."),
            403: OpenApiResponse(description="Members who are not workspace admins."),
            404: NOT_MEMBER,
            409: OpenApiResponse(SETTINGS_CONFLICT, description="`expected_version` is stale."),
        },
    ),
)
class MetricsSettingsApi(APIView):
    def get(self, request, pk):
        workspace_access.workspace_for(request.user, pk)
        return Response(MetricsSettingsOut(selectors.metrics_settings(workspace_id=pk)).data)

    def patch(self, request, pk):
        workspace_access.workspace_for(request.user, pk, need=Role.ADMIN)
        data = parsed(MetricsSettingsIn, request.data)
        version = data.pop("expected_version")
        if isinstance(data.get("shift_sigmas"), Decimal):
            data["shift_sigmas"] = data["shift_sigmas"].quantize(Decimal("0.01"))
        settings = services.metrics_settings_update(
            workspace_id=pk, by=request.user, expected_version=version, **data
        )
        return Response(MetricsSettingsOut(settings).data)
