"""Celery app. Tasks take ids (JSON only); beat's schedule lives here, in code."""

import os
from pathlib import Path

from celery import Celery
from celery.beat import PersistentScheduler
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("throughline")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class BeatScheduler(PersistentScheduler):
    """Celery's own scheduler, which also creates the folder of its schedule file
    (CELERY_BEAT_SCHEDULE_FILENAME, var/ by default): a fresh clone using external servers has no var/."""

    def setup_schedule(self):
        Path(self.schedule_filename).parent.mkdir(parents=True, exist_ok=True)
        super().setup_schedule()


app.conf.beat_scheduler = "config.celery:BeatScheduler"

# Periodic scans (governance reminders, staleness) are added here by the apps that need them.
app.conf.beat_schedule = {
    # Uploaded files of imports nobody finished (core/imports.py): deleted after a week.
    "purge-unfinished-imports": {"task": "core.purge_imports", "schedule": 24 * 60 * 60},
    # Undo's trash (TRASH_RETENTION_DAYS): map elements (journeys/services/trash.py), evidence and studies
    # (research/services/trash.py) deleted longer ago are purged for good.
    "purge-map-trash": {"task": "journeys.purge_trash", "schedule": 24 * 60 * 60},
    "purge-research-trash": {"task": "research.purge_trash", "schedule": 24 * 60 * 60},
    # Outbound webhook deliveries that are due and pending (prioritization/webhooks.py): re-queued every
    # minute: a task the broker dropped or a worker that died mid-attempt delays a delivery, never loses it.
    "requeue-webhook-deliveries": {"task": "prioritization.requeue_webhook_deliveries", "schedule": 60},
    # Delivery sync's logs past DELIVERY_LOG_RETENTION_DAYS (prioritization/webhooks.py `purge_logs`).
    "purge-delivery-logs": {"task": "prioritization.purge_delivery_logs", "schedule": 24 * 60 * 60},
    # Jira/Asana issues linked to initiatives, asked about in case a webhook never arrived (prioritization/
    # sync.py): only what changed after what the links have seen is applied.
    "poll-delivery-tools": {"task": "prioritization.poll_integrations", "schedule": 30 * 60},
}


def metric_shift_scan_schedule() -> crontab:
    """Sharp metric changes (metrics/shifts.py) are scanned nightly at METRICS_SHIFT_SCAN_HOUR o'clock
    (TIME_ZONE), a quiet hour instead of 24 hours after beat last started; each import and API push also
    scans its journey, and a scan records each shift once however often it runs."""
    from django.conf import settings

    return crontab(hour=settings.METRICS_SHIFT_SCAN_HOUR, minute=0)


@app.on_after_configure.connect
def _schedule_from_settings(sender, **kwargs):
    # Django's settings are read once Celery loads its configuration from them, not while config/ is
    # imported (bench/settings.py imports config.settings itself).
    sender.conf.beat_schedule["scan-metric-shifts"] = {
        "task": "metrics.scan_shifts",
        "schedule": metric_shift_scan_schedule(),
    }
