"""Import jobs (core/imports.py, core/views.py) run by a real Celery worker: preview and mapping, all or
nothing, idempotent re-import, progress that a reload shows, errors by line, and only the person who
uploaded a file sees its job.

The importer here is the tests' own (teams of a workspace, matched by name), so the machinery is tested
apart from any app's rules; each app's importer has its own tests."""

from dataclasses import dataclass

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from accounts import services as account_services
from accounts.models import Membership, Role, Team
from core import imports, tabular
from core.models import ImportJob
from tests import factories
from tests.checks import database_rows, wait_for


@dataclass(frozen=True)
class TeamImporter(imports.Importer):
    """Teams of a workspace from a CSV: name (required), founded (a date), size (a whole number)."""

    def authorize(self, user, target):
        membership = Membership.objects.filter(workspace_id=target["workspace"], user=user).first()
        if membership is None:
            raise Http404
        if membership.role != Role.ADMIN:
            raise PermissionDenied

    def check(self, records, *, target, user, columns=()):
        return [
            tabular.LineError(r["line"], "name", "“Reserved” is reserved")
            for r in records
            if r["name"] == "Reserved"
        ]

    def write(self, records, *, target, user, progress, columns=()):
        existing = set(Team.objects.filter(workspace_id=target["workspace"]).values_list("name", flat=True))
        created = 0
        workspace = account_services.Workspace.objects.get(pk=target["workspace"])
        for done, record in enumerate(records, start=1):
            if record["name"] not in existing:
                account_services.team_create(workspace=workspace, name=record["name"])
                existing.add(record["name"])
                created += 1
            progress(done)
        return {"created": created, "unchanged": len(records) - created}

    def done_url(self, job):
        return reverse("accounts:teams", args=[job.target["workspace"]])


TEAMS = TeamImporter(
    kind="tests.teams",
    title="Teams",
    columns=(
        tabular.Column("name", "Name", required=True, max_chars=80, aliases=("team",)),
        tabular.Column("founded", "Founded", kind="date"),
        tabular.Column("size", "Size", kind="integer"),
    ),
)


@pytest.fixture(autouse=True)
def teams_importer():
    imports.register(TEAMS)
    yield TEAMS
    imports.unregister(TEAMS.kind)


def upload(admin, workspace, text: str, *, encoding="utf-8", filename="teams.csv"):
    return imports.create_job(
        importer=TEAMS,
        user=admin,
        target={"workspace": workspace.pk},
        filename=filename,
        data=text.encode(encoding),
    )


def team_names(workspace):
    return sorted(Team.objects.filter(workspace=workspace).values_list("name", flat=True))


GOOD = 'Team;Founded;Size\nSupport;31/01/2024;12\n"Growth; EMEA";2024-02-01;NA\nOps;;3\n'


def test_an_upload_is_read_and_its_columns_guessed_before_anything_is_written(admin, workspace):
    job = upload(admin, workspace, GOOD)
    assert (job.encoding, job.encoding_certain, job.delimiter) == ("utf-8", True, ";")
    assert job.header == ["Team", "Founded", "Size"]
    assert job.mapping == {"name": 0, "founded": 1, "size": 2}
    assert (job.status, job.total_rows) == (ImportJob.Status.MAPPING, 3)
    assert team_names(workspace) == []
    preview = imports.preview(job, TEAMS, imports.table_of(job))
    assert preview.problems == []
    assert [line for line, _ in preview.rows] == [2, 3, 4]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"PK\x03\x04\x00\x00", r"it is not a text \(CSV\) file"),
        (b'name\n"broken\n', "Line 2: the quoting is broken"),
    ],
)
def test_an_unreadable_file_is_refused_and_nothing_is_saved(admin, workspace, data, message):
    with pytest.raises(tabular.TableError, match=message):
        imports.create_job(
            importer=TEAMS, user=admin, target={"workspace": workspace.pk}, filename="x.csv", data=data
        )
    assert not ImportJob.objects.exists()


def test_only_people_the_importer_allows_may_upload(workspace, editor, outsider):
    with pytest.raises(PermissionDenied):
        upload(editor, workspace, GOOD)
    with pytest.raises(Http404):
        upload(outsider, workspace, GOOD)
    assert not ImportJob.objects.exists()


def test_the_worker_imports_every_row_and_a_second_import_of_the_same_file_adds_nothing(
    admin, workspace, worker
):
    job = upload(admin, workspace, GOOD)
    imports.start(job, user=admin)
    assert wait_for(lambda: ImportJob.objects.get(pk=job.pk).finished)
    job.refresh_from_db()
    assert (job.status, job.result, job.done_rows) == (
        ImportJob.Status.DONE,
        {"created": 3, "unchanged": 0},
        3,
    )
    assert bytes(job.data) == b""  # the file is not kept once imported
    assert team_names(workspace) == ["Growth; EMEA", "Ops", "Support"]
    assert imports.progress(job)["percent"] == 100

    again = upload(admin, workspace, GOOD)
    imports.start(again, user=admin)
    assert wait_for(lambda: ImportJob.objects.get(pk=again.pk).finished)
    again.refresh_from_db()
    assert again.result == {"created": 0, "unchanged": 3}
    assert team_names(workspace) == ["Growth; EMEA", "Ops", "Support"]


def test_one_bad_line_and_nothing_is_written_and_every_error_names_line_and_column(admin, workspace, worker):
    text = "name,founded,size\nSupport,2024-01-01,3\n,31/02/2024,many\nReserved,,\nOps,2024-13-01,\n"
    job = upload(admin, workspace, text)
    before = database_rows()
    imports.start(job, user=admin)
    assert wait_for(lambda: ImportJob.objects.get(pk=job.pk).finished)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.INVALID
    assert [str(tabular.LineError(**e)) for e in job.errors] == [
        "line 3, column founded: 31/02/2024 is not a date",
        "line 3, column name: is missing (required)",
        "line 3, column size: many is not a whole number",
        "line 5, column founded: 2024-13-01 is not a date",
    ]
    assert job.error_count == 4
    assert team_names(workspace) == []
    changed = {table for table, rows in database_rows().items() if rows != before.get(table)}
    assert changed == {"core_importjob"}  # only the job's own status and errors

    # The database checks run once every cell is good: "Reserved" is refused by the importer's check.
    fixed = upload(admin, workspace, "name\nSupport\nReserved\n")
    imports.start(fixed, user=admin)
    assert wait_for(lambda: ImportJob.objects.get(pk=fixed.pk).finished)
    fixed.refresh_from_db()
    assert [str(tabular.LineError(**e)) for e in fixed.errors] == [
        "line 3, column name: “Reserved” is reserved"
    ]
    assert team_names(workspace) == []


def test_ambiguous_dates_are_asked_before_the_import_starts(admin, workspace, worker):
    job = upload(admin, workspace, "name,founded\nSupport,03/04/2024\nOps,05/06/2024\n")
    with pytest.raises(ValueError, match="Choose the file's date order"):
        imports.start(job, user=admin)
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.MAPPING
    job.date_order = tabular.MONTH_FIRST
    job.save()
    imports.start(job, user=admin)
    assert wait_for(lambda: ImportJob.objects.get(pk=job.pk).finished)
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.DONE


def test_a_duplicate_delivery_of_a_finished_job_does_nothing(admin, workspace, worker):
    job = upload(admin, workspace, GOOD)
    imports.start(job, user=admin)
    assert wait_for(lambda: ImportJob.objects.get(pk=job.pk).finished)
    assert imports.run(job.pk) == ImportJob.Status.DONE  # as a redelivered task would
    assert team_names(workspace) == ["Growth; EMEA", "Ops", "Support"]


def test_a_job_whose_worker_was_lost_mid_write_runs_again_without_duplicates(admin, workspace, db):
    job = upload(admin, workspace, GOOD)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, done_rows=2)
    assert imports.run(job.pk) == ImportJob.Status.DONE
    assert team_names(workspace) == ["Growth; EMEA", "Ops", "Support"]


# ---------------------------------------------------------------------------------------------- pages


def test_the_preview_page_shows_the_guess_the_rows_and_the_mapping(client, admin, workspace):
    job = upload(admin, workspace, "Team;Founded\nZoë's café;03/04/2024\n", encoding="cp1252")
    client.force_login(admin)
    page = client.get(reverse("imports:detail", args=[job.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "The file's encoding was guessed as" in html
    assert "Zoë&#x27;s café" in html
    assert "Choose the file&#x27;s date order" in html
    assert '<option value="0" selected>Team</option>' in html


def test_the_mapping_form_saves_the_choices_and_starts_and_a_reload_shows_the_progress(
    client, admin, workspace, worker
):
    job = upload(admin, workspace, "Team;Founded;Size\nSupport;03/04/2024;2\n")
    client.force_login(admin)
    url = reverse("imports:detail", args=[job.pk])
    form = {
        "encoding": "utf-8",
        "delimiter": ";",
        "date_order": "",
        "column_name": "0",
        "column_founded": "1",
        "column_size": "",
        "action": "start",
    }
    page = client.post(url, form)
    assert page.status_code == 200 and "Choose the file&#x27;s date order" in page.content.decode()
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.MAPPING

    page = client.post(url, {**form, "date_order": "dmy"})
    assert page.status_code == 302
    assert wait_for(lambda: ImportJob.objects.get(pk=job.pk).finished)
    job.refresh_from_db()
    assert (job.date_order, job.mapping, job.status) == (
        "dmy",
        {"name": 0, "founded": 1, "size": None},
        "done",
    )
    html = client.get(url).content.decode()
    assert "Imported teams.csv: 1 created, 0 unchanged." in html
    assert reverse("accounts:teams", args=[workspace.pk]) in html
    fragment = client.get(reverse("imports:progress", args=[job.pk])).content.decode()
    assert "hx-trigger" not in fragment  # finished: no more polling


def test_a_running_job_shows_its_progress_and_keeps_polling(client, admin, workspace):
    job = upload(admin, workspace, GOOD)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, done_rows=3)
    client.force_login(admin)
    fragment = client.get(reverse("imports:progress", args=[job.pk])).content.decode()
    assert 'value="50"' in fragment and "3 of 3 rows read" in fragment
    assert 'hx-trigger="every 1s"' in fragment


def test_only_the_uploader_sees_a_job_and_others_get_404(client, admin, workspace, outsider):
    job = upload(admin, workspace, GOOD)
    other_admin = factories.add_member(workspace, factories.make_user("dora"), Role.ADMIN)
    for user in (outsider, other_admin):
        client.force_login(user)
        for name in ("imports:detail", "imports:progress"):
            assert client.get(reverse(name, args=[job.pk])).status_code == 404
        assert client.post(reverse("imports:detail", args=[job.pk]), {"action": "start"}).status_code == 404
    client.force_login(admin)
    assert client.get(reverse("imports:detail", args=["99999999999999999999"])).status_code == 404


def test_a_person_who_lost_the_right_meanwhile_is_refused(client, admin, workspace):
    editor = factories.add_member(workspace, factories.make_user("erin"), Role.ADMIN)
    job = upload(editor, workspace, GOOD)
    account_services.membership_set(workspace=workspace, user=editor, role=Role.EDITOR)
    client.force_login(editor)
    assert client.get(reverse("imports:detail", args=[job.pk])).status_code == 403


@pytest.mark.parametrize("rows", [3, 300])
def test_the_pages_run_the_same_queries_whatever_the_file_size(
    client, admin, workspace, rows, django_assert_num_queries
):
    job = upload(admin, workspace, "name,size\n" + "".join(f"Team {i},{i}\n" for i in range(rows)))
    client.force_login(admin)
    # session, user, the job, the importer's membership check, the file's first MB, the person's workspaces
    with django_assert_num_queries(6):
        assert client.get(reverse("imports:detail", args=[job.pk])).status_code == 200
    with django_assert_num_queries(5):
        assert client.get(reverse("imports:progress", args=[job.pk])).status_code == 200


def test_unfinished_jobs_are_purged_after_a_week_and_imported_ones_kept(admin, workspace, db):
    from datetime import timedelta

    from django.utils import timezone

    waiting, invalid, done, fresh = (upload(admin, workspace, GOOD) for _ in range(4))
    ImportJob.objects.filter(pk=invalid.pk).update(status=ImportJob.Status.INVALID)
    ImportJob.objects.filter(pk=done.pk).update(status=ImportJob.Status.DONE, data=b"")
    old = timezone.now() - imports.KEEP_UNFINISHED - timedelta(minutes=1)
    ImportJob.objects.exclude(pk=fresh.pk).update(updated_at=old)
    assert imports.purge() == 2
    assert sorted(ImportJob.objects.values_list("pk", flat=True)) == sorted([done.pk, fresh.pk])
    assert imports.purge() == 0  # a second run finds nothing more


def test_a_date_that_decides_the_order_reads_the_whole_file_that_way(admin, workspace, client, worker):
    job = upload(admin, workspace, "name,founded\nSupport,31/01/2024\nOps,03/04/2024\n")
    client.force_login(admin)
    html = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "Dates are read day first" in html and "Choose the file&#x27;s date order" not in html
    imports.start(job, user=admin)
    assert wait_for(lambda: ImportJob.objects.get(pk=job.pk).finished)
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.DONE


def test_the_preview_reads_only_the_start_of_a_big_file(admin, workspace, client):
    # ~1.5 MB: multi-byte letters and a quoted field with a line break, so the first MB ends mid-character
    # and mid-row somewhere; the preview still shows whole rows and the page never loads the whole file.
    row = '"Équipe ünïcødé {i}\nsecond line",{i}\n'
    text = "name,size\n" + "".join(row.format(i=i) for i in range(40_000))
    assert len(text.encode()) > 1.4 * imports.HEAD_BYTES
    job = upload(admin, workspace, text)
    assert job.total_rows == 40_000
    head = imports.head_of(job)
    assert head.header == ["name", "size"]
    assert len(head.rows) == imports.HEAD_ROWS
    assert head.rows[1].cells == ["Équipe ünïcødé 1\nsecond line", "1"] and head.rows[1].line == 4
    client.force_login(admin)
    html = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    # The preview's rows (lines 2, 4, …): a team name is one line, so each shows that problem.
    assert html.count("line breaks are not allowed here") == imports.PREVIEW_ROWS
    assert "Import 40000 rows" in html


def test_an_unexpected_error_ends_the_job_with_a_message_and_writes_nothing(admin, workspace, db):
    @dataclass(frozen=True)
    class Broken(TeamImporter):
        def write(self, records, *, target, user, progress, columns=()):
            super().write(records, target=target, user=user, progress=progress, columns=columns)
            raise RuntimeError("a bug")

    broken = Broken(kind="tests.broken", title="Teams", columns=TEAMS.columns)
    imports.register(broken)
    try:
        job = imports.create_job(
            importer=broken,
            user=admin,
            target={"workspace": workspace.pk},
            filename="t.csv",
            data=b"name\nOps\n",
        )
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.QUEUED)
        with pytest.raises(RuntimeError, match="a bug"):
            imports.run(job.pk)  # raised again, for the worker's log
    finally:
        imports.unregister(broken.kind)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.INVALID
    assert job.errors == [{"line": 0, "column": "", "message": imports.CRASH_MESSAGE}]
    assert team_names(workspace) == []  # the team written before the error was rolled back


def test_choosing_another_delimiter_guesses_the_columns_again_before_importing(client, admin, workspace):
    job = upload(admin, workspace, "name;size\nOps;3\n")
    client.force_login(admin)
    form = {"encoding": "utf-8", "delimiter": ",", "date_order": "", "column_name": "0", "column_founded": "",
            "column_size": "1", "action": "start"}  # fmt: skip
    page = client.post(reverse("imports:detail", args=[job.pk]), form)
    assert page.status_code == 200 and "The file&#x27;s columns changed" in page.content.decode()
    job.refresh_from_db()
    assert (job.header, job.status) == (
        ["name;size"],
        ImportJob.Status.MAPPING,
    )  # one column now; not started
    assert job.mapping == {"name": None, "founded": None, "size": None}


def test_a_required_column_left_unmapped_is_named_and_nothing_starts(client, admin, workspace):
    job = upload(admin, workspace, GOOD)
    client.force_login(admin)
    form = {"encoding": "utf-8", "delimiter": ";", "date_order": "", "column_name": "", "column_founded": "1",
            "column_size": "2", "action": "start"}  # fmt: skip
    page = client.post(reverse("imports:detail", args=[job.pk]), form).content.decode()
    assert "Choose the file&#x27;s column for “Name” (required)." in page
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.MAPPING
    html = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert 'for="id_column_name">Name</label>' in html  # required: not marked "optional"


@dataclass(frozen=True)
class NamedTeamImporter(TeamImporter):
    """Teams again, whose preview maps each team name to an existing team (or says there is none)."""

    def name_matches(self, records, *, target, columns=(), mapping=None):
        teams = set(Team.objects.filter(workspace_id=target["workspace"]).values_list("name", flat=True))
        seen: dict[str, list] = {}
        for record in records:
            if record.get("name"):
                seen.setdefault(record["name"].casefold(), []).append(record["name"])
        out = []
        for spellings in seen.values():
            found = next((t for t in teams if t.casefold() == spellings[0].casefold()), None)
            names = tuple(dict.fromkeys(spellings))
            if found:
                out.append(imports.NameMatch("Team", names, len(spellings), maps_to=f"team “{found}”"))
            else:
                out.append(imports.NameMatch("Team", names, len(spellings), problem="no such team"))
        return out


def test_the_preview_maps_names_through_the_importer_and_the_page_shows_them(client, admin, workspace):
    account_services.team_create(workspace=workspace, name="Support")
    named = NamedTeamImporter(
        kind="tests.named_teams", title="Teams", columns=TEAMS.columns, name_columns=("name",),
        names_help="Team names are matched ignoring case.",
    )  # fmt: skip
    imports.register(named)
    try:
        job = imports.create_job(
            importer=named,
            user=admin,
            target={"workspace": workspace.pk},
            filename="teams.csv",
            data=b"Team;Size\nsupport;1\nSUPPORT;x\nGrowth;2\n",
        )
        preview = imports.preview(job, named, imports.head_of(job))
        # Only the name column is read for the map; a bad cell elsewhere (size x) does not hide a name.
        assert [(m.names, m.rows, m.maps_to, m.problem) for m in preview.names] == [
            (("support", "SUPPORT"), 2, "team “Support”", ""),
            (("Growth",), 1, "", "no such team"),
        ]
        assert (preview.name_rows, preview.name_rows_all) == (3, True)
        client.force_login(admin)
        html = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
        assert "How names map" in html and "Team names are matched ignoring case." in html
        assert '<span class="sr-only">Problem: </span>no such team' in html
    finally:
        imports.unregister(named.kind)
    # An importer without names to map shows no map.
    job = upload(admin, workspace, GOOD)
    assert imports.preview(job, TEAMS, imports.head_of(job)).names == []
    assert "How names map" not in client.get(reverse("imports:detail", args=[job.pk])).content.decode()
