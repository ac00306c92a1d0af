"""Forms of the structure pages (copy, sub-journey, saved view): they parse; journeys.structure writes."""

from django import forms
from django.core.exceptions import ValidationError

from core.forms import IdChoiceField, text_field_for
from core.text import is_blank

from ..models import Journey, SavedView

NEEDS_TITLE = "A journey needs a title."
NEEDS_NAME = "A saved view needs a name."


def _clean_title(value: str, message: str = NEEDS_TITLE) -> str:
    title = " ".join((value or "").split())
    if is_blank(title):
        raise ValidationError(message)
    return title


class JourneyCopyForm(forms.Form):
    CONTENT_CHOICES = [
        ("cards", "Structure and cards"),
        ("structure", "Structure only"),
    ]
    KIND_CHOICES = [
        ("copy", "A copy"),
        ("future", "Future state"),
    ]
    title = text_field_for(
        Journey,
        "title",
        error_messages={"required": NEEDS_TITLE},
        widget=forms.TextInput(attrs={"autofocus": True}),
    )
    content = forms.ChoiceField(choices=CONTENT_CHOICES, initial="cards", widget=forms.RadioSelect)
    kind = forms.ChoiceField(choices=KIND_CHOICES, initial="copy", widget=forms.RadioSelect)
    parent = IdChoiceField(
        queryset=Journey.objects.none(),
        required=False,
        empty_label="None: a top-level journey",
        label="Parent journey",
        help_text="Where the new journey sits in the hierarchy.",
    )
    with_sub_journeys = forms.BooleanField(
        required=False,
        widget=forms.CheckboxInput(attrs={"aria-describedby": "id_with_sub_journeys_help"}),
        label="Copy its sub-journeys too",
        help_text="The sub-journeys its steps drill into become copies (future states, for a future state) "
        "inside the new journey, and its steps drill into those. Left unticked, its steps open the "
        "originals.",
    )

    def __init__(self, *args, user, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = (
            Journey.objects.visible_to(user)
            .filter(workspace=workspace, archived=False)
            .order_by("title", "pk")
            .only("id", "title", "level")
        )
        self.fields["parent"].label_from_instance = lambda j: f"{j.title} ({j.get_level_display()})"

    def clean_title(self):
        return _clean_title(self.cleaned_data["title"])


class SubJourneyForm(forms.Form):
    START_CHOICES = [
        ("blank", "Blank map"),
        ("framework", "Standard stage framework"),
    ]
    title = text_field_for(
        Journey, "title", required=False, widget=forms.TextInput(attrs={"autofocus": True})
    )
    start = forms.ChoiceField(choices=START_CHOICES, initial="blank", widget=forms.RadioSelect)

    def clean_title(self):
        return " ".join(self.cleaned_data["title"].split())


class SavedViewForm(forms.Form):
    """Name a view; the lanes to show are the checked `shown` boxes of the present page's lane list."""

    name = text_field_for(
        SavedView,
        "name",
        error_messages={"required": NEEDS_NAME},
        widget=forms.TextInput(attrs={"placeholder": "e.g. Customer-facing only"}),
    )
    shown = forms.TypedMultipleChoiceField(coerce=int, required=False, choices=())

    def __init__(self, *args, lanes, **kwargs):
        super().__init__(*args, **kwargs)
        self.lanes = lanes
        self.fields["shown"].choices = [(lane.pk, lane.title) for lane in lanes]

    def clean_name(self):
        return _clean_title(self.cleaned_data["name"], NEEDS_NAME)

    def hidden_lanes(self) -> list[int]:
        shown = set(self.cleaned_data.get("shown") or [])
        return [lane.pk for lane in self.lanes if lane.pk not in shown]
