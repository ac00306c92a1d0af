"""core.serializers.FieldsOnce: a ModelSerializer's fields worked out once per class, each instance bound to
its own copies (so one reader's context never answers for another)."""

import pytest
from rest_framework import serializers

from accounts.api import UserBriefOut
from accounts.models import User
from core.serializers import FieldsOnce


class _PersonOut(FieldsOnce, serializers.ModelSerializer):
    seen_by = serializers.SerializerMethodField()  # answers from the context: bound to each instance
    friend = UserBriefOut(source="*", read_only=True)  # nested: deep-copied, bound to each instance
    builds = 0

    class Meta:
        model = User
        fields = ["id", "username", "seen_by", "friend"]
        read_only_fields = fields

    def build_field(self, *args, **kwargs):
        type(self).builds += 1
        return super().build_field(*args, **kwargs)

    def get_seen_by(self, obj):
        return self.context["reader"]


@pytest.mark.django_db
def test_fields_are_worked_out_once_and_bound_to_each_instance():
    person = User.objects.create_user(username="ann", first_name="Ann", last_name="Lee")
    first = _PersonOut(person, context={"reader": "bob"})
    second = _PersonOut(person, context={"reader": "cy"})

    assert first.data["seen_by"] == "bob" and second.data["seen_by"] == "cy"
    assert (
        first.data["friend"]
        == second.data["friend"]
        == {"id": person.pk, "username": "ann", "name": "Ann Lee"}
    )
    assert _PersonOut.builds == 2  # id and username, built from the model for the first instance only
    for name in ("username", "seen_by", "friend"):
        assert first.fields[name] is not second.fields[name], name
        assert first.fields[name].parent is first and second.fields[name].parent is second, name
    assert first.fields["friend"].fields["name"].root is first
    prototype = _PersonOut._fields_prototype
    assert all(getattr(field, "parent", None) is None for field in prototype.values())  # never bound
