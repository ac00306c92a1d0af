"""Writes of scoring: the workspace's scoring model (made on first use, changed by admins into a new
version) and the scores of pain-point and opportunity cards with their history.

A score is part of its card's journey: it is written under the journey's lock with edit checked there
(journeys.services.changes.lock_journey_of) and recorded with `record_change` — a new revision, a line in
the journey's activity feed and a live event naming the card's cell, so open maps refresh it (and its
badge in the Priority view). Every change of a score, clearing it included, appends a ScoreRevision: who,
when, the values and rationales after the change and the model version they were made under.

**Versions of a card's score.** A card's score version counts the changes of its score (its revisions):
0 for a card never scored, n after n sets and clears. A write that names `expected_version` is refused
with Conflict when it is stale, so a form opened before someone else's change, a clear included, never
overwrites it (a count cannot come back to an old value, unlike a version restarted after a clear).

The figures (composite, impact, effort, the opportunity score, rescaled satisfaction) come from
prioritization/scoring.py, the one rule.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User, Workspace
from core.errors import Conflict
from core.text import shorten, text_validators
from journeys.models import Card, LaneKind
from journeys.services.changes import lock_journey_of, locked, record_change
from metrics.models import Metric
from metrics.selectors import recent_periods

from .. import access, scoring, webhooks
from ..models import (
    KEY_MAX,
    OPPORTUNITY_SCALE_MAX,
    RATIONALE_MAX,
    SCALE_MAX,
    SCALE_MIN,
    Criterion,
    Event,
    Score,
    ScoreRevision,
    ScoringModel,
)
from ..scoring import DEFAULT_CRITERIA, DEFAULT_NOTE
from ..selectors import CardScore, current_model

SCORED_KINDS = (LaneKind.PAIN_POINTS, LaneKind.OPPORTUNITIES)
CRITERIA_MAX = 12  # criteria in one model version: a panel a person can still fill in
QUOTE = 60  # characters of a card quoted in an activity line
_KEY = re.compile(r"[a-z][a-z0-9_]*")
_rationale_validators = text_validators(max_chars=RATIONALE_MAX, required=False)


# ---------------------------------------------------------------------------------------------- the model


def _create_version(*, workspace_id: int, number: int, by, specs, use_confidence: bool, note: str):
    model = ScoringModel(
        workspace_id=workspace_id,
        number=number,
        is_current=True,
        use_confidence=use_confidence,
        note=note,
        created_by=by,
        created_at=timezone.now(),
    )
    model.full_clean(exclude=["workspace", "created_by"], validate_constraints=False)
    model.save(force_insert=True)
    Criterion.objects.bulk_create(
        Criterion(
            model=model,
            key=spec.key,
            name=spec.name,
            description=spec.description,
            weight=spec.weight,
            lower_is_better=spec.lower_is_better,
            meanings=list(spec.meanings),
            position=position,
        )
        for position, spec in enumerate(specs)
    )
    return current_model(workspace_id=workspace_id)


def scoring_model_ensure_default(*, workspace_id: int) -> ScoringModel:
    """The workspace's current scoring model, made as version 1 of the default model (scoring.py's
    DEFAULT_CRITERIA) when the workspace has none yet. Idempotent and safe when two requests race (the
    second finds the first's). Criteria prefetched. The caller has checked the reader is a member."""
    found = current_model(workspace_id=workspace_id)
    if found is not None:
        return found
    try:
        with transaction.atomic():
            Workspace.objects.select_for_update().filter(pk=workspace_id).first()
            if ScoringModel.objects.filter(workspace_id=workspace_id).exists():
                return current_model(workspace_id=workspace_id)
            return _create_version(
                workspace_id=workspace_id,
                number=1,
                by=None,
                specs=DEFAULT_CRITERIA,
                use_confidence=False,
                note=DEFAULT_NOTE,
            )
    except IntegrityError:  # pragma: no cover - another transaction made it between our read and insert
        return current_model(workspace_id=workspace_id)


def _as_bool(value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "on", "1", "yes"):
        return True
    if value in (None, "", 0, "0", "false", "False", "off", "no"):
        return False
    raise ValueError(value)


def _key_from(name: str, index: int) -> str:
    """A new criterion's key from its name ("Time to value" → time_to_value); criterion_<n> when the name
    has no Latin letter to make one of."""
    slug = slugify(name).replace("-", "_")
    if slug and not slug[0].isalpha():
        slug = f"c_{slug}"
    return slug[:KEY_MAX] if slug else f"criterion_{index + 1}"


def _criterion_specs(criteria) -> list[scoring.CriterionSpec]:
    """The criteria given (dicts: key, name, description, weight, lower_is_better, meanings) checked and
    made specs; ValidationError keyed `criteria[<index>].<field>` (and `criteria` for the list)."""
    if not isinstance(criteria, list | tuple) or not criteria:
        raise ValidationError({"criteria": "Give the model at least one criterion."})
    if len(criteria) > CRITERIA_MAX:
        raise ValidationError({"criteria": f"At most {CRITERIA_MAX} criteria (you have {len(criteria)})."})
    errors: dict[str, list[str]] = {}
    specs = []
    keys: dict[str, int] = {}
    names: dict[str, int] = {}
    for index, given in enumerate(criteria):
        where = f"criteria[{index}]"
        if not isinstance(given, dict):
            errors[where] = ["Give a criterion as an object with its name, weight and meanings."]
            continue
        unknown = set(given) - {"key", "name", "description", "weight", "lower_is_better", "meanings"}
        for name in sorted(unknown):
            errors[f"{where}.{name}"] = ["Not a field of a criterion."]
        name = given.get("name") if isinstance(given.get("name"), str) else ""
        key = given.get("key") or _key_from(name, index)
        try:
            weight = given.get("weight", 1)
            if isinstance(weight, bool) or not isinstance(weight, int | str):
                raise ValueError(weight)
            weight = int(weight)
        except (TypeError, ValueError):
            errors[f"{where}.weight"] = ["Give a whole number from 0 to 100."]
            weight = 0
        try:
            lower = _as_bool(given.get("lower_is_better", False))
        except ValueError:
            errors[f"{where}.lower_is_better"] = ["Give true or false."]
            lower = False
        meanings = given.get("meanings")
        criterion = Criterion(
            key=key if isinstance(key, str) else "",
            name=name,
            description=given.get("description") or "",
            weight=weight,
            lower_is_better=lower,
            meanings=list(meanings) if isinstance(meanings, list | tuple) else meanings,
        )
        try:
            criterion.full_clean(exclude=["model", "position"], validate_unique=False)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(f"{where}.{field}", []).extend(messages)
        if isinstance(key, str) and key and not _KEY.fullmatch(key):
            errors.setdefault(f"{where}.key", []).append(
                "Use lower-case letters, digits and underscores, starting with a letter (customer_impact)."
            )
        if key in keys:
            errors.setdefault(f"{where}.key", []).append(f"Criterion {keys[key] + 1} has this key already.")
        folded = name.strip().casefold()
        if folded and folded in names:
            errors.setdefault(f"{where}.name", []).append(
                f"Criterion {names[folded] + 1} has this name already."
            )
        keys.setdefault(key, index)
        names.setdefault(folded, index)
        if not errors:
            specs.append(
                scoring.CriterionSpec(
                    key=criterion.key,
                    name=criterion.name,
                    weight=criterion.weight,
                    lower_is_better=criterion.lower_is_better,
                    meanings=tuple(criterion.meanings),
                    description=criterion.description,
                )
            )
    if errors:
        raise ValidationError(errors)
    if not any(spec.weight > 0 for spec in specs):
        raise ValidationError({"criteria": "Give at least one criterion a weight above 0."})
    return specs


def _spec_of(criterion: Criterion) -> scoring.CriterionSpec:
    return scoring.CriterionSpec(
        key=criterion.key,
        name=criterion.name,
        weight=criterion.weight,
        lower_is_better=criterion.lower_is_better,
        meanings=tuple(criterion.meanings),
        description=criterion.description,
    )


@transaction.atomic
def scoring_model_change(
    *,
    workspace_id: int,
    by: User,
    criteria,
    use_confidence: bool = False,
    note: str = "",
    expected_version=None,
) -> ScoringModel:
    """Change the workspace's scoring model (admins): makes version n + 1 with new Criterion rows and
    marks it current; earlier versions and the scores made under them stay as they are (readable, and
    shown as stale until re-scored).

    Args:
        criteria: the whole new list, in order: dicts with `name`, `weight` (0–100), `lower_is_better`,
            `meanings` (five texts, for 1 to 5), optional `description` and `key` (a criterion keeps its key
            across versions; a new one gets it from its name).
        use_confidence: multiply the composite by the card's evidence confidence factor (scoring.py).
        note: what changed and why.
        expected_version: the current version number the admin saw; Conflict (with the current model)
            when another version was made since.
    Raises ValidationError keyed `criteria[<index>].<field>`, `criteria`, `note`, or non-field when
    nothing would change."""
    access.workspace_for(by, workspace_id, need=access.ADMIN)
    Workspace.objects.select_for_update().filter(pk=workspace_id).first()  # one change at a time
    current = scoring_model_ensure_default(workspace_id=workspace_id)
    if expected_version is not None:
        try:
            expected = int(expected_version)
        except (TypeError, ValueError):
            raise ValidationError({"expected_version": "Must be an integer."}) from None
        if expected != current.number:
            raise Conflict(current, "The scoring model was changed by someone else since you loaded it.")
    specs = _criterion_specs(criteria)
    try:
        use_confidence = _as_bool(use_confidence)
    except ValueError:
        raise ValidationError({"use_confidence": "Give true or false."}) from None
    if [_spec_of(c) for c in current.criteria.all()] == specs and current.use_confidence == use_confidence:
        raise ValidationError(
            "Nothing would change: change a criterion, a weight, a meaning or the confidence setting first."
        )
    ScoringModel.objects.filter(pk=current.pk).update(is_current=False)
    return _create_version(
        workspace_id=workspace_id,
        number=current.number + 1,
        by=by,
        specs=specs,
        use_confidence=use_confidence,
        note=note or "",
    )


# ---------------------------------------------------------------------------------------------- scores


def _revision_count(card_id: int) -> int:
    return ScoreRevision.objects.filter(card_id=card_id).count()


def _check_expected(card_score: CardScore, expected_version) -> None:
    if expected_version is None:
        return
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        raise ValidationError({"expected_version": "Must be an integer."}) from None
    if expected != card_score.version:
        raise Conflict(card_score, "This card's score was changed by someone else since you loaded it.")


def _locked_card(card_id, by):
    """The card (with its lane) and its journey locked, edit checked (404/403); ValidationError when the
    card is not a pain point or opportunity."""
    journey = lock_journey_of(Card, card_id, by)
    card = locked(Card, card_id, journey, related=("lane",))
    if card.lane.kind not in SCORED_KINDS:
        raise ValidationError({"card": "Only pain points and opportunities are scored."})
    return journey, card


def _locked_score(card: Card, workspace_id: int) -> CardScore:
    score = (
        Score.objects.select_for_update(of=("self",))
        .select_related("model")
        .prefetch_related("model__criteria")
        .filter(card_id=card.pk)
        .first()
    )
    current = scoring_model_ensure_default(workspace_id=workspace_id)
    version = score.version if score is not None else _revision_count(card.pk)
    return CardScore(card=card, score=score, version=version, current_model=current)


def _clean_values(model: ScoringModel, values) -> dict[str, int]:
    """{criterion key: 1–5} of the current model's criteria (None or "" leaves one unrated, and it is left
    out); ValidationError keyed `values.<key>` or `values`."""
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise ValidationError({"values": "Give the values as {criterion key: 1 to 5}."})
    criteria = {c.key: c for c in model.criteria.all()}
    errors = {}
    clean = {}
    for key, value in values.items():
        if key not in criteria:
            errors[f"values.{key}"] = [
                f"No criterion “{key}” in scoring model v{model.number} "
                f"(its criteria: {', '.join(criteria)})."
            ]
            continue
        if value is None or value == "":
            continue
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or not SCALE_MIN <= value <= SCALE_MAX:
            errors[f"values.{key}"] = [
                f"{criteria[key].name}: choose a whole number from {SCALE_MIN} to {SCALE_MAX}."
            ]
            continue
        clean[key] = value
    if errors:
        raise ValidationError(errors)
    return {key: clean[key] for key in criteria if key in clean}  # in the model's order


def _clean_rationales(model: ScoringModel, rationales) -> dict[str, str]:
    if rationales is None:
        rationales = {}
    if not isinstance(rationales, dict):
        raise ValidationError({"rationales": "Give the rationales as {criterion key: text}."})
    criteria = {c.key: c for c in model.criteria.all()}
    errors = {}
    clean = {}
    for key, text in rationales.items():
        where = f"rationales.{key}"
        if key not in criteria:
            errors[where] = [f"No criterion “{key}” in scoring model v{model.number}."]
            continue
        if text is None:
            continue
        if not isinstance(text, str):
            errors[where] = ["Give the rationale as text."]
            continue
        try:
            for validate in _rationale_validators:
                validate(text)
        except ValidationError as exc:
            errors[where] = [f"{criteria[key].name}: {message}" for message in exc.messages]
            continue
        if text.strip():
            clean[key] = text
    if errors:
        raise ValidationError(errors)
    return {key: clean[key] for key in criteria if key in clean}


def _zero_to_ten(name: str, value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError({name: f"Give a number from 0 to {OPPORTUNITY_SCALE_MAX}."}) from None
    if (
        isinstance(value, bool)
        or not number.is_finite()
        or not 0 <= number <= OPPORTUNITY_SCALE_MAX
        or number != number.quantize(scoring.CENT)
    ):
        raise ValidationError(
            {name: f"Give a number from 0 to {OPPORTUNITY_SCALE_MAX}, with at most two decimals."}
        )
    return number


def _satisfaction_metric(card: Card, metric_id) -> tuple[Metric, Decimal]:
    """The metric (of the card's journey) and its latest value rescaled to 0–10; ValidationError on
    `satisfaction_metric` when there is no such metric, it has no fixed scale or no measurement."""
    metric = Metric.objects.filter(pk=metric_id, journey_id=card.journey_id).first() if metric_id else None
    if metric is None:
        raise ValidationError({"satisfaction_metric": f"No metric {metric_id} on this card's journey."})
    if scoring.satisfaction_scale(metric) is None:
        raise ValidationError(
            {
                "satisfaction_metric": f"“{metric.name}” has no fixed scale to read a satisfaction from "
                "(CSAT, NPS, CES and percentages have one): enter the satisfaction yourself."
            }
        )
    latest = recent_periods(metrics={metric.pk: metric.aggregation}, periods=1).get(metric.pk)
    if not latest:
        raise ValidationError({"satisfaction_metric": f"“{metric.name}” has no measurement yet."})
    return metric, scoring.satisfaction_from(metric, latest[0].value)


def _words(model: ScoringModel, before: tuple, values: dict, composite) -> str:
    """What changed, for the activity line: "Customer impact 3 → 4, Effort 2 → 1 (composite 55 → 68.75)".
    `before`: the old score's (model id, values, composite), (None, {}, None) for an unscored card."""
    names = {c.key: c.name for c in model.criteria.all()}
    old_model, old_values, old_composite = before
    old_values = old_values if old_model == model.pk else {}
    parts = [
        f"{names[key]} {old_values.get(key, '–')} → {values.get(key, '–')}"
        for key in names
        if old_values.get(key) != values.get(key)
    ]
    if old_model is not None and old_model != model.pk:
        parts.insert(0, f"re-scored under model v{model.number}")
    text = ", ".join(parts) or "rationale or opportunity changed"
    if old_composite != composite:
        text += f" (composite {_num(old_composite)} → {_num(composite)})"
    return text


def _num(value) -> str:
    if value is None:
        return "–"
    return f"{Decimal(value).normalize():f}"


def _card_words(card: Card) -> str:
    what = "opportunity" if card.lane.kind == LaneKind.OPPORTUNITIES else "pain point"
    return f"{what} “{shorten(' '.join(card.text.split()), QUOTE)}”"


def _emit(journey, card: Card, score: Score, *, old_composite, by: User, at, cleared: bool = False) -> None:
    """The outbound webhook of a score change (Event.SCORE_CHANGED; prioritization/webhooks.py), queued
    when the write commits. The payload: the card, its journey and lane kind, the model version and the
    score's version after the change, whether it was cleared, the values, rationales and figures after it,
    the composite before it, who and when."""
    webhooks.emit(
        workspace_id=journey.workspace_id,
        event=Event.SCORE_CHANGED,
        payload={
            "card": card.pk,
            "journey": journey.pk,
            "kind": card.lane.kind,
            "model_version": score.model.number,
            "version": score.version,
            "cleared": cleared,
            "values": score.values,
            "rationales": score.rationales,
            "composite": score.composite,
            "previous_composite": old_composite,
            "impact": score.impact,
            "effort": score.effort,
            "importance": score.importance,
            "satisfaction": score.satisfaction,
            "by": by.pk,
            "at": at,
        },
    )


@transaction.atomic
def score_set(
    *,
    card_id: int,
    by: User,
    values,
    rationales=None,
    importance=None,
    satisfaction=None,
    satisfaction_metric=None,
    expected_version=None,
) -> Score:
    """Score a pain-point or opportunity card under the workspace's current model (edit on the card's
    journey: 404 when the scorer cannot see it, 403 below edit). Replaces the whole score: criteria left
    out stay unrated (the composite is then empty), rationales left out are empty.

    Args:
        values: {criterion key: 1–5, or None for unrated}, keys of the current model's criteria.
        rationales: {criterion key: why this value} (optional text, at most RATIONALE_MAX characters).
        importance, satisfaction: 0–10, for the opportunity score (scoring.opportunity); optional.
        satisfaction_metric: a metric id of the card's journey whose latest value, rescaled to 0–10
            (scoring.satisfaction_scale), gives the satisfaction (read now, kept with the score).
        expected_version: the score's version the scorer saw (0 for an unscored card); Conflict when stale.
    Appends a ScoreRevision, records the change on the journey. Changes nothing (no revision) when the
    score would be the same. Raises ValidationError keyed `values.<key>`, `rationales.<key>`,
    `importance`, `satisfaction`, `satisfaction_metric`, `card` or `values`."""
    journey, card = _locked_card(card_id, by)
    current = _locked_score(card, journey.workspace_id)
    _check_expected(current, expected_version)
    model = current.current_model
    errors = {}
    clean = {}
    for name, check in (
        ("values", lambda: _clean_values(model, values)),
        ("rationales", lambda: _clean_rationales(model, rationales)),
        ("importance", lambda: _zero_to_ten("importance", importance)),
        ("satisfaction", lambda: _zero_to_ten("satisfaction", satisfaction)),
    ):
        try:
            clean[name] = check()
        except ValidationError as exc:
            errors.update(exc.message_dict)
    metric = None
    if satisfaction_metric not in (None, ""):
        try:
            metric, clean["satisfaction"] = _satisfaction_metric(card, satisfaction_metric)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    values, rationales = clean["values"], clean["rationales"]
    importance, satisfaction = clean["importance"], clean["satisfaction"]
    if not values and importance is None and satisfaction is None:
        raise ValidationError({"values": "Rate at least one criterion (or clear the score instead)."})
    figures = scoring.figures(model.criteria.all(), values)
    old = current.score
    before = (old.model_id, dict(old.values), old.composite) if old is not None else (None, {}, None)
    if (
        old is not None
        and old.model_id == model.pk
        and old.values == values
        and old.rationales == rationales
        and old.importance == importance
        and old.satisfaction == satisfaction
        and old.satisfaction_metric_id == (metric.pk if metric else None)
    ):
        return old
    now = timezone.now()
    score = old or Score(card=card)
    score.model = model
    score.values, score.rationales = values, rationales
    score.composite, score.impact, score.effort = figures.composite, figures.impact, figures.effort
    score.importance, score.satisfaction, score.satisfaction_metric = importance, satisfaction, metric
    score.version = current.version + 1
    score.scored_by, score.scored_at = by, now
    score.full_clean(
        # checked above (values), computed (figures) or looked up by this service (relations)
        exclude=[
            "card",
            "model",
            "satisfaction_metric",
            "scored_by",
            "values",
            "composite",
            "impact",
            "effort",
        ],
        validate_unique=False,
        validate_constraints=False,
    )
    summary = f"scored the {_card_words(card)}: {_words(model, before, values, figures.composite)}"
    score.save()
    ScoreRevision.objects.create(
        card=card,
        model=model,
        values=values,
        rationales=rationales,
        composite=figures.composite,
        importance=importance,
        satisfaction=satisfaction,
        by=by,
        at=now,
    )
    record_change(journey, by, "scored", card, summary, cells=[(card.lane_id, card.step_id)])
    _emit(journey, card, score, old_composite=before[2], by=by, at=now)
    return score


@transaction.atomic
def score_clear(*, card_id: int, by: User, expected_version=None) -> None:
    """Remove a card's score (edit on its journey); its history stays, with the clearing as its latest
    revision. Conflict when `expected_version` is stale; nothing to do (no revision) when unscored."""
    journey, card = _locked_card(card_id, by)
    current = _locked_score(card, journey.workspace_id)
    _check_expected(current, expected_version)
    old = current.score
    if old is None:
        return
    old.delete()
    now = timezone.now()
    ScoreRevision.objects.create(card=card, model=old.model, cleared=True, by=by, at=now)
    record_change(
        journey,
        by,
        "cleared score",
        card,
        f"cleared the score of the {_card_words(card)} (composite was {_num(old.composite)})",
        cells=[(card.lane_id, card.step_id)],
    )
    cleared = Score(card=card, model=old.model, values={}, rationales={}, version=current.version + 1)
    _emit(journey, card, cleared, old_composite=old.composite, by=by, at=now, cleared=True)
