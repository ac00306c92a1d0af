"""Small presentation helpers shared by every app's templates."""

from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format

register = template.Library()

AVATAR_TONES = 8


@register.filter
def ago(value) -> str:
    """A short relative time: 'just now', '5 min ago', '3 h ago', 'yesterday', '4 days ago', 'Mar 4'."""
    if not value:
        return ""
    now = timezone.now()
    delta = now - value
    if delta < timedelta(minutes=1):
        return "just now"
    if delta < timedelta(hours=1):
        return f"{int(delta.total_seconds() // 60)} min ago"
    if delta < timedelta(days=1):
        return f"{int(delta.total_seconds() // 3600)} h ago"
    local, today = timezone.localtime(value), timezone.localtime(now)
    days = (today.date() - local.date()).days
    if days == 1:
        return "yesterday"
    if days < 7:
        return f"{days} days ago"
    return date_format(local, "M j" if local.year == today.year else "M j, Y")


@register.filter
def avatar_tone(user) -> int:
    """A stable colour (0–7) for a person's avatar."""
    return (getattr(user, "pk", None) or 0) % AVATAR_TONES
