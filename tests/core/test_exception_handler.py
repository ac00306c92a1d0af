"""core.api.exception_handler: how the services' errors become API answers (400 by field, 409, 404)."""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import PermissionDenied

from core.api import error_dict, exception_handler
from core.errors import Conflict
from journeys.api.journeys import StageOut


def test_a_validation_error_is_400_by_field():
    exc = DjangoValidationError({"title": "Too long.", NON_FIELD_ERRORS: ["Pick one."]})
    response = exception_handler(exc, {})
    assert response.status_code == 400
    assert response.data == {"title": ["Too long."], "non_field_errors": ["Pick one."]}
    assert error_dict(DjangoValidationError("No field.")) == {"non_field_errors": ["No field."]}


def test_a_conflict_is_409_with_the_object_as_it_is_now(journey):
    stage = journey.stages.order_by("position").first()
    response = exception_handler(Conflict(stage), {})
    assert response.status_code == 409
    assert response.data == {
        "detail": "This was changed by someone else since you loaded it.",
        "current": StageOut(stage).data,
    }


def test_a_conflict_on_a_model_without_a_serializer_says_only_why(admin):
    response = exception_handler(Conflict(admin, message="Changed meanwhile."), {})
    assert response.status_code == 409
    assert response.data == {"detail": "Changed meanwhile."}


def test_a_conflict_with_nothing_left_is_404():
    response = exception_handler(Conflict(None), {})
    assert response.status_code == 404
    assert response.data == {"detail": "This was deleted by someone else."}


def test_other_errors_are_drf_s_own():
    response = exception_handler(PermissionDenied(), {})
    assert response.status_code == 403
    assert response.data == {"detail": "You do not have permission to perform this action."}
