"""Forms of the research pages: they parse and check input; research.services does the writing (and checks
again, by field, what only the database knows: a study of the workspace, an external id used already)."""

import datetime

from django import forms
from django.core.exceptions import ValidationError

from accounts.forms import members_queryset
from accounts.models import User
from core.forms import IdChoiceField, TextField, WholeNumberField, text_field_for
from core.text import is_blank, parse_id

from .models import MAX_TAGS, URL_MAX, Evidence, Kind, Method, Stance, Study, Tag
from .selectors import SORTS

SELECT = {"class": "select"}
DATE = {"type": "date"}


def parse_tags(raw: str) -> list[str]:
    """'Onboarding, b2b ,onboarding' -> ['Onboarding', 'b2b']: trimmed, no empties, first spelling wins."""
    tags, seen = [], set()
    for part in (raw or "").split(","):
        tag = " ".join(part.split())
        if not is_blank(tag) and tag.lower() not in seen:
            seen.add(tag.lower())
            tags.append(tag)
    return tags


def tags_text(tags) -> str:
    """Tags (Tag rows) as the tags field shows them: 'a, b'."""
    return ", ".join(tag.name for tag in tags)


class VersionedForm(forms.Form):
    """A form that edits one versioned row: it carries the version it was opened at."""

    expected_version = WholeNumberField(widget=forms.HiddenInput, required=False, min_value=1)


# ---------------------------------------------------------------------------------------------- studies


class StudyForm(VersionedForm):
    """A study's own fields, shared by the create and edit pages."""

    title = text_field_for(
        Study,
        "title",
        error_messages={"required": "A study needs a title."},
        widget=forms.TextInput(attrs={"placeholder": "e.g. Onboarding interviews, spring 2025"}),
    )
    method = forms.ChoiceField(choices=Method.choices, widget=forms.Select(attrs=SELECT))
    started_on = forms.DateField(required=False, label="Started", widget=forms.DateInput(attrs=DATE))
    ended_on = forms.DateField(required=False, label="Ended", widget=forms.DateInput(attrs=DATE))
    participants = WholeNumberField(
        required=False, min_value=0, max_value=10_000_000, help_text="How many took part."
    )
    segment = text_field_for(Study, "segment", label="Segment / persona")
    owner = IdChoiceField(queryset=User.objects.none(), required=False, empty_label="No owner")
    summary = text_field_for(Study, "summary", widget=forms.Textarea(attrs={"rows": 4}))
    external_link = forms.URLField(
        required=False,
        max_length=URL_MAX,
        assume_scheme="https",
        label="Link",
        help_text="Where the study's material lives (a folder, a report).",
    )
    tags = TextField(
        required=False,
        help_text=f"Separate tags with commas (at most {MAX_TAGS}).",
        widget=forms.TextInput(attrs={"placeholder": "e.g. onboarding, b2b"}),
    )

    FIELDS = (
        "title", "method", "started_on", "ended_on", "participants", "segment", "owner", "summary",
        "external_link", "tags",
    )  # fmt: skip

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = members_queryset(workspace)
        self.fields["owner"].label_from_instance = lambda user: user.display_name

    def clean(self):
        data = super().clean()
        started, ended = data.get("started_on"), data.get("ended_on")
        if started and ended and ended < started:
            self.add_error("ended_on", "A study cannot end before it starts.")
        return data

    def study_fields(self) -> dict:
        """The cleaned fields as research.services.study_create/update take them."""
        data = self.cleaned_data
        fields = {name: data[name] for name in self.FIELDS if name not in ("owner", "tags")}
        fields["owner"] = data["owner"].pk if data.get("owner") else None
        fields["tags"] = parse_tags(data.get("tags", ""))
        for name in ("segment", "summary", "external_link"):
            fields[name] = fields[name] or ""
        return fields

    @classmethod
    def initial_of(cls, study: Study) -> dict:
        return {
            **{name: getattr(study, name) for name in cls.FIELDS if name not in ("owner", "tags")},
            "owner": study.owner_id,
            "tags": tags_text(study.tags.all()),
            "expected_version": study.version,
        }


class StudyDeleteForm(VersionedForm):
    confirm = forms.BooleanField(
        label="I understand that its evidence and their links to maps are deleted with it.",
        error_messages={"required": "Tick the box to confirm."},
    )


# ---------------------------------------------------------------------------------------------- evidence


class EvidenceForm(VersionedForm):
    """An evidence item's fields, shared by the create and edit pages and the card panel's inline form."""

    text = text_field_for(
        Evidence,
        "text",
        label="Text",
        error_messages={"required": "Evidence needs some text: the quote, observation or finding."},
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": "What was said, seen or measured."}),
    )
    kind = forms.ChoiceField(
        choices=Kind.choices, initial=Kind.OBSERVATION, widget=forms.Select(attrs=SELECT)
    )
    study = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label="Study", widget=forms.Select(attrs=SELECT)
    )
    participant = text_field_for(Evidence, "participant", help_text="A pseudonymous label, e.g. “P07”.")
    captured_on = forms.DateField(
        required=False,
        label="Captured",
        help_text="When it was said or observed.",
        widget=forms.DateInput(attrs=DATE),
    )
    source_link = forms.URLField(
        required=False, max_length=URL_MAX, assume_scheme="https", label="Source link"
    )
    external_id = text_field_for(Evidence, "external_id", label="External id")
    tags = TextField(
        required=False,
        help_text=f"Separate tags with commas (at most {MAX_TAGS}).",
        widget=forms.TextInput(attrs={"placeholder": "e.g. setup, pricing"}),
    )

    FIELDS = ("text", "kind", "study", "participant", "captured_on", "source_link", "external_id", "tags")

    def __init__(self, *args, studies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["study"].choices = [("", "No study (standalone)"), *studies]

    def evidence_fields(self) -> dict:
        """The cleaned fields as research.services.evidence_create/update take them."""
        data = self.cleaned_data
        fields = {name: data.get(name) for name in self.FIELDS}
        fields["tags"] = parse_tags(data.get("tags", ""))
        for name in ("participant", "source_link", "external_id"):
            fields[name] = fields[name] or ""
        return fields

    @classmethod
    def initial_of(cls, evidence: Evidence) -> dict:
        return {
            **{name: getattr(evidence, name) for name in cls.FIELDS if name not in ("study", "tags")},
            "study": evidence.study_id,
            "tags": tags_text(evidence.tags.all()),
            "expected_version": evidence.version,
        }


class EvidenceLinkCreateForm(EvidenceForm):
    """The card panel's inline form: a new evidence item and the stance of its link to the card."""

    stance = forms.ChoiceField(choices=Stance.choices, initial=Stance.SUPPORTS, widget=forms.RadioSelect)


class EvidenceDeleteForm(VersionedForm):
    pass


# ---------------------------------------------------------------------------------------------- library


def _choice_id(value) -> int | None:
    return parse_id(value) if value not in (None, "") else None


class EvidenceFilterForm(forms.Form):
    """The library's search, filters and sort (GET). Invalid values are dropped (a filter never fails the
    page): `filters()` gives the selector's arguments."""

    q = forms.CharField(required=False, label="Search", max_length=500)
    study = forms.ChoiceField(required=False, widget=forms.Select(attrs=SELECT))
    method = forms.ChoiceField(
        required=False, choices=[("", "Any method"), *Method.choices], widget=forms.Select(attrs=SELECT)
    )
    kind = forms.ChoiceField(
        required=False, choices=[("", "Any kind"), *Kind.choices], widget=forms.Select(attrs=SELECT)
    )
    tag = forms.ChoiceField(required=False, widget=forms.Select(attrs=SELECT))
    linked = forms.ChoiceField(
        required=False,
        choices=[("", "Linked or not"), ("yes", "Linked to a map"), ("no", "Not linked")],
        widget=forms.Select(attrs=SELECT),
    )
    stance = forms.ChoiceField(
        required=False,
        choices=[
            ("", "Any stance"),
            ("supports", "Supports a map element"),
            ("contradicts", "Contradicts one"),
        ],
        widget=forms.Select(attrs=SELECT),
    )
    captured_from = forms.DateField(required=False, label="Captured from", widget=forms.DateInput(attrs=DATE))
    captured_to = forms.DateField(required=False, label="Captured to", widget=forms.DateInput(attrs=DATE))
    sort = forms.ChoiceField(
        required=False,
        choices=[
            ("relevance", "Best match"),
            ("newest", "Newest"),
            ("oldest", "Oldest"),
            ("captured", "Captured date"),
        ],
        widget=forms.Select(attrs=SELECT),
    )

    def __init__(self, data=None, *, studies, tags: list[Tag], fixed_study: int | None = None):
        super().__init__(data)
        self.fields["study"].choices = [("", "Any study"), ("none", "No study"), *studies]
        self.fields["tag"].choices = [("", "Any tag"), *((tag.pk, tag.name) for tag in tags)]
        self.fixed_study = fixed_study
        if fixed_study is not None:
            del self.fields["study"]
            del self.fields["method"]

    def filters(self) -> dict:
        """Keyword arguments of selectors.evidence_search (and the keys the page echoes)."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else self._valid_part()
        out = {
            "q": (data.get("q") or "").strip(),
            "kind": data.get("kind") or None,
            "tag": _choice_id(data.get("tag")),
            "stance": data.get("stance") or None,
            "linked": {"yes": True, "no": False}.get(data.get("linked") or ""),
            "captured_from": data.get("captured_from"),
            "captured_to": data.get("captured_to"),
            "sort": data.get("sort") if data.get("sort") in SORTS else "relevance",
        }
        if self.fixed_study is not None:
            out["study"] = self.fixed_study
        else:
            study = data.get("study") or ""
            out["study"] = _choice_id(study)
            out["method"] = data.get("method") or None
            if study == "none":
                out["standalone"] = True
        return out

    def _valid_part(self) -> dict:
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if name not in self.errors}

    @property
    def is_filtered(self) -> bool:
        f = self.filters()
        return (
            any(
                f.get(name) not in (None, "", False)
                for name in (
                    "q",
                    "kind",
                    "tag",
                    "stance",
                    "captured_from",
                    "captured_to",
                    "method",
                    "standalone",
                )
            )
            or f.get("linked") is not None
            or (self.fixed_study is None and f.get("study") is not None)
        )


def date_or_none(value) -> datetime.date | None:
    return value if isinstance(value, datetime.date) else None


def validation_messages(exc: ValidationError) -> str:
    return " ".join(exc.messages)
