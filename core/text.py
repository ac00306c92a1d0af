"""Text as people type it: one set of rules for every text field of every model, form and serializer.

- **Blank is blank even when it is not empty.** Text with no visible character (spaces of any kind,
  zero-width characters such as U+200B, the byte-order mark U+FEFF, other format and control characters,
  combining marks with nothing to combine with, Hangul fillers) counts as blank wherever blank is refused:
  `validate_visible` is the validator of every required text field, `has_visible()` the test behind it.
- **NUL never enters.** PostgreSQL cannot store U+0000 in text; `validate_no_nul` refuses it in a field,
  core.middleware in every form and query parameter, core.parsers in every JSON body.
- **Limits count characters** (code points, as Python's `len` and PostgreSQL's `varchar(n)`/`length()` do,
  not UTF-16 units as a browser's `maxlength` does), and a refusal says the limit and how much was given:
  "At most 2,000 characters (you have 2,134)." Nothing a person typed is ever cut to fit; only text we
  generate (an activity line quoting a card) is shortened, with "…", by `shorten()`.
"""

import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.deconstruct import deconstructible

# Categories with no glyph of their own: spaces (Zs, Zl, Zp), control (Cc) and format (Cf) characters
# (zero-width space/joiners, word joiner, BOM, bidi marks…), and combining marks (Mn, Me), which only
# decorate a character before them and alone show nothing, or a dotted circle.
INVISIBLE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Mn", "Me"})
# Letters and symbols that fonts draw as nothing: Hangul fillers and the blank Braille pattern.
INVISIBLE_CHARACTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")

BLANK_MESSAGE = "Write something visible: spaces and invisible characters alone do not count."
NUL_MESSAGE = "Text cannot contain NUL characters (U+0000)."


# Code points Unicode reserves as default-ignorable (drawn as nothing, even before they are assigned:
# U+2065, U+FFF0…U+FFF8, the U+E0000 block) and the noncharacters (U+FDD0…U+FDEF, U+xFFFE, U+xFFFF).
# Other unassigned code points stay visible: a newer emoji than this Python's Unicode tables is text.
IGNORABLE_RANGES = ((0x2065, 0x2065), (0xFDD0, 0xFDEF), (0xFFF0, 0xFFF8), (0xE0000, 0xE0FFF))


def is_invisible(char: str) -> bool:
    if char in INVISIBLE_CHARACTERS or unicodedata.category(char) in INVISIBLE_CATEGORIES:
        return True
    point = ord(char)
    return (point & 0xFFFE) == 0xFFFE or any(low <= point <= high for low, high in IGNORABLE_RANGES)


def has_visible(text) -> bool:
    """True when the text has at least one character a reader can see."""
    return any(not is_invisible(char) for char in str(text or ""))


def is_blank(text) -> bool:
    """True for None, "" and text made only of spaces and invisible characters."""
    return not has_visible(text)


def strip_invisible(text) -> str:
    """The text without the invisible characters at its ends (inner ones are kept as typed)."""
    text = str(text or "")
    start, end = 0, len(text)
    while start < end and is_invisible(text[start]):
        start += 1
    while end > start and is_invisible(text[end - 1]):
        end -= 1
    return text[start:end]


def validate_visible(value) -> None:
    """The validator of every required text field: refuses text with no visible character."""
    if is_blank(value):
        raise ValidationError(BLANK_MESSAGE, code="blank")


def validate_no_nul(value) -> None:
    """Refuses text with a NUL character (PostgreSQL cannot store it in text)."""
    if "\x00" in str(value or ""):
        raise ValidationError(NUL_MESSAGE, code="null_characters_not_allowed")


# Control characters (C0 and C1, DEL) other than tab, line feed and carriage return: nothing a person types
# (a pasted terminal colour code "\x1b[31m", a stray "\x01"); they render as nothing or as boxes, and XML,
# CSV and terminals choke on them.
ALLOWED_CONTROLS = frozenset("\t\n\r")


def validate_no_controls(value) -> None:
    """Refuses control characters other than tab and line breaks (NUL has its own message)."""
    for char in str(value or ""):
        if char != "\x00" and char not in ALLOWED_CONTROLS and unicodedata.category(char) == "Cc":
            raise ValidationError(
                f"Text cannot contain control characters (U+{ord(char):04X}).", code="control_characters"
            )


# Line breaks of every kind: a one-line field (a title, a name) refuses them rather than joining or trimming
# them away, so the page and the API keep exactly what was sent or say why not.
# (The control characters among line breaks, U+000B/000C/001C-001E/0085, are refused everywhere by
# validate_no_controls, before any trimming.)
LINE_BREAKS = frozenset("\n\r\u2028\u2029")
ONE_LINE_MESSAGE = "Keep this to one line: line breaks are not allowed here."


def has_line_break(value) -> bool:
    """True when `value` (a str) holds any kind of line break (LINE_BREAKS)."""
    return any(char in LINE_BREAKS for char in str(value or ""))


def too_long_message(limit: int, length: int) -> str:
    return f"At most {limit:,} characters (you have {length:,})."


@deconstructible
class MaxCharsValidator(MaxLengthValidator):
    """Django's MaxLengthValidator (it counts code points), saying the limit and the length given."""

    code = "max_length"

    def __call__(self, value):
        length = len(str(value))
        if length > self.limit_value:
            raise ValidationError(
                too_long_message(self.limit_value, length),
                code=self.code,
                params={"limit_value": self.limit_value, "show_value": length, "value": value},
            )


def text_validators(*, max_chars: int | None = None, required: bool = True) -> list:
    """The validators of a model text field: visible text when required, no NUL nor other control
    characters, the character limit."""
    validators = [validate_visible] if required else []
    validators += [validate_no_nul, validate_no_controls]
    if max_chars is not None:
        validators.append(MaxCharsValidator(max_chars))
    return validators


def shorten(text: str, limit: int) -> str:
    """Generated text (an activity line quoting a card) made to fit `limit` characters, with "…" when cut.
    Never for what a person typed: that is refused when too long, not cut."""
    text = str(text)
    return text if len(text) <= limit else text[: max(limit - 1, 0)].rstrip() + "…"


BIGINT_MAX = 2**63 - 1


def parse_id(raw) -> int | None:
    """An object id typed in a URL or form ("42"), or None when it is not one: only ASCII digits count
    ("²" and "٣" pass str.isdigit() yet are no id), and only within the database's bigint."""
    raw = str(raw if raw is not None else "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 19:
        return None
    value = int(raw)
    return value if 1 <= value <= BIGINT_MAX else None
