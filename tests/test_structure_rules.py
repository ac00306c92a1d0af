"""Rules about the project and the test suite itself, so that the safety net cannot quietly thin out.

* The lists other tests iterate over (our apps, our routes) are derived from INSTALLED_APPS and the URL
  resolver; these tests prove the derivation finds what it should and nothing else.
* A refusal is asserted by its exact status and message: a test may not settle for ``"field" in
  response.json()`` (a 201 that echoes the field passes it too) or for a status range.
"""

import ast
from pathlib import Path

from django.apps import apps
from django.conf import settings

from .checks import project_app_labels, project_apps, project_routes, url_routes

TESTS = Path(__file__).resolve().parent


def test_project_apps_are_the_apps_of_this_repository():
    labels = project_app_labels()
    assert {"accounts", "journeys"} <= labels
    base = Path(settings.BASE_DIR).resolve()
    for config in apps.get_app_configs():
        ours = config.label in labels
        inside = (
            base in Path(config.path).resolve().parents and "site-packages" not in Path(config.path).parts
        )
        assert ours == inside, f"{config.name} at {config.path}"
    # Django's and third-party apps are not ours, even with a virtualenv inside the repository (.venv/).
    assert not labels & {
        "admin",
        "auth",
        "contenttypes",
        "sessions",
        "rest_framework",
        "authtoken",
        "guardian",
    }
    assert [config.name for config in project_apps()] == [
        name for name in settings.INSTALLED_APPS if apps.get_containing_app_config(name).label in labels
    ]


def test_project_routes_are_every_route_our_views_serve():
    routes = project_routes()
    names = {route.name for route in routes}
    assert {"journeys:map", "journeys:live", "journeys-api:card-detail", "accounts-api:auth-token"} <= names
    assert not names & {"admin:index", "api-schema", "api-docs"}  # Django's and drf-spectacular's views
    # Every other route of the URLconf is served by Django or another installed app (admin, guardian…).
    labels = project_app_labels()
    installed = {config.name.split(".", 1)[0] for config in apps.get_app_configs()}
    for route in url_routes():
        top = route.module.split(".", 1)[0]
        assert top in labels or top in installed, route


def test_every_project_app_has_its_test_package():
    # Tests mirror the apps (tests/<app>/test_*.py): an app added without a test package fails here.
    for label in project_app_labels():
        package = TESTS / label
        assert (package / "__init__.py").exists() and list(package.glob("test_*.py")), f"no tests/{label}/"


# ------------------------------------------------------------------------------------ how tests assert


def _is_json_body(node) -> bool:
    """``<something>.json()``, or ``set(<something>.json())``."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"set", "list"}:
        return bool(node.args) and _is_json_body(node.args[0])
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "json"


def _is_status(node) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "status_code"


def weak_assertions(source: str) -> list[tuple[int, str]]:
    """Assertions that a wrong answer can pass: a key looked up in a JSON body, a status compared loosely."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Assert):
            continue
        for compare in (n for n in ast.walk(node.test) if isinstance(n, ast.Compare)):
            sides = [compare.left, *compare.comparators]
            for op, left, right in zip(compare.ops, sides[:-1], sides[1:], strict=True):
                # (`"token" not in response.json()` stays allowed: it proves something is *not* said.)
                key_in_body = (isinstance(op, ast.In | ast.LtE) and _is_json_body(right)) or (
                    isinstance(op, ast.GtE) and _is_json_body(left)
                )
                loose_status = (_is_status(left) or _is_status(right)) and not isinstance(op, ast.Eq)
                if key_in_body or loose_status:
                    found.append((node.lineno, ast.unparse(compare)))
    return found


def test_the_weak_assertion_finder_finds_them():
    source = """
def test_x(api, response):
    assert "kind" in api.post(url, {}).json()
    assert {"lane", "step"} <= set(response.json())
    assert response.status_code >= 400
    assert response.status_code in (403, 404)
    assert response.status_code == 400 and "title" in response.json()
    assert set(response.json()) >= {"title"}
    assert response.status_code == 400 and "token" not in response.json()
    assert response.json() == {"title": ["This field may not be blank."]}
    assert "Saved" in response.content.decode()
    assert response.json()["detail"].startswith("This was changed")
"""
    assert [line for line, _ in weak_assertions(source)] == [3, 4, 5, 6, 7, 8]


def test_no_test_settles_for_a_weak_assertion():
    # Assert the whole body (``assert_refused(response, 400, {"title": [...]})`` in tests/checks.py) and
    # the exact status. A key "in" a body also holds for a 201 that echoes it.
    weak = [
        f"{path.relative_to(TESTS.parent)}:{line}: {text}"
        for path in sorted(TESTS.rglob("*.py"))
        if path.name != Path(__file__).name
        for line, text in weak_assertions(path.read_text())
    ]
    assert not weak, "Weak assertions (assert the exact status and body):\n  " + "\n  ".join(weak)
