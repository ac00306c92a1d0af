"""Prioritization and delivery: how a workspace scores pain points and opportunities (ScoringModel and its
Criterion rows, versioned), the scores themselves with every change kept (Score, ScoreRevision), the delivery
work that addresses them (Initiative, its cards, target metrics, status changes, delivery links, outcome),
and the wiring to delivery tools (Integration and InboundDelivery for Jira/Asana webhooks in, Webhook and
WebhookDelivery for signed webhooks out).

A scoring model version never changes once made: changing the model makes a new version (and new Criterion
rows), so a score made under an older version stays readable under the criteria it was made with, and the
queue can say which scores predate the current model. The composite is computed by one rule
(prioritization/scoring.py) and stored with the score so the queue can sort by it in SQL.

Everything attached to a card uses on_delete=CASCADE on purpose: journeys' trash keeps every row a delete
takes with it and puts it back with its id on undo or a version restore (journeys/services/trash.py), so a
card's score, its history and its place in initiatives survive the round trip.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import Workspace
from core import fields
from core.fields import max_chars_constraint
from journeys.models import TITLE_MAX, Card
from metrics.models import VALUE_DIGITS, VALUE_PLACES, Metric

NAME_MAX = 80
KEY_MAX = 40
MEANING_MAX = 300
DESCRIPTION_MAX = 2_000
RATIONALE_MAX = 2_000
INITIATIVE_DESCRIPTION_MAX = 20_000
URL_MAX = 2_000
EXTERNAL_KEY_MAX = 100
WEIGHT_MAX = 100
SCALE_MIN, SCALE_MAX = 1, 5  # every criterion is rated 1–5, each value with a written meaning
OPPORTUNITY_SCALE_MAX = 10  # importance and satisfaction, 0–10 (Ulwick's opportunity algorithm)
DEFAULT_WINDOW_DAYS = 90  # the outcome loop's baseline and after windows
WINDOW_DAYS_MAX = 730


class Formula(models.TextChoices):
    """How criteria values make the composite (prioritization/scoring.py has the rule and its source)."""

    WEIGHTED_SUM = "weighted_sum", "Weighted sum, lower-is-better criteria inverted, scaled to 0–100"


class ScoringModel(models.Model):
    """One version of a workspace's scoring model: its criteria (Criterion rows), weights and formula.
    Versions are never edited: a change makes version n + 1 and marks it current."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="scoring_models")
    number = models.PositiveIntegerField(help_text="The version number: 1, 2, 3… per workspace.")
    is_current = models.BooleanField(default=True)
    formula = models.CharField(max_length=20, choices=Formula.choices, default=Formula.WEIGHTED_SUM)
    use_confidence = models.BooleanField(
        default=False,
        help_text="Multiply the composite by the card's evidence confidence factor (see the help page).",
    )
    note = fields.TextField(blank=True, max_length=DESCRIPTION_MAX, help_text="What changed and why.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["workspace", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "number"], name="scoringmodel_unique_number"),
            models.UniqueConstraint(
                fields=["workspace"], condition=Q(is_current=True), name="scoringmodel_one_current"
            ),
            models.CheckConstraint(
                condition=Q(formula__in=Formula.values), name="scoringmodel_formula_valid"
            ),
            max_chars_constraint("scoringmodel", "note", DESCRIPTION_MAX),
        ]

    def __str__(self):
        return f"Scoring model v{self.number}"


class Criterion(models.Model):
    """One criterion of a scoring model version, rated 1–5; `meanings` holds the written meaning of each
    value (five strings, for 1 to 5)."""

    model = models.ForeignKey(ScoringModel, on_delete=models.CASCADE, related_name="criteria")
    key = models.SlugField(max_length=KEY_MAX, help_text="Stable name in the API and CSV: customer_impact.")
    name = fields.CharField(max_length=NAME_MAX)
    description = fields.TextField(blank=True, max_length=DESCRIPTION_MAX)
    weight = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(0), MaxValueValidator(WEIGHT_MAX)]
    )
    lower_is_better = models.BooleanField(
        default=False, help_text="Effort: a 1 (little effort) adds the most to the composite."
    )
    meanings = models.JSONField(default=list, help_text="What 1, 2, 3, 4 and 5 mean, in that order.")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["model", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["model", "key"], name="criterion_unique_key"),
            models.UniqueConstraint("model", Lower("name"), name="criterion_unique_name"),
            models.CheckConstraint(
                condition=Q(weight__gte=0, weight__lte=WEIGHT_MAX), name="criterion_weight_range"
            ),
            max_chars_constraint("criterion", "description", DESCRIPTION_MAX),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        meanings = self.meanings
        if not isinstance(meanings, list) or len(meanings) != SCALE_MAX - SCALE_MIN + 1:
            raise ValidationError({"meanings": "Write what each value from 1 to 5 means (five texts)."})
        for value, meaning in enumerate(meanings, start=SCALE_MIN):
            if not isinstance(meaning, str) or not meaning.strip():
                raise ValidationError({"meanings": f"Write what {value} means."})
            if len(meaning) > MEANING_MAX:
                raise ValidationError(
                    {
                        "meanings": f"The meaning of {value}: at most {MEANING_MAX:,} characters "
                        f"(you have {len(meaning):,})."
                    }
                )


class Score(models.Model):
    """A pain-point or opportunity card's current score (one per card); ScoreRevision keeps every change.
    `values` and `rationales` map criterion keys of `model` to 1–5 and to text."""

    card = models.OneToOneField(Card, on_delete=models.CASCADE, related_name="score")
    model = models.ForeignKey(ScoringModel, on_delete=models.PROTECT, related_name="scores")
    values = models.JSONField(default=dict)
    rationales = models.JSONField(default=dict, blank=True)
    composite = models.DecimalField(
        max_digits=6, decimal_places=2, null=True, help_text="0–100; null while a criterion is unrated."
    )
    # The impact/effort matrix's axes (prioritization/scoring.py): the weighted mean of the higher-is-better
    # criteria and of the lower-is-better ones, each on 0–100; null when the model has none of that kind.
    impact = models.DecimalField(max_digits=6, decimal_places=2, null=True)
    effort = models.DecimalField(max_digits=6, decimal_places=2, null=True)
    importance = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(OPPORTUNITY_SCALE_MAX)],
        help_text="0–10: how important the outcome is to customers (survey).",
    )
    satisfaction = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(OPPORTUNITY_SCALE_MAX)],
        help_text="0–10: how satisfied customers are with it today (survey or metric).",
    )
    satisfaction_metric = models.ForeignKey(
        Metric,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="A metric whose latest value gives the satisfaction (rescaled to 0–10).",
    )
    version = models.PositiveIntegerField(default=1)
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    scored_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["-composite", "card"]), models.Index(fields=["model"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(composite__isnull=True) | Q(composite__gte=0, composite__lte=100),
                name="score_composite_range",
            ),
            models.CheckConstraint(
                condition=Q(importance__isnull=True)
                | Q(importance__gte=0, importance__lte=OPPORTUNITY_SCALE_MAX),
                name="score_importance_range",
            ),
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True)
                | Q(satisfaction__gte=0, satisfaction__lte=OPPORTUNITY_SCALE_MAX),
                name="score_satisfaction_range",
            ),
        ]

    def __str__(self):
        return f"score of card {self.card_id}: {self.composite}"


class ScoreRevision(models.Model):
    """One change of a card's score, kept forever: the values, rationales and composite after the change
    under the model version it was made with, who made it and when (the previous revision holds the old
    values: history pages show old → new)."""

    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="score_revisions")
    model = models.ForeignKey(ScoringModel, on_delete=models.PROTECT, related_name="+")
    values = models.JSONField(default=dict)
    rationales = models.JSONField(default=dict, blank=True)
    composite = models.DecimalField(max_digits=6, decimal_places=2, null=True)
    importance = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    satisfaction = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    cleared = models.BooleanField(default=False, help_text="The score was removed.")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["card", "-at", "-id"]
        indexes = [models.Index(fields=["card", "-at", "-id"])]

    def __str__(self):
        return f"card {self.card_id} scored {self.composite} at {self.at:%Y-%m-%d %H:%M}"


class Status(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    SHIPPED = "shipped", "Shipped"
    MEASURED = "measured", "Measured"
    DROPPED = "dropped", "Dropped"


# Where an initiative may go from each status (services check it): forward any number of steps up to
# "shipped" (a delivery tool may report a jump), back one step (plans change), "measured" only from "shipped"
# (it records the outcome's verdict), "dropped" from anywhere before "measured", and a dropped one may be
# proposed again.
TRANSITIONS = {
    Status.PROPOSED: {Status.PLANNED, Status.IN_PROGRESS, Status.SHIPPED, Status.DROPPED},
    Status.PLANNED: {Status.PROPOSED, Status.IN_PROGRESS, Status.SHIPPED, Status.DROPPED},
    Status.IN_PROGRESS: {Status.PLANNED, Status.SHIPPED, Status.DROPPED},
    Status.SHIPPED: {Status.IN_PROGRESS, Status.MEASURED, Status.DROPPED},
    Status.MEASURED: {Status.SHIPPED},
    Status.DROPPED: {Status.PROPOSED},
}


class Initiative(models.Model):
    """Delivery work of a workspace that addresses pain points and opportunities (InitiativeCard) and should
    move metrics (InitiativeTarget); its status changes are kept (StatusChange)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="initiatives")
    title = fields.CharField(max_length=TITLE_MAX)
    description = fields.TextField(blank=True, max_length=INITIATIVE_DESCRIPTION_MAX)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PROPOSED)
    planned_date = models.DateField(null=True, blank=True, help_text="When it is planned to ship.")
    shipped_date = models.DateField(null=True, blank=True)
    baseline_days = models.PositiveSmallIntegerField(
        default=DEFAULT_WINDOW_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(WINDOW_DAYS_MAX)],
        help_text="Days before the ship date that make the outcome's baseline.",
    )
    after_days = models.PositiveSmallIntegerField(
        default=DEFAULT_WINDOW_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(WINDOW_DAYS_MAX)],
        help_text="Days after the ship date compared with the baseline.",
    )
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["workspace", "-updated_at", "-id"]
        indexes = [models.Index(fields=["workspace", "status"])]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=Status.values), name="initiative_status_valid"),
            models.CheckConstraint(
                condition=Q(baseline_days__gte=1, baseline_days__lte=WINDOW_DAYS_MAX)
                & Q(after_days__gte=1, after_days__lte=WINDOW_DAYS_MAX),
                name="initiative_windows_range",
            ),
            max_chars_constraint("initiative", "description", INITIATIVE_DESCRIPTION_MAX),
        ]

    def __str__(self):
        return self.title


class InitiativeCard(models.Model):
    """A pain point or opportunity an initiative addresses."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="card_links")
    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="initiative_links")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["initiative", "added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["initiative", "card"], name="initiativecard_unique"),
        ]
        indexes = [models.Index(fields=["card"])]

    def __str__(self):
        return f"initiative {self.initiative_id} addresses card {self.card_id}"


class ExpectedDirection(models.TextChoices):
    UP = "up", "Up"
    DOWN = "down", "Down"


class SizeUnit(models.TextChoices):
    ABSOLUTE = "absolute", "In the metric's unit"
    PERCENT = "percent", "Percent of the baseline"


class Verdict(models.TextChoices):
    MET = "met", "Met"
    NOT_MET = "not_met", "Not met"
    NOT_ENOUGH_DATA = "not_enough_data", "Not enough data yet"


class InitiativeTarget(models.Model):
    """A metric an initiative should move: the expected direction and size (prioritization/outcomes.py
    compares the windows around the ship date). The verdict fields are filled when the initiative moves to
    "measured"."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="targets")
    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="initiative_targets")
    expected_direction = models.CharField(max_length=4, choices=ExpectedDirection.choices)
    expected_size = models.DecimalField(
        max_digits=VALUE_DIGITS,
        decimal_places=VALUE_PLACES,
        validators=[MinValueValidator(Decimal(0))],
        help_text="How much it should move (at least), in the size unit.",
    )
    size_unit = models.CharField(max_length=8, choices=SizeUnit.choices, default=SizeUnit.ABSOLUTE)
    verdict = models.CharField(max_length=16, choices=Verdict.choices, blank=True)
    baseline_value = models.DecimalField(
        max_digits=VALUE_DIGITS, decimal_places=VALUE_PLACES, null=True, blank=True
    )
    after_value = models.DecimalField(
        max_digits=VALUE_DIGITS, decimal_places=VALUE_PLACES, null=True, blank=True
    )
    baseline_count = models.PositiveIntegerField(null=True, blank=True)
    after_count = models.PositiveIntegerField(null=True, blank=True)
    measured_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["initiative", "id"]
        constraints = [
            models.UniqueConstraint(fields=["initiative", "metric"], name="initiativetarget_unique"),
            models.CheckConstraint(
                condition=Q(expected_direction__in=ExpectedDirection.values),
                name="initiativetarget_direction_valid",
            ),
            models.CheckConstraint(
                condition=Q(size_unit__in=SizeUnit.values), name="initiativetarget_size_unit_valid"
            ),
            models.CheckConstraint(condition=Q(expected_size__gte=0), name="initiativetarget_size_positive"),
            models.CheckConstraint(
                condition=Q(verdict="") | Q(verdict__in=Verdict.values), name="initiativetarget_verdict_valid"
            ),
        ]

    def __str__(self):
        return f"initiative {self.initiative_id} → metric {self.metric_id} {self.expected_direction}"


class StatusChange(models.Model):
    """An initiative's status change: from, to, when, by whom and through what (a person, the API, a
    Jira/Asana sync)."""

    class Via(models.TextChoices):
        PERSON = "person", "A person"
        API = "api", "The API"
        SYNC = "sync", "Delivery tool sync"

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Status.choices)
    via = models.CharField(max_length=8, choices=Via.choices, default=Via.PERSON)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["initiative", "at", "id"]
        indexes = [models.Index(fields=["initiative", "at"])]

    def __str__(self):
        return f"{self.initiative_id}: {self.from_status or '∅'} → {self.to_status}"


class Provider(models.TextChoices):
    JIRA = "jira", "Jira"
    ASANA = "asana", "Asana"
    LINEAR = "linear", "Linear"
    AZURE_DEVOPS = "azure_devops", "Azure DevOps"
    OTHER = "other", "Other"


# Providers that can push status changes to us by webhook (Integration).
SYNCED_PROVIDERS = (Provider.JIRA, Provider.ASANA)


class DeliveryLink(models.Model):
    """An initiative's issue in a delivery tool (Jira PROJ-123, an Asana task…). For synced providers the
    last status and update time seen are kept: a delivery older than `external_updated_at` changes nothing."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="delivery_links")
    provider = models.CharField(max_length=14, choices=Provider.choices)
    key = fields.CharField(max_length=EXTERNAL_KEY_MAX, help_text="PROJ-123, an Asana task gid…")
    url = models.URLField(max_length=URL_MAX, blank=True)
    external_status = models.CharField(max_length=100, blank=True)
    external_updated_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["initiative", "provider", "key"]
        constraints = [
            models.UniqueConstraint(fields=["initiative", "provider", "key"], name="deliverylink_unique"),
            models.CheckConstraint(condition=Q(provider__in=Provider.values), name="deliverylink_provider"),
        ]
        indexes = [models.Index(fields=["provider", "key"])]

    def __str__(self):
        return f"{self.get_provider_display()} {self.key}"


def new_secret() -> str:
    """A random webhook secret (URL-safe, 43 characters, 256 bits)."""
    import secrets

    return secrets.token_urlsafe(32)


class Integration(models.Model):
    """A workspace's connection to Jira or Asana: the secret their webhooks are signed with, how their issue
    statuses map to initiative statuses, and (optionally) what the poll needs to catch up missed webhooks."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="integrations")
    provider = models.CharField(max_length=14, choices=[(p.value, p.label) for p in SYNCED_PROVIDERS])
    name = fields.CharField(max_length=NAME_MAX)
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, help_text="In the webhook URL.")
    secret = models.CharField(max_length=200, default=new_secret, help_text="Shared with the provider.")
    status_mapping = models.JSONField(
        default=dict, blank=True, help_text="The provider's status name → an initiative status."
    )
    base_url = models.URLField(max_length=URL_MAX, blank=True, help_text="For the poll: the site's API root.")
    api_user = models.CharField(max_length=200, blank=True)
    api_token = models.CharField(max_length=500, blank=True)
    active = models.BooleanField(default=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["workspace", "provider", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(provider__in=[p.value for p in SYNCED_PROVIDERS]), name="integration_provider"
            ),
            models.UniqueConstraint("workspace", Lower("name"), name="integration_unique_name"),
        ]

    def __str__(self):
        return self.name


class InboundDelivery(models.Model):
    """A webhook call received from an integration, kept so a repeated delivery (same id) changes nothing."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", "Applied"
        STALE = "stale", "Older than what we have: ignored"
        UNMAPPED = "unmapped", "Status not mapped: ignored"
        UNKNOWN_ISSUE = "unknown_issue", "No initiative links this issue"
        IGNORED = "ignored", "Not a status change"
        # The mapped status is not a move the initiative may make (models.TRANSITIONS: a dropped or measured
        # initiative is not moved by a delivery tool); the issue's status is still recorded on the link.
        REFUSED = "refused", "Status change not allowed: ignored"

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="deliveries")
    delivery_id = models.CharField(max_length=200)
    issue_key = models.CharField(max_length=EXTERNAL_KEY_MAX, blank=True)
    issue_updated_at = models.DateTimeField(null=True, blank=True)
    external_status = models.CharField(max_length=100, blank=True)
    outcome = models.CharField(max_length=14, choices=Outcome.choices)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["integration", "-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["integration", "delivery_id"], name="inbounddelivery_once"),
        ]

    def __str__(self):
        return f"{self.integration_id} {self.delivery_id}: {self.outcome}"


class Event(models.TextChoices):
    """What outbound webhooks can be sent for."""

    INITIATIVE_STATUS = "initiative.status_changed", "Initiative status changed"
    SCORE_CHANGED = "score.changed", "Score changed"
    TEST = "webhook.test", "Test"


class Webhook(models.Model):
    """An outbound webhook of a workspace: JSON POSTs signed with HMAC-SHA256 of the body with `secret`."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=URL_MAX)
    secret = models.CharField(max_length=200, default=new_secret)
    events = models.JSONField(default=list, help_text="Event names to send; empty: all.")
    active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["workspace", "id"]

    def __str__(self):
        return self.url


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Waiting"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Gave up"


class WebhookDelivery(models.Model):
    """One event for one webhook, with its attempts: pending until a 2xx answer (retried with exponential
    backoff meanwhile), then delivered; `delivery_id` goes in the request so the receiver can drop
    repeats."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event = models.CharField(max_length=40, choices=Event.choices)
    payload = models.JSONField()
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["webhook", "-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["webhook", "-created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=DeliveryState.values), name="webhookdelivery_state_valid"
            ),
        ]

    def __str__(self):
        return f"{self.event} → {self.webhook_id}: {self.state}"


class WebhookAttempt(models.Model):
    """One HTTP attempt of a delivery: the answer's status code (or the error) and how long it took."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["delivery", "at", "id"]

    def __str__(self):
        return f"{self.delivery_id} at {self.at:%Y-%m-%d %H:%M:%S}: {self.status_code or self.error}"
