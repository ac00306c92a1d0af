"""Forms of the journey pages: journeys.py (journey fields, grants), editor.py (map elements and cards),
structure.py (copies, sub-journeys, saved views)."""
