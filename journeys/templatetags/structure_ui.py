"""Presentation helpers of the compare and present pages."""

from django import template

register = template.Library()


def shown(value) -> float | None:
    """A mean score as the page shows it (one decimal): differences are computed from these, so that the
    figures on a page agree (+0.2 → +0.8 is a change of +0.6, never +0.5)."""
    if value is None or isinstance(value, str):
        return None
    return float(f"{value:.1f}")


@register.filter
def shown_change(left, right) -> float | None:
    """The change from one shown mean score to another (None when either side has none)."""
    left, right = shown(left), shown(right)
    if left is None or right is None:
        return None
    return round(right - left, 1)


@register.filter
def signed(value) -> str:
    """A mean score or a difference as +1.5, 0 or −0.3 (one decimal at most, a real minus sign)."""
    if value is None or isinstance(value, str):
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
