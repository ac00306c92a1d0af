"""REST API for journey maps: journeys, the whole map in one read, stages, steps, lanes, cards and grants.

Reads check access through journeys.access (404 for outsiders, 403 for members without the right). Writes
check it once, in the service, under the journey's lock (journeys/services/changes.py); input that does not
parse is answered 400 only after the same access check, so an outsider learns nothing from it either.
Updates, moves and deletes must name the `expected_version` of the object they change: when someone
changed it meanwhile the answer is 409 with `{"detail": …, "current": <the object as it is now>}` and
nothing changes; when it was deleted meanwhile the answer is 404. `core.api.exception_handler` (registered in
REST_FRAMEWORK["EXCEPTION_HANDLER"]) turns the services' django ValidationError into 400
`{field: [messages]}` and their Conflict into that 409, for the accounts API too.
"""

from django.core.validators import MaxLengthValidator
from django.db import models
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
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
from rest_framework.fields import empty
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import UserBriefOut
from accounts.models import Team, User
from core.api import conflict_serializer
from core.overlays import MapIds
from core.serializers import (
    INT_MAX,
    BooleanField,
    FieldsOnce,
    IdField,
    PositionField,
    TextField,
    VersionField,
    WholeNumberField,
    text_field_for,
)

from .. import access, overlays, selectors, services
from ..models import (
    EMOTION_MAX,
    EMOTION_MIN,
    MAX_TAGS,
    TAG_MAX,
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


@extend_schema_field(OpenApiTypes.INT)
class VisibleJourneyIdField(serializers.Field):
    """The id in a journey's `parent`/`current_state_of`, or null when the reader cannot see that journey:
    a restricted journey's id is never shown to people outside it. One query for a whole page of journeys
    (the ids are collected from the root serializer's objects), none when no journey on it has the link."""

    def __init__(self, attname: str, **kwargs):
        self.attname = attname
        kwargs.setdefault("help_text", "A journey id; null when there is none or you cannot see it.")
        super().__init__(source="*", read_only=True, allow_null=True, **kwargs)

    def to_representation(self, obj):
        target = getattr(obj, self.attname)
        if target is None:
            return None
        known = self.context.setdefault(f"visible_{self.attname}", {})  # journey id -> visible to the reader
        if target not in known:
            instance = self.root.instance
            objects = [instance] if isinstance(instance, models.Model) else list(instance or [])
            wanted = ({getattr(o, self.attname, None) for o in objects} | {target}) - {None} - set(known)
            request = self.context.get("request")
            user = self.context.get("user") or (request.user if request is not None else None)
            seen = set(access.visible_journey_ids(user, wanted)) if user is not None else set()
            known.update({pk: pk in seen for pk in wanted})
        return target if known.get(target) else None


class JourneyListOut(FieldsOnce, serializers.ModelSerializer):
    owner = UserBriefOut(read_only=True)
    parent = VisibleJourneyIdField("parent_id")
    card_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Journey
        fields = [
            "id", "workspace", "title", "persona", "state", "level", "parent", "owner", "tags", "visibility",
            "archived", "is_template", "version", "revision", "card_count", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class JourneyOut(FieldsOnce, serializers.ModelSerializer):
    owner = UserBriefOut(read_only=True)
    parent = VisibleJourneyIdField("parent_id")
    current_state_of = VisibleJourneyIdField("current_state_of_id")
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
    standard_stage = serializers.ChoiceField(
        choices=StandardStage.choices,
        allow_blank=True,
        read_only=True,
        help_text="The standard stage it maps to; empty when it maps to none.",
    )

    class Meta:
        model = Stage
        fields = ["id", "journey", "version", "position", "title", "description", "standard_stage"]
        read_only_fields = fields


class StepOut(serializers.ModelSerializer):
    sub_journey = VisibleJourneyIdField("sub_journey_id")

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


class DecorationOut(serializers.Serializer):
    label = serializers.CharField()
    tone = serializers.ChoiceField(choices=["good", "neutral", "warning", "bad", "none"])
    icon = serializers.CharField(allow_blank=True)
    detail = serializers.CharField(allow_blank=True)
    url = serializers.CharField(allow_blank=True)
    data = serializers.DictField(help_text="The provider's own values (numbers, ids).")


class OverlayOut(serializers.Serializer):
    cards = serializers.DictField(child=DecorationOut(), help_text="By card id.")
    steps = serializers.DictField(child=DecorationOut(), help_text="By step id.")
    stages = serializers.DictField(child=DecorationOut(), help_text="By stage id.")
    headline = DecorationOut(allow_null=True)


class MapOut(serializers.Serializer):
    journey = JourneyOut()
    stages = StageWithStepsOut(many=True, help_text="In order; each with its steps in order.")
    lanes = LaneOut(many=True, help_text="In order.")
    cards = MapCardOut(many=True, help_text="Lane by lane, step by step, in their order within the cell.")
    overlays = serializers.DictField(
        child=OverlayOut(),
        help_text="What the apps above journeys show on the map (evidence confidence, metrics, priority), "
        "by provider name (journeys.overlays).",
    )


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
for _model, _out in OUT_OF.items():
    conflict_serializer(_model, _out)  # how core.api.exception_handler writes a 409's `current`


def error_responses(model=None, *, bad_input=True):
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
    "expected_version", {"type": "integer", "minimum": 1, "maximum": INT_MAX}, OpenApiParameter.QUERY,
    required=True,
    description="The version you last saw; may also be sent in a JSON body.",
)  # fmt: skip


# ---------------------------------------------------------------------------------------------- input


class VersionIn(serializers.Serializer):
    expected_version = VersionField(
        help_text="The version of the object you last saw (optimistic concurrency)."
    )


def parsed(serializer_class, data):
    data = serializer_class(data=data)
    data.is_valid(raise_exception=True)
    return data.validated_data


def _expected_version(request) -> int:
    """`expected_version` of a DELETE: from the query string or a JSON body."""
    data = request.query_params.dict()
    if isinstance(request.data, dict):
        data.update(request.data)
    return parsed(VersionIn, data)["expected_version"]


class JourneyFilterIn(serializers.Serializer):
    workspace = IdField(required=False, help_text="Only journeys of this workspace.")
    parent = IdField(required=False, help_text="Only the children of this journey.")
    level = serializers.ChoiceField(choices=JourneyLevel.choices, required=False)
    state = serializers.ChoiceField(choices=JourneyState.choices, required=False)
    tag = TextField(required=False, allow_blank=True, max_length=TAG_MAX)
    owner = IdField(required=False, help_text="Only journeys owned by this user.")
    search = TextField(
        required=False, allow_blank=True, max_length=200, help_text="Words in the title (case-insensitive)."
    )
    include_archived = BooleanField(required=False, default=False)


class OptionalBooleanField(serializers.BooleanField):
    """A boolean that is left out when a form leaves it out (DRF would read a missing checkbox as false)."""

    default_empty_html = empty


class TagsField(serializers.ListField):
    """At most MAX_TAGS tags of at most TAG_MAX characters each (journeys.models.validate_tags' rules)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", f"At most {MAX_TAGS} tags of at most {TAG_MAX} characters each.")
        super().__init__(child=TextField(max_length=TAG_MAX), max_length=MAX_TAGS, **kwargs)
        # Each tag is checked by its TextField; the count is refused in validate_tags' words (and documented
        # as maxItems, which drf-spectacular reads from this validator).
        count = MaxLengthValidator(MAX_TAGS, message=f"At most {MAX_TAGS} tags (you have %(show_value)d).")
        self.validators = [v for v in self.validators if not isinstance(v, MaxLengthValidator)] + [count]


class JourneyFieldsIn(serializers.Serializer):
    """The journey's own fields; on update every one is optional."""

    title = text_field_for(Journey, "title")
    description = text_field_for(Journey, "description")
    persona = text_field_for(Journey, "persona")
    state = serializers.ChoiceField(choices=JourneyState.choices, required=False)
    level = serializers.ChoiceField(choices=JourneyLevel.choices, required=False)
    parent = IdField(required=False, allow_null=True, help_text="Parent journey id.")
    owner = IdField(required=False, help_text="User id of the accountable owner.")
    tags = TagsField(required=False)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    is_template = OptionalBooleanField(
        required=False, help_text="Offer it as a starting point for new journeys (changing it needs manage)."
    )


class JourneyCreateIn(JourneyFieldsIn):
    workspace = IdField()
    from_framework = BooleanField(
        default=False, help_text="Start with the standard stages (Awareness … Advocacy) and default lanes."
    )
    with_default_lanes = OptionalBooleanField(required=False)


class JourneyUpdateIn(VersionIn, JourneyFieldsIn):
    title = text_field_for(Journey, "title", required=False)
    archived = OptionalBooleanField(required=False)


class StageFieldsIn(serializers.Serializer):
    title = text_field_for(Stage, "title")
    description = text_field_for(Stage, "description")
    standard_stage = serializers.ChoiceField(choices=StandardStage.choices, required=False, allow_blank=True)


class StageCreateIn(StageFieldsIn):
    position = PositionField(required=False, help_text="Default: after the last.")


class StageUpdateIn(VersionIn, StageFieldsIn):
    title = text_field_for(Stage, "title", required=False)


class StepFieldsIn(serializers.Serializer):
    title = text_field_for(Step, "title")
    description = text_field_for(Step, "description")
    sub_journey = IdField(
        required=False, allow_null=True, help_text="Id of a journey this step drills down to."
    )


class StepCreateIn(StepFieldsIn):
    position = PositionField(required=False, help_text="Default: after the last.")


class JourneyStepCreateIn(StepCreateIn):
    stage = IdField(help_text="Id of a stage of this journey.")


class StepUpdateIn(VersionIn, StepFieldsIn):
    title = text_field_for(Step, "title", required=False)


class LaneFieldsIn(serializers.Serializer):
    title = text_field_for(Lane, "title")
    kind = serializers.ChoiceField(choices=LaneKind.choices, required=False)


class LaneCreateIn(LaneFieldsIn):
    position = PositionField(required=False, help_text="Default: after the last.")


class LaneUpdateIn(VersionIn, LaneFieldsIn):
    title = text_field_for(Lane, "title", required=False)


class CardFieldsIn(serializers.Serializer):
    text = text_field_for(Card, "text")
    note = text_field_for(Card, "note")
    emotion_score = WholeNumberField(
        required=False, allow_null=True, min_value=EMOTION_MIN, max_value=EMOTION_MAX,
        help_text="Emotion lanes: −3 (very negative) to +3 (very positive).",
    )  # fmt: skip
    channel = text_field_for(Card, "channel")


class CardCreateIn(CardFieldsIn):
    lane = IdField(help_text="Id of a lane of this journey.")
    step = IdField(help_text="Id of a step of this journey.")
    position = PositionField(required=False, help_text="Default: last in the cell.")


class CardUpdateIn(VersionIn, CardFieldsIn):
    text = text_field_for(Card, "text", required=False)


class MoveIn(VersionIn):
    position = PositionField(help_text="0 is first; beyond the end means last.")


class StepMoveIn(MoveIn):
    to_stage = IdField(required=False, help_text="Another stage of the same journey.")


class CardMoveIn(VersionIn):
    position = PositionField(required=False, help_text="Default: last in the cell.")
    to_lane = IdField(required=False, help_text="Default: the card's lane.")
    to_step = IdField(required=False, help_text="Default: the card's step.")


class GrantRemoveIn(serializers.Serializer):
    user = IdField(required=False, help_text="A member's user id.")
    team = IdField(required=False, help_text="A team id.")

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


NOT_A_MEMBER = "Choose a member of this workspace."
NOT_A_TEAM = "Choose a team of this workspace."


def _member(workspace_id, pk, field):
    """A member of the workspace, by user id. Someone of another workspace gets the very answer of an id
    nobody has (no name, no hint that they exist)."""
    user = User.objects.filter(pk=pk, memberships__workspace_id=workspace_id).first()
    if user is None:
        raise ValidationError({field: [NOT_A_MEMBER]})
    return user


def _journey_fields(user, data: dict, workspace_id) -> dict:
    """Input of a journey create/update with ids turned into objects."""
    if "parent" in data:
        data["parent"] = _visible_journey(user, data["parent"], "parent")
    if "owner" in data:
        data["owner"] = _member(workspace_id, data["owner"], "owner")
    return data


def _in_journey(model, pk, journey, field):
    if not model.objects.filter(pk=pk, journey_id=journey.pk).exists():
        raise ValidationError({field: [f"No {model.__name__.lower()} {pk} in this journey."]})
    return pk


def parsed_for(serializer_class, data, model, pk, user, need=access.EDIT):
    """`parsed` for a write whose service checks access: bad input is answered with the access check's
    404/403 first when the user lacks `need` on the element's (`model`, `pk`) journey, else with 400."""
    try:
        return parsed(serializer_class, data)
    except ValidationError:
        if model is Journey:
            access.journey_for(user, pk, need=need)
        else:
            _journey_of(model, pk, user, need)
        raise


def _created(request, out, obj):
    return Response(out(obj, context={"request": request}).data, status=status.HTTP_201_CREATED)


# ---------------------------------------------------------------------------------------------- journeys


@extend_schema_view(
    get=extend_schema(
        tags=["journeys"],
        summary="Journeys you can see",
        description="Across your workspaces, ordered by title; archived ones only with `include_archived`.",
        parameters=[JourneyFilterIn],
        responses={200: JourneyListOut, 400: error_responses()[400]},
    )
)
class JourneyListApi(generics.ListAPIView):
    serializer_class = JourneyListOut

    def list(self, request, *args, **kwargs):
        # Card counts for the page's rows only (a subquery in the page's query; the count leaves it out),
        # not grouped over every journey of the workspace.
        page = self.paginate_queryset(self.get_queryset().annotate(card_count=selectors.card_count()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def get_queryset(self):
        filters = parsed(JourneyFilterIn, self.request.query_params)
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
        responses={201: JourneyOut, **error_responses()},
    )
    def post(self, request):
        data = parsed(JourneyCreateIn, request.data)
        workspace_id = data.pop("workspace")
        workspace = access.workspaces_of(request.user).filter(pk=workspace_id).first()
        if workspace is None:
            raise ValidationError({"workspace": [f"You are not a member of a workspace {workspace_id}."]})
        data = _journey_fields(request.user, data, workspace.pk)
        journey = services.journey_create(workspace=workspace, by=request.user, **data)
        return _created(request, JourneyOut, access.journey_for(request.user, journey.pk))


@extend_schema_view(
    get=extend_schema(
        tags=["journeys"],
        summary="A journey",
        responses={200: JourneyOut, **error_responses(bad_input=False)},
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
        responses={200: JourneyOut, **error_responses(Journey)},
    )
    def patch(self, request, pk):
        current = access.journey_for(request.user, pk, need=access.EDIT)
        data = _journey_fields(request.user, parsed(JourneyUpdateIn, request.data), current.workspace_id)
        journey = services.journey_update(journey_id=pk, by=request.user, **data)
        return Response(JourneyOut(journey, context={"request": request}).data)

    @extend_schema(
        tags=["journeys"],
        summary="Delete a journey and its map",
        description="Needs manage.",
        parameters=[EXPECTED_VERSION_PARAM],
        request=None,
        responses={204: None, **error_responses(Journey)},
    )
    def delete(self, request, pk):
        access.journey_for(request.user, pk, need=access.MANAGE)
        services.journey_delete(journey_id=pk, by=request.user, expected_version=_expected_version(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


MAP_JOURNEY = Journey.objects.select_related("owner")  # what JourneyOut shows (the workspace by its id)


class JourneyMapApi(APIView):
    @extend_schema(
        tags=["journeys"],
        summary="The whole map in one read",
        description="The journey (with `revision`, which grows with every change to the map), its stages "
        "with their steps, its lanes and all its cards. A constant number of queries whatever the size. "
        "`overlays` asks for what apps above the map add to it (research's `evidence`: each card's "
        "confidence; `metrics`: each step's and stage's metrics and the journey's health): provider names "
        "separated by commas, or `all`; none by default, as each costs a few queries.",
        parameters=[
            OpenApiParameter(
                "overlays", str, description="Overlays to include: names separated by commas, or `all`."
            )
        ],
        responses={200: MapOut, **error_responses()},
    )
    def get(self, request, pk):
        journey = access.journey_for(request.user, pk, queryset=MAP_JOURNEY)
        try:
            wanted = overlays.names_from(request.query_params.get("overlays"))
        except ValueError as exc:
            raise ValidationError({"overlays": [str(exc)]}) from None
        # Plain rows in MapOut's shape (selectors.journey_map_rows): serializing 500 cards field by field
        # through DRF cost several times the database's work. tests/journeys/test_api_map.py holds the shape.
        rows = selectors.journey_map_rows(journey=journey)
        steps = [step for stage in rows["stages"] for step in stage["steps"]]
        seen = set(access.visible_journey_ids(request.user, {step["sub_journey"] for step in steps}))
        for step in steps:  # a restricted sub-journey's id is not shown to people outside it
            if step["sub_journey"] not in seen:
                step["sub_journey"] = None
        ids = MapIds(
            journey=journey.pk,
            stages=tuple(stage["id"] for stage in rows["stages"]),
            steps=tuple(step["id"] for stage in rows["stages"] for step in stage["steps"]),
            cards=tuple(card["id"] for card in rows["cards"]),
        )
        decorations = overlays.collect(ids=ids, user=request.user, names=wanted) if wanted else {}
        body = {
            "journey": JourneyOut(journey, context={"request": request}).data,
            **rows,
            # (MapOut's fields are built only when there is something for them to shape)
            "overlays": MapOut().fields["overlays"].to_representation(decorations) if decorations else {},
        }
        return Response(body)


class JourneyGrantsApi(APIView):
    """Per-journey grants to members and teams (restricted journeys, outside stakeholders)."""

    @extend_schema(
        tags=["journeys"],
        summary="Who has been granted access",
        description="Everyone who can see the journey can see its grants.",
        responses={200: GrantOut(many=True), **error_responses(bad_input=False)},
    )
    def get(self, request, pk):
        journey = access.journey_for(request.user, pk)
        return Response(GrantOut(access.grants_of(journey), many=True).data)

    def _grantee(self, journey, data):
        # Only members and teams of the journey's workspace are found: an id from elsewhere is answered
        # like one nobody has, and nothing is granted, removed or written to the activity feed.
        if "team" in data:
            team = Team.objects.filter(pk=data["team"], workspace_id=journey.workspace_id).first()
            if team is None:
                raise ValidationError({"team": [NOT_A_TEAM]})
            return team
        return _member(journey.workspace_id, data["user"], "user")

    @extend_schema(
        tags=["journeys"],
        summary="Grant a member or team view, edit or manage",
        description="Needs manage. Replaces the grantee's previous level. Answers with all the grants.",
        request=GrantIn,
        responses={200: GrantOut(many=True), **error_responses()},
    )
    def post(self, request, pk):
        journey = access.journey_for(request.user, pk, need=access.MANAGE)
        data = parsed(GrantIn, request.data)
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
        responses={204: None, **error_responses()},
    )
    def delete(self, request, pk):
        journey = access.journey_for(request.user, pk, need=access.MANAGE)
        data = request.query_params.dict()
        if isinstance(request.data, dict):
            data.update(request.data)
        grantee = self._grantee(journey, parsed(GrantRemoveIn, data))
        services.journey_grant_remove(journey_id=pk, by=request.user, grantee=grantee)
        return Response(status=status.HTTP_204_NO_CONTENT)


# ---------------------------------------------------------------------------------------------- creating


class JourneyStagesApi(APIView):
    @extend_schema(
        tags=["map"],
        summary="Add a stage",
        description="At `position` (default last); it starts with one step.",
        request=StageCreateIn,
        responses={201: StageWithStepsOut, **error_responses()},
    )
    def post(self, request, pk):
        data = parsed_for(StageCreateIn, request.data, Journey, pk, request.user)
        stage = services.stage_create(journey_id=pk, by=request.user, **data)
        stage.step_list = list(stage.steps.order_by("position"))
        return _created(request, StageWithStepsOut, stage)


def _step_fields(user, data):
    if "sub_journey" in data:
        data["sub_journey"] = _visible_journey(user, data["sub_journey"], "sub_journey")
    return data


class StageStepsApi(APIView):
    @extend_schema(
        tags=["map"],
        summary="Add a step to a stage",
        request=StepCreateIn,
        responses={201: StepOut, **error_responses()},
    )
    def post(self, request, pk):
        _journey_of(Stage, pk, request.user, access.EDIT)
        data = _step_fields(request.user, parsed(StepCreateIn, request.data))
        return _created(request, StepOut, services.step_create(stage_id=pk, by=request.user, **data))


class JourneyStepsApi(APIView):
    @extend_schema(
        tags=["map"],
        summary="Add a step to a stage of this journey",
        request=JourneyStepCreateIn,
        responses={201: StepOut, **error_responses()},
    )
    def post(self, request, pk):
        journey = access.journey_for(request.user, pk, need=access.EDIT)
        data = _step_fields(request.user, parsed(JourneyStepCreateIn, request.data))
        stage_id = _in_journey(Stage, data.pop("stage"), journey, "stage")
        return _created(request, StepOut, services.step_create(stage_id=stage_id, by=request.user, **data))


class JourneyLanesApi(APIView):
    @extend_schema(
        tags=["map"],
        summary="Add a lane",
        request=LaneCreateIn,
        responses={201: LaneOut, **error_responses()},
    )
    def post(self, request, pk):
        data = parsed_for(LaneCreateIn, request.data, Journey, pk, request.user)
        return _created(request, LaneOut, services.lane_create(journey_id=pk, by=request.user, **data))


class JourneyCardsApi(APIView):
    @extend_schema(
        tags=["map"],
        summary="Add a card to a lane × step cell",
        request=CardCreateIn,
        responses={201: CardOut, **error_responses()},
    )
    def post(self, request, pk):
        data = parsed_for(CardCreateIn, request.data, Journey, pk, request.user)
        lane_id, step_id = data.pop("lane"), data.pop("step")
        card = services.card_create(journey_id=pk, lane_id=lane_id, step_id=step_id, by=request.user, **data)
        return _created(request, CardOut, card)


# ---------------------------------------------------------------------------------------------- elements


class _ElementApi(APIView):
    """Read, change or delete one stage, step, lane or card through its `update`/`delete` service."""

    model: type
    name: str
    out: type
    update_in: type
    update: staticmethod
    delete_: staticmethod

    def fields(self, request, data: dict) -> dict:
        return data

    def get(self, request, pk):
        _journey_of(self.model, pk, request.user, access.VIEW)
        return Response(self.out(self.model.objects.get(pk=pk), context={"request": request}).data)

    def patch(self, request, pk):
        data = self.fields(request, parsed_for(self.update_in, request.data, self.model, pk, request.user))
        changed = self.update(**{f"{self.name}_id": pk}, by=request.user, **data)
        return Response(self.out(changed, context={"request": request}).data)

    def delete(self, request, pk):
        try:
            expected_version = _expected_version(request)
        except ValidationError:
            _journey_of(self.model, pk, request.user, access.EDIT)
            raise
        self.delete_(**{f"{self.name}_id": pk}, by=request.user, expected_version=expected_version)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _element_schema(model, out, update_in, what):
    return extend_schema_view(
        get=extend_schema(
            tags=["map"], summary=f"A {what}", responses={200: out, **error_responses(bad_input=False)}
        ),
        patch=extend_schema(
            tags=["map"],
            summary=f"Change a {what}",
            request=update_in,
            responses={200: out, **error_responses(model)},
        ),
        delete=extend_schema(
            tags=["map"],
            summary=f"Delete a {what}",
            description="Its later siblings move up one position.",
            parameters=[EXPECTED_VERSION_PARAM],
            request=None,
            responses={204: None, **error_responses(model)},
        ),
    )


@_element_schema(Stage, StageOut, StageUpdateIn, "stage (and its steps and their cards)")
class StageApi(_ElementApi):
    model, name, out, update_in = Stage, "stage", StageOut, StageUpdateIn
    update, delete_ = staticmethod(services.stage_update), staticmethod(services.stage_delete)


@_element_schema(Step, StepOut, StepUpdateIn, "step (and its cards)")
class StepApi(_ElementApi):
    model, name, out, update_in = Step, "step", StepOut, StepUpdateIn
    update, delete_ = staticmethod(services.step_update), staticmethod(services.step_delete)

    def fields(self, request, data):
        return _step_fields(request.user, data)


@_element_schema(Lane, LaneOut, LaneUpdateIn, "lane (and its cards)")
class LaneApi(_ElementApi):
    model, name, out, update_in = Lane, "lane", LaneOut, LaneUpdateIn
    update, delete_ = staticmethod(services.lane_update), staticmethod(services.lane_delete)


@_element_schema(Card, CardOut, CardUpdateIn, "card")
class CardApi(_ElementApi):
    model, name, out, update_in = Card, "card", CardOut, CardUpdateIn
    update, delete_ = staticmethod(services.card_update), staticmethod(services.card_delete)


class _MoveApi(APIView):
    """Move one stage, step, lane or card through its `move` service."""

    model: type
    name: str
    out: type
    move_in: type
    move: staticmethod

    def post(self, request, pk):
        data = parsed_for(self.move_in, request.data, self.model, pk, request.user)
        moved = self.move(**{f"{self.name}_id": pk}, by=request.user, **data)
        return Response(self.out(moved, context={"request": request}).data)


def _move_schema(model, out, move_in, summary):
    return extend_schema_view(
        post=extend_schema(
            tags=["map"], summary=summary, request=move_in, responses={200: out, **error_responses(model)}
        )
    )


@_move_schema(Stage, StageOut, MoveIn, "Move a stage to another position")
class StageMoveApi(_MoveApi):
    model, name, out, move_in = Stage, "stage", StageOut, MoveIn
    move = staticmethod(services.stage_move)


@_move_schema(Step, StepOut, StepMoveIn, "Move a step within its stage or to another stage")
class StepMoveApi(_MoveApi):
    model, name, out, move_in = Step, "step", StepOut, StepMoveIn
    move = staticmethod(services.step_move)


@_move_schema(Lane, LaneOut, MoveIn, "Move a lane to another position")
class LaneMoveApi(_MoveApi):
    model, name, out, move_in = Lane, "lane", LaneOut, MoveIn
    move = staticmethod(services.lane_move)


@_move_schema(Card, CardOut, CardMoveIn, "Move a card within its cell or to another cell")
class CardMoveApi(_MoveApi):
    model, name, out, move_in = Card, "card", CardOut, CardMoveIn
    move = staticmethod(services.card_move)
