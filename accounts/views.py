"""Account pages: sign-in, passwords, workspaces, members, teams and invitations. Thin: parse, check
access (accounts.access), call a service, respond."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from . import access, selectors, services, tasks, throttling
from .forms import (
    InvitationForm,
    MemberRoleForm,
    SignupForm,
    TeamForm,
    TeamMembersForm,
    WorkspaceForm,
    add_service_errors,
)
from .models import Invitation, Membership, Role, Team, User


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def follow_workspace(request, workspace_id: int, role: str) -> None:
    """Opening a page of another of the person's workspaces makes it the current one (no extra query: the
    memberships are the ones the top bar reads anyway)."""
    current = selectors.current_workspace(request)
    if current is None or current.pk == workspace_id:
        return
    for workspace in current.all_of_user:
        if workspace.pk == workspace_id:
            workspace.role, workspace.all_of_user = role, current.all_of_user
            request._current_workspace = workspace
            request.session[selectors.SESSION_KEY] = workspace.pk
            return


# ---------------------------------------------------------------------------------------------- passwords


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link. Every valid request gets the same answer in the same time: the lookup and the
    email happen in a Celery task. Throttled per client address (429) and per email address (silently:
    the answer stays the same, so it tells nothing about the address)."""

    template_name = "accounts/password_reset_form.html"
    success_url = reverse_lazy("accounts:password_reset_done")

    def post(self, request, *args, **kwargs):
        if not throttling.password_reset_client_allowed(request):
            return throttling.password_reset_too_often(request)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        if throttling.password_reset_email_allowed(services.email_key(email)):
            domain, use_https = self.request.get_host(), self.request.is_secure()
            transaction.on_commit(lambda: tasks.password_reset_email.delay(email, domain, use_https))
        return HttpResponseRedirect(self.get_success_url())


# ---------------------------------------------------------------------------------------------- workspaces


@login_required
@require_POST
def workspace_switch(request, pk):
    """Make another of the person's workspaces the current one (404 when they are not a member)."""
    workspace = access.workspace_for(request.user, pk)
    request.session[selectors.SESSION_KEY] = workspace.pk
    messages.success(request, f"Switched to {workspace.name}.")
    return redirect(_safe_next(request, reverse("journeys:list")))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def workspace_create(request):
    """Create a workspace; its creator becomes its admin and works in it from now on."""
    form = WorkspaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            workspace = services.workspace_create(name=form.cleaned_data["name"], by=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            request.session[selectors.SESSION_KEY] = workspace.pk
            messages.success(request, f"Workspace {workspace.name} is ready. Invite your team from Members.")
            return redirect("journeys:list")
    return render(request, "accounts/workspace_create.html", {"form": form})


# ---------------------------------------------------------------------------------------------- members


def _members_page(request, workspace, invite_form=None, status=200):
    members = (
        selectors.members_of(workspace)
        .annotate(
            owned_journeys=Count("user__owned_journeys", filter=Q(user__owned_journeys__workspace=workspace))
        )
        .prefetch_related(
            Prefetch(
                "user__teams", queryset=Team.objects.filter(workspace=workspace), to_attr="workspace_teams"
            )
        )
    )
    members = list(members)
    invitations = (
        Invitation.objects.filter(
            workspace=workspace, accepted_at__isnull=True, expires_at__gt=timezone.now()
        )
        .select_related("invited_by")
        .order_by("-created_at")
    )
    admin_count = sum(1 for m in members if m.role == Role.ADMIN)
    return render(
        request,
        "accounts/workspace_members.html",
        {
            "workspace": workspace,
            "members": members,
            "admin_count": admin_count,
            "invitations": invitations,
            "invite_form": invite_form or InvitationForm(),
            "roles": Role.choices,
            "section": "members",
        },
        status=status,
    )


@login_required
@require_safe
def members(request, pk):
    """Members of a workspace with their roles, open invitations and the invite form (admins only)."""
    workspace = access.workspace_for(request.user, pk, need=Role.ADMIN)
    follow_workspace(request, workspace.pk, workspace.role)
    return _members_page(request, workspace)


@login_required
@require_POST
def member_role(request, pk, user_id):
    """Change a member's role."""
    workspace = access.workspace_for(request.user, pk, need=Role.ADMIN)
    membership = get_object_or_404(
        Membership.objects.select_related("user"), workspace=workspace, user_id=user_id
    )
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose admin, editor or viewer.")
        return redirect("accounts:members", pk=workspace.pk)
    try:
        services.membership_set(workspace=workspace, user=membership.user, role=form.cleaned_data["role"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, f"{membership.user.display_name} is now {Role(form.cleaned_data['role']).label.lower()}."
        )
    return redirect("accounts:members", pk=workspace.pk)


@login_required
@require_POST
def member_remove(request, pk, user_id):
    """Remove a member from the workspace."""
    workspace = access.workspace_for(request.user, pk, need=Role.ADMIN)
    membership = get_object_or_404(
        Membership.objects.select_related("user"), workspace=workspace, user_id=user_id
    )
    try:
        services.membership_remove(workspace=workspace, user=membership.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{membership.user.display_name} was removed from {workspace.name}.")
    return redirect("accounts:members", pk=workspace.pk)


@login_required
@require_POST
def invitation_create(request, pk):
    """Invite someone by email; the emailed link lets them join (signing up when they have no account)."""
    workspace = access.workspace_for(request.user, pk, need=Role.ADMIN)
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            invitation = services.invitation_create(
                workspace=workspace,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                by=request.user,
                invite_url_base=f"{request.scheme}://{request.get_host()}",
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("accounts:members", pk=workspace.pk)
    return _members_page(request, workspace, invite_form=form)


@login_required
@require_POST
def invitation_revoke(request, pk, invitation_id):
    """Withdraw an open invitation."""
    workspace = access.workspace_for(request.user, pk, need=Role.ADMIN)
    invitation = get_object_or_404(
        Invitation, pk=invitation_id, workspace=workspace, accepted_at__isnull=True
    )
    services.invitation_revoke(invitation=invitation)
    messages.success(request, f"The invitation to {invitation.email} was withdrawn.")
    return redirect("accounts:members", pk=workspace.pk)


# ---------------------------------------------------------------------------------------------- teams


def _teams_page(request, workspace, form=None, edit_forms=None, status=200):
    teams = list(
        Team.objects.filter(workspace=workspace)
        .prefetch_related(Prefetch("members", queryset=User.objects.order_by("first_name", "username")))
        .order_by("name")
    )
    member_users = [m.user for m in selectors.members_of(workspace)]
    edit_forms = edit_forms or {}
    form = form or TeamForm(workspace=workspace)
    # The checkboxes are drawn from member_users (already fetched), not by iterating the form field again.
    new_team_members = (
        {int(pk) for pk in form.data.getlist("members") if str(pk).isdigit()} if form.is_bound else set()
    )
    for team in teams:
        team.member_ids = {u.pk for u in team.members.all()}
        team.form_errors = edit_forms.get(team.pk)
    return render(
        request,
        "accounts/workspace_teams.html",
        {
            "workspace": workspace,
            "teams": teams,
            "member_users": member_users,
            "new_team_members": new_team_members,
            "form": form,
            "section": "teams",
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def teams(request, pk):
    """Teams of a workspace; admins create teams and choose their members."""
    workspace = access.workspace_for(request.user, pk, need=Role.ADMIN)
    follow_workspace(request, workspace.pk, workspace.role)
    form = None
    if request.method == "POST":
        form = TeamForm(request.POST, workspace=workspace)
        if form.is_valid():
            try:
                team = services.team_create(
                    workspace=workspace, name=form.cleaned_data["name"], members=form.cleaned_data["members"]
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Team {team.name} created.")
                return redirect("accounts:teams", pk=workspace.pk)
    return _teams_page(request, workspace, form=form)


@login_required
@require_POST
def team_members(request, pk, team_id):
    """Replace a team's members."""
    workspace = access.workspace_for(request.user, pk, need=Role.ADMIN)
    team = get_object_or_404(
        Team.objects.select_related("group", "workspace"), pk=team_id, workspace=workspace
    )
    form = TeamMembersForm(request.POST, workspace=workspace)
    if form.is_valid():
        try:
            services.team_set_members(team=team, members=form.cleaned_data["members"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Members of {team.name} saved.")
            return redirect("accounts:teams", pk=workspace.pk)
    return _teams_page(request, workspace, edit_forms={team.pk: form.errors})


# ---------------------------------------------------------------------------------------------- invitations


@require_http_methods(["GET", "HEAD", "POST"])
def invitation_accept(request, token):
    """Join a workspace from an invitation link: one click when signed in, else sign up right here."""
    invitation = Invitation.objects.select_related("workspace", "invited_by").filter(token=token).first()
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", {"reason": "unknown"}, status=404)
    if not invitation.is_open:
        reason = "used" if invitation.accepted_at else "expired"
        return render(request, "accounts/invitation_invalid.html", {"reason": reason}, status=410)

    user = request.user
    if user.is_authenticated and not services.invitation_is_for(invitation, user):
        # Only the invitee may accept: someone signed in with another address is told how to switch
        # accounts, and a POST changes nothing.
        return render(
            request,
            "accounts/invitation_accept.html",
            {"invitation": invitation, "wrong_person": True},
            status=403 if request.method == "POST" else 200,
        )
    already_member = (
        user.is_authenticated
        and Membership.objects.filter(workspace=invitation.workspace, user_id=user.pk).exists()
    )
    form = None if user.is_authenticated else SignupForm(request.POST or None)
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            if form is None:
                services.invitation_accept(token=token, user=user)
            else:
                user = services.invitation_signup(
                    token=token,
                    username=form.cleaned_data["username"],
                    password=form.cleaned_data["password"],
                    first_name=form.cleaned_data["first_name"],
                    last_name=form.cleaned_data["last_name"],
                )
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        except ValidationError as exc:
            if form is None:
                messages.error(request, " ".join(exc.messages))
            else:
                add_service_errors(form, exc)
        except services.InvitationForSomeoneElse:  # the account's address changed meanwhile
            return render(
                request,
                "accounts/invitation_accept.html",
                {"invitation": invitation, "wrong_person": True},
                status=403,
            )
        except PermissionDenied:
            return render(request, "accounts/invitation_invalid.html", {"reason": "expired"}, status=410)
        else:
            request.session[selectors.SESSION_KEY] = invitation.workspace_id
            messages.success(request, f"Welcome to {invitation.workspace.name}.")
            return redirect("journeys:list")
    return render(
        request,
        "accounts/invitation_accept.html",
        {"invitation": invitation, "form": form, "already_member": already_member},
    )
