"""A copy must not widen who can see restricted content. Copying a restricted journey needs the manage
right on it (whoever copies owns the copy and could open it to the whole workspace); every copy path goes
through journeys.services.structure.journey_copy: the copy page, the one-click future state, new-from (a
journey or a template, page and API) and the API's copy endpoint. Workspace-visible journeys copy as
before."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Role
from journeys import access
from journeys import services as journey_services
from journeys.models import Journey, Visibility
from journeys.services import structure
from tests import factories

REFUSED = (
    "Copying a restricted journey needs the manage right on it: a copy must not reach more people than "
    "the journey it comes from."
)


@pytest.fixture
def reader(workspace, admin, restricted_journey):
    """An editor by role holding an *edit* grant on the restricted journey (the seen case had view)."""
    user = factories.add_member(workspace, factories.make_user("rita", first_name="Rita"), Role.EDITOR)
    journey_services.journey_grant_set(journey_id=restricted_journey.pk, by=admin, grantee=user, level="edit")
    return user


def _journeys():
    return Journey.objects.count()


def test_the_seen_attack_is_refused_through_the_api(reader, restricted_journey):
    api = APIClient()
    api.force_login(reader)
    before = _journeys()
    url = reverse("journeys-api:journey-copy", args=[restricted_journey.pk])
    for body in ({"title": "Mine now"}, {"title": "Future", "as_future_state": True}):
        response = api.post(url, body, format="json")
        assert response.status_code == 403 and response.json()["detail"] == REFUSED
    assert _journeys() == before


def test_the_seen_attack_is_refused_through_the_pages(client, reader, restricted_journey):
    client.force_login(reader)
    before = _journeys()
    copy_page = reverse("journeys:copy", args=[restricted_journey.pk])
    assert client.get(copy_page).status_code == 403
    post = client.post(copy_page, {"title": "Mine now", "kind": "copy", "content": "cards"})
    assert post.status_code == 403
    future = client.post(reverse("journeys:future_state", args=[restricted_journey.pk]))
    assert future.status_code == 403
    assert _journeys() == before
    # The map offers no copy to them; new-from does not list the journey.
    body = client.get(reverse("journeys:map", args=[restricted_journey.pk])).content.decode()
    assert (
        copy_page not in body and reverse("journeys:future_state", args=[restricted_journey.pk]) not in body
    )
    assert restricted_journey.title not in client.get(reverse("journeys:new_from")).content.decode()


def test_a_restricted_template_is_not_offered_to_those_who_cannot_copy_it(
    client, admin, reader, restricted_journey
):
    structure.journey_template_set(journey_id=restricted_journey.pk, by=admin, is_template=True)
    api = APIClient()
    api.force_login(reader)
    assert api.get(reverse("journeys-api:template-list")).json()["results"] == []
    client.force_login(reader)
    assert restricted_journey.title not in client.get(reverse("journeys:new_from")).content.decode()
    with pytest.raises(PermissionDenied, match="manage right"):
        structure.journey_create_from_template(template_id=restricted_journey.pk, by=reader, title="From it")


def test_a_manager_copies_and_the_copy_keeps_the_audience(manager, reader, restricted_journey, editor):
    api = APIClient()
    api.force_login(manager)
    # The manager is a viewer by role: creating journeys needs the editor role.
    assert api.post(reverse("journeys-api:journey-copy", args=[restricted_journey.pk]), {"title": "x"},
                    format="json").status_code == 403  # fmt: skip
    manager.memberships.update(role=Role.EDITOR)
    response = api.post(
        reverse("journeys-api:journey-copy", args=[restricted_journey.pk]), {"title": "Copy"}, format="json"
    )
    assert response.status_code == 201
    copy = Journey.objects.get(pk=response.json()["id"])
    assert copy.visibility == Visibility.RESTRICTED
    levels = {(g["kind"], g["id"]): g["level"] for g in access.grants_of(copy)}
    assert levels[("user", reader.pk)] == "edit"
    # Whoever may see the source's content and nobody else sees the copy's.
    client = APIClient()
    client.force_login(editor)
    assert client.get(reverse("journeys-api:journey-detail", args=[copy.pk])).status_code == 404


def test_workspace_visible_journeys_copy_as_before(editor, journey):
    api = APIClient()
    api.force_login(editor)
    response = api.post(
        reverse("journeys-api:journey-copy", args=[journey.pk]), {"title": "C"}, format="json"
    )
    assert response.status_code == 201
