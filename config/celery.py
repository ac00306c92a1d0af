"""Celery app. Tasks take ids (JSON only); beat's schedule lives here, in code."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("throughline")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Periodic scans (governance reminders, staleness) are added here by the apps that need them.
app.conf.beat_schedule = {}
