"""Form fields for text people type, following core.text (the same rules as core.fields and
core.serializers, so a page and the API refuse the same input with the same words).

`TextField` is Django's CharField, plus:
- text with no visible character (only spaces, U+200B, U+FEFF…) is empty: "required" when the field is,
  "" when it is not;
- the limit is counted in characters and rendered as `data-max-chars` (static/js/text.js shows a counter),
  never as `maxlength`, with which browsers silently drop what is pasted past the limit;
- a refusal says the limit and the length: "At most 2,000 characters (you have 2,134).";
- NUL is refused (core.middleware already answers 400 to any form that sends one).
"""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.db import models

from .text import (
    ONE_LINE_MESSAGE,
    MaxCharsValidator,
    has_line_break,
    is_blank,
    parse_id,
    too_long_message,
    validate_no_controls,
    validate_no_nul,
)


class TextField(forms.CharField):
    def __init__(self, *, max_length=None, single_line: bool = False, **kwargs):
        self.single_line = single_line  # a title or a name: line breaks are refused, never joined away
        super().__init__(max_length=max_length, **kwargs)
        rules = [validate_no_nul, validate_no_controls] + (
            [MaxCharsValidator(int(max_length))] if max_length is not None else []
        )
        self.validators = rules + [
            v
            for v in self.validators
            if not isinstance(v, MaxLengthValidator | ProhibitNullCharactersValidator)
        ]

    def to_python(self, value):
        if isinstance(value, str):
            validate_no_controls(value)  # before trimming, which would drop a trailing U+0085 silently
            if self.single_line and has_line_break(value):
                raise ValidationError(ONE_LINE_MESSAGE, code="line_break")
        # The limit counts what was typed, before surrounding spaces are trimmed (as the page's counter does).
        if isinstance(value, str) and self.max_length is not None and len(value) > self.max_length:
            raise ValidationError(too_long_message(self.max_length, len(value)), code="max_length")
        value = super().to_python(value)
        return self.empty_value if is_blank(value) else value

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if "maxlength" in attrs:
            attrs["data-max-chars"] = attrs.pop("maxlength")
        return attrs


def text_field_for(model, name: str, **kwargs) -> TextField:
    """A TextField with a model field's limit, label and requiredness (kwargs override them)."""
    field = model._meta.get_field(name)
    kwargs.setdefault("max_length", field.max_length)
    kwargs.setdefault("required", not field.blank)
    kwargs.setdefault("single_line", isinstance(field, models.CharField))
    kwargs.setdefault("label", field.verbose_name[:1].upper() + field.verbose_name[1:])
    return TextField(**kwargs)


# Numbers and ids. Django's IntegerField and ModelChoiceField read text with int(), which takes other
# scripts' digits ("٣", "３" → 3): a posted "٣" chose user 3. Here only ASCII digits count, as in
# core.text.parse_id and core.serializers.WholeNumberField.


def _is_whole_number(value) -> bool:
    raw = str(value).strip()
    digits = raw[1:] if raw[:1] in "+-" else raw
    return digits.isascii() and digits.isdigit()


class WholeNumberField(forms.IntegerField):
    def to_python(self, value):
        if value not in self.empty_values and not isinstance(value, int) and not _is_whole_number(value):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class IdChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField by primary key that takes only an id (ASCII digits within bigint)."""

    def to_python(self, value):
        if (
            value not in self.empty_values
            and not isinstance(value, self.queryset.model)
            and parse_id(value) is None
        ):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class IdMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A ModelMultipleChoiceField by primary key that takes only ids (ASCII digits within bigint)."""

    def _check_values(self, value):
        for pk in value:
            if not isinstance(pk, self.queryset.model) and parse_id(pk) is None:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super()._check_values(value)


# ---------------------------------------------------------------------------------------------- stale forms
# An edit form carries the values it was opened with (`base_<field>`). When someone else saved meanwhile,
# each field is merged (the research and metrics edit pages; the journey settings page has its own,
# journeys/views/journeys.py): what only this person changed goes over the newer
# version, what only the other person changed stays theirs, and only a field both changed is left for this
# person to decide (a clash).


def form_value(value) -> str:
    """A field's value as a form posts it, for comparing: dates in ISO form, line breaks and outer spaces
    aside, None as ""."""
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").strip()


def base_values(initial: dict, posted=None) -> dict:
    """The base_* values an edit form carries: those it was posted with, else the row's own."""
    posted = posted or {}
    return {
        name: posted.get(f"base_{name}", form_value(value))
        for name, value in initial.items()
        if name != "expected_version"
    }


def merge_stale(posted, current: dict, version: int) -> tuple[dict, list[str]]:
    """A stale form (`posted`, a QueryDict) merged per field with the row as it is now (`current`: the
    form's initial values of it, at `version`): (the data to save or show, the names of the fields both
    people changed). The merged data's base becomes the current row."""
    data = posted.copy()
    clashes = []
    for name, value in current.items():
        if name == "expected_version" or name not in posted:
            continue
        theirs, mine = form_value(value), form_value(posted.get(name))
        base = posted.get(f"base_{name}")
        if base is not None and mine == form_value(base):
            data[name] = theirs  # untouched here: theirs stands
        elif theirs != mine and (base is None or theirs != form_value(base)):
            clashes.append(name)
        data[f"base_{name}"] = theirs
    data["expected_version"] = version
    return data, clashes


def labels_of(form, names) -> list[str]:
    """The fields' labels in lower case, for "you both changed the title and the tags"."""
    return [str(form.fields[name].label or name).lower() for name in names]
