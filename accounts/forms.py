"""Forms of the account pages: they parse and check input; services do the writing."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from core.forms import IdMultipleChoiceField, text_field_for
from core.text import is_blank

from .models import Role, Team, User, Workspace
from .services import NOT_MEMBERS


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: on the named field when the form has it, else on top."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.error_dict.items():
        form.add_error(name if name in form.fields and name != NON_FIELD_ERRORS else None, errors)


class WorkspaceForm(forms.Form):
    name = text_field_for(
        Workspace,
        "name",
        help_text="Usually your organisation or business unit.",
        widget=forms.TextInput(attrs={"placeholder": "Acme Inc.", "autofocus": True}),
    )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if is_blank(name):
            raise ValidationError("A workspace needs a name.")
        return name


class InvitationForm(forms.Form):
    email = forms.EmailField(widget=forms.EmailInput(attrs={"placeholder": "name@company.com"}))
    role = forms.ChoiceField(choices=Role.choices, initial=Role.EDITOR)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


# An id of someone outside the workspace gets the answer of an id nobody has, without echoing it.
_NOT_A_MEMBER = {"invalid_choice": NOT_MEMBERS}


class TeamForm(forms.Form):
    name = text_field_for(
        Team, "name", widget=forms.TextInput(attrs={"placeholder": "e.g. Onboarding squad"})
    )
    members = IdMultipleChoiceField(
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages=_NOT_A_MEMBER,
    )

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = members_queryset(workspace)
        self.fields["members"].label_from_instance = lambda user: user.display_name


class TeamMembersForm(forms.Form):
    members = IdMultipleChoiceField(
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages=_NOT_A_MEMBER,
    )

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = members_queryset(workspace)
        self.fields["members"].label_from_instance = lambda user: user.display_name


class SignupForm(forms.Form):
    """Sign-up for a person who follows an invitation link; the email address comes from the invitation."""

    first_name = text_field_for(User, "first_name", label="First name")
    last_name = text_field_for(User, "last_name", label="Last name")
    username = forms.CharField(max_length=150, widget=forms.TextInput(attrs={"autocomplete": "username"}))
    password = forms.CharField(
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), label="Password"
    )
    password_again = forms.CharField(
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        label="Password again",
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password") and cleaned.get("password") != cleaned.get("password_again"):
            self.add_error("password_again", "The two passwords differ.")
        return cleaned


def members_queryset(workspace):
    return User.objects.filter(memberships__workspace=workspace).order_by("first_name", "username")
