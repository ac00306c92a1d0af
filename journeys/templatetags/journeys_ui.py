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
