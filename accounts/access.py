"""Who may do what in a workspace. Pages and the API both call these; journey rules (and django-guardian)
live in journeys/access.py, which builds on these.

Outsiders (not a member of the journey's workspace, or a restricted journey they hold no grant on)
get 404 so nothing leaks; members who can see a thing but lack the right to change it get 403.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from .models import Membership, Role, Workspace


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
