"""The priorities queue in the browser: a viewer opens Priorities from the top navigation, narrows the ranked
list with the filters (HTMX swaps the results and the address follows, so Back and a shared link give the
same list), opens the impact/effort matrix with the same filters, follows a card to its map (the card is on
screen there) and to its evidence; an editor scores a card from the queue's "Not scored" link and finds it
ranked. axe-core finds nothing on a desktop (1440×900) and on a phone (390×844); screenshots go to
artifacts/screenshots/ and /work/notes/shots/prio_queue_*.png when that folder exists."""

import re

from django.urls import reverse
from playwright.sync_api import expect

from journeys.models import Card, LaneKind, Stage, StandardStage
from prioritization import services
from prioritization.models import Initiative, InitiativeCard, Status
from research import services as research_services
from tests import factories

from .axe import assert_accessible

PHONE = {"width": 390, "height": 844}
PAINS = [
    "Invoice e-mail lands in spam", "Trial asks for a credit card on day one",
    "Import of old data fails silently", "No way to invite the finance team",
    "Set-up call offered only after the trial ends",
    "Password reset link expires in 5 minutes", "Plan names do not say what is included",
    "Renewal notice comes a day before", "Support ticket routed to the wrong queue",
    "Dashboard shows last week's numbers",
]  # fmt: skip
OPPORTUNITIES = [
    "Guided import with a preview", "Offer a set-up call in week one", "Monthly invoice digest for finance",
    "Explain plans with a comparison table", "Proactive renewal reminder 30 days ahead",
    "In-app chat for billing questions",
]  # fmt: skip
VALUES = [  # customer impact, business impact, effort, strategic alignment: every quadrant, some ties
    (5, 5, 1, 5), (4, 4, 2, 3), (5, 4, 5, 4), (2, 1, 1, 2), (1, 2, 4, 1), (4, 5, 4, 4), (3, 3, 2, 3),
    (2, 2, 5, 2), (5, 3, 3, 5), (3, 4, 1, 4), (4, 4, 2, 3), (1, 1, 2, 1), (5, 5, 3, 4), (2, 3, 4, 2),
]  # fmt: skip
KEYS = ("customer_impact", "business_impact", "effort", "strategic_alignment")


def _journey(workspace, admin, title, texts, **fields):
    """A map whose pain-point and opportunity cards carry `texts` (in order)."""
    journey = factories.make_journey(workspace, by=admin, title=title, **fields)
    factories.make_map(journey, stages=2, steps_per_stage=2, lanes=5, cards=40)
    Stage.objects.filter(journey=journey, position=0).update(standard_stage=StandardStage.ONBOARDING)
    Stage.objects.filter(journey=journey, position=1).update(standard_stage=StandardStage.ENGAGEMENT)
    cards = list(
        Card.objects.filter(journey=journey, lane__kind__in=[LaneKind.PAIN_POINTS, LaneKind.OPPORTUNITIES])
        .select_related("lane")
        .order_by("lane__position", "pk")
    )
    pains = [c for c in cards if c.lane.kind == LaneKind.PAIN_POINTS]
    opportunities = [c for c in cards if c.lane.kind == LaneKind.OPPORTUNITIES]
    for card, text in zip(pains + opportunities, texts, strict=False):
        Card.objects.filter(pk=card.pk).update(text=text)
    return journey, pains, opportunities


def _portfolio(workspace, admin, editor):
    onboarding, pains, opportunities = _journey(
        workspace, admin, "Self-serve onboarding", PAINS[:8] + OPPORTUNITIES[:8], tags=["Onboarding"]
    )
    billing, billing_pains, billing_opps = _journey(
        workspace, admin, "Billing and renewal", PAINS[2:] + OPPORTUNITIES[2:], owner=editor,
        parent=onboarding, tags=["Billing"],
    )  # fmt: skip
    scored = (pains + opportunities)[:9] + (billing_pains + billing_opps)[:5]
    for card, values in zip(scored, VALUES, strict=True):
        services.score_set(card_id=card.pk, by=admin, values=dict(zip(KEYS, values, strict=True)))
    study = research_services.study_create(
        workspace_id=workspace.pk, by=admin, title="Calls", method="interviews"
    )
    survey = research_services.study_create(
        workspace_id=workspace.pk, by=admin, title="Survey", method="survey"
    )
    for n in range(9):  # the first card: strong evidence; the third: weak
        evidence = research_services.evidence_create(
            workspace_id=workspace.pk, by=admin, text=f"Heard in call {n}", study=(study, survey)[n % 2].pk,
            participant=f"P{n}",
        )  # fmt: skip
        research_services.link_create(evidence_id=evidence.pk, by=admin, card=scored[0].pk)
        if n < 1:
            research_services.link_create(evidence_id=evidence.pk, by=admin, card=scored[2].pk)
    shipping = Initiative.objects.create(
        workspace=workspace, title="Spam-proof invoices", status=Status.IN_PROGRESS
    )
    InitiativeCard.objects.create(initiative=shipping, card=scored[0], added_by=admin)
    return onboarding, billing, scored, [c for c in pains + opportunities if c not in scored]


def test_find_filter_and_follow_the_queue(new_page, sign_in, workspace, admin, editor, viewer, screenshot):
    onboarding, billing, scored, unscored = _portfolio(workspace, admin, editor)
    queue_url = reverse("prioritization:queue")

    page = new_page(bypass_csp=True)  # for axe-core only
    sign_in(page, viewer.username, factories.PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Priorities").click()
    expect(page).to_have_url(re.compile(re.escape(queue_url) + "$"))
    expect(page.get_by_role("heading", name="Priorities", level=1)).to_be_visible()
    rows = page.locator(".q-row")
    expect(rows.first).to_contain_text("Invoice e-mail lands in spam")
    expect(rows.first).to_contain_text("100 Top")
    expect(rows.first).to_contain_text("Strong")
    expect(rows.first).to_contain_text("In progress")
    expect(page.locator(".results__meta")).to_contain_text("32 cards")
    assert_accessible(page, "the queue")
    screenshot(page, "prio_queue_list_desktop")

    # Filters: HTMX swaps the results; the address keeps them.
    page.get_by_label("Lane").select_option("opportunities")
    expect(page).to_have_url(re.compile(r"kind=opportunities"))
    expect(page.locator(".results__meta")).to_contain_text("16 cards match")
    for kind in page.locator(".q-kind").all_inner_texts():
        assert kind == "Opportunity"
    page.get_by_label("Journey (and its sub-journeys)").select_option(label="\u2003Billing and renewal")
    expect(page.locator(".results__meta")).to_contain_text("8 cards match")
    page.get_by_label("Sort").select_option("effort")
    expect(page).to_have_url(re.compile(r"sort=effort"))
    page.go_back()
    expect(page.get_by_label("Sort")).to_have_value("priority")
    page.goto(queue_url)

    # The matrix: the same filters, each quadrant named and listed with numbers.
    page.get_by_role("link", name="Impact/effort matrix").click()
    chart = page.get_by_role("img", name="Impact/effort matrix")
    expect(chart).to_be_visible()
    quick = page.get_by_role("region", name=re.compile("^Quick wins"))
    expect(quick.locator("li").first).to_contain_text("Invoice e-mail lands in spam")
    expect(quick.locator("li").first).to_contain_text("impact 100 · effort 0")
    for name in ("Big bets", "Fill-ins", "Money pits"):
        expect(page.get_by_role("region", name=re.compile(f"^{name}"))).to_be_visible()
    expect(page.locator(".q-unplaced")).to_contain_text("18 cards cannot be placed yet")
    assert_accessible(page, "the matrix")
    screenshot(page, "prio_queue_matrix_desktop")

    # A row leads to its card on the map (in view there) and to its evidence.
    page.goto(queue_url)
    first = page.locator(".q-row").first
    first.get_by_role("link", name=re.compile("Invoice e-mail lands in spam")).click()
    card = page.locator(f"#card-{scored[0].pk}")
    expect(card).to_be_in_viewport()
    expect(page).to_have_url(re.compile(rf"view=priority#card-{scored[0].pk}$"))
    # …and marked there: the card the link named is outlined, its neighbours are not.
    expect(card).to_have_css("outline-style", "solid")
    expect(page.locator(f"#card-{scored[1].pk}")).to_have_css("outline-style", "none")
    page.goto(queue_url)
    page.locator(".q-row").first.get_by_role("link", name=re.compile("9 items")).click()
    expect(page.get_by_text("Heard in call 0")).to_be_visible()

    # On a phone: the same list, each card a block with its figures named; the matrix above its lists.
    phone = new_page(bypass_csp=True, viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(phone, viewer.username, factories.PASSWORD)
    phone.goto(queue_url)
    expect(phone.locator(".q-row").first.get_by_text("Priority", exact=True)).to_be_visible()
    assert_accessible(phone, "the queue on a phone")
    screenshot(phone, "prio_queue_list_phone")
    phone.goto(reverse("prioritization:queue_matrix"))
    expect(phone.get_by_role("img", name="Impact/effort matrix")).to_be_visible()
    assert_accessible(phone, "the matrix on a phone")
    screenshot(phone, "prio_queue_matrix_phone")
    assert phone.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_score_a_card_from_the_queue_and_find_it_ranked(
    new_page, sign_in, workspace, admin, editor, screenshot
):
    onboarding, billing, scored, unscored = _portfolio(workspace, admin, editor)
    target = unscored[0]
    page = new_page()
    sign_in(page, editor.username, factories.PASSWORD)
    page.goto(reverse("prioritization:queue") + "?unscored=on")
    row = page.locator(f"#queue-card-{target.pk}")
    row.get_by_role("link", name=re.compile("Not scored")).click()
    for name, value in zip(
        ("Customer impact", "Business impact", "Effort", "Strategic alignment"), (5, 5, 1, 4), strict=True
    ):
        group = page.get_by_role("group", name=re.compile(f"^{name}"))
        group.locator(f"input[type=radio][value='{value}']").check(force=True)
    page.get_by_role("button", name="Save score").click()
    expect(page.get_by_role("status")).to_have_text("Score saved.")
    page.goto(reverse("prioritization:queue"))
    # 100·(3·1 + 3·1 + 2·1 + 2·.75)/10 = 95: second only to the card scored 100.
    expect(page.locator(".q-row").nth(1)).to_have_id(f"queue-card-{target.pk}")
    expect(page.locator(".q-row").nth(1)).to_contain_text("95 Top")
    screenshot(page, "prio_queue_scored_desktop")
