"""Journey pages: the list, create, settings, access, and the read-only map. Thin: parse, check access
(journeys.access), call a service or selector, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, F, Func, OuterRef
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.forms import add_service_errors, members_queryset
from accounts.models import Team, User
from accounts.selectors import current_workspace
from accounts.views import follow_workspace

from .. import access, selectors, services
from ..forms.journeys import (
    LEVEL_LABELS,
    GrantForm,
    GrantRemoveForm,
    JourneyCreateForm,
    JourneyDeleteForm,
    JourneyFilterForm,
    JourneySettingsForm,
)
from ..models import Journey
from .grid import breadcrumb, map_grid_data

# Map geometry shared by the CSS grid (passed as custom properties) and the emotion curve's SVG.

# The journey row with what every journey page header shows, fetched in access.journey_for's one query.
JOURNEY_PAGE_QUERYSET = Journey.objects.select_related("workspace", "owner", "updated_by")
# The map page's: its header needs no workspace (the top bar has it), and whether the journey has children
# (grid.in_hierarchy: the page reads the journeys it links to only when it has some).
MAP_PAGE_QUERYSET = Journey.objects.select_related("owner", "updated_by").annotate(
    has_children=Exists(Journey.objects.filter(parent_id=OuterRef("pk")))
)


def _follow_workspace(request, journey) -> None:
    follow_workspace(request, journey.workspace_id, journey.role)


# ---------------------------------------------------------------------------------------------- list


def _workspace_tags(user, workspace) -> list[str]:
    """Every tag used on a journey the user can see in the workspace, sorted (one query)."""
    tags = (
        Journey.objects.visible_to(user)
        .filter(workspace=workspace)
        .annotate(tag=Func(F("tags"), function="unnest"))
        .order_by()
        .values_list("tag", flat=True)
        .distinct()
    )
    return sorted(tags, key=str.lower)


# Journeys per page of the list: the hierarchy is paginated in its display order (a child follows its parent;
# search and filters apply to every journey of the workspace).
LIST_PAGE_SIZE = 50


def _page_number(request) -> int:
    raw = request.GET.get("page", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 7 else 1


@login_required
@require_safe
def journey_list(request):
    """The current workspace's journeys as a hierarchy, filtered; HTMX requests get just the results."""
    workspace = current_workspace(request)
    if workspace is None:
        return render(request, "journeys/journey_list.html", {"workspace": None})
    owners = list(members_queryset(workspace))
    form = JourneyFilterForm(
        request.GET or None, tags=_workspace_tags(request.user, workspace), owners=owners
    )
    filters = form.filters()
    journeys = selectors.journey_list(user=request.user, workspace=workspace, **filters)
    page = selectors.journey_tree_page(journeys, page=_page_number(request), per_page=LIST_PAGE_SIZE)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "workspace": workspace,
        "form": form,
        "filters": filters,
        "is_filtered": form.is_filtered,
        "rows": page.rows,
        "page": page,
        "page_query": query.urlencode(),
        "can_create": access.can_create_journeys(workspace.role),
    }
    partial = request.htmx and not request.htmx.history_restore_request
    template = "journeys/_journey_list_results.html" if partial else "journeys/journey_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# ---------------------------------------------------------------------------------------------- create


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def journey_create(request):
    """A new journey in the current workspace, blank or from the standard stage framework."""
    workspace = current_workspace(request)
    if workspace is None:
        messages.info(request, "Create a workspace first: journeys live in a workspace.")
        return redirect("accounts:workspace_create")
    if not access.can_create_journeys(workspace.role):
        raise PermissionDenied("Viewers cannot create journeys.")
    initial = {"owner": request.user.pk, "parent": request.GET.get("parent") or None}
    form = JourneyCreateForm(request.POST or None, workspace=workspace, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        fields = form.journey_fields()
        try:
            journey = services.journey_create(
                workspace=workspace,
                by=request.user,
                from_framework=form.cleaned_data["start"] == "framework",
                **fields,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Journey “{journey.title}” created.")
            return redirect("journeys:map", pk=journey.pk)
    return render(request, "journeys/journey_create.html", {"form": form, "workspace": workspace})


# ---------------------------------------------------------------------------------------------- settings


def _can_manage(journey) -> bool:
    return access.rank(journey.access_level) >= access.rank(access.MANAGE)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def journey_settings(request, pk):
    """Edit a journey's own fields; owner and visibility need the manage right."""
    journey = access.journey_for(request.user, pk, need=access.EDIT, queryset=JOURNEY_PAGE_QUERYSET)
    _follow_workspace(request, journey)
    can_manage = _can_manage(journey)
    form_kwargs = {
        "workspace": journey.workspace,
        "user": request.user,
        "journey": journey,
        "can_manage": can_manage,
    }
    form = JourneySettingsForm(
        request.POST or None, initial=JourneySettingsForm.initial_of(journey), **form_kwargs
    )
    base = _settings_base(JourneySettingsForm.initial_of(journey), request.POST)
    conflict, clashes = None, []
    if request.method == "POST" and form.is_valid():
        expected = form.cleaned_data["expected_version"]
        for _attempt in range(3):  # someone may save again between our reads: merge again
            try:
                services.journey_update(
                    journey_id=journey.pk, by=request.user, expected_version=expected, **form.journey_fields()
                )
            except services.Conflict as exc:
                conflict = exc.current
                # Per field: what only this person changed goes over the newer version; what only the other
                # person changed stays theirs; only a field both changed is left for this person to decide.
                data, clashes = _settings_merge(request.POST, conflict)
                form = JourneySettingsForm(
                    data, initial=JourneySettingsForm.initial_of(conflict), **form_kwargs
                )
                base = _settings_base(JourneySettingsForm.initial_of(conflict))
                if clashes or not form.is_valid():
                    form.is_valid()
                    break
                expected = conflict.version
            except ValidationError as exc:
                add_service_errors(form, exc)
                break
            else:
                messages.success(request, "Journey settings saved.")
                return redirect("journeys:settings", pk=journey.pk)
    return render(
        request,
        "journeys/journey_settings.html",
        {
            "journey": journey,
            "form": form,
            "base": base,
            "conflict": conflict,
            "conflict_by": conflict.updated_by if conflict is not None else None,
            "clashes": [str(form.fields[name].label or name).lower() for name in clashes],
            "can_manage": can_manage,
            "tab": "settings",
        },
    )


def _settings_value(value) -> str:
    """A settings field's value as the form posts it, for comparing: line breaks and outer spaces aside."""
    return "" if value is None else str(value).replace("\r\n", "\n").strip()


def _settings_base(initial: dict, posted=None) -> dict:
    """The base_* values the settings form carries: those it was posted with, else the journey's own."""
    posted = posted or {}
    return {
        name: posted.get(f"base_{name}", _settings_value(value))
        for name, value in initial.items()
        if name != "expected_version"
    }


def _settings_merge(posted, current) -> tuple:
    """A stale settings form merged per field with the current journey: (the data to save or show, the
    names of the fields both people changed). Its base becomes the current journey."""
    data = posted.copy()
    clashes = []
    for name, value in JourneySettingsForm.initial_of(current).items():
        if name == "expected_version" or name not in posted:
            continue
        theirs, mine = _settings_value(value), _settings_value(posted.get(name))
        base = posted.get(f"base_{name}")
        if base is not None and mine == _settings_value(base):
            data[name] = theirs  # untouched here: theirs stands
        elif theirs != mine and (base is None or theirs != _settings_value(base)):
            clashes.append(name)
        data[f"base_{name}"] = theirs
    data["expected_version"] = current.version
    return data, clashes


@login_required
@require_POST
def journey_archive(request, pk):
    """Archive a journey (hidden from the list by default) or bring it back."""
    journey = access.journey_for(request.user, pk, need=access.MANAGE)
    archived = not journey.archived
    services.journey_update(journey_id=journey.pk, by=request.user, archived=archived)
    messages.success(request, f"“{journey.title}” {'archived' if archived else 'restored from the archive'}.")
    return redirect("journeys:settings", pk=journey.pk)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def journey_delete(request, pk):
    """Delete a journey and its whole map after the person types its title."""
    journey = access.journey_for(request.user, pk, need=access.MANAGE, queryset=JOURNEY_PAGE_QUERYSET)
    _follow_workspace(request, journey)
    form = JourneyDeleteForm(
        request.POST or None, journey=journey, initial={"expected_version": journey.version}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.journey_delete(
                journey_id=journey.pk, by=request.user, expected_version=form.cleaned_data["expected_version"]
            )
        except services.Conflict:
            form.add_error(
                None, "Someone changed this journey since you opened this page. Check it and try again."
            )
        else:
            messages.success(request, f"Journey “{journey.title}” deleted.")
            return redirect("journeys:list")
    counts = {
        "stages": journey.stages.count(),
        "cards": journey.cards.count(),
        "children": journey.children.count(),
    }
    return render(
        request,
        "journeys/journey_delete.html",
        {"journey": journey, "form": form, "counts": counts, "tab": "settings"},
    )


# ---------------------------------------------------------------------------------------------- access


def _access_page(request, journey, form, status=200):
    members = form.members
    names = {u.pk: u.display_name for u in members}
    grants = access.grants_of(journey)
    for grant in grants:
        if grant["kind"] == "user":
            grant["name"] = names.get(grant["id"], grant["name"])
        grant["label"] = LEVEL_LABELS[grant["level"]]
        grant["key"] = f"{grant['kind']}:{grant['id']}"
    return render(
        request,
        "journeys/journey_access.html",
        {"journey": journey, "form": form, "grants": grants, "tab": "access"},
        status=status,
    )


def _grant_form(request, journey):
    members = list(members_queryset(journey.workspace))
    teams = list(Team.objects.filter(workspace=journey.workspace).order_by("name"))
    form = GrantForm(request.POST or None, members=members, teams=teams)
    form.members, form.teams = members, teams
    return form


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def journey_access(request, pk):
    """Who has which right on the journey; managers grant and revoke rights for members and teams."""
    journey = access.journey_for(request.user, pk, need=access.MANAGE, queryset=JOURNEY_PAGE_QUERYSET)
    _follow_workspace(request, journey)
    form = _grant_form(request, journey)
    if request.method == "POST" and form.is_valid():
        grantee, level = form.cleaned_data["grantee"], form.cleaned_data["level"]
        try:
            services.journey_grant_set(journey_id=journey.pk, by=request.user, grantee=grantee, level=level)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{grantee} {LEVEL_LABELS[level].lower()} this journey.")
            return redirect("journeys:access", pk=journey.pk)
    return _access_page(request, journey, form)


@login_required
@require_POST
def journey_access_remove(request, pk):
    """Take back a member's or team's grant on the journey."""
    journey = access.journey_for(request.user, pk, need=access.MANAGE, queryset=JOURNEY_PAGE_QUERYSET)
    form = GrantRemoveForm(request.POST)
    granted = {(grant["kind"], grant["id"]) for grant in access.grants_of(journey)}
    if form.is_valid() and form.grantee_key() in granted:
        kind, grantee_pk = form.grantee_key()
        grantee = (Team if kind == "team" else User).objects.filter(pk=grantee_pk).first()
        if grantee is not None:
            services.journey_grant_remove(journey_id=journey.pk, by=request.user, grantee=grantee)
            messages.success(request, f"Access of {grantee} removed.")
            return redirect("journeys:access", pk=journey.pk)
    messages.error(request, "No such grant on this journey.")
    return redirect("journeys:access", pk=journey.pk)


# ---------------------------------------------------------------------------------------------- map


@login_required
@require_safe
def journey_map(request, pk):
    """The map: stages × steps by lanes, the emotion curve; for editors the editor. The Activity menu loads
    its list when it opens (journeys:activity), so the page does not read it."""
    journey = access.journey_for(request.user, pk, need=access.VIEW, queryset=MAP_PAGE_QUERYSET)
    _follow_workspace(request, journey)
    visible, grid = map_grid_data(request, journey, hierarchy=True)
    children = [row for row in visible.values() if row["parent_id"] == journey.pk and not row["archived"]]
    context = {
        **grid,
        "breadcrumb": breadcrumb(journey, visible),
        "children": sorted(children, key=lambda row: row["title"].lower()),
        # A future state links back to its current state, when the person may see it (no extra query).
        "current_state": visible.get(journey.current_state_of_id),
        "can_edit": access.rank(journey.access_level) >= access.rank(access.EDIT),
        "can_manage": _can_manage(journey),
        "can_copy": access.can_copy(journey),
    }
    return render(request, "journeys/journey_map.html", context)


@login_required
@require_safe
def journey_map_grid(request, pk):
    """Just the map grid (templates/journeys/_map_grid.html), for live updates to re-fetch; in an overlay
    view with the view's header figure, out of band."""
    journey = access.journey_for(request.user, pk, need=access.VIEW, queryset=JOURNEY_PAGE_QUERYSET)
    _visible, grid = map_grid_data(request, journey)
    return render(request, "journeys/_map_grid.html", {**grid, "headline_oob": True})
