"""Initiative pages: the list and the board by status (a "Move to" select and button on every card: no
dragging needed), an initiative's page (the pain points it addresses with their score and evidence
confidence, its targets with the outcome and a chart of each metric around the ship date, status history,
delivery links), the create and edit forms (a stale edit form is merged per field: core.forms.merge_stale),
delete (a confirmation that says what goes, offering "Drop" instead, which keeps everything), status changes,
card links, targets, delivery links, and the outcome help page with its worked examples.

Access: initiatives are the workspace's (prioritization/access.py): members read, admins and editors
write (checked once per request here, or by the service), viewers get 403, outsiders 404. Cards and target
metrics of journeys the reader cannot see are neither shown nor counted.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.dateformat import format as date_format
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.forms import add_service_errors, members_queryset
from accounts.selectors import current_workspace
from accounts.views import follow_workspace
from core.errors import Conflict
from core.forms import base_values, labels_of, merge_stale
from core.text import parse_id
from metrics.charts import before_after_chart, number, period_label

from .. import access, outcomes, selectors
from ..forms import (
    CardSearchForm,
    DeliveryLinkForm,
    InitiativeDeleteForm,
    InitiativeForm,
    StatusForm,
    TargetForm,
    status_choices,
)
from ..models import DeliveryLink, Initiative, InitiativeTarget, Status, StatusChange, Verdict
from ..services import initiatives as services

PAGE_SIZE = 25
PAGE_QUERYSET = Initiative.objects.select_related("workspace")
VERDICT_LOOK = {  # tone and icon: colour is never the only cue
    Verdict.MET: ("good", "✓"),
    Verdict.NOT_MET: ("bad", "✕"),
    Verdict.NOT_ENOUGH_DATA: ("neutral", "…"),
}


def _initiative(request, pk, need=access.READ) -> Initiative:
    found = access.initiative_for(request.user, pk, need=need, queryset=PAGE_QUERYSET)
    follow_workspace(request, found.workspace_id, found.role)
    return found


def _no_workspace(request, title: str):
    return render(request, "prioritization/initiative_list.html", {"workspace": None, "title": title})


# ---------------------------------------------------------------------------------------------- list, board


@login_required
@require_safe
def initiative_list(request):
    """The current workspace's initiatives, most recently changed first, filtered by status, owner and
    words of the title, 25 a page."""
    workspace = current_workspace(request)
    if workspace is None:
        return _no_workspace(request, "Initiatives")
    status = request.GET.get("status", "")
    status = status if status in Status.values else ""
    owner = parse_id(request.GET.get("owner", "")) or None
    q = request.GET.get("q", "").strip()[:200]
    rows = selectors.initiative_list(
        workspace_id=workspace.pk, user=request.user, status=status or None, owner=owner, q=q
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "prioritization/initiative_list.html",
        {
            "workspace": workspace,
            "page": page,
            "page_query": query.urlencode(),
            "status": status,
            "statuses": Status.choices,
            "owner": owner,
            "owners": members_queryset(workspace),
            "q": q,
            "filtered": bool(status or owner or q),
            "can_write": access.can_write(workspace.role),
        },
    )


@login_required
@require_safe
def initiative_board(request):
    """The board: a column per status; writers move an initiative with the select and button on its card."""
    workspace = current_workspace(request)
    if workspace is None:
        return _no_workspace(request, "Initiative board")
    columns = selectors.initiative_board(workspace_id=workspace.pk, user=request.user)
    can_write = access.can_write(workspace.role)
    for column in columns:
        for item in column.items:
            item.moves = status_choices(item.status) if can_write else []
    return render(
        request,
        "prioritization/initiative_board.html",
        {"workspace": workspace, "columns": columns, "can_write": can_write},
    )


# ---------------------------------------------------------------------------------------------- detail


def _side_text(side: outcomes.Side | None, unit: str) -> str:
    if side is None or side.value is None:
        return "no data"
    n = side.count
    return f"{number(side.value)}{' ' + unit if unit else ''} ({n} period{'s' if n != 1 else ''})"


def _change_text(outcome: outcomes.Outcome, unit: str) -> str:
    if outcome.change is None:
        return "–"
    sign = "+" if outcome.change > 0 else ""
    text = f"{sign}{number(outcome.change)}{' ' + unit if unit else ''}"
    if outcome.change_percent is not None:
        text += f" ({sign}{number(outcome.change_percent)} %)"
    return text


def _chart(outcome: outcomes.Outcome, nonce: str):
    if outcome.ship_date is None:
        return None
    metric = outcome.metric
    unit = metric.unit_text()
    ship = outcome.ship_date
    shipped = f"Shipped {ship.day} {date_format(ship, 'M Y')}"
    sides = []
    for side, name in ((outcome.baseline, "Baseline"), (outcome.after, "After")):
        value = side.value if side.count else None
        label = f"{name} {number(value)}{' ' + unit if unit else ''}" if value is not None else name
        sides.append((side.start, side.end, value, label))
    words = [
        f"{metric.name} around the ship date, {period_label(ship, ship)} (dotted vertical line).",
        f"Baseline {period_label(outcome.baseline.start, outcome.baseline.end)}: "
        f"{_side_text(outcome.baseline, unit)}, dashed line.",
        f"After {period_label(outcome.after.start, outcome.after.end)}: {_side_text(outcome.after, unit)}, "
        "dash-dotted line.",
        f"Verdict: {outcome.verdict_label.lower()}.",
    ]
    return before_after_chart(
        metric,
        list(outcome.context),
        mark=(ship, shipped),
        sides=sides,
        title=f"{metric.name} before and after the ship date",
        desc=" ".join(words),
        nonce=nonce,
    )


def target_rows(detail: selectors.InitiativeDetail, *, nonce: str) -> list[dict]:
    """Each visible target with its outcome in words, its look and chart (no queries)."""
    rows = []
    for target, outcome in zip(detail.targets, detail.outcomes, strict=True):
        metric = target.metric
        unit = "points" if metric.unit == "percent" else metric.unit_text()
        tone, icon = VERDICT_LOOK[Verdict(outcome.verdict)]
        rows.append(
            {
                "target": target,
                "metric": metric,
                "expectation": outcomes.expectation(target),
                "outcome": outcome,
                "baseline": _side_text(outcome.baseline, metric.unit_text()),
                "after": _side_text(outcome.after, metric.unit_text()),
                "change": _change_text(outcome, unit),
                "tone": tone,
                "icon": icon,
                "so_far": outcome.has_verdict and outcome.window_open,
                "recorded": target.verdict or "",
                "recorded_label": Verdict(target.verdict).label if target.verdict else "",
                "recorded_tone": VERDICT_LOOK[Verdict(target.verdict)][0] if target.verdict else "",
                "chart": _chart(outcome, nonce),
            }
        )
    return rows


def _detail_context(request, initiative: Initiative, **extra) -> dict:
    detail = selectors.initiative_detail(initiative=initiative, user=request.user)
    found = detail.initiative
    can_write = access.can_write(initiative.role)
    taken = {t.metric_id for t in detail.targets}
    context = {
        "initiative": found,
        "detail": detail,
        "cards": detail.cards,
        "targets": target_rows(detail, nonce=str(request.csp_nonce)),
        "history": detail.history,
        "links": detail.links,
        "can_write": can_write,
        "measured": found.status == Status.MEASURED,
    }
    if can_write:
        context.setdefault(
            "status_form", StatusForm(current=found.status, initial={"expected_version": found.version})
        )
        context.setdefault("search_form", CardSearchForm())
        context.setdefault("link_form", DeliveryLinkForm())
        if found.status != Status.MEASURED:
            metrics = selectors.metric_choices(
                workspace_id=found.workspace_id, user=request.user, exclude=taken
            )
            context.setdefault(
                "target_form", TargetForm(metrics=metrics, initial={"expected_version": found.version})
            )
    context.update(extra)
    return context


@login_required
@require_safe
def initiative_detail(request, pk):
    """An initiative: what it addresses, what it should move and did, how it got here, where it is tracked."""
    initiative = _initiative(request, pk)
    return render(request, "prioritization/initiative_detail.html", _detail_context(request, initiative))


# ---------------------------------------------------------------------------------------------- create, edit


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def initiative_create(request):
    """A new initiative of the current workspace (admins and editors), proposed."""
    workspace = current_workspace(request)
    if workspace is None:
        messages.info(request, "Create a workspace first: initiatives live in a workspace.")
        return redirect("accounts:workspace_create")
    if not access.can_write(workspace.role):
        raise PermissionDenied(access.WRITE_MESSAGE)
    form = InitiativeForm(request.POST or None, workspace=workspace, initial={"owner": request.user.pk})
    if request.method == "POST" and form.is_valid():
        fields = form.initiative_fields()
        try:
            initiative = services.initiative_create(workspace_id=workspace.pk, by=request.user, **fields)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Initiative “{initiative.title}” created.")
            return redirect("prioritization:initiative", pk=initiative.pk)
    return render(request, "prioritization/initiative_form.html", {"form": form, "workspace": workspace})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def initiative_edit(request, pk):
    """Edit an initiative. A form opened before someone else saved is merged per field with their version
    (core.forms.merge_stale); only fields both changed are left for the person to decide."""
    initiative = _initiative(request, pk, need=access.WRITE)
    workspace = initiative.workspace
    initial = InitiativeForm.initial_of(initiative)
    form = InitiativeForm(request.POST or None, workspace=workspace, initiative=initiative, initial=initial)
    base = base_values(initial, request.POST)
    conflict, clashes = None, []
    if request.method == "POST" and form.is_valid():
        expected = form.cleaned_data["expected_version"]
        for _attempt in range(3):  # someone may save again between our reads: merge again
            try:
                services.initiative_update(
                    initiative_id=initiative.pk,
                    by=request.user,
                    expected_version=expected,
                    **form.initiative_fields(),
                )
            except Conflict as exc:
                conflict = Initiative.objects.select_related("updated_by").get(pk=initiative.pk)
                theirs = InitiativeForm.initial_of(conflict)
                data, clashes = merge_stale(request.POST, theirs, conflict.version)
                form = InitiativeForm(data, workspace=workspace, initiative=conflict, initial=theirs)
                base = base_values(theirs)
                if exc.current is None or clashes or not form.is_valid():
                    form.is_valid()
                    break
                expected = conflict.version
            except ValidationError as exc:
                add_service_errors(form, exc)
                break
            else:
                merged = " (merged with changes saved meanwhile)" if conflict is not None else ""
                messages.success(request, f"Initiative saved{merged}.")
                return redirect("prioritization:initiative", pk=initiative.pk)
    return render(
        request,
        "prioritization/initiative_form.html",
        {
            "form": form,
            "initiative": initiative,
            "workspace": workspace,
            "base": base,
            "conflict": conflict,
            "clashes": labels_of(form, clashes),
        },
        status=409 if conflict is not None else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def initiative_delete(request, pk):
    """Delete an initiative after a confirmation that says what goes with it (its history, targets and
    recorded outcome; the cards stay) and offers "Drop" instead."""
    initiative = _initiative(request, pk, need=access.WRITE)
    form = InitiativeDeleteForm(request.POST or None, initial={"expected_version": initiative.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.initiative_delete(
                initiative_id=initiative.pk,
                by=request.user,
                expected_version=form.cleaned_data["expected_version"],
            )
        except Conflict:
            form.add_error(
                None, "Someone changed this initiative since you opened this page. Check it and try again."
            )
        else:
            messages.success(request, f"Initiative “{initiative.title}” deleted.")
            return redirect("prioritization:initiatives")
    detail = selectors.initiative_detail(initiative=initiative, user=request.user)
    hidden_cards = detail.initiative.card_links.count() - len(detail.cards)
    return render(
        request,
        "prioritization/initiative_delete.html",
        {
            "initiative": detail.initiative,
            "detail": detail,
            "form": form,
            "hidden_cards": hidden_cards,
            "can_drop": Status.DROPPED in {s for s, _ in status_choices(initiative.status)},
        },
    )


# ---------------------------------------------------------------------------------------------- status


def _back(request, initiative: Initiative) -> str:
    """Where a status change returns: the board when it came from there, else the initiative's page."""
    if request.POST.get("next") == "board":
        return f"{reverse('prioritization:initiative_board')}#initiative-{initiative.pk}"
    return reverse("prioritization:initiative", args=[initiative.pk])


@login_required
@require_POST
def initiative_status(request, pk):
    """Move an initiative to another status (from its page or the board). A refused move says why."""
    initiative = _initiative(request, pk, need=access.WRITE)
    form = StatusForm(request.POST, current=initiative.status)
    if not form.is_valid():
        errors = "; ".join(e for errs in form.errors.values() for e in errs)
        messages.error(request, f"“{initiative.title}” was not moved: {errors}")
        return redirect(_back(request, initiative))
    try:
        services.initiative_set_status(
            initiative=initiative,
            status=form.cleaned_data["status"],
            by=request.user,
            via=StatusChange.Via.PERSON,
            expected_version=form.cleaned_data["expected_version"],
            shipped_date=form.cleaned_data.get("shipped_date"),
        )
    except Conflict:
        messages.error(
            request,
            f"“{initiative.title}” changed since you loaded the page: nothing was moved. Check it and try "
            "again.",
        )
    except ValidationError as exc:
        messages.error(request, f"“{initiative.title}” was not moved: " + " ".join(exc.messages))
    else:
        label = Status(initiative.status).label.lower()
        extra = ""
        if initiative.status == Status.MEASURED:
            extra = " Each target's verdict is recorded."
        messages.success(request, f"“{initiative.title}” is now {label}.{extra}")
    return redirect(_back(request, initiative))


# ---------------------------------------------------------------------------------------------- cards


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def initiative_cards(request, pk):
    """Find pain points and opportunities to link (GET `q`: words of the card's text; HTMX asks for the
    results only) and link one (POST `card`)."""
    initiative = _initiative(request, pk, need=access.WRITE)
    refused = ""
    if request.method == "POST":
        card_id = parse_id(request.POST.get("card", ""))
        try:
            if card_id is None:
                raise ValidationError({"card": "Choose a card to link."})
            services.initiative_card_link(initiative_id=initiative.pk, card_id=card_id, by=request.user)
        except ValidationError as exc:
            refused = " ".join(exc.messages)  # the search page again, saying why (400)
        else:
            messages.success(request, "Card linked: its journey's activity says so.")
            return redirect(f"{reverse('prioritization:initiative', args=[initiative.pk])}#cards")
    form = CardSearchForm(request.GET or None)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    found = selectors.linkable_cards(initiative=initiative, user=request.user, q=q)
    context = {"initiative": initiative, "form": form, "found": found, "q": q, "refused": refused}
    partial = request.htmx and not request.htmx.history_restore_request and not refused
    response = render(
        request,
        "prioritization/_initiative_card_results.html" if partial else "prioritization/initiative_cards.html",
        context,
        status=400 if refused else 200,
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_POST
def initiative_card_unlink(request, pk, card_id):
    """The initiative no longer addresses this card."""
    initiative = _initiative(request, pk, need=access.WRITE)
    services.initiative_card_unlink(initiative_id=initiative.pk, card_id=card_id, by=request.user)
    messages.success(request, "Card unlinked: its journey's activity says so.")
    return redirect(f"{reverse('prioritization:initiative', args=[initiative.pk])}#cards")


# ---------------------------------------------------------------------------------------------- targets


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def initiative_targets(request, pk):
    """Add a target metric (a metric of a journey the person can see)."""
    initiative = _initiative(request, pk, need=access.WRITE)
    metrics = selectors.metric_choices(
        workspace_id=initiative.workspace_id,
        user=request.user,
        exclude=initiative.targets.values_list("metric_id", flat=True),
    )
    form = TargetForm(request.POST or None, metrics=metrics, initial={"expected_version": initiative.version})
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.initiative_target_add(
                initiative_id=initiative.pk,
                by=request.user,
                expected_version=form.cleaned_data["expected_version"],
                **form.target_fields(),
            )
        except Conflict:
            form.add_error(
                None, "Someone changed this initiative since you opened this page. Check it and try again."
            )
            status = 409
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Target added.")
            return redirect(f"{reverse('prioritization:initiative', args=[initiative.pk])}#targets")
    return render(
        request,
        "prioritization/initiative_target_form.html",
        {"initiative": initiative, "form": form},
        status=status,
    )


def _target(request, pk) -> tuple[Initiative, InitiativeTarget]:
    target = InitiativeTarget.objects.select_related("metric").filter(pk=pk).first()
    if target is None:
        raise Http404("No such target.")
    initiative = _initiative(request, target.initiative_id, need=access.WRITE)
    if not access.visible_journey_ids(request.user, [target.metric.journey_id]):
        raise Http404("No such target.")
    return initiative, target


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def initiative_target_edit(request, pk):
    """Change a target's expected direction, size or unit."""
    initiative, target = _target(request, pk)
    initial = {
        "expected_direction": target.expected_direction,
        "expected_size": target.expected_size.normalize(),
        "size_unit": target.size_unit,
        "expected_version": initiative.version,
    }
    form = TargetForm(request.POST or None, fixed_metric=target.metric, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.initiative_target_update(
                target_id=target.pk,
                by=request.user,
                expected_version=form.cleaned_data["expected_version"],
                **form.target_fields(),
            )
        except Conflict:
            form.add_error(
                None, "Someone changed this initiative since you opened this page. Check it and try again."
            )
            status = 409
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Target saved.")
            return redirect(f"{reverse('prioritization:initiative', args=[initiative.pk])}#targets")
    return render(
        request,
        "prioritization/initiative_target_form.html",
        {"initiative": initiative, "form": form, "target": target},
        status=status,
    )


@login_required
@require_POST
def initiative_target_remove(request, pk):
    """The initiative no longer targets this metric."""
    initiative, target = _target(request, pk)
    try:
        services.initiative_target_remove(target_id=target.pk, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"“{target.metric.name}” is no longer a target.")
    return redirect(f"{reverse('prioritization:initiative', args=[initiative.pk])}#targets")


# ------------------------------------------------------------------------------------------ delivery links


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def initiative_links(request, pk):
    """Link the initiative's issue in a delivery tool (Jira, Asana, Linear, Azure DevOps, other)."""
    initiative = _initiative(request, pk, need=access.WRITE)
    form = DeliveryLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.delivery_link_add(initiative_id=initiative.pk, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Delivery link added.")
            return redirect(f"{reverse('prioritization:initiative', args=[initiative.pk])}#delivery")
    return render(
        request, "prioritization/initiative_link_form.html", {"initiative": initiative, "form": form}
    )


@login_required
@require_POST
def delivery_link_remove(request, pk):
    """Remove a delivery link."""
    initiative_id = DeliveryLink.objects.filter(pk=pk).values_list("initiative_id", flat=True).first()
    if initiative_id is None:
        raise Http404("No such delivery link.")
    initiative = _initiative(request, initiative_id, need=access.WRITE)
    services.delivery_link_remove(link_id=pk, by=request.user)
    messages.success(request, "Delivery link removed.")
    return redirect(f"{reverse('prioritization:initiative', args=[initiative.pk])}#delivery")


# ---------------------------------------------------------------------------------------------- help


@login_required
@require_safe
def outcomes_help(request):
    """How outcomes are measured, with the worked examples computed by the rule itself."""
    examples = []
    for example in outcomes.EXAMPLES:
        outcome = outcomes.example_outcome(example)
        metric = outcome.metric
        unit = "points" if metric.unit == "percent" else metric.unit_text()
        tone, icon = VERDICT_LOOK[Verdict(outcome.verdict)]
        before = {(p.start, p.end) for p in outcome.baseline.periods}
        after = {(p.start, p.end) for p in outcome.after.periods}
        examples.append(
            {
                "example": example,
                "outcome": outcome,
                "expectation": outcomes.expectation(outcome.target),
                "periods": [
                    {
                        "label": period_label(start, end),
                        "value": number(value),
                        "counts": ", ".join(f"{k} {v}" for k, v in comps.items()),
                        "side": "baseline"
                        if (start, end) in before
                        else "after"
                        if (start, end) in after
                        else "",
                    }
                    for start, end, value, comps in example.periods
                ],
                "baseline": _side_text(outcome.baseline, metric.unit_text()),
                "after": _side_text(outcome.after, metric.unit_text()),
                "change": _change_text(outcome, unit),
                "tone": tone,
                "icon": icon,
            }
        )
    return render(
        request,
        "prioritization/initiative_help.html",
        {"examples": examples, "min_periods": outcomes.MIN_PERIODS},
    )
