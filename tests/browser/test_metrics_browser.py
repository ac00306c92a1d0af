"""Metrics pages in the browser: an editor adds a metric to a step, adds a measurement on its page, and
sees the value, the status and the journey's health change; the explanation opens. An editor adds a
metric, imports a CSV through the real upload and preview pages (the name map shows both spellings as
that one metric) with a real Celery worker, and sees the map's metrics view change: the step's value and
the journey's health. axe-core finds nothing on the journey's metrics page, a metric's page, the help
page and the import pages, on a desktop and on a phone. The pages run under the real
Content-Security-Policy (the chart's stylesheet carries the nonce): no CSP report. Screenshots go to
artifacts/screenshots/ and /work/notes/shots/ when that folder exists."""

from datetime import date
from decimal import Decimal

from django.urls import reverse
from playwright.sync_api import expect

from core.models import ImportJob
from metrics import services
from metrics.models import Metric
from tests import factories

from .axe import assert_accessible

PHONE = {"width": 390, "height": 844}


def _months(n, start=(2024, 1)):
    year, month = start
    out = []
    for _ in range(n):
        out.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _metrics(journey, admin):
    """A lived-in journey, 18 months: CSAT on a stage, NPS on a step (from counts), journey drop-off."""
    stage = journey.stages.order_by("position").first()
    step = journey.steps.order_by("stage__position", "position").last()
    csat = services.metric_create(
        journey_id=journey.pk, by=admin, stage=stage.pk, name="Onboarding CSAT", kind="csat"
    )
    nps = services.metric_create(
        journey_id=journey.pk, by=admin, step=step.pk, name="Relationship NPS", kind="nps", weight=2
    )
    drop = services.metric_create(
        journey_id=journey.pk,
        by=admin,
        name="Checkout drop-off",
        kind="drop_off_rate",
        target_value=Decimal(20),
    )
    months = _months(18)
    items = []
    for i, day in enumerate(months):
        items.append({"metric": csat.pk, "date": day, "value": Decimal(74 + (i % 5) + i // 4)})
        items.append(
            {"metric": drop.pk, "date": day, "value": Decimal(18 + (i % 3)) + (Decimal(6) if i == 17 else 0)}
        )
        p, d = 40 + i, 20 + (i % 4)
        items.append(
            {"metric": nps.pk, "date": day, "components": {"promoters": p, "passives": 30, "detractors": d}}
        )
    services.measurements_upsert(journey_id=journey.pk, by=admin, items=items)
    return step


def test_add_a_metric_and_a_measurement_and_see_health_change(
    new_page, sign_in, workspace, admin, editor, screenshot
):
    journey = factories.make_journey(workspace, by=admin, title="Self-serve onboarding")
    factories.make_map(journey, stages=3, steps_per_stage=2, lanes=3, cards=6)
    step = _metrics(journey, admin)
    first_step = journey.steps.order_by("stage__position", "position").first()

    page = new_page()  # the real CSP: the chart's <style> must carry the page's nonce
    csp_errors = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
    sign_in(page, editor.username, factories.PASSWORD)
    url = reverse("metrics:journey", args=[journey.pk])
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Self-serve onboarding: metrics")
    health = page.locator(".mx-health .mx-score")
    before = health.inner_text()
    screenshot(page, "metrics-journey-desktop", full_page=True)

    # Add a metric to the first step.
    page.get_by_role("link", name="Add metric", exact=True).first.click()
    page.get_by_label("Name").fill("Setup completion")
    page.get_by_label("Measures").select_option(f"step:{first_step.pk}")
    page.get_by_label("Kind").select_option("conversion_rate")
    page.locator("#id_target_value").fill("60")
    page.get_by_role("button", name="Add metric").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Setup completion")
    expect(page.get_by_text("No measurements yet.")).to_be_visible()

    # Add a measurement: 45 % against a target of 60 → off track.
    page.locator("#id_period_start").fill("2025-06-30")
    page.locator("#id_value").fill("45")
    page.get_by_role("button", name="Add measurement").click()
    expect(page.get_by_role("status")).to_contain_text("Measurement for 30 Jun 2025 recorded.")
    expect(page.locator(".mx-facts .mx-value")).to_have_text("45 %")
    expect(page.locator(".mx-facts .mx-status")).to_have_text("Off track")
    expect(page.locator("table.mx-table tbody tr")).to_have_count(1)

    # The journey's health moved, and the explanation names the new metric with its rule.
    page.goto(url)
    expect(health).not_to_have_text(before)
    page.get_by_text("Explain this score").click()
    line = page.locator(".mx-explain__table tr").filter(has_text="Setup completion")
    expect(line).to_contain_text("45 < off track 54")
    expect(line).to_contain_text("Off track")
    screenshot(page, "metrics-journey-explained-desktop", full_page=True)

    # A metric's page with its chart.
    nps = Metric.objects.get(name="Relationship NPS")
    page.goto(reverse("metrics:metric", args=[nps.pk]))
    expect(page.locator("svg.metric-chart")).to_be_visible()
    screenshot(page, "metrics-metric-desktop", full_page=True)
    assert not csp_errors, csp_errors

    # axe-core (a context that bypasses the CSP to inject it).
    checker = new_page(bypass_csp=True)
    sign_in(checker, editor.username, factories.PASSWORD)
    checker.goto(url)
    checker.get_by_text("Explain this score").click()
    assert_accessible(checker, "a journey's metrics page (explanation open)")
    checker.goto(reverse("metrics:metric", args=[nps.pk]))
    assert_accessible(checker, "a metric's page")
    checker.goto(reverse("metrics:metric_edit", args=[nps.pk]))
    assert_accessible(checker, "a metric's edit form")
    checker.goto(reverse("metrics:help"))
    assert_accessible(checker, "the metrics help page")
    screenshot(checker, "metrics-help-desktop", full_page=True)

    phone = new_page(bypass_csp=True, viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(phone, editor.username, factories.PASSWORD)
    phone.goto(url)
    assert_accessible(phone, "a journey's metrics page on a phone")
    screenshot(phone, "metrics-journey-phone", full_page=True)
    phone.goto(reverse("metrics:metric", args=[nps.pk]))
    assert_accessible(phone, "a metric's page on a phone")
    screenshot(phone, "metrics-metric-phone-top")
    screenshot(phone, "metrics-metric-phone", full_page=True)
    phone.locator("#table-title").scroll_into_view_if_needed()
    screenshot(phone, "metrics-metric-phone-table")
    assert step  # the NPS sits on the journey's last step


def test_add_a_metric_import_a_csv_and_see_the_map_change(
    live_server, worker, new_page, sign_in, workspace, admin, editor, screenshot
):
    journey = factories.make_journey(workspace, by=admin, title="Self-serve onboarding")
    factories.make_map(journey, stages=3, steps_per_stage=2, lanes=3, cards=6)
    _metrics(journey, admin)
    first_step = journey.steps.order_by("stage__position", "position").first()
    map_url = f"{reverse('journeys:map', args=[journey.pk])}?view=metrics"

    page = new_page()
    csp_errors = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
    sign_in(page, editor.username, factories.PASSWORD)
    page.goto(map_url)
    headline = page.locator("#overlay-headline a")
    expect(headline).to_contain_text("Health")
    health_before = headline.inner_text()
    step_cell = page.locator(f'.map__step[data-step-id="{first_step.pk}"]')
    expect(step_cell).to_be_visible()
    expect(step_cell.locator(".ov-metric")).to_have_count(0)

    # Add a metric to the first step: setup completion, a conversion rate with a target of 60 %.
    page.goto(reverse("metrics:metric_create", args=[journey.pk]) + f"?step={first_step.pk}")
    page.get_by_label("Name").fill("Setup completion")
    page.get_by_label("Kind").select_option("conversion_rate")
    page.locator("#id_target_value").fill("60")
    page.get_by_role("button", name="Add metric").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Setup completion")

    # Import a CSV through the upload page: two spellings of the metric's name, a step column, a
    # semicolon, a decimal comma and a percent sign.
    page.goto(reverse("metrics:import", args=[journey.pk]))
    screenshot(page, "metrics_import_upload_desktop")
    csv = (
        "Metric;Step;Date;Value\n"
        f"setup  COMPLETION;{first_step.title.upper()};31/05/2025;52,5 %\n"
        f"Setup completion;{first_step.title};30/06/2025;41%\n"
    )
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "setup.csv", "mimeType": "text/csv", "buffer": csv.encode()}]
    )
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import measurements")
    names = page.locator("table.import-names")
    expect(names).to_be_visible()
    metric_row = names.locator("tbody tr").filter(has_text="COMPLETION")
    expect(metric_row).to_contain_text("“setup COMPLETION”, “Setup completion”")
    expect(metric_row).to_contain_text(f"metric “Setup completion” on step “{first_step.title}”")
    expect(metric_row.locator("td.num")).to_have_text("2")
    expect(names.locator(".import-preview__bad")).to_have_count(0)
    screenshot(page, "metrics_import_preview_desktop", full_page=True)
    page.get_by_role("button", name="Import 2 rows").click()

    # The real worker imports it; the progress turns into the result.
    expect(page.get_by_role("heading", name="Imported")).to_be_visible(timeout=30_000)
    expect(page.locator("#import-progress")).to_contain_text("2 created")
    metric = Metric.objects.get(name="Setup completion")
    assert metric.measurements.count() == 2 and Metric.objects.filter(journey=journey).count() == 4
    page.get_by_role("link", name="Go on").click()

    # The map's metrics view: the step now shows the metric's latest value (41 %, off track against 60),
    # and the journey's health changed.
    page.goto(map_url)
    value = step_cell.locator(".ov-metric").filter(has_text="Setup completion")
    expect(value).to_contain_text("41 %")
    expect(value).to_contain_text("Off track")
    expect(step_cell.locator("svg.sparkline")).to_be_visible()
    expect(headline).not_to_have_text(health_before)
    screenshot(page, "metrics_map_after_import_desktop")
    assert not csp_errors, csp_errors

    # axe-core on the upload and preview pages (a context that bypasses the CSP to inject it), and the
    # same on a phone.
    job = ImportJob.objects.get(created_by=editor)
    checker = new_page(bypass_csp=True)
    sign_in(checker, editor.username, factories.PASSWORD)
    checker.goto(reverse("metrics:import", args=[journey.pk]))
    assert_accessible(checker, "the measurements upload page")
    phone = new_page(bypass_csp=True, viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(phone, editor.username, factories.PASSWORD)
    phone.goto(reverse("metrics:import", args=[journey.pk]))
    assert_accessible(phone, "the measurements upload page on a phone")
    screenshot(phone, "metrics_import_upload_phone")
    phone.goto(map_url)
    expect(phone.locator(f'.map__step[data-step-id="{first_step.pk}"] .ov-metric')).to_contain_text("41 %")
    screenshot(phone, "metrics_map_after_import_phone")
    assert job.status == ImportJob.Status.DONE


def test_correct_a_measurement_and_change_the_shift_settings(new_page, sign_in, workspace, admin, screenshot):
    journey = factories.make_journey(workspace, by=admin, title="Self-serve onboarding")
    factories.make_map(journey, stages=3, steps_per_stage=2, lanes=3, cards=6)
    _metrics(journey, admin)
    csat = Metric.objects.get(name="Onboarding CSAT")
    page = new_page(bypass_csp=True)
    sign_in(page, admin.username, factories.PASSWORD)

    # From the measurements table: Edit on the newest row, a new value, back on the metric's page with the
    # change in its history.
    page.goto(reverse("metrics:metric", args=[csat.pk]))
    newest = page.locator("table.mx-table tbody tr").first
    before = newest.locator("td[data-label=Value]").inner_text()
    newest.get_by_role("link", name="Edit").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Edit the measurement of")
    assert_accessible(page, "a measurement's edit form")
    screenshot(page, "metrics_measurement_edit_desktop", full_page=True)
    page.get_by_label("Value").fill("66")
    page.get_by_role("button", name="Save measurement").click()
    expect(page.get_by_role("status")).to_contain_text("saved")
    expect(page.locator("table.mx-table tbody tr").first.locator("td[data-label=Value]")).to_have_text("66 %")
    expect(page.locator(".mx-history")).to_contain_text(f"{before} → 66 %")
    expect(page.locator(".mx-facts .mx-status")).to_have_text("Off track")  # 66 < 70

    # Delete it: the confirmation names the value; the table has one row fewer.
    rows = page.locator("table.mx-table tbody tr").count()
    page.locator("table.mx-table tbody tr").first.get_by_role("link", name="Delete").click()
    expect(page.locator("form.panel--danger")).to_contain_text("66 %")
    assert_accessible(page, "a measurement's delete confirmation")
    page.get_by_role("button", name="Delete measurement").click()
    expect(page.locator("table.mx-table tbody tr")).to_have_count(rows - 1)
    expect(page.locator(".mx-history")).to_contain_text("deleted the measurement of “Onboarding CSAT”")

    # The shift settings, from the help page.
    page.goto(reverse("metrics:help"))
    page.get_by_role("link", name="Shift detection settings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Shift detection")
    page.get_by_label("n: trailing periods").fill("12")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_contain_text("Shift settings saved")
    expect(page.get_by_label("n: trailing periods")).to_have_value("12")
    assert_accessible(page, "the shift settings page")
    screenshot(page, "metrics_shift_settings_desktop", full_page=True)

    phone = new_page(bypass_csp=True, viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(phone, admin.username, factories.PASSWORD)
    phone.goto(reverse("metrics:metric", args=[csat.pk]))
    phone.locator("#table-title").scroll_into_view_if_needed()
    assert_accessible(phone, "a metric's page with its row actions on a phone")
    screenshot(phone, "metrics_measurements_table_phone")
    phone.locator("table.mx-table tbody tr").first.get_by_role("link", name="Edit").click()
    assert_accessible(phone, "a measurement's edit form on a phone")
    screenshot(phone, "metrics_measurement_edit_phone", full_page=True)
    phone.goto(reverse("metrics:settings", args=[workspace.pk]))
    assert_accessible(phone, "the shift settings page on a phone")
    screenshot(phone, "metrics_shift_settings_phone", full_page=True)
