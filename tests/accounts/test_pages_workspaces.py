"""Creating and switching workspaces (accounts:workspace_create, accounts:workspace_switch)."""

import pytest
from django.urls import reverse

from accounts.models import Membership, Role, Workspace
from accounts.selectors import SESSION_KEY
from tests import factories

CREATE = reverse("accounts:workspace_create")


def test_create_needs_sign_in(client, db):
    response = client.get(CREATE)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    assert client.post(CREATE, {"name": "Sneaky"}).status_code == 302
    assert not Workspace.objects.filter(name="Sneaky").exists()


def test_anyone_signed_in_creates_a_workspace_and_works_in_it(client, viewer):
    client.force_login(viewer)
    assert client.get(CREATE).status_code == 200
    response = client.post(CREATE, {"name": "  Charlie's side project "})
    workspace = Workspace.objects.get(name="Charlie's side project")
    assert response["Location"] == reverse("journeys:list")
    assert Membership.objects.get(workspace=workspace, user=viewer).role == Role.ADMIN
    assert client.session[SESSION_KEY] == workspace.pk
    body = client.get(response["Location"]).content.decode()
    assert '<span class="ws-switcher__name" dir="auto">Charlie&#x27;s side project</span>' in body


@pytest.mark.parametrize("name", ["", "   ", "x" * 121])
def test_bad_name_shows_the_field_error_and_creates_nothing(client, viewer, name):
    client.force_login(viewer)
    before = Workspace.objects.count()
    response = client.post(CREATE, {"name": name})
    assert response.status_code == 200 and "name" in response.context["form"].errors
    assert Workspace.objects.count() == before


def test_switch_to_another_of_my_workspaces(client, admin, workspace):
    other = factories.make_workspace("Beta Org", admin=admin)
    client.force_login(admin)
    response = client.post(reverse("accounts:workspace_switch", args=[other.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("journeys:list")
    assert client.session[SESSION_KEY] == other.pk
    body = client.get(reverse("journeys:list")).content.decode()
    assert "Switched to Beta Org." in body
    assert '<span class="ws-switcher__name" dir="auto">Beta Org</span>' in body


def test_switch_keeps_a_safe_next(client, admin, workspace, journey):
    client.force_login(admin)
    target = reverse("journeys:map", args=[journey.pk])
    response = client.post(reverse("accounts:workspace_switch", args=[workspace.pk]), {"next": target})
    assert response["Location"] == target
    response = client.post(
        reverse("accounts:workspace_switch", args=[workspace.pk]), {"next": "//evil.example/"}
    )
    assert response["Location"] == reverse("journeys:list")


def test_switch_to_a_workspace_i_am_not_in_is_404(client, outsider, workspace):
    client.force_login(outsider)
    response = client.post(reverse("accounts:workspace_switch", args=[workspace.pk]))
    assert response.status_code == 404
    assert client.session.get(SESSION_KEY) is None


def test_switch_is_a_post(client, admin, workspace):
    client.force_login(admin)
    assert client.get(reverse("accounts:workspace_switch", args=[workspace.pk])).status_code == 405


def test_switcher_lists_every_workspace_of_mine(client, admin, workspace):
    factories.make_workspace("Beta Org", admin=admin)
    client.force_login(admin)
    body = client.get(reverse("journeys:list")).content.decode()
    assert body.count('class="menu__item') >= 2 and "Beta Org" in body and "Acme Software" in body


# Session, user, and the memberships the top bar reads.
def test_create_form_query_count(client, viewer, django_assert_num_queries):
    client.force_login(viewer)
    with django_assert_num_queries(3):
        assert client.get(CREATE).status_code == 200
