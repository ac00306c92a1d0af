"""REST API of the queue: every pain point and opportunity of the journeys you can see in a workspace,
ranked, with the same filters and sorts as the queue page (prioritization/queue.py has the rules).

Members of the workspace read it (outsiders get 404); cards of journeys you cannot see are never listed
or counted. Paginated with `limit` and `offset`; a constant number of queries whatever the size of the
queue. Bad filter values are refused with 400 naming the parameter (the page drops them instead).
"""

from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers

from core.serializers import BooleanField, IdField, TextField
from journeys.models import TAG_MAX

from .. import access
from ..queue import (
    DEFAULT_SORT,
    KINDS,
    LEVELS,
    QUADRANTS,
    SORTS,
    STAGES,
    STATUSES,
    Filters,
    page_details,
    queue,
)

TAGS = ["prioritization"]


class QueueFilterIn(serializers.Serializer):
    journey = IdField(
        required=False, help_text="Only cards of this journey and its sub-journeys (recursively)."
    )
    stage = serializers.ChoiceField(
        STAGES, required=False, help_text="The standard stage of the card's stage."
    )
    kind = serializers.ChoiceField(KINDS, required=False, help_text="Pain points or opportunities.")
    status = serializers.ChoiceField(
        STATUSES,
        required=False,
        help_text="Delivery status: the most advanced non-dropped initiative addressing the card's.",
    )
    owner = IdField(required=False, help_text="Only journeys this user owns.")
    tag = TextField(
        max_length=TAG_MAX, single_line=True, required=False, allow_blank=True, help_text="A journey tag."
    )
    confidence = serializers.ChoiceField(LEVELS, required=False, help_text="The card's evidence confidence.")
    quadrant = serializers.ChoiceField(QUADRANTS, required=False, help_text="Impact/effort quadrant.")
    unscored = BooleanField(required=False, help_text="true: only cards without a composite yet.")
    stale = BooleanField(required=False, help_text="true: only scores made under an older model version.")
    sort = serializers.ChoiceField(
        list(SORTS.items()),
        required=False,
        default=DEFAULT_SORT,
        help_text="priority (default; cards without a composite last), composite, impact, effort (least "
        "first), opportunity, evidence (count), journey (title), updated (newest first).",
    )


class QueueNamedOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class QueueStageOut(QueueNamedOut):
    standard_stage = serializers.CharField(help_text="A standard stage key, or empty.")


class QueueOwnerOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")


class QueueCriterionOut(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    value = serializers.IntegerField(allow_null=True, help_text="1–5, or null when unrated.")
    lower_is_better = serializers.BooleanField()


class QueueInitiativeOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.CharField()


class QueueDeliveryOut(serializers.Serializer):
    status = serializers.CharField(help_text="not_planned, or the lead initiative's status.")
    initiatives = QueueInitiativeOut(
        many=True, help_text="Every initiative addressing it, most advanced first."
    )
    shipped_date = serializers.DateField(allow_null=True)


class QueueCardOut(serializers.Serializer):
    rank = serializers.IntegerField(help_text="The card's place in this ordering, from 1.")
    id = serializers.IntegerField(source="pk")
    text = serializers.CharField()
    kind = serializers.CharField(source="lane.kind")
    journey = QueueNamedOut()
    stage = QueueStageOut(source="step.stage")
    step = QueueNamedOut()
    owner = QueueOwnerOut(source="journey.owner", help_text="The journey's owner.")
    priority = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        allow_null=True,
        help_text="The composite, times the confidence factor when the score's model uses confidence.",
    )
    composite = serializers.DecimalField(
        max_digits=6, decimal_places=2, allow_null=True, source="score_row.composite"
    )
    impact = serializers.DecimalField(
        max_digits=6, decimal_places=2, allow_null=True, source="score_row.impact"
    )
    effort = serializers.DecimalField(
        max_digits=6, decimal_places=2, allow_null=True, source="score_row.effort"
    )
    quadrant = serializers.CharField(allow_null=True)
    criteria = QueueCriterionOut(many=True, help_text="The values under the model version of the score.")
    model_version = serializers.IntegerField(allow_null=True, source="score_row.model.number")
    stale = serializers.BooleanField(help_text="Scored under a model version that is no longer current.")
    scored_at = serializers.DateTimeField(allow_null=True, source="score_row.scored_at")
    opportunity = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    importance = serializers.DecimalField(
        max_digits=4, decimal_places=2, allow_null=True, source="score_row.importance"
    )
    satisfaction = serializers.DecimalField(
        max_digits=4, decimal_places=2, allow_null=True, source="score_row.satisfaction"
    )
    confidence = serializers.CharField(help_text="assumption, weak, moderate, strong or contested.")
    evidence_count = serializers.IntegerField()
    delivery = QueueDeliveryOut(source="delivery_info")
    map_url = serializers.SerializerMethodField()
    evidence_url = serializers.SerializerMethodField()

    def get_map_url(self, card) -> str:
        return f"{reverse('journeys:map', args=[card.journey_id])}?view=priority#card-{card.pk}"

    def get_evidence_url(self, card) -> str:
        return reverse("research:card_evidence", args=[card.pk])


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="The queue: pain points and opportunities, ranked",
        description="Every pain-point and opportunity card of the workspace's journeys you can see "
        "(archived journeys and templates left out), scored or not, filtered and sorted as asked. The same "
        "rules as the queue page.",
        parameters=[QueueFilterIn],
    )
)
class QueueApi(generics.ListAPIView):
    serializer_class = QueueCardOut

    def get_queryset(self):
        workspace = access.workspace_for(self.request.user, self.kwargs["pk"])
        serializer = QueueFilterIn(data=self.request.query_params)
        serializer.is_valid(raise_exception=True)
        filters = Filters(
            **{name: value for name, value in serializer.validated_data.items() if value is not None}
        )
        self.queue = queue(user=self.request.user, workspace_id=workspace.pk, filters=filters)
        return self.queue.ids()

    def paginate_queryset(self, queryset):
        """A page of ranked ids, then those cards with every figure and their details (two queries)."""
        page = self.queue.rows(super().paginate_queryset(queryset))
        page_details(page, user=self.request.user)
        offset = self.paginator.offset
        for n, card in enumerate(page, start=offset + 1):
            card.rank = n
        return page
