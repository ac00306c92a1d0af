"""Live map events: every committed change is published on Redis so every web process can push it to the
browsers that have the map open (see journeys/live.py)."""

import json
import logging

import redis
from django.conf import settings

log = logging.getLogger(__name__)
_client = None


def channel(journey_id: int) -> str:
    return f"throughline:journey:{journey_id}"


def client() -> redis.Redis:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(settings.REDIS_URL)
    return _client


def publish_change(payload: dict) -> None:
    """Publish after commit; a Redis hiccup must not turn a saved edit into an error."""
    try:
        client().publish(channel(payload["journey"]), json.dumps({"type": "change", **payload}))
    except redis.RedisError:
        log.exception("Could not publish the change to journey %s", payload.get("journey"))
