"""Live map events: every committed change is published on Redis so every web process can push it to the
browsers that have the map open (see journeys/live.py, which also keeps who is on a map in Redis)."""

import json
import logging

import redis
from django.conf import settings

log = logging.getLogger(__name__)
_client = None

# A saved edit must not hang on a Redis that stopped answering: give up quickly and log instead.
REDIS_TIMEOUT_SECONDS = 2


def _namespace() -> str:
    # Journey ids are unique only within one database, and one Redis may serve several (parallel test
    # workers, a staging site beside production): name the database in every channel and key.
    return f"throughline:{settings.DATABASES['default']['NAME']}"


def channel(journey_id: int) -> str:
    """The pub/sub channel of one journey: `change` and `presence` messages, as JSON."""
    return f"{_namespace()}:journey:{journey_id}"


def presence_key(journey_id: int) -> str:
    """Sorted set of "<user id>:<stream id>" scored by the time that stream last said it is alive."""
    return f"{_namespace()}:presence:{journey_id}"


def people_key(journey_id: int) -> str:
    """Hash of user id → {"id", "name", "initials"} (JSON) for the people in `presence_key`."""
    return f"{_namespace()}:presence:{journey_id}:people"


def client() -> redis.Redis:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(
            settings.REDIS_URL,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        )
    return _client


def publish_change(payload: dict) -> None:
    """Publish after commit; a Redis hiccup must not turn a saved edit into an error."""
    try:
        client().publish(channel(payload["journey"]), json.dumps({"type": "change", **payload}))
    except redis.RedisError:
        log.exception("Could not publish the change to journey %s", payload.get("journey"))
