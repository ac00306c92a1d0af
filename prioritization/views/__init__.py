"""Prioritization pages (server-rendered + HTMX). Thin: parse, check access once (prioritization.access),
call a service or a read, render.

    scoring.py       a card's score panel and history (from the map), the scoring model, the scoring help
    queue.py         the queue: pain points and opportunities ranked (list, impact/effort matrix, CSV)
    initiatives.py   initiatives: list, board by status, page (cards, targets and outcome chart, history,
                     delivery links), forms, status, links; how outcomes are measured (help)
    integrations.py  Jira and Asana integrations (admins), and the webhook endpoints they call
    webhooks.py      outbound webhooks (admins): settings, secret, send test, the delivery log
"""
