"""Live updates across web processes: two real uvicorn processes (A and B) on the test database and the
same Redis. A change made through A's API reaches a browser streaming from B; people on the map are seen
from either process; a stream that connects late catches up on what it missed. The last tests drive
Chromium on the map page (static/js/live.js): the grid follows other people's changes, waits while its
reader is editing, and the presence bar shows who else is there."""

import asyncio
import json
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress

import httpx
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from config.service_urls import child_env
from journeys import events, services
from journeys.models import Journey

pytestmark = pytest.mark.services

PREFERRED_PORTS = (8106, 8116)
# Generous upper bounds for a loaded CI machine; the latency itself is measured and printed, not asserted.
EVENT_TIMEOUT_SECONDS = 10
START_TIMEOUT_SECONDS = 60


def _listening_socket(preferred: int) -> socket.socket:
    """A listening socket on the preferred port when free, else on one the kernel picks. Bound here and
    handed to uvicorn (--fd), so parallel test runs can never race for a port."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", preferred))
    except OSError:
        sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


class Server:
    """One uvicorn web process serving the project's ASGI application."""

    def __init__(self, name: str, preferred_port: int, env: dict, log_path):
        sock = _listening_socket(preferred_port)
        self.name, self.port = name, sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.log = open(log_path, "w+")  # noqa: SIM115 (closed in stop())
        with sock:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "config.asgi:application", "--fd", str(sock.fileno()),
                 "--no-access-log", "--timeout-graceful-shutdown", "2"],
                pass_fds=[sock.fileno()], cwd=settings.BASE_DIR, env=env,
                stdout=self.log, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text()

    def wait_until_serving(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn {self.name} exited:\n{self.output()}")
            with suppress(httpx.TransportError):
                httpx.get(f"{self.url}/accounts/login/", timeout=1)  # any answer: Django is loaded
                return
            time.sleep(0.1)
        raise RuntimeError(f"uvicorn {self.name} did not answer on {self.port}:\n{self.output()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


@pytest.fixture(scope="module")
def servers(django_db_setup, tmp_path_factory):
    """Web processes A and B on the test database and this run's Redis."""
    # The pytest-django test database (not the development one) and this run's Redis, socket or TCP.
    env = child_env(
        database=connection.settings_dict,
        redis_url=settings.REDIS_URL,
        SECRET_KEY=settings.SECRET_KEY,  # the session cookies made here must be valid there
        # As this test process loads settings (tests/conftest.py serves static files without a manifest):
        # pages with {% static %}, 404 pages included, render without collectstatic.
        DEBUG="1",
    )
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # the servers must not touch the ORM from the event loop
    logs = tmp_path_factory.mktemp("uvicorn")
    started = []
    try:
        for name, preferred in zip("AB", PREFERRED_PORTS, strict=True):
            started.append(Server(name, preferred, env, logs / f"{name}.log"))
        for server in started:
            server.wait_until_serving()
        yield tuple(started)
    finally:
        for server in started:
            server.stop()


def session_cookie(user) -> dict:
    client = Client()
    client.force_login(user)
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}


def live_path(journey, **query) -> str:
    path = reverse("journeys:live", args=[journey.pk])
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


class EventStream:
    """A browser's EventSource, roughly: reads a text/event-stream in the background and records when each
    event arrived."""

    def __init__(self, http: httpx.AsyncClient, path: str, headers: dict | None = None):
        self.http, self.path, self.headers = http, path, headers or {}
        self.queue: asyncio.Queue = asyncio.Queue()
        self.seen: list = []

    async def __aenter__(self):
        request = self.http.build_request(
            "GET", self.path, headers={"Accept": "text/event-stream", **self.headers}
        )
        self.response = await self.http.send(request, stream=True)
        assert self.response.status_code == 200, self.response.status_code
        assert self.response.headers["content-type"].startswith("text/event-stream")
        self.reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc):
        self.reader.cancel()
        with suppress(asyncio.CancelledError):
            await self.reader
        await self.response.aclose()

    async def _read(self):
        name, data = "message", []
        try:
            async for line in self.response.aiter_lines():
                if not line:
                    if data:
                        self.queue.put_nowait((time.perf_counter(), name, json.loads("\n".join(data))))
                    name, data = "message", []
                elif not line.startswith(":"):
                    field, _, value = line.partition(":")
                    value = value.removeprefix(" ")
                    if field == "event":
                        name = value
                    elif field == "data":
                        data.append(value)
        finally:
            self.queue.put_nowait((time.perf_counter(), "<end of stream>", None))

    async def next(self, event: str, where=lambda data: True):
        """(arrival time, data) of the next `event` satisfying `where`, skipping others."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + EVENT_TIMEOUT_SECONDS
        while True:
            try:
                arrived, name, data = await asyncio.wait_for(
                    self.queue.get(), max(0.0, deadline - loop.time())
                )
            except TimeoutError:
                raise AssertionError(f"no matching {event!r} event on {self.path}; saw {self.seen}") from None
            self.seen.append((name, data))
            if name == event and where(data):
                return arrived, data
            assert name != "<end of stream>", f"the stream ended; saw {self.seen}"


def http_client(server, cookies=None) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=server.url, cookies=cookies, timeout=httpx.Timeout(10, read=60))


def ids(people) -> set:
    return {person["id"] for person in people}


def a_card(journey):
    return journey.cards.exclude(lane__kind="emotions").order_by("pk").first()


# ---------------------------------------------------------------------------------------------- fan-out


def test_a_change_through_one_process_reaches_streams_on_both(
    transactional_db, servers, journey, editor, viewer
):
    a, b = servers
    card = a_card(journey)
    token = Token.objects.create(user=editor).key
    viewer_cookie, editor_cookie = session_cookie(viewer), session_cookie(editor)

    async def scenario():
        async with (
            http_client(a, editor_cookie) as api_a,
            http_client(b, viewer_cookie) as browser_b,
            http_client(a, editor_cookie) as browser_a,
            EventStream(browser_b, live_path(journey)) as on_b,
            EventStream(browser_a, live_path(journey)) as on_a,
        ):
            # The first presence event comes once the stream's subscription is confirmed by Redis.
            await on_b.next("presence")
            await on_a.next("presence")
            sent = time.perf_counter()
            response = await api_a.patch(
                f"/api/v1/cards/{card.pk}/",
                json={"text": "Refund status is visible in the app", "expected_version": card.version},
                headers={"Authorization": f"Token {token}"},
            )
            answered = time.perf_counter()
            assert response.status_code == 200, response.text
            arrived_b, change_b = await on_b.next("change")
            arrived_a, change_a = await on_a.next("change")
        return change_a, change_b, [(t - sent) * 1000 for t in (answered, arrived_a, arrived_b)]

    change_a, change_b, (request_ms, on_a_ms, on_b_ms) = asyncio.run(scenario())

    print(
        f"\nlive fan-out: PATCH sent to process A; its response after {request_ms:.1f} ms; the change event "
        f"on process B after {on_b_ms:.1f} ms, on A after {on_a_ms:.1f} ms"
    )
    assert (
        change_b
        == change_a
        == {
            "type": "change",
            "journey": journey.pk,
            "revision": Journey.objects.get(pk=journey.pk).revision,
            "verb": "changed",
            "target_type": "card",
            "target_id": card.pk,
            "actor": editor.pk,
            "actor_name": "Bob",
            "summary": "edited a card: Refund status is visible in the app",
            "cells": [f"{card.lane_id}-{card.step_id}"],  # what open maps fetch again: the card's cell
        }
    )


def test_people_on_the_map_are_seen_across_processes(transactional_db, servers, journey, editor, viewer):
    a, b = servers
    viewer_cookie, editor_cookie = session_cookie(viewer), session_cookie(editor)
    key = events.presence_key(journey.pk)

    async def scenario():
        async with http_client(a, viewer_cookie) as charlie_http, http_client(b, editor_cookie) as bob_http:
            async with EventStream(charlie_http, live_path(journey)) as charlie:
                _, alone = await charlie.next("presence")
                async with EventStream(bob_http, live_path(journey)) as bob:
                    _, bob_sees = await bob.next("presence", where=lambda p: len(p) == 2)
                    _, charlie_sees = await charlie.next("presence", where=lambda p: len(p) == 2)
                # Bob closed his tab: Charlie is told, and Redis forgets Bob.
                _, after_bob_left = await charlie.next("presence", where=lambda p: len(p) == 1)
                members = await _redis_members(key)
            # Nobody left on the map: the presence key disappears once process A said goodbye.
            emptied = await _until(lambda: _redis_members(key), lambda m: m == [])
        return alone, bob_sees, charlie_sees, after_bob_left, members, emptied

    alone, bob_sees, charlie_sees, after_bob_left, members, emptied = asyncio.run(scenario())

    charlie = {"id": viewer.pk, "name": "Charlie", "initials": "C"}
    bob = {"id": editor.pk, "name": "Bob", "initials": "B"}
    assert alone == [charlie]
    assert bob_sees == charlie_sees == [bob, charlie]  # sorted by name
    assert after_bob_left == [charlie]
    assert [m.split(":")[0] for m in members] == [str(viewer.pk)]
    assert emptied == []


async def _redis_members(key) -> list[str]:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(settings.REDIS_URL, decode_responses=True)
    try:
        return await client.zrange(key, 0, -1)
    finally:
        await client.aclose()


async def _until(read, done):
    """Poll `read()` until `done(value)` (disconnect clean-up runs asynchronously in the server)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + EVENT_TIMEOUT_SECONDS
    value = await read()
    while not done(value) and loop.time() < deadline:
        await asyncio.sleep(0.05)
        value = await read()
    return value


# ---------------------------------------------------------------------------------------------- catch-up


def test_a_stream_opened_late_catches_up_on_the_change_it_missed(
    transactional_db, servers, journey, editor, viewer
):
    _, b = servers
    rendered_at = Journey.objects.get(pk=journey.pk).revision  # the page was rendered at this revision…
    card = a_card(journey)
    services.card_update(card_id=card.pk, by=editor, text="Changed before the stream opened")  # …then this
    cookie = session_cookie(viewer)

    async def scenario():
        async with http_client(b, cookie) as http:
            async with EventStream(http, live_path(journey, since=rendered_at)) as by_query:
                _, from_query = await by_query.next("change")
            # What EventSource sends when it reconnects by itself.
            async with EventStream(
                http, live_path(journey), {"Last-Event-ID": str(rendered_at)}
            ) as by_header:
                _, from_header = await by_header.next("change")
        return from_query, from_header

    from_query, from_header = asyncio.run(scenario())

    assert from_query == from_header
    assert from_query["catch_up"] is True
    assert from_query["missed"] == 1
    assert from_query["revision"] == rendered_at + 1
    assert from_query["summary"] == "edited a card: Changed before the stream opened"
    assert from_query["actor_name"] == "Bob"


def test_an_up_to_date_stream_gets_only_new_changes(transactional_db, servers, journey, editor, viewer):
    a, _ = servers
    current = Journey.objects.get(pk=journey.pk).revision
    card = a_card(journey)
    cookie = session_cookie(viewer)

    def edit():
        try:
            services.card_update(card_id=card.pk, by=editor, text="After subscribing")
        finally:
            connection.close()  # this thread's connection

    async def scenario():
        async with (
            http_client(a, cookie) as http,
            EventStream(http, live_path(journey, since=current)) as stream,
        ):
            await stream.next("presence")
            await asyncio.to_thread(edit)
            _, change = await stream.next("change")
        return change

    change = asyncio.run(scenario())

    assert "catch_up" not in change  # the first change event is the new one, not a catch-up
    assert change["revision"] == current + 1
    assert change["summary"] == "edited a card: After subscribing"


# ---------------------------------------------------------------------------------------------- access


def test_the_real_server_refuses_outsiders_and_anonymous_visitors(
    transactional_db, servers, journey, restricted_journey, outsider, viewer
):
    a, _ = servers
    outsider_cookie, viewer_cookie = session_cookie(outsider), session_cookie(viewer)

    async def scenario():
        async with (
            http_client(a) as anonymous,
            http_client(a, outsider_cookie) as mallory,
            http_client(a, viewer_cookie) as charlie,
        ):
            return (
                await anonymous.get(live_path(journey)),
                await mallory.get(live_path(journey)),
                await charlie.get(live_path(restricted_journey)),
            )

    anonymous, outsider_response, no_grant = asyncio.run(scenario())

    assert anonymous.status_code == 302
    assert anonymous.headers["location"].startswith(reverse("accounts:login"))
    assert outsider_response.status_code == 404
    assert no_grant.status_code == 404


# ---------------------------------------------------------------------------------------------- in a browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip


@pytest.fixture
def chromium():
    """open_map(server, cookie, journey): the map page in a fresh Chromium context, once its live stream is
    connected. Sync Playwright runs an event loop in this thread from the first page on, so the ORM must
    be done before or through _in_thread()."""
    from playwright.sync_api import sync_playwright

    started = {}

    def open_map(server, cookie, journey):
        if not started:
            started["playwright"] = sync_playwright().start()
            started["browser"] = started["playwright"].chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
        context = started["browser"].new_context(base_url=server.url, viewport={"width": 1440, "height": 900})
        context.set_default_timeout(EVENT_TIMEOUT_SECONDS * 1000)
        ((name, value),) = cookie.items()
        context.add_cookies([{"name": name, "value": value, "url": server.url}])
        page = context.new_page()
        page.goto(reverse("journeys:map", args=[journey.pk]))
        page.wait_for_selector("[data-live-url][data-live=live]", state="attached")
        return page

    yield open_map
    if started:
        started["browser"].close()
        started["playwright"].stop()


def _in_thread(fn):
    """Run ORM code beside sync Playwright (whose event loop runs in this thread) and close its connection."""

    def run():
        try:
            return fn()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def test_the_map_follows_other_peoples_changes_and_shows_who_is_here(
    transactional_db, servers, chromium, journey, editor, viewer
):
    from playwright.sync_api import expect

    a, b = servers
    card = a_card(journey)
    charlie_cookie, bob_cookie = session_cookie(viewer), session_cookie(editor)
    charlie = chromium(b, charlie_cookie, journey)
    bob = chromium(a, bob_cookie, journey)

    # Each sees the other in the presence bar, not themself.
    expect(charlie.locator("#presence .avatar")).to_have_count(1)
    expect(charlie.locator("#presence .avatar")).to_have_attribute("title", "Bob")
    expect(bob.locator("#presence .avatar")).to_have_attribute("title", "Charlie")

    _in_thread(lambda: services.card_update(card_id=card.pk, by=editor, text="Chat answers within 2 minutes"))

    # On process B, Charlie's grid shows Bob's edit without a reload, with a note of who did it.
    expect(charlie.locator(f"#card-{card.pk} .card__text")).to_have_text("Chat answers within 2 minutes")
    expect(charlie.locator(".live-toast")).to_contain_text("Bob edited a card: Chat answers within 2 minutes")
    revision = str(_in_thread(lambda: Journey.objects.get(pk=journey.pk).revision))
    expect(charlie.locator("[data-live-url]")).to_have_attribute("data-revision", revision)
    expect(charlie.locator("#map-grid")).to_have_attribute("data-revision", revision)

    bob.close()  # Bob leaves: Charlie's bar empties
    expect(charlie.locator("#presence .avatar")).to_have_count(0)


def test_the_grid_waits_while_its_reader_is_editing(
    transactional_db, servers, chromium, journey, editor, viewer
):
    from playwright.sync_api import expect

    _, b = servers
    card = a_card(journey)
    page = chromium(b, session_cookie(viewer), journey)
    text = page.locator(f"#card-{card.pk} .card__text")
    before = text.inner_text()
    # What the editor does while a form is open in the grid (templates/journeys/editor/: data-editing).
    page.evaluate(
        """() => {
            const form = document.createElement("form");
            form.dataset.editing = "";
            form.innerHTML = '<input name="text" aria-label="Card text">';
            document.getElementById("map-grid").prepend(form);
            form.querySelector("input").focus();
        }"""
    )

    _in_thread(lambda: services.card_update(card_id=card.pk, by=editor, text="Changed while Charlie types"))

    expect(page.locator(".live-toast")).to_contain_text("Bob edited a card")
    expect(page.locator("[data-live-url]")).to_have_attribute("data-live-waiting", "1")
    expect(text).to_have_text(before)  # the refresh waits: the open form is not swept away
    expect(page.get_by_label("Card text")).to_be_focused()

    page.evaluate("() => document.querySelector('form[data-editing]').remove()")
    expect(text).to_have_text("Changed while Charlie types")
