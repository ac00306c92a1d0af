"""The visibility rule is written in Python (journeys.access.journey_level, for one journey) and in SQL
twice: Journey.objects.visible_to (lists) and journeys.access.with_access (journey_for's one query: the
role and grants it decides the level from). They must agree on every persona × visibility × grant
combination, or a list would show a journey its page refuses (or hide one it serves), or a page would
give another right than the rule."""

import itertools

import pytest
from django.http import Http404

from accounts import services as account_services
from accounts.models import Role
from journeys import access, services
from journeys.models import Journey, Visibility
from tests import factories

ROLES = [None, Role.VIEWER, Role.EDITOR, Role.ADMIN]  # None: not a member (an outsider)
VISIBILITIES = [Visibility.WORKSPACE, Visibility.RESTRICTED]
GRANTS = [None, "user:view", "user:edit", "user:manage", "team:view", "team:edit", "team:manage"]
OWNS = [False, True]


@pytest.fixture
def setting(db):
    owner = factories.make_user("owner")
    workspace = factories.make_workspace("Rules Inc", admin=owner)
    return owner, workspace


def _case(setting, role, visibility, grant, owns, n):
    owner, workspace = setting
    person = factories.make_user(f"p{n}")
    if role is not None:
        factories.add_member(workspace, person, role)
    else:
        factories.make_workspace(f"Elsewhere {n}", admin=person)
    journey = factories.make_journey(workspace, by=owner, title=f"J{n}", visibility=visibility)
    if owns:
        if role is None:
            return None  # an owner is always a member: not a real combination
        Journey.objects.filter(pk=journey.pk).update(owner=person)
    if grant is not None:
        if role is None:
            return None  # grants go to members only (the service refuses others)
        kind, level = grant.split(":")
        grantee = person
        if kind == "team":
            grantee = account_services.team_create(workspace=workspace, name=f"Team {n}", members=[person])
        services.journey_grant_set(journey_id=journey.pk, by=owner, grantee=grantee, level=level)
    return person, journey


def test_python_and_sql_visibility_agree_on_every_combination(setting):
    checked = 0
    for n, (role, visibility, grant, owns) in enumerate(itertools.product(ROLES, VISIBILITIES, GRANTS, OWNS)):
        made = _case(setting, role, visibility, grant, owns, n)
        if made is None:
            continue
        person, journey = made
        journey = Journey.objects.get(pk=journey.pk)
        level = access.journey_level(person, journey, access.role_in(person, journey.workspace_id))
        listed = Journey.objects.visible_to(person).filter(pk=journey.pk).exists()
        assert (level is not None) == listed, (role, visibility, grant, owns, level, listed)
        try:
            served = access.journey_for(person, journey.pk).access_level
        except Http404:
            served = None
        assert served == level, (role, visibility, grant, owns, level, served)
        checked += 1
    # 3 member roles × 2 visibilities × 7 grants × 2 ownerships + outsiders × 2 visibilities
    assert checked == 3 * 2 * 7 * 2 + 2


def test_the_rules_give_the_expected_levels_on_a_few_known_cases(setting):
    """Agreement alone could hide both being wrong: pin the meaning of a few cases."""
    owner, workspace = setting
    viewer = factories.add_member(workspace, factories.make_user("v"), Role.VIEWER)
    editor = factories.add_member(workspace, factories.make_user("e"), Role.EDITOR)
    open_journey = factories.make_journey(workspace, by=owner, title="Open")
    closed = factories.make_journey(workspace, by=owner, title="Closed", visibility=Visibility.RESTRICTED)
    assert access.journey_level(viewer, open_journey, Role.VIEWER) == access.VIEW
    assert access.journey_level(editor, open_journey, Role.EDITOR) == access.EDIT
    assert access.journey_level(editor, closed, Role.EDITOR) is None
    assert access.journey_level(owner, closed, Role.ADMIN) == access.MANAGE
    services.journey_grant_set(journey_id=closed.pk, by=owner, grantee=viewer, level=access.EDIT)
    assert access.journey_level(viewer, closed, Role.VIEWER) == access.EDIT
    assert set(Journey.objects.visible_to(editor).values_list("title", flat=True)) == {"Open"}
    assert set(Journey.objects.visible_to(viewer).values_list("title", flat=True)) == {"Open", "Closed"}
