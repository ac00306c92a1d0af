"""The application uvicorn serves (`make run`, docker-compose.yml, Dockerfile): `config.asgi:application`.

Two of Django's handlers behind one ASGI entry point, chosen per request by the view the path resolves to:

* **async views** — the live map streams (journeys/live.py): Django's ASGI handler. Every open map holds a
  Server-Sent Events stream, which on the event loop costs a coroutine where a thread would be tied up for
  as long as the map stays open;
* **every other request** (pages, the API, static files, paths that resolve to nothing): Django's WSGI
  handler on a pool of WEB_THREADS threads per process (a2wsgi's WSGIMiddleware). Django's ASGI handler runs
  a sync view in a new thread per request and hops between that thread and the event loop around each
  sync-only middleware; measured under uvicorn (bench/run.py's load, card edits through the API, 2
  workers): 8.1–8.2 ms of worker CPU per edit through the ASGI handler, 6.6–6.8 ms through this one, and
  157–159 against 179–190 edits/s with 16 clients.

A thread is only ever busy with the view, never with the network, so that a few slow clients cannot take
every thread: the request body is read on the event loop before a thread takes the request (into a file
spooled to disk past FILE_UPLOAD_MAX_MEMORY_SIZE, as Django's ASGI handler reads it), and the answer is
queued for the event loop to send without bounds (a slow reader holds memory, as under the ASGI handler,
which reads a streamed answer whole too, but no thread). A body sent in chunks (no Content-Length) is
given its length once read, which the WSGI handler needs to read it at all. A streamed answer (a CSV
export) stops being built once its client has gone: a2wsgi would run the view's generator to its end for
nobody (a 48,000-line queue export is ~17 s of a thread and the database).

WEB_THREADS (config/settings.py) caps the sync requests a process serves at once; the others wait in
uvicorn's queue. Keep it below DATABASE_POOL_MAX_SIZE so that the streams' own reads find a connection.
Run uvicorn with `--timeout-graceful-shutdown` so the never-ending streams cannot hold up a restart;
browsers reconnect by themselves and catch up on what they missed.
"""

import asyncio
import contextvars
import os
import tempfile
import threading

from a2wsgi import WSGIMiddleware
from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application
from django.urls import Resolver404, resolve

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
asgi_handler = get_asgi_application()  # sets Django up
# send_queue_size=0: asyncio.Queue without a bound, so a thread never waits for a client to read.
django_wsgi = get_wsgi_application()
BODY_CHUNK = 64 * 1024  # bytes handed to the WSGI handler's reads at a time
# Set by `application` for the request it hands to a thread (a2wsgi runs the WSGI app in a copy of the
# calling task's context): set once the client has gone.
client_gone: contextvars.ContextVar[threading.Event] = contextvars.ContextVar("client_gone")


class UntilGone:
    """A streamed WSGI answer's pieces, given until the client has gone (`gone` set), then no more; `close()`
    closes the answer whatever happened (Django's request_finished, which gives the connection back)."""

    def __init__(self, answer, gone: threading.Event):
        self.answer = answer
        self.gone = gone

    def __iter__(self):
        for piece in self.answer:
            if self.gone.is_set():
                return
            yield piece

    def close(self):
        close = getattr(self.answer, "close", None)
        if close is not None:
            close()


def wsgi_application(environ, start_response):
    """Django's WSGI handler; a streamed answer stops when `client_gone` says its client left."""
    answer = django_wsgi(environ, start_response)
    gone = client_gone.get(None)
    if gone is None or not getattr(answer, "streaming", False):
        return answer
    return UntilGone(answer, gone)


wsgi_handler = WSGIMiddleware(wsgi_application, workers=settings.WEB_THREADS, send_queue_size=0)


def serves_async(path: str, root_path: str = "") -> bool:
    """Whether the request for `path` (the ASGI scope's "path", mounted under `root_path`) goes to an async
    view, which Django's ASGI handler serves; False for sync views and for paths no URL matches."""
    if root_path and path.startswith(root_path):
        path = path[len(root_path) :] or "/"
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return iscoroutinefunction(match.func)


async def read_body(receive):
    """The whole request body, read from ASGI `receive` on the event loop: (a file positioned at its start,
    its length in bytes), or None when the client went away before sending all of it."""
    body = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE, mode="w+b")
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            body.close()
            return None
        body.write(message.get("body", b""))
        if not message.get("more_body", False):
            break
    size = body.tell()
    body.seek(0)
    return body, size


def replay(body, size: int, receive):
    """An ASGI `receive` that hands out `body` (read_body's file of `size` bytes) in BODY_CHUNK pieces, then
    waits on the client's own `receive` (for its disconnect)."""
    sent = 0

    async def receive_replayed():
        nonlocal sent
        if sent >= size and sent:
            return await receive()
        chunk = body.read(BODY_CHUNK)
        sent += len(chunk) or 1  # an empty body is one empty message
        return {"type": "http.request", "body": chunk, "more_body": sent < size}

    return receive_replayed


def with_length(scope: dict, size: int) -> dict:
    """`scope` with a Content-Length of `size` where the client sent none (a chunked body)."""
    headers = scope.get("headers", [])
    if any(name == b"content-length" for name, _ in headers) or not size:
        return scope
    kept = [(name, value) for name, value in headers if name != b"transfer-encoding"]
    return {**scope, "headers": [*kept, (b"content-length", str(size).encode())]}


async def application(scope, receive, send):
    """The ASGI application: HTTP requests for sync views through the WSGI handler's threads (their body
    read first), the rest (async views, lifespan) through Django's ASGI handler."""
    if scope["type"] != "http" or serves_async(scope["path"], scope.get("root_path", "")):
        await asgi_handler(scope, receive, send)
        return
    read = await read_body(receive)
    if read is None:
        return  # nobody is left to answer
    body, size = read
    gone = threading.Event()

    async def watch():
        # The body is read, so the client's next message is its disconnect (or, once the answer is
        # complete, uvicorn's "disconnect" that ends the exchange).
        if (await receive())["type"] == "http.disconnect":
            gone.set()

    watcher = asyncio.ensure_future(watch())
    token = client_gone.set(gone)
    try:
        await wsgi_handler(with_length(scope, size), replay(body, size, receive), send)
    finally:
        client_gone.reset(token)
        watcher.cancel()
        body.close()
