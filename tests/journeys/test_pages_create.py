"""Creating a journey (journeys:create)."""

import pytest
from django.urls import reverse

from journeys.models import Journey, JourneyLevel, LaneKind, StandardStage
from tests import factories

CREATE = reverse("journeys:create")


def _form(**overrides):
    data = {
        "title": "Self-serve onboarding",
        "description": "From sign-up to first report.",
        "persona": "New admin",
        "level": "sub-journey",
        "state": "current",
        "start": "framework",
        "parent": "",
        "owner": "",
        "tags": "b2b, self-serve,  B2B ,",
        "visibility": "workspace",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("persona", "status"),
    [("anonymous", 302), ("viewer", 403), ("manager", 403), ("editor", 200), ("admin", 200)],
)
def test_who_may_open_the_form(client, persona_user, journey, persona, status):
    user = persona_user(persona)
    if user:
        client.force_login(user)
    response = client.get(CREATE)
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("accounts:login"))


def test_outsider_creates_in_their_own_workspace(client, outsider, workspace):
    client.force_login(outsider)
    response = client.post(CREATE, _form(owner=outsider.pk))
    journey = Journey.objects.get(title="Self-serve onboarding")
    assert journey.workspace != workspace and journey.workspace.memberships.filter(user=outsider).exists()
    assert response["Location"] == reverse("journeys:map", args=[journey.pk])


def test_viewer_cannot_create_by_posting(client, viewer, workspace):
    client.force_login(viewer)
    assert client.post(CREATE, _form(owner=viewer.pk)).status_code == 403
    assert not Journey.objects.filter(title="Self-serve onboarding").exists()


def test_person_without_workspace_is_sent_to_create_one(client, db):
    client.force_login(factories.make_user("loner"))
    response = client.get(CREATE)
    assert response.status_code == 302 and response["Location"] == reverse("accounts:workspace_create")


def test_create_from_the_standard_framework(client, editor, admin, workspace):
    parent = factories.make_journey(workspace, by=admin, title="Lifecycle")
    client.force_login(editor)
    response = client.post(CREATE, _form(owner=admin.pk, parent=parent.pk))
    journey = Journey.objects.get(title="Self-serve onboarding")
    assert response.status_code == 302 and response["Location"] == reverse("journeys:map", args=[journey.pk])
    assert journey.owner == admin and journey.parent == parent and journey.level == JourneyLevel.SUB_JOURNEY
    assert journey.tags == ["b2b", "self-serve"]  # trimmed, de-duplicated, empties dropped
    assert journey.persona == "New admin" and journey.updated_by == editor
    stages = list(journey.stages.order_by("position").values_list("standard_stage", flat=True))
    assert stages == list(StandardStage.values)
    assert journey.lanes.filter(kind=LaneKind.EMOTIONS).exists()
    assert journey.activities.filter(verb="created", actor=editor).exists()


def test_create_blank(client, editor):
    client.force_login(editor)
    client.post(CREATE, _form(start="blank", owner=editor.pk))
    journey = Journey.objects.get(title="Self-serve onboarding")
    assert not journey.stages.exists() and not journey.lanes.exists()


def test_parent_link_preselects_the_parent(client, editor, journey):
    client.force_login(editor)
    body = client.get(CREATE, {"parent": journey.pk}).content.decode()
    assert f'<option value="{journey.pk}" selected>' in body


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": "   "}, "title", "A journey needs a title."),
        ({"title": "x" * 201}, "title", "At most 200 characters (you have 201)."),
        ({"level": "galaxy"}, "level", "Select a valid choice"),
        ({"tags": "ok, " + "y" * 51}, "tags", "At most 50 characters (you have 51)."),
        ({"tags": ",".join(f"t{i}" for i in range(21))}, "tags", "At most 20 tags (you have 21)."),
        ({"start": ""}, "start", "This field is required."),
        ({"owner": ""}, "owner", "This field is required."),
        ({"visibility": "everyone"}, "visibility", "Select a valid choice"),
    ],
)
def test_bad_input_shows_the_error_on_the_field_and_creates_nothing(
    client, editor, overrides, field, message
):
    client.force_login(editor)
    data = _form(owner=editor.pk)
    data.update(overrides)
    before = Journey.objects.count()
    response = client.post(CREATE, data)
    assert response.status_code == 200
    assert Journey.objects.count() == before
    body = response.content.decode()
    assert message in body
    errors = response.context["form"].errors
    assert field in errors


def test_parent_and_owner_from_another_workspace_are_refused(client, editor, outsider):
    foreign = Journey.objects.filter(workspace__memberships__user=outsider).first() or factories.make_journey(
        outsider.memberships.get().workspace, by=outsider, title="Foreign"
    )
    client.force_login(editor)
    response = client.post(CREATE, _form(owner=outsider.pk, parent=foreign.pk))
    assert set(response.context["form"].errors) == {"owner", "parent"}
    assert not Journey.objects.filter(title="Self-serve onboarding").exists()


def test_restricted_journeys_are_not_offered_as_parents_to_those_who_cannot_see_them(
    client, editor, restricted_journey, journey
):
    client.force_login(editor)
    body = client.get(CREATE).content.decode()
    assert journey.title in body and restricted_journey.title not in body


# Queries of the form: 1 session · 2 user · 3 memberships (current workspace and its role) ·
# 4 the parent choices (visible journeys) · 5 the owner choices (members).
CREATE_QUERIES = 5


def test_form_query_count_does_not_grow_with_the_workspace(
    client, django_assert_num_queries, editor, admin, workspace
):
    client.force_login(editor)
    with django_assert_num_queries(CREATE_QUERIES):
        assert client.get(CREATE).status_code == 200
    for i in range(30):
        factories.add_member(workspace, factories.make_user(f"member{i}"))
        factories.make_journey(workspace, by=admin, title=f"Journey {i}")
    with django_assert_num_queries(CREATE_QUERIES):
        response = client.get(CREATE)
    assert "Journey 29" in response.content.decode()
