"""Writes of prioritization: one function per use case, keyword-only, transactional, permission checked once
(STYLE.md). Changes to a card (its score) go through journeys' one way of recording a change
(journeys.services.changes: lock_journey + record_change), so they show in its activity feed and live.

    scoring.py       the workspace's scoring model (default, new versions) and card scores (set, clear)
    initiatives.py   initiatives: create, update, delete, status (TRANSITIONS, history, measured verdicts),
                     the cards they address, their target metrics and delivery links
"""

from .scoring import score_clear, score_set, scoring_model_change, scoring_model_ensure_default

__all__ = ["score_clear", "score_set", "scoring_model_change", "scoring_model_ensure_default"]
