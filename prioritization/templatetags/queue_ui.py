"""Template helpers of the queue pages (templates/prioritization/queue*.html, _queue_*.html).

- `{{ level|level_tone }}`, `{{ level|level_icon }}`: a confidence level's tone and icon, as research's
  evidence view shows it (research.overlays.LOOK), for templates/research/_level_icon.html.
- `{{ level|level_name }}`, `{{ status|delivery_name }}`: a level's and a delivery status's words.
- `{{ priority|band }}`: the priority's band (scoring.band: top, high, medium, low) or None.
- `{{ name|initials }}`: a criterion's short name for a dense row ("Customer impact" → "CI").
"""

from django import template

from research.overlays import LOOK

from .. import scoring
from ..queue import level_label, status_label

register = template.Library()


@register.filter
def level_tone(level) -> str:
    return LOOK.get(level, ("none", "help"))[0]


@register.filter
def level_icon(level) -> str:
    return LOOK.get(level, ("none", "help"))[1]


@register.filter
def level_name(level) -> str:
    return level_label(level)


@register.filter
def delivery_name(status) -> str:
    return status_label(status)


@register.filter
def band(priority):
    return scoring.band(priority)


@register.filter
def initials(name) -> str:
    words = str(name or "").split()
    return "".join(word[0].upper() for word in words[:3]) or "?"
