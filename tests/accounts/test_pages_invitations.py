"""Accepting an invitation (accounts:invitation_accept): one click when signed in, sign-up otherwise."""

from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY as AUTH_SESSION_KEY
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import Invitation, Membership, Role, User
from accounts.selectors import SESSION_KEY
from tests import factories


@pytest.fixture
def invitation(workspace, admin):
    return services.invitation_create(
        workspace=workspace, email="dora@example.com", role=Role.EDITOR, by=admin
    )


def _url(invitation):
    return reverse("accounts:invitation_accept", args=[invitation.token])


def _signup(**overrides):
    data = {
        "first_name": "Dora",
        "last_name": "Explorer",
        "username": "dora",
        "password": "maps-and-compasses-42",
        "password_again": "maps-and-compasses-42",
    }
    data.update(overrides)
    return data


@pytest.fixture
def dora(db):
    """The invitee, already signed up elsewhere: her account's address differs from the invited one only
    in case and surrounding space."""
    user = factories.make_user("dora_elsewhere", first_name="Dora", email=" Dora@EXAMPLE.com")
    factories.make_workspace("Dora's consultancy", admin=user)
    return user


def test_signed_in_invitee_joins_with_one_click(client, dora, invitation, workspace):
    client.force_login(dora)
    body = client.get(_url(invitation)).content.decode()
    assert "Join <bdi>Acme Software</bdi>" in body and "Alice Admin</bdi> invited you" in body
    response = client.post(_url(invitation))
    assert response["Location"] == reverse("journeys:list")
    assert Membership.objects.get(workspace=workspace, user=dora).role == Role.EDITOR
    assert client.session[SESSION_KEY] == workspace.pk
    invitation.refresh_from_db()
    assert invitation.accepted_by == dora and invitation.accepted_at is not None
    assert "Welcome to Acme Software." in client.get(response["Location"]).content.decode()


WRONG_PERSON = "This invitation is for someone else"


@pytest.mark.parametrize("persona", ["outsider", "viewer", "admin"])
def test_someone_signed_in_with_another_address_cannot_accept(client, persona_user, invitation, persona):
    """The seen attack: a viewer of one workspace, holding an admin invitation sent to someone else, became
    admin of it. Whoever holds the link, only the invited address may use it; nothing changes."""
    invitation.role = Role.ADMIN
    invitation.save(update_fields=["role"])
    user = persona_user(persona)
    roles = dict(Membership.objects.values_list("user_id", "role").filter(workspace=invitation.workspace))
    client.force_login(user)

    page = client.get(_url(invitation))
    body = page.content.decode()
    assert page.status_code == 200 and WRONG_PERSON in body
    assert "It was sent to <strong>dora@example.com</strong>" in body
    assert f'action="{reverse("accounts:logout")}"' in body
    assert f'name="next" value="{_url(invitation)}"' in body
    assert "Join <bdi>" not in body

    refused = client.post(_url(invitation))
    assert refused.status_code == 403 and WRONG_PERSON in refused.content.decode()
    after = Membership.objects.values_list("user_id", "role").filter(workspace=invitation.workspace)
    assert dict(after) == roles
    invitation.refresh_from_db()
    assert invitation.accepted_at is None and invitation.accepted_by is None


def test_the_service_refuses_another_address_too(outsider, invitation, workspace):
    with pytest.raises(services.InvitationForSomeoneElse):
        services.invitation_accept(token=invitation.token, user=outsider)
    assert not Membership.objects.filter(workspace=workspace, user=outsider).exists()
    nameless = factories.make_user("no_email", email="")
    with pytest.raises(services.InvitationForSomeoneElse):
        services.invitation_accept(token=invitation.token, user=nameless)


def test_signing_out_from_the_refusal_leads_back_to_the_invitation(client, outsider, invitation):
    client.force_login(outsider)
    response = client.post(reverse("accounts:logout"), {"next": _url(invitation)})
    assert response["Location"] == _url(invitation)
    assert "Create your account" in client.get(_url(invitation)).content.decode()


def test_sign_up_takes_the_invited_address_not_a_typed_one(client, invitation, workspace):
    response = client.post(_url(invitation), _signup(email="mallory@evil.example"))
    assert response["Location"] == reverse("journeys:list")
    assert User.objects.get(username="dora").email == "dora@example.com"


def test_sign_up_for_an_address_that_has_an_account_asks_to_sign_in(client, dora, invitation):
    users = User.objects.count()
    response = client.post(_url(invitation), _signup())
    assert response.status_code == 200
    assert "There is already an account for dora@example.com: sign in with it to accept the invitation." in (
        response.content.decode()
    )
    assert User.objects.count() == users


def test_visitor_signs_up_and_joins(client, invitation, workspace):
    body = client.get(_url(invitation)).content.decode()
    assert "Create your account" in body and 'value="dora@example.com"' in body
    assert f"{reverse('accounts:login')}?next={_url(invitation)}" in body

    response = client.post(_url(invitation), _signup())

    assert response["Location"] == reverse("journeys:list")
    user = User.objects.get(username="dora")
    assert user.email == "dora@example.com" and user.get_full_name() == "Dora Explorer"
    assert user.check_password("maps-and-compasses-42")
    assert Membership.objects.get(workspace=workspace, user=user).role == Role.EDITOR
    assert client.session[AUTH_SESSION_KEY] == str(user.pk)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"username": ""}, "username"),
        ({"username": "bob"}, "username"),  # taken
        ({"username": "has space"}, "username"),
        ({"password": "short", "password_again": "short"}, "password"),
        ({"password_again": "something-else-entirely"}, "password_again"),
    ],
)
def test_bad_sign_up_shows_the_field_error_and_creates_nothing(client, editor, invitation, overrides, field):
    users = User.objects.count()
    response = client.post(_url(invitation), _signup(**overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert 'class="field__error"' in response.content.decode()
    assert User.objects.count() == users
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_used_invitation_says_so(client, dora, invitation):
    services.invitation_accept(token=invitation.token, user=dora)
    response = client.get(_url(invitation))
    assert response.status_code == 410 and "already used" in response.content.decode()
    assert client.post(_url(invitation), _signup()).status_code == 410
    assert not User.objects.filter(username="dora").exists()


def test_expired_invitation_says_so(client, invitation):
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = client.get(_url(invitation))
    assert response.status_code == 410 and "has expired" in response.content.decode()


def test_unknown_invitation_is_404(client, db):
    response = client.get(reverse("accounts:invitation_accept", args=["no-such-token"]))
    assert response.status_code == 404 and "know this invitation" in response.content.decode()


def test_member_accepting_again_keeps_their_role(client, admin, workspace):
    viewer = factories.add_member(workspace, factories.make_user("vera"), Role.VIEWER)
    invitation = Invitation.objects.create(
        workspace=workspace, email="vera@example.com", role=Role.ADMIN, invited_by=admin
    )
    client.force_login(viewer)
    assert "already a member" in client.get(_url(invitation)).content.decode()
    client.post(_url(invitation))
    assert Membership.objects.get(workspace=workspace, user=viewer).role == Role.VIEWER


# Anonymous: 1 the invitation (+ workspace, inviter); no session or user yet.
# Signed in: 1 session · 2 user · 3 the invitation · 4 already a member? · 5 memberships for the top bar.
def test_accept_page_query_counts(client, dora, invitation, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert client.get(_url(invitation)).status_code == 200
    client.force_login(dora)
    with django_assert_num_queries(5):
        assert client.get(_url(invitation)).status_code == 200
