"""Sign-in, sign-out, password change and password reset pages."""

import re
import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.urls import reverse

from tests import factories
from tests.checks import wait_for

WAIT = 30  # seconds: an upper bound for the worker, not a timing assertion

LOGIN = reverse("accounts:login")


def test_sign_in_page_renders_without_queries(client, db, django_assert_num_queries):
    # Anonymous, no session cookie yet: nothing to look up.
    with django_assert_num_queries(0):
        response = client.get(LOGIN)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="username"' in body and reverse("accounts:password_reset") in body


def test_sign_in_goes_to_the_journey_list(client, admin):
    response = client.post(LOGIN, {"username": "alice", "password": factories.PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("journeys:list")
    assert client.session[SESSION_KEY] == str(admin.pk)


def test_sign_in_honours_a_safe_next_only(client, admin, journey):
    target = reverse("journeys:map", args=[journey.pk])
    response = client.post(f"{LOGIN}?next={target}", {"username": "alice", "password": factories.PASSWORD})
    assert response["Location"] == target
    client.logout()
    response = client.post(
        f"{LOGIN}?next=https://evil.example/", {"username": "alice", "password": factories.PASSWORD}
    )
    assert response["Location"] == reverse("journeys:list")


def test_wrong_password_says_so_and_signs_nobody_in(client, admin):
    response = client.post(LOGIN, {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "That username and password don" in response.content.decode()
    assert SESSION_KEY not in client.session


def test_signed_in_people_skip_the_sign_in_page(client, admin):
    client.force_login(admin)
    assert client.get(LOGIN)["Location"] == reverse("journeys:list")


def test_sign_out_is_a_post(client, admin):
    client.force_login(admin)
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert SESSION_KEY not in client.session


def test_every_page_offers_sign_out_and_password_change(client, admin):
    client.force_login(admin)
    body = client.get(reverse("journeys:list")).content.decode()
    assert f'action="{reverse("accounts:logout")}"' in body and reverse("accounts:password_change") in body


# --- password change


def test_password_change_needs_sign_in(client, db):
    response = client.get(reverse("accounts:password_change"))
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_password_change(client, editor):
    client.force_login(editor)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": factories.PASSWORD,
            "new_password1": "a-much-longer-pass-2025",
            "new_password2": "a-much-longer-pass-2025",
        },
    )
    assert response["Location"] == reverse("accounts:password_change_done")
    editor.refresh_from_db()
    assert editor.check_password("a-much-longer-pass-2025")
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (
            {
                "old_password": "wrong",
                "new_password1": "a-much-longer-pass",
                "new_password2": "a-much-longer-pass",
            },
            "old_password",
        ),
        (
            {
                "old_password": factories.PASSWORD,
                "new_password1": "a-much-longer-pass",
                "new_password2": "different-pass",
            },
            "new_password2",
        ),
        (
            {"old_password": factories.PASSWORD, "new_password1": "123", "new_password2": "123"},
            "new_password2",
        ),
    ],
)
def test_bad_password_change_shows_the_field_error_and_changes_nothing(client, editor, data, field):
    client.force_login(editor)
    response = client.post(reverse("accounts:password_change"), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert 'class="field__error"' in response.content.decode()
    editor.refresh_from_db()
    assert editor.check_password(factories.PASSWORD)


# Session, user, and the memberships the top bar reads.
def test_password_change_query_count(client, editor, django_assert_num_queries):
    client.force_login(editor)
    with django_assert_num_queries(3):
        assert client.get(reverse("accounts:password_change")).status_code == 200


# --- password reset


def _ask_reset(client, email):
    response = client.post(reverse("accounts:password_reset"), {"email": email})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:password_reset_done")


def test_password_reset_by_email(client, worker):
    editor = factories.make_user("bob", first_name="Bob")
    _ask_reset(client, "BOB@example.com")
    assert wait_for(lambda: len(mail.outbox) == 1)
    assert mail.outbox[0].to == ["bob@example.com"]
    assert mail.outbox[0].subject == "Reset your Throughline password"
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)

    response = client.get(link, follow=True)  # Django swaps the token for a session-bound URL
    assert "Choose a new password" in response.content.decode()
    form_url = response.redirect_chain[-1][0]
    response = client.post(
        form_url, {"new_password1": "fresh-and-long-2025", "new_password2": "fresh-and-long-2025"}
    )
    assert response["Location"] == reverse("accounts:password_reset_complete")
    editor.refresh_from_db()
    assert editor.check_password("fresh-and-long-2025")
    assert "Your password is set" in client.get(response["Location"]).content.decode()


def test_password_reset_for_an_unknown_email_sends_nothing_but_says_the_same(client, worker):
    factories.make_user("bob")
    _ask_reset(client, "nobody@example.com")
    _ask_reset(client, "bob@example.com")
    # The worker takes tasks in order: once bob's email is out, the unknown address's task has run too.
    assert wait_for(lambda: len(mail.outbox) == 1)
    time.sleep(0.3)
    assert [m.to for m in mail.outbox] == [["bob@example.com"]]


def test_password_reset_answers_known_and_unknown_addresses_alike(
    client, editor, django_assert_num_queries, django_capture_on_commit_callbacks
):
    """No oracle: the page does the same work (no query at all: the lookup happens in the task) and gives
    the same answer whether or not an account has the address."""
    answers = []
    for email in ("bob@example.com", "nobody@example.com"):
        with django_capture_on_commit_callbacks() as queued, django_assert_num_queries(0):
            response = client.post(reverse("accounts:password_reset"), {"email": email})
        answers.append((response.status_code, response["Location"], response.content, len(queued)))
    assert answers[0] == answers[1] == (302, reverse("accounts:password_reset_done"), b"", 1)
    assert mail.outbox == []  # nothing is sent while the request runs


def test_password_reset_mails_one_address_at_most_three_times_an_hour(
    client, settings, editor, django_capture_on_commit_callbacks
):
    settings.PASSWORD_RESET_LIMIT_PER_EMAIL = 3
    for _ in range(3):
        with django_capture_on_commit_callbacks() as queued:
            _ask_reset(client, "Bob@Example.com ")
        assert len(queued) == 1
    # The fourth (in any spelling of the address) says the same and sends nothing: no mailbox flooding.
    with django_capture_on_commit_callbacks() as queued:
        _ask_reset(client, "bob@example.com")
    assert queued == []


def test_password_reset_from_one_client_is_refused_after_the_limit(client, settings, db):
    settings.PASSWORD_RESET_LIMIT_PER_IP = 5
    for n in range(5):
        _ask_reset(client, f"someone{n}@example.com")
    response = client.post(reverse("accounts:password_reset"), {"email": "someone-else@example.com"})
    assert response.status_code == 429
    assert "Too many password reset requests from your network. Try again in an hour." in (
        response.content.decode()
    )
    # Another client address is counted apart.
    other = client.post(
        reverse("accounts:password_reset"), {"email": "x@example.com"}, REMOTE_ADDR="203.0.113.9"
    )
    assert other.status_code == 302


def test_password_reset_with_a_broken_link(client, editor):
    url = reverse("accounts:password_reset_confirm", kwargs={"uidb64": "MQ", "token": "set-password"})
    body = client.get(url).content.decode()
    assert "This link doesn" in body and reverse("accounts:password_reset") in body


def test_password_reset_rejects_a_bad_email(client, db):
    response = client.post(reverse("accounts:password_reset"), {"email": "not-an-email"})
    assert response.status_code == 200 and "email" in response.context["form"].errors
    assert mail.outbox == []
