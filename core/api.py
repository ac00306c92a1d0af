"""The project-wide DRF exception handler (REST_FRAMEWORK["EXCEPTION_HANDLER"]).

It turns the services' django `ValidationError` into 400 `{field: [messages]}` and their `Conflict` into
409 `{"detail": …, "current": <the object as it is now>}` (404 when the object is gone). Apps say how the
`current` object of their models is written with `conflict_serializer(Model, Serializer)`.
"""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
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
    return drf_exception_handler(exc, context)
