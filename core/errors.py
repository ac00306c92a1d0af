"""Errors that services raise and pages/API turn into answers.

Services raise django's `ValidationError` ({field: message}) for bad input (400/422, nothing changed),
`Http404`/`PermissionDenied` for access, and `Conflict` when a write names a stale version (409).
"""


class Conflict(Exception):
    """A write named a stale version; `current` is the object as it is now (None when it was deleted).

    Args:
        current: the model instance as it is in the database now, or None when it no longer exists.
        message: the human-readable reason, shown to the person whose write was refused.
    """

    def __init__(self, current, message="This was changed by someone else since you loaded it."):
        super().__init__(message)
        self.current = current
