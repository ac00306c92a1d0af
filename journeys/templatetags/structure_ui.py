"""Presentation helpers of the compare and present pages."""

from django import template

register = template.Library()


@register.filter
def signed(value) -> str:
    """A mean score or a difference as +1.5, 0 or −0.3 (one decimal at most, a real minus sign)."""
    if value is None:
        return "–"
    text = f"{abs(value):.1f}".rstrip("0").rstrip(".")
    if text == "0":
        return "0"
    return f"+{text}" if value > 0 else f"−{text}"


@register.filter
def tone(value) -> str:
    """positive | neutral | negative for a mean score (a quarter point either side of 0 counts as neutral)."""
    if value is None:
        return "none"
    return "positive" if value > 0.25 else "negative" if value < -0.25 else "neutral"


@register.filter
def css_number(value) -> str:
    """A number for a CSS custom property: always a dot, never localised."""
    return f"{float(value or 0):.3f}"


@register.filter
def take(items, count):
    return list(items)[: int(count)]


@register.filter
def more_than(items, count) -> int:
    """How many items are left after the first `count`."""
    return max(len(items) - int(count), 0)
