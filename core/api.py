"""The project-wide DRF exception handler (REST_FRAMEWORK["EXCEPTION_HANDLER"]) and the API's answers to
errors outside its views.

The handler turns the services' django `ValidationError` into 400 `{field: [messages]}` and their
`Conflict` into 409 `{"detail": …, "current": <the object as it is now>}` (404 when the object is gone), and
a body past DATA_UPLOAD_MAX_MEMORY_SIZE into 413 `{"detail": …}` naming the limit. Apps say how the
`current` object of their models is written with `conflict_serializer(Model, Serializer)`.

`bad_request`, `not_found` and `server_error` (config/urls.py's handler400/404/500) answer JSON `{"detail":
…}` under /api/ — a path no endpoint has (`/api/v1/cards/abc/`), a request Django refuses before any view —
and Django's pages elsewhere.
"""

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.views import defaults
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import Conflict

_CONFLICT_SERIALIZERS: dict[type, type] = {}


def conflict_serializer(model: type, serializer: type) -> None:
    """Register the serializer that writes a `model` instance as the `current` of a 409 answer."""
    _CONFLICT_SERIALIZERS[model] = serializer


def error_dict(exc: DjangoValidationError) -> dict[str, list[str]]:
    """A django ValidationError as `{field: [messages]}` (non-field errors under NON_FIELD_ERRORS_KEY)."""
    if hasattr(exc, "error_dict"):
        return {
            (api_settings.NON_FIELD_ERRORS_KEY if name == NON_FIELD_ERRORS else name): messages
            for name, messages in exc.message_dict.items()
        }
    return {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}


def exception_handler(exc, context):
    """DRF's handler, plus the services' errors: ValidationError → 400 by field, Conflict → 409 with the
    current object (404 when it is gone)."""
    if isinstance(exc, Conflict):
        if exc.current is None:
            exc = NotFound("This was deleted by someone else.")
        else:
            body = {"detail": str(exc)}
            out = _CONFLICT_SERIALIZERS.get(type(exc.current))
            if out is not None:
                body["current"] = out(exc.current).data
            return Response(body, status=status.HTTP_409_CONFLICT)
    elif isinstance(exc, DjangoValidationError):
        exc = ValidationError(detail=error_dict(exc))
    elif isinstance(exc, RequestDataTooBig):
        exc = BodyTooLarge()
    elif isinstance(exc, TooManyFieldsSent):
        exc = ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [str(exc)]})
    return drf_exception_handler(exc, context)


class BodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"

    def __init__(self):
        megabytes = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)
        super().__init__(f"The request body is larger than {megabytes:g} MB, the most this endpoint reads.")


API_PREFIX = "/api/"


def _api(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


def bad_request(request, exception):
    """handler400: JSON under /api/ (what Django refused, e.g. a disallowed host or a broken multipart)."""
    if _api(request):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return defaults.bad_request(request, exception)


def not_found(request, exception):
    """handler404: JSON under /api/ ("Not found.", as DRF's own 404s say), the page elsewhere."""
    if _api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """handler500: JSON under /api/, the page elsewhere (the error itself goes to the log, as always)."""
    if _api(request):
        return JsonResponse({"detail": "Server error."}, status=500)
    return defaults.server_error(request)
