"""Reads about people and workspaces that pages and the API share."""

from core.queries import CompiledRows

from .models import Membership, Workspace

SESSION_KEY = "workspace_id"


# The workspaces of a person with their role, in name order: read on every page (the top bar's switcher),
# so its SQL is written by the ORM once (core.queries).
_WORKSPACE_COLUMNS = tuple(f"workspace__{f.name}" for f in Workspace._meta.concrete_fields)
_MEMBERSHIPS = CompiledRows(
    lambda user_id: (
        Membership.objects.filter(user_id=user_id)
        .order_by("workspace__name")
        .values_list("role", *_WORKSPACE_COLUMNS)
    )
)


def current_workspace(request):
    """The workspace the person is working in (chosen in the session, else their first), with `.role`.

    Cached on the request: one query per request, however many templates ask."""
    if hasattr(request, "_current_workspace"):
        return request._current_workspace
    user_id = request.user.pk
    db, rows = Workspace.objects.db, _MEMBERSHIPS(user_id=user_id) if user_id is not None else []
    memberships = [(role, Workspace.from_db(db, None, columns)) for role, *columns in rows]
    wanted = request.session.get(SESSION_KEY)
    chosen = next((m for m in memberships if m[1].pk == wanted), memberships[0] if memberships else None)
    workspace = None
    if chosen is not None:
        role, workspace = chosen
        workspace.role = role
        workspace.all_of_user = [w for _, w in memberships]
    request._current_workspace = workspace
    return workspace


def members_of(workspace):
    return Membership.objects.filter(workspace=workspace).select_related("user").order_by("user__username")
