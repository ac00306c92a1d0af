"""Writes of initiatives (prioritization/services/initiatives.py): who may, what is recorded, status
transitions with their history, ship date and measured verdicts, card links recorded on the card's journey
(activity, revision, live event), targets, delivery links, conflicts and deletion."""

import json
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import redis
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from core.errors import Conflict
from journeys import events
from journeys import services as journey_services
from journeys.models import Activity, Card, Journey, LaneKind
from metrics import services as metric_services
from prioritization.models import (
    DeliveryLink,
    Event,
    Initiative,
    InitiativeCard,
    InitiativeTarget,
    Status,
    StatusChange,
    Verdict,
    Webhook,
    WebhookDelivery,
)
from prioritization.services import initiatives as svc

from .initiative_fixtures import *  # noqa: F403 (fixtures)

pytestmark = pytest.mark.django_db
D = Decimal
VIA = StatusChange.Via.PERSON


def make(by, workspace, **fields):
    return svc.initiative_create(
        workspace_id=workspace.pk, by=by, title=fields.pop("title", "Guided setup"), **fields
    )


def move(initiative, status, by, **kw):
    return svc.initiative_set_status(
        initiative=initiative, status=status, by=by, via=kw.pop("via", VIA), **kw
    )


# ------------------------------------------------------------------------------------------ create, update


def test_editors_and_admins_create_viewers_cannot_outsiders_see_nothing(
    workspace, admin, editor, viewer, outsider
):
    made = make(editor, workspace, description="Walk new accounts through the data connection.")
    assert (made.status, made.owner, made.created_by, made.version) == (Status.PROPOSED, editor, editor, 1)
    first = StatusChange.objects.get(initiative=made)
    assert (first.from_status, first.to_status, first.by, first.via) == ("", Status.PROPOSED, editor, VIA)
    assert make(admin, workspace, owner=editor.pk).owner == editor
    with pytest.raises(PermissionDenied):
        make(viewer, workspace)
    with pytest.raises(Http404):
        make(outsider, workspace)
    assert Initiative.objects.count() == 2


def test_bad_input_is_named_by_field_and_changes_nothing(workspace, editor, outsider):
    with pytest.raises(ValidationError) as exc:
        make(editor, workspace, owner=outsider.pk)
    assert "owner" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        make(editor, workspace, title="   ")
    assert "title" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        make(editor, workspace, baseline_days=0, after_days=731)
    assert {"baseline_days", "after_days"} <= set(exc.value.message_dict)
    assert not Initiative.objects.exists()


def test_update_bumps_the_version_and_a_stale_one_is_a_conflict_with_the_current(workspace, editor, admin):
    made = make(editor, workspace)
    svc.initiative_update(initiative_id=made.pk, by=admin, expected_version=1, title="Guided data connection")
    with pytest.raises(Conflict) as exc:
        svc.initiative_update(initiative_id=made.pk, by=editor, expected_version=1, title="Mine")
    assert exc.value.current.title == "Guided data connection"
    assert exc.value.current.version == 2
    same = svc.initiative_update(
        initiative_id=made.pk, by=editor, expected_version=2, title="Guided data connection"
    )
    assert same.version == 2  # nothing changed, nothing bumped
    made.refresh_from_db()
    assert (made.title, made.updated_by) == ("Guided data connection", admin)


def test_viewers_cannot_update(workspace, editor, viewer):
    made = make(editor, workspace)
    with pytest.raises(PermissionDenied):
        svc.initiative_update(initiative_id=made.pk, by=viewer, title="x")


def test_the_ship_date_comes_with_shipping(workspace, editor):
    made = make(editor, workspace)
    with pytest.raises(ValidationError) as exc:
        svc.initiative_update(initiative_id=made.pk, by=editor, shipped_date=date(2025, 1, 1))
    assert "shipped_date" in exc.value.message_dict
    move(made, Status.SHIPPED, editor, shipped_date=date(2025, 6, 2))
    fixed = svc.initiative_update(initiative_id=made.pk, by=editor, shipped_date=date(2025, 6, 1))
    assert fixed.shipped_date == date(2025, 6, 1)
    with pytest.raises(ValidationError):
        svc.initiative_update(initiative_id=made.pk, by=editor, shipped_date=None)


# ---------------------------------------------------------------------------------------------- status


def test_transitions_follow_the_model_and_every_change_is_kept(workspace, editor, admin):
    made = make(editor, workspace)
    at = datetime(2025, 6, 3, 10, 0, tzinfo=timezone.get_current_timezone())
    assert move(made, Status.PLANNED, editor).to_status == Status.PLANNED
    assert move(made, Status.IN_PROGRESS, admin).from_status == Status.PLANNED
    move(made, Status.SHIPPED, editor, at=at)
    assert made.status == Status.SHIPPED  # the caller's instance follows
    assert made.shipped_date == date(2025, 6, 3)  # the day of the change
    with pytest.raises(ValidationError) as exc:
        move(made, Status.PROPOSED, editor)
    assert "can move to" in exc.value.message_dict["status"][0]
    move(made, Status.IN_PROGRESS, editor)  # back one step: not shipped any more
    made.refresh_from_db()
    assert made.shipped_date is None
    assert move(made, Status.IN_PROGRESS, editor) is None  # already: nothing recorded
    history = list(
        StatusChange.objects.filter(initiative=made)
        .order_by("pk")
        .values_list("from_status", "to_status", "by")
    )
    assert history == [
        ("", "proposed", editor.pk),
        ("proposed", "planned", editor.pk),
        ("planned", "in_progress", admin.pk),
        ("in_progress", "shipped", editor.pk),
        ("shipped", "in_progress", editor.pk),
    ]
    assert StatusChange.objects.get(to_status="shipped").at == at


def test_dropped_keeps_its_ship_date_until_proposed_again(workspace, editor):
    made = make(editor, workspace)
    move(made, Status.SHIPPED, editor, shipped_date=date(2025, 2, 1))
    move(made, Status.DROPPED, editor)
    made.refresh_from_db()
    assert made.shipped_date == date(2025, 2, 1)
    with pytest.raises(ValidationError):
        move(made, Status.PLANNED, editor)
    move(made, Status.PROPOSED, editor)
    made.refresh_from_db()
    assert made.shipped_date is None


def test_a_sync_moves_without_a_person_and_a_stale_version_is_refused(workspace, editor):
    made = make(editor, workspace)
    change = move(made, Status.IN_PROGRESS, None, via=StatusChange.Via.SYNC)
    assert (change.by, change.via) == (None, "sync")
    with pytest.raises(Conflict):
        move(made, Status.SHIPPED, editor, expected_version=1)
    with pytest.raises(ValidationError):
        move(made, "launched", editor)
    with pytest.raises(ValidationError):
        move(made, Status.SHIPPED, editor, via="carrier pigeon")


def test_status_changes_emit_the_outbound_webhook(workspace, editor, admin):
    hook = Webhook.objects.create(
        workspace=workspace, url="https://hooks.example.com/t", events=[Event.INITIATIVE_STATUS]
    )
    Webhook.objects.create(
        workspace=workspace, url="https://hooks.example.com/scores", events=[Event.SCORE_CHANGED]
    )
    made = make(editor, workspace, title="Guided setup")
    svc.delivery_link_add(
        initiative_id=made.pk,
        by=editor,
        provider="jira",
        key="ONB-12",
        url="https://acme.atlassian.net/browse/ONB-12",
    )
    move(made, Status.PLANNED, editor)
    (delivery,) = WebhookDelivery.objects.all()
    assert delivery.webhook == hook and delivery.event == "initiative.status_changed"
    data = delivery.payload
    assert (data["from"], data["to"], data["via"], data["by"]["id"]) == (
        "proposed",
        "planned",
        "person",
        editor.pk,
    )
    assert data["initiative"]["title"] == "Guided setup" and data["initiative"]["status"] == "planned"
    assert data["delivery_links"] == [
        {"provider": "jira", "key": "ONB-12", "url": "https://acme.atlassian.net/browse/ONB-12"}
    ]


def _metric_with_data(journey, by, values, name="Onboarding time"):
    metric = metric_services.metric_create(journey_id=journey.pk, by=by, name=name, kind="time_to_complete")
    items = []
    for i, v in enumerate(values):
        start = date(2025, 1 + i, 1)
        end = date(2025, 2 + i, 1) - timedelta(days=1)
        items.append({"metric": metric.pk, "period_start": start, "period_end": end, "value": D(v)})
    metric_services.measurements_upsert(journey_id=journey.pk, by=by, items=items)
    return metric


def test_measured_records_every_targets_verdict_and_locks_them(workspace, admin, editor, pain_journey):
    good = _metric_with_data(pain_journey, admin, [30, 30, 30, 20, 20, 20], "Onboarding time")
    flat = _metric_with_data(pain_journey, admin, [5, 5, 5, 5, 5, 5], "Tickets per account")
    thin = _metric_with_data(pain_journey, admin, [None and 0 or 1], "New metric")
    made = make(editor, workspace, baseline_days=90, after_days=91)
    with pytest.raises(ValidationError) as exc:
        move(made, Status.SHIPPED, editor, shipped_date=date(2025, 4, 1))
        move(made, Status.MEASURED, editor)
    assert "add one first" in exc.value.message_dict["status"][0]
    made.refresh_from_db()
    for metric in (good, flat, thin):
        svc.initiative_target_add(
            initiative_id=made.pk, by=editor, metric_id=metric.pk, expected_direction="down", expected_size=2
        )
    at = timezone.now()
    move(made, Status.MEASURED, editor, at=at)
    recorded = {t.metric_id: t for t in InitiativeTarget.objects.filter(initiative=made)}
    assert (recorded[good.pk].verdict, recorded[good.pk].baseline_value, recorded[good.pk].after_value) == (
        Verdict.MET,
        D(30),
        D(20),
    )
    assert (
        recorded[good.pk].baseline_count,
        recorded[good.pk].after_count,
        recorded[good.pk].measured_at,
    ) == (3, 3, at)
    assert recorded[flat.pk].verdict == Verdict.NOT_MET
    assert (recorded[thin.pk].verdict, recorded[thin.pk].after_count) == (Verdict.NOT_ENOUGH_DATA, 0)
    made.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        svc.initiative_update(initiative_id=made.pk, by=editor, shipped_date=date(2025, 5, 1), after_days=30)
    assert set(exc.value.message_dict) == {"shipped_date", "after_days"}
    with pytest.raises(ValidationError):
        svc.initiative_target_update(target_id=recorded[good.pk].pk, by=editor, expected_size=1)
    with pytest.raises(ValidationError):
        svc.initiative_target_remove(target_id=recorded[good.pk].pk, by=editor)
    svc.initiative_update(initiative_id=made.pk, by=editor, title="Still editable")
    # Back to shipped: the ship date stays, targets open again (the recorded verdict stays until re-measured).
    move(made, Status.SHIPPED, editor)
    made.refresh_from_db()
    assert made.shipped_date == date(2025, 4, 1)
    assert InitiativeTarget.objects.get(pk=recorded[good.pk].pk).verdict == Verdict.MET
    svc.initiative_target_update(target_id=recorded[good.pk].pk, by=editor, expected_size=15)
    move(made, Status.MEASURED, editor)
    assert InitiativeTarget.objects.get(pk=recorded[good.pk].pk).verdict == Verdict.NOT_MET


# ---------------------------------------------------------------------------------------------- cards


def test_linking_a_card_is_recorded_on_its_journey_live(
    transactional_db, workspace, editor, pain_journey, pain_cards
):
    made = make(editor, workspace, title="Guided setup")
    card = pain_cards[0]
    client = redis.Redis.from_url(settings.REDIS_URL)
    pubsub = client.pubsub()
    pubsub.subscribe(events.channel(pain_journey.pk))
    assert pubsub.get_message(timeout=5)["type"] == "subscribe"
    before = Journey.objects.get(pk=pain_journey.pk).revision
    try:
        svc.initiative_card_link(initiative_id=made.pk, card_id=card.pk, by=editor)
        linked = json.loads(pubsub.get_message(timeout=5)["data"])
        svc.initiative_card_unlink(initiative_id=made.pk, card_id=card.pk, by=editor)
        unlinked = json.loads(pubsub.get_message(timeout=5)["data"])
    finally:
        pubsub.close()
        client.close()
    assert Journey.objects.get(pk=pain_journey.pk).revision == before + 2
    lines = list(Activity.objects.filter(journey=pain_journey).order_by("-id")[:2])
    kind = card.lane.get_kind_display().lower()
    assert lines[1].summary == f"linked the {kind} “{card.text}” to initiative “Guided setup” (proposed)"
    assert lines[0].summary == f"unlinked the {kind} “{card.text}” from initiative “Guided setup”"
    assert (lines[1].target_type, lines[1].target_id, lines[1].actor) == ("card", card.pk, editor)
    assert (linked["verb"], linked["cells"]) == ("linked initiative", [f"{card.lane_id}-{card.step_id}"])
    assert unlinked["verb"] == "unlinked initiative"
    assert not InitiativeCard.objects.exists()


def test_only_pain_points_and_opportunities_of_journeys_one_can_see(
    workspace, admin, editor, viewer, pain_cards, restricted_pain_cards, journey
):
    made = make(editor, workspace)
    other = (
        Card.objects.filter(journey=pain_cards[0].journey)
        .exclude(lane__kind__in=[LaneKind.PAIN_POINTS, LaneKind.OPPORTUNITIES])
        .first()
    )
    with pytest.raises(ValidationError) as exc:
        svc.initiative_card_link(initiative_id=made.pk, card_id=other.pk, by=editor)
    assert "Only pain points and opportunities" in exc.value.message_dict["card"][0]
    # The editor cannot see the restricted journey: its card is "no card that you can see".
    secret = restricted_pain_cards[0]
    with pytest.raises(ValidationError) as exc:
        svc.initiative_card_link(initiative_id=made.pk, card_id=secret.pk, by=editor)
    assert exc.value.message_dict["card"] == [f"No card {secret.pk} that you can see."]
    svc.initiative_card_link(initiative_id=made.pk, card_id=secret.pk, by=admin)
    # A view grant is enough to link (linking plans delivery; it does not edit the map).
    journey_services.journey_grant_set(journey_id=secret.journey_id, by=admin, grantee=editor, level="view")
    svc.initiative_card_link(initiative_id=made.pk, card_id=restricted_pain_cards[1].pk, by=editor)
    with pytest.raises(PermissionDenied):
        svc.initiative_card_link(initiative_id=made.pk, card_id=pain_cards[1].pk, by=viewer)
    svc.initiative_card_link(initiative_id=made.pk, card_id=pain_cards[1].pk, by=editor)
    with pytest.raises(ValidationError) as exc:
        svc.initiative_card_link(initiative_id=made.pk, card_id=pain_cards[1].pk, by=editor)
    assert "already" in exc.value.message_dict["card"][0]
    assert InitiativeCard.objects.filter(initiative=made).count() == 3


def test_cards_of_another_workspace_cannot_be_linked(workspace, editor, outsider):
    from tests import factories

    from .initiative_fixtures import pain_cards_of, scored_map

    theirs = scored_map(factories.make_journey(outsider.memberships.get().workspace, by=outsider))
    made = make(editor, workspace)
    with pytest.raises(ValidationError):
        svc.initiative_card_link(initiative_id=made.pk, card_id=pain_cards_of(theirs)[0].pk, by=editor)


def test_unlinking_what_is_not_linked_is_404(workspace, editor, pain_cards):
    made = make(editor, workspace)
    with pytest.raises(Http404):
        svc.initiative_card_unlink(initiative_id=made.pk, card_id=pain_cards[0].pk, by=editor)


# ---------------------------------------------------------------------------------------------- targets


def test_targets_are_metrics_one_can_see_and_bump_the_version(
    workspace, admin, editor, pain_journey, restricted_pain_journey
):
    mine = metric_services.metric_create(journey_id=pain_journey.pk, by=admin, name="CSAT", kind="csat")
    secret = metric_services.metric_create(
        journey_id=restricted_pain_journey.pk, by=admin, name="Churn", kind="drop_off_rate"
    )
    made = make(editor, workspace)
    t = svc.initiative_target_add(
        initiative_id=made.pk,
        by=editor,
        metric_id=mine.pk,
        expected_direction="up",
        expected_size="2.5",
        expected_version=1,
    )
    assert (t.expected_size, t.size_unit) == (D("2.5"), "absolute")
    made.refresh_from_db()
    assert made.version == 2
    with pytest.raises(ValidationError) as exc:
        svc.initiative_target_add(
            initiative_id=made.pk, by=editor, metric_id=secret.pk, expected_direction="up", expected_size=1
        )
    assert exc.value.message_dict["metric"] == [f"No metric {secret.pk} that you can see in this workspace."]
    with pytest.raises(ValidationError) as exc:
        svc.initiative_target_add(
            initiative_id=made.pk, by=editor, metric_id=mine.pk, expected_direction="up", expected_size=1
        )
    assert "already" in exc.value.message_dict["metric"][0]
    with pytest.raises(ValidationError) as exc:
        svc.initiative_target_update(
            target_id=t.pk, by=editor, expected_size="-1", expected_direction="sideways"
        )
    assert "expected_direction" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        svc.initiative_target_update(target_id=t.pk, by=editor, expected_size="lots")
    assert exc.value.message_dict["expected_size"] == ["Enter a number."]
    with pytest.raises(Conflict):
        svc.initiative_target_update(target_id=t.pk, by=editor, expected_version=1, expected_size=3)
    changed = svc.initiative_target_update(
        target_id=t.pk, by=editor, expected_version=2, size_unit="percent", expected_size=5
    )
    assert (changed.size_unit, changed.expected_size, changed.initiative.version) == ("percent", D(5), 3)
    # Someone who cannot see the metric's journey cannot see (nor change) its target.
    hidden = svc.initiative_target_add(
        initiative_id=made.pk, by=admin, metric_id=secret.pk, expected_direction="down", expected_size=1
    )
    with pytest.raises(Http404):
        svc.initiative_target_remove(target_id=hidden.pk, by=editor)
    svc.initiative_target_remove(target_id=t.pk, by=editor)
    assert list(InitiativeTarget.objects.values_list("metric_id", flat=True)) == [secret.pk]


# ------------------------------------------------------------------------------------------ delivery links


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("javascript:alert(1)", "url"),
        ("ftp://example.com/x", "url"),
        ("not a url", "url"),
        ("https://" + "a" * 2_000 + ".com", "url"),
    ],
)
def test_delivery_links_need_a_web_address(workspace, editor, url, field):
    made = make(editor, workspace)
    with pytest.raises(ValidationError) as exc:
        svc.delivery_link_add(initiative_id=made.pk, by=editor, provider="jira", key="ONB-1", url=url)
    assert field in exc.value.message_dict
    assert not DeliveryLink.objects.exists()


def test_delivery_links_add_and_remove(workspace, editor, viewer):
    made = make(editor, workspace)
    link = svc.delivery_link_add(
        initiative_id=made.pk,
        by=editor,
        provider="jira",
        key=" ONB-12 ",
        url="https://acme.atlassian.net/browse/ONB-12",
    )
    assert (link.key, link.created_by) == ("ONB-12", editor)
    svc.delivery_link_add(initiative_id=made.pk, by=editor, provider="asana", key="1203", url="")
    with pytest.raises(ValidationError) as exc:
        svc.delivery_link_add(initiative_id=made.pk, by=editor, provider="jira", key="ONB-12")
    assert exc.value.message_dict["key"] == ["The initiative links Jira ONB-12 already."]
    with pytest.raises(ValidationError) as exc:
        svc.delivery_link_add(initiative_id=made.pk, by=editor, provider="trello", key="x")
    assert "provider" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        svc.delivery_link_add(initiative_id=made.pk, by=editor, provider="jira", key="")
    assert "key" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        svc.delivery_link_remove(link_id=link.pk, by=viewer)
    svc.delivery_link_remove(link_id=link.pk, by=editor)
    with pytest.raises(Http404):
        svc.delivery_link_remove(link_id=link.pk, by=editor)
    assert list(DeliveryLink.objects.values_list("provider", flat=True)) == ["asana"]


# ---------------------------------------------------------------------------------------------- delete


def test_deleting_keeps_the_cards_and_tells_their_journeys(
    workspace, admin, editor, pain_cards, restricted_pain_cards
):
    made = make(editor, workspace, title="Guided setup")
    for card in pain_cards[:2]:
        svc.initiative_card_link(initiative_id=made.pk, card_id=card.pk, by=editor)
    svc.initiative_card_link(initiative_id=made.pk, card_id=restricted_pain_cards[0].pk, by=admin)
    with pytest.raises(Conflict):
        svc.initiative_delete(initiative_id=made.pk, by=editor, expected_version=7)
    assert svc.initiative_delete(initiative_id=made.pk, by=editor, expected_version=1) == 3
    assert not Initiative.objects.exists() and not InitiativeCard.objects.exists()
    assert not StatusChange.objects.exists()
    assert Card.objects.filter(pk__in=[c.pk for c in pain_cards[:2]]).count() == 2
    line = Activity.objects.filter(journey=pain_cards[0].journey).first()
    assert (
        line.summary
        == "initiative “Guided setup” was deleted: it no longer addresses 2 cards of this journey"
    )
    # The restricted journey is told too, though the deleter cannot see it.
    assert (
        Activity.objects.filter(journey=restricted_pain_cards[0].journey).first().verb
        == "unlinked initiative"
    )
