"""REST API of initiatives: the workspace's delivery work, its status changes, the cards it addresses, its
target metrics with their outcome, and its delivery links.

Members of the workspace read; admins and editors write (viewers get 403); outsiders get 404. Cards and
target metrics of journeys the reader cannot see are neither listed nor counted. Updates and deletes of an
initiative (its fields, status, targets) name the `expected_version` they change: a stale one gets 409 with
the initiative as it now is. Status changes follow the allowed moves (`TRANSITIONS`, in the status endpoint's
description); moving to "measured" records every target's verdict.
"""

from __future__ import annotations

import re

from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import UserBriefOut
from core.serializers import IdField, TextField, VersionField, WholeNumberField, text_field_for
from core.text import BLANK_MESSAGE, has_visible
from metrics.api.metrics import decimal
from research.api.common import (
    EXPECTED_VERSION_PARAM,
    created,
    error_responses,
    expected_version,
    no_content,
    parsed,
    register_conflict,
)

from .. import access, outcomes, selectors
from ..models import (
    EXTERNAL_KEY_MAX,
    TRANSITIONS,
    URL_MAX,
    WINDOW_DAYS_MAX,
    DeliveryLink,
    ExpectedDirection,
    Initiative,
    InitiativeTarget,
    Provider,
    SizeUnit,
    Status,
    StatusChange,
    Verdict,
)
from ..services import initiatives as services

TAGS = ["initiatives"]
STATUS_TEXT = ", ".join(Status.values)
MOVES = "; ".join(f"{s.value} → {', '.join(sorted(TRANSITIONS[s]))}" for s in Status)


class _VisibleChoice(serializers.ChoiceField):
    """A choice refuses text without a visible character as blank, by name, like every typed text."""

    def to_internal_value(self, data):
        if isinstance(data, str) and not has_visible(data):
            raise serializers.ValidationError(BLANK_MESSAGE, code="blank")
        return super().to_internal_value(data)


def choice(choices, **kwargs) -> serializers.ChoiceField:
    """A choice whose values the schema gives as a pattern, not a named enum (metrics.api.metrics.choice:
    names such as `status` and `provider` clash with other apps' choices), refusing invisible text as
    blank."""
    values = [value for value, _ in choices]
    schema = {"type": "string", "pattern": f"^({'|'.join(re.escape(v) for v in values)})$"}
    field_class = extend_schema_field(schema)(type("InitiativeChoiceField", (_VisibleChoice,), {}))
    return field_class(choices=choices, **kwargs)


def _status_field(**kwargs):
    return serializers.CharField(read_only=True, help_text=f"One of: {STATUS_TEXT}.", **kwargs)


# ---------------------------------------------------------------------------------------------- outputs


class DeliveryLinkOut(serializers.ModelSerializer):
    provider = serializers.CharField(read_only=True, help_text=f"One of: {', '.join(Provider.values)}.")
    url = serializers.CharField(
        read_only=True, help_text="The issue's web address (http or https), or empty."
    )

    class Meta:
        model = DeliveryLink
        fields = [
            "id", "initiative", "provider", "key", "url", "external_status", "external_updated_at",
            "created_by", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class InitiativeOut(serializers.ModelSerializer):
    owner = UserBriefOut(read_only=True, allow_null=True)
    status = _status_field()
    delivery_links = DeliveryLinkOut(many=True, read_only=True)
    card_count = serializers.IntegerField(read_only=True, help_text="Cards it addresses that you can see.")
    target_count = serializers.IntegerField(read_only=True, help_text="Target metrics you can see.")

    class Meta:
        model = Initiative
        fields = [
            "id", "workspace", "title", "description", "owner", "status", "planned_date", "shipped_date",
            "baseline_days", "after_days", "card_count", "target_count", "delivery_links", "version",
            "created_at", "created_by", "updated_at", "updated_by",
        ]  # fmt: skip
        read_only_fields = fields


class InitiativeConflictOut(serializers.ModelSerializer):
    """An initiative as a 409 shows it (without the counts and links a list adds)."""

    owner = UserBriefOut(read_only=True, allow_null=True)
    status = _status_field()

    class Meta:
        model = Initiative
        fields = [
            "id", "workspace", "title", "description", "owner", "status", "planned_date", "shipped_date",
            "baseline_days", "after_days", "version", "updated_at", "updated_by",
        ]  # fmt: skip
        read_only_fields = fields


register_conflict(Initiative, InitiativeConflictOut)


class InitiativeStatusChangeOut(serializers.ModelSerializer):
    from_status = serializers.CharField(read_only=True, help_text="Empty for the creation.")
    to_status = _status_field()
    via = serializers.CharField(read_only=True, help_text="person, api or sync.")
    by = UserBriefOut(read_only=True, allow_null=True)

    class Meta:
        model = StatusChange
        fields = ["id", "from_status", "to_status", "via", "by", "at"]
        read_only_fields = fields


class InitiativeCardOut(serializers.Serializer):
    id = serializers.IntegerField(source="card.pk")
    text = serializers.CharField(source="card.text")
    kind = serializers.CharField(source="card.lane.kind", help_text="pain_points or opportunities.")
    journey = serializers.IntegerField(source="card.journey_id")
    journey_title = serializers.CharField(source="card.journey.title")
    step = serializers.IntegerField(source="card.step_id")
    step_title = serializers.CharField(source="card.step.title")
    composite = serializers.DecimalField(
        max_digits=6, decimal_places=2, coerce_to_string=False, allow_null=True, help_text="Its score, 0–100."
    )
    confidence = serializers.CharField(help_text="Its evidence confidence level (research).")
    added_at = serializers.DateTimeField()


class OutcomeSideOut(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    value = decimal(allow_null=True)
    periods = serializers.IntegerField(source="count", help_text="Periods of the metric behind the value.")
    responses = serializers.IntegerField(allow_null=True, help_text="Answers behind it, when the rows say.")


class TargetOutcomeValuesOut(serializers.Serializer):
    verdict = serializers.CharField(help_text=f"One of: {', '.join(Verdict.values)}.")
    reason = serializers.CharField()
    ship_date = serializers.DateField(allow_null=True)
    baseline = OutcomeSideOut(allow_null=True)
    after = OutcomeSideOut(allow_null=True)
    change = decimal(allow_null=True)
    change_percent = serializers.DecimalField(
        max_digits=20, decimal_places=2, coerce_to_string=False, allow_null=True
    )
    window_open = serializers.BooleanField(help_text="The after window has not ended: the verdict is so far.")


class InitiativeTargetOut(serializers.ModelSerializer):
    metric_name = serializers.CharField(source="metric.name", read_only=True)
    journey = serializers.IntegerField(source="metric.journey_id", read_only=True)
    expected_direction = serializers.CharField(read_only=True, help_text="up or down.")
    size_unit = serializers.CharField(read_only=True, help_text="absolute (the metric's unit) or percent.")
    expected_size = decimal(read_only=True)
    verdict = serializers.CharField(read_only=True, help_text="Recorded when measured; empty before.")
    baseline_value = decimal(read_only=True, allow_null=True)
    after_value = decimal(read_only=True, allow_null=True)

    class Meta:
        model = InitiativeTarget
        fields = [
            "id", "initiative", "metric", "metric_name", "journey", "expected_direction", "expected_size",
            "size_unit", "verdict", "baseline_value", "after_value", "baseline_count", "after_count",
            "measured_at",
        ]  # fmt: skip
        read_only_fields = fields


class InitiativeTargetOutcomeOut(InitiativeTargetOut):
    outcome = serializers.SerializerMethodField()

    class Meta(InitiativeTargetOut.Meta):
        fields = [*InitiativeTargetOut.Meta.fields, "outcome"]
        read_only_fields = fields

    @extend_schema_field(TargetOutcomeValuesOut)
    def get_outcome(self, target):
        return TargetOutcomeValuesOut(self.context["outcomes"][target.pk]).data


class InitiativeDetailOut(InitiativeOut):
    delivery_links = serializers.SerializerMethodField()
    cards = serializers.SerializerMethodField()
    targets = serializers.SerializerMethodField()
    status_changes = serializers.SerializerMethodField()

    class Meta(InitiativeOut.Meta):
        fields = [f for f in InitiativeOut.Meta.fields if f not in ("card_count", "target_count")] + [
            "cards",
            "targets",
            "status_changes",
        ]
        read_only_fields = fields

    @extend_schema_field(DeliveryLinkOut(many=True))
    def get_delivery_links(self, obj):
        return DeliveryLinkOut(self.context["detail"].links, many=True).data

    @extend_schema_field(InitiativeCardOut(many=True))
    def get_cards(self, obj):
        return InitiativeCardOut(self.context["detail"].cards, many=True).data

    @extend_schema_field(InitiativeTargetOutcomeOut(many=True))
    def get_targets(self, obj):
        detail = self.context["detail"]
        found = {o.target.pk: o for o in detail.outcomes}
        return InitiativeTargetOutcomeOut(detail.targets, many=True, context={"outcomes": found}).data

    @extend_schema_field(InitiativeStatusChangeOut(many=True))
    def get_status_changes(self, obj):
        return InitiativeStatusChangeOut(self.context["detail"].history, many=True).data


def _detail(request, initiative: Initiative) -> Response:
    detail = selectors.initiative_detail(initiative=initiative, user=request.user)
    return Response(
        InitiativeDetailOut(detail.initiative, context={"detail": detail, "request": request}).data
    )


# ---------------------------------------------------------------------------------------------- inputs


class InitiativeFieldsIn(serializers.Serializer):
    title = text_field_for(Initiative, "title", required=False)
    description = text_field_for(Initiative, "description")
    owner = IdField(required=False, allow_null=True, help_text="User id of a member; default: you.")
    planned_date = serializers.DateField(required=False, allow_null=True)
    baseline_days = WholeNumberField(required=False, min_value=1, max_value=WINDOW_DAYS_MAX)
    after_days = WholeNumberField(required=False, min_value=1, max_value=WINDOW_DAYS_MAX)


class InitiativeCreateIn(InitiativeFieldsIn):
    title = text_field_for(Initiative, "title")


class InitiativeUpdateIn(InitiativeFieldsIn):
    expected_version = VersionField(help_text="The version you last saw (optimistic concurrency).")
    shipped_date = serializers.DateField(
        required=False, help_text="Correct the ship date of a shipped initiative (set by shipping)."
    )


class InitiativeFilterIn(serializers.Serializer):
    status = choice(Status.choices, required=False)
    owner = IdField(required=False, help_text="Only this owner's (user id).")
    q = TextField(required=False, max_length=200, single_line=True, help_text="Words of the title.")


class InitiativeStatusIn(serializers.Serializer):
    status = choice(Status.choices, help_text=f"Allowed moves: {MOVES}.")
    expected_version = VersionField(
        required=False, help_text="The version you last saw: a stale one is refused (409)."
    )
    shipped_date = serializers.DateField(
        required=False, help_text="When moving to shipped: the day it shipped (default today)."
    )


class InitiativeCardIn(serializers.Serializer):
    card = IdField(help_text="A pain-point or opportunity card of a journey of this workspace you can see.")


class InitiativeTargetFieldsIn(serializers.Serializer):
    expected_direction = choice(ExpectedDirection.choices, required=False)
    expected_size = decimal(required=False, min_value=0, help_text="How much it should move, at least.")
    size_unit = choice(SizeUnit.choices, required=False)


class InitiativeTargetCreateIn(InitiativeTargetFieldsIn):
    metric = IdField(help_text="A metric of a journey of this workspace you can see.")
    expected_direction = choice(ExpectedDirection.choices)
    expected_size = decimal(min_value=0, help_text="How much it should move, at least.")
    expected_version = VersionField(required=False, help_text="The initiative's version you last saw.")


class InitiativeTargetUpdateIn(InitiativeTargetFieldsIn):
    expected_version = VersionField(help_text="The initiative's version you last saw.")


class DeliveryLinkIn(serializers.Serializer):
    provider = choice(Provider.choices)
    key = TextField(max_length=EXTERNAL_KEY_MAX, single_line=True, help_text="The issue's key: PROJ-123.")
    url = TextField(
        required=False, allow_blank=True, max_length=URL_MAX, single_line=True, help_text="http or https."
    )


# ---------------------------------------------------------------------------------------------- initiatives


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="The workspace's initiatives",
        description="Most recently changed first, with the counts of the cards and targets you can see.",
        parameters=[InitiativeFilterIn],
        responses={200: InitiativeOut, **error_responses(bad_input=True)},
    ),
    post=extend_schema(
        tags=TAGS,
        summary="Add an initiative",
        description="It starts as proposed.",
        request=InitiativeCreateIn,
        responses={201: InitiativeDetailOut, **error_responses()},
    ),
)
class InitiativeListApi(generics.ListAPIView):
    serializer_class = InitiativeOut

    def get_queryset(self):
        access.workspace_for(self.request.user, self.kwargs["pk"])
        filters = parsed(InitiativeFilterIn, self.request.query_params)
        return selectors.initiative_list(workspace_id=self.kwargs["pk"], user=self.request.user, **filters)

    def post(self, request, pk):
        access.workspace_for(request.user, pk, need=access.WRITE)
        data = parsed(InitiativeCreateIn, request.data)
        made = services.initiative_create(workspace_id=pk, by=request.user, via=StatusChange.Via.API, **data)
        response = _detail(request, access.initiative_for(request.user, made.pk))
        response.status_code = 201
        return response


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="An initiative",
        description="With the cards it addresses and the targets you can see (each with its outcome), its "
        "status changes and delivery links.",
        responses={200: InitiativeDetailOut, **error_responses(bad_input=False)},
    ),
    patch=extend_schema(
        tags=TAGS,
        summary="Change an initiative",
        description="Bumps `version`. The ship date and windows of a measured initiative are locked.",
        request=InitiativeUpdateIn,
        responses={200: InitiativeDetailOut, **error_responses(Initiative)},
    ),
    delete=extend_schema(
        tags=TAGS,
        summary="Delete an initiative",
        description="With its status history, targets and links; the cards stay and their journeys record "
        "it. Cannot be undone: to stop the work and keep its record, move it to `dropped`.",
        parameters=[EXPECTED_VERSION_PARAM],
        request=None,
        responses={204: None, **error_responses(Initiative)},
    ),
)
class InitiativeApi(APIView):
    def get(self, request, pk):
        return _detail(request, access.initiative_for(request.user, pk))

    def patch(self, request, pk):
        access.initiative_for(request.user, pk, need=access.WRITE)
        data = parsed(InitiativeUpdateIn, request.data)
        services.initiative_update(initiative_id=pk, by=request.user, **data)
        return _detail(request, access.initiative_for(request.user, pk))

    def delete(self, request, pk):
        access.initiative_for(request.user, pk, need=access.WRITE)
        services.initiative_delete(
            initiative_id=pk, by=request.user, expected_version=expected_version(request)
        )
        return no_content()


@extend_schema_view(
    post=extend_schema(
        tags=TAGS,
        summary="Change an initiative's status",
        description=f"Allowed moves: {MOVES}. Shipping sets the ship date; going back before shipped clears "
        "it; `measured` records every target's verdict (needs a target). Recorded with who, when and "
        "`via: api`; sends the `initiative.status_changed` webhook. Moving to the status it has changes "
        "nothing.",
        request=InitiativeStatusIn,
        responses={200: InitiativeDetailOut, **error_responses(Initiative)},
    )
)
class InitiativeStatusApi(APIView):
    def post(self, request, pk):
        initiative = access.initiative_for(request.user, pk, need=access.WRITE)
        data = parsed(InitiativeStatusIn, request.data)
        services.initiative_set_status(
            initiative=initiative, by=request.user, via=StatusChange.Via.API, **data
        )
        return _detail(request, initiative)


# ---------------------------------------------------------------------------------------------- cards


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="The cards an initiative addresses",
        description="Those on journeys you can see, with score and evidence confidence.",
        responses={200: InitiativeCardOut(many=True), **error_responses(bad_input=False)},
    ),
    post=extend_schema(
        tags=TAGS,
        summary="Say that an initiative addresses a card",
        description="A pain point or opportunity of a journey you can see (admins and editors of the "
        "workspace). The card's journey records it in its activity.",
        request=InitiativeCardIn,
        responses={201: InitiativeCardOut, **error_responses()},
    ),
)
class InitiativeCardsApi(APIView):
    def get(self, request, pk):
        initiative = access.initiative_for(request.user, pk)
        return Response(
            InitiativeCardOut(
                selectors.linked_cards(initiative=initiative, user=request.user), many=True
            ).data
        )

    def post(self, request, pk):
        initiative = access.initiative_for(request.user, pk, need=access.WRITE)
        data = parsed(InitiativeCardIn, request.data)
        services.initiative_card_link(initiative_id=pk, card_id=data["card"], by=request.user)
        linked = selectors.linked_cards(initiative=initiative, user=request.user)
        item = next(c for c in linked if c.card.pk == data["card"])
        return created(request, InitiativeCardOut, item)


@extend_schema_view(
    delete=extend_schema(
        tags=TAGS,
        summary="An initiative no longer addresses a card",
        description="The card's journey records it in its activity.",
        request=None,
        responses={204: None, **error_responses(bad_input=False)},
    )
)
class InitiativeCardApi(APIView):
    def delete(self, request, pk, card_id):
        access.initiative_for(request.user, pk, need=access.WRITE)
        services.initiative_card_unlink(initiative_id=pk, card_id=card_id, by=request.user)
        return no_content()


# ---------------------------------------------------------------------------------------------- targets


def _targets(request, initiative) -> list[InitiativeTarget]:
    return selectors.visible_targets(initiative=initiative, user=request.user)


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="An initiative's targets",
        description="The metrics it should move that you can see, each with its outcome.",
        responses={200: InitiativeTargetOutcomeOut(many=True), **error_responses(bad_input=False)},
    ),
    post=extend_schema(
        tags=TAGS,
        summary="Add a target metric",
        description="Bumps the initiative's `version`. Refused while it is measured.",
        request=InitiativeTargetCreateIn,
        responses={201: InitiativeTargetOut, **error_responses(Initiative)},
    ),
)
class InitiativeTargetsApi(APIView):
    def get(self, request, pk):
        initiative = access.initiative_for(request.user, pk)
        targets = _targets(request, initiative)
        found = {o.target.pk: o for o in outcomes.outcomes_for(initiative, targets)}
        return Response(InitiativeTargetOutcomeOut(targets, many=True, context={"outcomes": found}).data)

    def post(self, request, pk):
        access.initiative_for(request.user, pk, need=access.WRITE)
        data = parsed(InitiativeTargetCreateIn, request.data)
        data["metric_id"] = data.pop("metric")
        target = services.initiative_target_add(initiative_id=pk, by=request.user, **data)
        return created(request, InitiativeTargetOut, target)


def _check_target(request, pk) -> None:
    """404 for a target of another workspace (or none), 403 for a viewer: before reading the body."""
    initiative_id = InitiativeTarget.objects.filter(pk=pk).values_list("initiative_id", flat=True).first()
    if initiative_id is None:
        raise Http404("No such target.")
    access.initiative_for(request.user, initiative_id, need=access.WRITE)


@extend_schema_view(
    patch=extend_schema(
        tags=TAGS,
        summary="Change a target",
        description="Its expected direction, size or unit; `expected_version` is the initiative's, which "
        "this bumps. Refused while the initiative is measured.",
        request=InitiativeTargetUpdateIn,
        responses={200: InitiativeTargetOut, **error_responses(Initiative)},
    ),
    delete=extend_schema(
        tags=TAGS,
        summary="Remove a target",
        description="`expected_version` is the initiative's. Refused while it is measured.",
        parameters=[EXPECTED_VERSION_PARAM],
        request=None,
        responses={204: None, **error_responses(Initiative)},
    ),
)
class TargetApi(APIView):
    def patch(self, request, pk):
        _check_target(request, pk)
        data = parsed(InitiativeTargetUpdateIn, request.data)
        target = services.initiative_target_update(target_id=pk, by=request.user, **data)
        return Response(InitiativeTargetOut(target).data)

    def delete(self, request, pk):
        _check_target(request, pk)
        services.initiative_target_remove(
            target_id=pk, by=request.user, expected_version=expected_version(request)
        )
        return no_content()


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="An initiative's outcome",
        description="For each target you can see: the metric's value over the baseline window before the "
        "ship date against the after window from it, the change, and the verdict (met, not met, or not "
        f"enough data yet: fewer than {outcomes.MIN_PERIODS} periods on a side). Computed now; the "
        "targets' `verdict` fields hold what was recorded when the initiative was measured.",
        responses={200: InitiativeTargetOutcomeOut(many=True), **error_responses(bad_input=False)},
    )
)
class InitiativeOutcomeApi(APIView):
    def get(self, request, pk):
        return InitiativeTargetsApi().get(request, pk)


# ------------------------------------------------------------------------------------------ delivery links


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="An initiative's delivery links",
        responses={200: DeliveryLinkOut(many=True), **error_responses(bad_input=False)},
    ),
    post=extend_schema(
        tags=TAGS,
        summary="Link an issue of a delivery tool",
        description="Jira, Asana, Linear, Azure DevOps or other: its key and URL (http or https).",
        request=DeliveryLinkIn,
        responses={201: DeliveryLinkOut, **error_responses()},
    ),
)
class InitiativeLinksApi(APIView):
    def get(self, request, pk):
        initiative = access.initiative_for(request.user, pk)
        return Response(
            DeliveryLinkOut(initiative.delivery_links.order_by("provider", "key"), many=True).data
        )

    def post(self, request, pk):
        access.initiative_for(request.user, pk, need=access.WRITE)
        data = parsed(DeliveryLinkIn, request.data)
        return created(
            request, DeliveryLinkOut, services.delivery_link_add(initiative_id=pk, by=request.user, **data)
        )


@extend_schema_view(
    delete=extend_schema(
        tags=TAGS,
        summary="Remove a delivery link",
        request=None,
        responses={204: None, **error_responses(bad_input=False)},
    )
)
class DeliveryLinkApi(APIView):
    def delete(self, request, pk):
        services.delivery_link_remove(link_id=pk, by=request.user)
        return no_content()
