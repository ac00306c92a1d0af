"""REST API of metrics (DRF, OpenAPI through drf-spectacular); urls.py lists the routes.

metrics.py   metric definitions (CRUD with expected_version), measurements (one, or up to 5,000 at once),
             a journey's health with its explanation, its metric shifts
settings.py  a workspace's shift-detection settings (admins change them, with expected_version)
"""
