"""The demo's registry: apps above journeys add to `manage.py load_demo` without journeys importing them
(like journeys/overlays.py's registry of map overlays, and Django admin's registry).

An app registers a loader in its AppConfig.ready(): `demo.register("research", "research.demo.load")`.
`load_demo` builds journeys' demo workspace first (journeys/demo.py), then calls every registered loader,
in registration order, as

    loader(workspace=<the demo Workspace>, journeys=<{title: Journey} of its journeys>) -> str

A loader returns one line saying what it made, or that it made nothing. It is idempotent: it checks what
exists (a study's title, a metric's name) and adds only what is missing, so running `load_demo` again
changes nothing. It writes through its app's services, in one transaction of its own, and may assume
nothing about the others' data.
"""

from collections.abc import Callable
from typing import Protocol

from django.utils.module_loading import import_string


class DemoLoader(Protocol):
    def __call__(self, *, workspace, journeys: dict) -> str: ...


_loaders: dict[str, DemoLoader | str] = {}


def register(name: str, loader: DemoLoader | str) -> None:
    """Add an app's demo loader under `name` (e.g. "research").

    Args:
        name: the app's name, shown nowhere; registering the same loader again under its name (as a
            callable or its path) is a no-op.
        loader: a callable (see the module docstring) or its dotted path ("research.demo.load"), imported
            only when the demo is loaded, so running the site never imports demo data.
    Raises ValueError when another loader already uses `name`.
    """
    existing = _loaders.get(name)
    if existing is not None and existing != loader and _resolved(existing) is not _resolved(loader):
        raise ValueError(f"A demo loader named {name!r} is already registered.")
    _loaders[name] = loader


def _resolved(loader: DemoLoader | str) -> DemoLoader:
    return import_string(loader) if isinstance(loader, str) else loader


def unregister(name: str) -> None:
    """Remove the loader of that name (tests). No error when absent."""
    _loaders.pop(name, None)


def loaders() -> list[tuple[str, Callable[..., str]]]:
    """The registered loaders as (name, callable), in registration order (dotted paths imported now).
    Raises ImportError when a registered path names nothing."""
    return [
        (name, import_string(loader) if isinstance(loader, str) else loader)
        for name, loader in _loaders.items()
    ]
