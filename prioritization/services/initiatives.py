"""Writes of initiatives: the delivery work of a workspace, its status, the cards it addresses, the metrics it
should move (targets) and its issues in delivery tools (delivery links).

Who (prioritization/access.py): admins and editors of the workspace write initiatives; viewers read. Each
service checks that once, except `initiative_set_status`, which the page, the API (a person's write) and the
Jira/Asana sync (no person) all call: its callers check (access.initiative_for(…, need=WRITE)).

**Cards.** An initiative addresses pain-point and opportunity cards. Linking is part of planning, not a change
of the map's content, so it needs the initiative write right (admin or editor of the workspace) and *view*
on the card's journey: editors may link cards of every journey they can see, a restricted one included
when they hold a grant on it; a journey they cannot see answers "no such card". Each link and unlink is
recorded on the card's journey like any change of it (journeys.services.changes.record_change: a line in
its activity feed, a new revision, a live event naming the card's cell so open maps refresh its badge).

**Status** follows models.TRANSITIONS; every change is a StatusChange row (from, to, when, by, via), the
creation included (from ""). Shipping sets the ship date (the day of the change unless given; editable
afterwards); going back before "shipped" clears it (the history keeps when it shipped). "Measured" computes
every target's outcome (prioritization/outcomes.py) and records its verdict, side values and counts; while
measured, the targets, ship date and windows are what the verdict was measured with, so they are locked
(move it back to "shipped" to change them). Each change emits the outbound webhook
`initiative.status_changed` (prioritization.webhooks.emit, delivered after commit).

**Concurrency.** Updates name the `expected_version` they change (Conflict, 409, with the initiative as it
is when stale). The version counts changes of the initiative's own fields, status and targets; links to
cards and delivery tools are rows of their own (adding one twice is refused by field, removing a removed
one is a 404), so they do not make an open edit form stale.

**Deleting** takes the initiative with its history, targets and links; the cards stay, and each journey
whose cards it addressed records that they no longer are (whether or not the deleter can see it). The page
asks for a confirmation that says what goes and offers "Drop" instead, which keeps everything.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from accounts.models import Membership, User
from core.text import shorten
from journeys.models import Card, Journey, LaneKind
from journeys.services.changes import apply_fields, check_version, lock_journey_of, locked, record_change
from metrics import access as metric_access
from metrics.models import Metric

from .. import access, outcomes, webhooks
from ..models import (
    TRANSITIONS,
    DeliveryLink,
    Event,
    ExpectedDirection,
    Initiative,
    InitiativeCard,
    InitiativeTarget,
    Provider,
    SizeUnit,
    Status,
    StatusChange,
)

INITIATIVE_FIELDS = (
    "title", "description", "owner", "planned_date", "shipped_date", "baseline_days", "after_days",
)  # fmt: skip
# What the recorded verdicts of a measured initiative were measured with.
MEASURED_FIELDS = ("shipped_date", "baseline_days", "after_days")
TARGET_FIELDS = ("expected_direction", "expected_size", "size_unit")
LINKABLE_KINDS = (LaneKind.PAIN_POINTS, LaneKind.OPPORTUNITIES)
BEFORE_SHIPPED = (Status.PROPOSED, Status.PLANNED, Status.IN_PROGRESS)
QUOTE = 60  # characters of a title or card quoted in an activity line
MEASURED_LOCK = "The outcome was measured with this; move the initiative back to “shipped” to change it."


def _words(text: str) -> str:
    return shorten(" ".join(text.split()), QUOTE)


def _owner(workspace_id: int, owner_id):
    if owner_id is None:
        return None
    if isinstance(owner_id, User):
        owner_id = owner_id.pk
    membership = Membership.objects.filter(workspace_id=workspace_id, user_id=owner_id).select_related("user")
    found = membership.first()
    if found is None:
        raise ValidationError({"owner": f"No member {owner_id} in this workspace."})
    return found.user


def _locked(initiative_id, by: User | None, need=access.WRITE) -> Initiative:
    """The initiative locked for this write; with `by`, its right checked in the same query."""
    queryset = Initiative.objects.select_for_update(of=("self",))
    if by is None:
        found = queryset.filter(pk=initiative_id).first()
        if found is None:
            raise Http404("No such initiative.")
        return found
    return access.initiative_for(by, initiative_id, need=need, queryset=queryset)


def _check_dates(initiative: Initiative) -> None:
    if initiative.shipped_date is not None and initiative.status not in (
        Status.SHIPPED,
        Status.MEASURED,
        Status.DROPPED,
    ):
        raise ValidationError(
            {"shipped_date": "An initiative gets a ship date when it ships (change its status to “shipped”)."}
        )


def _save(initiative: Initiative, changed: list[str], by: User | None) -> None:
    initiative.full_clean(exclude=["workspace", "owner", "created_by", "updated_by"])
    initiative.version += 1
    initiative.updated_at, initiative.updated_by = timezone.now(), by
    initiative.save(update_fields=[*changed, "version", "updated_at", "updated_by"])


# ---------------------------------------------------------------------------------------------- initiatives


@transaction.atomic
def initiative_create(
    *,
    workspace_id: int,
    by: User,
    title: str,
    description: str = "",
    owner: int | None = None,
    planned_date: datetime.date | None = None,
    baseline_days: int | None = None,
    after_days: int | None = None,
    via: str = StatusChange.Via.PERSON,
) -> Initiative:
    """A new initiative of the workspace, proposed (admins and editors). `owner` is a member's user id
    (default: `by`). Records the first status change (from nothing to "proposed"). Raises ValidationError
    by field."""
    access.workspace_for(by, workspace_id, need=access.WRITE)
    now = timezone.now()
    initiative = Initiative(
        workspace_id=workspace_id,
        title=title,
        description=description,
        owner=_owner(workspace_id, owner) if owner is not None else by,
        planned_date=planned_date,
        created_by=by,
        created_at=now,
        updated_by=by,
        updated_at=now,
    )
    if baseline_days is not None:
        initiative.baseline_days = baseline_days
    if after_days is not None:
        initiative.after_days = after_days
    initiative.full_clean(exclude=["workspace", "owner", "created_by", "updated_by"])
    initiative.save()
    StatusChange.objects.create(
        initiative=initiative, from_status="", to_status=initiative.status, via=via, by=by, at=now
    )
    return initiative


@transaction.atomic
def initiative_update(*, initiative_id: int, by: User, expected_version=None, **fields) -> Initiative:
    """Change an initiative's fields (any of INITIATIVE_FIELDS; `owner` a member's user id or None). The ship
    date is set by shipping and may be corrected while shipped; the ship date and windows of a measured
    initiative are locked (module docstring). Raises Conflict when `expected_version` is stale,
    ValidationError by field."""
    initiative = _locked(initiative_id, by)
    check_version(initiative, expected_version)
    if "owner" in fields:
        owner = fields.pop("owner")
        fields["owner"] = _owner(initiative.workspace_id, owner)
    changed = apply_fields(initiative, fields, INITIATIVE_FIELDS)
    if initiative.status == Status.MEASURED:
        locked_fields = [name for name in changed if name in MEASURED_FIELDS]
        if locked_fields:
            raise ValidationError({name: MEASURED_LOCK for name in locked_fields})
    if "shipped_date" in changed:
        if initiative.shipped_date is None and initiative.status in (Status.SHIPPED, Status.MEASURED):
            raise ValidationError({"shipped_date": "A shipped initiative needs its ship date."})
        _check_dates(initiative)
    if changed:
        _save(initiative, changed, by)
    return initiative


def _forget_cards(initiative: Initiative, by: User, reason: str) -> int:
    """Record on every journey whose cards the initiative addresses that it no longer does (journeys locked
    in id order); the links themselves go with the initiative."""
    rows = list(
        InitiativeCard.objects.filter(initiative=initiative).values_list(
            "card__journey_id", "card__lane_id", "card__step_id"
        )
    )
    by_journey: dict[int, list] = {}
    for journey_id, lane_id, step_id in rows:
        by_journey.setdefault(journey_id, []).append((lane_id, step_id))
    for journey in Journey.objects.select_for_update(of=("self",)).filter(pk__in=by_journey).order_by("pk"):
        cells = by_journey[journey.pk]
        n = len(cells)
        record_change(
            journey,
            by,
            "unlinked initiative",
            None,
            f"initiative “{_words(initiative.title)}” {reason}: it no longer addresses "
            f"{n} card{'s' if n != 1 else ''} of this journey",
            cells=cells,
        )
    return len(rows)


@transaction.atomic
def initiative_delete(*, initiative_id: int, by: User, expected_version=None) -> int:
    """Delete an initiative with its status history, targets and links (admins and editors); the cards
    stay, and their journeys record it. Returns how many card links went. Raises Conflict when
    `expected_version` is stale."""
    initiative = _locked(initiative_id, by)
    check_version(initiative, expected_version)
    count = _forget_cards(initiative, by, "was deleted")
    initiative.delete()
    return count


# ---------------------------------------------------------------------------------------------- status


def _payload(initiative: Initiative, change: StatusChange, targets: list[InitiativeTarget]) -> dict:
    links = list(initiative.delivery_links.order_by("provider", "key").values("provider", "key", "url"))
    return {
        "initiative": {
            "id": initiative.pk,
            "title": initiative.title,
            "status": initiative.status,
            "shipped_date": initiative.shipped_date,
            "planned_date": initiative.planned_date,
            "version": initiative.version,
        },
        "from": change.from_status,
        "to": change.to_status,
        "at": change.at,
        "via": change.via,
        "by": {"id": change.by.pk, "name": change.by.display_name} if change.by else None,
        "delivery_links": links,
        "targets": [
            {
                "metric": t.metric_id,
                "verdict": t.verdict or None,
                "baseline_value": t.baseline_value,
                "after_value": t.after_value,
            }
            for t in targets
        ],
    }


@transaction.atomic
def initiative_set_status(
    *,
    initiative,
    status: str,
    by: User | None,
    via: str,
    at: datetime.datetime | None = None,
    expected_version=None,
    shipped_date: datetime.date | None = None,
) -> StatusChange | None:
    """Move an initiative (an Initiative or its id) to `status` along models.TRANSITIONS, recording a
    StatusChange (`at`: when it happened, default now; `by` None for a sync). Shipping sets the ship date
    (`shipped_date`, default the day of `at`); going back before "shipped" clears it; "measured" records
    every target's verdict (prioritization/outcomes.py). Emits `initiative.status_changed`. The caller has
    checked the right to (module docstring). Returns the change, or None when it already had that status.
    Raises Conflict when `expected_version` is stale, ValidationError on `status` for a move TRANSITIONS
    does not allow."""
    pk = initiative.pk if isinstance(initiative, Initiative) else initiative
    found = _locked(pk, None)
    check_version(found, expected_version)
    if status not in Status.values:
        raise ValidationError({"status": f"“{status}” is not a status."})
    if via not in StatusChange.Via.values:
        raise ValidationError({"via": f"“{via}” is not a way of changing a status."})
    current = found.status
    if status == current:
        return None
    if status not in TRANSITIONS[Status(current)]:
        allowed = ", ".join(f"“{Status(s).label.lower()}”" for s in sorted(TRANSITIONS[Status(current)]))
        raise ValidationError(
            {
                "status": f"An initiative that is “{Status(current).label.lower()}” can move to {allowed}, "
                f"not to “{Status(status).label.lower()}”."
            }
        )
    at = at or timezone.now()
    changed = ["status"]
    found.status = status
    if status == Status.SHIPPED and current != Status.MEASURED:
        found.shipped_date = shipped_date or timezone.localdate(at)
        changed.append("shipped_date")
    elif status == Status.SHIPPED and shipped_date is not None:
        found.shipped_date = shipped_date
        changed.append("shipped_date")
    elif status in BEFORE_SHIPPED and found.shipped_date is not None:
        found.shipped_date = None
        changed.append("shipped_date")
    targets = list(found.targets.select_related("metric").order_by("pk"))
    if status == Status.MEASURED:
        if not targets:
            raise ValidationError(
                {"status": "An initiative is measured against its target metrics: add one first."}
            )
        for outcome in outcomes.outcomes_for(found, targets, today=timezone.localdate(at)):
            fields = outcomes.record(outcome, at=at)
            outcome.target.save(update_fields=fields)
    _save(found, changed, by)
    change = StatusChange.objects.create(
        initiative=found, from_status=current, to_status=status, via=via, by=by, at=at
    )
    webhooks.emit(
        workspace_id=found.workspace_id,
        event=Event.INITIATIVE_STATUS,
        payload=_payload(found, change, targets),
    )
    if isinstance(initiative, Initiative):
        for name in [*changed, "version", "updated_at", "updated_by"]:
            setattr(initiative, name, getattr(found, name))
    return change


# ---------------------------------------------------------------------------------------------- cards


def _linkable(card_id, by: User):
    """The card's journey locked (view checked: 404 as a field error when the card is not one the person
    can see) and the card, which must be a pain point or an opportunity."""
    try:
        journey = lock_journey_of(Card, card_id, by, need=access.VIEW)
    except Http404:
        raise ValidationError({"card": f"No card {card_id} that you can see."}) from None
    card = locked(Card, card_id, journey, related=("lane",))
    return journey, card


@transaction.atomic
def initiative_card_link(*, initiative_id: int, card_id: int, by: User) -> InitiativeCard:
    """Say that the initiative addresses a pain-point or opportunity card (module docstring: the initiative
    write right and view on the card's journey). Recorded on the card's journey. Raises ValidationError on
    `card` (not one the person can see, of another workspace, of another kind, linked already)."""
    initiative = _locked(initiative_id, by)
    journey, card = _linkable(card_id, by)
    if journey.workspace_id != initiative.workspace_id:
        raise ValidationError({"card": "The card is on a journey of another workspace."})
    if card.lane.kind not in LINKABLE_KINDS:
        raise ValidationError(
            {"card": "Only pain points and opportunities can be addressed by an initiative."}
        )
    if InitiativeCard.objects.filter(initiative=initiative, card_id=card.pk).exists():
        raise ValidationError({"card": "The initiative addresses this card already."})
    link = InitiativeCard.objects.create(
        initiative=initiative, card=card, added_by=by, added_at=timezone.now()
    )
    record_change(
        journey,
        by,
        "linked initiative",
        card,
        f"linked the {card.lane.get_kind_display().lower()} “{_words(card.text)}” to initiative "
        f"“{_words(initiative.title)}” ({initiative.get_status_display().lower()})",
        cells=[(card.lane_id, card.step_id)],
    )
    return link


@transaction.atomic
def initiative_card_unlink(*, initiative_id: int, card_id: int, by: User) -> None:
    """The initiative no longer addresses the card (the same rights as linking). Recorded on the card's
    journey. Http404 when it did not, or the person cannot see the card."""
    initiative = _locked(initiative_id, by)
    try:
        journey = lock_journey_of(Card, card_id, by, need=access.VIEW)
    except Http404:
        raise Http404("No such card on this initiative.") from None
    card = locked(Card, card_id, journey, related=("lane",))
    deleted, _ = InitiativeCard.objects.filter(initiative=initiative, card_id=card.pk).delete()
    if not deleted:
        raise Http404("No such card on this initiative.")
    record_change(
        journey,
        by,
        "unlinked initiative",
        card,
        f"unlinked the {card.lane.get_kind_display().lower()} “{_words(card.text)}” from initiative "
        f"“{_words(initiative.title)}”",
        cells=[(card.lane_id, card.step_id)],
    )


# ---------------------------------------------------------------------------------------------- targets


def _size(value) -> Decimal:
    try:
        size = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({"expected_size": "Enter a number."}) from None
    if not size.is_finite():
        raise ValidationError({"expected_size": "Enter a number."})
    return size


def _visible_metric(by: User, metric_id) -> Metric | None:
    """The metric with its journey when `by` can see that journey, else None (two queries)."""
    try:
        return metric_access.metric_for(by, metric_id)
    except Http404:
        return None


def _target_clean(target: InitiativeTarget) -> None:
    errors = {}
    if target.expected_direction not in ExpectedDirection.values:
        errors["expected_direction"] = "Say whether the metric should go up or down."
    if target.size_unit not in SizeUnit.values:
        errors["size_unit"] = "Say whether the size is in the metric's unit or in percent."
    if errors:
        raise ValidationError(errors)
    target.full_clean(exclude=["initiative", "metric"], validate_unique=False)


def _unmeasured(initiative: Initiative, field: str = "metric") -> None:
    if initiative.status == Status.MEASURED:
        raise ValidationError(
            {
                field: "The outcome was measured with these targets; move the initiative back to “shipped” "
                "to change them."
            }
        )


@transaction.atomic
def initiative_target_add(
    *,
    initiative_id: int,
    by: User,
    metric_id: int,
    expected_direction: str,
    expected_size,
    size_unit: str = SizeUnit.ABSOLUTE,
    expected_version=None,
) -> InitiativeTarget:
    """A metric the initiative should move, with the expected direction and (least) size, in the metric's
    unit or percent of the baseline. The metric must be of a journey of the workspace the person can see.
    Bumps the initiative's version. Raises ValidationError by field, Conflict when `expected_version` is
    stale."""
    initiative = _locked(initiative_id, by)
    check_version(initiative, expected_version)
    _unmeasured(initiative)
    metric = _visible_metric(by, metric_id)
    if metric is None or metric.journey.workspace_id != initiative.workspace_id:
        raise ValidationError({"metric": f"No metric {metric_id} that you can see in this workspace."})
    if InitiativeTarget.objects.filter(initiative=initiative, metric_id=metric.pk).exists():
        raise ValidationError({"metric": "The initiative targets this metric already."})
    target = InitiativeTarget(
        initiative=initiative,
        metric=metric,
        expected_direction=expected_direction,
        expected_size=_size(expected_size),
        size_unit=size_unit,
    )
    _target_clean(target)
    target.save()
    _save(initiative, [], by)
    return target


def _locked_target(target_id, by: User) -> tuple[Initiative, InitiativeTarget]:
    initiative_id = (
        InitiativeTarget.objects.filter(pk=target_id).values_list("initiative_id", flat=True).first()
    )
    if initiative_id is None:
        raise Http404("No such target.")
    initiative = _locked(initiative_id, by)
    target = (
        InitiativeTarget.objects.select_for_update(of=("self",))
        .select_related("metric")
        .filter(pk=target_id, initiative_id=initiative.pk)
        .first()
    )
    if target is None or _visible_metric(by, target.metric_id) is None:
        raise Http404("No such target.")
    return initiative, target


@transaction.atomic
def initiative_target_update(
    *, target_id: int, by: User, expected_version=None, **fields
) -> InitiativeTarget:
    """Change a target's expected direction, size or size unit (TARGET_FIELDS). `expected_version` is the
    initiative's, which this bumps. Raises Conflict, ValidationError by field; Http404 when the person
    cannot see the target's metric."""
    initiative, target = _locked_target(target_id, by)
    check_version(initiative, expected_version)
    if "expected_size" in fields:
        fields["expected_size"] = _size(fields["expected_size"])
    changed = apply_fields(target, fields, TARGET_FIELDS)
    if changed:
        _unmeasured(initiative, changed[0])
        _target_clean(target)
        target.save(update_fields=changed)
        _save(initiative, [], by)
    target.initiative = initiative
    return target


@transaction.atomic
def initiative_target_remove(*, target_id: int, by: User, expected_version=None) -> None:
    """The initiative no longer targets this metric. Bumps the initiative's version. Raises Conflict;
    ValidationError while measured; Http404 when the person cannot see the target's metric."""
    initiative, target = _locked_target(target_id, by)
    check_version(initiative, expected_version)
    _unmeasured(initiative)
    target.delete()
    _save(initiative, [], by)


# ------------------------------------------------------------------------------------------ delivery links


@transaction.atomic
def delivery_link_add(
    *, initiative_id: int, by: User, provider: str, key: str, url: str = ""
) -> DeliveryLink:
    """The initiative's issue in a delivery tool: the provider (Jira, Asana, Linear, Azure DevOps, other), its
    key (PROJ-123) and its URL (http or https; optional). Raises ValidationError by field (a bad URL, the
    same issue twice)."""
    initiative = _locked(initiative_id, by)
    link = DeliveryLink(
        initiative=initiative,
        provider=provider,
        key=(key or "").strip(),
        url=(url or "").strip(),
        created_by=by,
        created_at=timezone.now(),
    )
    if provider not in Provider.values:
        raise ValidationError({"provider": f"“{provider}” is not a delivery tool we know."})
    link.full_clean(exclude=["initiative", "created_by"], validate_unique=False)
    if link.url and not link.url.lower().startswith(("http://", "https://")):
        raise ValidationError({"url": "Enter a web address starting with http:// or https://."})
    if DeliveryLink.objects.filter(initiative=initiative, provider=provider, key=link.key).exists():
        raise ValidationError(
            {"key": f"The initiative links {link.get_provider_display()} {link.key} already."}
        )
    link.save()
    return link


@transaction.atomic
def delivery_link_remove(*, link_id: int, by: User) -> None:
    """Remove a delivery link (admins and editors). Http404 when there is no such link."""
    initiative_id = DeliveryLink.objects.filter(pk=link_id).values_list("initiative_id", flat=True).first()
    if initiative_id is None:
        raise Http404("No such delivery link.")
    initiative = _locked(initiative_id, by)
    deleted, _ = DeliveryLink.objects.filter(pk=link_id, initiative=initiative).delete()
    if not deleted:
        raise Http404("No such delivery link.")


__all__ = [
    "delivery_link_add",
    "delivery_link_remove",
    "initiative_card_link",
    "initiative_card_unlink",
    "initiative_create",
    "initiative_delete",
    "initiative_set_status",
    "initiative_target_add",
    "initiative_target_remove",
    "initiative_target_update",
    "initiative_update",
]
