"""Pages of journey maps (server-rendered + HTMX). Thin: parse, check access once, call a service or a
selector, render.

    grid.py       the map grid as pages show it (cards, emotion curve, breadcrumb); the others build on it
    journeys.py   the journeys list, create, the map page, settings, access
    editor.py     in-place editing of the map (HTMX fragments)
    structure.py  copies, future state, templates, sub-journeys, compare, present mode, saved views
    versions.py   versions, diff, restore, recently deleted, comments, activity
"""
