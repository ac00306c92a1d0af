"""The living map editor in a real browser: build a map from the framework, edit in place, drag and drop,
move from the keyboard, delete and undo, comment, and resolve a conflict between two people."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import Role
from journeys import demo, services
from journeys.models import Card, Journey, Lane, LaneKind, Stage, Step
from tests import factories


@pytest.fixture
def demo_map():
    demo.demo_load()  # journeys' demo alone: the apps above add nothing these tests look at
    return Journey.objects.get(title=demo.LIFECYCLE["title"])


def open_map(page, journey):
    page.goto(reverse("journeys:map", args=[journey.pk]))
    expect(page.locator("#editor")).to_be_visible()
    return page.locator("#map-grid")


def saved_at(page, revision):
    """Wait until the grid shows `revision` (the write landed and its answer is on screen)."""
    expect(page.locator("#map-grid")).to_have_attribute("data-revision", str(revision))


def revision_of(journey):
    return Journey.objects.get(pk=journey.pk).revision


def card_locator(page, card):
    return page.locator(f"article#card-{card.pk}")


def test_an_editor_builds_a_map_from_the_framework(page, sign_in, editor, workspace, screenshot):
    sign_in(page, editor.username, factories.PASSWORD)
    page.goto(reverse("journeys:create"))
    page.locator("input[name=title]").fill("Self-serve onboarding")
    page.get_by_role("button", name="Create journey").click()
    expect(page.get_by_role("heading", name="Self-serve onboarding", level=1)).to_be_visible()
    journey = Journey.objects.get(title="Self-serve onboarding")
    expect(page.locator(".map__stage-title")).to_have_count(6)

    # A stage at the end: it opens its name for typing.
    page.locator("#editor").get_by_role("button", name="Add stage").click()
    popover = page.locator("form.element-pop")
    expect(popover.locator("input[name=title]")).to_be_focused()
    popover.locator("input[name=title]").fill("Renewal")
    popover.locator("select[name=standard_stage]").select_option("advocacy")
    popover.locator("input[name=title]").press("Enter")
    expect(page.locator(".map__stage-title").last).to_have_text("Renewal")
    stage = Stage.objects.get(journey=journey, title="Renewal")
    assert (stage.position, stage.standard_stage) == (6, "advocacy")

    # A second step in that stage, from its header's "+".
    stage_head = page.locator(f"#stage-{stage.pk}")
    stage_head.hover()
    stage_head.get_by_role("button", name="Add step to Renewal").click()
    popover = page.locator("form.element-pop")
    expect(popover.locator("input[name=title]")).to_have_value("New step")
    popover.locator("input[name=title]").fill("Renews the contract")
    popover.locator("input[name=title]").press("Enter")
    expect(page.locator(".map__step-title", has_text="Renews the contract")).to_be_visible()
    assert list(stage.steps.order_by("position").values_list("title", flat=True)) == [
        "New step",
        "Renews the contract",
    ]

    # A lane of a kind.
    page.locator("#editor").get_by_role("button", name="Add lane").click()
    popover = page.locator("form.element-pop")
    popover.locator("input[name=title]").fill("Support tickets")
    popover.locator("select[name=kind]").select_option("pain_points")
    popover.locator("input[name=title]").press("Enter")
    lane_head = page.locator(".map__lane", has_text="Support tickets")
    expect(lane_head).to_have_class(re.compile(r"\blane--pain_points\b"))
    lane = Lane.objects.get(journey=journey, title="Support tickets")
    assert lane.kind == LaneKind.PAIN_POINTS

    # A card in a cell of the new lane: "+" → type → Enter.
    step = journey.steps.order_by("stage__position", "position").first()
    cell = page.locator(f'.map__cell[data-lane-id="{lane.pk}"][data-step-id="{step.pk}"]')
    cell.hover()
    cell.get_by_role("button", name=re.compile("^Add a card to Support tickets")).click()
    expect(page.locator("#card-new-form textarea[name=text]")).to_be_focused()
    page.keyboard.type("Can't find where to invite teammates")
    page.keyboard.press("Enter")
    expect(cell.locator("article.card")).to_have_text(re.compile("Can't find where to invite teammates"))
    card = Card.objects.get(lane=lane, step=step)
    assert card.text == "Can't find where to invite teammates" and card.created_by == editor

    # The activity feed has it as soon as it is opened.
    page.locator("details.activity > summary").click()
    expect(page.locator("details.activity .activity__item").first).to_contain_text(
        "added a card to “Support tickets”"
    )
    page.locator("details.activity > summary").click()

    # Edit it in place: click, change, Enter; Esc elsewhere cancels without a write.
    card_locator(page, card).click()
    text = page.locator(f"form#card-{card.pk} textarea[name=text]")
    expect(text).to_be_focused()
    text.fill("Can't find where to invite teammates (3 tickets a week)")
    text.press("Enter")
    expect(card_locator(page, card)).to_contain_text("3 tickets a week")
    revision = revision_of(journey)
    card_locator(page, card).click()
    page.locator(f"form#card-{card.pk} textarea[name=text]").fill("Never saved")
    page.keyboard.press("Escape")
    expect(card_locator(page, card)).to_contain_text("3 tickets a week")
    assert revision_of(journey) == revision and Card.objects.get(pk=card.pk).text.endswith(
        "(3 tickets a week)"
    )
    screenshot(page, "editor-new-journey")


def test_an_emotion_score_moves_the_curve(page, sign_in, demo_map, screenshot):
    sign_in(page, "editor", demo.demo_password("editor"))
    open_map(page, demo_map)
    curve = page.locator("svg.curve path.curve__line")
    before = curve.get_attribute("d")
    card = (
        Card.objects.filter(journey=demo_map, lane__kind=LaneKind.EMOTIONS)
        .order_by("step__stage__position", "step__position")
        .first()
    )
    new_score = 3 if card.emotion_score != 3 else -3
    element = card_locator(page, card)
    element.locator("summary.score").click()
    picker = element.locator(".score-picker__panel")
    expect(picker).to_be_visible()
    screenshot(page, "editor-score-picker")
    picker.locator(f"button[name=emotion_score][value='{new_score}']").click()
    expect(curve).not_to_have_attribute("d", before)
    expect(card_locator(page, card).locator("summary.score")).to_have_text(
        f"+{new_score}" if new_score > 0 else "−3"
    )
    assert Card.objects.get(pk=card.pk).emotion_score == new_score
    expect(page.locator("#editor-status")).to_have_attribute("data-state", "saved")


def test_a_card_is_dragged_to_another_cell(page, sign_in, demo_map, screenshot):
    sign_in(page, "editor", demo.demo_password("editor"))
    grid = open_map(page, demo_map)
    steps = list(demo_map.steps.order_by("stage__position", "position"))
    actions = Lane.objects.get(journey=demo_map, kind=LaneKind.ACTIONS)
    thoughts = Lane.objects.get(journey=demo_map, kind=LaneKind.THOUGHTS)
    card = Card.objects.filter(lane=actions, step=steps[0]).first()
    target = grid.locator(f'.map__cell[data-lane-id="{thoughts.pk}"][data-step-id="{steps[1].pk}"]')
    cards_there = Card.objects.filter(lane=thoughts, step=steps[1]).count()
    revision = revision_of(demo_map)

    # Mid-drag: the drop line shows where the card will land.
    source = card_locator(page, card)
    source.hover()
    box, goal = source.bounding_box(), target.bounding_box()
    page.mouse.down()
    page.mouse.move(box["x"] + 20, box["y"] + 20, steps=4)
    page.mouse.move(goal["x"] + goal["width"] / 2, goal["y"] + goal["height"] - 12, steps=8)
    expect(target.locator(".drop-line")).to_have_count(1)
    screenshot(page, "editor-drag")
    page.mouse.up()

    saved_at(page, revision + 1)
    card.refresh_from_db()
    assert (card.lane_id, card.step_id, card.position) == (thoughts.pk, steps[1].pk, cards_there)
    expect(target.locator(f"#card-{card.pk}")).to_be_visible()

    # Playwright's own drag and drop, back to where it came from.
    home = grid.locator(f'.map__cell[data-lane-id="{actions.pk}"][data-step-id="{steps[0].pk}"]')
    card_locator(page, card).drag_to(home)
    saved_at(page, revision + 2)
    card.refresh_from_db()
    assert (card.lane_id, card.step_id) == (actions.pk, steps[0].pk)


def test_headers_are_dragged_to_reorder_lanes_and_move_steps_across_stages(page, sign_in, demo_map):
    sign_in(page, "editor", demo.demo_password("editor"))
    grid = open_map(page, demo_map)
    lanes = list(demo_map.lanes.order_by("position"))
    revision = revision_of(demo_map)

    # The first lane dropped on the lower half of the third: it lands after it.
    source, target = grid.locator(f"#lane-{lanes[0].pk}"), grid.locator(f"#lane-{lanes[2].pk}")
    box = target.bounding_box()
    source.drag_to(target, target_position={"x": box["width"] / 2, "y": box["height"] - 6})
    saved_at(page, revision + 1)
    order = list(demo_map.lanes.order_by("position").values_list("pk", flat=True))
    assert order[:3] == [lanes[1].pk, lanes[2].pk, lanes[0].pk]

    # The first step of the first stage dropped on the left half of the second stage's first step.
    stages = list(demo_map.stages.order_by("position"))
    step = stages[0].steps.order_by("position").first()
    into = stages[1].steps.order_by("position").first()
    grid.locator(f"#step-{step.pk}").drag_to(
        grid.locator(f"#step-{into.pk}"), target_position={"x": 12, "y": 20}
    )
    saved_at(page, revision + 2)
    step.refresh_from_db()
    assert (step.stage_id, step.position) == (stages[1].pk, 0)
    expect(grid.locator(f'#step-{step.pk}[data-stage-id="{stages[1].pk}"]')).to_be_visible()


def test_cards_and_headers_move_from_the_keyboard(page, sign_in, demo_map):
    sign_in(page, "editor", demo.demo_password("editor"))
    open_map(page, demo_map)
    steps = list(demo_map.steps.order_by("stage__position", "position"))
    lanes = list(demo_map.lanes.order_by("position"))
    card = Card.objects.filter(lane=lanes[0], step=steps[0]).first()
    revision = revision_of(demo_map)

    card_locator(page, card).focus()
    page.keyboard.press("Alt+ArrowRight")
    saved_at(page, revision + 1)
    expect(card_locator(page, card)).to_be_focused()  # focus follows the card
    expect(page.locator("#editor-announcer")).to_have_text(
        re.compile(rf"^Card moved to {lanes[0].title}, step ")
    )
    card.refresh_from_db()
    assert card.step_id == steps[1].pk

    in_cell = Card.objects.filter(lane=lanes[0], step=steps[1]).count()
    assert card.position == 0 and in_cell == 2  # it kept its place (first) in a cell with one other card

    page.keyboard.press("Alt+ArrowDown")  # down within the cell…
    saved_at(page, revision + 2)
    card.refresh_from_db()
    assert (card.lane_id, card.step_id, card.position) == (lanes[0].pk, steps[1].pk, 1)
    page.keyboard.press("Alt+ArrowDown")  # …and at its bottom, on to the next lane
    saved_at(page, revision + 3)
    card.refresh_from_db()
    assert (card.lane_id, card.step_id, card.position) == (lanes[1].pk, steps[1].pk, 0)

    # A lane header moves down with Alt+ArrowDown; a stage header right with Alt+ArrowRight.
    page.locator(f"#lane-{lanes[0].pk}").focus()
    page.keyboard.press("Alt+ArrowDown")
    saved_at(page, revision + 4)
    assert list(demo_map.lanes.order_by("position").values_list("pk", flat=True))[:2] == [
        lanes[1].pk,
        lanes[0].pk,
    ]
    expect(page.locator("#editor-announcer")).to_have_text(f"Lane moved to position 2 of {len(lanes)}.")
    first_stage = demo_map.stages.order_by("position").first()
    page.locator(f"#stage-{first_stage.pk}").focus()
    page.keyboard.press("Alt+ArrowRight")
    saved_at(page, revision + 5)
    assert Stage.objects.get(pk=first_stage.pk).position == 1


def centred(locator):
    """Scroll an element to the middle of the viewport, as a person would before using it: Playwright
    scrolls only to the edge, where the sticky stage and step headers cover the card's hover tools."""
    locator.evaluate("el => el.scrollIntoView({block: 'center', inline: 'center'})")
    locator.focus()  # the hover tools also show on focus, so they stay put while the mouse travels
    return locator


def test_deleting_and_undoing(page, sign_in, demo_map, screenshot):
    sign_in(page, "editor", demo.demo_password("editor"))
    open_map(page, demo_map)
    pains = Lane.objects.get(journey=demo_map, kind=LaneKind.PAIN_POINTS)
    first, second = Card.objects.filter(lane=pains).order_by("step__stage__position", "step__position")[:2]
    revision = revision_of(demo_map)

    # The card's delete tool, then the toast's Undo.
    element = centred(card_locator(page, first))
    element.hover()
    element.get_by_role("button", name="Delete card").click()
    expect(card_locator(page, first)).to_have_count(0)
    toast = page.locator(".editor-toast", has_text=re.compile(r"^Card “.+” deleted"))
    expect(toast).to_be_visible()
    screenshot(page, "editor-undo-toast")
    assert not Card.objects.filter(pk=first.pk).exists()
    toast.get_by_role("button", name="Undo").click()
    expect(card_locator(page, first)).to_be_visible()
    assert Card.objects.filter(pk=first.pk, lane=pains).exists()

    # Delete from the keyboard, Ctrl+Z brings it back.
    card_locator(page, second).focus()
    page.keyboard.press("Delete")
    expect(card_locator(page, second)).to_have_count(0)
    page.locator("body").press("Control+z")
    expect(card_locator(page, second)).to_be_visible()
    assert Card.objects.get(pk=second.pk).text == second.text

    # A whole lane from its menu, back from Recently deleted.
    lane_cards = pains.cards.count()
    head = page.locator(f"#lane-{pains.pk}")
    head.hover()
    head.locator(".el-menu__btn").click()
    head.get_by_role("button", name=re.compile("^Delete lane")).click()
    # A lane with cards asks first, naming how many go with it.
    dialog = page.locator("dialog.confirm-dialog")
    expect(dialog).to_contain_text(f"and its {lane_cards} cards?")
    dialog.get_by_role("button", name="Delete lane").click()
    expect(page.locator(f"#lane-{pains.pk}")).to_have_count(0)
    page.locator(".editor-toast__close").first.click()
    trash = page.locator("details.trash-menu")
    trash.locator("summary").click()
    entry = trash.locator(".ed-trash__item", has_text="Pain points")
    expect(entry).to_contain_text(f"{lane_cards} cards")
    screenshot(page, "editor-recently-deleted")
    entry.get_by_role("button", name="Restore").click()
    expect(page.locator(f"#lane-{pains.pk}")).to_be_visible()
    assert Lane.objects.get(pk=pains.pk).cards.count() == lane_cards
    assert revision_of(demo_map) == revision + 6


def test_ctrl_z_pressed_while_the_delete_is_on_its_way_undoes_it(page, sign_in, demo_map):
    """Delete then Ctrl+Z at once (a CI run pressed Ctrl+Z in the 20 ms between the card leaving the grid
    and the answer's undo entry): the undo waits for the delete's answer and puts that card back."""
    sign_in(page, "editor", demo.demo_password("editor"))
    open_map(page, demo_map)
    card = Card.objects.filter(lane__journey=demo_map, lane__kind=LaneKind.PAIN_POINTS).order_by("pk").first()
    held = []
    delete_url = reverse("journeys:editor_card_delete", args=[card.pk])
    page.route(f"**{delete_url}", lambda route: held.append(route))

    centred(card_locator(page, card))
    page.keyboard.press("Delete")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(20)
    assert held, "the delete request was never sent"
    page.locator("body").press("Control+z")  # before the answer
    page.wait_for_timeout(100)
    held[0].fulfill(response=held[0].fetch())

    expect(card_locator(page, card)).to_be_visible()
    expect(page.locator(".editor-toast", has_text="Nothing to undo")).to_have_count(0)
    assert Card.objects.filter(pk=card.pk, text=card.text).exists()


def test_two_people_edit_the_same_card_and_the_second_reapplies(
    new_page, sign_in, journey, editor, admin, screenshot
):
    card = Card.objects.filter(journey=journey).exclude(lane__kind=LaneKind.EMOTIONS).order_by("pk").first()
    bob, alice = new_page(), new_page()
    sign_in(bob, editor.username, factories.PASSWORD)
    sign_in(alice, admin.username, factories.PASSWORD)
    open_map(bob, journey)
    open_map(alice, journey)

    # Bob starts typing; Alice saves first.
    card_locator(bob, card).click()
    bob_text = bob.locator(f"form#card-{card.pk} textarea[name=text]")
    bob_text.fill("Bob's wording")
    card_locator(alice, card).click()
    alice.locator(f"form#card-{card.pk} textarea[name=text]").fill("Alice's wording")
    alice.keyboard.press("Enter")
    expect(card_locator(alice, card)).to_contain_text("Alice's wording")

    bob_text.press("Enter")
    conflict = bob.locator(f"form#card-{card.pk} .conflict")
    expect(conflict).to_contain_text("Alice Admin changed the text of this card while you were editing")
    expect(conflict.locator(".conflict__theirs")).to_contain_text("Alice's wording")
    expect(bob.locator(f"form#card-{card.pk} textarea[name=text]")).to_have_value("Bob's wording")
    screenshot(bob, "editor-conflict")
    assert Card.objects.get(pk=card.pk).text == "Alice's wording"

    bob.locator(f"form#card-{card.pk}").get_by_role("button", name="Use my text").click()
    expect(card_locator(bob, card)).to_contain_text("Bob's wording")
    assert Card.objects.get(pk=card.pk).text == "Bob's wording"


def test_keep_theirs_leaves_the_other_persons_text(new_page, sign_in, journey, editor, admin):
    card = Card.objects.filter(journey=journey).exclude(lane__kind=LaneKind.EMOTIONS).order_by("pk").first()
    page = new_page()
    sign_in(page, editor.username, factories.PASSWORD)
    open_map(page, journey)
    card_locator(page, card).click()
    page.locator(f"form#card-{card.pk} textarea[name=text]").fill("Mine")
    services.card_update(card_id=card.pk, by=admin, text="Theirs")
    page.keyboard.press("Enter")
    form = page.locator(f"form#card-{card.pk}")
    form.get_by_role("button", name="Keep theirs").click()
    expect(card_locator(page, card)).to_contain_text("Theirs")
    assert Card.objects.get(pk=card.pk).text == "Theirs"


def test_comments_open_in_the_side_panel_and_the_badge_counts_them(page, sign_in, demo_map, screenshot):
    sign_in(page, "editor", demo.demo_password("editor"))
    open_map(page, demo_map)
    card = Card.objects.filter(
        journey=demo_map, lane__kind=LaneKind.PAIN_POINTS, comments__isnull=True
    ).first()
    element = centred(card_locator(page, card))
    element.hover()
    element.get_by_role("button", name="Comments (0)").click()
    panel = page.locator("#side-panel")
    expect(panel).to_be_visible()
    panel.locator("textarea[name=body]").fill("Which interviews said this? @viewer")
    panel.get_by_role("button", name="Comment", exact=True).click()
    expect(panel).to_contain_text("Which interviews said this?")
    badge = card_locator(page, card).get_by_role("button", name="Comments (1)")
    badge.scroll_into_view_if_needed()
    expect(badge).to_be_visible()
    screenshot(page, "editor-comments")
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()


def test_a_viewer_gets_no_editor_but_may_comment(page, sign_in, demo_map):
    sign_in(page, "viewer", demo.demo_password("viewer"))
    page.goto(reverse("journeys:map", args=[demo_map.pk]))
    expect(page.locator(".map__stage-title").first).to_be_visible()
    expect(page.locator("#editor")).to_have_count(0)
    expect(page.locator("[draggable=true], .cell-add, .el-menu, .score-picker")).to_have_count(0)
    card = Card.objects.filter(journey=demo_map).order_by("pk").first()
    element = card_locator(page, card)
    element.click()  # a viewer's click opens nothing
    expect(page.locator("form[data-card-form]")).to_have_count(0)
    element.hover()
    element.get_by_role("button", name=re.compile(r"^Comments \(\d+\)$")).click()
    expect(page.locator("#side-panel textarea[name=body]")).to_be_visible()


def test_the_editor_screens(page, sign_in, demo_map, screenshot):
    """Screenshots of the editor as people meet it (artifacts/screenshots/editor*.png)."""
    sign_in(page, "editor", demo.demo_password("editor"))
    open_map(page, demo_map)
    shot = screenshot(page, "editor")
    assert shot.stat().st_size > 20_000

    card = (
        Card.objects.filter(journey=demo_map, lane__kind=LaneKind.ACTIONS)
        .order_by("step__stage__position")
        .first()
    )
    card_locator(page, card).hover()
    screenshot(page, "editor-card-hover")
    card_locator(page, card).click()
    expect(page.locator(f"form#card-{card.pk} textarea")).to_have_count(2)
    screenshot(page, "editor-card-edit")
    page.keyboard.press("Escape")

    lane = Lane.objects.get(journey=demo_map, kind=LaneKind.TOUCHPOINTS)
    head = page.locator(f"#lane-{lane.pk}")
    head.hover()
    head.locator(".el-menu__btn").click()
    expect(head.locator(".kind-grid")).to_be_visible()
    screenshot(page, "editor-lane-menu")
    page.keyboard.press("Escape")

    step = demo_map.steps.order_by("stage__position", "position").first()
    page.locator(f"#step-{step.pk}").dblclick()
    expect(page.locator(f"form#step-form-{step.pk} input[name=title]")).to_be_focused()
    screenshot(page, "editor-step-rename")


def test_an_empty_map_invites_the_first_stage(page, sign_in, workspace, admin, editor):
    journey = factories.make_journey(workspace, by=admin, title="Blank slate")
    sign_in(page, editor.username, factories.PASSWORD)
    open_map(page, journey)
    expect(page.get_by_text("This map is empty")).to_be_visible()
    page.locator(".map-empty").get_by_role("button", name="Add a stage").click()
    page.locator("form.element-pop input[name=title]").fill("Discover")
    page.keyboard.press("Enter")
    expect(page.locator(".map__stage-title")).to_have_text(["Discover"])
    assert list(journey.stages.values_list("title", flat=True)) == ["Discover"]
    assert Step.objects.filter(journey=journey).count() == 1


def test_a_member_whose_role_drops_to_viewer_is_told_so(page, sign_in, journey, editor, workspace):
    sign_in(page, editor.username, factories.PASSWORD)
    open_map(page, journey)
    card = Card.objects.filter(journey=journey).exclude(lane__kind=LaneKind.EMOTIONS).order_by("pk").first()
    factories.add_member(workspace, editor, Role.VIEWER)
    card_locator(page, card).focus()
    page.keyboard.press("Delete")
    expect(page.locator(".editor-toast--error")).to_contain_text("You can no longer edit this map")
    assert Card.objects.filter(pk=card.pk).exists()
