"""Imports as jobs: upload → preview and column mapping → a Celery task that reads every row, checks them
all and writes all of them in one transaction or none (core/tabular.py reads the file).

An app declares an `Importer` (its columns, who may import into what, the checks that need the
database, the write) and registers it in its AppConfig.ready(), as the map's overlay providers do; the
pages (core/views.py: preview, mapping, progress) and the task are the same for every import.

Guarantees, whatever the importer:
- **All or nothing.** Rows are read and checked first; if any line is bad, nothing is written and the job
  keeps every error (the first ImportJob.ERRORS_KEPT of them shown, the count of all).
- **Idempotent.** The write runs in one transaction; a retry (a worker lost mid-write, acks_late) runs it
  again from scratch, and importers match rows by external id, so a file imported twice adds nothing.
- **Progress survives a reload.** Reading progress is saved on the job row as it goes; writing progress
  (inside the write's transaction, invisible to other connections) goes through the cache.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import BinaryField, F, Func, Value
from django.utils import timezone

from . import tabular
from .models import ImportJob
from .text import shorten

MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 100_000
PREVIEW_ROWS = 5
HEAD_BYTES = 1024 * 1024  # what the preview reads of a file
HEAD_ROWS = 2_000  # rows of that the preview looks at (for the date order, say)
RUN_TASK = "core.run_import"
PURGE_TASK = "core.purge_imports"
KEEP_UNFINISHED = timedelta(days=7)


@dataclass(frozen=True)
class NameMatch:
    """How names in a file map to what the import writes into, for the preview (Importer.name_matches):
    `what` is named ("Metric", "Stage", "Column"), the spellings found in the file (`names`, as written,
    first seen first; names differing only in case or spaces are one), what else decides it (`given`:
    "stage “Stage 1”"), how many of the previewed rows carry it, and `maps_to`: what they are read as
    ("metric “NPS” on stage “Stage 1”"), or "" when nothing matches — then `problem` says what the
    import will say of those lines. `note` is said instead of either (a column left out)."""

    what: str
    names: tuple[str, ...]
    rows: int
    maps_to: str = ""
    problem: str = ""
    given: str = ""
    note: str = ""


class RowsRefused(Exception):
    """Raised by an importer's `write` when the rules it applies while writing (a service's validation)
    refuse rows: the transaction is rolled back, nothing is written, and the job shows `errors`
    (tabular.LineError list) like any other refusal."""

    def __init__(self, errors: list[tabular.LineError]):
        super().__init__(f"{len(errors)} rows refused")
        self.errors = errors


@dataclass(frozen=True)
class Importer(ABC):
    """What one kind of import reads and does. Subclasses must define `authorize` and `write` (abstract:
    a subclass without them cannot be made) and may override `columns_for`, `describe`, `check`, `done_url`.

    `kind`: a unique name ("research.evidence"); `title`: what the pages call it ("Evidence");
    `columns`: the tabular.Column list it reads; `name_columns`: the columns whose cells `name_matches`
    reads for the preview (those naming things of the target: a metric, a stage…; a name ending in "*"
    takes every column starting with it); `names_help`: how names are matched, said above that map."""

    kind: str
    title: str
    columns: tuple[tabular.Column, ...]
    name_columns: tuple[str, ...] = ()
    names_help: str = ""

    @abstractmethod
    def authorize(self, user, target: dict) -> None:
        """Raise Http404/PermissionDenied unless `user` may import into `target` (checked when the job is
        created, started and run)."""

    def columns_for(self, header: list[str]) -> tuple[tabular.Column, ...]:
        """The columns to read from a file with this header: `columns` (the default), or columns that
        depend on the file (a wide table's one column per metric). Pure: the same header, the same
        columns."""
        return self.columns

    def describe(self, target: dict) -> str:
        """What the import goes into, for the pages ("Study “Onboarding interviews”")."""
        return ""

    def name_matches(self, records: list[dict], *, target: dict, columns=(), mapping=None) -> list[NameMatch]:
        """For the preview: how the names in the file map to the target's things (NameMatch list), in a
        constant number of queries. `records`: the previewed rows as {"line", and each of `name_columns`:
        its text or None}; `columns`/`mapping`: the file's columns and where each is read from (None:
        left out). The default: no names to map."""
        return []

    def check(self, records: list[dict], *, target: dict, user, columns=()) -> list[tabular.LineError]:
        """Checks that need the database (a journey title that must exist…), in a constant number of
        queries; every record has its "line". `columns`: what columns_for gave for the file."""
        return []

    @abstractmethod
    def write(
        self, records: list[dict], *, target: dict, user, progress: Callable[[int], None], columns=()
    ) -> dict:
        """Write the records (inside the job's transaction), calling `progress(rows_written)` now and then.
        Returns what happened, as counts: {"created": n, "unchanged": m, …}. Must be idempotent (match by
        external id). Raises RowsRefused (naming lines) when the services it calls refuse rows."""

    def done_url(self, job: ImportJob) -> str:
        """Where the person goes once the import is done (the study's page…)."""
        return "/"


_importers: dict[str, Importer] = {}


def register(importer: Importer) -> None:
    """Add an importer; ValueError when another one uses its kind."""
    existing = _importers.get(importer.kind)
    if existing is not None and existing is not importer:
        raise ValueError(f"An importer of kind {importer.kind!r} is already registered.")
    _importers[importer.kind] = importer


def unregister(kind: str) -> None:
    _importers.pop(kind, None)


def importer_for(kind: str) -> Importer:
    """The registered importer of `kind`; LookupError when none is."""
    try:
        return _importers[kind]
    except KeyError:
        raise LookupError(f"No importer of kind {kind!r}.") from None


# ---------------------------------------------------------------------------------------------- the job


def create_job(*, importer: Importer, user, target: dict, filename: str, data: bytes) -> ImportJob:
    """A job for an uploaded file, its encoding and delimiter detected and its columns guessed, waiting
    for the person to confirm them (status MAPPING).

    Raises tabular.TableError when the file cannot be read at all (empty, over MAX_BYTES, binary, broken
    quoting, no header) or has more than MAX_ROWS rows; nothing is saved then."""
    importer.authorize(user, target)
    if len(data) > MAX_BYTES:
        raise tabular.TableError(f"The file is {len(data) / 2**20:,.1f} MB; at most {MAX_BYTES // 2**20} MB.")
    decoded = tabular.decode(data)
    delimiter = tabular.sniff_delimiter(decoded.text)
    table = tabular.read_table(decoded.text, delimiter)
    _check_size(table)
    mapping = tabular.guess_mapping(table.header, importer.columns_for(table.header))
    return ImportJob.objects.create(
        kind=importer.kind,
        target=target,
        created_by=user,
        filename=shorten(filename, ImportJob._meta.get_field("filename").max_length),
        size=len(data),
        data=data,
        encoding=decoded.encoding,
        encoding_certain=decoded.certain,
        delimiter=delimiter,
        mapping=mapping,
        header=table.header,
        total_rows=len(table.rows),
    )


def _check_size(table: tabular.Table) -> None:
    if len(table.rows) > MAX_ROWS:
        raise tabular.TableError(
            f"The file has {len(table.rows):,} rows; at most {MAX_ROWS:,} in one import."
        )


def table_of(job: ImportJob) -> tabular.Table:
    """The job's file read with its current encoding and delimiter. Raises tabular.TableError."""
    return tabular.read_table(tabular.decode(bytes(job.data), job.encoding).text, job.delimiter)


def head_of(job: ImportJob) -> tabular.Table:
    """The header and first rows of the job's file (at most HEAD_ROWS, read from its first HEAD_BYTES),
    for the preview: pages never load a whole 50 MB file. One query. Raises tabular.TableError."""
    head = (
        ImportJob.objects.filter(pk=job.pk)
        .annotate(
            head=Func(
                F("data"), Value(1), Value(HEAD_BYTES), function="substring", output_field=BinaryField()
            )
        )
        .values_list("head", flat=True)
        .first()
    )
    data = bytes(head or b"")
    whole = len(data) < HEAD_BYTES
    if not whole:
        data = _whole_characters(data, job.encoding)
    text = tabular.decode(data, job.encoding).text
    if not whole and "\n" in text:
        text = text[: text.rindex("\n") + 1]  # whole lines only
    rows = tabular.read_rows(text, job.delimiter)
    first = next(rows, None)
    if first is None:
        raise tabular.TableError("The file has no rows.")
    taken = []
    try:
        for row in rows:
            taken.append(row)
            if len(taken) == HEAD_ROWS:
                break
    except tabular.TableError:
        if whole:
            raise
        # A quoted field running past the first HEAD_BYTES: the rows before it are the preview.
    return tabular.Table(tabular.table_header(first), taken)


def peek_header(data: bytes) -> list[str]:
    """The header row of an uploaded file, read from its first HEAD_BYTES, for a page to choose between
    importers by the file's columns before making the job (create_job then reads the whole file
    properly: a letter cut at the end of the first MB may read wrong here, never there).
    Raises tabular.TableError."""
    text = tabular.decode(data[:HEAD_BYTES]).text
    first = next(tabular.read_rows(text, tabular.sniff_delimiter(text)), None)  # parses just that row
    if first is None:
        raise tabular.TableError("The file has no rows.")
    return tabular.table_header(first)


def _whole_characters(data: bytes, encoding: str) -> bytes:
    """`data` cut to whole characters of `encoding` (a prefix may end inside one)."""
    for cut in range(4):
        try:
            (data[: len(data) - cut] if cut else data).decode(encoding)
        except UnicodeDecodeError:
            continue
        return data[: len(data) - cut] if cut else data
    return data  # not an ending problem: decode() reports it


@dataclass(frozen=True)
class Preview:
    """The first rows as the import would read them: `rows` of (line, [(raw cell, value or None,
    error or None) per column]); `date_orders`: the orders the file's dates allow (two: ask)."""

    header: list[str]
    rows: list[tuple[int, list[tuple[str | None, object, str | None]]]]
    date_orders: set[str]
    problems: list[str]
    inferred: str | None = None  # the date order the file's own dates decide (31/03/2025: day first)
    names: list[NameMatch] = field(default_factory=list)  # Importer.name_matches of the previewed rows
    name_rows: int = 0  # how many rows the names come from
    name_rows_all: bool = True  # whether those are all the file's rows


def preview(job: ImportJob, importer: Importer, table: tabular.Table) -> Preview:
    """The preview of a job with its current settings (see Preview)."""
    columns = importer.columns_for(job.header)
    mapping = {name: job.mapping.get(name) for name in (c.name for c in columns)}
    orders = tabular.date_orders(tabular.column_dates(table, mapping, columns))
    order = date_order(job, orders)
    rows = []
    for row in table.rows[:PREVIEW_ROWS]:
        cells = []
        for column in columns:
            position = mapping.get(column.name)
            raw = row.cells[position] if position is not None and position < len(row.cells) else None
            if tabular.is_missing(raw):
                cells.append((raw, None, "missing (required)" if column.required else None))
                continue
            try:
                cells.append((raw, column.parse(raw, date_order=order), None))
            except ValueError as exc:
                cells.append((raw, None, str(exc)))
        rows.append((row.line, cells))
    problems = tabular.check_mapping(mapping, table.header, columns)
    names = importer.name_matches(
        _name_records(table, mapping, columns, importer.name_columns),
        target=job.target,
        columns=columns,
        mapping=mapping,
    )
    if not orders:
        problems.append(
            "The file's dates contradict each other (some day-first, some month-first): fix the file's dates."
        )
    elif len(orders) == 2 and not job.date_order and any(c.kind == "date" for c in columns):
        if _has_ambiguous(table, mapping, columns):
            problems.append("Choose the file's date order: dates such as 03/04/2025 read two ways.")
    return Preview(
        table.header,
        rows,
        orders,
        problems,
        inferred=order if not job.date_order else None,
        names=names,
        name_rows=len(table.rows),
        name_rows_all=len(table.rows) >= job.total_rows,
    )


def _name_records(table: tabular.Table, mapping: dict, columns, names: tuple[str, ...]) -> list[dict]:
    """The previewed rows' cells of the columns that name things, read as the import reads them (a cell
    the import would refuse, or a missing one, is None)."""
    prefixes = tuple(name.removesuffix("*") for name in names if name.endswith("*"))
    wanted = [
        c
        for c in columns
        if (c.name in names or (prefixes and c.name.startswith(prefixes))) and mapping.get(c.name) is not None
    ]
    records = []
    for row in table.rows:
        record: dict = {"line": row.line}
        for column in wanted:
            position = mapping[column.name]
            raw = row.cells[position] if position < len(row.cells) else None
            try:
                record[column.name] = None if tabular.is_missing(raw) else column.parse(raw)
            except ValueError:
                record[column.name] = None
        records.append(record)
    return records


def date_order(job: ImportJob, orders: set[str]) -> str | None:
    """The date order to read the job's file with: the person's choice, else the one order its dates
    allow when one of them decides it (a 31/03/2025 makes every date of the file day-first), else None
    (ambiguous dates are then refused and asked about)."""
    if job.date_order:
        return job.date_order
    return next(iter(orders)) if len(orders) == 1 else None


def _has_ambiguous(table, mapping, columns) -> bool:
    for raw in tabular.column_dates(table, mapping, columns):
        try:
            tabular.parse_date(raw)
        except tabular.AmbiguousDate:
            return True
        except ValueError:
            continue
    return False


def progress_key(job_id: int) -> str:
    return f"import-progress:{job_id}:written"


def progress(job: ImportJob) -> dict:
    """Where the job stands, for the progress bar: {"status", "label", "percent" (0–100), "rows",
    "total", "finished"}. Reading the rows is the first half of the work, writing them the second."""
    total = max(job.total_rows, 1)
    if job.status == ImportJob.Status.DONE:
        percent = 100
    elif job.status == ImportJob.Status.RUNNING:
        written = int(cache.get(progress_key(job.pk)) or 0)
        percent = min(99, int(50 * job.done_rows / total + 50 * written / total))
    else:
        percent = 0
    return {
        "status": job.status,
        "label": job.get_status_display(),
        "percent": percent,
        "rows": job.done_rows,
        "total": job.total_rows,
        "finished": job.finished,
    }


def start(job: ImportJob, *, user) -> None:
    """Queue the job (status QUEUED) for a worker. The caller has saved the mapping and date order.
    Raises ValueError naming what still needs the person (a required column unmapped, the date order)."""
    importer = importer_for(job.kind)
    importer.authorize(user, job.target)
    table = table_of(job)
    problems = preview(job, importer, table).problems
    if problems:
        raise ValueError(" ".join(problems))
    from celery import current_app

    job.status = ImportJob.Status.QUEUED
    job.done_rows = 0
    job.errors, job.error_count, job.result = [], 0, {}
    job.save(update_fields=["status", "done_rows", "errors", "error_count", "result", "updated_at"])
    cache.delete(progress_key(job.pk))
    transaction.on_commit(lambda: current_app.send_task(RUN_TASK, args=[job.pk]))


CRASH_MESSAGE = (
    "The import stopped on an unexpected error and wrote nothing. Try again; if it happens again, tell "
    "your administrator (the error is in the worker's log)."
)


def run(job_id: int) -> str:
    """Do the job (the Celery task's body): read and check every row, then write them all in one
    transaction, or keep the errors and write nothing. Returns the final status. A job already done is
    left alone (a duplicate delivery); a job found RUNNING is run again (its worker was lost). An
    unexpected error ends the job as INVALID with CRASH_MESSAGE (nothing written: the write's transaction
    rolled back) instead of leaving its progress bar running forever, and is raised again for the log."""
    try:
        return _run(job_id)
    except Exception:
        ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.RUNNING).update(
            status=ImportJob.Status.INVALID,
            errors=[tabular.LineError(0, "", CRASH_MESSAGE).as_dict()],
            error_count=1,
        )
        cache.delete(progress_key(job_id))
        raise


def _run(job_id: int) -> str:
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or job.status in {
        ImportJob.Status.DONE,
        ImportJob.Status.INVALID,
        ImportJob.Status.MAPPING,
    }:
        return job.status if job is not None else "missing"
    importer = importer_for(job.kind)
    user = job.created_by
    job.status = ImportJob.Status.RUNNING
    job.save(update_fields=["status", "updated_at"])

    def read_progress(done: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(done_rows=done)

    try:
        importer.authorize(user, job.target)
        table = table_of(job)
        _check_size(table)
    except Exception as exc:  # noqa: BLE001 - whatever stops the import is told to the person
        return _invalid(job, [tabular.LineError(0, "", _reason(exc))], 1)
    columns = importer.columns_for(table.header)
    mapping = {c.name: job.mapping.get(c.name) for c in columns}
    order = date_order(job, tabular.date_orders(tabular.column_dates(table, mapping, columns)))
    parsed = tabular.parse_rows(table, mapping, columns, date_order=order, progress=read_progress)
    errors = parsed.errors
    if not errors:
        errors = importer.check(parsed.records, target=job.target, user=user, columns=columns)
    job.done_rows = len(table.rows)
    if errors:
        errors = sorted(errors, key=lambda e: (e.line, e.column))
        return _invalid(job, errors[: ImportJob.ERRORS_KEPT], len(errors))

    key = progress_key(job.pk)

    def write_progress(done: int) -> None:
        cache.set(key, done, timeout=3600)

    try:
        with transaction.atomic():
            result = importer.write(
                parsed.records, target=job.target, user=user, progress=write_progress, columns=columns
            )
            job.status = ImportJob.Status.DONE
            job.result = result
            job.data = b""
            job.save(update_fields=["status", "result", "data", "done_rows", "updated_at"])
    except RowsRefused as refused:
        cache.delete(key)
        errors = sorted(refused.errors, key=lambda e: (e.line, e.column))
        return _invalid(job, errors[: ImportJob.ERRORS_KEPT], len(errors))
    cache.delete(key)
    return job.status


def _reason(exc: Exception) -> str:
    if isinstance(exc, tabular.TableError):
        return str(exc)
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    if isinstance(exc, PermissionDenied | Http404):
        return "You may no longer import into this: ask for edit rights and try again."
    raise exc


def _invalid(job: ImportJob, errors: Sequence[tabular.LineError], count: int) -> str:
    job.status = ImportJob.Status.INVALID
    job.errors = [e.as_dict() for e in errors]
    job.error_count = count
    job.save(update_fields=["status", "errors", "error_count", "done_rows", "updated_at"])
    return job.status


def purge(*, now=None) -> int:
    """Delete jobs left unfinished (waiting for a mapping, refused for errors, or never picked up) for
    KEEP_UNFINISHED, with the files they hold; imported jobs stay as a record (their file is already
    gone). Idempotent. Returns how many jobs were deleted."""
    cutoff = (now or timezone.now()) - KEEP_UNFINISHED
    stale = ImportJob.objects.filter(updated_at__lt=cutoff).exclude(status=ImportJob.Status.DONE)
    return stale.delete()[0]
