"""The queue API (prioritization/api/queue.py): the page's filters and sorts, pages by limit and offset,
the OpenAPI schema, who may read it, and queries that do not grow with the queue."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from prioritization.models import Status
from prioritization.queue import Filters, queue
from research import services as research_services

from .queue_fixtures import *  # noqa: F403 (fixtures)
from .queue_fixtures import BIG, FILL, HIGH, PART, PIT, QUICK, bulk_queue, cards_of, initiative, score
from .scoring_fixtures import change_model


def url(workspace):
    return reverse("prioritization-api:queue", args=[workspace.pk])


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def scored(portfolio, admin, workspace):
    cards = cards_of(portfolio.lifecycle)
    for card, values in zip(cards, (HIGH, QUICK, BIG, FILL, PIT, PART), strict=False):
        score(card, admin, values)
    initiative(workspace, admin, [cards[2]], Status.SHIPPED, title="Faster invoices")
    evidence = research_services.evidence_create(workspace_id=workspace.pk, by=admin, text="Seen it")
    research_services.link_create(evidence_id=evidence.pk, by=admin, card=cards[0].pk)
    return cards


def test_the_queue_in_the_selectors_order_with_every_figure(api, viewer, workspace, portfolio, scored):
    api.force_authenticate(viewer)
    body = api.get(url(workspace), {"limit": 3}).json()
    expected = list(queue(user=viewer, workspace_id=workspace.pk).ids())
    assert body["count"] == len(expected) == 64
    assert [item["id"] for item in body["results"]] == expected[:3]
    top = body["results"][0]
    assert top["rank"] == 1 and top["text"] == scored[0].text and top["kind"] == "pain_points"
    assert top["journey"] == {"id": portfolio.lifecycle.pk, "title": "Lifecycle"}
    assert top["stage"]["standard_stage"] == "onboarding"
    assert top["owner"]["name"] == "Alice Admin"
    assert (top["priority"], top["composite"], top["impact"], top["effort"]) == ("100.00",) * 3 + ("0.00",)
    assert top["quadrant"] == "quick_wins" and top["stale"] is False and top["model_version"] == 1
    assert [(c["key"], c["value"]) for c in top["criteria"]] == [
        ("customer_impact", 5), ("business_impact", 5), ("effort", 1), ("strategic_alignment", 5),
    ]  # fmt: skip
    assert top["confidence"] == "weak" and top["evidence_count"] == 1
    assert top["delivery"] == {"status": "not_planned", "initiatives": [], "shipped_date": None}
    assert top["map_url"] == f"/journeys/{portfolio.lifecycle.pk}/?view=priority#card-{scored[0].pk}"
    assert top["evidence_url"] == reverse("research:card_evidence", args=[scored[0].pk])
    third = body["results"][2]
    assert third["delivery"]["status"] == "shipped"
    assert third["delivery"]["initiatives"][0]["title"] == "Faster invoices"
    page_two = api.get(url(workspace), {"limit": 3, "offset": 3}).json()["results"]
    assert [item["rank"] for item in page_two] == [4, 5, 6]
    assert [item["id"] for item in page_two] == expected[3:6]
    unscored = {
        item["id"]: item
        for item in api.get(url(workspace), {"unscored": "true", "limit": 500}).json()["results"]
    }
    part = unscored[scored[5].pk]  # part-scored: its values so far, no composite
    assert part["composite"] is None and [c["value"] for c in part["criteria"]] == [3, None, None, None]
    never = unscored[scored[6].pk]
    assert never["criteria"] == [] and never["model_version"] is None and never["stale"] is False


@pytest.mark.parametrize(
    "filters",
    [
        {"kind": "opportunities"},
        {"stage": "engagement", "sort": "effort"},
        {"quadrant": "money_pits"},
        {"status": "shipped"},
        {"confidence": "assumption", "sort": "evidence"},
        {"tag": "Onboarding", "sort": "journey"},
        {"unscored": True, "sort": "updated"},
    ],
)
def test_the_api_filters_and_sorts_as_the_page(api, viewer, workspace, portfolio, scored, filters):
    api.force_authenticate(viewer)
    query = {k: ("true" if v is True else v) for k, v in filters.items()}
    got = [item["id"] for item in api.get(url(workspace), {**query, "limit": 500}).json()["results"]]
    expected = list(queue(user=viewer, workspace_id=workspace.pk, filters=Filters(**filters)).ids())
    assert got == expected and got


def test_journey_and_owner_filters(api, viewer, editor, workspace, portfolio):
    api.force_authenticate(viewer)
    got = {
        item["id"]
        for item in api.get(url(workspace), {"journey": portfolio.onboarding.pk, "limit": 500}).json()[
            "results"
        ]
    }
    assert got == {c.pk for j in (portfolio.onboarding, portfolio.setup) for c in cards_of(j)}
    got = {
        item["id"] for item in api.get(url(workspace), {"owner": editor.pk, "limit": 500}).json()["results"]
    }
    assert got == {c.pk for c in cards_of(portfolio.onboarding)}
    hidden = api.get(url(workspace), {"journey": portfolio.secret.pk}).json()
    assert hidden["count"] == 0 and hidden["results"] == []


def test_stale_filter(api, viewer, admin, workspace, portfolio, scored):
    change_model(workspace, admin, effort={"weight": 3})
    score(scored[0], admin, HIGH)
    api.force_authenticate(viewer)
    body = api.get(url(workspace), {"stale": "true"}).json()
    assert body["count"] == 5 and all(item["stale"] for item in body["results"])
    assert {item["model_version"] for item in body["results"]} == {1}


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("kind", "thoughts"),
        ("stage", "middle"),
        ("status", "dropped"),
        ("confidence", "certain"),
        ("quadrant", "north"),
        ("sort", "random"),
        ("journey", "abc"),
        ("owner", "0"),
        ("unscored", "maybe"),
        ("limit", "0"),
    ],
)
def test_bad_values_are_refused_naming_the_parameter(api, viewer, workspace, param, value):
    api.force_authenticate(viewer)
    response = api.get(url(workspace), {param: value})
    assert response.status_code == 400
    body = response.json()
    assert list(body) == [param] and body[param][0].strip(), body


def test_who_may_read_it(api, viewer, outsider, admin, workspace, portfolio, scored):
    assert api.get(url(workspace)).status_code == 401
    api.force_authenticate(outsider)
    assert api.get(url(workspace)).status_code == 404
    api.force_authenticate(viewer)
    body = api.get(url(workspace), {"limit": 500}).json()
    secret = {c.pk for c in cards_of(portfolio.secret)}
    assert not secret & {item["id"] for item in body["results"]}
    api.force_authenticate(admin)
    assert api.get(url(workspace)).json()["count"] == body["count"] + len(secret)


def test_the_queue_is_in_the_openapi_schema(client, viewer):
    client.force_login(viewer)
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/workspaces/{id}/queue/"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"journey", "stage", "kind", "status", "owner", "tag", "confidence", "quadrant", "unscored",
            "stale", "sort", "limit", "offset"} <= names  # fmt: skip
    sort = next(p for p in operation["parameters"] if p["name"] == "sort")
    assert set(sort["schema"]["enum"]) == {
        "priority", "composite", "impact", "effort", "opportunity", "evidence", "journey", "updated",
    }  # fmt: skip


# (force_authenticate: no token lookup) the workspace with the reader's role; its recency setting and
# whether its models use confidence; the count; the page's ids in the queue's order; those cards (score,
# model, journey, owner, stage, lane; confidence, evidence count, delivery rank in the row); the criteria of
# the page's model versions; the page's initiatives.
API_QUERIES = 7


@pytest.mark.parametrize(
    "query", [{}, {"status": "not_planned", "confidence": "assumption", "sort": "opportunity"}]
)
def test_queries_do_not_grow_with_the_queue(api, django_assert_num_queries, viewer, admin, workspace, query):
    """About 50 cards, then about 3,000 more: the same number of queries."""
    bulk_queue(workspace, admin, journeys=1, cards_per_journey=50, seed=3)
    api.force_authenticate(viewer)
    for large in (False, True):
        if large:
            bulk_queue(workspace, admin, journeys=60, cards_per_journey=50, seed=4)
        with django_assert_num_queries(API_QUERIES):
            body = api.get(url(workspace), {**query, "limit": 50}).json()
        assert len(body["results"]) == 50 if large else body["results"]
    assert body["count"] > 100


def test_the_journey_filter_adds_one_query(api, django_assert_num_queries, viewer, admin, workspace):
    made = bulk_queue(workspace, admin, journeys=3, cards_per_journey=20)  # made[1:] under made[0]
    api.force_authenticate(viewer)
    with django_assert_num_queries(API_QUERIES + 1):  # the reader's journeys, for the sub-journeys
        body = api.get(url(workspace), {"journey": made[0].pk, "limit": 500}).json()
    assert {item["id"] for item in body["results"]} == {c.pk for j in made for c in cards_of(j)}
