"""Pages of structure across journeys: copy, new from template, future state, template toggle, sub-journey,
compare and present mode with saved views. Query counts do not grow with the size of the maps."""

import pytest
from django.urls import reverse

from journeys.models import Journey, JourneyLevel, JourneyState, LaneKind, SavedView
from journeys.services import structure
from tests import factories


def _maps(workspace, admin, *, big: bool):
    """A current-state map and its future-state copy; `big` is 50× the fixture map (500 cards)."""
    current = factories.make_journey(workspace, by=admin, title="Today")
    if big:
        factories.make_map(current, stages=10, steps_per_stage=5, lanes=10, cards=500)
    else:
        factories.make_map(current, cards=10)
    future = structure.journey_copy(journey_id=current.pk, by=admin, title="Tomorrow", as_future_state=True)
    return current, future


# ---------------------------------------------------------------------------------------------- compare


@pytest.mark.parametrize("big", [False, True], ids=["small", "50x"])
def test_compare_page_query_count(client, workspace, admin, editor, big, django_assert_num_queries):
    current, future = _maps(workspace, admin, big=big)
    client.force_login(editor)
    url = reverse("journeys:compare", args=[current.pk]) + f"?with={future.pk}"
    # session, user (2); left journey (+workspace, owner) with role and grants; the same for the right
    # journey (2); comparison: stages, steps, key cards, emotion means (4); picker choices; current
    # workspace of the top bar (2)
    with django_assert_num_queries(10):
        response = client.get(url)
    assert response.status_code == 200
    rows = response.context["comparison"].rows
    assert len(rows) == (10 if big else 2) and all(r.matched_by == "title" for r in rows)


def test_compare_page_finds_the_future_state_and_puts_current_left(client, workspace, admin, editor):
    current, future = _maps(workspace, admin, big=False)
    client.force_login(editor)
    response = client.get(reverse("journeys:compare", args=[future.pk]))
    assert response.context["left"] == current and response.context["right"] == future
    html = response.content.decode()
    assert "Current and future state" in html and "Only in" not in html


def test_compare_page_shows_unmatched_stages_and_escapes_text(client, workspace, admin, editor):
    current, future = _maps(workspace, admin, big=False)
    from journeys import services

    services.stage_create(journey_id=future.pk, by=admin, title="<script>alert(1)</script> Advocate")
    services.stage_delete(stage_id=future.stages.get(title="Stage 1").pk, by=admin)
    client.force_login(editor)
    html = client.get(reverse("journeys:compare", args=[current.pk])).content.decode()
    assert "Only in current state" in html and "Only in future state" in html
    assert (
        "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; Advocate" in html
    )


def test_compare_page_without_partner_offers_a_future_state(client, journey, editor, viewer):
    client.force_login(editor)
    html = client.get(reverse("journeys:compare", args=[journey.pk])).content.decode()
    assert "No future state to compare with yet" in html
    assert reverse("journeys:future_state", args=[journey.pk]) in html
    client.force_login(viewer)
    html = client.get(reverse("journeys:compare", args=[journey.pk])).content.decode()
    assert reverse("journeys:future_state", args=[journey.pk]) not in html


def test_compare_with_a_journey_one_cannot_see_is_404(client, journey, restricted_journey, editor):
    client.force_login(editor)
    url = reverse("journeys:compare", args=[journey.pk]) + f"?with={restricted_journey.pk}"
    assert client.get(url).status_code == 404
    assert client.get(reverse("journeys:compare", args=[journey.pk]) + "?with=nope").status_code == 404


# ---------------------------------------------------------------------------------------------- present mode


@pytest.mark.parametrize("big", [False, True], ids=["small", "50x"])
def test_present_page_query_count(client, workspace, admin, editor, big, django_assert_num_queries):
    current, _future = _maps(workspace, admin, big=big)
    structure.saved_view_create(journey_id=current.pk, by=admin, name="All", hidden_lanes=[])
    client.force_login(editor)
    # session, user; journey (+workspace, owner) with role and grants; map: stages with their steps, lanes,
    # cards; saved views (+creator); current workspace (context processor)
    with django_assert_num_queries(8):
        response = client.get(reverse("journeys:present", args=[current.pk]))
    assert response.status_code == 200
    assert response.context["column_count"] == (50 if big else 4)


def test_present_page_is_chrome_free_with_lane_toggles(client, journey, viewer):
    client.force_login(viewer)
    html = client.get(reverse("journeys:present", args=[journey.pk])).content.decode()
    assert 'class="topbar"' not in html and "js/present.js" in html and "data-fullscreen" in html
    for lane in journey.lanes.all():
        assert f'data-lane-toggle="{lane.pk}"' in html
    assert "Save view" not in html  # viewers open saved views but do not save them


def test_saved_view_hides_lanes_and_opens_by_link(client, journey, editor, viewer, outsider):
    lanes = list(journey.lanes.order_by("position"))
    hidden, shown = lanes[0], lanes[1:]
    client.force_login(editor)
    response = client.post(
        reverse("journeys:saved_view_create", args=[journey.pk]),
        {"name": "Workshop", "shown": [lane.pk for lane in shown]},
    )
    view = SavedView.objects.get(journey=journey, name="Workshop")
    assert view.hidden_lanes == [hidden.pk] and view.created_by == editor
    assert response["Location"] == reverse("journeys:saved_view", args=[journey.pk, view.pk])

    client.force_login(viewer)
    html = client.get(response["Location"]).content.decode()
    assert f'.present-stage [data-lane-id="{hidden.pk}"]{{display:none}}' in html
    assert f'[data-lane-id="{shown[0].pk}"]{{display:none}}' not in html
    assert f'data-lane-toggle="{hidden.pk}" checked' not in html
    assert f'data-lane-toggle="{shown[0].pk}" checked' in html

    client.force_login(outsider)
    assert client.get(response["Location"]).status_code == 404


def test_saved_view_of_another_journey_is_404(client, journey, workspace, admin, editor):
    other = factories.make_map(factories.make_journey(workspace, by=admin), cards=0)
    view = structure.saved_view_create(journey_id=other.pk, by=admin, name="Theirs")
    client.force_login(editor)
    assert client.get(reverse("journeys:saved_view", args=[journey.pk, view.pk])).status_code == 404


def test_saving_a_view_without_a_name_shows_the_error(client, journey, editor):
    client.force_login(editor)
    response = client.post(reverse("journeys:saved_view_create", args=[journey.pk]), {"name": "  "})
    assert response.status_code == 400
    assert "A saved view needs a name." in response.content.decode()
    assert not SavedView.objects.exists()


# ------------------------------------------------------------------------------------ copies, templates


def test_copy_page_creates_a_future_state(client, journey, editor):
    client.force_login(editor)
    page = client.get(reverse("journeys:copy", args=[journey.pk]) + "?future=1")
    assert page.context["form"]["kind"].value() == "future"
    response = client.post(
        reverse("journeys:copy", args=[journey.pk]),
        {"title": "Lifecycle 2026", "content": "structure", "kind": "future", "parent": ""},
    )
    future = Journey.objects.get(title="Lifecycle 2026")
    assert response["Location"] == reverse("journeys:map", args=[future.pk])
    assert future.state == JourneyState.FUTURE and future.current_state_of == journey
    assert future.cards.count() == 0 and future.stages.count() == journey.stages.count()


def test_copy_page_rejects_a_blank_title(client, journey, editor):
    client.force_login(editor)
    count = Journey.objects.count()
    response = client.post(
        reverse("journeys:copy", args=[journey.pk]), {"title": " ", "content": "cards", "kind": "copy"}
    )
    assert response.status_code == 200 and response.context["form"].errors["title"]
    assert Journey.objects.count() == count


def test_future_state_button_and_template_toggle(client, journey, editor, manager):
    client.force_login(editor)
    response = client.post(reverse("journeys:future_state", args=[journey.pk]))
    future = Journey.objects.get(current_state_of=journey)
    assert response["Location"] == reverse("journeys:map", args=[future.pk])
    assert future.title == f"{journey.title} (future state)" and future.cards.count() == journey.cards.count()

    assert (
        client.post(reverse("journeys:template", args=[journey.pk]), {"is_template": "1"}).status_code == 403
    )
    client.force_login(manager)
    client.post(reverse("journeys:template", args=[journey.pk]), {"is_template": "1"})
    journey.refresh_from_db()
    assert journey.is_template
    client.post(reverse("journeys:template", args=[journey.pk]), {"is_template": "0"})
    journey.refresh_from_db()
    assert not journey.is_template


def test_new_from_lists_templates_and_journeys(
    client, workspace, admin, editor, journey, django_assert_num_queries
):
    template = factories.make_journey(workspace, by=admin, title="Onboarding template")
    factories.make_map(template, stages=3, cards=0)
    structure.journey_template_set(journey_id=template.pk, by=admin, is_template=True)
    client.force_login(editor)
    # session, user, current workspace; templates (with sizes), their stages; journeys (with sizes)
    with django_assert_num_queries(6):
        response = client.get(reverse("journeys:new_from"))
    assert response.context["templates"] == [template]
    assert response.context["journeys"] == [journey]
    html = response.content.decode()
    assert reverse("journeys:copy", args=[template.pk]) in html and "Use template" in html
    assert client.get(reverse("journeys:new_from") + "?q=zzz").context["journeys"] == []


# ---------------------------------------------------------------------------------------------- sub-journeys


def test_sub_journey_page_creates_and_links(client, journey, editor):
    step = journey.steps.order_by("stage__position", "position").first()
    client.force_login(editor)
    page = client.get(reverse("journeys:sub_journey_create", args=[journey.pk, step.pk]))
    assert page.context["form"]["title"].value() == step.title
    response = client.post(
        reverse("journeys:sub_journey_create", args=[journey.pk, step.pk]),
        {"title": "", "start": "framework"},
    )
    step.refresh_from_db()
    child = step.sub_journey
    assert response["Location"] == reverse("journeys:map", args=[child.pk])
    assert child.title == step.title and child.level == JourneyLevel.SUB_JOURNEY and child.parent == journey
    again = client.get(reverse("journeys:sub_journey_create", args=[journey.pk, step.pk])).content.decode()
    assert "already links to" in again and reverse("journeys:map", args=[child.pk]) in again


def test_sub_journey_page_needs_a_step_of_this_journey(client, journey, workspace, admin, editor):
    other = factories.make_map(factories.make_journey(workspace, by=admin), cards=0)
    client.force_login(editor)
    url = reverse("journeys:sub_journey_create", args=[journey.pk, other.steps.first().pk])
    assert client.get(url).status_code == 404


def test_present_shows_breadcrumb_of_visible_ancestors(client, journey, editor):
    step = journey.steps.first()
    child = structure.sub_journey_create_from_step(step_id=step.pk, by=editor, title="Sign-up detail")
    client.force_login(editor)
    html = client.get(reverse("journeys:present", args=[child.pk])).content.decode()
    assert reverse("journeys:present", args=[journey.pk]) in html and journey.title in html
    assert child.lanes.filter(kind=LaneKind.EMOTIONS).exists()


def test_map_header_links_to_structure_actions_by_right(client, journey, viewer, editor, manager):
    present = reverse("journeys:present", args=[journey.pk])
    future_state = reverse("journeys:future_state", args=[journey.pk])
    template = reverse("journeys:template", args=[journey.pk])
    pages = {}
    for user in (viewer, editor, manager):
        client.force_login(user)
        pages[user.username] = client.get(reverse("journeys:map", args=[journey.pk])).content.decode()
    assert all(present in html for html in pages.values())
    assert future_state not in pages["charlie"] and template not in pages["charlie"]
    assert future_state in pages["bob"] and template not in pages["bob"]
    assert future_state not in pages["dana"] and "Use as template" in pages["dana"]
