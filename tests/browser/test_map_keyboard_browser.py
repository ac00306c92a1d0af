"""The map from the keyboard and for viewers: one tab stop into the grid whatever its size, arrow keys between
cards and cells, adding without a mouse, Escape returning focus to what opened a menu, the undo toast leaving
once its undo is done, the view-only notice, comments reachable without hover, and axe-core on the editor's
states (a card open, a menu open, the comments panel, a conflict)."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from journeys.models import Card, Lane, Step
from journeys.services import elements
from tests import factories

from .axe import assert_accessible

PRESSES = 400  # more than the page's tab stops; a grid of one stop per cell would need far more


def build_map(workspace, admin, *, stages, steps, lanes, cards, title="Map"):
    journey = factories.make_journey(workspace, by=admin, title=title)
    return factories.make_map(
        journey, stages=stages, steps_per_stage=steps, lanes=lanes, cards=cards, emotion_lane=False
    )


def open_map(page, journey):
    page.goto(reverse("journeys:map", args=[journey.pk]))
    expect(page.locator("#map-grid article.card").first).to_be_attached()


def tab_stops(page) -> list[dict]:
    """Press Tab from the top of the page until focus comes round again; what each stop was."""
    page.locator("body").focus()
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    stops = []
    for _ in range(PRESSES):
        page.keyboard.press("Tab")
        stop = page.evaluate(
            """() => {
              const e = document.activeElement;
              if (!e || e === document.body) return null;
              if (e.dataset.tabSeen) return { again: true };
              e.dataset.tabSeen = "1";
              return { inGrid: !!e.closest("#map-grid"), what: e.tagName + "." + e.className };
            }"""
        )
        if stop is None or stop.get("again"):
            if stops:
                break
            continue
        stops.append(stop)
    return stops


def focused(page) -> dict:
    return page.evaluate(
        """() => { const e = document.activeElement; return {
          card: e.dataset.cardId || null, lane: e.dataset.laneId || null, step: e.dataset.stepId || null,
          stage: e.dataset.stageId || null, cls: e.className, tag: e.tagName }; }"""
    )


def tab_into_grid(page):
    page.locator("body").focus()
    for _ in range(PRESSES):
        page.keyboard.press("Tab")
        if page.evaluate("() => !!document.activeElement.closest('#map-grid')"):
            return focused(page)
    raise AssertionError("Tab never reached the map grid")


@pytest.mark.parametrize("persona", ["editor", "viewer"])
def test_the_map_is_one_tab_stop_whatever_its_size(persona, page, sign_in, workspace, admin, request):
    user = request.getfixturevalue(persona)
    small = build_map(workspace, admin, stages=1, steps=2, lanes=2, cards=2, title="Small")
    # 20 stages × 3 steps × 8 lanes = 480 cells, most of them empty (a card in every fourth).
    big = build_map(workspace, admin, stages=20, steps=3, lanes=8, cards=120, title="Big")
    sign_in(page, user.username, factories.PASSWORD)
    counts = {}
    for journey in (small, big):
        open_map(page, journey)
        stops = tab_stops(page)
        in_grid = [stop for stop in stops if stop["inGrid"]]
        counts[journey.title] = (len(stops), len(in_grid))
        # The grid's one stop (the first card) plus that card's own controls at most (comment, edit, delete);
        # "Add stage" and "Add lane" are the toolbar's, the grid's copies are for the mouse.
        assert 1 <= len(in_grid) <= 4, (journey.title, in_grid)
        assert in_grid[0]["what"].startswith("ARTICLE.card"), in_grid
    assert counts["Small"] == counts["Big"], counts  # the page's tab stops do not grow with the map


def test_arrow_keys_move_between_cards_and_cells_and_add_from_the_keyboard(
    page, sign_in, editor, workspace, admin
):
    # 1 stage × 3 steps × 2 lanes; cards fill lane 1 then lane 2: Card 1-3 in lane 1, Card 4 at lane 2/step 1.
    journey = build_map(workspace, admin, stages=1, steps=3, lanes=2, cards=4)
    lanes = list(Lane.objects.filter(journey=journey).order_by("position"))
    steps = list(Step.objects.filter(journey=journey).order_by("position"))
    card = {c.text.split(" <")[0]: c for c in Card.objects.filter(journey=journey)}
    sign_in(page, editor.username, factories.PASSWORD)
    open_map(page, journey)

    assert tab_into_grid(page)["card"] == str(card["Card 1"].pk)
    page.keyboard.press("ArrowRight")
    assert focused(page)["card"] == str(card["Card 2"].pk)
    page.keyboard.press("ArrowRight")
    assert focused(page)["card"] == str(card["Card 3"].pk)
    page.keyboard.press("ArrowDown")  # lane 2, step 3: an empty cell
    assert (focused(page)["lane"], focused(page)["step"], focused(page)["card"]) == (
        str(lanes[1].pk),
        str(steps[2].pk),
        None,
    )
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert focused(page)["card"] == str(card["Card 4"].pk)
    page.keyboard.press("ArrowUp")
    assert focused(page)["card"] == str(card["Card 1"].pk)
    page.keyboard.press("ArrowUp")
    assert focused(page)["step"] == str(steps[0].pk) and "map__step" in focused(page)["cls"]
    page.keyboard.press("ArrowLeft")  # the first step: nowhere further left
    assert focused(page)["step"] == str(steps[0].pk)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("End")
    assert focused(page)["card"] == str(card["Card 3"].pk)

    # Still one tab stop: the focused card holds it, the first card gave it up.
    expect(page.locator(f"#card-{card['Card 3'].pk}")).to_have_attribute("tabindex", "0")
    expect(page.locator(f"#card-{card['Card 1'].pk}")).to_have_attribute("tabindex", "-1")

    # Enter on an empty cell adds a card there.
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowLeft")  # lane 2, step 2: empty
    assert (focused(page)["lane"], focused(page)["step"]) == (str(lanes[1].pk), str(steps[1].pk))
    page.keyboard.press("Enter")
    text = page.locator("form#card-new-form textarea[name=text]")
    expect(text).to_be_focused()
    text.fill("Added from the keyboard")
    text.press("Enter")
    added = page.locator("article.card", has_text="Added from the keyboard")
    expect(added).to_be_focused()
    new = Card.objects.get(journey=journey, text="Added from the keyboard")
    assert (new.lane_id, new.step_id) == (lanes[1].pk, steps[1].pk)

    # N on a card adds another to its cell; Enter on a card edits it; Alt+arrow still moves.
    page.locator(f"#card-{card['Card 2'].pk}").focus()
    page.keyboard.press("n")
    text = page.locator("form#card-new-form textarea[name=text]")
    expect(text).to_be_focused()
    text.fill("Second in the cell")
    text.press("Enter")
    expect(page.locator("article.card", has_text="Second in the cell")).to_be_focused()  # the new card
    second = Card.objects.get(journey=journey, text="Second in the cell")
    assert (second.lane_id, second.step_id) == (lanes[0].pk, steps[1].pk)

    page.locator(f"#card-{card['Card 4'].pk}").focus()
    page.keyboard.press("Alt+ArrowRight")
    expect(
        page.locator(f".map__cell[data-step-id='{steps[1].pk}'] #card-{card['Card 4'].pk}")
    ).to_be_attached()
    page.locator(f"#card-{card['Card 4'].pk}").focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"form#card-{card['Card 4'].pk} textarea[name=text]")).to_be_focused()
    assert Card.objects.get(pk=card["Card 4"].pk).step_id == steps[1].pk


def test_a_card_added_while_the_person_moved_on_does_not_take_their_focus(
    page, sign_in, editor, workspace, admin
):
    """The answer to "add a card" names the new card to focus; a person who went on to another card while
    it was on its way keeps their place, and Alt+arrow moves the card they chose, not the new one."""
    journey = build_map(workspace, admin, stages=1, steps=3, lanes=2, cards=4)
    steps = list(Step.objects.filter(journey=journey).order_by("position"))
    card = {c.text.split(" <")[0]: c for c in Card.objects.filter(journey=journey)}
    sign_in(page, editor.username, factories.PASSWORD)
    open_map(page, journey)

    held = []  # the add request, held until the person has moved on
    page.route(
        f"**{reverse('journeys:editor_card_add', args=[journey.pk])}", lambda route: held.append(route)
    )
    page.locator(f"#card-{card['Card 2'].pk}").focus()
    page.keyboard.press("n")
    text = page.locator("form#card-new-form textarea[name=text]")
    text.fill("Added in passing")
    text.press("Enter")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(20)
    assert held, "the add request was never sent"
    page.locator(f"#card-{card['Card 4'].pk}").focus()
    held[0].fulfill(response=held[0].fetch())
    expect(page.locator("article.card", has_text="Added in passing")).to_be_visible()
    page.wait_for_timeout(200)  # the answer's focus event fires once the swap settled
    expect(page.locator(f"#card-{card['Card 4'].pk}")).to_be_focused()

    page.keyboard.press("Alt+ArrowRight")
    expect(
        page.locator(f".map__cell[data-step-id='{steps[1].pk}'] #card-{card['Card 4'].pk}")
    ).to_be_attached()
    added = Card.objects.get(journey=journey, text="Added in passing")
    assert added.step_id == card["Card 2"].step_id


def test_escape_gives_focus_back_to_what_opened_the_menu(page, sign_in, editor, workspace, admin):
    journey = build_map(workspace, admin, stages=1, steps=2, lanes=2, cards=2)
    step = Step.objects.filter(journey=journey).order_by("position").first()
    sign_in(page, editor.username, factories.PASSWORD)
    open_map(page, journey)

    # A toolbar menu, opened from the keyboard, Escape from inside it.
    shortcuts = page.locator("details.shortcuts > summary")
    shortcuts.focus()
    page.keyboard.press("Enter")
    expect(page.locator("details.shortcuts")).to_have_attribute("open", "")
    page.keyboard.press("Escape")
    expect(page.locator("details.shortcuts")).not_to_have_attribute("open", "")
    expect(shortcuts).to_be_focused()

    # The Activity menu: focus inside its panel, then Escape.
    activity = page.locator("details.activity > summary")
    activity.click()
    expect(page.locator("details.activity .menu__panel")).to_be_visible()
    page.keyboard.press("Escape")
    expect(activity).to_be_focused()

    # A header's menu opened with M from the header; Escape from its first item.
    header = page.locator(f"#step-{step.pk}")
    header.focus()
    page.keyboard.press("m")
    menu = header.locator("details.el-menu")
    expect(menu).to_have_attribute("open", "")
    expect(menu.locator(".menu__panel .menu__item").first).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).not_to_have_attribute("open", "")
    expect(menu.locator("summary")).to_be_focused()

    # The workspace switcher in the top bar.
    switcher = page.locator("details.ws-switcher > summary")
    switcher.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.press("Escape")
    expect(switcher).to_be_focused()
    assert page.evaluate("() => document.activeElement !== document.body")


def test_the_undo_toast_goes_when_ctrl_z_has_undone_the_delete(page, sign_in, editor, workspace, admin):
    journey = build_map(workspace, admin, stages=1, steps=2, lanes=2, cards=3)
    card = Card.objects.filter(journey=journey).order_by("pk").first()
    sign_in(page, editor.username, factories.PASSWORD)
    open_map(page, journey)
    page.locator(f"#card-{card.pk}").focus()
    page.keyboard.press("Delete")
    toast = page.locator(".editor-toast", has_text="deleted")
    expect(toast).to_be_visible()
    expect(toast.get_by_role("button", name="Undo")).to_be_visible()
    expect(page.locator(f"#card-{card.pk}")).to_have_count(0)
    page.locator("#map-grid article.card").first.focus()
    page.keyboard.press("Control+z")
    expect(page.locator(f"#card-{card.pk}")).to_be_visible()
    expect(page.locator(".editor-toast", has_text="deleted")).to_have_count(0)
    assert Card.objects.filter(pk=card.pk).exists()


def test_a_viewer_is_told_the_map_is_view_only_and_reaches_comments_without_hover(
    new_page, sign_in, viewer, workspace, admin
):
    page = new_page(bypass_csp=True)
    journey = build_map(workspace, admin, stages=1, steps=2, lanes=2, cards=3)
    card = Card.objects.filter(journey=journey).order_by("pk").first()
    sign_in(page, viewer.username, factories.PASSWORD)
    open_map(page, journey)
    notice = page.get_by_role("note")
    expect(notice).to_contain_text("View only — you can comment")
    expect(notice).to_contain_text(admin.display_name)  # who to ask: the journey's owner

    first = tab_into_grid(page)
    assert first["card"] == str(card.pk)
    # The focused card's comment button joins the tab order: visible and reachable without a mouse.
    page.keyboard.press("Tab")
    button = page.locator(f"#card-{card.pk} [data-card-action=comments]")
    expect(button).to_be_focused()
    expect(button).to_be_visible()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")  # Enter on a card opens its comments for a viewer
    panel = page.locator("#side-panel")
    expect(panel).to_be_visible()
    expect(panel.locator("textarea[name=body]")).to_be_visible()
    assert_accessible(page, "the comments panel (viewer)")
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(page.locator(f"#card-{card.pk}")).to_be_focused()

    # A tap (click) on a card does the same; the close button gives focus back to the card.
    page.locator(f"#card-{card.pk} .card__text").click()
    expect(panel).to_be_visible()
    panel.get_by_role("button", name="Close comments").click()
    expect(page.locator(f"#card-{card.pk}")).to_be_focused()


def test_the_editor_passes_axe_in_every_state(new_page, sign_in, editor, workspace, admin):
    journey = build_map(workspace, admin, stages=2, steps=2, lanes=3, cards=8)
    cards = list(Card.objects.filter(journey=journey).order_by("pk"))
    step = Step.objects.filter(journey=journey).order_by("position").first()
    page = new_page(bypass_csp=True)
    sign_in(page, editor.username, factories.PASSWORD)
    open_map(page, journey)
    assert_accessible(page, "the map (editor)")

    page.locator(f"#card-{cards[0].pk}").focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"form#card-{cards[0].pk} textarea[name=text]")).to_be_focused()
    assert_accessible(page, "a card open for editing")
    page.keyboard.press("Escape")
    expect(page.locator(f"article#card-{cards[0].pk}")).to_be_focused()

    page.locator(f"#step-{step.pk}").focus()
    page.keyboard.press("m")
    expect(page.locator(f"#step-{step.pk} details.el-menu")).to_have_attribute("open", "")
    assert_accessible(page, "a header menu open")
    page.keyboard.press("Escape")
    page.locator("details.trash-menu > summary").click()
    expect(page.locator(".ed-trash__body")).not_to_contain_text("Loading")
    assert_accessible(page, "Recently deleted open")
    page.keyboard.press("Escape")
    page.locator("details.activity > summary").click()
    assert_accessible(page, "Activity open")
    page.keyboard.press("Escape")

    page.locator(f"#card-{cards[1].pk}").focus()
    page.keyboard.press("c")
    expect(page.locator("#side-panel textarea[name=body]")).to_be_visible()
    assert_accessible(page, "the comments panel (editor)")
    page.keyboard.press("Escape")

    # A conflict: someone else saves the card while it is open here.
    page.locator(f"#card-{cards[2].pk}").focus()
    page.keyboard.press("Enter")
    text = page.locator(f"form#card-{cards[2].pk} textarea[name=text]")
    expect(text).to_be_focused()
    elements.card_update(card_id=cards[2].pk, by=admin, text="Their wording")
    text.fill("My wording")
    text.press("Enter")
    expect(page.locator(f"form#card-{cards[2].pk} .conflict")).to_be_visible()
    assert_accessible(page, "a conflict")


def test_a_blank_sub_journey_prompts_for_a_first_stage(
    page, sign_in, editor, viewer, workspace, admin, new_page
):
    journey = factories.make_journey(workspace, by=admin, title="Blank sub-journey", level="sub-journey")
    Lane.objects.create(journey=journey, position=0, title="Actions", kind="actions")
    Lane.objects.create(journey=journey, position=1, title="Pain points", kind="pain_points")
    sign_in(page, editor.username, factories.PASSWORD)
    page.goto(reverse("journeys:map", args=[journey.pk]))
    prompt = page.locator("#map-grid .map-empty")
    expect(prompt).to_contain_text("No stages yet")
    prompt.get_by_role("button", name="Add a stage").click()
    expect(page.locator(".map__stage")).to_have_count(1)
    assert journey.stages.count() == 1

    other = new_page()
    sign_in(other, viewer.username, factories.PASSWORD)
    blank = factories.make_journey(workspace, by=admin, title="Another blank one", level="sub-journey")
    Lane.objects.create(journey=blank, position=0, title="Actions", kind="actions")
    other.goto(reverse("journeys:map", args=[blank.pk]))
    expect(other.locator("#map-grid .map-empty")).to_contain_text("No stages yet")
    expect(other.locator("#map-grid .map-empty").get_by_role("button")).to_have_count(0)


def test_header_menus_are_filled_for_their_header_and_ask_before_deleting_what_they_hold(
    page, sign_in, editor, workspace, admin
):
    """The map carries each kind of header menu once; a header's copy names that header, its position and
    what deleting it takes along, counted on the page as it is when the menu opens (the server's question
    was stale after a card moved by fragment)."""
    journey = factories.make_journey(workspace, by=admin, title="Signup")
    stage = elements.stage_create(journey_id=journey.pk, by=admin, title="Sign up", description="First")
    step = stage.steps.get()
    lane = elements.lane_create(journey_id=journey.pk, by=admin, title="Feels")
    empty = elements.lane_create(journey_id=journey.pk, by=admin, title="Quiet")
    elements.card_create(lane_id=lane.pk, step_id=step.pk, by=admin, text="Old words")
    sign_in(page, editor.username, factories.PASSWORD)
    open_map(page, journey)
    expect(page.locator("template#menu-lane")).to_have_count(1)

    def delete_item(header):
        header.hover()
        header.locator("summary.el-menu__btn").first.click()
        return header.locator(".menu__panel .menu__item--danger")

    item = delete_item(page.locator(f"#lane-{lane.pk}"))
    expect(item).to_have_attribute("data-confirm-delete", "Delete the lane “Feels” and its 1 card?")
    expect(item).to_have_attribute("hx-post", reverse("journeys:editor_lane_delete", args=[lane.pk]))
    expect(page.locator(f"#lane-{lane.pk} .kind-grid")).to_have_attribute(
        "aria-label", "Change the kind of Feels"
    )
    expect(page.locator(f"#lane-{lane.pk} [data-move=prev]")).to_be_disabled()
    page.keyboard.press("Escape")
    item = delete_item(page.locator(f"#step-{step.pk}"))
    expect(item).to_have_attribute("data-confirm-delete", "Delete the step “New step” and its 1 card?")
    page.keyboard.press("Escape")
    item = delete_item(page.locator(f"#stage-{stage.pk}"))
    expect(item).to_have_attribute(
        "data-confirm-delete", "Delete the stage “Sign up” and its 1 step and 1 card?"
    )
    page.keyboard.press("Escape")
    # An empty lane goes without a question (it is put back as easily).
    item = delete_item(page.locator(f"#lane-{empty.pk}"))
    expect(item).not_to_have_attribute("data-confirm-delete", "")
    assert item.get_attribute("data-confirm-delete") is None
    expect(page.locator(f"#lane-{empty.pk} [data-move=next]")).to_be_disabled()
    item.click()
    expect(page.locator(f"#lane-{empty.pk}")).to_have_count(0)
    assert not Lane.objects.filter(pk=empty.pk).exists()
