"""Journey maps: Journey, Stage, Step, Lane, Card, and the record of who changed what."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Deferrable, Func, Q
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import Coalesce
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from accounts.models import Membership, Role, Workspace
from core import fields
from core.fields import max_chars_constraint
from core.text import is_blank, too_long_message

EMOTION_MIN, EMOTION_MAX = -3, 3
MAX_HIERARCHY_DEPTH = 20

# What people may type, in characters (code points): the same limits in forms, API and database.
TITLE_MAX = 200  # journeys, stages, steps, lanes, version labels
JOURNEY_DESCRIPTION_MAX = 10_000
ELEMENT_DESCRIPTION_MAX = 5_000  # stages and steps
CARD_TEXT_MAX = 2_000
CARD_NOTE_MAX = 4_000
CHANNEL_MAX = 60
COMMENT_MAX = 4_000
NAME_MAX = 120  # saved views
MAX_TAGS = 20
TAG_MAX = 50


def validate_tags(tags) -> None:
    """At most MAX_TAGS tags of at most TAG_MAX visible characters each; the message names the tag."""
    tags = list(tags or [])
    errors = []
    if len(tags) > MAX_TAGS:
        errors.append(ValidationError(f"At most {MAX_TAGS} tags (you have {len(tags)}).", code="max_tags"))
    for n, tag in enumerate(tags, start=1):
        if is_blank(tag):
            errors.append(ValidationError(f"Tag {n} is empty or invisible.", code="blank"))
        elif len(tag) > TAG_MAX:
            errors.append(
                ValidationError(
                    f"Tag {n} (“{tag[:20]}…”): {too_long_message(TAG_MAX, len(tag))}", code="max_length"
                )
            )
        elif "\x00" in tag:
            errors.append(
                ValidationError(f"Tag {n} contains a NUL character.", code="null_characters_not_allowed")
            )
    if errors:
        raise ValidationError(errors)


class JourneyState(models.TextChoices):
    CURRENT = "current", "Current state"
    FUTURE = "future", "Future state"


class JourneyLevel(models.TextChoices):
    LIFECYCLE = "lifecycle", "Lifecycle"
    SUB_JOURNEY = "sub-journey", "Sub-journey"
    MICRO = "micro", "Micro"


class Visibility(models.TextChoices):
    WORKSPACE = "workspace", "Everyone in the workspace"
    RESTRICTED = "restricted", "Only people granted access"


class StandardStage(models.TextChoices):
    """The standard stage framework: journeys compare across the portfolio by these keys."""

    AWARENESS = "awareness", "Awareness"
    CONSIDERATION = "consideration", "Consideration"
    PURCHASE = "purchase", "Purchase/Acquisition"
    ONBOARDING = "onboarding", "Onboarding"
    ENGAGEMENT = "engagement", "Engagement"
    ADVOCACY = "advocacy", "Advocacy/Retention"


class LaneKind(models.TextChoices):
    TEXT = "text", "Text"
    TOUCHPOINTS = "touchpoints", "Touchpoints/channels"
    ACTIONS = "actions", "Actions"
    THOUGHTS = "thoughts", "Thoughts"
    EMOTIONS = "emotions", "Emotions"
    PAIN_POINTS = "pain_points", "Pain points"
    OPPORTUNITIES = "opportunities", "Opportunities"
    BACKSTAGE = "backstage", "Backstage/processes"
    SYSTEMS = "systems", "Systems"
    METRICS = "metrics", "Metrics"
    EVIDENCE = "evidence", "Evidence"


# Lanes below the line of visibility: what the customer does not see.
BACKSTAGE_KINDS = frozenset({LaneKind.BACKSTAGE, LaneKind.SYSTEMS})


# Columns of a stage, step, lane or card that record identity and history rather than what a person wrote.
BOOKKEEPING_FIELDS = frozenset({"id", "journey", "version", "created_at", "updated_at", "created_by"})


class MapElement:
    """What stages, steps, lanes and cards share: which of their fields are which, read from the model
    itself, so that a field added later is snapshotted, diffed, restored and kept in the trash without
    anyone editing a list (the one source; bookkeeping columns are BOOKKEEPING_FIELDS or editable=False)."""

    # The foreign keys that place it: a step's stage; a card's lane and step.
    parent_fields: tuple[str, ...] = ()

    @classmethod
    def content_fields(cls) -> tuple[str, ...]:
        """What a person edits: every editable concrete field but identity, place and bookkeeping."""
        place = {"position", *cls.parent_fields}
        return tuple(
            f.name
            for f in cls._meta.concrete_fields
            if f.editable and not f.primary_key and f.name not in BOOKKEEPING_FIELDS and f.name not in place
        )

    @classmethod
    def snapshot_fields(cls) -> tuple[str, ...]:
        """What a version keeps of the element: its id, parents, position and content."""
        return ("id", *cls.parent_fields, "position", *cls.content_fields())


class JourneyQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Journeys the user may see, in SQL: workspace-visible ones in their workspaces, every journey in a
        workspace they administer, the ones they own, and restricted ones granted to them or their teams.
        The same rule as journeys.access.journey_level (a test checks the two agree on every combination)."""
        if not user.is_authenticated:
            return self.none()
        member_of = Membership.objects.filter(user_id=user.pk).values("workspace_id")
        admin_of = Membership.objects.filter(user_id=user.pk, role=Role.ADMIN).values("workspace_id")
        granted = JourneyUserPermission.objects.filter(user_id=user.pk).values("content_object_id")
        team_granted = JourneyGroupPermission.objects.filter(group__user=user.pk).values("content_object_id")
        return self.filter(workspace_id__in=member_of).filter(
            Q(visibility=Visibility.WORKSPACE)
            | Q(workspace_id__in=admin_of)
            | Q(owner_id=user.pk)
            | Q(pk__in=granted)
            | Q(pk__in=team_granted)
        )

    def active(self):
        return self.filter(archived=False)


class Journey(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="journeys")
    title = fields.CharField(max_length=TITLE_MAX)
    description = fields.TextField(blank=True, max_length=JOURNEY_DESCRIPTION_MAX)
    persona = fields.CharField("persona / segment", max_length=200, blank=True)
    state = models.CharField(max_length=10, choices=JourneyState.choices, default=JourneyState.CURRENT)
    level = models.CharField(max_length=12, choices=JourneyLevel.choices, default=JourneyLevel.LIFECYCLE)
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children"
    )
    current_state_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="future_states",
        help_text="For a future-state map: the current-state journey it was copied from.",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_journeys"
    )
    tags = ArrayField(
        models.CharField(max_length=TAG_MAX), default=list, blank=True, validators=[validate_tags]
    )
    visibility = models.CharField(max_length=12, choices=Visibility.choices, default=Visibility.WORKSPACE)
    archived = models.BooleanField(default=False)
    is_template = models.BooleanField(
        default=False, help_text="A workspace template: offered as a starting point for new journeys."
    )
    version = models.PositiveIntegerField(
        default=1, help_text="Grows with every change to the journey's own fields."
    )
    revision = models.PositiveIntegerField(default=1, help_text="Grows with every change to the map.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = JourneyQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        permissions = [("manage_journey", "Manage journey (grants, delete)")]
        indexes = [models.Index(fields=["workspace", "archived"])]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="journey_not_own_parent"),
            max_chars_constraint("journey", "description", JOURNEY_DESCRIPTION_MAX),
            models.CheckConstraint(
                condition=Q(tags__len__lte=MAX_TAGS),
                name="journey_max_tags",
                violation_error_message=f"At most {MAX_TAGS} tags.",
            ),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        errors = {}
        if self.parent_id:
            if self.parent.workspace_id != self.workspace_id:
                errors["parent"] = "The parent journey must be in the same workspace."
            elif self.pk and self._parent_chain_contains(self.pk):
                errors["parent"] = "This parent would make a cycle in the journey hierarchy."
        if self.owner_id and self.workspace_id:
            if not self.workspace.memberships.filter(user_id=self.owner_id).exists():
                errors["owner"] = "The owner must be a member of the workspace."
        if errors:
            raise ValidationError(errors)

    def _parent_chain_contains(self, pk) -> bool:
        node, seen = self.parent, 0
        while node is not None and seen < MAX_HIERARCHY_DEPTH:
            if node.pk == pk:
                return True
            node, seen = node.parent, seen + 1
        return node is not None  # deeper than any sane hierarchy: refuse too


class Stage(MapElement, models.Model):
    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="stages")
    position = models.PositiveIntegerField()
    title = fields.CharField(max_length=TITLE_MAX)
    description = fields.TextField(blank=True, max_length=ELEMENT_DESCRIPTION_MAX)
    standard_stage = models.CharField(max_length=20, choices=StandardStage.choices, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["journey", "position"], name="stage_unique_position", deferrable=Deferrable.DEFERRED
            ),
            max_chars_constraint("stage", "description", ELEMENT_DESCRIPTION_MAX),
        ]

    def __str__(self):
        return self.title


class Step(MapElement, models.Model):
    parent_fields = ("stage",)

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="steps")
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField()
    title = fields.CharField(max_length=TITLE_MAX)
    description = fields.TextField(blank=True, max_length=ELEMENT_DESCRIPTION_MAX)
    sub_journey = models.ForeignKey(
        Journey, on_delete=models.SET_NULL, null=True, blank=True, related_name="linked_from_steps"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["stage__position", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["stage", "position"], name="step_unique_position", deferrable=Deferrable.DEFERRED
            ),
            max_chars_constraint("step", "description", ELEMENT_DESCRIPTION_MAX),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        if self.stage_id and self.journey_id and self.stage.journey_id != self.journey_id:
            raise ValidationError({"stage": "The stage belongs to another journey."})
        if self.sub_journey_id:
            if self.sub_journey_id == self.journey_id:
                raise ValidationError({"sub_journey": "A step cannot link to its own journey."})
            if self.sub_journey.workspace_id != self.journey.workspace_id:
                raise ValidationError({"sub_journey": "The sub-journey must be in the same workspace."})


class Lane(MapElement, models.Model):
    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="lanes")
    position = models.PositiveIntegerField()
    title = fields.CharField(max_length=TITLE_MAX)
    kind = models.CharField(max_length=20, choices=LaneKind.choices, default=LaneKind.TEXT)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["journey", "position"], name="lane_unique_position", deferrable=Deferrable.DEFERRED
            ),
            models.CheckConstraint(condition=Q(kind__in=LaneKind.values), name="lane_kind_valid"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_backstage(self) -> bool:
        return self.kind in BACKSTAGE_KINDS


class Card(MapElement, models.Model):
    parent_fields = ("lane", "step")

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="cards")
    lane = models.ForeignKey(Lane, on_delete=models.CASCADE, related_name="cards")
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="cards")
    position = models.PositiveIntegerField()
    text = fields.TextField(max_length=CARD_TEXT_MAX, error_messages={"blank": "A card needs some text."})
    note = fields.TextField(blank=True, max_length=CARD_NOTE_MAX)
    emotion_score = models.SmallIntegerField(
        null=True, blank=True, help_text="Emotion lanes: −3 (very negative) to +3 (very positive)."
    )
    channel = fields.CharField(max_length=CHANNEL_MAX, blank=True, help_text="Touchpoint lanes: the channel.")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["lane", "step", "position"],
                name="card_unique_position",
                deferrable=Deferrable.DEFERRED,
            ),
            models.CheckConstraint(
                condition=Q(emotion_score__isnull=True)
                | Q(emotion_score__gte=EMOTION_MIN, emotion_score__lte=EMOTION_MAX),
                name="card_emotion_score_range",
                violation_error_message="The emotion score must be between −3 and +3.",
            ),
            max_chars_constraint("card", "text", CARD_TEXT_MAX),
            max_chars_constraint("card", "note", CARD_NOTE_MAX),
        ]
        indexes = [models.Index(fields=["journey", "lane", "step", "position"])]

    def __str__(self):
        return self.text[:60]

    def clean(self):
        errors = {}
        if self.lane_id and self.lane.journey_id != self.journey_id:
            errors["lane"] = "The lane belongs to another journey."
        if self.step_id and self.step.journey_id != self.journey_id:
            errors["step"] = "The step belongs to another journey."
        if errors:
            raise ValidationError(errors)


class Activity(models.Model):
    """One line of a journey's activity feed: who changed what, when."""

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="activities")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    verb = models.CharField(max_length=40)
    target_type = models.CharField(max_length=20)
    target_id = models.BigIntegerField(null=True)
    summary = models.CharField(max_length=300)
    revision = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["journey", "-created_at"])]

    def __str__(self):
        return self.summary


def _snapshot_count(key: str) -> models.GeneratedField:
    """How many elements a snapshot holds under `key`, stored beside it (0 when the key is missing)."""
    return models.GeneratedField(
        expression=Coalesce(
            Func(
                KeyTransform(key, "snapshot"),
                function="jsonb_array_length",
                output_field=models.IntegerField(),
            ),
            0,
        ),
        output_field=models.IntegerField(),
        db_persist=True,
    )


class MapVersion(models.Model):
    """A snapshot of a whole map: named on demand, automatic before a restore and hourly while editing."""

    class Kind(models.TextChoices):
        NAMED = "named", "Saved by a person"
        AUTO = "auto", "Automatic (hourly)"
        BEFORE_RESTORE = "before_restore", "Automatic before a restore"
        REVIEW = "review", "Confirmed by a review"

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="versions")
    label = fields.CharField(max_length=TITLE_MAX, blank=True, help_text="Empty for automatic versions.")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.NAMED)
    revision = models.PositiveIntegerField(help_text="The journey's revision when the snapshot was taken.")
    snapshot = models.JSONField(help_text="Stages, steps, lanes and cards with their ids, as in the map API.")
    # Counted by PostgreSQL once, when the version is written (stored generated columns): the versions list
    # shows them without reading, and decompressing, every snapshot.
    stage_count = _snapshot_count("stages")
    step_count = _snapshot_count("steps")
    lane_count = _snapshot_count("lanes")
    card_count = _snapshot_count("cards")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["journey", "-created_at"])]

    def __str__(self):
        return self.label or f"{self.get_kind_display()} at revision {self.revision}"


class TrashedItem(models.Model):
    """A deleted stage, step, lane or card with everything under it, so the deletion can be undone."""

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="trash")
    kind = models.CharField(max_length=10)  # stage | step | lane | card | restore (what a restore removed)
    title = models.CharField(max_length=200)
    payload = models.JSONField()
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    deleted_at = models.DateTimeField(default=timezone.now)
    restored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-deleted_at", "-id"]
        indexes = [models.Index(fields=["journey", "restored_at", "-deleted_at"])]

    def __str__(self):
        return f"{self.kind} “{self.title}”"


class WaitingRow(models.Model):
    """A row attached to a map element (an evidence link, a score…) that an undo could not put back because
    something else it points at was still deleted (the evidence, another card): kept whole, by model label,
    and put back when everything it points at is back (journeys/attachments.py, services/waiting.py).
    Purged with the trash, after TRASH_RETENTION_DAYS."""

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="waiting_rows")
    model = models.CharField(max_length=100)  # the row's model label, e.g. "research.EvidenceLink"
    row = models.JSONField()  # every concrete column by attname, as journeys/services/rows.py keeps them
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["journey", "model"]), models.Index(fields=["model", "created_at"])]

    def __str__(self):
        return f"{self.model} row waiting on journey {self.journey_id}"


class Comment(models.Model):
    """A comment on a card; replies point at the thread's first comment; mentions are stored."""

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="comments")
    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="comments")
    thread = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = fields.TextField(max_length=COMMENT_MAX)
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="mentioned_in")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["journey", "card"])]
        constraints = [max_chars_constraint("comment", "body", COMMENT_MAX)]

    def __str__(self):
        return self.body[:60]


class SavedView(models.Model):
    """A named present-mode view of a map (which lanes show); anyone with access opens it by link."""

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="saved_views")
    name = fields.CharField(max_length=NAME_MAX)
    hidden_lanes = ArrayField(models.BigIntegerField(), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["journey", "name"], name="savedview_unique_name")]

    def __str__(self):
        return self.name


class JourneyUserPermission(UserObjectPermissionBase):
    """Direct-FK guardian table: per-journey grants to users."""

    content_object = models.ForeignKey(Journey, on_delete=models.CASCADE)


class JourneyGroupPermission(GroupObjectPermissionBase):
    """Direct-FK guardian table: per-journey grants to teams (through their auth group)."""

    content_object = models.ForeignKey(Journey, on_delete=models.CASCADE)
