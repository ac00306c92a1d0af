"""Importing evidence into a study from CSV (research/imports.py through core's import jobs), run by a real
Celery worker: the files people export, links to the map by titles or card id, all or nothing,
idempotent re-import, and no way to learn about journeys the importer cannot see."""

import codecs

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from core import imports, tabular
from core.models import ImportJob
from journeys.models import Activity
from research.imports import EVIDENCE_IMPORT
from research.models import Evidence, EvidenceLink, ResearchEvent
from tests.checks import database_rows, wait_for

from .conftest import first_card


def upload(user, study, text: str, *, encoding="utf-8", bom=False):
    data = (codecs.BOM_UTF8 if bom else b"") + text.encode(encoding)
    return imports.create_job(
        importer=EVIDENCE_IMPORT, user=user, target={"study": study.pk}, filename="evidence.csv", data=data
    )


def run(job, user, *, date_order=""):
    job.date_order = date_order
    job.save()
    imports.start(job, user=user)
    assert wait_for(lambda: ImportJob.objects.get(pk=job.pk).finished)
    job.refresh_from_db()
    return job


def errors_of(job):
    return [str(tabular.LineError(**e)) for e in job.errors]


@pytest.fixture
def map_file(journey):
    card = first_card(journey)
    return (
        "ID;Quote;Type;Participant;Date;Tags;Journey;Stage;Step;Card id;Stance\n"
        'i1;"She said ""too many fields"".\nThen she left.";quote;P01;31/03/2025;Setup, Forms;'
        "customer  LIFECYCLE;stage 1;Stage 1 · step 2;;\n"
        f"i2;Support tickets about passwords doubled;finding;;02/04/2025;Support;;;;{card.pk};contradicts\n"
        "i3;Most sign-ups come from referrals;data point;NA;N/A;;Customer lifecycle;Stage 2;;;\n"
        "i4;An observation with no link;observation;P02;;;;;;;\n"
    )


def test_a_spreadsheet_export_imports_with_its_links_tags_and_activity(
    editor, study, journey, map_file, worker
):
    job = upload(editor, study, map_file, bom=True)
    assert (job.delimiter, job.encoding, job.total_rows) == (";", "utf-8", 4)
    assert job.mapping == {
        "text": 1, "external_id": 0, "kind": 2, "participant": 3, "captured_on": 4, "source_link": None,
        "tags": 5, "card": 9, "journey": 6, "stage": 7, "step": 8, "stance": 10,
    }  # fmt: skip
    job = run(job, editor)
    assert job.status == ImportJob.Status.DONE, job.errors
    assert job.result == {"created": 4, "unchanged": 0, "linked": 3}

    items = {e.external_id: e for e in Evidence.objects.filter(study=study).prefetch_related("tags")}
    assert items["i1"].text == 'She said "too many fields".\nThen she left.'
    assert (items["i1"].kind, items["i1"].participant, str(items["i1"].captured_on)) == (
        "quote",
        "P01",
        "2025-03-31",
    )
    assert sorted(t.name for t in items["i1"].tags.all()) == ["Forms", "Setup"]
    assert (items["i3"].kind, items["i3"].participant, items["i3"].captured_on) == ("data_point", "", None)

    links = {
        link.evidence.external_id: link
        for link in EvidenceLink.objects.select_related("evidence", "step", "stage")
    }
    assert links["i1"].step.title == "Stage 1 · step 2" and links["i1"].stance == "supports"
    assert links["i2"].card_id == first_card(journey).pk and links["i2"].stance == "contradicts"
    assert links["i3"].stage.title == "Stage 2"
    assert "i4" not in links
    # Each link is a change of the journey (its activity feed) and "new research" for governance.
    assert Activity.objects.filter(journey=journey, verb="linked evidence").count() == 3
    assert ResearchEvent.objects.filter(journey=journey).count() == 3


def test_the_same_file_twice_adds_nothing_with_or_without_external_ids(
    editor, study, journey, map_file, worker
):
    run(upload(editor, study, map_file), editor)
    again = run(upload(editor, study, map_file), editor)
    assert again.result == {"created": 0, "unchanged": 4, "linked": 0}

    no_ids = "text,participant,captured\nThe price page confused me,P03,2025-05-01\nI liked the tour,P04,\n"
    first = run(upload(editor, study, no_ids), editor)
    second = run(upload(editor, study, no_ids), editor)
    assert (first.result["created"], second.result) == (2, {"created": 0, "unchanged": 2, "linked": 0})
    assert Evidence.objects.filter(study=study).count() == 6
    assert EvidenceLink.objects.count() == 3


def test_one_bad_line_and_nothing_is_written_every_problem_named(
    editor, study, journey, restricted_journey, worker
):
    hidden_card = first_card(restricted_journey)
    text = (
        "id,text,kind,participant,captured,source,card,journey,stage,step\n"
        "a1,Fine,quote,P01,2025-01-01,,,,,\n"
        "a2,Bad date,quote,P01,31/02/2025,,,,,\n"
        "a3,Bad kind,rumour,,,,,,,\n"
        f"a4,Hidden journey's card,quote,,,,{hidden_card.pk},,,\n"
        "a5,Unknown card,quote,,,,999999,,,\n"
        "a6,Not a journey,quote,,,,,No such journey,Stage 1,\n"
        "a7,Pricing,quote,,,,,Pricing change (confidential),Stage 1,\n"
        "a8,No stage,quote,,,,,Customer lifecycle,,\n"
        "a9,No step,quote,,,,,Customer lifecycle,Stage 1,Nope\n"
        "a10,Both,quote,,,,1,Customer lifecycle,Stage 1,\n"
        "a11,Contact,quote,ana@example.org,,,,,,\n"
        "a12,Source,quote,,,javascript:alert(1),,,,\n"
    )
    before = database_rows()
    job = run(upload(editor, study, text), editor)
    assert job.status == ImportJob.Status.INVALID
    assert errors_of(job) == [
        "line 3, column captured_on: 31/02/2025 is not a date",
        "line 4, column kind: rumour is not one of: Quote, Observation, Data point, Finding",
        "line 13, column source_link: javascript:alert(1) is not a web address (http:// or https://)",
    ]
    # Cells are all good now: the map checks run, and a hidden journey reads exactly like a missing one.
    fixed = (
        text.replace("31/02/2025", "28/02/2025").replace("rumour", "quote").replace("javascript:alert(1)", "")
    )
    job = run(upload(editor, study, fixed), editor)
    assert errors_of(job) == [
        f"line 5, column card: no card {hidden_card.pk} on a journey you can see",
        "line 6, column card: no card 999999 on a journey you can see",
        "line 7, column journey: “No such journey” names no journey you can see",
        "line 8, column journey: “Pricing change (confidential)” names no journey you can see",
        "line 9, column stage: is missing: a link names the journey and its stage",
        "line 10, column step: “Nope” names no step of that stage",
        "line 11, column card: give a card id or journey/stage/step titles, not both",
    ]
    # Links fixed: the evidence rules of research's services refuse the contact as a participant.
    only_contact = "id,text,participant\na1,Fine,P01\na11,Contact,ana@example.org\n"
    job = run(upload(editor, study, only_contact), editor)
    assert errors_of(job) == [
        "line 3, column participant: "
        "Use a pseudonymous label (e.g. “P07”), not an email address or phone number"
    ]
    changed = {table for table, rows in database_rows().items() if rows != before.get(table)}
    assert changed == {"core_importjob"}


def test_ambiguous_dates_are_asked(editor, study, worker):
    job = upload(editor, study, "text,captured\nOne,03/04/2025\nTwo,05/06/2025\n")
    with pytest.raises(ValueError, match="Choose the file's date order"):
        imports.start(job, user=editor)
    job = run(job, editor, date_order=tabular.MONTH_FIRST)
    assert sorted(str(d) for d in Evidence.objects.values_list("captured_on", flat=True)) == [
        "2025-03-04",
        "2025-05-06",
    ]


def test_windows_1252_and_utf_16_files_read_the_same(editor, study, worker):
    text = "text,participant\nÇa coûte « trop » — 50 €,P01\n"
    for encoding in ("cp1252", "utf-16"):
        job = upload(editor, study, text, encoding=encoding)
        run(job, editor)
    assert list(Evidence.objects.values_list("text", flat=True)) == [
        "Ça coûte « trop » — 50 €"
    ]  # once: idempotent


def test_viewers_and_outsiders_cannot_import(viewer, outsider, study):
    with pytest.raises(PermissionDenied):
        upload(viewer, study, "text\nx\n")
    with pytest.raises(Http404):
        upload(outsider, study, "text\nx\n")
    assert not ImportJob.objects.exists()


def test_an_editor_who_may_not_edit_the_linked_journey_is_refused_and_nothing_is_written(
    editor, workspace, admin, study, worker
):
    from journeys.models import Visibility
    from journeys.services import journeys as journey_services
    from tests import factories

    journey = factories.make_journey(workspace, by=admin, title="Read only", visibility=Visibility.RESTRICTED)
    factories.make_map(journey, cards=2)
    journey_services.journey_grant_set(journey_id=journey.pk, by=admin, grantee=editor, level="view")
    job = run(upload(editor, study, "text,journey,stage\nQuote,Read only,Stage 1\n"), editor)
    assert job.status == ImportJob.Status.INVALID
    assert errors_of(job) == ["line 2, column stage: you may not edit that journey"]
    assert not Evidence.objects.exists()


@pytest.mark.parametrize("rows", [5, 300])
def test_the_checks_run_the_same_queries_whatever_the_number_of_rows(
    editor, study, journey, rows, django_assert_num_queries
):
    card = first_card(journey)
    text = "text,journey,stage,step,card\n" + "".join(
        f"Q{i},Customer lifecycle,Stage 1,Stage 1 · step 1,\n" if i % 2 else f"Q{i},,,,{card.pk}\n"
        for i in range(rows)
    )
    job = upload(editor, study, text)
    table = imports.table_of(job)
    parsed = tabular.parse_rows(table, job.mapping, EVIDENCE_IMPORT.columns)
    # the study's access check, cards, journeys, stages, steps
    with django_assert_num_queries(5):
        assert EVIDENCE_IMPORT.check(parsed.records, target=job.target, user=editor) == []


def test_an_export_imports_back_into_another_study_without_loss(client, editor, workspace, study, worker):
    """The library's CSV export (research/views/evidence.py) is a file the import reads back exactly:
    formulas defused and restored, line breaks, quotes, a tag holding a comma, the longest text."""
    from research import services

    texts = ['=SUM(A1) "quoted"\nsecond line', "'=kept as typed", "-3 points", "x" * 20_000]
    for index, text in enumerate(texts):
        services.evidence_create(
            workspace_id=workspace.pk, by=editor, study=study.pk, text=text, kind="data_point",
            participant=f"P0{index}", captured_on="2025-03-31", source_link="https://example.org/t?a=1&b=2",
            external_id=f"x{index}", tags=["Pricing, EU", "Setup"],
        )  # fmt: skip
    client.force_login(editor)
    response = client.get(reverse("research:evidence_export"), {"study": study.pk})
    data = b"".join(response.streaming_content)
    other = services.study_create(workspace_id=workspace.pk, by=editor, title="Copy", method="other")
    job = imports.create_job(
        importer=EVIDENCE_IMPORT, user=editor, target={"study": other.pk}, filename="export.csv", data=data
    )
    job = run(job, editor)
    assert job.status == ImportJob.Status.DONE, job.errors

    def fields(study_id):
        return sorted(
            (e.external_id, e.text, e.kind, e.participant, e.captured_on, e.source_link,
             sorted(t.name for t in e.tags.all()))
            for e in Evidence.objects.filter(study_id=study_id).prefetch_related("tags")
        )  # fmt: skip

    assert fields(other.pk) == fields(study.pk)
