"""Removing a member takes away what they held in that workspace: their journey grants and their team
places. Re-inviting them starts afresh (the old grants do not come back). accounts never imports journeys:
journeys registers its part on accounts.hooks in JourneysConfig.ready()."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import hooks
from accounts import services as account_services
from accounts.models import Role, Team
from journeys import access
from journeys import services as journey_services
from journeys.models import JourneyGroupPermission, JourneyUserPermission
from tests import factories


@pytest.fixture
def dana(workspace, admin, journey, restricted_journey):
    """A viewer who manages the restricted journey, edits the other, and sits in a team with a grant."""
    user = factories.add_member(workspace, factories.make_user("dana", first_name="Dana"), Role.VIEWER)
    journey_services.journey_grant_set(
        journey_id=restricted_journey.pk, by=admin, grantee=user, level="manage"
    )
    journey_services.journey_grant_set(journey_id=journey.pk, by=admin, grantee=user, level="edit")
    team = account_services.team_create(workspace=workspace, name="Pricing", members=[user])
    journey_services.journey_grant_set(journey_id=restricted_journey.pk, by=admin, grantee=team, level="view")
    return user


def _level(user, journey):
    return access.journey_level(user, journey, access.role_in(user, journey.workspace_id) or Role.VIEWER)


def _held_by(user):
    return (
        JourneyUserPermission.objects.filter(user=user).count(),
        Team.objects.filter(members=user).count(),
        user.groups.count(),
    )


def test_the_journeys_app_registered_its_callback():
    assert access.grants_forget_member in hooks.member_removed_callbacks()


@pytest.mark.parametrize("path", ["service", "page", "api"])
def test_removing_a_member_removes_their_grants_and_team_places(client, admin, workspace, dana, path):
    assert _held_by(dana) == (2, 1, 1)
    if path == "service":
        account_services.membership_remove(workspace=workspace, user=dana)
    elif path == "page":
        client.force_login(admin)
        response = client.post(reverse("accounts:member_remove", args=[workspace.pk, dana.pk]))
        assert response.status_code == 302
    else:
        api = APIClient()
        api.force_login(admin)
        assert (
            api.delete(reverse("accounts-api:member-detail", args=[workspace.pk, dana.pk])).status_code == 204
        )
    assert _held_by(dana) == (0, 0, 0)
    # The team keeps its own grant; only the person left it.
    assert JourneyGroupPermission.objects.count() == 1


def test_a_reinvited_member_gets_nothing_back(client, admin, workspace, dana, restricted_journey, journey):
    account_services.membership_remove(workspace=workspace, user=dana)
    invitation = account_services.invitation_create(
        workspace=workspace, email=dana.email, role=Role.VIEWER, by=admin
    )
    account_services.invitation_accept(token=invitation.token, user=dana)
    assert _level(dana, restricted_journey) is None
    assert _level(dana, journey) == access.VIEW  # the viewer role's default, not the old edit grant
    client.force_login(dana)
    assert client.get(reverse("journeys:map", args=[restricted_journey.pk])).status_code == 404
    assert _held_by(dana) == (0, 0, 0)


def test_leaving_one_workspace_keeps_grants_in_another(admin, workspace, dana):
    other = factories.make_workspace("Sister company", admin=admin)
    factories.add_member(other, dana, Role.VIEWER)
    elsewhere = factories.make_journey(other, by=admin, title="Elsewhere", visibility="restricted")
    journey_services.journey_grant_set(journey_id=elsewhere.pk, by=admin, grantee=dana, level="edit")
    account_services.membership_remove(workspace=workspace, user=dana)
    assert list(
        JourneyUserPermission.objects.filter(user=dana).values_list("content_object_id", flat=True)
    ) == [elsewhere.pk]


def test_a_refused_removal_keeps_everything(admin, workspace, dana, journey):
    journey_services.journey_update(journey_id=journey.pk, by=admin, owner=dana)
    with pytest.raises(ValidationError, match="owns journeys"):
        account_services.membership_remove(workspace=workspace, user=dana)
    assert _held_by(dana) == (2, 1, 1)
