"""Metrics inside the maps: what is measured (Metric), its values over time (Measurement), sharp changes
found in them (MetricShift), and a workspace's shift-detection settings (MetricsSettings).

A Metric is attached to a journey, or to one stage or step of it (`journey` is always set: the element's
journey). Its status and the journeys' health are computed (metrics/health.py), never stored. Limits count
characters, the same here (core.fields), in the API (core.serializers.text_field_for reads them from these
fields) and in the importer's columns (metrics/imports.py reads them from here too).

Everything attached to a stage or step uses on_delete=CASCADE on purpose: journeys' trash keeps every row
a delete takes with it and puts it back with its id on undo or a version restore
(journeys/services/trash.py), so a step's metrics, their measurements and shifts survive the round trip.
"""

import re
from decimal import Decimal

import pycountry
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import Workspace
from core import fields
from core.fields import max_chars_constraint
from journeys.models import ELEMENT_DESCRIPTION_MAX, TITLE_MAX, Journey, Stage, Step

NAME_MAX = TITLE_MAX
DESCRIPTION_MAX = ELEMENT_DESCRIPTION_MAX
UNIT_LABEL_MAX = 40
SEGMENT_MAX = 100
WEIGHT_MAX = 100
# Values: up to 14 digits before the point and 6 after (a cost of 12,345,678.90, an NPS of 33.333333).
VALUE_DIGITS, VALUE_PLACES = 20, 6
VALUE_MAX = Decimal(10) ** (VALUE_DIGITS - VALUE_PLACES) - 1
COMPONENT_MAX = 10**12  # counts of answers, numerators and denominators


class Kind(models.TextChoices):
    CSAT = "csat", "CSAT"
    NPS = "nps", "NPS"
    CES = "ces", "CES"
    CONVERSION_RATE = "conversion_rate", "Conversion rate"
    DROP_OFF_RATE = "drop_off_rate", "Drop-off rate"
    TIME_TO_COMPLETE = "time_to_complete", "Time to complete"
    COST_TO_SERVE = "cost_to_serve", "Cost to serve"
    COUNT = "count", "Count"
    CUSTOM = "custom", "Custom"


class Unit(models.TextChoices):
    PERCENT = "percent", "%"
    SCORE = "score", "Score"
    SECONDS = "seconds", "Seconds"
    MINUTES = "minutes", "Minutes"
    DAYS = "days", "Days"
    CURRENCY = "currency", "Currency"
    COUNT = "count", "Count"
    CUSTOM = "custom", "Custom label"


class Direction(models.TextChoices):
    HIGHER = "higher", "Higher is better"
    LOWER = "lower", "Lower is better"


class Aggregation(models.TextChoices):
    """How the rows of one period (one per segment) make the period's value; see health.period_value."""

    AVERAGE = "average", "Average"
    SUM = "sum", "Sum"
    LAST = "last", "Last"
    NPS = "nps", "NPS from promoters, passives and detractors"
    CSAT_SHARE = "csat_share", "CSAT: share of 4–5 answers"
    CSAT_MEAN = "csat_mean", "CSAT: mean score"


class Source(models.TextChoices):
    MANUAL = "manual", "Entered by hand"
    CSV = "csv", "CSV import"
    API = "api", "API"


class Component(models.TextChoices):
    """What a measurement may carry besides its value: counts it was computed from."""

    PROMOTERS = "promoters", "Promoters (9–10)"
    PASSIVES = "passives", "Passives (7–8)"
    DETRACTORS = "detractors", "Detractors (0–6)"
    SATISFIED = "satisfied", "Satisfied answers (4–5)"
    RESPONSES = "responses", "Responses"
    NUMERATOR = "numerator", "Numerator"
    DENOMINATOR = "denominator", "Denominator"


# A kind's defaults: unit, direction, aggregation, and (good, off track) thresholds on the kind's own
# scale, or None where no scale is universal (there the target decides; see health.thresholds).
KIND_DEFAULTS = {
    Kind.CSAT: (Unit.PERCENT, Direction.HIGHER, Aggregation.CSAT_SHARE, (Decimal(80), Decimal(70))),
    Kind.NPS: (Unit.SCORE, Direction.HIGHER, Aggregation.NPS, (Decimal(30), Decimal(0))),
    # CES 2.0: "The company made it easy for me…", 1–7, agreeing is better.
    Kind.CES: (Unit.SCORE, Direction.HIGHER, Aggregation.AVERAGE, (Decimal(5), Decimal(4))),
    Kind.CONVERSION_RATE: (Unit.PERCENT, Direction.HIGHER, Aggregation.AVERAGE, None),
    Kind.DROP_OFF_RATE: (Unit.PERCENT, Direction.LOWER, Aggregation.AVERAGE, None),
    Kind.TIME_TO_COMPLETE: (Unit.MINUTES, Direction.LOWER, Aggregation.AVERAGE, None),
    Kind.COST_TO_SERVE: (Unit.CURRENCY, Direction.LOWER, Aggregation.AVERAGE, None),
    Kind.COUNT: (Unit.COUNT, Direction.HIGHER, Aggregation.SUM, None),
    Kind.CUSTOM: (Unit.CUSTOM, Direction.HIGHER, Aggregation.AVERAGE, None),
}
# Values a kind cannot leave (a rate is a share; NPS runs from −100 to 100).
KIND_RANGES = {
    Kind.CSAT: (Decimal(0), Decimal(100)),  # a share in %, or a mean score (1–5)
    Kind.NPS: (Decimal(-100), Decimal(100)),
    Kind.CONVERSION_RATE: (Decimal(0), Decimal(100)),
    Kind.DROP_OFF_RATE: (Decimal(0), Decimal(100)),
    Kind.TIME_TO_COMPLETE: (Decimal(0), None),
    Kind.COST_TO_SERVE: (Decimal(0), None),
    Kind.COUNT: (Decimal(0), None),
}
# Components an aggregation needs to compute a value (when no value is given).
NEEDS = {
    Aggregation.NPS: ("promoters", "passives", "detractors"),
    Aggregation.CSAT_SHARE: ("satisfied", "responses"),
}
_CURRENCY = re.compile(r"[A-Z]{3}")


UNIT_TEXT = {
    Unit.PERCENT: "%", Unit.SECONDS: "s", Unit.MINUTES: "min", Unit.DAYS: "days",
}  # fmt: skip
KIND_LABELS = dict(Kind.choices)
DIRECTION_LABELS = dict(Direction.choices)


def unit_text_of(unit: str, currency: str, unit_label: str) -> str:
    """A unit as shown after a value: "%", "EUR" (the currency), "min", the custom label, or "" (a score,
    a count)."""
    if unit == Unit.CURRENCY:
        return currency
    if unit == Unit.CUSTOM:
        return unit_label
    return UNIT_TEXT.get(unit, "")


def name_key(name: str) -> str:
    """A metric's name as names are compared (imports, uniqueness on an element): case and spaces
    ignored."""
    return re.sub(r"\s+", "", str(name or "")).casefold()


# ISO 4217's codes for "no currency" and for testing: codes, but nothing a cost is counted in.
NOT_CURRENCIES = frozenset({"XXX", "XTS"})


def validate_currency(value) -> None:
    """An ISO 4217 currency code, in capitals (EUR, USD, JPY), as pycountry's copy of the standard (the
    iso-codes data Debian keeps) lists them: "ABC" has the right shape and is no currency."""
    if not value:
        return
    code = str(value)
    known = pycountry.currencies.get(alpha_3=code) if len(code) == 3 and code.isascii() else None
    if known is not None and code != known.alpha_3:
        raise ValidationError(
            f"Write the ISO 4217 code in capitals: {known.alpha_3} ({known.name}), not “{code}”."
        )
    if known is None or code in NOT_CURRENCIES or not _CURRENCY.fullmatch(code):
        raise ValidationError(f"“{code}” is not an ISO 4217 currency code: give one such as EUR, USD or JPY.")


class Metric(models.Model):
    """What is measured on a journey, or on one stage or step of it."""

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="metrics")
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, null=True, blank=True, related_name="metrics")
    step = models.ForeignKey(Step, on_delete=models.CASCADE, null=True, blank=True, related_name="metrics")
    name = fields.CharField(max_length=NAME_MAX)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CUSTOM)
    unit = models.CharField(max_length=10, choices=Unit.choices)
    currency = fields.CharField(
        max_length=3, blank=True, validators=[validate_currency], help_text="ISO 4217 code, for currency."
    )
    unit_label = fields.CharField(
        max_length=UNIT_LABEL_MAX, blank=True, help_text="For a custom unit: what one unit is called."
    )
    direction = models.CharField(max_length=6, choices=Direction.choices)
    target_value = models.DecimalField(
        max_digits=VALUE_DIGITS, decimal_places=VALUE_PLACES, null=True, blank=True
    )
    target_date = models.DateField(null=True, blank=True, help_text="When the target should be reached.")
    good_threshold = models.DecimalField(
        max_digits=VALUE_DIGITS,
        decimal_places=VALUE_PLACES,
        null=True,
        blank=True,
        help_text="Good from this value on (in the metric's direction); empty: the kind's default or the "
        "target.",
    )
    off_track_threshold = models.DecimalField(
        max_digits=VALUE_DIGITS,
        decimal_places=VALUE_PLACES,
        null=True,
        blank=True,
        help_text="Off track beyond this value; between the two: at risk.",
    )
    aggregation = models.CharField(max_length=12, choices=Aggregation.choices)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.MANUAL)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    description = fields.TextField(blank=True, max_length=DESCRIPTION_MAX)
    weight = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(WEIGHT_MAX)],
        help_text="Its weight in the health score (1–100; equal by default).",
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
        ordering = ["journey", "name", "id"]
        indexes = [models.Index(fields=["journey", "stage", "step"])]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="metric_kind_valid"),
            models.CheckConstraint(condition=Q(unit__in=Unit.values), name="metric_unit_valid"),
            models.CheckConstraint(
                condition=Q(direction__in=Direction.values), name="metric_direction_valid"
            ),
            models.CheckConstraint(
                condition=Q(aggregation__in=Aggregation.values), name="metric_aggregation_valid"
            ),
            models.CheckConstraint(condition=Q(source__in=Source.values), name="metric_source_valid"),
            models.CheckConstraint(
                condition=Q(stage__isnull=True) | Q(step__isnull=True),
                name="metric_one_element",
                violation_error_message="Attach a metric to the journey, one stage or one step.",
            ),
            models.CheckConstraint(
                condition=~Q(unit=Unit.CURRENCY) | ~Q(currency=""),
                name="metric_currency_given",
                violation_error_message="A currency metric needs its currency code.",
            ),
            models.CheckConstraint(
                condition=Q(weight__gte=1, weight__lte=WEIGHT_MAX), name="metric_weight_range"
            ),
            max_chars_constraint("metric", "description", DESCRIPTION_MAX),
            # The services compare names ignoring spaces too (name_key); this is the database's backstop.
            models.UniqueConstraint(
                Lower("name"),
                F("journey"),
                F("stage"),
                F("step"),
                nulls_distinct=False,
                name="metric_unique_name_per_element",
                violation_error_message="This element has a metric of that name already.",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def element_kind(self) -> str:
        """What the metric is attached to: "step", "stage" or "journey"."""
        return "step" if self.step_id else "stage" if self.stage_id else "journey"

    def unit_text(self) -> str:
        """The unit as shown after a value: "%", "EUR", "min", a custom label, or ""."""
        return unit_text_of(self.unit, self.currency, self.unit_label)

    def clean(self):
        errors = {}
        if self.unit == Unit.CURRENCY and not self.currency:
            errors["currency"] = "A currency metric needs its currency code (ISO 4217, e.g. EUR)."
        if self.unit != Unit.CURRENCY and self.currency:
            errors["currency"] = "Only a currency metric has a currency."
        if self.unit == Unit.CUSTOM and not self.unit_label:
            errors["unit_label"] = "Name the custom unit (e.g. “tickets per 1,000 orders”)."
        good, off = self.good_threshold, self.off_track_threshold
        if good is not None and off is not None:
            if self.direction == Direction.HIGHER and good < off:
                errors["off_track_threshold"] = (
                    "Higher is better: the off-track threshold must be at most the good threshold."
                )
            if self.direction == Direction.LOWER and good > off:
                errors["off_track_threshold"] = (
                    "Lower is better: the off-track threshold must be at least the good threshold."
                )
        if (good is None) != (off is None):
            errors["good_threshold" if good is None else "off_track_threshold"] = (
                "Give both thresholds, or neither (the kind's defaults or the target then decide)."
            )
        if self.step_id and self.stage_id:
            errors["stage"] = "Attach a metric to the journey, one stage or one step."
        if errors:
            raise ValidationError(errors)


class Measurement(models.Model):
    """A metric's value for one period (start and end; a single date has start = end) and segment ("" for
    all customers). Unique per (metric, period, segment): importing the same period again updates it."""

    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="measurements")
    period_start = models.DateField()
    period_end = models.DateField()
    segment = fields.CharField(max_length=SEGMENT_MAX, blank=True, help_text="Region, plan…; empty: all.")
    value = models.DecimalField(max_digits=VALUE_DIGITS, decimal_places=VALUE_PLACES)
    components = models.JSONField(
        default=dict,
        blank=True,
        help_text="Counts the value comes from: promoters, passives, detractors, satisfied, responses, "
        "numerator, denominator.",
    )
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.MANUAL)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    entered_at = models.DateTimeField(default=timezone.now)
    # Bumped by every change (an edit, or an upsert that changes the value or counts): an edit names the
    # version it was made on, and a stale one is refused (409).
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["metric", "-period_start", "-period_end", "segment"]
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "period_start", "period_end", "segment"],
                name="measurement_unique_period_segment",
                violation_error_message="The metric has a value for this period and segment already.",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="measurement_period_ends_after_start",
                violation_error_message="A period cannot end before it starts.",
            ),
            models.CheckConstraint(condition=Q(source__in=Source.values), name="measurement_source_valid"),
        ]
        indexes = [models.Index(fields=["metric", "-period_end", "-period_start"])]

    def __str__(self):
        return f"{self.metric_id} {self.period_start}…{self.period_end} {self.segment}: {self.value}"


class ShiftDirection(models.TextChoices):
    UP = "up", "Up"
    DOWN = "down", "Down"


class ShiftRule(models.TextChoices):
    DEVIATION = "deviation", "Beyond k standard deviations of the baseline"
    RELATIVE = "relative", "Relative change over the threshold (short history)"


class MetricShift(models.Model):
    """A sharp change of a metric: its value for `period` against the trailing baseline
    (metrics/shifts.py). Recorded once per metric and period, however often the scan runs; governance turns
    it into a review trigger."""

    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="shifts")
    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="metric_shifts")
    period_start = models.DateField()
    period_end = models.DateField()
    value = models.DecimalField(max_digits=VALUE_DIGITS, decimal_places=VALUE_PLACES)
    baseline = models.DecimalField(
        max_digits=VALUE_DIGITS, decimal_places=VALUE_PLACES, help_text="Mean of the trailing periods."
    )
    size = models.FloatField(
        help_text="Standard deviations from the baseline (rule deviation) or relative change (relative)."
    )
    relative_change = models.FloatField(null=True, help_text="(value − baseline) / |baseline|; null at 0.")
    direction = models.CharField(max_length=4, choices=ShiftDirection.choices)
    better = models.BooleanField(help_text="Whether the change goes the metric's good way.")
    rule = models.CharField(max_length=10, choices=ShiftRule.choices)
    history = models.PositiveSmallIntegerField(help_text="How many trailing periods made the baseline.")
    detected_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-detected_at", "-id"]
        indexes = [models.Index(fields=["journey", "-detected_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "period_start", "period_end"], name="metricshift_once_per_period"
            ),
            models.CheckConstraint(condition=Q(direction__in=ShiftDirection.values), name="shift_direction"),
            models.CheckConstraint(condition=Q(rule__in=ShiftRule.values), name="shift_rule_valid"),
        ]

    def __str__(self):
        return f"{self.metric_id} {self.direction} {self.size:.2f} in {self.period_start}…{self.period_end}"


# Shift detection's defaults (metrics/shifts.py); a workspace may set its own (MetricsSettings).
DEFAULT_SHIFT_SIGMAS = Decimal(3)
DEFAULT_SHIFT_WINDOW = 8
DEFAULT_SHIFT_MIN_HISTORY = 4
DEFAULT_SHIFT_RELATIVE = 25  # percent


class MetricsSettings(models.Model):
    """A workspace's shift-detection parameters (a workspace without a row uses the defaults)."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="metrics_settings")
    shift_sigmas = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        default=DEFAULT_SHIFT_SIGMAS,
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal(10))],
        help_text="k: a shift is beyond k standard deviations of the trailing periods.",
    )
    shift_window = models.PositiveSmallIntegerField(
        default=DEFAULT_SHIFT_WINDOW,
        validators=[MinValueValidator(2), MaxValueValidator(60)],
        help_text="n: how many trailing periods make the baseline.",
    )
    shift_min_history = models.PositiveSmallIntegerField(
        default=DEFAULT_SHIFT_MIN_HISTORY,
        validators=[MinValueValidator(2), MaxValueValidator(60)],
        help_text="Below this many trailing periods, the relative rule is used instead.",
    )
    shift_relative = models.PositiveSmallIntegerField(
        default=DEFAULT_SHIFT_RELATIVE,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text="Relative change (percent) that counts as a shift for short histories.",
    )
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    FIELDS = ("shift_sigmas", "shift_window", "shift_min_history", "shift_relative")

    class Meta:
        verbose_name_plural = "metrics settings"

    def __str__(self):
        return f"Metrics settings of {self.workspace}"

    def clean(self):
        if (
            self.shift_min_history is not None
            and self.shift_window is not None
            and self.shift_min_history > self.shift_window
        ):
            raise ValidationError(
                {
                    "shift_min_history": f"At most n, the number of trailing periods ({self.shift_window}): "
                    "with more, the deviation rule would never apply."
                }
            )

    @classmethod
    def limits(cls, name: str) -> dict:
        """{"min_value": …, "max_value": …} of a setting, from its validators (the form and the API
        state the same limits as the model)."""
        out = {}
        for validator in cls._meta.get_field(name).validators:
            if isinstance(validator, MinValueValidator | MaxValueValidator):
                out[validator.code] = validator.limit_value
        return out
