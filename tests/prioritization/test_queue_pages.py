"""The queue pages (prioritization/views/queue.py): the ranked list, the impact/effort matrix and the CSV
export — what they show, what they never show (a hidden journey's card, count or filter choice), HTMX
partials, and queries that do not grow with the number of cards."""

import csv
import io
import re
from html import unescape

import pytest
from django.urls import reverse

from journeys.models import Card, StandardStage
from prioritization.models import Status
from research import services as research_services
from tests import factories

from .queue_fixtures import *  # noqa: F403 (fixtures)
from .queue_fixtures import BIG, FILL, HIGH, PART, PIT, QUICK, bulk_queue, cards_of, initiative, score
from .scoring_fixtures import change_model

LIST = reverse("prioritization:queue")
MATRIX = reverse("prioritization:queue_matrix")
EXPORT = reverse("prioritization:queue_export")


def text_of(response) -> str:
    """The page's text without tags, spaces collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def rows_of(response) -> list[str]:
    """The card ids of the list's rows, in order."""
    return re.findall(r'id="queue-card-(\d+)"', response.content.decode())


def export(client, query=None) -> list[list[str]]:
    response = client.get(EXPORT, query or {})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


@pytest.fixture
def scored(portfolio, admin, workspace):
    """Lifecycle's first cards scored in every quadrant; one part-scored; one initiative in progress."""
    p = portfolio
    cards = cards_of(p.lifecycle)
    for card, values in zip(cards, (HIGH, QUICK, BIG, FILL, PIT, PART), strict=False):
        score(card, admin, values)
    initiative(workspace, admin, [cards[1]], Status.IN_PROGRESS, title="Guided setup <v2>")
    return cards


# ---------------------------------------------------------------------------------------------- the list


def test_the_list_ranks_cards_with_their_figures_and_links(client, viewer, portfolio, scored):
    client.force_login(viewer)
    response = client.get(LIST)
    assert response.status_code == 200
    order = [int(pk) for pk in rows_of(response)]
    assert order[:5] == [scored[0].pk, scored[1].pk, scored[2].pk, scored[3].pk, scored[4].pk]
    html = response.content.decode()
    top = scored[0]
    assert f'href="/journeys/{top.journey_id}/?view=priority#card-{top.pk}"' in html
    assert reverse("research:card_evidence", args=[top.pk]) in html
    page = text_of(response)
    # The figures of the top card: priority 100 (top band), criteria 5 5 1 5, an assumption, not planned.
    first = page[page.index("100 Top") :]
    assert "CI Customer impact 5" in first and "E Effort 1" in first and "Assumption" in first
    assert "Not planned" in first
    assert "In progress Guided setup <v2>" in page  # the lead initiative's title (escaped in the HTML)
    assert "Guided setup &lt;v2&gt;" in html
    assert "Not scored" in page
    assert "Part-scored" in text_of(client.get(LIST, {"unscored": "on", "journey": scored[0].journey_id}))
    # Card text is escaped (the fixture's cards say "<b>bold?</b>").
    assert "<b>bold?</b>" not in html and "&lt;b&gt;bold?&lt;/b&gt;" in html


def test_the_nav_has_priorities(client, viewer, workspace):
    client.force_login(viewer)
    html = client.get(reverse("journeys:list")).content.decode()
    assert f'<a href="{LIST}" class="">Priorities</a>' in html
    html = client.get(LIST).content.decode()
    assert f'<a href="{LIST}" class="is-active">Priorities</a>' in html


def test_stale_scores_say_so_and_link_to_rescoring(client, viewer, admin, workspace, portfolio, scored):
    change_model(workspace, admin, effort={"weight": 3})
    client.force_login(viewer)
    page = text_of(client.get(LIST, {"stale": "on"}))
    assert page.count("Older model v1") == 6  # the six scored cards, none re-scored under v2
    html = client.get(LIST, {"stale": "on"}).content.decode()
    assert reverse("prioritization:card_score", args=[scored[0].pk]) in html


def test_htmx_gets_the_results_alone(client, viewer, portfolio, scored):
    client.force_login(viewer)
    response = client.get(LIST, {"kind": "opportunities"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html and 'class="q-list"' in html
    assert "HX-Request" in response["Vary"]
    kinds = set(Card.objects.filter(pk__in=rows_of(response)).values_list("lane__kind", flat=True))
    assert kinds == {"opportunities"}


def test_filters_apply_and_bad_values_are_dropped(client, viewer, portfolio, scored):
    p = portfolio
    client.force_login(viewer)
    response = client.get(LIST, {"journey": p.onboarding.pk})
    shown = {int(pk) for pk in rows_of(response)}
    assert shown == {c.pk for j in (p.onboarding, p.setup) for c in cards_of(j)}
    assert "32 cards match" in text_of(response)
    # The picker keeps the choice and shows the hierarchy (an em space per level under the root).
    html = response.content.decode()
    assert f'<option value="{p.onboarding.pk}" selected>&emsp;Onboarding</option>' in html
    assert f'<option value="{p.setup.pk}">&emsp;&emsp;Setup</option>' in html
    # Junk in any field filters nothing and fails nothing.
    junk = client.get(
        LIST, {"journey": "x", "stage": "nope", "owner": "-1", "tag": "?", "sort": "drop table", "page": "99"}
    )
    assert junk.status_code == 200
    assert len(rows_of(junk)) == 50 or len(rows_of(junk)) > 0
    assert client.get(LIST, {"stage": StandardStage.ADVOCACY}).content.decode().count("No card matches") == 1


def test_hidden_journeys_leave_no_trace(client, viewer, portfolio, admin):
    p = portfolio
    secret_card = cards_of(p.secret)[0]
    Card.objects.filter(pk=secret_card.pk).update(text="Confidential price increase")
    score(secret_card, admin, HIGH)
    client.force_login(viewer)
    for url in (LIST, MATRIX):
        html = client.get(url).content.decode()
        assert "Confidential price increase" not in html and "Secret pricing" not in html
        assert "Hidden tag" not in html
    rows = export(client)
    assert all("Confidential" not in cell for row in rows for cell in row)
    # Asking for the hidden journey by id is not a choice the form knows: dropped, as for a journey that
    # does not exist; nothing of it shows.
    html = client.get(LIST, {"journey": p.secret.pk}).content.decode()
    assert "Confidential price increase" not in html and "Secret pricing" not in html
    client.force_login(admin)
    assert "Confidential price increase" in client.get(LIST).content.decode()


def test_pages_of_the_list(client, viewer, workspace, admin):
    bulk_queue(workspace, admin, journeys=4, cards_per_journey=40)
    client.force_login(viewer)
    first = client.get(LIST)
    second = client.get(LIST, {"page": 2})
    assert len(rows_of(first)) == 50
    assert not set(rows_of(first)) & set(rows_of(second))
    assert "Page 1 of 4" in text_of(first) and "1–50 shown" in text_of(first)
    assert 'start="51"' in second.content.decode()


def test_without_a_workspace(client, db):
    user = factories.make_user("loner")
    client.force_login(user)
    for url in (LIST, MATRIX):
        assert "You're not in a workspace yet" in text_of(client.get(url))
    assert export(client) == [["rank", *export_header()[1:]]]


def export_header():
    from prioritization.views.queue import EXPORT_COLUMNS

    return list(EXPORT_COLUMNS)


# ---------------------------------------------------------------------------------------------- matrix


def test_the_matrix_draws_and_lists_each_quadrant(client, viewer, portfolio, scored, admin, workspace):
    evidence = research_services.evidence_create(workspace_id=workspace.pk, by=admin, text="Seen")
    research_services.link_create(evidence_id=evidence.pk, by=admin, card=scored[2].pk)
    client.force_login(viewer)
    response = client.get(MATRIX)
    html = response.content.decode()
    assert response.status_code == 200
    assert (
        re.search(r'<svg [^>]*role="img"', html)
        and "<script" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]
    )
    nonce = re.search(r'<style type="text/css" nonce="([^"]+)"', html)
    assert nonce and nonce.group(1) in response["Content-Security-Policy"]
    page = text_of(response)
    # Quick wins: HIGH then QUICK (priority 100, 70); big bets: BIG; fill-ins: FILL; money pits: PIT.
    assert re.search(r"Quick wins 2 .*?Number 1: Card \d+ <b>bold\?</b> impact 100 · effort 0", page)
    assert "Number 2:" in page and "impact 68.75 · effort 25" in page
    assert re.search(
        r"Big bets 1 .*?Number 3: .*?impact 84.38 · effort 100 · priority 67.5 · 1 evidence", page
    )
    assert re.search(r"Fill-ins 1 .*?Number 4:", page) and re.search(r"Money pits 1 .*?Number 5:", page)
    # Every other card cannot be placed, and says why.
    unplaced = (
        Card.objects.filter(
            journey__in=[portfolio.lifecycle, portfolio.onboarding, portfolio.setup, portfolio.pricing],
            lane__kind__in=["pain_points", "opportunities"],
        ).count()
        - 5
    )
    assert f"{unplaced} cards cannot be placed yet" in page
    # The chart names what it shows for assistive technology.
    assert "Quick wins: 2 cards, 2 shown." in page


def test_the_matrix_lists_at_most_ten_a_quadrant_and_links_to_the_rest(
    client, viewer, admin, workspace, portfolio
):
    for card in cards_of(portfolio.lifecycle) + cards_of(portfolio.onboarding)[:4]:
        score(card, admin, QUICK)
    client.force_login(viewer)
    page = text_of(client.get(MATRIX))
    assert "Quick wins 20" in page and "Number 10:" in page and "Number 11:" not in page
    assert "All 20 quick wins in the list" in page
    shown = client.get(LIST, {"quadrant": "quick_wins"})
    assert len(rows_of(shown)) == 20


def test_the_matrix_without_placed_cards(client, viewer, portfolio):
    client.force_login(viewer)
    page = text_of(client.get(MATRIX))
    assert "Nothing to place yet" in page and "none has both an impact and an effort" in page


# ---------------------------------------------------------------------------------------------- export


def test_export_writes_what_the_filters_show_in_order(client, viewer, portfolio, scored, admin):
    Card.objects.filter(pk=scored[0].pk).update(text="=HYPERLINK(1)")
    client.force_login(viewer)
    rows = export(client, {"quadrant": "quick_wins"})
    header, body = rows[0], rows[1:]
    assert header == export_header()
    assert [int(r[1]) for r in body] == [scored[0].pk, scored[1].pk]
    first = dict(zip(header, body[0], strict=True))
    assert first["rank"] == "1" and first["card"] == "'=HYPERLINK(1)"  # a formula is defused
    assert first["priority"] == "100" and first["quadrant"] == "Quick wins" and first["stale"] == "no"
    assert first["criteria"] == "customer_impact=5; business_impact=5; effort=1; strategic_alignment=5"
    assert first["confidence"] == "Assumption" and first["delivery_status"] == "Not planned"
    assert first["map_url"].endswith(f"/journeys/{scored[0].journey_id}/?view=priority#card-{scored[0].pk}")
    second = dict(zip(header, body[1], strict=True))
    assert second["delivery_status"] == "In progress" and second["initiatives"] == "Guided setup <v2>"
    everything = export(client)
    assert len(everything) - 1 == len(rows_of(client.get(LIST))) or len(everything) - 1 > 50


# ---------------------------------------------------------------------------------------------- queries

# session, user, memberships (current workspace), the reader's journeys (filters, sub-journeys), the
# recency setting and whether a model uses confidence, the count, the page's ids in the queue's order,
# those cards (score, model, journey, owner, stage, lane; confidence, evidence count, delivery rank in the
# row), the criteria of the page's model versions, the page's initiatives.
LIST_QUERIES = 10
# session, user, memberships, journeys, settings, the matrix (each quadrant's count and first ten ids: one
# pass with windows), those cards.
MATRIX_QUERIES = 7
# session, user, memberships, journeys, settings, the criteria of the workspace's model versions, the rows
# (one query, read in chunks).
EXPORT_QUERIES = 7


@pytest.mark.parametrize(
    ("query", "list_queries", "matrix_queries"),
    [
        ({}, LIST_QUERIES, MATRIX_QUERIES),
        (
            {"confidence": "assumption", "status": "not_planned", "sort": "evidence"},
            LIST_QUERIES,
            MATRIX_QUERIES,
        ),
        # Unscored cards only: no model version on the page, so no criteria to read; none on the matrix.
        (
            {
                "journey": "first",
                "stage": "onboarding",
                "kind": "pain_points",
                "unscored": "on",
                "sort": "updated",
            },
            LIST_QUERIES - 1,
            MATRIX_QUERIES - 1,
        ),
    ],
)
def test_queries_do_not_grow_with_the_queue(
    client, django_assert_num_queries, viewer, admin, workspace, query, list_queries, matrix_queries
):
    """50 cards, then 3,050 across 61 journeys: the same number of queries for each page."""
    small = bulk_queue(workspace, admin, journeys=1, cards_per_journey=50, seed=1)
    query = {k: (small[0].pk if v == "first" else v) for k, v in query.items()}
    client.force_login(viewer)
    client.get(LIST)  # the session's first read of its workspace
    counts = {}
    for label in ("small", "large"):
        if label == "large":
            # Under the first journey, so its filter (with sub-journeys) grows too.
            bulk_queue(workspace, admin, journeys=60, cards_per_journey=50, seed=2, under=small[0])
        with django_assert_num_queries(list_queries):
            response = client.get(LIST, query)
        assert len(rows_of(response)) == 50 if label == "large" else rows_of(response)
        with django_assert_num_queries(matrix_queries):
            assert client.get(MATRIX, query).status_code == 200
        with django_assert_num_queries(EXPORT_QUERIES):
            counts[label] = len(export(client, query))
    assert counts["large"] > counts["small"]
