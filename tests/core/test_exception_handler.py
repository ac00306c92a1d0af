"""core.api.exception_handler: how the services' errors become API answers (400 by field, 409, 404, 413);
and the API's JSON answers to errors outside its views (handler400/404/500)."""

import json

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import PermissionDenied

from core.api import bad_request, error_dict, exception_handler, server_error
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


# ---------------------------------------------------------------------------------------------- outside views


def test_api_paths_no_endpoint_has_answer_json_404_and_pages_keep_the_html_page(client, admin):
    client.force_login(admin)

    answers = [client.get(path) for path in ("/api/v1/nope/", "/api/v1/cards/abc/", "/api/v1/journeys/1/x/")]
    page = client.get("/journeys/not-a-number/")

    for answer in answers:
        assert (answer.status_code, answer["Content-Type"], answer.json()) == (
            404,
            "application/json",
            {"detail": "Not found."},
        )
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")


def test_a_body_past_the_upload_limit_is_413_json_naming_the_limit_and_changes_nothing(
    journey, editor, client
):
    card = journey.cards.order_by("pk").first()
    token = Token.objects.create(user=editor).key
    body = json.dumps({"text": "x" * (3 * 1024 * 1024), "expected_version": card.version})

    answer = client.patch(
        f"/api/v1/cards/{card.pk}/",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )

    assert (answer.status_code, answer.json()) == (
        413,
        {"detail": "The request body is larger than 2.5 MB, the most this endpoint reads."},
    )
    card.refresh_from_db()
    assert card.text != "x" * (3 * 1024 * 1024)


def test_bad_request_and_server_error_answer_json_under_the_api_only(rf):
    api, page = rf.get("/api/v1/journeys/"), rf.get("/journeys/")

    assert (bad_request(api, None).status_code, json.loads(bad_request(api, None).content)) == (
        400,
        {"detail": "Bad request."},
    )
    assert (server_error(api).status_code, json.loads(server_error(api).content)) == (
        500,
        {"detail": "Server error."},
    )
    assert bad_request(page, None)["Content-Type"].startswith("text/html")
    assert server_error(page)["Content-Type"].startswith("text/html")
