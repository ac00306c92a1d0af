"""The initiatives API: CRUD with expected_version (409 with the current), status changes along the allowed
moves, card links, targets with their outcome, delivery links, nothing of journeys the reader cannot see,
and query counts that do not grow."""

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest

from metrics import services as metric_services
from prioritization.models import DeliveryLink, Initiative, InitiativeCard, InitiativeTarget, StatusChange

from .initiative_fixtures import *  # noqa: F403 (fixtures)

pytestmark = pytest.mark.django_db


def api(client, user, verb, url, data=None, **query):
    client.force_login(user)
    if query:
        url = f"{url}?" + "&".join(f"{k}={v}" for k, v in query.items())
    body = json.dumps(data) if data is not None else None
    return client.generic(verb, url, body or "", content_type="application/json")


def monthly(journey, by, name, values, kind="count", start=date(2025, 1, 1)):
    metric = metric_services.metric_create(journey_id=journey.pk, by=by, name=name, kind=kind)
    items = []
    for i, v in enumerate(values):
        first = date(start.year + (start.month - 1 + i) // 12, (start.month - 1 + i) % 12 + 1, 1)
        nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        items.append(
            {
                "metric": metric.pk,
                "period_start": first,
                "period_end": nxt - timedelta(days=1),
                "value": Decimal(v),
            }
        )
    metric_services.measurements_upsert(journey_id=journey.pk, by=by, items=items)
    return metric


def test_create_read_update_with_versions_and_delete(client, workspace, editor, viewer):
    base = f"/api/v1/workspaces/{workspace.pk}/initiatives/"
    made = api(
        client,
        editor,
        "POST",
        base,
        {"title": "Guided setup", "planned_date": "2026-03-01", "baseline_days": 60},
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["status"], body["version"], body["owner"]["id"], body["baseline_days"]) == (
        "proposed",
        1,
        editor.pk,
        60,
    )
    assert body["status_changes"][0]["via"] == "api" and body["cards"] == [] and body["targets"] == []
    url = f"/api/v1/initiatives/{body['id']}/"
    assert api(client, viewer, "PATCH", url, {"title": "x", "expected_version": 1}).status_code == 403
    changed = api(client, editor, "PATCH", url, {"title": "Guided data connection", "expected_version": 1})
    assert changed.status_code == 200 and changed.json()["version"] == 2
    stale = api(client, editor, "PATCH", url, {"title": "Lost", "expected_version": 1})
    assert stale.status_code == 409 and stale.json()["current"]["title"] == "Guided data connection"
    assert api(client, editor, "PATCH", url, {"title": "No version"}).status_code == 400
    bad = api(client, editor, "PATCH", url, {"expected_version": 2, "shipped_date": "2025-01-01"})
    assert bad.status_code == 400
    assert bad.json() == {
        "shipped_date": ["An initiative gets a ship date when it ships (change its status to “shipped”)."]
    }
    listed = api(client, viewer, "GET", base, status="proposed").json()
    assert [i["title"] for i in listed["results"]] == ["Guided data connection"]
    assert api(client, editor, "DELETE", url, expected_version=1).status_code == 409
    assert api(client, editor, "DELETE", url, expected_version=2).status_code == 204
    assert not Initiative.objects.exists()


def test_status_moves_and_refusals(client, workspace, editor):
    made = api(
        client, editor, "POST", f"/api/v1/workspaces/{workspace.pk}/initiatives/", {"title": "T"}
    ).json()
    url = f"/api/v1/initiatives/{made['id']}/status/"
    shipped = api(
        client,
        editor,
        "POST",
        url,
        {"status": "shipped", "shipped_date": "2025-05-02", "expected_version": 1},
    )
    assert shipped.status_code == 200
    assert (shipped.json()["status"], shipped.json()["shipped_date"]) == ("shipped", "2025-05-02")
    assert [c["to_status"] for c in shipped.json()["status_changes"]] == ["proposed", "shipped"]
    assert StatusChange.objects.filter(to_status="shipped").get().via == "api"
    refused = api(client, editor, "POST", url, {"status": "proposed"})
    assert refused.status_code == 400 and "can move to" in refused.json()["status"][0]
    assert api(client, editor, "POST", url, {"status": "measured"}).json()["status"] == [
        "An initiative is measured against its target metrics: add one first."
    ]
    assert api(client, editor, "POST", url, {"status": "launched"}).status_code == 400
    assert api(client, editor, "POST", url, {"status": "planned", "expected_version": 1}).status_code == 409


def test_cards_targets_outcome_and_links(
    client, workspace, admin, editor, pain_journey, pain_cards, restricted_pain_cards
):
    made = api(
        client,
        editor,
        "POST",
        f"/api/v1/workspaces/{workspace.pk}/initiatives/",
        {"title": "T", "baseline_days": 90, "after_days": 91},
    ).json()
    pk = made["id"]
    cards_url = f"/api/v1/initiatives/{pk}/cards/"
    linked = api(client, editor, "POST", cards_url, {"card": pain_cards[0].pk})
    assert linked.status_code == 201 and linked.json()["id"] == pain_cards[0].pk
    assert linked.json()["confidence"] == "assumption" and linked.json()["composite"] is None
    hidden = api(client, editor, "POST", cards_url, {"card": restricted_pain_cards[0].pk})
    assert hidden.status_code == 400
    assert hidden.json() == {"card": [f"No card {restricted_pain_cards[0].pk} that you can see."]}
    InitiativeCard.objects.create(
        initiative_id=pk, card=restricted_pain_cards[0]
    )  # linked by someone who can see it
    assert [c["id"] for c in api(client, editor, "GET", cards_url).json()] == [pain_cards[0].pk]
    assert len(api(client, admin, "GET", cards_url).json()) == 2
    assert api(client, editor, "DELETE", f"{cards_url}{pain_cards[0].pk}/").status_code == 204
    assert api(client, editor, "DELETE", f"{cards_url}{pain_cards[0].pk}/").status_code == 404

    metric = monthly(pain_journey, admin, "Tickets", [10, 10, 10, 14, 15, 16])
    targets_url = f"/api/v1/initiatives/{pk}/targets/"
    target = api(
        client,
        editor,
        "POST",
        targets_url,
        {"metric": metric.pk, "expected_direction": "up", "expected_size": "20", "size_unit": "percent"},
    )
    assert target.status_code == 201, target.content
    target_url = f"/api/v1/initiative-targets/{target.json()['id']}/"
    assert (
        api(client, editor, "PATCH", target_url, {"expected_size": 40, "expected_version": 1}).status_code
        == 409
    )
    changed = api(client, editor, "PATCH", target_url, {"expected_size": 40, "expected_version": 2})
    assert changed.status_code == 200 and changed.json()["expected_size"] == 40
    api(
        client,
        editor,
        "POST",
        f"/api/v1/initiatives/{pk}/status/",
        {"status": "shipped", "shipped_date": "2025-04-01"},
    )
    (outcome,) = api(client, editor, "GET", f"/api/v1/initiatives/{pk}/outcome/").json()
    o = outcome["outcome"]
    assert (o["verdict"], o["baseline"]["value"], o["after"]["value"], o["change"], o["change_percent"]) == (
        "met",
        10,
        15,
        5,
        50,
    )
    assert (o["baseline"]["periods"], o["after"]["periods"], o["window_open"]) == (3, 3, False)
    detail = api(client, editor, "GET", f"/api/v1/initiatives/{pk}/").json()
    assert detail["targets"][0]["outcome"]["verdict"] == "met"
    measured = api(client, editor, "POST", f"/api/v1/initiatives/{pk}/status/", {"status": "measured"}).json()
    assert measured["targets"][0]["verdict"] == "met" and measured["targets"][0]["baseline_count"] == 3
    assert api(client, editor, "DELETE", target_url, expected_version=measured["version"]).status_code == 400

    links_url = f"/api/v1/initiatives/{pk}/delivery-links/"
    bad = api(
        client, editor, "POST", links_url, {"provider": "jira", "key": "ONB-1", "url": "javascript:alert(1)"}
    )
    assert bad.status_code == 400
    assert bad.json() == {"url": ["Enter a valid URL."]}
    made_link = api(
        client,
        editor,
        "POST",
        links_url,
        {"provider": "jira", "key": "ONB-1", "url": "https://x.atlassian.net/browse/ONB-1"},
    )
    assert made_link.status_code == 201 and made_link.json()["key"] == "ONB-1"
    assert (
        api(client, editor, "DELETE", f"/api/v1/delivery-links/{made_link.json()['id']}/").status_code == 204
    )
    assert not DeliveryLink.objects.exists()


def test_targets_of_hidden_metrics_are_not_shown_nor_counted(
    client, workspace, admin, editor, restricted_pain_journey
):
    secret = monthly(restricted_pain_journey, admin, "Secret", [1, 2, 3])
    made = api(
        client, admin, "POST", f"/api/v1/workspaces/{workspace.pk}/initiatives/", {"title": "T"}
    ).json()
    api(
        client,
        admin,
        "POST",
        f"/api/v1/initiatives/{made['id']}/targets/",
        {"metric": secret.pk, "expected_direction": "up", "expected_size": 1},
    )
    assert api(client, editor, "GET", f"/api/v1/initiatives/{made['id']}/targets/").json() == []
    (row,) = api(client, editor, "GET", f"/api/v1/workspaces/{workspace.pk}/initiatives/").json()["results"]
    assert row["target_count"] == 0
    target = InitiativeTarget.objects.get()
    assert (
        api(
            client,
            editor,
            "PATCH",
            f"/api/v1/initiative-targets/{target.pk}/",
            {"expected_size": 2, "expected_version": 2},
        ).status_code
        == 404
    )


# session, user, the workspace (with role), count, the page of initiatives (counts as subqueries), their
# delivery links
LIST_QUERIES = 6
# session, user, the initiative (with role), it with owner, research settings, cards, targets, measurements,
# history, links
DETAIL_QUERIES = 10


def test_list_and_detail_queries_do_not_grow(
    client, django_assert_num_queries, workspace, admin, viewer, pain_journey, pain_cards
):
    made = Initiative.objects.create(
        workspace=workspace, title="T", status="shipped", shipped_date=date(2025, 4, 1)
    )
    first = monthly(pain_journey, admin, "First", [1, 2])
    InitiativeTarget.objects.create(initiative=made, metric=first, expected_direction="up", expected_size=0)
    DeliveryLink.objects.create(initiative=made, provider="jira", key="K-1")
    client.force_login(viewer)
    url = f"/api/v1/workspaces/{workspace.pk}/initiatives/"
    detail = f"/api/v1/initiatives/{made.pk}/"
    with django_assert_num_queries(LIST_QUERIES):
        client.get(url)
    with django_assert_num_queries(DETAIL_QUERIES):
        client.get(detail)
    rows = Initiative.objects.bulk_create(Initiative(workspace=workspace, title=f"I{i}") for i in range(40))
    DeliveryLink.objects.bulk_create(
        DeliveryLink(initiative=r, provider="jira", key=f"K-{r.pk}") for r in rows
    )
    InitiativeCard.objects.bulk_create(InitiativeCard(initiative=made, card=c) for c in pain_cards)
    for i in range(4):
        m = monthly(pain_journey, admin, f"M{i}", list(range(1, 13)))
        InitiativeTarget.objects.create(initiative=made, metric=m, expected_direction="up", expected_size=0)
    with django_assert_num_queries(LIST_QUERIES):
        assert client.get(url).json()["count"] == 41
    with django_assert_num_queries(DETAIL_QUERIES):
        body = client.get(detail).json()
    assert len(body["cards"]) == len(pain_cards) and len(body["targets"]) == 5
