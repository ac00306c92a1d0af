"""REST API of the research trash: deleted evidence and studies, kept whole, and putting them back.

Deleting an evidence item or a study (DELETE /evidence/<id>/, /studies/<id>/) keeps it in the workspace's
research trash; the list shows what is not put back yet, newest first; `restore` puts one back with its
ids, versions, tags and links (research/services/trash.py). Members read the list; admins and editors put
back (viewers 403, outsiders 404); links need edit on their journeys.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import UserBriefOut

from .. import access, services
from ..models import ResearchTrash
from .common import choice_field, error_responses


class ResearchTrashOut(serializers.ModelSerializer):
    kind = choice_field(ResearchTrash.Kind.choices, read_only=True)
    title = serializers.CharField(
        read_only=True, help_text="The evidence's text or the study's title, shortened with “…” to fit."
    )
    evidence_count = serializers.IntegerField(read_only=True, help_text="Evidence items that come back.")
    deleted_by = UserBriefOut(read_only=True, allow_null=True)

    class Meta:
        model = ResearchTrash
        fields = ["id", "workspace", "kind", "title", "evidence_count", "deleted_by", "deleted_at"]
        read_only_fields = fields


class RestoredOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="The trash item put back.")
    kind = choice_field(ResearchTrash.Kind.choices)
    study = serializers.IntegerField(allow_null=True, help_text="The study put back (a study's item).")
    evidence = serializers.ListField(child=serializers.IntegerField(), help_text="Evidence ids put back.")
    links = serializers.IntegerField(help_text="How many links to cards, steps and stages came back.")
    waiting = serializers.IntegerField(
        help_text="How many links wait for their card, step or stage, deleted since: they come back when "
        "it is put back (the map's undo or a version restore)."
    )
    left_out = serializers.ListField(
        child=serializers.CharField(),
        help_text="Lines saying what did not come back now: links waiting for their deleted card, step or "
        "stage, links on a journey deleted since (those are gone).",
    )


@extend_schema_view(
    get=extend_schema(
        tags=["research"],
        summary="The workspace's deleted evidence and studies",
        description="Not yet put back, newest first (members of the workspace).",
        responses={200: ResearchTrashOut(many=True), **error_responses(bad_input=False)},
    ),
)
class ResearchTrashListApi(generics.ListAPIView):
    serializer_class = ResearchTrashOut

    def get_queryset(self):
        access.workspace_for(self.request.user, self.kwargs["pk"])
        return (
            ResearchTrash.objects.filter(workspace_id=self.kwargs["pk"], restored_at__isnull=True)
            .select_related("deleted_by")
            .defer("payload")
            .order_by("-deleted_at", "-id")
        )


@extend_schema_view(
    post=extend_schema(
        tags=["research"],
        summary="Put deleted evidence or a study back",
        description=(
            "Back as it was: same ids, versions, who/when, tags, and links to cards, steps and stages that "
            "exist (each journey records their return); a link whose element is deleted waits for it and "
            "comes back with its undo. Kept TRASH_RETENTION_DAYS (30 by default) after the delete. Admins "
            "and editors; links need edit on their "
            "journeys (403 naming the journey, or saying it is one you cannot see). 400 on `item` when it "
            "was put back already, on `study` when its study is deleted too, on `external_id` when an item "
            "added since holds the same external id; nothing changes then."
        ),
        request=None,
        responses={
            200: RestoredOut,
            **error_responses(),
            400: OpenApiResponse(description="`{item|study|external_id: [message]}`; nothing was changed."),
        },
    ),
)
class ResearchTrashRestoreApi(APIView):
    def post(self, request, pk):
        restored = services.research_trash_restore(item_id=pk, by=request.user)
        return Response(
            RestoredOut(
                {
                    "id": restored.item.pk,
                    "kind": restored.item.kind,
                    "study": restored.study.pk if restored.study else None,
                    "evidence": restored.evidence_ids,
                    "links": restored.links,
                    "waiting": restored.waiting,
                    "left_out": restored.left_out,
                }
            ).data
        )
