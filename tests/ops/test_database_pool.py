"""Database connections come from psycopg's pool (config/settings.py), sized by DATABASE_POOL_* variables;
a setting that would let processes pile up connections until PostgreSQL refuses more is refused.

The last test is the load the pool is for: 64 clients at once against a real uvicorn with 2 workers."""

import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress

import httpx
import psycopg
import pytest
from django.conf import settings
from django.db import connection
from psycopg_pool import ConnectionPool
from rest_framework.authtoken.models import Token

from config.service_urls import child_env

BASE_DIR = settings.BASE_DIR
SHOW_DATABASE = (
    "from django.conf import settings; d = settings.DATABASES['default'];"
    "print(d['CONN_MAX_AGE'], d['OPTIONS'])"
)
SIZES = "DATABASE_POOL_MIN_SIZE and DATABASE_POOL_MAX_SIZE need 0 <= min <= max and max >= 1"


def load_settings(**env: str) -> subprocess.CompletedProcess:
    """config/settings.py loaded in a clean process with only these variables (and DEBUG)."""
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {SHOW_DATABASE}"],
        cwd=BASE_DIR,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "ENV_FILE": os.devnull,
             "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "1", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip


def test_the_pool_is_on_by_default_and_sized_by_the_environment():
    default = load_settings()
    sized = load_settings(DATABASE_POOL_MIN_SIZE="0", DATABASE_POOL_MAX_SIZE="3", DATABASE_POOL_TIMEOUT="2.5")

    assert default.returncode == 0, default.stderr
    assert default.stdout.strip() == (
        "0 {'pool': {'min_size': 1, 'max_size': 10, 'timeout': 10.0}, 'options': '-c jit=off'}"
    )
    assert sized.returncode == 0, sized.stderr
    assert (
        sized.stdout.strip()
        == "0 {'pool': {'min_size': 0, 'max_size': 3, 'timeout': 2.5}, 'options': '-c jit=off'}"
    )


def test_jit_is_off_and_options_given_in_the_url_are_kept():
    result = load_settings(
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/throughline?options=-c%20work_mem%3D8MB"
    )

    assert result.returncode == 0, result.stderr
    assert "'options': '-c work_mem=8MB -c jit=off'" in result.stdout


@pytest.mark.parametrize(
    "env, message",
    [
        ({"CONN_MAX_AGE": "60"}, "CONN_MAX_AGE=60: persistent connections are not supported."),
        (
            {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/throughline?conn_max_age=600"},
            "CONN_MAX_AGE=600: persistent connections are not supported.",
        ),
        (
            {"DATABASE_POOL_MIN_SIZE": "5", "DATABASE_POOL_MAX_SIZE": "2"},
            f"{SIZES} (got 5 and 2).",
        ),
        (
            {"DATABASE_POOL_MIN_SIZE": "0", "DATABASE_POOL_MAX_SIZE": "0"},
            f"{SIZES} (got 0 and 0).",
        ),
        ({"DATABASE_POOL_TIMEOUT": "0"}, "DATABASE_POOL_TIMEOUT must be positive (got 0.0)."),
    ],
    ids=["conn-max-age", "conn-max-age-in-url", "min-above-max", "max-zero", "no-timeout"],
)
def test_settings_that_could_exhaust_the_server_refuse_to_load(env, message):
    result = load_settings(**env)

    assert result.returncode == 1
    assert f"django.core.exceptions.ImproperlyConfigured: {message}" in result.stderr


def test_requests_reuse_the_pools_connection(transactional_db):
    # Django closes the connection after each request (CONN_MAX_AGE=0); with the pool, closing hands it
    # back, and the next request gets a connection PostgreSQL already has, without a new login.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    connection.close()
    opened = connection.pool.get_stats()["connections_num"]
    backends = []
    for _ in range(5):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backends.append(cursor.fetchone()[0])
        connection.close()

    assert isinstance(connection.pool, ConnectionPool)
    assert connection.pool.max_size == settings.DATABASES["default"]["OPTIONS"]["pool"]["max_size"] == 10
    assert connection.pool.get_stats()["connections_num"] == opened  # five requests, no new connection
    assert len(set(backends)) <= opened, backends


# ---------------------------------------------------------------------------------------------- under load

CLIENTS, REQUESTS_EACH, WORKERS, POOL_MAX = 64, 4, 2, 4
APPLICATION_NAME = "throughline-burst-test"


def _connections_of_the_servers(dsn_kwargs: dict, stop: threading.Event, seen: list) -> None:
    """Samples how many connections the uvicorn workers hold, until stopped."""
    with psycopg.connect(**dsn_kwargs, autocommit=True) as sampler:
        while not stop.is_set():
            count = sampler.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [APPLICATION_NAME]
            ).fetchone()[0]
            seen.append(count)
            time.sleep(0.01)


@pytest.mark.services
def test_64_concurrent_clients_against_two_workers_get_no_error_and_the_pool_bounds_connections(
    transactional_db, journey, editor, tmp_path
):
    token = Token.objects.create(user=editor).key
    database = {
        **connection.settings_dict,
        "OPTIONS": {**connection.settings_dict["OPTIONS"], "application_name": APPLICATION_NAME},
    }
    env = child_env(
        database=database,
        redis_url=settings.REDIS_URL,
        DEBUG="0",
        SECRET_KEY="burst-test-only",  # noqa: S106
        DATABASE_POOL_MAX_SIZE=str(POOL_MAX),
        DATABASE_POOL_TIMEOUT="30",
        LOG_LEVEL="WARNING",
    )
    sock = socket.create_server(("127.0.0.1", 0), backlog=256)  # handed to uvicorn: no race for a port
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    log = tmp_path / "uvicorn.log"
    with sock, open(log, "w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "config.asgi:application", "--fd", str(sock.fileno()),
             "--workers", str(WORKERS), "--no-access-log"],
            pass_fds=[sock.fileno()], cwd=BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    stop, samples = threading.Event(), []
    db = connection.settings_dict
    sampler = threading.Thread(
        target=_connections_of_the_servers,
        args=({"dbname": db["NAME"], "user": db["USER"], "password": db["PASSWORD"] or None,
               "host": db["HOST"] or None, "port": db["PORT"] or None}, stop, samples),
    )  # fmt: skip
    try:
        headers = {"Authorization": f"Token {token}"}
        _wait_until_both_workers_answer(server, url, headers, log)
        sampler.start()
        start = threading.Barrier(CLIENTS)

        def client(_):
            answers = []
            with httpx.Client(base_url=url, headers=headers, timeout=60) as http:
                start.wait()
                for _ in range(REQUESTS_EACH):
                    began = time.perf_counter()
                    response = http.get("/api/v1/journeys/")
                    ok = response.status_code == 200 and response.json()["count"] == 1
                    answers.append((ok or response.status_code, time.perf_counter() - began))
            return answers

        began = time.perf_counter()
        with ThreadPoolExecutor(CLIENTS) as pool:
            answers = [answer for answers in pool.map(client, range(CLIENTS)) for answer in answers]
        elapsed = time.perf_counter() - began
    finally:
        stop.set()
        if sampler.is_alive():
            sampler.join()
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

    errors = [status for status, _ in answers if status is not True]
    latencies = sorted(seconds for _, seconds in answers)
    print(
        f"\nburst: {len(answers)} requests from {CLIENTS} clients in {elapsed:.1f}s "
        f"({len(answers) / elapsed:.0f}/s), median {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {latencies[int(len(latencies) * 0.95)] * 1000:.0f} ms; connections held at most "
        f"{max(samples)} (pool max {POOL_MAX} × {WORKERS} workers); errors {len(errors)}"
    )
    assert errors == [], f"{errors[:10]}\n{log.read_text()[-3000:]}"
    assert len(answers) == CLIENTS * REQUESTS_EACH
    assert 1 <= max(samples) <= POOL_MAX * WORKERS


def _wait_until_both_workers_answer(server, url, headers, log, timeout=90):
    """Until requests are answered (any worker), then a little longer for the second worker to load."""
    deadline = time.monotonic() + timeout
    answered = 0
    while answered < 10 and time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"uvicorn exited:\n{log.read_text()}")
        with suppress(httpx.TransportError):
            if httpx.get(f"{url}/api/v1/journeys/", headers=headers, timeout=5).status_code == 200:
                answered += 1
        time.sleep(0.1)
    if answered < 10:
        raise RuntimeError(f"uvicorn did not answer:\n{log.read_text()}")


@pytest.mark.django_db
def test_connections_run_without_the_jit_compiler():
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
