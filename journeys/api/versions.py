"""REST API for a map's history and discussion: versions (list, save, read, diff, restore), undo of
deletions (the trash), and comments on cards.

Like journeys/api/journeys.py: every view checks access through journeys.access before it reads input (404 for
outsiders, 403 for members without the right) and writes only through services (journeys.versioning,
journeys.trash, journeys.comments), which check again under the journey's lock. The project's exception
handler (journeys.api.exception_handler) turns the services' ValidationError into 400 `{field: [messages]}`.
"""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import UserBriefOut
from core.serializers import BIGINT_MAX, IdField, text_field_for
from core.text import parse_id

from .. import access
from ..models import Card, Comment, MapVersion, TrashedItem
from ..services import comments, trash, versioning
from .journeys import OUT_OF, error_responses, parsed

# ---------------------------------------------------------------------------------------------- output


class VersionOut(serializers.ModelSerializer):
    created_by = UserBriefOut(read_only=True, allow_null=True, help_text="Null for automatic versions.")
    name = serializers.CharField(source="__str__", read_only=True, help_text="The label, or what kind it is.")
    stage_count = serializers.IntegerField(read_only=True)
    step_count = serializers.IntegerField(read_only=True)
    lane_count = serializers.IntegerField(read_only=True)
    card_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = MapVersion
        fields = [
            "id", "journey", "kind", "label", "name", "revision", "created_by", "created_at",
            "stage_count", "step_count", "lane_count", "card_count",
        ]  # fmt: skip
        read_only_fields = fields


class VersionDetailOut(VersionOut):
    snapshot = serializers.JSONField(
        read_only=True,
        help_text="The map as it was: `stages`, `steps`, `lanes` and `cards`, each a list of objects with "
        "their `id`, `position`, parents (`stage`; `lane` and `step`) and fields.",
    )

    class Meta(VersionOut.Meta):
        fields = [*VersionOut.Meta.fields, "snapshot"]
        read_only_fields = fields


class FieldChangeOut(serializers.Serializer):
    field = serializers.CharField()
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)


class DiffEntryOut(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=versioning.DIFF_STATUSES)
    before = serializers.JSONField(allow_null=True, help_text="The element in `from` (null when added).")
    after = serializers.JSONField(allow_null=True, help_text="The element in `to` (null when removed).")
    fields = FieldChangeOut(many=True, help_text="Changed fields with their old and new values.")
    moved = serializers.BooleanField(help_text="Its parent changed, or its place among its siblings did.")


class DiffKindOut(serializers.Serializer):
    added = DiffEntryOut(many=True)
    removed = DiffEntryOut(many=True)
    changed = DiffEntryOut(many=True, help_text="Elements whose fields changed (they may also have moved).")
    moved = DiffEntryOut(many=True, help_text="Elements that moved (they may also have changed).")


class DiffCountsOut(serializers.Serializer):
    added = serializers.IntegerField()
    removed = serializers.IntegerField()
    changed = serializers.IntegerField()
    moved = serializers.IntegerField()


class DiffOut(serializers.Serializer):
    source = VersionOut(source="from", help_text="The version compared from.")
    target = VersionOut(
        source="to", allow_null=True, help_text="The version compared to; null for the map now."
    )
    is_empty = serializers.BooleanField()
    counts = DiffCountsOut()
    stages = DiffKindOut()
    steps = DiffKindOut()
    lanes = DiffKindOut()
    cards = DiffKindOut()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["from"], data["to"] = data.pop("source"), data.pop("target")
        return data


class RestoreOut(serializers.Serializer):
    restored = VersionOut(help_text="The version the map now equals.")
    before_restore = VersionOut(help_text="The map as it was just before: restore it to undo this restore.")
    revision = serializers.IntegerField(help_text="The journey's revision after the restore.")


class TrashedItemOut(serializers.ModelSerializer):
    deleted_by = UserBriefOut(read_only=True, allow_null=True)
    card_count = serializers.IntegerField(read_only=True, help_text="Cards that come back with it.")

    class Meta:
        model = TrashedItem
        fields = ["id", "journey", "kind", "title", "card_count", "deleted_by", "deleted_at"]
        read_only_fields = fields


class TrashRestoreOut(serializers.Serializer):
    kind = serializers.ChoiceField(choices=trash.KINDS)
    restored = serializers.JSONField(
        help_text="The stage, step, lane or card as it now is (as in the map API)."
    )
    revision = serializers.IntegerField()


class CommentOut(serializers.ModelSerializer):
    author = UserBriefOut(read_only=True, allow_null=True)
    mentions = UserBriefOut(many=True, read_only=True, help_text="Members the comment @mentions.")
    resolved_by = UserBriefOut(read_only=True, allow_null=True)

    class Meta:
        model = Comment
        fields = [
            "id",
            "card",
            "thread",
            "author",
            "body",
            "mentions",
            "resolved_at",
            "resolved_by",
            "created_at",
        ]
        read_only_fields = fields


class CommentCreatedOut(CommentOut):
    not_mentioned = UserBriefOut(
        many=True,
        read_only=True,
        help_text="Members named by `@username` who cannot see the journey: posted, but not mentioned.",
    )

    class Meta(CommentOut.Meta):
        fields = [*CommentOut.Meta.fields, "not_mentioned"]
        read_only_fields = fields


class PeopleOut(serializers.Serializer):
    people = UserBriefOut(many=True, help_text="Best matches first: names starting with `q`, then the rest.")
    more = serializers.BooleanField(help_text="More people match: type more of the name.")


class ThreadOut(CommentOut):
    replies = CommentOut(many=True, read_only=True, source="reply_list", help_text="Oldest first.")

    class Meta(CommentOut.Meta):
        fields = [*CommentOut.Meta.fields, "replies"]
        read_only_fields = fields


# ---------------------------------------------------------------------------------------------- input


class VersionSaveIn(serializers.Serializer):
    label = text_field_for(
        MapVersion,
        "label",
        required=True,
        allow_blank=False,
        help_text="A name, e.g. “Before the Q3 workshop”.",
    )


class CommentIn(serializers.Serializer):
    body = text_field_for(
        Comment,
        "body",
        help_text="Plain text. `@username`, or `@` and the display name of a person listed in `mentions`, "
        "mentions them.",
    )
    thread = IdField(required=False, allow_null=True, help_text="Reply to this comment's thread.")
    mentions = serializers.ListField(
        child=IdField(),
        required=False,
        max_length=comments.MAX_MENTIONS,
        help_text="Ids of people to mention (from `GET /journeys/{id}/people/`), each named in `body` as "
        "`@` and their name or username (an id whose name is not in `body` is dropped). Someone who cannot "
        "see the journey is refused (400).",
    )


# ---------------------------------------------------------------------------------------------- helpers


def _version_of(user, pk, need=access.VIEW) -> MapVersion:
    """A version whose journey the user may see (404 otherwise), checked for `need`."""
    journey_id = MapVersion.objects.filter(pk=pk).values_list("journey_id", flat=True).first()
    if journey_id is None:
        raise Http404("No such version.")
    access.journey_for(user, journey_id, need=need)
    return versioning.version_list(journey=journey_id).get(pk=pk)


def _diff_ends(params) -> tuple[int, int | None]:
    """`from` (a version id) and `to` (a version id, or None for `now`) of a diff request; 400 when bad."""
    source, target = (params.get("from") or "").strip(), (params.get("to") or "now").strip()
    if parse_id(source) is None:
        raise ValidationError({"from": ["Give the id of a version of this journey."]})
    if target != "now" and parse_id(target) is None:
        raise ValidationError({"to": ["Give the id of a version of this journey, or `now`."]})
    return parse_id(source), (None if target == "now" else parse_id(target))


def _journey_of(model, pk, user, need):
    journey_id = model.objects.filter(pk=pk).values_list("journey_id", flat=True).first()
    if journey_id is None:
        raise Http404(f"No such {model._meta.verbose_name}.")
    return access.journey_for(user, journey_id, need=need)


# ---------------------------------------------------------------------------------------------- versions


@extend_schema_view(
    get=extend_schema(
        tags=["versions"],
        summary="A journey's versions",
        description="Newest first: named, automatic (hourly while editing), before-restore and review "
        "versions. Snapshots are left out: read one version for its map.",
        responses={200: VersionOut, **error_responses(bad_input=False)},
    )
)
class JourneyVersionsApi(generics.ListAPIView):
    serializer_class = VersionOut

    def get_queryset(self):
        journey = access.journey_for(self.request.user, self.kwargs["pk"])
        return versioning.version_list(journey=journey)

    @extend_schema(
        tags=["versions"],
        summary="Save a named version of the map as it is now",
        description="Needs edit. Does not change the map (its revision stays).",
        request=VersionSaveIn,
        responses={201: VersionOut, **error_responses()},
    )
    def post(self, request, pk):
        access.journey_for(request.user, pk, need=access.EDIT)
        data = parsed(VersionSaveIn, request.data)
        version = versioning.version_save(journey_id=pk, by=request.user, label=data["label"])
        out = versioning.version_list(journey=version.journey_id).get(pk=version.pk)
        return Response(VersionOut(out).data, status=status.HTTP_201_CREATED)


class JourneyVersionDiffApi(APIView):
    @extend_schema(
        tags=["versions"],
        summary="What changed between two versions, or since a version",
        description="Stages, steps, lanes and cards added, removed, changed (field by field) and moved, "
        "matched by id. `from` is a version of this journey; `to` another one or `now` (the default).",
        parameters=[
            OpenApiParameter(
                "from",
                {"type": "integer", "minimum": 1, "maximum": BIGINT_MAX},
                required=True,
                description="A version id.",
            ),
            OpenApiParameter(
                "to",
                {"type": "string", "pattern": "^(now|[1-9][0-9]{0,17})$"},
                description="A version id, or `now` (the default).",
            ),
        ],
        responses={200: DiffOut, **error_responses()},
    )
    def get(self, request, pk):
        journey = access.journey_for(request.user, pk)
        source_id, target_id = _diff_ends(request.query_params)
        wanted = {source_id} | ({target_id} if target_id is not None else set())
        found = {v.pk: v for v in versioning.version_list(journey=journey).filter(pk__in=wanted).defer(None)}
        source = found.get(source_id)
        if source is None:
            raise ValidationError({"from": [f"No version {source_id} of this journey."]})
        if target_id is None:
            target, after = None, versioning.version_snapshot(journey)
        else:
            target = found.get(target_id)
            if target is None:
                raise ValidationError({"to": [f"No version {target_id} of this journey."]})
            after = target.snapshot
        # Compared as the reader may see them: a sub-journey they cannot see shows as none on both sides.
        before = _hide_sub_journeys(request.user, source.snapshot)
        diff = versioning.version_diff(before, _hide_sub_journeys(request.user, after)).as_dict()
        return Response(DiffOut({"from": source, "to": target, **diff}).data)


@extend_schema_view(
    get=extend_schema(
        tags=["versions"],
        summary="A version with its snapshot of the map",
        responses={200: VersionDetailOut, **error_responses(bad_input=False)},
    )
)
class VersionApi(generics.RetrieveAPIView):
    serializer_class = VersionDetailOut

    def get_object(self):
        version = _version_of(self.request.user, self.kwargs["pk"])
        snapshot = MapVersion.objects.values_list("snapshot", flat=True).get(pk=version.pk)
        version.snapshot = _hide_sub_journeys(self.request.user, snapshot)
        return version


def _hide_sub_journeys(user, snapshot: dict) -> dict:
    """The snapshot with every step's `sub_journey` the reader cannot see set to null (one query)."""
    steps = snapshot.get("steps", [])
    seen = set(access.visible_journey_ids(user, {step.get("sub_journey") for step in steps}))
    for step in steps:
        if step.get("sub_journey") not in seen:
            step["sub_journey"] = None
    return snapshot


class VersionRestoreApi(APIView):
    @extend_schema(
        tags=["versions"],
        summary="Make the map equal to this version",
        description="Needs edit. One new change to the map, losing nothing: its revision grows, elements "
        "whose content or place differs get a new `version`, elements deleted since come back from the trash "
        "(with their ids, history and comments), elements added since go to the trash as one entry (with "
        "everything attached to them). The map as it was is first saved as a `before_restore` version: "
        "restore that one to undo.",
        request=None,
        responses={200: RestoreOut, **error_responses()},
    )
    def post(self, request, pk):
        version = _version_of(request.user, pk, need=access.EDIT)
        before = versioning.version_restore(version_id=pk, by=request.user)
        before = versioning.version_list(journey=before.journey_id).get(pk=before.pk)
        journey = access.journey_for(request.user, version.journey_id)
        return Response(
            RestoreOut({"restored": version, "before_restore": before, "revision": journey.revision}).data
        )


# ---------------------------------------------------------------------------------------------- trash


class JourneyTrashApi(APIView):
    @extend_schema(
        tags=["versions"],
        summary="Recently deleted stages, steps, lanes and cards",
        description="The 50 most recent deletions not yet undone, newest first.",
        responses={200: TrashedItemOut(many=True), **error_responses(bad_input=False)},
    )
    def get(self, request, pk):
        journey = access.journey_for(request.user, pk)
        return Response(TrashedItemOut(trash.trash_list(journey=journey), many=True).data)


class TrashRestoreApi(APIView):
    @extend_schema(
        tags=["versions"],
        summary="Undo a deletion",
        description="Needs edit. Puts the element back at its old place with its original id, with what was "
        "under it. 400 naming the reason when it cannot go back where it was (e.g. its stage was deleted "
        "later: undo that first) or when it is already back.",
        request=None,
        responses={200: TrashRestoreOut, **error_responses()},
    )
    def post(self, request, pk):
        _journey_of(TrashedItem, pk, request.user, access.EDIT)
        element = trash.trash_restore(item_id=pk, by=request.user)
        element.refresh_from_db()
        journey = access.journey_for(request.user, element.journey_id)
        restored = OUT_OF[type(element)](element, context={"request": request}).data
        body = {"kind": type(element).__name__.lower(), "restored": restored}
        return Response(TrashRestoreOut({**body, "revision": journey.revision}).data)


# ---------------------------------------------------------------------------------------------- comments


class CardCommentsApi(APIView):
    @extend_schema(
        tags=["comments"],
        summary="A card's comment threads",
        description="Oldest first, each with its replies.",
        responses={200: ThreadOut(many=True), **error_responses(bad_input=False)},
    )
    def get(self, request, pk):
        _journey_of(Card, pk, request.user, access.VIEW)
        card = Card.objects.get(pk=pk)
        return Response(ThreadOut(comments.card_threads(card=card), many=True).data)

    @extend_schema(
        tags=["comments"],
        summary="Comment on a card, or reply in a thread",
        description="Everyone who can see the journey may comment (viewers too). Mentions: people picked "
        "by id (`mentions`) and `@username` typed in the text, when they can see the journey; a picked "
        "person who cannot is refused (400 on `mentions`), a typed one is listed in `not_mentioned`; other "
        "names stay plain text. Replying reopens a resolved thread.",
        request=CommentIn,
        responses={201: CommentCreatedOut, **error_responses()},
    )
    def post(self, request, pk):
        _journey_of(Card, pk, request.user, access.VIEW)
        data = parsed(CommentIn, request.data)
        comment = comments.comment_create(
            card_id=pk,
            by=request.user,
            body=data["body"],
            thread=data.get("thread"),
            mention_ids=data.get("mentions", ()),
        )
        return Response(CommentCreatedOut(comment).data, status=status.HTTP_201_CREATED)


class JourneyPeopleApi(APIView):
    @extend_schema(
        tags=["comments"],
        summary="People who can see a journey, to mention",
        description="Active people who can see the journey (every member for a workspace-visible journey; "
        "admins, the owner and people granted access, directly or through a team, for a restricted one) "
        f"whose name or username contains `q`, ignoring case and accents; at most {comments.PEOPLE_LIMIT}.",
        parameters=[
            OpenApiParameter(
                "q", str, OpenApiParameter.QUERY, required=False, description="Part of a name or username."
            )
        ],
        responses={200: PeopleOut, **error_responses(bad_input=False)},
    )
    def get(self, request, pk):
        journey = access.journey_for(request.user, pk, need=access.VIEW)
        found = comments.mention_candidates(
            journey=journey, search=request.query_params.get("q", ""), limit=comments.PEOPLE_LIMIT + 1
        )
        more = len(found) > comments.PEOPLE_LIMIT
        return Response(PeopleOut({"people": found[: comments.PEOPLE_LIMIT], "more": more}).data)


def _resolve_schema(summary):
    return extend_schema(
        tags=["comments"],
        summary=summary,
        description="Editors of the journey and whoever started the thread; acts on the whole thread. "
        "Answers the thread's first comment.",
        request=None,
        responses={200: CommentOut, **error_responses(bad_input=False)},
    )


class CommentResolveApi(APIView):
    @_resolve_schema("Resolve a comment thread")
    def post(self, request, pk):
        _journey_of(Comment, pk, request.user, access.VIEW)
        return Response(CommentOut(comments.comment_resolve(comment_id=pk, by=request.user)).data)


class CommentReopenApi(APIView):
    @_resolve_schema("Reopen a resolved comment thread")
    def post(self, request, pk):
        _journey_of(Comment, pk, request.user, access.VIEW)
        return Response(CommentOut(comments.comment_reopen(comment_id=pk, by=request.user)).data)


class CommentApi(APIView):
    @extend_schema(
        tags=["comments"],
        summary="A comment",
        responses={200: CommentOut, **error_responses(bad_input=False)},
    )
    def get(self, request, pk):
        _journey_of(Comment, pk, request.user, access.VIEW)
        comment = (
            Comment.objects.select_related("author", "resolved_by").prefetch_related("mentions").get(pk=pk)
        )
        return Response(CommentOut(comment).data)

    @extend_schema(
        tags=["comments"],
        summary="Delete a comment",
        description="Its author or a manager of the journey. A thread's first comment takes its replies.",
        request=None,
        responses={204: None, **error_responses(bad_input=False)},
    )
    def delete(self, request, pk):
        _journey_of(Comment, pk, request.user, access.VIEW)
        comments.comment_delete(comment_id=pk, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
