"""Sign-in throttling with django-axes: the sign-in page, Django admin's sign-in and the API token
endpoint, with real requests. A lockout is keyed by username + client address (accounts/throttling.py)."""

import json
import os
import re
import socket
import subprocess
import sys
import time
from contextlib import suppress
from datetime import timedelta

import httpx
import pytest
import yaml
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.throttling import client_address
from config.service_urls import child_env
from tests import factories
from tests.factories import PASSWORD

LOGIN = reverse("accounts:login")
TOKEN = reverse("accounts-api:auth-token")
ADMIN_LOGIN = reverse("admin:login")
LOCKED = "Too many failed sign-ins for this account from your network. Try again in 15 minutes"


@pytest.fixture
def alice(db):
    return factories.make_user("alice", first_name="Alice")


def _sign_in(client, password, username="alice", ip="198.51.100.7"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def _signed_in(client):
    return SESSION_KEY in client.session


def test_fifty_wrong_passwords_then_the_right_one_is_refused_on_the_page(client, alice):
    statuses = [_sign_in(client, f"guess-{n}").status_code for n in range(50)]
    # The first four wrong passwords show the form again; from the fifth on, the pair is locked out.
    assert statuses[:4] == [200] * 4 and set(statuses[4:]) == {429}
    response = _sign_in(client, PASSWORD)
    assert response.status_code == 429 and not _signed_in(client)
    body = response.content.decode()
    assert LOCKED in body and reverse("accounts:password_reset") in body
    assert response["Retry-After"] == "900"


def test_fifty_wrong_passwords_then_the_right_one_is_refused_by_the_token_endpoint(alice):
    api = APIClient()
    statuses = [
        api.post(TOKEN, {"username": "alice", "password": f"guess-{n}"}, format="json").status_code
        for n in range(50)
    ]
    assert statuses[:4] == [400] * 4 and set(statuses[4:]) == {429}
    response = api.post(TOKEN, {"username": "alice", "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert response.json() == {
        "detail": "Too many failed sign-ins for this account from your network. Try again in 15 minutes, "
        "or reset your password."
    }
    assert response["Retry-After"] == "900"
    assert not Token.objects.filter(user=alice).exists()


def test_page_and_api_failures_count_together(client, alice):
    api = APIClient()
    for n in range(3):
        _sign_in(client, f"guess-{n}", ip="127.0.0.1")
    for n in range(2):
        api.post(TOKEN, {"username": "alice", "password": f"api-{n}"}, format="json")
    assert api.post(TOKEN, {"username": "alice", "password": PASSWORD}, format="json").status_code == 429
    assert _sign_in(client, PASSWORD, ip="127.0.0.1").status_code == 429


def test_the_admin_sign_in_is_throttled_too(client, alice):
    alice.is_staff = True
    alice.save(update_fields=["is_staff"])
    for n in range(5):
        client.post(ADMIN_LOGIN, {"username": "alice", "password": f"guess-{n}"})
    response = client.post(ADMIN_LOGIN, {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429 and not _signed_in(client)


def test_a_lockout_holds_one_username_at_one_address_only(client, alice):
    """Keyed by the combination: strangers cannot lock Alice out by typing her name from elsewhere, and one
    person's typos do not lock out the whole office behind the same address."""
    factories.make_user("bob")
    for n in range(5):
        _sign_in(client, f"guess-{n}", ip="198.51.100.7")
    assert _sign_in(client, PASSWORD, ip="198.51.100.7").status_code == 429
    # Bob at the same address signs in.
    assert _sign_in(client, PASSWORD, username="bob", ip="198.51.100.7").status_code == 302
    client.logout()
    # Alice at her own address signs in.
    assert _sign_in(client, PASSWORD, ip="203.0.113.20").status_code == 302
    assert _signed_in(client)


def test_the_lockout_ends_after_the_cool_off(client, alice):
    for n in range(5):
        _sign_in(client, f"guess-{n}")
    assert _sign_in(client, PASSWORD).status_code == 429
    # Fifteen minutes (the default cool-off) later...
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=15, seconds=5))
    response = _sign_in(client, PASSWORD)
    assert response.status_code == 302 and _signed_in(client)
    # ...and a successful sign-in clears the failures: four new typos do not lock out.
    client.logout()
    for n in range(4):
        assert _sign_in(client, f"typo-{n}").status_code == 200
    assert _sign_in(client, PASSWORD).status_code == 302


def test_wrong_passwords_below_the_limit_say_so_and_lock_nothing(client, alice):
    for n in range(4):
        response = _sign_in(client, f"guess-{n}")
        assert response.status_code == 200
        assert "That username and password don't match an account." in response.content.decode()
    assert _sign_in(client, PASSWORD).status_code == 302


def test_limit_and_cool_off_come_from_the_environment():
    """AXES_FAILURE_LIMIT and AXES_COOLOFF_MINUTES (documented in .env.example and README)."""
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME * 60, s.AXES_LOCKOUT_PARAMETERS)"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "ENV_FILE": "/dev/null",
        "DEBUG": "1",
        "AXES_FAILURE_LIMIT": "8",
        "AXES_COOLOFF_MINUTES": "45",
    }
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=django_settings.BASE_DIR,
    ).stdout
    assert out.split("\n")[-2] == "8 45.0 [['username', 'ip_address']]"


# ------------------------------------------------------------------------------------------- behind a proxy


@pytest.mark.parametrize(
    "proxies, forwarded, expected",
    [
        (0, "203.0.113.9", "192.0.2.1"),  # no proxy counted: the header is the client's own words
        (1, "203.0.113.9, 198.51.100.7", "198.51.100.7"),
        (1, " 198.51.100.7 ", "198.51.100.7"),
        (2, "203.0.113.9, 198.51.100.7, 10.0.0.2", "198.51.100.7"),
        (2, "198.51.100.7", "192.0.2.1"),  # fewer entries than proxies: not through them, the connection
        (1, "", "192.0.2.1"),
    ],
)
def test_the_client_address_is_the_nth_from_the_right_behind_n_proxies(
    rf, settings, proxies, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = rf.get("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=forwarded)

    assert client_address(request) == expected


def test_a_negative_proxy_count_is_refused():
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "ENV_FILE": os.devnull, "DEBUG": "1",
           "DJANGO_SETTINGS_MODULE": "config.settings", "TRUSTED_PROXY_COUNT": "-1"}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True,
        cwd=django_settings.BASE_DIR,
    )  # fmt: skip
    assert done.returncode == 1
    assert "ImproperlyConfigured: TRUSTED_PROXY_COUNT must be 0 or more (got -1)." in done.stderr


def _shipped_uvicorn_options() -> list[str]:
    """The Dockerfile's uvicorn command, without its host and port."""
    text = (django_settings.BASE_DIR / "Dockerfile").read_text()
    command = json.loads(re.search(r"^CMD (\[.*?\])$", text.replace("\\\n", ""), re.M | re.S).group(1))
    assert command[:2] == ["uvicorn", "config.asgi:application"], command
    options = command[2:]
    for name in ("--host", "--port"):
        at = options.index(name)
        del options[at : at + 2]
    return options


def test_docker_compose_and_the_dockerfile_leave_forwarded_headers_to_django():
    compose = yaml.safe_load((django_settings.BASE_DIR / "docker-compose.yml").read_text())
    web = compose["services"]["web"]["command"]

    for options in (web, _shipped_uvicorn_options()):
        assert "--no-proxy-headers" in options
        assert not [o for o in options if o.startswith(("--proxy-headers", "--forwarded-allow-ips"))], options
    assert compose["x-app"]["environment"]["TRUSTED_PROXY_COUNT"] == "${TRUSTED_PROXY_COUNT:-1}"


@pytest.mark.services
@pytest.mark.parametrize("proxies", [0, 1])
def test_under_the_shipped_uvicorn_a_forged_forwarded_for_does_not_get_round_a_lockout(
    transactional_db, tmp_path, proxies
):
    # The client writes whatever it likes into X-Forwarded-For; a proxy appends the real address last. With
    # no proxy counted the address is the connection's; with one, the last entry. A new forged address per
    # try must not make a new username+address pair.
    alice = factories.make_user("alice", first_name="Alice")
    hasher = PBKDF2PasswordHasher()  # the server's hashers (the tests' own MD5 one is not among them)
    alice.password = hasher.encode(PASSWORD, hasher.salt(), iterations=1000)
    alice.save(update_fields=["password"])
    env = child_env(
        database=connection.settings_dict, redis_url=django_settings.REDIS_URL, DEBUG="0",
        SECRET_KEY="throttle-test-only", TRUSTED_PROXY_COUNT=str(proxies), LOG_LEVEL="WARNING",
    )  # fmt: skip
    sock = socket.create_server(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}{TOKEN}"
    log = tmp_path / "uvicorn.log"
    with sock, open(log, "w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "config.asgi:application", "--fd", str(sock.fileno()),
             *_shipped_uvicorn_options()],
            pass_fds=[sock.fileno()], cwd=django_settings.BASE_DIR, env=env, stdout=output,
            stderr=subprocess.STDOUT,
        )  # fmt: skip

    def token(password, forged, real="198.51.100.7"):
        forwarded = f"203.0.113.{forged}, {real}" if proxies else f"203.0.113.{forged}"
        return httpx.post(
            url,
            json={"username": "alice", "password": password},
            headers={"X-Forwarded-For": forwarded},
            timeout=20,
        )

    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with suppress(httpx.TransportError):
                httpx.get(url, timeout=5)
                break
            time.sleep(0.1)
        wrong = [token(f"guess-{n}", forged=n).status_code for n in range(5)]
        right = token(PASSWORD, forged=99).status_code
        elsewhere = token(PASSWORD, forged=98, real="198.51.100.8") if proxies else None
        elsewhere = elsewhere and elsewhere.status_code
    finally:
        server.terminate()
        server.wait(timeout=30)

    assert wrong == [400, 400, 400, 400, 429], log.read_text()[-2000:]
    assert right == 429
    assert elsewhere == (200 if proxies else None)  # another real address is not locked
