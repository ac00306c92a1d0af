"""Model fields for text people type, following core.text.

`CharField` and `TextField` behave like Django's, plus: a required one (blank=False) refuses text with no
visible character, every one refuses NUL, and a too-long value is refused with the limit and the length
("At most 2,000 characters (you have 2,134).") — for a TextField too, whose `max_length` Django otherwise
only passes on to forms. The database holds the same limit: varchar(n) for a CharField (PostgreSQL counts
characters), a CHECK constraint on `char_length` for a TextField (declared in the model's Meta with
`max_chars_constraint`). Text we generate (activity lines, slugs, tokens) uses Django's own fields.
"""

from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from .text import text_validators


class _TextRules:
    # A property, not Field's cached_property: CharField.__init__ appends Django's MaxLengthValidator (which
    # says "Ensure this value has at most…") to the list it reads, and ours says it in our words instead.
    @property
    def validators(self):
        own = [v for v in super().validators if type(v) is not MaxLengthValidator]
        return [*text_validators(max_chars=self.max_length, required=not self.blank), *own]


class CharField(_TextRules, models.CharField):
    """A line of text a person types (a title, a name, a label)."""


class TextField(_TextRules, models.TextField):
    """Longer text a person types (a description, a card, a comment); give it a `max_length`."""


def max_chars_constraint(model_name: str, field_name: str, limit: int) -> models.CheckConstraint:
    """The database's copy of a TextField's character limit."""
    return models.CheckConstraint(
        condition=LessThanOrEqual(Length(field_name), limit),
        name=f"{model_name}_{field_name}_max_chars",
        violation_error_message=f"The {field_name.replace('_', ' ')} can have at most {limit:,} characters.",
    )
