"""Undo of research deletions on the pages: the notice with "Undo" shown once on the page a delete lands
on, the "Recently deleted" list of the library and study pages, and "Put back" (research/services/trash.py).

A delete remembers its trash item in the session (`remember_deleted`); the landing page shows the notice
when that item is among the recently deleted it lists anyway, so the notice costs no query of its own."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from .. import access, services
from ..models import ResearchTrash

SESSION_KEY = "research_undo"


def remember_deleted(request, item: ResearchTrash) -> None:
    """After a delete: the next research page shows an "Undo" notice for `item`."""
    request.session[SESSION_KEY] = item.pk


def trash_context(request, workspace) -> dict:
    """The workspace's recently deleted research (one query) and, once, the notice offering to undo the
    delete that led here."""
    items = list(services.research_trash_recent(workspace_id=workspace.pk))
    wanted = request.session.pop(SESSION_KEY, None)
    undo = next((item for item in items if item.pk == wanted), None)
    return {
        "trash": items,
        "undo": undo,
        "can_write": access.can_write(workspace.role),
        "trash_days": settings.TRASH_RETENTION_DAYS,
    }


@login_required
@require_POST
def trash_restore(request, pk):
    """Put deleted evidence or a study back (editors and admins): to its page with what came back, or back to
    the list with why it cannot."""
    item = ResearchTrash.objects.filter(pk=pk).values_list("workspace_id", "kind").first()
    if item is None:
        raise Http404("No such deleted item.")
    workspace_id, kind = item
    access.workspace_for(request.user, workspace_id, need=access.WRITE)
    back = "research:studies" if kind == ResearchTrash.Kind.STUDY else "research:evidence"
    try:
        restored = services.research_trash_restore(item_id=pk, by=request.user)
    except (ValidationError, PermissionDenied) as exc:
        for line in exc.messages if isinstance(exc, ValidationError) else [str(exc)]:
            messages.error(request, line)
        return redirect(back)
    title = restored.item.title
    lines = [f"Put back “{title}”" + _with(restored) + "."] + restored.left_out
    for line in lines:
        messages.success(request, line)
    if restored.study is not None:
        return redirect("research:study", pk=restored.study.pk)
    return redirect("research:evidence_detail", pk=restored.evidence_ids[0])


def _with(restored) -> str:
    parts = []
    if restored.study is not None:
        count = len(restored.evidence_ids)
        parts.append(f"{count} evidence item{'s' if count != 1 else ''}")
    if restored.links:
        parts.append(f"{restored.links} link{'s' if restored.links != 1 else ''} to the map")
    return f" with {' and '.join(parts)}" if parts else ""
