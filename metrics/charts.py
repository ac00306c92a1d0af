"""Charts of metrics, as SVG made on the server (the same SVG goes into PDF exports later; no JavaScript).

    line_chart(h)   a metric's values over its recent periods with its target and its good / off-track
                    thresholds, drawn by pygal; accessible: role="img" named by its <title> and <desc>
    sparkline(h)    a tiny line of recent values for lists, drawn here: a pygal sparkline carries its whole
                    stylesheet (~10 kB) in every chart, too much for a page with dozens of them

Colour is never the only cue: the target and threshold lines differ by dash pattern and are named in the
legend and in the <desc>, so the chart reads in greyscale.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from xml.etree import ElementTree

import pygal
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from pygal.style import Style

from .health import MetricHealth
from .selectors import Period

CHART_WIDTH, CHART_HEIGHT = 860, 340
SPARK_WIDTH, SPARK_HEIGHT = 96, 24
SVG_NS = "http://www.w3.org/2000/svg"
# Our palette (static/css/app.css's tokens): the values, the target, good, off track.
VALUE_COLOUR, TARGET_COLOUR, GOOD_COLOUR, OFF_COLOUR = "#0e7490", "#5847e0", "#0b7a4b", "#c9291d"
FONT = 'ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif'


SHOWN_PLACES = 2  # decimals of a value in summaries and charts (tables give every stored digit)


def number(value: Decimal | float | None, places: int | None = SHOWN_PLACES) -> str:
    """A value as people read it: no trailing zeros ("72.5", "30", "-4"), rounded to `places` decimals
    (None: every digit, for the measurements table); "–" for none."""
    if value is None:
        return "–"
    number = Decimal(str(value))
    if places is not None and number.as_tuple().exponent < -places:
        number = number.quantize(Decimal(1).scaleb(-places))
    text = f"{number.normalize():f}"
    return "0" if text in ("-0", "") else text


def period_label(start: date, end: date) -> str:
    """ "31 Jan 2025", or "1 Jan – 31 Jan 2025" for a period of several days."""
    if start == end:
        return f"{end.day} {end:%b %Y}"
    if start.year == end.year:
        return f"{start.day} {start:%b} – {end.day} {end:%b %Y}"
    return f"{start.day} {start:%b %Y} – {end.day} {end:%b %Y}"


def _style(colours: tuple[str, ...]) -> Style:
    return Style(
        background="transparent",
        plot_background="#ffffff",
        foreground="#3c3c46",
        foreground_strong="#17171c",
        foreground_subtle="#62626e",
        opacity=".9",
        opacity_hover="1",
        colors=colours,
        guide_stroke_color="#e5e5ea",
        guide_stroke_dasharray="0",
        major_guide_stroke_color="#d4d4dc",
        major_guide_stroke_dasharray="0",
        font_family=FONT,
        label_font_size=12,
        major_label_font_size=12,
        legend_font_size=13,
        value_font_size=12,
        tooltip_font_size=12,
        title_font_size=15,
    )


def chart_description(h: MetricHealth, periods: list[Period]) -> str:
    """The chart in words (its <desc>): what it shows, the range of periods, the latest value, the lines."""
    m = h.metric
    unit = m.unit_text()
    if not periods:
        return f"No measurements of {m.name} yet."
    first, last = periods[0], periods[-1]
    parts = [
        f"{m.name}: {len(periods)} period{'s' if len(periods) != 1 else ''} "
        f"from {period_label(first.start, first.end)} to {period_label(last.start, last.end)}.",
        f"Latest {number(last.value)} {unit}".rstrip() + f", status {h.status.label.lower()}.",
    ]
    if m.target_value is not None:
        parts.append(f"Target {number(m.target_value)} {unit}".rstrip() + " (solid line).")
    if h.limits is not None:
        parts.append(
            f"Good from {number(h.limits.good)} (dashed line), off track beyond {number(h.limits.off_track)} "
            "(dotted line)."
        )
    parts.append("The table of measurements below gives every value.")
    return " ".join(parts)


def line_chart(
    h: MetricHealth, periods: list[Period] | None = None, *, nonce: str | None = None
) -> SafeString:
    """A metric's line chart as inline SVG markup (safe to put in a page as it is: pygal escapes the
    text it is given, and the markup is re-serialised here without pygal's script).

    Args:
        h: the metric's health (metrics.health.MetricHealth), for its thresholds and status.
        periods: its periods, newest first (default: h.history).
        nonce: the page's CSP nonce, set on the chart's <style> (None for a PDF).
    No queries."""
    m = h.metric
    periods = list(reversed(periods if periods is not None else h.history))  # oldest first
    unit = m.unit_text()
    # Each series keeps its colour whichever lines a metric has (the style's colours go by series order).
    colours = [VALUE_COLOUR]
    if m.target_value is not None:
        colours.append(TARGET_COLOUR)
    if h.limits is not None:
        colours += [GOOD_COLOUR, OFF_COLOUR]
    chart = pygal.Line(
        style=_style(tuple(colours)),
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        explicit_size=False,
        js=[],
        disable_xml_declaration=True,
        show_legend=True,
        legend_at_bottom=True,
        legend_at_bottom_columns=2,
        x_label_rotation=0,
        show_minor_x_labels=False,
        truncate_label=-1,
        truncate_legend=-1,
        dots_size=3,
        margin=12,
        margin_bottom=36,  # room for the legend's second row (pygal sizes it from its default font)
        y_title=unit or None,
        print_values=False,
        no_data_text="No measurements yet",
        allow_interruptions=True,
    )
    labels = [period_label(p.start, p.end) for p in periods]
    chart.x_labels = labels
    chart.x_labels_major = labels[:: max(1, len(labels) // 6)] if labels else []
    values = [float(p.value) for p in periods]
    if values:
        chart.add(m.name, values, stroke_style={"width": 2.5})
        flat = len(values)
        if m.target_value is not None:
            chart.add(
                f"Target {number(m.target_value)}",
                [float(m.target_value)] * flat,
                show_dots=False,
                stroke_style={"width": 2},
            )
        if h.limits is not None:
            chart.add(
                f"Good from {number(h.limits.good)}",
                [float(h.limits.good)] * flat,
                show_dots=False,
                stroke_style={"width": 1.5, "dasharray": "8,5"},
            )
            chart.add(
                f"Off track beyond {number(h.limits.off_track)}",
                [float(h.limits.off_track)] * flat,
                show_dots=False,
                stroke_style={"width": 1.5, "dasharray": "2,4"},
            )
    else:
        chart.add(m.name, [])
    return _accessible(chart, title=f"{m.name} over time", desc=chart_description(h, periods), nonce=nonce)


def _accessible(chart, *, title: str, desc: str, nonce: str | None) -> SafeString:
    """pygal's SVG without its script (we ship no chart JavaScript; the CSP would refuse it inline) and
    comments, named for assistive technology by a <title> and <desc> (role="img"), its stylesheet under
    the page's CSP nonce when given."""
    # Parsed from pygal's text with the standard library (pygal builds with lxml when that is installed).
    tree = ElementTree.fromstring(chart.render(is_unicode=True))  # noqa: S314 - our own chart, no DTD
    for parent in list(tree.iter()):
        for child in list(parent):
            if child.tag in (f"{{{SVG_NS}}}script", f"{{{SVG_NS}}}title"):
                parent.remove(child)
            elif child.tag == f"{{{SVG_NS}}}style" and nonce:
                child.set("nonce", nonce)
    key = uuid.uuid4().hex[:10]
    tree.set("role", "img")
    tree.set("aria-labelledby", f"t{key} d{key}")
    tree.set("class", "metric-chart pygal-chart")
    title_el = ElementTree.Element(f"{{{SVG_NS}}}title", {"id": f"t{key}"})
    title_el.text = title
    desc_el = ElementTree.Element(f"{{{SVG_NS}}}desc", {"id": f"d{key}"})
    desc_el.text = desc
    tree.insert(0, desc_el)
    tree.insert(0, title_el)
    # Plain tag names with one xmlns on the root (as HTML's inline SVG is written), not "ns0:" prefixes.
    for element in tree.iter():
        element.tag = element.tag.removeprefix(f"{{{SVG_NS}}}")
    tree.set("xmlns", SVG_NS)
    markup = ElementTree.tostring(tree, encoding="unicode")
    return mark_safe(markup)  # noqa: S308 - serialised by ElementTree, which escapes every text and attribute


def sparkline(h: MetricHealth) -> SafeString:
    """A small line of the metric's recent values (oldest left), the latest as a dot; "" with fewer than
    two periods. Decorative (aria-hidden): the page gives the values and trend in words beside it."""
    values = [float(p.value) for p in reversed(h.history)]
    if len(values) < 2:
        return mark_safe("")
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    pad = 3
    step = (SPARK_WIDTH - 2 * pad) / (len(values) - 1)

    def y(v):
        return SPARK_HEIGHT - pad - (v - low) / span * (SPARK_HEIGHT - 2 * pad)

    points = " ".join(f"{pad + i * step:.1f},{y(v):.1f}" for i, v in enumerate(values))
    last_x, last_y = pad + (len(values) - 1) * step, y(values[-1])
    return format_html(
        '<svg class="spark" viewBox="0 0 {w} {h}" width="{w}" height="{h}" aria-hidden="true" '
        'focusable="false">'
        '<polyline points="{points}" fill="none" stroke="currentColor" stroke-width="1.5" '
        'stroke-linejoin="round" stroke-linecap="round"/>'
        '<circle cx="{cx}" cy="{cy}" r="2.5" fill="currentColor"/></svg>',
        w=SPARK_WIDTH,
        h=SPARK_HEIGHT,
        points=points,
        cx=f"{last_x:.1f}",
        cy=f"{last_y:.1f}",
    )


# Lines of a before/after chart (`before_after_chart`): each side's value over its window, the marked day.
BEFORE_COLOUR, AFTER_COLOUR, MARK_COLOUR = "#62626e", TARGET_COLOUR, "#17171c"


def _month_labels(first: int, last: int, most: int = 7) -> list[dict]:
    """Labels of the x axis (days as ordinals): the first day of every n-th month between two days, at most
    `most` of them ("Jan 2025")."""
    start, end = date.fromordinal(first), date.fromordinal(last)
    months = []
    day = date(start.year, start.month, 1)
    while day <= end:
        if day >= start:
            months.append(day)
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    step = max(1, -(-len(months) // most))
    return [{"value": d.toordinal(), "label": f"{d:%b %Y}"} for d in months[::step]]


def _midpoint(p: Period) -> date:
    return p.start + (p.end - p.start) / 2


def before_after_chart(
    metric,
    periods: list[Period],
    *,
    mark: tuple[date, str],
    sides: list[tuple[date, date, Decimal | None, str]],
    title: str,
    desc: str,
    nonce: str | None = None,
) -> SafeString:
    """A metric's values over time (each period at its middle day) with a day marked by a vertical line
    (e.g. a ship date) and up to two sides, each a window drawn as a horizontal line at its value (the
    baseline dashed, the after side dash-dotted), as inline SVG (see line_chart: escaped, no script,
    named by `title` and `desc`).

    Args:
        metric: the metric (its name and unit).
        periods: its periods, any order.
        mark: (the day, its legend label).
        sides: (first day, last day, value or None for no line, legend label) of each window, before first.
        nonce: the page's CSP nonce, set on the chart's <style> (None for a PDF).
    No queries."""
    ordered = sorted(periods, key=lambda p: (p.start, p.end))
    unit = metric.unit_text()
    # Days as numbers on an XY chart: pygal's DateLine formats them with the deprecated utcfromtimestamp.
    points = [(_midpoint(p).toordinal(), float(p.value)) for p in ordered]
    levels = [float(v) for _s, _e, v, _l in sides if v is not None] + [y for _x, y in points]
    low, high = (min(levels), max(levels)) if levels else (0.0, 1.0)
    pad = (high - low) * 0.1 or 1.0
    days = [x for x, _y in points] + [mark[0].toordinal()] + [d.toordinal() for s in sides for d in s[:2]]
    dashes = ["8,5", "12,4,2,4"]
    colours = [VALUE_COLOUR, MARK_COLOUR] + [
        BEFORE_COLOUR if i == 0 else AFTER_COLOUR for i, side in enumerate(sides) if side[2] is not None
    ]
    chart = pygal.XY(
        style=_style(tuple(colours)),
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        explicit_size=False,
        js=[],
        disable_xml_declaration=True,
        show_legend=True,
        legend_at_bottom=True,
        legend_at_bottom_columns=2,
        x_label_rotation=0,
        truncate_label=-1,
        truncate_legend=-1,
        dots_size=3,
        margin=12,
        margin_bottom=36,
        y_title=unit or None,
        print_values=False,
        no_data_text="No measurements yet",
        x_labels=_month_labels(min(days), max(days)),
        x_value_formatter=lambda x: period_label(date.fromordinal(int(x)), date.fromordinal(int(x))),
        range=(low - pad, high + pad),
        xrange=(min(days) - 3, max(days) + 3),
    )
    chart.add(metric.name, points, stroke_style={"width": 2.5})
    day, label = mark
    chart.add(
        label,
        [(day.toordinal(), low - pad), (day.toordinal(), high + pad)],
        show_dots=False,
        stroke_style={"width": 2, "dasharray": "2,4"},
    )
    for i, (start, end, value, side_label) in enumerate(sides):
        if value is None:
            continue
        chart.add(
            side_label,
            [(start.toordinal(), float(value)), (end.toordinal(), float(value))],
            show_dots=False,
            stroke_style={"width": 2, "dasharray": dashes[min(i, len(dashes) - 1)]},
        )
    return _accessible(chart, title=title, desc=desc, nonce=nonce)
