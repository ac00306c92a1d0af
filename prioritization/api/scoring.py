"""REST API of scoring: the workspace's scoring model and its versions, a card's score (read, set, clear)
with its history, and every pain point's and opportunity's score on a journey in one call.

The scoring model is the workspace's: members read it, admins make a new version (`expected_version`: the
current version number; a stale one gets 409 with the current model). A card's score is its journey's:
people who see the journey read it, people with edit on it set and clear it, naming `expected_version` —
the score's number of changes, 0 for a card never scored (see prioritization/services/scoring.py); a
stale one gets 409 with the score as it is now. Errors name the field: `{"values": {"effort": [...]}}`,
`{"criteria": {"2": {"weight": [...]}}}`. The figures' rule: prioritization/scoring.py.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import conflict_serializer, error_dict
from core.serializers import INT_MAX, BooleanField, IdField, TextField, WholeNumberField
from research.confidence import explain, level_of, map_confidence

from .. import access, scoring, selectors, services
from ..models import (
    DESCRIPTION_MAX,
    KEY_MAX,
    MEANING_MAX,
    NAME_MAX,
    OPPORTUNITY_SCALE_MAX,
    RATIONALE_MAX,
    SCALE_MAX,
    SCALE_MIN,
    WEIGHT_MAX,
    Criterion,
    ScoringModel,
)
from ..selectors import CardScore
from ..services.scoring import CRITERIA_MAX

TAG = "scoring"

# ---------------------------------------------------------------------------------------------- errors


def nested_errors(exc: DjangoValidationError) -> dict:
    """The services' flat keys as nested objects: `values.effort` → {"values": {"effort": [...]}},
    `criteria[2].weight` → {"criteria": {"2": {"weight": [...]}}}; other keys as they are."""
    out: dict = {}
    for key, messages in error_dict(exc).items():
        item = re.fullmatch(r"criteria\[(\d+)\]\.(.+)", key)
        member = re.fullmatch(r"(values|rationales)\.(.+)", key)
        if item:
            out.setdefault("criteria", {}).setdefault(item[1], {})[item[2]] = messages
        elif member:
            out.setdefault(member[1], {})[member[2]] = messages
        else:
            out[key] = messages
    return out


def _call(function, **kwargs):
    try:
        return function(**kwargs)
    except DjangoValidationError as exc:
        raise ValidationError(nested_errors(exc)) from None


ERRORS = {
    404: OpenApiResponse(description="No such object, or you cannot see it."),
}


def _errors(*, write: bool = False, conflict=None, what: str = "it") -> dict:
    errors = dict(ERRORS)
    if write:
        errors[400] = OpenApiResponse(description="Bad input, by field; nothing was changed.")
        errors[403] = OpenApiResponse(description=f"You can see {what} but lack the right to change it.")
    if conflict is not None:
        errors[409] = OpenApiResponse(
            conflict, description="`expected_version` is stale: nothing was changed."
        )
    return errors


# ---------------------------------------------------------------------------------------------- the model


class CriterionOut(serializers.ModelSerializer):
    meanings = serializers.ListField(
        child=serializers.CharField(), help_text="What 1, 2, 3, 4 and 5 mean, in that order."
    )

    class Meta:
        model = Criterion
        fields = ["key", "name", "description", "weight", "lower_is_better", "meanings"]
        read_only_fields = fields


class ScoringModelOut(serializers.ModelSerializer):
    version = serializers.IntegerField(source="number", help_text="1, 2, 3… per workspace.")
    criteria = CriterionOut(many=True, source="criteria.all")
    changes = serializers.SerializerMethodField(help_text="What changed from the version before, in words.")
    score_count = serializers.SerializerMethodField(help_text="Cards whose current score was made under it.")

    class Meta:
        model = ScoringModel
        fields = [
            "id", "workspace", "version", "is_current", "formula", "use_confidence", "note", "criteria",
            "changes", "score_count", "created_by", "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_changes(self, obj) -> list[str]:
        return getattr(obj, "changes", None) or []

    def get_score_count(self, obj) -> int:
        return getattr(obj, "score_count", 0)


conflict_serializer(ScoringModel, ScoringModelOut)
MODEL_CONFLICT = inline_serializer(
    name="ScoringModelConflict",
    fields={"detail": serializers.CharField(), "current": ScoringModelOut()},
)


class CriterionIn(serializers.Serializer):
    key = TextField(
        max_length=KEY_MAX,
        single_line=True,
        required=False,
        help_text="Keep a criterion's key so its values carry over; a new one gets it from its name.",
    )
    name = TextField(max_length=NAME_MAX, single_line=True)
    description = TextField(max_length=DESCRIPTION_MAX, required=False, allow_blank=True)
    weight = WholeNumberField(min_value=0, max_value=WEIGHT_MAX, help_text="0 leaves it out of every figure.")
    lower_is_better = BooleanField(required=False, default=False)
    meanings = serializers.ListField(
        child=TextField(max_length=MEANING_MAX, single_line=True),
        min_length=SCALE_MAX - SCALE_MIN + 1,
        max_length=SCALE_MAX - SCALE_MIN + 1,
        help_text="Five texts: what 1, 2, 3, 4 and 5 mean.",
    )


class ScoringModelIn(serializers.Serializer):
    criteria = serializers.ListField(child=CriterionIn(), min_length=1, max_length=CRITERIA_MAX)
    use_confidence = BooleanField(
        required=False, default=False, help_text="Multiply the composite by the evidence confidence factor."
    )
    note = TextField(max_length=DESCRIPTION_MAX, required=False, allow_blank=True, default="")
    expected_version = WholeNumberField(
        min_value=1, max_value=INT_MAX, help_text="The current version number you last saw."
    )


@extend_schema_view(
    get=extend_schema(
        tags=[TAG],
        summary="The scoring model's versions",
        description="Newest first, each with its criteria and what changed from the one before. Made at "
        "version 1 (the default model) on first use.",
        responses={200: ScoringModelOut(many=True), **_errors()},
    ),
    post=extend_schema(
        tags=[TAG],
        summary="Make a new version of the scoring model (admins)",
        description="The whole new list of criteria. Earlier versions and the scores made under them stay; "
        "those scores are stale until re-scored. Refused (400) when nothing would change.",
        request=ScoringModelIn,
        responses={201: ScoringModelOut, **_errors(write=True, conflict=MODEL_CONFLICT, what="the model")},
    ),
)
class ScoringModelListApi(GenericAPIView):
    serializer_class = ScoringModelOut
    pagination_class = None

    def get(self, request, pk):
        access.workspace_for(request.user, pk)
        services.scoring_model_ensure_default(workspace_id=pk)
        versions = selectors.model_versions(workspace_id=pk)
        return Response(ScoringModelOut(_with_changes(versions), many=True).data)

    def post(self, request, pk):
        access.workspace_for(request.user, pk, need=access.ADMIN)
        serializer = ScoringModelIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        model = _call(
            services.scoring_model_change,
            workspace_id=pk,
            by=request.user,
            criteria=[dict(c) for c in data["criteria"]],
            use_confidence=data["use_confidence"],
            note=data["note"],
            expected_version=data["expected_version"],
        )
        version = next(v for v in selectors.model_versions(workspace_id=pk) if v.model.pk == model.pk)
        return Response(ScoringModelOut(_with_changes([version])[0]).data, status=status.HTTP_201_CREATED)


def _with_changes(versions) -> list[ScoringModel]:
    out = []
    for v in versions:
        v.model.changes, v.model.score_count = v.changes, v.score_count
        out.append(v.model)
    return out


@extend_schema_view(
    get=extend_schema(
        tags=[TAG],
        summary="The current scoring model",
        responses={200: ScoringModelOut, **_errors()},
    )
)
class ScoringModelCurrentApi(APIView):
    def get(self, request, pk):
        access.workspace_for(request.user, pk)
        current = services.scoring_model_ensure_default(workspace_id=pk)
        return Response(ScoringModelOut(_version_of(current)).data)


def _version_of(model: ScoringModel) -> ScoringModel:
    """The model with `changes` from the version before it and its `score_count` (three queries)."""
    previous = (
        ScoringModel.objects.filter(workspace_id=model.workspace_id, number=model.number - 1)
        .prefetch_related("criteria")
        .first()
    )
    model.changes = selectors.model_changes(previous, model)
    model.score_count = model.scores.count()
    return model


@extend_schema_view(
    get=extend_schema(
        tags=[TAG],
        summary="A version of the scoring model",
        responses={200: ScoringModelOut, **_errors()},
    )
)
class ScoringModelApi(APIView):
    def get(self, request, pk):
        model = ScoringModel.objects.filter(pk=pk).prefetch_related("criteria").first()
        if model is None:
            raise Http404("No such scoring model.")
        access.workspace_for(request.user, model.workspace_id)  # 404 for outsiders, as for a missing one
        return Response(ScoringModelOut(_version_of(model)).data)


# ---------------------------------------------------------------------------------------------- scores

DECIMAL = {"max_digits": 6, "decimal_places": 2, "coerce_to_string": False}


class CardScoreOut(serializers.Serializer):
    """A card's score (a selectors.CardScore, with `level` set: the card's research confidence level)."""

    card = serializers.IntegerField(source="card.pk")
    journey = serializers.IntegerField(source="card.journey_id")
    kind = serializers.CharField(source="card.lane.kind", help_text="pain_points or opportunities.")
    version = serializers.IntegerField(
        help_text="The score's number of changes; send it as expected_version."
    )
    scored = serializers.SerializerMethodField()
    stale = serializers.BooleanField(help_text="Scored under a model version that is no longer current.")
    model_version = serializers.SerializerMethodField(help_text="The version it was scored under.")
    current_model_version = serializers.IntegerField(source="current_model.number")
    values = serializers.SerializerMethodField(help_text="{criterion key: 1–5}; unrated criteria left out.")
    rationales = serializers.SerializerMethodField(help_text="{criterion key: why}.")
    composite = serializers.SerializerMethodField(help_text="0–100; null while a criterion is unrated.")
    priority = serializers.SerializerMethodField(
        help_text="The composite, times the confidence factor when its model uses confidence."
    )
    impact = serializers.SerializerMethodField()
    effort = serializers.SerializerMethodField()
    quadrant = serializers.SerializerMethodField(
        help_text="quick_wins, big_bets, fill_ins, money_pits or null."
    )
    importance = serializers.SerializerMethodField()
    satisfaction = serializers.SerializerMethodField()
    satisfaction_metric = serializers.SerializerMethodField()
    opportunity = serializers.SerializerMethodField(help_text="Ulwick's opportunity score, 0–20, or null.")
    confidence_level = serializers.SerializerMethodField(help_text="The card's research confidence level.")
    scored_by = serializers.SerializerMethodField()
    scored_at = serializers.SerializerMethodField()

    def get_scored(self, obj) -> bool:
        return obj.score is not None

    def get_model_version(self, obj) -> int | None:
        return obj.score.model.number if obj.score else None

    def get_values(self, obj) -> dict[str, int]:
        return obj.score.values if obj.score else {}

    def get_rationales(self, obj) -> dict[str, str]:
        return obj.score.rationales if obj.score else {}

    def _number(self, value) -> float | None:
        return float(value) if value is not None else None

    def get_composite(self, obj) -> float | None:
        return self._number(obj.score.composite) if obj.score else None

    def get_priority(self, obj) -> float | None:
        if obj.score is None:
            return None
        value = scoring.priority(
            obj.score.composite,
            use_confidence=obj.score.model.use_confidence,
            level=getattr(obj, "level", None),
        )
        return self._number(value)

    def get_impact(self, obj) -> float | None:
        return self._number(obj.score.impact) if obj.score else None

    def get_effort(self, obj) -> float | None:
        return self._number(obj.score.effort) if obj.score else None

    def get_quadrant(self, obj) -> str | None:
        return scoring.quadrant(obj.score.impact, obj.score.effort) if obj.score else None

    def get_importance(self, obj) -> float | None:
        return self._number(obj.score.importance) if obj.score else None

    def get_satisfaction(self, obj) -> float | None:
        return self._number(obj.score.satisfaction) if obj.score else None

    def get_satisfaction_metric(self, obj) -> int | None:
        return obj.score.satisfaction_metric_id if obj.score else None

    def get_opportunity(self, obj) -> float | None:
        if obj.score is None:
            return None
        return self._number(scoring.opportunity(obj.score.importance, obj.score.satisfaction))

    def get_confidence_level(self, obj) -> str | None:
        return getattr(obj, "level", None)

    def get_scored_by(self, obj) -> int | None:
        return obj.score.scored_by_id if obj.score else None

    def get_scored_at(self, obj) -> str | None:
        return obj.score.scored_at.isoformat() if obj.score else None


class CardScoreConflictOut(CardScoreOut):
    """A card's score as a 409 shows it (its confidence level not read)."""


conflict_serializer(CardScore, CardScoreConflictOut)
CONFLICT = inline_serializer(
    name="CardScoreConflict",
    fields={
        "detail": serializers.CharField(),
        "current": CardScoreConflictOut(help_text="The score as it is now: reapply your change, send again."),
    },
)


class ScoreIn(serializers.Serializer):
    values = serializers.DictField(
        child=serializers.IntegerField(min_value=SCALE_MIN, max_value=SCALE_MAX, allow_null=True),
        help_text="{criterion key: 1–5 or null (unrated)} of the current model's criteria. Replaces the "
        "whole score: criteria left out are unrated.",
    )
    rationales = serializers.DictField(
        child=TextField(max_length=RATIONALE_MAX, allow_blank=True),
        required=False,
        default=dict,
        help_text="{criterion key: why this value} (optional).",
    )
    importance = serializers.DecimalField(
        max_digits=4, decimal_places=2, min_value=0, max_value=OPPORTUNITY_SCALE_MAX, required=False,
        allow_null=True, default=None, help_text="0–10, for the opportunity score.",
    )  # fmt: skip
    satisfaction = serializers.DecimalField(
        max_digits=4, decimal_places=2, min_value=0, max_value=OPPORTUNITY_SCALE_MAX, required=False,
        allow_null=True, default=None, help_text="0–10, for the opportunity score.",
    )  # fmt: skip
    satisfaction_metric = IdField(
        required=False,
        allow_null=True,
        default=None,
        help_text="A metric of the card's journey whose latest value, rescaled to 0–10, is the satisfaction.",
    )
    expected_version = WholeNumberField(
        min_value=0, max_value=INT_MAX, help_text="The score's version you last saw (0: never scored)."
    )


EXPECTED = OpenApiParameter(
    "expected_version", {"type": "integer", "minimum": 0, "maximum": INT_MAX}, OpenApiParameter.QUERY,
    required=True, description="The score's version you last saw.",
)  # fmt: skip


def _read(card) -> CardScore:
    model = services.scoring_model_ensure_default(workspace_id=card.journey.workspace_id)
    found = selectors.card_score(card=card, current_model=model)
    found.level = explain(card).level
    return found


@extend_schema_view(
    get=extend_schema(
        tags=[TAG],
        summary="A card's score",
        responses={200: CardScoreOut, **_errors()},
    ),
    put=extend_schema(
        tags=[TAG],
        summary="Score a pain point or opportunity",
        description="Under the workspace's current model; every change is kept (history).",
        request=ScoreIn,
        responses={200: CardScoreOut, **_errors(write=True, conflict=CONFLICT, what="the card")},
    ),
    delete=extend_schema(
        tags=[TAG],
        summary="Clear a card's score",
        description="Its history stays, with the clearing as its latest change.",
        parameters=[EXPECTED],
        responses={204: None, **_errors(write=True, conflict=CONFLICT, what="the card")},
    ),
)
class CardScoreApi(APIView):
    def get(self, request, pk):
        card = access.card_for(request.user, pk)
        return Response(CardScoreOut(_read(card)).data)

    def put(self, request, pk):
        serializer = ScoreIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        _call(services.score_set, card_id=pk, by=request.user, **serializer.validated_data)
        return Response(CardScoreOut(_read(access.card_for(request.user, pk))).data)

    def delete(self, request, pk):
        data = request.query_params.dict()
        if isinstance(request.data, dict):
            data.update(request.data)
        field = WholeNumberField(min_value=0, max_value=INT_MAX)
        if "expected_version" not in data:
            raise ValidationError({"expected_version": ["This field is required."]})
        try:
            expected = field.run_validation(data["expected_version"])
        except ValidationError as exc:
            raise ValidationError({"expected_version": exc.detail}) from None
        _call(services.score_clear, card_id=pk, by=request.user, expected_version=expected)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChangeOut(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    old = serializers.IntegerField(allow_null=True)
    new = serializers.IntegerField(allow_null=True)
    old_meaning = serializers.CharField()
    new_meaning = serializers.CharField()
    rationale = serializers.CharField()
    old_rationale = serializers.CharField()


class HistoryEntryOut(serializers.Serializer):
    id = serializers.IntegerField(source="revision.pk")
    at = serializers.DateTimeField(source="revision.at")
    by = serializers.IntegerField(source="revision.by_id", allow_null=True)
    by_name = serializers.SerializerMethodField()
    model_version = serializers.IntegerField(source="revision.model.number")
    previous_model_version = serializers.SerializerMethodField()
    cleared = serializers.BooleanField()
    composite = serializers.DecimalField(source="revision.composite", allow_null=True, **DECIMAL)
    previous_composite = serializers.DecimalField(source="old_composite", allow_null=True, **DECIMAL)
    importance = serializers.DecimalField(source="revision.importance", allow_null=True, **DECIMAL)
    satisfaction = serializers.DecimalField(source="revision.satisfaction", allow_null=True, **DECIMAL)
    changes = ChangeOut(
        many=True, help_text="Old → new per criterion (every criterion when the version changed)."
    )

    def get_by_name(self, obj) -> str | None:
        return obj.revision.by.display_name if obj.revision.by else None

    def get_previous_model_version(self, obj) -> int | None:
        return obj.previous.model.number if obj.previous else None


@extend_schema_view(
    get=extend_schema(
        tags=[TAG],
        summary="A card's score history",
        description="Newest first, paginated (`limit`, `offset`): who, when, the model version, old → new "
        "per criterion with the meanings and the rationale.",
        responses={200: HistoryEntryOut(many=True), **_errors()},
    )
)
class CardScoreHistoryApi(GenericAPIView):
    serializer_class = HistoryEntryOut

    def get(self, request, pk):
        card = access.card_for(request.user, pk)
        revisions = self.paginate_queryset(selectors.revisions_of(card.pk))
        predecessor = None
        if revisions:
            predecessor = selectors.revisions_of(card.pk).filter(pk__lt=revisions[-1].pk).first()
        entries = selectors.history_entries(list(revisions), predecessor)
        return self.get_paginated_response(HistoryEntryOut(entries, many=True).data)


@extend_schema_view(
    get=extend_schema(
        tags=[TAG],
        summary="Every pain point's and opportunity's score on a journey",
        description="In map order; unscored cards too (`scored`: false). A constant number of queries.",
        responses={200: CardScoreOut(many=True), **_errors()},
    )
)
class JourneyCardScoresApi(GenericAPIView):
    serializer_class = CardScoreOut
    pagination_class = None

    def get(self, request, pk):
        journey = access.journey_for(request.user, pk)
        model = services.scoring_model_ensure_default(workspace_id=journey.workspace_id)
        rows = selectors.journey_card_scores(journey_id=journey.pk, current_model=model)
        confidence = map_confidence(journey_id=journey.pk)
        for row in rows:
            row.level = level_of(confidence.cards, row.card.pk)
        return Response(CardScoreOut(rows, many=True).data)
