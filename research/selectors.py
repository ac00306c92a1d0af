"""Reads of research that pages and the API share. Links are counted and shown only on journeys the
reader can see (research.access.visible_links); each list is a constant number of queries."""

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce

from . import access
from .models import Evidence, EvidenceLink, ResearchEvent, Study, Tag


def _visible_links_of(user, **outer):
    return access.visible_links(user, EvidenceLink.objects.filter(**outer))


def _count(queryset):
    counted = queryset.order_by().values("evidence_id").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted[:1], output_field=IntegerField()), 0)


def tag_list(*, workspace_id: int):
    """The workspace's tags by name, each with how many studies and evidence items it tags."""
    studies = Study.tags.through.objects.filter(tag_id=OuterRef("pk")).order_by().values("tag_id")
    evidence = Evidence.tags.through.objects.filter(tag_id=OuterRef("pk")).order_by().values("tag_id")
    return Tag.objects.filter(workspace_id=workspace_id).annotate(
        study_count=Coalesce(Subquery(studies.annotate(n=Count("pk")).values("n")[:1]), 0),
        evidence_count=Coalesce(Subquery(evidence.annotate(n=Count("pk")).values("n")[:1]), 0),
    )


def study_list(*, workspace_id: int, method: str | None = None, tag: int | None = None):
    """The workspace's studies, newest first, with owner, tags and `evidence_count`."""
    counted = Evidence.objects.filter(study_id=OuterRef("pk")).order_by().values("study_id")
    qs = (
        Study.objects.filter(workspace_id=workspace_id)
        .select_related("owner")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))
        .annotate(evidence_count=Coalesce(Subquery(counted.annotate(n=Count("pk")).values("n")[:1]), 0))
    )
    if method:
        qs = qs.filter(method=method)
    if tag:
        qs = qs.filter(tags__id=tag)
    return qs.order_by("-created_at", "-id")


def study_detail(*, study: Study) -> Study:
    """One study as study_list shows it (the caller has checked access)."""
    return study_list(workspace_id=study.workspace_id).get(pk=study.pk)


def evidence_list(
    *,
    user,
    workspace_id: int,
    study: int | None = None,
    method: str | None = None,
    kind: str | None = None,
    tag: int | None = None,
    stance: str | None = None,
    linked: bool | None = None,
):
    """The workspace's evidence, newest first, with study, tags and `link_count` (links on journeys the
    reader can see). Filters: a study, its method, kind, a tag, the stance of a visible link, and whether
    it has any visible link (`linked` True/False; a link the reader cannot see does not count)."""
    visible = _visible_links_of(user, evidence_id=OuterRef("pk"))
    qs = (
        Evidence.objects.filter(workspace_id=workspace_id)
        .select_related("study")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))
        .annotate(link_count=_count(visible))
    )
    if study:
        qs = qs.filter(study_id=study)
    if method:
        qs = qs.filter(study__method=method)
    if kind:
        qs = qs.filter(kind=kind)
    if tag:
        qs = qs.filter(tags__id=tag)
    if stance:
        qs = qs.filter(Exists(visible.filter(stance=stance)))
    if linked is True:
        qs = qs.filter(Exists(visible))
    elif linked is False:
        qs = qs.filter(~Exists(visible))
    return qs.order_by("-created_at", "-id")


def evidence_detail(*, user, evidence_id: int):
    """One evidence item as evidence_list shows it (the caller has checked access)."""
    visible = _visible_links_of(user, evidence_id=OuterRef("pk"))
    return (
        Evidence.objects.select_related("study")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))
        .annotate(link_count=_count(visible))
        .get(pk=evidence_id)
    )


def evidence_links(*, user, evidence_id: int):
    """The links of an evidence item that the reader can see, oldest first, with their journey."""
    return (
        access.visible_links(user, EvidenceLink.objects.filter(evidence_id=evidence_id))
        .select_related("journey")
        .order_by("created_at", "pk")
    )


def research_events(*, journey_id: int, since=None):
    """The journey's "new research" events (evidence linked to it), newest first, each with its evidence
    and who linked it; only those at or after `since` (an aware datetime) when given. What governance's
    "new research" review trigger reads."""
    events = ResearchEvent.objects.filter(journey_id=journey_id).select_related("evidence", "by")
    if since is not None:
        events = events.filter(at__gte=since)
    return events.order_by("-at", "-id")


def journey_links(
    *, journey_id: int, card: int | None = None, step: int | None = None, stage: int | None = None
):
    """The links of a journey (the caller has checked the reader sees it), oldest first, with evidence."""
    qs = EvidenceLink.objects.filter(journey_id=journey_id).select_related("evidence__study", "journey")
    for name, value in (("card_id", card), ("step_id", step), ("stage_id", stage)):
        if value:
            qs = qs.filter(**{name: value})
    return qs.order_by("created_at", "pk")
