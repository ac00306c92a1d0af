"""Celery beat's schedule (config/celery.py) names only tasks the worker knows: a renamed task would
otherwise be sent forever to nobody."""

from config.celery import app


def test_every_scheduled_task_is_registered(db):
    # As a worker does at start: import every app's tasks module (Celery's Django fixup then runs
    # Django's system checks, which read the database: hence `db`).
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert scheduled, "the schedule is empty"
    assert scheduled <= set(app.tasks), sorted(scheduled - set(app.tasks))
