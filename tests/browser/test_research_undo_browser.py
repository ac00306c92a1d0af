"""Undo of research deletes from the keyboard (static/js/behaviours.js, [data-undo-shortcut]): after deleting
evidence or a study, Ctrl+Z (Cmd+Z on a Mac) presses the notice's Undo — not while typing in a field, where
the key is the field's own — the notice goes, the item is back with its links, and a second Ctrl+Z undoes
nothing more. On the map the editor keeps its own Ctrl+Z: one press undoes one deletion. Screenshots of the
notice go to artifacts/screenshots/ and /work/notes/shots/research_*.png when that folder exists."""

from django.urls import reverse
from playwright.sync_api import expect

from journeys.models import Card, LaneKind, TrashedItem
from research import services
from research.models import Evidence, EvidenceLink, ResearchTrash, Study
from tests import factories

from .axe import assert_accessible
from .test_editor_browser import card_locator, demo_map, open_map  # noqa: F401 (demo_map: a fixture)

PHONE = {"width": 390, "height": 844}


def _blur(page):
    page.evaluate("() => document.activeElement && document.activeElement.blur()")


def test_ctrl_z_puts_deleted_evidence_back_with_its_link(
    new_page, sign_in, workspace, admin, editor, screenshot
):
    journey = factories.make_journey(workspace, by=admin, title="Self-serve onboarding")
    factories.make_map(journey, cards=6)
    study = services.study_create(
        workspace_id=workspace.pk, by=admin, title="Onboarding calls", method="interviews"
    )
    evidence = services.evidence_create(
        workspace_id=workspace.pk,
        by=admin,
        study=study.pk,
        text="The tax step stopped me.",
        participant="P07",
    )
    card = Card.objects.filter(journey=journey).exclude(lane__kind=LaneKind.EMOTIONS).order_by("pk").first()
    link = services.link_create(evidence_id=evidence.pk, by=admin, card=card.pk, stance="contradicts")

    page = new_page(bypass_csp=True)  # for axe-core only
    sign_in(page, editor.username, factories.PASSWORD)
    page.goto(reverse("research:evidence_detail", args=[evidence.pk]))
    page.get_by_role("button", name="Delete").click()
    notice = page.locator("#research-undo")
    expect(notice).to_contain_text("Evidence “The tax step stopped me.” deleted")
    expect(notice.locator(".rs-undo__keys")).to_have_text(" (Ctrl+Z or ⌘Z)")
    assert not Evidence.objects.filter(pk=evidence.pk).exists()
    assert_accessible(page, "the study page with its undo notice")
    screenshot(page, "research_undo_notice_desktop")

    # Typing in a field: Ctrl+Z is the field's own undo, nothing is put back.
    search = page.get_by_role("searchbox").first
    search.fill("tax")
    search.press("Control+z")
    expect(notice).to_be_visible()
    assert ResearchTrash.objects.get().restored_at is None

    _blur(page)
    page.keyboard.press("Control+z")
    expect(page).to_have_url(reverse("research:evidence_detail", args=[evidence.pk]))
    expect(page.locator(".flash").first).to_contain_text("Put back “The tax step stopped me.” with 1 link")
    expect(page.locator("#research-undo")).to_have_count(0)
    assert EvidenceLink.objects.get().pk == link.pk and EvidenceLink.objects.get().stance == "contradicts"

    # Nothing more to undo here: a second Ctrl+Z changes nothing.
    page.keyboard.press("Control+z")
    page.wait_for_timeout(300)  # a submit would have started by now
    expect(page).to_have_url(reverse("research:evidence_detail", args=[evidence.pk]))
    assert Evidence.objects.filter(pk=evidence.pk).count() == 1
    assert ResearchTrash.objects.filter(restored_at__isnull=True).count() == 0


def test_cmd_z_puts_a_deleted_study_back_on_a_phone(new_page, sign_in, workspace, admin, editor, screenshot):
    study = services.study_create(
        workspace_id=workspace.pk, by=admin, title="Support tickets, Q2", method="support_tickets"
    )
    for n in range(3):
        services.evidence_create(workspace_id=workspace.pk, by=admin, study=study.pk, text=f"Ticket {n}")
    phone = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(phone, editor.username, factories.PASSWORD)
    phone.goto(reverse("research:study_delete", args=[study.pk]))
    phone.get_by_role("checkbox").check()
    phone.get_by_role("button", name="Delete study and its evidence").click()
    notice = phone.locator("#research-undo")
    expect(notice).to_contain_text("Study “Support tickets, Q2” deleted with 3 evidence items")
    expect(notice.locator(".rs-undo__keys")).to_be_hidden()  # no keyboard hint on a touch screen
    screenshot(phone, "research_undo_notice_phone")
    _blur(phone)
    phone.keyboard.press("Meta+z")
    expect(phone).to_have_url(reverse("research:study", args=[study.pk]))
    assert Study.objects.filter(pk=study.pk).exists() and Evidence.objects.filter(study=study).count() == 3


def test_on_the_map_ctrl_z_stays_the_editors_own_one_deletion_at_a_time(page, sign_in, demo_map):  # noqa: F811
    from journeys import demo

    sign_in(page, "editor", demo.demo_password("editor"))
    open_map(page, demo_map)
    first, second = Card.objects.filter(journey=demo_map, lane__kind=LaneKind.PAIN_POINTS).order_by("pk")[:2]
    for card in (first, second):
        card_locator(page, card).focus()
        page.keyboard.press("Delete")
        expect(card_locator(page, card)).to_have_count(0)
    page.locator("body").press("Control+z")
    expect(card_locator(page, second)).to_be_visible()
    page.wait_for_timeout(500)  # a second undo would have landed by now
    expect(card_locator(page, first)).to_have_count(0)
    assert not Card.objects.filter(pk=first.pk).exists()
    assert TrashedItem.objects.filter(restored_at__isnull=True).count() == 1
