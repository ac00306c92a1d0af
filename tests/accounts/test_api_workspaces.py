"""Workspaces, members, invitations and teams through the API."""

import pytest
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Invitation, Membership, Role, Team, User, Workspace
from tests import factories
from tests.checks import assert_refused

WORKSPACES = reverse("accounts-api:workspace-list")


@pytest.fixture
def api():
    client = APIClient()
    client.default_format = "json"
    return client


def members_url(workspace):
    return reverse("accounts-api:member-list", args=[workspace.pk])


def member_url(workspace, user):
    return reverse("accounts-api:member-detail", args=[workspace.pk, user.pk])


def teams_url(workspace):
    return reverse("accounts-api:team-list", args=[workspace.pk])


def test_list_my_workspaces_with_my_role(api, editor, workspace, outsider):
    second = factories.make_workspace("Beta Labs")
    factories.add_member(second, editor, Role.VIEWER)
    api.force_login(editor)
    rows = api.get(WORKSPACES).json()["results"]
    assert [(w["name"], w["role"]) for w in rows] == [("Acme Software", "editor"), ("Beta Labs", "viewer")]


def test_workspace_list_query_count(api, admin, django_assert_num_queries):
    factories.make_workspace("One", admin=admin)
    api.force_login(admin)
    # session, user, count, page (workspaces with my role)
    with django_assert_num_queries(4):
        assert api.get(WORKSPACES).json()["count"] == 1
    for i in range(20):
        factories.make_workspace(f"More {i}", admin=admin)
    with django_assert_num_queries(4):
        assert api.get(WORKSPACES).json()["count"] == 21


def test_create_workspace_makes_me_admin(api, viewer):
    api.force_login(viewer)
    response = api.post(WORKSPACES, {"name": "  Side project  "})
    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["role"]) == ("Side project", "admin")
    assert Membership.objects.get(workspace_id=body["id"], user=viewer).role == Role.ADMIN


def test_create_workspace_needs_a_name(api, viewer):
    api.force_login(viewer)
    count = Workspace.objects.count()
    response = api.post(WORKSPACES, {"name": ""})
    assert_refused(response, 400, {"name": ["This field may not be blank."]})
    assert Workspace.objects.count() == count


def test_workspace_detail(api, viewer, outsider, workspace):
    url = reverse("accounts-api:workspace-detail", args=[workspace.pk])
    api.force_login(viewer)
    assert api.get(url).json()["role"] == "viewer"
    api.force_login(outsider)
    assert api.get(url).status_code == 404


def test_members_list(api, viewer, editor, workspace, django_assert_num_queries):
    api.force_login(viewer)
    # session, user, membership (access), count, page (members + users)
    with django_assert_num_queries(5):
        rows = api.get(members_url(workspace)).json()["results"]
    assert [(m["username"], m["role"]) for m in rows] == [
        ("alice", "admin"),
        ("bob", "editor"),
        ("charlie", "viewer"),
    ]
    for user in User.objects.bulk_create(User(username=f"member{i}") for i in range(20)):
        factories.add_member(workspace, user)  # no password: hashing 20 of them would be slow
    with django_assert_num_queries(5):
        assert api.get(members_url(workspace)).json()["count"] == 23


def test_admin_invites_by_email(api, admin, workspace, django_capture_on_commit_callbacks):
    api.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(members_url(workspace), {"email": "Dana@Example.com", "role": "editor"})
    assert response.status_code == 201, response.json()
    invitation = Invitation.objects.get(workspace=workspace)
    assert (invitation.email, invitation.role, response.json()["email"]) == (
        "dana@example.com",
        "editor",
        "dana@example.com",
    )
    assert "token" not in response.json()
    assert len(mail.outbox) == 1 and invitation.token in mail.outbox[0].body
    assert mail.outbox[0].body.count("http://testserver/accounts/invite/") == 1


def test_invite_bad_input_and_rights(api, admin, editor, workspace):
    api.force_login(editor)
    assert api.post(members_url(workspace), {"email": "x@example.com"}).status_code == 403
    api.force_login(admin)
    response = api.post(members_url(workspace), {"email": "not-an-email"})
    assert_refused(response, 400, {"email": ["Enter a valid email address."]})
    response = api.post(members_url(workspace), {"email": "x@example.com", "role": "owner"})
    assert_refused(response, 400, {"role": ['"owner" is not a valid choice.']})
    response = api.post(members_url(workspace), {"email": "bob@example.com"})
    assert_refused(response, 400, {"email": ["bob@example.com is already a member of this workspace."]})
    assert not Invitation.objects.exists()


def test_admin_changes_a_role_and_removes_a_member(api, admin, editor, viewer, workspace):
    api.force_login(admin)
    response = api.patch(member_url(workspace, viewer), {"role": "editor"})
    assert response.status_code == 200 and response.json()["role"] == "editor"
    assert Membership.objects.get(workspace=workspace, user=viewer).role == Role.EDITOR
    assert api.delete(member_url(workspace, viewer)).status_code == 204
    assert not Membership.objects.filter(workspace=workspace, user=viewer).exists()
    assert api.patch(member_url(workspace, viewer), {"role": "editor"}).status_code == 404


def test_member_changes_need_admin(api, editor, viewer, workspace):
    api.force_login(editor)
    assert api.patch(member_url(workspace, viewer), {"role": "admin"}).status_code == 403
    assert api.delete(member_url(workspace, viewer)).status_code == 403
    assert Membership.objects.get(workspace=workspace, user=viewer).role == Role.VIEWER


def test_the_last_admin_stays(api, admin, workspace):
    api.force_login(admin)
    response = api.patch(member_url(workspace, admin), {"role": "viewer"})
    assert_refused(response, 400, {"role": ["A workspace needs at least one admin."]})
    response = api.delete(member_url(workspace, admin))
    assert_refused(response, 400, {"user": ["A workspace needs at least one admin."]})
    assert Membership.objects.get(workspace=workspace, user=admin).role == Role.ADMIN


def test_owner_of_journeys_cannot_be_removed(api, admin, editor, workspace):
    factories.make_journey(workspace, by=editor, title="Mine")
    api.force_login(admin)
    response = api.delete(member_url(workspace, editor))
    assert_refused(response, 400, {"user": ["This person owns journeys: hand them to another owner first."]})
    assert Membership.objects.filter(workspace=workspace, user=editor).exists()


def test_teams(api, admin, editor, viewer, outsider, workspace, django_assert_num_queries):
    api.force_login(admin)
    response = api.post(teams_url(workspace), {"name": "Research guild", "members": [editor.pk]})
    assert response.status_code == 201, response.json()
    team = Team.objects.get(pk=response.json()["id"])
    assert list(team.members.all()) == [editor] and list(team.group.user_set.all()) == [editor]
    response = api.post(teams_url(workspace), {"name": "research GUILD"})
    assert_refused(response, 400, {"name": ["There is already a team called “research GUILD”."]})
    # Someone of another workspace and an id nobody has get the same answer, naming no one.
    not_members = {"members": ["Choose people who are members of this workspace."]}
    for someone in (outsider.pk, 999999):
        response = api.post(teams_url(workspace), {"name": "Other", "members": [someone]})
        assert_refused(response, 400, not_members)
    assert Team.objects.count() == 1

    detail = reverse("accounts-api:team-detail", args=[workspace.pk, team.pk])
    response = api.patch(detail, {"members": [editor.pk, viewer.pk]})
    assert response.status_code == 200
    assert {m["username"] for m in response.json()["members"]} == {"bob", "charlie"}

    api.force_login(viewer)
    # session, user, membership (access), count, page of teams, their members
    with django_assert_num_queries(6):
        rows = api.get(teams_url(workspace)).json()["results"]
    assert [t["name"] for t in rows] == ["Research guild"]
    assert api.get(detail).json()["id"] == team.pk
    assert api.patch(detail, {"members": []}).status_code == 403
    assert api.post(teams_url(workspace), {"name": "Viewers club"}).status_code == 403
    assert team.members.count() == 2
    api.force_login(outsider)
    assert api.get(teams_url(workspace)).status_code == 404
    assert api.get(detail).status_code == 404
