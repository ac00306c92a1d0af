"""Structure across journeys: copies and future states, templates, sub-journeys from a step, the hierarchy
breadcrumb, current-versus-future comparison and saved present-mode views.

Writes follow journeys/services/changes.py: keyword-only, one transaction, permission checked under the
journey's lock (`lock_journey`), activity recorded (and the revision bumped through `record_change` where a
map changes). Reads take a constant number of queries whatever the size of the maps.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Avg, Count, F, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from accounts.models import Role, Team, User

from .. import access
from ..models import (
    MAX_HIERARCHY_DEPTH,
    TITLE_MAX,
    Card,
    Journey,
    JourneyLevel,
    JourneyState,
    Lane,
    LaneKind,
    SavedView,
    Stage,
    StandardStage,
    Step,
    Visibility,
)
from .changes import journey_id_of, lock_journey, note_activity, record_change, validate
from .journeys import journey_create, journey_update

# The level a sub-journey gets, one below its parent's; micro journeys are the most detailed.
LEVEL_BELOW = {JourneyLevel.LIFECYCLE: JourneyLevel.SUB_JOURNEY, JourneyLevel.SUB_JOURNEY: JourneyLevel.MICRO}


# ---------------------------------------------------------------------------------------------- helpers


RESTRICTED_COPY = (
    "Copying a restricted journey needs the manage right on it: a copy must not reach more people than "
    "the journey it comes from."
)


def _can_create_or_403(journey: Journey) -> None:
    """Creating journeys is a workspace right (admins and editors), whatever the grants on one journey."""
    if not access.can_create_journeys(journey.role):
        raise PermissionDenied("Viewers cannot create journeys.")


def _parent_for(by: User, parent, workspace_id: int) -> Journey | None:
    """A parent named by object or id: one `by` can see, in the same workspace (else a field error)."""
    if parent in (None, ""):
        return None
    pk = parent.pk if isinstance(parent, Journey) else parent
    try:
        journey = access.journey_for(by, pk, need=access.VIEW)
    except Http404:
        raise ValidationError({"parent": f"No journey {pk}."}) from None
    if journey.workspace_id != workspace_id:
        raise ValidationError({"parent": "The parent journey must be in the same workspace."})
    return journey


def _inherit_audience(source: Journey, target: Journey) -> None:
    """A restricted source's grants, repeated on the new journey so the same people see it."""
    if source.visibility != Visibility.RESTRICTED:
        return
    grants = access.grants_of(source)
    users = User.objects.in_bulk([g["id"] for g in grants if g["kind"] == "user"])
    teams = Team.objects.select_related("group").in_bulk([g["id"] for g in grants if g["kind"] == "team"])
    for grant in grants:
        grantee = (users if grant["kind"] == "user" else teams).get(grant["id"])
        if grantee is not None and grantee != target.owner:
            access.grant_set(journey=target, grantee=grantee, level=grant["level"])


def _copy_map(source: Journey, target: Journey, *, with_cards: bool, by: User) -> None:
    """Stages, steps and lanes (and cards) of `source` into the empty `target`: two queries per table."""
    stages = list(Stage.objects.filter(journey=source).order_by("position"))
    new_stages = Stage.objects.bulk_create(
        Stage(
            journey=target,
            position=s.position,
            title=s.title,
            description=s.description,
            standard_stage=s.standard_stage,
        )
        for s in stages
    )
    stage_map = {old.pk: new.pk for old, new in zip(stages, new_stages, strict=True)}

    steps = list(Step.objects.filter(journey=source).order_by("stage__position", "position"))
    new_steps = Step.objects.bulk_create(
        Step(
            journey=target,
            stage_id=stage_map[s.stage_id],
            position=s.position,
            title=s.title,
            description=s.description,
            sub_journey_id=s.sub_journey_id,
        )
        for s in steps
    )
    step_map = {old.pk: new.pk for old, new in zip(steps, new_steps, strict=True)}

    lanes = list(Lane.objects.filter(journey=source).order_by("position"))
    new_lanes = Lane.objects.bulk_create(
        Lane(journey=target, position=lane.position, title=lane.title, kind=lane.kind) for lane in lanes
    )
    lane_map = {old.pk: new.pk for old, new in zip(lanes, new_lanes, strict=True)}

    if with_cards:
        Card.objects.bulk_create(
            Card(
                journey=target,
                lane_id=lane_map[c.lane_id],
                step_id=step_map[c.step_id],
                position=c.position,
                text=c.text,
                note=c.note,
                emotion_score=c.emotion_score,
                channel=c.channel,
                created_by=by,
            )
            for c in Card.objects.filter(journey=source).order_by("lane_id", "step_id", "position")
        )


# ---------------------------------------------------------------------------------------------- copies


@transaction.atomic
def journey_copy(
    *,
    journey_id: int,
    by: User,
    title: str,
    with_cards: bool = True,
    as_future_state: bool = False,
    parent=None,
    with_sub_journeys: bool = False,
) -> Journey:
    """Copy a journey's structure (stages, steps with their sub-journey links, lanes), with or without its
    cards, into a new journey owned by `by`; as a future state it points back at the current state.

    With `with_sub_journeys`, the sub-journeys its steps drill into are copied the same way (as future
    states of theirs, children of the new journey, their own sub-journeys too) and the new steps drill into
    the copies; a sub-journey `by` may not copy (restricted, not managed) or that is archived stays linked
    as it is. The copies made are on `.sub_journey_copies` of the returned journey."""
    # Locking the source holds its writers off, so the copy is one consistent map.
    source = lock_journey(journey_id, by, access.VIEW)
    _can_create_or_403(source)
    if access.rank(source.access_level) < access.rank(access.copy_need(source)):
        # Every copy path ends here (copy, future state, new from a journey or a template, API and pages).
        raise PermissionDenied(RESTRICTED_COPY)
    parent = _parent_for(by, parent, source.workspace_id)
    if as_future_state:
        state = JourneyState.FUTURE
        # An alternative future of a future state still belongs to the same current state.
        is_future_of_current = source.state == JourneyState.FUTURE and source.current_state_of_id
        current_state_of_id = source.current_state_of_id if is_future_of_current else source.pk
    else:
        state, current_state_of_id = source.state, source.current_state_of_id
    copy = Journey(
        workspace=source.workspace,
        title=(title or "").strip(),
        description=source.description,
        persona=source.persona,
        state=state,
        level=source.level,
        parent=parent,
        current_state_of_id=current_state_of_id,
        owner=by,
        tags=list(source.tags),
        visibility=source.visibility,
        updated_by=by,
    )
    # Every field comes from a journey that is valid already, or through its field's validators (the title):
    # the database's CHECK constraints need not be asked again, three statements each.
    validate(copy)
    copy.save()
    _copy_map(source, copy, with_cards=with_cards, by=by)
    _inherit_audience(source, copy)
    what = "future-state map" if as_future_state else "copy"
    cards = "with its cards" if with_cards else "structure only"
    note_activity(
        copy,
        by,
        "created",
        copy,
        f"created the journey “{copy.title}” as a {what} of “{source.title}” ({cards})",
    )
    note_activity(source, by, "copied", copy, f"made a {what} of this journey: “{copy.title}”")
    copy.sub_journey_copies = []
    if with_sub_journeys:
        copy.sub_journey_copies = _copy_sub_journeys(
            copy, by=by, with_cards=with_cards, as_future_state=as_future_state, seen={source.pk}
        )
    return copy


def sub_journey_copy_title(title: str, *, as_future_state: bool) -> str:
    """The title a copied sub-journey gets (within the title limit)."""
    return (f"{title} (future state)" if as_future_state else f"Copy of {title}")[:TITLE_MAX]


def _copy_sub_journeys(
    copy: Journey, *, by: User, with_cards: bool, as_future_state: bool, seen: set
) -> list:
    """Copy the sub-journeys `copy`'s steps drill into (those `by` may copy, not archived, not already on
    the way down), point the steps at the copies and go on down their own steps. Returns every copy."""
    linked = set(
        Step.objects.filter(journey=copy, sub_journey__isnull=False).values_list("sub_journey_id", flat=True)
    )
    copyable = (
        access.copyable(Journey.objects.filter(pk__in=linked - seen, archived=False), by)
        .order_by("title", "pk")
        .values_list("pk", "title")
    )
    made = []
    for sub_id, title in copyable:
        seen.add(sub_id)
        sub_copy = journey_copy(
            journey_id=sub_id,
            by=by,
            title=sub_journey_copy_title(title, as_future_state=as_future_state),
            with_cards=with_cards,
            as_future_state=as_future_state,
            parent=copy,
        )
        Step.objects.filter(journey=copy, sub_journey_id=sub_id).update(sub_journey=sub_copy)
        made.append(sub_copy)
        # `seen` copies each journey once, so links that loop (A's step → B, B's step → A) end.
        made += _copy_sub_journeys(
            sub_copy, by=by, with_cards=with_cards, as_future_state=as_future_state, seen=seen
        )
    return made


@transaction.atomic
def journey_create_from_template(
    *, template_id: int, by: User, title: str, with_cards: bool = True, parent=None
) -> Journey:
    """Start a new journey from one of the workspace's templates (a copy of it that is not a template)."""
    template = access.journey_for(by, template_id, need=access.VIEW)
    if not template.is_template:
        raise ValidationError({"template": f"“{template.title}” is not a template."})
    return journey_copy(journey_id=template.pk, by=by, title=title, with_cards=with_cards, parent=parent)


@transaction.atomic
def journey_template_set(*, journey_id: int, by: User, is_template: bool, expected_version=None) -> Journey:
    """Offer a journey as a workspace template, or stop offering it (manage right)."""
    return journey_update(
        journey_id=journey_id, by=by, expected_version=expected_version, is_template=bool(is_template)
    )


def _count(model):
    """A correlated COUNT of a journey's rows: sizes for a list of journeys without multiplying joins."""
    rows = model.objects.filter(journey=OuterRef("pk")).order_by().values("journey")
    return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n")[:1]), 0)


def with_sizes(queryset):
    """Journeys annotated with `stage_count`, `step_count`, `lane_count` and `card_total` (same query)."""
    return queryset.annotate(
        stage_count=_count(Stage), step_count=_count(Step), lane_count=_count(Lane), card_total=_count(Card)
    )


def templates_of(*, user, workspace):
    """The workspace's templates the user can see and start from (a restricted one only when they manage
    it: starting from a template copies it), by title."""
    return (
        access.copyable(Journey.objects.all(), user)
        .filter(workspace=workspace, is_template=True, archived=False)
        .select_related("owner")
        .order_by("title", "pk")
    )


# ---------------------------------------------------------------------------------------------- sub-journeys


@transaction.atomic
def sub_journey_create_from_step(
    *, step_id: int, by: User, title: str | None = None, from_framework: bool = False
) -> Journey:
    """Create the detailed journey of a step (one level down, child of the step's journey, same audience)
    and link the step to it."""
    parent = lock_journey(journey_id_of(Step, step_id), by, access.EDIT)
    _can_create_or_403(parent)
    step = Step.objects.select_for_update().get(pk=step_id)
    if step.sub_journey_id:
        raise ValidationError({"step": "This step already links to a sub-journey; unlink it first."})
    level = LEVEL_BELOW.get(parent.level)
    if level is None:
        raise ValidationError(
            {"step": "A micro journey is the most detailed level: its steps cannot have sub-journeys."}
        )
    title = (title or "").strip() or step.title
    child = journey_create(
        workspace=parent.workspace,
        by=by,
        title=title,
        owner=by,
        from_framework=from_framework,
        with_default_lanes=True,
        level=level,
        parent=parent,
        visibility=parent.visibility,
        persona=parent.persona,
        state=parent.state,
    )
    _inherit_audience(parent, child)
    step.sub_journey = child
    step.full_clean()
    step.version += 1
    step.save(update_fields=["sub_journey", "version"])
    record_change(parent, by, "linked", step, f"created sub-journey “{child.title}” from step “{step.title}”")
    return child


def journey_ancestors(*, journey: Journey, user=None) -> list[Journey]:
    """The journey's parents, outermost first (lifecycle → sub-journey), leaving out ones `user` cannot see.

    One query for the usual three levels (parent, grandparent, great-grandparent in one join), one more per
    further three; a visibility check only when a restricted ancestor is involved."""
    chain: list[Journey] = []
    seen = {journey.pk}
    next_id = journey.parent_id
    while next_id and next_id not in seen and len(chain) < MAX_HIERARCHY_DEPTH:
        node = Journey.objects.select_related("parent__parent").filter(pk=next_id).first()
        next_id = None
        for depth in range(3):  # the three levels the join fetched
            if node is None or node.pk in seen:
                break
            seen.add(node.pk)
            chain.append(node)
            next_id = node.parent_id
            if depth == 2 or node.parent_id is None:
                break
            node = node.parent
    if user is None or not chain:
        return list(reversed(chain))
    is_admin = getattr(journey, "role", None) == Role.ADMIN
    unsure = [
        a.pk
        for a in chain
        if a.workspace_id != journey.workspace_id
        or (a.visibility != Visibility.WORKSPACE and a.owner_id != user.pk and not is_admin)
    ]
    hidden = set(unsure) - set(
        Journey.objects.visible_to(user).filter(pk__in=unsure).values_list("pk", flat=True)
    )
    return [a for a in reversed(chain) if a.pk not in hidden]


# ---------------------------------------------------------------------------------------------- compare


@dataclass
class StageSide:
    """One stage of one side of a comparison, with its key cards."""

    stage: Stage
    steps: list[Step]
    pain_points: list[dict] = field(default_factory=list)  # {"id", "text"}
    opportunities: list[dict] = field(default_factory=list)
    emotion: float | None = None  # mean emotion score of the stage's scored cards
    emotion_count: int = 0
    changed_steps: set = field(default_factory=set)  # ids of steps with no same-titled step on the other side


@dataclass
class CompareRow:
    left: StageSide | None
    right: StageSide | None
    matched_by: str = ""  # "standard_stage" | "title" | "position" | "" (only on one side)

    @property
    def standard_stage(self) -> str:
        return (self.left or self.right).stage.standard_stage

    @property
    def standard_stage_label(self) -> str:
        side = self.left or self.right
        return StandardStage(side.stage.standard_stage).label if side.stage.standard_stage else ""

    @property
    def emotion_delta(self) -> float | None:
        if self.left and self.right and self.left.emotion is not None and self.right.emotion is not None:
            return self.right.emotion - self.left.emotion
        return None


@dataclass
class SideTotals:
    stages: int = 0
    steps: int = 0
    pain_points: int = 0
    opportunities: int = 0
    emotion: float | None = None


@dataclass
class Comparison:
    left: Journey
    right: Journey
    rows: list[CompareRow]
    left_totals: SideTotals
    right_totals: SideTotals

    @property
    def only_left(self) -> int:
        return sum(1 for r in self.rows if r.right is None)

    @property
    def only_right(self) -> int:
        return sum(1 for r in self.rows if r.left is None)


def _norm(title: str) -> str:
    return " ".join((title or "").lower().split())


def align_stages(left: list, right: list) -> list[tuple]:
    """Pair two journeys' stages: by standard stage when both carry one, else by title, else by position.

    Returns (left stage or None, right stage or None, matched_by) in the left journey's order, with stages
    only on the right inserted after the right-hand stage they follow."""
    pairs: dict[int, tuple] = {}  # id(left stage) -> (right stage, how)
    taken: set[int] = set()  # id(right stage)

    def match(how, key_of, allowed=lambda a, b: True):
        index = defaultdict(list)
        for r in right:
            if id(r) not in taken and key_of(r) is not None:
                index[key_of(r)].append(r)
        for a in left:
            if id(a) in pairs or key_of(a) is None:
                continue
            for candidate in index.get(key_of(a), []):
                if id(candidate) not in taken and allowed(a, candidate):
                    pairs[id(a)] = (candidate, how)
                    taken.add(id(candidate))
                    break

    def compatible(a, b):
        # Two stages mapped to different standard stages are different stages, whatever their title or place.
        return not (a.standard_stage and b.standard_stage and a.standard_stage != b.standard_stage)

    match("standard_stage", lambda s: s.standard_stage or None)
    match("title", lambda s: _norm(s.title) or None, compatible)
    match("position", lambda s: s.position, compatible)

    rows = [[a, pairs.get(id(a), (None, ""))[0], pairs.get(id(a), (None, ""))[1]] for a in left]
    row_of = {id(row[1]): row for row in rows if row[1] is not None}
    insert_at = 0  # after the row of the last right-hand stage seen
    for r in right:
        if id(r) in row_of:
            insert_at = next(i for i, row in enumerate(rows) if row is row_of[id(r)]) + 1
            continue
        rows.insert(insert_at, [None, r, ""])
        insert_at += 1
    return [tuple(row) for row in rows]


def journey_compare(*, left: Journey, right: Journey) -> Comparison:
    """Two maps side by side by stage, with steps, pain points, opportunities and emotion per stage.

    Four queries whatever the size: stages, steps, key cards, emotion averages (for both journeys at once)."""
    ids = [left.pk, right.pk]
    stages = list(
        Stage.objects.filter(journey_id__in=ids)
        .order_by("journey_id", "position")
        .prefetch_related(Prefetch("steps", queryset=Step.objects.order_by("position"), to_attr="step_list"))
    )
    sides = {s.pk: StageSide(stage=s, steps=s.step_list) for s in stages}
    key_kinds = {LaneKind.PAIN_POINTS: "pain_points", LaneKind.OPPORTUNITIES: "opportunities"}
    key_cards = (
        Card.objects.filter(journey_id__in=ids, lane__kind__in=list(key_kinds))
        .annotate(stage_id=F("step__stage_id"), kind=F("lane__kind"))
        .order_by("step__position", "lane__position", "position")
        .values("id", "text", "stage_id", "kind")
    )
    for card in key_cards:
        side = sides.get(card["stage_id"])
        if side is not None:
            getattr(side, key_kinds[card["kind"]]).append({"id": card["id"], "text": card["text"]})
    emotions = (
        Card.objects.filter(journey_id__in=ids, lane__kind=LaneKind.EMOTIONS, emotion_score__isnull=False)
        .values("step__stage_id")
        .annotate(mean=Avg("emotion_score"), n=Count("id"))
    )
    for row in emotions:
        side = sides.get(row["step__stage_id"])
        if side is not None:
            side.emotion, side.emotion_count = float(row["mean"]), row["n"]

    left_stages = [s for s in stages if s.journey_id == left.pk]
    right_stages = [s for s in stages if s.journey_id == right.pk]
    rows = []
    for a, b, how in align_stages(left_stages, right_stages):
        row = CompareRow(left=sides[a.pk] if a else None, right=sides[b.pk] if b else None, matched_by=how)
        if row.left and row.right:
            left_titles = {_norm(s.title) for s in row.left.steps}
            right_titles = {_norm(s.title) for s in row.right.steps}
            row.left.changed_steps = {s.pk for s in row.left.steps if _norm(s.title) not in right_titles}
            row.right.changed_steps = {s.pk for s in row.right.steps if _norm(s.title) not in left_titles}
        rows.append(row)
    return Comparison(
        left=left,
        right=right,
        rows=rows,
        left_totals=_totals([sides[s.pk] for s in left_stages]),
        right_totals=_totals([sides[s.pk] for s in right_stages]),
    )


def _totals(sides: list[StageSide]) -> SideTotals:
    scored = sum(s.emotion_count for s in sides)
    return SideTotals(
        stages=len(sides),
        steps=sum(len(s.steps) for s in sides),
        pain_points=sum(len(s.pain_points) for s in sides),
        opportunities=sum(len(s.opportunities) for s in sides),
        emotion=(sum(s.emotion * s.emotion_count for s in sides if s.emotion is not None) / scored)
        if scored
        else None,
    )


def compare_partner(*, journey: Journey, user) -> Journey | None:
    """The natural other side of a comparison: the current state of a future-state map, else its newest
    future state the user can see."""
    visible = Journey.objects.visible_to(user)
    if journey.state == JourneyState.FUTURE and journey.current_state_of_id:
        found = visible.filter(pk=journey.current_state_of_id).first()
        if found is not None:
            return found
    return visible.filter(current_state_of=journey, archived=False).order_by("-created_at", "-pk").first()


# ---------------------------------------------------------------------------------------------- saved views


def _lane_ids(journey: Journey, hidden_lanes) -> list[int]:
    try:
        wanted = sorted({int(pk) for pk in hidden_lanes or []})
    except (TypeError, ValueError):
        raise ValidationError({"hidden_lanes": "Lanes are named by their ids (integers)."}) from None
    found = set(Lane.objects.filter(journey=journey, pk__in=wanted).values_list("pk", flat=True))
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        raise ValidationError({"hidden_lanes": f"No lane {', '.join(map(str, missing))} in this journey."})
    return wanted


@transaction.atomic
def saved_view_create(*, journey_id: int, by: User, name: str, hidden_lanes=()) -> SavedView:
    """Save a named present-mode view (which lanes are hidden) that anyone who sees the journey can open."""
    journey = lock_journey(journey_id, by, access.EDIT)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "A saved view needs a name."})
    if SavedView.objects.filter(journey=journey, name__iexact=name).exists():
        raise ValidationError({"name": f"There is already a view called “{name}” on this journey."})
    view = SavedView(journey=journey, name=name, hidden_lanes=_lane_ids(journey, hidden_lanes), created_by=by)
    view.full_clean()
    view.save()
    note_activity(journey, by, "saved view", view, f"saved the view “{view.name}”")
    return view


@transaction.atomic
def saved_view_delete(*, view_id: int, by: User) -> None:
    """Delete a saved view (edit right on its journey)."""
    journey = lock_journey(journey_id_of(SavedView, view_id), by, access.EDIT)
    view = SavedView.objects.select_for_update().get(pk=view_id)
    name = view.name
    view.delete()
    note_activity(journey, by, "deleted view", None, f"deleted the view “{name}”")
