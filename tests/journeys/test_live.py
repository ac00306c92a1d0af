"""Live map events in one process: what services publish (and when they must not), the live endpoint's
access rules and queries, catch-up after a missed change, and presence bookkeeping in Redis.

The stream across real web processes is tested in test_live_fanout.py."""

import asyncio
import json

import pytest
import redis
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse

from accounts import services as account_services
from journeys import events, live, services
from journeys.models import Journey

from .. import factories

pytestmark = pytest.mark.services  # Redis pub/sub: run on the embedded socket and on TCP (.ci/run)


@pytest.fixture
def subscriber():
    """A Redis subscriber on a journey's channel; `.messages()` returns what arrived."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    pubsub = client.pubsub()

    class Subscriber:
        def listen(self, journey_id):
            pubsub.subscribe(events.channel(journey_id))
            ack = pubsub.get_message(timeout=5)  # Redis confirmed: nothing published from now on is missed
            assert ack and ack["type"] == "subscribe"

        def next(self, timeout=5):
            message = pubsub.get_message(timeout=timeout)
            assert message is not None, "nothing was published"
            return json.loads(message["data"])

    yield Subscriber()
    pubsub.close()
    client.close()


def a_card(journey):
    return journey.cards.exclude(lane__kind="emotions").order_by("pk").first()


# ---------------------------------------------------------------------------------------------- publishing


def test_a_committed_change_is_published_with_who_did_what(transactional_db, journey, editor, subscriber):
    card = a_card(journey)
    subscriber.listen(journey.pk)

    services.card_update(card_id=card.pk, by=editor, text="Customers expect a reply within a day")

    revision = Journey.objects.get(pk=journey.pk).revision
    assert subscriber.next() == {
        "type": "change",
        "journey": journey.pk,
        "revision": revision,
        "verb": "changed",
        "target_type": "card",
        "target_id": card.pk,
        "actor": editor.pk,
        "actor_name": "Bob",
        "summary": "edited a card: Customers expect a reply within a day",
        "cells": [f"{card.lane_id}-{card.step_id}"],  # what open maps fetch (journeys:map_cells)
    }


def test_nothing_is_published_for_a_rolled_back_or_refused_change(
    transactional_db, journey, editor, subscriber
):
    card = a_card(journey)
    subscriber.listen(journey.pk)

    with pytest.raises(RuntimeError), transaction.atomic():
        services.card_update(card_id=card.pk, by=editor, text="ROLLED BACK")
        raise RuntimeError("the surrounding transaction fails")
    with pytest.raises(ValidationError):
        services.card_update(card_id=card.pk, by=editor, emotion_score=9)  # refused: nothing written
    services.card_update(card_id=card.pk, by=editor, text="Kept")

    # Redis delivers one publisher's messages in order: had the rollback published, it would come first.
    first = subscriber.next()
    assert first["summary"] == "edited a card: Kept"
    assert first["revision"] == Journey.objects.get(pk=journey.pk).revision


def test_publishing_waits_for_the_outer_transaction(transactional_db, journey, editor, subscriber):
    card = a_card(journey)
    subscriber.listen(journey.pk)
    with transaction.atomic():
        services.card_update(card_id=card.pk, by=editor, text="First")
        services.card_update(card_id=card.pk, by=editor, text="Second")
    assert [subscriber.next()["summary"], subscriber.next()["summary"]] == [
        "edited a card: First",
        "edited a card: Second",
    ]


# ---------------------------------------------------------------------------------------------- endpoint


def test_anonymous_visitors_are_sent_to_sign_in(client, journey):
    response = client.get(reverse("journeys:live", args=[journey.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_outsiders_and_members_without_a_grant_get_404(client, journey, restricted_journey, outsider, viewer):
    client.force_login(outsider)
    assert client.get(reverse("journeys:live", args=[journey.pk])).status_code == 404
    client.force_login(viewer)
    assert client.get(reverse("journeys:live", args=[restricted_journey.pk])).status_code == 404
    assert client.get(reverse("journeys:live", args=[987654321])).status_code == 404


def test_only_get_is_served(client, journey, viewer):
    client.force_login(viewer)
    assert client.post(reverse("journeys:live", args=[journey.pk])).status_code == 405


@pytest.mark.parametrize(
    ("query", "headers", "message"),
    [
        ("?since=abc", {}, "since must be a revision number"),
        ("?since=-1", {}, "since must be 0 or more"),
        ("", {"Last-Event-ID": "x"}, "Last-Event-ID must be a revision number"),
        # int() reads other scripts' digits and underscores: "٣" is 3, "1_0" is 10.
        ("?since=%D9%A3", {}, "since must be a revision number"),
        ("?since=1_0", {}, "since must be a revision number"),
        ("", {"Last-Event-ID": " 3"}, "Last-Event-ID must be a revision number"),
    ],
)
def test_a_bad_revision_is_refused_naming_it(client, journey, viewer, query, headers, message):
    client.force_login(viewer)
    response = client.get(reverse("journeys:live", args=[journey.pk]) + query, headers=headers)
    assert response.status_code == 400
    assert message in response.content.decode()


def _open_stream(client, journey, django_assert_num_queries):
    # session, user, journey (+workspace, owner) with the viewer's role and grants (one query)
    with django_assert_num_queries(3):
        response = client.get(reverse("journeys:live", args=[journey.pk]), {"since": journey.revision})
    return response


def test_members_get_an_uncached_event_stream(client, journey, viewer, django_assert_num_queries):
    client.force_login(viewer)
    response = _open_stream(client, journey, django_assert_num_queries)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/event-stream")
    assert "no-cache" in response["Cache-Control"]
    assert response["X-Accel-Buffering"] == "no"
    # The test client is a WSGI handler: the endless stream needs ASGI, so it says it is unavailable.
    assert b"".join(response.streaming_content).decode() == (
        'retry: 600000\n\nevent: unavailable\ndata: {"asgi":false}\n\n'
    )


def test_opening_the_stream_costs_the_same_on_a_map_50_times_bigger(
    client, workspace, admin, viewer, django_assert_num_queries
):
    big = factories.make_journey(workspace, by=admin, title="Big map")
    factories.make_map(big, stages=10, steps_per_stage=5, lanes=10, cards=500)
    client.force_login(viewer)
    response = _open_stream(client, big, django_assert_num_queries)
    assert response.status_code == 200
    response.close()


# ---------------------------------------------------------------------------------------------- catch-up


def test_catch_up_describes_the_latest_change_missed(journey, editor, django_assert_num_queries):
    since = Journey.objects.get(pk=journey.pk).revision
    card = a_card(journey)
    services.card_update(card_id=card.pk, by=editor, text="One")
    services.card_update(card_id=card.pk, by=editor, text="Two")

    # revision, latest activity with its actor
    with django_assert_num_queries(2):
        caught = live.catch_up(journey.pk, since)

    assert caught == {
        "journey": journey.pk,
        "revision": since + 2,
        "verb": "changed",
        "target_type": "card",
        "target_id": card.pk,
        "actor": editor.pk,
        "actor_name": "Bob",
        "summary": "edited a card: Two",
        "catch_up": True,
        "missed": 2,
    }
    assert live.catch_up(journey.pk, since + 2) is None


def test_catch_up_says_when_the_journey_is_gone(journey, admin):
    pk = journey.pk
    services.journey_delete(journey_id=pk, by=admin)
    assert live.catch_up(pk, 1) == {"gone": True}


def test_events_are_single_lines_of_json_with_the_revision_as_id():
    text = live.sse("change", {"summary": 'a "card"\nwith <b>two</b> lines'}, event_id=7)
    assert text == 'id: 7\nevent: change\ndata: {"summary":"a \\"card\\"\\nwith <b>two</b> lines"}\n\n'
    assert live.sse("presence", []) == "event: presence\ndata: []\n\n"


# ---------------------------------------------------------------------------------------------- the stream


def test_a_stream_beats_and_ends_when_access_is_revoked(
    transactional_db, monkeypatch, journey, workspace, viewer
):
    monkeypatch.setattr(live, "HEARTBEAT_SECONDS", 0.1)
    monkeypatch.setattr(live, "ACCESS_RECHECK_SECONDS", 0.1)

    def revoke():
        try:
            account_services.membership_remove(workspace=workspace, user=viewer)
        finally:
            connection.close()  # this thread's connection

    async def scenario():
        items = []
        stream = live.stream(user=viewer, journey_id=journey.pk, since=journey.revision)
        try:
            async with asyncio.timeout(20):
                async for item in stream:
                    items.append(item)
                    if item.startswith(": heartbeat") and items.count(item) == 1:
                        await asyncio.to_thread(revoke)
        finally:
            await stream.aclose()
            people, _ = await live.hub().presence(journey.pk)  # what the next visitor would see
            await live.hub().close()
        return items, people

    items, people = asyncio.run(scenario())

    assert items[0] == f"retry: {live.RETRY_MILLISECONDS}\n\n"
    assert items[1] == live.sse("presence", [{"id": viewer.pk, "name": "Charlie", "initials": "C"}])
    assert ": heartbeat\n\n" in items
    assert items[-1] == live.sse("gone", {"journey": journey.pk})  # and then the stream ended
    assert people == []  # leaving took Charlie off the map


# ---------------------------------------------------------------------------------------------- presence


def test_presence_counts_people_not_tabs_and_drops_streams_that_went_silent():
    journey_id = 2_000_000_001  # no such journey: presence does not touch the database
    dana = {"id": 4, "name": "Dana", "initials": "D"}
    eve = {"id": 5, "name": "Eve <script>", "initials": "E"}

    async def scenario():
        hub = live.Hub(settings.REDIS_URL)
        pubsub = hub.redis.pubsub()
        published = []
        try:
            await hub.redis.delete(events.presence_key(journey_id), events.people_key(journey_id))
            await pubsub.subscribe(events.channel(journey_id))
            assert (await pubsub.get_message(timeout=5))["type"] == "subscribe"
            steps = [
                await hub.presence(journey_id, add="4:tab-a", person=dana),
                await hub.presence(journey_id, add="4:tab-b", person=dana),  # Dana's second tab: no news
            ]
            # Eve's stream died with its process 100 s ago without saying goodbye.
            seconds, _ = await hub.redis.time()
            await hub.redis.zadd(events.presence_key(journey_id), {"5:gone": seconds - 100})
            await hub.redis.hset(events.people_key(journey_id), "5", json.dumps(eve))
            steps.append(
                await hub.presence(journey_id, add="4:tab-a", person=dana)
            )  # a heartbeat expires Eve
            steps.append(await hub.presence(journey_id, remove="4:tab-a"))  # tab-b keeps Dana on the map
            steps.append(await hub.presence(journey_id, remove="4:tab-b"))
            while (message := await pubsub.get_message(timeout=1)) is not None:
                published.append(json.loads(message["data"]))
            left = await hub.redis.exists(events.presence_key(journey_id), events.people_key(journey_id))
        finally:
            await pubsub.aclose()
            await hub.close()
        return steps, published, left

    steps, published, left = asyncio.run(scenario())

    assert steps == [([dana], True), ([dana], False), ([dana], True), ([dana], False), ([], True)]
    assert published == [
        {"type": "presence", "journey": journey_id, "people": [dana]},
        {"type": "presence", "journey": journey_id, "people": [dana]},
        {"type": "presence", "journey": journey_id, "people": []},
    ]
    assert left == 0  # nobody on the map: its keys are gone
