"""Writes to journey maps: one function per use case, keyword-only, transactional (STYLE.md).

    changes.py     the one way a write locks its journey and records the change (revision, activity,
                   live event, automatic version), and the helpers writes share
    journeys.py    journeys themselves: create, update, delete, grants
    elements.py    stages, steps, lanes, cards
    structure.py   copies, future state, templates, sub-journeys, saved views; hierarchy and compare reads
    trash.py       deleted elements kept for undo, and putting them back
    versioning.py  versions of a whole map: save, automatic, diff, restore
    comments.py    comment threads on cards, with @mentions

The names below are the map-writing API most callers need; the other modules are imported by name
(`from journeys.services import versioning`).
"""

from core.errors import Conflict

from .changes import Change
from .elements import (
    card_create,
    card_delete,
    card_move,
    card_update,
    lane_create,
    lane_delete,
    lane_move,
    lane_update,
    stage_create,
    stage_delete,
    stage_move,
    stage_update,
    step_create,
    step_delete,
    step_move,
    step_update,
)
from .journeys import (
    DEFAULT_LANES,
    JOURNEY_FIELDS,
    journey_create,
    journey_delete,
    journey_grant_remove,
    journey_grant_set,
    journey_update,
)

__all__ = [
    "DEFAULT_LANES", "JOURNEY_FIELDS", "Change", "Conflict",
    "card_create", "card_delete", "card_move", "card_update",
    "journey_create", "journey_delete", "journey_grant_remove", "journey_grant_set", "journey_update",
    "lane_create", "lane_delete", "lane_move", "lane_update",
    "stage_create", "stage_delete", "stage_move", "stage_update",
    "step_create", "step_delete", "step_move", "step_update",
]  # fmt: skip
