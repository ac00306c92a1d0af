"""Handing PostgreSQL and Redis to child processes (config/service_urls.py): every form of server that
a developer, CI or production has, unix socket or TCP, reaches the child as the same server.

The last test is the whole path for real: this run's settings -> child_env() -> a child process loading
config/settings.py -> connections through Django, redis-py (sync and asyncio) and Celery's broker and
result backend, to this run's PostgreSQL and Redis, once through a unix socket in a folder whose name
needs quoting and once through TCP, whichever of the two the run itself was given."""

import json
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from kombu.utils.url import url_to_parts
from redis.connection import parse_url

from config.service_urls import (
    celery_redis_url,
    child_env,
    database_config,
    database_url,
    redis_socket_url,
)

from .relay import Relay

BASE_DIR = Path(settings.BASE_DIR)
# Characters a folder may have that URLs reserve: the hand-off must quote and unquote them all.
AWKWARD_FOLDER = "tl ops #&+%?="


def entry(**values):
    return {"USER": "", "PASSWORD": "", "HOST": "", "PORT": "", "NAME": "throughline", "OPTIONS": {}} | values


@pytest.mark.parametrize(
    "config",
    [
        entry(USER="postgres", HOST="127.0.0.1", PORT=5432, NAME="test_ops"),
        entry(USER="throughline", PASSWORD="p@ss:w/rd?#%+ ", HOST="db.example.com", PORT=6543),
        entry(USER="postgres", HOST="::1", PORT=5432),
        entry(USER="postgres", HOST="/tmp/tl ops #&+%?=/sock", PORT=5432),  # noqa: S108
        entry(USER="postgres", HOST="/run/postgresql"),
        entry(USER="postgres", HOST="@abstract-name", PORT=5433),
        entry(HOST="localhost", NAME="name with space+plus/slash"),
        entry(USER="u", HOST="localhost", OPTIONS={"sslmode": "require", "application_name": "web 1"}),
    ],
    ids=["tcp", "tcp-password", "ipv6", "socket-awkward", "socket-no-port", "abstract", "name", "options"],
)
def test_a_database_url_reads_back_as_the_entry_it_was_written_from(config):
    expected = {**config, "ENGINE": "django.db.backends.postgresql"}
    assert database_config(database_url(config)) == expected


def test_a_socket_folder_travels_as_libpqs_host_query_never_as_a_quoted_host_name():
    url = database_url(entry(USER="postgres", HOST="/work/var/postgres", PORT=5432))
    assert url == "postgres://postgres@/throughline?host=/work/var/postgres&port=5432"


def test_the_pool_and_djangos_own_options_stay_out_of_the_url():
    url = database_url(entry(HOST="h", OPTIONS={"pool": {"max_size": 4}, "server_side_binding": True}))
    assert url == "postgres://h/throughline"


@pytest.mark.parametrize("folder", ["/work/main/var/redis", f"/tmp/{AWKWARD_FOLDER}"])  # noqa: S108
def test_a_redis_socket_url_reads_back_in_redis_py_and_in_celery(folder):
    path = f"{folder}/redis.sock"
    url = redis_socket_url(path, db=3)

    assert parse_url(url) == {"path": path, "db": 3, "connection_class": redis.UnixDomainSocketConnection}
    celery = celery_redis_url(url)
    assert celery.startswith("redis+socket://")
    # kombu hands Redis the part after "redis+" and reads it as below (broker and result backend alike).
    parts = url_to_parts(celery.removeprefix("redis+"))
    assert ("/" + parts.path, parts.query) == (path, {"virtual_host": "3"})


def test_a_tcp_redis_url_goes_to_celery_unchanged():
    assert celery_redis_url("redis://:secret@127.0.0.1:6379/2") == "redis://:secret@127.0.0.1:6379/2"


def test_child_env_hands_over_database_redis_and_pool_and_drops_what_would_contradict_them():
    base = {
        "PATH": "/usr/bin",
        "DATABASE_URL": "postgres://elsewhere/db",
        "CONN_MAX_AGE": "60",
        "CELERY_BROKER_URL": "redis://elsewhere:6379/0",
        "CELERY_RESULT_BACKEND": "redis://elsewhere:6379/0",
    }
    database = entry(USER="postgres", HOST="/s", PORT=5432, NAME="test_x", OPTIONS={"pool": {"max_size": 4}})

    env = child_env(database=database, redis_url="unix:///s/redis.sock?db=1", base=base, DEBUG="1")

    assert env == {
        "PATH": "/usr/bin",
        "DATABASE_URL": "postgres://postgres@/test_x?host=/s&port=5432",
        "DATABASE_POOL_MAX_SIZE": "4",
        "REDIS_URL": "unix:///s/redis.sock?db=1",
        "DEBUG": "1",
    }


# ---------------------------------------------------------------------------------------------- for real

PROBE = """
import asyncio, json, os, sys
import django

django.setup()
import redis
import redis.asyncio
from django.conf import settings
from django.db import connection

from config.celery import app

key = os.environ["PROBE_KEY"]
with connection.cursor() as cursor:
    cursor.execute("SELECT current_database(), (SELECT system_identifier FROM pg_control_system())")
    name, server = cursor.fetchone()


async def read_async():
    client = redis.asyncio.Redis.from_url(settings.REDIS_URL)
    try:
        return await client.get(key)
    finally:
        await client.aclose()


with app.connection_for_write() as broker:
    broker.ensure_connection(max_retries=1)
    from_broker = broker.default_channel.client.get(key)
db = settings.DATABASES["default"]
print(json.dumps({
    "settings": [str(db[k]) for k in ("HOST", "PORT", "NAME", "USER", "PASSWORD")],
    "database": [name, str(server)],
    "pool": type(connection.pool).__name__,
    "redis": [
        redis.Redis.from_url(settings.REDIS_URL).get(key).decode(),
        asyncio.run(read_async()).decode(),
        from_broker.decode(),
        app.backend.client.get(key).decode(),
    ],
}))
"""


def _postgres_address():
    db = connection.settings_dict
    port = int(db["PORT"] or 5432)
    if str(db["HOST"]).startswith("/"):
        return f"{db['HOST']}/.s.PGSQL.{port}"
    return (db["HOST"] or "localhost", port)


def _redis_address():
    """Where this run's Redis listens, and the database number it uses."""
    params = parse_url(settings.REDIS_URL)
    if "path" in params:
        return params["path"], params.get("db", 0)
    return (params.get("host", "localhost"), params.get("port", 6379)), params.get("db", 0)


@pytest.fixture
def relays():
    """Unix socket and TCP doors to this run's PostgreSQL and Redis."""
    folder = Path(tempfile.mkdtemp(prefix=AWKWARD_FOLDER))
    redis_target, redis_db = _redis_address()
    started = {
        "postgres-socket": Relay(folder / ".s.PGSQL.5432", _postgres_address()),
        "postgres-tcp": Relay(("127.0.0.1", 0), _postgres_address()),
        "redis-socket": Relay(folder / "redis.sock", redis_target),
        "redis-tcp": Relay(("127.0.0.1", 0), redis_target),
    }
    yield folder, redis_db, started
    for relay in started.values():
        relay.close()
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()


@pytest.mark.services
@pytest.mark.parametrize("form", ["socket", "tcp"])
def test_a_child_process_reaches_this_runs_servers_through_a_socket_and_through_tcp(
    transactional_db, relays, form
):
    folder, redis_db, relay = relays
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database(), (SELECT system_identifier FROM pg_control_system())")
        name, server = cursor.fetchone()
    password = "p@ss:w/rd?#%+"  # the servers trust this machine: sent or not, it must parse back whole
    if form == "socket":
        database = {**connection.settings_dict, "HOST": str(folder), "PORT": 5432}
        redis_url = redis_socket_url(folder / "redis.sock", redis_db)
    else:
        port = relay["postgres-tcp"].address[1]
        database = {**connection.settings_dict, "HOST": "127.0.0.1", "PORT": port, "PASSWORD": password}
        redis_url = f"redis://127.0.0.1:{relay['redis-tcp'].address[1]}/{redis_db}"
    key, value = f"ops-probe-{uuid.uuid4().hex}", uuid.uuid4().hex
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.set(key, value, ex=60)
    try:
        result = subprocess.run(
            [sys.executable, "-c", PROBE],
            cwd=BASE_DIR,
            env=child_env(
                database=database,
                redis_url=redis_url,
                base={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
                DJANGO_SETTINGS_MODULE="config.settings",
                DEBUG="1",
                PROBE_KEY=key,
            ),
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        client.delete(key)
        client.close()
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout)

    db = database
    assert seen["settings"] == [str(db["HOST"]), str(db["PORT"]), db["NAME"], db["USER"], db["PASSWORD"]]
    assert seen["database"] == [name, str(server)]  # the test database, on this server (its identifier)
    assert seen["pool"] == "ConnectionPool"
    assert seen["redis"] == [value] * 4  # the same Redis database, for redis-py, asyncio, broker, backend


@pytest.mark.parametrize(
    "url",
    [
        "postgres://postgres@/throughline?host=/work/main/var/postgres&port=5432",
        "postgres://postgres:p%40ss@127.0.0.1:5432/throughline",
    ],
    ids=["socket", "tcp"],
)
def test_make_bench_uses_a_scratch_database_on_the_same_server(url):
    from bench.run import SCRATCH_DB, scratch_url

    assert database_config(scratch_url(url)) == {**database_config(url), "NAME": SCRATCH_DB}
