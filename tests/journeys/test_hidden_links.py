"""A restricted journey's id is never shown to people who cannot see it: not as a step's sub-journey, a
journey's parent or the current state of a future-state copy (map, detail, list and element answers)."""

from django.urls import reverse
from rest_framework.test import APIClient

from journeys import services
from journeys.models import Journey, Step, Visibility
from journeys.services import versioning
from tests import factories


def _links(workspace, admin, journey):
    hidden = factories.make_journey(workspace, by=admin, title="Secret", visibility=Visibility.RESTRICTED)
    step = Step.objects.filter(journey=journey).order_by("pk").first()
    Step.objects.filter(pk=step.pk).update(sub_journey=hidden)
    child = factories.make_journey(workspace, by=admin, title="Child")
    Journey.objects.filter(pk=child.pk).update(parent=hidden, current_state_of=hidden)
    return hidden, step, child


def test_people_outside_a_restricted_journey_never_see_its_id(workspace, admin, viewer, journey):
    hidden, step, child = _links(workspace, admin, journey)
    api = APIClient()
    api.force_login(viewer)
    body = api.get(reverse("journeys-api:journey-map", args=[journey.pk])).json()
    steps = {s["id"]: s for stage in body["stages"] for s in stage["steps"]}
    assert steps[step.pk]["sub_journey"] is None
    assert api.get(reverse("journeys-api:step-detail", args=[step.pk])).json()["sub_journey"] is None
    detail = api.get(reverse("journeys-api:journey-detail", args=[child.pk])).json()
    assert detail["parent"] is None and detail["current_state_of"] is None
    listed = {j["id"]: j for j in api.get(reverse("journeys-api:journey-list")).json()["results"]}
    assert listed[child.pk]["parent"] is None
    version = versioning.version_save(journey_id=journey.pk, by=admin, label="With a secret link")
    snapshot = api.get(reverse("journeys-api:version-detail", args=[version.pk])).json()["snapshot"]
    assert {s["id"]: s["sub_journey"] for s in snapshot["steps"]}[step.pk] is None
    admin_api = APIClient()
    admin_api.force_login(admin)
    snapshot = admin_api.get(reverse("journeys-api:version-detail", args=[version.pk])).json()["snapshot"]
    assert {s["id"]: s["sub_journey"] for s in snapshot["steps"]}[step.pk] == hidden.pk


def test_people_who_can_see_it_get_the_links(workspace, admin, viewer, journey):
    hidden, step, child = _links(workspace, admin, journey)
    services.journey_grant_set(journey_id=hidden.pk, by=admin, grantee=viewer, level="view")
    api = APIClient()
    api.force_login(viewer)
    body = api.get(reverse("journeys-api:journey-map", args=[journey.pk])).json()
    steps = {s["id"]: s for stage in body["stages"] for s in stage["steps"]}
    assert steps[step.pk]["sub_journey"] == hidden.pk
    detail = api.get(reverse("journeys-api:journey-detail", args=[child.pk])).json()
    assert detail["parent"] == hidden.pk and detail["current_state_of"] == hidden.pk
    listed = {j["id"]: j for j in api.get(reverse("journeys-api:journey-list")).json()["results"]}
    assert listed[child.pk]["parent"] == hidden.pk
