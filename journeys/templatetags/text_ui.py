"""How people's text shows on pages: its own direction (Arabic, Hebrew… read right to left), never cut
without a word, quotes not doubled.

- `{{ field|text_field }}` renders a form field's widget; text inputs and text areas get `dir="auto"` and,
  instead of the browser's `maxlength` (which silently drops what is pasted past the limit), the limit as
  `data-max-chars` (counted in characters, from the form field), which static/js/text.js shows as a live
  counter and checks before submitting.
- `{{ text|is_quoted }}`: whether a text already starts and ends with quotation marks, so a lane that
  decorates its cards with quotes does not add a second pair.
"""

import copy

from django import forms, template

register = template.Library()

TEXT_WIDGETS = (forms.TextInput, forms.Textarea, forms.EmailInput, forms.URLInput)

# Quotation marks of the languages people write in: ASCII, English, German, French, Polish, Swedish,
# Japanese/Chinese corner brackets, fullwidth forms.
OPENING_QUOTES = frozenset("\"'“”„‟‘’‚‛«»‹›「『〝＂＇")
CLOSING_QUOTES = frozenset("\"'“”„‟‘’‚‛«»‹›」』〞〟＂＇")


@register.filter
def text_field(bound_field):
    """A bound field's widget; text widgets get dir="auto" and data-max-chars in place of maxlength."""
    if not hasattr(bound_field, "field"):
        return bound_field
    widget = bound_field.field.widget
    if not isinstance(widget, TEXT_WIDGETS) or isinstance(widget, forms.PasswordInput):
        return bound_field.as_widget()
    widget = copy.copy(widget)
    widget.attrs = dict(widget.attrs)
    widget.attrs.pop("maxlength", None)
    attrs = {"dir": "auto"}
    max_length = getattr(bound_field.field, "max_length", None)
    if max_length:
        attrs["data-max-chars"] = str(max_length)
        attrs["data-field-label"] = str(bound_field.label or bound_field.name)
    return bound_field.as_widget(widget=widget, attrs=attrs)


@register.filter
def max_chars(bound_field) -> str:
    """The character limit of a form field, for a hand-written input's data-max-chars ("" when none)."""
    field = getattr(bound_field, "field", None)
    return str(getattr(field, "max_length", None) or "")


@register.filter
def is_quoted(text) -> bool:
    """True when the text is already wrapped in quotation marks (“…”, «…», „…“, 「…」, "…", '…')."""
    text = str(text or "").strip()
    return len(text) >= 2 and text[0] in OPENING_QUOTES and text[-1] in CLOSING_QUOTES


@register.simple_tag
def max_chars_of(model_label: str, field_name: str) -> str:
    """A model field's character limit, for an input that no form renders (the comment box): the same
    limit the database and the service enforce."""
    from django.apps import apps

    field = apps.get_model(model_label)._meta.get_field(field_name)
    return str(getattr(field, "max_length", None) or "")
