"""The import preview's map of names (metrics/imports.py `name_matches`, shown by core's import page):
each metric, stage and step name of a small file, long form and wide form, as the metric, stage or step
it is read as — spellings that differ in case or spaces as one metric, never a new one — or what the
import will say of its lines; in a constant number of queries whatever the file's size. And a file of
such spellings imports into the one metric (a real worker), making no metric."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import imports
from core.models import ImportJob
from metrics import services
from metrics.imports import MEASUREMENTS, MEASUREMENTS_WIDE
from metrics.models import Measurement, Metric
from tests import factories
from tests.checks import wait_for


@pytest.fixture
def setup(workspace, admin):
    journey = factories.make_journey(workspace, by=admin, title="Checkout")
    factories.make_map(journey, stages=2, steps_per_stage=1, cards=0)
    stage_1, stage_2 = journey.stages.order_by("position")
    step_1 = journey.steps.get(stage=stage_1)
    create = services.metric_create
    metrics = {
        "conversion": create(
            journey_id=journey.pk, by=admin, name="Trial conversion", kind="conversion_rate"
        ),
        "nps_1": create(journey_id=journey.pk, by=admin, stage=stage_1.pk, name="NPS", kind="nps"),
        "nps_2": create(journey_id=journey.pk, by=admin, stage=stage_2.pk, name="NPS", kind="nps"),
        "setup": create(
            journey_id=journey.pk, by=admin, step=step_1.pk, name="Setup time", kind="time_to_complete"
        ),
    }  # fmt: skip
    return journey, metrics


def _job(journey, admin, text, importer=MEASUREMENTS):
    job = imports.create_job(
        importer=importer, user=admin, target={"journey": journey.pk}, filename="m.csv", data=text.encode()
    )
    job.date_order = "dmy"
    job.save()
    return job


def _names(job, importer=MEASUREMENTS):
    preview = imports.preview(job, importer, imports.head_of(job))
    return [(m.what, m.names, m.given, m.rows, m.maps_to or m.problem or m.note) for m in preview.names]


LONG = (
    "Metric;Stage;Step;Date;Value\n"
    "  trial   CONVERSION ;;;31/01/2025;12,5%\n"
    "Trial conversion;;;28/02/2025;13\n"
    "TrialConversion;;;31/03/2025;14\n"
    "nps;STAGE 1;;31/01/2025;10\n"
    "NPS;Stage 2;;31/01/2025;-10\n"
    "NPS;;;28/02/2025;5\n"
    "Churn;;;31/01/2025;3\n"
    "NPS;Stage 9;;31/03/2025;3\n"
    "setup TIME;;stage 1 · STEP 1;31/01/2025;4\n"
)


def test_long_form_names_map_to_metrics_stages_and_steps(setup, admin):
    journey, _ = setup
    assert _names(_job(journey, admin, LONG)) == [
        # Three spellings of one metric (case and spaces ignored): one line, one metric.
        ("Metric", ("trial   CONVERSION", "Trial conversion", "TrialConversion"), "", 3,
         "metric “Trial conversion” of the journey as a whole"),
        ("Metric", ("nps",), "stage “STAGE 1”", 1, "metric “NPS” on stage “Stage 1”"),
        ("Metric", ("NPS",), "stage “Stage 2”", 1, "metric “NPS” on stage “Stage 2”"),
        ("Metric", ("NPS",), "", 1, "“NPS” names 2 metrics: give its stage or step"),
        ("Metric", ("Churn",), "", 1,
         "no metric “Churn” here (this journey's metrics: NPS, Setup time, Trial conversion)"),
        ("Metric", ("NPS",), "stage “Stage 9”", 1,
         "no metric “NPS” on stage “Stage 9” (“NPS” is on stage “Stage 1”; stage “Stage 2”)"),
        ("Metric", ("setup TIME",), "step “stage 1 · STEP 1”", 1,
         "metric “Setup time” on step “Stage 1 · step 1” (stage “Stage 1”)"),
        ("Stage", ("STAGE 1",), "", 1, "stage “Stage 1”"),
        ("Stage", ("Stage 2",), "", 1, "stage “Stage 2”"),
        ("Stage", ("Stage 9",), "", 1,
         "no stage of that name on this journey: no metric of the line can be on it"),
        ("Step", ("stage 1 · STEP 1",), "", 1, "step “Stage 1 · step 1” (stage “Stage 1”)"),
    ]  # fmt: skip


def test_the_preview_says_what_the_import_will_say(worker, setup, admin):
    journey, _ = setup
    job = _job(journey, admin, LONG)
    imports.start(job, user=admin)
    assert wait_for(lambda: ImportJob.objects.get(pk=job.pk).finished)
    job.refresh_from_db()
    problems = {
        m.problem for m in imports.preview(job, MEASUREMENTS, imports.head_of(job)).names if m.problem
    }
    said = {e["message"] for e in job.errors}
    assert job.status == ImportJob.Status.INVALID and not Measurement.objects.exists()
    # Every metric the preview could not map is the import's error of those lines, word for word.
    assert {p for p in problems if "stage of that name" not in p} == said


def test_spellings_of_one_metric_import_into_it_and_make_no_metric(worker, setup, admin):
    journey, metrics = setup
    text = "\n".join(LONG.splitlines()[:6]) + "\n"  # the lines whose names all map
    job = _job(journey, admin, text)
    assert all(m.maps_to for m in imports.preview(job, MEASUREMENTS, imports.head_of(job)).names)
    before = set(Metric.objects.values_list("pk", flat=True))
    imports.start(job, user=admin)
    assert wait_for(lambda: ImportJob.objects.get(pk=job.pk).finished)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.errors
    assert set(Metric.objects.values_list("pk", flat=True)) == before
    assert Measurement.objects.filter(metric=metrics["conversion"]).count() == 3
    assert Measurement.objects.get(metric=metrics["nps_1"]).value == 10
    assert Measurement.objects.get(metric=metrics["nps_2"]).value == -10


def test_wide_form_columns_map_to_metrics(workspace, admin):
    journey = factories.make_journey(workspace, by=admin, title="Trials")
    for name, kind in (
        ("NPS", "nps"),
        ("Trial conversion", "conversion_rate"),
        ("Cost", "count"),
        ("Maße", "count"),
    ):
        services.metric_create(journey_id=journey.pk, by=admin, name=name, kind=kind)
    # Headers differing only in case or spaces are refused by the file's reading (core/tabular.py);
    # "MASSE" is another header, and the same metric as "Maße" (names compare case-folded).
    text = "Date;nps;TRIAL  conversion;Churn;Cost;Maße;MASSE\n31/01/2025;10;;4;5;1;2\n28/02/2025;12;13;;6;;\n"
    job = _job(journey, admin, text, MEASUREMENTS_WIDE)
    cost = next(c.name for c in MEASUREMENTS_WIDE.columns_for(job.header) if c.label == "Cost")
    job.mapping[cost] = None  # left out by the person
    job.save()
    assert _names(job, MEASUREMENTS_WIDE) == [
        ("Column", ("nps",), "", 2, "metric “NPS” of the journey as a whole"),
        ("Column", ("TRIAL  conversion",), "", 1, "metric “Trial conversion” of the journey as a whole"),
        ("Column", ("Churn",), "", 1,
         "names no metric here (this journey's metrics: Cost, Maße, NPS, Trial conversion)"),
        ("Column", ("Cost",), "", 0, "left out: not imported"),
        ("Column", ("Maße",), "", 1, "metric “Maße” of the journey as a whole"),
        ("Column", ("MASSE",), "", 1, "the same metric as the column “Maße”: leave one of them out"),
    ]  # fmt: skip


def test_the_import_page_shows_the_map(client, setup, admin):
    journey, _ = setup
    job = _job(journey, admin, LONG)
    client.force_login(admin)
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "How names map" in page and "ignoring case and spaces" in page
    assert (
        "“<bdi>trial   CONVERSION</bdi>”, “<bdi>Trial conversion</bdi>”, “<bdi>TrialConversion</bdi>”" in page
    )
    assert "metric “NPS” on stage “Stage 1”" in page
    assert '<span class="sr-only">Problem: </span>“NPS” names 2 metrics: give its stage or step' in page
    assert "From the first" not in page  # the preview read the whole file


def test_a_long_file_s_map_says_it_comes_from_the_first_rows(client, setup, admin, monkeypatch):
    journey, _ = setup
    monkeypatch.setattr(imports, "HEAD_ROWS", 3)
    job = _job(journey, admin, LONG)
    client.force_login(admin)
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "From the first 3 rows of 9: the import checks every line the same way." in page
    assert "Churn" not in page.split("How names map")[1]  # line 8 is not among the first three rows


@pytest.mark.parametrize("rows", [10, 1500])
def test_the_map_takes_the_same_queries_for_a_small_or_large_file(client, setup, admin, rows):
    journey, _ = setup
    lines = [
        f"NPS;Stage {1 + i % 2};;{1 + i % 28:02d}/{1 + i // 28 % 12:02d}/2025;{i % 90}" for i in range(rows)
    ]
    job = _job(journey, admin, "Metric;Stage;Step;Date;Value\n" + "\n".join(lines) + "\n")
    client.force_login(admin)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "metric “NPS” on stage “Stage 2”" in page
    # session, user, memberships, the job, the journey (access), its title, the head of the file; the
    # name map: metrics, stages, steps
    assert len(queries) == 10, [q["sql"][:80] for q in queries]
