"""Hooks through which apps above accounts react to changes of membership, without accounts importing them.

An app registers a callback in its ``AppConfig.ready()``::

    from accounts import hooks
    hooks.on_member_removed(my_app.services.forget_member)

``accounts.services.membership_remove`` calls every registered callback inside its transaction, as
``callback(workspace=..., user=...)``, after the membership is gone: a callback removes what the person
held in that workspace (journey grants, subscriptions...). A callback that raises rolls the removal back.
Registering the same callback twice registers it once.
"""

from collections.abc import Callable

MemberRemoved = Callable[..., None]

_member_removed: list[MemberRemoved] = []


def on_member_removed(callback: MemberRemoved) -> MemberRemoved:
    """Call `callback(workspace=, user=)` whenever a member leaves or is removed from a workspace."""
    if callback not in _member_removed:
        _member_removed.append(callback)
    return callback


def member_removed(*, workspace, user) -> None:
    """Tell every registered app that `user` is no longer a member of `workspace` (inside the removal)."""
    for callback in list(_member_removed):
        callback(workspace=workspace, user=user)


def member_removed_callbacks() -> tuple[MemberRemoved, ...]:
    """The registered callbacks (for tests and checks)."""
    return tuple(_member_removed)
