"""Background work every app shares: running import jobs (core/imports.py)."""

from celery import shared_task

from . import imports


@shared_task(name=imports.RUN_TASK, acks_late=True)
def run_import(job_id: int) -> str:
    """Run an import job; idempotent (see core.imports.run). Returns the job's final status."""
    return imports.run(job_id)


@shared_task(name=imports.PURGE_TASK)
def purge_imports() -> int:
    """Daily (config/celery.py's beat schedule): delete import jobs left unfinished for a week."""
    return imports.purge()
