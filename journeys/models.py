"""Journey maps: Journey, Stage, Step, Lane, Card, and the record of who changed what."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Deferrable, Q
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from accounts.models import Workspace

EMOTION_MIN, EMOTION_MAX = -3, 3
MAX_HIERARCHY_DEPTH = 20


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


class JourneyQuerySet(models.QuerySet):
    def visible_to(self, user):
        from accounts import access

        return access.visible_journeys(user, self)

    def active(self):
        return self.filter(archived=False)


class Journey(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="journeys")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    persona = models.CharField("persona / segment", max_length=200, blank=True)
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
    tags = ArrayField(models.CharField(max_length=40), default=list, blank=True)
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
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="journey_not_own_parent")
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


class Stage(models.Model):
    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="stages")
    position = models.PositiveIntegerField()
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    standard_stage = models.CharField(max_length=20, choices=StandardStage.choices, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["journey", "position"], name="stage_unique_position", deferrable=Deferrable.DEFERRED
            )
        ]

    def __str__(self):
        return self.title


class Step(models.Model):
    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="steps")
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField()
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    sub_journey = models.ForeignKey(
        Journey, on_delete=models.SET_NULL, null=True, blank=True, related_name="linked_from_steps"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["stage__position", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["stage", "position"], name="step_unique_position", deferrable=Deferrable.DEFERRED
            )
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


class Lane(models.Model):
    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="lanes")
    position = models.PositiveIntegerField()
    title = models.CharField(max_length=120)
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


class Card(models.Model):
    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="cards")
    lane = models.ForeignKey(Lane, on_delete=models.CASCADE, related_name="cards")
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="cards")
    position = models.PositiveIntegerField()
    text = models.TextField(max_length=2000)
    note = models.TextField(blank=True, max_length=4000)
    emotion_score = models.SmallIntegerField(
        null=True, blank=True, help_text="Emotion lanes: −3 (very negative) to +3 (very positive)."
    )
    channel = models.CharField(max_length=60, blank=True, help_text="Touchpoint lanes: the channel.")
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
        if not (self.text or "").strip():
            errors["text"] = "A card needs some text."
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


class MapVersion(models.Model):
    """A snapshot of a whole map: named on demand, automatic before a restore and hourly while editing."""

    class Kind(models.TextChoices):
        NAMED = "named", "Saved by a person"
        AUTO = "auto", "Automatic (hourly)"
        BEFORE_RESTORE = "before_restore", "Automatic before a restore"
        REVIEW = "review", "Confirmed by a review"

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="versions")
    label = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.NAMED)
    revision = models.PositiveIntegerField(help_text="The journey's revision when the snapshot was taken.")
    snapshot = models.JSONField(help_text="Stages, steps, lanes and cards with their ids, as in the map API.")
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
    kind = models.CharField(max_length=10)  # stage | step | lane | card
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
    body = models.TextField(max_length=4000)
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

    def __str__(self):
        return self.body[:60]


class SavedView(models.Model):
    """A named present-mode view of a map (which lanes show); anyone with access opens it by link."""

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=120)
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
