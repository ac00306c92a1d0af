"""Background work on metrics. Tasks take ids (JSON) and are idempotent: a shift is recorded once per
metric and period however often a scan runs (metrics/shifts.py)."""

from celery import shared_task

from . import shifts
from .services import SCAN_JOURNEY_TASK

SCAN_ALL_TASK = "metrics.scan_shifts"


@shared_task(name=SCAN_JOURNEY_TASK)
def scan_journey(journey_id: int) -> int:
    """Detect sharp changes of one journey's metrics (queued after measurements are recorded). Returns
    how many shifts are new."""
    return len(shifts.scan_journey(journey_id=journey_id))


@shared_task(name=SCAN_ALL_TASK)
def scan_shifts() -> int:
    """Nightly (config/celery.py's beat schedule): detect sharp changes of every metric. Returns how many
    shifts are new."""
    return shifts.scan_all()
