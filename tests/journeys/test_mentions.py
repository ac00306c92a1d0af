"""@mentions by name: who may be offered (the people who can see the journey), matching names ignoring case
and accents, storing picked people by id, refusing people who cannot see the journey, and showing names."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts import services as account_services
from accounts.models import Role
from journeys import access
from journeys import services as journey_services
from journeys.models import Comment, Visibility
from journeys.services import comments
from tests import factories


@pytest.fixture
def card(journey):
    return journey.cards.exclude(lane__kind="emotions").order_by("pk").first()


@pytest.fixture
def people(workspace):
    """Members with names that need accent- and case-insensitive matching, and one deactivated."""
    return {
        "jose": factories.add_member(
            workspace, factories.make_user("jnunez", first_name="José", last_name="Núñez"), Role.VIEWER
        ),
        "bob_stone": factories.add_member(
            workspace, factories.make_user("bstone", first_name="Bob", last_name="Stone"), Role.EDITOR
        ),
        "gone": factories.add_member(
            workspace, factories.make_user("gone", first_name="Bobby", is_active=False), Role.EDITOR
        ),
    }


def names(users):
    return [u.display_name for u in users]


# ---------------------------------------------------------------------------------------------- who


def test_people_who_see_agrees_with_journey_level_for_every_member(
    workspace, admin, editor, viewer, manager, outsider, journey, restricted_journey
):
    """The rule from the journey's side (one query) against journey_level on every person: roles, the
    owner, a direct grant, a team grant, and people with nothing."""
    owner = factories.add_member(workspace, factories.make_user("olga"), Role.EDITOR)
    teamed = factories.add_member(workspace, factories.make_user("tess"), Role.VIEWER)
    team = account_services.team_create(workspace=workspace, name="Research", members=[teamed])
    owned = factories.make_journey(workspace, by=admin, owner=owner, visibility=Visibility.RESTRICTED)
    journey_services.journey_grant_set(journey_id=restricted_journey.pk, by=admin, grantee=team, level="view")
    everyone = [admin, editor, viewer, manager, outsider, owner, teamed]
    for j in (journey, restricted_journey, owned):
        seeing = set(access.people_who_see(j))
        for user in everyone:
            role = access.role_in(user, j.workspace) if user != outsider else None
            expected = access.journey_level(user, j, role) is not None
            assert (user in seeing) == expected, (j.title, user.username)
    assert set(access.people_who_see(restricted_journey)) == {admin, manager, teamed}
    assert set(access.people_who_see(owned)) == {admin, owner}


def test_candidates_match_names_and_usernames_ignoring_case_and_accents(
    journey, people, editor, viewer, admin
):
    assert names(comments.mention_candidates(journey=journey, search="jose")) == ["José Núñez"]
    assert names(comments.mention_candidates(journey=journey, search="NUNEZ")) == ["José Núñez"]
    assert names(comments.mention_candidates(journey=journey, search="jnu")) == ["José Núñez"]  # username
    assert names(comments.mention_candidates(journey=journey, search="Nú")) == ["José Núñez"]
    # Names starting with the search first; deactivated people never.
    assert names(comments.mention_candidates(journey=journey, search="bo")) == ["Bob", "Bob Stone"]
    assert names(comments.mention_candidates(journey=journey, search="ston")) == ["Bob Stone"]
    assert names(comments.mention_candidates(journey=journey, search="al")) == ["Alice Admin"]
    assert comments.mention_candidates(journey=journey, search="%") == []  # a pattern character is text
    everyone = comments.mention_candidates(journey=journey)
    assert names(everyone) == ["Alice Admin", "Bob", "Bob Stone", "Charlie", "José Núñez"]


def test_candidates_of_a_restricted_journey_are_only_people_who_can_see_it(
    restricted_journey, people, admin, editor, viewer, manager
):
    assert names(comments.mention_candidates(journey=restricted_journey)) == ["Alice Admin", "Dana"]
    assert comments.mention_candidates(journey=restricted_journey, search="bob") == []


def test_candidates_are_limited_and_take_one_query_whatever_the_workspace_size(
    workspace, journey, django_assert_num_queries
):
    def ask():
        with django_assert_num_queries(1):  # people who see the journey, matched, ranked, limited
            return comments.mention_candidates(journey=journey, search="pat")

    factories.add_member(workspace, factories.make_user("pat0", first_name="Pat", last_name="Zero"))
    assert names(ask()) == ["Pat Zero"]
    for i in range(1, 40):
        factories.add_member(
            workspace, factories.make_user(f"pat{i}", first_name="Pat", last_name=f"N{i:02}")
        )
    found = ask()
    assert len(found) == comments.PEOPLE_LIMIT and found[0].display_name == "Pat N01"


# ---------------------------------------------------------------------------------------------- storing


def test_a_picked_person_is_stored_by_id_and_shown_by_name(journey, card, viewer, people):
    bob = people["bob_stone"]
    comment = comments.comment_create(
        card_id=card.pk, by=viewer, body="Can @Bob Stone confirm?", mention_ids=[str(bob.pk)]
    )
    assert list(comment.mentions.all()) == [bob]
    [thread] = comments.card_threads(card=card)
    assert [(s.text, s.user) for s in thread.segments] == [
        ("Can ", None),
        ("@Bob Stone", bob),
        (" confirm?", None),
    ]
    assert thread.unplaced_mentions == []


def test_the_id_picks_between_two_people_of_the_same_name(journey, card, viewer, workspace, people):
    twin = factories.add_member(workspace, factories.make_user("bob2", first_name="Bob", last_name="Stone"))
    comment = comments.comment_create(card_id=card.pk, by=viewer, body="@Bob Stone?", mention_ids=[twin.pk])
    assert list(comment.mentions.all()) == [twin]


def test_a_picked_person_whose_name_was_deleted_from_the_text_is_not_mentioned(card, viewer, people):
    comment = comments.comment_create(
        card_id=card.pk, by=viewer, body="Never mind", mention_ids=[people["bob_stone"].pk]
    )
    assert not comment.mentions.exists()


def test_picking_someone_who_cannot_see_the_journey_is_refused_and_nothing_is_stored(
    restricted_journey, admin, editor
):
    card = restricted_journey.cards.order_by("pk").first()
    with pytest.raises(ValidationError) as error:
        comments.comment_create(card_id=card.pk, by=admin, body="@Bob look", mention_ids=[editor.pk])
    assert error.value.message_dict == {
        "mentions": ["Bob (@bob) cannot see this journey: take the mention out, or share the journey first."]
    }
    assert not Comment.objects.exists()


@pytest.mark.parametrize("bad", ["x", "0", "-3", "99999999999999999999"])
def test_bad_and_unknown_ids_are_refused(card, viewer, outsider, bad):
    with pytest.raises(ValidationError) as error:
        comments.comment_create(card_id=card.pk, by=viewer, body="Hi", mention_ids=[bad])
    assert error.value.message_dict == {"mentions": [f"“{bad}” is not the id of a person."]}
    with pytest.raises(ValidationError) as error:  # not a member of this workspace: no such person here
        comments.comment_create(card_id=card.pk, by=viewer, body="@Mallory hi", mention_ids=[outsider.pk])
    assert error.value.message_dict == {"mentions": [f"No member {outsider.pk} in this workspace."]}
    assert not Comment.objects.exists()


def test_a_typed_username_of_someone_who_cannot_see_is_posted_but_not_mentioned(
    restricted_journey, admin, editor, manager
):
    card = restricted_journey.cards.order_by("pk").first()
    comment = comments.comment_create(card_id=card.pk, by=admin, body="@bob and @dana, thoughts?")
    assert list(comment.mentions.all()) == [manager]
    assert comment.not_mentioned == [editor]


def test_a_renamed_person_still_shows_as_mentioned(card, viewer, people):
    bob = people["bob_stone"]
    comments.comment_create(card_id=card.pk, by=viewer, body="@Bob Stone, hi", mention_ids=[bob.pk])
    bob.first_name = "Robert"
    bob.save()
    [thread] = comments.card_threads(card=card)
    assert [s.user for s in thread.segments] == [None]
    assert thread.unplaced_mentions == [bob]


# ---------------------------------------------------------------------------------------------- page


def people_url(journey, q=""):
    return reverse("journeys:people", args=[journey.pk]) + (f"?q={q}" if q else "")


def test_the_people_endpoint_answers_json_with_names(client, journey, viewer, people):
    client.force_login(viewer)
    response = client.get(people_url(journey, "JOSE"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    jose = people["jose"]
    assert response.json() == {
        "people": [{"id": jose.pk, "username": "jnunez", "name": "José Núñez"}],
        "more": False,
    }


def test_the_people_endpoint_never_lists_someone_who_cannot_see_a_restricted_journey(
    client, restricted_journey, manager, editor, viewer
):
    client.force_login(manager)
    listed = [p["username"] for p in client.get(people_url(restricted_journey)).json()["people"]]
    assert listed == ["alice", "dana"]
    client.force_login(viewer)  # cannot see it: 404, not an empty list
    assert client.get(people_url(restricted_journey)).status_code == 404


def test_the_people_endpoint_takes_constant_queries(
    client, workspace, journey, viewer, django_assert_num_queries
):
    client.force_login(viewer)

    def ask():
        # session, user, journey with access, people
        with django_assert_num_queries(4):
            return client.get(people_url(journey, "pat")).json()

    factories.add_member(workspace, factories.make_user("pat0", first_name="Pat"))
    assert [p["username"] for p in ask()["people"]] == ["pat0"]
    for i in range(1, 30):
        factories.add_member(workspace, factories.make_user(f"pat{i}", first_name="Pat"))
    answer = ask()
    assert len(answer["people"]) == comments.PEOPLE_LIMIT and answer["more"] is True


def comments_url(journey, card):
    return reverse("journeys:card_comments", args=[journey.pk, card.pk])


def test_the_comment_panel_stores_picked_people_and_shows_their_names(client, journey, card, viewer, people):
    client.force_login(viewer)
    bob = people["bob_stone"]
    response = client.post(
        comments_url(journey, card),
        {"action": "add", "body": "@Bob Stone <b>look</b>", "mentions": [bob.pk]},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert list(Comment.objects.get().mentions.all()) == [bob]
    html = response.content.decode()
    assert (
        f'<span class="mention" title="Mentioned: Bob Stone (@bstone)" data-user-id="{bob.pk}" dir="auto">'
        "@Bob Stone</span> &lt;b&gt;look&lt;/b&gt;"
    ) in html
    assert f'data-people-url="{people_url(journey)}"' in html
    assert html.count("data-mentions") == 2  # the reply box and the new comment box


def test_a_refused_mention_keeps_the_draft_and_its_picks(client, restricted_journey, admin, editor, manager):
    card = restricted_journey.cards.order_by("pk").first()
    client.force_login(admin)
    response = client.post(
        comments_url(restricted_journey, card),
        {"action": "add", "body": "@Bob and @Dana", "mentions": [editor.pk, manager.pk]},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200 and not Comment.objects.exists()
    assert "Bob (@bob) cannot see this journey: take the mention out, or share the journey first." in html
    assert ">@Bob and @Dana</textarea>" in html
    assert f'<input type="hidden" name="mentions" value="{editor.pk}">' in html
    assert f'<input type="hidden" name="mentions" value="{manager.pk}">' in html


def test_the_panel_says_who_was_not_mentioned(client, restricted_journey, admin, editor):
    card = restricted_journey.cards.order_by("pk").first()
    client.force_login(admin)
    response = client.post(
        comments_url(restricted_journey, card),
        {"action": "add", "body": "cc @bob"},
        headers={"HX-Request": "true"},
    )
    assert (
        "Posted, but not mentioned: <bdi>Bob</bdi> (@bob) cannot see this journey."
        in response.content.decode()
    )
    assert Comment.objects.get().mentions.count() == 0


# ---------------------------------------------------------------------------------------------- API


@pytest.fixture
def api(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


def test_api_people_lists_who_can_see_the_journey(api, restricted_journey, manager, editor):
    url = reverse("journeys-api:journey-people", args=[restricted_journey.pk])
    response = api(manager).get(url, {"q": "ALI"})
    assert response.status_code == 200
    assert response.json() == {
        "people": [{"id": restricted_journey.owner_id, "username": "alice", "name": "Alice Admin"}],
        "more": False,
    }
    assert api(editor).get(url).status_code == 404


def test_api_comment_with_mentions(api, journey, card, viewer, people, restricted_journey, admin, editor):
    bob = people["bob_stone"]
    url = reverse("journeys-api:card-comments", args=[card.pk])
    response = api(viewer).post(
        url, {"body": "@Bob Stone, ok?", "mentions": [bob.pk]}, content_type="application/json"
    )
    assert response.status_code == 201
    data = response.json()
    assert [m["id"] for m in data["mentions"]] == [bob.pk] and data["not_mentioned"] == []

    hidden = restricted_journey.cards.order_by("pk").first()
    url = reverse("journeys-api:card-comments", args=[hidden.pk])
    response = api(admin).post(
        url, {"body": "@Bob ok?", "mentions": [editor.pk]}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "mentions": ["Bob (@bob) cannot see this journey: take the mention out, or share the journey first."]
    }
    response = api(admin).post(url, {"body": "@bob ok?"}, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["mentions"] == []
    assert [m["username"] for m in response.json()["not_mentioned"]] == ["bob"]
