"""Links from evidence to a card, step or stage, supporting or contradicting it.

A link is a change to the journey: it is made under the journey's lock with edit right checked there
(journeys.services.changes.lock_journey_of), and recorded with `record_change` (a new revision, a line in
the journey's activity feed, a live event; for a card, the event names its cell so open maps refresh
it). Linking records a ResearchEvent ("new research reached this journey") for governance's review
trigger. Links live and die with their element: journeys' trash keeps them when the element is deleted
and puts them back, same ids, on undo or version restore.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from core.text import shorten
from journeys.models import Card, Journey, Stage, Step
from journeys.services.changes import check_version, lock_journey, lock_journey_of, locked, record_change

from .. import access
from ..models import EvidenceLink, ResearchEvent, Stance
from .base import apply_fields

TARGETS = {"card": Card, "step": Step, "stage": Stage}
QUOTE = 60  # characters of the evidence quoted in an activity line


def _target_words(kind: str, obj) -> str:
    name = obj.text if kind == "card" else obj.title
    return f"{kind} “{shorten(' '.join(name.split()), QUOTE)}”"


def _cells(kind: str, obj) -> list:
    return [(obj.lane_id, obj.step_id)] if kind == "card" else []


@transaction.atomic
def link_create(
    *,
    evidence_id: int,
    by: User,
    card: int | None = None,
    step: int | None = None,
    stage: int | None = None,
    stance: str = Stance.SUPPORTS,
    note: str = "",
) -> EvidenceLink:
    """Link evidence to exactly one card, step or stage (ids) of a journey of its workspace.

    Needs: to see the evidence (a member of its workspace; 404 otherwise) and edit on the element's
    journey (404 when the reader cannot see it, 403 below edit). Records the change on the journey and a
    ResearchEvent. Raises ValidationError by field (no or several targets, bad stance, already linked)."""
    evidence = access.evidence_for(by, evidence_id)
    given = {kind: pk for kind, pk in (("card", card), ("step", step), ("stage", stage)) if pk is not None}
    if len(given) != 1:
        raise ValidationError({"non_field_errors": "Name exactly one card, step or stage to link to."})
    ((kind, pk),) = given.items()
    model = TARGETS[kind]
    try:
        journey = lock_journey_of(model, pk, by)
    except Http404:
        raise ValidationError({kind: f"No {kind} {pk} that you can see."}) from None
    if journey.workspace_id != evidence.workspace_id:
        raise ValidationError({kind: f"The {kind} is on a journey of another workspace."})
    target = locked(model, pk, journey)
    link = EvidenceLink(
        evidence=evidence, journey=journey, stance=stance, note=note, created_by=by, created_at=timezone.now()
    )
    setattr(link, kind, target)
    link.full_clean(exclude=["evidence", "journey", "card", "step", "stage", "created_by"])
    if EvidenceLink.objects.filter(evidence_id=evidence.pk, **{f"{kind}_id": pk}).exists():
        raise ValidationError({kind: f"This evidence is linked to this {kind} already."})
    link.save()
    ResearchEvent.objects.create(journey=journey, evidence=evidence, by=by, at=link.created_at)
    verb = "supports" if stance == Stance.SUPPORTS else "contradicts"
    record_change(
        journey,
        by,
        "linked evidence",
        target,
        f"linked evidence “{shorten(' '.join(evidence.text.split()), QUOTE)}” that {verb} the "
        f"{_target_words(kind, target)}",
        cells=_cells(kind, target),
    )
    return link


def _locked_link(link_id: int, by: User):
    """The link, its journey locked with edit checked (404 when the reader cannot see the link)."""
    link = access.link_for(by, link_id)
    journey = lock_journey(link.journey_id, by)
    link = (
        EvidenceLink.objects.select_for_update(of=("self",))
        .select_related("evidence", "card", "step", "stage")
        .filter(pk=link_id, journey_id=journey.pk)
        .first()
    )
    if link is None:
        raise Http404("No such link.")
    return journey, link


@transaction.atomic
def link_update(*, link_id: int, by: User, expected_version=None, **fields) -> EvidenceLink:
    """Change a link's `stance` or `note` (edit on its journey). Raises Conflict when `expected_version` is
    stale, ValidationError by field."""
    journey, link = _locked_link(link_id, by)
    check_version(link, expected_version)
    changed = apply_fields(link, fields, ("stance", "note"))
    if changed:
        link.full_clean(exclude=["evidence", "journey", "card", "step", "stage", "created_by"])
        link.version += 1
        link.save(update_fields=[*changed, "version"])
        target = link.card or link.step or link.stage
        if "stance" in changed:
            summary = f"marked evidence as {link.get_stance_display().lower()} the "
        else:
            summary = "changed the note of evidence on the "
        record_change(
            journey,
            by,
            "changed evidence link",
            target,
            summary + _target_words(link.target_kind, target),
            cells=_cells(link.target_kind, target),
        )
    return link


@transaction.atomic
def link_delete(*, link_id: int, by: User, expected_version=None) -> None:
    """Unlink evidence from its card, step or stage (edit on its journey); recorded on the journey.
    Raises Conflict when `expected_version` is stale."""
    journey, link = _locked_link(link_id, by)
    check_version(link, expected_version)
    target = link.card or link.step or link.stage
    kind = link.target_kind
    link.delete()
    record_change(
        journey,
        by,
        "unlinked evidence",
        target,
        f"unlinked evidence “{shorten(' '.join(link.evidence.text.split()), QUOTE)}” from the "
        f"{_target_words(kind, target)}",
        cells=_cells(kind, target),
    )


def links_forget(*, evidence_ids: list[int], by: User, reason: str) -> int:
    """Delete every link of this evidence (being deleted by a service that checked the right to), recording
    on each journey concerned, in one line, how many links went and why: the evidence is the workspace's,
    so its deletion changes maps whether or not `by` can see them. Journeys are locked in id order."""
    rows = list(
        EvidenceLink.objects.filter(evidence_id__in=evidence_ids).values_list(
            "journey_id", "card__lane_id", "card__step_id"
        )
    )
    if not rows:
        return 0
    by_journey: dict[int, list] = {}
    for journey_id, lane_id, step_id in rows:
        by_journey.setdefault(journey_id, []).append((lane_id, step_id))
    journeys = Journey.objects.select_for_update(of=("self",)).filter(pk__in=by_journey).order_by("pk")
    for journey in journeys:
        cells = [cell for cell in by_journey[journey.pk] if cell[0] is not None]
        count = len(by_journey[journey.pk])
        record_change(
            journey,
            by,
            "unlinked evidence",
            None,
            f"removed {count} evidence link{'s' if count != 1 else ''} ({reason})",
            cells=cells,
        )
    deleted, _ = EvidenceLink.objects.filter(evidence_id__in=evidence_ids).delete()
    return deleted
