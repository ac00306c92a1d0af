"""Forms of the initiative pages: they parse and check input; prioritization.services.initiatives does the
writing and checks again, by field, what only the database knows (a member as owner, a metric the person can
see, an issue linked already, a status the initiative may not move to)."""

from django import forms

from accounts.forms import members_queryset
from accounts.models import User
from core.forms import IdChoiceField, TextField, WholeNumberField, text_field_for

from .models import (
    EXTERNAL_KEY_MAX,
    TRANSITIONS,
    URL_MAX,
    VALUE_DIGITS,
    VALUE_PLACES,
    WINDOW_DAYS_MAX,
    ExpectedDirection,
    Initiative,
    Provider,
    SizeUnit,
    Status,
)

SELECT = {"class": "select"}
LOCKED_HELP = "Locked: the outcome was measured with it. Move the initiative back to “shipped” to change it."
DATE = {"type": "date", "class": "input"}


class VersionedForm(forms.Form):
    """A form that changes one initiative: it carries the version it was opened at."""

    expected_version = WholeNumberField(widget=forms.HiddenInput, required=False, min_value=1)


def _days(label: str, help_text: str) -> WholeNumberField:
    return WholeNumberField(
        label=label,
        min_value=1,
        max_value=WINDOW_DAYS_MAX,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class InitiativeForm(VersionedForm):
    """An initiative's own fields, shared by the create and edit pages. The ship date shows only once it
    has shipped; while it is measured, the ship date and windows are locked (the verdicts were measured
    with them)."""

    title = text_field_for(
        Initiative,
        "title",
        error_messages={"required": "An initiative needs a title."},
        widget=forms.TextInput(attrs={"placeholder": "e.g. Guided data-connection setup"}),
    )
    description = text_field_for(
        Initiative,
        "description",
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": "What will change for customers, and why."}),
    )
    owner = IdChoiceField(queryset=User.objects.none(), required=False, empty_label="No owner")
    planned_date = forms.DateField(
        required=False, label="Planned ship date", widget=forms.DateInput(attrs=DATE)
    )
    shipped_date = forms.DateField(
        required=False,
        label="Ship date",
        help_text="Set when it shipped; correct it here. The outcome compares the windows around it.",
        widget=forms.DateInput(attrs=DATE),
    )
    baseline_days = _days("Baseline window (days)", "Days before the ship date that make the baseline.")
    after_days = _days("After window (days)", "Days from the ship date compared with the baseline.")

    FIELDS = ("title", "description", "owner", "planned_date", "shipped_date", "baseline_days", "after_days")

    def __init__(self, *args, workspace, initiative: Initiative | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = members_queryset(workspace)
        self.fields["owner"].label_from_instance = lambda user: user.display_name
        status = initiative.status if initiative is not None else Status.PROPOSED
        if status not in (Status.SHIPPED, Status.MEASURED):
            del self.fields["shipped_date"]
        if status == Status.MEASURED:
            for name in ("shipped_date", "baseline_days", "after_days"):
                self.fields[name].disabled = True
                self.fields[name].help_text = LOCKED_HELP

    def initiative_fields(self) -> dict:
        """The cleaned fields as the services take them (disabled ones left out)."""
        data = self.cleaned_data
        out = {}
        for name in self.FIELDS:
            if name not in self.fields or self.fields[name].disabled:
                continue
            value = data.get(name)
            if name == "owner":
                value = value.pk if value else None
            elif name == "description":
                value = value or ""
            out[name] = value
        return out

    @classmethod
    def initial_of(cls, initiative: Initiative) -> dict:
        initial = {name: getattr(initiative, name) for name in cls.FIELDS if name != "owner"}
        initial["owner"] = initiative.owner_id
        initial["expected_version"] = initiative.version
        if initiative.status not in (Status.SHIPPED, Status.MEASURED):
            del initial["shipped_date"]
        return initial


class InitiativeDeleteForm(VersionedForm):
    confirm = forms.BooleanField(
        label="I understand that its status history, targets and recorded outcome go with it.",
        error_messages={"required": "Tick the box to confirm."},
    )


def status_choices(current: str) -> list[tuple[str, str]]:
    """Where an initiative may move from `current`, in lifecycle order (models.TRANSITIONS)."""
    allowed = TRANSITIONS[Status(current)]
    return [(s.value, s.label) for s in Status if s in allowed]


class StatusForm(VersionedForm):
    """Move an initiative to another status (a select and a button: no dragging needed)."""

    status = forms.ChoiceField(label="Move to", widget=forms.Select(attrs=SELECT))
    shipped_date = forms.DateField(
        required=False,
        label="Shipped on",
        help_text="When moving to “shipped”: the day it shipped (default today).",
        widget=forms.DateInput(attrs=DATE),
    )

    def __init__(self, *args, current: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = status_choices(current)


class TargetForm(VersionedForm):
    """A metric the initiative should move, and by how much (the metric is fixed once chosen)."""

    metric = forms.TypedChoiceField(coerce=int, label="Metric", widget=forms.Select(attrs=SELECT))
    expected_direction = forms.ChoiceField(
        choices=ExpectedDirection.choices,
        label="It should go",
        initial=ExpectedDirection.UP,
        widget=forms.RadioSelect,
    )
    expected_size = forms.DecimalField(
        label="By at least",
        min_value=0,
        max_digits=VALUE_DIGITS,
        decimal_places=VALUE_PLACES,
        help_text="0: any move that way counts.",
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    size_unit = forms.ChoiceField(
        choices=SizeUnit.choices,
        label="Size in",
        initial=SizeUnit.ABSOLUTE,
        widget=forms.Select(attrs=SELECT),
    )

    def __init__(self, *args, metrics=(), fixed_metric=None, **kwargs):
        super().__init__(*args, **kwargs)
        if fixed_metric is not None:
            del self.fields["metric"]
            return
        groups: dict[str, list] = {}
        for m in metrics:
            groups.setdefault(m.journey.title, []).append((m.pk, _metric_label(m)))
        self.fields["metric"].choices = [("", "Choose a metric…"), *groups.items()]

    def target_fields(self) -> dict:
        data = self.cleaned_data
        out = {k: data[k] for k in ("expected_direction", "expected_size", "size_unit")}
        if "metric" in self.fields:
            out["metric_id"] = data["metric"]
        return out


def _metric_label(metric) -> str:
    where = metric.step.title if metric.step_id else metric.stage.title if metric.stage_id else "journey"
    unit = metric.unit_text()
    return f"{metric.name} ({where}{', ' + unit if unit else ''})"


class DeliveryLinkForm(forms.Form):
    provider = forms.ChoiceField(choices=Provider.choices, label="Tool", widget=forms.Select(attrs=SELECT))
    key = TextField(
        max_length=EXTERNAL_KEY_MAX,
        single_line=True,
        label="Issue key",
        error_messages={"required": "Give the issue's key, e.g. ONB-123."},
        widget=forms.TextInput(attrs={"placeholder": "ONB-123"}),
    )
    url = forms.URLField(
        required=False,
        max_length=URL_MAX,
        assume_scheme="https",
        label="Link",
        help_text="The issue's web address (http or https).",
        widget=forms.URLInput(
            attrs={"class": "input", "placeholder": "https://your-site.atlassian.net/browse/ONB-123"}
        ),
    )


class CardSearchForm(forms.Form):
    q = TextField(required=False, max_length=200, single_line=True, label="Find a pain point or opportunity")
