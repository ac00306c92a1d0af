"""REST API of the workspace's research taxonomy (tags), its studies and its research settings.

Members of the workspace read; admins and editors write (viewers get 403); outsiders get 404. Updates and
deletes name the `expected_version` they change: a stale one gets 409 with the object as it now is.
"""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import UserBriefOut
from core.serializers import IdField, WholeNumberField, text_field_for

from .. import access, selectors, services
from ..models import RECENCY_MONTHS_MAX, Method, ResearchSettings, Study, Tag
from .common import (
    EXPECTED_VERSION_PARAM,
    TagNamesField,
    UrlField,
    VersionIn,
    choice_field,
    created,
    error_responses,
    expected_version,
    no_content,
    parsed,
    register_conflict,
)

# ---------------------------------------------------------------------------------------------- tags


class TagOut(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "workspace", "name"]
        read_only_fields = fields


class TagListOut(TagOut):
    study_count = serializers.IntegerField(read_only=True)
    evidence_count = serializers.IntegerField(read_only=True)

    class Meta(TagOut.Meta):
        fields = [*TagOut.Meta.fields, "study_count", "evidence_count"]
        read_only_fields = fields


class TagIn(serializers.Serializer):
    name = text_field_for(Tag, "name")


class TagMergeIn(serializers.Serializer):
    into = IdField(help_text="The tag of the same workspace that takes over what this one tags.")


class TagNamesOut(serializers.ListField):
    """The names of an object's tags (prefetched), in name order."""

    def __init__(self, **kwargs):
        super().__init__(child=serializers.CharField(), read_only=True, source="tags.all", **kwargs)

    def to_representation(self, data):
        return [tag.name for tag in data]


@extend_schema_view(
    get=extend_schema(
        tags=["research"],
        summary="The workspace's research tags",
        description="By name, each with how many studies and evidence items it tags.",
        responses={200: TagListOut, **error_responses(bad_input=False)},
    ),
    post=extend_schema(
        tags=["research"],
        summary="Add a research tag",
        request=TagIn,
        responses={201: TagOut, **error_responses()},
    ),
)
class TagListApi(generics.ListAPIView):
    serializer_class = TagListOut

    def get_queryset(self):
        access.workspace_for(self.request.user, self.kwargs["pk"])
        return selectors.tag_list(workspace_id=self.kwargs["pk"])

    def post(self, request, pk):
        access.workspace_for(request.user, pk, need=access.WRITE)
        data = parsed(TagIn, request.data)
        return created(request, TagOut, services.tag_create(workspace_id=pk, by=request.user, **data))


@extend_schema_view(
    get=extend_schema(
        tags=["research"],
        summary="A research tag",
        responses={200: TagOut, **error_responses(bad_input=False)},
    ),
    patch=extend_schema(
        tags=["research"],
        summary="Rename a research tag",
        description="What it tags keeps it.",
        request=TagIn,
        responses={200: TagOut, **error_responses()},
    ),
    delete=extend_schema(
        tags=["research"],
        summary="Delete a research tag",
        description="Studies and evidence lose the tag; they stay.",
        request=None,
        responses={204: None, **error_responses(bad_input=False)},
    ),
)
class TagApi(APIView):
    def get(self, request, pk):
        return Response(TagOut(access.tag_for(request.user, pk)).data)

    def patch(self, request, pk):
        access.tag_for(request.user, pk, need=access.WRITE)
        data = parsed(TagIn, request.data)
        return Response(TagOut(services.tag_rename(tag_id=pk, by=request.user, **data)).data)

    def delete(self, request, pk):
        services.tag_delete(tag_id=pk, by=request.user)
        return no_content()


@extend_schema_view(
    post=extend_schema(
        tags=["research"],
        summary="Merge a research tag into another",
        description="What this tag tags gets `into` (once); this tag goes. Answers with `into`.",
        request=TagMergeIn,
        responses={200: TagOut, **error_responses()},
    )
)
class TagMergeApi(APIView):
    def post(self, request, pk):
        access.tag_for(request.user, pk, need=access.WRITE)
        data = parsed(TagMergeIn, request.data)
        return Response(TagOut(services.tag_merge(tag_id=pk, into_id=data["into"], by=request.user)).data)


# ---------------------------------------------------------------------------------------------- studies


class StudyOut(serializers.ModelSerializer):
    owner = UserBriefOut(read_only=True, allow_null=True)
    tags = TagNamesOut()
    external_link = serializers.CharField(read_only=True, help_text="A link (http or https), or empty.")
    evidence_count = serializers.IntegerField(read_only=True, help_text="Evidence items of the study.")

    class Meta:
        model = Study
        fields = [
            "id", "workspace", "title", "method", "started_on", "ended_on", "participants", "segment",
            "owner", "summary", "external_link", "tags", "evidence_count", "version", "created_at",
            "created_by", "updated_at", "updated_by",
        ]  # fmt: skip
        read_only_fields = fields


class StudyFieldsIn(serializers.Serializer):
    title = text_field_for(Study, "title", required=False)
    method = choice_field(Method.choices, required=False)
    started_on = serializers.DateField(required=False, allow_null=True)
    ended_on = serializers.DateField(required=False, allow_null=True)
    participants = WholeNumberField(required=False, allow_null=True, min_value=0, max_value=10_000_000)
    segment = text_field_for(Study, "segment")
    owner = IdField(required=False, allow_null=True, help_text="User id of a member; default: you.")
    summary = text_field_for(Study, "summary")
    external_link = UrlField()
    tags = TagNamesField()


class StudyCreateIn(StudyFieldsIn):
    title = text_field_for(Study, "title")
    method = choice_field(Method.choices)


class StudyUpdateIn(VersionIn, StudyFieldsIn):
    pass


class StudyFilterIn(serializers.Serializer):
    method = choice_field(Method.choices, required=False)
    tag = IdField(required=False, help_text="Only studies with this tag (id).")


class StudyConflictOut(StudyOut):
    """A study as a 409 shows it: without the counts a list adds."""

    class Meta(StudyOut.Meta):
        fields = [name for name in StudyOut.Meta.fields if name != "evidence_count"]
        read_only_fields = fields


register_conflict(Study, StudyConflictOut)


@extend_schema_view(
    get=extend_schema(
        tags=["research"],
        summary="The workspace's studies",
        description="Newest first.",
        parameters=[StudyFilterIn],
        responses={200: StudyOut, **error_responses(bad_input=True)},
    ),
    post=extend_schema(
        tags=["research"],
        summary="Add a study",
        request=StudyCreateIn,
        responses={201: StudyOut, **error_responses()},
    ),
)
class StudyListApi(generics.ListAPIView):
    serializer_class = StudyOut

    def get_queryset(self):
        access.workspace_for(self.request.user, self.kwargs["pk"])
        filters = parsed(StudyFilterIn, self.request.query_params)
        return selectors.study_list(workspace_id=self.kwargs["pk"], **filters)

    def post(self, request, pk):
        access.workspace_for(request.user, pk, need=access.WRITE)
        data = parsed(StudyCreateIn, request.data)
        study = services.study_create(workspace_id=pk, by=request.user, **data)
        return created(request, StudyOut, selectors.study_detail(study=study))


@extend_schema_view(
    get=extend_schema(
        tags=["research"], summary="A study", responses={200: StudyOut, **error_responses(bad_input=False)}
    ),
    patch=extend_schema(
        tags=["research"],
        summary="Change a study",
        description="Bumps `version`.",
        request=StudyUpdateIn,
        responses={200: StudyOut, **error_responses(Study)},
    ),
    delete=extend_schema(
        tags=["research"],
        summary="Delete a study with its evidence",
        description="Its evidence goes too, and with it the evidence's links (each journey concerned records "
        "that in its activity). All of it is kept in the workspace's research trash "
        "(`/workspaces/{id}/research-trash/`) and can be put back (`/research-trash/{id}/restore/`).",
        parameters=[EXPECTED_VERSION_PARAM],
        request=None,
        responses={204: None, **error_responses(Study)},
    ),
)
class StudyApi(APIView):
    def get(self, request, pk):
        study = access.study_for(request.user, pk)
        return Response(StudyOut(selectors.study_detail(study=study)).data)

    def patch(self, request, pk):
        access.study_for(request.user, pk, need=access.WRITE)
        data = parsed(StudyUpdateIn, request.data)
        study = services.study_update(study_id=pk, by=request.user, **data)
        return Response(StudyOut(selectors.study_detail(study=study)).data)

    def delete(self, request, pk):
        access.study_for(request.user, pk, need=access.WRITE)
        services.study_delete(study_id=pk, by=request.user, expected_version=expected_version(request))
        return no_content()


# ---------------------------------------------------------------------------------------------- settings


class ResearchSettingsOut(serializers.Serializer):
    workspace = serializers.IntegerField()
    recency_months = serializers.IntegerField(
        help_text="Evidence captured longer ago than this many months counts half in confidence."
    )


class ResearchSettingsIn(serializers.Serializer):
    recency_months = WholeNumberField(min_value=1, max_value=RECENCY_MONTHS_MAX)


@extend_schema_view(
    get=extend_schema(
        tags=["research"],
        summary="The workspace's research settings",
        responses={200: ResearchSettingsOut, **error_responses(bad_input=False)},
    ),
    patch=extend_schema(
        tags=["research"],
        summary="Change the workspace's research settings",
        description="Workspace admins.",
        request=ResearchSettingsIn,
        responses={200: ResearchSettingsOut, **error_responses()},
    ),
)
class ResearchSettingsApi(APIView):
    def get(self, request, pk):
        access.workspace_for(request.user, pk)
        settings = ResearchSettings.objects.filter(workspace_id=pk).first() or ResearchSettings(
            workspace_id=pk
        )
        return Response(
            ResearchSettingsOut({"workspace": pk, "recency_months": settings.recency_months}).data
        )

    def patch(self, request, pk):
        access.workspace_for(request.user, pk, need=access.ADMIN)
        data = parsed(ResearchSettingsIn, request.data)
        settings = services.research_settings_update(workspace_id=pk, by=request.user, **data)
        return Response(
            ResearchSettingsOut({"workspace": pk, "recency_months": settings.recency_months}).data
        )
