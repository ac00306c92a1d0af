"""What research's endpoints share: parsing input, `expected_version` of deletes, paginated lists and the
documented error answers (the exception handler, core.api, writes them)."""

import json
import re

from django.conf import settings
from django.core.validators import URLValidator
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import BaseParser
from rest_framework.response import Response

from core.api import conflict_serializer, error_dict
from core.serializers import INT_MAX, TextField, VersionField

from ..models import MAX_TAGS, TAG_MAX, URL_MAX


class VersionIn(serializers.Serializer):
    expected_version = VersionField(
        help_text="The version of the object you last saw (optimistic concurrency)."
    )


def parsed(serializer_class, data) -> dict:
    """The validated data of `serializer_class` for `data`; 400 `{field: [messages]}` otherwise."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def expected_version(request) -> int:
    """`expected_version` of a DELETE: from the query string or a JSON body."""
    data = request.query_params.dict()
    if isinstance(request.data, dict):
        data.update(request.data)
    return parsed(VersionIn, data)["expected_version"]


def choice_field(choices, **kwargs) -> serializers.ChoiceField:
    """A ChoiceField whose enum is written inline in the schema (no named component, so no clash with
    another app's choices of a field of the same name, e.g. a journey's `level`)."""

    return serializers.ChoiceField(choices=choices, **kwargs)


def created(request, out, obj) -> Response:
    """201 with `obj` written by the serializer `out`."""
    return Response(out(obj, context={"request": request}).data, status=status.HTTP_201_CREATED)


def no_content() -> Response:
    """204: done, nothing to say."""
    return Response(status=status.HTTP_204_NO_CONTENT)


class UrlField(TextField):
    """A link (http or https), one line, at most URL_MAX characters; empty allowed."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", URL_MAX)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("required", False)
        super().__init__(single_line=True, **kwargs)
        self.validators.append(URLValidator(message="Enter a valid URL (http:// or https://)."))


class TagNamesField(serializers.ListField):
    """Tag names of the workspace's taxonomy (made when new, matched without regard to case)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", f"At most {MAX_TAGS} tag names of at most {TAG_MAX} characters each.")
        kwargs.setdefault("required", False)
        super().__init__(child=TextField(max_length=TAG_MAX, single_line=True), max_length=MAX_TAGS, **kwargs)


CONFLICT_OF: dict = {}


def register_conflict(model, out) -> None:
    """Say how a 409 about `model` shows the current object, in the answer and in the schema."""
    conflict_serializer(model, out)
    CONFLICT_OF[model] = inline_serializer(
        name=f"{model.__name__}Conflict",
        fields={
            "detail": serializers.CharField(),
            "current": out(help_text="The object as it is now: reload it, reapply your change, send again."),
        },
    )


def error_responses(model=None, *, bad_input=True, what="this workspace") -> dict:
    """The documented error answers of an endpoint."""
    errors = {
        403: OpenApiResponse(description=f"You can see {what} but lack the right to change it."),
        404: OpenApiResponse(description="No such object, or you cannot see it."),
    }
    if bad_input:
        errors[400] = OpenApiResponse(description="Bad input: `{field: [messages]}`; nothing was changed.")
    if model is not None:
        errors[409] = OpenApiResponse(
            CONFLICT_OF[model], description="`expected_version` is stale: nothing was changed."
        )
    return errors


EXPECTED_VERSION_PARAM = OpenApiParameter(
    "expected_version", {"type": "integer", "minimum": 1, "maximum": INT_MAX}, OpenApiParameter.QUERY,
    required=True, description="The version you last saw; may also be sent in a JSON body.",
)  # fmt: skip


def nested_item_errors(exc, prefix: str) -> dict:
    """A service's errors keyed `prefix[<index>].<field>` as DRF writes a list of objects' errors:
    `{prefix: {"<index>": {field: [messages]}}}` (other keys as they are)."""
    out: dict = {}
    for key, messages in error_dict(exc).items():
        match = re.fullmatch(rf"{re.escape(prefix)}\[(\d+)\]\.(.+)", key)
        if match:
            out.setdefault(prefix, {}).setdefault(match[1], {})[match[2]] = messages
        else:
            out[key] = messages
    return out


# The bulk endpoint's body: 1,000 items of 20,000 characters of plain text each (the most a request may hold)
# are ~20 MB of JSON, far past Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) that every other request keeps.
BULK_BODY_MAX = 32 * 1024 * 1024


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    default_detail = (
        f"The request is larger than {BULK_BODY_MAX // (1024 * 1024)} MB: send fewer items per request."
    )


class BulkJSONParser(BaseParser):
    """JSON read straight from the request's stream, up to BULK_BODY_MAX bytes instead of Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE (DRF's own JSONParser goes through `request.body`, which applies it and
    answers a big batch with an HTML 400, and DRF reads any JSONParser subclass through it too, so this is
    not one: SPECTACULAR_SETTINGS' PARSER_WHITELIST names it for the schema); a larger body is a 413
    naming the limit, before it is read."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
        except ValueError:
            length = 0
        if length > BULK_BODY_MAX:
            raise PayloadTooLarge()
        raw = stream.read(BULK_BODY_MAX + 1) if stream is not None else b""
        if len(raw) > BULK_BODY_MAX:
            raise PayloadTooLarge()
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return json.loads(raw.decode(encoding))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
