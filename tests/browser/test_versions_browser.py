"""History and present mode in a real browser: save a named version, edit the map, read the diff, restore the
version (with the automatic "before restore" version kept), and hide a lane while presenting."""

import re

from django.urls import reverse
from playwright.sync_api import expect

from journeys import services
from journeys.models import Card, Lane, LaneKind, MapVersion
from tests import factories

OLD_TEXT = "Reads the pricing page twice"
NEW_TEXT = "Books a demo call with sales"

# The changed card's text as each side of the diff reads it: without the inserted words, without the deleted.
SIDE_TEXT = """(element, drop) => {
    const copy = element.cloneNode(true);
    copy.querySelectorAll(drop).forEach((node) => node.remove());
    return copy.textContent.replace(/\\s+/g, " ").trim();
}"""


def open_map(page, journey):
    page.goto(reverse("journeys:map", args=[journey.pk]))
    expect(page.locator("#editor")).to_be_visible()


def card_locator(page, card):
    return page.locator(f"article#card-{card.pk}")


def test_a_named_version_is_compared_with_the_map_and_restored(page, sign_in, journey, editor, screenshot):
    card = Card.objects.filter(journey=journey).exclude(lane__kind=LaneKind.EMOTIONS).order_by("pk").first()
    services.card_update(card_id=card.pk, by=editor, text=OLD_TEXT)
    sign_in(page, editor.username, factories.PASSWORD)

    # From the map to History, and save a named version.
    open_map(page, journey)
    expect(card_locator(page, card)).to_contain_text(OLD_TEXT)
    page.get_by_role("link", name="History").click()
    expect(page).to_have_url(re.compile(re.escape(reverse("journeys:versions", args=[journey.pk])) + "$"))
    expect(page.get_by_text("No versions yet")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Before workshop")
    page.get_by_role("button", name="Save version").click()
    expect(page.get_by_text("Version “Before workshop” saved.")).to_be_visible()
    version = MapVersion.objects.get(journey=journey, label="Before workshop")
    assert version.kind == MapVersion.Kind.NAMED and version.created_by == editor
    row = page.locator(f"#version-{version.pk}")
    expect(row.locator(".vkind")).to_have_text("Named")
    expect(row).to_contain_text("Same as now")

    # Back on the map, change the card's text in place.
    page.locator(".vtable__now").get_by_role("link", name="Open").click()
    expect(page.locator("#editor")).to_be_visible()
    card_locator(page, card).click()
    text = page.locator(f"form#card-{card.pk} textarea[name=text]")
    expect(text).to_be_focused()
    text.fill(NEW_TEXT)
    text.press("Enter")
    expect(card_locator(page, card)).to_contain_text(NEW_TEXT)
    assert Card.objects.get(pk=card.pk).text == NEW_TEXT

    # The diff from "Before workshop" to now shows the card with its old and its new text.
    page.get_by_role("link", name="History").click()
    page.locator(f"#version-{version.pk}").get_by_role("link", name="Changes since").click()
    expect(page).to_have_url(re.compile(re.escape(reverse("journeys:version_diff", args=[journey.pk]))))
    expect(page.get_by_role("heading", name="What changed", level=1)).to_be_visible()
    expect(page.locator(".diff-chip--changed")).to_have_text("1 changed")
    change = page.locator(f"#change-card-{card.pk}")
    expect(change).to_have_class(re.compile(r"\bchange--changed\b"))
    expect(change.locator(".change__badge")).to_have_text("Changed")
    words = change.locator(".change__main .change__text")
    assert words.evaluate(SIDE_TEXT, "ins") == OLD_TEXT
    assert words.evaluate(SIDE_TEXT, "del") == NEW_TEXT
    expect(words.locator("del").first).to_be_visible()
    expect(words.locator("ins").first).to_be_visible()
    assert page.locator(".change").count() == 1  # nothing else changed
    screenshot(page, "versions-diff", full_page=True)

    # Restore "Before workshop" from History, accepting the confirmation.
    page.get_by_role("link", name="All versions").click()
    dialogs = []

    def accept(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.locator(f"#version-{version.pk}").get_by_role("button", name="Restore").click()
    expect(page.locator(".restore-note")).to_contain_text("The map was restored.")
    assert dialogs and "Make the map equal to “Before workshop”?" in dialogs[0]
    assert Card.objects.get(pk=card.pk).text == OLD_TEXT

    # The map as it was just before is kept as an automatic version, listed in History.
    before = MapVersion.objects.get(journey=journey, kind=MapVersion.Kind.BEFORE_RESTORE)
    assert before.label == "Before restoring “Before workshop”" and before.created_by == editor
    before_row = page.locator(f"#version-{before.pk}")
    expect(before_row).to_have_class(re.compile(r"\bis-highlighted\b"))
    expect(before_row).to_contain_text("Before restoring “Before workshop”")
    expect(before_row.locator(".vkind")).to_have_text("Before restore")
    expect(page.locator("#versions-title .count-pill")).to_have_text("2")

    # And the map shows the old text again.
    open_map(page, journey)
    expect(card_locator(page, card)).to_contain_text(OLD_TEXT)
    expect(card_locator(page, card)).not_to_contain_text(NEW_TEXT)


def test_a_viewer_hides_a_lane_while_presenting(page, sign_in, journey, viewer, screenshot):
    lanes = list(Lane.objects.filter(journey=journey).order_by("position"))
    hidden = next(lane for lane in lanes if lane.kind != LaneKind.EMOTIONS)
    kept = [lane for lane in lanes if lane.pk != hidden.pk]
    sign_in(page, viewer.username, factories.PASSWORD)
    page.goto(reverse("journeys:present", args=[journey.pk]))
    stage = page.locator("main.present-stage")
    expect(page.get_by_role("heading", name=journey.title, level=1)).to_be_visible()
    row = stage.locator(f'[data-lane-id="{hidden.pk}"]')
    expect(row.first).to_be_visible()
    assert row.count() > 1  # the lane header and its cells
    expect(page.locator("#editor")).to_have_count(0)  # no editing in present mode

    menu = page.locator("details.present-menu", has=page.locator("[data-lane-count]"))
    menu.locator("summary").click()
    count = menu.locator("[data-lane-count]")
    expect(count).to_have_text(f"{len(lanes)}/{len(lanes)}")
    toggle = menu.locator(f'input[data-lane-toggle="{hidden.pk}"]')
    expect(toggle).to_be_checked()
    toggle.uncheck()

    expect(count).to_have_text(f"{len(lanes) - 1}/{len(lanes)}")
    for element in row.all():
        expect(element).to_be_hidden()
    for lane in kept:
        expect(stage.locator(f'.map__lane[data-lane-id="{lane.pk}"]')).to_be_visible()
    menu.locator("summary").click()  # close the menu so the screenshot shows the map
    expect(menu.locator(".menu__panel")).to_be_hidden()
    screenshot(page, "present-mode")
