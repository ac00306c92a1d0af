"""Benchmark settings: the project's, run as production would (DEBUG off), on a scratch database.

bench/run.py points DATABASE_URL at the scratch database before Django loads these."""

import os
import secrets

os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))  # a throwaway: sessions die with the database

from config.settings import *  # noqa: E402, F403
from config.settings import ALLOWED_HOSTS, STORAGES  # noqa: E402

DEBUG = False
ALLOWED_HOSTS = ["testserver", *ALLOWED_HOSTS]  # django.test.Client's host
# Serve {% static %} without a collectstatic manifest; the storage does not change what is measured.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
