"""The map's "Priority" view: a badge on every pain-point and opportunity card with its priority and band
(colour, icon and word, so it reads in greyscale), whether its score predates the current model (stale),
and "addressed by …, shipped on …" when a shipped initiative addresses it; the header figure says how many
are scored. Through journeys' overlay hook (journeys/overlays.py; base types in core/overlays.py).

Registered in PrioritizationConfig.ready() with `journeys.overlays.register(PriorityOverlay())`. Each
badge opens the card's score panel (prioritization:card_score) in the map's side panel. The rule behind
the figures: prioritization/scoring.py.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.urls import reverse
from django.utils.formats import date_format

from core.overlays import Decoration, MapIds, Overlay
from journeys.models import LaneKind

from . import scoring
from .selectors import CardPriority, DeliveryInfo, card_priorities, delivery_for_cards

LEVEL_WORDS = {
    "assumption": "an assumption",
    "weak": "weak evidence",
    "moderate": "moderate evidence",
    "strong": "strong evidence",
    "contested": "contested evidence",
}


def number(value) -> str:
    """A figure as the map shows it: whole, rounded half up (72.5 → 73)."""
    return f"{value.quantize(Decimal(1), rounding=ROUND_HALF_UP):f}"


def figure(value) -> str:
    """A figure with its decimals when it has any (72.5, 61.63, 40)."""
    return f"{value.normalize():f}" if value is not None else "–"


def shipped_text(delivery: DeliveryInfo | None) -> str:
    """ "Addressed by “Guided setup”, shipped on 3 March 2026." (and, once measured, "Outcome: 1 of 2
    targets met.") or ""."""
    if delivery is None or not delivery.addressed:
        return ""
    lead = delivery.lead
    when = f", shipped on {date_format(delivery.shipped_date, 'j F Y')}" if delivery.shipped_date else ""
    outcome = f" Outcome: {lead.outcome}." if lead.outcome else ""
    return f"Addressed by “{lead.title}”{when}.{outcome}"


def delivery_data(delivery: DeliveryInfo | None) -> dict | None:
    """The card's delivery as the overlay's data (JSON), or None when nothing addresses it."""
    if delivery is None or not delivery.initiatives:
        return None
    lead = delivery.lead
    return {
        "status": delivery.status,
        "status_label": delivery.status_label,
        "addressed": delivery.addressed,
        "shipped_date": delivery.shipped_date.isoformat() if delivery.shipped_date else None,
        "initiative": {"id": lead.id, "title": lead.title} if lead else None,
        "outcome": lead.outcome or None if lead else None,
    }


def decoration(row: CardPriority, *, url: str = "", delivery: DeliveryInfo | None = None) -> Decoration:
    """How one pain point or opportunity shows in the Priority view."""
    what = "opportunity" if row.kind == LaneKind.OPPORTUNITIES else "pain point"
    shipped = shipped_text(delivery)
    data = {
        "scored": row.scored,
        "composite": float(row.composite) if row.composite is not None else None,
        "priority": float(row.priority) if row.priority is not None else None,
        "band": None,
        "model_version": row.model_number,
        "stale": row.stale,
        "confidence_level": row.level if row.use_confidence else None,
        "delivery": delivery_data(delivery),
    }
    if not row.scored:
        look = scoring.UNSCORED
        label, detail = look.label, f"This {what} is not scored yet: open it to score it."
    elif row.priority is None:
        look = scoring.PARTIAL
        label = look.label
        detail = f"Part-scored: rate every weighted criterion to give this {what} a composite."
    else:
        look = scoring.band(row.priority)
        data["band"] = look.key
        label = f"{number(row.priority)} · {look.label}"
        detail = f"Priority {figure(row.priority)} ({look.label.lower()})"
        if row.use_confidence:
            factor = scoring.confidence_factor(row.level)
            detail += (
                f": composite {figure(row.composite)} × {figure(factor)} for "
                f"{LEVEL_WORDS.get(row.level, 'an assumption')}"
            )
        detail += f", scored under model v{row.model_number}."
    if row.stale:
        label += " · stale"
        detail += " The scoring model has changed since: re-score it."
    if shipped:
        label += " · shipped"
        detail += f" {shipped}"
    return Decoration(label=label, tone=look.tone, icon=look.icon, detail=detail, url=url, data=data)


def headline(rows: dict[int, CardPriority], *, url: str = "") -> Decoration:
    """The header figure: how many pain points and opportunities are scored, how many stale, how many top."""
    total = len(rows)
    scored = sum(1 for r in rows.values() if r.priority is not None)
    stale = sum(1 for r in rows.values() if r.stale)
    top = sum(1 for r in rows.values() if r.priority is not None and scoring.band(r.priority).key == "top")
    data = {"scored": scored, "of": total, "stale": stale, "top": top}
    if not total:
        return Decoration(label="No pain points or opportunities", detail="", url=url, data=data)
    parts = [f"{top} top priorit{'y' if top == 1 else 'ies'}"]
    if stale:
        parts.append(f"{stale} stale (scored under an older model)")
    return Decoration(
        label=f"{scored} of {total} scored",
        tone="good" if scored == total and not stale else "warning",
        icon="check" if scored == total and not stale else "help",
        detail="; ".join(parts) + ".",
        url=url,
        data=data,
    )


class PriorityOverlay:
    """The overlay provider of prioritization: the priority of every pain point and opportunity of the map,
    in card_priorities' one query and delivery_for_cards' one (plus research's three when a score's model
    uses evidence confidence), whatever the size of the map."""

    name = "priority"
    label = "Priority"

    def decorate(self, *, ids: MapIds, user) -> Overlay:
        # Every pain point and opportunity of the journey (one query): the header figure describes the whole
        # map even when only some cards are asked for (a cell swapped in after an edit carries it too).
        rows = card_priorities(journey_id=ids.journey)
        shown = [pk for pk in ids.cards if pk in rows]
        delivery = delivery_for_cards(shown, user=user)  # no query for no cards
        base = reverse("prioritization:card_score", args=[0])  # reversed once; each card's id put in
        cards = {
            pk: decoration(rows[pk], url=base.replace("/0/", f"/{pk}/"), delivery=delivery.get(pk))
            for pk in shown
        }
        return Overlay(cards=cards, headline=headline(rows, url=reverse("prioritization:scoring_help")))
