"""API authentication: tokens from username and password, token and session auth, 401 without either."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.checks import assert_refused
from tests.factories import PASSWORD

TOKEN = reverse("accounts-api:auth-token")
WORKSPACES = reverse("accounts-api:workspace-list")


@pytest.fixture
def api():
    client = APIClient()
    client.default_format = "json"
    return client


def test_get_a_token_and_use_it(api, admin, workspace):
    response = api.post(TOKEN, {"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token"] == Token.objects.get(user=admin).key
    assert body["user"] == {"id": admin.pk, "username": "alice", "name": "Alice Admin"}
    # The same token comes back the next time.
    assert api.post(TOKEN, {"username": "alice", "password": PASSWORD}).json()["token"] == body["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    response = api.get(WORKSPACES)
    assert response.status_code == 200
    assert [w["name"] for w in response.json()["results"]] == ["Acme Software"]


def test_wrong_password_gets_no_token(api, admin):
    response = api.post(TOKEN, {"username": "alice", "password": "wrong"})
    assert_refused(response, 400, {"non_field_errors": ["Wrong username or password."]})
    assert not Token.objects.filter(user=admin).exists()
    response = api.post(TOKEN, {"username": "alice"})
    assert_refused(response, 400, {"password": ["This field is required."]})


def test_inactive_users_get_no_token(api, admin):
    admin.is_active = False
    admin.save(update_fields=["is_active"])
    assert api.post(TOKEN, {"username": "alice", "password": PASSWORD}).status_code == 400
    assert not Token.objects.filter(user=admin).exists()


def test_revoke_the_token(api, admin):
    key = api.post(TOKEN, {"username": "alice", "password": PASSWORD}).json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.delete(TOKEN).status_code == 204
    assert not Token.objects.filter(key=key).exists()
    response = api.get(WORKSPACES)
    assert response.status_code == 401


def test_without_credentials_the_answer_is_401_with_a_token_challenge(api):
    response = api.get(WORKSPACES)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert api.delete(TOKEN).status_code == 401


def test_a_bad_token_is_401(api, admin):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert api.get(WORKSPACES).status_code == 401


def test_session_auth_needs_csrf_for_writes(admin):
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(admin)
    assert api.get(WORKSPACES).status_code == 200
    response = api.post(WORKSPACES, {"name": "Sneaky"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
