"""Presentation helpers for journey maps."""

from django import template
from django.template.defaultfilters import linebreaksbr
from django.template.loader import render_to_string
from django.urls import get_script_prefix, reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from ..models import LaneKind
from .text_ui import is_quoted

register = template.Library()


@register.filter
def score(value) -> str:
    """An emotion score as +2, 0 or −3 (a real minus sign)."""
    if value is None:
        return ""
    value = int(value)
    return f"+{value}" if value > 0 else f"−{-value}" if value < 0 else "0"


@register.filter
def tone(value) -> str:
    """positive | neutral | negative, for colouring a score."""
    if value is None:
        return "neutral"
    return "positive" if value > 0 else "negative" if value < 0 else "neutral"


@register.simple_tag
def count_contents(stage_heads, rows) -> str:
    """Note on each stage, step and lane of the grid what deleting it takes along (ui_steps, ui_cards),
    for the editor's delete confirmation and menus; from the grid already built, no query. Renders nothing."""
    cards: dict[tuple[str, int], int] = {}
    for row in rows:
        lane = row["lane"]
        lane.ui_cards = 0
        for cell in row["cells"]:
            count = len(cell["cards"])
            if not count:
                continue
            lane.ui_cards += count
            key = ("stage", cell["stage"].pk)
            cards[key] = cards.get(key, 0) + count
            if cell["step"] is not None:
                key = ("step", cell["step"].pk)
                cards[key] = cards.get(key, 0) + count
    for head in stage_heads:
        stage = head["stage"]
        stage.ui_cards = cards.get(("stage", stage.pk), 0)
        stage.ui_steps = len(stage.step_list or [])
        for step in stage.step_list or []:
            step.ui_cards = cards.get(("step", step.pk), 0)
    return ""


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


@register.simple_tag
def delete_question(kind: str, element) -> str:
    """The question before deleting an element that holds something ("Delete the lane “Pain points” and its
    8 cards?"), else "": deleting an empty element needs no question, it is undone as easily."""
    steps = getattr(element, "ui_steps", 0) if kind == "stage" else 0
    cards = getattr(element, "ui_cards", 0)
    if not cards and steps <= 1:  # a new stage comes with one empty step: nothing to lose
        return ""
    parts = [_count(steps, "step")] if steps else []
    if cards:
        parts.append(_count(cards, "card"))
    return f"Delete the {kind} “{element.title}” and its {' and '.join(parts)}?"


# ---------------------------------------------------------------------------------------------- markup
# Cards and cells are built here as strings, not with {% include "_card.html" %} per card: a 500-card map
# spent three quarters of its time in the template engine. One renderer serves the map page, the grid
# partial, the editor's answers and live updates (templates/journeys/_card.html and the `cell` partial of
# _map_grid.html call it through the `map_card` and `map_cell` tags below). Every person's text goes through
# `escape` (and `dir="auto"`); the rest is our own constant markup.

_ICON = '<svg class="icon" aria-hidden="true"><use href="#i-{}"/></svg>'
_COMMENT_TOOL = (
    '<button class="card__tool card__tool--comment" type="button" tabindex="-1" data-card-action="comments" '
    f'aria-label="Comments (0)" title="Comment (C)">{_ICON.format("comment")}</button>'
)
_EDIT_TOOLS = (
    '<button class="card__tool" type="button" tabindex="-1" data-card-action="edit" aria-label="Edit card" '
    f'title="Edit (Enter)">{_ICON.format("edit")}</button>'
    '<button class="card__tool card__tool--danger" type="button" tabindex="-1" data-card-action="delete" '
    f'aria-label="Delete card" title="Delete (Del)">{_ICON.format("delete")}</button>'
)
_PICKER_TITLE = "Emotion score (−3 to +3): click to change"


def _chars(text: str, limit: int) -> str:
    """Truncator(text).chars(limit), without its work when the text is short enough (most cards)."""
    return text if len(text) <= limit else Truncator(text).chars(limit)


def _lines(text: str) -> str:
    """linebreaksbr with autoescape: the text escaped, its line breaks as <br>."""
    escaped = escape(text)
    if "\n" not in escaped and "\r" not in escaped:
        return escaped
    return linebreaksbr(text, autoescape=True)


def _plural(n: int) -> str:
    return "" if n == 1 else "s"


def _comments_html(card, editing: bool) -> str:
    """The comment badge (or the comment tool) and, for editors, the edit and delete tools."""
    count = getattr(card, "comment_count", 0) or 0
    if count:
        open_count = getattr(card, "open_comment_count", 0) or 0
        title = f"{count} comment{_plural(count)}" + (
            f", {open_count} open thread{_plural(open_count)}" if open_count else ", all resolved"
        )
        badge = (
            f'<button class="card__badge{" is-open" if open_count else ""}" type="button" tabindex="-1" '
            f'data-card-action="comments" aria-label="Comments ({count})" title="{title}">'
            f"{_ICON.format('comment')}{count}</button>"
        )
        return f'{badge}<div class="card__tools">{_EDIT_TOOLS if editing else ""}</div>'
    return f'<div class="card__tools">{_COMMENT_TOOL}{_EDIT_TOOLS if editing else ""}</div>'


def _score_html(card, kind: str, editing: bool) -> str:
    """An emotion card's score: for editors a picker whose panel static/js/editor.js clones from the page's
    one <template id="score-picker"> when it opens (templates/journeys/editor/_score_picker.html), not a
    form per card; for others the score alone."""
    value = card.emotion_score
    if editing and kind == LaneKind.EMOTIONS:
        if value is None:
            return (
                '<details class="menu score-picker" data-score=""><summary class="score score--neutral '
                'score--empty" tabindex="-1" aria-label="Emotion score ± (not set): change it" '
                f'title="{_PICKER_TITLE}">±</summary></details>'
            )
        label = score(value)
        return (
            f'<details class="menu score-picker" data-score="{int(value)}"><summary class="score '
            f'score--{tone(value)}" tabindex="-1" aria-label="Emotion score {label}: change it" '
            f'title="{_PICKER_TITLE}">{label}</summary></details>'
        )
    if value is None:
        return ""
    label = score(value)
    return (
        f'<span class="score score--{tone(value)}" title="Emotion score {label} (from −3 to +3)">'
        f"{label}</span>"
    )


def card_html(card, kind: str, *, editing: bool = False, commenting: bool = False) -> SafeString:
    """One card of a lane of `kind` as the map shows it. With `commenting` (the live map) its comment count
    and comment button; with `editing` (editors) it is draggable, its score is a picker, and it has edit and
    delete tools. `card.comment_count` / `open_comment_count` when known (selectors annotate them)."""
    pk = card.pk
    parts = [
        f'<article class="card card--{kind}" id="card-{pk}" data-card-id="{pk}" '
        f'data-version="{card.version}" tabindex="-1"'
    ]
    if editing:
        aria = escape(_chars(card.text, 90))
        parts.append(f' draggable="true" aria-roledescription="card" aria-label="{aria}"')
    parts.append(">\n")
    if card.channel:
        channel = escape(card.channel)
        if kind == LaneKind.TOUCHPOINTS:
            parts.append(f'<span class="chip-channel" dir="auto">{channel}</span>\n')
        else:
            parts.append(f'<div class="card__meta"><span class="tag" dir="auto">{channel}</span></div>\n')
    picker = _score_html(card, kind, editing)
    if picker:
        parts.append(f"{picker}\n")
    quoted = " card__text--quoted" if kind == LaneKind.THOUGHTS and is_quoted(card.text) else ""
    parts.append(f'<div><p class="card__text{quoted}" dir="auto">{_lines(card.text)}</p>')
    if card.note:
        parts.append(f'<p class="card__note" dir="auto">{escape(_chars(card.note, 180))}</p>')
    parts.append("</div>\n")
    if commenting:
        parts.append(_comments_html(card, editing))
    parts.append("</article>")
    return mark_safe("".join(parts))  # noqa: S308 (user text escaped above)


def cell_html(cell: dict, lane, *, editing=False, commenting=False, oob=False, new_card_url="") -> SafeString:
    """One lane × step cell (grid_context's or cell_fragments' `cell`) with its cards, and for editors its
    "Add card" button: the map page, the grid partial and the editor's out-of-band answers all use it."""
    step = cell["step"]
    lane_id, step_id, kind = cell["ui_lane_id"], cell["ui_step_id"], lane.kind
    parts = [f'<div class="{cell["ui_class"]}"']
    if step is not None:
        parts.append(f' id="cell-{lane_id}-{step_id}"')
        if oob:
            parts.append(' hx-swap-oob="true"')
    parts.append(f' data-lane-id="{lane_id}"')
    if step is not None:
        parts.append(f' data-step-id="{step_id}"')
    parts.append(">\n")
    for card in cell["cards"]:
        parts.append(card_html(card, kind, editing=editing, commenting=commenting))
        parts.append("\n")
    if editing and step is not None:
        parts.append(
            f'<button class="cell-add" type="button" tabindex="-1" hx-get="{new_card_url}?lane={lane_id}'
            f'&amp;step={step_id}" hx-target="this" hx-swap="outerHTML" aria-label="Add a card to '
            f'{escape(lane.title)} at {escape(step.title)}"><svg class="icon icon--sm" aria-hidden="true">'
            '<use href="#i-plus"/></svg><span>Add card</span></button>\n'
        )
    parts.append("</div>")
    return mark_safe("".join(parts))  # noqa: S308 (user text escaped above)


@register.simple_tag(takes_context=True)
def map_card(context, card, lane) -> SafeString:
    """{% map_card card lane %}: one card (card_html) with the context's `editing` and `commenting`."""
    return card_html(
        card, lane.kind, editing=bool(context.get("editing")), commenting=bool(context.get("commenting"))
    )


@register.simple_tag(takes_context=True)
def map_cells(context, row) -> SafeString:
    """{% map_cells row %}: every cell of a grid row (cell_html), one tag for the row rather than a template
    loop per cell."""
    options = {
        "editing": bool(context.get("editing")),
        "commenting": bool(context.get("commenting")),
        "oob": bool(context.get("oob")),
        "new_card_url": context.get("new_card_url", ""),
    }
    lane = row["lane"]
    return mark_safe("\n".join(cell_html(cell, lane, **options) for cell in row["cells"]))  # noqa: S308


@register.simple_tag(takes_context=True)
def map_cell(context, cell, lane) -> SafeString:
    """{% map_cell cell lane %}: one cell (cell_html) with the context's `editing`, `commenting`, `oob`
    (swapped out of band) and `new_card_url`."""
    return cell_html(
        cell,
        lane,
        editing=bool(context.get("editing")),
        commenting=bool(context.get("commenting")),
        oob=bool(context.get("oob")),
        new_card_url=context.get("new_card_url", ""),
    )


_LANE_ICONS: dict[str, str] = {}


@register.simple_tag
def lane_icon(kind) -> SafeString:
    """{% lane_icon kind %}: templates/journeys/_lane_icon.html for a lane kind, rendered once per kind
    (a map's lane menus show every kind's icon in every lane)."""
    key = str(kind)
    if key not in _LANE_ICONS:
        _LANE_ICONS[key] = render_to_string("journeys/_lane_icon.html", {"kind": key})
    return mark_safe(_LANE_ICONS[key])  # noqa: S308 (our own template, rendered with autoescape)


_URL_PARTS: dict[tuple[str, str], list[str]] = {}
_PLACEHOLDER = 987654321  # an id no element has: where the id goes in a reversed URL


@register.simple_tag
def element_url(name: str, pk) -> str:
    """{% element_url "journeys:editor_step" step.pk %}: {% url %} for a URL with one id, reversed once per
    name (the header menus of a big map ask for hundreds)."""
    key = (name, get_script_prefix())
    parts = _URL_PARTS.get(key)
    if parts is None:
        parts = _URL_PARTS[key] = reverse(name, args=[_PLACEHOLDER]).split(str(_PLACEHOLDER))
    return f"{parts[0]}{int(pk)}{parts[1]}"
