"""Forms of the metrics pages: they parse and check input; metrics.services does the writing and checks
again, by field, what only the database knows (a name used on the element, an owner who cannot see the
journey, a value outside the kind's range)."""

from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from accounts.models import User
from core.forms import IdChoiceField, WholeNumberField, text_field_for

from .models import (
    COMPONENT_MAX,
    VALUE_DIGITS,
    VALUE_PLACES,
    WEIGHT_MAX,
    Aggregation,
    Direction,
    Kind,
    Measurement,
    Metric,
    MetricsSettings,
    Source,
    Unit,
)

SELECT = {"class": "select"}
DECIMALS = ("target_value", "good_threshold", "off_track_threshold")
DATE = {"type": "date"}


def value_field(**kwargs) -> forms.DecimalField:
    """A value on a metric's scale (up to 14 digits before the point and 6 after)."""
    kwargs.setdefault("required", False)
    return forms.DecimalField(
        max_digits=VALUE_DIGITS,
        decimal_places=VALUE_PLACES,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        **kwargs,
    )


class VersionedForm(forms.Form):
    """A form that edits one versioned row: it carries the version it was opened at."""

    expected_version = WholeNumberField(widget=forms.HiddenInput, required=False, min_value=1)


class MetricForm(VersionedForm):
    """A metric's fields, shared by the create and edit pages. On create, unit, direction and
    aggregation may be left to the kind's defaults (models.KIND_DEFAULTS)."""

    name = text_field_for(
        Metric,
        "name",
        error_messages={"required": "A metric needs a name."},
        widget=forms.TextInput(attrs={"placeholder": "e.g. Onboarding CSAT"}),
    )
    place = forms.ChoiceField(
        label="Measures",
        help_text="The journey as a whole, one stage or one step.",
        widget=forms.Select(attrs=SELECT),
    )
    kind = forms.ChoiceField(choices=Kind.choices, initial=Kind.CUSTOM, widget=forms.Select(attrs=SELECT))
    unit = forms.ChoiceField(required=False, widget=forms.Select(attrs=SELECT))
    currency = text_field_for(
        Metric,
        "currency",
        label="Currency",
        help_text="For a currency unit: its ISO 4217 code (EUR, USD).",
        widget=forms.TextInput(attrs={"placeholder": "EUR", "autocapitalize": "characters"}),
    )
    unit_label = text_field_for(Metric, "unit_label", label="Unit label", help_text="For a custom unit.")
    direction = forms.ChoiceField(required=False, widget=forms.Select(attrs=SELECT))
    aggregation = forms.ChoiceField(
        required=False,
        label="Combining segments",
        help_text="How a period's segments (regions, plans…) make its value when no all-customers row is "
        "given.",
        widget=forms.Select(attrs=SELECT),
    )
    target_value = value_field(label="Target")
    target_date = forms.DateField(
        required=False,
        label="Target date",
        help_text="When the target should be reached.",
        widget=forms.DateInput(attrs=DATE),
    )
    good_threshold = value_field(
        label="Good from", help_text="Leave both thresholds empty to use the target or the kind's defaults."
    )
    off_track_threshold = value_field(label="Off track beyond", help_text="Between the two: at risk.")
    weight = WholeNumberField(
        min_value=1,
        max_value=WEIGHT_MAX,
        initial=1,
        help_text=f"Its weight in the health score (1–{WEIGHT_MAX}); equal weights by default.",
    )
    source = forms.ChoiceField(
        choices=Source.choices, initial=Source.MANUAL, label="Fed by", widget=forms.Select(attrs=SELECT)
    )
    owner = IdChoiceField(queryset=User.objects.none(), required=False, empty_label="No owner")
    description = text_field_for(Metric, "description", widget=forms.Textarea(attrs={"rows": 3}))

    FIELDS = (
        "name", "kind", "unit", "currency", "unit_label", "direction", "aggregation", "target_value",
        "target_date", "good_threshold", "off_track_threshold", "weight", "source", "description",
    )  # fmt: skip

    def __init__(self, *args, places, people, creating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = places
        self.fields["owner"].queryset = people
        self.fields["owner"].label_from_instance = lambda user: user.display_name
        default = [("", "The kind's default")] if creating else []
        self.fields["unit"].choices = [*default, *Unit.choices]
        self.fields["direction"].choices = [*default, *Direction.choices]
        self.fields["aggregation"].choices = [*default, *Aggregation.choices]
        self.fields["unit"].required = self.fields["direction"].required = not creating
        self.fields["aggregation"].required = not creating

    def clean_currency(self):
        return (self.cleaned_data.get("currency") or "").strip().upper()

    def metric_fields(self) -> dict:
        """The cleaned fields as metrics.services.metric_create/update take them (`stage`/`step` ids)."""
        data = self.cleaned_data
        fields = {name: data.get(name) for name in self.FIELDS}
        for name in ("currency", "unit_label", "description"):
            fields[name] = fields[name] or ""
        for name in ("unit", "direction", "aggregation"):
            fields[name] = fields[name] or None
        fields["owner"] = data["owner"].pk if data.get("owner") else None
        kind, _, pk = data["place"].partition(":")
        fields["stage"] = int(pk) if kind == "stage" else None
        fields["step"] = int(pk) if kind == "step" else None
        return fields

    @classmethod
    def initial_of(cls, metric: Metric) -> dict:
        place = (
            f"step:{metric.step_id}"
            if metric.step_id
            else f"stage:{metric.stage_id}"
            if metric.stage_id
            else "journey"
        )
        values = {name: getattr(metric, name) for name in cls.FIELDS}
        for name in DECIMALS:  # as typed ("15", not "15.000000"): shown so, and compared so when merging
            if values[name] is not None:
                values[name] = f"{values[name].normalize():f}"
        return {
            **values,
            "place": place,
            "owner": metric.owner_id,
            "expected_version": metric.version,
        }


class MetricDeleteForm(VersionedForm):
    pass


class MeasurementForm(forms.Form):
    """One measurement entered on a metric's page: a date or a period, a value (or the counts it comes
    from, for NPS and CSAT), a segment, and how many answered."""

    period_start = forms.DateField(
        label="Date or period start",
        widget=forms.DateInput(attrs=DATE),
        error_messages={"required": "Give the date."},
    )
    period_end = forms.DateField(
        required=False,
        label="Period end",
        help_text="Empty: a single day.",
        widget=forms.DateInput(attrs=DATE),
    )
    value = value_field(help_text="May be left empty when the counts below give it (NPS, CSAT share).")
    segment = text_field_for(
        Measurement, "segment", label="Segment", help_text="Region, plan…; empty: all customers."
    )
    responses = WholeNumberField(required=False, min_value=0, max_value=COMPONENT_MAX, label="Responses")
    promoters = WholeNumberField(required=False, min_value=0, max_value=COMPONENT_MAX)
    passives = WholeNumberField(required=False, min_value=0, max_value=COMPONENT_MAX)
    detractors = WholeNumberField(required=False, min_value=0, max_value=COMPONENT_MAX)
    satisfied = WholeNumberField(
        required=False, min_value=0, max_value=COMPONENT_MAX, label="Satisfied (4–5)"
    )
    numerator = WholeNumberField(required=False, min_value=0, max_value=COMPONENT_MAX)
    denominator = WholeNumberField(
        required=False, min_value=0, max_value=COMPONENT_MAX, help_text="A rate in % comes from the two."
    )

    COUNTS = ("responses", "promoters", "passives", "detractors", "satisfied", "numerator", "denominator")

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", "A period cannot end before it starts.")
        if data.get("value") is None and not any(data.get(name) is not None for name in self.COUNTS):
            if "value" not in self.errors:
                self.add_error("value", "Give a value (or the counts it comes from).")
        return data

    def measurement_fields(self) -> dict:
        """The cleaned fields as metrics.services.measurement_upsert takes them."""
        data = self.cleaned_data
        components = {name: data[name] for name in self.COUNTS if data.get(name) is not None}
        return {
            "period_start": data["period_start"],
            "period_end": data.get("period_end") or data["period_start"],
            "value": data.get("value"),
            "segment": data.get("segment") or "",
            "components": components or None,
        }


class MeasurementEditForm(VersionedForm, MeasurementForm):
    """One measurement corrected on its own page: the add form's fields, opened at a version."""

    @classmethod
    def initial_of(cls, measurement: Measurement) -> dict:
        comps = measurement.components or {}
        return {
            "period_start": measurement.period_start,
            "period_end": measurement.period_end,
            "value": f"{measurement.value.normalize():f}",
            "segment": measurement.segment,
            **{name: comps.get(name) for name in cls.COUNTS},
            "expected_version": measurement.version,
        }


class MeasurementDeleteForm(VersionedForm):
    pass


class ShiftSettingsForm(VersionedForm):
    """A workspace's shift-detection parameters (models.MetricsSettings; its limits)."""

    shift_sigmas = forms.DecimalField(
        label="k: standard deviations",
        max_digits=4,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )
    shift_window = WholeNumberField(label="n: trailing periods")
    shift_min_history = WholeNumberField(label="Periods needed for the deviation rule")
    shift_relative = WholeNumberField(label="Relative change for short histories (%)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in MetricsSettings.FIELDS:
            field = self.fields[name]
            field.help_text = MetricsSettings._meta.get_field(name).help_text
            limits = MetricsSettings.limits(name)
            if "min_value" in limits:
                field.validators.append(MinValueValidator(limits["min_value"]))
                field.widget.attrs["min"] = limits["min_value"]
            if "max_value" in limits:
                field.validators.append(MaxValueValidator(limits["max_value"]))
                field.widget.attrs["max"] = limits["max_value"]

    def settings_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in MetricsSettings.FIELDS}

    @classmethod
    def initial_of(cls, settings: MetricsSettings) -> dict:
        return {
            "shift_sigmas": f"{Decimal(settings.shift_sigmas).normalize():f}",
            "shift_window": settings.shift_window,
            "shift_min_history": settings.shift_min_history,
            "shift_relative": settings.shift_relative,
            "expected_version": settings.version,
        }
