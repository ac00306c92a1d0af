"""Text as people type it, on every field, page and endpoint (core/text.py, core/fields.py, core/forms.py,
core/serializers.py, core/middleware.py, core/pagination.py).

- Invisible text is blank: every required text field of every model refuses "\\u200b", " \\u2060 ", "\\ufeff"
  through every API endpoint and page that writes it. The list of fields comes from the models' _meta and
  the list of request fields from the OpenAPI schema (i.e. the serializers), so a field added tomorrow
  fails here until it follows the rule and is tried.
- NUL is a 400 naming the parameter, on every URL of the resolver, signed in or not, query or form.
- Limits are counted in characters, are the same in form, API and database, are refused (never cut) with
  the limit and the length, and pages render them as data-max-chars, never maxlength.
- Pagination and id parameters are whole numbers in range, else 400 naming them.
"""

import json
import re
from io import StringIO

import pytest
import yaml
from django.apps import apps
from django.core.management import call_command
from django.db import IntegrityError, connection, models, transaction
from django.urls import reverse

from accounts import services as account_services
from accounts.models import Invitation, Team, User, Workspace
from core import fields as core_fields
from core.text import (
    BLANK_MESSAGE,
    NUL_MESSAGE,
    ONE_LINE_MESSAGE,
    has_visible,
    parse_id,
    shorten,
    validate_visible,
)
from journeys import services
from journeys.models import (
    CARD_TEXT_MAX,
    JOURNEY_DESCRIPTION_MAX,
    MAX_TAGS,
    TAG_MAX,
    Card,
    Comment,
    Journey,
    Lane,
    MapVersion,
    SavedView,
    Stage,
    Step,
)
from metrics import services as metric_services
from prioritization.services import initiatives as initiative_services
from research import services as research_services

from . import factories
from .checks import database_changes, database_rows, project_apps, project_routes

INVISIBLE = ["\u200b", " \u2060 ", "\ufeff"]

# Text the project writes itself (never typed by a person): Django's own fields, limits as generated.
GENERATED = {
    "accounts.Workspace.slug": "made from the name",
    "accounts.Invitation.token": "random",
    "journeys.Activity.verb": "set by the service",
    "journeys.Activity.target_type": "set by the service",
    "journeys.Activity.summary": "written by the service (quoted text shortened with …)",
    "journeys.TrashedItem.kind": "set by the service",
    "journeys.TrashedItem.title": "copied from the deleted element (shortened with …)",
    "journeys.WaitingRow.model": "the waiting row's model label, set by the service",
    "research.ResearchTrash.title": "copied from the deleted evidence or study (shortened with …)",
    "core.ImportJob.kind": "the importer's name, set by code",
    "core.ImportJob.filename": "the uploaded file's name (shortened with … past the limit)",
    "core.ImportJob.encoding": "detected, or chosen from a list (core.views.MappingForm)",
    "core.ImportJob.delimiter": "detected, or chosen from a list (core.views.MappingForm)",
    "core.ImportJob.date_order": "chosen from a list (core.views.MappingForm)",
    # Delivery sync (prioritization/sync.py, webhooks.py): written by the code from what Jira, Asana or a
    # receiver sent, never typed here.
    "prioritization.DeliveryLink.external_status": "the issue's status in Jira/Asana, written by the sync",
    "prioritization.Integration.secret": "random (models.new_secret), or the one Asana's handshake sends",
    "prioritization.InboundDelivery.delivery_id": "the provider's delivery id (or a digest), set by the sync",
    "prioritization.InboundDelivery.issue_key": "the issue key of the provider's payload, set by the sync",
    "prioritization.InboundDelivery.external_status": "the status name of the provider's payload",
    "prioritization.Webhook.secret": "random (models.new_secret)",
    "prioritization.WebhookDelivery.last_error": "the last attempt's error, written by the delivery task",
    "prioritization.WebhookAttempt.error": "the attempt's error, written by the delivery task",
}
# Typed text that a validator of its own already refuses when invisible.
OWN_VALIDATOR = {
    "accounts.User.username": "UnicodeUsernameValidator: letters, digits and @.+-_ only",
    "accounts.User.password": "a hash; the password itself goes through AUTH_PASSWORD_VALIDATORS",
    "accounts.Invitation.email": "EmailValidator",
    "accounts.User.email": "EmailValidator (optional)",
    "accounts.User.first_name": "Django's AbstractUser, optional; typed through core.forms (SignupForm)",
    "accounts.User.last_name": "Django's AbstractUser, optional; typed through core.forms (SignupForm)",
    "research.Study.external_link": "URLValidator (a web address; NUL and control characters refused too)",
    "research.Evidence.source_link": "URLValidator (a web address; NUL and control characters refused too)",
    "prioritization.Webhook.url": "URLValidator and prioritization/outbound.py (http/https, public address)",
    "prioritization.Integration.base_url": "URLValidator and prioritization/outbound.py (optional)",
    "prioritization.Integration.api_user": "a credential, kept as typed (trimmed; optional)",
    "prioritization.Integration.api_token": "a credential, kept as typed (trimmed; optional)",
    "prioritization.DeliveryLink.url": "URLValidator, and http/https only (services/initiatives.py)",
    "prioritization.Criterion.key": "SlugField's validate_slug: letters, digits, - and _ only (no blank)",
}


def _text_fields():
    for config in project_apps():
        for model in config.get_models():
            for field in model._meta.concrete_fields:
                if isinstance(field, models.CharField | models.TextField) and not field.choices:
                    yield f"{model._meta.label}.{field.name}", model, field


# ------------------------------------------------------------------------------------ the rules themselves


@pytest.mark.parametrize(
    "text",
    [
        "", " ", "\u200b", " \u2060 ", "\ufeff", "\u200c\u200d", "\u00a0\u3000", "\u202e", "\u0301",
        "\u3164", "\u2800", "\t\n\r", "\u180e", "\U000e0041",
        # Unassigned yet default-ignorable (drawn as nothing), and noncharacters.
        "\u2065", "\ufff0", "\U000e0080", "\U000e0fff", "\ufdd0", "\uffff", "\U0010fffe",
    ],
)  # fmt: skip
def test_text_without_a_visible_character_is_blank(text):
    assert not has_visible(text)


@pytest.mark.parametrize(
    "text", ["a", ".", "😀", "\u200bx", "مرحبا!", "é", "e\u0301", "\u05d0", "-", "\U0001fae9", "\ue000"]
)
def test_text_with_a_visible_character_is_not(text):
    assert has_visible(text)


def test_ids_are_ascii_digits_within_bigint():
    assert parse_id("42") == 42
    assert [parse_id(raw) for raw in ["²", "٣", "0", "-1", "1.0", "", None, "9223372036854775808"]] == [
        None
    ] * 8
    assert parse_id("9223372036854775807") == 2**63 - 1


def test_shorten_marks_what_it_leaves_out():
    assert shorten("a" * 10, 10) == "a" * 10
    assert shorten("a" * 11, 10) == "a" * 9 + "…"


# ------------------------------------------------------------------------------------ models


def test_every_typed_text_field_follows_the_text_rules():
    """Derived from the models: a CharField/TextField of our apps is generated, has a validator of its own,
    or is one of core.fields' (blank refused when required, NUL refused, a limit in characters)."""
    seen = set()
    for label, _model, field in _text_fields():
        seen.add(label)
        if label in GENERATED or label in OWN_VALIDATOR:
            continue
        assert isinstance(field, core_fields.CharField | core_fields.TextField), f"{label} is Django's own"
        assert field.max_length, f"{label} has no limit"
        if not field.blank:
            assert validate_visible in field.validators, label
    assert set(GENERATED) | set(OWN_VALIDATOR) <= seen, "a listed field no longer exists"


def test_text_fields_with_a_limit_have_it_in_the_database_too(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'c'"
        )
        checks = cursor.fetchall()
    for label, model, field in _text_fields():
        if isinstance(field, models.TextField) and field.max_length:
            wanted = f"(length({field.column}) <= {field.max_length})"
            assert any(
                table == model._meta.db_table and wanted in definition.replace('"', "")
                for table, definition in checks
            ), f"{label}: no CHECK {wanted}"


@pytest.mark.parametrize("blank", INVISIBLE)
def test_models_refuse_invisible_required_text(blank):
    for label, model, field in _text_fields():
        if label in GENERATED or label in OWN_VALIDATOR or field.blank:
            continue
        with pytest.raises(Exception) as refused:
            field.clean(blank, model())
        assert BLANK_MESSAGE in str(refused.value) or str(field.error_messages["blank"]) in str(refused.value)


def test_the_database_refuses_what_is_too_long(journey):
    card = Card.objects.filter(journey=journey).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Card.objects.filter(pk=card.pk).update(text="x" * (CARD_TEXT_MAX + 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Journey.objects.filter(pk=journey.pk).update(description="x" * (JOURNEY_DESCRIPTION_MAX + 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Journey.objects.filter(pk=journey.pk).update(tags=[f"t{n}" for n in range(MAX_TAGS + 1)])
    # Characters, not bytes nor UTF-16 units: 2,000 emoji (4 bytes, 2 UTF-16 units each) fit.
    Card.objects.filter(pk=card.pk).update(text="😀" * CARD_TEXT_MAX)


# ------------------------------------------------------------------------------------ API: invisible text


@pytest.fixture
def world(admin, editor, workspace, journey):
    """Ids for every endpoint that writes typed text."""
    card = Card.objects.filter(journey=journey).order_by("pk").first()
    team = account_services.team_create(workspace=workspace, name="Squad", members=[])
    return {
        "workspace": workspace,
        "journey": journey,
        "stage": Stage.objects.filter(journey=journey).first(),
        "step": Step.objects.filter(journey=journey).first(),
        "lane": Lane.objects.filter(journey=journey).first(),
        "card": card,
        "team": team,
        "research_tag": research_services.tag_create(workspace_id=workspace.pk, by=admin, name="Pricing"),
        "initiative": initiative_services.initiative_create(workspace_id=workspace.pk, by=admin, title="Set"),
        "metric": metric_services.metric_create(journey_id=journey.pk, by=admin, name="CSAT", kind="csat"),
    }


def _api_cases(w):
    """(method, url, body without the text, field): every request body field of typed, required text."""
    j, s, st, ln, c = w["journey"], w["stage"], w["step"], w["lane"], w["card"]
    return {
        ("POST", "/api/v1/journeys/", "title"): {"workspace": w["workspace"].pk},
        ("PATCH", f"/api/v1/journeys/{j.pk}/", "title"): {"expected_version": j.version},
        ("POST", f"/api/v1/journeys/{j.pk}/copy/", "title"): {},
        ("POST", f"/api/v1/journeys/{j.pk}/stages/", "title"): {},
        ("PATCH", f"/api/v1/stages/{s.pk}/", "title"): {"expected_version": s.version},
        ("POST", f"/api/v1/stages/{s.pk}/steps/", "title"): {},
        ("POST", f"/api/v1/journeys/{j.pk}/steps/", "title"): {"stage": s.pk},
        ("PATCH", f"/api/v1/steps/{st.pk}/", "title"): {"expected_version": st.version},
        ("POST", f"/api/v1/journeys/{j.pk}/lanes/", "title"): {},
        ("PATCH", f"/api/v1/lanes/{ln.pk}/", "title"): {"expected_version": ln.version},
        ("POST", f"/api/v1/journeys/{j.pk}/cards/", "text"): {"lane": c.lane_id, "step": c.step_id},
        ("PATCH", f"/api/v1/cards/{c.pk}/", "text"): {"expected_version": c.version},
        ("POST", f"/api/v1/cards/{c.pk}/comments/", "body"): {},
        ("POST", f"/api/v1/journeys/{j.pk}/versions/", "label"): {},
        ("POST", f"/api/v1/journeys/{j.pk}/saved-views/", "name"): {},
        ("POST", "/api/v1/workspaces/", "name"): {},
        ("POST", f"/api/v1/workspaces/{w['workspace'].pk}/teams/", "name"): {},
        ("POST", f"/api/v1/workspaces/{w['workspace'].pk}/members/", "email"): {},
        ("POST", "/api/v1/auth/token/", "username"): {"password": factories.PASSWORD},
        ("POST", f"/api/v1/workspaces/{w['workspace'].pk}/studies/", "title"): {"method": "interviews"},
        ("POST", f"/api/v1/workspaces/{w['workspace'].pk}/evidence/", "text"): {},
        ("POST", f"/api/v1/workspaces/{w['workspace'].pk}/research-tags/", "name"): {},
        ("PATCH", f"/api/v1/research-tags/{w['research_tag'].pk}/", "name"): {},
        ("POST", f"/api/v1/journeys/{j.pk}/metrics/", "name"): {"kind": "csat"},
        ("POST", f"/api/v1/workspaces/{w['workspace'].pk}/integrations/", "name"): {"provider": "jira"},
        ("POST", f"/api/v1/workspaces/{w['workspace'].pk}/webhooks/", "url"): {},
        ("POST", f"/api/v1/workspaces/{w['workspace'].pk}/initiatives/", "title"): {},
        ("POST", f"/api/v1/initiatives/{w['initiative'].pk}/status/", "status"): {},
        ("POST", f"/api/v1/initiatives/{w['initiative'].pk}/targets/", "expected_direction"): {
            "metric": w["metric"].pk,
            "expected_size": 1,
        },
        ("POST", f"/api/v1/initiatives/{w['initiative'].pk}/delivery-links/", "key"): {"provider": "jira"},
        ("POST", f"/api/v1/initiatives/{w['initiative'].pk}/delivery-links/", "provider"): {"key": "ONB-1"},
    }


def _schema():
    out = StringIO()
    call_command("spectacular", stdout=out)
    return yaml.safe_load(out.getvalue())


def _typed_text_properties(schema):
    """(method, path template, property) of every string a request body may carry that is typed text."""
    components = schema["components"]["schemas"]
    found = set()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if not body:
                continue
            component = components[body["schema"]["$ref"].rsplit("/", 1)[1]]
            for name, prop in component.get("properties", {}).items():
                if prop.get("type") == "string" and "enum" not in prop and not prop.get("readOnly"):
                    if name != "password" and not prop.get("format") == "date-time":
                        found.add((method.upper(), path, name, name in component.get("required", [])))
    return found


def test_every_required_text_of_every_request_body_is_tried(world):
    """The request fields come from the schema (the serializers): each required string is in _api_cases,
    each optional one must at least not be free of limits."""
    cases = _api_cases(world)
    templated = {(m, re.sub(r"/\d+/", "/{id}/", url), f) for m, url, f in cases}
    required = set()
    for method, path, name, is_required in _typed_text_properties(_schema()):
        if is_required:
            required.add((method, re.sub(r"\{\w+\}", "{id}", path), name))
    assert required <= templated, f"not tried: {sorted(required - templated)}"


@pytest.mark.parametrize("blank", INVISIBLE)
def test_the_api_refuses_invisible_required_text_everywhere(client, admin, world, blank):
    client.force_login(admin)
    for (method, url, field), body in _api_cases(world).items():
        before = database_rows()
        response = client.generic(
            method, url, data=json.dumps({**body, field: blank}), content_type="application/json"
        )
        assert response.status_code == 400, (method, url, field, response.content[:300])
        # an email field refuses an invisible address as an address; sign-in says only that it failed (it
        # never tells which part was wrong); every other field refuses it as blank text, by name
        if url.endswith("/auth/token/"):
            expected = {"non_field_errors": ["Wrong username or password."]}
        elif field == "email":
            expected = {field: ["Enter a valid email address."]}
        else:
            expected = {field: [BLANK_MESSAGE]}
        assert response.json() == expected, (url, response.json())
        assert database_changes(before, database_rows()) == [], (method, url)


def test_an_invisible_card_is_refused_with_the_cards_own_words(client, admin, world):
    client.force_login(admin)
    j, c = world["journey"], world["card"]
    response = client.post(
        f"/api/v1/journeys/{j.pk}/cards/",
        {"lane": c.lane_id, "step": c.step_id, "text": "\u200b"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == {"text": [BLANK_MESSAGE]}
    response = client.patch(
        f"/api/v1/cards/{c.pk}/",
        {"text": " \u2060 ", "expected_version": c.version},
        content_type="application/json",
    )
    assert response.json() == {"text": [BLANK_MESSAGE]}
    c.refresh_from_db()
    assert has_visible(c.text)


# ------------------------------------------------------------------------------------ pages: invisible text


def _page_cases(w):
    """(url, form data, expected status, how to tell nothing changed)."""
    j, s, st, ln, c = w["journey"], w["stage"], w["step"], w["lane"], w["card"]
    return [
        (reverse("journeys:create"), {"title": "{}", "level": "lifecycle", "state": "current",
                                      "start": "blank", "visibility": "workspace", "owner": j.owner_id}, 200),
        (reverse("journeys:settings", args=[j.pk]), {"title": "{}", "level": "lifecycle", "state": "current",
                                                    "visibility": "workspace", "owner": j.owner_id,
                                                    "expected_version": j.version}, 200),
        (reverse("journeys:copy", args=[j.pk]), {"title": "{}", "content": "cards", "kind": "copy"}, 200),
        (reverse("journeys:editor_stage", args=[s.pk]), {"title": "{}", "expected_version": s.version}, 422),
        (reverse("journeys:editor_step", args=[st.pk]), {"title": "{}", "expected_version": st.version}, 422),
        (reverse("journeys:editor_lane", args=[ln.pk]), {"title": "{}", "expected_version": ln.version}, 422),
        (reverse("journeys:editor_card_edit", args=[c.pk]), {"text": "{}", "expected_version": c.version},
         422),
        (reverse("journeys:editor_card_add", args=[j.pk]), {"text": "{}", "lane": c.lane_id,
                                                           "step": c.step_id}, 422),
        (reverse("journeys:card_comments", args=[j.pk, c.pk]), {"action": "add", "body": "{}"}, 400),
        (reverse("journeys:saved_view_create", args=[j.pk]), {"name": "{}"}, 400),
        (reverse("journeys:versions", args=[j.pk]), {"label": "{}"}, 400),
        (reverse("accounts:workspace_create"), {"name": "{}"}, 200),
        (reverse("accounts:teams", args=[w["workspace"].pk]), {"name": "{}"}, 200),
        (reverse("prioritization:integration_create"), {"provider": "jira", "name": "{}"}, 200),
        (reverse("prioritization:webhook_create"), {"url": "{}", "active": "on"}, 200),
        (reverse("prioritization:initiative_create"),
         {"title": "{}", "baseline_days": 90, "after_days": 90}, 200),
        (reverse("prioritization:initiative_edit", args=[w["initiative"].pk]),
         {"title": "{}", "baseline_days": 90, "after_days": 90, "expected_version": 1}, 200),
        (reverse("prioritization:initiative_links", args=[w["initiative"].pk]),
         {"provider": "jira", "key": "{}"}, 200),
    ]  # fmt: skip


@pytest.mark.parametrize("blank", INVISIBLE)
def test_pages_refuse_invisible_required_text_everywhere(client, admin, world, blank):
    client.force_login(admin)
    for url, data, status in _page_cases(world):
        before = database_rows()
        sent = {k: (blank if v == "{}" else v) for k, v in data.items()}
        response = client.post(url, sent)
        assert response.status_code == status, (url, response.status_code)
        assert database_changes(before, database_rows()) == [], url


# ------------------------------------------------------------------------------------ NUL


def _filled_routes(w, admin):
    """Every URL of the resolver, its integer parameters filled with a real object's id."""
    ids = {
        "pk": w["journey"].pk, "element_id": w["stage"].pk, "stage_id": w["stage"].pk,
        "card_id": w["card"].pk,
        "user_id": admin.pk, "team_id": w["team"].pk, "view_id": 1, "version_id": 1, "item_id": 1,
        "invitation_id": 1, "token": "x", "uidb64": "x",
    }  # fmt: skip
    for route in project_routes():
        names = re.findall(r"<(?:\w+:)?(\w+)>", route.route)
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids.get(m.group(1), 1)), route.route)
        if "(?P" in path or "^" in path:
            continue
        yield route, "/" + path, names


@pytest.mark.parametrize("signed_in", [False, True])
def test_nul_in_a_query_or_form_is_a_400_naming_it_on_every_url(client, admin, world, signed_in):
    if signed_in:
        client.force_login(admin)
    tried = 0
    for route, path, _names in _filled_routes(world, admin):
        response = client.get(path, {"q": "a\x00b"})
        assert response.status_code == 400, (path, response.status_code)
        response = client.post(path, {"body": "a\x00b", "title": "fine"})
        assert response.status_code == 400, (path, response.status_code)
        if route.is_api:
            assert response.json() == {"body": [NUL_MESSAGE]}
        else:
            assert "body" in response.content.decode() and "NUL" in response.content.decode()
        tried += 1
    assert tried >= 60


def test_nul_in_a_parameter_name_is_a_400_for_the_request_as_a_whole(client, admin, world):
    client.force_login(admin)
    response = client.get(reverse("journeys-api:journey-list"), {"q\x00": "x"})
    assert (response.status_code, response.json()) == (
        400,
        {"non_field_errors": ["A parameter's name contains a NUL character (U+0000)."]},
    )
    page = client.get(reverse("journeys:list"), {"q\x00": "x"})
    assert page.status_code == 400
    assert "A parameter&#x27;s name contains a NUL character" in page.content.decode()


def test_the_three_nul_500s_of_the_issue_are_400s(client, admin, world):
    card = world["card"]
    # sign-in (django-axes records the username), without signing in
    response = client.post(reverse("accounts:login"), {"username": "alice\x00", "password": "x"})
    assert response.status_code == 400
    client.force_login(admin)
    response = client.post(reverse("journeys:card_comments", args=[world["journey"].pk, card.pk]),
                           {"action": "add", "body": "hi\x00there"})  # fmt: skip
    assert response.status_code == 400
    assert Comment.objects.count() == 0
    response = client.get(reverse("journeys:new_from"), {"q": "\x00"})
    assert response.status_code == 400
    response = client.get(reverse("journeys:list"), {"q": "\x00"})
    assert response.status_code == 400


def test_nul_in_a_json_body_is_refused_naming_the_field(client, admin, world):
    client.force_login(admin)
    card = world["card"]
    response = client.post(
        f"/api/v1/cards/{card.pk}/comments/", {"body": "a\x00b"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {"body": [NUL_MESSAGE]}
    response = client.patch(
        f"/api/v1/journeys/{world['journey'].pk}/",
        {"tags": ["ok", "a\x00"], "expected_version": world["journey"].version},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == {"tags": {"1": [NUL_MESSAGE]}}


@pytest.mark.parametrize("control", ["\x01", "\x1b", "\x7f", "\x85", "\x0b"])
def test_other_control_characters_are_refused_in_api_pages_and_models(client, admin, world, control):
    """A pasted terminal colour code ("\\x1b[31m") or a stray \\x01 is refused like NUL, naming the
    character; tab and line breaks stay allowed."""
    client.force_login(admin)
    card, team = world["card"], world["team"]
    message = f"Text cannot contain control characters (U+{ord(control):04X})."
    before = database_rows()
    response = client.post(
        f"/api/v1/cards/{card.pk}/comments/", {"body": f"red{control}[31m"}, content_type="application/json"
    )
    assert (response.status_code, response.json()) == (400, {"body": [message]})
    response = client.post(
        f"/api/v1/workspaces/{world['workspace'].pk}/teams/",
        {"name": f"a{control}b"},
        content_type="application/json",
    )
    assert (response.status_code, response.json()) == (400, {"name": [message]})
    response = client.post(
        reverse("journeys:editor_card_edit", args=[card.pk]),
        {"text": f"a{control}b", "expected_version": card.version},
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert database_changes(before, database_rows()) == []
    with pytest.raises(Exception, match="control characters"):
        Team(workspace=world["workspace"], name=f"x{control}y").full_clean()
    response = client.post(
        f"/api/v1/cards/{card.pk}/comments/",
        {"body": "line\n\tindented\r\n"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert team.name == "Squad"


# ------------------------------------------------------------------------------------ limits


def test_limits_are_refused_with_the_limit_and_the_length_never_cut(client, admin, world):
    client.force_login(admin)
    j, c = world["journey"], world["card"]
    text = "😀" * 2_134  # 2,134 characters (4,268 UTF-16 units)
    response = client.patch(
        f"/api/v1/cards/{c.pk}/",
        {"text": text, "expected_version": c.version},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == {"text": ["At most 2,000 characters (you have 2,134)."]}
    response = client.post(
        reverse("journeys:editor_card_edit", args=[c.pk]), {"text": text, "expected_version": c.version}
    )
    assert response.status_code == 422
    assert "At most 2,000 characters (you have 2,134)." in response.content.decode()
    c.refresh_from_db()
    assert c.text != text and len(c.text) < 100
    # exactly the limit, in characters that are two UTF-16 units each, is fine
    response = client.patch(
        f"/api/v1/cards/{c.pk}/",
        {"text": "😀" * 2000, "expected_version": c.version},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert Card.objects.get(pk=c.pk).text == "😀" * 2000
    response = client.patch(
        f"/api/v1/journeys/{j.pk}/",
        {"description": "d" * 10_001, "expected_version": j.version},
        content_type="application/json",
    )
    assert response.json() == {"description": ["At most 10,000 characters (you have 10,001)."]}


def test_a_refused_card_field_the_form_does_not_show_is_still_named(client, admin, world):
    """A card form shows the channel only in touchpoint lanes, the score only in emotion lanes and never the
    position: a refusal of one of them still says which field and why, instead of an unexplained 422."""
    client.force_login(admin)
    c = (
        Card.objects.filter(journey=world["journey"])
        .exclude(lane__kind__in=["touchpoints", "emotions"])
        .first()
    )
    new = {"lane": c.lane_id, "step": c.step_id, "text": "x", "position": "-1"}
    cases = [
        ("editor_card_edit", [c.pk], {"channel": "c" * 61, "expected_version": c.version},
         "Channel: At most 60 characters (you have 61)."),
        ("editor_card_edit", [c.pk], {"emotion_score": "9", "expected_version": c.version},
         "Emotion score: Pick a score from -3 to +3."),
        ("editor_card_add", [c.journey_id], new,
         "Position: Ensure this value is greater than or equal to 0."),
    ]  # fmt: skip
    for name, args, data, message in cases:
        response = client.post(reverse(f"journeys:{name}", args=args), data)
        assert response.status_code == 422, data
        assert message in response.content.decode(), data
    assert Card.objects.get(pk=c.pk).channel == c.channel


def test_tags_at_most_20_of_at_most_50_characters_in_form_and_api(client, admin, world):
    client.force_login(admin)
    j = world["journey"]
    many = [f"tag{n}" for n in range(MAX_TAGS + 1)]
    response = client.patch(
        f"/api/v1/journeys/{j.pk}/",
        {"tags": many, "expected_version": j.version},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == {"tags": [f"At most {MAX_TAGS} tags (you have {MAX_TAGS + 1})."]}
    response = client.patch(
        f"/api/v1/journeys/{j.pk}/",
        {"tags": ["x" * (TAG_MAX + 1)], "expected_version": j.version},
        content_type="application/json",
    )
    assert response.json() == {"tags": {"0": [f"At most {TAG_MAX} characters (you have {TAG_MAX + 1})."]}}
    response = client.patch(
        f"/api/v1/journeys/{j.pk}/",
        {"tags": ["\u200b"], "expected_version": j.version},
        content_type="application/json",
    )
    assert response.json() == {"tags": {"0": [BLANK_MESSAGE]}}
    form = {
        "title": j.title, "level": "lifecycle", "state": "current", "visibility": "workspace",
        "owner": j.owner_id, "expected_version": j.version, "tags": ", ".join(many),
    }  # fmt: skip
    response = client.post(reverse("journeys:settings", args=[j.pk]), form)
    assert f"At most {MAX_TAGS} tags (you have {MAX_TAGS + 1})." in response.content.decode()
    response = client.post(reverse("journeys:settings", args=[j.pk]), {**form, "tags": "ok, " + "y" * 51})
    assert "At most 50 characters (you have 51)." in response.content.decode()
    j.refresh_from_db()
    assert j.tags == []


def test_forms_render_limits_as_data_max_chars_never_maxlength(client, admin, world):
    client.force_login(admin)
    j, c, s = world["journey"], world["card"], world["stage"]
    pages = [
        reverse("journeys:create"),
        reverse("journeys:settings", args=[j.pk]),
        reverse("journeys:copy", args=[j.pk]),
        reverse("journeys:editor_card_edit", args=[c.pk]),
        reverse("journeys:editor_stage", args=[s.pk]),
        reverse("accounts:workspace_create"),
    ]
    for url in pages:
        html = client.get(url).content.decode()
        assert "maxlength" not in html, url
        assert "data-max-chars" in html, url
    html = client.get(reverse("journeys:editor_card_edit", args=[c.pk])).content.decode()
    assert f'data-max-chars="{CARD_TEXT_MAX}"' in html


def test_form_api_and_model_limits_agree():
    """The form and serializer fields of a model's text take its limit from the model (text_field_for)."""
    from accounts.api import TeamCreateIn, WorkspaceCreateIn
    from journeys.api.journeys import CardFieldsIn, JourneyFieldsIn, LaneFieldsIn, StageFieldsIn, StepFieldsIn
    from journeys.api.structure import SavedViewIn
    from journeys.api.versions import CommentIn, VersionSaveIn
    from journeys.forms.editor import CardForm, LaneForm, StageForm, StepForm
    from journeys.forms.journeys import JourneyForm

    pairs = [
        (JourneyFieldsIn, JourneyForm, Journey, ["title", "description", "persona"]),
        (StageFieldsIn, StageForm, Stage, ["title", "description"]),
        (StepFieldsIn, StepForm, Step, ["title", "description"]),
        (LaneFieldsIn, LaneForm, Lane, ["title"]),
        (CardFieldsIn, CardForm, Card, ["text", "note", "channel"]),
        (SavedViewIn, None, SavedView, ["name"]),
        (VersionSaveIn, None, MapVersion, ["label"]),
        (CommentIn, None, Comment, ["body"]),
        (WorkspaceCreateIn, None, Workspace, ["name"]),
        (TeamCreateIn, None, Team, ["name"]),
    ]
    for serializer, form, model, names in pairs:
        for name in names:
            limit = model._meta.get_field(name).max_length
            assert serializer().fields[name].max_length == limit, (serializer, name)
            if form is not None:
                assert form.base_fields[name].max_length == limit, (form, name)


# ------------------------------------------------------------------------------------ numbers


@pytest.mark.parametrize(
    "query, field",
    [
        ("limit=9223372036854775808", "limit"), ("limit=abc", "limit"), ("limit=0", "limit"),
        ("limit=501", "limit"), ("offset=-1", "offset"), ("offset=x", "offset"), ("limit=%C2%B2", "limit"),
        ("offset=99999999999999999999999", "offset"),
    ],
)  # fmt: skip
def test_pagination_parameters_are_checked_on_every_list(client, admin, world, query, field):
    client.force_login(admin)
    lists = [
        "/api/v1/journeys/", "/api/v1/workspaces/", f"/api/v1/workspaces/{world['workspace'].pk}/members/",
        f"/api/v1/workspaces/{world['workspace'].pk}/teams/",
        f"/api/v1/journeys/{world['journey'].pk}/versions/",
        "/api/v1/templates/",
    ]  # fmt: skip
    for url in lists:
        response = client.get(f"{url}?{query}")
        assert response.status_code == 400, (url, response.status_code)
        assert list(response.json()) == [field], url


def test_a_valid_page_is_served(client, admin, world):
    client.force_login(admin)
    response = client.get("/api/v1/journeys/?limit=1&offset=0")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


@pytest.mark.parametrize("value", ["9223372036854775808", "-1", "abc", "²", "٣", "３"])
def test_id_parameters_beyond_bigint_or_junk_are_400_or_404(client, admin, world, value):
    client.force_login(admin)
    j = world["journey"]
    for url, name in [
        ("/api/v1/journeys/?workspace={}", "workspace"),
        ("/api/v1/journeys/?parent={}", "parent"),
        ("/api/v1/journeys/?owner={}", "owner"),
        ("/api/v1/templates/?workspace={}", "workspace"),
        (f"/api/v1/journeys/{j.pk}/compare/?with={{}}", "with"),
        (f"/api/v1/journeys/{j.pk}/versions/diff/?from={{}}", "from"),
    ]:
        response = client.get(url.format(value))
        assert response.status_code == 400, (url, response.status_code)
        assert list(response.json()) == [name], (url, response.json())
    for url in ["/api/v1/journeys/{}/", "/api/v1/cards/{}/", "/api/v1/versions/{}/", "/api/v1/comments/{}/"]:
        response = client.get(url.format("9223372036854775808"))
        assert response.status_code == 404, url


@pytest.mark.parametrize("value", ["٣", "３", "1.5", True])
def test_numbers_in_json_bodies_are_ascii_whole_numbers(client, admin, world, value):
    """DRF's IntegerField reads "٣" (Arabic-Indic three) as 3: ids, positions, versions, scores refuse it."""
    client.force_login(admin)
    c, j = world["card"], world["journey"]
    card, move = f"/api/v1/cards/{c.pk}/", f"/api/v1/cards/{c.pk}/move/"
    before = database_rows()
    for method, url, body, name in [
        ("post", move, {"expected_version": c.version, "to_lane": value}, "to_lane"),
        ("post", move, {"expected_version": c.version, "position": value}, "position"),
        ("patch", card, {"expected_version": value, "text": "x"}, "expected_version"),
        ("patch", card, {"expected_version": c.version, "emotion_score": value}, "emotion_score"),
        ("patch", f"/api/v1/journeys/{j.pk}/", {"expected_version": j.version, "owner": value}, "owner"),
        (
            "post",
            f"/api/v1/journeys/{j.pk}/saved-views/",
            {"name": "v", "hidden_lanes": [value]},
            "hidden_lanes",
        ),
    ]:
        response = getattr(client, method)(url, body, content_type="application/json")
        assert response.status_code == 400, (url, body, response.status_code)
        assert list(response.json()) == [name], (url, response.json())
    assert database_changes(before, database_rows()) == []


@pytest.mark.parametrize("value", ["٣", "３"])
def test_page_forms_take_only_ascii_ids(client, admin, editor, world, value):
    """Django's ModelChoiceField reads "٣" as 3: a settings form made that user the owner."""
    client.force_login(admin)
    j = world["journey"]
    editor_id = str(editor.pk)
    other_script = editor_id.translate(
        str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩" if value == "٣" else "０１２３４５６７８９")
    )
    data = {
        "title": j.title, "description": "", "persona": "", "level": j.level, "state": j.state, "parent": "",
        "owner": other_script, "tags": "", "visibility": j.visibility, "expected_version": j.version,
    }  # fmt: skip
    response = client.post(reverse("journeys:settings", args=[j.pk]), data)
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    j.refresh_from_db()
    assert j.owner_id == admin.pk
    data["owner"] = editor_id
    assert client.post(reverse("journeys:settings", args=[j.pk]), data).status_code == 302
    j.refresh_from_db()
    assert j.owner_id == editor.pk


def test_page_ids_that_are_not_ascii_numbers_are_not_500s(client, admin, world):
    client.force_login(admin)
    j, c = world["journey"], world["card"]
    other = factories.make_journey(world["workspace"], by=admin, title="Other")
    arabic = str(other.pk).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    response = client.get(reverse("journeys:compare", args=[j.pk]), {"with": arabic})
    assert response.status_code == 404  # not a comparison with `other`
    assert client.get(reverse("journeys:compare", args=[j.pk]), {"with": other.pk}).status_code == 200
    assert client.get(reverse("journeys:versions", args=[j.pk]), {"restored": "²"}).status_code == 200
    assert client.get(reverse("journeys:version_diff", args=[j.pk]), {"from": "²"}).status_code == 302
    response = client.post(
        reverse("journeys:card_comments", args=[j.pk, c.pk]), {"action": "delete", "comment": "²"}
    )
    assert response.status_code == 400


def test_invitations_refuse_invisible_email(db):
    invitation = Invitation(email="\u200b")
    with pytest.raises(Exception, match="valid email"):
        invitation.full_clean(exclude=["workspace", "invited_by"])


def test_usernames_refuse_invisible_text(db):
    user = User(username="\u200b", password="x")
    with pytest.raises(Exception, match="username"):
        user.full_clean()


def test_services_refuse_invisible_text_too(admin, world):
    with pytest.raises(Exception, match="visible|needs|Write"):
        services.card_update(
            card_id=world["card"].pk, by=admin, expected_version=world["card"].version, text="\ufeff"
        )
    assert apps.get_model("journeys", "Card").objects.get(pk=world["card"].pk).text == world["card"].text


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\u2028", "\u2029"])
def test_one_line_fields_refuse_line_breaks_on_the_page_and_in_the_api(client, admin, world, newline):
    """A title or a name keeps exactly what was sent or says why not: a line break anywhere is refused by
    name, on the page and in the API alike; text fields that hold paragraphs (a card's text) keep theirs."""
    client.force_login(admin)
    j, c = world["journey"], world["card"]
    before = database_rows()
    response = client.patch(
        f"/api/v1/journeys/{j.pk}/",
        {"title": f"Onboarding{newline}", "expected_version": j.version},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == {"title": [ONE_LINE_MESSAGE]}
    response = client.post(
        f"/api/v1/workspaces/{j.workspace_id}/teams/",
        {"name": f"Squad{newline}B"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == {"name": [ONE_LINE_MESSAGE]}
    page = client.post(f"/journeys/{j.pk}/settings/", {"title": f"On{newline}boarding", "owner": admin.pk})
    assert page.status_code == 200 and ONE_LINE_MESSAGE in page.content.decode()
    assert database_changes(before, database_rows()) == []
    response = client.patch(
        f"/api/v1/cards/{c.pk}/",
        {"text": f"First line{newline}second line", "expected_version": c.version},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert Card.objects.get(pk=c.pk).text == f"First line{newline}second line"


@pytest.mark.parametrize("control", ["\x85", "\x0b", "\x0c"])
def test_a_trailing_control_character_is_refused_not_trimmed_away(client, admin, world, control):
    """Trimming surrounding whitespace would drop a trailing U+0085 or U+000B without a word: refused."""
    client.force_login(admin)
    j = world["journey"]
    response = client.patch(
        f"/api/v1/journeys/{j.pk}/", {"title": f"Onboarding{control}", "expected_version": j.version},
        content_type="application/json",
    )  # fmt: skip
    message = f"Text cannot contain control characters (U+{ord(control):04X})."
    assert (response.status_code, response.json()) == (400, {"title": [message]})
    page = client.post(f"/journeys/{j.pk}/settings/", {"title": f"Onboarding{control}", "owner": admin.pk})
    assert page.status_code == 200 and message in page.content.decode()
    assert Journey.objects.get(pk=j.pk).title == j.title
