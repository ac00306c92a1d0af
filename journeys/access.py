"""Who may do what with journeys. Pages, the API and services call these; only this module talks to
django-guardian. Workspace rules (membership, roles) come from accounts/access.py.

Outsiders (not a member of the journey's workspace, or a restricted journey they hold no grant on)
get 404 so nothing leaks; members who can see a thing but lack the right to change it get 403.

Levels rank view < edit < manage. A member's level on a journey is the highest of: their role's default
(admin → manage everywhere; editor → edit and viewer → view on workspace-visible journeys), manage for the
journey's owner, and any guardian grant to them or one of their teams.
"""

import functools

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import PermissionDenied
from django.db.models import CharField, Q
from django.db.models.expressions import RawSQL
from django.http import Http404
from guardian.shortcuts import assign_perm, remove_perm

from accounts.access import can_create_journeys, role_in, workspace_for, workspaces_of
from accounts.models import Membership, Role, Team, User
from core.text import parse_id

from .models import Journey, JourneyGroupPermission, JourneyUserPermission, Visibility

__all__ = [
    "EDIT", "LEVELS", "MANAGE", "VIEW", "can_copy", "can_create_journeys", "copy_need", "copyable",
    "grant_remove", "grant_set", "grants_of", "grants_forget_member", "journey_for", "journey_level",
    "people_who_see", "rank", "role_in", "visible_journey_ids", "visible_journeys", "with_access",
    "workspace_for", "workspaces_of",
]  # fmt: skip

VIEW, EDIT, MANAGE = "view", "edit", "manage"
LEVELS = (VIEW, EDIT, MANAGE)
_RANK = {None: 0, VIEW: 1, EDIT: 2, MANAGE: 3}
_PERM = {VIEW: "view_journey", EDIT: "change_journey", MANAGE: "manage_journey"}
_LEVEL_OF_PERM = {v: k for k, v in _PERM.items()}
_ROLE_LEVEL = {Role.ADMIN: MANAGE, Role.EDITOR: EDIT, Role.VIEWER: VIEW}


def rank(level) -> int:
    """The order of an access level: None 0 < view 1 < edit 2 < manage 3."""
    return _RANK[level]


def _granted_level(user, journey_id) -> str | None:
    """Highest level granted on one journey to the user directly or through a team (one query)."""
    user_perm, group_perm = JourneyUserPermission, JourneyGroupPermission
    codenames = list(
        user_perm.objects.filter(user_id=user.pk, content_object_id=journey_id)
        .values_list("permission__codename", flat=True)
        .union(
            group_perm.objects.filter(group__user=user.pk, content_object_id=journey_id).values_list(
                "permission__codename", flat=True
            )
        )
    )
    levels = [_LEVEL_OF_PERM[c] for c in codenames if c in _LEVEL_OF_PERM]
    return max(levels, key=rank, default=None)


def journey_level(user, journey, role: str | None) -> str | None:
    """The user's effective level on a journey: role default, ownership, and guardian grants."""
    if role is None:
        return None
    if role == Role.ADMIN or journey.owner_id == user.pk:
        return MANAGE
    return _level(journey, role, _granted_level(user, journey.pk))


def _level(journey, role: str, granted: str | None) -> str | None:
    level = _ROLE_LEVEL[role] if journey.visibility == Visibility.WORKSPACE else None
    # A viewer's role caps nothing on grants: an explicit edit grant to a viewer is the admin's decision.
    return granted if rank(granted) > rank(level) else level


# with_access's two annotations, for journey_for's query (its base table is the journey: `{journey}`).
_ROLE_SQL = """(SELECT m.role FROM {membership} m
    WHERE m.workspace_id = {journey}.workspace_id AND m.user_id = %s)"""
_GRANTED_SQL = """ARRAY(
    SELECT p.codename FROM {user_grant} g JOIN {permission} p ON p.id = g.permission_id
     WHERE g.content_object_id = {journey}.id AND g.user_id = %s
    UNION ALL
    SELECT p.codename FROM {team_grant} g JOIN {user_groups} ug ON ug.group_id = g.group_id
      JOIN {permission} p ON p.id = g.permission_id
     WHERE g.content_object_id = {journey}.id AND ug.user_id = %s)"""


@functools.cache
def _access_sql() -> tuple[str, str]:
    """with_access's SQL, with the models' table names (once).

    Written by hand rather than with Subquery/ArraySubquery: the ORM took longer to build and compile those
    three subqueries than PostgreSQL took to plan and run the whole query (make bench: about half of
    journey_for's time, on every page and API read of a journey), and the membership subquery brought
    Membership's default ordering along (two more joins and a sort)."""
    tables = {
        "journey": Journey._meta.db_table,
        "membership": Membership._meta.db_table,
        "user_grant": JourneyUserPermission._meta.db_table,
        "team_grant": JourneyGroupPermission._meta.db_table,
        "permission": JourneyUserPermission._meta.get_field("permission").related_model._meta.db_table,
        "user_groups": User.groups.through._meta.db_table,
    }
    return _ROLE_SQL.format(**tables), _GRANTED_SQL.format(**tables)


def with_access(queryset, user):
    """`queryset` of journeys annotated with what journey_level needs about `user`: their role in the
    journey's workspace (`access_role`) and the codenames granted to them directly or through a team
    (`access_granted`), so that `journey_for` reads the journey and decides access in one query (also under
    SELECT … FOR UPDATE OF the journey). Only for a query whose base table is the journey (see _access_sql);
    lists filter with `visible_to`."""
    role, granted = _access_sql()
    return queryset.annotate(
        # Table names from the models; the user's id is a parameter.
        access_role=RawSQL(role, [user.pk], output_field=CharField()),  # noqa: S611
        access_granted=RawSQL(granted, [user.pk, user.pk], output_field=ArrayField(CharField())),  # noqa: S611
    )


def journey_for(user, pk, *, need: str = VIEW, queryset=None, what: str = "journey"):
    """The journey with `.access_level` and `.role` set; 404 when the user cannot see it, 403 when they
    can see it but lack `need`. One query (journey, role and grants together).

    `pk` may be an expression, e.g. the journey of a card (`Subquery(Card… .values("journey_id"))`), so a
    write finds, locks and checks its journey in that one query; `what` names it in the 404 ("card")."""
    qs = queryset if queryset is not None else Journey.objects.select_related("workspace", "owner")
    missing = f"No such {what}."
    if not user.is_authenticated:
        raise Http404(missing)
    if isinstance(pk, str):  # typed in a query (`?with=`): "٣" would reach the database as 3
        pk = parse_id(pk)
        if pk is None:
            raise Http404(missing)
    try:
        journey = with_access(qs, user).get(pk=pk)
    except (Journey.DoesNotExist, ValueError, TypeError):
        raise Http404(missing) from None
    role = journey.access_role
    if role is None:
        level = None
    elif role == Role.ADMIN or journey.owner_id == user.pk:
        level = MANAGE
    else:
        codenames = journey.access_granted or ()
        granted = max((_LEVEL_OF_PERM[c] for c in codenames if c in _LEVEL_OF_PERM), key=rank, default=None)
        level = _level(journey, role, granted)
    if level is None:
        raise Http404(missing)
    if rank(level) < rank(need):
        raise PermissionDenied(f"You need {need} access to this journey.")
    journey.access_level = level
    journey.role = role
    return journey


def people_who_see(journey):
    """The users who can see `journey` (a User queryset, one query when read): every member of its
    workspace if it is workspace-visible; if restricted, the workspace's admins, its owner, and members
    holding a grant on it directly or through a team. The same rule as journey_level, from the journey's
    side (a test checks the two agree on every persona)."""
    in_workspace = Q(memberships__workspace_id=journey.workspace_id)  # one membership per workspace
    if journey.visibility == Visibility.WORKSPACE:
        return User.objects.filter(in_workspace)
    codenames = list(_PERM.values())
    granted = JourneyUserPermission.objects.filter(
        content_object_id=journey.pk, permission__codename__in=codenames
    ).values("user_id")
    team_granted = JourneyGroupPermission.objects.filter(
        content_object_id=journey.pk, permission__codename__in=codenames
    ).values("group_id")
    in_granted_team = User.groups.through.objects.filter(group_id__in=team_granted).values("user_id")
    # One .filter() call, so the role is read from the membership of this workspace (the same join).
    return User.objects.filter(
        in_workspace
        & (
            Q(memberships__role=Role.ADMIN)
            | Q(pk=journey.owner_id)
            | Q(pk__in=granted)
            | Q(pk__in=in_granted_team)
        )
    )


def visible_journeys(user, queryset=None):
    """Journeys the user may see (`Journey.objects.visible_to`, the SQL form of `journey_level`)."""
    qs = queryset if queryset is not None else Journey.objects.all()
    return qs.visible_to(user)


def grants_of(journey):
    """Every grant on a journey as (kind, id, name, level) tuples, highest level per grantee."""
    user_perm, group_perm = JourneyUserPermission, JourneyGroupPermission
    best = {}
    for row in user_perm.objects.filter(content_object=journey).values(
        "user_id", "user__username", "permission__codename"
    ):
        key = ("user", row["user_id"])
        level = _LEVEL_OF_PERM.get(row["permission__codename"])
        if level and rank(level) > rank(best.get(key, (None, None))[1]):
            best[key] = (row["user__username"], level)
    for row in group_perm.objects.filter(content_object=journey).values(
        "group__team__id", "group__team__name", "permission__codename"
    ):
        key = ("team", row["group__team__id"])
        level = _LEVEL_OF_PERM.get(row["permission__codename"])
        if level and rank(level) > rank(best.get(key, (None, None))[1]):
            best[key] = (row["group__team__name"], level)
    return [
        {"kind": kind, "id": pk, "name": name, "level": level}
        for (kind, pk), (name, level) in sorted(best.items(), key=lambda kv: (kv[0][0], kv[1][0] or ""))
    ]


def grant_set(*, journey, grantee: User | Team, level: str) -> None:
    """Replace the grantee's level on the journey (callers have checked `manage`)."""
    target = grantee.group if isinstance(grantee, Team) else grantee
    for perm in _PERM.values():
        remove_perm(f"journeys.{perm}", target, journey)
    assign_perm(f"journeys.{_PERM[level]}", target, journey)


def grant_remove(*, journey, grantee: User | Team) -> None:
    """Remove every grant the grantee holds on the journey."""
    target = grantee.group if isinstance(grantee, Team) else grantee
    for perm in _PERM.values():
        remove_perm(f"journeys.{perm}", target, journey)


def grants_forget_member(*, workspace, user) -> int:
    """Remove every grant the user holds on the workspace's journeys (they are no longer a member); the
    accounts.hooks callback for a removed member. Returns how many grant rows went."""
    deleted, _ = JourneyUserPermission.objects.filter(
        user_id=user.pk, content_object__workspace_id=workspace.pk
    ).delete()
    return deleted


def copy_need(journey) -> str:
    """The level copying a journey needs. A copy is a new journey its maker owns (and may open to the whole
    workspace), so the content of a restricted journey may only be copied by someone who already decides
    who sees it (manage); a workspace-visible journey, by anyone who sees it."""
    return MANAGE if journey.visibility == Visibility.RESTRICTED else VIEW


def can_copy(journey) -> bool:
    """Whether the person (with `journey.access_level` and `.role` from journey_for) may copy the journey:
    the workspace right to create journeys, and `copy_need` on the journey."""
    return can_create_journeys(journey.role) and rank(journey.access_level) >= rank(copy_need(journey))


def copyable(queryset, user):
    """The journeys of `queryset` the user sees and may copy as far as their audience goes (`copy_need`):
    workspace-visible ones, and restricted ones they manage (workspace admin, owner, or a manage grant to
    them or one of their teams). Still one query."""
    codename = _PERM[MANAGE]
    admin_of = Membership.objects.filter(user_id=user.pk, role=Role.ADMIN).values("workspace_id")
    managed = JourneyUserPermission.objects.filter(user_id=user.pk, permission__codename=codename)
    team_managed = JourneyGroupPermission.objects.filter(group__user=user.pk, permission__codename=codename)
    return queryset.visible_to(user).filter(
        Q(visibility=Visibility.WORKSPACE)
        | Q(workspace_id__in=admin_of)
        | Q(owner_id=user.pk)
        | Q(pk__in=managed.values("content_object_id"))
        | Q(pk__in=team_managed.values("content_object_id"))
    )


def visible_journey_ids(user, ids) -> list[int]:
    """Which of these journey ids the user can see (one query; none for no ids)."""
    ids = [pk for pk in ids if pk is not None]
    if not ids:
        return []
    return list(Journey.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))
