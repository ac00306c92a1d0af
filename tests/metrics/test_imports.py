"""The CSV import of measurements (metrics/imports.py) through core's import machinery, run by a real
Celery worker: long form with a BOM, semicolons, decimal commas, thousands separators, percent signs,
NA/NULL/empty as missing (not zero), names matched ignoring case and spaces, line errors that write
nothing, and the same file twice changing nothing. Plus the upload page that starts it."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core import imports
from core.models import ImportJob
from metrics import services
from metrics.imports import MEASUREMENTS
from metrics.models import Measurement, MetricShift
from tests import factories
from tests.checks import wait_for

CSV = (
    "\ufeffMetric;Stage;Date;Value;Segment;Promoters;Passives;Detractors\n"
    "  trial   CONVERSION ;;31/01/2025;12,5%;;;;\n"
    "Trial conversion;;28/02/2025;13,1 %;;;;\n"
    "Cost to serve;;31/01/2025;1.234,50;EMEA;;;\n"
    "cost to serve;;31/01/2025;NA;APAC;;;\n"
    "NPS;Stage 1;31/01/2025;;;50;30;20\n"
    "NPS;Stage 2;31/01/2025;-10;;;;\n"
    "NPS;stage 2;28/02/2025;NULL;;;;\n"
)


@pytest.fixture
def setup(workspace, admin):
    journey = factories.make_journey(workspace, by=admin, title="Checkout")
    factories.make_map(journey, stages=2, steps_per_stage=1, cards=0)
    stage_1, stage_2 = journey.stages.order_by("position")
    metrics = {
        "conversion": services.metric_create(
            journey_id=journey.pk, by=admin, name="Trial conversion", kind="conversion_rate"
        ),
        "cost": services.metric_create(
            journey_id=journey.pk, by=admin, name="Cost to serve", kind="cost_to_serve", currency="EUR"
        ),
        "nps_1": services.metric_create(
            journey_id=journey.pk, by=admin, stage=stage_1.pk, name="NPS", kind="nps"
        ),
        "nps_2": services.metric_create(
            journey_id=journey.pk, by=admin, stage=stage_2.pk, name="NPS", kind="nps"
        ),
    }
    return journey, metrics


def _run(journey, admin, text):
    job = imports.create_job(
        importer=MEASUREMENTS,
        user=admin,
        target={"journey": journey.pk},
        filename="m.csv",
        data=text.encode(),
    )
    job.date_order = "dmy"
    job.save()
    imports.start(job, user=admin)
    assert wait_for(lambda: ImportJob.objects.get(pk=job.pk).finished)
    job.refresh_from_db()
    return job


def _values():
    return sorted(
        Measurement.objects.values_list(
            "metric__name", "metric__stage__position", "period_start", "segment", "value"
        )
    )


def test_a_long_form_file_imports_and_a_second_import_changes_nothing(worker, setup, admin):
    journey, metrics = setup
    job = _run(journey, admin, CSV)
    assert job.status == ImportJob.Status.DONE, job.errors
    assert job.mapping["metric"] == 0 and job.delimiter == ";"
    assert job.result == {"created": 5, "updated": 0, "unchanged": 0, "skipped": 2}
    assert _values() == [
        ("Cost to serve", None, date(2025, 1, 31), "EMEA", Decimal("1234.5")),
        ("NPS", 0, date(2025, 1, 31), "", Decimal(30)),
        ("NPS", 1, date(2025, 1, 31), "", Decimal(-10)),
        ("Trial conversion", None, date(2025, 1, 31), "", Decimal("12.5")),
        ("Trial conversion", None, date(2025, 2, 28), "", Decimal("13.1")),
    ]
    assert Measurement.objects.get(metric=metrics["nps_1"]).components == {
        "promoters": 50,
        "passives": 30,
        "detractors": 20,
    }
    assert set(Measurement.objects.values_list("source", flat=True)) == {"csv"}
    revision = journey.__class__.objects.get(pk=journey.pk).revision
    again = _run(journey, admin, CSV)
    assert again.result == {"created": 0, "updated": 0, "unchanged": 5, "skipped": 2}
    assert journey.__class__.objects.get(pk=journey.pk).revision == revision
    assert Measurement.objects.count() == 5


def test_bad_lines_are_named_and_nothing_is_written(worker, setup, admin):
    journey, _ = setup
    text = (
        "metric,date,value\n"
        "Trial conversion,2025-01-31,12\n"
        "Churn,2025-01-31,3\n"  # no such metric
        "NPS,2025-01-31,10\n"  # two metrics of that name
        "Trial conversion,2025-03-31,120\n"  # a rate above 100 %
        "Trial conversion,,5\n"  # no date
        "trial conversion,31/01/2025,13\n"  # line 2 again
    )
    job = _run(journey, admin, text)
    assert job.status == ImportJob.Status.INVALID
    assert [(e["line"], e["column"]) for e in job.errors] == [
        (3, "metric"),
        (4, "metric"),
        (5, "value"),
        (6, "period_start"),
        (7, ""),
    ]
    messages = {e["line"]: e["message"] for e in job.errors}
    assert messages[3].startswith("no metric “Churn” here (this journey's metrics: Cost to serve, NPS, Trial")
    assert messages[4] == "“NPS” names 2 metrics: give its stage or step"
    assert messages[5] == "A Conversion rate value is from 0 to 100 (you gave 120)"
    assert messages[7] == "the same metric, period and segment as line 2"
    assert not Measurement.objects.exists()
    # Cells that cannot be read are named by core's reading, before any of the checks above.
    job = _run(
        journey, admin, "metric,date,value\nTrial conversion,2025-02-31,1\nTrial conversion,2025-01-31,x\n"
    )
    assert [(e["line"], e["column"], e["message"]) for e in job.errors] == [
        (2, "date", "2025-02-31 is not a date"),
        (3, "value", "x is not a number"),
    ]
    assert not Measurement.objects.exists()


def test_only_editors_of_the_journey_may_import(setup, viewer, outsider):
    journey, _ = setup
    for person, error in ((viewer, "PermissionDenied"), (outsider, "Http404")):
        with pytest.raises(Exception) as exc:
            imports.create_job(
                importer=MEASUREMENTS,
                user=person,
                target={"journey": journey.pk},
                filename="m.csv",
                data=b"metric\nx\n",
            )
        assert type(exc.value).__name__ == error
    assert not ImportJob.objects.exists()


def test_the_upload_page_hands_the_file_to_the_import_pages(client, setup, admin, django_assert_num_queries):
    journey, _ = setup
    client.force_login(admin)
    url = reverse("metrics:import", args=[journey.pk])
    # session, user, journey with access, the reader's workspaces (the page header)
    with django_assert_num_queries(4):
        assert client.get(url).status_code == 200
    upload = SimpleUploadedFile("m.csv", CSV.encode(), content_type="text/csv")
    response = client.post(url, {"file": upload})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("imports:detail", args=[job.pk])
    assert (job.kind, job.target) == ("metrics.measurements", {"journey": journey.pk})
    page = client.get(response["Location"])
    assert page.status_code == 200 and "Metrics of “Checkout”" in page.content.decode()


def test_an_unreadable_upload_is_said_on_the_form(client, setup, admin):
    journey, _ = setup
    client.force_login(admin)
    response = client.post(
        reverse("metrics:import", args=[journey.pk]),
        {"file": SimpleUploadedFile("m.xlsx", b"PK\x03\x04\x00\x00")},
    )
    assert response.status_code == 400 and "it is not a text (CSV) file" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_file_past_the_limit_is_refused_on_the_form_by_size(client, setup, admin):
    from core import imports

    journey, _ = setup
    client.force_login(admin)
    big = SimpleUploadedFile("m.csv", b"metric,date,value\n" + b"x" * (imports.MAX_BYTES + 1))
    response = client.post(reverse("metrics:import", args=[journey.pk]), {"file": big})

    assert response.status_code == 400
    assert f"at most {imports.MAX_BYTES // 2**20} MB" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_an_import_is_followed_by_a_shift_scan(worker, setup, admin):
    journey, metrics = setup
    text = "metric,date,value\n" + "".join(
        f"Trial conversion,2025-{m:02d}-01,{v}\n" for m, v in ((1, 12), (2, 12.4), (3, 16))
    )
    assert _run(journey, admin, text).status == ImportJob.Status.DONE
    assert wait_for(lambda: MetricShift.objects.filter(metric=metrics["conversion"]).exists())


# ---------------------------------------------------------------------------------------------- wide form

WIDE = "Month;Trial conversion;Cost to serve;Region\n31/01/2025;12,5%;1.234,50;EMEA\n28/02/2025;;980;EMEA\n"


def _run_wide(journey, admin, text, mapping=None):
    from metrics.imports import MEASUREMENTS_WIDE

    job = imports.create_job(
        importer=MEASUREMENTS_WIDE,
        user=admin,
        target={"journey": journey.pk},
        filename="w.csv",
        data=text.encode(),
    )
    if mapping is not None:
        job.mapping = {**job.mapping, **mapping}
    job.date_order = "dmy"
    job.save()
    imports.start(job, user=admin)
    assert wait_for(lambda: ImportJob.objects.get(pk=job.pk).finished)
    job.refresh_from_db()
    return job


def test_a_wide_file_has_one_column_per_metric_and_imports_twice_without_change(worker, setup, admin):
    journey, _metrics = setup
    job = _run_wide(journey, admin, WIDE)
    # "Month" is the date, "Region" the segment; each other header names a metric.
    assert job.mapping == {"date": 0, "period_start": None, "period_end": None, "segment": 3,
                           "metric_1": 1, "metric_2": 2}  # fmt: skip
    assert job.status == ImportJob.Status.DONE, job.errors
    assert _values() == [
        ("Cost to serve", None, date(2025, 1, 31), "EMEA", Decimal("1234.50")),
        ("Cost to serve", None, date(2025, 2, 28), "EMEA", Decimal("980")),
        ("Trial conversion", None, date(2025, 1, 31), "EMEA", Decimal("12.5")),
    ]  # the empty cell recorded nothing
    again = _run_wide(journey, admin, WIDE)
    assert again.status == ImportJob.Status.DONE and again.result["created"] == 0
    assert len(_values()) == 3


def test_a_wide_header_naming_no_metric_or_two_is_an_error_of_the_header_and_nothing_is_written(
    worker, setup, admin
):
    journey, _metrics = setup
    job = _run_wide(journey, admin, "Date;NPS;Churn;Trial conversion\n31/01/2025;10;3;12\n")
    assert job.status == ImportJob.Status.INVALID
    messages = [(e["line"], e["column"], e["message"]) for e in job.errors]
    assert messages == [
        (1, "Churn", "names no metric here (this journey's metrics: Cost to serve, NPS, Trial conversion)"),
        (1, "NPS", "names 2 metrics (on different steps): import it in long form with its step"),
    ]
    assert _values() == []
    # Left out in the mapping, the other columns import.
    job = _run_wide(journey, admin, "Date;NPS;Churn;Trial conversion\n31/01/2025;10;3;12\n",
                    mapping={"metric_1": None, "metric_2": None})  # fmt: skip
    assert job.status == ImportJob.Status.DONE, job.errors
    assert [v[0] for v in _values()] == ["Trial conversion"]


def test_the_upload_page_reads_a_file_without_a_metric_column_as_wide_form(client, setup, admin):
    journey, _metrics = setup
    client.force_login(admin)
    url = reverse("metrics:import", args=[journey.pk])
    client.post(url, {"file": SimpleUploadedFile("w.csv", WIDE.encode())})
    client.post(url, {"file": SimpleUploadedFile("l.csv", CSV.encode())})
    assert list(ImportJob.objects.order_by("pk").values_list("kind", flat=True)) == [
        "metrics.measurements_wide",
        "metrics.measurements",
    ]
