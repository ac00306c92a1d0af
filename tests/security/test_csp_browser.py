"""Content-Security-Policy in a real browser: the pages, the map editor's actions and the API docs work
under our policy (live updates under it: tests/security/test_live_streams.py, on uvicorn), and Chromium
reports no violation (nor any console error) on the way.

Violations are collected two ways: the `securitypolicyviolation` DOM event (an init script, which CSP
does not govern, records them) and Chromium's console, where blocked inline code is reported."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from journeys import demo
from journeys.models import Card, Journey, LaneKind

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(
    e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile + ":" + e.lineNumber
  );
});
"""


@pytest.fixture
def demo_map(live_server):
    call_command("load_demo", stdout=StringIO())
    return Journey.objects.get(title=demo.LIFECYCLE["title"])


@pytest.fixture
def watched(page):
    """The page, with every CSP violation and console error it meets collected in `page.problems`."""
    page.problems = []
    page.add_init_script(RECORD_VIOLATIONS)

    def on_console(message):
        if message.type == "error" or "Content Security Policy" in message.text:
            page.problems.append(f"console: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: page.problems.append(f"pageerror: {error}"))
    return page


def violations(page):
    return page.problems + page.evaluate("window.__cspViolations || []")


def test_every_page_carries_the_policy(watched, sign_in, demo_map):
    sign_in(watched, "admin", demo.demo_password("admin"))
    response = watched.goto(reverse("journeys:map", args=[demo_map.pk]))
    csp = response.header_value("content-security-policy")
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("style-src-attr")[0]
    assert "'unsafe-eval'" not in csp
    assert "camera=()" in response.header_value("permissions-policy")


def test_the_map_editor_works_under_the_policy(watched, sign_in, demo_map, screenshot):
    page = watched
    sign_in(page, "editor", demo.demo_password("editor"))
    page.goto(reverse("journeys:map", args=[demo_map.pk]))
    expect(page.locator("#editor")).to_be_visible()
    pains = Card.objects.filter(journey=demo_map, lane__kind=LaneKind.PAIN_POINTS).order_by("pk")
    card = pains.first()
    element = page.locator(f"article#card-{card.pk}")

    # Edit a card in place.
    element.evaluate("el => el.scrollIntoView({block: 'center', inline: 'center'})")
    element.click()
    text = page.locator(f"form#card-{card.pk} textarea[name=text]")
    expect(text).to_be_focused()
    text.fill("Edited under CSP")
    text.press("Enter")
    expect(element).to_contain_text("Edited under CSP")

    # The activity menu loads when opened (was hx-trigger="toggle[this.open]", an eval'd condition).
    page.locator("details.activity > summary").click()
    expect(page.locator("details.activity .activity__item").first).to_contain_text("Edited under CSP")
    page.locator("details.activity > summary").click()

    # Comments open in the side panel (was hx-on::after-swap) and close with its button (was hx-on:click).
    element.evaluate("el => el.scrollIntoView({block: 'center', inline: 'center'})")
    element.focus()
    element.get_by_role("button", name=re.compile(r"^Comments \(\d+\)$")).click()
    panel = page.locator("#side-panel")
    expect(panel).to_be_visible()
    expect(page.locator("#side-panel-body")).to_be_focused()
    panel.locator("textarea[name=body]").fill("Seen under a strict policy")
    panel.get_by_role("button", name="Comment", exact=True).click()
    expect(panel).to_contain_text("Seen under a strict policy")
    panel.get_by_role("button", name="Close comments").click()
    expect(panel).to_be_hidden()

    # Delete a card, then bring it back from Recently deleted (loaded when the menu opens).
    second = pains[1]
    other = page.locator(f"article#card-{second.pk}")
    other.evaluate("el => el.scrollIntoView({block: 'center', inline: 'center'})")
    other.focus()
    page.keyboard.press("Delete")
    expect(other).to_have_count(0)
    page.locator(".editor-toast__close").first.click()
    trash = page.locator("details.trash-menu")
    trash.locator("summary").click()
    entry = trash.locator(".ed-trash__item").first
    expect(entry).to_be_visible()
    entry.get_by_role("button", name="Restore").click()
    expect(page.locator(f"article#card-{second.pk}")).to_be_visible()
    screenshot(page, "security-csp-editor")
    assert violations(page) == []


def test_other_pages_work_under_the_policy(watched, sign_in, demo_map):
    page = watched
    sign_in(page, "admin", demo.demo_password("admin"))
    workspace = demo_map.workspace
    for url in (
        reverse("journeys:list"),
        reverse("journeys:create"),
        reverse("journeys:settings", args=[demo_map.pk]),
        reverse("journeys:access", args=[demo_map.pk]),
        reverse("journeys:versions", args=[demo_map.pk]),
        reverse("journeys:compare", args=[demo_map.pk]),
        reverse("accounts:members", args=[workspace.pk]),
        reverse("accounts:teams", args=[workspace.pk]),
        reverse("accounts:password_change"),
    ):
        response = page.goto(url)
        assert response.status == 200, url
        page.wait_for_load_state("networkidle")
    # The journey list's live search (hx-trigger with a delay, hx-push-url).
    page.goto(reverse("journeys:list"))
    page.locator("input[name=q]").fill("lifecycle")
    expect(page).to_have_url(re.compile(r"q=lifecycle"))
    # Present mode: its lane toggles rewrite a <style> that carries the response's nonce.
    page.goto(reverse("journeys:present", args=[demo_map.pk]))
    page.locator("details.present-menu > summary", has_text="Lanes").click()
    boxes = page.locator("[data-lane-toggle]")
    first_lane = boxes.first.get_attribute("data-lane-toggle")
    boxes.first.uncheck()
    expect(page.locator(f'.present-stage [data-lane-id="{first_lane}"]').first).to_be_hidden()
    assert violations(page) == []


def test_signed_out_pages_work_under_the_policy(watched, demo_map):
    page = watched
    for url in (reverse("accounts:login"), reverse("accounts:password_reset")):
        assert page.goto(url).status == 200
    assert violations(page) == []


def test_the_api_docs_work_under_the_policy(watched, sign_in, demo_map, screenshot):
    page = watched
    sign_in(page, "admin", demo.demo_password("admin"))
    page.goto(reverse("api-docs"))
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Throughline API")
    operation = page.locator(".opblock").first
    expect(operation).to_be_visible()
    # Try a call from the page: Swagger UI fetches from our own origin. It draws only the operations near
    # the screen (a virtual list), so scroll until the workspaces list is drawn.
    path = page.locator(".opblock-summary-path[data-path='/api/v1/workspaces/']")
    listing = page.locator(".opblock.opblock-get", has=path)
    for _ in range(80):
        if listing.count():
            break
        page.evaluate("window.scrollBy(0, 400)")
        page.wait_for_timeout(50)
    listing.locator(".opblock-summary").click()
    listing.get_by_role("button", name="Try it out").click()
    listing.get_by_role("button", name="Execute").click()
    expect(listing.locator(".responses-wrapper .response .response-col_status").first).to_contain_text("200")
    screenshot(page, "security-csp-api-docs")
    assert violations(page) == []


def test_the_policy_blocks_inline_code_and_the_watch_sees_it(watched, sign_in, demo_map):
    """The detector above is not blind: inline handlers and scripts are blocked and reported."""
    page = watched
    sign_in(page, "admin", demo.demo_password("admin"))
    page.goto(reverse("journeys:list"))
    page.evaluate(
        """() => {
        window.ran = [];
        document.body.insertAdjacentHTML("beforeend", '<img src="data:," onload="window.ran.push(1)">');
        const script = document.createElement("script");
        script.textContent = "window.ran.push(2)";
        document.body.appendChild(script);
    }"""
    )
    page.wait_for_timeout(300)
    assert page.evaluate("window.ran") == []
    found = page.evaluate("window.__cspViolations")
    assert any(v.startswith("script-src-attr") for v in found) and any(
        v.startswith("script-src-elem") for v in found
    )
