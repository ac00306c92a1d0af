"""Research evidence: studies, evidence items, their links to map elements, the workspace's tags.

A Study is a research activity of a workspace; Evidence is one item of a study (or standalone); an
EvidenceLink ties an item to one card, step or stage of a journey, supporting or contradicting it. Tags are
one taxonomy per workspace shared by studies and evidence (renaming or merging a tag keeps what it tags).
Confidence is computed from the links (research/confidence.py), never stored.

Limits count characters, the same here (core.fields: model validation and the database), in the API's
serializers (core.serializers.text_field_for reads them from these fields) and in forms.
"""

import re

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import Workspace
from core import fields
from core.fields import max_chars_constraint
from core.text import validate_no_controls, validate_no_nul
from journeys.models import TAG_MAX, TITLE_MAX, Card, Journey, Stage, Step

STUDY_SUMMARY_MAX = 10_000
SEGMENT_MAX = 200
URL_MAX = 2_000
EVIDENCE_TEXT_MAX = 20_000
# The text search configuration of evidence: "simple" (no stemming or stop words, so no language is
# spoiled) with the unaccent dictionary in front ("cafe" finds "Café"); created by migration 0002.
SEARCH_CONFIG = "research_search"
PARTICIPANT_MAX = 80
EXTERNAL_ID_MAX = 200
LINK_NOTE_MAX = 2_000
MAX_TAGS = 20  # tags on one study or evidence item
DEFAULT_RECENCY_MONTHS = 18
RECENCY_MONTHS_MAX = 120


class Method(models.TextChoices):
    INTERVIEWS = "interviews", "Interviews"
    SURVEY = "survey", "Survey"
    USABILITY_TEST = "usability_test", "Usability test"
    ANALYTICS = "analytics", "Analytics"
    SUPPORT_TICKETS = "support_tickets", "Support tickets"
    DIARY_STUDY = "diary_study", "Diary study"
    FIELD_OBSERVATION = "field_observation", "Field observation"
    DESK_RESEARCH = "desk_research", "Desk research"
    OTHER = "other", "Other"


class Kind(models.TextChoices):
    QUOTE = "quote", "Quote"
    OBSERVATION = "observation", "Observation"
    DATA_POINT = "data_point", "Data point"
    FINDING = "finding", "Finding"


class Stance(models.TextChoices):
    SUPPORTS = "supports", "Supports"
    CONTRADICTS = "contradicts", "Contradicts"


# A participant is a pseudonymous label ("P07", "Store manager 3"), never a way to reach a person.
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
# A phone number is written with its international prefix ("+44 20…", "0044 20…") or as a tel: link; bare
# numbers stay allowed, for survey tools label respondents with numeric ids ("114523789", "R_1234567").
_PHONE = re.compile(r"(?:^|[^\w+])(?:\+|00)\d[\d\s().\-/]{6,}|tel:", re.IGNORECASE)


def validate_pseudonym(value) -> None:
    """Refuses a participant label that looks like an email address or an (international) phone number."""
    text = str(value or "")
    if _EMAIL.search(text) or _PHONE.search(text):
        raise ValidationError(
            "Use a pseudonymous label (e.g. “P07”), not an email address or phone number.", code="contact"
        )


class Tag(models.Model):
    """A tag of the workspace's research taxonomy, shared by its studies and evidence."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="research_tags")
    name = fields.CharField(max_length=TAG_MAX)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                "workspace",
                Lower("name"),
                name="research_tag_unique_name",
                violation_error_message="The workspace has a tag of that name already.",
            )
        ]

    def __str__(self):
        return self.name


class Study(models.Model):
    """A research activity of a workspace: interviews, a survey, a usability test, support tickets…"""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="studies")
    title = fields.CharField(max_length=TITLE_MAX)
    method = models.CharField(max_length=20, choices=Method.choices)
    started_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    participants = models.PositiveIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(10_000_000)], help_text="How many took part."
    )
    segment = fields.CharField("segment / persona", max_length=SEGMENT_MAX, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    summary = fields.TextField(blank=True, max_length=STUDY_SUMMARY_MAX)
    external_link = models.URLField(
        max_length=URL_MAX, blank=True, validators=[validate_no_nul, validate_no_controls]
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="studies")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "studies"
        indexes = [models.Index(fields=["workspace", "-created_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(method__in=Method.values), name="study_method_valid"),
            models.CheckConstraint(
                condition=Q(started_on__isnull=True)
                | Q(ended_on__isnull=True)
                | Q(ended_on__gte=F("started_on")),
                name="study_ends_after_start",
                violation_error_message="A study cannot end before it starts.",
            ),
            max_chars_constraint("study", "summary", STUDY_SUMMARY_MAX),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        if self.started_on and self.ended_on and self.ended_on < self.started_on:
            raise ValidationError({"ended_on": "A study cannot end before it starts."})
        if self.owner_id and self.workspace_id:
            if not self.workspace.memberships.filter(user_id=self.owner_id).exists():
                raise ValidationError({"owner": "The owner must be a member of the workspace."})


class Evidence(models.Model):
    """One item of research: a quote, an observation, a data point or a finding."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="evidence")
    # PROTECT: a study's evidence goes only through research.services (which records what its links did).
    study = models.ForeignKey(Study, on_delete=models.PROTECT, null=True, blank=True, related_name="evidence")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.OBSERVATION)
    text = fields.TextField(
        max_length=EVIDENCE_TEXT_MAX,
        error_messages={
            "blank": "Evidence needs some visible text (spaces and invisible characters alone do not count)."
        },
    )
    participant = fields.CharField(
        max_length=PARTICIPANT_MAX,
        blank=True,
        validators=[validate_pseudonym],
        help_text="A pseudonymous label (e.g. “P07”), never a person's name or contact.",
    )
    captured_on = models.DateField(null=True, blank=True, help_text="When it was observed or said.")
    source_link = models.URLField(
        max_length=URL_MAX, blank=True, validators=[validate_no_nul, validate_no_controls]
    )
    external_id = fields.CharField(
        max_length=EXTERNAL_ID_MAX,
        blank=True,
        help_text="The item's id in the system it came from: importing it again creates nothing new.",
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="evidence")
    # The text as the library searches it (research/selectors.py): words without accents, any language's
    # letters, no stemming (SEARCH_CONFIG, made by migration 0002), kept up to date by PostgreSQL.
    search_vector = models.GeneratedField(
        expression=SearchVector("text", config=SEARCH_CONFIG),
        output_field=SearchVectorField(),
        db_persist=True,
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "evidence"
        indexes = [
            models.Index(fields=["workspace", "-created_at"]),
            models.Index(fields=["study", "-created_at"]),
            GinIndex(fields=["search_vector"], name="evidence_search_gin"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="evidence_kind_valid"),
            max_chars_constraint("evidence", "text", EVIDENCE_TEXT_MAX),
            models.UniqueConstraint(
                fields=["study", "external_id"],
                condition=~Q(external_id=""),
                name="evidence_unique_external_id_in_study",
                violation_error_message="The study has an evidence item with this external id already.",
            ),
            models.UniqueConstraint(
                fields=["workspace", "external_id"],
                condition=~Q(external_id="") & Q(study__isnull=True),
                name="evidence_unique_external_id_standalone",
                violation_error_message="The workspace has a standalone item with this external id already.",
            ),
        ]

    def __str__(self):
        return self.text[:60]

    def clean(self):
        if self.study_id and self.workspace_id and self.study.workspace_id != self.workspace_id:
            raise ValidationError({"study": "The study belongs to another workspace."})


class EvidenceLink(models.Model):
    """Evidence → one card, step or stage of a journey, supporting or contradicting it.

    CASCADE to the element on purpose: journeys' trash keeps every row a delete takes with it and puts it
    back with its id on undo or version restore (journeys/services/trash.py)."""

    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="links")
    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="evidence_links")
    card = models.ForeignKey(
        Card, on_delete=models.CASCADE, null=True, blank=True, related_name="evidence_links"
    )
    step = models.ForeignKey(
        Step, on_delete=models.CASCADE, null=True, blank=True, related_name="evidence_links"
    )
    stage = models.ForeignKey(
        Stage, on_delete=models.CASCADE, null=True, blank=True, related_name="evidence_links"
    )
    stance = models.CharField(max_length=12, choices=Stance.choices, default=Stance.SUPPORTS)
    note = fields.TextField(blank=True, max_length=LINK_NOTE_MAX)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["journey", "card"]),
            models.Index(fields=["evidence", "journey"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(stance__in=Stance.values), name="evidencelink_stance_valid"),
            models.CheckConstraint(
                condition=(
                    Q(card__isnull=False, step__isnull=True, stage__isnull=True)
                    | Q(card__isnull=True, step__isnull=False, stage__isnull=True)
                    | Q(card__isnull=True, step__isnull=True, stage__isnull=False)
                ),
                name="evidencelink_one_target",
                violation_error_message="Link evidence to exactly one card, step or stage.",
            ),
            models.UniqueConstraint(
                fields=["evidence", "card"], condition=Q(card__isnull=False), name="evidencelink_unique_card"
            ),
            models.UniqueConstraint(
                fields=["evidence", "step"], condition=Q(step__isnull=False), name="evidencelink_unique_step"
            ),
            models.UniqueConstraint(
                fields=["evidence", "stage"],
                condition=Q(stage__isnull=False),
                name="evidencelink_unique_stage",
            ),
            max_chars_constraint("evidencelink", "note", LINK_NOTE_MAX),
        ]

    def __str__(self):
        return f"{self.evidence_id} {self.stance} {self.target_kind} {self.target_id}"

    @property
    def target_kind(self) -> str:
        return "card" if self.card_id else "step" if self.step_id else "stage"

    @property
    def target_id(self) -> int:
        return self.card_id or self.step_id or self.stage_id


class ResearchEvent(models.Model):
    """New research reached a journey (evidence linked to it): what governance turns into a review trigger."""

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="research_events")
    evidence = models.ForeignKey(
        Evidence, on_delete=models.SET_NULL, null=True, blank=True, related_name="research_events"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["journey", "-at"])]

    def __str__(self):
        return f"new research on journey {self.journey_id} at {self.at:%Y-%m-%d %H:%M}"


class ResearchSettings(models.Model):
    """A workspace's research settings (a workspace without a row uses the defaults)."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="research_settings")
    recency_months = models.PositiveSmallIntegerField(
        default=DEFAULT_RECENCY_MONTHS,
        validators=[MinValueValidator(1), MaxValueValidator(RECENCY_MONTHS_MAX)],
        help_text="Evidence captured longer ago than this counts half in confidence.",
    )

    class Meta:
        verbose_name_plural = "research settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(recency_months__gte=1, recency_months__lte=RECENCY_MONTHS_MAX),
                name="researchsettings_recency_range",
            )
        ]

    def __str__(self):
        return f"Research settings of {self.workspace}"


class ResearchTrash(models.Model):
    """A deleted evidence item or study kept whole (every row its delete took, research/services/trash.py)
    so that the deletion can be undone with the same ids, versions and links."""

    class Kind(models.TextChoices):
        EVIDENCE = "evidence", "Evidence"
        STUDY = "study", "Study"

    TITLE_MAX = 200

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="research_trash")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # Generated from the item's text or the study's title, shortened with "…" (never what someone typed).
    title = models.CharField(max_length=TITLE_MAX)
    evidence_count = models.PositiveIntegerField(default=0)
    payload = models.JSONField()
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    deleted_at = models.DateTimeField(default=timezone.now)
    restored_at = models.DateTimeField(null=True, blank=True)
    restored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-deleted_at", "-id"]
        verbose_name = "deleted research"
        verbose_name_plural = "deleted research"
        indexes = [models.Index(fields=["workspace", "restored_at", "-deleted_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["evidence", "study"]), name="researchtrash_kind_valid"
            )
        ]

    def __str__(self):
        return f"{self.kind} “{self.title}”"
