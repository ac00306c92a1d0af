"""Template helpers of the scoring pages (templates/prioritization/_score_*.html, scoring_*.html).

- `{{ mapping|get_value:key }}`: a dict's value by key (a score's values and rationales by criterion key).
- `{{ criterion.meanings|meaning_of:value }}`: the written meaning of a value 1–5.
- `{{ decimal|num }}`: a figure with its decimals only when it has any (72.5, 61.63, 40), "" for None.
- `{% score_icon name %}`: one of the map's overlay icons (journeys_ui.OVERLAY_ICONS) as inline SVG, for
  pages without the map's sprite; decorative (the word beside it says the same).
"""

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.safestring import SafeString, mark_safe

from journeys.templatetags.journeys_ui import OVERLAY_ICONS

register = template.Library()


@register.filter
def get_value(mapping, key):
    """mapping[key], or None (also when `mapping` is not a dict)."""
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.filter
def meaning_of(meanings, value) -> str:
    """The meaning of `value` (1–5) in a criterion's list of five meanings, or ""."""
    try:
        index = int(value) - 1
    except (TypeError, ValueError):
        return ""
    return meanings[index] if isinstance(meanings, list) and 0 <= index < len(meanings) else ""


@register.filter
def num(value) -> str:
    """A figure as the scoring pages write it: no trailing zeros (72.50 → 72.5, 25.00 → 25); "" for None."""
    if value is None or value == "":
        return ""
    try:
        return f"{Decimal(str(value)).normalize():f}"
    except InvalidOperation:
        return ""


@register.simple_tag
def score_icon(name) -> SafeString:
    """An overlay icon as inline SVG (aria-hidden), or "" for an unknown name."""
    body = OVERLAY_ICONS.get(name)
    if body is None:
        return mark_safe("")  # noqa: S308
    return mark_safe(  # noqa: S308 (our own constant markup)
        '<svg class="icon icon--sm" viewBox="0 0 16 16" fill="none" stroke="currentColor" stroke-width="1.7" '
        f'stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">{body}</svg>'
    )
