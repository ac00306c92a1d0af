"""Checks and project facts shared by the whole suite.

* ``database_rows()`` / ``database_changes()``: every row of every table, read straight from PostgreSQL (so
  auto-created many-to-many tables, third-party tables and tables without a model are all in), to prove
  that a refused request wrote nothing.
* ``assert_refused()``: a refusal is an exact status *and* an exact body; ``"field" in response.json()``
  alone is also true of a 201 that echoes the field.
* ``wait_for()``: poll a condition a worker or another process makes true, with a generous upper bound
  (never a timing assertion).
* ``project_apps()`` and ``url_routes()``: lists that tests iterate over (apps, API routes), derived from
  INSTALLED_APPS and the URL resolver, so an app or route added tomorrow is checked without editing a test.
"""

import json
import sysconfig
import time
from dataclasses import dataclass
from pathlib import Path

from django.apps import AppConfig, apps
from django.conf import settings
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver

# Tables a refused request may change, each with the reason. Keep this list short: a table here is a
# table in which a refused write would go unnoticed.
VOLATILE_TABLES = {
    # django-axes records every sign-in attempt, refused ones included: that record *is* the throttle.
    "axes_accessattempt": "sign-in throttling counts refused attempts",
    "axes_accessfailurelog": "sign-in throttling logs refused attempts",
    "axes_accesslog": "sign-in throttling logs attempts",
}


# ------------------------------------------------------------------------------------ database state


def database_tables() -> list[str]:
    """Every table of the database (not only those of models Django lists by default)."""
    with connection.cursor() as cursor:
        return sorted(connection.introspection.table_names(cursor))


def database_rows(*, exclude=VOLATILE_TABLES) -> dict[str, list[str]]:
    """{table: sorted rows as text} for every table, in one query; compares content, not counts."""
    tables = [table for table in database_tables() if table not in exclude]
    quote = connection.ops.quote_name
    # Table names come from the database's own catalogue, never from input.
    query = " UNION ALL ".join(
        f"SELECT %s, t::text FROM {quote(table)} AS t"  # noqa: S608
        for table in tables
    )
    rows: dict[str, list[str]] = {table: [] for table in tables}
    with connection.cursor() as cursor:
        cursor.execute(query, tables)
        for table, row in cursor.fetchall():
            rows[table].append(row)
    return {table: sorted(values) for table, values in rows.items()}


def database_changes(before: dict, after: dict, *, limit: int = 3) -> list[str]:
    """What differs between two ``database_rows()``: per table, rows gone and rows new (a change is both)."""
    changes = []
    for table in sorted(set(before) | set(after)):
        old, new = before.get(table, []), after.get(table, [])
        if old == new:
            continue
        gone = sorted(set(old) - set(new))
        added = sorted(set(new) - set(old))
        detail = [f"- {row}" for row in gone[:limit]] + [f"+ {row}" for row in added[:limit]]
        more = len(gone) + len(added) - len(detail)
        changes.append(
            f"{table}: {len(old)} → {len(new)} rows"
            + "".join(f"\n    {line}" for line in detail)
            + (f"\n    … and {more} more" if more > 0 else "")
        )
    return changes


# ------------------------------------------------------------------------------------ responses


def assert_refused(response, status: int, body=None, *, contains: str | None = None) -> None:
    """Exactly this status, and exactly this JSON body or a page that says ``contains``."""
    content = b"<stream>" if getattr(response, "streaming", False) else response.content
    assert response.status_code == status, f"expected {status}, got {response.status_code}: {content[:500]!r}"
    if body is not None:
        assert response.headers["Content-Type"].startswith("application/json"), response.headers[
            "Content-Type"
        ]
        actual = json.loads(content)
        assert actual == body, f"body {actual!r}, expected {body!r}"
    if contains is not None:
        assert contains in content.decode(), f"{contains!r} not in the page"


# ------------------------------------------------------------------------------------ the project


def _installed_elsewhere(path: Path) -> bool:
    """Inside a virtualenv's site-packages (which may itself sit inside the repo, like .venv/)."""
    libraries = {Path(sysconfig.get_paths()[key]).resolve() for key in ("purelib", "platlib")}
    return any(path == lib or lib in path.parents for lib in libraries) or "site-packages" in path.parts


def project_apps() -> list[AppConfig]:
    """The installed apps whose code lives in this repository (not Django's, not third-party ones)."""
    base = Path(settings.BASE_DIR).resolve()
    ours = []
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if (path == base or base in path.parents) and not _installed_elsewhere(path):
            ours.append(config)
    return ours


def project_app_labels() -> set[str]:
    return {config.label for config in project_apps()}


@dataclass(frozen=True)
class Route:
    """One URL pattern of the URLconf, with where it came from."""

    name: str | None  # fully qualified: "journeys-api:card-detail"
    route: str  # the whole route, includes joined: "api/v1/cards/<int:pk>/"
    namespace: str  # "journeys-api" ("" at the top level)
    callback: object

    @property
    def view_class(self):
        """The class of a class-based view (Django's or DRF's ``as_view()``), else None."""
        return getattr(self.callback, "view_class", None) or getattr(self.callback, "cls", None)

    @property
    def module(self) -> str:
        view = self.view_class or self.callback
        return getattr(view, "__module__", "")

    @property
    def allowed_methods(self) -> set[str]:
        """The methods a class-based view answers (given as_view()'s arguments), as its 405s say."""
        view = self.view_class(**getattr(self.callback, "view_initkwargs", {}))
        return {method.upper() for method in view.http_method_names if hasattr(view, method)}

    @property
    def is_api(self) -> bool:
        """Served by Django REST framework."""
        from rest_framework.views import APIView

        return isinstance(self.view_class, type) and issubclass(self.view_class, APIView)


def url_routes(resolver=None, namespace: str = "", prefix: str = ""):
    """Every URL pattern of the project, through every ``include``, in URLconf order."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_routes(pattern, inner, route)
        elif isinstance(pattern, URLPattern):
            qualified = f"{namespace}{pattern.name}" if pattern.name else None
            yield Route(qualified, route, namespace.rstrip(":"), pattern.callback)


def project_routes():
    """The routes served by views of the project's own apps (the admin and the schema views are not)."""
    labels = project_app_labels()
    return [r for r in url_routes() if r.module.split(".", 1)[0] in labels]


WAIT = 30  # seconds: an upper bound for a worker to pick a task up, not a timing assertion


def wait_for(condition, *, timeout: float = WAIT) -> bool:
    """Poll `condition()` every 50 ms until it is true or `timeout` seconds passed; its last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return bool(condition())
