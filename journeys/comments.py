"""Comments on cards: threads, @mentions, resolving.

Who may do what (a product decision): everyone who can see a journey may comment on its cards, viewers
included — stakeholders reviewing a map comment on it without being able to change it. The thread's
starter and the journey's editors resolve and reopen threads; a comment is deleted by its author or by a
manager of the journey (deleting the first comment of a thread deletes its replies). Replying to a resolved
thread reopens it.

Mentions: `@username` of a workspace member who can see the journey is stored in `Comment.mentions`
(case-insensitive; a trailing full stop or comma is not part of the name). Unknown names, and people who
cannot see a restricted journey, stay plain text, so a mention never leaks a map to someone without access.

Comments do not change the map: they record activity without bumping the journey's revision.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch
from django.db.models.functions import Lower
from django.http import Http404
from django.utils import timezone

from accounts import access
from accounts.models import Membership, User

from . import services
from .models import Card, Comment, Journey
from .versioning import _note

BODY_MAX = Comment._meta.get_field("body").max_length
MAX_MENTIONS = 20
# @name not preceded by a word character (so e-mail addresses are not mentions); Django usernames may hold
# letters, digits and @ . + - _.
MENTION = re.compile(r"(?<![\w@.+-])@([\w.+-]*\w)")


def mention_names(body: str) -> list[str]:
    """The distinct @names in a comment, lower-cased, in order of appearance."""
    seen = []
    for match in MENTION.finditer(body or ""):
        name = match.group(1).lower()
        if name not in seen:
            seen.append(name)
    return seen


@dataclass(frozen=True)
class Segment:
    """A piece of a comment's text: plain, or a mention of `user`."""

    text: str
    user: User | None = None


def body_segments(body: str, mentioned: list[User]) -> list[Segment]:
    """The comment's text cut into plain pieces and mentions of the stored people (templates escape both)."""
    by_name = {u.username.lower(): u for u in mentioned}
    segments, last = [], 0
    for match in MENTION.finditer(body or ""):
        user = by_name.get(match.group(1).lower())
        if user is None:
            continue
        if match.start() > last:
            segments.append(Segment(body[last : match.start()]))
        segments.append(Segment(match.group(0), user))
        last = match.end()
    if last < len(body or ""):
        segments.append(Segment(body[last:]))
    return segments


def _mentionable(journey: Journey, names: list[str]) -> list[User]:
    """Members of the journey's workspace named in `names` who can see the journey."""
    if not names:
        return []
    memberships = (
        Membership.objects.filter(workspace_id=journey.workspace_id)
        .annotate(name=Lower("user__username"))
        .filter(name__in=names[:MAX_MENTIONS])
        .select_related("user")
    )
    return [m.user for m in memberships if access.journey_level(m.user, journey, m.role) is not None]


def _clean_body(body) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Write something first."})
    if len(body) > BODY_MAX:
        raise ValidationError({"body": f"At most {BODY_MAX} characters (this has {len(body)})."})
    return body


def _comment_journey_id(comment_id) -> int:
    journey_id = (
        Comment.objects.filter(pk=comment_id).values_list("journey_id", flat=True).first()
        if comment_id
        else None
    )
    if journey_id is None:
        raise Http404("No such comment.")
    return journey_id


def _can_edit(journey: Journey) -> bool:
    return access.rank(journey.access_level) >= access.rank(access.EDIT)


def _can_manage(journey: Journey) -> bool:
    return access.rank(journey.access_level) >= access.rank(access.MANAGE)


# ---------------------------------------------------------------------------------------------- writes


@transaction.atomic
def comment_create(*, card_id: int, by: User, body: str, thread=None) -> Comment:
    """Comment on a card or reply in a thread (`thread`: a comment of the card, or its id); viewers may."""
    journey = services._lock(services._journey_id_of(Card, card_id), by, access.VIEW)
    card = Card.objects.get(pk=card_id)
    body = _clean_body(body)
    root = None
    if thread is not None:
        thread_id = thread.pk if isinstance(thread, Comment) else thread
        try:
            thread_id = int(thread_id)
        except (TypeError, ValueError):
            raise ValidationError({"thread": "Must be the id of a comment."}) from None
        root = Comment.objects.select_for_update().filter(pk=thread_id, card=card).first()
        if root is None:
            raise ValidationError({"thread": f"No comment {thread_id} on this card."})
        if root.thread_id is not None:  # a reply to a reply joins the same thread
            root = Comment.objects.select_for_update().get(pk=root.thread_id)
    comment = Comment(journey=journey, card=card, thread=root, author=by, body=body)
    comment.full_clean()
    comment.save()
    mentioned = _mentionable(journey, mention_names(body))
    if mentioned:
        comment.mentions.set(mentioned)
    if root is not None and root.resolved_at is not None:
        root.resolved_at, root.resolved_by = None, None
        root.save(update_fields=["resolved_at", "resolved_by"])
    what = "replied on" if root is not None else "commented on"
    _note(journey, by, "commented", card, f"{what} the card “{card.text[:60]}”: {body[:120]}")
    return comment


def _thread_for_change(comment_id, by: User) -> tuple[Journey, Comment]:
    """The journey (locked) and the thread root of a comment, if `by` may resolve or reopen it."""
    journey = services._lock(_comment_journey_id(comment_id), by, access.VIEW)
    comment = Comment.objects.select_for_update().get(pk=comment_id)
    root = (
        comment
        if comment.thread_id is None
        else Comment.objects.select_for_update().get(pk=comment.thread_id)
    )
    if not (_can_edit(journey) or root.author_id == by.pk):
        raise PermissionDenied(
            "Only the journey's editors and the person who started the thread can do this."
        )
    return journey, root


@transaction.atomic
def comment_resolve(*, comment_id: int, by: User) -> Comment:
    """Mark a comment's thread resolved (editors, or whoever started it); returns its first comment."""
    journey, root = _thread_for_change(comment_id, by)
    if root.resolved_at is None:
        root.resolved_at, root.resolved_by = timezone.now(), by
        root.save(update_fields=["resolved_at", "resolved_by"])
        _note(journey, by, "resolved", root.card, f"resolved a comment thread on “{root.card.text[:60]}”")
    return root


@transaction.atomic
def comment_reopen(*, comment_id: int, by: User) -> Comment:
    """Reopen a resolved thread (editors, or whoever started it); returns the thread's first comment."""
    journey, root = _thread_for_change(comment_id, by)
    if root.resolved_at is not None:
        root.resolved_at, root.resolved_by = None, None
        root.save(update_fields=["resolved_at", "resolved_by"])
        _note(journey, by, "reopened", root.card, f"reopened a comment thread on “{root.card.text[:60]}”")
    return root


@transaction.atomic
def comment_delete(*, comment_id: int, by: User) -> None:
    """Delete a comment (its author, or a manager of the journey); a thread's first takes its replies."""
    journey = services._lock(_comment_journey_id(comment_id), by, access.VIEW)
    comment = Comment.objects.select_for_update().select_related("card").get(pk=comment_id)
    if comment.author_id != by.pk and not _can_manage(journey):
        raise PermissionDenied("Only the author or a manager of the journey can delete a comment.")
    card = comment.card
    comment.delete()
    _note(journey, by, "deleted comment", card, f"deleted a comment on “{card.text[:60]}”")


# ---------------------------------------------------------------------------------------------- reads


def card_threads(*, card: Card) -> list[Comment]:
    """A card's threads, oldest first, each with `.reply_list`; every comment with `.segments` for display.
    Two queries: the comments with their authors, and the people they mention."""
    comments = list(
        Comment.objects.filter(card=card)
        .select_related("author", "resolved_by")
        .prefetch_related(
            Prefetch("mentions", queryset=User.objects.only("id", "username", "first_name", "last_name"))
        )
        .order_by("created_at", "id")
    )
    roots, by_id = [], {}
    for comment in comments:
        comment.segments = body_segments(comment.body, list(comment.mentions.all()))
        comment.reply_list = []
        by_id[comment.pk] = comment
    for comment in comments:
        parent = by_id.get(comment.thread_id)
        if parent is None:
            roots.append(comment)
        else:
            parent.reply_list.append(comment)
    return roots


def open_thread_counts(*, journey: Journey) -> dict[int, int]:
    """{card id: number of unresolved threads} for a map's comment badges (one query)."""
    rows = (
        Comment.objects.filter(journey=journey, thread__isnull=True, resolved_at__isnull=True)
        .values("card_id")
        .annotate(n=Count("id"))
    )
    return {row["card_id"]: row["n"] for row in rows}


def may_change_thread(journey: Journey, root: Comment, user: User) -> bool:
    """Whether `user` (with `journey.access_level` set) may resolve or reopen this thread."""
    return _can_edit(journey) or root.author_id == user.pk


def may_delete(journey: Journey, comment: Comment, user: User) -> bool:
    return comment.author_id == user.pk or _can_manage(journey)
