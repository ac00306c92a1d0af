"""Reads of research that pages and the API share. Links are counted and shown only on journeys the
reader can see (research.access.visible_links); each list is a constant number of queries."""

from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
)
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Subquery,
    When,
)
from django.db.models.functions import Coalesce, Length

from . import access
from .models import SEARCH_CONFIG, Evidence, EvidenceLink, ResearchEvent, Study, Tag


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


# ---------------------------------------------------------------------------------------------- search
# Full-text search of evidence (the library, the card's evidence panel, the CSV export): PostgreSQL's
# `websearch_to_tsquery` syntax ("a phrase", -word, or), accents and case ignored, any language's letters:
# the research_search configuration (models.SEARCH_CONFIG: "simple", no stemming and no stop words, so it
# spoils no language, behind the unaccent dictionary), over the stored, GIN-indexed Evidence.search_vector.
# ts_headline parses the text with the same configuration, so a search for "cafe" marks "Café" as written.

# ts_headline's marks: control characters, which evidence text never holds (core.text refuses them), so the
# page can escape the text and then turn just these into <mark>.
MARK_START, MARK_STOP = "\x1e", "\x1f"
HEADLINE_OPTIONS = {"max_fragments": 2, "max_words": 28, "min_words": 10, "fragment_delimiter": " … "}
SORTS = ("relevance", "newest", "oldest", "captured")
SHORT_TEXT = 360  # characters: a text this short is shown whole in a search result, matches marked


def search_query(text: str) -> SearchQuery:
    """The websearch query of `text` (str, as typed), in evidence's search configuration."""
    return SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)


def _headline(q: str, **options):
    return SearchHeadline(
        "text", search_query(q), config=SEARCH_CONFIG, start_sel=MARK_START, stop_sel=MARK_STOP, **options
    )


def evidence_search(
    *,
    user,
    workspace_id: int,
    q: str = "",
    sort: str = "relevance",
    captured_from=None,
    captured_to=None,
    standalone: bool = False,
    **filters,
):
    """The workspace's evidence as the library shows it: evidence_list's filters (`filters`: study, method,
    kind, tag, stance, linked), items outside any study (`standalone`), a full-text search `q`
    (websearch syntax; empty: no search), a range of captured dates (`captured_from`/`captured_to`,
    datetime.date, inclusive; items without a date are left out by either bound) and a `sort` of SORTS
    ("relevance" without `q` is "newest").

    With `q`, each item has `rank` (ts_rank, float) and `headline` (fragments of its text around the
    matches, MARK_START/MARK_STOP around each match; text as stored, not escaped). One query for a page of
    it (plus the tags' prefetch), whatever the number of items."""
    qs = evidence_list(user=user, workspace_id=workspace_id, **filters)
    if standalone:
        qs = qs.filter(study__isnull=True)
    if captured_from:
        qs = qs.filter(captured_on__gte=captured_from)
    if captured_to:
        qs = qs.filter(captured_on__lte=captured_to)
    q = (q or "").strip()
    if q:
        query = search_query(q)
        qs = qs.alias(text_length=Length("text")).annotate(
            rank=SearchRank(F("search_vector"), query),
            # A short text is shown whole (fragments would drop its short words at their edges).
            headline=Case(
                When(text_length__lte=SHORT_TEXT, then=_headline(q, highlight_all=True)),
                default=_headline(q, **HEADLINE_OPTIONS),
            ),
        )
        qs = qs.filter(search_vector=query)
    if sort == "relevance" and q:
        return qs.order_by("-rank", "-created_at", "-id")
    if sort == "oldest":
        return qs.order_by("created_at", "id")
    if sort == "captured":
        return qs.order_by(F("captured_on").desc(nulls_last=True), "-created_at", "-id")
    return qs.order_by("-created_at", "-id")


def evidence_export_rows(*, user, workspace_id: int, q: str = "", **filters):
    """What the CSV export writes, for the items the library shows with these filters (evidence_search's
    arguments): dicts of external_id, text, kind, participant, captured_on (date or None), source_link,
    tag_names (list, by name) and study_title. One query; iterate it with `.iterator()`."""
    qs = evidence_search(user=user, workspace_id=workspace_id, q=q, **filters)
    return (
        qs.prefetch_related(None)
        .select_related(None)
        # A subquery, not an aggregate: a tag filter's join must not narrow the names listed.
        .annotate(tag_names=ArraySubquery(Tag.objects.filter(evidence=OuterRef("pk")).values("name")))
        .values(
            "pk",
            "external_id",
            "text",
            "kind",
            "participant",
            "captured_on",
            "source_link",
            "tag_names",
            "study__title",
        )  # fmt: skip
    )


def evidence_places(*, user, evidence_id: int):
    """Where an evidence item is linked, on journeys the reader can see only: links with their journey and
    their card (with its lane and step), step or stage, by journey title then oldest first. One query."""
    return (
        access.visible_links(user, EvidenceLink.objects.filter(evidence_id=evidence_id))
        .select_related("journey", "card__lane", "card__step", "step", "stage")
        .order_by("journey__title", "journey_id", "created_at", "pk")
    )


def study_visible_link_count(*, user, study_id: int) -> int:
    """How many links the study's evidence has on journeys the reader can see (for its delete page)."""
    return access.visible_links(user, EvidenceLink.objects.filter(evidence__study_id=study_id)).count()


def study_choices(*, workspace_id: int):
    """The workspace's studies for a picker: (id, title), by title. One query."""
    return Study.objects.filter(workspace_id=workspace_id).order_by("title", "pk").values_list("pk", "title")
