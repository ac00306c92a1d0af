"""config/asgi.py: under uvicorn, sync views run on the WSGI handler's thread pool and async views (the live
streams) on Django's ASGI handler; WEB_THREADS sizes the pool, and no thread waits on a slow client."""

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager, suppress

import httpx
import pytest
from asgiref.testing import ApplicationCommunicator
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import connection
from django.urls import reverse
from rest_framework.authtoken.models import Token

from config import asgi
from config.service_urls import child_env
from research import services as research_services
from research.models import Evidence
from tests.factories import PASSWORD


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


# ---------------------------------------------------------------------------------------------- bodies


def _exchange(scope: dict, messages: list[dict]) -> tuple[int, bytes]:
    """Send `scope` with these request messages through config.asgi.application: (status, body)."""

    async def run():
        app = ApplicationCommunicator(asgi.application, scope)
        for message in messages:
            await app.send_input(message)
        start = await app.receive_output(timeout=20)
        body = b""
        while True:
            part = await app.receive_output(timeout=20)
            body += part.get("body", b"")
            if not part.get("more_body"):
                return start["status"], body

    return asyncio.run(run())


def _scope(method: str, path: str, headers: list) -> dict:
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
        "headers": [(b"host", b"testserver"), *headers], "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_a_body_sent_in_chunks_without_a_length_reaches_the_view_whole(editor):
    # Transfer-Encoding: chunked has no Content-Length, without which the WSGI handler reads no body: the
    # body is read first and given its length. Sent in three pieces, as a client streaming it would.
    body = json.dumps({"username": editor.username, "password": PASSWORD}).encode()
    scope = _scope("POST", "/api/v1/auth/token/", [(b"content-type", b"application/json"),
                                                   (b"transfer-encoding", b"chunked")])  # fmt: skip
    pieces = [body[:10], body[10:20], body[20:]]
    messages = [{"type": "http.request", "body": piece, "more_body": i < 2} for i, piece in enumerate(pieces)]

    status, answer = _exchange(scope, messages)

    assert (status, json.loads(answer)["user"]["username"]) == (200, editor.username), answer
    assert json.loads(answer)["token"] == Token.objects.get(user=editor).key


@pytest.mark.django_db(transaction=True)
def test_a_client_gone_before_its_body_ends_is_not_answered_and_takes_no_thread():
    seen = []

    def started(sender, **kwargs):
        seen.append(sender)

    scope = _scope("POST", "/accounts/login/", [(b"content-length", b"1000")])

    async def run():
        app = ApplicationCommunicator(asgi.application, scope)
        await app.send_input({"type": "http.request", "body": b"x" * 10, "more_body": True})
        await app.send_input({"type": "http.disconnect"})
        await app.wait(timeout=10)
        return await app.receive_nothing()

    request_started.connect(started)
    try:
        nothing_sent = asyncio.run(run())
    finally:
        request_started.disconnect(started)
    assert nothing_sent is True
    assert seen == []  # no handler started a request


EXPORT_BYTES = 1300 * 2000  # export_scope's evidence, at least


@pytest.fixture
def export_scope(admin, workspace, client) -> dict:
    """The ASGI scope of the admin's GET of the evidence library's CSV export, over 1,300 items of 2,000
    characters: a 2.6 MB answer streamed in about 40 pieces of 64 KB."""
    study = research_services.study_create(
        workspace_id=workspace.pk, by=admin, title="Diary study", method="interviews"
    )
    Evidence.objects.bulk_create(
        Evidence(workspace=workspace, study=study, text=f"{n:04d} " + "word " * 399) for n in range(1300)
    )
    client.force_login(admin)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    return _scope("GET", reverse("research:evidence_export"), [(b"cookie", cookie.encode())])


@contextmanager
def request_finishes():
    """An event set when Django's request_finished fires: the answer was closed, its connection given back."""
    finished = threading.Event()

    def done(sender, **kwargs):
        finished.set()

    request_finished.connect(done)
    try:
        yield finished
    finally:
        request_finished.disconnect(done)


@pytest.mark.django_db(transaction=True)
def test_a_client_that_stops_reading_a_streamed_export_does_not_hold_a_thread(export_scope):
    # The export's ~40 pieces are more than a bounded queue between the thread and the event loop would take
    # while the client reads nothing. The view must still run to
    # its end (request_finished) and give its thread back.

    async def run():
        stalled = asyncio.Event()  # never set: the client reads nothing after the first piece
        first = []

        async def receive():
            if not first:
                first.append(True)
                return {"type": "http.request", "body": b"", "more_body": False}
            await stalled.wait()

        async def send(message):
            if message["type"] == "http.response.body" and message.get("body"):
                first.append(message["body"])
                await stalled.wait()

        task = asyncio.create_task(asgi.application(export_scope, receive, send))
        ended = await asyncio.to_thread(finished.wait, 30)
        task.cancel()
        return ended, b"".join(first[1:2])

    with request_finishes() as finished:
        ended, piece = asyncio.run(run())
    assert piece.startswith("\ufeffexternal_id,text".encode()), piece[:40]
    assert ended is True


@pytest.mark.django_db(transaction=True)
def test_a_streamed_export_stops_being_built_once_its_client_has_gone(export_scope):
    # The 2.6 MB export in about 40 pieces of 64 KB; the client leaves after the first piece. The view's
    # generator must stop there (not run on to its end for nobody), and still be closed (request_finished).

    async def run():
        pieces = []
        left = asyncio.Event()
        asked = []

        async def receive():
            asked.append(True)
            if len(asked) == 1:
                return {"type": "http.request", "body": b"", "more_body": False}
            await left.wait()
            return {"type": "http.disconnect"}

        async def send(message):
            if message["type"] == "http.response.body" and message.get("body"):
                pieces.append(message["body"])
                left.set()  # the client goes away once it has the first piece
                await asyncio.sleep(0.05)  # a network's pace: the thread is ahead of what is sent

        await asyncio.wait_for(asgi.application(export_scope, receive, send), timeout=30)
        return pieces

    with request_finishes() as finished:
        pieces = asyncio.run(run())
    assert pieces[0].startswith("\ufeffexternal_id,text".encode()), pieces[0][:40]
    assert sum(map(len, pieces)) < EXPORT_BYTES / 4, (len(pieces), sum(map(len, pieces)))
    assert finished.is_set()  # the answer was closed: the request ended, its connection given back


# ---------------------------------------------------------------------------------------------- under uvicorn


@pytest.mark.services
def test_under_uvicorn_a_slow_upload_does_not_keep_the_only_thread_from_other_requests(
    transactional_db, tmp_path
):
    # One worker with one thread; an upload that has sent 10 of its 100,000 bytes and stalls (a phone on a
    # weak network) must not keep a page from being answered meanwhile.
    env = child_env(
        database=connection.settings_dict, redis_url=settings.REDIS_URL, DEBUG="0",
        SECRET_KEY="asgi-test-only", WEB_THREADS="1", LOG_LEVEL="WARNING",
    )  # fmt: skip
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    log = tmp_path / "uvicorn.log"
    with sock, open(log, "w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "config.asgi:application", "--fd", str(sock.fileno()),
             "--no-access-log"],
            pass_fds=[sock.fileno()], cwd=settings.BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    upload = None
    try:
        first = _get_until_answered(server, f"http://127.0.0.1:{port}/api/v1/journeys/", log)
        upload = socket.create_connection(("127.0.0.1", port))
        upload.sendall(
            b"POST /api/v1/auth/token/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b'Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"username"'
        )
        time.sleep(0.5)  # the upload has reached the server and waits for the rest of its body
        meanwhile = httpx.get(f"http://127.0.0.1:{port}/api/v1/journeys/", timeout=20)
    finally:
        if upload is not None:
            upload.close()
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

    assert first.status_code == 401  # answered (signed out)
    assert meanwhile.status_code == 401, log.read_text()[-2000:]


def _get_until_answered(server, url: str, log, timeout: float = 60) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"uvicorn exited:\n{log.read_text()}")
        with suppress(httpx.TransportError):
            return httpx.get(url, timeout=5)
        time.sleep(0.1)
    raise RuntimeError(f"uvicorn did not answer:\n{log.read_text()}")
