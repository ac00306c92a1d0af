"""The journey list (journeys:list): hierarchy, filters, HTMX partial, permissions, query counts."""

import re

import pytest
from django.urls import reverse

from accounts.models import Role
from journeys import services
from journeys.models import JourneyLevel, JourneyState
from tests import factories

LIST = reverse("journeys:list")


def _titles(body: str) -> list[str]:
    return re.findall(r'<a href="/journeys/\d+/" dir="auto">([^<]+)</a>', body)


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(LIST)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(
    ("persona", "sees_restricted", "can_create"),
    [("viewer", False, False), ("editor", False, True), ("manager", True, False), ("admin", True, True)],
)
def test_members_see_visible_journeys(
    client, persona_user, journey, restricted_journey, persona, sees_restricted, can_create
):
    client.force_login(persona_user(persona))
    response = client.get(LIST)
    assert response.status_code == 200
    titles = _titles(response.content.decode())
    assert journey.title in titles
    assert (restricted_journey.title in titles) is sees_restricted
    assert (reverse("journeys:create") in response.content.decode()) is can_create


def test_outsider_sees_only_their_own_workspace(client, outsider, journey):
    client.force_login(outsider)
    body = client.get(LIST).content.decode()
    assert journey.title not in body
    assert "Map your first journey" in body  # their own workspace is empty


def test_person_without_workspace_is_offered_to_create_one(client, db):
    client.force_login(factories.make_user("loner"))
    body = client.get(LIST).content.decode()
    assert "You're not in a workspace yet" in body and reverse("accounts:workspace_create") in body


def test_hierarchy_lists_children_under_their_parent(client, admin, workspace):
    life = factories.make_journey(workspace, by=admin, title="B lifecycle")
    sub = factories.make_journey(
        workspace, by=admin, title="Z sub", parent=life, level=JourneyLevel.SUB_JOURNEY
    )
    factories.make_journey(workspace, by=admin, title="A micro", parent=sub, level=JourneyLevel.MICRO)
    factories.make_journey(workspace, by=admin, title="C other")
    client.force_login(admin)
    body = client.get(LIST).content.decode()
    assert _titles(body) == ["B lifecycle", "Z sub", "A micro", "C other"]
    depths = re.findall(r'class="jtitle" style="--depth: (\d+)"', body)
    assert depths == ["0", "1", "2", "0"]


def test_row_shows_level_state_owner_cards_and_tags(client, admin, editor, workspace):
    journey = factories.make_journey(
        workspace,
        by=admin,
        title="Checkout",
        owner=editor,
        state=JourneyState.FUTURE,
        tags=["billing", "web"],
    )
    factories.make_map(journey, cards=7)
    client.force_login(admin)
    body = client.get(LIST).content.decode()
    row = body[body.index(f'data-journey-id="{journey.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "Lifecycle" in row and "Future" in row and "Bob" in row
    assert '<span class="count-pill">7</span>' in row
    assert ">billing<" in row and ">web<" in row
    assert "just now" in row and "by <bdi>Alice Admin</bdi>" in row


def test_row_escapes_what_people_typed_and_links_tags_by_their_text(client, admin, editor, workspace):
    journey = factories.make_journey(
        workspace, by=admin, title='Sign-up <script>x()</script> & "more"', persona="Ops <lead>",
        tags=["a&b <c>", "ä/ö ?#"], visibility="restricted",
    )  # fmt: skip
    services.journey_update(journey_id=journey.pk, by=admin, expected_version=journey.version, archived=True)
    client.force_login(admin)
    body = client.get(LIST + "?archived=on").content.decode()
    row = body[body.index(f'data-journey-id="{journey.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "<script>" not in row and "<lead>" not in row and "<c>" not in row
    assert ">Sign-up &lt;script&gt;x()&lt;/script&gt; &amp; &quot;more&quot;</a>" in row
    assert ">Ops &lt;lead&gt;</span>" in row
    assert '?tag=a%26b%20%3Cc%3E" dir="auto">a&amp;b &lt;c&gt;</a>' in row
    assert '?tag=%C3%A4/%C3%B6%20%3F%23" dir="auto">ä/ö ?#</a>' in row
    assert "Restricted</span>" in row and 'class="badge badge--archived"' in row
    assert row.startswith(f'data-journey-id="{journey.pk}"') and 'class="is-archived"' in body


@pytest.fixture
def catalogue(workspace, admin, editor):
    return {
        "life": factories.make_journey(workspace, by=admin, title="Lifecycle map", tags=["core"]),
        "future": factories.make_journey(
            workspace, by=admin, title="Future onboarding", state=JourneyState.FUTURE
        ),
        "micro": factories.make_journey(
            workspace,
            by=admin,
            title="Password reset",
            level=JourneyLevel.MICRO,
            owner=editor,
            tags=["support"],
        ),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "onboard"}, ["Future onboarding"]),
        ({"q": "ONBOARD"}, ["Future onboarding"]),
        ({"level": "micro"}, ["Password reset"]),
        ({"state": "future"}, ["Future onboarding"]),
        ({"tag": "support"}, ["Password reset"]),
        ({"level": "lifecycle", "state": "current"}, ["Lifecycle map"]),
        (
            {"level": "nonsense"},
            ["Future onboarding", "Lifecycle map", "Password reset"],
        ),  # ignored, not an error
    ],
)
def test_filters(client, admin, catalogue, query, expected):
    client.force_login(admin)
    response = client.get(LIST, query)
    assert response.status_code == 200
    assert _titles(response.content.decode()) == expected


def test_owner_filter(client, admin, editor, catalogue):
    client.force_login(admin)
    assert _titles(client.get(LIST, {"owner": editor.pk}).content.decode()) == ["Password reset"]


def test_archived_journeys_show_only_on_request(client, admin, catalogue):
    services.journey_update(journey_id=catalogue["micro"].pk, by=admin, archived=True)
    client.force_login(admin)
    assert "Password reset" not in _titles(client.get(LIST).content.decode())
    body = client.get(LIST, {"archived": "on"}).content.decode()
    assert "Password reset" in _titles(body) and "Archived" in body


def test_no_match_says_so(client, admin, catalogue):
    client.force_login(admin)
    body = client.get(LIST, {"q": "zzz"}).content.decode()
    assert "No journey matches" in body and "Clear filters" in body


def test_htmx_request_gets_only_the_results(client, admin, catalogue):
    client.force_login(admin)
    response = client.get(LIST, {"q": "reset"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<html" not in body and 'class="filters"' not in body
    assert _titles(body) == ["Password reset"]
    assert "HX-Request" in response["Vary"]
    full = client.get(LIST, {"q": "reset"}).content.decode()
    assert "<html" in full and 'hx-get="/journeys/"' in full and 'hx-target="#journey-results"' in full


def test_tag_filter_offers_every_visible_tag_once(client, admin, viewer, workspace, catalogue):
    factories.make_journey(workspace, by=admin, title="Hidden", visibility="restricted", tags=["secret"])
    factories.make_journey(workspace, by=admin, title="Also core", tags=["core"])
    client.force_login(viewer)
    body = client.get(LIST).content.decode()
    select = body[body.index('name="tag"') : body.index("</select>", body.index('name="tag"'))]
    assert re.findall(r'<option value="([^"]*)"', select) == ["", "core", "support"]


# Queries of the list: 1 session · 2 user · 3 memberships (current workspace, cached for the top bar) ·
# 4 members of the workspace (owner filter) · 5 the tags in use (one unnest query) · 6 the hierarchy's
# order (ids and parents of every matching journey in title order, visibility included) · 7 the page's
# journeys with owner, parent and last editor, and their card counts (a subquery per row of the page).
LIST_QUERIES = 7


def test_list_query_count_does_not_grow_with_the_portfolio(
    client, django_assert_num_queries, workspace, admin, viewer
):
    owners = [
        factories.add_member(workspace, factories.make_user(f"owner{i}"), Role.EDITOR) for i in range(3)
    ]
    first = factories.make_journey(workspace, by=admin, title="First", tags=["a"])
    factories.make_map(first, cards=5)
    client.force_login(viewer)
    with django_assert_num_queries(LIST_QUERIES):
        assert client.get(LIST).status_code == 200

    parent = first
    for i in range(40):
        journey = factories.make_journey(
            workspace,
            by=admin,
            title=f"Journey {i}",
            owner=owners[i % 3],
            parent=parent if i % 2 else None,
            tags=[f"t{i}", "shared"],
        )
        factories.make_map(journey, cards=20)
        parent = journey
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(LIST)
    assert len(_titles(response.content.decode())) == 41
    with django_assert_num_queries(LIST_QUERIES):
        client.get(LIST, {"q": "journey", "tag": "shared"}, headers={"HX-Request": "true"})
