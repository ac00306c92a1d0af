"""Pages for structure across journeys: copy a journey or start one from a template, make a future state,
offer a journey as a template, create a sub-journey from a step, compare current and future side by side,
present a map full-screen and its saved views. Thin: parse, check access (journeys.access), call
journeys.structure, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.forms import add_service_errors
from accounts.selectors import current_workspace

from .. import access, selectors
from ..forms.structure import JourneyCopyForm, SavedViewForm, SubJourneyForm
from ..models import Journey, JourneyState, Lane, SavedView, Stage, Step
from ..services import structure
from ..templatetags.structure_ui import shown
from .grid import grid_context

# The journey row with what these pages' headers show, fetched in access.journey_for's one query.
PAGE_QUERYSET = Journey.objects.select_related("workspace", "owner")
NEW_FROM_LIMIT = 60


def _at_least(journey, level) -> bool:
    return access.rank(journey.access_level) >= access.rank(level)


def _may_create_or_403(journey_or_workspace) -> None:
    if not access.can_create_journeys(journey_or_workspace.role):
        raise PermissionDenied("Viewers cannot create journeys.")


def _may_copy_or_403(source) -> None:
    _may_create_or_403(source)
    if not access.can_copy(source):
        raise PermissionDenied(structure.RESTRICTED_COPY)


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


# ---------------------------------------------------------------------------------------------- copies


def _default_title(source: Journey, kind: str) -> str:
    if source.is_template:
        return ""
    # Prefilled, never cut: a title pushed over the limit is shown with the counter and refused by name.
    return f"{source.title} (future state)" if kind == "future" else f"Copy of {source.title}"


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def journey_copy(request, pk):
    """Copy a journey (structure with or without cards), as a plain copy or as its future state."""
    source = access.journey_for(
        request.user, pk, need=access.VIEW, queryset=structure.with_sizes(PAGE_QUERYSET)
    )
    _may_copy_or_403(source)
    kind = "future" if request.GET.get("future") == "1" and not source.is_template else "copy"
    # Sub-journeys its steps drill into (distinct), for the "copy its sub-journeys too" choice.
    sub_journeys = (
        Step.objects.filter(journey=source, sub_journey__isnull=False)
        .values("sub_journey_id")
        .distinct()
        .count()
    )
    initial = {
        "title": _default_title(source, kind),
        "kind": kind,
        "content": "cards",
        "parent": source.parent_id,
        "with_sub_journeys": kind == "future" and sub_journeys > 0,
    }
    form = JourneyCopyForm(
        request.POST or None, user=request.user, workspace=source.workspace, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            copy = structure.journey_copy(
                journey_id=source.pk,
                by=request.user,
                title=data["title"],
                with_cards=data["content"] == "cards",
                as_future_state=data["kind"] == "future",
                parent=data["parent"],
                with_sub_journeys=bool(sub_journeys and data["with_sub_journeys"]),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            subs = len(copy.sub_journey_copies)
            also = f" with {subs} sub-journey{'s' if subs != 1 else ''}" if subs else ""
            if copy.state == JourneyState.FUTURE and data["kind"] == "future":
                messages.success(
                    request,
                    f"Future-state map “{copy.title}” created{also}. Compare it with the current state.",
                )
            else:
                messages.success(request, f"Journey “{copy.title}” created{also} from “{source.title}”.")
            return redirect("journeys:map", pk=copy.pk)
    context = {"source": source, "journey": source, "form": form, "sub_journeys": sub_journeys}
    return render(request, "journeys/structure_copy.html", context)


@login_required
@require_POST
def journey_future_state(request, pk):
    """One click from the map: a future-state copy with its cards, beside the current state."""
    source = access.journey_for(request.user, pk, need=access.VIEW)
    _may_copy_or_403(source)
    parent = source.parent_id
    if parent and not Journey.objects.visible_to(request.user).filter(pk=parent).exists():
        parent = None
    future = structure.journey_copy(
        journey_id=source.pk,
        by=request.user,
        title=_default_title(source, "future") or source.title,
        with_cards=True,
        as_future_state=True,
        parent=parent,
    )
    messages.success(request, f"Future-state map “{future.title}” created: change it freely, then compare.")
    if Step.objects.filter(journey=future, sub_journey__isnull=False).exists():
        messages.info(
            request,
            "Its steps still open the current-state sub-journeys (marked “Current-state detail”). To design "
            "those too, make the future state with “Copy journey…” and “Copy its sub-journeys too”.",
        )
    return redirect("journeys:map", pk=future.pk)


@login_required
@require_POST
def journey_template(request, pk):
    """Offer a journey as a workspace template (`is_template=1`) or stop offering it (`is_template=0`)."""
    journey = access.journey_for(request.user, pk, need=access.MANAGE)
    make = request.POST.get("is_template", "") in ("1", "true", "on")
    structure.journey_template_set(journey_id=journey.pk, by=request.user, is_template=make)
    if make:
        messages.success(
            request, f"“{journey.title}” is now a template: editors can start new journeys from it."
        )
    else:
        messages.success(request, f"“{journey.title}” is no longer offered as a template.")
    return redirect(_safe_next(request, reverse("journeys:map", kwargs={"pk": journey.pk})))


@login_required
@require_safe
def journey_new_from(request):
    """Start a new journey from one of the workspace's templates or from any journey you can see."""
    workspace = current_workspace(request)
    if workspace is None:
        messages.info(request, "Create a workspace first: journeys live in a workspace.")
        return redirect("accounts:workspace_create")
    _may_create_or_403(workspace)
    search = " ".join(request.GET.get("q", "").split())
    templates = list(
        structure.with_sizes(structure.templates_of(user=request.user, workspace=workspace)).prefetch_related(
            Prefetch("stages", queryset=Stage.objects.order_by("position").only("id", "journey_id", "title"))
        )
    )
    journeys = (
        structure.with_sizes(access.copyable(Journey.objects.all(), request.user))
        .filter(workspace=workspace, archived=False, is_template=False)
        .select_related("owner")
        .order_by("title", "pk")
    )
    if search:
        journeys = journeys.filter(title__icontains=search)
    journeys = list(journeys[: NEW_FROM_LIMIT + 1])
    context = {
        "workspace": workspace,
        "templates": templates,
        "journeys": journeys[:NEW_FROM_LIMIT],
        "more": len(journeys) > NEW_FROM_LIMIT,
        "search": search,
    }
    return render(request, "journeys/structure_new_from.html", context)


# ---------------------------------------------------------------------------------------------- sub-journeys


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def sub_journey_create(request, pk, step_id):
    """Create the detailed journey of a step (one level down) and link the step to it."""
    journey = access.journey_for(request.user, pk, need=access.EDIT, queryset=PAGE_QUERYSET)
    _may_create_or_403(journey)
    step = get_object_or_404(Step.objects.select_related("stage"), pk=step_id, journey=journey)
    linked = None
    if step.sub_journey_id:
        linked = Journey.objects.visible_to(request.user).filter(pk=step.sub_journey_id).first()
    form = SubJourneyForm(request.POST or None, initial={"title": step.title})
    if request.method == "POST" and form.is_valid():
        try:
            child = structure.sub_journey_create_from_step(
                step_id=step.pk,
                by=request.user,
                title=form.cleaned_data["title"],
                from_framework=form.cleaned_data["start"] == "framework",
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Sub-journey “{child.title}” created and linked from “{step.title}”.")
            return redirect("journeys:map", pk=child.pk)
    context = {
        "journey": journey,
        "step": step,
        "linked": linked,
        "form": form,
        "level_below": structure.LEVEL_BELOW.get(journey.level),
    }
    return render(request, "journeys/structure_sub_journey.html", context)


# ---------------------------------------------------------------------------------------------- compare


@login_required
@require_safe
def journey_compare(request, pk):
    """Current and future state side by side, stage by stage (`?with=<journey id>` picks the other side)."""
    left = access.journey_for(request.user, pk, need=access.VIEW, queryset=PAGE_QUERYSET)
    other = request.GET.get("with", "").strip()
    if other:
        right = access.journey_for(request.user, other, need=access.VIEW, queryset=PAGE_QUERYSET)
        if right.workspace_id != left.workspace_id:
            raise Http404("No such journey.")
    else:
        right = structure.compare_partner(journey=left, user=request.user)
    can_create = access.can_create_journeys(left.role)
    if right is not None and left.state == JourneyState.FUTURE and right.state == JourneyState.CURRENT:
        left, right = right, left  # the current state reads on the left
    same = right is not None and right.pk == left.pk
    comparison = structure.journey_compare(left=left, right=right) if right is not None and not same else None
    choices = list(
        Journey.objects.visible_to(request.user)
        .filter(workspace_id=left.workspace_id, archived=False)
        .exclude(pk=left.pk)
        .order_by("title", "pk")
        .values("pk", "title", "state")
    )
    context = {
        "journey": left,
        "left": left,
        "right": right if not same else None,
        "comparison": comparison,
        "scoreboard": _scoreboard(comparison) if comparison else [],
        "choices": choices,
        "can_create": can_create,
        "labels": _side_labels(left, right if not same else None),
    }
    return render(request, "journeys/structure_compare.html", context)


def _change(a, b, *, better: str = "more", scores: bool = False) -> dict:
    """How a total changed from the left side to the right, and whether that is good news."""
    if a is None or b is None:
        return {"change": "–", "tone": "same"}
    if scores:  # the change between the two figures as shown (one decimal), so the row adds up
        a, b = shown(a), shown(b)
    diff = round(b - a, 1) if scores else b - a
    if abs(diff) < 0.05:
        return {"change": "no change", "tone": "same"}
    text = f"{abs(diff):.1f}".rstrip("0").rstrip(".") if scores else str(abs(diff))
    text = f"+{text}" if diff > 0 else f"−{text}"
    good = diff > 0 if better == "more" else diff < 0 if better == "less" else None
    return {"change": text, "tone": "neutral" if good is None else "good" if good else "bad"}


def _scoreboard(comparison) -> list[dict]:
    """The totals of both sides with their change, for the table above the stages."""
    lt, rt = comparison.left_totals, comparison.right_totals
    stage_change = ", ".join(
        part
        for part in (
            f"{comparison.only_right} new" if comparison.only_right else "",
            f"{comparison.only_left} dropped" if comparison.only_left else "",
        )
        if part
    )
    return [
        {"label": "Stages", "left": lt.stages, "right": rt.stages,
         "change": stage_change or "same stages", "tone": "neutral" if stage_change else "same"},
        {"label": "Steps", "left": lt.steps, "right": rt.steps, **_change(lt.steps, rt.steps, better="")},
        {"label": "Pain points", "left": lt.pain_points, "right": rt.pain_points,
         **_change(lt.pain_points, rt.pain_points, better="less")},
        {"label": "Opportunities", "left": lt.opportunities, "right": rt.opportunities,
         **_change(lt.opportunities, rt.opportunities, better="")},
        {"label": "Mean emotion", "left": lt.emotion, "right": rt.emotion, "scores": True,
         **_change(lt.emotion, rt.emotion, scores=True)},
    ]  # fmt: skip


def _side_labels(left, right) -> dict:
    """How the page names each side: "current"/"future" when that is what they are, else their titles."""
    if right is not None and left.state == JourneyState.CURRENT and right.state == JourneyState.FUTURE:
        return {"left": "current state", "right": "future state", "left_flag": "removed", "right_flag": "new"}
    if right is None:
        return {"left": left.title, "right": ""}
    return {
        "left": f"“{left.title}”",
        "right": f"“{right.title}”",
        "left_flag": "only here",
        "right_flag": "only here",
    }


# ---------------------------------------------------------------------------------------------- present mode


def _present(request, journey, *, saved_view=None, form=None, status=200):
    map_data = selectors.journey_map(journey=journey)
    sub_ids = {step.sub_journey_id for step in map_data.steps if step.sub_journey_id}
    visible = Journey.objects.visible_to(request.user).filter(pk__in=sub_ids)
    rows = list(visible.values_list("pk", "title", "state")) if sub_ids else []
    linkable = {pk: title for pk, title, _state in rows}
    linkable_states = {pk: state for pk, _title, state in rows}
    hidden = set(saved_view.hidden_lanes) if saved_view is not None else set()
    context = {
        **grid_context(map_data, linkable_journeys=linkable, linkable_states=linkable_states),
        "ancestors": structure.journey_ancestors(journey=journey, user=request.user),
        "saved_views": list(journey.saved_views.select_related("created_by")),
        "saved_view": saved_view,
        "hidden_lanes": hidden,
        "lane_toggles": [{"lane": lane, "shown": lane.pk not in hidden} for lane in map_data.lanes],
        "lanes_shown": sum(1 for lane in map_data.lanes if lane.pk not in hidden),
        "backstage_shown": any(lane.is_backstage and lane.pk not in hidden for lane in map_data.lanes),
        "can_save": _at_least(journey, access.EDIT),
        "form": form or SavedViewForm(lanes=map_data.lanes),
    }
    return render(request, "journeys/present_map.html", context, status=status)


@login_required
@require_safe
def journey_present(request, pk):
    """The map full-screen for a workshop or a stakeholder meeting: no app chrome, lanes shown or hidden."""
    journey = access.journey_for(request.user, pk, need=access.VIEW, queryset=PAGE_QUERYSET)
    return _present(request, journey)


@login_required
@require_safe
def saved_view(request, pk, view_id):
    """A saved present-mode view, opened by link by anyone who can see the journey."""
    journey = access.journey_for(request.user, pk, need=access.VIEW, queryset=PAGE_QUERYSET)
    view = get_object_or_404(SavedView, pk=view_id, journey=journey)
    return _present(request, journey, saved_view=view)


@login_required
@require_POST
def saved_view_create(request, pk):
    """Save the lanes shown right now under a name (editors and managers); answers with the view's link."""
    journey = access.journey_for(request.user, pk, need=access.EDIT, queryset=PAGE_QUERYSET)
    lanes = list(Lane.objects.filter(journey=journey).order_by("position"))
    form = SavedViewForm(request.POST, lanes=lanes)
    if form.is_valid():
        try:
            view = structure.saved_view_create(
                journey_id=journey.pk,
                by=request.user,
                name=form.cleaned_data["name"],
                hidden_lanes=form.hidden_lanes(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, f"View “{view.name}” saved. Share its link with anyone who can see this journey."
            )
            return redirect("journeys:saved_view", pk=journey.pk, view_id=view.pk)
    return _present(request, journey, form=form, status=400)


@login_required
@require_POST
def saved_view_delete(request, pk, view_id):
    """Delete a saved view (editors and managers)."""
    journey = access.journey_for(request.user, pk, need=access.EDIT)
    view = get_object_or_404(SavedView, pk=view_id, journey=journey)
    structure.saved_view_delete(view_id=view.pk, by=request.user)
    messages.success(request, f"View “{view.name}” deleted.")
    return redirect("journeys:present", pk=journey.pk)
