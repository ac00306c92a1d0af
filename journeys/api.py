"""REST API for journey maps: journeys, the whole map in one read, stages, steps, lanes, cards and grants.

Every view checks access through accounts.access before it reads input (404 for outsiders, 403 for members
without the right), and every write goes through journeys.services, which checks again under the journey's
lock. Updates, moves and deletes must name the `expected_version` of the object they change: when someone
changed it meanwhile the answer is 409 with `{"detail": …, "current": <the object as it is now>}` and
nothing changes; when it was deleted meanwhile the answer is 404. `exception_handler` (registered in
REST_FRAMEWORK["EXCEPTION_HANDLER"]) turns the services' django ValidationError into 400
`{field: [messages]}` and their Conflict into that 409, for the accounts API too.
"""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.fields import empty
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from accounts import access
from accounts.api import UserBriefOut
from accounts.models import Team, User

from . import selectors, services
from .models import (
    EMOTION_MAX,
    EMOTION_MIN,
    Card,
    Journey,
    JourneyLevel,
    JourneyState,
    Lane,
    LaneKind,
    Stage,
    StandardStage,
    Step,
    Visibility,
)

# ---------------------------------------------------------------------------------------------- output


class JourneyListOut(serializers.ModelSerializer):
    owner = UserBriefOut(read_only=True)
    card_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Journey
        fields = [
            "id", "workspace", "title", "persona", "state", "level", "parent", "owner", "tags", "visibility",
            "archived", "is_template", "version", "revision", "card_count", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class JourneyOut(serializers.ModelSerializer):
    owner = UserBriefOut(read_only=True)
    access_level = serializers.ChoiceField(
        choices=access.LEVELS, read_only=True, help_text="Your right on this journey: view, edit or manage."
    )

    class Meta:
        model = Journey
        fields = [
            "id", "workspace", "title", "description", "persona", "state", "level", "parent",
            "current_state_of", "owner", "tags", "visibility", "archived", "is_template", "version",
            "revision", "access_level", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class StageOut(serializers.ModelSerializer):
    class Meta:
        model = Stage
        fields = ["id", "journey", "version", "position", "title", "description", "standard_stage"]
        read_only_fields = fields


class StepOut(serializers.ModelSerializer):
    class Meta:
        model = Step
        fields = ["id", "journey", "stage", "version", "position", "title", "description", "sub_journey"]
        read_only_fields = fields


class StageWithStepsOut(StageOut):
    steps = StepOut(many=True, read_only=True, source="step_list")

    class Meta(StageOut.Meta):
        fields = [*StageOut.Meta.fields, "steps"]
        read_only_fields = fields


class LaneOut(serializers.ModelSerializer):
    class Meta:
        model = Lane
        fields = ["id", "journey", "version", "position", "title", "kind"]
        read_only_fields = fields


class CardOut(serializers.ModelSerializer):
    class Meta:
        model = Card
        fields = [
            "id", "journey", "lane", "step", "version", "position", "text", "note", "emotion_score",
            "channel", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class MapCardOut(serializers.ModelSerializer):
    class Meta:
        model = Card
        fields = ["id", "version", "position", "lane", "step", "text", "note", "emotion_score", "channel"]
        read_only_fields = fields


class MapOut(serializers.Serializer):
    journey = JourneyOut()
    stages = StageWithStepsOut(many=True, help_text="In order; each with its steps in order.")
    lanes = LaneOut(many=True, help_text="In order.")
    cards = MapCardOut(many=True, help_text="Lane by lane, step by step, in their order within the cell.")


class GrantOut(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["user", "team"])
    id = serializers.IntegerField()
    name = serializers.CharField()
    level = serializers.ChoiceField(choices=access.LEVELS)


OUT_OF = {Journey: JourneyOut, Stage: StageOut, Step: StepOut, Lane: LaneOut, Card: CardOut}


def _conflict(name, out):
    return inline_serializer(
        name=f"{name}Conflict",
        fields={
            "detail": serializers.CharField(),
            "current": out(help_text="The object as it is now: reload it, reapply your change, send again."),
        },
    )


CONFLICT_OF = {model: _conflict(model.__name__, out) for model, out in OUT_OF.items()}


def _errors(model=None, *, bad_input=True):
    """The documented error answers of an endpoint."""
    errors = {
        403: OpenApiResponse(description="You can see this journey but lack the right to change it."),
        404: OpenApiResponse(description="No such object, or you cannot see its journey."),
    }
    if bad_input:
        errors[400] = OpenApiResponse(description="Bad input: `{field: [messages]}`; nothing was changed.")
    if model is not None:
        errors[409] = OpenApiResponse(
            CONFLICT_OF[model], description="`expected_version` is stale: nothing was changed."
        )
    return errors


EXPECTED_VERSION_PARAM = OpenApiParameter(
    "expected_version", OpenApiTypes.INT, OpenApiParameter.QUERY, required=True,
    description="The version you last saw; may also be sent in a JSON body.",
)  # fmt: skip


# ---------------------------------------------------------------------------------------------- errors


def _error_dict(exc: DjangoValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {
            (api_settings.NON_FIELD_ERRORS_KEY if name == NON_FIELD_ERRORS else name): messages
            for name, messages in exc.message_dict.items()
        }
    return {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}


def exception_handler(exc, context):
    """DRF's handler, plus the services' errors: ValidationError → 400 by field, Conflict → 409 with the
    current object (404 when it is gone)."""
    if isinstance(exc, services.Conflict):
        if exc.current is None:
            exc = NotFound("This was deleted by someone else.")
        else:
            out = OUT_OF.get(type(exc.current))
            body = {"detail": str(exc)}
            if out is not None:
                body["current"] = out(exc.current).data
            return Response(body, status=status.HTTP_409_CONFLICT)
    elif isinstance(exc, DjangoValidationError):
        exc = ValidationError(detail=_error_dict(exc))
    return drf_exception_handler(exc, context)


# ---------------------------------------------------------------------------------------------- input


class VersionIn(serializers.Serializer):
    expected_version = serializers.IntegerField(
        min_value=1, help_text="The version of the object you last saw (optimistic concurrency)."
    )


def _parsed(serializer_class, data):
    data = serializer_class(data=data)
    data.is_valid(raise_exception=True)
    return data.validated_data


def _expected_version(request) -> int:
    """`expected_version` of a DELETE: from the query string or a JSON body."""
    data = request.query_params.dict()
    if isinstance(request.data, dict):
        data.update(request.data)
    return _parsed(VersionIn, data)["expected_version"]


class JourneyFilterIn(serializers.Serializer):
    workspace = serializers.IntegerField(required=False, help_text="Only journeys of this workspace.")
    parent = serializers.IntegerField(required=False, help_text="Only the children of this journey.")
    level = serializers.ChoiceField(choices=JourneyLevel.choices, required=False)
    state = serializers.ChoiceField(choices=JourneyState.choices, required=False)
    tag = serializers.CharField(required=False, allow_blank=True)
    owner = serializers.IntegerField(required=False, help_text="Only journeys owned by this user.")
    search = serializers.CharField(
        required=False, allow_blank=True, help_text="Words in the title (case-insensitive)."
    )
    include_archived = serializers.BooleanField(required=False, default=False)


class OptionalBooleanField(serializers.BooleanField):
    """A boolean that is left out when a form leaves it out (DRF would read a missing checkbox as false)."""

    default_empty_html = empty


class JourneyFieldsIn(serializers.Serializer):
    """The journey's own fields; on update every one is optional."""

    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    persona = serializers.CharField(required=False, allow_blank=True, max_length=200)
    state = serializers.ChoiceField(choices=JourneyState.choices, required=False)
    level = serializers.ChoiceField(choices=JourneyLevel.choices, required=False)
    parent = serializers.IntegerField(required=False, allow_null=True, help_text="Parent journey id.")
    owner = serializers.IntegerField(required=False, help_text="User id of the accountable owner.")
    tags = serializers.ListField(child=serializers.CharField(max_length=40), required=False)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    is_template = OptionalBooleanField(
        required=False, help_text="Offer it as a starting point for new journeys (changing it needs manage)."
    )


class JourneyCreateIn(JourneyFieldsIn):
    workspace = serializers.IntegerField()
    from_framework = serializers.BooleanField(
        default=False, help_text="Start with the standard stages (Awareness … Advocacy) and default lanes."
    )
    with_default_lanes = OptionalBooleanField(required=False)


class JourneyUpdateIn(VersionIn, JourneyFieldsIn):
    title = serializers.CharField(max_length=200, required=False)
    archived = OptionalBooleanField(required=False)


class StageFieldsIn(serializers.Serializer):
    title = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True)
    standard_stage = serializers.ChoiceField(choices=StandardStage.choices, required=False, allow_blank=True)


class StageCreateIn(StageFieldsIn):
    position = serializers.IntegerField(min_value=0, required=False, help_text="Default: after the last.")


class StageUpdateIn(VersionIn, StageFieldsIn):
    title = serializers.CharField(max_length=120, required=False)


class StepFieldsIn(serializers.Serializer):
    title = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True)
    sub_journey = serializers.IntegerField(
        required=False, allow_null=True, help_text="Id of a journey this step drills down to."
    )


class StepCreateIn(StepFieldsIn):
    position = serializers.IntegerField(min_value=0, required=False, help_text="Default: after the last.")


class JourneyStepCreateIn(StepCreateIn):
    stage = serializers.IntegerField(help_text="Id of a stage of this journey.")


class StepUpdateIn(VersionIn, StepFieldsIn):
    title = serializers.CharField(max_length=120, required=False)


class LaneFieldsIn(serializers.Serializer):
    title = serializers.CharField(max_length=120)
    kind = serializers.ChoiceField(choices=LaneKind.choices, required=False)


class LaneCreateIn(LaneFieldsIn):
    position = serializers.IntegerField(min_value=0, required=False, help_text="Default: after the last.")


class LaneUpdateIn(VersionIn, LaneFieldsIn):
    title = serializers.CharField(max_length=120, required=False)


class CardFieldsIn(serializers.Serializer):
    text = serializers.CharField(max_length=2000)
    note = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    emotion_score = serializers.IntegerField(
        required=False, allow_null=True, min_value=EMOTION_MIN, max_value=EMOTION_MAX,
        help_text="Emotion lanes: −3 (very negative) to +3 (very positive).",
    )  # fmt: skip
    channel = serializers.CharField(required=False, allow_blank=True, max_length=60)


class CardCreateIn(CardFieldsIn):
    lane = serializers.IntegerField(help_text="Id of a lane of this journey.")
    step = serializers.IntegerField(help_text="Id of a step of this journey.")
    position = serializers.IntegerField(min_value=0, required=False, help_text="Default: last in the cell.")


class CardUpdateIn(VersionIn, CardFieldsIn):
    text = serializers.CharField(max_length=2000, required=False)


class MoveIn(VersionIn):
    position = serializers.IntegerField(min_value=0, help_text="0 is first; beyond the end means last.")


class StepMoveIn(MoveIn):
    to_stage = serializers.IntegerField(required=False, help_text="Another stage of the same journey.")


class CardMoveIn(VersionIn):
    position = serializers.IntegerField(min_value=0, required=False, help_text="Default: last in the cell.")
    to_lane = serializers.IntegerField(required=False, help_text="Default: the card's lane.")
    to_step = serializers.IntegerField(required=False, help_text="Default: the card's step.")


class GrantRemoveIn(serializers.Serializer):
    user = serializers.IntegerField(required=False, help_text="A member's user id.")
    team = serializers.IntegerField(required=False, help_text="A team id.")

    def validate(self, attrs):
        if ("user" in attrs) == ("team" in attrs):
            raise serializers.ValidationError({"user": "Give either a user or a team."})
        return attrs


class GrantIn(GrantRemoveIn):
    level = serializers.ChoiceField(choices=access.LEVELS)


# ---------------------------------------------------------------------------------------------- helpers


def _journey_of(model, pk, user, need):
    """The journey of a stage, step, lane or card, checked for `need` (404 when there is no such object)."""
    journey_id = model.objects.filter(pk=pk).values_list("journey_id", flat=True).first()
    if journey_id is None:
        raise Http404(f"No such {model.__name__.lower()}.")
    return access.journey_for(user, journey_id, need=need)


def _visible_journey(user, pk, field):
    """A journey the user can see, named by id in the input; 400 on `field` otherwise."""
    if pk is None:
        return None
    journey = Journey.objects.visible_to(user).filter(pk=pk).first()
    if journey is None:
        raise ValidationError({field: [f"No journey {pk}."]})
    return journey


def _user(pk, field):
    user = User.objects.filter(pk=pk).first()
    if user is None:
        raise ValidationError({field: [f"No user {pk}."]})
    return user


def _journey_fields(user, data: dict) -> dict:
    """Input of a journey create/update with ids turned into objects."""
    if "parent" in data:
        data["parent"] = _visible_journey(user, data["parent"], "parent")
    if "owner" in data:
        data["owner"] = _user(data["owner"], "owner")
    return data


def _in_journey(model, pk, journey, field):
    if not model.objects.filter(pk=pk, journey_id=journey.pk).exists():
        raise ValidationError({field: [f"No {model.__name__.lower()} {pk} in this journey."]})
    return pk


def _created(out, obj):
    return Response(out(obj).data, status=status.HTTP_201_CREATED)


# ---------------------------------------------------------------------------------------------- journeys


@extend_schema_view(
    get=extend_schema(
        tags=["journeys"],
        summary="Journeys you can see",
        description="Across your workspaces, ordered by title; archived ones only with `include_archived`.",
        parameters=[JourneyFilterIn],
        responses={200: JourneyListOut, 400: _errors()[400]},
    )
)
class JourneyListApi(generics.ListAPIView):
    serializer_class = JourneyListOut

    def get_queryset(self):
        filters = _parsed(JourneyFilterIn, self.request.query_params)
        return selectors.journey_list(
            user=self.request.user,
            workspace=filters.pop("workspace", None),
            **filters,
        )

    @extend_schema(
        tags=["journeys"],
        summary="Create a journey",
        description="Workspace admins and editors; you are the owner unless `owner` names another member.",
        request=JourneyCreateIn,
        responses={201: JourneyOut, **_errors()},
    )
    def post(self, request):
        data = _journey_fields(request.user, _parsed(JourneyCreateIn, request.data))
        workspace_id = data.pop("workspace")
        workspace = access.workspaces_of(request.user).filter(pk=workspace_id).first()
        if workspace is None:
            raise ValidationError({"workspace": [f"You are not a member of a workspace {workspace_id}."]})
        journey = services.journey_create(workspace=workspace, by=request.user, **data)
        return _created(JourneyOut, access.journey_for(request.user, journey.pk))


@extend_schema_view(
    get=extend_schema(
        tags=["journeys"], summary="A journey", responses={200: JourneyOut, **_errors(bad_input=False)}
    )
)
class JourneyDetailApi(generics.RetrieveAPIView):
    serializer_class = JourneyOut

    def get_object(self):
        return access.journey_for(self.request.user, self.kwargs["pk"])

    @extend_schema(
        tags=["journeys"],
        summary="Change a journey's own fields",
        description="Needs edit; `owner`, `visibility` and `is_template` need manage. Bumps `version`.",
        request=JourneyUpdateIn,
        responses={200: JourneyOut, **_errors(Journey)},
    )
    def patch(self, request, pk):
        access.journey_for(request.user, pk, need=access.EDIT)
        data = _journey_fields(request.user, _parsed(JourneyUpdateIn, request.data))
        journey = services.journey_update(journey_id=pk, by=request.user, **data)
        return Response(JourneyOut(journey).data)

    @extend_schema(
        tags=["journeys"],
        summary="Delete a journey and its map",
        description="Needs manage.",
        parameters=[EXPECTED_VERSION_PARAM],
        request=None,
        responses={204: None, **_errors(Journey)},
    )
    def delete(self, request, pk):
        access.journey_for(request.user, pk, need=access.MANAGE)
        services.journey_delete(journey_id=pk, by=request.user, expected_version=_expected_version(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class JourneyMapApi(APIView):
    @extend_schema(
        tags=["journeys"],
        summary="The whole map in one read",
        description="The journey (with `revision`, which grows with every change to the map), its stages "
        "with their steps, its lanes and all its cards. A constant number of queries whatever the size.",
        responses={200: MapOut, **_errors(bad_input=False)},
    )
    def get(self, request, pk):
        journey = access.journey_for(request.user, pk)
        data = selectors.journey_map(journey=journey)
        cards = [
            card
            for lane in data.lanes
            for step in data.steps
            for card in data.cards_by_cell.get((lane.pk, step.pk), ())
        ]
        return Response(
            MapOut({"journey": journey, "stages": data.stages, "lanes": data.lanes, "cards": cards}).data
        )


class JourneyGrantsApi(APIView):
    """Per-journey grants to members and teams (restricted journeys, outside stakeholders)."""

    @extend_schema(
        tags=["journeys"],
        summary="Who has been granted access",
        description="Everyone who can see the journey can see its grants.",
        responses={200: GrantOut(many=True), **_errors(bad_input=False)},
    )
    def get(self, request, pk):
        journey = access.journey_for(request.user, pk)
        return Response(GrantOut(access.grants_of(journey), many=True).data)

    def _grantee(self, journey, data):
        if "team" in data:
            team = Team.objects.filter(pk=data["team"], workspace_id=journey.workspace_id).first()
            if team is None:
                raise ValidationError({"team": [f"No team {data['team']} in this workspace."]})
            return team
        return _user(data["user"], "user")

    @extend_schema(
        tags=["journeys"],
        summary="Grant a member or team view, edit or manage",
        description="Needs manage. Replaces the grantee's previous level. Answers with all the grants.",
        request=GrantIn,
        responses={200: GrantOut(many=True), **_errors()},
    )
    def post(self, request, pk):
        journey = access.journey_for(request.user, pk, need=access.MANAGE)
        data = _parsed(GrantIn, request.data)
        services.journey_grant_set(
            journey_id=pk, by=request.user, grantee=self._grantee(journey, data), level=data["level"]
        )
        return Response(GrantOut(access.grants_of(journey), many=True).data)

    @extend_schema(
        tags=["journeys"],
        summary="Remove a member's or team's grant",
        description="Needs manage. Name the grantee with `?user=<id>` or `?team=<id>`.",
        parameters=[GrantRemoveIn],
        request=None,
        responses={204: None, **_errors()},
    )
    def delete(self, request, pk):
        journey = access.journey_for(request.user, pk, need=access.MANAGE)
        data = request.query_params.dict()
        if isinstance(request.data, dict):
            data.update(request.data)
        grantee = self._grantee(journey, _parsed(GrantRemoveIn, data))
        services.journey_grant_remove(journey_id=pk, by=request.user, grantee=grantee)
        return Response(status=status.HTTP_204_NO_CONTENT)


# ---------------------------------------------------------------------------------------------- creating


class JourneyStagesApi(APIView):
    @extend_schema(
        tags=["map"],
        summary="Add a stage",
        description="At `position` (default last); it starts with one step.",
        request=StageCreateIn,
        responses={201: StageWithStepsOut, **_errors()},
    )
    def post(self, request, pk):
        access.journey_for(request.user, pk, need=access.EDIT)
        stage = services.stage_create(journey_id=pk, by=request.user, **_parsed(StageCreateIn, request.data))
        stage.step_list = list(stage.steps.order_by("position"))
        return _created(StageWithStepsOut, stage)


def _step_fields(user, data):
    if "sub_journey" in data:
        data["sub_journey"] = _visible_journey(user, data["sub_journey"], "sub_journey")
    return data


class StageStepsApi(APIView):
    @extend_schema(
        tags=["map"],
        summary="Add a step to a stage",
        request=StepCreateIn,
        responses={201: StepOut, **_errors()},
    )
    def post(self, request, pk):
        _journey_of(Stage, pk, request.user, access.EDIT)
        data = _step_fields(request.user, _parsed(StepCreateIn, request.data))
        return _created(StepOut, services.step_create(stage_id=pk, by=request.user, **data))


class JourneyStepsApi(APIView):
    @extend_schema(
        tags=["map"],
        summary="Add a step to a stage of this journey",
        request=JourneyStepCreateIn,
        responses={201: StepOut, **_errors()},
    )
    def post(self, request, pk):
        journey = access.journey_for(request.user, pk, need=access.EDIT)
        data = _step_fields(request.user, _parsed(JourneyStepCreateIn, request.data))
        stage_id = _in_journey(Stage, data.pop("stage"), journey, "stage")
        return _created(StepOut, services.step_create(stage_id=stage_id, by=request.user, **data))


class JourneyLanesApi(APIView):
    @extend_schema(
        tags=["map"], summary="Add a lane", request=LaneCreateIn, responses={201: LaneOut, **_errors()}
    )
    def post(self, request, pk):
        access.journey_for(request.user, pk, need=access.EDIT)
        return _created(
            LaneOut,
            services.lane_create(journey_id=pk, by=request.user, **_parsed(LaneCreateIn, request.data)),
        )


class JourneyCardsApi(APIView):
    @extend_schema(
        tags=["map"],
        summary="Add a card to a lane × step cell",
        request=CardCreateIn,
        responses={201: CardOut, **_errors()},
    )
    def post(self, request, pk):
        journey = access.journey_for(request.user, pk, need=access.EDIT)
        data = _parsed(CardCreateIn, request.data)
        lane_id = _in_journey(Lane, data.pop("lane"), journey, "lane")
        step_id = _in_journey(Step, data.pop("step"), journey, "step")
        return _created(
            CardOut, services.card_create(lane_id=lane_id, step_id=step_id, by=request.user, **data)
        )


# ---------------------------------------------------------------------------------------------- elements


class _ElementApi(APIView):
    """Read, change or delete one stage, step, lane or card through `services.<name>_update|_delete`."""

    model: type
    name: str
    out: type
    update_in: type

    def fields(self, request, data: dict) -> dict:
        return data

    def get(self, request, pk):
        _journey_of(self.model, pk, request.user, access.VIEW)
        return Response(self.out(self.model.objects.get(pk=pk)).data)

    def patch(self, request, pk):
        _journey_of(self.model, pk, request.user, access.EDIT)
        data = self.fields(request, _parsed(self.update_in, request.data))
        update = getattr(services, f"{self.name}_update")
        return Response(self.out(update(**{f"{self.name}_id": pk}, by=request.user, **data)).data)

    def delete(self, request, pk):
        _journey_of(self.model, pk, request.user, access.EDIT)
        delete = getattr(services, f"{self.name}_delete")
        delete(**{f"{self.name}_id": pk}, by=request.user, expected_version=_expected_version(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _element_schema(model, out, update_in, what):
    return extend_schema_view(
        get=extend_schema(
            tags=["map"], summary=f"A {what}", responses={200: out, **_errors(bad_input=False)}
        ),
        patch=extend_schema(
            tags=["map"],
            summary=f"Change a {what}",
            request=update_in,
            responses={200: out, **_errors(model)},
        ),
        delete=extend_schema(
            tags=["map"],
            summary=f"Delete a {what}",
            description="Its later siblings move up one position.",
            parameters=[EXPECTED_VERSION_PARAM],
            request=None,
            responses={204: None, **_errors(model)},
        ),
    )


@_element_schema(Stage, StageOut, StageUpdateIn, "stage (and its steps and their cards)")
class StageApi(_ElementApi):
    model, name, out, update_in = Stage, "stage", StageOut, StageUpdateIn


@_element_schema(Step, StepOut, StepUpdateIn, "step (and its cards)")
class StepApi(_ElementApi):
    model, name, out, update_in = Step, "step", StepOut, StepUpdateIn

    def fields(self, request, data):
        return _step_fields(request.user, data)


@_element_schema(Lane, LaneOut, LaneUpdateIn, "lane (and its cards)")
class LaneApi(_ElementApi):
    model, name, out, update_in = Lane, "lane", LaneOut, LaneUpdateIn


@_element_schema(Card, CardOut, CardUpdateIn, "card")
class CardApi(_ElementApi):
    model, name, out, update_in = Card, "card", CardOut, CardUpdateIn


class _MoveApi(APIView):
    """Move one stage, step, lane or card through `services.<name>_move`."""

    model: type
    name: str
    out: type
    move_in: type

    def post(self, request, pk):
        _journey_of(self.model, pk, request.user, access.EDIT)
        move = getattr(services, f"{self.name}_move")
        moved = move(**{f"{self.name}_id": pk}, by=request.user, **_parsed(self.move_in, request.data))
        return Response(self.out(moved).data)


def _move_schema(model, out, move_in, summary):
    return extend_schema_view(
        post=extend_schema(
            tags=["map"], summary=summary, request=move_in, responses={200: out, **_errors(model)}
        )
    )


@_move_schema(Stage, StageOut, MoveIn, "Move a stage to another position")
class StageMoveApi(_MoveApi):
    model, name, out, move_in = Stage, "stage", StageOut, MoveIn


@_move_schema(Step, StepOut, StepMoveIn, "Move a step within its stage or to another stage")
class StepMoveApi(_MoveApi):
    model, name, out, move_in = Step, "step", StepOut, StepMoveIn


@_move_schema(Lane, LaneOut, MoveIn, "Move a lane to another position")
class LaneMoveApi(_MoveApi):
    model, name, out, move_in = Lane, "lane", LaneOut, MoveIn


@_move_schema(Card, CardOut, CardMoveIn, "Move a card within its cell or to another cell")
class CardMoveApi(_MoveApi):
    model, name, out, move_in = Card, "card", CardOut, CardMoveIn
