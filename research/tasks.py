"""Background work of research. Tasks take ids (JSON) and call a service; each is idempotent. (Evidence
imports run through core's import machinery and its task, core/tasks.py.)"""

from celery import shared_task

from .services import trash


@shared_task(name=trash.PURGE_TASK)
def purge_trash() -> int:
    """Delete research trash items older than TRASH_RETENTION_DAYS; daily, from beat. Idempotent: a second
    run finds nothing more. Returns how many items went."""
    return trash.research_trash_purge()
