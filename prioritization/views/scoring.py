"""Scoring pages: a card's score panel (opened from the map's Priority view into its side panel, or as a
page of its own), the card's score history, the workspace's scoring model with its versions, and the help
page with the formula and a worked example.

Access: the panel and history are the card's journey's (people who see it read; people with edit on it
score, the service checks); the scoring model page is the workspace's (members read, admins make a new
version, the service checks). The rule behind every figure: prioritization/scoring.py.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms import formset_factory
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods, require_safe

from accounts.selectors import current_workspace
from accounts.views import follow_workspace
from core.errors import Conflict
from core.text import parse_id
from journeys import access as journey_access
from metrics.models import Metric
from research.confidence import explain
from research.overlays import decoration as evidence_look

from .. import access, scoring, selectors, services
from ..models import DESCRIPTION_MAX, MEANING_MAX, NAME_MAX, SCALE_MAX, SCALE_MIN, WEIGHT_MAX
from ..overlays import decoration as priority_look
from ..overlays import shipped_text
from ..scoring import DEFAULT_CRITERIA
from ..services.scoring import CRITERIA_MAX

NOT_RATED = ""


def _partial(request) -> bool:
    return bool(request.htmx) and not request.htmx.history_restore_request


def _render(request, partial: str, page: str, context: dict, status: int = 200):
    response = render(request, partial if _partial(request) else page, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


# ---------------------------------------------------------------------------------------------- the panel


def _submitted(request, criteria) -> dict:
    """What the scorer sent: values and rationales by criterion key, the opportunity fields."""
    post = request.POST
    return {
        "values": {c.key: post.get(f"value-{c.key}", NOT_RATED).strip() for c in criteria},
        "rationales": {c.key: post.get(f"rationale-{c.key}", "") for c in criteria},
        "importance": post.get("importance", "").strip(),
        "satisfaction": post.get("satisfaction", "").strip(),
        "satisfaction_metric": post.get("satisfaction_metric", "").strip(),
    }


def _shown(card_score, model) -> dict:
    """What the form shows before anyone types: the score's values under `model` (for a stale score, those
    of criteria the current model still has, by key), its rationales and opportunity fields."""
    score = card_score.score
    if score is None:
        return {"values": {}, "rationales": {}, **dict.fromkeys(("importance", "satisfaction"), "")} | {
            "satisfaction_metric": ""
        }
    keys = {c.key for c in model.criteria.all()}
    return {
        "values": {k: str(v) for k, v in score.values.items() if k in keys},
        "rationales": {k: v for k, v in score.rationales.items() if k in keys},
        "importance": "" if score.importance is None else f"{score.importance.normalize():f}",
        "satisfaction": ""
        if score.satisfaction is None or score.satisfaction_metric_id
        else f"{score.satisfaction.normalize():f}",
        "satisfaction_metric": str(score.satisfaction_metric_id or ""),
    }


def _rows(model, form: dict, errors: dict) -> list[dict]:
    """One row per criterion of `model`: its meanings as choices, the chosen value, rationale and errors."""
    rows = []
    for c in model.criteria.all():
        chosen = form["values"].get(c.key, NOT_RATED)
        rows.append(
            {
                "criterion": c,
                "choices": [
                    {"value": str(v), "meaning": m, "checked": chosen == str(v)}
                    for v, m in enumerate(c.meanings, start=1)
                ],
                "unrated": chosen in (NOT_RATED, None),
                "rationale": form["rationales"].get(c.key, ""),
                "errors": errors.get(f"values.{c.key}", []) + errors.get(f"rationales.{c.key}", []),
            }
        )
    return rows


def _metric_choices(journey_id: int) -> list[dict]:
    """The journey's metrics that have a fixed scale to read a satisfaction from (scoring.py)."""
    metrics = Metric.objects.filter(journey_id=journey_id).order_by("name", "pk")
    return [
        {"id": m.pk, "name": m.name, "rule": rule.words}
        for m in metrics
        if (rule := scoring.satisfaction_scale(m)) is not None
    ]


def panel_context(request, card, *, form=None, errors=None, error="", done="", conflict=None) -> dict:
    """What the panel shows: the card's score (or none) and whether it is stale, the form under the current
    model, the figures with the evidence confidence beside them, delivery, and what the reader may do."""
    journey = card.journey
    model = services.scoring_model_ensure_default(workspace_id=journey.workspace_id)
    card_score = selectors.card_score(card=card, current_model=model)
    score = card_score.score
    why = explain(card)
    delivery = selectors.delivery_for_cards([card.pk], user=request.user).get(card.pk)
    can_edit = journey_access.rank(journey.access_level) >= journey_access.rank(journey_access.EDIT)
    errors = errors or {}
    form = form or _shown(card_score, model)
    row = selectors.CardPriority(
        card_id=card.pk,
        kind=card.lane.kind,
        composite=score.composite if score else None,
        priority=scoring.priority(score.composite, use_confidence=score.model.use_confidence, level=why.level)
        if score
        else None,
        scored=score is not None,
        model_number=score.model.number if score else None,
        stale=card_score.stale,
        use_confidence=bool(score and score.model.use_confidence),
        level=why.level,
    )
    figures = None
    if score is not None:
        figures = {
            "composite": score.composite,
            "impact": score.impact,
            "effort": score.effort,
            "quadrant": scoring.Quadrant.LABELS.get(scoring.quadrant(score.impact, score.effort)),
            "opportunity": scoring.opportunity(score.importance, score.satisfaction),
            "factor": scoring.confidence_factor(why.level) if score.model.use_confidence else None,
        }
    return {
        "journey": journey,
        "card": card,
        "card_score": card_score,
        "score": score,
        "model": model,
        "look": priority_look(row, delivery=delivery),
        "figures": figures,
        "evidence": evidence_look(why.level),
        "delivery": delivery,
        "shipped": shipped_text(delivery),
        "rows": _rows(model, form, errors),
        "form": form,
        "errors": errors,
        "error": error,
        "done": done,
        "conflict": conflict,
        "can_edit": can_edit,
        "metrics": _metric_choices(journey.pk) if can_edit else [],
        "old_criteria": list(score.model.criteria.all()) if card_score.stale else [],
    }


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def card_score(request, card_id):
    """GET: a pain point's or opportunity's score panel. POST `action`: save (a value 1–5 or none per
    criterion with its rationale, importance, satisfaction or a metric for it, `expected_version`) or clear
    (`expected_version`). The answer is the panel again (HTMX) or a redirect to it; a stale version is
    answered with the current score and the scorer's input kept, to save again."""
    card = access.card_for(request.user, card_id)
    if card.lane.kind not in selectors.SCORED_KINDS:
        return _render(
            request,
            "prioritization/_score_unscorable.html",
            "prioritization/scoring_card_page.html",
            {"journey": card.journey, "card": card, "unscorable": True},
        )
    status, form, errors, error, done, conflict = 200, None, {}, "", "", None
    if request.method == "POST":
        action = request.POST.get("action", "")
        expected = request.POST.get("expected_version") or None
        try:
            # One transaction: a refused write (403, 409, bad input) leaves nothing behind, not even the
            # default model made to read the criteria from.
            with transaction.atomic():
                if action == "save":
                    model = services.scoring_model_ensure_default(workspace_id=card.journey.workspace_id)
                    form = _submitted(request, list(model.criteria.all()))
                    services.score_set(card_id=card.pk, by=request.user, expected_version=expected, **form)
                    done, form = "Score saved.", None
                elif action == "clear":
                    services.score_clear(card_id=card.pk, by=request.user, expected_version=expected)
                    done = "Score cleared. Its history is kept."
                else:
                    raise ValidationError({"action": "Unknown action."})
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            shown = ("values.", "rationales.", "importance", "satisfaction")  # beside their fields
            general = [m for key, ms in errors.items() if not key.startswith(shown) for m in ms]
            error = " ".join(general) or "Check the fields marked below."
            status = 200 if request.htmx else 400
        except Conflict as exc:
            conflict = exc.current
            error = (
                "Someone else changed this score while you were editing: it is shown below as it is now. "
                "Your choices are kept in the form; save again to replace it with yours."
                if action == "save"
                else "Someone else changed this score meanwhile: check it before clearing it."
            )
            if action != "save":
                form = None
            status = 200 if request.htmx else 409
        else:
            if not request.htmx:
                messages.success(request, done)
                return redirect("prioritization:card_score", card_id=card.pk)
    context = panel_context(
        request, card, form=form, errors=errors, error=error, done=done, conflict=conflict
    )
    return _render(
        request, "prioritization/_score_panel.html", "prioritization/scoring_card_page.html", context, status
    )


@login_required
@require_safe
def card_score_history(request, card_id):
    """A card's score history, newest first: old → new per criterion with the meanings, rationale, who,
    when and the model version; `before=<revision id>` pages back."""
    card = access.card_for(request.user, card_id)
    before = parse_id(request.GET.get("before")) if request.GET.get("before") else None
    history = selectors.score_history(card_id=card.pk, before=before)
    context = {"journey": card.journey, "card": card, "history": history, "history_page": True}
    return _render(
        request, "prioritization/_score_history.html", "prioritization/scoring_card_page.html", context
    )


# ---------------------------------------------------------------------------------------------- the model


class CriterionForm(forms.Form):
    """One criterion of the model being edited (a row of the formset; the empty new row is left out unless
    filled in); the service checks the rest (unique names and keys, a weighted criterion, a change)."""

    key = forms.CharField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(max_length=NAME_MAX)
    description = forms.CharField(
        max_length=DESCRIPTION_MAX, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    weight = forms.IntegerField(min_value=0, max_value=WEIGHT_MAX, initial=1, help_text="0 leaves it out.")
    lower_is_better = forms.BooleanField(required=False, label="Lower is better (like effort)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for value in range(SCALE_MIN, SCALE_MAX + 1):
            self.fields[f"meaning_{value}"] = forms.CharField(max_length=MEANING_MAX, label=f"{value} means")

    def meaning_fields(self):
        return [self[f"meaning_{value}"] for value in range(SCALE_MIN, SCALE_MAX + 1)]

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not data.get("name") and not any(data.get(f"meaning_{v}") for v in range(1, SCALE_MAX + 1))

    def criterion(self) -> dict:
        data = self.cleaned_data
        return {
            **({"key": data["key"]} if data.get("key") else {}),
            "name": data.get("name", ""),
            "description": data.get("description", ""),
            "weight": data.get("weight"),
            "lower_is_better": bool(data.get("lower_is_better")),
            "meanings": [data.get(f"meaning_{v}", "") for v in range(SCALE_MIN, SCALE_MAX + 1)],
        }


class ModelForm(forms.Form):
    use_confidence = forms.BooleanField(
        required=False,
        label="Multiply the composite by the card's evidence confidence factor",
        help_text="Assumption ×0.5, contested ×0.6, weak ×0.7, moderate ×0.85, strong ×1.",
    )
    note = forms.CharField(
        max_length=DESCRIPTION_MAX,
        required=False,
        label="What changed and why",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    expected_version = forms.IntegerField(required=False, widget=forms.HiddenInput)


def _criterion_initial(model) -> list[dict]:
    return [
        {
            "key": c.key,
            "name": c.name,
            "description": c.description,
            "weight": c.weight,
            "lower_is_better": c.lower_is_better,
            **{f"meaning_{i}": m for i, m in enumerate(c.meanings, start=1)},
        }
        for c in model.criteria.all()
    ]


CriterionFormSet = formset_factory(CriterionForm, extra=1, can_delete=True, max_num=CRITERIA_MAX)


def _used(formset) -> list:
    """The formset's rows that make the new version, in order: changed (or given), not deleted, not blank."""
    return [
        f for f in formset.forms if f.has_changed() and not f.cleaned_data.get("DELETE") and not f.is_blank()
    ]


def _service_errors(exc: ValidationError, used: list, form) -> None:
    """Put the service's errors (`criteria[i].field`, `criteria`, `note`, non-field) on the forms."""
    live = used
    found = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    for key, messages_ in found.items():
        if key.startswith("criteria["):
            index, _, field = key[len("criteria[") :].partition("].")
            target = live[int(index)] if index.isdigit() and int(index) < len(live) else None
            name = field
            if target is not None and name in target.fields:
                for message in messages_:
                    target.add_error(name, message)
                continue
            if target is not None:
                for message in messages_:
                    target.add_error(None, message)
                continue
        if key in form.fields:
            for message in messages_:
                form.add_error(key, message)
        else:
            for message in messages_:
                form.add_error(None, message)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def scoring_model(request, pk):
    """The workspace's scoring model: the current version's criteria with their meanings, every version
    with what changed, and for admins the form that makes a new version."""
    need = access.ADMIN if request.method == "POST" else access.READ
    workspace = access.workspace_for(request.user, pk, need=need)
    follow_workspace(request, workspace.pk, workspace.role)
    model = services.scoring_model_ensure_default(workspace_id=workspace.pk)
    is_admin = workspace.role == "admin"
    formset = form = None
    status = 200
    if is_admin:
        if request.method == "POST":
            form = ModelForm(request.POST)
            formset = CriterionFormSet(request.POST, prefix="criteria")
            if form.is_valid() and formset.is_valid():
                used = _used(formset)
                criteria = [f.criterion() for f in used]
                try:
                    with transaction.atomic():
                        new = services.scoring_model_change(
                            workspace_id=workspace.pk,
                            by=request.user,
                            criteria=criteria,
                            use_confidence=form.cleaned_data["use_confidence"],
                            note=form.cleaned_data["note"],
                            expected_version=form.cleaned_data["expected_version"],
                        )
                except ValidationError as exc:
                    _service_errors(exc, used, form)
                    status = 400
                except Conflict as exc:
                    form.add_error(
                        None,
                        f"Someone else made version {exc.current.number} while you were editing: your "
                        "changes are kept below; compare them with the current version and save again.",
                    )
                    form.data = form.data.copy()
                    form.data["expected_version"] = str(exc.current.number)
                    model = exc.current
                    status = 409
                else:
                    messages.success(
                        request,
                        f"Scoring model v{new.number} saved. Scores made under earlier versions are kept and "
                        "marked stale until re-scored.",
                    )
                    return redirect("prioritization:scoring_model", pk=workspace.pk)
            else:
                status = 400
        else:
            form = ModelForm(
                initial={"use_confidence": model.use_confidence, "expected_version": model.number}
            )
            formset = CriterionFormSet(initial=_criterion_initial(model), prefix="criteria")
    context = {
        "workspace": workspace,
        "model": model,
        "versions": selectors.model_versions(workspace_id=workspace.pk),
        "is_admin": is_admin,
        "form": form,
        "formset": formset,
        "section": "scoring",
        "scale": range(1, 6),
    }
    return render(request, "prioritization/scoring_model.html", context, status=status)


# ---------------------------------------------------------------------------------------------- help


def worked_example() -> dict:
    """The help page's worked example, computed by the rule itself (scoring.py), so it cannot drift."""
    values = {"customer_impact": 4, "business_impact": 3, "effort": 2, "strategic_alignment": 5}
    rows = []
    for c in DEFAULT_CRITERIA:
        v = values[c.key]
        n = scoring.normalized(v, c.lower_is_better)
        rows.append(
            {
                "criterion": c,
                "value": v,
                "meaning": c.meanings[v - 1],
                "n": n,
                "formula": f"(5 − {v}) / 4" if c.lower_is_better else f"({v} − 1) / 4",
                "weighted": c.weight * n,
            }
        )
    figures = scoring.figures(DEFAULT_CRITERIA, values)
    total_weight = sum(c.weight for c in DEFAULT_CRITERIA)
    impact_weight = sum(c.weight for c in DEFAULT_CRITERIA if not c.lower_is_better)
    return {
        "values": values,
        "rows": rows,
        "sum": sum(r["weighted"] for r in rows),
        "impact_sum": sum(r["weighted"] for r in rows if not r["criterion"].lower_is_better),
        "total_weight": total_weight,
        "impact_weight": impact_weight,
        "composite": figures.composite,
        "impact": figures.impact,
        "effort": figures.effort,
        "quadrant": scoring.Quadrant.LABELS[figures.quadrant],
        "band": scoring.band(figures.composite),
        "moderate": scoring.confidence_factor("moderate"),
        "with_confidence": scoring.priority(figures.composite, use_confidence=True, level="moderate"),
        "importance": 8,
        "satisfaction": 3,
        "opportunity": scoring.opportunity(8, 3),
    }


@login_required
@require_safe
def scoring_help(request):
    """How a score is computed: criteria and meanings, the composite with a worked example, impact and
    effort, the quadrants, the confidence factor, bands, the opportunity score, stale scores."""
    workspace = current_workspace(request)
    model = selectors.current_model(workspace_id=workspace.pk) if workspace is not None else None
    context = {
        "workspace": workspace,
        "model": model,
        "criteria": list(model.criteria.all()) if model is not None else list(DEFAULT_CRITERIA),
        "example": worked_example(),
        "factors": [(evidence_look(level), factor) for level, factor in scoring.CONFIDENCE_FACTORS.items()],
        "bands": scoring.BANDS,
        "rescales": [
            ("CSAT, share of 4–5 answers (%)", scoring.CSAT_SHARE.words),
            ("CSAT, mean score (1–5)", scoring.CSAT_MEAN.words),
            ("NPS (−100 to 100)", scoring.NPS.words),
            ("CES (1–7)", scoring.CES.words),
            ("Another percentage, higher is better", scoring.PERCENT_HIGHER.words),
            ("A percentage, lower is better", scoring.PERCENT_LOWER.words),
        ],
        "split": scoring.QUADRANT_SPLIT,
        "model_url": reverse("prioritization:scoring_model", args=[workspace.pk]) if workspace else "",
    }
    return render(request, "prioritization/scoring_help.html", context)
