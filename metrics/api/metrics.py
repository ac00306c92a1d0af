"""REST API of metrics: definitions, measurements, health and shifts.

A metric is part of its journey: people who see the journey read it, people with edit on it write it
(viewers 403; outsiders and members without a grant on a restricted journey 404). Writes go through
metrics.services (one transaction, recorded on the journey); a stale `expected_version` is 409 with the
metric as it is now.
"""

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import conflict_serializer, error_dict
from core.serializers import INT_MAX, IdField, TextField, VersionField, WholeNumberField, text_field_for

from .. import access, health, selectors, services
from ..models import (
    COMPONENT_MAX,
    VALUE_DIGITS,
    VALUE_PLACES,
    WEIGHT_MAX,
    Aggregation,
    Component,
    Direction,
    Kind,
    Measurement,
    Metric,
    MetricShift,
    ShiftDirection,
    ShiftRule,
    Source,
    Unit,
)

TAGS = ["metrics"]

# ---------------------------------------------------------------------------------------------- shared


def parsed(serializer_class, data) -> dict:
    """The validated data of `serializer_class` for `data`; 400 `{field: [messages]}` otherwise."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def choice(choices, **kwargs) -> serializers.ChoiceField:
    """A ChoiceField whose values the schema gives as a pattern, not an enum: drf-spectacular makes every
    enum a named component, and names such as `kind`, `direction` and `status` clash with other apps'
    choices (ENUM_NAME_OVERRIDES lives in the shared settings)."""
    values = [value for value, _ in choices]
    schema = {"type": "string", "pattern": f"^({'|'.join(re.escape(v) for v in values)})$"}
    if kwargs.get("allow_null"):
        schema["nullable"] = True
    field_class = extend_schema_field(schema)(type("InlineChoiceField", (serializers.ChoiceField,), {}))
    return field_class(choices=choices, **kwargs)


def decimal(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=VALUE_DIGITS, decimal_places=VALUE_PLACES, coerce_to_string=False, **kwargs
    )


class VersionIn(serializers.Serializer):
    expected_version = VersionField(
        help_text="The version of the metric you last saw (optimistic concurrency)."
    )


def errors(*, conflict=False, bad_input=True) -> dict:
    out = {
        403: OpenApiResponse(description="You can see the journey but lack edit on it."),
        404: OpenApiResponse(description="No such object, or you cannot see its journey."),
    }
    if bad_input:
        out[400] = OpenApiResponse(description="Bad input: `{field: [messages]}`; nothing was changed.")
    if conflict:
        out[409] = OpenApiResponse(
            METRIC_CONFLICT, description="`expected_version` is stale: nothing was changed."
        )
    return out


EXPECTED_VERSION_PARAM = OpenApiParameter(
    "expected_version", {"type": "integer", "minimum": 1, "maximum": INT_MAX}, OpenApiParameter.QUERY,
    required=True, description="The version you last saw; may also be sent in a JSON body.",
)  # fmt: skip


ITEM_KEY = re.compile(r"items\[(\d+)\](?:\.(\w+))?")


def item_errors(messages: dict) -> dict:
    """The service's errors of a batch (`{"items[3].value": [...], "items[4]": [...]}`) as the API writes
    them, under the request's own field: `{"items": {"3": {"value": [...]}, "4": {"non_field_errors":
    [...]}}}` (DRF's form for a list's items, which the serializer's own errors take too)."""
    out: dict = {}
    for key, texts in messages.items():
        match = ITEM_KEY.fullmatch(key)
        if match is None:
            out[key] = texts
            continue
        item = out.setdefault("items", {})
        if isinstance(item, dict):
            item.setdefault(match[1], {})[match[2] or "non_field_errors"] = texts
    return out


# ---------------------------------------------------------------------------------------------- metrics


class MetricOut(serializers.ModelSerializer):
    kind = choice(Kind.choices)
    unit = choice(Unit.choices)
    direction = choice(Direction.choices)
    aggregation = choice(Aggregation.choices)
    source = choice(Source.choices)
    element = serializers.CharField(source="element_kind", help_text="journey, stage or step")
    unit_text = serializers.CharField(help_text='The unit as shown after a value ("%", "EUR", "min").')
    target_value = decimal(allow_null=True)
    good_threshold = decimal(allow_null=True)
    off_track_threshold = decimal(allow_null=True)

    class Meta:
        model = Metric
        fields = [
            "id", "journey", "stage", "step", "element", "name", "kind", "unit", "currency", "unit_label",
            "unit_text", "direction", "target_value", "target_date", "good_threshold", "off_track_threshold",
            "aggregation", "source", "owner", "description", "weight", "version", "created_at",
            "created_by", "updated_at", "updated_by",
        ]  # fmt: skip
        read_only_fields = fields


conflict_serializer(Metric, MetricOut)
METRIC_CONFLICT = inline_serializer(
    name="MetricConflict",
    fields={
        "detail": serializers.CharField(),
        "current": MetricOut(
            help_text="The metric as it is now: reload it, reapply your change, send again."
        ),
    },
)


class MetricFieldsIn(serializers.Serializer):
    stage = IdField(required=False, allow_null=True, help_text="A stage of the journey to attach it to.")
    step = IdField(required=False, allow_null=True, help_text="A step of the journey to attach it to.")
    name = text_field_for(Metric, "name", required=False)
    kind = choice(Kind.choices, required=False)
    unit = choice(Unit.choices, required=False, help_text="Default: the kind's.")
    currency = TextField(
        max_length=3, single_line=True, required=False, allow_blank=True, help_text="ISO 4217 code (EUR)."
    )
    unit_label = text_field_for(Metric, "unit_label")
    direction = choice(Direction.choices, required=False, help_text="Default: the kind's.")
    target_value = decimal(required=False, allow_null=True)
    target_date = serializers.DateField(required=False, allow_null=True)
    good_threshold = decimal(required=False, allow_null=True)
    off_track_threshold = decimal(required=False, allow_null=True)
    aggregation = choice(Aggregation.choices, required=False, help_text="Default: the kind's.")
    source = choice(Source.choices, required=False)
    owner = IdField(required=False, allow_null=True, help_text="User id of someone who sees the journey.")
    description = text_field_for(Metric, "description")
    weight = WholeNumberField(required=False, min_value=1, max_value=WEIGHT_MAX)


class MetricCreateIn(MetricFieldsIn):
    name = text_field_for(Metric, "name")


class MetricUpdateIn(VersionIn, MetricFieldsIn):
    pass


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="A journey's metrics",
        description="The metrics of the journey, its stages and its steps, in map order.",
        responses={200: MetricOut, **errors(bad_input=False)},
    ),
    post=extend_schema(
        tags=TAGS,
        summary="Define a metric",
        description="On the journey, or on one stage or step of it (`stage` / `step`). Unit, direction and "
        "aggregation default to the kind's.",
        request=MetricCreateIn,
        responses={201: MetricOut, **errors()},
    ),
)
class JourneyMetricsApi(generics.ListAPIView):
    serializer_class = MetricOut

    def get_queryset(self):
        access.journey_for(self.request.user, self.kwargs["pk"])
        return selectors.metric_list(journey_id=self.kwargs["pk"])

    def post(self, request, pk):
        access.journey_for(request.user, pk, need=access.EDIT)
        data = parsed(MetricCreateIn, request.data)
        metric = services.metric_create(journey_id=pk, by=request.user, **data)
        return Response(MetricOut(metric).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(tags=TAGS, summary="A metric", responses={200: MetricOut, **errors(bad_input=False)}),
    patch=extend_schema(
        tags=TAGS,
        summary="Change or move a metric",
        request=MetricUpdateIn,
        responses={200: MetricOut, **errors(conflict=True)},
    ),
    delete=extend_schema(
        tags=TAGS,
        summary="Delete a metric with its measurements",
        parameters=[EXPECTED_VERSION_PARAM],
        responses={204: None, **errors(conflict=True)},
    ),
)
class MetricApi(APIView):
    def get(self, request, pk):
        return Response(MetricOut(access.metric_for(request.user, pk)).data)

    def patch(self, request, pk):
        access.metric_for(request.user, pk, need=access.EDIT)
        data = parsed(MetricUpdateIn, request.data)
        metric = services.metric_update(metric_id=pk, by=request.user, **data)
        return Response(MetricOut(metric).data)

    def delete(self, request, pk):
        access.metric_for(request.user, pk, need=access.EDIT)
        data = request.query_params.dict()
        if isinstance(request.data, dict):
            data.update(request.data)
        version = parsed(VersionIn, data)["expected_version"]
        services.metric_delete(metric_id=pk, by=request.user, expected_version=version)
        return Response(status=status.HTTP_204_NO_CONTENT)


# ---------------------------------------------------------------------------------------------- measurements


class MeasurementOut(serializers.ModelSerializer):
    value = decimal()
    source = choice(Source.choices)

    class Meta:
        model = Measurement
        fields = [
            "id", "metric", "period_start", "period_end", "segment", "value", "components", "source",
            "entered_by", "entered_at", "version",
        ]  # fmt: skip
        read_only_fields = fields


conflict_serializer(Measurement, MeasurementOut)
MEASUREMENT_CONFLICT = inline_serializer(
    name="MeasurementConflict",
    fields={
        "detail": serializers.CharField(),
        "current": MeasurementOut(help_text="The measurement as it is now."),
    },
)


class MeasurementFieldsIn(serializers.Serializer):
    date = serializers.DateField(required=False, help_text="A single day (or give period_start/period_end).")
    period_start = serializers.DateField(required=False)
    period_end = serializers.DateField(required=False, help_text="Default: period_start.")
    value = decimal(required=False, allow_null=True, help_text="May be left out when `components` give it.")
    segment = text_field_for(Measurement, "segment", help_text="Region, plan…; empty: all customers.")
    components = serializers.DictField(
        child=WholeNumberField(min_value=0, max_value=COMPONENT_MAX),
        required=False,
        help_text=f"Counts the value comes from: {', '.join(Component.values)}.",
    )


class MeasurementUpdateIn(VersionIn, MeasurementFieldsIn):
    segment = text_field_for(Measurement, "segment", required=False, help_text="Empty: all customers.")


class MeasurementItemIn(MeasurementFieldsIn):
    metric = IdField(help_text="A metric of this journey.")


class MeasurementBulkIn(serializers.Serializer):
    items = serializers.ListField(
        child=MeasurementItemIn(),
        min_length=1,
        max_length=services.BULK_MAX,
        help_text=f"1 to {services.BULK_MAX:,} measurements; all are recorded or none.",
    )


class UpsertOut(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField(help_text="Periods and segments whose value or counts changed.")
    unchanged = serializers.IntegerField(help_text="Sent again as they were: nothing changed.")


@extend_schema_view(
    post=extend_schema(
        tags=TAGS,
        summary="Record measurements (bulk upsert)",
        description=f"Up to {services.BULK_MAX:,} measurements of the journey's metrics, all or none. A "
        "metric's period and segment recorded already is updated when the value or counts differ, left "
        "alone otherwise: sending the same items twice changes nothing. Errors name the item and field: "
        '`{"items": {"3": {"value": [...]}}}`. A shift scan of the journey follows.',
        request=MeasurementBulkIn,
        responses={200: UpsertOut, **errors()},
    )
)
class JourneyMeasurementsApi(APIView):
    def post(self, request, pk):
        access.journey_for(request.user, pk, need=access.EDIT)
        data = parsed(MeasurementBulkIn, request.data)
        items = [dict(item) for item in data["items"]]
        try:
            result = services.measurements_upsert(
                journey_id=pk, by=request.user, items=items, source=Source.API
            )
        except DjangoValidationError as exc:
            raise ValidationError(item_errors(error_dict(exc))) from None
        return Response(UpsertOut(result.as_dict()).data)


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="A metric's measurements",
        description="Newest period first, then by segment.",
        responses={200: MeasurementOut, **errors(bad_input=False)},
    ),
    post=extend_schema(
        tags=TAGS,
        summary="Record one measurement (upsert)",
        request=MeasurementFieldsIn,
        responses={200: UpsertOut, **errors()},
    ),
)
class MetricMeasurementsApi(generics.ListAPIView):
    serializer_class = MeasurementOut

    def get_queryset(self):
        access.metric_for(self.request.user, self.kwargs["pk"])
        return selectors.measurement_list(metric_id=self.kwargs["pk"])

    def post(self, request, pk):
        access.metric_for(request.user, pk, need=access.EDIT)
        data = parsed(MeasurementFieldsIn, request.data)
        result = services.measurement_upsert(metric_id=pk, by=request.user, source=Source.API, **data)
        return Response(UpsertOut(result.as_dict()).data)


def _measurement_errors(*, conflict=False) -> dict:
    out = errors(bad_input=True)
    if conflict:
        out[409] = OpenApiResponse(
            MEASUREMENT_CONFLICT, description="`expected_version` is stale: nothing was changed."
        )
    return out


@extend_schema_view(
    get=extend_schema(
        tags=TAGS, summary="A measurement", responses={200: MeasurementOut, **errors(bad_input=False)}
    ),
    patch=extend_schema(
        tags=TAGS,
        summary="Correct a measurement",
        description="Its period (`date`, or `period_start`/`period_end`), value, segment or counts; the "
        "others stay. Recorded in the metric's history; the metric's shift of that period is worked out "
        "again.",
        request=MeasurementUpdateIn,
        responses={200: MeasurementOut, **_measurement_errors(conflict=True)},
    ),
    delete=extend_schema(
        tags=TAGS,
        summary="Delete a measurement",
        description="Recorded in the metric's history (with its value); the metric's shift of that "
        "period is worked out again.",
        parameters=[EXPECTED_VERSION_PARAM],
        responses={204: None, **_measurement_errors(conflict=True)},
    ),
)
class MeasurementApi(APIView):
    def get(self, request, pk):
        return Response(MeasurementOut(access.measurement_for(request.user, pk)).data)

    def patch(self, request, pk):
        access.measurement_for(request.user, pk, need=access.EDIT)
        data = parsed(MeasurementUpdateIn, request.data)
        version = data.pop("expected_version")
        measurement = services.measurement_update(
            measurement_id=pk, by=request.user, expected_version=version, **data
        )
        return Response(MeasurementOut(measurement).data)

    def delete(self, request, pk):
        access.measurement_for(request.user, pk, need=access.EDIT)
        data = request.query_params.dict()
        if isinstance(request.data, dict):
            data.update(request.data)
        version = parsed(VersionIn, data)["expected_version"]
        services.measurement_delete(measurement_id=pk, by=request.user, expected_version=version)
        return Response(status=status.HTTP_204_NO_CONTENT)


# ---------------------------------------------------------------------------------------------- health


class ExplainedMetricOut(serializers.Serializer):
    metric = serializers.IntegerField()
    name = serializers.CharField()
    journey = serializers.IntegerField()
    element = serializers.CharField(help_text="journey, stage or step")
    element_id = serializers.IntegerField()
    element_title = serializers.CharField()
    unit = serializers.CharField()
    direction = choice(Direction.choices)
    weight = serializers.IntegerField()
    period_start = serializers.DateField(allow_null=True)
    period_end = serializers.DateField(allow_null=True)
    value = decimal(allow_null=True)
    responses = serializers.IntegerField(allow_null=True)
    previous_period_end = serializers.DateField(allow_null=True)
    previous_value = decimal(allow_null=True)
    good = decimal(allow_null=True, help_text="Good from here on, in the metric's direction.")
    off_track = decimal(allow_null=True, help_text="Off track beyond here.")
    thresholds_from = serializers.CharField(allow_null=True, help_text="metric, target or kind")
    status = choice(health.Status.choices)
    previous_status = choice(health.Status.choices)
    points = serializers.IntegerField(allow_null=True)
    trend = choice(health.Trend.choices, allow_null=True)
    rule = serializers.CharField(help_text="The rule that gave the status, in words.")


class ElementScoreOut(serializers.Serializer):
    id = serializers.IntegerField()
    score = serializers.IntegerField(allow_null=True)
    previous = serializers.IntegerField(allow_null=True)
    change = serializers.IntegerField(allow_null=True)


class HealthOut(serializers.Serializer):
    journey = serializers.IntegerField()
    score = serializers.IntegerField(allow_null=True, help_text="0–100; null: not measured.")
    previous = serializers.IntegerField(allow_null=True, help_text="The score of the period before.")
    change = serializers.IntegerField(allow_null=True)
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="Metrics by status.")
    metrics = ExplainedMetricOut(many=True, help_text="Every metric the score includes, rated or not.")
    sub_journeys = serializers.ListField(child=serializers.IntegerField(), help_text="Included (visible).")
    stages = ElementScoreOut(many=True)
    steps = ElementScoreOut(many=True)
    children = ElementScoreOut(many=True, help_text="Each direct sub-journey you can see.")
    rule = serializers.DictField(help_text="The rule's constants (metrics/health.py).")


def _scores(scores: dict) -> list[dict]:
    return [
        {"id": pk, "score": s.score, "previous": s.previous, "change": s.change} for pk, s in scores.items()
    ]


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="A journey's health, explained",
        description="0–100 from the statuses of its metrics and those of its stages, steps and the "
        "sub-journeys you can see (one rule: metrics/health.py), with every metric, value, weight and "
        "rule that produced it and the change since the previous period. Null when nothing is measured. "
        "A constant number of queries.",
        responses={200: HealthOut, **errors(bad_input=False)},
    )
)
class JourneyHealthApi(APIView):
    def get(self, request, pk):
        journey = access.journey_for(request.user, pk)
        result = health.journey_health(journey=journey, user=request.user)
        explained = health.explain(journey=journey, user=request.user, health=result)
        body = {
            **{
                k: getattr(explained, k) for k in ("journey", "score", "previous", "change", "counts", "rule")
            },
            "metrics": explained.metrics,
            "sub_journeys": explained.sub_journeys,
            "stages": _scores(result.stages),
            "steps": _scores(result.steps),
            "children": _scores(result.children),
        }
        return Response(HealthOut(body).data)


# ---------------------------------------------------------------------------------------------- shifts


class ShiftOut(serializers.ModelSerializer):
    metric_name = serializers.CharField(source="metric.name")
    value = decimal()
    baseline = decimal()
    direction = choice(ShiftDirection.choices)
    rule = choice(ShiftRule.choices)

    class Meta:
        model = MetricShift
        fields = [
            "id", "metric", "metric_name", "journey", "period_start", "period_end", "value", "baseline",
            "size", "relative_change", "direction", "better", "rule", "history", "detected_at",
        ]  # fmt: skip
        read_only_fields = fields


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="A journey's metric shifts",
        description="Sharp changes found by the shift scan (metrics/shifts.py), newest first.",
        responses={200: ShiftOut, **errors(bad_input=False)},
    )
)
class JourneyShiftsApi(generics.ListAPIView):
    serializer_class = ShiftOut

    def get_queryset(self):
        access.journey_for(self.request.user, self.kwargs["pk"])
        return selectors.shift_list(journey_id=self.kwargs["pk"])
