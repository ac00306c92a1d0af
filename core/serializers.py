"""DRF fields for the API's input, following core.text and the database's ranges.

- `TextField`: DRF's CharField, plus text with no visible character counts as blank (refused unless
  `allow_blank`, then stored as ""), the limit counted in characters and refused with the limit and the
  length ("At most 2,000 characters (you have 2,134)."), NUL refused. `text_field_for(Model, "name")`
  takes a model field's limit and requiredness.
- `IdField`: an object id (1 … the largest bigint): an id beyond it is refused as input instead of
  reaching the database.
- `PositionField`, `VersionField`: within PostgreSQL's integer, as the columns are.
- `FieldsOnce`: a ModelSerializer mixin for output serializers read on hot paths (fields worked out once).
"""

import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.db import models
from rest_framework import serializers
from rest_framework.fields import empty

from .text import (
    BIGINT_MAX,
    BLANK_MESSAGE,
    ONE_LINE_MESSAGE,
    MaxCharsValidator,
    has_line_break,
    is_blank,
    too_long_message,
    validate_no_controls,
    validate_no_nul,
)

__all__ = [
    "BIGINT_MAX",
    "INT_MAX",
    "BooleanField",
    "FieldsOnce",
    "IdField",
    "PositionField",
    "TextField",
    "VersionField",
    "WholeNumberField",
    "text_field_for",
]
INT_MAX = 2**31 - 1  # integer: positions, versions, revisions (PositiveIntegerField)


class TextField(serializers.CharField):
    def __init__(self, *, single_line: bool = False, **kwargs):
        self.single_line = single_line  # a title or a name: line breaks are refused, never trimmed away
        super().__init__(**kwargs)
        rules = [validate_no_nul, validate_no_controls] + (
            [MaxCharsValidator(self.max_length)] if self.max_length is not None else []
        )
        self.validators = rules + [
            v
            for v in self.validators
            if not isinstance(v, MaxLengthValidator | ProhibitNullCharactersValidator)
        ]

    def to_internal_value(self, data):
        # DRF's CharField takes numbers as text; the schema says string, and so do we.
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)

    def run_validation(self, data=empty):
        if isinstance(data, str):
            # Before DRF trims surrounding whitespace, which would silently drop a trailing U+0085 or U+000B.
            try:
                validate_no_controls(data)
            except DjangoValidationError as exc:
                raise serializers.ValidationError(exc.messages, code="control_characters") from None
            if self.single_line and has_line_break(data):
                raise serializers.ValidationError(ONE_LINE_MESSAGE, code="line_break")
        # The limit counts what was sent, before surrounding spaces are trimmed: the count a person sees
        # (static/js/text.js) and the schema's maxLength count the same.
        if isinstance(data, str) and self.max_length is not None and len(data) > self.max_length:
            raise serializers.ValidationError(too_long_message(self.max_length, len(data)), code="max_length")
        if isinstance(data, str) and data and is_blank(data):
            if not self.allow_blank:  # "" is "This field may not be blank."; invisible text says why
                raise serializers.ValidationError(BLANK_MESSAGE, code="blank")
            data = ""
        return super().run_validation(data)


def text_field_for(model, name: str, **kwargs) -> TextField:
    """A TextField with a model field's limit and requiredness (kwargs override them)."""
    field = model._meta.get_field(name)
    kwargs.setdefault("max_length", field.max_length)
    kwargs.setdefault("single_line", isinstance(field, models.CharField))
    if field.blank:
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("required", False)
    return TextField(**kwargs)


class BooleanField(serializers.BooleanField):
    """A boolean that a form-encoded body leaves out is missing (its default, or "required"), not false
    as DRF reads a missing checkbox."""

    default_empty_html = empty


class WholeNumberField(serializers.IntegerField):
    """DRF's IntegerField reads text with int(), which takes other scripts' digits ("٣", "３" → 3): a whole
    number here is a JSON integer (or an integral float, as DRF allows) or text of ASCII digits, signed."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or isinstance(data, float) and not data.is_integer():
            self.fail("invalid")
        if isinstance(data, str):
            digits = data[1:] if data[:1] in "+-" else data
            if not (digits.isascii() and digits.isdigit()):
                self.fail("invalid")
        return super().to_internal_value(data)


class IdField(WholeNumberField):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(**kwargs)


class PositionField(WholeNumberField):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", INT_MAX)
        super().__init__(**kwargs)


class VersionField(WholeNumberField):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", INT_MAX)
        super().__init__(**kwargs)


class FieldsOnce:
    """A ModelSerializer mixin: its fields are worked out from the model once per class, then copied for
    each instance (as DRF copies declared fields), rather than introspecting the model on every response.
    Only for serializers whose fields depend on their Meta alone, never on the context.

    A plain field is copied shallowly: DRF's deep copy builds it again from its arguments (its error
    messages translated, its choices worked out), most of a one-object answer's time, while binding it to
    this serializer sets everything an instance has of its own. Nested serializers and fields with a child
    are deep-copied as DRF does, so each is bound to this serializer and its context."""

    def get_fields(self):
        prototype = type(self).__dict__.get("_fields_prototype")
        if prototype is None:
            prototype = super().get_fields()
            type(self)._fields_prototype = prototype  # never bound: each instance binds its own copies
        return {
            name: copy.deepcopy(field) if _has_parts(field) else copy.copy(field)
            for name, field in prototype.items()
        }


def _has_parts(field) -> bool:
    return (
        isinstance(field, serializers.BaseSerializer)
        or hasattr(field, "child")
        or hasattr(field, "child_relation")
    )
