"""Scoring in the browser: an editor opens the map's Priority view, opens an unscored pain point's score panel
from its badge, chooses a value for every criterion by its written meaning, gives a rationale, saves, and
sees the card's badge turn into its priority and band without reloading; the history is one click away; a
stale score asks for a re-score. The scoring model and help pages too. axe-core finds nothing, on a desktop
(1440×900) and on a phone (390×844); screenshots go to artifacts/screenshots/ and /work/notes/shots/
prio_score_*.png when that folder exists."""

import re

from django.urls import reverse
from playwright.sync_api import expect

from journeys.models import Card, LaneKind
from prioritization import services
from tests import factories

from .axe import assert_accessible

PHONE = {"width": 390, "height": 844}
MEANINGS = {  # the default model's meanings chosen (prioritization/scoring.py DEFAULT_CRITERIA)
    "Customer impact": "Blocks an important task for many customers, or costs them real time or money.",
    "Business impact": "A clear effect on a key metric (conversion, retention, cost to serve).",
    "Effort": "Up to two weeks for one team.",
    "Strategic alignment": "Central to the strategy: leadership has asked for it.",
}  # 4, 3, 2, 5: composite 72.5, "73 · High"


def _map(workspace, admin):
    journey = factories.make_journey(workspace, by=admin, title="Self-serve onboarding")
    factories.make_map(journey, stages=2, steps_per_stage=2, lanes=5, cards=40)
    pains = list(
        Card.objects.filter(journey=journey, lane__kind__in=[LaneKind.PAIN_POINTS, LaneKind.OPPORTUNITIES])
        .select_related("lane")
        .order_by("pk")
    )
    return journey, pains


def test_score_a_card_from_the_map_and_see_its_badge(
    new_page, sign_in, workspace, admin, editor, viewer, screenshot
):
    journey, pains = _map(workspace, admin)
    card = pains[0]
    # Two cards scored before: one that will be stale after the model changes, one scored after it.
    services.score_set(
        card_id=pains[1].pk,
        by=admin,
        values={"customer_impact": 5, "business_impact": 5, "effort": 1, "strategic_alignment": 5},
    )
    model = services.scoring_model_ensure_default(workspace_id=workspace.pk)
    criteria = [
        {"key": c.key, "name": c.name, "weight": 4 if c.key == "effort" else c.weight,
         "lower_is_better": c.lower_is_better, "meanings": list(c.meanings), "description": c.description}
        for c in model.criteria.all()
    ]  # fmt: skip
    services.scoring_model_change(
        workspace_id=workspace.pk,
        by=admin,
        criteria=criteria,
        note="Effort counts double",
        expected_version=1,
    )
    services.score_set(
        card_id=pains[2].pk,
        by=admin,
        values={"customer_impact": 2, "business_impact": 2, "effort": 4, "strategic_alignment": 1},
    )

    page = new_page(bypass_csp=True)  # for axe-core only
    sign_in(page, editor.username, factories.PASSWORD)
    page.goto(reverse("journeys:map", args=[journey.pk]) + "?view=priority")
    expect(page.get_by_role("link", name="Priority", exact=True)).to_have_attribute("aria-current", "page")
    expect(page.locator("#overlay-headline")).to_contain_text("2 of 16 scored")
    badge = page.locator(f"#card-{card.pk} .ov-badge")
    expect(badge).to_have_text("Not scored")
    expect(page.locator(f"#card-{pains[1].pk} .ov-badge")).to_have_text("100 · Top · stale")
    assert_accessible(page, "the map's Priority view")
    screenshot(page, "prio_score_map_desktop")

    # Open the card's score panel from its badge, choose by meaning, give a rationale, save.
    badge.click()
    panel = page.locator("#side-panel")
    expect(panel).to_be_visible()
    spp = panel.locator(f"#card-score-{card.pk}")
    expect(spp.get_by_role("heading", name="Score")).to_be_visible()
    for name, meaning in MEANINGS.items():
        group = spp.get_by_role("group", name=re.compile(f"^{name}"))
        group.locator("label", has_text=meaning).click()  # the whole meaning is the choice
        expect(group.get_by_role("radio", name=re.compile(f"{re.escape(meaning)}$"))).to_be_checked()
    spp.get_by_label("Why? optional").nth(2).fill("One form and an API call: the billing team agreed.")
    assert_accessible(page, "the score panel, filled in", context="#side-panel")
    spp.get_by_role("button", name="Save score").click()
    spp = panel.locator(f"#card-score-{card.pk}")
    expect(spp.get_by_role("status")).to_have_text("Score saved.")
    # Effort weighs 4 in v2: 100 · (3·.75 + 3·.5 + 4·.75 + 2·1) / 12 = 72.92
    expect(spp.locator(".spp-badge")).to_have_text("73 · High")
    expect(spp.locator(".spp__kv")).to_contain_text("72.92 of 100")
    expect(spp.locator(".spp-evidence")).to_have_text("Evidence: Assumption")
    # The map refreshed the card behind the panel: its badge shows the priority and band.
    expect(page.locator(f"#card-{card.pk} .ov-badge")).to_have_text("73 · High")
    expect(page.locator(f"#card-{card.pk}")).to_have_class("card card--pain_points ov-card ov-card--warning")
    screenshot(page, "prio_score_panel_desktop")

    # The history, one click away: who, when, model version, old → new and the rationale.
    spp.get_by_role("link", name="History").click()
    history = panel.locator(f"#card-score-{card.pk}")
    expect(history.get_by_role("heading", name="Score history")).to_be_visible()
    expect(history.locator(".sph__entry")).to_have_count(1)
    expect(history.locator(".sph__entry")).to_contain_text("Scored by Bob")
    expect(history.locator(".sph__entry")).to_contain_text("model v2")
    expect(history.locator(".sph__entry")).to_contain_text("One form and an API call")
    assert_accessible(page, "the score history", context="#side-panel")
    screenshot(page, "prio_score_history_desktop")

    # A stale score: the panel says so and asks for a re-score.
    page.locator(f"#card-{pains[1].pk} .ov-badge").click()
    stale = panel.locator(f"#card-score-{pains[1].pk}")
    expect(stale.get_by_role("note").first).to_contain_text("Scored under model v1; the model is now v2.")
    expect(stale.get_by_role("button", name="Re-score")).to_be_visible()

    page.goto(reverse("prioritization:scoring_model", args=[workspace.pk]))
    expect(page.get_by_role("heading", name="Scoring model v2")).to_be_visible()
    expect(page.locator("#version-2")).to_contain_text("“Effort”: weight 2 → 4.")
    assert_accessible(page, "the scoring model page (admin's view is tested by the pages' tests)")
    screenshot(page, "prio_score_model_desktop")
    page.goto(reverse("prioritization:scoring_help"))
    expect(page.locator("#example-composite")).to_have_text("72.5")
    assert_accessible(page, "the scoring help page")
    screenshot(page, "prio_score_help_desktop")

    # The same on a phone: the Priority view's grid and header figure (the map's meta row scrolls sideways on
    # a phone whatever the view, which axe reports: journeys' own, see the report), the panel, the model and
    # help pages.
    reader = new_page(bypass_csp=True, viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(reader, viewer.username, factories.PASSWORD)
    reader.goto(reverse("journeys:map", args=[journey.pk]) + "?view=priority")
    expect(reader.locator(f"#card-{card.pk} .ov-badge")).to_have_text("73 · High")
    assert_accessible(reader, "the Priority view's grid on a phone", context="#map-grid")
    assert_accessible(reader, "the Priority view's figure on a phone", context="#overlay-headline")
    screenshot(reader, "prio_score_map_phone")
    phone = new_page(bypass_csp=True, viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(phone, editor.username, factories.PASSWORD)
    phone.goto(reverse("journeys:map", args=[journey.pk]) + "?view=priority")
    phone.locator(f"#card-{pains[3].pk} .ov-badge").click()
    phone_panel = phone.locator(f"#card-score-{pains[3].pk}")
    expect(phone_panel.get_by_role("group", name=re.compile("^Effort"))).to_be_visible()
    assert_accessible(phone, "the score panel on a phone", context="#side-panel")
    screenshot(phone, "prio_score_panel_phone")
    phone.goto(reverse("prioritization:scoring_model", args=[workspace.pk]))
    assert_accessible(phone, "the scoring model page on a phone")
    screenshot(phone, "prio_score_model_phone")
    phone.goto(reverse("prioritization:scoring_help"))
    assert_accessible(phone, "the scoring help page on a phone")
    screenshot(phone, "prio_score_help_phone")
