"""REST API of research (DRF, OpenAPI through drf-spectacular); urls.py lists the routes.

common.py    what the endpoints share: input parsing, `expected_version`, pagination, documented errors
studies.py   tags, studies, the workspace's research settings
evidence.py  evidence (one, many at once), links to map elements, confidence of a map and of a card
"""
