"""The ASGI application: how Throughline is served (uvicorn, in `make run` and docker-compose.yml).

ASGI matters for live maps: every open map holds a Server-Sent Events stream (journeys/live.py), which on an
event loop costs a coroutine, where a WSGI worker would be tied up for as long as the map stays open. Run
uvicorn with `--timeout-graceful-shutdown` so those never-ending streams cannot hold up a restart; browsers
reconnect by themselves and catch up on what they missed.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_asgi_application()
