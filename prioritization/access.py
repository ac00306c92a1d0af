"""Who may do what with prioritization. Builds on accounts/access.py (workspace membership and roles) and
journeys/access.py (who sees and edits a journey); never talks to django-guardian itself.

- The scoring model belongs to the workspace: members read it, only admins change it (a new version).
- A card's score is part of the card's journey: people who see the journey read it and its history; people
  with edit on the journey score it (`card_for(..., need=EDIT)`).
- Initiatives belong to the workspace: members read them, admins and editors create and change them,
  viewers only read. The cards an initiative addresses are shown and counted only where the reader can
  see the card's journey (`visible_cards`): an initiative never reveals a restricted journey.
- Integrations (Jira, Asana) and outbound webhooks hold secrets: only admins see and change them.
Outsiders get 404 everywhere, members without the right 403.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import Http404

from accounts import access as workspace_access
from accounts.models import Membership, Role
from core.text import parse_id
from journeys import access as journey_access
from journeys.access import EDIT, MANAGE, VIEW
from journeys.models import Card

from .models import Initiative, Integration, Webhook

READ, WRITE, ADMIN = "read", "write", "admin"
WRITE_MESSAGE = "Viewers can read initiatives but not change them."
ADMIN_MESSAGE = "Only workspace admins can do this."

__all__ = [
    "ADMIN",
    "EDIT",
    "MANAGE",
    "READ",
    "VIEW",
    "WRITE",
    "can_write",
    "card_for",
    "initiative_for",
    "integration_for",
    "journey_for",
    "visible_cards",
    "visible_journey_ids",
    "visible_journeys",
    "webhook_for",
    "workspace_for",
]


def can_write(role: str | None) -> bool:
    """Whether a workspace role may create and change initiatives (admins and editors)."""
    return role in (Role.ADMIN, Role.EDITOR)


def _check(role: str | None, need: str, missing: str) -> None:
    if role is None:
        raise Http404(missing)
    if need == WRITE and not can_write(role):
        raise PermissionDenied(WRITE_MESSAGE)
    if need == ADMIN and role != Role.ADMIN:
        raise PermissionDenied(ADMIN_MESSAGE)


def workspace_for(user, pk, *, need: str = READ):
    """The workspace with `.role` set: 404 for outsiders, 403 when `need` is WRITE and the member is a
    viewer, or ADMIN and the member is not an admin. One query."""
    workspace = workspace_access.workspace_for(user, pk)
    _check(workspace.role, need, "No such workspace.")
    return workspace


def _object_for(model, user, pk, need: str, queryset, what: str):
    missing = f"No such {what}."
    if not user.is_authenticated:
        raise Http404(missing)
    if isinstance(pk, str):
        pk = parse_id(pk)
    if pk is None:
        raise Http404(missing)
    qs = queryset if queryset is not None else model.objects.all()
    role = Membership.objects.filter(workspace_id=OuterRef("workspace_id"), user_id=user.pk).values("role")
    obj = qs.annotate(access_role=Subquery(role[:1])).filter(pk=pk).first()
    if obj is None:
        raise Http404(missing)
    _check(obj.access_role, need, missing)
    obj.role = obj.access_role
    return obj


def initiative_for(user, pk, *, need: str = READ, queryset=None) -> Initiative:
    """The initiative with `.role` set (the reader's role in its workspace): 404 for outsiders, 403 for a
    viewer when `need` is WRITE. One query (also under SELECT … FOR UPDATE when `queryset` locks)."""
    return _object_for(Initiative, user, pk, need, queryset, "initiative")


def integration_for(user, pk, *, queryset=None) -> Integration:
    """The integration, for admins of its workspace only: 404 for outsiders, 403 for other members."""
    return _object_for(Integration, user, pk, ADMIN, queryset, "integration")


def webhook_for(user, pk, *, queryset=None) -> Webhook:
    """The outbound webhook, for admins of its workspace only: 404 for outsiders, 403 for other members."""
    return _object_for(Webhook, user, pk, ADMIN, queryset, "webhook")


def journey_for(user, pk, *, need: str = VIEW, queryset=None):
    """The journey with `.access_level` and `.role` set: 404 when the user cannot see it, 403 below `need`
    (journeys.access.journey_for). One query."""
    return journey_access.journey_for(user, pk, need=need, queryset=queryset)


def card_for(user, pk, *, need: str = VIEW) -> Card:
    """The card, its `journey` read with the access check (`.access_level`, `.role` set on it): 404 when
    there is no such card or the user cannot see its journey, 403 when they see it but lack `need`.
    Two queries."""
    card_id = parse_id(pk) if isinstance(pk, str) else pk
    if card_id is None or not user.is_authenticated:
        raise Http404("No such card.")
    journey_id = Subquery(Card.objects.filter(pk=card_id).values("journey_id")[:1])
    journey = journey_access.journey_for(user, journey_id, need=need, what="card")
    card = Card.objects.select_related("lane", "step__stage").filter(pk=card_id).first()
    if card is None:  # deleted between the two reads
        raise Http404("No such card.")
    card.journey = journey
    return card


def visible_journeys(user, queryset=None):
    """Journeys the user may see (journeys' rule, in SQL)."""
    return journey_access.visible_journeys(user, queryset)


def visible_cards(user, queryset=None):
    """Cards the user may see: those of journeys they can see (one subquery)."""
    qs = queryset if queryset is not None else Card.objects.all()
    if not user.is_authenticated:
        return qs.none()
    return qs.filter(journey_id__in=journey_access.visible_journeys(user).values("pk"))


def visible_journey_ids(user, ids) -> list[int]:
    """Which of these journey ids the user can see (one query; none for no ids)."""
    return journey_access.visible_journey_ids(user, ids)
