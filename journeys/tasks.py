"""Background work on journey maps. Tasks take ids (JSON) and call a service; each is idempotent."""

from celery import shared_task

from .services import trash, versioning
from .services.changes import AUTO_VERSION_TASK


@shared_task(name=AUTO_VERSION_TASK)
def version_auto(journey_id: int) -> int | None:
    """The hourly automatic version of a map; does nothing when one exists from within the hour (or nothing
    changed since the latest), so retries and duplicates are harmless. Returns the new version's id."""
    version = versioning.version_auto_save(journey_id=journey_id)
    return version.pk if version is not None else None


@shared_task(name=trash.PURGE_TASK)
def purge_trash() -> int:
    """Delete trash items older than TRASH_RETENTION_DAYS (and rows that waited as long); daily, from beat.
    Idempotent: a second run finds nothing more. Returns how many items went."""
    return trash.trash_purge()
