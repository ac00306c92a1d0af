"""Forms of the map editor (journeys/views/editor.py): they parse what the editor posts and name the field
that is wrong; journeys.services checks the rest (permission, versions, the map's own rules)."""

from django import forms

from core.forms import WholeNumberField, text_field_for
from core.text import BIGINT_MAX

from ..models import EMOTION_MAX, EMOTION_MIN, Card, Lane, LaneKind, Stage, StandardStage, Step

VERSION_ERRORS = {
    "required": "This form lacks the version it was loaded at: reload the map and try again.",
    "invalid": "The version must be a whole number.",
}
SCORE_CHOICES = [("", "No score")] + [
    (str(n), f"{n:+d}" if n else "0") for n in range(EMOTION_MAX, EMOTION_MIN - 1, -1)
]


def _int(required=False, min_value=None, max_value=BIGINT_MAX, **kwargs):
    # Bounded like the database's columns: a number beyond them is a 400, never a database error.
    return WholeNumberField(required=required, min_value=min_value, max_value=max_value, **kwargs)


# How a conflict names a field ("Alice changed the name of this stage").
CLASH_WORDS = {"title": "name", "emotion_score": "emotion score", "standard_stage": "standard stage"}
UNKNOWN = object()  # a field's loaded value, when the form did not send it


class EditorForm(forms.Form):
    """Only the fields the request actually sent count as a change (a score picker sends just the score).

    Each editable field may come with `base_<name>`: the value the form was loaded with. When the save meets
    a newer version (someone else saved meanwhile), merge() takes per field what changed on which side, so
    a field only one person changed goes through and only a field both changed needs a decision."""

    expected_version = _int(required=True, min_value=1, error_messages=VERSION_ERRORS)
    editable: tuple = ()

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.editable if name in self.data}

    def base(self, name: str):
        """The value `name` had when the form was loaded, parsed like the field (UNKNOWN if not sent)."""
        key = f"base_{name}"
        if key not in self.data:
            return UNKNOWN
        try:
            return self.fields[name].clean(self.data[key])
        except forms.ValidationError:
            return UNKNOWN

    def merge(self, current) -> tuple[dict, list[str]]:
        """A three-way merge with the current row: (the changes this person made, to apply over the current
        version; the names of the fields the other person changed differently meanwhile)."""
        changes, clashes = {}, []
        for name, mine in self.changes().items():
            base = self.base(name)
            if base is not UNKNOWN and mine == base:
                continue  # untouched here: whatever is there now stands
            changes[name] = mine
            theirs = getattr(current, name)
            if theirs != mine and (base is UNKNOWN or theirs != base):
                clashes.append(name)
        return changes, clashes

    @classmethod
    def words(cls, names) -> str:
        """How a conflict names the fields both people changed: "the text and the emotion score"."""
        words = [CLASH_WORDS.get(name) or str(cls.base_fields[name].label or name).lower() for name in names]
        return " and ".join(f"the {word}" for word in words)


class StageForm(EditorForm):
    title = text_field_for(Stage, "title", required=False)
    description = text_field_for(Stage, "description", widget=forms.Textarea(attrs={"rows": 2}))
    standard_stage = forms.ChoiceField(
        choices=[("", "Not mapped")] + StandardStage.choices, required=False, label="Standard stage"
    )
    editable = ("title", "description", "standard_stage")


class StepForm(EditorForm):
    title = text_field_for(Step, "title", required=False)
    description = text_field_for(Step, "description", widget=forms.Textarea(attrs={"rows": 2}))
    editable = ("title", "description")


class LaneForm(EditorForm):
    title = text_field_for(Lane, "title", required=False)
    kind = forms.ChoiceField(choices=LaneKind.choices, required=False, label="Kind")
    editable = ("title", "kind")

    def clean_kind(self):
        # A kind sent empty is "unchanged"; only a named kind is a change.
        kind = self.cleaned_data.get("kind")
        if "kind" in self.data and not kind:
            raise forms.ValidationError("Choose a kind of lane.")
        return kind


class CardForm(EditorForm):
    text = text_field_for(Card, "text", required=False)
    note = text_field_for(Card, "note")
    emotion_score = forms.TypedChoiceField(
        choices=SCORE_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        label="Emotion score",
        error_messages={"invalid_choice": f"Pick a score from {EMOTION_MIN} to +{EMOTION_MAX}."},
    )
    channel = text_field_for(Card, "channel")
    editable = ("text", "note", "emotion_score", "channel")


class NewCardForm(forms.Form):
    lane = _int(required=True, min_value=1)
    step = _int(required=True, min_value=1)
    position = _int(min_value=0)
    text = text_field_for(Card, "text", required=False)
    note = text_field_for(Card, "note")
    emotion_score = CardForm.base_fields["emotion_score"]
    channel = text_field_for(Card, "channel")

    def card_fields(self) -> dict:
        data = self.cleaned_data
        fields = {"note": data["note"], "channel": data["channel"]}
        if data["emotion_score"] is not None:
            fields["emotion_score"] = data["emotion_score"]
        return fields


class NewElementForm(forms.Form):
    """Adding a stage, step or lane: a title (a placeholder name when empty) and where it goes."""

    title = text_field_for(Stage, "title", required=False)
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
