"""Who may do what through the journeys API, persona by persona (the full table per URL lives in
tests/test_authorization_matrix.py; these follow the main paths and check that refusals write nothing)."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import services as account_services
from journeys.models import Card, Journey
from tests.checks import assert_refused
from tests.conftest import PERSONAS


@pytest.fixture
def api():
    client = APIClient()
    client.default_format = "json"
    return client


def as_persona(api, persona_user, persona):
    user = persona_user(persona)
    if user is not None:
        api.force_login(user)
    return api


# anonymous · outsider · viewer · editor · manager · admin
READ = {"journey": (401, 404, 200, 200, 200, 200), "restricted_journey": (401, 404, 404, 404, 200, 200)}
EDIT = {"journey": (401, 404, 403, 200, 200, 200), "restricted_journey": (401, 404, 404, 404, 200, 200)}
MANAGE = {"journey": (401, 404, 403, 403, 200, 200), "restricted_journey": (401, 404, 404, 404, 200, 200)}


def _cases():
    for which in ("journey", "restricted_journey"):
        for index, persona in enumerate(PERSONAS):
            yield pytest.param(which, persona, index, id=f"{which}-{persona}")


@pytest.mark.parametrize(("which", "persona", "index"), list(_cases()))
def test_reads(api, request, persona_user, which, persona, index):
    journey = request.getfixturevalue(which)
    card = journey.cards.first()
    as_persona(api, persona_user, persona)
    expected = READ[which][index]
    for url in (
        reverse("journeys-api:journey-detail", args=[journey.pk]),
        reverse("journeys-api:journey-map", args=[journey.pk]),
        reverse("journeys-api:journey-grants", args=[journey.pk]),
        reverse("journeys-api:card-detail", args=[card.pk]),
    ):
        assert api.get(url).status_code == expected, url


@pytest.mark.parametrize(("which", "persona", "index"), list(_cases()))
def test_card_edit(api, request, persona_user, which, persona, index):
    journey = request.getfixturevalue(which)
    card = journey.cards.first()
    as_persona(api, persona_user, persona)
    response = api.patch(
        reverse("journeys-api:card-detail", args=[card.pk]),
        {"text": "Changed", "expected_version": card.version},
    )
    expected = EDIT[which][index]
    assert response.status_code == expected
    assert Card.objects.get(pk=card.pk).text == ("Changed" if expected == 200 else card.text)


@pytest.mark.parametrize(("which", "persona", "index"), list(_cases()))
def test_card_create_and_move(api, request, persona_user, which, persona, index):
    as_persona(api, persona_user, persona)
    journey = request.getfixturevalue(which)
    lane, step = journey.lanes.first(), journey.steps.first()
    card = journey.cards.first()
    count = Card.objects.count()
    created = api.post(
        reverse("journeys-api:journey-cards", args=[journey.pk]),
        {"lane": lane.pk, "step": step.pk, "text": "New"},
    )
    moved = api.post(
        reverse("journeys-api:card-move", args=[card.pk]), {"expected_version": card.version, "position": 3}
    )
    allowed = EDIT[which][index] == 200
    assert created.status_code == (201 if allowed else EDIT[which][index])
    assert moved.status_code == EDIT[which][index]
    assert Card.objects.count() == count + (1 if allowed else 0)
    assert Card.objects.get(pk=card.pk).version == card.version + (1 if allowed else 0)


@pytest.mark.parametrize(("which", "persona", "index"), list(_cases()))
def test_grants_need_manage(api, request, persona_user, editor, which, persona, index):
    journey = request.getfixturevalue(which)
    as_persona(api, persona_user, persona)
    response = api.post(
        reverse("journeys-api:journey-grants", args=[journey.pk]), {"user": editor.pk, "level": "edit"}
    )
    expected = MANAGE[which][index]
    assert response.status_code == expected
    if expected == 200:
        grants = [g for g in response.json() if (g["kind"], g["id"]) == ("user", editor.pk)]
        assert grants == [{"kind": "user", "id": editor.pk, "name": "bob", "level": "edit"}]
    else:
        assert not journey.journeyuserpermission_set.filter(user=editor).exists()


def test_outsider_cannot_list_or_guess(api, outsider, journey, restricted_journey):
    api.force_login(outsider)
    body = api.get(reverse("journeys-api:journey-list")).json()
    assert body["count"] == 0
    assert (
        api.get(reverse("journeys-api:journey-list"), {"workspace": journey.workspace_id}).json()["count"]
        == 0
    )
    stage = journey.stages.first()
    assert api.get(reverse("journeys-api:stage-detail", args=[stage.pk])).status_code == 404
    assert (
        api.delete(f"{reverse('journeys-api:stage-detail', args=[stage.pk])}?expected_version=1").status_code
        == 404
    )
    assert journey.stages.filter(pk=stage.pk).exists()


def test_team_grant_opens_a_restricted_journey(api, admin, viewer, workspace, restricted_journey):
    team = account_services.team_create(workspace=workspace, name="Pricing squad", members=[viewer])
    url = reverse("journeys-api:journey-map", args=[restricted_journey.pk])
    api.force_login(viewer)
    assert api.get(url).status_code == 404
    api.force_login(admin)
    grants_url = reverse("journeys-api:journey-grants", args=[restricted_journey.pk])
    response = api.post(grants_url, {"team": team.pk, "level": "view"})
    assert response.status_code == 200
    teams = [g for g in response.json() if g["kind"] == "team"]
    assert teams == [{"kind": "team", "id": team.pk, "name": "Pricing squad", "level": "view"}]
    api.force_login(viewer)
    assert api.get(url).status_code == 200
    card = restricted_journey.cards.first()
    response = api.patch(
        reverse("journeys-api:card-detail", args=[card.pk]), {"text": "x", "expected_version": card.version}
    )
    assert response.status_code == 403
    api.force_login(admin)
    assert api.delete(f"{grants_url}?team={team.pk}").status_code == 204
    api.force_login(viewer)
    assert api.get(url).status_code == 404


def test_grant_bad_input(api, admin, outsider, workspace, journey):
    url = reverse("journeys-api:journey-grants", args=[journey.pk])
    api.force_login(admin)
    before = list(api.get(url).json())
    response = api.post(url, {"user": admin.pk, "level": "own"})
    assert_refused(response, 400, {"level": ['"own" is not a valid choice.']})
    either = {"user": ["Give either a user or a team."]}
    assert_refused(api.post(url, {"level": "view"}), 400, either)
    response = api.post(url, {"user": outsider.pk, "level": "view"})  # not a member
    assert_refused(response, 400, {"user": ["Choose a member of this workspace."]})
    other_team = account_services.team_create(workspace=outsider.memberships.get().workspace, name="Theirs")
    response = api.post(url, {"team": other_team.pk, "level": "view"})
    assert_refused(response, 400, {"team": ["Choose a team of this workspace."]})
    assert_refused(api.delete(url), 400, either)
    assert api.get(url).json() == before


def test_anonymous_gets_401_with_a_token_challenge(api, journey):
    response = api.get(reverse("journeys-api:journey-map", args=[journey.pk]))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    response = api.post(
        reverse("journeys-api:journey-list"), {"workspace": journey.workspace_id, "title": "x"}
    )
    assert response.status_code == 401
    assert Journey.objects.count() == 1
