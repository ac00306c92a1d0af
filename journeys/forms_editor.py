"""Forms of the map editor (journeys/views_editor.py): they parse what the editor posts and name the field
that is wrong; journeys.services checks the rest (permission, versions, the map's own rules)."""

from django import forms

from .models import EMOTION_MAX, EMOTION_MIN, Card, Lane, LaneKind, Stage, StandardStage, Step

VERSION_ERRORS = {
    "required": "This form lacks the version it was loaded at: reload the map and try again.",
    "invalid": "The version must be a whole number.",
}
SCORE_CHOICES = [("", "No score")] + [
    (str(n), f"{n:+d}" if n else "0") for n in range(EMOTION_MAX, EMOTION_MIN - 1, -1)
]


def _int(required=False, min_value=None, **kwargs):
    return forms.IntegerField(required=required, min_value=min_value, **kwargs)


class EditorForm(forms.Form):
    """Only the fields the request actually sent count as a change (a score picker sends just the score)."""

    expected_version = _int(required=True, min_value=1, error_messages=VERSION_ERRORS)
    editable: tuple = ()

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.editable if name in self.data}


class StageForm(EditorForm):
    title = forms.CharField(max_length=Stage._meta.get_field("title").max_length, required=False)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    standard_stage = forms.ChoiceField(
        choices=[("", "Not mapped")] + StandardStage.choices, required=False, label="Standard stage"
    )
    editable = ("title", "description", "standard_stage")


class StepForm(EditorForm):
    title = forms.CharField(max_length=Step._meta.get_field("title").max_length, required=False)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    editable = ("title", "description")


class LaneForm(EditorForm):
    title = forms.CharField(max_length=Lane._meta.get_field("title").max_length, required=False)
    kind = forms.ChoiceField(choices=LaneKind.choices, required=False, label="Kind")
    editable = ("title", "kind")

    def clean_kind(self):
        # A kind sent empty is "unchanged"; only a named kind is a change.
        kind = self.cleaned_data.get("kind")
        if "kind" in self.data and not kind:
            raise forms.ValidationError("Choose a kind of lane.")
        return kind


class CardForm(EditorForm):
    text = forms.CharField(max_length=Card._meta.get_field("text").max_length, required=False)
    note = forms.CharField(max_length=Card._meta.get_field("note").max_length, required=False)
    emotion_score = forms.TypedChoiceField(
        choices=SCORE_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        label="Emotion score",
        error_messages={"invalid_choice": f"Pick a score from {EMOTION_MIN} to +{EMOTION_MAX}."},
    )
    channel = forms.CharField(max_length=Card._meta.get_field("channel").max_length, required=False)
    editable = ("text", "note", "emotion_score", "channel")


class NewCardForm(forms.Form):
    lane = _int(required=True, min_value=1)
    step = _int(required=True, min_value=1)
    position = _int(min_value=0)
    text = forms.CharField(max_length=Card._meta.get_field("text").max_length, required=False)
    note = forms.CharField(max_length=Card._meta.get_field("note").max_length, required=False)
    emotion_score = CardForm.base_fields["emotion_score"]
    channel = forms.CharField(max_length=Card._meta.get_field("channel").max_length, required=False)

    def card_fields(self) -> dict:
        data = self.cleaned_data
        fields = {"note": data["note"], "channel": data["channel"]}
        if data["emotion_score"] is not None:
            fields["emotion_score"] = data["emotion_score"]
        return fields


class NewElementForm(forms.Form):
    """Adding a stage, step or lane: a title (a placeholder name when empty) and where it goes."""

    title = forms.CharField(max_length=120, required=False)
    position = _int(min_value=0)
    kind = forms.ChoiceField(choices=LaneKind.choices, required=False)


class MoveForm(forms.Form):
    expected_version = _int(required=True, min_value=1, error_messages=VERSION_ERRORS)
    position = _int(
        required=True, min_value=0, error_messages={"required": "Say where to move it (position)."}
    )
    to_lane = _int(min_value=1)
    to_step = _int(min_value=1)
    to_stage = _int(min_value=1)


class DeleteForm(forms.Form):
    expected_version = _int(required=True, min_value=1, error_messages=VERSION_ERRORS)


def first_error(form: forms.Form) -> str:
    """The first error of a form as one sentence naming the field."""
    for name, errors in form.errors.items():
        label = (
            "" if name == "__all__" else f"{form.fields[name].label or name.replace('_', ' ').capitalize()}: "
        )
        return f"{label}{errors[0]}"
    return ""
