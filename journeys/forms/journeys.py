"""Forms of the journey pages: they parse and check input; journeys.services does the writing."""

from django import forms
from django.core.exceptions import ValidationError

from accounts.forms import members_queryset
from accounts.models import Team, User
from core.forms import IdChoiceField, TextField, WholeNumberField, text_field_for
from core.text import is_blank

from ..access import LEVELS
from ..models import MAX_TAGS, TAG_MAX, Journey, JourneyLevel, JourneyState, Visibility, validate_tags

SELECT = {"class": "select"}
LEVEL_LABELS = {"view": "Can view", "edit": "Can edit", "manage": "Can manage"}


def parse_tags(raw: str) -> list[str]:
    """'Onboarding, b2b ,onboarding' -> ['Onboarding', 'b2b']: trimmed, no empties (nor invisible ones),
    first spelling wins."""
    tags, seen = [], set()
    for part in (raw or "").split(","):
        tag = " ".join(part.split())
        if not is_blank(tag) and tag.lower() not in seen:
            seen.add(tag.lower())
            tags.append(tag)
    return tags


class JourneyForm(forms.Form):
    """The journey's own fields, shared by the create and settings pages."""

    title = text_field_for(
        Journey,
        "title",
        error_messages={"required": "A journey needs a title."},
        widget=forms.TextInput(attrs={"placeholder": "e.g. Self-serve onboarding", "autofocus": True}),
    )
    description = text_field_for(
        Journey,
        "description",
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": "What this journey covers and why it matters."}
        ),
    )
    persona = text_field_for(
        Journey,
        "persona",
        label="Persona / segment",
        widget=forms.TextInput(attrs={"placeholder": "e.g. First-time SMB admin"}),
    )
    level = forms.ChoiceField(
        choices=JourneyLevel.choices, initial=JourneyLevel.LIFECYCLE, widget=forms.RadioSelect
    )
    state = forms.ChoiceField(
        choices=JourneyState.choices, initial=JourneyState.CURRENT, widget=forms.RadioSelect
    )
    parent = IdChoiceField(
        queryset=Journey.objects.none(),
        required=False,
        empty_label="None: a top-level journey",
        label="Parent journey",
        help_text="Place this journey under a broader one to drill down from lifecycle to detail.",
    )
    owner = IdChoiceField(
        queryset=User.objects.none(), help_text="The one person accountable for keeping this journey current."
    )
    tags = TextField(
        required=False,
        help_text=f"Separate tags with commas: at most {MAX_TAGS}, of at most {TAG_MAX} characters each.",
        widget=forms.TextInput(attrs={"placeholder": "e.g. b2b, self-serve, Q3"}),
    )
    visibility = forms.ChoiceField(
        choices=Visibility.choices, initial=Visibility.WORKSPACE, widget=forms.RadioSelect
    )

    def __init__(self, *args, workspace, user, journey=None, can_manage=True, **kwargs):
        super().__init__(*args, **kwargs)
        parents = (
            Journey.objects.visible_to(user)
            .filter(workspace=workspace, archived=False)
            .order_by("title")
            .only("id", "title", "level")
        )
        if journey is not None:
            parents = parents.exclude(pk=journey.pk)
        self.fields["parent"].queryset = parents
        self.fields["parent"].label_from_instance = lambda j: f"{j.title} ({j.get_level_display()})"
        self.fields["owner"].queryset = members_queryset(workspace)
        self.fields["owner"].label_from_instance = lambda u: u.display_name
        if not can_manage:
            for name in ("owner", "visibility"):
                self.fields[name].disabled = True
                self.fields[name].help_text = "Only people who manage this journey can change this."

    def clean_title(self):
        title = " ".join(self.cleaned_data["title"].split())
        if not title:
            raise ValidationError("A journey needs a title.")
        return title

    def clean_tags(self):
        tags = parse_tags(self.cleaned_data["tags"])
        validate_tags(tags)
        return tags

    def journey_fields(self) -> dict:
        """The cleaned values as journeys.services expects them (without fields the user may not change)."""
        names = ("title", "description", "persona", "level", "state", "parent", "owner", "tags", "visibility")
        return {name: self.cleaned_data[name] for name in names if not self.fields[name].disabled}


class JourneyCreateForm(JourneyForm):
    START_CHOICES = [
        ("framework", "Standard stage framework"),
        ("blank", "Blank map"),
    ]
    start = forms.ChoiceField(choices=START_CHOICES, initial="framework", widget=forms.RadioSelect)

    field_order = ["title", "description", "persona", "level", "state", "start", "parent", "owner", "tags"]


class JourneySettingsForm(JourneyForm):
    expected_version = WholeNumberField(widget=forms.HiddenInput)

    @staticmethod
    def initial_of(journey: Journey) -> dict:
        return {
            "title": journey.title,
            "description": journey.description,
            "persona": journey.persona,
            "level": journey.level,
            "state": journey.state,
            "parent": journey.parent_id,
            "owner": journey.owner_id,
            "tags": ", ".join(journey.tags),
            "visibility": journey.visibility,
            "expected_version": journey.version,
        }


def _grantee_choices(members, teams):
    return [
        ("", "Choose a person or team…"),
        ("People", [(f"user:{u.pk}", u.display_name) for u in members]),
        ("Teams", [(f"team:{t.pk}", t.name) for t in teams]),
    ]


class GrantForm(forms.Form):
    """Grant a member or a team view, edit or manage on one journey."""

    grantee = forms.ChoiceField(
        label="Person or team",
        # Never echo an id that is not a member's or team's of this workspace (it may be someone elsewhere).
        error_messages={"invalid_choice": "Choose a member or team of this workspace."},
    )
    level = forms.ChoiceField(choices=[(level, LEVEL_LABELS[level]) for level in LEVELS], initial="edit")

    def __init__(self, *args, members, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grantee"].choices = _grantee_choices(members, teams)
        self._by_key = {f"user:{u.pk}": u for u in members} | {f"team:{t.pk}": t for t in teams}

    def clean_grantee(self) -> User | Team:
        return self._by_key[self.cleaned_data["grantee"]]


class GrantRemoveForm(forms.Form):
    grantee = forms.RegexField(regex=r"^(user|team):\d+$")

    def grantee_key(self) -> tuple[str, int]:
        kind, pk = self.cleaned_data["grantee"].split(":")
        return kind, int(pk)


class JourneyDeleteForm(forms.Form):
    confirm_title = text_field_for(Journey, "title", label="Type the journey's title to confirm")
    expected_version = WholeNumberField(widget=forms.HiddenInput)

    def __init__(self, *args, journey, **kwargs):
        super().__init__(*args, **kwargs)
        self.journey = journey

    def clean_confirm_title(self):
        typed = " ".join(self.cleaned_data["confirm_title"].split())
        if typed != self.journey.title:
            raise ValidationError("This is not the journey's title: nothing was deleted.")
        return typed


class JourneyFilterForm(forms.Form):
    """Filters of the journey list; invalid values are ignored rather than failing the page."""

    q = TextField(required=False, max_length=200, label="Search")
    level = forms.ChoiceField(
        required=False, choices=[("", "Any level"), *JourneyLevel.choices], widget=forms.Select(attrs=SELECT)
    )
    state = forms.ChoiceField(
        required=False, choices=[("", "Any state"), *JourneyState.choices], widget=forms.Select(attrs=SELECT)
    )
    tag = forms.ChoiceField(required=False, choices=[("", "Any tag")], widget=forms.Select(attrs=SELECT))
    owner = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "Any owner")],
        widget=forms.Select(attrs=SELECT),
    )
    archived = forms.BooleanField(required=False, label="Show archived")

    def __init__(self, *args, tags=(), owners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tag"].choices = [("", "Any tag"), *((t, t) for t in tags)]
        self.fields["owner"].choices = [("", "Any owner"), *((u.pk, u.display_name) for u in owners)]

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_bound and (self.is_valid() or True) else {}
        return {
            "search": (data.get("q") or "").strip(),
            "level": data.get("level") or "",
            "state": data.get("state") or "",
            "tag": data.get("tag") or "",
            "owner": data.get("owner"),
            "include_archived": bool(data.get("archived")),
        }

    @property
    def is_filtered(self) -> bool:
        f = self.filters()
        return any([f["search"], f["level"], f["state"], f["tag"], f["owner"], f["include_archived"]])
