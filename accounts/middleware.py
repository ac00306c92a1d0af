"""Response headers every page carries besides Django's own security headers and django-csp's policy."""

from django.conf import settings
from django.utils.deprecation import MiddlewareMixin


def permissions_policy(features: dict[str, list[str]]) -> str:
    """`{"camera": [], "fullscreen": ["self"]}` → `camera=(), fullscreen=(self)` (origins other than `self`
    and `*` are quoted, as the header's structured-field syntax needs)."""

    def origin(value: str) -> str:
        return value if value in ("self", "*") else f'"{value}"'

    return ", ".join(f"{name}=({' '.join(origin(o) for o in allowed)})" for name, allowed in features.items())


class PermissionsPolicyMiddleware(MiddlewareMixin):
    """Sets `Permissions-Policy` from settings.PERMISSIONS_POLICY: features the product never uses (camera,
    microphone, geolocation…) are off for our pages and anything they could embed. (MiddlewareMixin: sync
    and async, so the live streams keep running without a thread hop.)"""

    def __init__(self, get_response):
        super().__init__(get_response)
        self.header = permissions_policy(getattr(settings, "PERMISSIONS_POLICY", {}))

    def process_response(self, request, response):
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response
