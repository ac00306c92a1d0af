"""@mentions by name in the comment box: type "@Bo", the people who can see the journey show as a listbox,
arrows and Enter pick "Bob Stone", the comment shows his name and the mention is stored by his id; Escape
closes the list without closing the panel; axe-core finds nothing with the list open."""

from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import Role
from journeys.models import Card, Comment
from tests import factories

from .axe import assert_accessible


def open_comments(page, journey, card):
    page.goto(reverse("journeys:map", args=[journey.pk]))
    page.locator(f"#card-{card.pk} .card__text").click()  # a viewer's click opens the card's comments
    panel = page.locator("#side-panel")
    expect(panel).to_be_visible()
    return panel


def test_typing_at_and_a_name_mentions_the_person_by_id(
    new_page, sign_in, workspace, admin, editor, viewer, screenshot
):
    bob = factories.add_member(
        workspace, factories.make_user("bstone", first_name="Bob", last_name="Stone"), Role.VIEWER
    )
    factories.add_member(workspace, factories.make_user("zed", first_name="Zed"), Role.VIEWER)
    journey = factories.make_journey(workspace, by=admin, title="Onboarding")
    factories.make_map(journey, stages=1, steps_per_stage=2, lanes=2, cards=3, emotion_lane=False)
    card = Card.objects.filter(journey=journey).order_by("pk").first()
    page = new_page(bypass_csp=True)  # for axe-core only: the app's own scripts run under the CSP elsewhere
    sign_in(page, viewer.username, factories.PASSWORD)
    panel = open_comments(page, journey, card)

    box = panel.get_by_role("textbox", name="New comment")
    box.click()
    box.press_sequentially("Can @Bo")
    listbox = panel.get_by_role("listbox", name="People to mention")
    expect(listbox).to_be_visible()
    options = listbox.get_by_role("option")
    expect(options).to_have_count(2)  # Bob (the editor) and Bob Stone; not Zed
    expect(options.nth(0)).to_contain_text("Bob")
    expect(options.nth(1)).to_contain_text("Bob Stone")
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-controls", listbox.get_attribute("id"))
    expect(box).to_have_attribute("aria-activedescendant", options.nth(0).get_attribute("id"))
    expect(panel.get_by_role("status").filter(has_text="2 people found")).to_have_count(1)
    assert_accessible(page, "the comment box with its mention list open")
    screenshot(page, "mentions-list-open")

    page.keyboard.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", options.nth(1).get_attribute("id"))
    page.keyboard.press("Enter")
    expect(listbox).to_be_hidden()
    expect(box).to_have_value("Can @Bob Stone ")
    box.press_sequentially("confirm?")
    panel.get_by_role("button", name="Comment", exact=True).click()

    mention = panel.locator(".comment__body .mention")
    expect(mention).to_have_text("@Bob Stone")
    expect(mention).to_have_attribute("data-user-id", str(bob.pk))
    comment = Comment.objects.get()
    assert comment.body == "Can @Bob Stone confirm?"
    assert list(comment.mentions.all()) == [bob]
    screenshot(page, "mentions-shown")

    # Escape closes the list and nothing else; a click on an option picks it as well.
    box = panel.get_by_role("textbox", name="New comment")
    box.click()
    box.press_sequentially("@ze")
    expect(panel.get_by_role("option")).to_have_count(1)
    page.keyboard.press("Escape")
    expect(panel.get_by_role("listbox")).to_be_hidden()
    expect(page.locator("#side-panel")).to_be_visible()
    expect(box).to_be_focused()
    box.press_sequentially(" and @Z")
    panel.get_by_role("option", name="Zed").click()
    expect(box).to_have_value("@ze and @Zed ")
    expect(box).to_be_focused()


def test_a_phone_sees_the_list_within_the_screen(new_page, sign_in, workspace, admin, viewer, screenshot):
    journey = factories.make_journey(workspace, by=admin, title="Onboarding")
    factories.make_map(journey, stages=1, steps_per_stage=1, lanes=1, cards=1, emotion_lane=False)
    card = Card.objects.filter(journey=journey).get()
    page = new_page(viewport={"width": 390, "height": 844})
    sign_in(page, viewer.username, factories.PASSWORD)
    panel = open_comments(page, journey, card)
    box = panel.get_by_role("textbox", name="New comment")
    box.click()
    box.press_sequentially("@a")
    listbox = panel.get_by_role("listbox", name="People to mention")
    expect(listbox.get_by_role("option", name="Alice Admin")).to_be_visible()
    box_shape = listbox.bounding_box()
    assert box_shape["x"] >= 0 and box_shape["x"] + box_shape["width"] <= 390
    assert box_shape["y"] >= 0 and box_shape["y"] + box_shape["height"] <= 844
    screenshot(page, "mentions-phone")
