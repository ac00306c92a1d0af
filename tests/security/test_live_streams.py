"""Live streams under stress, on a real uvicorn process and the real Redis: many streams subscribing and
unsubscribing at once while changes flow, a client killed mid-stream, and the process' pub/sub connection
killed under it. Every other stream must keep receiving.

Seen once in a browser run: "RuntimeError: readuntil() called while another coroutine is already waiting"
(redis-py's pub/sub health check read the connection while the hub's reader was reading it), after which
every stream of that process was reset. The server here runs health checks every second
(LIVE_HEALTH_CHECK_SECONDS=1) so that any overlap of subscribing and reading shows."""

import asyncio
import random

import pytest
import redis
from django.conf import settings
from django.db import connection
from playwright.sync_api import expect, sync_playwright

from config.service_urls import child_env
from journeys import services
from journeys.models import Journey
from tests import factories
from tests.journeys.test_live_fanout import EventStream, Server, http_client, live_path, session_cookie

pytestmark = pytest.mark.services

WAIT = 20  # seconds: upper bound for an event to arrive on a loaded machine


@pytest.fixture(scope="module")
def server(django_db_setup, tmp_path_factory):
    env = child_env(
        database=connection.settings_dict,
        redis_url=settings.REDIS_URL,
        SECRET_KEY=settings.SECRET_KEY,
        DEBUG="1",
        LIVE_HEALTH_CHECK_SECONDS="1",
    )
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    logs = tmp_path_factory.mktemp("uvicorn-security")
    started = Server("S", 8126, env, logs / "S.log")
    try:
        started.wait_until_serving()
        yield started
    finally:
        started.stop()


@pytest.fixture
def maps(transactional_db, workspace, admin, editor, viewer):
    journeys = []
    for n in range(4):
        journey = factories.make_journey(workspace, by=admin, title=f"Live map {n}")
        factories.make_map(journey, cards=12)
        journeys.append(journey)
    return journeys


def _edit(journey, editor, n):
    card = journey.cards.exclude(lane__kind="emotions").order_by("pk").first()
    services.card_update(card_id=card.pk, by=editor, text=f"Edit number {n}")
    return Journey.objects.get(pk=journey.pk).revision


async def _revisions_until(stream, final):
    """The revisions of the change events a stream gets, until it reaches `final`."""
    seen = []
    while not seen or seen[-1] < final:
        _, data = await stream.next("change")
        seen.append(data["revision"])
    return seen


def _assert_clean(server):
    log = server.output()
    for bad in ("readuntil()", "Traceback", "subscription failed", "Live updates unavailable"):
        assert bad not in log, log


def test_streams_survive_churn_and_a_killed_client(server, maps, editor, viewer, admin):
    watched, *others = maps
    cookies = [session_cookie(u) for u in (viewer, editor, admin)]
    rng = random.Random(6)

    async def churn(client, stop):
        """Open a stream on some map, wait for its first event, drop it; again and again."""
        opened = 0
        while not stop.is_set():
            journey = rng.choice(maps)
            async with EventStream(client, live_path(journey)) as stream:
                await stream.next("presence")
                opened += 1
                await asyncio.sleep(rng.random() * 0.05)
        return opened

    async def scenario():
        async with (
            http_client(server, cookies[0]) as c0,
            http_client(server, cookies[1]) as c1,
            http_client(server, cookies[2]) as c2,
            EventStream(c0, live_path(watched)) as first,
            EventStream(c1, live_path(watched)) as second,
            EventStream(c2, live_path(others[0])) as elsewhere,
        ):
            for stream in (first, second, elsewhere):
                await stream.next("presence")
            victim_client = http_client(server, cookies[2])
            victim = await EventStream(victim_client, live_path(watched)).__aenter__()
            await victim.next("presence")

            stop = asyncio.Event()
            churners = [asyncio.create_task(churn(client, stop)) for client in (c0, c1, c2) for _ in range(4)]
            revisions = []
            for n in range(12):
                revisions.append(await asyncio.to_thread(_edit, watched, editor, n))
                if n == 4:
                    # A client vanishes without a goodbye: its connection is just cut.
                    victim.reader.cancel()
                    await victim_client.aclose()
                await asyncio.sleep(0.15)
            other_revision = await asyncio.to_thread(_edit, others[0], editor, 99)
            got_first = await asyncio.wait_for(_revisions_until(first, revisions[-1]), WAIT)
            got_second = await asyncio.wait_for(_revisions_until(second, revisions[-1]), WAIT)
            got_elsewhere = await asyncio.wait_for(_revisions_until(elsewhere, other_revision), WAIT)
            stop.set()
            opened = sum(await asyncio.gather(*churners))
        return revisions, got_first, got_second, got_elsewhere, other_revision, opened

    revisions, got_first, got_second, got_elsewhere, other_revision, opened = asyncio.run(scenario())
    print(f"\nlive churn: {opened} streams opened and closed while {len(revisions)} changes flowed")
    assert opened >= 24
    # Every change reached both watchers, in order, none twice.
    assert got_first == got_second == revisions
    assert got_elsewhere == [other_revision]
    _assert_clean(server)


def test_the_last_stream_leaving_and_the_next_joining_never_overlap_reads(server, maps, viewer):
    """The process' subscription count drops to zero and back, again and again, past health checks: the
    sequence that used to make redis-py check the connection's health from the joining stream while the
    hub's reader was waiting on it."""
    cookie = session_cookie(viewer)

    async def scenario():
        async with http_client(server, cookie) as client:
            for n in range(8):
                async with EventStream(client, live_path(maps[n % 2])) as stream:
                    await stream.next("presence")
                await asyncio.sleep(1.2 if n % 3 == 0 else 0.05)  # now and then past the health interval
            # And one that stays: it still gets the map's changes.
            async with EventStream(client, live_path(maps[0])) as stream:
                await stream.next("presence")
                revision = await asyncio.to_thread(_edit, maps[0], maps[0].owner, "after the churn")
                return (await stream.next("change"))[1]["revision"], revision

    got, revision = asyncio.run(scenario())
    assert got == revision
    _assert_clean(server)


def _kill_pubsub_connections(server):
    """Cut the uvicorn process' pub/sub connection(s) to Redis (its hub names them after the pid)."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    killed = 0
    for entry in client.client_list():
        if entry.get("name") == f"throughline-live-{server.process.pid}" and int(entry.get("sub", 0)) > 0:
            killed += client.client_kill_filter(_id=entry["id"])
    return killed


def test_streams_survive_losing_the_pubsub_connection(server, maps, editor, viewer, admin):
    watched = maps[0]

    async def scenario():
        async with (
            http_client(server, session_cookie(viewer)) as c0,
            http_client(server, session_cookie(admin)) as c1,
            EventStream(c0, live_path(watched)) as first,
            EventStream(c1, live_path(watched)) as second,
        ):
            for stream in (first, second):
                await stream.next("presence")
            before = await asyncio.to_thread(_edit, watched, editor, 1)
            for stream in (first, second):
                assert (await stream.next("change"))[1]["revision"] == before
            assert await asyncio.to_thread(_kill_pubsub_connections, server) == 1
            during = await asyncio.to_thread(_edit, watched, editor, 2)  # may be published into the gap
            got = [await asyncio.wait_for(_revisions_until(s, during), WAIT) for s in (first, second)]
            after = await asyncio.to_thread(_edit, watched, editor, 3)
            for stream in (first, second):
                assert (await stream.next("change"))[1]["revision"] == after
            # Neither stream ended (EventStream.next fails on the end of a stream).
            return got, during

    got, during = asyncio.run(scenario())
    # The change published while the hub reconnected arrives live or as a catch-up from the database.
    assert got == [[during], [during]]
    log = server.output()
    assert "subscription failed (attempt 1); reconnecting, streams stay open" in log
    assert "readuntil()" not in log


def test_the_map_page_follows_changes_under_the_csp_on_uvicorn(server, maps, editor, viewer):
    """Live updates in Chromium, on the ASGI server, under the Content-Security-Policy: no violation."""
    watched = maps[0]
    card = watched.cards.exclude(lane__kind="emotions").order_by("pk").first()
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(base_url=server.url, viewport={"width": 1440, "height": 900})
        name = settings.SESSION_COOKIE_NAME
        context.add_cookies([{"name": name, "value": session_cookie(viewer)[name], "url": server.url}])
        page = context.new_page()
        problems = []
        page.add_init_script(
            "window.__csp=[];document.addEventListener('securitypolicyviolation',"
            "e=>window.__csp.push(e.violatedDirective+' '+e.blockedURI))"
        )
        page.on("console", lambda m: m.type == "error" and problems.append(m.text))
        page.goto(f"/journeys/{watched.pk}/")
        expect(page.locator(f"article#card-{card.pk}")).to_be_visible()
        page.wait_for_timeout(500)  # the EventSource connects
        _edit(watched, editor, "pushed live")
        expect(page.locator(f"article#card-{card.pk}")).to_contain_text(
            "Edit number pushed live", timeout=WAIT * 1000
        )
        assert page.evaluate("window.__csp") == [] and problems == []
        browser.close()
    finally:
        playwright.stop()
