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

WEB_THREADS (config/settings.py) caps the sync requests a process serves at once; the others wait in
uvicorn's queue. Keep it below DATABASE_POOL_MAX_SIZE so that the streams' own reads find a connection.
Run uvicorn with `--timeout-graceful-shutdown` so the never-ending streams cannot hold up a restart;
browsers reconnect by themselves and catch up on what they missed.
"""

import os

from a2wsgi import WSGIMiddleware
from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application
from django.urls import Resolver404, resolve

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
asgi_handler = get_asgi_application()  # sets Django up
wsgi_handler = WSGIMiddleware(get_wsgi_application(), workers=settings.WEB_THREADS)


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


async def application(scope, receive, send):
    """The ASGI application: HTTP requests for sync views through the WSGI handler's threads, the rest
    (async views, lifespan) through Django's ASGI handler."""
    if scope["type"] == "http" and not serves_async(scope["path"], scope.get("root_path", "")):
        await wsgi_handler(scope, receive, send)
    else:
        await asgi_handler(scope, receive, send)
