"""Metrics pages (server-rendered). Thin: parse, check access once (metrics.access), call a service or
selector, render.

    journeys.py  a journey's metrics page: metrics by journey, stage and step, health and its explanation
    metrics.py   a metric's page (chart, measurements, shifts, history), create, edit, delete, add a value
    help.py      the health and shift rules, from metrics/health.py's and metrics/shifts.py's constants
    imports.py   the CSV upload of a journey's measurements (core's import machinery)
    measurements.py  one measurement corrected or deleted (from the measurements table)
    settings.py  a workspace's shift-detection settings (members see them, admins change them)
"""
