"""Base types of the map's overlay hook (DESIGN.md "How upper apps show on the map").

An app above journeys (research, metrics, prioritization) shows its data on a journey map by registering
an `OverlayProvider` with `journeys.overlays.register(...)` in its AppConfig.ready(). The map page and the
map API ask every registered provider once per request, giving it the ids on the map; a provider answers
with `Decoration`s in a constant number of queries, whatever the size of the map.
"""

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Decoration:
    """What one provider shows on one element of a map.

    Attributes:
        label: short text on the element (a badge, e.g. "Strong" or "72"); escaped when shown.
        tone: one of "good", "neutral", "warning", "bad", "none": the colour, always with `icon`/`label`
            so it reads in greyscale too.
        icon: a short name of an icon of the design (e.g. "check", "alert"), or "".
        detail: longer text for hover/focus and screen readers (escaped).
        url: where the element's detail lives in the provider's app, or "".
        data: JSON-serialisable values for the API (numbers, ids), under the provider's name.
    """

    label: str
    tone: str = "none"
    icon: str = ""
    detail: str = ""
    url: str = ""
    data: dict = field(default_factory=dict)


@dataclass(frozen=True)
class MapIds:
    """The elements of the map being shown, by kind (what a provider may decorate)."""

    journey: int
    stages: tuple[int, ...]
    steps: tuple[int, ...]
    cards: tuple[int, ...]


@dataclass
class Overlay:
    """One provider's answer: decorations by element kind and id, and an optional figure for the header
    (e.g. "61% of pain points validated")."""

    cards: dict[int, Decoration] = field(default_factory=dict)
    steps: dict[int, Decoration] = field(default_factory=dict)
    stages: dict[int, Decoration] = field(default_factory=dict)
    headline: Decoration | None = None


class OverlayProvider(Protocol):
    """What an app registers. `name` is the key in the API ("evidence", "metrics", "priority"), `label` the
    view's name in the map's view switcher. `decorate` runs a constant number of queries; it may assume the
    reader can see the journey (checked before) and must show nothing the reader could not see elsewhere."""

    name: str
    label: str

    def decorate(self, *, ids: MapIds, user) -> Overlay: ...
