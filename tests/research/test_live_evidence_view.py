"""The map's Evidence view follows other people's links live: two real uvicorn processes (tests/journeys/
test_live_fanout.py's `servers`), Chromium on one with the map open in the evidence view, evidence linked and
unlinked through the services (as the other person's panel or the API would): the card's badge and the
header figure ("x% validated") change without a reload — for a card (the live update fetches its cells)
and for a step deleted (it fetches the whole grid)."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.urls import reverse

from journeys import services as journey_services
from journeys.models import LaneKind
from research import services
from tests import factories
from tests.journeys.test_live_fanout import chromium, servers, session_cookie  # noqa: F401 (fixtures)

pytestmark = pytest.mark.services


def orm(fn):
    """ORM work beside sync Playwright (whose event loop runs in this thread), on its own connection."""

    def run():
        try:
            return fn()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def test_the_evidence_view_badges_and_figure_follow_links_made_elsewhere(
    transactional_db,
    servers,  # noqa: F811
    chromium,  # noqa: F811
    workspace,
    admin,
    editor,
    viewer,
):
    from playwright.sync_api import expect

    journey = factories.make_journey(workspace, by=admin, title="Renewal")
    factories.make_map(journey, stages=2, steps_per_stage=2, lanes=5, cards=24)
    pains = journey.cards.filter(lane__kind__in=[LaneKind.PAIN_POINTS, LaneKind.OPPORTUNITIES]).order_by("pk")
    card, total = pains.first(), pains.count()
    study = services.study_create(workspace_id=workspace.pk, by=admin, title="Calls", method="interviews")
    items = [
        services.evidence_create(
            workspace_id=workspace.pk, by=admin, study=study.pk, text=f"Said so ({n})", participant=f"P{n}"
        )
        for n in range(3)
    ]
    _, b = servers
    page = chromium(b, session_cookie(viewer), journey)
    page.goto(reverse("journeys:map", args=[journey.pk]) + "?view=evidence")
    page.wait_for_selector("[data-live-url][data-live=live]", state="attached")
    figure, badge = page.locator("#overlay-headline"), page.locator(f"#card-{card.pk} .ov-badge")
    expect(figure).to_contain_text("0% validated")
    expect(badge).to_have_attribute("aria-label", "Evidence: Assumption")

    # Bob links three items from three participants: moderate, so one more validated card.
    links = orm(lambda: [services.link_create(evidence_id=e.pk, by=editor, card=card.pk) for e in items])
    expect(badge).to_have_attribute("aria-label", "Evidence: Moderate")
    expect(figure).to_contain_text(f"{round(100 / total)}% validated")
    expect(figure).to_contain_text(f"1 of {total} pain points and opportunities")

    # He unlinks one: weak again, and the figure follows.
    orm(lambda: services.link_delete(link_id=links[0].pk, by=editor))
    expect(badge).to_have_attribute("aria-label", "Evidence: Weak")
    expect(figure).to_contain_text("0% validated")

    # Linked again (moderate), then the card's step deleted: a change of the structure, for which the live
    # update fetches the whole grid, and the grid carries the figure too.
    orm(lambda: services.link_create(evidence_id=items[0].pk, by=editor, card=card.pk))
    expect(figure).to_contain_text(f"{round(100 / total)}% validated")
    orm(lambda: journey_services.step_delete(step_id=card.step_id, by=editor))
    expect(page.locator(f"#card-{card.pk}")).to_have_count(0)
    expect(figure).to_contain_text("0% validated")
    assert page.locator("#overlay-headline").count() == 1
