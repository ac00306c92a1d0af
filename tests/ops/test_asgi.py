"""config/asgi.py: under uvicorn, sync views run on the WSGI handler's thread pool and async views (the live
streams) on Django's ASGI handler; WEB_THREADS sizes the pool."""

import asyncio
import os
import subprocess
import sys

import pytest
from asgiref.testing import ApplicationCommunicator
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_started
from django.urls import reverse

from config import asgi


def test_only_async_views_are_served_by_the_asgi_handler():
    live = reverse("journeys:live", args=[7])

    assert asgi.serves_async(live) is True
    assert asgi.serves_async(reverse("journeys:map", args=[7])) is False
    assert asgi.serves_async("/api/v1/journeys/") is False
    assert asgi.serves_async("/no/such/page/") is False
    assert asgi.serves_async("/static/css/app.css") is False
    # Mounted under a prefix (a proxy's root_path): the path is resolved without it.
    assert asgi.serves_async(f"/throughline{live}", root_path="/throughline") is True
    assert asgi.serves_async("/throughline/accounts/login/", root_path="/throughline") is False


def _get(path: str) -> tuple[list, int]:
    """GET `path` through config.asgi.application; the handlers that saw it start, and the status."""
    seen = []

    def started(sender, **kwargs):
        seen.append(sender)

    request_started.connect(started)
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"", "headers": [
            (b"host", b"testserver")], "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
    }  # fmt: skip

    async def exchange():
        app = ApplicationCommunicator(asgi.application, scope)
        await app.send_input({"type": "http.request", "body": b"", "more_body": False})
        start = await app.receive_output(timeout=20)
        while (await app.receive_output(timeout=20)).get("more_body"):
            pass
        return start["status"]

    try:
        status = asyncio.run(exchange())
    finally:
        request_started.disconnect(started)
    return seen, status


@pytest.mark.django_db(transaction=True)
def test_a_page_goes_through_the_wsgi_handler_and_a_live_stream_through_the_asgi_handler():
    page_handlers, page_status = _get(reverse("accounts:login"))
    live_handlers, live_status = _get(reverse("journeys:live", args=[7]))

    assert (page_handlers, page_status) == ([WSGIHandler], 200)
    assert (live_handlers, live_status) == ([ASGIHandler], 302)  # signed out: to the sign-in page


def web_threads(**env: str) -> subprocess.CompletedProcess:
    """settings.WEB_THREADS as config/settings.py loads it in a clean process with these variables."""
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; "
         "print(settings.WEB_THREADS)"],
        cwd=settings.BASE_DIR,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "ENV_FILE": os.devnull,
             "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "1", **env},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_web_threads_come_from_the_environment_and_zero_is_refused():
    default, three, refused = web_threads(), web_threads(WEB_THREADS="3"), web_threads(WEB_THREADS="0")

    assert (default.returncode, default.stdout.strip()) == (0, "8"), default.stderr
    assert (three.returncode, three.stdout.strip()) == (0, "3"), three.stderr
    assert refused.returncode == 1
    assert "ImproperlyConfigured: WEB_THREADS must be at least 1 (got 0)." in refused.stderr
