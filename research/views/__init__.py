"""Research pages (server-rendered + HTMX). Thin: parse, check access once (research.access, and
journeys.access for a card's panel), call a service or selector, render.

    evidence.py  the evidence library (search, filters, CSV export), an item's page, create/edit/delete
    studies.py   the studies list, a study's page with its evidence, create/edit/delete
    panel.py     a card's evidence panel on the map: linked evidence, search-and-link, create-and-link, unlink
    help.py      the confidence rule, from research/confidence.py's constants
    imports.py   a study's CSV import (the lead's)
"""
