"""The map's overlay views in the browser: a viewer switches the lifecycle map to the evidence view, opens a
card's evidence from its badge (keyboard: the badge is in the card's roving focus), and sees the metrics
view's values and the journey's health. axe-core finds nothing; screenshots at 1440×900 and 390×844 go to
artifacts/screenshots/ and /work/notes/shots/overlay-*.png when that folder exists."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import Workspace
from journeys import demo as journeys_demo
from journeys.models import Journey
from metrics import demo as metrics_demo
from research import demo as research_demo

from .axe import assert_accessible

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def lifecycle():
    journeys_demo.demo_load()
    workspace = Workspace.objects.get(name=journeys_demo.WORKSPACE_NAME)
    journeys = {j.title: j for j in workspace.journeys.all()}
    research_demo.load(workspace=workspace, journeys=journeys)
    metrics_demo.load(workspace=workspace, journeys=journeys)
    return Journey.objects.get(title=journeys_demo.LIFECYCLE["title"], workspace=workspace)


def test_a_viewer_reads_evidence_and_metrics_on_the_map(lifecycle, new_page, sign_in, screenshot):
    page = new_page(bypass_csp=True)
    sign_in(page, "viewer", journeys_demo.demo_password("viewer"))
    page.goto(reverse("journeys:map", args=[lifecycle.pk]))
    views = page.get_by_role("navigation", name="Map view")
    views.get_by_role("link", name="Evidence", exact=True).click()
    expect(page).to_have_url(f"{reverse('journeys:map', args=[lifecycle.pk])}?view=evidence")
    expect(page.locator("#overlay-headline")).to_contain_text("validated")
    badges = page.locator("#map-grid button.ov-badge")
    assert badges.count() == page.locator("#map-grid article.card").count()
    strong = page.get_by_role("button", name="Evidence: Strong").first
    expect(strong).to_be_visible()
    assert_accessible(page, "map, evidence view")
    screenshot(page, "overlay-evidence-desktop")

    # The badge by keyboard: the card holds the map's tab stop, its badge is in the tab order with it.
    card = strong.locator("xpath=ancestor::article[1]")
    card.focus()
    expect(strong).to_have_attribute("tabindex", "0")
    strong.focus()
    page.keyboard.press("Enter")
    panel = page.get_by_role("complementary", name="Card details")
    expect(panel).to_be_visible()
    expect(panel.locator("#side-panel-body")).to_contain_text("Strong")
    assert_accessible(page, "map, evidence panel open")
    page.keyboard.press("Escape")

    views.get_by_role("link", name="Metrics", exact=True).click()
    expect(page).to_have_url(f"{reverse('journeys:map', args=[lifecycle.pk])}?view=metrics")
    health = page.locator("#overlay-headline a")
    expect(health).to_contain_text("Health")
    assert health.get_attribute("href") == reverse("metrics:journey", args=[lifecycle.pk])
    metric = page.locator(".map__step .ov-metric").first
    expect(metric).to_be_visible()
    expect(metric.locator(".ov-status")).not_to_be_empty()
    assert re.search(r"\b20\d\d\b", metric.get_attribute("title") or "")  # its period shows on hover
    expect(page.locator(".map__step svg.sparkline").first).to_be_visible()
    assert_accessible(page, "map, metrics view")
    screenshot(page, "overlay-metrics-desktop")

    phone = new_page(bypass_csp=True, viewport=PHONE)
    sign_in(phone, "viewer", journeys_demo.demo_password("viewer"))
    for view in ("evidence", "metrics"):
        phone.goto(f"{reverse('journeys:map', args=[lifecycle.pk])}?view={view}")
        expect(phone.locator("#overlay-headline")).to_be_visible()
        assert_accessible(phone, f"map, {view} view, phone")
        screenshot(phone, f"overlay-{view}-phone")
