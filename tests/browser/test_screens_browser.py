"""Every page on a phone, a tablet and a desktop, checked by axe-core and by measuring the layout.

The pages come from the URL resolver: every named URL of the apps is either a page in PAGES (visited as the
person it is for) or listed in NOT_PAGES with the reason it is not one (a POST-only action, an HTMX fragment,
an event stream). test_every_url_is_a_page_or_says_why_not fails when a URL is added to neither, so a new
page cannot skip these checks.

At each size: the page never scrolls sideways (wide tables and the map grid scroll inside their own box),
the buttons of its header are inside the screen, and axe-core finds no violation (WCAG 2.1 AA and axe's
best practices). The map keeps most of the screen: its header is at most 20% of a desktop screen, and on a
phone the map grid gets at least 60% of the height.
"""

import datetime
import re
from pathlib import Path

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import expect

from accounts import services as account_services
from accounts.models import Role, User
from core import imports
from journeys import demo
from journeys.models import Card, Journey, LaneKind
from journeys.services import structure, versioning
from metrics import services as metrics
from prioritization.services import initiatives, integrations, scoring, webhooks
from research import services as research
from research.imports import EVIDENCE_IMPORT

from .axe import assert_accessible

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 820, "height": 1180}
DESKTOP = {"width": 1440, "height": 900}
SIZES = {"phone": PHONE, "tablet": TABLET, "desktop": DESKTOP}
SHOTS = Path("/work/notes/shots")

# Named URLs of the apps that are not pages a person opens, and why (the reason is the documentation).
NOT_PAGES = {
    "home": "redirects to journeys:list",
    "accounts:logout": "POST only: signs out",
    "accounts:workspace_switch": "POST only",
    "accounts:member_role": "POST only",
    "accounts:member_remove": "POST only",
    "accounts:invitation_create": "POST only (the form is on accounts:members)",
    "accounts:invitation_revoke": "POST only",
    "accounts:team_members": "POST only (the form is on accounts:teams)",
    "journeys:map_grid": "HTMX fragment of journeys:map (checked inside the map page)",
    "journeys:map_cells": "HTMX fragment: cells of the map grid (checked inside the map page)",
    "journeys:live": "server-sent events stream",
    "journeys:people": "JSON for the @mention list (tests/browser/test_mentions_browser.py)",
    "journeys:access_remove": "POST only",
    "journeys:archive": "POST only",
    "journeys:future_state": "POST only (a menu item of the map page)",
    "journeys:template": "POST only (a menu item of the map page)",
    "journeys:saved_view_create": "POST only (the form is on journeys:present)",
    "journeys:saved_view_delete": "POST only",
    "journeys:activity": "HTMX fragment: the map page's Activity menu (checked open in test_map_keyboard)",
    "journeys:version_restore": "POST only (the form is on journeys:version_detail)",
    "journeys:trash_restore": "POST only",
    "journeys:card_comments": "HTMX fragment: the comments side panel (checked open in test_map_keyboard)",
    "research:evidence_export": "a CSV download (tests/research/test_pages.py, test_import.py)",
    "research:card_evidence": "HTMX fragment: a card's evidence panel (test_research_browser.py)",
    "research:trash_restore": "POST only (Undo and Put back on the research pages)",
    "metrics:measurement_add": "POST only (the form is on metrics:metric)",
    "prioritization:queue_export": "a CSV download (tests/prioritization/test_queue.py)",
    "prioritization:initiative_status": "POST only (the status menu of prioritization:initiative)",
    "prioritization:initiative_card_unlink": "POST only (Unlink on prioritization:initiative)",
    "prioritization:initiative_target_remove": "POST only (Remove on prioritization:initiative_target)",
    "prioritization:delivery_link_remove": "POST only (Remove on prioritization:initiative_links)",
    "prioritization:integration_rotate": "POST only (on prioritization:integration)",
    "prioritization:integration_poll": "POST only (Check now on prioritization:integration)",
    "prioritization:jira_webhook": "POST only: Jira's signed calls, no session (tests/prioritization/)",
    "prioritization:asana_webhook": "POST only: Asana's signed calls, no session (tests/prioritization/)",
    "prioritization:webhook_rotate": "POST only (on prioritization:webhook)",
    "prioritization:webhook_test": "POST only (Send a test on prioritization:webhook)",
    "prioritization:delivery_resend": "POST only (Resend on prioritization:webhook_deliveries)",
    "imports:progress": "HTMX fragment: the progress bar of imports:detail (checked inside it)",
}
# The editor's fragments and actions (journeys/views/editor.py): parts of the map page, checked there.
EDITOR_PREFIX = "journeys:editor_"


def named_urls() -> list[str]:
    """Every named URL in the accounts and journeys namespaces, plus the unnamespaced ones of the project."""
    names = []

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace in ("admin",) or (pattern.namespace or "").endswith("-api"):
                    continue
                walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.append(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, None)
    return [name for name in names if not name.startswith("api-")]


class World:
    """Journeys' demo workspace plus what some pages need: versions, a saved view, an invitation, a reset
    link, a study with evidence, a metric with measurements, an import waiting for its mapping. (The apps'
    full demo data takes ~10 s to load; these pages need only one of each.)"""

    def __init__(self):
        demo.demo_load()
        self.lifecycle = Journey.objects.get(title=demo.LIFECYCLE["title"])
        self.future = Journey.objects.get(title=demo.FUTURE["title"])
        self.onboarding = Journey.objects.get(title=demo.ONBOARDING["title"])
        self.workspace = self.lifecycle.workspace
        self.admin = User.objects.get(username="admin")
        self.editor = User.objects.get(username="editor")
        self.viewer = User.objects.get(username="viewer")
        self.version = versioning.version_save(
            journey_id=self.lifecycle.pk, by=self.admin, label="Before the review"
        )
        self.step = self.lifecycle.steps.filter(sub_journey__isnull=True).order_by("pk").first()
        self.view = structure.saved_view_create(
            journey_id=self.lifecycle.pk, by=self.admin, name="Customer-facing", hidden_lanes=()
        )
        self.invitation = account_services.invitation_create(
            workspace=self.workspace, email="new.colleague@example.com", role=Role.EDITOR, by=self.admin
        )
        self.reset_uid = urlsafe_base64_encode(force_bytes(self.viewer.pk))
        self.reset_token = default_token_generator.make_token(self.viewer)
        self.study = research.study_create(
            workspace_id=self.workspace.pk, by=self.admin, title="Onboarding interviews", method="interviews",
            participants=24, summary="Why trials stall before the first report.", tags=["Onboarding"],
        )  # fmt: skip
        card = self.lifecycle.cards.order_by("pk").first()
        for index, text in enumerate(
            ["Setting up SSO took our IT team two weeks.", "I never found the CSV export."]
        ):
            item = research.evidence_create(
                workspace_id=self.workspace.pk, by=self.admin, study=self.study.pk, kind="quote", text=text,
                participant=f"P0{index + 1}", captured_on=datetime.date(2026, 10, 1 + index),
            )  # fmt: skip
            research.link_create(evidence_id=item.pk, by=self.admin, card=card.pk)
        self.evidence = item
        self.metric = metrics.metric_create(
            journey_id=self.lifecycle.pk, by=self.admin, name="Onboarding CSAT", kind="csat", target_value=85
        )
        metrics.measurements_upsert(
            journey_id=self.lifecycle.pk, by=self.admin,
            items=[{"metric": self.metric.pk, "date": datetime.date(2026, m, 1), "value": 70 + m}
                   for m in (8, 9, 10)],
        )  # fmt: skip
        self.import_job = imports.create_job(
            importer=EVIDENCE_IMPORT, user=self.editor, target={"study": self.study.pk}, filename="notes.csv",
            data=b"id;quote;date\nq1;The pricing page lost me;31/03/2026\n",
        )  # fmt: skip
        # Prioritization: a scored pain point, an initiative on it with a target and a delivery link, a Jira
        # integration, a webhook with a test delivery.
        self.pain = (
            Card.objects.filter(journey=self.lifecycle, lane__kind=LaneKind.PAIN_POINTS)
            .order_by("pk")
            .first()
        )
        values = {"customer_impact": 4, "business_impact": 3, "effort": 2, "strategic_alignment": 4}
        scoring.score_set(
            card_id=self.pain.pk, by=self.admin, values=values,
            rationales={"customer_impact": "Six of eight interviewees stalled here."},
        )  # fmt: skip
        self.initiative = initiatives.initiative_create(
            workspace_id=self.workspace.pk, by=self.admin, title="Guided first report"
        )
        initiatives.initiative_card_link(
            initiative_id=self.initiative.pk, card_id=self.pain.pk, by=self.admin
        )
        self.target = initiatives.initiative_target_add(
            initiative_id=self.initiative.pk, by=self.admin, metric_id=self.metric.pk,
            expected_direction="up", expected_size=5,
        )  # fmt: skip
        initiatives.delivery_link_add(
            initiative_id=self.initiative.pk, by=self.admin, provider="jira", key="ONB-12",
            url="https://acme.atlassian.net/browse/ONB-12",
        )  # fmt: skip
        self.integration = integrations.integration_create(
            workspace_id=self.workspace.pk, by=self.admin, provider="jira", name="Jira Cloud"
        )
        self.webhook = webhooks.webhook_create(
            workspace_id=self.workspace.pk, by=self.admin, url="https://hooks.example.com/throughline"
        )
        webhooks.webhook_send_test(webhook_id=self.webhook.pk, by=self.admin)
        self.measurement = self.metric.measurements.order_by("period_end").first()


# name -> [(persona or None for signed out, url(world), status)]; several entries cover several templates.
PAGES = {
    "accounts:login": [(None, lambda w: reverse("accounts:login"), 200)],
    "accounts:password_change": [("viewer", lambda w: reverse("accounts:password_change"), 200)],
    "accounts:password_change_done": [("viewer", lambda w: reverse("accounts:password_change_done"), 200)],
    "accounts:password_reset": [(None, lambda w: reverse("accounts:password_reset"), 200)],
    "accounts:password_reset_done": [(None, lambda w: reverse("accounts:password_reset_done"), 200)],
    "accounts:password_reset_confirm": [
        (None, lambda w: reverse("accounts:password_reset_confirm", args=[w.reset_uid, w.reset_token]), 200)
    ],
    "accounts:password_reset_complete": [(None, lambda w: reverse("accounts:password_reset_complete"), 200)],
    "accounts:invitation_accept": [
        (None, lambda w: reverse("accounts:invitation_accept", args=[w.invitation.token]), 200),
        ("viewer", lambda w: reverse("accounts:invitation_accept", args=["no-such-token"]), 404),
    ],
    "accounts:workspace_create": [("viewer", lambda w: reverse("accounts:workspace_create"), 200)],
    "accounts:members": [("admin", lambda w: reverse("accounts:members", args=[w.workspace.pk]), 200)],
    "accounts:teams": [("admin", lambda w: reverse("accounts:teams", args=[w.workspace.pk]), 200)],
    "journeys:list": [
        ("admin", lambda w: reverse("journeys:list"), 200),
        ("viewer", lambda w: reverse("journeys:list") + "?q=nothing-matches-this", 200),
    ],
    "journeys:create": [("editor", lambda w: reverse("journeys:create"), 200)],
    "journeys:map": [
        ("editor", lambda w: reverse("journeys:map", args=[w.lifecycle.pk]), 200),
        ("viewer", lambda w: reverse("journeys:map", args=[w.lifecycle.pk]), 200),
        ("editor", lambda w: reverse("journeys:map", args=[w.future.pk]), 200),
        ("admin", lambda w: reverse("journeys:map", args=[999_999]), 404),
    ],
    "journeys:settings": [
        ("admin", lambda w: reverse("journeys:settings", args=[w.lifecycle.pk]), 200),
        ("viewer", lambda w: reverse("journeys:settings", args=[w.lifecycle.pk]), 403),
    ],
    "journeys:access": [("admin", lambda w: reverse("journeys:access", args=[w.lifecycle.pk]), 200)],
    "journeys:delete": [("admin", lambda w: reverse("journeys:delete", args=[w.lifecycle.pk]), 200)],
    "journeys:new_from": [("editor", lambda w: reverse("journeys:new_from"), 200)],
    "journeys:copy": [("editor", lambda w: reverse("journeys:copy", args=[w.lifecycle.pk]), 200)],
    "journeys:sub_journey_create": [
        ("editor", lambda w: reverse("journeys:sub_journey_create", args=[w.lifecycle.pk, w.step.pk]), 200)
    ],
    "journeys:compare": [("viewer", lambda w: reverse("journeys:compare", args=[w.future.pk]), 200)],
    "journeys:present": [("viewer", lambda w: reverse("journeys:present", args=[w.lifecycle.pk]), 200)],
    "journeys:saved_view": [
        ("viewer", lambda w: reverse("journeys:saved_view", args=[w.lifecycle.pk, w.view.pk]), 200)
    ],
    "journeys:versions": [("editor", lambda w: reverse("journeys:versions", args=[w.lifecycle.pk]), 200)],
    "journeys:version_detail": [
        ("editor", lambda w: reverse("journeys:version_detail", args=[w.lifecycle.pk, w.version.pk]), 200)
    ],
    "journeys:version_diff": [
        (
            "viewer",
            lambda w: reverse("journeys:version_diff", args=[w.lifecycle.pk]) + f"?from={w.version.pk}",
            200,
        )
    ],
    "research:evidence": [
        ("viewer", lambda w: reverse("research:evidence"), 200),
        ("viewer", lambda w: reverse("research:evidence") + "?q=sso+-pricing", 200),
    ],
    "research:evidence_create": [("editor", lambda w: reverse("research:evidence_create"), 200)],
    "research:evidence_detail": [
        ("viewer", lambda w: reverse("research:evidence_detail", args=[w.evidence.pk]), 200)
    ],
    "research:evidence_edit": [
        ("editor", lambda w: reverse("research:evidence_edit", args=[w.evidence.pk]), 200)
    ],
    "research:evidence_delete": [
        ("editor", lambda w: reverse("research:evidence_delete", args=[w.evidence.pk]), 200)
    ],
    "research:studies": [("viewer", lambda w: reverse("research:studies"), 200)],
    "research:study_create": [("editor", lambda w: reverse("research:study_create"), 200)],
    "research:study": [("viewer", lambda w: reverse("research:study", args=[w.study.pk]), 200)],
    "research:study_edit": [("editor", lambda w: reverse("research:study_edit", args=[w.study.pk]), 200)],
    "research:study_delete": [("editor", lambda w: reverse("research:study_delete", args=[w.study.pk]), 200)],
    "research:study_import": [("editor", lambda w: reverse("research:study_import", args=[w.study.pk]), 200)],
    "research:help_confidence": [("viewer", lambda w: reverse("research:help_confidence"), 200)],
    "metrics:journey": [("viewer", lambda w: reverse("metrics:journey", args=[w.lifecycle.pk]), 200)],
    "metrics:metric_create": [
        ("editor", lambda w: reverse("metrics:metric_create", args=[w.lifecycle.pk]), 200)
    ],
    "metrics:import": [("editor", lambda w: reverse("metrics:import", args=[w.lifecycle.pk]), 200)],
    "metrics:metric": [("viewer", lambda w: reverse("metrics:metric", args=[w.metric.pk]), 200)],
    "metrics:metric_edit": [("editor", lambda w: reverse("metrics:metric_edit", args=[w.metric.pk]), 200)],
    "metrics:metric_delete": [
        ("editor", lambda w: reverse("metrics:metric_delete", args=[w.metric.pk]), 200)
    ],
    "metrics:help": [("viewer", lambda w: reverse("metrics:help"), 200)],
    "metrics:measurement_edit": [
        ("editor", lambda w: reverse("metrics:measurement_edit", args=[w.measurement.pk]), 200)
    ],
    "metrics:measurement_delete": [
        ("editor", lambda w: reverse("metrics:measurement_delete", args=[w.measurement.pk]), 200)
    ],
    "metrics:settings": [
        ("admin", lambda w: reverse("metrics:settings", args=[w.workspace.pk]), 200),
        ("viewer", lambda w: reverse("metrics:settings", args=[w.workspace.pk]), 200),  # read only
    ],
    "prioritization:queue": [
        ("viewer", lambda w: reverse("prioritization:queue"), 200),
        ("viewer", lambda w: reverse("prioritization:queue") + "?q=nothing-matches-this", 200),
    ],
    "prioritization:queue_matrix": [("viewer", lambda w: reverse("prioritization:queue_matrix"), 200)],
    "prioritization:card_score": [
        ("editor", lambda w: reverse("prioritization:card_score", args=[w.pain.pk]), 200),
        ("viewer", lambda w: reverse("prioritization:card_score", args=[w.pain.pk]), 200),
    ],
    "prioritization:card_score_history": [
        ("viewer", lambda w: reverse("prioritization:card_score_history", args=[w.pain.pk]), 200)
    ],
    "prioritization:scoring_model": [
        ("admin", lambda w: reverse("prioritization:scoring_model", args=[w.workspace.pk]), 200),
        ("viewer", lambda w: reverse("prioritization:scoring_model", args=[w.workspace.pk]), 200),
    ],
    "prioritization:scoring_help": [("viewer", lambda w: reverse("prioritization:scoring_help"), 200)],
    "prioritization:initiatives": [("viewer", lambda w: reverse("prioritization:initiatives"), 200)],
    "prioritization:initiative_board": [
        ("viewer", lambda w: reverse("prioritization:initiative_board"), 200)
    ],
    "prioritization:initiative_create": [
        ("editor", lambda w: reverse("prioritization:initiative_create"), 200)
    ],
    "prioritization:initiative": [
        ("viewer", lambda w: reverse("prioritization:initiative", args=[w.initiative.pk]), 200),
        ("editor", lambda w: reverse("prioritization:initiative", args=[w.initiative.pk]), 200),
    ],
    "prioritization:initiative_edit": [
        ("editor", lambda w: reverse("prioritization:initiative_edit", args=[w.initiative.pk]), 200)
    ],
    "prioritization:initiative_delete": [
        ("editor", lambda w: reverse("prioritization:initiative_delete", args=[w.initiative.pk]), 200)
    ],
    "prioritization:initiative_cards": [
        ("editor", lambda w: reverse("prioritization:initiative_cards", args=[w.initiative.pk]), 200)
    ],
    "prioritization:initiative_targets": [
        ("editor", lambda w: reverse("prioritization:initiative_targets", args=[w.initiative.pk]), 200)
    ],
    "prioritization:initiative_target": [
        ("editor", lambda w: reverse("prioritization:initiative_target", args=[w.target.pk]), 200)
    ],
    "prioritization:initiative_links": [
        ("editor", lambda w: reverse("prioritization:initiative_links", args=[w.initiative.pk]), 200)
    ],
    "prioritization:outcomes_help": [("viewer", lambda w: reverse("prioritization:outcomes_help"), 200)],
    "prioritization:integrations": [
        ("admin", lambda w: reverse("prioritization:integrations"), 200),
        ("editor", lambda w: reverse("prioritization:integrations"), 403),
    ],
    "prioritization:integration_create": [
        ("admin", lambda w: reverse("prioritization:integration_create") + "?provider=asana", 200)
    ],
    "prioritization:integration": [
        ("admin", lambda w: reverse("prioritization:integration", args=[w.integration.pk]), 200)
    ],
    "prioritization:integration_delete": [
        ("admin", lambda w: reverse("prioritization:integration_delete", args=[w.integration.pk]), 200)
    ],
    "prioritization:webhooks": [("admin", lambda w: reverse("prioritization:webhooks"), 200)],
    "prioritization:webhook_create": [("admin", lambda w: reverse("prioritization:webhook_create"), 200)],
    "prioritization:webhook": [
        ("admin", lambda w: reverse("prioritization:webhook", args=[w.webhook.pk]), 200)
    ],
    "prioritization:webhook_delete": [
        ("admin", lambda w: reverse("prioritization:webhook_delete", args=[w.webhook.pk]), 200)
    ],
    "prioritization:webhook_deliveries": [
        ("admin", lambda w: reverse("prioritization:webhook_deliveries", args=[w.webhook.pk]), 200)
    ],
    # An evidence file waiting for its mapping: the preview, the mapping form, the date order found.
    "imports:detail": [("editor", lambda w: reverse("imports:detail", args=[w.import_job.pk]), 200)],
}

# Wide content may scroll inside these boxes; the page itself may not.
LAYOUT_JS = """() => {
  const box = (selector) => {
    const element = document.querySelector(selector);
    if (!element) return null;
    const r = element.getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, height: r.height };
  };
  const scrollsSideways = (element) => {
    for (let e = element.parentElement; e && e !== document.body; e = e.parentElement) {
      const overflow = getComputedStyle(e).overflowX;
      if (overflow === "auto" || overflow === "scroll" || overflow === "hidden") return true;
    }
    return false;
  };
  const shown = (element) => {
    if (element.closest("details:not([open]) > :not(summary)")) return false;
    const r = element.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(element).visibility !== "hidden";
  };
  const outside = [];
  document.querySelectorAll(
    ".btn, button[type=submit], .topbar a, .topbar summary, .page-head__actions > *, .map-head__actions > *"
  ).forEach((element) => {
    if (!shown(element) || scrollsSideways(element)) return;
    const r = element.getBoundingClientRect();
    if (r.left < -0.5 || r.right > innerWidth + 0.5) {
      const name = element.textContent || element.getAttribute("aria-label") || element.tagName;
      outside.push(name.trim().slice(0, 40) + " [" + Math.round(r.left) + ", " + Math.round(r.right) + "]");
    }
  });
  // What sticks out, to name it in the failure: the outermost elements past the right edge of the screen.
  const wide = [];
  if (document.scrollingElement.scrollWidth > innerWidth) {
    document.querySelectorAll("body *").forEach((element) => {
      if (wide.length >= 5 || scrollsSideways(element)) return;
      if (getComputedStyle(element).position === "fixed") return;
      const r = element.getBoundingClientRect();
      const parent = element.parentElement.getBoundingClientRect();
      const top = parent.right <= innerWidth + 0.5 || element.parentElement === document.body;
      if (r.right > innerWidth + 0.5 && top) {
        const name = element.tagName.toLowerCase() + "." + [...element.classList].join(".");
        wide.push(name + " → " + Math.round(r.right));
      }
    });
  }
  return {
    scrollWidth: document.scrollingElement.scrollWidth, innerWidth, innerHeight, outside, wide,
    topbar: box(".topbar"), mapHead: box(".map-head"), grid: box("#map-grid"),
  };
}"""


def check_layout(page, where: str, size: str) -> dict:
    layout = page.evaluate(LAYOUT_JS)
    assert layout["scrollWidth"] <= layout["innerWidth"], (
        f"{where} at {size}: the page scrolls sideways ({layout['scrollWidth']} px wide in a "
        f"{layout['innerWidth']} px screen): {layout['wide']}"
    )
    assert not layout["outside"], f"{where} at {size}: controls outside the screen: {layout['outside']}"
    if layout["topbar"]:
        assert layout["topbar"]["height"] <= 56, f"{where} at {size}: top bar {layout['topbar']['height']} px"
    return layout


def all_entries():
    for name, entries in PAGES.items():
        for index, (persona, build, status) in enumerate(entries):
            yield pytest.param(name, persona, build, status, id=f"{name}-{persona or 'anonymous'}-{index}")


def test_every_url_is_a_page_or_says_why_not():
    names = named_urls()
    assert "journeys:map" in names and "accounts:members" in names  # the walk finds the apps' URLs
    unclassified = [
        name
        for name in names
        if name not in PAGES and name not in NOT_PAGES and not name.startswith(EDITOR_PREFIX)
    ]
    assert not unclassified, (
        f"URLs neither checked as pages (PAGES) nor explained (NOT_PAGES) in {__file__}: {unclassified}"
    )
    stale = sorted(set(PAGES) - set(names))
    assert not stale, f"PAGES names URLs that no longer exist: {stale}"


@pytest.mark.parametrize(("name", "persona", "build", "status"), list(all_entries()))
def test_page_fits_every_screen_and_passes_axe(name, persona, build, status, new_page, sign_in):
    world = World()
    page = new_page(viewport=PHONE, bypass_csp=True)
    if persona:
        sign_in(page, persona, demo.demo_password(persona))
    url = build(world)
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        response = page.goto(url)
        assert response.status == status, f"{url} as {persona}: {response.status}"
        where = f"{name} ({url} as {persona or 'signed out'})"
        check_layout(page, where, size)
        if size != "tablet":  # colours and names do not change with the width; structure might on a phone
            assert_accessible(page, f"{where} at {size}")


@pytest.mark.parametrize("persona", ["editor", "viewer"])
def test_the_map_keeps_most_of_the_screen(persona, new_page, sign_in):
    world = World()
    page = new_page(viewport=DESKTOP)
    sign_in(page, persona, demo.demo_password(persona))
    url = reverse("journeys:map", args=[world.lifecycle.pk])
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.goto(url)
        expect(page.locator(".map__stage-title").first).to_be_visible()
        layout = check_layout(page, f"the map as {persona}", size)
        height = layout["innerHeight"]
        head_bottom = layout["mapHead"]["bottom"]
        grid_height = layout["grid"]["height"]
        if size == "desktop":
            assert head_bottom <= 0.2 * height, (
                f"desktop: top bar and map header end at {head_bottom} px of {height}"
            )
        assert grid_height >= 0.6 * height, f"{size}: the map grid is {grid_height} px of {height}"
        # The first card is on screen, not pushed off by headers.
        card = page.locator("article.card").first.bounding_box()
        assert card["y"] + 20 < height and card["x"] < viewport["width"], f"{size}: first card at {card}"
        if size == "desktop":
            # The future state links back to its current state.
            page.goto(reverse("journeys:map", args=[world.future.pk]))
            expect(page.locator(".kv__current a")).to_have_text(world.lifecycle.title)
            page.goto(url)
        if persona == "editor" and size != "phone":
            # Tablets and desktops edit: the toolbar's buttons are on screen.
            for label in ("Add stage", "Add lane"):
                box = page.locator("#editor").get_by_role("button", name=label).bounding_box()
                assert box and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], (
                    size,
                    label,
                    box,
                )
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"frontb-map-{persona}-{size}.png"))


def test_lists_and_forms_on_a_phone(new_page, sign_in):
    """The journeys list on a phone: a row per journey, the title readable, "New journey" on screen."""
    world = World()
    page = new_page(viewport=PHONE)
    sign_in(page, "admin", demo.demo_password("admin"))
    page.goto(reverse("journeys:list"))
    new = page.get_by_role("link", name=re.compile("New journey"))
    box = new.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    row = page.locator(f"tr[data-journey-id='{world.lifecycle.pk}']")
    title = row.get_by_role("link", name=world.lifecycle.title)
    assert title.bounding_box()["width"] >= 200  # a readable column, not squeezed beside five others
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Members")).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "frontb-list-phone.png"))
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(SHOTS / "frontb-list-desktop.png"))
    for name, url in (
        ("members", reverse("accounts:members", args=[world.workspace.pk])),
        ("versions", reverse("journeys:versions", args=[world.lifecycle.pk])),
        ("compare", reverse("journeys:compare", args=[world.future.pk])),
        ("present", reverse("journeys:present", args=[world.lifecycle.pk])),
    ):
        page.set_viewport_size(PHONE)
        page.goto(url)
        page.screenshot(path=str(SHOTS / f"frontb-{name}-phone.png"))
