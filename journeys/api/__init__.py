"""REST API of journey maps (DRF, OpenAPI through drf-spectacular); urls.py lists the routes.

journeys.py   journeys, the whole map in one read, stages, steps, lanes, cards, grants
structure.py  copies, templates, sub-journeys, ancestors, compare, saved views
versions.py   versions, diff, restore, trash, comments
"""
