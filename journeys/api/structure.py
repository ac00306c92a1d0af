"""REST API for structure across journeys: copy a journey (also as its future state), templates, a sub-journey
from a step, the hierarchy breadcrumb, current-versus-future comparison and saved present-mode views.

Like journeys/api/journeys.py: access is checked through journeys.access before input is read (404
outsiders, 403 members lacking the right) and every write goes through journeys.services.structure, which
checks under the journey's lock. Errors use journeys.api's shapes (400 `{field: [messages]}`).
"""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import UserBriefOut
from core.serializers import BIGINT_MAX, BooleanField, IdField, VersionField, text_field_for
from core.text import parse_id

from .. import access
from ..models import Journey, SavedView, Step
from ..services import structure
from .journeys import JourneyOut, error_responses, parsed

# ---------------------------------------------------------------------------------------------- output


class JourneyBriefOut(serializers.ModelSerializer):
    class Meta:
        model = Journey
        fields = ["id", "title", "level", "state", "visibility", "is_template"]
        read_only_fields = fields


class TemplateOut(serializers.ModelSerializer):
    owner = UserBriefOut(read_only=True)
    stage_count = serializers.IntegerField(read_only=True)
    lane_count = serializers.IntegerField(read_only=True)
    card_count = serializers.IntegerField(source="card_total", read_only=True)

    class Meta:
        model = Journey
        fields = [
            "id", "workspace", "title", "description", "persona", "level", "state", "owner", "stage_count",
            "lane_count", "card_count", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class KeyCardOut(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()


class CompareStepOut(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    title = serializers.CharField()
    position = serializers.IntegerField()


class StageSideOut(serializers.Serializer):
    stage = serializers.IntegerField(source="stage.pk", help_text="The stage's id.")
    title = serializers.CharField(source="stage.title")
    position = serializers.IntegerField(source="stage.position")
    standard_stage = serializers.CharField(source="stage.standard_stage")
    steps = CompareStepOut(many=True)
    changed_steps = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Ids of steps with no same-titled step in the other stage.",
    )
    pain_points = KeyCardOut(many=True)
    opportunities = KeyCardOut(many=True)
    emotion = serializers.FloatField(allow_null=True, help_text="Mean emotion score (−3…+3) of the stage.")
    emotion_count = serializers.IntegerField()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["changed_steps"] = sorted(instance.changed_steps)
        return data


class CompareRowOut(serializers.Serializer):
    matched_by = serializers.ChoiceField(
        choices=["standard_stage", "title", "position", ""],
        help_text="How the two stages were paired; empty when the stage is on one side only.",
    )
    left = StageSideOut(allow_null=True)
    right = StageSideOut(allow_null=True)


class TotalsOut(serializers.Serializer):
    stages = serializers.IntegerField()
    steps = serializers.IntegerField()
    pain_points = serializers.IntegerField()
    opportunities = serializers.IntegerField()
    emotion = serializers.FloatField(allow_null=True)


class ComparisonOut(serializers.Serializer):
    left = JourneyBriefOut()
    right = JourneyBriefOut()
    left_totals = TotalsOut()
    right_totals = TotalsOut()
    rows = CompareRowOut(many=True)


class SavedViewOut(serializers.ModelSerializer):
    created_by = UserBriefOut(read_only=True)

    class Meta:
        model = SavedView
        fields = ["id", "journey", "name", "hidden_lanes", "created_by", "created_at"]
        read_only_fields = fields


# ---------------------------------------------------------------------------------------------- input


class JourneyCopyIn(serializers.Serializer):
    title = text_field_for(Journey, "title")
    with_cards = BooleanField(default=True, help_text="Copy the cards too (else structure only).")
    as_future_state = BooleanField(
        default=False, help_text="Make the copy the future state of this journey (`current_state_of`)."
    )
    parent = IdField(required=False, allow_null=True, help_text="Parent journey id.")
    with_sub_journeys = BooleanField(
        default=False,
        help_text="Copy the sub-journeys its steps drill into as well (as future states, for a future "
        "state), as children of the new journey, and point its steps at those copies. Sub-journeys you may "
        "not copy (restricted ones you do not manage) and archived ones stay linked as they are.",
    )


class SubJourneyIn(serializers.Serializer):
    title = text_field_for(
        Journey, "title", required=False, allow_blank=True, help_text="Default: the step's."
    )
    from_framework = BooleanField(default=False, help_text="Start with the standard stage framework.")


class TemplateIn(serializers.Serializer):
    is_template = BooleanField()
    expected_version = VersionField(required=False)


class SavedViewIn(serializers.Serializer):
    name = text_field_for(SavedView, "name")
    hidden_lanes = serializers.ListField(child=IdField(), required=False, default=list)


class TemplateFilterIn(serializers.Serializer):
    workspace = IdField(required=False, help_text="Only templates of this workspace.")


def _created(journey, user):
    return Response(
        JourneyOut(access.journey_for(user, journey.pk), context={"user": user}).data,
        status=status.HTTP_201_CREATED,
    )


# ---------------------------------------------------------------------------------------------- copies


class JourneyCopyApi(APIView):
    @extend_schema(
        tags=["structure"],
        summary="Copy a journey",
        description="Stages, steps (with their sub-journey links) and lanes, with or without cards, into a "
        "new journey you own; as a future state it points back at this journey (`with_sub_journeys`: its "
        "sub-journeys too, as the new journey's children). Needs view on the journey "
        "(manage when it is restricted: a copy must not reach more people than its source) and the editor "
        "or admin role in its workspace.",
        request=JourneyCopyIn,
        responses={201: JourneyOut, **error_responses()},
    )
    def post(self, request, pk):
        access.journey_for(request.user, pk)
        data = parsed(JourneyCopyIn, request.data)
        journey = structure.journey_copy(journey_id=pk, by=request.user, **data)
        return _created(journey, request.user)


class JourneyTemplateApi(APIView):
    @extend_schema(
        tags=["structure"],
        summary="Offer a journey as a workspace template, or stop",
        description="Needs manage. Bumps the journey's `version`.",
        request=TemplateIn,
        responses={200: JourneyOut, **error_responses(Journey)},
    )
    def put(self, request, pk):
        access.journey_for(request.user, pk, need=access.MANAGE)
        data = parsed(TemplateIn, request.data)
        structure.journey_template_set(journey_id=pk, by=request.user, **data)
        return Response(JourneyOut(access.journey_for(request.user, pk), context={"request": request}).data)


class TemplateListApi(generics.ListAPIView):
    serializer_class = TemplateOut

    @extend_schema(
        tags=["structure"],
        summary="Templates you can start a journey from",
        description="Journeys offered as templates in your workspaces (start one with `POST …/copy/`).",
        parameters=[TemplateFilterIn],
        responses={200: TemplateOut(many=True)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        filters = parsed(TemplateFilterIn, self.request.query_params)
        qs = (
            # Only templates the person may start from (a restricted one when they manage it).
            structure.with_sizes(access.copyable(Journey.objects.all(), self.request.user))
            .filter(is_template=True, archived=False)
            .select_related("owner")
            .order_by("title", "pk")
        )
        if "workspace" in filters:
            qs = qs.filter(workspace_id=filters["workspace"])
        return qs


# ---------------------------------------------------------------------------------------------- hierarchy


class StepSubJourneyApi(APIView):
    @extend_schema(
        tags=["structure"],
        summary="Create a sub-journey from a step",
        description="A new journey one level below (lifecycle → sub-journey → micro), child of the step's "
        "journey, with its visibility and grants, owned by you; the step links to it. Needs edit on the "
        "journey and the editor or admin role.",
        request=SubJourneyIn,
        responses={201: JourneyOut, **error_responses()},
    )
    def post(self, request, pk):
        journey_id = Step.objects.filter(pk=pk).values_list("journey_id", flat=True).first()
        if journey_id is None:
            raise Http404("No such step.")
        access.journey_for(request.user, journey_id, need=access.EDIT)
        data = parsed(SubJourneyIn, request.data)
        child = structure.sub_journey_create_from_step(step_id=pk, by=request.user, **data)
        return _created(child, request.user)


class JourneyAncestorsApi(APIView):
    @extend_schema(
        tags=["structure"],
        summary="The journey's parents, outermost first",
        description="For a breadcrumb (lifecycle → sub-journey → micro); parents you cannot see are omitted.",
        responses={200: JourneyBriefOut(many=True), **error_responses(bad_input=False)},
    )
    def get(self, request, pk):
        journey = access.journey_for(request.user, pk)
        ancestors = structure.journey_ancestors(journey=journey, user=request.user)
        return Response(JourneyBriefOut(ancestors, many=True).data)


class JourneyCompareApi(APIView):
    @extend_schema(
        tags=["structure"],
        summary="Two journeys side by side, stage by stage",
        description="Stages are paired by standard stage, then title, then position; a stage on one side "
        "only has `null` on the other. Per stage: steps, pain points, opportunities and the mean emotion.",
        parameters=[
            OpenApiParameter(
                "with",
                {"type": "integer", "minimum": 1, "maximum": BIGINT_MAX},
                description="The other journey (default: the future state).",
            )
        ],
        responses={200: ComparisonOut, **error_responses(bad_input=True)},
    )
    def get(self, request, pk):
        left = access.journey_for(request.user, pk)
        other = request.query_params.get("with")
        if other is not None:
            if parse_id(other) is None:
                raise ValidationError({"with": ["Must be a journey id (an integer)."]})
            right = access.journey_for(request.user, parse_id(other))
            if right.workspace_id != left.workspace_id:
                raise Http404("No such journey.")
        else:
            right = structure.compare_partner(journey=left, user=request.user)
            if right is None:
                raise ValidationError({"with": ["This journey has no future or current state: name one."]})
        return Response(ComparisonOut(structure.journey_compare(left=left, right=right)).data)


# ---------------------------------------------------------------------------------------------- saved views


class SavedViewsApi(APIView):
    @extend_schema(
        tags=["structure"],
        summary="Saved present-mode views of a journey",
        responses={200: SavedViewOut(many=True), **error_responses(bad_input=False)},
    )
    def get(self, request, pk):
        journey = access.journey_for(request.user, pk)
        return Response(SavedViewOut(journey.saved_views.select_related("created_by"), many=True).data)

    @extend_schema(
        tags=["structure"],
        summary="Save a named view (which lanes are hidden)",
        description="Needs edit; anyone who can see the journey can open the view.",
        request=SavedViewIn,
        responses={201: SavedViewOut, **error_responses()},
    )
    def post(self, request, pk):
        access.journey_for(request.user, pk, need=access.EDIT)
        data = parsed(SavedViewIn, request.data)
        view = structure.saved_view_create(journey_id=pk, by=request.user, **data)
        return Response(SavedViewOut(view).data, status=status.HTTP_201_CREATED)


class SavedViewApi(APIView):
    def _view(self, request, pk, need):
        view = SavedView.objects.select_related("created_by").filter(pk=pk).first()
        if view is None:
            raise Http404("No such view.")
        access.journey_for(request.user, view.journey_id, need=need)
        return view

    @extend_schema(
        tags=["structure"],
        summary="A saved view",
        responses={200: SavedViewOut, **error_responses(bad_input=False)},
    )
    def get(self, request, pk):
        return Response(SavedViewOut(self._view(request, pk, access.VIEW)).data)

    @extend_schema(
        tags=["structure"],
        summary="Delete a saved view",
        description="Needs edit on its journey.",
        responses={204: OpenApiResponse(description="Deleted."), **error_responses(bad_input=False)},
    )
    def delete(self, request, pk):
        view = self._view(request, pk, access.EDIT)
        structure.saved_view_delete(view_id=view.pk, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
