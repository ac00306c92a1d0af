"""Who may do what. Pages and the API both call these; only this module talks to django-guardian.

Outsiders (not a member of the journey's workspace, or a restricted journey they hold no grant on)
get 404 so nothing leaks; members who can see a thing but lack the right to change it get 403.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from guardian.shortcuts import assign_perm, remove_perm

from .models import Membership, Role, Team, User, Workspace

VIEW, EDIT, MANAGE = "view", "edit", "manage"
LEVELS = (VIEW, EDIT, MANAGE)
_RANK = {None: 0, VIEW: 1, EDIT: 2, MANAGE: 3}
_PERM = {VIEW: "view_journey", EDIT: "change_journey", MANAGE: "manage_journey"}
_LEVEL_OF_PERM = {v: k for k, v in _PERM.items()}
_ROLE_LEVEL = {Role.ADMIN: MANAGE, Role.EDITOR: EDIT, Role.VIEWER: VIEW}


def rank(level) -> int:
    return _RANK[level]


def role_in(user, workspace_id) -> str | None:
    """The user's role in a workspace, or None when they are not a member."""
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.filter(user_id=user.pk, workspace_id=workspace_id)
        .values_list("role", flat=True)
        .first()
    )


def workspaces_of(user):
    """Workspaces the user is a member of."""
    if not user.is_authenticated:
        return Workspace.objects.none()
    return Workspace.objects.filter(memberships__user_id=user.pk)


def workspace_for(user, pk, *, need: str = Role.VIEWER) -> Workspace:
    """A workspace the user belongs to, with `.role` set; 404 for outsiders, 403 below the needed role."""
    membership = (
        Membership.objects.select_related("workspace").filter(user_id=user.pk, workspace_id=pk).first()
        if user.is_authenticated
        else None
    )
    if membership is None:
        raise Http404("No such workspace.")
    if need == Role.ADMIN and membership.role != Role.ADMIN:
        raise PermissionDenied("Only workspace admins can do this.")
    if need == Role.EDITOR and membership.role == Role.VIEWER:
        raise PermissionDenied("Viewers cannot change this workspace.")
    workspace = membership.workspace
    workspace.role = membership.role
    return workspace


def can_create_journeys(role: str | None) -> bool:
    return role in (Role.ADMIN, Role.EDITOR)


def _grant_models():
    from journeys.models import JourneyGroupPermission, JourneyUserPermission

    return JourneyUserPermission, JourneyGroupPermission


def _granted_level(user, journey_id) -> str | None:
    """Highest level granted on one journey to the user directly or through a team (one query)."""
    user_perm, group_perm = _grant_models()
    codenames = list(
        user_perm.objects.filter(user_id=user.pk, content_object_id=journey_id)
        .values_list("permission__codename", flat=True)
        .union(
            group_perm.objects.filter(group__user=user.pk, content_object_id=journey_id).values_list(
                "permission__codename", flat=True
            )
        )
    )
    levels = [_LEVEL_OF_PERM[c] for c in codenames if c in _LEVEL_OF_PERM]
    return max(levels, key=rank, default=None)


def journey_level(user, journey, role: str | None) -> str | None:
    """The user's effective level on a journey: role default, ownership, and guardian grants."""
    from journeys.models import Visibility

    if role is None:
        return None
    level = None
    if role == Role.ADMIN or journey.owner_id == user.pk:
        return MANAGE
    if journey.visibility == Visibility.WORKSPACE:
        level = _ROLE_LEVEL[role]
    granted = _granted_level(user, journey.pk)
    if rank(granted) > rank(level):
        level = granted
    # A viewer's role caps nothing on grants: an explicit edit grant to a viewer is the admin's decision.
    return level


def journey_for(user, pk, *, need: str = VIEW, queryset=None):
    """The journey with `.access_level` and `.role` set; 404 when the user cannot see it, 403 when they
    can see it but lack `need`."""
    from journeys.models import Journey

    qs = queryset if queryset is not None else Journey.objects.select_related("workspace", "owner")
    if not user.is_authenticated:
        raise Http404("No such journey.")
    try:
        journey = qs.get(pk=pk)
    except (Journey.DoesNotExist, ValueError, TypeError):
        raise Http404("No such journey.") from None
    role = role_in(user, journey.workspace_id)
    level = journey_level(user, journey, role)
    if level is None:
        raise Http404("No such journey.")
    if rank(level) < rank(need):
        raise PermissionDenied(f"You need {need} access to this journey.")
    journey.access_level = level
    journey.role = role
    return journey


def visible_journeys(user, queryset=None):
    """Journeys the user may see: workspace-visible ones in their workspaces, every journey in a workspace
    they administer, the ones they own, and restricted ones granted to them or their teams."""
    from journeys.models import Journey, Visibility

    qs = queryset if queryset is not None else Journey.objects.all()
    if not user.is_authenticated:
        return qs.none()
    user_perm, group_perm = _grant_models()
    member_of = Membership.objects.filter(user_id=user.pk).values("workspace_id")
    admin_of = Membership.objects.filter(user_id=user.pk, role=Role.ADMIN).values("workspace_id")
    granted = user_perm.objects.filter(user_id=user.pk).values("content_object_id")
    team_granted = group_perm.objects.filter(group__user=user.pk).values("content_object_id")
    return qs.filter(workspace_id__in=member_of).filter(
        Q(visibility=Visibility.WORKSPACE)
        | Q(workspace_id__in=admin_of)
        | Q(owner_id=user.pk)
        | Q(pk__in=granted)
        | Q(pk__in=team_granted)
    )


def grants_of(journey):
    """Every grant on a journey as (kind, id, name, level) tuples, highest level per grantee."""
    user_perm, group_perm = _grant_models()
    best = {}
    for row in user_perm.objects.filter(content_object=journey).values(
        "user_id", "user__username", "permission__codename"
    ):
        key = ("user", row["user_id"])
        level = _LEVEL_OF_PERM.get(row["permission__codename"])
        if level and rank(level) > rank(best.get(key, (None, None))[1]):
            best[key] = (row["user__username"], level)
    for row in group_perm.objects.filter(content_object=journey).values(
        "group__team__id", "group__team__name", "permission__codename"
    ):
        key = ("team", row["group__team__id"])
        level = _LEVEL_OF_PERM.get(row["permission__codename"])
        if level and rank(level) > rank(best.get(key, (None, None))[1]):
            best[key] = (row["group__team__name"], level)
    return [
        {"kind": kind, "id": pk, "name": name, "level": level}
        for (kind, pk), (name, level) in sorted(best.items(), key=lambda kv: (kv[0][0], kv[1][0] or ""))
    ]


def grant_set(*, journey, grantee: User | Team, level: str) -> None:
    """Replace the grantee's level on the journey (callers have checked `manage`)."""
    target = grantee.group if isinstance(grantee, Team) else grantee
    for perm in _PERM.values():
        remove_perm(f"journeys.{perm}", target, journey)
    assign_perm(f"journeys.{_PERM[level]}", target, journey)


def grant_remove(*, journey, grantee: User | Team) -> None:
    """Remove every grant the grantee holds on the journey."""
    target = grantee.group if isinstance(grantee, Team) else grantee
    for perm in _PERM.values():
        remove_perm(f"journeys.{perm}", target, journey)
