"""The API's pagination (REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"]): `limit` and `offset`, checked.

DRF's LimitOffsetPagination ignores junk (`limit=abc` gives the default page) and passes any number to the
database (`limit=9223372036854775808` is a 500: bigint out of range). Here a bad value is refused with 400
naming the parameter and the range, and the range is in the OpenAPI schema.
"""

from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.settings import api_settings

MAX_LIMIT = 500
MAX_OFFSET = 1_000_000_000


def query_int(params, name: str, *, default: int, minimum: int, maximum: int) -> int:
    """An integer query parameter in [minimum, maximum]; 400 naming it when it is not one."""
    raw = params.get(name)
    if raw is None:
        return default
    raw = raw.strip()
    digits = raw[1:] if raw[:1] in "+-" else raw
    value = int(raw) if digits.isascii() and digits.isdigit() and len(digits) <= 20 else None
    if value is None or not minimum <= value <= maximum:
        raise ValidationError({name: [f"Give a whole number from {minimum:,} to {maximum:,}."]})
    return value


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    default_limit = min(api_settings.PAGE_SIZE or 100, MAX_LIMIT)
    max_limit = MAX_LIMIT
    max_offset = MAX_OFFSET

    def paginate_queryset(self, queryset, request, view=None):
        # Both parameters are checked before the count query runs.
        self.get_limit(request)
        self.get_offset(request)
        return super().paginate_queryset(queryset, request, view)

    def get_limit(self, request):
        return query_int(
            request.query_params,
            self.limit_query_param,
            default=self.default_limit,
            minimum=1,
            maximum=self.max_limit,
        )

    def get_offset(self, request):
        return query_int(
            request.query_params, self.offset_query_param, default=0, minimum=0, maximum=self.max_offset
        )

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.limit_query_param,
                "required": False,
                "in": "query",
                "description": f"How many results to return (default {self.default_limit}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_limit},
            },
            {
                "name": self.offset_query_param,
                "required": False,
                "in": "query",
                "description": "How many results to skip.",
                "schema": {"type": "integer", "minimum": 0, "maximum": self.max_offset},
            },
        ]
