"""People outside the workspace are never revealed: every endpoint, page and form that takes a user or team
id answers an id of someone in another workspace exactly as an id nobody has (same status, same bytes, no
name) and changes nothing. Each case runs twice, with a foreign id and an unknown one, and the answers are
compared byte for byte (pages after blanking their CSRF tokens, which differ on every render).

`CASES` walks accounts and journeys: team creation and team members (API and pages), member role change
and removal (API and pages), journey grants set and removed (API and page), the journey owner (API create
and update, settings page), the journey list's owner filter (API and page) and @mentions in comments."""

import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import services as account_services
from accounts.models import Role
from tests import factories

UNKNOWN = 987_654_321


@dataclass
class Case:
    name: str
    method: str
    url: Any  # callable(objects) -> str
    data: Any = None  # callable(objects, the id) -> dict
    query: Any = None  # callable(objects, the id) -> dict
    api: bool = True
    kind: str = "user"  # which foreign id: "user" or "team"
    user_in_url: bool = False


def _ws(o):
    return o.workspace.pk


CASES = [
    # ---- accounts: API
    Case("team create (API)", "POST", lambda o: reverse("accounts-api:team-list", args=[_ws(o)]),
         data=lambda o, i: {"name": "Squad", "members": [o.editor.pk, i]}),
    Case("team members (API)", "PATCH",
         lambda o: reverse("accounts-api:team-detail", args=[_ws(o), o.team.pk]),
         data=lambda o, i: {"members": [o.editor.pk, i]}),
    Case("team detail (API)", "GET", lambda o, i: reverse("accounts-api:team-detail", args=[_ws(o), i]),
         kind="team", user_in_url=True),
    Case("member role (API)", "PATCH", lambda o, i: reverse("accounts-api:member-detail", args=[_ws(o), i]),
         data=lambda o, i: {"role": "admin"}, user_in_url=True),
    Case("member remove (API)", "DELETE",
         lambda o, i: reverse("accounts-api:member-detail", args=[_ws(o), i]), user_in_url=True),
    # ---- accounts: pages
    Case("team create (page)", "POST", lambda o: reverse("accounts:teams", args=[_ws(o)]), api=False,
         data=lambda o, i: {"name": "Squad", "members": [o.editor.pk, i]}),
    Case("team members (page)", "POST", lambda o: reverse("accounts:team_members", args=[_ws(o), o.team.pk]),
         api=False, data=lambda o, i: {"members": [o.editor.pk, i]}),
    Case("team members of a foreign team (page)", "POST",
         lambda o, i: reverse("accounts:team_members", args=[_ws(o), i]), api=False, kind="team",
         user_in_url=True, data=lambda o, i: {"members": [o.editor.pk]}),
    Case("member role (page)", "POST", lambda o, i: reverse("accounts:member_role", args=[_ws(o), i]),
         api=False, data=lambda o, i: {"role": "admin"}, user_in_url=True),
    Case("member remove (page)", "POST", lambda o, i: reverse("accounts:member_remove", args=[_ws(o), i]),
         api=False, user_in_url=True),
    # ---- journeys: API
    Case("grant set (API)", "POST", lambda o: reverse("journeys-api:journey-grants", args=[o.journey.pk]),
         data=lambda o, i: {"user": i, "level": "view"}),
    Case("grant set to a team (API)", "POST",
         lambda o: reverse("journeys-api:journey-grants", args=[o.journey.pk]), kind="team",
         data=lambda o, i: {"team": i, "level": "view"}),
    Case("grant remove (API)", "DELETE",
         lambda o: reverse("journeys-api:journey-grants", args=[o.journey.pk]),
         query=lambda o, i: {"user": i}),
    Case("grant remove of a team (API)", "DELETE",
         lambda o: reverse("journeys-api:journey-grants", args=[o.journey.pk]), kind="team",
         query=lambda o, i: {"team": i}),
    Case("journey owner on create (API)", "POST", lambda o: reverse("journeys-api:journey-list"),
         data=lambda o, i: {"workspace": o.workspace.pk, "title": "New", "owner": i}),
    Case("journey owner on update (API)", "PATCH",
         lambda o: reverse("journeys-api:journey-detail", args=[o.journey.pk]),
         data=lambda o, i: {"owner": i, "expected_version": o.journey.version}),
    Case("journey list by owner (API)", "GET", lambda o: reverse("journeys-api:journey-list"),
         query=lambda o, i: {"owner": i}),
    # ---- journeys: pages
    Case("grant set (page)", "POST", lambda o: reverse("journeys:access", args=[o.journey.pk]), api=False,
         data=lambda o, i: {"grantee": f"user:{i}", "level": "view"}),
    Case("grant set to a team (page)", "POST", lambda o: reverse("journeys:access", args=[o.journey.pk]),
         api=False, kind="team", data=lambda o, i: {"grantee": f"team:{i}", "level": "view"}),
    Case("grant remove (page)", "POST", lambda o: reverse("journeys:access_remove", args=[o.journey.pk]),
         api=False, data=lambda o, i: {"grantee": f"user:{i}"}),
    Case("journey owner (settings page)", "POST", lambda o: reverse("journeys:settings", args=[o.journey.pk]),
         api=False, data=lambda o, i: {
             "title": o.journey.title, "level": o.journey.level, "state": o.journey.state, "owner": i,
             "visibility": o.journey.visibility, "expected_version": o.journey.version}),
    Case("journey list by owner (page)", "GET", lambda o: reverse("journeys:list"), api=False,
         query=lambda o, i: {"owner": i}),
]  # fmt: skip

CSRF = re.compile(rb'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+')


class Objects:
    pass


@pytest.fixture
def objects(admin, workspace, editor, viewer, outsider, journey):
    o = Objects()
    o.admin, o.workspace, o.editor, o.viewer, o.outsider = admin, workspace, editor, viewer, outsider
    o.journey = journey
    o.team = account_services.team_create(workspace=workspace, name="Core", members=[editor])
    other = outsider.memberships.get().workspace
    o.foreign_user = factories.add_member(other, factories.make_user("zoe", first_name="Zoe"), Role.EDITOR)
    o.foreign_team = account_services.team_create(workspace=other, name="Secret squad", members=[outsider])
    return o


def _snapshot():
    """Every row of every table (auto-created many-to-many tables included), to prove nothing changed."""
    rows = {}
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            table = model._meta.db_table
            if table.startswith(("django_session", "axes_")):
                continue
            cursor.execute(f'SELECT * FROM "{table}" ORDER BY 1')  # noqa: S608 (table names from the models)
            rows[table] = cursor.fetchall()
    return rows


def _answer(client, case, o, the_id):
    url = case.url(o, the_id) if case.user_in_url else case.url(o)
    data = case.data(o, the_id) if case.data else None
    query = case.query(o, the_id) if case.query else None
    if case.api:
        response = getattr(client, case.method.lower())(
            url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""),
            data=json.dumps(data) if data is not None else None,
            content_type="application/json",
        )
    elif case.method == "GET":
        response = client.get(url, query or {})
    else:
        response = getattr(client, case.method.lower())(url, data or {})
    body = CSRF.sub(rb"\1<csrf>", response.content)
    if case.method == "GET" and query:  # the page repeats its own query (links, the filter form): not a leak
        body = re.sub(rb"(owner=|owner&#x3D;)" + str(the_id).encode() + rb"\b", rb"\1<id>", body)
    return response.status_code, body


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_foreign_id_is_answered_like_an_unknown_one(client, objects, case):
    o = objects
    client.force_login(o.admin)
    api = APIClient()
    api.force_login(o.admin)
    the_client = api if case.api else client
    foreign = o.foreign_team.pk if case.kind == "team" else o.foreign_user.pk
    before = _snapshot()

    foreign_answer = _answer(the_client, case, o, foreign)
    after_foreign = _snapshot()
    unknown_answer = _answer(the_client, case, o, UNKNOWN)

    assert foreign_answer == unknown_answer
    status, body = foreign_answer
    assert status in (200, 302, 400, 404), status
    for secret in (b"Zoe", b"zoe", b"Mallory", b"mallory", b"Secret squad", b"Other Corp"):
        assert secret not in body
    assert after_foreign == before == _snapshot()
