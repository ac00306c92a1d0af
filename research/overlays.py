"""The map's "evidence" view: each card's, step's and stage's confidence, through journeys' overlay hook
(journeys/overlays.py; base types in core/overlays.py), and the header figure: the share of pain points
and opportunities that are validated (moderate or strong).

Registered in ResearchConfig.ready() with `journeys.overlays.register(EvidenceOverlay())`. Each card's
decoration carries the URL of its evidence panel (research:card_evidence), which the map's side panel loads.
"""

from django.urls import reverse

from core.overlays import Decoration, MapIds, Overlay

from .confidence import Level, MapConfidence, level_of, map_confidence

# Colour (tone) always with an icon and a label, so each level reads in greyscale too.
LOOK = {
    Level.ASSUMPTION: ("warning", "help"),
    Level.WEAK: ("neutral", "dot"),
    Level.MODERATE: ("good", "check"),
    Level.STRONG: ("good", "check-double"),
    Level.CONTESTED: ("bad", "alert"),
}
DETAIL = {
    Level.ASSUMPTION: "Assumption: no supporting evidence.",
    Level.WEAK: "Weak evidence.",
    Level.MODERATE: "Moderate evidence.",
    Level.STRONG: "Strong evidence.",
    Level.CONTESTED: "Contested: credible evidence on both sides.",
}


def decoration(level: str, confidence=None, url: str = "") -> Decoration:
    """How one element's level shows on the map; `url`: the element's evidence panel, or none."""
    tone, icon = LOOK[level]
    data = {"level": str(level)}
    if confidence is not None:
        data["supporting"] = len(confidence.supporting.items)
        data["contradicting"] = len(confidence.contradicting.items)
    else:
        data["supporting"] = data["contradicting"] = 0
    return Decoration(
        label=Level(level).label, tone=tone, icon=icon, detail=DETAIL[level], url=url, data=data
    )


def headline(result: MapConfidence) -> Decoration:
    """The header figure: validated pain points and opportunities."""
    if not result.validatable:
        return Decoration(
            label="No pain points or opportunities",
            tone="none",
            detail="Validated: pain points and opportunities with moderate or strong evidence.",
            data={"validated": 0, "of": 0, "percent": None},
        )
    percent = round(100 * result.validated / result.validatable)
    return Decoration(
        label=f"{percent}% validated",
        tone="good" if percent >= 50 else "warning",
        icon="check" if percent >= 50 else "help",
        detail=f"{result.validated} of {result.validatable} pain points and opportunities have moderate or "
        "strong evidence.",
        data={"validated": result.validated, "of": result.validatable, "percent": percent},
    )


class EvidenceOverlay:
    """The overlay provider of research: confidence levels for every element of the map (three queries)."""

    name = "evidence"
    label = "Evidence"

    def decorate(self, *, ids: MapIds, user) -> Overlay:
        result = map_confidence(journey_id=ids.journey)
        base = reverse("research:card_evidence", args=[0])  # reversed once, the card's id put in per card
        return Overlay(
            cards={
                pk: decoration(
                    level_of(result.cards, pk), result.cards.get(pk), base.replace("/0/", f"/{pk}/")
                )
                for pk in ids.cards
            },
            steps={pk: decoration(level_of(result.steps, pk), result.steps.get(pk)) for pk in ids.steps},
            stages={pk: decoration(level_of(result.stages, pk), result.stages.get(pk)) for pk in ids.stages},
            headline=headline(result),
        )
