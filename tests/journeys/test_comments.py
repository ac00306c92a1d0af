"""Comments on cards: threads, @mentions of members who can see the journey, resolving, deleting."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from journeys.models import Activity, Comment
from journeys.services import comments
from tests import factories


@pytest.fixture
def card(journey):
    return journey.cards.exclude(lane__kind="emotions").order_by("pk").first()


def test_a_viewer_comments_and_the_mention_of_a_member_is_stored(journey, card, viewer, editor):
    revision = journey.revision
    comment = comments.comment_create(
        card_id=card.pk, by=viewer, body="  @bob, is this still true? @nobody  "
    )
    assert comment.body == "@bob, is this still true? @nobody"
    assert (comment.author, comment.card, comment.journey, comment.thread) == (viewer, card, journey, None)
    assert list(comment.mentions.all()) == [editor]  # unknown names stay plain text
    journey.refresh_from_db()
    assert journey.revision == revision  # a comment is not a change to the map
    line = Activity.objects.filter(journey=journey).first()
    assert (line.verb, line.actor, line.target_type, line.target_id) == ("commented", viewer, "card", card.pk)


def test_mentions_are_case_insensitive_and_skip_email_addresses_and_outsiders(
    journey, card, editor, outsider, admin
):
    body = "Ask @BOB. Mail bob@example.com; @mallory is not one of us; @alice!"
    comment = comments.comment_create(card_id=card.pk, by=editor, body=body)
    assert {u.username for u in comment.mentions.all()} == {"bob", "alice"}


def test_members_who_cannot_see_a_restricted_journey_are_not_mentioned(
    restricted_journey, admin, editor, manager
):
    card = restricted_journey.cards.order_by("pk").first()
    comment = comments.comment_create(card_id=card.pk, by=admin, body="@bob @dana have a look")
    assert [u.username for u in comment.mentions.all()] == ["dana"]  # bob has no grant: no leak


def test_mention_segments_mark_only_stored_mentions(editor, admin):
    segments = comments.body_segments("Hi @bob and @ghost <b>x</b>", [editor]).segments
    assert [(s.text, s.user) for s in segments] == [
        ("Hi ", None),
        ("@bob", editor),
        (" and @ghost <b>x</b>", None),
    ]
    assert comments.mention_names("@a.b, @c-d. x@y @@z") == ["a.b", "c-d"]


def test_replies_join_the_thread_and_reopen_it(journey, card, editor, viewer):
    root = comments.comment_create(card_id=card.pk, by=editor, body="Source?")
    comments.comment_resolve(comment_id=root.pk, by=editor)
    reply = comments.comment_create(card_id=card.pk, by=viewer, body="Interview 3", thread=root.pk)
    reply_to_reply = comments.comment_create(card_id=card.pk, by=editor, body="Thanks", thread=reply)
    assert reply.thread_id == root.pk and reply_to_reply.thread_id == root.pk
    root.refresh_from_db()
    assert root.resolved_at is None and root.resolved_by is None
    [thread] = comments.card_threads(card=card)
    assert thread.pk == root.pk and [r.pk for r in thread.reply_list] == [reply.pk, reply_to_reply.pk]


@pytest.mark.parametrize(
    ("body", "thread", "field"),
    [("", None, "body"), ("   ", None, "body"), ("x" * 4001, None, "body"), ("Hi", 999999, "thread")],
)
def test_bad_comments_are_refused_naming_the_field(card, editor, body, thread, field):
    with pytest.raises(ValidationError) as error:
        comments.comment_create(card_id=card.pk, by=editor, body=body, thread=thread)
    assert field in error.value.message_dict
    assert not Comment.objects.exists()


def test_a_reply_must_belong_to_a_thread_of_the_same_card(journey, card, editor):
    other = journey.cards.exclude(pk=card.pk).order_by("pk").first()
    root = comments.comment_create(card_id=other.pk, by=editor, body="Elsewhere")
    with pytest.raises(ValidationError) as error:
        comments.comment_create(card_id=card.pk, by=editor, body="Hi", thread=root.pk)
    assert "thread" in error.value.message_dict


def test_outsiders_and_members_without_a_grant_cannot_comment(journey, restricted_journey, outsider, viewer):
    with pytest.raises(Http404):
        comments.comment_create(card_id=journey.cards.first().pk, by=outsider, body="Hi")
    with pytest.raises(Http404):
        comments.comment_create(card_id=restricted_journey.cards.first().pk, by=viewer, body="Hi")
    with pytest.raises(Http404):
        comments.comment_create(card_id=987654, by=viewer, body="Hi")
    assert not Comment.objects.exists()


def test_resolve_and_reopen_by_editors_or_the_thread_starter(journey, card, viewer, editor, workspace):
    other_viewer = factories.add_member(workspace, factories.make_user("erin"), "viewer")
    root = comments.comment_create(card_id=card.pk, by=viewer, body="Wrong channel?")
    reply = comments.comment_create(card_id=card.pk, by=editor, body="Fixed", thread=root)
    with pytest.raises(PermissionDenied):
        comments.comment_resolve(comment_id=root.pk, by=other_viewer)
    resolved = comments.comment_resolve(
        comment_id=reply.pk, by=viewer
    )  # resolving a reply resolves the thread
    assert resolved.pk == root.pk and resolved.resolved_by == viewer and resolved.resolved_at is not None
    assert Activity.objects.filter(journey=journey, verb="resolved").count() == 1
    comments.comment_resolve(comment_id=root.pk, by=editor)  # already resolved: nothing more happens
    assert Activity.objects.filter(journey=journey, verb="resolved").count() == 1
    reopened = comments.comment_reopen(comment_id=root.pk, by=editor)
    assert reopened.resolved_at is None
    assert Activity.objects.filter(journey=journey, verb="reopened").count() == 1


def test_delete_by_author_or_manager_only(journey, card, viewer, editor, manager):
    mine = comments.comment_create(card_id=card.pk, by=viewer, body="Mine")
    reply = comments.comment_create(card_id=card.pk, by=editor, body="Reply", thread=mine)
    with pytest.raises(PermissionDenied):
        comments.comment_delete(comment_id=mine.pk, by=editor)  # an editor, but not the author
    comments.comment_delete(comment_id=reply.pk, by=editor)
    assert list(Comment.objects.values_list("pk", flat=True)) == [mine.pk]
    other = comments.comment_create(card_id=card.pk, by=editor, body="Off topic")
    comments.comment_create(card_id=card.pk, by=viewer, body="Agreed", thread=other)
    comments.comment_delete(comment_id=other.pk, by=manager)  # takes its replies along
    assert list(Comment.objects.values_list("pk", flat=True)) == [mine.pk]
    assert Activity.objects.filter(journey=journey, verb="deleted comment").count() == 2


def test_card_threads_and_open_counts_take_constant_queries(
    journey, card, editor, viewer, django_assert_num_queries
):
    for i in range(5):
        root = comments.comment_create(card_id=card.pk, by=viewer, body=f"@bob question {i}")
        comments.comment_create(card_id=card.pk, by=editor, body="@charlie answer", thread=root)
    comments.comment_resolve(comment_id=root.pk, by=editor)
    with django_assert_num_queries(2):  # comments with authors, mentioned people
        threads = comments.card_threads(card=card)
        texts = [(s.text, s.user) for t in threads for c in [t, *t.reply_list] for s in c.segments]
    assert len(threads) == 5 and ("@bob", editor) in texts and ("@charlie", viewer) in texts
    with django_assert_num_queries(1):
        counts = comments.open_thread_counts(journey=journey)
    assert counts == {card.pk: 4}
