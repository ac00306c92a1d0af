"""Who may do what with research. Builds on accounts/access.py (workspace membership and roles) and
journeys/access.py (who sees and edits a journey); never talks to django-guardian itself.

- Studies, evidence and tags belong to a workspace: its members read them, admins and editors write
  them, viewers only read; outsiders get 404, viewers 403 on writes.
- A link from evidence to a card, step or stage is part of that journey: it is shown and counted only to
  people who can see the journey (`visible_links`), and making or removing one needs edit on the journey
  (checked by research.services under the journey's lock, journeys.services.changes.lock_journey).
"""

from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import Http404

from accounts import access as workspace_access
from accounts.models import Membership, Role
from core.text import parse_id
from journeys.models import Journey

from .models import Evidence, EvidenceLink, Study, Tag

READ, WRITE, ADMIN = "read", "write", "admin"
WRITE_MESSAGE = "Viewers can read research but not change it."


def can_write(role: str | None) -> bool:
    """Whether a workspace role may create, change and delete studies, evidence and tags."""
    return role in (Role.ADMIN, Role.EDITOR)


def _check(role: str | None, need: str, missing: str) -> None:
    if role is None:
        raise Http404(missing)
    if need == WRITE and not can_write(role):
        raise PermissionDenied(WRITE_MESSAGE)
    if need == ADMIN and role != Role.ADMIN:
        raise PermissionDenied("Only workspace admins can change research settings.")


def workspace_for(user, pk, *, need: str = READ):
    """The workspace with `.role` set; 404 for outsiders, 403 when `need` is WRITE and the member is a
    viewer (ADMIN: only admins). One query."""
    workspace = workspace_access.workspace_for(user, pk)
    _check(workspace.role, need, "No such workspace.")
    return workspace


def _with_role(queryset, user):
    role = Membership.objects.filter(workspace_id=OuterRef("workspace_id"), user_id=user.pk).values("role")
    return queryset.annotate(access_role=Subquery(role[:1]))


def _object_for(model, user, pk, need: str, queryset, what: str):
    missing = f"No such {what}."
    if not user.is_authenticated:
        raise Http404(missing)
    if isinstance(pk, str):
        pk = parse_id(pk)
    if pk is None:
        raise Http404(missing)
    qs = queryset if queryset is not None else model.objects.all()
    obj = _with_role(qs, user).filter(pk=pk).first()
    if obj is None:
        raise Http404(missing)
    _check(obj.access_role, need, missing)
    obj.role = obj.access_role
    return obj


def study_for(user, pk, *, need: str = READ, queryset=None) -> Study:
    """The study with `.role` set (the reader's role in its workspace): 404 for outsiders, 403 for a viewer
    when `need` is WRITE. One query (also under SELECT … FOR UPDATE when `queryset` locks)."""
    return _object_for(Study, user, pk, need, queryset, "study")


def evidence_for(user, pk, *, need: str = READ, queryset=None) -> Evidence:
    """The evidence item with `.role` set: 404 for outsiders, 403 for a viewer when `need` is WRITE."""
    return _object_for(Evidence, user, pk, need, queryset, "evidence")


def tag_for(user, pk, *, need: str = READ, queryset=None) -> Tag:
    """The tag with `.role` set: 404 for outsiders, 403 for a viewer when `need` is WRITE."""
    return _object_for(Tag, user, pk, need, queryset, "tag")


def member_workspace_ids(user):
    """The ids of the user's workspaces, as a subquery."""
    return Membership.objects.filter(user_id=user.pk).values("workspace_id")


def visible_journeys(user):
    """Journeys the user may see (journeys' rule, in SQL), for filtering links."""
    return Journey.objects.visible_to(user)


def visible_links(user, queryset=None):
    """Links the user may see: those on journeys they can see (so on evidence of their workspaces)."""
    qs = queryset if queryset is not None else EvidenceLink.objects.all()
    if not user.is_authenticated:
        return qs.none()
    return qs.filter(journey_id__in=visible_journeys(user).values("pk"))


def link_for(user, pk, *, queryset=None) -> EvidenceLink:
    """A link the user can see (404 otherwise: the link's journey is hidden from them, or its workspace).
    Changing it needs edit on the journey, which the services check under the journey's lock."""
    if not user.is_authenticated:
        raise Http404("No such link.")
    link = visible_links(user, queryset).filter(pk=pk).first()
    if link is None:
        raise Http404("No such link.")
    return link
