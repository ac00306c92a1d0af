"""Writes about people and workspaces: one function per use case, transactional."""

import unicodedata

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from . import hooks
from .models import Invitation, Membership, Role, Team, User, Workspace

NOT_MEMBERS = "Choose people who are members of this workspace."


class InvitationForSomeoneElse(PermissionDenied):
    """The signed-in person's email address is not the one the invitation was sent to."""


def email_key(email: str | None) -> str:
    """An email address as compared for invitations: Unicode-normalized (NFKC), trimmed, case-folded."""
    return unicodedata.normalize("NFKC", email or "").strip().casefold()


@transaction.atomic
def workspace_create(*, name: str, by: User) -> Workspace:
    """Create a workspace with its creator as admin."""
    base = slugify(name)[:50] or "workspace"
    slug, n = base, 1
    while Workspace.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    workspace = Workspace(name=name.strip(), slug=slug)
    workspace.full_clean()
    workspace.save()
    membership_set(workspace=workspace, user=by, role=Role.ADMIN)
    return workspace


@transaction.atomic
def membership_set(*, workspace: Workspace, user: User, role: str) -> Membership:
    """Add a member or change their role."""
    if role not in Role.values:
        raise ValidationError({"role": f"Role must be one of {', '.join(Role.values)}."})
    current = Membership.objects.select_for_update().filter(workspace=workspace, user=user).first()
    if (
        current is not None
        and current.role == Role.ADMIN
        and role != Role.ADMIN
        and not workspace.memberships.filter(role=Role.ADMIN).exclude(user=user).exists()
    ):
        raise ValidationError({"role": "A workspace needs at least one admin."})
    membership, _ = Membership.objects.update_or_create(
        workspace=workspace, user=user, defaults={"role": role}
    )
    return membership


@transaction.atomic
def membership_remove(*, workspace: Workspace, user: User) -> None:
    """Remove a member; the last admin cannot leave (a workspace always has one)."""
    membership = Membership.objects.select_for_update().filter(workspace=workspace, user=user).first()
    if membership is None:
        return
    if membership.role == Role.ADMIN and workspace.memberships.filter(role=Role.ADMIN).count() == 1:
        raise ValidationError({"user": "A workspace needs at least one admin."})
    if workspace.journeys.filter(owner=user).exists():
        raise ValidationError({"user": "This person owns journeys: hand them to another owner first."})
    membership.delete()
    for team in workspace.teams.filter(members=user).select_related("group"):
        team.members.remove(user)
        team.group.user_set.remove(user)
    # Apps above accounts drop what the person held here (journey grants...), in this transaction.
    hooks.member_removed(workspace=workspace, user=user)


@transaction.atomic
def team_create(*, workspace: Workspace, name: str, members=()) -> Team:
    """Create a team; its auth group carries per-journey grants."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "A team needs a name."})
    if workspace.teams.filter(name__iexact=name).exists():
        raise ValidationError({"name": f"There is already a team called “{name}”."})
    group = Group.objects.create(name=f"team:{workspace.pk}:{name}"[:150])
    team = Team(workspace=workspace, name=name, group=group)
    team.full_clean()
    team.save()
    team_set_members(team=team, members=members)
    return team


@transaction.atomic
def team_set_members(*, team: Team, members) -> Team:
    """Replace a team's members; everyone must be a member of the team's workspace."""
    members = list(members)
    member_ids = set(
        Membership.objects.filter(workspace=team.workspace, user__in=members).values_list(
            "user_id", flat=True
        )
    )
    # Never name (or confirm) people outside the workspace: the same message as for an unknown id.
    if any(u.pk not in member_ids for u in members):
        raise ValidationError({"members": NOT_MEMBERS})
    team.members.set(members)
    team.group.user_set.set(members)
    return team


@transaction.atomic
def invitation_create(
    *, workspace: Workspace, email: str, role: str, by: User, invite_url_base: str = ""
) -> Invitation:
    """Invite a person by email; they receive a token link. Re-inviting refreshes the open invitation."""
    email = unicodedata.normalize("NFKC", email or "").strip().lower()
    if role not in Role.values:
        raise ValidationError({"role": f"Role must be one of {', '.join(Role.values)}."})
    if Membership.objects.filter(workspace=workspace, user__email__iexact=email).exists():
        raise ValidationError({"email": f"{email} is already a member of this workspace."})
    Invitation.objects.filter(workspace=workspace, email__iexact=email, accepted_at__isnull=True).delete()
    invitation = Invitation(workspace=workspace, email=email, role=role, invited_by=by)
    invitation.full_clean()
    invitation.save()
    link = invite_url_base.rstrip("/") + reverse("accounts:invitation_accept", args=[invitation.token])
    transaction.on_commit(
        lambda: send_mail(
            subject=f"{by} invited you to {workspace.name} on Throughline",
            message=(
                f"{by} invited you to join the workspace “{workspace.name}” on Throughline as {role}.\n\n"
                f"Accept the invitation: {link}\n\nThe link is valid until "
                f"{invitation.expires_at:%Y-%m-%d}."
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[email],
        )
    )
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Membership:
    """Join the workspace of an open invitation sent to the user's own email address.

    The token alone proves nothing about who holds it (links get forwarded, pasted, logged): only the person
    whose account has the invited address may accept; anyone else is refused and nothing changes."""
    invitation = Invitation.objects.select_for_update().filter(token=token).first()
    if invitation is None or not invitation.is_open:
        raise PermissionDenied("This invitation link is not valid any more.")
    if not invitation_is_for(invitation, user):
        raise InvitationForSomeoneElse(
            f"This invitation was sent to {invitation.email}, not to the address of the account you are "
            "signed in with. Sign out, then open the link again and sign in (or create the account) "
            f"with {invitation.email}."
        )
    membership = Membership.objects.filter(workspace=invitation.workspace, user=user).first()
    if membership is None:
        membership = membership_set(workspace=invitation.workspace, user=user, role=invitation.role)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


def invitation_is_for(invitation: Invitation, user: User) -> bool:
    """Whether the user's account has the address the invitation was sent to."""
    return bool(user.email) and email_key(user.email) == email_key(invitation.email)


@transaction.atomic
def invitation_revoke(*, invitation: Invitation) -> None:
    """Withdraw an open invitation: its link stops working."""
    if invitation.accepted_at is None:
        invitation.delete()


@transaction.atomic
def invitation_signup(
    *, token: str, username: str, password: str, first_name: str = "", last_name: str = ""
) -> User:
    """Create an account for the invited email address and join the invitation's workspace."""
    invitation = Invitation.objects.select_for_update().filter(token=token).first()
    if invitation is None or not invitation.is_open:
        raise PermissionDenied("This invitation link is not valid any more.")
    username = (username or "").strip()
    user = User(
        username=username,
        email=invitation.email,
        first_name=(first_name or "").strip(),
        last_name=(last_name or "").strip(),
    )
    errors = {}
    if User.objects.filter(email__iexact=invitation.email.strip()).exists():
        # One account per address: the invitee signs in with the account they have and accepts.
        raise ValidationError(
            f"There is already an account for {invitation.email}: sign in with it to accept the invitation."
        )
    if User.objects.filter(username__iexact=username).exists():
        errors["username"] = ["This username is taken."]
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(m for m in messages if m not in errors.get(name, []))
    try:
        validate_password(password, user)
    except ValidationError as exc:
        errors["password"] = exc.messages
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    user.save()
    invitation_accept(token=token, user=user)
    return user
