"""CSV import of evidence into a study, through core's import machinery (core/tabular.py reads the file,
core/imports.py runs the job, core/views.py shows preview, mapping and progress).

Columns (the header is matched by name or alias, case and spacing ignored; the person confirms):
text (required), external id, kind, participant, captured (date), source link, tags (separated by
commas or semicolons) — and, to link rows to a map, either a card id or journey + stage (+ step) titles
(case and spacing ignored), with a stance (supports, the default, or contradicts).

- **All or nothing:** every row is checked first (cells by core/tabular.py; then the map titles, card
  ids and the evidence rules of research.services), and one bad line means nothing is written.
- **Idempotent:** a row whose external id the study holds already is not made again; a row without an
  external id is matched by its content (text, participant, captured date, kind) in the study. A link
  already there is not made again. So the same file imported twice changes nothing.
- **Access:** the person needs write access to the study (editor or admin of its workspace), and edit on
  every journey a row links to; journeys they cannot see are "not found", like a title that does not
  exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.urls import reverse

from core import imports
from core.tabular import Column, LineError
from journeys.models import TITLE_MAX, Card, Journey, Stage, Step

from . import access
from .models import (
    EVIDENCE_TEXT_MAX,
    EXTERNAL_ID_MAX,
    PARTICIPANT_MAX,
    URL_MAX,
    Evidence,
    EvidenceLink,
    Kind,
    Stance,
    Study,
)
from .services import evidence_bulk_create, link_create
from .services.evidence import BULK_MAX
from .services.tags import clean_names

KIND = "research.evidence"


def split_tags(cell: str) -> list[str]:
    """Tag names of a cell: separated by semicolons when it has any (as the export writes them, so a tag
    may hold a comma), else by commas; spaces around each name dropped, empty ones skipped."""
    parts = cell.split(";") if ";" in cell else cell.split(",")
    return [part.strip() for part in parts if part.strip()]


COLUMNS = (
    Column("text", "Text", kind="longtext", required=True, max_chars=EVIDENCE_TEXT_MAX,
           aliases=("quote", "evidence", "verbatim", "observation", "finding", "comment")),
    Column("external_id", "External id", max_chars=EXTERNAL_ID_MAX, aliases=("id", "ref", "reference"),
           help="Makes a re-import of the same file add nothing."),
    Column("kind", "Kind", kind="choice", choices=tuple(Kind.choices), aliases=("type",)),
    Column("participant", "Participant", max_chars=PARTICIPANT_MAX, aliases=("respondent", "pid"),
           help="A pseudonymous label such as P07, never an email or phone number."),
    Column("captured_on", "Captured", kind="date", aliases=("date", "captured on", "captured_at")),
    Column("source_link", "Source link", kind="url", max_chars=URL_MAX, aliases=("source", "url", "link")),
    Column("tags", "Tags", kind="text", max_chars=2_000,
           help="Separated by semicolons (then a tag may hold a comma) or by commas."),
    Column("card", "Card id", kind="integer", aliases=("card_id",), help="Links the row to that card."),
    Column("journey", "Journey", max_chars=TITLE_MAX, help="With a stage (and step): links the row there."),
    Column("stage", "Stage", max_chars=TITLE_MAX),
    Column("step", "Step", max_chars=TITLE_MAX),
    Column("stance", "Stance", kind="choice", choices=tuple(Stance.choices),
           help="Whether the row supports (the default) or contradicts what it is linked to."),
)  # fmt: skip


def _norm(title: str | None) -> str:
    return " ".join((title or "").split()).casefold()


@dataclass(frozen=True)
class EvidenceImporter(imports.Importer):
    """Evidence of a study from a CSV file; target {"study": id}."""

    def authorize(self, user, target: dict) -> None:
        access.study_for(user, target.get("study"), need=access.WRITE)

    def describe(self, target: dict) -> str:
        found = Study.objects.filter(pk=target.get("study")).values_list("title", flat=True).first()
        return f"the study “{found}”" if found else ""

    def done_url(self, job) -> str:
        return reverse("research:study", args=[job.target["study"]])

    # ------------------------------------------------------------------------------------------ checks

    def check(self, records: list[dict], *, target: dict, user, columns=()) -> list[LineError]:
        """Tags, and the map each row links to: a card id of a journey the person can see, or journey +
        stage (+ step) titles naming exactly one. Five queries whatever the number of rows; sets each
        record's "_link" to ("card" | "step" | "stage", id) or None."""
        errors: list[LineError] = []
        study = access.study_for(user, target.get("study"), need=access.WRITE)
        for record in records:
            try:
                record["tags"] = clean_names(split_tags(record.get("tags") or ""))
            except ValidationError as exc:
                errors.extend(LineError(record["line"], "tags", m) for m in exc.message_dict["tags"])
                record["tags"] = []
        errors += self._resolve_links(records, workspace_id=study.workspace_id, user=user)
        return errors

    def _resolve_links(self, records, *, workspace_id: int, user) -> list[LineError]:
        errors = []
        visible = Journey.objects.visible_to(user).filter(workspace_id=workspace_id, archived=False)
        card_ids = {r["card"] for r in records if r.get("card") is not None}
        cards = {
            c.pk: c
            for c in Card.objects.filter(pk__in=card_ids, journey__in=visible).only("id", "journey_id")
        }
        titles = {_norm(r["journey"]) for r in records if r.get("journey")}
        journeys: dict[str, list[int]] = {}  # title → journey ids
        stages: dict[tuple[int, str], list[int]] = {}  # (journey id, title) → stage ids
        steps: dict[tuple[int, str], list[int]] = {}  # (stage id, title) → step ids
        if titles:
            for pk, title in visible.values_list("pk", "title"):
                if _norm(title) in titles:
                    journeys.setdefault(_norm(title), []).append(pk)
            ids = [pk for pks in journeys.values() for pk in pks]
            for pk, journey_id, title in Stage.objects.filter(journey_id__in=ids).values_list(
                "pk", "journey_id", "title"
            ):
                stages.setdefault((journey_id, _norm(title)), []).append(pk)
            for pk, stage_id, title in Step.objects.filter(journey_id__in=ids).values_list(
                "pk", "stage_id", "title"
            ):
                steps.setdefault((stage_id, _norm(title)), []).append(pk)
        for record in records:
            record["_link"] = None
            line = record["line"]
            has_titles = any(record.get(k) for k in ("journey", "stage", "step"))
            if record.get("card") is not None:
                if has_titles:
                    errors.append(
                        LineError(line, "card", "give a card id or journey/stage/step titles, not both")
                    )
                elif record["card"] not in cards:
                    errors.append(
                        LineError(line, "card", f"no card {record['card']} on a journey you can see")
                    )
                else:
                    record["_link"] = ("card", record["card"])
                continue
            if not has_titles:
                if record.get("stance"):
                    errors.append(
                        LineError(line, "stance", "a stance needs a card id or journey/stage titles")
                    )
                continue
            if not record.get("journey") or not record.get("stage"):
                missing = "journey" if not record.get("journey") else "stage"
                errors.append(LineError(line, missing, "is missing: a link names the journey and its stage"))
                continue
            found = journeys.get(_norm(record["journey"]), [])
            if len(found) != 1:
                what = "no journey you can see" if not found else f"{len(found)} journeys"
                errors.append(LineError(line, "journey", f"“{record['journey']}” names {what}"))
                continue
            stage_ids = stages.get((found[0], _norm(record["stage"])), [])
            if len(stage_ids) != 1:
                what = "no stage" if not stage_ids else f"{len(stage_ids)} stages"
                errors.append(LineError(line, "stage", f"“{record['stage']}” names {what} of that journey"))
                continue
            if not record.get("step"):
                record["_link"] = ("stage", stage_ids[0])
                continue
            step_ids = steps.get((stage_ids[0], _norm(record["step"])), [])
            if len(step_ids) != 1:
                what = "no step" if not step_ids else f"{len(step_ids)} steps"
                errors.append(LineError(line, "step", f"“{record['step']}” names {what} of that stage"))
                continue
            record["_link"] = ("step", step_ids[0])
        return errors

    # ------------------------------------------------------------------------------------------ write

    def write(self, records: list[dict], *, target: dict, user, progress, columns=()) -> dict:
        study = access.study_for(user, target.get("study"), need=access.WRITE)
        unchanged = self._match_without_ids(records, study)
        fresh = [r for r in records if r["_existing"] is None]
        created = 0
        for start in range(0, len(fresh), BULK_MAX):
            chunk = fresh[start : start + BULK_MAX]
            items = [self._item(r, study.pk) for r in chunk]
            try:
                result = evidence_bulk_create(workspace_id=study.workspace_id, by=user, items=items)
            except ValidationError as exc:
                raise imports.RowsRefused(_line_errors(exc, chunk)) from None
            by_key = {e.external_id: e for e in result.existing if e.external_id}
            made = iter(result.created)
            for record in chunk:
                there = by_key.get(record.get("external_id") or "")
                record["_existing"] = there.pk if there is not None else next(made).pk
                unchanged += there is not None
            created += len(result.created)
            progress(min(len(records), start + len(chunk)))
        linked = self._link(records, user)
        progress(len(records))
        return {"created": created, "unchanged": unchanged, "linked": linked}

    @staticmethod
    def _item(record: dict, study_id: int) -> dict:
        item = {"study": study_id, "text": record["text"], "tags": record.get("tags") or []}
        for name in ("kind", "participant", "captured_on", "source_link", "external_id"):
            if record.get(name) is not None:
                item[name] = record[name]
        return item

    @staticmethod
    def _match_without_ids(records: list[dict], study) -> int:
        """Rows without an external id that the study holds already (same text, participant, captured
        date and kind): marked with the existing item's id in "_existing". One query per 1,000 rows."""
        for record in records:
            record["_existing"] = None
        plain = [r for r in records if not r.get("external_id")]
        found = 0
        for start in range(0, len(plain), BULK_MAX):
            chunk = plain[start : start + BULK_MAX]
            stored = {
                (e.text, e.participant, e.captured_on, e.kind): e.pk
                for e in Evidence.objects.filter(study=study, text__in={r["text"] for r in chunk}).only(
                    "id", "text", "participant", "captured_on", "kind"
                )
            }
            for record in chunk:
                key = (record["text"], record.get("participant") or "", record.get("captured_on"),
                       record.get("kind") or Kind.OBSERVATION)  # fmt: skip
                record["_existing"] = stored.get(key)
                found += record["_existing"] is not None
        return found

    @staticmethod
    def _link(records: list[dict], user) -> int:
        """Link each row to its card, step or stage unless that link exists; returns how many were made.
        Each link is a change to its journey (research.services.link_create: edit checked, activity)."""
        wanted = [r for r in records if r.get("_link")]
        if not wanted:
            return 0
        there = set()
        match = Q()
        for record in wanted:
            kind, pk = record["_link"]
            match |= Q(evidence_id=record["_existing"], **{f"{kind}_id": pk})
        for row in EvidenceLink.objects.filter(match).values("evidence_id", "card_id", "step_id", "stage_id"):
            for kind in ("card", "step", "stage"):
                if row[f"{kind}_id"] is not None:
                    there.add((row["evidence_id"], kind, row[f"{kind}_id"]))
        made = 0
        errors = []
        for record in wanted:
            kind, pk = record["_link"]
            if (record["_existing"], kind, pk) in there:
                continue
            try:
                link_create(
                    evidence_id=record["_existing"],
                    by=user,
                    stance=record.get("stance") or Stance.SUPPORTS,
                    **{kind: pk},
                )
            except ValidationError as exc:
                errors += [LineError(record["line"], kind, m) for m in exc.messages]
            except PermissionDenied:
                errors.append(LineError(record["line"], kind, "you may not edit that journey"))
            else:
                there.add((record["_existing"], kind, pk))
                made += 1
        if errors:
            raise imports.RowsRefused(errors)
        return made


def _line_errors(exc: ValidationError, chunk: list[dict]) -> list[LineError]:
    """research.services' bulk errors, keyed items[<index>].<field>, as line errors of the chunk's rows."""
    errors = []
    for key, messages in exc.message_dict.items():
        match = re.fullmatch(r"items\[(\d+)\]\.(\w+)", key)
        if match is None:
            errors += [LineError(chunk[0]["line"], "", m) for m in messages]
            continue
        record = chunk[int(match[1])]
        column = match[2] if match[2] != "non_field_errors" else ""
        errors += [LineError(record["line"], column, m.rstrip(".")) for m in messages]
    return errors


EVIDENCE_IMPORT = EvidenceImporter(kind=KIND, title="Evidence", columns=COLUMNS)
