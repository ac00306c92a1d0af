"""Presentation helpers for journey maps."""

from django import template

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
