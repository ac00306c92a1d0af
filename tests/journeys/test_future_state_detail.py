"""A future-state copy and the sub-journeys its steps drill into: either they are copied with it (as future
states of theirs, inside the new journey, its steps pointing at the copies), or its steps keep opening the
current-state detail and the map labels those links "Current-state detail: …"."""

import pytest
from django.urls import reverse

from accounts.models import Role
from journeys.models import Card, Journey, JourneyState, Lane, Step, Visibility
from journeys.services import structure
from tests import factories


@pytest.fixture
def lifecycle(workspace, admin):
    """A lifecycle journey whose first step drills into a sub-journey, whose first step drills into a
    micro journey; every map has cards."""
    journey = factories.make_journey(workspace, by=admin, title="Lifecycle")
    factories.make_map(journey, stages=1, steps_per_stage=2, lanes=2, cards=4)
    step = Step.objects.filter(journey=journey).order_by("position").first()
    sub = structure.sub_journey_create_from_step(step_id=step.pk, by=admin, title="Checkout")
    Lane.objects.filter(journey=sub).delete()  # its default lanes make way for the factory's
    factories.make_map(sub, stages=1, steps_per_stage=1, lanes=1, cards=2, emotion_lane=False)
    sub_step = Step.objects.filter(journey=sub).order_by("pk").first()
    micro = structure.sub_journey_create_from_step(step_id=sub_step.pk, by=admin, title="Payment form")
    journey.refresh_from_db()
    return {"journey": journey, "step": step, "sub": sub, "micro": micro}


def drill_of(journey, step_title=None):
    steps = Step.objects.filter(journey=journey, sub_journey__isnull=False)
    return {s.title: s.sub_journey for s in steps}


def test_a_future_state_copy_with_its_sub_journeys_drills_into_their_future_states(lifecycle, admin):
    journey, sub, micro = lifecycle["journey"], lifecycle["sub"], lifecycle["micro"]
    future = structure.journey_copy(
        journey_id=journey.pk, by=admin, title="Lifecycle 2027", as_future_state=True, with_sub_journeys=True
    )
    [sub_future, micro_future] = future.sub_journey_copies
    assert (sub_future.title, sub_future.state, sub_future.current_state_of, sub_future.parent) == (
        "Checkout (future state)",
        JourneyState.FUTURE,
        sub,
        future,
    )
    assert (micro_future.title, micro_future.current_state_of, micro_future.parent) == (
        "Payment form (future state)",
        micro,
        sub_future,
    )
    assert list(drill_of(future).values()) == [sub_future]
    assert list(drill_of(sub_future).values()) == [micro_future]
    assert Card.objects.filter(journey=sub_future).count() == Card.objects.filter(journey=sub).count() == 2
    # The current state is untouched: its steps still open its own detail.
    assert list(drill_of(journey).values()) == [sub]
    assert list(drill_of(sub).values()) == [micro]


def test_without_its_sub_journeys_the_copy_keeps_the_current_state_links(lifecycle, admin):
    journey, sub = lifecycle["journey"], lifecycle["sub"]
    before = Journey.objects.count()
    future = structure.journey_copy(
        journey_id=journey.pk, by=admin, title="Lifecycle 2027", as_future_state=True
    )
    assert future.sub_journey_copies == [] and Journey.objects.count() == before + 1
    assert list(drill_of(future).values()) == [sub]


def test_sub_journeys_the_person_may_not_copy_or_archived_ones_keep_their_links(
    lifecycle, workspace, admin, editor
):
    journey, step = lifecycle["journey"], lifecycle["step"]
    other = Step.objects.filter(journey=journey).exclude(pk=step.pk).get()
    secret = structure.sub_journey_create_from_step(step_id=other.pk, by=admin, title="Secret detail")
    Journey.objects.filter(pk=secret.pk).update(visibility=Visibility.RESTRICTED)
    Journey.objects.filter(pk=lifecycle["micro"].pk).update(archived=True)
    future = structure.journey_copy(
        journey_id=journey.pk, by=editor, title="Future", as_future_state=True, with_sub_journeys=True
    )
    assert [j.title for j in future.sub_journey_copies] == ["Checkout (future state)"]
    links = drill_of(future)
    assert links[other.title] == secret  # the editor cannot copy (or even see) it: left as it was
    assert drill_of(future.sub_journey_copies[0]) == drill_of(lifecycle["sub"])  # archived micro: kept


def test_links_that_loop_are_copied_once(lifecycle, admin):
    journey, sub = lifecycle["journey"], lifecycle["sub"]
    Lane.objects.filter(journey=lifecycle["micro"]).delete()
    factories.make_map(lifecycle["micro"], stages=1, steps_per_stage=1, lanes=1, cards=0, emotion_lane=False)
    Step.objects.filter(journey=lifecycle["micro"]).update(sub_journey=journey)  # micro → lifecycle
    future = structure.journey_copy(
        journey_id=journey.pk, by=admin, title="Future", as_future_state=True, with_sub_journeys=True
    )
    assert [j.current_state_of_id for j in future.sub_journey_copies] == [sub.pk, lifecycle["micro"].pk]
    micro_future = future.sub_journey_copies[1]
    assert list(drill_of(micro_future).values()) == [journey]  # not copied a second time


def test_the_future_state_map_labels_current_state_detail(client, lifecycle, admin, viewer):
    journey, sub = lifecycle["journey"], lifecycle["sub"]
    future = structure.journey_copy(journey_id=journey.pk, by=admin, title="Future", as_future_state=True)
    client.force_login(viewer)
    html = client.get(reverse("journeys:map", args=[future.pk])).content.decode()
    sub_url = reverse("journeys:map", args=[sub.pk])
    assert (
        f'<a class="map__drill map__drill--other-state" tabindex="-1" href="{sub_url}" '
        'title="Open the current-state sub-journey “Checkout”: this future-state map has no sub-journey of '
        'its own here">'
    ) in html
    assert '<span class="map__drill-state">Current-state detail:</span> <bdi>Checkout</bdi>' in html
    # The current state's own map links its detail plainly.
    html = client.get(reverse("journeys:map", args=[journey.pk])).content.decode()
    assert f'<a class="map__drill" tabindex="-1" href="{sub_url}"' in html
    assert "Current-state detail" not in html
    # So does present mode of the future state.
    html = client.get(reverse("journeys:present", args=[future.pk])).content.decode()
    assert '<span class="map__drill-state">Current-state detail:</span> <bdi>Checkout</bdi>' in html


def test_the_copy_page_offers_and_copies_the_sub_journeys(client, lifecycle, editor):
    journey = lifecycle["journey"]
    client.force_login(editor)
    url = reverse("journeys:copy", args=[journey.pk])
    page = client.get(url, {"future": "1"}).content.decode()
    assert "Copy its sub-journeys too (1)" in page
    assert (
        'name="with_sub_journeys" aria-describedby="id_with_sub_journeys_help" '
        'id="id_with_sub_journeys" checked' in page
    )
    response = client.post(
        url, {"title": "Future", "kind": "future", "content": "cards", "with_sub_journeys": "on"}, follow=True
    )
    future = Journey.objects.get(title="Future")
    assert response.redirect_chain == [(reverse("journeys:map", args=[future.pk]), 302)]
    assert (
        "Future-state map “Future” created with 2 sub-journeys. Compare it with the current state."
        in response.content.decode()
    )
    assert Journey.objects.filter(parent=future, current_state_of=lifecycle["sub"]).count() == 1
    # A plain copy from the page leaves the box unticked by default, and unticked copies nothing more.
    assert "checked" not in client.get(url).content.decode().split('name="with_sub_journeys"')[1][:80]
    client.post(url, {"title": "Plain", "kind": "copy", "content": "structure"})
    assert drill_of(Journey.objects.get(title="Plain")) == drill_of(journey)


def test_the_one_click_future_state_says_where_its_steps_lead(client, lifecycle, editor):
    client.force_login(editor)
    response = client.post(reverse("journeys:future_state", args=[lifecycle["journey"].pk]), follow=True)
    assert "Its steps still open the current-state sub-journeys (marked “Current-state detail”)." in (
        response.content.decode()
    )


def test_the_api_copies_sub_journeys_on_request(client, lifecycle, workspace):
    person = factories.add_member(workspace, factories.make_user("erin"), Role.EDITOR)
    client.force_login(person)
    response = client.post(
        reverse("journeys-api:journey-copy", args=[lifecycle["journey"].pk]),
        {"title": "Future", "as_future_state": True, "with_sub_journeys": True},
        content_type="application/json",
    )
    assert response.status_code == 201
    future = Journey.objects.get(pk=response.json()["id"])
    [sub_future] = drill_of(future).values()
    assert (sub_future.current_state_of, sub_future.parent, sub_future.owner) == (
        lifecycle["sub"],
        future,
        person,
    )
