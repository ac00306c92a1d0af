"""A journey's own pages: settings (journeys:settings), access (journeys:access, journeys:access_remove),
archive (journeys:archive) and delete (journeys:delete)."""

import pytest
from django.urls import reverse

from accounts import services as account_services
from journeys import access as access_rules
from journeys import services
from journeys.models import Journey, Visibility
from tests import factories
from tests.checks import assert_refused

PERSONAS = ["anonymous", "outsider", "viewer", "editor", "manager", "admin"]
EDIT = dict(zip(PERSONAS, (302, 404, 403, 200, 200, 200), strict=True))
EDIT_RESTRICTED = dict(zip(PERSONAS, (302, 404, 404, 404, 200, 200), strict=True))
MANAGE = dict(zip(PERSONAS, (302, 404, 403, 403, 200, 200), strict=True))
MANAGE_RESTRICTED = EDIT_RESTRICTED


def _settings_form(journey, **overrides):
    data = {
        "title": journey.title,
        "description": journey.description,
        "persona": journey.persona,
        "level": journey.level,
        "state": journey.state,
        "parent": journey.parent_id or "",
        "owner": journey.owner_id,
        "tags": ", ".join(journey.tags),
        "visibility": journey.visibility,
        "expected_version": journey.version,
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    ("name", "public", "restricted"),
    [
        ("journeys:settings", EDIT, EDIT_RESTRICTED),
        ("journeys:access", MANAGE, MANAGE_RESTRICTED),
        ("journeys:delete", MANAGE, MANAGE_RESTRICTED),
    ],
)
def test_pages_by_persona(
    client, persona_user, journey, restricted_journey, persona, name, public, restricted
):
    user = persona_user(persona)
    if user:
        client.force_login(user)
    response = client.get(reverse(name, args=[journey.pk]))
    assert response.status_code == public[persona]
    if public[persona] == 302:
        assert response["Location"].startswith(reverse("accounts:login"))
    assert client.get(reverse(name, args=[restricted_journey.pk])).status_code == restricted[persona]


# --- settings


def test_editor_changes_the_journey(client, editor, journey):
    client.force_login(editor)
    url = reverse("journeys:settings", args=[journey.pk])
    response = client.post(url, _settings_form(journey, title="Customer lifecycle 2025", tags="core, smb"))
    assert response.status_code == 302 and response["Location"] == url
    journey.refresh_from_db()
    assert (
        journey.title == "Customer lifecycle 2025"
        and journey.tags == ["core", "smb"]
        and journey.version == 2
    )
    assert journey.activities.filter(verb="updated", actor=editor).exists()
    assert "Journey settings saved." in client.get(url).content.decode()


def test_editor_cannot_change_owner_or_visibility(client, editor, journey):
    client.force_login(editor)
    url = reverse("journeys:settings", args=[journey.pk])
    body = client.get(url).content.decode()
    assert 'name="owner"' in body and "Only people who manage this journey can change this." in body
    client.post(
        url, _settings_form(journey, owner=editor.pk, visibility=Visibility.RESTRICTED, persona="Buyers")
    )
    journey.refresh_from_db()
    assert journey.owner.username == "alice" and journey.visibility == Visibility.WORKSPACE  # disabled fields
    assert journey.persona == "Buyers"  # the rest was saved


def test_manager_changes_owner_and_visibility(client, manager, editor, journey):
    client.force_login(manager)
    client.post(
        reverse("journeys:settings", args=[journey.pk]),
        _settings_form(journey, owner=editor.pk, visibility=Visibility.RESTRICTED),
    )
    journey.refresh_from_db()
    assert journey.owner == editor and journey.visibility == Visibility.RESTRICTED


def test_stale_version_shows_the_conflict_and_changes_nothing(client, editor, admin, journey):
    client.force_login(editor)
    url = reverse("journeys:settings", args=[journey.pk])
    stale = _settings_form(journey, title="Mine")
    services.journey_update(journey_id=journey.pk, by=admin, expected_version=journey.version, title="Theirs")

    response = client.post(url, stale)

    assert response.status_code == 200
    body = response.content.decode()
    assert "<bdi>Alice Admin</bdi> changed this journey while you were editing" in body
    assert 'value="Mine"' in body  # what the editor typed is kept
    journey.refresh_from_db()
    assert journey.title == "Theirs"
    assert f'name="expected_version" value="{journey.version}"' in body  # saving again replaces knowingly
    client.post(url, _settings_form(journey, title="Mine"))
    journey.refresh_from_db()
    assert journey.title == "Mine"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ""}, "title"),
        ({"level": "planet"}, "level"),
        ({"tags": "z" * 51}, "tags"),
        ({"expected_version": "abc"}, "expected_version"),
    ],
)
def test_bad_settings_show_the_field_error_and_change_nothing(client, editor, journey, overrides, field):
    client.force_login(editor)
    before = Journey.objects.filter(pk=journey.pk).values().get()
    response = client.post(
        reverse("journeys:settings", args=[journey.pk]), _settings_form(journey, **overrides)
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert Journey.objects.filter(pk=journey.pk).values().get() == before


def test_a_journey_cannot_become_its_own_ancestor(client, admin, journey, workspace):
    child = factories.make_journey(workspace, by=admin, title="Child", parent=journey)
    client.force_login(admin)
    response = client.post(
        reverse("journeys:settings", args=[journey.pk]), _settings_form(journey, parent=child.pk)
    )
    # The form again (200, not a redirect to "saved"), saying why.
    assert_refused(response, 200, contains="This parent would make a cycle in the journey hierarchy.")
    journey.refresh_from_db()
    assert journey.parent is None


def test_viewer_cannot_post_settings(client, viewer, journey):
    client.force_login(viewer)
    response = client.post(
        reverse("journeys:settings", args=[journey.pk]), _settings_form(journey, title="No")
    )
    assert response.status_code == 403
    journey.refresh_from_db()
    assert journey.title == "Customer lifecycle"


# --- access


def test_manager_grants_and_revokes(client, manager, viewer, workspace, journey):
    team = account_services.team_create(workspace=workspace, name="Research guild", members=[viewer])
    client.force_login(manager)
    url = reverse("journeys:access", args=[journey.pk])

    response = client.post(url, {"grantee": f"user:{viewer.pk}", "level": "edit"})
    assert response.status_code == 302
    assert access_rules.journey_level(viewer, journey, "viewer") == "edit"
    client.post(url, {"grantee": f"team:{team.pk}", "level": "view"})

    body = client.get(url).content.decode()
    assert "Charlie" in body and "Can edit" in body and "Research guild" in body

    response = client.post(
        reverse("journeys:access_remove", args=[journey.pk]), {"grantee": f"user:{viewer.pk}"}
    )
    assert response.status_code == 302
    grants = {(g["kind"], g["id"]) for g in access_rules.grants_of(journey)}
    assert ("user", viewer.pk) not in grants and ("team", team.pk) in grants


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"grantee": "", "level": "edit"}, "grantee"),
        ({"grantee": "user:999999", "level": "edit"}, "grantee"),
        ({"grantee": "user:{viewer}", "level": "own"}, "level"),
        ({"grantee": "user:{outsider}", "level": "view"}, "grantee"),
    ],
)
def test_bad_grant_shows_the_field_error_and_grants_nothing(
    client, manager, viewer, outsider, journey, data, field
):
    client.force_login(manager)
    data = {k: v.format(viewer=viewer.pk, outsider=outsider.pk) for k, v in data.items()}
    before = access_rules.grants_of(journey)
    response = client.post(reverse("journeys:access", args=[journey.pk]), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert access_rules.grants_of(journey) == before


def test_removing_an_unknown_grant_changes_nothing(client, manager, viewer, journey):
    client.force_login(manager)
    before = access_rules.grants_of(journey)
    response = client.post(
        reverse("journeys:access_remove", args=[journey.pk]), {"grantee": f"user:{viewer.pk}"}
    )
    assert response.status_code == 302
    assert access_rules.grants_of(journey) == before
    assert "No such grant on this journey." in client.get(response["Location"]).content.decode()


def test_editor_cannot_grant(client, editor, viewer, journey):
    client.force_login(editor)
    response = client.post(
        reverse("journeys:access", args=[journey.pk]), {"grantee": f"user:{viewer.pk}", "level": "manage"}
    )
    assert response.status_code == 403
    assert access_rules.journey_level(viewer, journey, "viewer") == "view"


# --- archive, delete


def test_manager_archives_and_restores(client, manager, journey):
    client.force_login(manager)
    url = reverse("journeys:archive", args=[journey.pk])
    assert client.post(url).status_code == 302
    journey.refresh_from_db()
    assert journey.archived
    client.post(url)
    journey.refresh_from_db()
    assert not journey.archived


def test_editor_cannot_archive(client, editor, journey):
    client.force_login(editor)
    assert client.post(reverse("journeys:archive", args=[journey.pk])).status_code == 403
    journey.refresh_from_db()
    assert not journey.archived
    assert client.get(reverse("journeys:archive", args=[journey.pk])).status_code == 405


def test_delete_needs_the_exact_title(client, manager, journey):
    client.force_login(manager)
    url = reverse("journeys:delete", args=[journey.pk])
    body = client.get(url).content.decode()
    assert "This cannot be undone." in body and "10 cards" in body
    response = client.post(url, {"confirm_title": "customer lifecycle", "expected_version": journey.version})
    assert response.status_code == 200
    assert response.context["form"].errors["confirm_title"] == [
        "This is not the journey's title: nothing was deleted."
    ]
    assert Journey.objects.filter(pk=journey.pk).exists()

    response = client.post(url, {"confirm_title": "Customer lifecycle", "expected_version": journey.version})
    assert response.status_code == 302 and response["Location"] == reverse("journeys:list")
    assert not Journey.objects.filter(pk=journey.pk).exists()


def test_delete_refuses_a_stale_version(client, admin, journey):
    client.force_login(admin)
    version = journey.version
    services.journey_update(journey_id=journey.pk, by=admin, title="Renamed")
    response = client.post(
        reverse("journeys:delete", args=[journey.pk]),
        {"confirm_title": "Renamed", "expected_version": version},
    )
    message = "Someone changed this journey since you opened this page. Check it and try again."
    assert_refused(response, 200, contains=message)
    assert Journey.objects.filter(pk=journey.pk).exists()


def test_editor_cannot_delete(client, editor, journey):
    client.force_login(editor)
    response = client.post(
        reverse("journeys:delete", args=[journey.pk]),
        {"confirm_title": journey.title, "expected_version": journey.version},
    )
    assert response.status_code == 403
    assert Journey.objects.filter(pk=journey.pk).exists()


# --- query counts

# Settings, as an editor: 1 session · 2 user · 3 journey (+ workspace, owner, last editor) with role and
# guardian grants · 4 memberships (top bar) · 5 parent choices · 6 owner choices.
SETTINGS_QUERIES = 6
# Access, as the admin: 1 session · 2 user · 3 journey with role (and grants) · 4 memberships (top bar) ·
# 5 members · 6 teams · 7 user grants · 8 team grants.
ACCESS_QUERIES = 8


def test_settings_and_access_query_counts_do_not_grow(
    client, django_assert_num_queries, workspace, admin, editor, journey
):
    big = factories.make_map(
        factories.make_journey(workspace, by=admin, title="Big"), stages=5, lanes=8, cards=500
    )
    for i in range(20):
        user = factories.add_member(workspace, factories.make_user(f"member{i}"))
        team = account_services.team_create(workspace=workspace, name=f"Team {i}", members=[user])
        services.journey_grant_set(journey_id=big.pk, by=admin, grantee=user if i % 2 else team, level="edit")
        factories.make_journey(workspace, by=admin, title=f"Other {i}")

    for measured in (journey, big):
        client.force_login(editor)
        with django_assert_num_queries(SETTINGS_QUERIES):
            assert client.get(reverse("journeys:settings", args=[measured.pk])).status_code == 200
        client.force_login(admin)
        with django_assert_num_queries(ACCESS_QUERIES):
            response = client.get(reverse("journeys:access", args=[measured.pk]))
    assert response.content.decode().count("Can edit</span>") == 20
