"""A future-state copy's steps that still open the current-state detail say so on the map, on a desktop and a
phone; the copy page offers to copy the sub-journeys too."""

from django.urls import reverse
from playwright.sync_api import expect

from journeys.models import Lane, Step
from journeys.services import structure
from tests import factories


def test_the_future_state_map_labels_current_state_detail(
    new_page, sign_in, workspace, admin, editor, screenshot
):
    journey = factories.make_journey(workspace, by=admin, title="Lifecycle")
    factories.make_map(journey, stages=2, steps_per_stage=2, lanes=3, cards=6)
    step = Step.objects.filter(journey=journey).order_by("stage__position", "position").first()
    sub = structure.sub_journey_create_from_step(step_id=step.pk, by=admin, title="Checkout")
    Lane.objects.filter(journey=sub).delete()
    factories.make_map(sub, stages=1, steps_per_stage=1, lanes=1, cards=1, emotion_lane=False)
    future = structure.journey_copy(
        journey_id=journey.pk, by=admin, title="Lifecycle 2027", as_future_state=True
    )

    for name, viewport in (
        ("desktop", {"width": 1440, "height": 900}),
        ("phone", {"width": 390, "height": 844}),
    ):
        page = new_page(viewport=viewport)
        sign_in(page, editor.username, factories.PASSWORD)
        page.goto(reverse("journeys:map", args=[future.pk]))
        link = page.get_by_role("link", name="Current-state detail: Checkout")
        expect(link).to_be_visible()
        expect(link).to_have_attribute("href", reverse("journeys:map", args=[sub.pk]))
        screenshot(page, f"future-state-detail-{name}")

    page.goto(reverse("journeys:copy", args=[journey.pk]) + "?future=1")
    box = page.get_by_role("checkbox", name="Copy its sub-journeys too (1)")
    expect(box).to_be_checked()
    screenshot(page, "future-state-copy-page", full_page=True)
    page.get_by_role("button", name="Create journey").click()
    expect(page.get_by_text("created with 1 sub-journey")).to_be_visible()
    expect(page.get_by_role("link", name="Checkout (future state)")).to_be_visible()
