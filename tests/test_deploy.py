"""Production configuration: .env.example's production values pass `manage.py check --deploy`, a missing
SECRET_KEY stops the app from starting, and every variable the settings read is documented.

Each check runs Django in a subprocess with a clean environment, so nothing of the test run leaks in.
"""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
ENV_EXAMPLE = BASE_DIR / ".env.example"
SETTINGS = BASE_DIR / "config" / "settings.py"


def production_values() -> dict[str, str]:
    """The uncommented KEY=VALUE lines of .env.example: its production block."""
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def run_python(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", **env}
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=clean_env, capture_output=True, text=True, timeout=180
    )


def test_env_example_ships_no_secret_and_no_debug():
    values = production_values()
    assert values["DEBUG"] == "False"
    assert values["SECRET_KEY"] == ""  # a key everyone has read is no secret: each install makes its own
    assert values["POSTGRES_PASSWORD"] == ""


def test_production_values_pass_check_deploy_without_a_warning(db):
    # ENV_FILE makes the settings read .env.example itself, with django-environ's own parser. The model
    # checks ask the database what it supports (generated columns), so the check runs, as it would in
    # production, against a database that exists: this run's.
    from django.conf import settings

    from config.service_urls import database_url

    result = run_python(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        ENV_FILE=str(ENV_EXAMPLE),
        SECRET_KEY=secrets.token_urlsafe(50),
        DEBUG="False",
        DATABASE_URL=database_url(settings.DATABASES["default"]),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


def test_production_values_are_the_ones_the_settings_use():
    code = (
        "from config import settings as s;"
        "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER, s.ALLOWED_HOSTS, s.CSRF_TRUSTED_ORIGINS,"
        " s.MAILERS['default']['OPTIONS']['host'])"
    )
    result = run_python("-c", code, ENV_FILE=str(ENV_EXAMPLE), SECRET_KEY=secrets.token_urlsafe(50))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "True",
        "True",
        "True",
        "31536000",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
        "['journeys.example.com']",
        "['https://journeys.example.com']",
        "smtp.example.com",
    ]


@pytest.mark.parametrize(
    "env_file", [os.devnull, str(ENV_EXAMPLE)], ids=["no-env-file", "env-example-copied"]
)
def test_debug_off_without_secret_key_refuses_to_start(env_file):
    result = run_python("-c", "import config.settings", DEBUG="False", ENV_FILE=env_file)
    assert result.returncode == 1
    assert "django.core.exceptions.ImproperlyConfigured: SECRET_KEY must be set" in result.stderr


def test_debug_off_with_secret_key_starts():
    # The control for the test above: the same environment plus a key imports fine.
    result = run_python(
        "-c",
        "import config.settings",
        DEBUG="False",
        ENV_FILE=os.devnull,
        SECRET_KEY=secrets.token_urlsafe(50),
    )
    assert result.returncode == 0, result.stderr


def test_every_variable_the_settings_read_is_documented():
    read = set(re.findall(r'env\.\w+\(\s*"([A-Z][A-Z0-9_]*)"', SETTINGS.read_text()))
    assert {"DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "EMAIL_BACKEND"} <= read  # the regex works
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), flags=re.MULTILINE))
    assert read - documented == set()
