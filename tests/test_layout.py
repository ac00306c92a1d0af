"""The project's shape (DESIGN.md "Layout" and "Layers"): no module reaches into another module's private
names, apps import only from apps below them, and no module cycles. The project's modules are found from
INSTALLED_APPS (apps whose code lives in this repository), so apps to come are checked as they arrive."""

import ast
import subprocess
import sys
from pathlib import Path

from django.apps import apps
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def project_packages() -> list[str]:
    """Top-level packages of the apps in INSTALLED_APPS whose code is in this repository, plus config."""
    names = {"config"}
    for config in apps.get_app_configs():
        if Path(config.path).resolve().is_relative_to(ROOT) and ".venv" not in Path(config.path).parts:
            names.add(config.name.split(".")[0])
    return sorted(names)


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in project_packages():
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            modules[name.removesuffix(".__init__")] = path
    return modules


def private_reaches(modules: dict[str, Path]) -> list[str]:
    """`from x import _name` and `x._name` where x is another project module: one line per offence."""
    found = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        aliases = {}  # local name -> project module it stands for
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    if full in modules:
                        aliases[alias.asname or alias.name] = full
                    elif base in modules and base != name and _private(alias.name):
                        found.append(f"{name}: from {base} import {alias.name}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in modules:
                        aliases[alias.asname or alias.name.split(".")[0]] = alias.name
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and aliases[node.value.id] != name
                and _private(node.attr)
            ):
                found.append(f"{name}: {node.value.id}.{node.attr} ({aliases[node.value.id]})")
    return sorted(set(found))


def _private(attr: str) -> bool:
    return attr.startswith("_") and not attr.startswith("__")


def test_the_app_list_is_read_from_installed_apps():
    packages = project_packages()
    assert {"core", "accounts", "journeys", "config"} <= set(packages)
    assert "rest_framework" not in packages and "guardian" not in packages


def test_no_module_uses_another_modules_private_names():
    assert private_reaches(project_modules()) == []


def test_the_private_names_check_catches_both_forms(tmp_path, monkeypatch):
    """The checker itself: a `from a import _x` and an `a._x` in another module are both reported."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "a.py").write_text("def _x():\n    pass\n")
    (tmp_path / "pkg" / "b.py").write_text("from .a import _x\nfrom . import a\na._x()\n")
    modules = {
        "pkg": tmp_path / "pkg" / "__init__.py",
        "pkg.a": tmp_path / "pkg" / "a.py",
        "pkg.b": tmp_path / "pkg" / "b.py",
    }
    assert private_reaches(modules) == ["pkg.b: a._x (pkg.a)", "pkg.b: from pkg.a import _x"]


def test_import_linter_contracts_hold_and_list_every_app():
    """`lint-imports` (also in `make lint`) keeps the layers and the acyclic contract; every project app
    must be a root package of the contract, so a new app cannot slip past it."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    assert set(config["root_packages"]) == set(project_packages())
    layered = {
        module.strip("()") for layer in config["contracts"][0]["layers"] for module in layer.split("|")
    }
    assert {m.strip() for m in layered} == set(project_packages())
    result = subprocess.run(  # noqa: S603
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_accounts_imports_nothing_from_journeys():
    offenders = [
        name
        for name, path in project_modules().items()
        if name.startswith("accounts") and "journeys" in _imported_packages(path)
    ]
    assert offenders == []


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names
