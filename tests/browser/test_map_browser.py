"""A viewer signs in, finds the lifecycle journey in the list and reads its map; an editor sees more."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from journeys import demo
from journeys.models import Journey

# Names of links or buttons that change a map or its journey; a viewer must see none of them.
EDIT_CONTROL_NAMES = re.compile(
    r"^\s*(edit|add|new|delete|remove|rename|move|share|settings|archive)\b", re.IGNORECASE
)


@pytest.fixture
def demo_data():
    demo.demo_load()  # journeys' demo alone: the apps above add nothing these tests look at
    return Journey.objects.get(title=demo.LIFECYCLE["title"])


def lifecycle_titles():
    stages = [stage["title"] for stage in demo.LIFECYCLE["stages"]]
    steps = [step["title"] for stage in demo.LIFECYCLE["stages"] for step in stage["steps"]]
    lanes = [title for title, _kind in demo.LIFECYCLE["lanes"]]
    return stages, steps, lanes


def test_viewer_reads_the_lifecycle_map(demo_data, page, sign_in, screenshot):
    journey = demo_data
    sign_in(page, "viewer", demo.demo_password("viewer"))

    page.goto(reverse("journeys:list"))
    expect(page.get_by_role("heading", name="Journeys", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=demo.ONBOARDING["title"], exact=True)).to_be_visible()
    # The confidential journey is not granted to the viewer: it is not even listed.
    expect(page.get_by_text(demo.RESTRICTED["title"])).to_have_count(0)
    expect(page.get_by_role("link", name="New journey")).to_have_count(0)
    screenshot(page, "journeys-list-viewer")

    page.get_by_role("link", name=demo.LIFECYCLE["title"], exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(reverse("journeys:map", args=[journey.pk])) + "$"))
    expect(page.get_by_role("heading", name=demo.LIFECYCLE["title"], level=1)).to_be_visible()

    stages, steps, lanes = lifecycle_titles()
    expect(page.locator(".map__stage-title")).to_have_text(stages)
    expect(page.locator(".map__step-title")).to_have_text(steps)
    expect(page.locator(".map__lane-title")).to_have_text(lanes)
    for text in (
        "Can't find SSO setup in docs — it is only on the Enterprise plan page",
        "Sales call scheduled via Calendly within 2 minutes",
        "NPS 31 → target 45 by Q4",
    ):
        expect(page.get_by_text(text, exact=True)).to_be_visible()
    # Steps that have a sub-journey drill down to it.
    expect(page.locator("a.map__drill", has_text=demo.ONBOARDING["title"])).to_be_visible()

    curve = page.locator("svg.curve")
    expect(curve).to_be_visible()
    expect(curve.locator(".curve__line")).to_have_count(1)
    expect(curve.locator(".curve__point")).to_have_count(len(steps))  # one emotion per step
    expect(curve.locator(".curve__point[data-score='−3']")).to_have_count(1)

    shot = screenshot(page, "map-lifecycle-viewer")
    assert shot.stat().st_size > 20_000  # a rendered map, not a blank page

    # Read-only: nothing on the map page offers a change.
    map_page = page.locator(".map-page")
    expect(map_page.get_by_role("link", name=EDIT_CONTROL_NAMES)).to_have_count(0)
    expect(map_page.get_by_role("button", name=EDIT_CONTROL_NAMES)).to_have_count(0)
    expect(map_page.locator("form[method=post], form[method=POST]")).to_have_count(0)
    expect(map_page.locator("[contenteditable=true], [draggable=true], textarea")).to_have_count(0)
    expect(page.locator(f"a[href='{reverse('journeys:settings', args=[journey.pk])}']")).to_have_count(0)


def test_editor_sees_the_controls_the_viewer_does_not(demo_data, page, sign_in):
    # The same checks as above, shown to fail for someone who may edit: they are not vacuous.
    journey = demo_data
    sign_in(page, "editor", demo.demo_password("editor"))
    page.goto(reverse("journeys:map", args=[journey.pk]))
    expect(page.locator(".map__stage-title")).to_have_count(6)
    controls = page.locator(".map-page").get_by_role("link", name=EDIT_CONTROL_NAMES)
    controls = controls.or_(page.locator(".map-page").get_by_role("button", name=EDIT_CONTROL_NAMES))
    expect(controls.first).to_be_visible()
    expect(page.locator(f"a[href='{reverse('journeys:settings', args=[journey.pk])}']")).to_have_count(1)
