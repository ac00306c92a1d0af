"""Live maps: a Server-Sent Events stream per open map, fed by Redis pub/sub, and who is on the map.

Fan-out: services publish every committed change on the journey's Redis channel (journeys/events.py). Each
web process holds one Redis subscription (`Hub`, one per event loop) and copies the messages of a channel
to the streams it serves for that journey, so a change made through any process reaches every browser on
every process. The stream subscribes *before* it compares the journey's revision with the one the page was
rendered at (`?since=` or the `Last-Event-ID` EventSource sends on reconnect), so nothing committed between
page render and subscribe is missed: if the map moved on meanwhile, the stream opens with a catch-up
`change` event.

Presence: shared by all processes in Redis, changed only by one Lua script so that state and the
`presence` message it publishes can never disagree in order. A sorted set per journey holds
"<user id>:<stream id>" scored by the Redis clock when that stream last said it is alive (on connect and
every heartbeat); a hash holds the people's names. A stream removes itself on disconnect; entries of
streams that died without saying goodbye (a killed process) are dropped after PRESENCE_TTL_SECONDS by the
next heartbeat of any stream on that map. A `presence` message goes out whenever the set of people changes.
"""

import asyncio
import contextvars
import json
import logging
import os
import secrets
from collections import deque
from contextlib import suppress

import redis
import redis.asyncio as aioredis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.handlers.asgi import ASGIRequest
from django.db import connection
from django.http import Http404, HttpResponseBadRequest, StreamingHttpResponse
from django.views.decorators.http import require_GET

from . import access, events
from .models import Activity, Journey

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 15  # an SSE comment keeps proxies from closing an idle stream; presence refreshes too
ACCESS_RECHECK_SECONDS = 60  # a person whose access was revoked stops getting events within this time
PRESENCE_TTL_SECONDS = 30  # a stream not heard from for this long is no longer on the map
PRESENCE_KEY_TTL_SECONDS = 120  # the Redis keys of a map nobody has open disappear by themselves
RETRY_MILLISECONDS = 3000  # EventSource's own reconnect delay (live.js adds backoff on top)
UNAVAILABLE_RETRY_MILLISECONDS = 600_000  # served without ASGI: no live updates, ask again in ten minutes
SUBSCRIBE_TIMEOUT_SECONDS = 5
QUEUE_SIZE = 256  # messages a slow stream may fall behind before it is told to catch up instead

RESYNC = object()  # the stream may have missed messages: compare revisions again
CLOSED = object()  # the hub shut down (its event loop ends): end the stream so the browser reconnects

_PRESENCE_SCRIPT = """
local zkey, hkey = KEYS[1], KEYS[2]
local ttl, keyttl = tonumber(ARGV[1]), tonumber(ARGV[2])
local add, remove, user_id, person, channel, journey = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local t = redis.call("TIME")
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000

local function present()
  local seen, ids = {}, {}
  for _, member in ipairs(redis.call("ZRANGE", zkey, 0, -1)) do
    local id = string.match(member, "^(%d+):")
    if id and not seen[id] then
      seen[id] = true
      ids[#ids + 1] = id
    end
  end
  table.sort(ids, function(a, b) return tonumber(a) < tonumber(b) end)
  return ids, seen
end

local before = table.concat((present()), ",")
redis.call("ZREMRANGEBYSCORE", zkey, "-inf", "(" .. tostring(now - ttl))
if remove ~= "" then redis.call("ZREM", zkey, remove) end
if add ~= "" then
  redis.call("ZADD", zkey, now, add)
  redis.call("HSET", hkey, user_id, person)
end
local ids, seen = present()
for _, id in ipairs(redis.call("HKEYS", hkey)) do
  if not seen[id] then redis.call("HDEL", hkey, id) end
end
if #ids > 0 then
  redis.call("EXPIRE", zkey, keyttl)
  redis.call("EXPIRE", hkey, keyttl)
end
local people = {}
for _, id in ipairs(ids) do
  local p = redis.call("HGET", hkey, id)
  if p then people[#people + 1] = p end
end
local message = '{"type":"presence","journey":' .. journey
  .. ',"people":[' .. table.concat(people, ",") .. ']}'
local changed = 0
if table.concat(ids, ",") ~= before then
  changed = 1
  redis.call("PUBLISH", channel, message)
end
return {message, changed}
"""


class HubClosed(Exception):
    """The hub was shut down (its event loop is ending); streams end and browsers reconnect."""


class Hub:
    """One Redis subscription per process (per event loop), shared by every stream that process serves.

    One reader task owns the pub/sub connection: it alone subscribes, unsubscribes, reads and runs redis-py's
    health checks on it, so no two coroutines ever read that connection at once (the cause of "readuntil()
    called while another coroutine is already waiting", which used to end every stream of the process).
    Streams only change the set of wanted channels and wake the reader by publishing on the hub's own wake
    channel, which it is always subscribed to. When the connection fails, the reader reconnects and
    subscribes again; each stream then gets RESYNC (it catches up from the database) instead of being closed.
    """

    def __init__(self, url: str):
        self.redis = aioredis.Redis.from_url(
            url,
            socket_connect_timeout=5,
            health_check_interval=settings.LIVE_HEALTH_CHECK_SECONDS,
            client_name=f"throughline-live-{os.getpid()}",
        )
        self.presence_script = self.redis.register_script(_PRESENCE_SCRIPT)
        self.wake_channel = f"throughline:live-hub:{secrets.token_hex(8)}"
        self.queues: dict[str, set[asyncio.Queue]] = {}  # the channels wanted, with their streams' queues
        self.waiters: dict[str, list[tuple[asyncio.Queue, asyncio.Future]]] = {}  # joins awaiting Redis' ack
        self.confirmed: set[str] = set()  # channels whose subscription Redis has confirmed (and still holds)
        self.expected: dict[str, deque[str]] = {}  # "subscribe"/"unsubscribe" sent, confirmations to come
        self.subscribed: set[str] = set()  # channels subscribed or being subscribed on this connection
        self.pubsub = None
        self.reader: asyncio.Task | None = None
        self.closed = False
        self.failures = 0

    # --------------------------------------------------------------------------- used by streams

    async def join(self, channel: str) -> asyncio.Queue:
        """A queue of the channel's messages, returned once Redis confirmed the subscription."""
        if self.closed:
            raise HubClosed
        queue: asyncio.Queue = asyncio.Queue(maxsize=QUEUE_SIZE)
        self.queues.setdefault(channel, set()).add(queue)
        if channel in self.confirmed:
            return queue
        ready = asyncio.get_running_loop().create_future()
        self.waiters.setdefault(channel, []).append((queue, ready))
        try:
            self._start()
            await self._wake()
            await asyncio.wait_for(asyncio.shield(ready), SUBSCRIBE_TIMEOUT_SECONDS)
        except BaseException:
            self._drop_waiter(channel, queue)
            await self.leave(channel, queue)
            raise
        return queue

    async def leave(self, channel: str, queue: asyncio.Queue) -> None:
        listeners = self.queues.get(channel)
        if listeners is None or queue not in listeners:
            return
        listeners.discard(queue)
        if listeners:
            return
        del self.queues[channel]
        if not self.closed:
            with suppress(redis.RedisError, OSError):  # unsubscribing late costs nothing but idle messages
                await self._wake()

    def _drop_waiter(self, channel: str, queue: asyncio.Queue) -> None:
        waiting = [w for w in self.waiters.get(channel, []) if w[0] is not queue]
        if waiting:
            self.waiters[channel] = waiting
        else:
            self.waiters.pop(channel, None)

    async def _wake(self) -> None:
        """Have the reader look at the wanted channels now (it is blocked reading the subscription)."""
        await self.redis.publish(self.wake_channel, b"")

    def _start(self) -> None:
        if self.reader is None or self.reader.done():
            # A fresh context: the reader outlives the request that happened to start it.
            self.reader = asyncio.create_task(
                self._run(), name="throughline-live-hub", context=contextvars.Context()
            )

    # --------------------------------------------------------------------------- the reader task

    async def _run(self) -> None:
        while not self.closed:
            try:
                await self._connect()
                while not self.closed:
                    await self._reconcile()
                    message = await self.pubsub.get_message(timeout=HEARTBEAT_SECONDS)
                    if message is not None:
                        self._dispatch(message)
                    self.failures = 0
            except asyncio.CancelledError:
                raise
            except Exception:
                self.failures += 1
                log.warning(
                    "Live-update subscription failed (attempt %s); reconnecting, streams stay open",
                    self.failures,
                    exc_info=True,
                )
                await self._disconnect()
                await asyncio.sleep(min(5.0, 0.1 * 2 ** min(self.failures, 6)))

    async def _connect(self) -> None:
        self.pubsub = self.redis.pubsub()
        self.confirmed.clear()
        self.expected.clear()
        self.subscribed.clear()
        await self.pubsub.subscribe(self.wake_channel)

    async def _disconnect(self) -> None:
        pubsub, self.pubsub = self.pubsub, None
        self.confirmed.clear()
        self.expected.clear()
        self.subscribed.clear()
        if pubsub is not None:
            with suppress(redis.RedisError, OSError, RuntimeError):
                await pubsub.aclose()

    async def _reconcile(self) -> None:
        """Subscribe to the channels streams want and drop the ones nobody wants any more."""
        wanted = set(self.queues)
        for channel in sorted(wanted - self.subscribed):
            self.expected.setdefault(channel, deque()).append("subscribe")
            self.subscribed.add(channel)
            await self.pubsub.subscribe(channel)
        for channel in sorted(self.subscribed - wanted):
            self.expected.setdefault(channel, deque()).append("unsubscribe")
            self.subscribed.discard(channel)
            self.confirmed.discard(channel)
            await self.pubsub.unsubscribe(channel)

    def _dispatch(self, message: dict) -> None:
        channel = message["channel"].decode() if isinstance(message["channel"], bytes) else message["channel"]
        kind = message["type"]
        if channel == self.wake_channel:
            return  # a wake-up: _reconcile runs before the next read
        if kind in ("subscribe", "unsubscribe"):
            expected = self.expected.get(channel)
            if expected:
                expected.popleft()
            if expected:
                return  # more confirmations of this channel are on their way: the last one decides
            self.expected.pop(channel, None)
            if kind == "unsubscribe":
                self.confirmed.discard(channel)
                return
            # Subscribed (first time, after a reconnect, or re-subscribed by redis-py itself): streams that
            # were already listening may have missed messages meanwhile; joining ones catch up as they start.
            self.confirmed.add(channel)
            joining = {id(queue) for queue, _ in self.waiters.get(channel, [])}
            for queue in list(self.queues.get(channel, ())):
                if id(queue) not in joining:
                    self._put(queue, RESYNC)
            for _, ready in self.waiters.pop(channel, []):
                if not ready.done():
                    ready.set_result(True)
        elif kind == "message":
            try:
                data = json.loads(message["data"])
            except ValueError:
                log.warning("Ignored a malformed live message on %s", channel)
                return
            for queue in list(self.queues.get(channel, ())):
                self._put(queue, data)

    @staticmethod
    def _put(queue: asyncio.Queue, item) -> None:
        try:
            queue.put_nowait(item)
        except asyncio.QueueFull:
            # The browser does not keep up: drop what it has not read, it catches up from the database.
            while not queue.empty():
                queue.get_nowait()
            queue.put_nowait(RESYNC)

    async def close(self) -> None:
        """Shut the hub down (its event loop ends): every stream ends, browsers reconnect elsewhere."""
        if self.closed:
            return
        self.closed = True
        _HUBS.pop(asyncio.get_running_loop(), None)
        for queues in self.queues.values():
            for queue in queues:
                while not queue.empty():
                    queue.get_nowait()
                queue.put_nowait(CLOSED)
        for waiting in self.waiters.values():
            for _, ready in waiting:
                if not ready.done():
                    ready.set_exception(HubClosed())
                    ready.exception()  # retrieved: nobody may be waiting on it any more
        if self.reader is not None and self.reader is not asyncio.current_task():
            self.reader.cancel()
            with suppress(asyncio.CancelledError):
                await self.reader
        await self._disconnect()
        with suppress(redis.RedisError, OSError):
            await self.redis.aclose()

    async def presence(self, journey_id: int, *, add: str = "", remove: str = "", person: dict | None = None):
        """Add, refresh or remove a stream's presence and expire stale ones; publishes when the set of people
        changed. Returns (people, changed)."""
        person = person or {}
        message, changed = await self.presence_script(
            keys=[events.presence_key(journey_id), events.people_key(journey_id)],
            args=[
                PRESENCE_TTL_SECONDS,
                PRESENCE_KEY_TTL_SECONDS,
                add,
                remove,
                str(person.get("id", "")),
                json.dumps(person),
                events.channel(journey_id),
                journey_id,
            ],
        )
        return json.loads(message)["people"], bool(changed)


_HUBS: dict[asyncio.AbstractEventLoop, Hub] = {}


def hub() -> Hub:
    """This event loop's hub (uvicorn runs one loop per process)."""
    loop = asyncio.get_running_loop()
    for other in [other for other in _HUBS if other.is_closed()]:
        _HUBS.pop(other, None)
    if loop not in _HUBS:
        _HUBS[loop] = Hub(settings.REDIS_URL)
    return _HUBS[loop]


# ---------------------------------------------------------------------------------------------- database


async def _db(fn, *args, **kwargs):
    """Run ORM code off the event loop and hand its connection back: a stream lives for hours and must not
    hold a database connection all that time."""

    def run():
        try:
            return fn(*args, **kwargs)
        finally:
            if not connection.in_atomic_block:
                connection.close()

    return await sync_to_async(run)()


def _may_view(user, journey_id: int) -> bool:
    try:
        access.journey_for(user, journey_id, need=access.VIEW)
    except (Http404, PermissionDenied):
        return False
    return True


def catch_up(journey_id: int, since: int) -> dict | None:
    """A `change` payload describing the latest change when the journey's revision is past `since`;
    {"gone": True} when the journey no longer exists; None when there is nothing to catch up."""
    revision = Journey.objects.filter(pk=journey_id).values_list("revision", flat=True).first()
    if revision is None:
        return {"gone": True}
    if revision <= since:
        return None
    activity = (
        Activity.objects.filter(journey_id=journey_id)
        .select_related("actor")
        .order_by("-created_at", "-id")
        .first()
    )
    payload = {
        "journey": journey_id,
        "revision": revision,
        "verb": "changed",
        "target_type": "journey",
        "target_id": journey_id,
        "actor": None,
        "actor_name": "",
        "summary": "The map was updated.",
    }
    if activity is not None and activity.revision == revision:
        payload.update(
            verb=activity.verb,
            target_type=activity.target_type,
            target_id=activity.target_id,
            actor=activity.actor_id,
            actor_name=activity.actor.display_name if activity.actor else "",
            summary=activity.summary,
        )
    return {**payload, "catch_up": True, "missed": revision - since}


# ---------------------------------------------------------------------------------------------- stream


def sse(event: str, data, *, event_id=None) -> str:
    """One Server-Sent Event; JSON never contains a raw newline, so `data` is one line."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def _people(people: list) -> list:
    return sorted(people, key=lambda p: (str(p.get("name", "")).lower(), p.get("id", 0)))


async def stream(*, user, journey_id: int, since: int):
    """The event stream of one browser tab on one map (see the module docstring)."""
    channel = events.channel(journey_id)
    member = f"{user.pk}:{secrets.token_hex(8)}"
    me = {"id": user.pk, "name": user.display_name, "initials": user.initials}
    loop = asyncio.get_running_loop()
    try:
        the_hub = hub()
        queue = await the_hub.join(channel)
    except (redis.RedisError, OSError, HubClosed, TimeoutError):
        log.warning("Live updates unavailable for journey %s", journey_id, exc_info=True)
        yield f"retry: {RETRY_MILLISECONDS}\n\n"
        return
    try:
        yield f"retry: {RETRY_MILLISECONDS}\n\n"
        people, published = await the_hub.presence(journey_id, add=member, person=me)
        if not published:  # otherwise the published message reaches this stream through the subscription
            yield sse("presence", _people(people))
        last = since
        next_beat = loop.time() + HEARTBEAT_SECONDS
        next_access_check = loop.time() + ACCESS_RECHECK_SECONDS
        pending = RESYNC  # compare revisions once now that the subscription is confirmed
        while True:
            if pending is RESYNC:
                caught = await _db(catch_up, journey_id, last)
                if caught and caught.get("gone"):
                    yield sse("gone", {"journey": journey_id})
                    return
                if caught:
                    last = caught["revision"]
                    yield sse("change", caught, event_id=last)
            elif pending is CLOSED:
                return
            elif pending is not None:
                kind = pending.get("type")
                if kind == "change" and int(pending.get("revision", 0)) > last:
                    last = int(pending["revision"])
                    yield sse("change", pending, event_id=last)
                elif kind == "presence":
                    yield sse("presence", _people(pending.get("people", [])))
            pending = None
            if loop.time() >= next_beat:
                if loop.time() >= next_access_check:
                    if not await _db(_may_view, user, journey_id):
                        yield sse("gone", {"journey": journey_id})
                        return
                    next_access_check = loop.time() + ACCESS_RECHECK_SECONDS
                await the_hub.presence(journey_id, add=member, person=me)
                next_beat = loop.time() + HEARTBEAT_SECONDS
                yield ": heartbeat\n\n"
            try:
                pending = await asyncio.wait_for(queue.get(), max(0.0, next_beat - loop.time()))
            except TimeoutError:
                pending = None
    except (redis.RedisError, OSError):
        log.warning("Live stream of journey %s ended by a Redis error", journey_id, exc_info=True)
    finally:
        # Shielded: the disconnect that cancels this stream must not cancel saying goodbye.
        await asyncio.shield(_goodbye(the_hub, channel, queue, journey_id, member))


async def _goodbye(the_hub: Hub, channel: str, queue: asyncio.Queue, journey_id: int, member: str) -> None:
    await the_hub.leave(channel, queue)
    if the_hub.closed:
        return
    try:
        await the_hub.presence(journey_id, remove=member)
    except (redis.RedisError, OSError):
        log.warning("Could not remove presence from journey %s; it expires by itself", journey_id)


def _revision_param(request):
    """The revision the browser has: `Last-Event-ID` (EventSource's reconnect) or `?since=`, the higher."""
    values = []
    for name, raw in (
        ("since", request.GET.get("since")),
        ("Last-Event-ID", request.headers.get("Last-Event-ID")),
    ):
        if raw in (None, ""):
            continue
        # ASCII digits only: int() also takes "٣", "３", " 3 " and "1_000".
        digits = raw[1:] if raw[:1] == "-" else raw
        if not (digits.isascii() and digits.isdigit()):
            raise ValueError(f"{name} must be a revision number (a whole number).")
        if raw.startswith("-"):
            raise ValueError(f"{name} must be 0 or more.")
        values.append(int(raw))
    return max(values) if values else None


@require_GET
@login_required
async def journey_live(request, pk):
    """The live event stream of a map: `change` and `presence` events (text/event-stream). Needs the ASGI
    server (uvicorn); under WSGI it answers a single `unavailable` event."""
    user = await request.auser()
    journey = await _db(access.journey_for, user, pk, need=access.VIEW)
    try:
        since = _revision_param(request)
    except ValueError as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
    if isinstance(request, ASGIRequest):
        events_iterator = stream(
            user=user, journey_id=journey.pk, since=journey.revision if since is None else since
        )
    else:
        # A WSGI server (runserver, a sync gunicorn) would hold a worker per open map for good, and Django
        # would first try to buffer the endless stream: say so, and have the browser come back rarely.
        events_iterator = iter(
            [f"retry: {UNAVAILABLE_RETRY_MILLISECONDS}\n\n", sse("unavailable", {"asgi": False})]
        )
    response = StreamingHttpResponse(events_iterator, content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache, no-store, no-transform"
    response["X-Accel-Buffering"] = "no"  # nginx: pass events through as they come
    return response
