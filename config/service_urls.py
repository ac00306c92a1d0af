"""DATABASE_URL and REDIS_URL: read into settings, and written back for the processes we start.

Every process that starts another one (`make run`'s web, worker and beat, `make bench`, tests that start
uvicorn or Celery, scripts/services.py) hands PostgreSQL and Redis over as the URLs built here, and
config/settings.py reads them with `database_config`. A unix socket and a TCP server go over alike: a
socket folder travels as libpq's `?host=/folder` query, never percent-encoded into the host name (which
the URL parser would hand to libpq as a host name to resolve: "failed to resolve host '%2F…'").

No Django import here: scripts/services.py uses it before Django is set up.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import quote, urlencode

import environ

# The pool's sizes travel to child processes as the variables config/settings.py reads them from.
POOL_VARIABLES = {
    "min_size": "DATABASE_POOL_MIN_SIZE",
    "max_size": "DATABASE_POOL_MAX_SIZE",
    "timeout": "DATABASE_POOL_TIMEOUT",
}


def database_config(url: str) -> dict:
    """A Django DATABASES entry from a DATABASE_URL, a unix socket folder in HOST (where dbshell looks)."""
    config = environ.Env.db_url_config(url)
    options = config.setdefault("OPTIONS", {})
    if not config.get("HOST") and "host" in options:
        config["HOST"] = str(options.pop("host"))
    if not config.get("PORT") and "port" in options:
        config["PORT"] = options.pop("port")
    return config


def _is_socket(host: str) -> bool:
    # libpq: a host starting with a slash is a socket folder, with @ one in Linux's abstract namespace.
    return host.startswith(("/", "@"))


def database_url(config: Mapping) -> str:
    """The DATABASE_URL that `database_config` reads back as `config` (a Django DATABASES entry)."""
    user, password = str(config.get("USER") or ""), str(config.get("PASSWORD") or "")
    host, port = str(config.get("HOST") or ""), str(config.get("PORT") or "")
    auth = quote(user, safe="")
    if password:
        auth += ":" + quote(password, safe="")
    query: dict[str, str] = {}
    if _is_socket(host):
        query["host"] = host
        if port:
            query["port"] = port
        netloc = ""
    else:
        netloc = f"[{host}]" if ":" in host and not host.startswith("[") else host
        if port:
            netloc += f":{port}"
    for key, value in (config.get("OPTIONS") or {}).items():
        # libpq's own parameters (sslmode, application_name...); the pool goes by POOL_VARIABLES.
        if key in {"host", "port", "pool"} or isinstance(value, bool):
            continue
        if isinstance(value, str | int):
            query[key] = str(value)
    url = f"postgres://{auth + '@' if auth else ''}{netloc}/{quote(str(config.get('NAME') or ''), safe='')}"
    return f"{url}?{urlencode(query, safe='/', quote_via=quote)}" if query else url


def redis_socket_url(path: str, db: int = 0) -> str:
    """redis-py's URL of a Redis listening on a unix socket."""
    return f"unix://{quote(str(path))}?db={db}"


def celery_redis_url(url: str) -> str:
    """Celery spells redis-py's unix socket URL `unix:///path?db=N` as `redis+socket:///path?virtual_host=N`."""
    if not url.startswith("unix://"):
        return url
    location, _, query = url.removeprefix("unix://").partition("?")
    params = dict(part.split("=", 1) for part in query.split("&") if "=" in part)
    db = params.pop("db", "0")
    rest = "".join(f"&{key}={value}" for key, value in params.items())
    return f"redis+socket://{location}?virtual_host={db}{rest}"


def child_env(
    *,
    database: Mapping | None = None,
    redis_url: str | None = None,
    base: Mapping[str, str] | None = None,
    **extra: str,
) -> dict[str, str]:
    """The environment of a child process that must use this database and Redis.

    `database` is a Django DATABASES entry (e.g. `connection.settings_dict`, the test database under
    pytest), `redis_url` a REDIS_URL; `base` defaults to this process's environment; `extra` wins.
    """
    env = dict(os.environ if base is None else base)
    if database is not None:
        env["DATABASE_URL"] = database_url(database)
        env.pop("CONN_MAX_AGE", None)  # the pool holds the connections (config/settings.py)
        pool = (database.get("OPTIONS") or {}).get("pool")
        if isinstance(pool, Mapping):
            for key, variable in POOL_VARIABLES.items():
                if key in pool:
                    env[variable] = str(pool[key])
    if redis_url is not None:
        env["REDIS_URL"] = redis_url
        # Celery's URLs follow the Redis handed over (config/settings.py derives them from REDIS_URL).
        env.pop("CELERY_BROKER_URL", None)
        env.pop("CELERY_RESULT_BACKEND", None)
    env.update(extra)
    return env
