"""Initiatives in the browser: an editor moves an initiative on the board with the keyboard alone (a labelled
"Move to" select and its button: no dragging), ships one from its page and sees the outcome with its chart
under the real Content-Security-Policy (the chart's stylesheet carries the nonce); links a pain point found
by search (HTMX). axe-core finds nothing on the list, board, an initiative's page, its forms and the help
page, on a desktop and on a phone. Screenshots: artifacts/screenshots/ and /work/notes/shots/prio_initiative_*
when that folder exists."""

from datetime import date, timedelta
from decimal import Decimal

from django.urls import reverse
from playwright.sync_api import expect

from metrics import services as metric_services
from prioritization.models import Initiative, InitiativeCard
from prioritization.services import initiatives as svc
from tests import factories
from tests.prioritization.initiative_fixtures import pain_cards_of, scored_map

from .axe import assert_accessible

PHONE = {"width": 390, "height": 844}


def _world(workspace, admin, editor):
    journey = scored_map(factories.make_journey(workspace, by=admin, title="Self-serve onboarding"), cards=20)
    metric = metric_services.metric_create(
        journey_id=journey.pk, by=admin, name="Onboarding time", kind="time_to_complete", unit="days"
    )
    items = []
    for i, value in enumerate([30, 29, 31, 30, 24, 22, 21, 20]):
        first = date(2025, 1 + i, 1)
        last = date(2025, 2 + i, 1) - timedelta(days=1)
        items.append(
            {"metric": metric.pk, "period_start": first, "period_end": last, "value": Decimal(value)}
        )
    metric_services.measurements_upsert(journey_id=journey.pk, by=admin, items=items)
    guided = svc.initiative_create(
        workspace_id=workspace.pk, by=editor, title="Guided <setup>", after_days=92
    )
    svc.initiative_target_add(
        initiative_id=guided.pk, by=editor, metric_id=metric.pk, expected_direction="down", expected_size=5
    )
    svc.delivery_link_add(
        initiative_id=guided.pk,
        by=editor,
        provider="jira",
        key="ONB-7",
        url="https://acme.atlassian.net/browse/ONB-7",
    )
    svc.initiative_set_status(initiative=guided, status="in_progress", by=editor, via="person")
    portal = svc.initiative_create(workspace_id=workspace.pk, by=editor, title="Self-serve trust portal")
    return journey, guided, portal


def test_move_on_the_board_by_keyboard_ship_and_see_the_outcome(
    new_page, sign_in, workspace, admin, editor, screenshot
):
    journey, guided, portal = _world(workspace, admin, editor)
    page = new_page()  # the real CSP
    csp_errors = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
    sign_in(page, editor.username, factories.PASSWORD)

    # The board: focus the proposed initiative's "Move to" select, pick with an arrow key, press its button.
    page.goto(reverse("prioritization:initiative_board"))
    select = page.get_by_label("Move “Self-serve trust portal” to")
    select.focus()
    expect(select).to_have_value("planned")
    page.keyboard.press("ArrowDown")  # planned → in progress
    expect(select).to_have_value("in_progress")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Move “Self-serve trust portal”")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("“Self-serve trust portal” is now in progress.")
    column = page.locator("section.ini-col", has=page.get_by_role("heading", name="In progress"))
    expect(column.get_by_role("link", name="Self-serve trust portal")).to_be_visible()
    assert Initiative.objects.get(pk=portal.pk).status == "in_progress"
    screenshot(page, "prio_initiative_board_desktop")

    # Ship the guided setup from its page on 1 May 2025; the outcome and its chart appear.
    page.goto(reverse("prioritization:initiative", args=[guided.pk]))
    expect(page.get_by_role("heading", level=1)).to_have_text("Guided <setup>")
    page.get_by_label("Move to").select_option("shipped")
    page.locator("#id_shipped_date").fill("2025-05-01")
    page.get_by_role("button", name="Change status").click()
    expect(page.get_by_role("status")).to_contain_text("is now shipped.")
    target = page.locator("article.ini-target")
    # The 90 days before 1 May reach back to 31 January, so January counts (it ends inside the window):
    # baseline Jan–Apr 30, 29, 31, 30 → 30; after May–Jul 24, 22, 21 → 22.33; −7.67 days: met (expected −5)
    expect(target.locator(".ini-verdict").first).to_contain_text("Met")
    expect(target).to_contain_text("30 days (4 periods)")
    expect(target).to_contain_text("22.33 days (3 periods)")
    chart = target.locator("svg.metric-chart")
    expect(chart).to_be_visible()
    expect(chart).to_contain_text("Shipped 1 May 2025")

    # Link a pain point found by its words (HTMX swaps the results in; the link posts and comes back).
    card = pain_cards_of(journey)[0]
    page.get_by_label("Link a pain point or opportunity").fill(
        card.text.split()[0] + " " + card.text.split()[1]
    )
    page.get_by_role("button", name="Find").click()
    results = page.locator("#card-results")
    expect(results.get_by_role("button", name=f"Link “{card.text}”").first).to_be_visible()
    results.get_by_role("button", name=f"Link “{card.text}”").first.click()
    expect(page.get_by_role("status")).to_contain_text("Card linked")
    assert InitiativeCard.objects.filter(initiative=guided, card=card).exists()
    screenshot(page, "prio_initiative_detail_desktop", full_page=True)
    assert not csp_errors, csp_errors


def test_initiative_pages_are_accessible_on_a_desktop_and_a_phone(
    new_page, sign_in, workspace, admin, editor, screenshot
):
    _journey, guided, _portal = _world(workspace, admin, editor)
    svc.initiative_set_status(
        initiative=guided, status="shipped", by=editor, via="person", shipped_date=date(2025, 5, 1)
    )
    pages = [
        ("list", reverse("prioritization:initiatives")),
        ("board", reverse("prioritization:initiative_board")),
        ("detail", reverse("prioritization:initiative", args=[guided.pk])),
        ("form", reverse("prioritization:initiative_edit", args=[guided.pk])),
        ("delete", reverse("prioritization:initiative_delete", args=[guided.pk])),
        ("help", reverse("prioritization:outcomes_help")),
    ]
    for size, options in (
        ("desktop", {}),
        ("phone", {"viewport": PHONE, "is_mobile": True, "has_touch": True}),
    ):
        checker = new_page(bypass_csp=True, **options)
        sign_in(checker, editor.username, factories.PASSWORD)
        for name, url in pages:
            checker.goto(url)
            assert_accessible(checker, f"the initiative {name} page ({size})")
            if size == "phone" or name not in ("board", "detail"):
                screenshot(checker, f"prio_initiative_{name}_{size}", full_page=name != "board")
