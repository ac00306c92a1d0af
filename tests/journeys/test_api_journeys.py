"""Journeys through the API: list with filters, search and pagination; create; change; delete; hierarchy."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from journeys import services
from journeys.models import Activity, Journey, JourneyLevel, Stage, Visibility
from tests import factories
from tests.checks import assert_refused

LIST = reverse("journeys-api:journey-list")


@pytest.fixture
def api():
    client = APIClient()
    client.default_format = "json"
    return client


def detail(journey):
    return reverse("journeys-api:journey-detail", args=[journey.pk])


def titles(response):
    assert response.status_code == 200, response.json()
    return [j["title"] for j in response.json()["results"]]


# ---------------------------------------------------------------------------------------------- list


def test_list_shows_visible_journeys_with_owner_and_card_count(
    api, admin, journey, restricted_journey, outsider
):
    factories.make_journey(outsider.memberships.get().workspace, by=outsider, title="Theirs")
    api.force_login(admin)
    body = api.get(LIST).json()
    assert body["count"] == 2
    row = next(j for j in body["results"] if j["id"] == journey.pk)
    assert row["card_count"] == 10
    assert row["owner"] == {"id": admin.pk, "username": "alice", "name": "Alice Admin"}
    assert row["revision"] == journey.revision and row["version"] == journey.version


def test_list_hides_restricted_journeys_from_members_without_a_grant(
    api, viewer, manager, journey, restricted_journey
):
    api.force_login(viewer)
    assert titles(api.get(LIST)) == ["Customer lifecycle"]
    api.force_login(manager)
    assert titles(api.get(LIST)) == ["Customer lifecycle", "Pricing change (confidential)"]


def test_list_filters(api, admin, workspace, journey, outsider):
    parent = journey
    child = factories.make_journey(
        workspace,
        by=admin,
        title="Checkout",
        parent=parent,
        level=JourneyLevel.SUB_JOURNEY,
        tags=["web", "pay"],
    )
    future = factories.make_journey(workspace, by=admin, title="Checkout 2027", state="future", tags=["web"])
    archived = factories.make_journey(workspace, by=admin, title="Old checkout", archived=True)
    other_ws = factories.make_workspace("Second", admin=admin)
    elsewhere = factories.make_journey(other_ws, by=admin, title="Elsewhere")
    api.force_login(admin)
    assert titles(api.get(LIST, {"parent": parent.pk})) == [child.title]
    assert titles(api.get(LIST, {"level": "sub-journey"})) == [child.title]
    assert titles(api.get(LIST, {"state": "future"})) == [future.title]
    assert titles(api.get(LIST, {"tag": "web"})) == [child.title, future.title]
    assert titles(api.get(LIST, {"search": "CHECKOUT"})) == [child.title, future.title]
    assert len(titles(api.get(LIST, {"search": "", "tag": ""}))) == 4  # an empty search box filters nothing
    assert titles(api.get(LIST, {"search": "checkout", "include_archived": "true"})) == [
        child.title, future.title, archived.title,
    ]  # fmt: skip
    assert titles(api.get(LIST, {"workspace": other_ws.pk})) == [elsewhere.title]
    assert elsewhere.title in titles(api.get(LIST))
    assert titles(api.get(LIST, {"owner": admin.pk, "workspace": workspace.pk})) == sorted(
        [journey.title, child.title, future.title]
    )


def test_list_bad_filters_are_400_naming_the_field(api, admin, journey):
    api.force_login(admin)
    response = api.get(LIST, {"level": "galactic"})
    assert_refused(response, 400, {"level": ['"galactic" is not a valid choice.']})
    assert_refused(api.get(LIST, {"workspace": "acme"}), 400, {"workspace": ["A valid integer is required."]})


def test_list_is_paginated(api, admin, workspace):
    for i in range(5):
        factories.make_journey(workspace, by=admin, title=f"Journey {i}")
    api.force_login(admin)
    body = api.get(LIST, {"limit": 2, "offset": 2}).json()
    assert body["count"] == 5
    assert [j["title"] for j in body["results"]] == ["Journey 2", "Journey 3"]
    assert body["next"] and body["previous"]


def test_list_query_count_is_the_same_for_2_and_40_journeys(api, admin, workspace, django_assert_num_queries):
    for _ in range(2):
        factories.make_map(factories.make_journey(workspace, by=admin), cards=3)
    api.force_login(admin)
    # session, user, count (no card counts in it), page (journeys + owner, parent, updated_by, and the card
    # counts of the page's journeys only)
    with django_assert_num_queries(4):
        assert api.get(LIST).json()["count"] == 2
    for _ in range(38):
        factories.make_map(factories.make_journey(workspace, by=admin), cards=3)
    with django_assert_num_queries(4):
        body = api.get(LIST).json()
    assert body["count"] == 40 and len(body["results"]) == 40
    assert {j["card_count"] for j in body["results"]} == {3}


# ---------------------------------------------------------------------------------------------- create


def test_create_journey_from_the_framework(api, editor, workspace):
    api.force_login(editor)
    response = api.post(
        LIST, {"workspace": workspace.pk, "title": "Onboarding", "from_framework": True, "tags": ["b2b"]}
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    journey = Journey.objects.get(pk=body["id"])
    assert (journey.owner, journey.tags, body["access_level"]) == (editor, ["b2b"], "manage")
    assert journey.stages.count() == 6 and journey.lanes.count() == 7
    assert Activity.objects.filter(journey=journey, verb="created").exists()


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({"title": ""}, {"title": ["This field may not be blank."]}),
        ({"title": "t" * 201}, {"title": ["At most 200 characters (you have 201)."]}),
        ({"title": "X", "state": "past"}, {"state": ['"past" is not a valid choice.']}),
        ({"title": "X", "level": "mega"}, {"level": ['"mega" is not a valid choice.']}),
        ({"title": "X", "visibility": "secret"}, {"visibility": ['"secret" is not a valid choice.']}),
        ({"title": "X", "owner": 999999}, {"owner": ["Choose a member of this workspace."]}),
        ({"title": "X", "parent": 999999}, {"parent": ["No journey 999999."]}),
        (
            {"title": "X", "tags": ["t" * 51]},
            {"tags": {"0": ["At most 50 characters (you have 51)."]}},
        ),
        ({"title": "X"}, {"workspace": ["This field is required."]}),  # no workspace given
    ],
)
def test_create_bad_input_names_the_field_and_writes_nothing(api, admin, workspace, payload, errors):
    api.force_login(admin)
    data = {"workspace": workspace.pk, **payload} if "workspace" not in errors else payload
    count = Journey.objects.count()
    response = api.post(LIST, data)
    assert_refused(response, 400, errors)
    assert Journey.objects.count() == count


def test_create_refuses_an_owner_outside_the_workspace_and_foreign_workspaces(
    api, admin, workspace, outsider
):
    api.force_login(admin)
    count = Journey.objects.count()
    response = api.post(LIST, {"workspace": workspace.pk, "title": "X", "owner": outsider.pk})
    # The same answer as for an id nobody has: nothing confirms who is in other workspaces.
    assert_refused(response, 400, {"owner": ["Choose a member of this workspace."]})
    elsewhere = outsider.memberships.get().workspace_id
    response = api.post(LIST, {"workspace": elsewhere, "title": "X"})
    assert_refused(response, 400, {"workspace": [f"You are not a member of a workspace {elsewhere}."]})
    assert Journey.objects.count() == count


def test_viewer_cannot_create(api, viewer, workspace):
    api.force_login(viewer)
    count = Journey.objects.count()
    assert api.post(LIST, {"workspace": workspace.pk, "title": "X"}).status_code == 403
    assert Journey.objects.count() == count


# -------------------------------------------------------------------------------------------- change, delete


def test_patch_journey_bumps_version(api, editor, journey):
    api.force_login(editor)
    response = api.patch(
        detail(journey), {"title": "Lifecycle 2", "persona": "SMB owner", "expected_version": 1}
    )
    assert response.status_code == 200, response.json()
    journey.refresh_from_db()
    assert (journey.title, journey.persona, journey.version) == ("Lifecycle 2", "SMB owner", 2)
    assert response.json()["version"] == 2 and response.json()["access_level"] == "edit"


def test_patch_journey_without_expected_version_is_400(api, admin, journey):
    api.force_login(admin)
    response = api.patch(detail(journey), {"title": "Lifecycle 2"})
    assert_refused(response, 400, {"expected_version": ["This field is required."]})
    assert Journey.objects.get(pk=journey.pk).title == "Customer lifecycle"


def test_owner_and_visibility_need_manage(api, editor, admin, journey):
    api.force_login(editor)
    response = api.patch(detail(journey), {"visibility": "restricted", "expected_version": journey.version})
    assert response.status_code == 403
    response = api.patch(detail(journey), {"owner": editor.pk, "expected_version": journey.version})
    assert response.status_code == 403
    journey.refresh_from_db()
    assert (journey.visibility, journey.owner, journey.version) == (Visibility.WORKSPACE, admin, 1)


def test_hierarchy_cycle_is_refused(api, admin, workspace, journey):
    a = journey
    b = factories.make_journey(workspace, by=admin, title="B", parent=a)
    api.force_login(admin)
    cycle = {"parent": ["This parent would make a cycle in the journey hierarchy."]}
    response = api.patch(detail(a), {"parent": b.pk, "expected_version": a.version})
    assert_refused(response, 400, cycle)
    a.refresh_from_db()
    assert a.parent_id is None and a.version == 1
    response = api.patch(detail(a), {"parent": a.pk, "expected_version": a.version})
    assert_refused(response, 400, cycle)
    # Unlinking and relinking the other way round is fine.
    c = factories.make_journey(workspace, by=admin, title="C")
    response = api.patch(detail(a), {"parent": c.pk, "expected_version": a.version})
    assert response.status_code == 200 and response.json()["parent"] == c.pk


def test_parent_must_be_a_journey_you_can_see(api, editor, journey, restricted_journey):
    api.force_login(editor)
    response = api.patch(
        detail(journey), {"parent": restricted_journey.pk, "expected_version": journey.version}
    )
    # The same answer as for an id that does not exist: nothing confirms the restricted journey is there.
    assert_refused(response, 400, {"parent": [f"No journey {restricted_journey.pk}."]})
    assert Journey.objects.get(pk=journey.pk).parent_id is None


def test_delete_journey_needs_expected_version_and_manage(api, admin, editor, workspace, journey):
    child = factories.make_journey(workspace, by=admin, title="Child", parent=journey)
    api.force_login(editor)
    assert api.delete(f"{detail(journey)}?expected_version=1").status_code == 403
    api.force_login(admin)
    response = api.delete(detail(journey))
    assert_refused(response, 400, {"expected_version": ["This field is required."]})
    assert Journey.objects.filter(pk=journey.pk).exists()
    assert api.delete(f"{detail(journey)}?expected_version=1").status_code == 204
    assert not Journey.objects.filter(pk=journey.pk).exists()
    assert not Stage.objects.filter(journey_id=journey.pk).exists()
    child.refresh_from_db()
    assert child.parent_id is None


def test_journey_detail_after_concurrent_change(api, admin, editor, journey):
    api.force_login(editor)
    services.journey_update(journey_id=journey.pk, by=admin, expected_version=1, description="Theirs")
    body = api.get(detail(journey)).json()
    assert (body["version"], body["description"], body["access_level"]) == (2, "Theirs", "edit")


def test_is_template_needs_manage_and_a_form_without_it_leaves_it_alone(api, editor, admin, journey):
    api.force_login(editor)
    response = api.patch(detail(journey), {"is_template": True, "expected_version": 1})
    assert response.status_code == 403
    # A form-encoded PATCH that does not mention the checkboxes must not read them as "false".
    response = api.patch(detail(journey), {"title": "From a form", "expected_version": 1}, format="multipart")
    assert response.status_code == 200, response.json()
    journey.refresh_from_db()
    assert (journey.title, journey.is_template, journey.archived) == ("From a form", False, False)
    api.force_login(admin)
    response = api.patch(detail(journey), {"is_template": True, "expected_version": 2})
    assert response.status_code == 200 and response.json()["is_template"] is True
