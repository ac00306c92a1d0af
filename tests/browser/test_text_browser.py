"""People's text in a real browser: right-to-left text reads right to left, no text leaves its box at any
length (desktop and phone), stage names are never cut, inputs never drop what is typed or pasted, and
deleting a non-empty lane asks first and says what went with it."""

import re
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from journeys import services
from journeys.forms.editor import CardForm, StageForm
from journeys.models import Card, Journey, Lane, LaneKind, Stage
from tests import factories

SHOTS = Path("/work/notes/shots")
PHONE = {"width": 390, "height": 844}
LONG_WORD = "Supercalifragilisticexpialidocious" * 4  # 136 letters, no break opportunity
URL = "https://example.com/" + "very-long-path-segment/" * 12 + "?query=" + "x" * 80
ARABIC = "هل هذا آمن حقا؟ لا أعرف بعد!"

# Each selector of text someone typed, and the box it must stay inside.
BOXES = [
    (".chip-channel", ".map__cell"),
    (".card__text", ".map__cell"),
    (".card__note", ".map__cell"),
    (".map__stage-title", ".map__stage"),
    (".map__step-title", ".map__step"),
    (".map__lane-title", ".map__lane"),
    (".map__drill", ".map__step"),
]

OVERFLOWS = """([pairs, page]) => {
  const out = [];
  const viewport = document.documentElement.clientWidth;
  for (const [sel, boxSel] of pairs) {
    for (const el of document.querySelectorAll(sel)) {
      if (!el.checkVisibility()) continue;  // hidden (a lane hidden in present mode, a closed <details>)
      const box = el.closest(boxSel);
      const r = el.getBoundingClientRect();
      const b = (box || document.body).getBoundingClientRect();
      const span = (x) => `[${Math.round(x.left)}, ${Math.round(x.right)}]`;
      if (r.left < b.left - 1 || r.right > b.right + 1)
        out.push(`${sel} ${span(r)} outside ${boxSel} ${span(b)}: ${el.textContent.trim().slice(0, 40)}`);
      if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflow !== "visible")
        out.push(`${sel} cut: scrollWidth ${el.scrollWidth} > ${el.clientWidth}`);
      if (getComputedStyle(el).textOverflow === "ellipsis" && el.scrollWidth > el.clientWidth + 1)
        out.push(`${sel} ends in an ellipsis`);
    }
  }
  // Page text stays within the page, unless a box that scrolls or clips holds it (the phone header's
  // one-line breadcrumb and scrolling facts row).
  const clipped = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement)
      if (getComputedStyle(a).overflowX !== "visible") return true;
    return false;
  };
  for (const el of document.querySelectorAll(page)) {
    if (!el.checkVisibility() || clipped(el)) continue;
    const r = el.getBoundingClientRect();
    const spills = el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === "visible";
    if (r.right > viewport + 1 || spills)
      out.push(`${el.tagName}.${el.className} runs past the page (${Math.round(r.right)} > ${viewport})`);
  }
  return out;
}"""
PAGE_TEXT = ", ".join(
    ["h1", ".crumbs a", ".crumbs span", ".map-desc", ".kv dd", ".tag", ".jtitle__name a", ".jtitle__persona"]
    + [".map-head summary", ".map-head__actions"]
)


def shoot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"fronta-{name}.png"))


@pytest.fixture
def long_map(admin, editor, workspace):
    """A map where people typed long text everywhere: unbroken words, a URL, 60-character channels,
    120-character stage/step/lane names (the limits), Arabic."""
    parent = factories.make_journey(workspace, by=admin, title="P" + LONG_WORD)
    journey = services.journey_create(
        workspace=workspace,
        by=admin,
        title="Journey " + LONG_WORD,
        description="See " + URL,
        persona=LONG_WORD,
        tags=["t" * 40],
        parent=parent,
    )
    long_stage = ("Stage " + LONG_WORD)[:120]
    stage = services.stage_create(
        journey_id=journey.pk, by=admin, title=long_stage, description="Why it matters"
    )
    step = Stage.objects.get(pk=stage.pk).steps.get()
    services.step_update(step_id=step.pk, by=admin, title=("Step " + LONG_WORD)[:120])
    second = services.stage_create(journey_id=journey.pk, by=admin, title="Short")
    services.stage_create(journey_id=journey.pk, by=admin, title="مرحلة الشراء والدفع عبر الإنترنت!")
    touch = services.lane_create(journey_id=journey.pk, by=admin, title="Channels", kind=LaneKind.TOUCHPOINTS)
    pain = services.lane_create(
        journey_id=journey.pk, by=admin, title=("Lane " + LONG_WORD)[:120], kind="pain_points"
    )
    thoughts = services.lane_create(journey_id=journey.pk, by=admin, title="Thinks", kind=LaneKind.THOUGHTS)
    services.card_create(lane_id=touch.pk, step_id=step.pk, by=editor, text="Signs up", channel="C" * 60)
    services.card_create(
        lane_id=touch.pk, step_id=step.pk, by=editor, text=ARABIC, channel="البريد الإلكتروني"
    )
    services.card_create(lane_id=pain.pk, step_id=step.pk, by=editor, text=URL, note=LONG_WORD)
    services.card_create(lane_id=pain.pk, step_id=step.pk, by=editor, text=ARABIC)
    services.card_create(lane_id=thoughts.pk, step_id=step.pk, by=editor, text="“Is this safe?”")
    services.card_create(lane_id=thoughts.pk, step_id=step.pk, by=editor, text="Is this safe?")
    child = services.journey_create(workspace=workspace, by=admin, title="Sub " + LONG_WORD, parent=journey)
    services.step_update(step_id=step.pk, by=admin, sub_journey=child)
    for _ in range(7):
        services.card_create(lane_id=pain.pk, step_id=second.steps.get().pk, by=editor, text="Slow page")
    return journey


def boxes_hold(page):
    problems = page.evaluate(OVERFLOWS, [BOXES, PAGE_TEXT])
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_long_text_stays_in_its_box(new_page, sign_in, admin, viewer, long_map, viewport):
    size = PHONE if viewport == "phone" else {"width": 1440, "height": 900}
    for who in (admin, viewer):
        page = new_page(viewport=size)
        sign_in(page, who.username, factories.PASSWORD)
        page.goto(reverse("journeys:map", args=[long_map.pk]))
        expect(page.locator("#map-grid")).to_be_visible()
        boxes_hold(page)
        # The whole stage name is there to read, and its tooltip names it in full (with its description).
        title = page.locator(".map__stage-title").first
        full = long_map.stages.order_by("position").first().title
        expect(title).to_have_text(full)
        expect(title).to_have_attribute("title", f"{full}\nWhy it matters")
        box = title.bounding_box()
        assert box["height"] > 30, "a 120-character stage name wraps onto several lines"
        # The step row sticks right below the (taller) stage row.
        stage_bottom = page.locator(".map__stage").first.bounding_box()
        step_top = page.locator(".map__step").first.bounding_box()["y"]
        assert abs(step_top - (stage_bottom["y"] + stage_bottom["height"])) <= 1
        if who == admin:
            shoot(page, f"map-long-{viewport}")
    page.goto(reverse("journeys:present", args=[long_map.pk]))
    boxes_hold(page)
    expect(page.locator(".map__stage-title").first).to_have_text(full)
    shoot(page, f"present-long-{viewport}")
    page.goto(reverse("journeys:list"))
    boxes_hold(page)
    shoot(page, f"list-long-{viewport}")


def test_right_to_left_text_reads_right_to_left(page, sign_in, viewer, long_map):
    sign_in(page, viewer.username, factories.PASSWORD)
    page.goto(reverse("journeys:map", args=[long_map.pk]))
    arabic = page.locator(".card__text", has_text="هل هذا آمن")
    expect(arabic.first).to_be_visible()
    for element in arabic.all():
        assert element.evaluate("e => getComputedStyle(e).direction") == "rtl"
    english = page.locator(".card__text", has_text="Slow page").first
    assert english.evaluate("e => getComputedStyle(e).direction") == "ltr"
    stage = page.locator(".map__stage-title", has_text="مرحلة")
    assert stage.evaluate("e => getComputedStyle(e).direction") == "rtl"
    # The final "!" of an Arabic sentence shows at its left end, where Arabic ends: the text's last
    # character sits left of its first.
    ends = stage.evaluate(
        """e => { const r = document.createRange(); const t = e.firstChild;
        r.setStart(t, 0); r.setEnd(t, 1); const first = r.getBoundingClientRect().left;
        r.setStart(t, t.length - 1); r.setEnd(t, t.length);
        return [first, r.getBoundingClientRect().left]; }"""
    )
    assert ends[1] < ends[0]
    # Quotes are not doubled: a thought already in quotes gets none added; one without gets a pair.
    quoted = page.locator(".card--thoughts .card__text", has_text="“Is this safe?”")
    plain = page.locator(".card--thoughts .card__text").filter(has_not_text="“Is")
    assert quoted.evaluate("e => getComputedStyle(e, '::before').content") == "none"
    assert plain.evaluate("e => getComputedStyle(e, '::before').content") == '"“"'
    page.set_viewport_size(PHONE)
    shoot(page, "map-rtl-phone")
    page.set_viewport_size({"width": 1440, "height": 900})
    shoot(page, "map-rtl-desktop")


def test_pasting_too_much_is_refused_with_a_counter_and_nothing_is_lost(page, sign_in, editor, long_map):
    card = Card.objects.filter(journey=long_map, text="Signs up").get()
    sign_in(page, editor.username, factories.PASSWORD)
    page.goto(reverse("journeys:map", args=[long_map.pk]))
    page.locator(f"article#card-{card.pk}").click()
    text = page.locator(f"#card-text-{card.pk}")
    expect(text).to_be_focused()
    limit = CardForm().fields["text"].max_length  # characters, as the model and the API count them
    pasted = "word " * 2000  # 10,000 characters
    over = 10_000 - limit
    counter = text.locator("xpath=following-sibling::*[1]")
    text.fill(pasted)
    expect(counter).to_have_text(f"10,000 / {limit:,} · {over:,} too many")
    text.press("Enter")
    message = page.locator(f"form#card-{card.pk} .char-error")
    expect(message).to_contain_text(f"Card text is {over:,} characters too long (10,000 / {limit:,})")
    assert len(text.input_value()) == 10_000, "everything pasted is still there"
    assert Card.objects.get(pk=card.pk).text == "Signs up"
    # Characters, not UTF-16 units: letters and an emoji up to the limit are within it (the emoji is one
    # character, two UTF-16 units).
    text.fill("a" * (limit - 1) + "😀")
    expect(counter).to_have_text(f"{limit:,} / {limit:,}")
    expect(message).to_have_count(0)
    text.press("Enter")
    expect(page.locator(f"article#card-{card.pk}")).to_be_visible()
    assert Card.objects.get(pk=card.pk).text == "a" * (limit - 1) + "😀"

    # A stage name 30 characters over the limit is not cut to the limit: it stays as typed, with the reason.
    stage = page.locator(".map__stage").nth(1)
    stage.dblclick()
    name = page.locator("form.element-pop input[name=title]")
    expect(name).to_be_focused()
    limit = StageForm().fields["title"].max_length
    name.fill("N" * (limit + 30))
    name.press("Enter")
    expect(page.locator("form.element-pop .char-error")).to_contain_text(
        "Stage name is 30 characters too long"
    )
    assert len(name.input_value()) == limit + 30
    assert Stage.objects.filter(journey=long_map, title="Short").exists()
    shoot(page, "stage-name-too-long")


def test_deleting_a_lane_with_cards_asks_then_says_what_went_and_undo_brings_it_back(
    page, sign_in, editor, long_map
):
    lane = Lane.objects.get(journey=long_map, kind=LaneKind.PAIN_POINTS)
    count = lane.cards.count()
    sign_in(page, editor.username, factories.PASSWORD)
    page.goto(reverse("journeys:map", args=[long_map.pk]))
    header = page.locator(f"#lane-{lane.pk}")
    header.hover()
    header.locator("summary.el-menu__btn").click()
    header.get_by_role("button", name=re.compile("^Delete lane")).click()
    dialog = page.locator("dialog.confirm-dialog")
    expect(dialog).to_contain_text(f"Delete the lane “{lane.title}” and its {count} cards?")
    expect(dialog.get_by_role("button", name="Keep it")).to_be_focused()
    page.keyboard.press("Escape")  # Esc keeps it
    expect(dialog).to_have_count(0)
    assert Lane.objects.filter(pk=lane.pk).exists()

    header.hover()
    header.locator("summary.el-menu__btn").click()
    header.get_by_role("button", name=re.compile("^Delete lane")).click()
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Delete lane")).to_be_focused()
    page.keyboard.press("Enter")
    toast = page.locator(".editor-toast").last
    expect(toast).to_contain_text(f"Lane “{lane.title[:59]}…” deleted with {count} cards")
    expect(toast).to_contain_text("Recently deleted")
    assert not Lane.objects.filter(pk=lane.pk).exists()
    shoot(page, "lane-deleted-toast")
    toast.get_by_role("button", name="Undo").click()
    expect(page.locator(f"#lane-{lane.pk}")).to_be_visible()
    assert Lane.objects.get(pk=lane.pk).cards.count() == count
    assert Journey.objects.get(pk=long_map.pk).lanes.count() == 3


def test_long_text_stays_on_the_page_of_history_compare_and_copy(new_page, sign_in, admin, long_map):
    """The pages around the map (a past version, a diff, compare, copy, start from) hold a 136-letter word
    someone typed at phone width: nothing makes the page scroll sideways."""
    from journeys.services import versioning

    version = versioning.version_save(journey_id=long_map.pk, by=admin, label="Label " + LONG_WORD)
    other = factories.make_journey(long_map.workspace, by=admin, title="Other " + LONG_WORD)
    factories.make_map(other, cards=4)
    page = new_page(viewport=PHONE)
    sign_in(page, admin.username, factories.PASSWORD)
    for url in [
        reverse("journeys:version_detail", args=[long_map.pk, version.pk]),
        reverse("journeys:version_diff", args=[long_map.pk]) + f"?from={version.pk}&to=now",
        reverse("journeys:versions", args=[long_map.pk]),
        reverse("journeys:compare", args=[long_map.pk]) + f"?with={other.pk}",
        reverse("journeys:copy", args=[long_map.pk]),
        reverse("journeys:new_from"),
    ]:
        page.goto(url)
        width = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert width[0] <= width[1], f"{url} scrolls sideways: {width}"
    shoot(page, "review-new-from-long-phone")
