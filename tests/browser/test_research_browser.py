"""Research pages in the browser: the evidence library searched, a study page, and a card's evidence panel
opened in the map's side panel, where an editor searches evidence and links it, and sees it listed with
the card's level raised. axe-core finds nothing on any of them, on a desktop and on a phone; screenshots
go to artifacts/screenshots/ and /work/notes/shots/research-*.png when that folder exists."""

import datetime

from django.urls import reverse
from playwright.sync_api import expect

from journeys.models import Card, LaneKind
from research import services
from tests import factories

from .axe import assert_accessible

PHONE = {"width": 390, "height": 844}


def _research(workspace, admin):
    study = services.study_create(
        workspace_id=workspace.pk,
        by=admin,
        title="Onboarding interviews, spring 2025",
        method="interviews",
        started_on=datetime.date(2025, 3, 1),
        ended_on=datetime.date(2025, 4, 15),
        participants=24,
        segment="First-time SMB admins",
        summary="Twenty-four remote interviews about the first week with the product.",
        tags=["Onboarding"],
    )
    texts = [
        (
            "quote",
            "I gave up when the setup asked for my tax number — I had no idea where to find it.",
            "P07",
        ),
        ("quote", "The café wifi kept dropping and the setup lost everything I had typed.", "P11"),
        (
            "observation",
            "Three of five participants looked for a “skip for now” link on the tax step.",
            "P02",
        ),
        ("finding", "Setup abandonment is highest on the tax number step (41% of sessions).", ""),
    ]
    items = [
        services.evidence_create(
            workspace_id=workspace.pk,
            by=admin,
            study=study.pk,
            kind=kind,
            text=text,
            participant=who,
            captured_on=datetime.date(2025, 3, 10 + i),
            tags=["Setup", "Tax"] if "tax" in text.lower() else ["Setup"],
        )
        for i, (kind, text, who) in enumerate(texts)
    ]
    return study, items


def test_link_evidence_from_the_map_panel_and_see_it_listed(
    new_page, sign_in, workspace, admin, editor, screenshot
):
    journey = factories.make_journey(workspace, by=admin, title="Self-serve onboarding")
    factories.make_map(journey, stages=2, steps_per_stage=2, lanes=3, cards=6)
    study, items = _research(workspace, admin)
    card = Card.objects.filter(journey=journey).exclude(lane__kind=LaneKind.EMOTIONS).order_by("pk").first()
    services.link_create(evidence_id=items[3].pk, by=admin, card=card.pk)

    page = new_page(bypass_csp=True)  # for axe-core only
    sign_in(page, editor.username, factories.PASSWORD)

    # The library: search without the accent, see the match highlighted as written.
    page.goto(reverse("research:evidence"))
    expect(page.get_by_role("link", name="Research")).to_have_class("is-active")
    page.get_by_role("searchbox", name="Search evidence").fill("cafe")
    expect(page.locator("#evidence-results mark").first).to_have_text("café")
    expect(page.locator("#evidence-results .ev-item")).to_have_count(1)
    assert_accessible(page, "the evidence library (searched)")
    page.get_by_role("searchbox", name="Search evidence").fill("")
    expect(page.locator("#evidence-results .ev-item")).to_have_count(4)
    screenshot(page, "research-library-desktop")

    page.goto(reverse("research:study", args=[study.pk]))
    expect(page.get_by_role("heading", level=1)).to_have_text(study.title)
    expect(page.get_by_role("link", name="Import CSV")).to_be_visible()
    assert_accessible(page, "a study page")
    screenshot(page, "research-study-desktop")

    page.goto(reverse("research:help_confidence"))
    assert_accessible(page, "the confidence help page")

    # The map: the card's evidence panel loads into the side panel (the journeys hook does this on click).
    page.goto(reverse("journeys:map", args=[journey.pk]))
    page.evaluate(
        "url => htmx.ajax('GET', url, {target: '#side-panel-body', swap: 'innerHTML'})",
        reverse("research:card_evidence", args=[card.pk]),
    )
    panel = page.locator("#side-panel")
    expect(panel).to_be_visible()
    evp = panel.locator(f"#card-evidence-{card.pk}")
    expect(evp.locator(".evp__link")).to_have_count(1)
    expect(evp.locator(".ev-level")).to_have_text("Weak")
    search = evp.get_by_role("searchbox", name="Search the workspace's evidence")
    search.fill("tax number")
    result = evp.locator(".evp__result").filter(has_text="I gave up")
    expect(result).to_have_count(1)
    expect(result.locator("mark").first).to_have_text("tax")
    assert_accessible(page, "the card's evidence panel with search results", context="#side-panel")
    result.get_by_role("button", name="Supports").click()
    evp = panel.locator(f"#card-evidence-{card.pk}")
    expect(evp.get_by_role("status")).to_have_text("Evidence linked.")
    expect(evp.locator(".evp__link")).to_have_count(2)
    expect(evp.locator(".evp__link").filter(has_text="I gave up")).to_contain_text("Supports")
    expect(evp.locator(".evp__sub .count-pill").first).to_have_text("2")

    # Create evidence inline and link it in one step.
    evp.locator(".evp__new summary").click()
    evp.get_by_label("Text").fill("The tax step's help link opened a blank page.")
    evp.get_by_label("Participant").fill("P14")
    evp.get_by_role("button", name="Create and link").click()
    evp = panel.locator(f"#card-evidence-{card.pk}")
    expect(evp.get_by_role("status")).to_have_text("Evidence created and linked.")
    expect(evp.locator(".evp__link")).to_have_count(3)
    expect(evp.locator(".ev-level")).to_have_text(
        "Moderate"
    )  # three points from one study, three participants
    assert_accessible(page, "the card's evidence panel after linking", context="#side-panel")
    screenshot(page, "research-panel-desktop")

    # The same on a phone.
    phone = new_page(bypass_csp=True, viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(phone, editor.username, factories.PASSWORD)
    phone.goto(reverse("research:evidence"))
    expect(phone.locator("#evidence-results .ev-item")).to_have_count(5)
    assert_accessible(phone, "the evidence library on a phone")
    screenshot(phone, "research-library-phone")
    phone.goto(reverse("research:study", args=[study.pk]))
    assert_accessible(phone, "a study page on a phone")
    screenshot(phone, "research-study-phone")
    phone.goto(reverse("journeys:map", args=[journey.pk]))
    phone.evaluate(
        "url => htmx.ajax('GET', url, {target: '#side-panel-body', swap: 'innerHTML'})",
        reverse("research:card_evidence", args=[card.pk]),
    )
    expect(phone.locator(f"#card-evidence-{card.pk} .evp__link")).to_have_count(3)
    assert_accessible(phone, "the card's evidence panel on a phone", context="#side-panel")
    screenshot(phone, "research-panel-phone")
