"""The authorization matrix: who gets which status on every URL of the project.

These tests keep it honest:

* ``test_every_url_has_expectations`` walks the whole URLconf (through every ``include``, API routes and
  the live stream included) and fails, listing the names, when a URL has no row in ``EXPECTATIONS`` (so a
  URL added without a permission decision fails the suite). ``test_every_url_name_is_one_route`` fails
  when two routes share a name (the matrix would only ever request one of them), and
  ``test_every_row_names_a_url`` on rows whose URL no longer exists.
* ``test_matrix`` runs every case × persona, checks the status and, for a refused write, that nothing in
  the database changed: every row of every table, read from PostgreSQL itself (auto-created many-to-many
  tables such as team members, mentions and user groups, guardian's, tokens and sessions included; only
  ``VOLATILE_TABLES`` in tests/checks.py are left out, each with its reason). A refusal is a 4xx, an
  anonymous visitor sent to sign in, or a 200 to a case marked ``form_again=True`` (a page showing its
  form again with errors: mark every write case whose 200 means that).
* ``test_unlisted_methods_answer_405`` tries every method a row does not list (GET, POST, PUT, PATCH,
  DELETE, OPTIONS; HEAD where GET is not listed) as every persona: each must answer 405 with an honest
  ``Allow`` header and change nothing. So a row lists *every* method its URL serves.

Personas (tests/conftest.py), in the order of every expectation tuple::

    anonymous · outsider · viewer · editor · manager · admin

``manager`` is a viewer-role member holding a guardian ``manage`` grant on ``journey`` and
``restricted_journey``. Conventions (see accounts/access.py): outsiders get 404 on anything inside a
workspace; a restricted journey is 404 for members without a grant; a member lacking the right gets 403;
anonymous visitors are redirected (302) to the login page on pages and get ``401`` from the API
(``TokenAuthentication`` is the first authentication class in settings, so DRF answers 401 with
``WWW-Authenticate: Token``; the shared ``API_*`` tuples below hold that convention in one place).

How to add a row
----------------
Key the row by the URL's fully qualified name and give one ``Case`` per method you serve::

    # `emotion_card`: the restricted journey's four cards all sit in its emotion lane.
    "journeys-api:card-detail": [
        Case("GET", kw(pk="emotion_card.pk"), expect=API_VIEW, restricted=API_VIEW_RESTRICTED),
        Case("PATCH", kw(pk="emotion_card.pk"), data={"text": "Changed"}, expect=API_EDIT,
             restricted=API_EDIT_RESTRICTED),
        Case("DELETE", kw(pk="emotion_card.pk"), expect=(401, 404, 403, 204, 204, 204),
             restricted=(401, 404, 404, 404, 204, 204)),
    ],

* ``kw(name="dotted.path")`` builds the URL kwargs from the objects of the case (see below);
  ``data`` and ``query`` are dicts whose values may be literals or ``ref("lane.pk")``, or a callable
  ``lambda o: {...}`` taking the objects.
* ``expect`` is a tuple of six statuses in persona order (or a ``{persona: status}`` dict). The shared
  tuples below (``PAGE_VIEW``, ``API_EDIT``…) spell out the conventions; write your own when a URL differs.
* ``restricted=`` runs the same case a second time with every journey object taken from
  ``restricted_journey`` instead of ``journey``, expecting that tuple. Give it for every journey-scoped URL.
* A 302 expected for ``anonymous`` must go to the login page; pass ``location=`` (a URL, or a callable
  taking the objects) to check another redirect target for every persona that gets a 302.
* ``format`` is ``"json"`` for ``*-api`` namespaces and ``"form"`` otherwise; ``headers={"HX-Request":
  "true"}`` sends HTMX requests.

Objects a path can name: ``journey stage step lane card emotion_card`` (of the journey under test:
``journey`` or, with ``restricted=``, ``restricted_journey``), ``public_journey``, ``restricted_journey``,
``workspace``, ``other_workspace`` (the outsider's), ``team``, and the users ``admin editor viewer
manager outsider``. Need another object (a saved version, a comment, a study)? Add a builder to
``BUILDERS``: ``"map_version": lambda o: version_services.version_create(journey_id=o.journey.pk, …)``;
it is built once per case, before the request, through services.

Excluded from the completeness check: the ``admin`` namespace (Django's admin has its own staff-only
gate; one row below checks that none of our personas, who are not staff, get in), and unnamed static or
media patterns (only present when DEBUG serves files). Every other pattern must be named.
"""

import functools
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from accounts import services as account_services
from core import imports
from journeys import services as journey_services
from journeys.services import comments as journey_comments
from journeys.services import structure, versioning
from metrics import services as metrics_services
from prioritization import services as prioritization_services
from prioritization.services import initiatives as initiative_services
from prioritization.services import integrations as integration_services
from prioritization.services import webhooks as webhook_services
from research import services as research_services

from .checks import VOLATILE_TABLES, database_changes, database_rows, database_tables, url_routes
from .conftest import PERSONAS
from .core.test_imports import TEAMS
from .factories import PASSWORD

# ------------------------------------------------------------------------------------ shared expectations
# Persona order: anonymous, outsider, viewer, editor, manager, admin.

ALL_OK = (200, 200, 200, 200, 200, 200)
PAGE_VIEW = (302, 404, 200, 200, 200, 200)  # a page about a workspace-visible journey
PAGE_VIEW_RESTRICTED = (302, 404, 404, 404, 200, 200)  # the same page about a restricted journey
PAGE_EDIT = (302, 404, 403, 200, 200, 200)  # an editor's page (GET of a form, HTMX fragment)
PAGE_EDIT_RESTRICTED = (302, 404, 404, 404, 200, 200)
PAGE_MANAGE = (302, 404, 403, 403, 200, 200)  # sharing, deleting a journey
PAGE_MANAGE_RESTRICTED = (302, 404, 404, 404, 200, 200)
PAGE_MEMBER = (302, 200, 200, 200, 200, 200)  # pages of "my" workspace: everyone signed in gets their own
API_VIEW = (401, 404, 200, 200, 200, 200)
API_VIEW_RESTRICTED = (401, 404, 404, 404, 200, 200)
API_EDIT = (401, 404, 403, 200, 200, 200)
API_EDIT_RESTRICTED = (401, 404, 404, 404, 200, 200)
API_CREATE = (401, 404, 403, 201, 201, 201)
API_CREATE_RESTRICTED = (401, 404, 404, 404, 201, 201)
API_DELETE = (401, 404, 403, 204, 204, 204)
API_DELETE_RESTRICTED = (401, 404, 404, 404, 204, 204)
API_MANAGE = (401, 404, 403, 403, 200, 200)
API_MANAGE_RESTRICTED = (401, 404, 404, 404, 200, 200)
API_LIST = (401, 200, 200, 200, 200, 200)  # lists filter by visibility: outsiders get their own (empty) list
# Research (studies, evidence, tags) belongs to the workspace: admins and editors write; the manager is a
# viewer by role (their grants are on journeys), so they read only.
RESEARCH_CREATE = (401, 404, 403, 201, 403, 201)
RESEARCH_EDIT = (401, 404, 403, 200, 403, 200)
RESEARCH_DELETE = (401, 404, 403, 204, 403, 204)
RESEARCH_PAGE_WRITE = (302, 404, 403, 200, 403, 200)  # a research write page (its form, or the form again)

# Delivery sync (integrations, outbound webhooks): admins only. The list and create pages are of the reader's
# current workspace, so the outsider (admin of their own) is served theirs.
SYNC_PAGE = (302, 404, 403, 403, 403, 200)
SYNC_WRITE = (302, 404, 403, 403, 403, 302)
SYNC_PAGE_OWN = (302, 200, 403, 403, 403, 200)
SYNC_WRITE_OWN = (302, 302, 403, 403, 403, 302)
SYNC_API = (401, 404, 403, 403, 403, 200)

# Initiatives are the workspace's: admins and editors write (the manager is a viewer by role). Pages of the
# current workspace (create) serve the outsider their own; pages of an initiative are 404 to outsiders.
INITIATIVE_PAGE_OWN = (302, 200, 403, 200, 403, 200)
INITIATIVE_WRITE_OWN = (302, 302, 403, 302, 403, 302)
INITIATIVE_WRITE = (302, 404, 403, 302, 403, 302)

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Every method tried on every route: those a row does not list must answer 405 (HEAD is GET's, see below).
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
EXCLUDED_NAMESPACES = ("admin",)
EXEMPT_UNNAMED_PREFIXES = ("static/", "media/", "^static/", "^media/")


# ------------------------------------------------------------------------------------ row helpers


@dataclass(frozen=True)
class Ref:
    """A dotted path into the objects of a case, e.g. ``Ref("emotion_card.pk")``."""

    path: str

    def resolve(self, objects):
        value = objects
        for part in self.path.split("."):
            value = getattr(value, part)
        return value


def ref(path: str) -> Ref:
    return Ref(path)


def kw(**paths: str) -> dict:
    """URL kwargs from dotted paths: ``kw(pk="journey.pk")``."""
    return {name: Ref(path) for name, path in paths.items()}


def _resolve(value, objects):
    if isinstance(value, Ref):
        return value.resolve(objects)
    if callable(value):
        return _resolve(value(objects), objects)
    if isinstance(value, dict):
        return {k: _resolve(v, objects) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_resolve(v, objects) for v in value)
    return value


@dataclass(frozen=True)
class Case:
    method: str
    kwargs: Any = field(default_factory=dict)
    data: Any = None
    expect: tuple | dict = ()
    restricted: tuple | dict | None = None
    query: Any = None
    format: str | None = None
    headers: dict | None = None
    location: Any = None
    label: str = ""
    # A 200 to this write is its form shown again with errors (a refusal: nothing may change). Pages
    # redirect after a write that went through; the editor's HTMX fragments answer 200 *with* the write.
    form_again: bool = False

    def statuses(self, on: str) -> dict:
        table = self.restricted if on == "restricted_journey" else self.expect
        if isinstance(table, dict):
            missing = set(PERSONAS) - set(table)
            assert not missing, f"expectations miss personas {sorted(missing)}"
            return table
        assert len(table) == len(PERSONAS), f"need {len(PERSONAS)} statuses ({', '.join(PERSONAS)})"
        return dict(zip(PERSONAS, table, strict=True))


# ------------------------------------------------------------------------------------ the matrix

EXPECTATIONS: dict[str, list[Case]] = {
    # / sends everyone to the journey list (which itself asks anonymous visitors to sign in).
    "home": [
        Case("GET", expect=(302,) * 6, location=lambda o: reverse("journeys:list")),
    ],
    # The OpenAPI schema and its Swagger UI are public (drf-spectacular's SERVE_PERMISSIONS = AllowAny):
    # they describe the API's shape, not any data; every endpoint they list checks access itself.
    "api-schema": [Case("GET", expect=ALL_OK)],
    "api-docs": [Case("GET", expect=ALL_OK)],
    # ---- REST API (accounts/api.py, journeys/api.py). Writes name `expected_version` (the current one).
    # Anyone may exchange a username and password for a token; revoking needs to be signed in.
    "accounts-api:auth-token": [
        Case(
            "POST",
            data=lambda o: {"username": o.editor_token.user.username, "password": PASSWORD},
            expect=ALL_OK,
        ),
        Case("DELETE", expect=(401, 204, 204, 204, 204, 204)),
    ],
    # Everyone signed in lists their own workspaces and may start a new one (becoming its admin).
    "accounts-api:workspace-list": [
        Case("GET", expect=API_LIST),
        Case("POST", data={"name": "New workspace"}, expect=(401, 201, 201, 201, 201, 201)),
    ],
    "accounts-api:workspace-detail": [Case("GET", kw(pk="workspace.pk"), expect=API_VIEW)],
    # Members and teams: every member reads them; only workspace admins invite, change roles, make teams.
    "accounts-api:member-list": [
        Case("GET", kw(pk="workspace.pk"), expect=API_VIEW),
        Case(
            "POST",
            kw(pk="workspace.pk"),
            data={"email": "new.person@example.com", "role": "viewer"},
            expect=(401, 404, 403, 403, 403, 201),
        ),
    ],
    "accounts-api:member-detail": [
        Case(
            "PATCH",
            kw(pk="workspace.pk", user_id="viewer.pk"),
            data={"role": "editor"},
            expect=(401, 404, 403, 403, 403, 200),
        ),
        Case("DELETE", kw(pk="workspace.pk", user_id="viewer.pk"), expect=(401, 404, 403, 403, 403, 204)),
    ],
    "accounts-api:team-list": [
        Case("GET", kw(pk="workspace.pk"), expect=API_VIEW),
        Case(
            "POST",
            kw(pk="workspace.pk"),
            data={"name": "Ops", "members": []},
            expect=(401, 404, 403, 403, 403, 201),
        ),
    ],
    "accounts-api:team-detail": [
        Case("GET", kw(pk="workspace.pk", team_id="team.pk"), expect=API_VIEW),
        Case(
            "PATCH",
            kw(pk="workspace.pk", team_id="team.pk"),
            data=lambda o: {"members": [o.editor.pk]},
            expect=(401, 404, 403, 403, 403, 200),
        ),
    ],
    # Lists filter by visibility; creating needs an admin or editor role in the named workspace (the
    # outsider names ours: 400 on `workspace`, nothing about it leaks; the manager is a viewer by role).
    "journeys-api:journey-list": [
        Case("GET", expect=API_LIST),
        Case(
            "POST",
            data=lambda o: {"workspace": o.workspace.pk, "title": "New journey"},
            expect=(401, 400, 403, 201, 403, 201),
        ),
    ],
    "journeys-api:journey-detail": [
        Case("GET", kw(pk="journey.pk"), expect=API_VIEW, restricted=API_VIEW_RESTRICTED),
        Case(
            "PATCH",
            kw(pk="journey.pk"),
            data=lambda o: {"title": "Renamed", "expected_version": o.journey.version},
            expect=API_EDIT,
            restricted=API_EDIT_RESTRICTED,
        ),
        Case(
            "DELETE",
            kw(pk="journey.pk"),
            query=lambda o: {"expected_version": o.journey.version},
            expect=(401, 404, 403, 403, 204, 204),
            restricted=API_DELETE_RESTRICTED,
        ),
    ],
    "journeys-api:journey-map": [
        Case("GET", kw(pk="journey.pk"), expect=API_VIEW, restricted=API_VIEW_RESTRICTED),
    ],
    "journeys-api:journey-grants": [
        Case("GET", kw(pk="journey.pk"), expect=API_VIEW, restricted=API_VIEW_RESTRICTED),
        Case(
            "POST",
            kw(pk="journey.pk"),
            data=lambda o: {"user": o.editor.pk, "level": "edit"},
            expect=API_MANAGE,
            restricted=API_MANAGE_RESTRICTED,
        ),
        Case(
            "DELETE",
            kw(pk="journey.pk"),
            query=lambda o: {"user": o.editor.pk},
            expect=(401, 404, 403, 403, 204, 204),
            restricted=API_DELETE_RESTRICTED,
        ),
    ],
    "journeys-api:journey-stages": [
        Case(
            "POST",
            kw(pk="journey.pk"),
            data={"title": "New stage"},
            expect=API_CREATE,
            restricted=API_CREATE_RESTRICTED,
        ),
    ],
    "journeys-api:journey-steps": [
        Case(
            "POST",
            kw(pk="journey.pk"),
            data=lambda o: {"stage": o.stage.pk, "title": "New step"},
            expect=API_CREATE,
            restricted=API_CREATE_RESTRICTED,
        ),
    ],
    "journeys-api:journey-lanes": [
        Case(
            "POST",
            kw(pk="journey.pk"),
            data={"title": "New lane"},
            expect=API_CREATE,
            restricted=API_CREATE_RESTRICTED,
        ),
    ],
    "journeys-api:journey-cards": [
        Case(
            "POST",
            kw(pk="journey.pk"),
            data=lambda o: {"lane": o.lane.pk, "step": o.step.pk, "text": "New"},
            expect=API_CREATE,
            restricted=API_CREATE_RESTRICTED,
        ),
    ],
    "journeys-api:stage-steps": [
        Case(
            "POST",
            kw(pk="stage.pk"),
            data={"title": "New step"},
            expect=API_CREATE,
            restricted=API_CREATE_RESTRICTED,
        ),
    ],
    "journeys-api:stage-detail": [
        Case("GET", kw(pk="stage.pk"), expect=API_VIEW, restricted=API_VIEW_RESTRICTED),
        Case(
            "PATCH",
            kw(pk="stage.pk"),
            data=lambda o: {"title": "Changed", "expected_version": o.stage.version},
            expect=API_EDIT,
            restricted=API_EDIT_RESTRICTED,
        ),
        Case(
            "DELETE",
            kw(pk="stage.pk"),
            query=lambda o: {"expected_version": o.stage.version},
            expect=API_DELETE,
            restricted=API_DELETE_RESTRICTED,
        ),
    ],
    "journeys-api:stage-move": [
        Case(
            "POST",
            kw(pk="stage.pk"),
            data=lambda o: {"position": 0, "expected_version": o.stage.version},
            expect=API_EDIT,
            restricted=API_EDIT_RESTRICTED,
        ),
    ],
    "journeys-api:step-detail": [
        Case("GET", kw(pk="step.pk"), expect=API_VIEW, restricted=API_VIEW_RESTRICTED),
        Case(
            "PATCH",
            kw(pk="step.pk"),
            data=lambda o: {"title": "Changed", "expected_version": o.step.version},
            expect=API_EDIT,
            restricted=API_EDIT_RESTRICTED,
        ),
        Case(
            "DELETE",
            kw(pk="step.pk"),
            query=lambda o: {"expected_version": o.step.version},
            expect=API_DELETE,
            restricted=API_DELETE_RESTRICTED,
        ),
    ],
    "journeys-api:step-move": [
        Case(
            "POST",
            kw(pk="step.pk"),
            data=lambda o: {"position": 0, "expected_version": o.step.version},
            expect=API_EDIT,
            restricted=API_EDIT_RESTRICTED,
        ),
    ],
    "journeys-api:lane-detail": [
        Case("GET", kw(pk="lane.pk"), expect=API_VIEW, restricted=API_VIEW_RESTRICTED),
        Case(
            "PATCH",
            kw(pk="lane.pk"),
            data=lambda o: {"title": "Changed", "expected_version": o.lane.version},
            expect=API_EDIT,
            restricted=API_EDIT_RESTRICTED,
        ),
        Case(
            "DELETE",
            kw(pk="lane.pk"),
            query=lambda o: {"expected_version": o.lane.version},
            expect=API_DELETE,
            restricted=API_DELETE_RESTRICTED,
        ),
    ],
    "journeys-api:lane-move": [
        Case(
            "POST",
            kw(pk="lane.pk"),
            data=lambda o: {"position": 0, "expected_version": o.lane.version},
            expect=API_EDIT,
            restricted=API_EDIT_RESTRICTED,
        ),
    ],
    "journeys-api:card-detail": [
        Case("GET", kw(pk="emotion_card.pk"), expect=API_VIEW, restricted=API_VIEW_RESTRICTED),
        Case(
            "PATCH",
            kw(pk="emotion_card.pk"),
            data=lambda o: {"text": "Changed", "expected_version": o.emotion_card.version},
            expect=API_EDIT,
            restricted=API_EDIT_RESTRICTED,
        ),
        Case(
            "DELETE",
            kw(pk="emotion_card.pk"),
            query=lambda o: {"expected_version": o.emotion_card.version},
            expect=API_DELETE,
            restricted=API_DELETE_RESTRICTED,
        ),
    ],
    "journeys-api:card-move": [
        Case(
            "POST",
            kw(pk="emotion_card.pk"),
            data=lambda o: {"position": 0, "expected_version": o.emotion_card.version},
            expect=API_EDIT,
            restricted=API_EDIT_RESTRICTED,
        ),
    ],
    # ---- Pages (accounts/views.py, journeys/views.py). Page writes answer 302 (back to the page) on success.
    # Sign-in and passwords: Django's auth views; signed-in people skip the sign-in page.
    "accounts:login": [
        Case("GET", expect=(200, 302, 302, 302, 302, 302), location=lambda o: reverse("journeys:list")),
        Case(
            "POST",
            data=lambda o: {"username": o.editor.username, "password": PASSWORD},
            expect=(302,) * 6,
            location=lambda o: reverse("journeys:list"),
        ),
        # A wrong password shows the form again (200) and signs nobody in.
        Case(
            "POST",
            data=lambda o: {"username": o.editor.username, "password": "not-the-password"},
            expect=(200, 302, 302, 302, 302, 302),
            location=lambda o: reverse("journeys:list"),
            label="wrong",
            form_again=True,
        ),
    ],
    "accounts:logout": [Case("POST", expect=(302,) * 6, location=lambda o: reverse("accounts:login"))],
    "accounts:password_change": [
        Case("GET", expect=PAGE_MEMBER),
        Case(
            "POST",
            data={
                "old_password": PASSWORD,
                "new_password1": "matrix-pass-2025!",
                "new_password2": "matrix-pass-2025!",
            },
            expect=(302,) * 6,
        ),
    ],
    "accounts:password_change_done": [Case("GET", expect=PAGE_MEMBER)],
    "accounts:password_reset": [
        Case("GET", expect=ALL_OK),
        Case(
            "POST",
            data={"email": "nobody@example.com"},
            expect=(302,) * 6,
            location=lambda o: reverse("accounts:password_reset_done"),
        ),
    ],
    "accounts:password_reset_done": [Case("GET", expect=ALL_OK)],
    # A link with a bad token shows "this link is no longer valid" (200) to every method it serves, and a
    # post to it changes no password.
    "accounts:password_reset_confirm": [
        Case("GET", {"uidb64": "MQ", "token": "bad-token"}, expect=ALL_OK),
        Case(
            "POST",
            {"uidb64": "MQ", "token": "bad-token"},
            data={"new_password1": "matrix-pass-2025!", "new_password2": "matrix-pass-2025!"},
            expect=ALL_OK,
            form_again=True,
        ),
    ],
    "accounts:password_reset_complete": [Case("GET", expect=ALL_OK)],
    # An invitation link shows to whoever holds it, but only its invitee (here: the outsider's address)
    # may accept: visitors sign up (an empty form is 200 with errors), the invitee joins with one click,
    # anyone signed in with another address is refused (403, told to sign out) and nothing changes.
    "accounts:invitation_accept": [
        Case("GET", kw(token="invitation.token"), expect=ALL_OK),
        Case(
            "POST",
            kw(token="invitation.token"),
            expect=(200, 302, 403, 403, 403, 403),
            location=lambda o: reverse("journeys:list"),
            form_again=True,
        ),
    ],
    # Everyone signed in may start a workspace; switching is for members of the target workspace.
    "accounts:workspace_create": [
        Case("GET", expect=PAGE_MEMBER),
        Case("POST", data={"name": "Matrix Co"}, expect=(302,) * 6),
    ],
    "accounts:workspace_switch": [Case("POST", kw(pk="workspace.pk"), expect=(302, 404, 302, 302, 302, 302))],
    # Workspace administration pages: admins only (the manager is a viewer by role).
    "accounts:members": [Case("GET", kw(pk="workspace.pk"), expect=(302, 404, 403, 403, 403, 200))],
    "accounts:member_role": [
        Case(
            "POST",
            kw(pk="workspace.pk", user_id="viewer.pk"),
            data={"role": "editor"},
            expect=(302, 404, 403, 403, 403, 302),
        )
    ],
    "accounts:member_remove": [
        Case("POST", kw(pk="workspace.pk", user_id="viewer.pk"), expect=(302, 404, 403, 403, 403, 302))
    ],
    "accounts:invitation_create": [
        Case(
            "POST",
            kw(pk="workspace.pk"),
            data={"email": "new.person@example.com", "role": "viewer"},
            expect=(302, 404, 403, 403, 403, 302),
        )
    ],
    "accounts:invitation_revoke": [
        Case(
            "POST",
            kw(pk="workspace.pk", invitation_id="invitation.pk"),
            expect=(302, 404, 403, 403, 403, 302),
        )
    ],
    # Import jobs (core/views.py): only the person who uploaded the file sees its job; everyone else 404.
    # An admin's POST without the form's fields shows the form again and saves nothing.
    "imports:detail": [
        Case("GET", kw(pk="import_job.pk"), expect=(302, 404, 404, 404, 404, 200)),
        Case("POST", kw(pk="import_job.pk"), data={}, expect=(302, 404, 404, 404, 404, 200), form_again=True),
    ],
    "imports:progress": [Case("GET", kw(pk="import_job.pk"), expect=(302, 404, 404, 404, 404, 200))],
    "accounts:teams": [
        Case("GET", kw(pk="workspace.pk"), expect=(302, 404, 403, 403, 403, 200)),
        Case(
            "POST", kw(pk="workspace.pk"), data={"name": "Design crew"}, expect=(302, 404, 403, 403, 403, 302)
        ),
    ],
    "accounts:team_members": [
        Case(
            "POST",
            kw(pk="workspace.pk", team_id="team.pk"),
            data=lambda o: {"members": [o.editor.pk]},
            expect=(302, 404, 403, 403, 403, 302),
        )
    ],
    # The journey list shows the current workspace (the outsider's own); creating needs the editor or admin
    # role in it (the manager is a viewer by role).
    "journeys:list": [
        Case("GET", expect=PAGE_MEMBER),
        Case("GET", expect=PAGE_MEMBER, query={"q": "life"}, headers={"HX-Request": "true"}, label="htmx"),
    ],
    # The outsider's current workspace is their own, where the admin is no member: their post shows the form
    # again with the owner refused (200) and creates nothing.
    "journeys:create": [
        Case("GET", expect=(302, 200, 403, 200, 403, 200)),
        Case(
            "POST",
            data=lambda o: {
                "title": "New journey",
                "level": "lifecycle",
                "state": "current",
                "start": "blank",
                "owner": o.admin.pk,
                "visibility": "workspace",
            },
            expect=(302, 200, 403, 302, 403, 302),
            form_again=True,
        ),
    ],
    "journeys:map": [Case("GET", kw(pk="journey.pk"), expect=PAGE_VIEW, restricted=PAGE_VIEW_RESTRICTED)],
    "journeys:map_grid": [
        Case("GET", kw(pk="journey.pk"), expect=PAGE_VIEW, restricted=PAGE_VIEW_RESTRICTED)
    ],
    "journeys:map_cells": [
        Case("GET", kw(pk="journey.pk"), expect=PAGE_VIEW, restricted=PAGE_VIEW_RESTRICTED)
    ],
    "journeys:settings": [
        Case("GET", kw(pk="journey.pk"), expect=PAGE_EDIT, restricted=PAGE_EDIT_RESTRICTED),
        Case(
            "POST",
            kw(pk="journey.pk"),
            data=lambda o: {
                "title": "Renamed on the page",
                "level": o.journey.level,
                "state": o.journey.state,
                "owner": o.journey.owner_id,
                "visibility": o.journey.visibility,
                "expected_version": o.journey.version,
            },
            expect=(302, 404, 403, 302, 302, 302),
            restricted=(302, 404, 404, 404, 302, 302),
        ),
    ],
    "journeys:access": [
        Case("GET", kw(pk="journey.pk"), expect=PAGE_MANAGE, restricted=PAGE_MANAGE_RESTRICTED),
        Case(
            "POST",
            kw(pk="journey.pk"),
            data=lambda o: {"grantee": f"user:{o.viewer.pk}", "level": "edit"},
            expect=(302, 404, 403, 403, 302, 302),
            restricted=(302, 404, 404, 404, 302, 302),
        ),
    ],
    "journeys:access_remove": [
        Case(
            "POST",
            kw(pk="journey.pk"),
            data=lambda o: {"grantee": f"user:{o.manager.pk}"},
            expect=(302, 404, 403, 403, 302, 302),
            restricted=(302, 404, 404, 404, 302, 302),
        ),
    ],
    "journeys:archive": [
        Case(
            "POST",
            kw(pk="journey.pk"),
            expect=(302, 404, 403, 403, 302, 302),
            restricted=(302, 404, 404, 404, 302, 302),
        ),
    ],
    "journeys:delete": [
        Case("GET", kw(pk="journey.pk"), expect=PAGE_MANAGE, restricted=PAGE_MANAGE_RESTRICTED),
        Case(
            "POST",
            kw(pk="journey.pk"),
            data=lambda o: {"confirm_title": o.journey.title, "expected_version": o.journey.version},
            expect=(302, 404, 403, 403, 302, 302),
            restricted=(302, 404, 404, 404, 302, 302),
        ),
    ],
    # Django's admin is staff-only; workspace admins are not staff, so everyone is sent to its login.
    "admin:index": [
        Case("GET", expect=(302,) * 6, location=lambda o: reverse("admin:login")),
    ],
    # The live event stream of a map (text/event-stream): permission is checked before streaming starts;
    # the matrix checks the status only and never reads the (endless) stream.
    "journeys:live": [Case("GET", kw(pk="journey.pk"), expect=PAGE_VIEW, restricted=PAGE_VIEW_RESTRICTED)],
    # ---- Structure across journeys (journeys/views_structure.py, journeys/api_structure.py). Creating a
    # journey (copy, future state, sub-journey) needs the editor or admin role in the workspace, so the
    # manager (a viewer by role) gets 403 even on journeys they manage; a refused write creates nothing.
    "journeys:new_from": [Case("GET", expect=(302, 200, 403, 200, 403, 200))],
    "journeys:copy": [
        Case(
            "GET",
            kw(pk="journey.pk"),
            expect=(302, 404, 403, 200, 403, 200),
            restricted=(302, 404, 404, 404, 403, 200),
        ),
        Case(
            "POST",
            kw(pk="journey.pk"),
            data={"title": "Copy", "content": "cards", "kind": "copy"},
            expect=(302, 404, 403, 302, 403, 302),
            restricted=(302, 404, 404, 404, 403, 302),
        ),
    ],
    "journeys:future_state": [
        Case(
            "POST",
            kw(pk="journey.pk"),
            expect=(302, 404, 403, 302, 403, 302),
            restricted=(302, 404, 404, 404, 403, 302),
        ),
    ],
    "journeys:template": [
        Case(
            "POST",
            kw(pk="journey.pk"),
            data={"is_template": "1"},
            expect=(302, 404, 403, 403, 302, 302),
            restricted=(302, 404, 404, 404, 302, 302),
        ),
    ],
    "journeys:sub_journey_create": [
        Case(
            "GET",
            kw(pk="journey.pk", step_id="step.pk"),
            expect=(302, 404, 403, 200, 403, 200),
            restricted=(302, 404, 404, 404, 403, 200),
        ),
        Case(
            "POST",
            kw(pk="journey.pk", step_id="step.pk"),
            data={"title": "Detail", "start": "blank"},
            expect=(302, 404, 403, 302, 403, 302),
            restricted=(302, 404, 404, 404, 403, 302),
        ),
    ],
    "journeys:compare": [
        Case(
            "GET",
            kw(pk="journey.pk"),
            query={"with": ref("future_state.pk")},
            expect=PAGE_VIEW,
            restricted=PAGE_VIEW_RESTRICTED,
        ),
    ],
    "journeys:present": [Case("GET", kw(pk="journey.pk"), expect=PAGE_VIEW, restricted=PAGE_VIEW_RESTRICTED)],
    "journeys:saved_view": [
        Case(
            "GET",
            kw(pk="journey.pk", view_id="saved_view.pk"),
            expect=PAGE_VIEW,
            restricted=PAGE_VIEW_RESTRICTED,
        ),
    ],
    # Saving a named view is for editors and up; opening one (above) for everyone who sees the journey.
    "journeys:saved_view_create": [
        Case(
            "POST",
            kw(pk="journey.pk"),
            data={"name": "Board view", "shown": [ref("lane.pk")]},
            expect=(302, 404, 403, 302, 302, 302),
            restricted=(302, 404, 404, 404, 302, 302),
        ),
    ],
    "journeys:saved_view_delete": [
        Case(
            "POST",
            kw(pk="journey.pk", view_id="saved_view.pk"),
            expect=(302, 404, 403, 302, 302, 302),
            restricted=(302, 404, 404, 404, 302, 302),
        ),
    ],
    "journeys-api:journey-copy": [
        Case(
            "POST",
            kw(pk="journey.pk"),
            data={"title": "Copy", "as_future_state": True},
            expect=(401, 404, 403, 201, 403, 201),
            restricted=(401, 404, 404, 404, 403, 201),
        ),
    ],
    "journeys-api:journey-template": [
        Case(
            "PUT",
            kw(pk="journey.pk"),
            data={"is_template": True},
            expect=API_MANAGE,
            restricted=API_MANAGE_RESTRICTED,
        ),
    ],
    "journeys-api:journey-ancestors": [
        Case("GET", kw(pk="journey.pk"), expect=API_VIEW, restricted=API_VIEW_RESTRICTED),
    ],
    "journeys-api:journey-compare": [
        Case(
            "GET",
            kw(pk="journey.pk"),
            query={"with": ref("future_state.pk")},
            expect=API_VIEW,
            restricted=API_VIEW_RESTRICTED,
        ),
    ],
    "journeys-api:journey-saved-views": [
        Case("GET", kw(pk="journey.pk"), expect=API_VIEW, restricted=API_VIEW_RESTRICTED),
        Case(
            "POST",
            kw(pk="journey.pk"),
            data={"name": "Board view", "hidden_lanes": [ref("lane.pk")]},
            expect=API_CREATE,
            restricted=API_CREATE_RESTRICTED,
        ),
    ],
    "journeys-api:saved-view-detail": [
        Case("GET", kw(pk="saved_view.pk"), expect=API_VIEW, restricted=API_VIEW_RESTRICTED),
        Case("DELETE", kw(pk="saved_view.pk"), expect=API_DELETE, restricted=API_DELETE_RESTRICTED),
    ],
    "journeys-api:step-sub-journey": [
        Case(
            "POST",
            kw(pk="step.pk"),
            data={"title": "Detail"},
            expect=(401, 404, 403, 201, 403, 201),
            restricted=(401, 404, 404, 404, 403, 201),
        ),
    ],
    "journeys-api:template-list": [Case("GET", expect=API_LIST)],
    # History and discussion (journeys/api_versions.py, journeys/views_versions.py). Everyone who sees a
    # journey may read its history and comment on its cards (viewers too); saving, restoring and undoing
    # need edit; resolving needs edit or having started the thread; deleting a comment, its author or manage.
    "journeys-api:journey-versions": [
        Case("GET", kw(pk="journey.pk"), expect=API_VIEW, restricted=API_VIEW_RESTRICTED),
        Case(
            "POST",
            kw(pk="journey.pk"),
            data={"label": "Baseline"},
            expect=API_CREATE,
            restricted=API_CREATE_RESTRICTED,
        ),
    ],
    "journeys-api:journey-versions-diff": [
        Case(
            "GET",
            kw(pk="journey.pk"),
            query={"from": ref("map_version.pk"), "to": "now"},
            expect=API_VIEW,
            restricted=API_VIEW_RESTRICTED,
        ),
    ],
    "journeys-api:version-detail": [
        Case("GET", kw(pk="map_version.pk"), expect=API_VIEW, restricted=API_VIEW_RESTRICTED),
    ],
    "journeys-api:version-restore": [
        Case("POST", kw(pk="map_version.pk"), expect=API_EDIT, restricted=API_EDIT_RESTRICTED),
    ],
    "journeys-api:journey-trash": [
        Case("GET", kw(pk="journey.pk"), expect=API_VIEW, restricted=API_VIEW_RESTRICTED),
    ],
    "journeys-api:trash-restore": [
        Case("POST", kw(pk="trashed_card.pk"), expect=API_EDIT, restricted=API_EDIT_RESTRICTED),
    ],
    "journeys-api:card-comments": [
        Case("GET", kw(pk="emotion_card.pk"), expect=API_VIEW, restricted=API_VIEW_RESTRICTED),
        Case(
            "POST",
            kw(pk="emotion_card.pk"),
            data={"body": "Where is this from? @bob"},
            expect=(401, 404, 201, 201, 201, 201),
            restricted=(401, 404, 404, 404, 201, 201),
        ),
    ],
    # The people an @mention may name: whoever sees the journey may ask (and gets only people who see it).
    "journeys-api:journey-people": [
        Case("GET", kw(pk="journey.pk"), query={"q": "a"}, expect=API_VIEW, restricted=API_VIEW_RESTRICTED),
    ],
    "journeys-api:comment-detail": [
        Case("GET", kw(pk="comment.pk"), expect=API_VIEW, restricted=API_VIEW_RESTRICTED),
        # The comment is the admin's: only its author and managers delete it.
        Case(
            "DELETE",
            kw(pk="comment.pk"),
            expect=(401, 404, 403, 403, 204, 204),
            restricted=(401, 404, 404, 404, 204, 204),
        ),
    ],
    "journeys-api:comment-resolve": [
        Case("POST", kw(pk="comment.pk"), expect=API_EDIT, restricted=API_EDIT_RESTRICTED),
    ],
    "journeys-api:comment-reopen": [
        Case("POST", kw(pk="comment.pk"), expect=API_EDIT, restricted=API_EDIT_RESTRICTED),
    ],
    # ---- Research API (research/api/). Studies, evidence and tags are the workspace's: members read,
    # admins and editors write (viewers, and the manager, a viewer by role, get 403). Links are their
    # journey's: seen by who sees the journey, made and changed with edit on it.
    "research-api:tag-list": [
        Case("GET", kw(pk="workspace.pk"), expect=API_VIEW),
        Case("POST", kw(pk="workspace.pk"), data={"name": "Pricing"}, expect=RESEARCH_CREATE),
    ],
    "research-api:tag-detail": [
        Case("GET", kw(pk="research_tag.pk"), expect=API_VIEW),
        Case("PATCH", kw(pk="research_tag.pk"), data={"name": "Prices"}, expect=RESEARCH_EDIT),
        Case("DELETE", kw(pk="research_tag.pk"), expect=RESEARCH_DELETE),
    ],
    "research-api:tag-merge": [
        Case(
            "POST",
            kw(pk="research_tag.pk"),
            data=lambda o: {"into": o.other_research_tag.pk},
            expect=RESEARCH_EDIT,
        ),
    ],
    "research-api:research-settings": [
        Case("GET", kw(pk="workspace.pk"), expect=API_VIEW),
        Case(
            "PATCH",
            kw(pk="workspace.pk"),
            data={"recency_months": 12},
            expect=(401, 404, 403, 403, 403, 200),
        ),
    ],
    "research-api:study-list": [
        Case("GET", kw(pk="workspace.pk"), expect=API_VIEW),
        Case(
            "POST",
            kw(pk="workspace.pk"),
            data={"title": "Churn survey", "method": "survey"},
            expect=RESEARCH_CREATE,
        ),
    ],
    "research-api:study-detail": [
        Case("GET", kw(pk="study.pk"), expect=API_VIEW),
        Case(
            "PATCH",
            kw(pk="study.pk"),
            data=lambda o: {"title": "Renamed", "expected_version": o.study.version},
            expect=RESEARCH_EDIT,
        ),
        Case(
            "DELETE",
            kw(pk="study.pk"),
            query=lambda o: {"expected_version": o.study.version},
            expect=RESEARCH_DELETE,
        ),
    ],
    "research-api:evidence-list": [
        Case("GET", kw(pk="workspace.pk"), expect=API_VIEW),
        Case("POST", kw(pk="workspace.pk"), data={"text": "Setup took 40 minutes."}, expect=RESEARCH_CREATE),
    ],
    "research-api:evidence-bulk": [
        Case(
            "POST",
            kw(pk="workspace.pk"),
            data={"items": [{"text": "One"}, {"text": "Two", "kind": "quote"}]},
            expect=RESEARCH_CREATE,
        ),
    ],
    "research-api:evidence-detail": [
        Case("GET", kw(pk="evidence.pk"), expect=API_VIEW),
        Case(
            "PATCH",
            kw(pk="evidence.pk"),
            data=lambda o: {"text": "Changed", "expected_version": o.evidence.version},
            expect=RESEARCH_EDIT,
        ),
        Case(
            "DELETE",
            kw(pk="evidence.pk"),
            query=lambda o: {"expected_version": o.evidence.version},
            expect=RESEARCH_DELETE,
        ),
    ],
    # Linking needs edit on the card's journey; a card of a journey one cannot see is bad input (400 on
    # `card`: the URL names the evidence, which members see), never a link.
    "research-api:evidence-links": [
        Case("GET", kw(pk="evidence.pk"), expect=API_VIEW),
        Case(
            "POST",
            kw(pk="evidence.pk"),
            data=lambda o: {"card": o.emotion_card.pk, "stance": "supports"},
            expect=API_CREATE,
            restricted=(401, 404, 400, 400, 201, 201),
        ),
    ],
    "research-api:link-detail": [
        Case("GET", kw(pk="evidence_link.pk"), expect=API_VIEW, restricted=API_VIEW_RESTRICTED),
        Case(
            "PATCH",
            kw(pk="evidence_link.pk"),
            data=lambda o: {"stance": "contradicts", "expected_version": o.evidence_link.version},
            expect=API_EDIT,
            restricted=API_EDIT_RESTRICTED,
        ),
        Case(
            "DELETE",
            kw(pk="evidence_link.pk"),
            query=lambda o: {"expected_version": o.evidence_link.version},
            expect=API_DELETE,
            restricted=API_DELETE_RESTRICTED,
        ),
    ],
    # Deleted research (research/services/trash.py): members list it; putting back needs the research write
    # right (the manager is a viewer by role: 403) and edit on the journeys of its links: `research_trash`
    # is an item linked to the emotion card, so with `restricted=` the editor, who cannot see that journey,
    # is refused (403, without naming it) and only the admin puts it back.
    "research-api:trash-list": [Case("GET", kw(pk="workspace.pk"), expect=API_VIEW)],
    "research-api:trash-restore": [
        Case(
            "POST",
            kw(pk="research_trash.pk"),
            expect=(401, 404, 403, 200, 403, 200),
            restricted=(401, 404, 403, 403, 403, 200),
        ),
    ],
    "research-api:journey-links": [
        Case("GET", kw(pk="journey.pk"), expect=API_VIEW, restricted=API_VIEW_RESTRICTED),
    ],
    "research-api:journey-confidence": [
        Case("GET", kw(pk="journey.pk"), expect=API_VIEW, restricted=API_VIEW_RESTRICTED),
    ],
    "research-api:card-confidence": [
        Case("GET", kw(pk="emotion_card.pk"), expect=API_VIEW, restricted=API_VIEW_RESTRICTED),
    ],
    # ---- Research pages (research/views/). The library and studies list are the current workspace's (the
    # outsider sees their own); an item or study of the workspace is 404 to outsiders; writing needs the
    # editor or admin role (the manager is a viewer by role: 403). A card's evidence panel is its journey's:
    # read by who sees it, linking with edit on it.
    "research:evidence": [
        Case("GET", expect=PAGE_MEMBER),
        Case("GET", expect=PAGE_MEMBER, query={"q": "invoice"}, headers={"HX-Request": "true"}, label="htmx"),
    ],
    "research:evidence_export": [Case("GET", expect=PAGE_MEMBER, query={"q": "invoice", "linked": "yes"})],
    "research:evidence_create": [
        Case("GET", expect=(302, 200, 403, 200, 403, 200)),
        # The outsider adds to their own workspace (their current one).
        Case(
            "POST", data={"text": "Added on the page", "kind": "quote"}, expect=(302, 302, 403, 302, 403, 302)
        ),
    ],
    "research:evidence_detail": [Case("GET", kw(pk="evidence.pk"), expect=PAGE_VIEW)],
    "research:evidence_edit": [
        Case("GET", kw(pk="evidence.pk"), expect=RESEARCH_PAGE_WRITE),
        Case("POST", kw(pk="evidence.pk"), data={}, expect=RESEARCH_PAGE_WRITE, form_again=True),
        Case(
            "POST",
            kw(pk="evidence.pk"),
            data=lambda o: {"text": "Changed", "kind": "quote", "expected_version": o.evidence.version},
            expect=(302, 404, 403, 302, 403, 302),
            label="save",
        ),
    ],
    "research:evidence_delete": [
        Case("GET", kw(pk="evidence.pk"), expect=RESEARCH_PAGE_WRITE),
        Case(
            "POST",
            kw(pk="evidence.pk"),
            data=lambda o: {"expected_version": o.evidence.version},
            expect=(302, 404, 403, 302, 403, 302),
        ),
    ],
    "research:studies": [Case("GET", expect=PAGE_MEMBER)],
    "research:study_create": [
        Case("GET", expect=(302, 200, 403, 200, 403, 200)),
        Case("POST", data={"title": "Page study", "method": "survey"}, expect=(302, 302, 403, 302, 403, 302)),
    ],
    "research:study": [
        Case("GET", kw(pk="study.pk"), expect=PAGE_VIEW),
        Case(
            "GET",
            kw(pk="study.pk"),
            expect=PAGE_VIEW,
            query={"q": "invoice"},
            headers={"HX-Request": "true"},
            label="htmx",
        ),
    ],
    "research:study_edit": [
        Case("GET", kw(pk="study.pk"), expect=RESEARCH_PAGE_WRITE),
        Case("POST", kw(pk="study.pk"), data={}, expect=RESEARCH_PAGE_WRITE, form_again=True),
    ],
    "research:study_delete": [
        Case("GET", kw(pk="study.pk"), expect=RESEARCH_PAGE_WRITE),
        Case(
            "POST",
            kw(pk="study.pk"),
            data=lambda o: {"expected_version": o.study.version, "confirm": "on"},
            expect=(302, 404, 403, 302, 403, 302),
        ),
    ],
    # "Put back" on the library and study pages: back to the item's page (302); a put-back the service
    # refuses (here: a link on a journey the editor cannot see) goes back to the list with the reason
    # (302, nothing changed: tests/research/test_trash.py checks that).
    "research:trash_restore": [
        Case(
            "POST",
            kw(pk="research_trash.pk"),
            expect=(302, 404, 403, 302, 403, 302),
            restricted=(302, 404, 403, 302, 403, 302),
        ),
    ],
    # The lead's import page (research/views/imports.py): no file sent shows the form again, nothing read.
    "research:study_import": [
        Case("GET", kw(pk="study.pk"), expect=RESEARCH_PAGE_WRITE),
        Case("POST", kw(pk="study.pk"), data={}, expect=RESEARCH_PAGE_WRITE, form_again=True),
    ],
    "research:card_evidence": [
        Case("GET", kw(card_id="emotion_card.pk"), expect=PAGE_VIEW, restricted=PAGE_VIEW_RESTRICTED),
        Case(
            "GET",
            kw(card_id="emotion_card.pk"),
            query={"q": "invoice"},
            headers={"HX-Request": "true"},
            expect=PAGE_VIEW,
            restricted=PAGE_VIEW_RESTRICTED,
            label="htmx",
        ),
        Case(
            "POST",
            kw(card_id="emotion_card.pk"),
            data=lambda o: {"action": "link", "evidence": o.evidence.pk, "stance": "supports"},
            headers={"HX-Request": "true"},
            expect=PAGE_EDIT,
            restricted=PAGE_EDIT_RESTRICTED,
        ),
        # Creating evidence needs the research write right too: the manager (a viewer by role) gets 403.
        Case(
            "POST",
            kw(card_id="emotion_card.pk"),
            data={"action": "create", "text": "Made in the panel", "kind": "quote", "stance": "supports"},
            headers={"HX-Request": "true"},
            expect=(302, 404, 403, 200, 403, 200),
            restricted=(302, 404, 404, 404, 403, 200),
            label="create",
        ),
    ],
    "research:help_confidence": [Case("GET", expect=PAGE_MEMBER)],
    # ---- Metrics (metrics/): a metric is part of its journey: read by who sees the journey, written with
    # edit on it. `metric` sits on a step of the journey under test.
    "metrics:import": [
        Case("GET", kw(pk="journey.pk"), expect=PAGE_EDIT, restricted=PAGE_EDIT_RESTRICTED),
        Case(
            "POST",
            kw(pk="journey.pk"),
            data={},
            expect=PAGE_EDIT,
            restricted=PAGE_EDIT_RESTRICTED,
            form_again=True,
        ),
    ],
    # The metrics pages (metrics/views/): a journey's metrics and a metric's page are read by who sees the
    # journey; defining metrics and recording values need edit on it. The help page is every member's.
    "metrics:journey": [
        Case("GET", kw(pk="journey.pk"), expect=PAGE_VIEW, restricted=PAGE_VIEW_RESTRICTED),
    ],
    "metrics:metric_create": [
        Case("GET", kw(pk="journey.pk"), expect=PAGE_EDIT, restricted=PAGE_EDIT_RESTRICTED),
        Case(
            "POST",
            kw(pk="journey.pk"),
            data={},
            expect=PAGE_EDIT,
            restricted=PAGE_EDIT_RESTRICTED,
            form_again=True,
        ),
        Case(
            "POST",
            kw(pk="journey.pk"),
            data={"name": "Page CSAT", "place": "journey", "kind": "csat", "weight": 1, "source": "manual"},
            expect=(302, 404, 403, 302, 302, 302),
            restricted=(302, 404, 404, 404, 302, 302),
            label="save",
        ),
    ],
    "metrics:metric": [
        Case("GET", kw(pk="metric.pk"), expect=PAGE_VIEW, restricted=PAGE_VIEW_RESTRICTED),
        Case(
            "GET",
            kw(pk="metric.pk"),
            query={"page": 1},
            headers={"HX-Request": "true"},
            expect=PAGE_VIEW,
            restricted=PAGE_VIEW_RESTRICTED,
            label="htmx",
        ),
    ],
    "metrics:metric_edit": [
        Case("GET", kw(pk="metric.pk"), expect=PAGE_EDIT, restricted=PAGE_EDIT_RESTRICTED),
        Case(
            "POST",
            kw(pk="metric.pk"),
            data={},
            expect=PAGE_EDIT,
            restricted=PAGE_EDIT_RESTRICTED,
            form_again=True,
        ),
        Case(
            "POST",
            kw(pk="metric.pk"),
            data=lambda o: {
                "name": "Onboarding NPS (all)",
                "place": "journey",
                "kind": "nps",
                "unit": "score",
                "direction": "higher",
                "aggregation": "nps",
                "weight": 2,
                "source": "manual",
                "expected_version": o.metric.version,
            },  # fmt: skip
            expect=(302, 404, 403, 302, 302, 302),
            restricted=(302, 404, 404, 404, 302, 302),
            label="save",
        ),
    ],
    "metrics:metric_delete": [
        Case("GET", kw(pk="metric.pk"), expect=PAGE_EDIT, restricted=PAGE_EDIT_RESTRICTED),
        Case(
            "POST",
            kw(pk="metric.pk"),
            data=lambda o: {"expected_version": o.metric.version},
            expect=(302, 404, 403, 302, 302, 302),
            restricted=(302, 404, 404, 404, 302, 302),
        ),
    ],
    "metrics:measurement_add": [
        Case(
            "POST",
            kw(pk="metric.pk"),
            data={},
            expect=PAGE_EDIT,
            restricted=PAGE_EDIT_RESTRICTED,
            form_again=True,
        ),
        Case(
            "POST",
            kw(pk="metric.pk"),
            data={"period_start": "2025-02-28", "value": "35"},
            expect=(302, 404, 403, 302, 302, 302),
            restricted=(302, 404, 404, 404, 302, 302),
            label="save",
        ),
    ],
    "metrics:help": [Case("GET", expect=PAGE_MEMBER)],
    # One measurement corrected or deleted from the metric's table: edit on the journey.
    "metrics:measurement_edit": [
        Case("GET", kw(pk="measurement.pk"), expect=PAGE_EDIT, restricted=PAGE_EDIT_RESTRICTED),
        Case(
            "POST",
            kw(pk="measurement.pk"),
            data={},
            expect=PAGE_EDIT,
            restricted=PAGE_EDIT_RESTRICTED,
            form_again=True,
        ),
        Case(
            "POST",
            kw(pk="measurement.pk"),
            data=lambda o: {
                "period_start": "2025-01-31",
                "value": "35",
                "expected_version": o.measurement.version,
            },
            expect=(302, 404, 403, 302, 302, 302),
            restricted=(302, 404, 404, 404, 302, 302),
            label="save",
        ),
    ],
    "metrics:measurement_delete": [
        Case("GET", kw(pk="measurement.pk"), expect=PAGE_EDIT, restricted=PAGE_EDIT_RESTRICTED),
        Case(
            "POST",
            kw(pk="measurement.pk"),
            data=lambda o: {"expected_version": o.measurement.version},
            expect=(302, 404, 403, 302, 302, 302),
            restricted=(302, 404, 404, 404, 302, 302),
        ),
    ],
    # The workspace's shift-detection settings: every member sees them, workspace admins change them (the
    # manager is a viewer by role).
    "metrics:settings": [
        Case("GET", kw(pk="workspace.pk"), expect=(302, 404, 200, 200, 200, 200)),
        Case(
            "POST",
            kw(pk="workspace.pk"),
            data={},
            expect=(302, 404, 403, 403, 403, 200),
            form_again=True,
        ),
        Case(
            "POST",
            kw(pk="workspace.pk"),
            data={
                "shift_sigmas": "2.5",
                "shift_window": "8",
                "shift_min_history": "4",
                "shift_relative": "25",
                "expected_version": "1",
            },
            expect=(302, 404, 403, 403, 403, 302),
            label="save",
        ),
    ],
    "metrics-api:journey-metrics": [
        Case("GET", kw(pk="journey.pk"), expect=API_VIEW, restricted=API_VIEW_RESTRICTED),
        Case(
            "POST",
            kw(pk="journey.pk"),
            data={"name": "CSAT", "kind": "csat"},
            expect=API_CREATE,
            restricted=API_CREATE_RESTRICTED,
        ),
    ],
    "metrics-api:journey-measurements": [
        Case(
            "POST",
            kw(pk="journey.pk"),
            data=lambda o: {"items": [{"metric": o.metric.pk, "date": "2025-01-31", "value": "80"}]},
            expect=API_EDIT,
            restricted=API_EDIT_RESTRICTED,
        ),
    ],
    "metrics-api:journey-health": [
        Case("GET", kw(pk="journey.pk"), expect=API_VIEW, restricted=API_VIEW_RESTRICTED),
    ],
    "metrics-api:journey-shifts": [
        Case("GET", kw(pk="journey.pk"), expect=API_VIEW, restricted=API_VIEW_RESTRICTED),
    ],
    "metrics-api:metric-detail": [
        Case("GET", kw(pk="metric.pk"), expect=API_VIEW, restricted=API_VIEW_RESTRICTED),
        Case(
            "PATCH",
            kw(pk="metric.pk"),
            data=lambda o: {"weight": 2, "expected_version": o.metric.version},
            expect=API_EDIT,
            restricted=API_EDIT_RESTRICTED,
        ),
        Case(
            "DELETE",
            kw(pk="metric.pk"),
            query=lambda o: {"expected_version": o.metric.version},
            expect=API_DELETE,
            restricted=API_DELETE_RESTRICTED,
        ),
    ],
    "metrics-api:metric-measurements": [
        Case("GET", kw(pk="metric.pk"), expect=API_VIEW, restricted=API_VIEW_RESTRICTED),
        Case(
            "POST",
            kw(pk="metric.pk"),
            data={"date": "2025-01-31", "value": "80"},
            expect=API_EDIT,
            restricted=API_EDIT_RESTRICTED,
        ),
    ],
    "metrics-api:measurement-detail": [
        Case("GET", kw(pk="measurement.pk"), expect=API_VIEW, restricted=API_VIEW_RESTRICTED),
        Case(
            "PATCH",
            kw(pk="measurement.pk"),
            data=lambda o: {"value": "31", "expected_version": o.measurement.version},
            expect=API_EDIT,
            restricted=API_EDIT_RESTRICTED,
        ),
        Case(
            "DELETE",
            kw(pk="measurement.pk"),
            query=lambda o: {"expected_version": o.measurement.version},
            expect=API_DELETE,
            restricted=API_DELETE_RESTRICTED,
        ),
    ],
    "metrics-api:metrics-settings": [
        Case("GET", kw(pk="workspace.pk"), expect=API_VIEW),
        Case(
            "PATCH",
            kw(pk="workspace.pk"),
            data={"shift_relative": 30, "expected_version": 1},
            expect=(401, 404, 403, 403, 403, 200),
        ),
    ],
    "journeys:versions": [
        Case("GET", kw(pk="journey.pk"), expect=PAGE_VIEW, restricted=PAGE_VIEW_RESTRICTED),
        Case(
            "POST",
            kw(pk="journey.pk"),
            data={"label": "Baseline"},
            expect=(302, 404, 403, 302, 302, 302),
            restricted=(302, 404, 404, 404, 302, 302),
        ),
    ],
    "journeys:version_detail": [
        Case(
            "GET",
            kw(pk="journey.pk", version_id="map_version.pk"),
            expect=PAGE_VIEW,
            restricted=PAGE_VIEW_RESTRICTED,
        ),
    ],
    "journeys:version_diff": [
        Case(
            "GET",
            kw(pk="journey.pk"),
            query={"from": ref("map_version.pk"), "to": "now"},
            expect=PAGE_VIEW,
            restricted=PAGE_VIEW_RESTRICTED,
        ),
    ],
    "journeys:version_restore": [
        Case(
            "POST",
            kw(pk="journey.pk", version_id="map_version.pk"),
            expect=(302, 404, 403, 302, 302, 302),
            restricted=(302, 404, 404, 404, 302, 302),
        ),
    ],
    "journeys:trash_restore": [
        Case(
            "POST",
            kw(pk="journey.pk", item_id="trashed_card.pk"),
            expect=(302, 404, 403, 302, 302, 302),
            restricted=(302, 404, 404, 404, 302, 302),
        ),
        Case(
            "POST",
            kw(pk="journey.pk", item_id="trashed_card.pk"),
            headers={"HX-Request": "true"},
            expect=(302, 404, 403, 204, 204, 204),
            restricted=(302, 404, 404, 404, 204, 204),
            label="htmx",
        ),
    ],
    "journeys:card_comments": [
        Case(
            "GET",
            kw(pk="journey.pk", card_id="emotion_card.pk"),
            headers={"HX-Request": "true"},
            expect=PAGE_VIEW,
            restricted=PAGE_VIEW_RESTRICTED,
        ),
        Case(
            "POST",
            kw(pk="journey.pk", card_id="emotion_card.pk"),
            data={"action": "add", "body": "Where is this from?"},
            headers={"HX-Request": "true"},
            expect=PAGE_VIEW,
            restricted=PAGE_VIEW_RESTRICTED,
        ),
        # Resolving the admin's thread: editors and up (viewers get 403 from the service).
        Case(
            "POST",
            kw(pk="journey.pk", card_id="emotion_card.pk"),
            data={"action": "resolve", "comment": ref("comment.pk")},
            headers={"HX-Request": "true"},
            expect=PAGE_EDIT,
            restricted=PAGE_EDIT_RESTRICTED,
            label="resolve",
        ),
    ],
    # The comment box's @mention autocomplete (JSON): everyone who sees the journey, as for commenting.
    "journeys:people": [
        Case("GET", kw(pk="journey.pk"), query={"q": "a"}, expect=PAGE_VIEW, restricted=PAGE_VIEW_RESTRICTED),
    ],
    # ---- The map editor (journeys/views_editor.py): HTMX fragments for editors. Writes answer 200 with the
    # grid or the card (the editor swaps it in); viewers get 403, outsiders and non-granted members 404.
    "journeys:activity": [
        Case("GET", kw(pk="journey.pk"), expect=PAGE_VIEW, restricted=PAGE_VIEW_RESTRICTED)
    ],
    "journeys:editor_trash": [
        Case("GET", kw(pk="journey.pk"), expect=PAGE_EDIT, restricted=PAGE_EDIT_RESTRICTED),
    ],
    "journeys:editor_stage_add": [
        Case(
            "POST",
            kw(pk="journey.pk"),
            data={"title": "New"},
            expect=PAGE_EDIT,
            restricted=PAGE_EDIT_RESTRICTED,
        ),
    ],
    "journeys:editor_lane_add": [
        Case(
            "POST",
            kw(pk="journey.pk"),
            data={"kind": "metrics"},
            expect=PAGE_EDIT,
            restricted=PAGE_EDIT_RESTRICTED,
        ),
    ],
    "journeys:editor_stage": [
        Case("GET", kw(element_id="stage.pk"), expect=PAGE_EDIT, restricted=PAGE_EDIT_RESTRICTED),
        Case(
            "POST",
            kw(element_id="stage.pk"),
            data=lambda o: {"title": "Renamed", "expected_version": o.stage.version},
            expect=PAGE_EDIT,
            restricted=PAGE_EDIT_RESTRICTED,
        ),
    ],
    "journeys:editor_stage_move": [
        Case(
            "POST",
            kw(element_id="stage.pk"),
            data=lambda o: {"position": 1, "expected_version": o.stage.version},
            expect=PAGE_EDIT,
            restricted=PAGE_EDIT_RESTRICTED,
        ),
    ],
    "journeys:editor_stage_delete": [
        Case(
            "POST",
            kw(element_id="stage.pk"),
            data=lambda o: {"expected_version": o.stage.version},
            expect=PAGE_EDIT,
            restricted=PAGE_EDIT_RESTRICTED,
        ),
    ],
    "journeys:editor_step_add": [
        Case(
            "POST",
            kw(stage_id="stage.pk"),
            data={"position": 0},
            expect=PAGE_EDIT,
            restricted=PAGE_EDIT_RESTRICTED,
        ),
    ],
    "journeys:editor_step": [
        Case("GET", kw(element_id="step.pk"), expect=PAGE_EDIT, restricted=PAGE_EDIT_RESTRICTED),
        Case(
            "POST",
            kw(element_id="step.pk"),
            data=lambda o: {"title": "Renamed", "expected_version": o.step.version},
            expect=PAGE_EDIT,
            restricted=PAGE_EDIT_RESTRICTED,
        ),
    ],
    "journeys:editor_step_move": [
        Case(
            "POST",
            kw(element_id="step.pk"),
            data=lambda o: {"position": 1, "expected_version": o.step.version},
            expect=PAGE_EDIT,
            restricted=PAGE_EDIT_RESTRICTED,
        ),
    ],
    "journeys:editor_step_delete": [
        Case(
            "POST",
            kw(element_id="step.pk"),
            data=lambda o: {"expected_version": o.step.version},
            expect=PAGE_EDIT,
            restricted=PAGE_EDIT_RESTRICTED,
        ),
    ],
    "journeys:editor_lane": [
        Case("GET", kw(element_id="lane.pk"), expect=PAGE_EDIT, restricted=PAGE_EDIT_RESTRICTED),
        Case(
            "POST",
            kw(element_id="lane.pk"),
            data=lambda o: {"kind": "metrics", "expected_version": o.lane.version},
            expect=PAGE_EDIT,
            restricted=PAGE_EDIT_RESTRICTED,
        ),
    ],
    "journeys:editor_lane_move": [
        Case(
            "POST",
            kw(element_id="lane.pk"),
            data=lambda o: {"position": 0, "expected_version": o.lane.version},
            expect=PAGE_EDIT,
            restricted=PAGE_EDIT_RESTRICTED,
        ),
    ],
    "journeys:editor_lane_delete": [
        Case(
            "POST",
            kw(element_id="lane.pk"),
            data=lambda o: {"expected_version": o.lane.version},
            expect=PAGE_EDIT,
            restricted=PAGE_EDIT_RESTRICTED,
        ),
    ],
    # Cards: `emotion_card` (the restricted journey's cards all sit in its emotion lane).
    "journeys:editor_card_new": [
        Case(
            "GET",
            kw(pk="journey.pk"),
            query={"lane": ref("lane.pk"), "step": ref("step.pk")},
            expect=PAGE_EDIT,
            restricted=PAGE_EDIT_RESTRICTED,
        ),
    ],
    "journeys:editor_card_add": [
        Case(
            "POST",
            kw(pk="journey.pk"),
            data={"lane": ref("lane.pk"), "step": ref("step.pk"), "text": "New finding"},
            expect=PAGE_EDIT,
            restricted=PAGE_EDIT_RESTRICTED,
        ),
    ],
    # One card as the map shows it (read mode): everyone who sees the map (comment counts refresh).
    "journeys:editor_card": [
        Case("GET", kw(card_id="emotion_card.pk"), expect=PAGE_VIEW, restricted=PAGE_VIEW_RESTRICTED),
    ],
    "journeys:editor_card_edit": [
        Case("GET", kw(card_id="emotion_card.pk"), expect=PAGE_EDIT, restricted=PAGE_EDIT_RESTRICTED),
        Case(
            "POST",
            kw(card_id="emotion_card.pk"),
            data=lambda o: {
                "text": "Changed",
                "emotion_score": "2",
                "expected_version": o.emotion_card.version,
            },
            expect=PAGE_EDIT,
            restricted=PAGE_EDIT_RESTRICTED,
        ),
    ],
    "journeys:editor_card_move": [
        Case(
            "POST",
            kw(card_id="emotion_card.pk"),
            data=lambda o: {"to_lane": o.lane.pk, "position": 0, "expected_version": o.emotion_card.version},
            expect=PAGE_EDIT,
            restricted=PAGE_EDIT_RESTRICTED,
        ),
    ],
    "journeys:editor_card_delete": [
        Case(
            "POST",
            kw(card_id="emotion_card.pk"),
            data=lambda o: {"expected_version": o.emotion_card.version},
            expect=PAGE_EDIT,
            restricted=PAGE_EDIT_RESTRICTED,
        ),
    ],
    # ---- Initiatives (prioritization/views/initiatives.py, api/initiatives.py). Initiatives are the
    # workspace's: members read, admins and editors write (the manager is a viewer by role: 403), outsiders
    # get 404; the list, board, help and create pages are of the reader's current workspace (the outsider
    # gets theirs). Linking a card and targeting a metric also need to see its journey: on the restricted
    # journey the editor's link or target is refused (400 naming the field, or 404 for what they cannot
    # see). `initiative`: a proposed initiative; `linked_initiative`: one addressing `pain_card`;
    # `initiative_target`: one targeting `metric` (both on the journey under test); `delivery_link`: a Jira
    # issue of `initiative`.
    "prioritization:initiatives": [Case("GET", expect=PAGE_MEMBER)],
    "prioritization:initiative_board": [Case("GET", expect=PAGE_MEMBER)],
    "prioritization:outcomes_help": [Case("GET", expect=PAGE_MEMBER)],
    "prioritization:initiative_create": [
        Case("GET", expect=INITIATIVE_PAGE_OWN),
        Case(
            "POST",
            data={"title": "New initiative", "baseline_days": 90, "after_days": 90},
            expect=INITIATIVE_WRITE_OWN,
        ),
    ],
    "prioritization:initiative": [Case("GET", kw(pk="initiative.pk"), expect=PAGE_VIEW)],
    "prioritization:initiative_edit": [
        Case("GET", kw(pk="initiative.pk"), expect=RESEARCH_PAGE_WRITE),
        Case(
            "POST",
            kw(pk="initiative.pk"),
            data={"title": "Renamed", "baseline_days": 90, "after_days": 90, "expected_version": 1},
            expect=INITIATIVE_WRITE,
        ),
    ],
    "prioritization:initiative_delete": [
        Case("GET", kw(pk="initiative.pk"), expect=RESEARCH_PAGE_WRITE),
        Case(
            "POST",
            kw(pk="initiative.pk"),
            data={"expected_version": 1, "confirm": "on"},
            expect=INITIATIVE_WRITE,
        ),
    ],
    "prioritization:initiative_status": [
        Case(
            "POST",
            kw(pk="initiative.pk"),
            data={"status": "planned", "expected_version": 1},
            expect=INITIATIVE_WRITE,
        ),
    ],
    "prioritization:initiative_cards": [
        Case("GET", kw(pk="initiative.pk"), query={"q": "tax"}, expect=RESEARCH_PAGE_WRITE),
        Case(
            "POST",
            kw(pk="initiative.pk"),
            data=lambda o: {"card": o.pain_card.pk},
            expect=INITIATIVE_WRITE,
            restricted=(302, 404, 403, 400, 403, 302),
        ),
    ],
    "prioritization:initiative_card_unlink": [
        Case(
            "POST",
            kw(pk="linked_initiative.pk", card_id="pain_card.pk"),
            expect=INITIATIVE_WRITE,
            restricted=(302, 404, 403, 404, 403, 302),
        ),
    ],
    "prioritization:initiative_targets": [
        Case("GET", kw(pk="initiative.pk"), expect=RESEARCH_PAGE_WRITE),
        Case(
            "POST",
            kw(pk="initiative.pk"),
            data=lambda o: {
                "metric": o.metric.pk,
                "expected_direction": "up",
                "expected_size": "1",
                "size_unit": "absolute",
                "expected_version": 1,
            },  # fmt: skip
            expect=INITIATIVE_WRITE,
            restricted=(302, 404, 403, 200, 403, 302),
            form_again=True,
        ),
    ],
    "prioritization:initiative_target": [
        Case(
            "GET",
            kw(pk="initiative_target.pk"),
            expect=RESEARCH_PAGE_WRITE,
            restricted=(302, 404, 403, 404, 403, 200),
        ),
        Case(
            "POST",
            kw(pk="initiative_target.pk"),
            data=lambda o: {
                "expected_direction": "down",
                "expected_size": "2",
                "size_unit": "absolute",
                "expected_version": o.initiative_target.initiative.version,
            },  # fmt: skip
            expect=INITIATIVE_WRITE,
            restricted=(302, 404, 403, 404, 403, 302),
        ),
    ],
    "prioritization:initiative_target_remove": [
        Case(
            "POST",
            kw(pk="initiative_target.pk"),
            expect=INITIATIVE_WRITE,
            restricted=(302, 404, 403, 404, 403, 302),
        ),
    ],
    "prioritization:initiative_links": [
        Case("GET", kw(pk="initiative.pk"), expect=RESEARCH_PAGE_WRITE),
        Case(
            "POST",
            kw(pk="initiative.pk"),
            data={"provider": "jira", "key": "ONB-2", "url": "https://acme.atlassian.net/browse/ONB-2"},
            expect=INITIATIVE_WRITE,
        ),
    ],
    "prioritization:delivery_link_remove": [Case("POST", kw(pk="delivery_link.pk"), expect=INITIATIVE_WRITE)],
    "prioritization-api:initiative-list": [
        Case("GET", kw(pk="workspace.pk"), expect=API_VIEW),
        Case("POST", kw(pk="workspace.pk"), data={"title": "New initiative"}, expect=RESEARCH_CREATE),
    ],
    "prioritization-api:initiative-detail": [
        Case("GET", kw(pk="initiative.pk"), expect=API_VIEW),
        Case(
            "PATCH",
            kw(pk="initiative.pk"),
            data={"title": "Renamed", "expected_version": 1},
            expect=RESEARCH_EDIT,
        ),
        Case("DELETE", kw(pk="initiative.pk"), query={"expected_version": 1}, expect=RESEARCH_DELETE),
    ],
    "prioritization-api:initiative-status": [
        Case(
            "POST",
            kw(pk="initiative.pk"),
            data={"status": "planned", "expected_version": 1},
            expect=RESEARCH_EDIT,
        ),
    ],
    "prioritization-api:initiative-cards": [
        Case("GET", kw(pk="linked_initiative.pk"), expect=API_VIEW, restricted=API_VIEW),
        Case(
            "POST",
            kw(pk="initiative.pk"),
            data=lambda o: {"card": o.pain_card.pk},
            expect=RESEARCH_CREATE,
            restricted=(401, 404, 403, 400, 403, 201),
        ),
    ],
    "prioritization-api:initiative-card": [
        Case(
            "DELETE",
            kw(pk="linked_initiative.pk", card_id="pain_card.pk"),
            expect=RESEARCH_DELETE,
            restricted=(401, 404, 403, 404, 403, 204),
        ),
    ],
    "prioritization-api:initiative-targets": [
        Case("GET", kw(pk="initiative_target.initiative.pk"), expect=API_VIEW, restricted=API_VIEW),
        Case(
            "POST",
            kw(pk="initiative.pk"),
            data=lambda o: {"metric": o.metric.pk, "expected_direction": "up", "expected_size": 1},
            expect=RESEARCH_CREATE,
            restricted=(401, 404, 403, 400, 403, 201),
        ),
    ],
    "prioritization-api:initiative-target": [
        Case(
            "PATCH",
            kw(pk="initiative_target.pk"),
            data=lambda o: {"expected_size": 2, "expected_version": o.initiative_target.initiative.version},
            expect=RESEARCH_EDIT,
            restricted=(401, 404, 403, 404, 403, 200),
        ),
        Case(
            "DELETE",
            kw(pk="initiative_target.pk"),
            query=lambda o: {"expected_version": o.initiative_target.initiative.version},
            expect=RESEARCH_DELETE,
            restricted=(401, 404, 403, 404, 403, 204),
        ),
    ],
    "prioritization-api:initiative-outcome": [
        Case("GET", kw(pk="initiative_target.initiative.pk"), expect=API_VIEW, restricted=API_VIEW),
    ],
    "prioritization-api:initiative-delivery-links": [
        Case("GET", kw(pk="initiative.pk"), expect=API_VIEW),
        Case(
            "POST",
            kw(pk="initiative.pk"),
            data={"provider": "jira", "key": "ONB-2", "url": "https://acme.atlassian.net/browse/ONB-2"},
            expect=RESEARCH_CREATE,
        ),
    ],
    "prioritization-api:delivery-link": [Case("DELETE", kw(pk="delivery_link.pk"), expect=RESEARCH_DELETE)],
    # ---- Prioritization: the queue (prioritization/views/queue.py, api/queue.py). Every member reads it; it
    # holds cards of journeys the reader can see. The pages are of the current workspace, so the outsider is
    # served their own; the API names the workspace (outsiders 404).
    "prioritization:queue": [
        Case("GET", expect=PAGE_MEMBER),
        Case(
            "GET",
            expect=PAGE_MEMBER,
            query={"kind": "pain_points", "sort": "impact", "unscored": "on"},
            headers={"HX-Request": "true"},
            label="htmx",
        ),
    ],
    "prioritization:queue_matrix": [Case("GET", expect=PAGE_MEMBER, query={"confidence": "assumption"})],
    "prioritization:queue_export": [Case("GET", expect=PAGE_MEMBER, query={"quadrant": "quick_wins"})],
    "prioritization-api:queue": [
        Case("GET", kw(pk="workspace.pk"), expect=API_VIEW, query={"sort": "evidence", "stale": "true"}),
    ],
    # ---- Delivery sync (prioritization/views/integrations.py, views/webhooks.py, api/integrations.py):
    # integrations and outbound webhooks hold secrets, so only workspace admins see or change them; other
    # members get 403, outsiders 404 (the list and create pages are of the reader's current workspace: the
    # outsider, admin of their own, gets theirs). Writes answer with a redirect to the page.
    "prioritization:integrations": [Case("GET", expect=SYNC_PAGE_OWN)],
    "prioritization:integration_create": [
        Case("GET", expect=SYNC_PAGE_OWN),
        Case("POST", data={"provider": "jira", "name": "New Jira", "active": "on"}, expect=SYNC_WRITE_OWN),
    ],
    "prioritization:integration": [
        Case("GET", kw(pk="integration.pk"), expect=SYNC_PAGE),
        Case(
            "POST",
            kw(pk="integration.pk"),
            data=lambda o: {
                "name": "Jira (renamed)",
                "active": "on",
                "expected_version": o.integration.version,
                "mapping_name": ["Done"],
                "mapping_status": ["shipped"],
            },  # fmt: skip
            expect=SYNC_WRITE,
        ),
    ],
    "prioritization:integration_rotate": [
        Case(
            "POST",
            kw(pk="integration.pk"),
            data={"expected_version": ref("integration.version")},
            expect=SYNC_WRITE,
        )
    ],
    # Without API access "check now" queues nothing and says why (a redirect to the page).
    "prioritization:integration_poll": [Case("POST", kw(pk="integration.pk"), expect=SYNC_WRITE)],
    "prioritization:integration_delete": [
        Case("GET", kw(pk="integration.pk"), expect=SYNC_PAGE),
        Case(
            "POST",
            kw(pk="integration.pk"),
            data={"expected_version": ref("integration.version")},
            expect=SYNC_WRITE,
        ),
    ],
    # What Jira and Asana call: no session, CSRF-exempt; the signature is the authentication. Whoever is
    # signed in, a call with a wrong signature is 401 (with WWW-Authenticate) and changes nothing.
    "prioritization:jira_webhook": [
        Case(
            "POST",
            kw(token="integration.token"),
            data={
                "issue": {
                    "key": "PROJ-1",
                    "fields": {"status": {"name": "Done"}, "updated": "2026-03-02T10:00:00.000+0000"},
                }
            },
            format="json",
            headers={"X-Hub-Signature": "sha256=" + "0" * 64, "X-Atlassian-Webhook-Identifier": "forged"},
            expect=(401,) * 6,
        )
    ],
    "prioritization:asana_webhook": [
        Case(
            "POST",
            kw(token="asana_integration.token"),
            data={
                "events": [
                    {
                        "action": "changed",
                        "created_at": "2026-03-02T10:00:00.000Z",
                        "resource": {"gid": "1201", "resource_type": "task"},
                    }
                ]
            },  # fmt: skip
            format="json",
            headers={"X-Hook-Signature": "0" * 64},
            expect=(401,) * 6,
        ),
        # A handshake with another secret than the one Asana sent first: refused, the secret stays.
        Case(
            "POST",
            kw(token="asana_integration.token"),
            format="json",
            headers={"X-Hook-Secret": "f" * 64},
            label="handshake",
            expect=(401,) * 6,
        ),
    ],
    "prioritization:webhooks": [Case("GET", expect=SYNC_PAGE_OWN)],
    "prioritization:webhook_create": [
        Case("GET", expect=SYNC_PAGE_OWN),
        Case("POST", data={"url": "https://hooks.example.com/new", "active": "on"}, expect=SYNC_WRITE_OWN),
    ],
    "prioritization:webhook": [
        Case("GET", kw(pk="webhook.pk"), expect=SYNC_PAGE),
        Case(
            "POST",
            kw(pk="webhook.pk"),
            data=lambda o: {"url": "https://hooks.example.com/moved", "expected_version": o.webhook.version},
            expect=SYNC_WRITE,
        ),
    ],
    "prioritization:webhook_rotate": [
        Case(
            "POST", kw(pk="webhook.pk"), data={"expected_version": ref("webhook.version")}, expect=SYNC_WRITE
        )
    ],
    "prioritization:webhook_test": [Case("POST", kw(pk="webhook.pk"), expect=SYNC_WRITE)],
    "prioritization:webhook_delete": [
        Case("GET", kw(pk="webhook.pk"), expect=SYNC_PAGE),
        Case(
            "POST", kw(pk="webhook.pk"), data={"expected_version": ref("webhook.version")}, expect=SYNC_WRITE
        ),
    ],
    "prioritization:webhook_deliveries": [Case("GET", kw(pk="webhook.pk"), expect=SYNC_PAGE)],
    "prioritization:delivery_resend": [Case("POST", kw(pk="webhook_delivery.pk"), expect=SYNC_WRITE)],
    "prioritization-api:integration-list": [
        Case("GET", kw(pk="workspace.pk"), expect=SYNC_API),
        Case(
            "POST",
            kw(pk="workspace.pk"),
            data={"provider": "jira", "name": "API Jira"},
            expect=(401, 404, 403, 403, 403, 201),
        ),
    ],
    "prioritization-api:integration-detail": [
        Case("GET", kw(pk="integration.pk"), expect=SYNC_API),
        Case(
            "PATCH",
            kw(pk="integration.pk"),
            data={"expected_version": ref("integration.version"), "status_mapping": {"Done": "shipped"}},
            expect=SYNC_API,
        ),
        Case(
            "DELETE",
            kw(pk="integration.pk"),
            query={"expected_version": ref("integration.version")},
            expect=(401, 404, 403, 403, 403, 204),
        ),
    ],
    "prioritization-api:integration-rotate": [
        Case(
            "POST",
            kw(pk="integration.pk"),
            data={"expected_version": ref("integration.version")},
            expect=SYNC_API,
        )
    ],
    "prioritization-api:integration-deliveries": [Case("GET", kw(pk="integration.pk"), expect=SYNC_API)],
    "prioritization-api:webhook-list": [
        Case("GET", kw(pk="workspace.pk"), expect=SYNC_API),
        Case(
            "POST",
            kw(pk="workspace.pk"),
            data={"url": "https://hooks.example.com/api", "events": ["score.changed"]},
            expect=(401, 404, 403, 403, 403, 201),
        ),
    ],
    "prioritization-api:webhook-detail": [
        Case("GET", kw(pk="webhook.pk"), expect=SYNC_API),
        Case(
            "PATCH",
            kw(pk="webhook.pk"),
            data={"expected_version": ref("webhook.version"), "active": False},
            expect=SYNC_API,
        ),
        Case(
            "DELETE",
            kw(pk="webhook.pk"),
            query={"expected_version": ref("webhook.version")},
            expect=(401, 404, 403, 403, 403, 204),
        ),
    ],
    "prioritization-api:webhook-rotate": [
        Case("POST", kw(pk="webhook.pk"), data={"expected_version": ref("webhook.version")}, expect=SYNC_API)
    ],
    "prioritization-api:webhook-test": [
        Case("POST", kw(pk="webhook.pk"), expect=(401, 404, 403, 403, 403, 202))
    ],
    "prioritization-api:webhook-deliveries": [Case("GET", kw(pk="webhook.pk"), expect=SYNC_API)],
    "prioritization-api:webhook-delivery-resend": [
        Case("POST", kw(pk="webhook_delivery.pk"), expect=(401, 404, 403, 403, 403, 202))
    ],
    # ---- Prioritization: scoring (prioritization/views/scoring.py). A card's score is its journey's: people
    # who see the journey read it, people with edit on it score it (the manager's grant gives edit; the HTMX
    # answer is the panel with the write). `pain_card`: a pain point added to the journey under test.
    "prioritization:card_score": [
        Case("GET", kw(card_id="pain_card.pk"), expect=PAGE_VIEW, restricted=PAGE_VIEW_RESTRICTED),
        Case(
            "POST",
            kw(card_id="pain_card.pk"),
            data={"action": "save", "expected_version": "0", "value-customer_impact": "4"},
            headers={"HX-Request": "true"},
            expect=PAGE_EDIT,
            restricted=PAGE_EDIT_RESTRICTED,
        ),
        Case(
            "POST",
            kw(card_id="scored_card.pk"),
            data={"action": "clear", "expected_version": "1"},
            headers={"HX-Request": "true"},
            label="clear",
            expect=PAGE_EDIT,
            restricted=PAGE_EDIT_RESTRICTED,
        ),
    ],
    "prioritization:card_score_history": [
        Case("GET", kw(card_id="scored_card.pk"), expect=PAGE_VIEW, restricted=PAGE_VIEW_RESTRICTED),
    ],
    # The scoring model is the workspace's: members read it, only admins make a new version (then sent back
    # to the page).
    "prioritization:scoring_model": [
        Case("GET", kw(pk="workspace.pk"), expect=PAGE_VIEW),
        Case(
            "POST",
            kw(pk="workspace.pk"),
            data=lambda o: _scoring_model_form(o),
            expect=(302, 404, 403, 403, 403, 302),
        ),
    ],
    "prioritization:scoring_help": [Case("GET", expect=PAGE_MEMBER)],
    # ---- Prioritization API: scoring (prioritization/api/scoring.py). The model: members read, admins make a
    # version; a card's score: its journey's readers read it, people with edit on it set and clear it.
    "prioritization-api:scoring-model-list": [
        Case("GET", kw(pk="workspace.pk"), expect=API_VIEW),
        Case(
            "POST",
            kw(pk="workspace.pk"),
            data=lambda o: _scoring_model_json(o),
            expect=(401, 404, 403, 403, 403, 201),
        ),
    ],
    "prioritization-api:scoring-model-current": [Case("GET", kw(pk="workspace.pk"), expect=API_VIEW)],
    "prioritization-api:scoring-model-detail": [Case("GET", kw(pk="scoring_model.pk"), expect=API_VIEW)],
    "prioritization-api:card-score": [
        Case("GET", kw(pk="pain_card.pk"), expect=API_VIEW, restricted=API_VIEW_RESTRICTED),
        Case(
            "PUT",
            kw(pk="pain_card.pk"),
            data={"values": {"customer_impact": 4}, "expected_version": 0},
            expect=API_EDIT,
            restricted=API_EDIT_RESTRICTED,
        ),
        Case(
            "DELETE",
            kw(pk="scored_card.pk"),
            query={"expected_version": 1},
            expect=API_DELETE,
            restricted=API_DELETE_RESTRICTED,
        ),
    ],
    "prioritization-api:card-score-history": [
        Case("GET", kw(pk="scored_card.pk"), expect=API_VIEW, restricted=API_VIEW_RESTRICTED),
    ],
    "prioritization-api:journey-card-scores": [
        Case("GET", kw(pk="journey.pk"), expect=API_VIEW, restricted=API_VIEW_RESTRICTED),
    ],
}


# Extra objects a case can name in a dotted path; each builder takes the objects and returns the thing.
def _import_job(o):
    imports.register(TEAMS)
    return imports.create_job(
        importer=TEAMS,
        user=o.admin,
        target={"workspace": o.workspace.pk},
        filename="teams.csv",
        data=b"name\nOps\n",
    )


def _research_trash(o):
    evidence = research_services.evidence_create(
        workspace_id=o.workspace.pk, by=o.admin, text="Deleted, then put back.", tags=["Billing"]
    )
    research_services.link_create(evidence_id=evidence.pk, by=o.admin, card=o.emotion_card.pk)
    return research_services.evidence_delete(evidence_id=evidence.pk, by=o.admin)


def _metric(o):
    metric = metrics_services.metric_create(
        journey_id=o.journey.pk, by=o.admin, step=o.step.pk, name="Onboarding NPS", kind="nps"
    )
    metrics_services.measurement_upsert(metric_id=metric.pk, by=o.admin, date=date(2025, 1, 31), value=30)
    return metric


def _asana_integration(o):
    integration = integration_services.integration_create(
        workspace_id=o.workspace.pk, by=o.admin, provider="asana", name="Asana", api_token="pat"
    )
    integration_services.integration_handshake_accept(integration_id=integration.pk, secret="a" * 64)
    integration.refresh_from_db()
    return integration


def _linked_initiative(o):
    made = initiative_services.initiative_create(
        workspace_id=o.workspace.pk, by=o.admin, title="Trust portal"
    )
    initiative_services.initiative_card_link(initiative_id=made.pk, card_id=o.pain_card.pk, by=o.admin)
    return made


def _pain_card(o):
    """A pain point on the journey under test (a lane of pain points added to it)."""
    lane = journey_services.lane_create(
        journey_id=o.journey.pk, by=o.admin, title="Pain points", kind="pain_points"
    )
    return journey_services.card_create(
        lane_id=lane.pk, step_id=o.step.pk, by=o.admin, text="Setup asks for a tax id"
    )


def _scoring_model_form(o):
    """The scoring model page's form as an admin sends it: the current criteria, effort weighing 3."""
    model = prioritization_services.scoring_model_ensure_default(workspace_id=o.workspace.pk)
    criteria = list(model.criteria.all())
    data = {
        "criteria-TOTAL_FORMS": str(len(criteria)),
        "criteria-INITIAL_FORMS": str(len(criteria)),
        "criteria-MIN_NUM_FORMS": "0",
        "criteria-MAX_NUM_FORMS": "12",
        "expected_version": str(model.number),
    }
    for i, c in enumerate(criteria):
        data |= {f"criteria-{i}-{k}": v for k, v in (("key", c.key), ("name", c.name), ("weight", c.weight))}
        data |= {f"criteria-{i}-meaning_{v}": m for v, m in enumerate(c.meanings, start=1)}
        data[f"criteria-{i}-description"] = c.description
        if c.lower_is_better:
            data[f"criteria-{i}-lower_is_better"] = "on"
    data["criteria-2-weight"] = "3"
    return data


def _scoring_model_json(o):
    """A new version of the scoring model as the API takes it: the current criteria, effort weighing 3."""
    model = prioritization_services.scoring_model_ensure_default(workspace_id=o.workspace.pk)
    criteria = [
        {"key": c.key, "name": c.name, "weight": 3 if c.key == "effort" else c.weight,
         "lower_is_better": c.lower_is_better, "meanings": c.meanings}
        for c in model.criteria.all()
    ]  # fmt: skip
    return {"criteria": criteria, "expected_version": model.number}


BUILDERS: dict[str, Any] = {
    # An import job of the admin's (the tests' own importer of teams: the machinery, apart from any app).
    "import_job": lambda o: _import_job(o),
    "map_version": lambda o: versioning.version_save(journey_id=o.journey.pk, by=o.admin, label="Baseline"),
    # A deleted card of the journey under test (every journey of the matrix has an emotion card).
    "trashed_card": lambda o: journey_services.card_delete(card_id=o.emotion_card.pk, by=o.admin),
    "comment": lambda o: journey_comments.comment_create(
        card_id=o.emotion_card.pk, by=o.admin, body="Where is this from?"
    ),
    # An open invitation to the workspace, sent to the outsider's address, for the invitation pages.
    "invitation": lambda o: account_services.invitation_create(
        workspace=o.workspace, email=o.outsider.email, role="editor", by=o.admin
    ),
    # The editor's API token, made before the request: asking for it again then changes nothing.
    "editor_token": lambda o: Token.objects.get_or_create(user=o.editor)[0],
    # A future-state copy of the journey under test (a restricted journey's copy keeps its grants).
    "future_state": lambda o: structure.journey_copy(
        journey_id=o.journey.pk, by=o.admin, title="Future state", as_future_state=True
    ),
    "saved_view": lambda o: structure.saved_view_create(
        journey_id=o.journey.pk, by=o.admin, name="Customer-facing", hidden_lanes=[o.lane.pk]
    ),
    # Research of the workspace; the link is on the journey under test (its emotion card: the restricted
    # journey's cards all sit in its emotion lane).
    "study": lambda o: research_services.study_create(
        workspace_id=o.workspace.pk, by=o.admin, title="Checkout interviews", method="interviews"
    ),
    "evidence": lambda o: research_services.evidence_create(
        workspace_id=o.workspace.pk,
        by=o.admin,
        study=o.study.pk,
        text="I could not find the invoice.",
        tags=["Billing"],
    ),
    "evidence_link": lambda o: research_services.link_create(
        evidence_id=o.evidence.pk, by=o.admin, card=o.emotion_card.pk
    ),
    # Deleted evidence (in the research trash) that was linked to the emotion card of the journey under test.
    "research_trash": lambda o: _research_trash(o),
    "research_tag": lambda o: research_services.tag_create(
        workspace_id=o.workspace.pk, by=o.admin, name="Pricing"
    ),
    "other_research_tag": lambda o: research_services.tag_create(
        workspace_id=o.workspace.pk, by=o.admin, name="Checkout"
    ),
    # A metric on a step of the journey under test, with one measurement.
    "metric": lambda o: _metric(o),
    # That metric's measurement (a step's metric of the journey under test).
    "measurement": lambda o: _metric(o).measurements.get(),
    # Delivery sync of the workspace: a Jira integration, an Asana one that has had its handshake, an
    # outbound webhook and a delivery of it (a test; queued on commit, which a test transaction never does).
    "integration": lambda o: integration_services.integration_create(
        workspace_id=o.workspace.pk, by=o.admin, provider="jira", name="Jira Cloud"
    ),
    "asana_integration": lambda o: _asana_integration(o),
    "webhook": lambda o: webhook_services.webhook_create(
        workspace_id=o.workspace.pk, by=o.admin, url="https://hooks.example.com/tl"
    ),
    # Scoring: a pain point on the journey under test, the same scored, the workspace's scoring model.
    "pain_card": lambda o: _pain_card(o),
    "scored_card": lambda o: (
        prioritization_services.score_set(
            card_id=o.pain_card.pk, by=o.admin, values={"customer_impact": 4}
        ).card
    ),
    "scoring_model": lambda o: prioritization_services.scoring_model_ensure_default(
        workspace_id=o.workspace.pk
    ),
    "webhook_delivery": lambda o: webhook_services.webhook_send_test(webhook_id=o.webhook.pk, by=o.admin),
    # Initiatives of the workspace (prioritization/services/initiatives.py), made by the admin.
    "initiative": lambda o: initiative_services.initiative_create(
        workspace_id=o.workspace.pk, by=o.admin, title="Guided setup"
    ),
    "linked_initiative": lambda o: _linked_initiative(o),
    "initiative_target": lambda o: initiative_services.initiative_target_add(
        initiative_id=o.initiative.pk,
        by=o.admin,
        metric_id=o.metric.pk,
        expected_direction="up",
        expected_size=1,
    ),
    "delivery_link": lambda o: initiative_services.delivery_link_add(
        initiative_id=o.initiative.pk,
        by=o.admin,
        provider="jira",
        key="ONB-1",
        url="https://acme.atlassian.net/browse/ONB-1",
    ),  # fmt: skip
}


# ------------------------------------------------------------------------------------ URLconf walking


def _checked_routes():
    """(routes with a name, unnamed routes) of the URLconf, minus the admin and DEBUG's file serving."""
    named, unnamed = [], []
    for route in url_routes():
        if route.namespace.split(":", 1)[0] in EXCLUDED_NAMESPACES:
            continue
        if route.name is None:
            if not route.route.startswith(EXEMPT_UNNAMED_PREFIXES):
                unnamed.append(route.route)
            continue
        named.append(route)
    return named, unnamed


def _route(name: str):
    return next(route for route in url_routes() if route.name == name)


def test_every_url_has_expectations():
    named, unnamed = _checked_routes()
    missing = sorted({route.name for route in named} - set(EXPECTATIONS))
    assert not unnamed, f"URL patterns without a name (name them so the matrix can cover them): {unnamed}"
    assert not missing, (
        "URLs without a row in EXPECTATIONS (tests/test_authorization_matrix.py):\n  " + "\n  ".join(missing)
    )


def test_every_url_name_is_one_route():
    # The matrix reaches a route through its name: a second route under a name already taken would never be
    # requested (reverse() finds only one of them), so it would serve with no permission decision at all.
    routes: dict[str, list[str]] = {}
    for route in url_routes():
        if route.name:
            routes.setdefault(route.name, []).append(route.route)
    duplicates = {name: found for name, found in routes.items() if len(found) > 1}
    assert not duplicates, f"URL names used by more than one route: {duplicates}"


def test_every_row_names_a_url():
    all_names = {route.name for route in url_routes() if route.name}
    stale = sorted(set(EXPECTATIONS) - all_names)
    assert not stale, f"Rows for URLs that do not exist: {stale}"


def test_every_row_lists_a_method_once():
    # Two cases of one method are fine when they differ (a label, HTMX headers); unknown methods are not.
    for name, cases in EXPECTATIONS.items():
        assert cases, f"{name}: a row needs at least one case"
        for case in cases:
            assert case.method.upper() in HTTP_METHODS, f"{name}: unknown method {case.method}"
        labels = [
            (case.method.upper(), case.label, tuple(sorted((case.headers or {}).items()))) for case in cases
        ]
        assert len(labels) == len(set(labels)), f"{name}: two cases of one method need a label"


def test_walker_sees_included_namespaces():
    # The walker must descend into includes: the admin's namespaced names prove it does, and so do the API's
    # routes and the live stream, which sit two includes deep.
    names = {route.name for route in url_routes() if route.name}
    assert {"admin:index", "home", "journeys:live", "journeys-api:card-detail"} <= names
    checked = {route.name for route in _checked_routes()[0]}
    assert (
        "admin:index" not in checked and {"api-schema", "journeys:live", "accounts-api:auth-token"} <= checked
    )
    assert _route("journeys-api:card-detail").is_api and not _route("journeys:map").is_api


# ------------------------------------------------------------------------------------ the objects of a case


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Each case creates seven users; the production hasher (1.5M PBKDF2 rounds) would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class Objects:
    """The fixtures of a case by name; journey elements come from the journey under test."""

    def __init__(self, request, on: str):
        get = request.getfixturevalue
        for persona in PERSONAS[1:]:
            setattr(self, persona, get(persona))
        self.workspace = get("workspace")
        self.public_journey = get("journey")
        self.restricted_journey = get("restricted_journey")
        self.other_workspace = self.outsider.memberships.get().workspace
        self.team = account_services.team_create(
            workspace=self.workspace, name="Research guild", members=[self.editor, self.viewer]
        )
        self.journey = get(on)
        self.stage = self.journey.stages.order_by("position").first()
        self.step = self.journey.steps.order_by("stage__position", "position").first()
        self.lane = self.journey.lanes.exclude(kind="emotions").order_by("position").first()
        self.card = self.journey.cards.exclude(lane__kind="emotions").order_by("pk").first()
        self.emotion_card = self.journey.cards.filter(lane__kind="emotions").order_by("pk").first()

    def __getattr__(self, name):
        if name in BUILDERS:
            value = BUILDERS[name](self)
            setattr(self, name, value)
            return value
        raise AttributeError(f"No object “{name}” for the matrix: add a builder to BUILDERS.")


@functools.cache
def _is_api(name: str) -> bool:
    return _route(name).is_api


def _send(client, method: str, url: str, *, api: bool, data=None, headers=None):
    """One request the way a browser (form posts) or an API client (JSON) sends it."""
    headers = headers or {}
    if method in SAFE_METHODS:
        return client.generic(method, url, headers=headers)
    if api:
        return client.generic(
            method, url, json.dumps(data or {}), content_type="application/json", headers=headers
        )
    if method == "POST":
        return client.post(url, data or {}, headers=headers)
    return client.generic(
        method,
        url,
        urlencode(data or {}, doseq=True),
        content_type="application/x-www-form-urlencoded",
        headers=headers,
    )


def _body(response) -> bytes:
    return b"<stream>" if getattr(response, "streaming", False) else response.content[:300]


def _sent_to_login(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(resolve_url(settings.LOGIN_URL))


def _is_refusal(response, *, persona: str, case: Case) -> bool:
    """Did the server refuse this write? Then the database must be as it was before the request.

    Refusals: every 4xx/5xx; an anonymous visitor sent to sign in (302) or asked to (401); and a 200 to a
    case marked ``form_again`` (the form shown again with its errors)."""
    if response.status_code >= 400:
        return True
    if persona == "anonymous" and (response.status_code == 401 or _sent_to_login(response)):
        return True
    return case.form_again and response.status_code == 200


def _cases():
    for name, cases in sorted(EXPECTATIONS.items()):
        for index, case in enumerate(cases):
            ons = ["journey"] + (["restricted_journey"] if case.restricted is not None else [])
            for on in ons:
                for persona in PERSONAS:
                    tag = "-".join(filter(None, [case.label or str(index), case.method, on, persona]))
                    yield pytest.param(name, case, on, persona, id=f"{name}[{tag}]")


def _login(client, user) -> None:
    client.logout()
    if user is not None:
        client.force_login(user)


@pytest.mark.parametrize(("name", "case", "on", "persona"), list(_cases()))
def test_matrix(name, case, on, persona, request, client, db):
    objects = Objects(request, on)
    user = None if persona == "anonymous" else getattr(objects, persona)
    url = reverse(name, kwargs=_resolve(case.kwargs, objects) or None)
    query = _resolve(case.query, objects)
    if query:
        url = f"{url}?{urlencode(query, doseq=True)}"
    data = _resolve(case.data, objects)
    expected_location = _resolve(case.location, objects)
    expected = case.statuses(on)[persona]
    _login(client, user)

    method = case.method.upper()
    api = _is_api(name) if case.format is None else case.format == "json"
    is_write = method not in SAFE_METHODS
    before = database_rows() if is_write else None
    response = _send(client, method, url, api=api, data=data, headers=case.headers)

    assert response.status_code == expected, (
        f"{method} {url} as {persona}: expected {expected}, got {response.status_code}: {_body(response)!r}"
    )
    if response.status_code == 302:
        location = response["Location"]
        if expected_location is not None:
            assert location.split("?")[0] == expected_location, f"redirected to {location}"
        elif persona == "anonymous":
            assert _sent_to_login(response), f"anonymous sent to {location}"
    if response.status_code == 401:
        assert response.has_header("WWW-Authenticate"), "a 401 must say how to authenticate"
    if is_write and _is_refusal(response, persona=persona, case=case):
        changes = database_changes(before, database_rows())
        assert not changes, f"refused {method} {url} as {persona} still changed:\n" + "\n".join(changes)


# ------------------------------------------------------------------------------------ methods without a row


def _unlisted(name: str) -> list[str]:
    """The methods a row does not list. HEAD is left out where GET is listed: Django answers HEAD by running
    the GET view and dropping the body, so it can do nothing GET cannot."""
    listed = {case.method.upper() for case in EXPECTATIONS[name]}
    return [m for m in HTTP_METHODS if m not in listed and not (m == "HEAD" and "GET" in listed)]


def _allowed(response) -> set[str]:
    return {m.strip().upper() for m in response.get("Allow", "").split(",") if m.strip()}


def _route_params():
    for name, cases in sorted(EXPECTATIONS.items()):
        if not _unlisted(name) or name.split(":", 1)[0] in EXCLUDED_NAMESPACES:
            continue
        ons = ["journey"] + (["restricted_journey"] if any(c.restricted is not None for c in cases) else [])
        for on in ons:
            yield pytest.param(name, on, id=f"{name}[{on}]")


@pytest.mark.parametrize(("name", "on"), list(_route_params()))
def test_unlisted_methods_answer_405(name, on, request, client, db):
    """Every method a row does not list answers 405 and changes nothing, for every persona.

    The one leeway: a visitor who is not signed in may be sent to sign in (302/401) first, exactly as on the
    methods the row lists. OPTIONS may also answer 200 when its ``Allow`` header lists no method beyond the
    row's (DRF and Django's class-based views describe themselves that way)."""
    cases = EXPECTATIONS[name]
    listed = {case.method.upper() for case in cases}
    objects = Objects(request, on)
    url = reverse(name, kwargs=_resolve(cases[0].kwargs, objects) or None)
    query = _resolve(cases[0].query, objects)
    if query:
        url = f"{url}?{urlencode(query, doseq=True)}"
    api = _is_api(name) if cases[0].format is None else cases[0].format == "json"
    anonymous_refusals = {
        case.statuses(on)["anonymous"] for case in cases if on == "journey" or case.restricted
    }
    anonymous_refused = anonymous_refusals <= {302, 401}

    wrong: dict[str, list[str]] = {}  # what went wrong → the personas it happened to
    for persona in PERSONAS:
        _login(client, None if persona == "anonymous" else getattr(objects, persona))
        before = database_rows()
        for method in _unlisted(name):
            response = _send(client, method, url, api=api, headers=cases[0].headers)
            status, allow = response.status_code, _allowed(response) - {"HEAD", "OPTIONS"}
            if status == 405:
                # A 405 must tell the truth about what the route serves (RFC 9110: Allow is required).
                problem = None if allow == listed - {"HEAD", "OPTIONS"} else f"405 with Allow {sorted(allow)}"
            elif persona == "anonymous" and anonymous_refused and (status == 401 or _sent_to_login(response)):
                problem = None
            elif method == "OPTIONS" and status == 200 and response.has_header("Allow"):
                problem = None if allow <= listed else f"200 with Allow {sorted(allow)}"
            else:
                problem = f"{status}"
            if problem:
                wrong.setdefault(f"{method} → {problem}", []).append(persona)
        changes = database_changes(before, database_rows())
        if changes:
            wrong.setdefault("changed the database:\n" + "\n".join(changes), []).append(persona)
    assert not wrong, f"{url} (the row lists {sorted(listed)}):\n  " + "\n  ".join(
        f"{problem} for {', '.join(personas)}" for problem, personas in wrong.items()
    )


# ------------------------------------------------------------------------------------ the snapshot itself


def test_database_rows_see_every_kind_of_write(journey, admin, editor, viewer, workspace):
    # The "refused writes change nothing" check is only as good as the snapshot: prove it sees a new row,
    # a changed row whose table keeps its count, rows of auto-created many-to-many tables (team members,
    # comment mentions, user groups) and of third-party apps (guardian grants, DRF tokens).
    from django.contrib.auth.models import Group

    def changed_tables(write) -> set[str]:
        before = database_rows()
        write()
        return {change.split(":", 1)[0] for change in database_changes(before, database_rows())}

    lane = journey.lanes.order_by("position").first()
    step = journey.steps.order_by("stage__position", "position").first()
    card = journey_services.card_create(lane_id=lane.pk, step_id=step.pk, by=admin, text="New finding")
    assert {"journeys_card", "journeys_activity"} <= changed_tables(
        lambda: journey_services.card_create(lane_id=lane.pk, step_id=step.pk, by=admin, text="Another")
    )
    # An UPDATE keeps every count: only content shows it.
    assert "accounts_user" in changed_tables(
        lambda: type(viewer).objects.filter(pk=viewer.pk).update(first_name="C")
    )
    team = account_services.team_create(workspace=workspace, name="Guild", members=[editor])
    assert changed_tables(lambda: team.members.add(viewer)) == {"accounts_team_members"}
    assert "journeys_comment_mentions" in changed_tables(
        lambda: journey_comments.comment_create(card_id=card.pk, by=admin, body="Is this right, @charlie?")
    )
    group = Group.objects.create(name="Staff")
    assert changed_tables(lambda: viewer.groups.add(group)) == {"accounts_user_groups"}
    assert "journeys_journeyuserpermission" in changed_tables(
        lambda: journey_services.journey_grant_set(
            journey_id=journey.pk, by=admin, grantee=viewer, level="edit"
        )
    )
    assert changed_tables(lambda: Token.objects.create(user=viewer)) == {"authtoken_token"}
    # Sessions are in too: signing in writes a session (and the user's last_login).
    assert changed_tables(lambda: Client().force_login(viewer)) == {"django_session", "accounts_user"}


def test_database_rows_cover_every_table_of_every_model(db):
    from django.apps import apps

    tables = set(database_rows())
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy and model._meta.db_table not in VOLATILE_TABLES:
            assert model._meta.db_table in tables, model._meta.label
    # Each table left out is one that exists (a stale entry would hide nothing, but mislead the reader).
    assert set(VOLATILE_TABLES) <= set(database_tables())
