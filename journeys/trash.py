"""Undo of deletions: a deleted stage, step, lane or card is kept with everything under it (its steps, its
cards and their comment threads) as a TrashedItem, and `trash_restore` puts it back.

Putting back follows one rule: things come back where they were, with their original ids, or not at all.
The element returns at its old position (clamped to the end when its siblings are fewer now). When the
stage of a step, or the lane or step of a card, has since been deleted too, the restore is refused with a
message naming it (put that back first: undoing in reverse order always works). Cards under a restored
step or lane whose other parent is gone for good (removed by a version restore) are left out.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Func, IntegerField
from django.http import Http404
from django.utils import timezone

from accounts import access
from accounts.models import User

from . import services
from .models import Card, Comment, Journey, Lane, Stage, Step, TrashedItem

PAYLOAD_SCHEMA = 1
KINDS = ("stage", "step", "lane", "card")
ORDER = ("stages", "steps", "lanes", "cards")  # parents before children
MODEL = {"stages": Stage, "steps": Step, "lanes": Lane, "cards": Card, "comments": Comment}
PLURAL = {"stage": "stages", "step": "steps", "lane": "lanes", "card": "cards"}
TITLE_MAX = TrashedItem._meta.get_field("title").max_length
MentionLink = Comment.mentions.through


# ---------------------------------------------------------------------------------------------- keeping


def _rows(model, queryset) -> list[dict]:
    """Every concrete column of the rows as JSON-safe values (datetimes as ISO text)."""
    names = [f.attname for f in model._meta.concrete_fields]
    rows = []
    for row in queryset.values(*names):
        rows.append({k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()})
    return rows


def _title_of(kind: str, obj) -> str:
    text = obj.text if kind == "card" else obj.title
    text = " ".join(text.split())
    return text if len(text) <= TITLE_MAX else text[: TITLE_MAX - 1] + "…"


def trash_put(*, journey: Journey, by: User, kind: str, obj) -> TrashedItem:
    """Keep an element about to be deleted, with everything under it (called by the *_delete services under
    the journey's lock)."""
    payload = {"schema": PAYLOAD_SCHEMA, "stages": [], "steps": [], "lanes": [], "cards": []}
    payload[PLURAL[kind]] = _rows(type(obj), type(obj).objects.filter(pk=obj.pk))
    cards = Card.objects.filter(journey=journey)
    if kind == "stage":
        payload["steps"] = _rows(Step, Step.objects.filter(stage=obj).order_by("position"))
        cards = cards.filter(step__stage=obj)
    elif kind == "step":
        cards = cards.filter(step=obj)
    elif kind == "lane":
        cards = cards.filter(lane=obj)
    else:
        cards = cards.filter(pk=obj.pk)
    if kind != "card":
        payload["cards"] = _rows(Card, cards.order_by("lane_id", "step_id", "position"))
    card_ids = [c["id"] for c in payload["cards"]]
    payload["comments"] = _rows(
        Comment, Comment.objects.filter(card_id__in=card_ids).order_by("created_at", "id")
    )
    payload["mentions"] = list(
        MentionLink.objects.filter(comment__card_id__in=card_ids).values_list("comment_id", "user_id")
    )
    return TrashedItem.objects.create(
        journey=journey, kind=kind, title=_title_of(kind, obj), payload=payload, deleted_by=by
    )


def trash_list(*, journey: Journey, limit: int = 50):
    """Recently deleted elements of a journey not yet put back, newest first, each with `card_count` (the
    cards that would come back with it) and its deleter."""
    return (
        TrashedItem.objects.filter(journey=journey, restored_at__isnull=True)
        .select_related("deleted_by")
        .defer("payload")
        .annotate(
            card_count=Func(F("payload__cards"), function="jsonb_array_length", output_field=IntegerField())
        )
        .order_by("-deleted_at", "-id")[:limit]
    )


# ---------------------------------------------------------------------------------------------- putting back


def _objects(model, rows: list[dict]) -> list:
    """Unsaved model instances from kept rows (datetimes parsed back)."""
    fields = {f.attname: f for f in model._meta.concrete_fields}
    return [model(**{k: fields[k].to_python(v) for k, v in row.items() if k in fields}) for row in rows]


def _trashed_parent(journey: Journey, kind: str, pk: int) -> TrashedItem | None:
    """The not-yet-restored trash item holding a deleted stage, step or lane, if any."""
    return (
        TrashedItem.objects.filter(
            journey=journey, restored_at__isnull=True, payload__contains={PLURAL[kind]: [{"id": pk}]}
        )
        .defer("payload")
        .order_by("-deleted_at")
        .first()
    )


def _refuse_missing(journey: Journey, kind: str, pk: int, what: str) -> None:
    """Refuse to put back `what` because its `kind` `pk` is gone; name it and say how to get it back."""
    parent = _trashed_parent(journey, kind, pk)
    if parent is not None:
        raise ValidationError(
            {"item": f"The {kind} “{parent.title}” {what} was deleted too. Put it back first, then this."}
        )
    raise ValidationError(
        {"item": f"The {kind} {what} no longer exists, so this cannot go back where it was."}
    )


def _item_journey_id(item_id) -> int:
    journey_id = TrashedItem.objects.filter(pk=item_id).values_list("journey_id", flat=True).first()
    if journey_id is None:
        raise Http404("No such deleted item.")
    return journey_id


USER_COLUMNS = ("created_by_id", "author_id", "resolved_by_id")


def _forget_missing_people(objs: list) -> None:
    """Clear references to users deleted since (one query)."""
    referenced = {getattr(o, name) for o in objs for name in USER_COLUMNS if getattr(o, name, None)}
    present = set(User.objects.filter(pk__in=referenced).values_list("pk", flat=True))
    for obj in objs:
        for name in USER_COLUMNS:
            if getattr(obj, name, None) and getattr(obj, name) not in present:
                setattr(obj, name, None)


def _renumbered(objs: list, parent_of) -> list:
    """Positions 0…n-1 per parent, keeping the kept order (some siblings may have been left out)."""
    groups = {}
    for obj in sorted(objs, key=lambda o: o.position):
        groups.setdefault(parent_of(obj), []).append(obj)
    for siblings in groups.values():
        for index, obj in enumerate(siblings):
            obj.position = index
    return objs


@transaction.atomic
def trash_restore(*, item_id: int, by: User):
    """Put a deleted stage, step, lane or card back where it was, with what was under it (editors).
    Returns the restored element."""
    journey = services._lock(_item_journey_id(item_id), by, access.EDIT)
    item = TrashedItem.objects.select_for_update().get(pk=item_id)
    if item.restored_at is not None:
        raise ValidationError({"item": f"The {item.kind} “{item.title}” was already put back."})
    payload = item.payload
    if payload.get("schema") != PAYLOAD_SCHEMA or item.kind not in KINDS:
        raise ValidationError({"item": "This deleted item was kept in a format this server cannot restore."})
    kept = {name: _objects(MODEL[name], payload.get(name, [])) for name in (*ORDER, "comments")}
    root = kept[PLURAL[item.kind]][0]
    if type(root).objects.filter(pk=root.pk).exists():
        raise ValidationError({"item": f"The {item.kind} “{item.title}” is on the map again already."})

    # The root's own parents must still be there.
    live_stages = set(Stage.objects.filter(journey=journey).values_list("pk", flat=True))
    live_steps = set(Step.objects.filter(journey=journey).values_list("pk", flat=True))
    live_lanes = set(Lane.objects.filter(journey=journey).values_list("pk", flat=True))
    if item.kind == "step" and root.stage_id not in live_stages:
        _refuse_missing(journey, "stage", root.stage_id, "this step was in")
    if item.kind == "card":
        if root.lane_id not in live_lanes:
            _refuse_missing(journey, "lane", root.lane_id, "this card was in")
        if root.step_id not in live_steps:
            _refuse_missing(journey, "step", root.step_id, "this card was in")

    # Cards under a stage, step or lane also sit in a lane (or step) of their own; that one must be there.
    steps_back = {s.pk for s in kept["steps"]} | ({root.pk} if item.kind == "step" else set())
    lanes_back = {root.pk} if item.kind == "lane" else set()
    cards = []
    for card in kept["cards"]:
        if card.lane_id not in live_lanes | lanes_back:
            if _trashed_parent(journey, "lane", card.lane_id) is not None:
                _refuse_missing(journey, "lane", card.lane_id, "holding some of these cards")
            continue  # gone for good: leave the card out
        if card.step_id not in live_steps | steps_back:
            if _trashed_parent(journey, "step", card.step_id) is not None:
                _refuse_missing(journey, "step", card.step_id, "holding some of these cards")
            continue
        cards.append(card)
    taken = set(Card.objects.filter(pk__in=[c.pk for c in cards]).values_list("pk", flat=True))
    cards = [c for c in cards if c.pk not in taken]

    # People who have left since keep their rows' history as "someone" (the columns allow it).
    comments = [c for c in kept["comments"] if c.card_id in {c.pk for c in cards} | {root.pk}]
    _forget_missing_people([root, *cards, *comments])

    # The root goes back at its old position among today's siblings.
    model = type(root)
    if item.kind == "stage":
        siblings = list(journey.stages.select_for_update().order_by("position"))
    elif item.kind == "step":
        siblings = list(Step.objects.select_for_update().filter(stage_id=root.stage_id).order_by("position"))
    elif item.kind == "lane":
        siblings = list(journey.lanes.select_for_update().order_by("position"))
    else:
        siblings = list(
            Card.objects.select_for_update()
            .filter(lane_id=root.lane_id, step_id=root.step_id)
            .order_by("position")
        )
    services._place(siblings, root, min(root.position, len(siblings)))
    if item.kind == "step" and root.sub_journey_id is not None:
        if not Journey.objects.filter(pk=root.sub_journey_id, workspace_id=journey.workspace_id).exists():
            root.sub_journey_id = None
    root.journey_id = journey.pk
    model.objects.bulk_create([root])

    if item.kind == "stage":
        taken_steps = set(
            Step.objects.filter(pk__in=[s.pk for s in kept["steps"]]).values_list("pk", flat=True)
        )
        steps = [s for s in kept["steps"] if s.pk not in taken_steps]
        linkable = set(
            Journey.objects.filter(
                pk__in=[s.sub_journey_id for s in steps if s.sub_journey_id],
                workspace_id=journey.workspace_id,
            ).values_list("pk", flat=True)
        )
        for step in steps:
            if step.sub_journey_id not in linkable:
                step.sub_journey_id = None
        Step.objects.bulk_create(_renumbered(steps, lambda s: s.stage_id))
    if item.kind != "card":
        Card.objects.bulk_create(_renumbered(cards, lambda c: (c.lane_id, c.step_id)))
        back = {c.pk for c in cards}
    else:
        back = {root.pk}

    # The comment threads of the cards that came back, with their mentions of people still here.
    comments = [c for c in comments if c.card_id in back]
    comments.sort(key=lambda c: (c.thread_id is not None, c.created_at, c.pk))
    Comment.objects.bulk_create(comments)
    comment_ids = {c.pk for c in comments}
    mentioned = [(c, u) for c, u in payload.get("mentions", []) if c in comment_ids]
    people = set(User.objects.filter(pk__in=[u for _, u in mentioned]).values_list("pk", flat=True))
    MentionLink.objects.bulk_create(
        [MentionLink(comment_id=c, user_id=u) for c, u in mentioned if u in people], ignore_conflicts=True
    )

    item.restored_at = timezone.now()
    item.save(update_fields=["restored_at"])
    with_cards = f" with {len(back)} card{'s' if len(back) != 1 else ''}" if item.kind != "card" else ""
    services._record(
        journey, by, "restored", root, f"put back the deleted {item.kind} “{item.title}”{with_cards}"
    )
    return root
