"""Workspace administration pages: members and roles, invitations, teams (admins only)."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts import services
from accounts.models import Invitation, Membership, Role, Team
from tests import factories
from tests.checks import assert_refused

ADMIN_PAGE = {"anonymous": 302, "outsider": 404, "viewer": 403, "editor": 403, "manager": 403, "admin": 200}
PERSONAS = list(ADMIN_PAGE)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", ["accounts:members", "accounts:teams"])
def test_admin_pages_by_persona(client, persona_user, workspace, journey, persona, name):
    user = persona_user(persona)
    if user:
        client.force_login(user)
    response = client.get(reverse(name, args=[workspace.pk]))
    assert response.status_code == ADMIN_PAGE[persona]
    if persona == "anonymous":
        assert response["Location"].startswith(reverse("accounts:login"))


def test_members_nav_link_only_for_admins(client, admin, editor, workspace):
    url = reverse("accounts:members", args=[workspace.pk])
    client.force_login(editor)
    assert url not in client.get(reverse("journeys:list")).content.decode()
    client.force_login(admin)
    assert url in client.get(reverse("journeys:list")).content.decode()


def test_members_page_lists_members_roles_and_open_invitations(client, admin, editor, viewer, workspace):
    services.invitation_create(workspace=workspace, email="dora@example.com", role=Role.EDITOR, by=admin)
    client.force_login(admin)
    body = client.get(reverse("accounts:members", args=[workspace.pk])).content.decode()
    assert "Alice Admin" in body and "Bob" in body and "Charlie" in body
    assert re.search(
        rf'id="role-{editor.pk}" name="role"[^>]*>.*?<option value="editor" selected>', body, re.S
    )
    assert "dora@example.com" in body and "Withdraw" in body


# --- roles, removal


def test_admin_changes_a_role(client, admin, viewer, workspace):
    client.force_login(admin)
    response = client.post(
        reverse("accounts:member_role", args=[workspace.pk, viewer.pk]), {"role": "editor"}
    )
    assert response["Location"] == reverse("accounts:members", args=[workspace.pk])
    assert Membership.objects.get(workspace=workspace, user=viewer).role == Role.EDITOR


@pytest.mark.parametrize("persona", ["editor", "viewer", "manager"])
def test_non_admins_cannot_change_roles(client, persona_user, viewer, workspace, journey, persona):
    client.force_login(persona_user(persona))
    response = client.post(reverse("accounts:member_role", args=[workspace.pk, viewer.pk]), {"role": "admin"})
    assert response.status_code == 403
    assert Membership.objects.get(workspace=workspace, user=viewer).role == Role.VIEWER


def test_the_last_admin_cannot_be_demoted(client, admin, workspace):
    client.force_login(admin)
    response = client.post(
        reverse("accounts:member_role", args=[workspace.pk, admin.pk]), {"role": "viewer"}, follow=True
    )
    assert response.redirect_chain == [(reverse("accounts:members", args=[workspace.pk]), 302)]
    assert_refused(response, 200, contains="A workspace needs at least one admin.")
    assert Membership.objects.get(workspace=workspace, user=admin).role == Role.ADMIN


def test_bad_role_changes_nothing(client, admin, viewer, workspace):
    client.force_login(admin)
    response = client.post(
        reverse("accounts:member_role", args=[workspace.pk, viewer.pk]), {"role": "owner"}, follow=True
    )
    assert response.redirect_chain == [(reverse("accounts:members", args=[workspace.pk]), 302)]
    assert_refused(response, 200, contains="Choose admin, editor or viewer.")
    assert Membership.objects.get(workspace=workspace, user=viewer).role == Role.VIEWER


def test_admin_removes_a_member(client, admin, viewer, workspace):
    client.force_login(admin)
    client.post(reverse("accounts:member_remove", args=[workspace.pk, viewer.pk]))
    assert not Membership.objects.filter(workspace=workspace, user=viewer).exists()


def test_a_journey_owner_cannot_be_removed(client, admin, editor, workspace):
    factories.make_journey(workspace, by=admin, title="Bob's", owner=editor)
    client.force_login(admin)
    response = client.post(reverse("accounts:member_remove", args=[workspace.pk, editor.pk]), follow=True)
    assert response.redirect_chain == [(reverse("accounts:members", args=[workspace.pk]), 302)]
    assert_refused(response, 200, contains="This person owns journeys: hand them to another owner first.")
    assert Membership.objects.filter(workspace=workspace, user=editor).exists()


def test_removing_someone_of_another_workspace_is_404(client, admin, outsider, workspace):
    client.force_login(admin)
    assert client.post(reverse("accounts:member_remove", args=[workspace.pk, outsider.pk])).status_code == 404
    assert Membership.objects.filter(user=outsider).exists()


# --- invitations


def test_admin_invites_by_email_with_an_absolute_link(
    client, admin, workspace, django_capture_on_commit_callbacks
):
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:invitation_create", args=[workspace.pk]),
            {"email": "Dora@Example.com", "role": "editor"},
        )
    assert response["Location"] == reverse("accounts:members", args=[workspace.pk])
    invitation = Invitation.objects.get(workspace=workspace)
    assert (
        invitation.email == "dora@example.com"
        and invitation.role == Role.EDITOR
        and invitation.invited_by == admin
    )
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["dora@example.com"]
    link = "http://testserver" + reverse("accounts:invitation_accept", args=[invitation.token])
    assert link in mail.outbox[0].body


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "not-an-email", "role": "editor"}, "email", "Enter a valid email address."),
        ({"email": "", "role": "editor"}, "email", "This field is required."),
        ({"email": "bob@example.com", "role": "editor"}, "email", "already a member"),
        ({"email": "dora@example.com", "role": "owner"}, "role", "Select a valid choice"),
    ],
)
def test_bad_invitation_shows_the_field_error_and_sends_nothing(
    client, admin, editor, workspace, data, field, message, django_capture_on_commit_callbacks
):
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:invitation_create", args=[workspace.pk]), data)
    assert response.status_code == 200
    assert field in response.context["invite_form"].errors
    assert message in response.content.decode()
    assert not Invitation.objects.exists() and mail.outbox == []


def test_editor_cannot_invite(client, editor, workspace):
    client.force_login(editor)
    response = client.post(
        reverse("accounts:invitation_create", args=[workspace.pk]),
        {"email": "x@example.com", "role": "admin"},
    )
    assert response.status_code == 403 and not Invitation.objects.exists()


def test_admin_withdraws_an_invitation(client, admin, workspace):
    invitation = services.invitation_create(
        workspace=workspace, email="dora@example.com", role=Role.VIEWER, by=admin
    )
    client.force_login(admin)
    client.post(reverse("accounts:invitation_revoke", args=[workspace.pk, invitation.pk]))
    assert not Invitation.objects.filter(pk=invitation.pk).exists()
    response = client.get(reverse("accounts:invitation_accept", args=[invitation.token]))
    assert response.status_code == 404


def test_invitation_of_another_workspace_cannot_be_withdrawn_here(client, admin, outsider, workspace):
    theirs = outsider.memberships.get().workspace
    invitation = services.invitation_create(
        workspace=theirs, email="z@example.com", role=Role.VIEWER, by=outsider
    )
    client.force_login(admin)
    assert (
        client.post(reverse("accounts:invitation_revoke", args=[workspace.pk, invitation.pk])).status_code
        == 404
    )
    assert Invitation.objects.filter(pk=invitation.pk).exists()


# --- teams


def test_admin_creates_a_team_with_members(client, admin, editor, viewer, workspace):
    client.force_login(admin)
    response = client.post(
        reverse("accounts:teams", args=[workspace.pk]),
        {"name": "Research guild", "members": [editor.pk, viewer.pk]},
    )
    assert response["Location"] == reverse("accounts:teams", args=[workspace.pk])
    team = Team.objects.get(workspace=workspace, name="Research guild")
    assert set(team.members.all()) == {editor, viewer} and set(team.group.user_set.all()) == {editor, viewer}
    body = client.get(response["Location"]).content.decode()
    assert "Research guild" in body and "2 members" in body


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "Existing"}, "name"),
        ({"name": "New", "members": ["{outsider}"]}, "members"),
    ],
)
def test_bad_team_shows_the_field_error_and_creates_nothing(client, admin, outsider, workspace, data, field):
    services.team_create(workspace=workspace, name="Existing")
    client.force_login(admin)
    data = {
        k: [v.format(outsider=outsider.pk) for v in val] if isinstance(val, list) else val
        for k, val in data.items()
    }
    response = client.post(reverse("accounts:teams", args=[workspace.pk]), data)
    assert response.status_code == 200 and field in response.context["form"].errors
    assert Team.objects.filter(workspace=workspace).count() == 1


def test_admin_sets_team_members(client, admin, editor, viewer, workspace):
    team = services.team_create(workspace=workspace, name="Squad", members=[editor])
    client.force_login(admin)
    client.post(reverse("accounts:team_members", args=[workspace.pk, team.pk]), {"members": [viewer.pk]})
    assert list(team.members.all()) == [viewer]


def test_team_members_refuses_outsiders(client, admin, editor, outsider, workspace):
    team = services.team_create(workspace=workspace, name="Squad", members=[editor])
    client.force_login(admin)
    response = client.post(
        reverse("accounts:team_members", args=[workspace.pk, team.pk]), {"members": [outsider.pk]}
    )
    body = response.content.decode()
    assert response.status_code == 200 and "Choose people who are members of this workspace." in body
    assert "Mallory" not in body
    assert list(team.members.all()) == [editor]


def test_editor_cannot_change_teams(client, editor, viewer, workspace):
    team = services.team_create(workspace=workspace, name="Squad")
    client.force_login(editor)
    assert client.post(reverse("accounts:teams", args=[workspace.pk]), {"name": "Mine"}).status_code == 403
    assert (
        client.post(
            reverse("accounts:team_members", args=[workspace.pk, team.pk]), {"members": [viewer.pk]}
        ).status_code
        == 403
    )
    assert list(Team.objects.values_list("name", flat=True)) == ["Squad"] and not team.members.exists()


# --- query counts

# Members page: 1 session · 2 user · 3 the admin's membership (+ workspace) · 4 memberships for the top bar ·
# 5 members with the count of journeys they own · 6 their teams in this workspace · 7 open invitations.
MEMBERS_QUERIES = 7
# Teams page: 1 session · 2 user · 3 the admin's membership · 4 memberships for the top bar · 5 teams ·
# 6 their members · 7 the workspace's members (the checkboxes).
TEAMS_QUERIES = 7


def test_admin_pages_query_counts_do_not_grow(client, admin, workspace, django_assert_num_queries):
    services.team_create(
        workspace=workspace, name="First team", members=[admin]
    )  # prefetches run from now on
    client.force_login(admin)
    for round_ in range(2):
        with django_assert_num_queries(MEMBERS_QUERIES):
            assert client.get(reverse("accounts:members", args=[workspace.pk])).status_code == 200
        with django_assert_num_queries(TEAMS_QUERIES):
            assert client.get(reverse("accounts:teams", args=[workspace.pk])).status_code == 200
        people = [factories.add_member(workspace, factories.make_user(f"p{round_}-{i}")) for i in range(15)]
        for i in range(5):
            services.team_create(workspace=workspace, name=f"Team {round_}-{i}", members=people[i::5])
            services.invitation_create(
                workspace=workspace, email=f"new{round_}{i}@example.com", role=Role.VIEWER, by=admin
            )
            factories.make_journey(workspace, by=admin, title=f"J {round_}-{i}", owner=people[i])
    body = client.get(reverse("accounts:members", args=[workspace.pk])).content.decode()
    assert body.count('id="role-') == 31 and "owns 1 journey" in body
