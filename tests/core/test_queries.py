"""core.queries.CompiledRows: the SQL the ORM writes once, run again with other ids, gives what the queryset
gives, in one query, through Django's cursor and converters."""

import pytest
from django.db.models import Count

from accounts.models import Membership, Role
from core.models import ImportJob
from core.queries import CompiledRows
from tests import factories

pytestmark = pytest.mark.django_db

MEMBERS = CompiledRows(
    lambda workspace_id, user_id: (
        Membership.objects.filter(workspace_id=workspace_id)
        .exclude(user_id=user_id)
        .order_by("user__username")
        .values_list("user__username", "role")
    )
)
# A JSON column: psycopg hands Django the text and the field's converter (from_db_value) parses it.
JOBS = CompiledRows(
    lambda user_id: (
        ImportJob.objects.filter(created_by_id=user_id)
        .annotate(lines=Count("pk"))
        .order_by("pk")
        .values_list("kind", "target", "lines")
    )
)


def _queryset(workspace, user):
    qs = Membership.objects.filter(workspace_id=workspace.pk).exclude(user_id=user.pk)
    return list(qs.order_by("user__username").values_list("user__username", "role"))


def test_rows_are_what_the_queryset_gives_for_any_ids(django_assert_num_queries):
    alice, bob, cy = (factories.make_user(name) for name in ("alice", "bob", "cy"))
    one = factories.make_workspace("One", admin=alice)
    factories.add_member(one, bob, Role.EDITOR)
    factories.add_member(one, cy, Role.VIEWER)
    two = factories.make_workspace("Two", admin=bob)
    factories.add_member(two, cy, Role.EDITOR)

    for workspace, user in [(one, alice), (one, cy), (two, bob), (two, alice)]:
        with django_assert_num_queries(1):  # through Django's cursor: counted and logged like any query
            rows = MEMBERS(workspace_id=workspace.pk, user_id=user.pk)
        assert rows == _queryset(workspace, user), (workspace.name, user.username)
    assert MEMBERS(workspace_id=one.pk, user_id=alice.pk) == [("bob", Role.EDITOR), ("cy", Role.VIEWER)]


def test_converters_are_applied_as_the_orm_does():
    alice = factories.make_user("alice")
    for n in (1, 2):
        ImportJob.objects.create(
            kind="evidence", target={"study": n}, created_by=alice, filename="a.csv", size=1, data=b"x"
        )
    expected = list(
        ImportJob.objects.filter(created_by_id=alice.pk)
        .annotate(lines=Count("pk"))
        .order_by("pk")
        .values_list("kind", "target", "lines")
    )
    assert JOBS(user_id=alice.pk) == expected
    assert expected == [("evidence", {"study": 1}, 1), ("evidence", {"study": 2}, 1)]


def test_only_whole_number_ids_that_reach_the_sql():
    with pytest.raises(TypeError, match="whole|integer"):
        MEMBERS(workspace_id="1 OR 1=1", user_id=1)
    with pytest.raises(TypeError, match="Expected the ids"):
        MEMBERS(workspace_id=1)
    unused = CompiledRows(lambda workspace_id: Membership.objects.values_list("role"))
    with pytest.raises(TypeError, match="do not reach the SQL"):
        unused(workspace_id=1)
    instances = CompiledRows(lambda workspace_id: Membership.objects.filter(workspace_id=workspace_id))
    with pytest.raises(TypeError, match="values_list"):
        instances(workspace_id=1)
