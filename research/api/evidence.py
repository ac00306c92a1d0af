"""REST API of evidence, its links to map elements, and confidence.

Evidence belongs to a workspace: members read it, admins and editors write it (viewers 403, outsiders
404). A link is part of its journey: it is listed and counted only for people who see the journey, and
making, changing or removing one needs edit on the journey. Confidence: research/confidence.py.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Subquery
from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from core.serializers import BooleanField, IdField, text_field_for
from journeys import access as journey_access
from journeys.models import Card, Stage, Step

from .. import access, confidence, selectors, services
from ..models import Evidence, EvidenceLink, Kind, Method, Stance
from ..services.evidence import BULK_MAX
from .common import (
    BULK_BODY_MAX,
    EXPECTED_VERSION_PARAM,
    BulkJSONParser,
    TagNamesField,
    UrlField,
    VersionIn,
    choice_field,
    created,
    error_responses,
    expected_version,
    nested_item_errors,
    no_content,
    parsed,
    register_conflict,
)
from .studies import TagNamesOut

# ---------------------------------------------------------------------------------------------- evidence


class EvidenceOut(serializers.ModelSerializer):
    tags = TagNamesOut()
    study_title = serializers.CharField(source="study.title", read_only=True, allow_null=True, default=None)
    link_count = serializers.IntegerField(
        read_only=True, help_text="Links to map elements on journeys you can see."
    )
    source_link = serializers.CharField(read_only=True, help_text="A link (http or https), or empty.")

    class Meta:
        model = Evidence
        fields = [
            "id", "workspace", "study", "study_title", "kind", "text", "participant", "captured_on",
            "source_link", "external_id", "tags", "link_count", "version", "created_at", "created_by",
            "updated_at", "updated_by",
        ]  # fmt: skip
        read_only_fields = fields


class EvidenceFieldsIn(serializers.Serializer):
    study = IdField(required=False, allow_null=True, help_text="A study of the workspace; null: standalone.")
    kind = choice_field(Kind.choices, required=False)
    text = text_field_for(Evidence, "text", required=False)
    participant = text_field_for(Evidence, "participant")
    captured_on = serializers.DateField(required=False, allow_null=True)
    source_link = UrlField()
    external_id = text_field_for(Evidence, "external_id")
    tags = TagNamesField()


class EvidenceCreateIn(EvidenceFieldsIn):
    text = text_field_for(Evidence, "text")


class EvidenceUpdateIn(VersionIn, EvidenceFieldsIn):
    pass


class EvidenceBulkIn(serializers.Serializer):
    items = serializers.ListField(
        child=EvidenceCreateIn(),
        min_length=1,
        max_length=BULK_MAX,
        help_text=f"1 to {BULK_MAX:,} evidence items; all are created or none.",
    )


class EvidenceBulkOut(serializers.Serializer):
    created = EvidenceOut(many=True, help_text="The items made, in the order sent.")
    existing = EvidenceOut(
        many=True,
        help_text="Items whose external id their study (or, standalone, the workspace) had already: not "
        "made again.",
    )


class EvidenceFilterIn(serializers.Serializer):
    study = IdField(required=False, help_text="Only the evidence of this study.")
    method = choice_field(Method.choices, required=False, help_text="Its study's method.")
    kind = choice_field(Kind.choices, required=False)
    tag = IdField(required=False, help_text="Only evidence with this tag (id).")
    stance = choice_field(Stance.choices, required=False, help_text="Only evidence linked with this stance.")
    linked = BooleanField(
        required=False,
        help_text="true: linked to a map element you can see; false: not (to any you can see).",
    )


class EvidenceConflictOut(EvidenceOut):
    """An evidence item as a 409 shows it: without the link count a list adds."""

    class Meta(EvidenceOut.Meta):
        fields = [name for name in EvidenceOut.Meta.fields if name != "link_count"]
        read_only_fields = fields


register_conflict(Evidence, EvidenceConflictOut)


@extend_schema_view(
    get=extend_schema(
        tags=["research"],
        summary="The workspace's evidence",
        description="Newest first. Links on journeys you cannot see are neither counted nor matched.",
        parameters=[EvidenceFilterIn],
        responses={200: EvidenceOut, **error_responses()},
    ),
    post=extend_schema(
        tags=["research"],
        summary="Add an evidence item",
        request=EvidenceCreateIn,
        responses={201: EvidenceOut, **error_responses()},
    ),
)
class EvidenceListApi(generics.ListAPIView):
    serializer_class = EvidenceOut

    def get_queryset(self):
        access.workspace_for(self.request.user, self.kwargs["pk"])
        filters = parsed(EvidenceFilterIn, self.request.query_params)
        return selectors.evidence_list(user=self.request.user, workspace_id=self.kwargs["pk"], **filters)

    def post(self, request, pk):
        access.workspace_for(request.user, pk, need=access.WRITE)
        data = parsed(EvidenceCreateIn, request.data)
        evidence = services.evidence_create(workspace_id=pk, by=request.user, **data)
        return created(
            request, EvidenceOut, selectors.evidence_detail(user=request.user, evidence_id=evidence.pk)
        )


@extend_schema_view(
    post=extend_schema(
        tags=["research"],
        summary="Add many evidence items at once",
        description=f"Up to {BULK_MAX:,} items and {BULK_BODY_MAX // (1024 * 1024)} MB of JSON (413 past "
        "that: 1,000 items of 20,000 characters of plain text fit; text escaped as `\\uXXXX` takes "
        "more), all or nothing: errors name the item (from 0) and the field, "
        '`{"items": {"3": {"text": [...]}}}`. Items whose `external_id` is known already are '
        "returned in `existing`, not made again, so sending a batch twice creates nothing new. A constant "
        "number of queries.",
        request=EvidenceBulkIn,
        responses={201: EvidenceBulkOut, **error_responses()},
    )
)
class EvidenceBulkApi(APIView):
    parser_classes = [BulkJSONParser]  # up to BULK_BODY_MAX, not Django's 2.5 MB for every request

    def post(self, request, pk):
        access.workspace_for(request.user, pk, need=access.WRITE)
        data = parsed(EvidenceBulkIn, request.data)
        try:
            result = services.evidence_bulk_create(workspace_id=pk, by=request.user, items=data["items"])
        except DjangoValidationError as exc:
            raise ValidationError(nested_item_errors(exc, "items")) from None
        ids = [e.pk for e in result.created] + [e.pk for e in result.existing]
        rows = {
            e.pk: e for e in selectors.evidence_list(user=request.user, workspace_id=pk).filter(pk__in=ids)
        }
        body = EvidenceBulkOut(
            {
                "created": [rows[e.pk] for e in result.created],
                "existing": [rows[e.pk] for e in result.existing],
            }
        ).data
        return Response(body, status=201)


@extend_schema_view(
    get=extend_schema(
        tags=["research"],
        summary="An evidence item",
        responses={200: EvidenceOut, **error_responses(bad_input=False)},
    ),
    patch=extend_schema(
        tags=["research"],
        summary="Change an evidence item",
        description="Bumps `version`.",
        request=EvidenceUpdateIn,
        responses={200: EvidenceOut, **error_responses(Evidence)},
    ),
    delete=extend_schema(
        tags=["research"],
        summary="Delete an evidence item",
        description="Its links go too (each journey concerned records that in its activity). It is kept in "
        "the workspace's research trash (`/workspaces/{id}/research-trash/`) and can be put back "
        "(`/research-trash/{id}/restore/`).",
        parameters=[EXPECTED_VERSION_PARAM],
        request=None,
        responses={204: None, **error_responses(Evidence)},
    ),
)
class EvidenceApi(APIView):
    def get(self, request, pk):
        access.evidence_for(request.user, pk)
        return Response(EvidenceOut(selectors.evidence_detail(user=request.user, evidence_id=pk)).data)

    def patch(self, request, pk):
        access.evidence_for(request.user, pk, need=access.WRITE)
        data = parsed(EvidenceUpdateIn, request.data)
        services.evidence_update(evidence_id=pk, by=request.user, **data)
        return Response(EvidenceOut(selectors.evidence_detail(user=request.user, evidence_id=pk)).data)

    def delete(self, request, pk):
        access.evidence_for(request.user, pk, need=access.WRITE)
        services.evidence_delete(evidence_id=pk, by=request.user, expected_version=expected_version(request))
        return no_content()


# ---------------------------------------------------------------------------------------------- links


class LinkOut(serializers.ModelSerializer):
    target_kind = choice_field([(k, k) for k in ("card", "step", "stage")], read_only=True)
    target_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = EvidenceLink
        fields = [
            "id", "evidence", "journey", "target_kind", "target_id", "card", "step", "stage", "stance",
            "note", "version", "created_at", "created_by",
        ]  # fmt: skip
        read_only_fields = fields


class LinkCreateIn(serializers.Serializer):
    card = IdField(required=False, help_text="Give exactly one of card, step and stage.")
    step = IdField(required=False)
    stage = IdField(required=False)
    stance = choice_field(Stance.choices, required=False, default=Stance.SUPPORTS)
    note = text_field_for(EvidenceLink, "note")


class LinkUpdateIn(VersionIn):
    stance = choice_field(Stance.choices, required=False)
    note = text_field_for(EvidenceLink, "note")


class JourneyLinkFilterIn(serializers.Serializer):
    card = IdField(required=False)
    step = IdField(required=False)
    stage = IdField(required=False)


register_conflict(EvidenceLink, LinkOut)


@extend_schema_view(
    get=extend_schema(
        tags=["research"],
        summary="Where an evidence item is linked",
        description="Only links on journeys you can see.",
        responses={200: LinkOut, **error_responses(bad_input=False)},
    ),
    post=extend_schema(
        tags=["research"],
        summary="Link an evidence item to a card, step or stage",
        description="Needs edit on the element's journey. Recorded in the journey's activity and sent live; "
        "records a “new research” event for the journey's review.",
        request=LinkCreateIn,
        responses={201: LinkOut, **error_responses(what="this journey")},
    ),
)
class EvidenceLinksApi(generics.ListAPIView):
    serializer_class = LinkOut

    def get_queryset(self):
        access.evidence_for(self.request.user, self.kwargs["pk"])
        return selectors.evidence_links(user=self.request.user, evidence_id=self.kwargs["pk"])

    def post(self, request, pk):
        access.evidence_for(request.user, pk)
        data = parsed(LinkCreateIn, request.data)
        return created(request, LinkOut, services.link_create(evidence_id=pk, by=request.user, **data))


@extend_schema_view(
    get=extend_schema(
        tags=["research"],
        summary="An evidence link",
        responses={200: LinkOut, **error_responses(bad_input=False)},
    ),
    patch=extend_schema(
        tags=["research"],
        summary="Change a link's stance or note",
        description="Needs edit on its journey.",
        request=LinkUpdateIn,
        responses={200: LinkOut, **error_responses(EvidenceLink, what="this journey")},
    ),
    delete=extend_schema(
        tags=["research"],
        summary="Unlink evidence",
        description="Needs edit on its journey. Recorded in the journey's activity and sent live.",
        parameters=[EXPECTED_VERSION_PARAM],
        request=None,
        responses={204: None, **error_responses(EvidenceLink, what="this journey")},
    ),
)
class LinkApi(APIView):
    def get(self, request, pk):
        return Response(LinkOut(access.link_for(request.user, pk)).data)

    def patch(self, request, pk):
        link = access.link_for(request.user, pk)
        try:
            data = parsed(LinkUpdateIn, request.data)
        except ValidationError:
            journey_access.journey_for(request.user, link.journey_id, need=journey_access.EDIT)
            raise
        return Response(LinkOut(services.link_update(link_id=pk, by=request.user, **data)).data)

    def delete(self, request, pk):
        link = access.link_for(request.user, pk)
        try:
            version = expected_version(request)
        except ValidationError:
            journey_access.journey_for(request.user, link.journey_id, need=journey_access.EDIT)
            raise
        services.link_delete(link_id=pk, by=request.user, expected_version=version)
        return no_content()


class JourneyLinkOut(LinkOut):
    evidence_text = serializers.CharField(source="evidence.text", read_only=True)
    evidence_kind = serializers.CharField(source="evidence.kind", read_only=True)
    study = serializers.IntegerField(source="evidence.study_id", read_only=True, allow_null=True)

    class Meta(LinkOut.Meta):
        fields = [*LinkOut.Meta.fields, "evidence_text", "evidence_kind", "study"]
        read_only_fields = fields


@extend_schema_view(
    get=extend_schema(
        tags=["research"],
        summary="The evidence links of a journey",
        description="Oldest first, with each link's evidence text; filter to one card, step or stage.",
        parameters=[JourneyLinkFilterIn],
        responses={200: JourneyLinkOut, **error_responses()},
    )
)
class JourneyLinksApi(generics.ListAPIView):
    serializer_class = JourneyLinkOut

    def get_queryset(self):
        journey_access.journey_for(self.request.user, self.kwargs["pk"])
        filters = parsed(JourneyLinkFilterIn, self.request.query_params)
        return selectors.journey_links(journey_id=self.kwargs["pk"], **filters)


# ---------------------------------------------------------------------------------------------- confidence


class SideOut(serializers.Serializer):
    items = serializers.IntegerField()
    points = serializers.FloatField(help_text="Recent items count 1, older ones 0.5.")
    sources = serializers.IntegerField(help_text="Independent sources: studies, each standalone item one.")
    participants = serializers.IntegerField()
    methods = serializers.IntegerField()
    tier = serializers.IntegerField(help_text="0 none, 1 weak, 2 moderate, 3 strong.")


class ElementConfidenceOut(serializers.Serializer):
    id = serializers.IntegerField()
    level = choice_field(confidence.Level.choices)
    supporting = serializers.IntegerField(help_text="Supporting evidence items.")
    contradicting = serializers.IntegerField(help_text="Contradicting evidence items.")


class JourneyConfidenceOut(serializers.Serializer):
    journey = serializers.IntegerField()
    level = choice_field(confidence.Level.choices, help_text="Of the whole journey.")
    recency_months = serializers.IntegerField()
    card_levels = serializers.DictField(child=serializers.IntegerField(), help_text="Cards at each level.")
    validated = serializers.IntegerField(help_text="Pain points and opportunities at moderate or strong.")
    validatable = serializers.IntegerField(help_text="Pain points and opportunities.")
    cards = ElementConfidenceOut(many=True)
    steps = ElementConfidenceOut(many=True)
    stages = ElementConfidenceOut(many=True)


def _element(pk, found):
    return {
        "id": pk,
        "level": found.level if found else confidence.Level.ASSUMPTION,
        "supporting": len(found.supporting.items) if found else 0,
        "contradicting": len(found.contradicting.items) if found else 0,
    }


@extend_schema_view(
    get=extend_schema(
        tags=["research"],
        summary="The confidence of every card, step and stage of a journey",
        description="One rule (research/confidence.py): assumption, weak, moderate, strong or contested, "
        "from the supporting and contradicting evidence. A constant number of queries, whatever the size "
        "of the map.",
        responses={200: JourneyConfidenceOut, **error_responses(bad_input=False)},
    )
)
class JourneyConfidenceApi(APIView):
    def get(self, request, pk):
        journey_access.journey_for(request.user, pk)
        result = confidence.map_confidence(journey_id=pk)
        steps = (
            Step.objects.filter(journey_id=pk)
            .order_by("stage__position", "position")
            .values_list("pk", flat=True)
        )
        stages = Stage.objects.filter(journey_id=pk).order_by("position").values_list("pk", flat=True)
        body = {
            "journey": pk,
            "level": result.journey.level,
            "recency_months": result.recency_months,
            "card_levels": result.card_levels,
            "validated": result.validated,
            "validatable": result.validatable,
            "cards": [_element(card, found) for card, found in result.cards.items()],
            "steps": [_element(step, result.steps.get(step)) for step in steps],
            "stages": [_element(stage, result.stages.get(stage)) for stage in stages],
        }
        return Response(JourneyConfidenceOut(body).data)


class ExplainedLinkOut(serializers.Serializer):
    link = serializers.IntegerField(source="pk")
    stance = choice_field(Stance.choices)
    evidence = serializers.IntegerField(source="evidence_id")
    text = serializers.CharField(source="evidence.text")
    kind = serializers.CharField(source="evidence.kind")
    participant = serializers.CharField(source="evidence.participant")
    captured_on = serializers.DateField(source="evidence.captured_on", allow_null=True)
    study = serializers.IntegerField(source="evidence.study_id", allow_null=True)
    study_title = serializers.CharField(source="evidence.study.title", allow_null=True, default=None)
    method = serializers.CharField(source="evidence.study.method", allow_null=True, default=None)
    weight = serializers.FloatField(help_text="1 when recent, 0.5 when older than the recency window.")
    recent = serializers.BooleanField()


class CardConfidenceOut(serializers.Serializer):
    card = serializers.IntegerField()
    level = choice_field(confidence.Level.choices)
    supporting = SideOut()
    contradicting = SideOut()
    evidence = ExplainedLinkOut(many=True, help_text="The linked evidence that produced the level.")
    to_raise = serializers.ListField(child=serializers.CharField(), help_text="What would raise the level.")
    recency_months = serializers.IntegerField()


@extend_schema_view(
    get=extend_schema(
        tags=["research"],
        summary="Why a card has its confidence level",
        description="The evidence that produced the level, each side's figures, and what would raise it.",
        responses={200: CardConfidenceOut, **error_responses(bad_input=False)},
    )
)
class CardConfidenceApi(APIView):
    def get(self, request, pk):
        # The card's journey found, and access decided, in one query (404 "No such card." for both).
        journey_of_card = Subquery(Card.objects.filter(pk=pk).values("journey_id")[:1])
        journey_access.journey_for(request.user, journey_of_card, what="card")
        card = Card.objects.filter(pk=pk).first()
        if card is None:  # deleted between the two reads
            raise Http404("No such card.")
        found = confidence.explain(card)
        body = {
            "card": card.pk,
            "level": found.level,
            "supporting": found.supporting,
            "contradicting": found.contradicting,
            "evidence": found.links,
            "to_raise": found.to_raise,
            "recency_months": found.recency_months,
        }
        return Response(CardConfidenceOut(body).data)
