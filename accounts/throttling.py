"""Throttling of the doors anyone can knock on: sign-in (page and API token) and password reset.

Sign-in uses django-axes. A lockout is keyed by the *combination* of username and client IP address
(``AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]``): after ``AXES_FAILURE_LIMIT`` wrong passwords
for one username from one address, that pair is refused (even with the right password) until the cool-off
(``AXES_COOLOFF_MINUTES``) has passed; every refused try restarts it. Keying by username alone would let
anyone lock every colleague out by typing their names; keying by address alone would lock a whole office
behind one NAT out because of one person. The price of the combination: an attacker with many addresses
gets ``limit`` guesses per address; strong passwords (Django's validators) make that useless.

Password reset answers the same page whether or not an address has an account, and the email is sent by
a Celery task, so the answer takes the same time either way (no oracle). Requests are counted in Redis:
more than ``PASSWORD_RESET_LIMIT_PER_IP`` an hour from one address answers 429; more than
``PASSWORD_RESET_LIMIT_PER_EMAIL`` an hour for one address sends nothing more (and says the same as
always), so the form cannot be used to flood someone's mailbox.
"""

import hashlib
import logging
from datetime import timedelta

import redis
from axes.backends import AxesStandaloneBackend
from axes.helpers import get_client_ip_address, get_cool_off
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render

log = logging.getLogger(__name__)

LOCKED_OUT = (
    "Too many failed sign-ins for this account from your network. Try again in {wait}, "
    "or reset your password."
)
RESET_TOO_OFTEN = "Too many password reset requests from your network. Try again in an hour."
RESET_WINDOW = 3600  # seconds


class SignInThrottleBackend(AxesStandaloneBackend):
    """Refuses sign-in attempts of a locked-out username+address pair (first in AUTHENTICATION_BACKENDS).

    A call without a request (the shell, a management command) has no client to throttle: it is left to
    the next backend instead of failing as django-axes does."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_address(request) -> str | None:
    """The client's address that throttling counts (AXES_CLIENT_IP_CALLABLE): with TRUSTED_PROXY_COUNT = N
    above 0, the N-th entry from the right of X-Forwarded-For — each of the N proxies in front appends the
    address it was reached from, so entries left of those were written by the client and are ignored (the
    rule of Werkzeug's ProxyFix(x_for=N)); otherwise, or when the header holds fewer entries, the
    connection's address (REMOTE_ADDR). None when there is neither."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        entries = [e.strip() for e in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if e.strip()]
        if len(entries) >= proxies:
            return entries[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def _wait_text(delta: timedelta | None) -> str:
    minutes = max(1, round((delta or timedelta(minutes=15)).total_seconds() / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def lockout_response(request, original_response=None, credentials=None):
    """The answer to a locked-out sign-in: 429 with Retry-After; JSON for the API, a page for people.

    (django-axes calls this with `(request, response, credentials)`, or `(request, credentials)` from its
    async path: only the request is used.)"""
    cool_off = get_cool_off(request)
    message = LOCKED_OUT.format(wait=_wait_text(cool_off))
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, "accounts/locked_out.html", {"message": message}, status=429)
    if cool_off:
        response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response


# ------------------------------------------------------------------------------------ password reset

_client = None


def _redis():
    global _client
    if _client is None:
        _client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    return _client


def _count(key: str) -> int:
    """One more hit on `key` in the current hour-long window; 0 when Redis cannot be reached (fail open:
    a broken Redis must not stop people from resetting their password)."""
    try:
        pipe = _redis().pipeline()
        pipe.set(key, 0, ex=RESET_WINDOW, nx=True)  # the window starts with the first hit
        pipe.incr(key)
        _, count = pipe.execute()
    except redis.RedisError:
        log.warning("Password reset throttle: Redis unreachable; request not counted.", exc_info=True)
        return 0
    return int(count)


def _prefix() -> str:
    # Tests give each test its own prefix, so counters never carry over from one test (or run) to the next.
    return getattr(settings, "THROTTLE_KEY_PREFIX", "throttle")


def _digest(value: str) -> str:
    # Keys hold digests, not addresses: Redis needs no personal data to count.
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def password_reset_client_allowed(request) -> bool:
    """Count a reset request from the client's address; False once it made too many this hour."""
    ip = get_client_ip_address(request) or "unknown"
    return _count(f"{_prefix()}:pwreset:ip:{_digest(ip)}") <= settings.PASSWORD_RESET_LIMIT_PER_IP


def password_reset_email_allowed(email_key: str) -> bool:
    """Count a reset request for an address; False once it was asked for too often this hour."""
    key = f"{_prefix()}:pwreset:email:{_digest(email_key)}"
    return _count(key) <= settings.PASSWORD_RESET_LIMIT_PER_EMAIL


def password_reset_too_often(request):
    return render(request, "accounts/locked_out.html", {"message": RESET_TOO_OFTEN}, status=429)
