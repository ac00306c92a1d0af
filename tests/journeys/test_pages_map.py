"""The read-only map page (journeys:map) and its grid partial (journeys:map_grid)."""

import re

import pytest
from django.urls import reverse

from accounts.models import Role
from journeys import services
from journeys.models import JourneyLevel, LaneKind, Visibility
from journeys.views.grid import STEP_WIDTH, _monotone_path, emotion_curve
from tests import factories

PERSONAS = ["anonymous", "outsider", "viewer", "editor", "manager", "admin"]


def _get(client, user, url, **extra):
    if user is not None:
        client.force_login(user)
    return client.get(url, **extra)


@pytest.mark.parametrize(
    ("persona", "public", "restricted"),
    [
        ("anonymous", 302, 302),
        ("outsider", 404, 404),
        ("viewer", 200, 404),
        ("editor", 200, 404),
        ("manager", 200, 200),
        ("admin", 200, 200),
    ],
)
@pytest.mark.parametrize("name", ["journeys:map", "journeys:map_grid"])
def test_map_pages_by_persona(
    client, persona_user, journey, restricted_journey, persona, public, restricted, name
):
    user = persona_user(persona)
    response = _get(client, user, reverse(name, args=[journey.pk]))
    assert response.status_code == public
    if public == 302:
        assert response["Location"].startswith(reverse("accounts:login"))
    response = client.get(reverse(name, args=[restricted_journey.pk]))
    assert response.status_code == restricted


def test_map_shows_stages_steps_lanes_and_cards(client, admin, workspace):
    journey = factories.make_journey(
        workspace, by=admin, title="Onboarding", persona="New admin", tags=["b2b"]
    )
    stage = services.stage_create(
        journey_id=journey.pk, by=admin, title="Sign up", standard_stage="onboarding"
    )
    step = stage.steps.get()
    services.step_update(step_id=step.pk, by=admin, title="Create account")
    touch = services.lane_create(journey_id=journey.pk, by=admin, title="Channels", kind=LaneKind.TOUCHPOINTS)
    pain = services.lane_create(journey_id=journey.pk, by=admin, title="Pains", kind=LaneKind.PAIN_POINTS)
    services.card_create(lane_id=touch.pk, step_id=step.pk, by=admin, text="Sign-up form", channel="Web")
    services.card_create(lane_id=pain.pk, step_id=step.pk, by=admin, text="Password rules unclear")

    body = _get(client, admin, reverse("journeys:map", args=[journey.pk])).content.decode()

    assert "Sign up" in body and "Create account" in body
    assert 'class="std-tag std--onboarding"' in body  # the standard-stage tag on the stage header
    assert 'class="map__lane lane--touchpoints' in body and 'class="map__lane lane--pain_points' in body
    assert re.search(r'class="chip-channel"[^>]*>Web<', body)  # touchpoints show their channel as a chip
    assert 'class="card card--pain_points"' in body and "Password rules unclear" in body
    assert "New admin" in body and "b2b" in body  # persona and tags in the header
    assert f'data-revision="{journey.__class__.objects.get(pk=journey.pk).revision}"' in body
    assert "Line of visibility" not in body  # no backstage lane, no line


def test_line_of_visibility_sits_above_the_first_backstage_lane(client, admin, journey):
    body = _get(client, admin, reverse("journeys:map", args=[journey.pk])).content.decode()
    services.lane_create(journey_id=journey.pk, by=admin, title="Ops", kind=LaneKind.BACKSTAGE)
    services.lane_create(journey_id=journey.pk, by=admin, title="CRM", kind=LaneKind.SYSTEMS)
    body = client.get(reverse("journeys:map", args=[journey.pk])).content.decode()
    assert body.count('class="map__lov"') == 1
    line, ops, crm = body.index('class="map__lov"'), body.index(">Ops<"), body.index(">CRM<")
    assert line < ops < crm


def test_emotion_lane_draws_a_curve_through_the_mean_score_per_step(client, admin, workspace):
    journey = factories.make_journey(workspace, by=admin, title="Feelings")
    stage = services.stage_create(journey_id=journey.pk, by=admin, title="Only stage")
    first = stage.steps.get()
    second = services.step_create(stage_id=stage.pk, by=admin, title="Second")
    third = services.step_create(stage_id=stage.pk, by=admin, title="Third")
    lane = services.lane_create(journey_id=journey.pk, by=admin, title="Mood", kind=LaneKind.EMOTIONS)
    for step, score in [(first, 3), (first, 0), (second, -2), (third, 1)]:
        services.card_create(
            lane_id=lane.pk, step_id=step.pk, by=admin, text=f"score {score}", emotion_score=score
        )

    body = _get(client, admin, reverse("journeys:map", args=[journey.pk])).content.decode()

    assert '<svg class="curve"' in body and 'class="curve__zero"' in body
    labels = re.findall(r'class="curve__label curve__label--(\w+)"[^>]*>([^<]+)<', body)
    assert labels == [("positive", "+1.5"), ("negative", "−2"), ("positive", "+1")]  # mean of 3 and 0 is 1.5
    assert re.search(r'class="curve__line" d="M[\d.]+,[\d.]+ C', body)  # a smooth (cubic) path


def test_emotion_curve_geometry():
    curve = emotion_curve([3.0, None, -3.0, 0.0])
    xs = [float(p["x"]) for p in curve["points"]]
    ys = [float(p["y"]) for p in curve["points"]]
    assert xs == [STEP_WIDTH * 0.5, STEP_WIDTH * 2.5, STEP_WIDTH * 3.5]  # the empty step leaves a gap
    assert (
        ys[0] == float(curve["top_y"])
        and ys[1] == float(curve["bottom_y"])
        and ys[2] == float(curve["zero_y"])
    )
    assert curve["width"] == 4 * STEP_WIDTH
    assert emotion_curve([None, None])["segments"] == []


def test_monotone_path_never_overshoots_its_points():
    points = [(0, 100), (100, 0), (200, 0), (300, 100)]
    path = _monotone_path(points)
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", path)]
    ys = numbers[1::2]
    assert min(ys) >= 0 and max(ys) <= 100  # control points stay within the data's range
    assert path.startswith("M0.0,100.0") and path.endswith("300.0,100.0")


def test_step_links_to_a_visible_sub_journey_only(client, admin, workspace, viewer):
    parent = factories.make_journey(workspace, by=admin, title="Lifecycle")
    stage = services.stage_create(journey_id=parent.pk, by=admin, title="Onboarding")
    public_child = factories.make_journey(workspace, by=admin, title="Open detail", parent=parent)
    secret_child = factories.make_journey(
        workspace, by=admin, title="Secret detail", parent=parent, visibility=Visibility.RESTRICTED
    )
    services.step_update(step_id=stage.steps.get().pk, by=admin, sub_journey=public_child)
    other = services.step_create(stage_id=stage.pk, by=admin, title="Pricing", sub_journey=secret_child)

    body = _get(client, viewer, reverse("journeys:map", args=[parent.pk])).content.decode()

    assert f'href="{reverse("journeys:map", args=[public_child.pk])}"' in body
    assert "Secret detail" not in body  # a restricted sub-journey's title never leaks
    assert f'data-step-id="{other.pk}"' in body

    body = _get(client, admin, reverse("journeys:map", args=[parent.pk])).content.decode()
    assert "Secret detail" in body


def test_the_grid_links_to_visible_sub_journeys_only(client, admin, workspace, viewer):
    """The grid partial reads just the journeys its steps drill into (a map outside any hierarchy)."""
    journey = factories.make_journey(workspace, by=admin, title="Standalone")
    stage = services.stage_create(journey_id=journey.pk, by=admin, title="Onboarding")
    open_detail = factories.make_journey(workspace, by=admin, title="Open detail")
    secret = factories.make_journey(
        workspace, by=admin, title="Secret detail", visibility=Visibility.RESTRICTED
    )
    services.step_update(step_id=stage.steps.get().pk, by=admin, sub_journey=open_detail)
    services.step_create(stage_id=stage.pk, by=admin, title="Pricing", sub_journey=secret)

    for name in ("journeys:map_grid", "journeys:map"):
        body = _get(client, viewer, reverse(name, args=[journey.pk])).content.decode()
        assert f'href="{reverse("journeys:map", args=[open_detail.pk])}"' in body, name
        assert "Secret detail" not in body and str(reverse("journeys:map", args=[secret.pk])) not in body, (
            name
        )
        body = _get(client, admin, reverse(name, args=[journey.pk])).content.decode()
        assert "Secret detail" in body, name


def test_the_map_lists_its_visible_sub_journeys(client, admin, workspace, viewer):
    parent = factories.make_journey(workspace, by=admin, title="Lifecycle")  # no steps link to them
    factories.make_journey(workspace, by=admin, title="Open detail", parent=parent)
    factories.make_journey(
        workspace, by=admin, title="Secret detail", parent=parent, visibility=Visibility.RESTRICTED
    )
    old = factories.make_journey(workspace, by=admin, title="Old detail", parent=parent)
    services.journey_update(journey_id=old.pk, by=admin, archived=True)

    body = _get(client, viewer, reverse("journeys:map", args=[parent.pk])).content.decode()
    about = body[body.index('class="map-about"') : body.index("</details>", body.index('class="map-about"'))]
    assert "1 sub-journey" in about and "Open detail" in about
    assert "Secret detail" not in body and "Old detail" not in about
    body = _get(client, admin, reverse("journeys:map", args=[parent.pk])).content.decode()
    assert "2 sub-journeys" in body and "Secret detail" in body


def test_breadcrumb_shows_the_visible_parent_chain(client, admin, workspace, viewer):
    top = factories.make_journey(workspace, by=admin, title="Top lifecycle")
    middle = factories.make_journey(
        workspace, by=admin, title="Middle", parent=top, level=JourneyLevel.SUB_JOURNEY
    )
    leaf = factories.make_journey(workspace, by=admin, title="Leaf", parent=middle, level=JourneyLevel.MICRO)

    body = _get(client, viewer, reverse("journeys:map", args=[leaf.pk])).content.decode()
    crumbs = body[body.index('class="crumbs"') : body.index("</nav>", body.index('class="crumbs"'))]
    assert crumbs.index("Top lifecycle") < crumbs.index("Middle") < crumbs.index("Leaf")

    services.journey_update(journey_id=top.pk, by=admin, visibility=Visibility.RESTRICTED)
    body = client.get(reverse("journeys:map", args=[leaf.pk])).content.decode()
    assert "Top lifecycle" not in body  # the viewer cannot see it any more


def test_header_shows_owner_revision_last_change_and_activity(client, admin, editor, journey):
    lane = journey.lanes.order_by("position").first()
    step = journey.steps.order_by("stage__position", "position").first()
    services.card_create(lane_id=lane.pk, step_id=step.pk, by=editor, text="Fresh insight")
    journey.refresh_from_db()

    body = _get(client, admin, reverse("journeys:map", args=[journey.pk])).content.decode()

    assert "Alice Admin" in body  # the owner
    assert f'<dd class="mono">{journey.revision}</dd>' in body
    assert "by <bdi>Bob</bdi>," in body  # last changed by the editor
    # The Activity menu loads its feed as it opens (journeys:activity), not with the page.
    assert f'hx-get="{reverse("journeys:activity", args=[journey.pk])}"' in body
    feed = _get(client, admin, reverse("journeys:activity", args=[journey.pk])).content.decode()
    assert "added a card to" in feed and "Fresh insight" in feed


def test_editors_see_settings_and_managers_see_share(client, viewer, editor, manager, journey):
    settings_url = reverse("journeys:settings", args=[journey.pk])
    access_url = reverse("journeys:access", args=[journey.pk])
    body = _get(client, viewer, reverse("journeys:map", args=[journey.pk])).content.decode()
    assert settings_url not in body and access_url not in body
    body = _get(client, editor, reverse("journeys:map", args=[journey.pk])).content.decode()
    assert settings_url in body and access_url not in body
    body = _get(client, manager, reverse("journeys:map", args=[journey.pk])).content.decode()
    assert settings_url in body and access_url in body


def test_empty_map_says_so(client, admin, workspace):
    journey = factories.make_journey(workspace, by=admin, title="Blank")
    body = _get(client, admin, reverse("journeys:map", args=[journey.pk])).content.decode()
    assert "This map is empty" in body and 'id="map-grid"' in body


def test_grid_partial_is_only_the_grid(client, viewer, journey):
    response = _get(client, viewer, reverse("journeys:map_grid", args=[journey.pk]))
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="map-grid"')
    assert "<html" not in body and "map-head" not in body
    assert f'data-revision="{journey.revision}"' in body


def test_opening_a_journey_of_another_workspace_makes_it_current(client, admin, journey):
    other = factories.make_workspace("Zeta Labs", admin=admin)  # alphabetically after Acme
    client.force_login(admin)
    session = client.session
    session["workspace_id"] = other.pk
    session.save()
    body = client.get(reverse("journeys:map", args=[journey.pk])).content.decode()
    assert client.session["workspace_id"] == journey.workspace_id
    assert '<span class="ws-switcher__name" dir="auto">Acme Software</span>' in body


def test_user_text_is_escaped_on_the_map_and_the_list(client, admin, workspace):
    script = "<script>alert(1)</script>"
    journey = factories.make_journey(
        workspace, by=admin, title=f"Trip {script}", persona=script, tags=[script[:40]]
    )
    stage = services.stage_create(journey_id=journey.pk, by=admin, title=script)
    lane = services.lane_create(journey_id=journey.pk, by=admin, title=script, kind=LaneKind.THOUGHTS)
    services.card_create(lane_id=lane.pk, step_id=stage.steps.get().pk, by=admin, text=script, note=script)

    for url in [reverse("journeys:map", args=[journey.pk]), reverse("journeys:list")]:
        body = _get(client, admin, url).content.decode()
        assert script not in body, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body, url


# Queries of the map page for a viewer (role viewer on a workspace-visible journey):
#   1 session · 2 user · 3 journey (+ workspace, owner, updated_by, whether it has children) with the
#   viewer's role (membership) and guardian grants on it (user and team: subqueries of the same query) ·
#   4 memberships for the top bar's workspace switcher (context processor, cached on the request) ·
#   5 stages with their steps (one joined query) · 6 lanes · 7 cards with their comment counts; and only
#   for a map that links to other journeys: 8 the visible journeys of the workspace (breadcrumb,
#   sub-journeys, current state, drill-down links; the grid partial: its drill-down links' journeys).
#   The Activity menu reads its feed when it opens (journeys:activity).
MAP_PAGE_QUERIES = 7
# The grid partial: the same.
MAP_GRID_QUERIES = 7
LINKED = 1  # the visible journeys a map with links reads


@pytest.mark.parametrize("linked", [False, True], ids=["standing alone", "in a hierarchy"])
@pytest.mark.parametrize(
    ("name", "expected"), [("journeys:map", MAP_PAGE_QUERIES), ("journeys:map_grid", MAP_GRID_QUERIES)]
)
def test_map_query_count_does_not_grow_with_the_map(
    client, django_assert_num_queries, workspace, admin, viewer, name, expected, linked
):
    small = factories.make_map(factories.make_journey(workspace, by=admin, title="Small"), cards=10)
    big = factories.make_map(
        factories.make_journey(workspace, by=admin, title="Big"),
        stages=6,
        steps_per_stage=5,
        lanes=10,
        cards=500,
    )
    if linked:  # each map has a sub-journey its first step drills into
        for journey in (small, big):
            sub = factories.make_journey(
                workspace, by=admin, title=f"Detail of {journey.title}", parent=journey
            )
            services.step_update(step_id=journey.steps.first().pk, by=admin, sub_journey=sub)
    assert big.cards.count() == 500 and small.cards.count() == 10
    client.force_login(viewer)
    for journey in (small, big):
        with django_assert_num_queries(expected + (LINKED if linked else 0)):
            response = client.get(reverse(name, args=[journey.pk]))
        assert response.status_code == 200
        assert (f"Detail of {journey.title}" in response.content.decode()) == linked
    assert response.content.decode().count('class="card ') == 500


def test_member_role_does_not_change_what_the_map_shows(client, workspace, admin, journey):
    another = factories.add_member(workspace, factories.make_user("erin"), Role.EDITOR)
    first = _get(client, admin, reverse("journeys:map_grid", args=[journey.pk])).content
    second = _get(client, another, reverse("journeys:map_grid", args=[journey.pk])).content
    assert first == second
