"""The queue's impact/effort matrix as SVG made on the server (pygal's XY chart, no JavaScript).

Effort runs left to right (0: little, 100: much), impact bottom to top; both split at 50
(scoring.QUADRANT_SPLIT) into quick wins (top left), big bets (top right), fill-ins (bottom left) and money
pits (bottom right). Each card is a bubble whose area grows with its evidence count, numbered as the lists
beside the chart number it, so the chart reads without hovering or dragging; cards at the same point are
spread around it in a small ring (their true figures are in the lists). Colour is never the only cue: each
quadrant is named in the chart and the bubbles carry numbers. The chart is one image for assistive
technology (role="img", named by its <title> and <desc>); the lists are its text alternative.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from decimal import Decimal
from xml.etree import ElementTree

import pygal
from django.utils.safestring import SafeString, mark_safe
from pygal.style import Style

from .scoring import Quadrant

# Drawn small and scaled up by the page: on a phone it shrinks less, so numbers stay readable.
WIDTH, HEIGHT = 480, 440
SVG_NS = "http://www.w3.org/2000/svg"
FONT = 'ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif'
# Our palette (static/css/app.css's tokens): quick wins, big bets, fill-ins, money pits; the split lines.
COLOURS = {
    Quadrant.QUICK_WINS: "#0b7a4b",
    Quadrant.BIG_BETS: "#5847e0",
    Quadrant.FILL_INS: "#62626e",
    Quadrant.MONEY_PITS: "#c9291d",
}
LINE_COLOUR = "#9a9aa8"
ORDER = (Quadrant.QUICK_WINS, Quadrant.BIG_BETS, Quadrant.FILL_INS, Quadrant.MONEY_PITS)
# Where each quadrant's name stands (effort, impact): its outer corner.
NAME_AT = {
    Quadrant.QUICK_WINS: (3, 97),
    Quadrant.BIG_BETS: (97, 97),
    Quadrant.FILL_INS: (3, 3),
    Quadrant.MONEY_PITS: (97, 3),
}
MIN_RADIUS, MAX_RADIUS = 10.0, 22.0
FULL_AT = 36  # evidence items at which a bubble reaches MAX_RADIUS


@dataclass(frozen=True)
class Point:
    """One card on the matrix: its number in the lists, quadrant, axes (0–100) and evidence count."""

    number: int
    quadrant: str
    impact: Decimal
    effort: Decimal
    evidence: int


def radius(evidence: int) -> float:
    """A bubble's radius (px of the chart): its area grows in step with the evidence count, from MIN_RADIUS
    with none to MAX_RADIUS at FULL_AT items and more."""
    per_item = (MAX_RADIUS**2 - MIN_RADIUS**2) / FULL_AT
    return min(MAX_RADIUS, math.sqrt(MIN_RADIUS**2 + per_item * max(0, evidence)))


def spread(points: list[Point]) -> dict[int, tuple[float, float]]:
    """{number: (effort, impact)} where each bubble is drawn: a point of its own where it is, cards sharing
    a point around it in a ring (wider for more cards), kept inside 1–99."""
    groups: dict[tuple, list[Point]] = {}
    for point in points:
        groups.setdefault((round(float(point.effort), 1), round(float(point.impact), 1)), []).append(point)
    out = {}
    for (x, y), group in groups.items():
        if len(group) == 1:
            out[group[0].number] = (min(max(x, 1.0), 99.0), min(max(y, 1.0), 99.0))
            continue
        ring = min(2.0 + 0.7 * len(group), 9.0)
        for k, point in enumerate(group):
            angle = 2 * math.pi * k / len(group) - math.pi / 2
            px, py = x + ring * math.cos(angle), y + ring * math.sin(angle)
            out[point.number] = (min(max(px, 1.0), 99.0), min(max(py, 1.0), 99.0))
    return out


def _style() -> Style:
    return Style(
        background="transparent",
        plot_background="#ffffff",
        foreground="#3c3c46",
        foreground_strong="#17171c",
        foreground_subtle="#62626e",
        opacity=".78",
        opacity_hover=".9",
        colors=(*(COLOURS[q] for q in ORDER), LINE_COLOUR, LINE_COLOUR, "#ffffff"),
        guide_stroke_color="#ececf1",
        guide_stroke_dasharray="0",
        major_guide_stroke_color="#e5e5ea",
        major_guide_stroke_dasharray="0",
        font_family=FONT,
        label_font_size=12,
        major_label_font_size=12,
        title_font_size=13,
        value_font_size=11,
        tooltip_font_size=12,
    )


def description(points: list[Point], counts: dict[str, int], labels: dict[str, str]) -> str:
    """The chart in words (its <desc>)."""
    parts = [
        "Impact (up) against effort (right), both 0–100 and split at 50; bubble size grows with the "
        "number of evidence items."
    ]
    for key in ORDER:
        shown = sum(1 for p in points if p.quadrant == key)
        total = counts.get(key, 0)
        parts.append(f"{labels[key]}: {total:,} card{'s' if total != 1 else ''}, {shown} shown.")
    parts.append("The lists beside the chart name each numbered card.")
    return " ".join(parts)


def impact_effort_matrix(
    points: list[Point], counts: dict[str, int], *, nonce: str | None = None
) -> SafeString:
    """The matrix as inline SVG markup (safe to put in a page as it is: the text is ours or numbers, and
    the markup is re-serialised here without pygal's script), its stylesheet under the page's CSP nonce.
    `counts`: cards per quadrant (Queue.matrix_counts). No queries."""
    labels = dict(Quadrant.LABELS)
    chart = pygal.XY(
        style=_style(),
        width=WIDTH,
        height=HEIGHT,
        explicit_size=False,
        js=[],
        disable_xml_declaration=True,
        show_legend=False,
        stroke=False,
        range=(0, 100),
        xrange=(0, 100),
        x_labels=[0, 25, 50, 75, 100],
        y_labels=[0, 25, 50, 75, 100],
        x_title="Effort →",
        y_title="Impact →",
        margin=10,
        dots_size=MIN_RADIUS,
        print_values=False,
        print_labels=False,
        show_x_guides=True,
        show_y_guides=True,
        truncate_label=-1,
    )
    at = spread(points)
    for key in ORDER:
        chart.add(
            labels[key],
            # Larger bubbles first, so a small one is drawn on top of a large neighbour, not hidden by it.
            [
                {"value": at[p.number], "node": {"r": round(radius(p.evidence), 1)}, "label": str(p.number)}
                for p in sorted(points, key=lambda p: (-p.evidence, p.number))
                if p.quadrant == key
            ],
        )
    chart.add("split effort", [(50, 0), (50, 100)], stroke=True, show_dots=False, stroke_style={"width": 1.5})
    chart.add("split impact", [(0, 50), (100, 50)], stroke=True, show_dots=False, stroke_style={"width": 1.5})
    chart.add("names", [{"value": NAME_AT[key], "node": {"r": 0}, "label": key} for key in ORDER])
    return _finish(chart, points=points, counts=counts, labels=labels, nonce=nonce)


def _finish(chart, *, points, counts, labels, nonce) -> SafeString:
    tree = ElementTree.fromstring(chart.render(is_unicode=True))  # noqa: S314 - our own chart, no DTD
    svg = f"{{{SVG_NS}}}"
    chart_id = tree.get("id", "")
    for parent in list(tree.iter()):
        for child in list(parent):
            if child.tag in (f"{svg}script", f"{svg}title"):
                parent.remove(child)
            elif child.tag == f"{svg}style":
                if nonce:
                    child.set("nonce", nonce)
                child.text = (child.text or "") + _extra_css(chart_id)
    names_series = len(ORDER) + 2
    for group in tree.iter(f"{svg}g"):
        classes = (group.get("class") or "").split()
        if "series" not in classes or not any(c.startswith("serie-") for c in classes):
            continue
        index = int(next(c for c in classes if c.startswith("serie-")).removeprefix("serie-"))
        for dots in list(group.iter(f"{svg}g")):
            if "dots" not in (dots.get("class") or "").split():
                continue
            circle = dots.find(f"{svg}circle")
            label = dots.find(f"{svg}desc[@class='label']")
            if circle is None or label is None:
                continue
            x, y = circle.get("cx"), circle.get("cy")
            if index == names_series:
                key = label.text
                anchor = "start" if key in (Quadrant.QUICK_WINS, Quadrant.FILL_INS) else "end"
                dots.append(
                    _text(x, y, labels[key], anchor=anchor, size="14", css=f"matrix-name matrix-{key}")
                )
            elif index < len(ORDER):
                dots.append(_text(x, y, label.text, anchor="middle", size="12", css="matrix-number"))
    key = uuid.uuid4().hex[:10]
    tree.set("role", "img")
    tree.set("aria-labelledby", f"t{key} d{key}")
    tree.set("class", "matrix-chart pygal-chart")
    title = ElementTree.Element(f"{svg}title", {"id": f"t{key}"})
    title.text = "Impact/effort matrix"
    desc = ElementTree.Element(f"{svg}desc", {"id": f"d{key}"})
    desc.text = description(points, counts, labels)
    tree.insert(0, desc)
    tree.insert(0, title)
    for element in tree.iter():
        element.tag = element.tag.removeprefix(svg)
    tree.set("xmlns", SVG_NS)
    markup = ElementTree.tostring(tree, encoding="unicode")
    return mark_safe(markup)  # noqa: S308 - serialised by ElementTree, which escapes every text and attribute


def _text(x, y, content: str, *, anchor: str, size: str, css: str) -> ElementTree.Element:
    element = ElementTree.Element(
        f"{{{SVG_NS}}}text",
        {
            "x": x,
            "y": y,
            "class": css,
            "text-anchor": anchor,
            "dominant-baseline": "central",
            "font-size": size,
            "pointer-events": "none",
        },
    )
    element.text = content
    return element


def _extra_css(chart_id: str) -> str:
    """Rules for what pygal does not draw: the bubbles' numbers (white on the bubble), the quadrants' names
    (in the quadrant's colour) and a white ring that keeps touching bubbles apart. Scoped to this chart, in
    its own stylesheet (which carries the page's CSP nonce)."""
    scope = f"#{chart_id}" if chart_id else ""
    rules = [
        f"{scope} .series text.matrix-number{{fill:#ffffff;font-weight:700}}",
        f"{scope} .series text.matrix-name{{font-weight:700}}",
        f"{scope} .series .dots circle{{stroke:#ffffff;stroke-width:1.5;stroke-opacity:1}}",
        *(f"{scope} .series text.matrix-{key}{{fill:{colour}}}" for key, colour in COLOURS.items()),
    ]
    return "".join(rules)
