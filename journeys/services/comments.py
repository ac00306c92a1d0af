"""Comments on cards: threads, @mentions, resolving.

Who may do what (a product decision): everyone who can see a journey may comment on its cards, viewers
included — stakeholders reviewing a map comment on it without being able to change it. The thread's
starter and the journey's editors resolve and reopen threads; a comment is deleted by its author or by a
manager of the journey (deleting the first comment of a thread deletes its replies). Replying to a resolved
thread reopens it.

Mentions name people who can see the journey (journeys.access.people_who_see) and are stored in
`Comment.mentions`, by id. Two ways to write one:
- picked from the comment box's autocomplete (`mention_candidates`, matching names and usernames): the text
  gets "@Display Name" and the form sends the person's id (`mention_ids`). An id names a deliberate choice, so
  one for someone who cannot see the journey refuses the comment with a message; an id whose "@name" is no
  longer in the text (the writer deleted it) is dropped.
- typed by hand as `@username` (case-insensitive; a trailing full stop or comma is not part of the name).
  A member who cannot see a restricted journey is not mentioned, and the comment says so
  (`comment.not_mentioned`); names that are no member's stay plain text.
Either way a mention never reaches, or leaks a map to, someone without access. Comments show a mention
as the person's current name (`body_segments`).

Comments do not change the map: they record activity without bumping the journey's revision.
"""

import re
from dataclasses import dataclass, field

from django.contrib.postgres.lookups import Unaccent
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, Count, Exists, OuterRef, Prefetch, Q, Value, When
from django.db.models.functions import Concat, Lower, Trim
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from core.text import is_blank, parse_id, shorten, too_long_message

from .. import access
from ..models import Card, Comment, Journey
from .changes import journey_id_of, lock_journey, note_activity

BODY_MAX = Comment._meta.get_field("body").max_length
MAX_MENTIONS = 20
PEOPLE_LIMIT = 10  # people the mention autocomplete offers at once
SEARCH_MAX = 60  # characters of a name search that count
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
    """A piece of a comment's text: plain, or a mention of `user` (`text` is what was typed)."""

    text: str
    user: User | None = None


@dataclass
class Body:
    """A comment's text cut for display, and the stored mentions its text no longer names (e.g. the
    person changed their name since), so that every stored mention shows."""

    segments: list[Segment] = field(default_factory=list)
    unplaced: list[User] = field(default_factory=list)


def _mention_pattern(people: list[User]) -> re.Pattern:
    """`@` and one of the people's display names (longest first, not followed by a letter), or any
    @username; preceded by nothing that makes it part of a word or an e-mail address."""
    names = sorted({u.display_name for u in people if u.display_name}, key=len, reverse=True)
    by_name = "".join(rf"{re.escape(name)}(?!\w)|" for name in names)
    return re.compile(rf"(?<![\w@.+-])@({by_name}[\w.+-]*\w)", re.IGNORECASE)


def _place_mentions(body: str, people: list[User]) -> tuple[list[Segment], list[User]]:
    """Cut `body` at each "@name" of the people (display name or username); returns the segments and the
    people found in it."""
    by_name = {}
    for user in people:
        by_name.setdefault(user.username.lower(), user)
    for user in people:
        by_name.setdefault(user.display_name.lower(), user)
    segments, found, last = [], [], 0
    for match in _mention_pattern(people).finditer(body or ""):
        user = by_name.get(match.group(1).lower())
        if user is None:
            continue
        if match.start() > last:
            segments.append(Segment(body[last : match.start()]))
        segments.append(Segment(match.group(0), user))
        if user not in found:
            found.append(user)
        last = match.end()
    if last < len(body or ""):
        segments.append(Segment(body[last:]))
    return segments, found


def body_segments(body: str, mentioned: list[User]) -> Body:
    """The comment's text cut into plain pieces and mentions of the stored people (templates escape both
    and show each mention as the person's current name)."""
    segments, found = _place_mentions(body, mentioned)
    return Body(segments, [u for u in mentioned if u not in found])


def mention_candidates(*, journey: Journey, search: str = "", limit: int = PEOPLE_LIMIT) -> list[User]:
    """Up to `limit` active people who can see the journey whose name or username contains `search`
    (case- and accent-insensitive: "jose" finds "José"), names starting with it first. One query."""
    search = " ".join((search or "").split())[:SEARCH_MAX]
    name = Unaccent(Lower(Trim(Concat("first_name", Value(" "), "last_name"))))
    people = access.people_who_see(journey).filter(is_active=True)
    people = people.annotate(plain_name=name, plain_username=Unaccent(Lower("username")))
    order = ["plain_name", "plain_username"]
    if search:
        needle = Unaccent(Lower(Value(search)))
        people = people.filter(Q(plain_name__contains=needle) | Q(plain_username__contains=needle))
        people = people.annotate(
            rank=Case(
                When(Q(plain_name__startswith=needle) | Q(plain_username__startswith=needle), then=0),
                When(plain_name__contains=Concat(Value(" "), needle), then=1),
                default=2,
            )
        )
        order.insert(0, "rank")
    # People with a name first (then by name), people known only by a username after them.
    people = people.annotate(nameless=Case(When(plain_name="", then=1), default=0))
    return list(people.order_by("nameless", *order, "pk")[:limit])


def _clean_mention_ids(mention_ids) -> list[int]:
    ids = []
    for value in mention_ids or ():
        pk = parse_id(value)
        if pk is None:
            raise ValidationError({"mentions": f"“{shorten(str(value), 40)}” is not the id of a person."})
        if pk not in ids:
            ids.append(pk)
    if len(ids) > MAX_MENTIONS:
        raise ValidationError({"mentions": f"Mention at most {MAX_MENTIONS} people in one comment."})
    return ids


def _mentions(journey: Journey, body: str, mention_ids) -> tuple[list[User], list[User]]:
    """(people to mention, members named by hand who cannot see the journey) in one query; refuses ids of
    people who are not members or cannot see it."""
    ids, names = _clean_mention_ids(mention_ids), mention_names(body)[:MAX_MENTIONS]
    if not ids and not names:
        return [], []
    sees = access.people_who_see(journey).filter(pk=OuterRef("pk"))
    people = list(
        User.objects.annotate(lower_username=Lower("username"))
        .filter(memberships__workspace_id=journey.workspace_id)
        .filter(Q(pk__in=ids) | Q(lower_username__in=names))
        .annotate(sees=Exists(sees))
        .order_by("pk")
    )
    chosen = {u.pk: u for u in people if u.pk in ids}
    missing = [pk for pk in ids if pk not in chosen]
    if missing:
        raise ValidationError({"mentions": f"No member {missing[0]} in this workspace."})
    # A chosen person counts while their "@name" is in the text (taking it out takes the mention out).
    segments, in_text = _place_mentions(body, list(chosen.values()))
    blind = [u for u in in_text if not u.sees]
    if blind:
        who = ", ".join(f"{u.display_name} (@{u.username})" for u in blind)
        verb = "cannot" if len(blind) == 1 else "cannot all"
        raise ValidationError(
            {"mentions": f"{who} {verb} see this journey: take the mention out, or share the journey first."}
        )
    # @usernames typed by hand, outside the picked names ("@Bob Stone" is not also a mention of @bob).
    typed_names = mention_names("\n".join(s.text for s in segments if s.user is None))
    typed = [u for u in people if u.lower_username in typed_names]
    mentioned = [*in_text, *(u for u in typed if u.sees and u not in in_text)]
    not_mentioned = [u for u in typed if not u.sees]
    return mentioned, not_mentioned


def _clean_body(body) -> str:
    body = (body or "").strip()
    if is_blank(body):
        raise ValidationError({"body": "Write something first."})
    if len(body) > BODY_MAX:
        raise ValidationError({"body": too_long_message(BODY_MAX, len(body))})
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
def comment_create(*, card_id: int, by: User, body: str, thread=None, mention_ids=()) -> Comment:
    """Comment on a card or reply in a thread (`thread`: a comment of the card, or its id); viewers may.
    `mention_ids`: people picked to mention (see the module's docstring). The comment comes back with
    `.not_mentioned`: members named by @username who cannot see the journey (not mentioned)."""
    journey = lock_journey(journey_id_of(Card, card_id), by, access.VIEW)
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
    mentioned, not_mentioned = _mentions(journey, body, mention_ids)
    comment = Comment(journey=journey, card=card, thread=root, author=by, body=body)
    comment.full_clean()
    comment.save()
    if mentioned:
        comment.mentions.set(mentioned)
    comment.not_mentioned = not_mentioned
    if root is not None and root.resolved_at is not None:
        root.resolved_at, root.resolved_by = None, None
        root.save(update_fields=["resolved_at", "resolved_by"])
    what = "replied on" if root is not None else "commented on"
    summary = f"{what} the card “{shorten(card.text, 60)}”: {shorten(body, 120)}"
    note_activity(journey, by, "commented", card, summary)
    return comment


def _thread_for_change(comment_id, by: User) -> tuple[Journey, Comment]:
    """The journey (locked) and the thread root of a comment, if `by` may resolve or reopen it."""
    journey = lock_journey(_comment_journey_id(comment_id), by, access.VIEW)
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
        note_activity(
            journey,
            by,
            "resolved",
            root.card,
            f"resolved a comment thread on “{shorten(root.card.text, 60)}”",
        )
    return root


@transaction.atomic
def comment_reopen(*, comment_id: int, by: User) -> Comment:
    """Reopen a resolved thread (editors, or whoever started it); returns the thread's first comment."""
    journey, root = _thread_for_change(comment_id, by)
    if root.resolved_at is not None:
        root.resolved_at, root.resolved_by = None, None
        root.save(update_fields=["resolved_at", "resolved_by"])
        note_activity(
            journey,
            by,
            "reopened",
            root.card,
            f"reopened a comment thread on “{shorten(root.card.text, 60)}”",
        )
    return root


@transaction.atomic
def comment_delete(*, comment_id: int, by: User) -> None:
    """Delete a comment (its author, or a manager of the journey); a thread's first takes its replies."""
    journey = lock_journey(_comment_journey_id(comment_id), by, access.VIEW)
    comment = Comment.objects.select_for_update().select_related("card").get(pk=comment_id)
    if comment.author_id != by.pk and not _can_manage(journey):
        raise PermissionDenied("Only the author or a manager of the journey can delete a comment.")
    card = comment.card
    comment.delete()
    note_activity(journey, by, "deleted comment", card, f"deleted a comment on “{shorten(card.text, 60)}”")


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
        shown = body_segments(comment.body, list(comment.mentions.all()))
        comment.segments, comment.unplaced_mentions = shown.segments, shown.unplaced
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
