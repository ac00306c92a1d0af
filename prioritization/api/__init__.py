"""REST API of prioritization (DRF, OpenAPI through drf-spectacular); urls.py lists the routes.

initiatives.py   initiatives: CRUD with expected_version, status changes, card links, targets with their
                 outcome, delivery links
scoring.py       the scoring model and its versions, card scores (read, set, clear) and their history, a
                 journey's card scores
queue.py         the queue: pain points and opportunities ranked, with the queue page's filters and sorts
integrations.py  delivery sync (admins): Jira and Asana integrations, outbound webhooks, their logs
"""
