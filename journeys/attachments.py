"""The hook for what upper apps attach to map elements (DESIGN.md: "restores and undos are lossless round
trips that keep everything attached to an element"), like journeys/overlays.py is for what they show on the
map.

Journeys' trash keeps every row attached to a deleted stage, step, lane or card by itself: the rows of any
model with a CASCADE foreign key to them (journeys/services/rows.py `collect`), so an upper app's rows
(research's evidence links, metrics' metrics, prioritization's scores) need no registration to be kept
and put back. What it cannot know is whether a row that cannot come back yet — because something else it
points at is deleted too — may come back later. That holds for rows pointing at something with an undo
of its own: another map element, or a model an upper app keeps in a trash of its own and registers here
(research: Evidence and Study). Such rows wait (journeys.models.WaitingRow, journeys/services/waiting.py)
and return as soon as everything they point at is back, whichever undo comes last:

- journeys' undo and version restore put back the rows waiting on their journey whose references hold;
- an upper app's undo takes the rows waiting for what it puts back (`waiting_take`) and puts them back
  itself, or leaves them waiting (`waiting_keep`) when their element is still deleted.

Apps register in AppConfig.ready(). Nothing in journeys imports an upper app.
"""

_restorable: dict[str, type] = {}


def register(model) -> None:
    """Declare that deleted rows of `model` (an upper app's) can be put back by that app's undo, so rows
    attached to map elements that point at one wait for it instead of being dropped."""
    _restorable[model._meta.label] = model


def unregister(model) -> None:
    """Remove a registration (tests; an app being switched off). No error when absent."""
    _restorable.pop(model._meta.label, None)


def restorable() -> frozenset:
    """The registered models, as a set."""
    return frozenset(_restorable.values())
