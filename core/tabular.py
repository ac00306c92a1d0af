"""Reading tables people export from spreadsheets and tools: the part of every import that is not about
what the rows mean. Research (evidence), metrics (measurements) and the portfolio import all read files
through here; core/imports.py runs them as jobs with progress.

- **Encoding.** A byte-order mark decides (UTF-8, UTF-16 LE/BE). Otherwise bytes that are valid UTF-8 are
  UTF-8 (certain: random Windows-1252 text is almost never valid UTF-8), unless their zero bytes say UTF-16
  without a mark. Anything else is a guess by charset-normalizer (Windows-1252 winning ties), marked
  uncertain, which the person confirms or changes on the preview (`Decoded.certain`).
- **Delimiter.** Comma, semicolon or tab, detected by CleverCSV's data-consistency measure
  (van den Burg et al., "Wrangling messy CSV files by detecting row and type patterns", 2019) on the
  first 64 KiB; the person can change it.
- **Rows.** RFC 4180 quoting: quoted fields may hold delimiters, line breaks and doubled quotes. Each row
  knows the line of the file it starts on, so errors say "line 14" as an editor shows it.
- **Values.** Empty cells and NA, N/A, NULL, "-" (any case, spaces around ignored) are missing. Dates in
  ISO form (2025-03-31) and day-first or month-first forms (31/03/2025, 03/31/2025, 31.03.2025,
  31 March 2025, March 31, 2025). A date such as 03/04/2025 reads two ways: the file's date order is then
  asked, never guessed (`date_orders`).
- **Columns.** An import declares its columns (`Column`); the header row is matched to them by name or
  alias, case and spaces ignored (`guess_mapping`), the person confirms the mapping, and `parse_rows`
  turns every row into values or into errors naming line and column: "line 14, column captured:
  31/02/2025 is not a date". Text cells follow core/text.py's rules (no NUL, no control characters, limits
  in characters, never cut).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from . import text as text_rules

MISSING = frozenset({"", "na", "n/a", "null", "-"})
DELIMITERS = {",": "Comma", ";": "Semicolon", "\t": "Tab"}
SNIFF_BYTES = 64 * 1024
# Encodings a person may choose on the preview, besides a detected one.
ENCODINGS = {
    "utf-8": "UTF-8",
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252 (Western European)",
    "iso8859-15": "ISO-8859-15 (Latin-9)",
    "cp1250": "Windows-1250 (Central European)",
    "cp1251": "Windows-1251 (Cyrillic)",
    "mac-roman": "Mac OS Roman",
}
DAY_FIRST, MONTH_FIRST = "dmy", "mdy"
DATE_ORDERS = {DAY_FIRST: "Day first (31/03/2025)", MONTH_FIRST: "Month first (03/31/2025)"}


class TableError(ValueError):
    """The file as a whole cannot be read (empty, not text in the chosen encoding, broken quoting); the
    message says why, and where when it can."""


# ------------------------------------------------------------------------------------------------ encoding


@dataclass(frozen=True)
class Decoded:
    """A file's text. `encoding` is a Python codec name ("utf-8", "utf-16", "cp1252"…); `certain` is False
    when it was guessed (no byte-order mark and not valid UTF-8): the preview asks the person to confirm."""

    text: str
    encoding: str
    certain: bool


def _codec(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError as exc:
        raise TableError(f"Unknown encoding “{name}”.") from exc


def _utf16_without_mark(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when every other byte of the start is zero (ASCII-range text in UTF-16)."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def decode(data: bytes, encoding: str | None = None) -> Decoded:
    """The text of `data` (a file's bytes). With `encoding` (a codec name the person chose), strictly in
    that encoding; otherwise detected as the module docstring says.

    Raises TableError for an empty file, bytes that are not text in the chosen encoding (naming the byte
    offset), and text holding NUL characters (binary files: a spreadsheet saved as .xlsx, say)."""
    if not data:
        raise TableError("The file is empty.")
    if encoding:
        name = _codec(encoding)
        reading = "utf-8-sig" if name == "utf-8" else name  # a UTF-8 mark is not text; UTF-16 reads its own
        return Decoded(_strict(data, reading), name, True)
    if data.startswith(codecs.BOM_UTF8):
        return Decoded(_strict(data, "utf-8-sig"), "utf-8", True)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return Decoded(_strict(data, "utf-16"), "utf-16", True)
    wide = _utf16_without_mark(data)
    if wide:
        return Decoded(_strict(data, wide), wide, False)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return Decoded(_no_nul(text), "utf-8", True)
    from charset_normalizer import from_bytes  # imported here: ~30 ms at import, only imports need it

    results = from_bytes(data[: 4 * SNIFF_BYTES])
    best = results.best()
    guess = _codec(best.encoding) if best is not None else "cp1252"
    # Short Western text often scores the same in several code pages; Windows-1252, the single-byte
    # encoding spreadsheets write most, wins ties.
    tied = {
        _codec(r.encoding) for r in results if best and (r.chaos, r.coherence) == (best.chaos, best.coherence)
    }
    if "cp1252" in tied:
        guess = "cp1252"
    try:
        return Decoded(_strict(data, guess), guess, False)
    except TableError:
        return Decoded(_strict(data, "cp1252"), "cp1252", False)


def _strict(data: bytes, encoding: str) -> str:
    try:
        return _no_nul(data.decode(encoding))
    except UnicodeDecodeError as exc:
        label = ENCODINGS.get(_codec(encoding.replace("-sig", "")), encoding)
        raise TableError(
            f"The file is not {label} text (byte {exc.start + 1:,} cannot be read): choose another encoding."
        ) from exc


def _no_nul(text: str) -> str:
    if "\x00" in text:
        raise TableError(
            "The file holds NUL characters: it is not a text (CSV) file. Save it as CSV and try again."
        )
    return text


# ------------------------------------------------------------------------------------------------ delimiter


def sniff_delimiter(text: str) -> str:
    """The delimiter of a CSV text: ",", ";" or "\\t" (comma when the file has one column)."""
    sample = text[:SNIFF_BYTES]
    if len(text) > SNIFF_BYTES and "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # whole lines only
    if not any(d in sample for d in DELIMITERS):
        return ","
    import clevercsv  # imported here: only imports need it

    dialect = clevercsv.Detector().detect(sample, delimiters=list(DELIMITERS))
    return dialect.delimiter if dialect is not None and dialect.delimiter in DELIMITERS else ","


# ------------------------------------------------------------------------------------------------ rows


@dataclass(frozen=True)
class Row:
    """One record: `line` is the 1-based line of the file it starts on; `cells` its fields as text."""

    line: int
    cells: list[str]


def read_rows(text: str, delimiter: str) -> Iterator[Row]:
    """The records of a CSV text, blank lines skipped. Raises TableError on broken quoting (naming the
    line)."""
    if delimiter not in DELIMITERS:
        raise TableError("The delimiter must be a comma, a semicolon or a tab.")
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', doublequote=True, strict=True
    )
    line = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise TableError(f"Line {line:,}: the quoting is broken ({exc}).") from exc
        if any(cell.strip() for cell in cells):
            yield Row(line, cells)
        line = reader.line_num + 1


@dataclass(frozen=True)
class Table:
    """A read file: its header (column names as written) and the rows under it."""

    header: list[str]
    rows: list[Row]


def read_table(text: str, delimiter: str) -> Table:
    """The header row and the data rows. Raises TableError when there is no header row or a header names
    the same column twice (the mapping could not tell them apart)."""
    rows = read_rows(text, delimiter)
    first = next(rows, None)
    if first is None:
        raise TableError("The file has no rows.")
    return Table(table_header(first), list(rows))


def table_header(first: Row) -> list[str]:
    """The column names of a header row (blank ones named "Column 3"). Raises TableError when it names
    the same column twice (case and spacing ignored: the mapping could not tell them apart)."""
    header = [cell.strip() or f"Column {index + 1}" for index, cell in enumerate(first.cells)]
    seen: dict[str, int] = {}
    for index, name in enumerate(header):
        key = _key(name)
        if key in seen:
            raise TableError(
                f"Line {first.line}: the header names “{name}” twice "
                f"(columns {seen[key] + 1} and {index + 1})."
            )
        seen[key] = index
    return header


# ------------------------------------------------------------------------------------------------ values


def is_missing(raw: str | None) -> bool:
    """True for an empty cell and for NA, N/A, NULL and "-" (any case, spaces ignored)."""
    return raw is None or raw.strip().lower() in MISSING


MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
ISO_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[t ][0-9:.+\-z]*)?")  # matched lower-cased
NUMERIC_DATE = re.compile(r"(\d{1,2})([/.\-])(\d{1,2})\2(\d{4})")
DAY_MONTH_NAME = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\.?\s+([a-z]+)\.?,?\s+(\d{4})")
MONTH_NAME_DAY = re.compile(r"([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})")


class AmbiguousDate(ValueError):
    """A date such as 03/04/2025 with no date order chosen: it reads day-first and month-first."""


def _date(raw: str, year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"{raw} is not a date") from None


def parse_date(raw: str, order: str | None = None) -> date:
    """A date typed as the module docstring lists. `order`: DAY_FIRST or MONTH_FIRST for numeric forms
    such as 03/04/2025; None reads only unambiguous ones (a part above 12, or both parts equal).

    Raises AmbiguousDate when the order is needed and not given, ValueError("… is not a date") otherwise."""
    value = " ".join(raw.split()).lower()
    match = ISO_DATE.fullmatch(value)
    if match:
        return _date(raw, int(match[1]), int(match[2]), int(match[3]))
    match = NUMERIC_DATE.fullmatch(value)
    if match:
        first, second, year = int(match[1]), int(match[3]), int(match[4])
        if order is None:
            if first > 12 >= second:
                order = DAY_FIRST
            elif second > 12 >= first:
                order = MONTH_FIRST
            elif first == second:
                order = DAY_FIRST
            elif first <= 12 and second <= 12:
                raise AmbiguousDate(f"{raw} could be day-first or month-first: choose the file's date order")
            else:
                raise ValueError(f"{raw} is not a date")
        day, month = (first, second) if order == DAY_FIRST else (second, first)
        return _date(raw, year, month, day)
    for pattern, day_group, month_group in ((DAY_MONTH_NAME, 1, 2), (MONTH_NAME_DAY, 2, 1)):
        match = pattern.fullmatch(value)
        if match and match[month_group] in MONTHS:
            return _date(raw, int(match[3]), MONTHS[match[month_group]], int(match[day_group]))
    raise ValueError(f"{raw} is not a date")


def date_orders(values: Iterable[str]) -> set[str]:
    """Which date orders the numeric dates among `values` allow: {DAY_FIRST, MONTH_FIRST} when none
    decides (ask the person), one of them when a date such as 31/03/2025 decides, empty when the dates
    contradict each other (31/03/2025 and 03/31/2025 in one file)."""
    possible = {DAY_FIRST, MONTH_FIRST}
    for raw in values:
        match = NUMERIC_DATE.fullmatch(" ".join(raw.split()))
        if not match:
            continue
        first, second = int(match[1]), int(match[3])
        if first > 12:
            possible.discard(MONTH_FIRST)
        if second > 12:
            possible.discard(DAY_FIRST)
    return possible


# ------------------------------------------------------------------------------------------------ formulas

# A cell a spreadsheet would run as a formula starts with one of these (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def guard_formula(text: str) -> str:
    """A text cell as an export writes it: behind one more "'" when, past its leading "'"s, it starts like
    a formula ("=SUM(A1)" → "'=SUM(A1)", "'=x" → "''=x"), so no spreadsheet runs it; `unguard_formula`
    gives it back exactly."""
    return "'" + text if text.lstrip("'").startswith(FORMULA_START) else text


def unguard_formula(text: str) -> str:
    """The inverse of guard_formula, applied to text cells on import: one leading "'" dropped before a
    formula start ("'=SUM(A1)" → "=SUM(A1)"); any other text as it is."""
    return text[1:] if text.startswith("'") and text.lstrip("'").startswith(FORMULA_START) else text


STREAM_PIECE = 64 * 1024  # characters per piece of a streamed export


def in_pieces(lines: Iterable[str], size: int = STREAM_PIECE) -> Iterator[str]:
    """An export's lines (str) joined into pieces of at least `size` characters (the last one shorter), for
    a StreamingHttpResponse: each piece the server sends costs the same whatever its size, and a line each
    made a 21,000-row export several times slower under uvicorn (measured: 1.4–2.3 s against 0.42 s)."""
    piece, length = [], 0
    for line in lines:
        piece.append(line)
        length += len(line)
        if length >= size:
            yield "".join(piece)
            piece, length = [], 0
    if piece:
        yield "".join(piece)


# ------------------------------------------------------------------------------------------------ columns


@dataclass(frozen=True)
class Column:
    """A column an import reads. `kind`: "text" (one line), "longtext" (line breaks allowed), "integer",
    "decimal", "date", "choice" (`choices`: (value, label) pairs; a cell may hold either, any case) or "url".
    `aliases`: other header names that map to it. `max_chars`: limit of text cells, in characters."""

    name: str
    label: str
    kind: str = "text"
    required: bool = False
    max_chars: int | None = None
    choices: tuple[tuple[str, str], ...] = ()
    aliases: tuple[str, ...] = ()
    help: str = ""

    def parse(self, raw: str, *, date_order: str | None = None):
        """The value of a non-missing cell, or ValueError with a message (without line and column)."""
        value = raw.strip()
        if self.kind in {"text", "longtext", "url"}:
            return self._text(unguard_formula(raw if self.kind == "longtext" else value))
        if self.kind == "integer":
            if not re.fullmatch(r"[+-]?\d+", value):
                raise ValueError(f"{value} is not a whole number")
            return int(value)
        if self.kind == "decimal":
            return parse_decimal(value)
        if self.kind == "date":
            return parse_date(value, date_order)
        if self.kind == "choice":
            wanted = value.lower()
            for choice, label in self.choices:
                if wanted in {choice.lower(), str(label).lower()}:
                    return choice
            allowed = ", ".join(str(label) for _, label in self.choices)
            raise ValueError(f"{value} is not one of: {allowed}")
        raise ValueError(f"unknown column kind {self.kind}")

    def _text(self, value: str) -> str:
        for check in (text_rules.validate_no_nul, text_rules.validate_no_controls):
            try:
                check(value)
            except ValidationError as exc:
                raise ValueError(exc.messages[0].rstrip(".")) from None
        if self.kind != "longtext" and text_rules.has_line_break(value):
            raise ValueError("line breaks are not allowed here")
        if self.max_chars is not None and len(value) > self.max_chars:
            raise ValueError(text_rules.too_long_message(self.max_chars, len(value)).rstrip("."))
        if self.kind == "url":
            try:
                URLValidator(schemes=["http", "https"])(value)
            except ValidationError:
                raise ValueError(f"{value} is not a web address (http:// or https://)") from None
        if self.required and text_rules.is_blank(value):
            raise ValueError(text_rules.BLANK_MESSAGE.rstrip("."))
        return value


def parse_decimal(value: str) -> Decimal:
    """A number as spreadsheets write it: "1234.5", "1,234.5", "1 234,5", "1.234,5", "-3", "12%"→12.
    A lone comma is a decimal comma ("4,5" = 4.5). Raises ValueError("… is not a number")."""
    raw = value
    value = value.replace("\u00a0", " ").replace("\u202f", " ").strip().rstrip("%").strip()
    value = value.replace(" ", "").replace("'", "")
    if "," in value and "." in value:
        if value.rindex(",") > value.rindex("."):
            value = value.replace(".", "").replace(",", ".")
        else:
            value = value.replace(",", "")
    elif value.count(",") == 1:
        value = value.replace(",", ".")
    elif value.count(",") > 1:
        value = value.replace(",", "")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", value):
        raise ValueError(f"{raw} is not a number")
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{raw} is not a number") from None


def _key(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name.strip().lower())


def guess_mapping(header: Sequence[str], columns: Sequence[Column]) -> dict[str, int | None]:
    """Column name → index of the header it reads (by name, label or alias; case, spaces, "_" and "-"
    ignored), None when no header matches."""
    index = {_key(name): position for position, name in enumerate(header)}
    mapping: dict[str, int | None] = {}
    for column in columns:
        names = (column.name, column.label, *column.aliases)
        mapping[column.name] = next((index[_key(n)] for n in names if _key(n) in index), None)
    return mapping


def check_mapping(
    mapping: dict[str, int | None], header: Sequence[str], columns: Sequence[Column]
) -> list[str]:
    """Problems of a mapping, as sentences: a required column left unmapped, a header used twice, an
    index outside the header."""
    problems = []
    used: dict[int, str] = {}
    for column in columns:
        position = mapping.get(column.name)
        if position is None:
            if column.required:
                problems.append(f"Choose the file's column for “{column.label}” (required).")
            continue
        if not 0 <= position < len(header):
            problems.append(f"“{column.label}”: the file has no column {position + 1}.")
        elif position in used:
            problems.append(
                f"The column “{header[position]}” is chosen for both “{used[position]}” and “{column.label}”."
            )
        else:
            used[position] = column.label
    return problems


@dataclass(frozen=True)
class LineError:
    """A bad cell or row: `line` of the file (1-based), `column` the import's column name ("" for the
    whole row), `message` what is wrong ("31/02/2025 is not a date")."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line:,}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"

    def as_dict(self) -> dict:
        return {"line": self.line, "column": self.column, "message": self.message}


@dataclass
class Parsed:
    """What parse_rows made of a table: `records` (one dict per row, column name → value or None, and
    "line"), `errors` (every bad cell, in file order)."""

    records: list[dict] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)


def column_dates(table: Table, mapping: dict[str, int | None], columns: Sequence[Column]) -> list[str]:
    """Every non-missing cell of the mapped date columns (for date_orders)."""
    positions = [mapping[c.name] for c in columns if c.kind == "date" and mapping.get(c.name) is not None]
    return [
        row.cells[p]
        for row in table.rows
        for p in positions
        if p < len(row.cells) and not is_missing(row.cells[p])
    ]


def parse_rows(
    table: Table,
    mapping: dict[str, int | None],
    columns: Sequence[Column],
    *,
    date_order: str | None = None,
    progress: Callable[[int], None] | None = None,
    every: int = 1000,
) -> Parsed:
    """Each row of `table` as a record, or the errors of its cells (all of them, not just the first).
    A row with more cells than the header is an error (a delimiter inside an unquoted field); missing
    trailing cells are missing values. `progress(rows_done)` is called every `every` rows."""
    parsed = Parsed()
    width = len(table.header)
    for done, row in enumerate(table.rows, start=1):
        errors = []
        if len(row.cells) > width and any(cell.strip() for cell in row.cells[width:]):
            errors.append(
                LineError(row.line, "", f"{len(row.cells)} cells for {width} columns in the header")
            )
        record: dict = {"line": row.line}
        for column in columns:
            position = mapping.get(column.name)
            raw = row.cells[position] if position is not None and position < len(row.cells) else None
            if is_missing(raw):
                record[column.name] = None
                if column.required:
                    errors.append(LineError(row.line, column.name, "is missing (required)"))
                continue
            try:
                record[column.name] = column.parse(raw, date_order=date_order)
            except ValueError as exc:
                errors.append(LineError(row.line, column.name, str(exc)))
        if errors:
            parsed.errors.extend(errors)
        else:
            parsed.records.append(record)
        if progress is not None and done % every == 0:
            progress(done)
    return parsed
