"""Reads about people and workspaces that pages and the API share."""

from .models import Membership

SESSION_KEY = "workspace_id"


def current_workspace(request):
    """The workspace the person is working in (chosen in the session, else their first), with `.role`.

    Cached on the request: one query per request, however many templates ask."""
    if hasattr(request, "_current_workspace"):
        return request._current_workspace
    user = request.user
    memberships = list(
        Membership.objects.filter(user_id=user.pk).select_related("workspace").order_by("workspace__name")
    )
    wanted = request.session.get(SESSION_KEY)
    chosen = next(
        (m for m in memberships if m.workspace_id == wanted), memberships[0] if memberships else None
    )
    workspace = None
    if chosen is not None:
        workspace = chosen.workspace
        workspace.role = chosen.role
        workspace.all_of_user = [m.workspace for m in memberships]
    request._current_workspace = workspace
    return workspace


def members_of(workspace):
    return Membership.objects.filter(workspace=workspace).select_related("user").order_by("user__username")
