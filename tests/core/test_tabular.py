"""Reading the files people export: encodings, delimiters, quoting, missing values, dates, columns and the
line errors that name what is wrong (core/tabular.py). Each case is a small file as a spreadsheet or a
tool writes it."""

import codecs
from datetime import date
from decimal import Decimal

import pytest

from core import tabular
from core.tabular import Column

TEXT = "id;quote;captured\r\n1;Ça coûte « trop » — 50 €;31/03/2025\r\n2;Zoë's naïve café;01/02/2025\r\n"


# ---------------------------------------------------------------------------------------------- encodings


@pytest.mark.parametrize(
    ("data", "encoding", "certain"),
    [
        (TEXT.encode("utf-8"), "utf-8", True),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8", True),
        (TEXT.encode("utf-16"), "utf-16", True),  # with its byte-order mark, as Excel's "Unicode text"
        (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16", True),
        (TEXT.encode("utf-16-le"), "utf-16-le", False),  # no mark: told by its zero bytes
        (TEXT.encode("cp1252"), "cp1252", False),  # Excel's "CSV" on Windows: a guess, to confirm
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-bom-le", "utf-16-bom-be", "utf-16-le-no-bom", "windows-1252"],
)
def test_every_encoding_reads_to_the_same_text(data, encoding, certain):
    decoded = tabular.decode(data)
    assert decoded.text == TEXT
    assert (decoded.encoding, decoded.certain) == (encoding, certain)


def test_a_chosen_encoding_is_read_strictly_and_a_wrong_one_says_where_it_fails():
    data = TEXT.encode("cp1252")
    assert tabular.decode(data, "cp1252").text == TEXT
    assert tabular.decode(codecs.BOM_UTF8 + TEXT.encode(), "utf-8").text == TEXT  # the mark is not text
    with pytest.raises(tabular.TableError, match=r"not UTF-8 text \(byte 22 cannot be read\)"):
        tabular.decode(data, "utf-8")
    with pytest.raises(tabular.TableError, match="Unknown encoding"):
        tabular.decode(data, "klingon")


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"", "The file is empty"), (b"PK\x03\x04\x00\x00binary", "NUL characters: it is not a text")],
)
def test_files_that_are_not_text_are_refused(data, message):
    with pytest.raises(tabular.TableError, match=message):
        tabular.decode(data)


# ---------------------------------------------------------------------------------------------- delimiters


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_the_delimiter_is_detected_even_when_another_one_appears_inside_quotes(delimiter):
    d = delimiter
    text = f'id{d}text{d}score\n1{d}"one, two; three\tfour"{d}4\n2{d}"x"{d}5\n3{d}plain{d}6\n'
    assert tabular.sniff_delimiter(text) == delimiter
    assert tabular.sniff_delimiter("just one column\nsecond\n") == ","


# ---------------------------------------------------------------------------------------------- rows


def test_quoted_fields_keep_line_breaks_and_doubled_quotes_and_rows_know_their_first_line():
    text = 'id,quote\n1,"She said ""no"".\nThen left."\n\n2,"a,b"\n3,last'
    table = tabular.read_table(text, ",")
    assert table.header == ["id", "quote"]
    assert [(r.line, r.cells) for r in table.rows] == [
        (2, ["1", 'She said "no".\nThen left.']),
        (5, ["2", "a,b"]),  # the blank line 4 is skipped, and counted
        (6, ["3", "last"]),
    ]


def test_broken_quoting_and_a_header_naming_a_column_twice_are_refused_with_the_line():
    with pytest.raises(tabular.TableError, match="Line 3: the quoting is broken"):
        tabular.read_table('id,text\n1,ok\n2,"x"y\n', ",")
    with pytest.raises(tabular.TableError, match=r"header names “Text” twice \(columns 2 and 3\)"):
        tabular.read_table("id,text,Text\n", ",")
    with pytest.raises(tabular.TableError, match="no rows"):
        tabular.read_table("\n\n", ",")


# ---------------------------------------------------------------------------------------------- values


@pytest.mark.parametrize("raw", ["", "  ", "NA", "n/a", "N/A", "null", "NULL", "-", " - "])
def test_missing_values(raw):
    assert tabular.is_missing(raw)


@pytest.mark.parametrize("raw", ["0", "none", "--", "n.a", "No"])
def test_values_that_are_not_missing(raw):
    assert not tabular.is_missing(raw)


@pytest.mark.parametrize(
    ("raw", "order", "expected"),
    [
        ("2025-03-31", None, date(2025, 3, 31)),
        ("2025/3/1", None, date(2025, 3, 1)),
        ("2025-03-31T14:05:00Z", None, date(2025, 3, 31)),
        ("31/03/2025", None, date(2025, 3, 31)),  # a part above 12 decides
        ("03/31/2025", None, date(2025, 3, 31)),
        ("31.03.2025", None, date(2025, 3, 31)),
        ("05-05-2025", None, date(2025, 5, 5)),  # both parts equal: one reading
        ("03/04/2025", tabular.DAY_FIRST, date(2025, 4, 3)),
        ("03/04/2025", tabular.MONTH_FIRST, date(2025, 3, 4)),
        ("31 March 2025", None, date(2025, 3, 31)),
        ("1st Sept. 2025", None, date(2025, 9, 1)),
        ("March 31, 2025", None, date(2025, 3, 31)),
        ("mar 3 2025", None, date(2025, 3, 3)),
    ],
)
def test_dates_in_common_forms(raw, order, expected):
    assert tabular.parse_date(raw, order) == expected


def test_ambiguous_dates_are_asked_and_impossible_ones_named():
    with pytest.raises(tabular.AmbiguousDate, match="03/04/2025 could be day-first or month-first"):
        tabular.parse_date("03/04/2025")
    for raw in ["31/02/2025", "2025-02-30", "13/13/2025", "31 Smarch 2025", "yesterday", "2025-13-01"]:
        with pytest.raises(ValueError, match=f"{raw} is not a date"):
            tabular.parse_date(raw, tabular.DAY_FIRST)


def test_a_files_dates_tell_which_orders_they_allow():
    both = {tabular.DAY_FIRST, tabular.MONTH_FIRST}
    assert tabular.date_orders(["03/04/2025", "2025-01-01"]) == both
    assert tabular.date_orders(["03/04/2025", "31/03/2025"]) == {tabular.DAY_FIRST}
    assert tabular.date_orders(["03/04/2025", "03/31/2025"]) == {tabular.MONTH_FIRST}
    assert tabular.date_orders(["31/03/2025", "03/31/2025"]) == set()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1234.5", "1234.5"),
        ("1,234.5", "1234.5"),
        ("1 234,5", "1234.5"),
        ("1.234,5", "1234.5"),
        ("4,5", "4.5"),
        ("-3", "-3"),
        ("72%", "72"),
        ("+0.25", "0.25"),
        ("1\u202f000", "1000"),
    ],
)
def test_numbers_as_spreadsheets_write_them(raw, expected):
    assert tabular.parse_decimal(raw) == Decimal(expected)


@pytest.mark.parametrize("raw", ["abc", "1.2.3,4,5", "--1", "1e5", "∞"])
def test_what_is_not_a_number(raw):
    with pytest.raises(ValueError, match="is not a number"):
        tabular.parse_decimal(raw)


# ---------------------------------------------------------------------------------------------- columns

COLUMNS = (
    Column("external_id", "External id", aliases=("id",), max_chars=200),
    Column("text", "Text", kind="longtext", required=True, max_chars=20),
    Column("kind", "Kind", kind="choice", choices=(("quote", "Quote"), ("observation", "Observation"))),
    Column("captured", "Captured", kind="date"),
    Column("participants", "Participants", kind="integer"),
    Column("link", "Source link", kind="url", aliases=("source",)),
)


def test_headers_map_to_columns_by_name_label_or_alias_ignoring_case_and_spacing():
    header = ["ID", "TEXT", "kind ", "Captured", "Source", "notes"]
    mapping = tabular.guess_mapping(header, COLUMNS)
    assert mapping == {"external_id": 0, "text": 1, "kind": 2, "captured": 3, "participants": None, "link": 4}
    assert tabular.check_mapping(mapping, header, COLUMNS) == []
    assert tabular.check_mapping({"external_id": 1, "text": 1}, header, COLUMNS) == [
        "The column “TEXT” is chosen for both “External id” and “Text”."
    ]
    assert tabular.check_mapping({"text": None}, header, COLUMNS) == [
        "Choose the file's column for “Text” (required)."
    ]
    assert tabular.check_mapping({"text": 9}, header, COLUMNS) == ["“Text”: the file has no column 10."]


def test_every_bad_cell_of_every_line_is_named_and_good_rows_become_records():
    text = (
        "id,text,kind,captured,participants,source\n"
        'a1,"Too slow.\nReally.",QUOTE,2025-03-01,3,https://example.org/t/1\n'
        "a2,,observation,31/02/2025,three,ftp://x\n"
        "a3,Fine,finding,NA,N/A,-\n"
        "a4,This text is longer than twenty,Quote,2025-01-01,1,,extra\n"
        "a5,Short\x07bell,Quote,,,\n"
    )
    table = tabular.read_table(text, ",")
    mapping = tabular.guess_mapping(table.header, COLUMNS)
    parsed = tabular.parse_rows(table, mapping, COLUMNS)
    assert parsed.records == [
        {
            "line": 2,
            "external_id": "a1",
            "text": "Too slow.\nReally.",
            "kind": "quote",
            "captured": date(2025, 3, 1),
            "participants": 3,
            "link": "https://example.org/t/1",
        }
    ]
    assert [str(e) for e in parsed.errors] == [
        "line 4, column text: is missing (required)",
        "line 4, column captured: 31/02/2025 is not a date",
        "line 4, column participants: three is not a whole number",
        "line 4, column link: ftp://x is not a web address (http:// or https://)",
        "line 5, column kind: finding is not one of: Quote, Observation",
        "line 6: 7 cells for 6 columns in the header",
        "line 6, column text: At most 20 characters (you have 31)",
        "line 7, column text: Text cannot contain control characters (U+0007)",
    ]


def test_one_line_text_refuses_line_breaks_and_nothing_is_trimmed_inside_long_text():
    columns = (Column("title", "Title", required=True), Column("note", "Note", kind="longtext"))
    table = tabular.read_table('title,note\n"two\nlines","  keep  my spaces  "\n', ",")
    parsed = tabular.parse_rows(table, {"title": 0, "note": 1}, columns)
    assert [str(e) for e in parsed.errors] == ["line 2, column title: line breaks are not allowed here"]
    table = tabular.read_table('title,note\n  One  ,"  keep  my spaces  "\n', ",")
    assert tabular.parse_rows(table, {"title": 0, "note": 1}, columns).records == [
        {"line": 2, "title": "One", "note": "  keep  my spaces  "}
    ]


def test_progress_is_reported_as_rows_are_read():
    table = tabular.read_table("text\n" + "".join(f"row {i}\n" for i in range(25)), ",")
    seen = []
    tabular.parse_rows(table, {"text": 0}, (Column("text", "Text"),), progress=seen.append, every=10)
    assert seen == [10, 20]


@pytest.mark.parametrize(
    "text",
    ["=SUM(A1)", "+1", "-x", "@cmd", "\tx", "'=x", "''=y", "'quoted'", "plain", "", "don't", "'"],
)
def test_formula_guard_round_trips_every_text(text):
    guarded = tabular.guard_formula(text)
    assert not guarded.startswith(tabular.FORMULA_START)  # no spreadsheet runs it
    assert tabular.unguard_formula(guarded) == text


def test_in_pieces_joins_lines_into_pieces_of_at_least_the_size_keeping_every_character_in_order():
    lines = [f"line {n},{'x' * (n % 7)}\r\n" for n in range(1000)]

    pieces = list(tabular.in_pieces(iter(lines), size=100))

    assert "".join(pieces) == "".join(lines)
    assert all(len(piece) >= 100 for piece in pieces[:-1])
    assert all(len(piece) < 100 + max(map(len, lines)) for piece in pieces)  # a piece ends at the line past
    assert 1 <= len(pieces[-1])
    assert list(tabular.in_pieces(iter([]))) == []
    assert list(tabular.in_pieces(iter(["a\r\n"]))) == ["a\r\n"]
