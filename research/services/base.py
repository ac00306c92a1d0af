"""What research's writes share: versioned saves of workspace-owned rows."""

from django.utils import timezone

from journeys.services.changes import apply_fields, check_version

__all__ = ["apply_fields", "check_version", "save_versioned"]


def save_versioned(obj, changed: list[str], by, *, touched: bool = False, exclude=()) -> bool:
    """Validate `obj` (ValidationError by field; `exclude`: fields the service checked itself), bump its
    `version`, stamp who changed it and when (when it has those columns) and save the changed fields.
    `touched`: something else of it changed (its tags). Returns False, saving nothing, when nothing did."""
    if not changed and not touched:
        return False
    obj.full_clean(exclude=list(exclude))
    obj.version += 1
    stamp = []
    if hasattr(obj, "updated_at"):
        obj.updated_at, obj.updated_by = timezone.now(), by
        stamp = ["updated_at", "updated_by"]
    obj.save(update_fields=[*changed, "version", *stamp])
    return True
