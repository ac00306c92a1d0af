"""Sync in: Jira's and Asana's webhooks move the initiatives that link an issue, through the integration's
status mapping; signatures are checked as each provider documents (401 and nothing changed otherwise);
repeated and out-of-order deliveries are recorded and change nothing else."""

import hashlib
import hmac
import json

import pytest
from django.urls import reverse

from prioritization import sync
from prioritization.models import (
    DeliveryLink,
    InboundDelivery,
    Initiative,
    Provider,
    Status,
    StatusChange,
)
from prioritization.services import initiatives as initiative_services
from prioritization.services import integrations as integration_services
from tests.checks import database_changes, database_rows

from .receivers import fake_provider

Outcome = InboundDelivery.Outcome
T1 = "2026-03-02T09:00:00.000+0000"
T2 = "2026-03-02T10:30:00.000+0000"
T3 = "2026-03-03T08:15:00.000+0000"


@pytest.fixture
def jira(workspace, admin):
    return integration_services.integration_create(
        workspace_id=workspace.pk, by=admin, provider=Provider.JIRA, name="Jira Cloud"
    )


@pytest.fixture
def initiative(workspace, admin):
    initiative = initiative_services.initiative_create(
        workspace_id=workspace.pk, by=admin, title="Self-serve invoices"
    )
    initiative_services.delivery_link_add(
        initiative_id=initiative.pk, by=admin, provider=Provider.JIRA, key="PROJ-1"
    )
    return initiative


def jira_body(key="PROJ-1", status="In Progress", updated=T1, event="jira:issue_updated") -> bytes:
    issue = {"id": "10001", "key": key, "fields": {"status": {"name": status}, "updated": updated}}
    return json.dumps({"timestamp": 1772445600000, "webhookEvent": event, "issue": issue}).encode()


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_jira(client, integration, body, *, delivery="d-1", secret=None, signature=None):
    headers = {"X-Atlassian-Webhook-Identifier": delivery}
    if signature is not False:
        computed = "sha256=" + sign(secret or integration.secret, body)
        headers["X-Hub-Signature"] = computed if signature is None else signature
    url = reverse("prioritization:jira_webhook", kwargs={"token": integration.token})
    return client.post(url, data=body, content_type="application/json", headers=headers)


def status_of(initiative) -> str:
    return Initiative.objects.get(pk=initiative.pk).status


# ------------------------------------------------------------------------------------------ Jira


def test_a_signed_jira_delivery_moves_the_initiative_through_the_mapping(client, jira, initiative):
    response = post_jira(client, jira, jira_body(status="In Progress", updated=T1))

    assert response.status_code == 200
    assert response.json() == {"outcomes": ["applied"]}
    assert status_of(initiative) == Status.IN_PROGRESS
    change = StatusChange.objects.filter(initiative=initiative).latest("pk")
    assert (change.from_status, change.to_status, change.via, change.by) == (
        Status.PROPOSED, Status.IN_PROGRESS, StatusChange.Via.SYNC, None,
    )  # fmt: skip
    link = DeliveryLink.objects.get(initiative=initiative)
    assert link.external_status == "In Progress"
    assert link.external_updated_at.isoformat() == "2026-03-02T09:00:00+00:00"
    record = InboundDelivery.objects.get()
    assert (record.delivery_id, record.issue_key, record.outcome) == ("d-1", "PROJ-1", Outcome.APPLIED)


def test_done_ships_the_initiative_with_the_day_of_jira_s_update(client, jira, initiative):
    post_jira(client, jira, jira_body(status="Done", updated=T3))
    initiative.refresh_from_db()
    assert initiative.status == Status.SHIPPED
    assert initiative.shipped_date.isoformat() == "2026-03-03"


@pytest.mark.parametrize(
    "signature",
    [
        False,  # no header at all
        "",  # an empty one
        "sha256=" + "0" * 64,  # a made-up digest
        "sha1=abc",  # another algorithm
    ],
)
def test_an_unsigned_or_badly_signed_jira_call_is_401_and_changes_nothing(
    client, jira, initiative, signature
):
    before = database_rows()
    response = post_jira(client, jira, jira_body(), signature=signature)
    assert response.status_code == 401
    assert "X-Hub-Signature" in response["WWW-Authenticate"]
    assert database_changes(before, database_rows()) == []


def test_a_call_signed_with_another_secret_or_for_another_body_is_401(
    client, jira, initiative, workspace, admin
):
    other = integration_services.integration_create(
        workspace_id=workspace.pk, by=admin, provider=Provider.JIRA, name="Other Jira"
    )
    before = database_rows()
    assert post_jira(client, jira, jira_body(), secret=other.secret).status_code == 401
    # A real signature of one body, sent with another (the status changed on the way).
    signed_for = "sha256=" + sign(jira.secret, jira_body(status="To Do"))
    assert post_jira(client, jira, jira_body(status="Done"), signature=signed_for).status_code == 401
    assert database_changes(before, database_rows()) == []


def test_after_rotating_the_old_secret_is_refused(client, jira, initiative, admin):
    old = jira.secret
    rotated = integration_services.integration_secret_rotate(integration_id=jira.pk, by=admin)
    assert rotated.secret != old
    assert post_jira(client, rotated, jira_body(), secret=old).status_code == 401
    assert post_jira(client, rotated, jira_body()).status_code == 200


def test_a_repeated_delivery_id_changes_nothing(client, jira, initiative):
    body = jira_body(status="In Progress")
    assert post_jira(client, jira, body, delivery="same").json() == {"outcomes": ["applied"]}
    # The same id again, even with another body (Jira retrying after we answered slowly), is a repeat.
    before = database_rows()
    response = post_jira(client, jira, jira_body(status="Done", updated=T3), delivery="same")
    assert response.status_code == 200
    assert response.json() == {"outcomes": ["duplicate"]}
    assert database_changes(before, database_rows()) == []
    assert status_of(initiative) == Status.IN_PROGRESS


def test_an_older_update_arriving_late_is_stale_and_changes_nothing_else(client, jira, initiative):
    assert post_jira(client, jira, jira_body(status="Done", updated=T2), delivery="b").status_code == 200
    # Jira's earlier call (the issue going to In Progress at T1) arrives after the later one.
    response = post_jira(client, jira, jira_body(status="In Progress", updated=T1), delivery="a")
    assert response.json() == {"outcomes": ["stale"]}
    assert status_of(initiative) == Status.SHIPPED
    link = DeliveryLink.objects.get(initiative=initiative)
    assert (link.external_status, link.external_updated_at.isoformat()) == (
        "Done",
        "2026-03-02T10:30:00+00:00",
    )
    assert StatusChange.objects.filter(initiative=initiative, via=StatusChange.Via.SYNC).count() == 1
    assert dict(InboundDelivery.objects.values_list("delivery_id", "outcome")) == {
        "a": Outcome.STALE, "b": Outcome.APPLIED,
    }  # fmt: skip


def test_a_status_the_mapping_does_not_name_is_recorded_and_moves_nothing(client, jira, initiative):
    response = post_jira(client, jira, jira_body(status="QA Review"))
    assert response.json() == {"outcomes": ["unmapped"]}
    assert status_of(initiative) == Status.PROPOSED
    # The link still shows what Jira says.
    assert DeliveryLink.objects.get(initiative=initiative).external_status == "QA Review"


def test_the_mapping_is_the_integration_s_and_ignores_case_and_spacing(client, jira, initiative, admin):
    integration_services.integration_update(
        integration_id=jira.pk, by=admin, status_mapping={"QA Review": "in_progress", "Done": "shipped"}
    )
    jira.refresh_from_db()
    assert post_jira(client, jira, jira_body(status="qa  review")).json() == {"outcomes": ["applied"]}
    assert status_of(initiative) == Status.IN_PROGRESS
    # "In Progress" was a default, removed from this mapping.
    response = post_jira(client, jira, jira_body(status="To Do", updated=T2), delivery="d-2")
    assert response.json() == {"outcomes": ["unmapped"]}


def test_an_issue_no_initiative_links_is_recorded_as_unknown(client, jira, initiative):
    response = post_jira(client, jira, jira_body(key="OTHER-9"))
    assert response.json() == {"outcomes": ["unknown_issue"]}
    assert InboundDelivery.objects.get().issue_key == "OTHER-9"


def test_only_the_integration_s_workspace_is_touched(client, jira, initiative, outsider):
    other_workspace = outsider.memberships.get().workspace
    theirs = initiative_services.initiative_create(
        workspace_id=other_workspace.pk, by=outsider, title="Their initiative on the same key"
    )
    initiative_services.delivery_link_add(initiative_id=theirs.pk, by=outsider, provider="jira", key="PROJ-1")
    post_jira(client, jira, jira_body(status="In Progress"))
    assert status_of(initiative) == Status.IN_PROGRESS
    assert status_of(theirs) == Status.PROPOSED


def test_every_initiative_linking_the_issue_moves(client, jira, initiative, workspace, admin):
    second = initiative_services.initiative_create(workspace_id=workspace.pk, by=admin, title="Second")
    initiative_services.delivery_link_add(initiative_id=second.pk, by=admin, provider="jira", key="proj-1")
    post_jira(client, jira, jira_body(status="In Progress"))
    assert {status_of(initiative), status_of(second)} == {Status.IN_PROGRESS}


def test_a_move_the_initiative_may_not_make_is_refused_and_recorded(client, jira, initiative, admin):
    initiative_services.initiative_set_status(
        initiative=initiative, status=Status.DROPPED, by=admin, via=StatusChange.Via.PERSON
    )
    response = post_jira(client, jira, jira_body(status="In Progress"))
    assert response.json() == {"outcomes": ["refused"]}
    assert status_of(initiative) == Status.DROPPED


def test_a_measured_initiative_stays_measured_when_jira_says_done(client, jira, initiative, admin):
    post_jira(client, jira, jira_body(status="Done", updated=T1), delivery="ship")
    Initiative.objects.filter(pk=initiative.pk).update(status=Status.MEASURED)  # the outcome was recorded
    response = post_jira(client, jira, jira_body(status="Done", updated=T2), delivery="edit")
    assert response.json() == {"outcomes": ["applied"]}
    assert status_of(initiative) == Status.MEASURED


def test_a_call_without_an_issue_is_recorded_as_ignored(client, jira):
    body = json.dumps({"webhookEvent": "jira:version_released", "version": {"name": "2.0"}}).encode()
    assert post_jira(client, jira, body).json() == {"outcomes": ["ignored"]}


def test_an_unknown_token_or_an_inactive_integration_is_404(client, jira, admin):
    body = jira_body()
    url = reverse("prioritization:jira_webhook", kwargs={"token": "00000000-0000-4000-8000-000000000000"})
    assert client.post(url, body, content_type="application/json").status_code == 404
    integration_services.integration_update(integration_id=jira.pk, by=admin, active=False)
    assert post_jira(client, jira, body).status_code == 404
    # A Jira token does not open the Asana endpoint.
    url = reverse("prioritization:asana_webhook", kwargs={"token": jira.token})
    assert client.post(url, body, content_type="application/json").status_code == 404


def test_the_endpoints_answer_only_post(client, jira):
    url = reverse("prioritization:jira_webhook", kwargs={"token": jira.token})
    assert client.get(url).status_code == 405


# ------------------------------------------------------------------------------------------ Asana

ASANA_SECRET = "b537207f20cbfa02357cf448134da559e8bd39d61597dcd5631b8012eae53e81"


@pytest.fixture
def asana_api():
    """A fake Asana API: tasks by gid in `tasks` ({gid: task or None for 404}); `down` answers 503."""
    state = {"tasks": {}, "down": False}

    def answer(path, query):
        if state["down"]:
            return 503, {"errors": [{"message": "down"}]}
        gid = path.rsplit("/", 1)[-1]
        task = state["tasks"].get(gid)
        if not path.startswith("/api/1.0/tasks/") or task is None:
            return 404, {"errors": [{"message": "Not found"}]}
        return 200, {"data": {"gid": gid, **task}}

    with fake_provider(answer) as provider:
        provider.state = state
        yield provider


@pytest.fixture
def asana(workspace, admin, asana_api, settings):
    settings.OUTBOUND_ALLOW_PRIVATE_ADDRESSES = True  # the fake Asana listens on 127.0.0.1
    return integration_services.integration_create(
        workspace_id=workspace.pk,
        by=admin,
        provider=Provider.ASANA,
        name="Asana",
        base_url=asana_api.url + "/api/1.0",
        api_token="asana-pat",
    )


@pytest.fixture
def asana_initiative(workspace, admin):
    initiative = initiative_services.initiative_create(workspace_id=workspace.pk, by=admin, title="Checkout")
    initiative_services.delivery_link_add(initiative_id=initiative.pk, by=admin, provider="asana", key="1201")
    return initiative


def asana_url(integration):
    return reverse("prioritization:asana_webhook", kwargs={"token": integration.token})


def handshake(client, integration, secret=ASANA_SECRET):
    return client.post(
        asana_url(integration), b"", content_type="application/json", headers={"X-Hook-Secret": secret}
    )


def asana_event(gid="1201", created_at="2026-03-02T09:00:00.000Z", action="changed", **extra):
    return {
        "user": {"gid": "55", "resource_type": "user"},
        "created_at": created_at,
        "action": action,
        "resource": {"gid": gid, "resource_type": "task", "resource_subtype": "default_task"},
        "parent": None,
        **extra,
    }


def post_asana(client, integration, events, *, secret=ASANA_SECRET, signature=None):
    body = json.dumps({"events": events}).encode()
    computed = sign(secret, body)
    headers = {} if signature is False else {"X-Hook-Signature": computed if signature is None else signature}
    return client.post(asana_url(integration), body, content_type="application/json", headers=headers)


def section(name, *, completed=False, modified="2026-03-02T09:00:05.000Z"):
    return {"completed": completed, "modified_at": modified, "memberships": [{"section": {"name": name}}]}


def test_a_new_asana_integration_waits_and_the_handshake_sets_its_secret(client, asana):
    assert asana.secret == ""
    response = handshake(client, asana)
    assert response.status_code == 200
    assert response["X-Hook-Secret"] == ASANA_SECRET
    asana.refresh_from_db()
    assert asana.secret == ASANA_SECRET


def test_a_second_handshake_with_another_secret_is_refused(client, asana):
    handshake(client, asana)
    before = database_rows()
    response = handshake(client, asana, secret="f" * 64)
    assert response.status_code == 401
    assert "X-Hook-Secret" not in response
    assert database_changes(before, database_rows()) == []
    # Asana repeating the same handshake is answered.
    assert handshake(client, asana).status_code == 200


def test_rotating_an_asana_integration_waits_for_a_new_handshake(client, asana, admin):
    handshake(client, asana)
    integration_services.integration_secret_rotate(integration_id=asana.pk, by=admin)
    assert handshake(client, asana, secret="e" * 64).status_code == 200
    asana.refresh_from_db()
    assert asana.secret == "e" * 64


def test_a_signed_asana_event_reads_the_task_and_moves_the_initiative(
    client, asana, asana_initiative, asana_api
):
    handshake(client, asana)
    asana_api.state["tasks"]["1201"] = section("In Progress")
    response = post_asana(client, asana, [asana_event()])
    assert response.status_code == 200
    assert response.json() == {"outcomes": ["applied"]}
    assert status_of(asana_initiative) == Status.IN_PROGRESS
    asked = asana_api.requests[-1]
    assert asked["path"] == "/api/1.0/tasks/1201"
    assert asked["headers"]["Authorization"] == "Bearer asana-pat"
    assert asked["query"]["opt_fields"] == ["completed,modified_at,memberships.section.name"]
    link = DeliveryLink.objects.get(initiative=asana_initiative)
    assert (link.external_status, link.external_updated_at.isoformat()) == (
        "In Progress", "2026-03-02T09:00:05+00:00",
    )  # fmt: skip


def test_a_completed_asana_task_ships_the_initiative(client, asana, asana_initiative, asana_api):
    handshake(client, asana)
    asana_api.state["tasks"]["1201"] = section("In Progress", completed=True)
    assert post_asana(client, asana, [asana_event()]).json() == {"outcomes": ["applied"]}
    assert status_of(asana_initiative) == Status.SHIPPED


def test_asana_events_before_the_handshake_or_badly_signed_are_401(
    client, asana, asana_initiative, asana_api
):
    before = database_rows()
    assert post_asana(client, asana, [asana_event()]).status_code == 401  # no secret yet
    handshake(client, asana)
    before = database_rows()
    assert post_asana(client, asana, [asana_event()], signature=False).status_code == 401
    assert post_asana(client, asana, [asana_event()], secret="wrong").status_code == 401
    assert database_changes(before, database_rows()) == []
    assert asana_api.requests == []  # nothing was asked of Asana for a refused call


def test_one_task_read_per_batch_and_repeats_change_nothing(client, asana, asana_initiative, asana_api):
    handshake(client, asana)
    asana_api.state["tasks"]["1201"] = section("Done", modified="2026-03-02T09:01:00.000Z")
    events = [
        asana_event(
            created_at="2026-03-02T09:00:00.000Z", change={"field": "memberships", "action": "added"}
        ),
        asana_event(created_at="2026-03-02T09:00:30.000Z", change={"field": "name", "action": "changed"}),
    ]
    assert post_asana(client, asana, events).json() == {"outcomes": ["applied", "stale"]}
    assert len(asana_api.requests) == 1
    assert status_of(asana_initiative) == Status.SHIPPED
    # Asana sending the same batch again (it retries when we are slow): both are repeats.
    assert post_asana(client, asana, events).json() == {"outcomes": ["duplicate", "duplicate"]}
    assert InboundDelivery.objects.count() == 2


def test_unknown_tasks_and_other_resources_do_not_ask_asana(client, asana, asana_initiative, asana_api):
    handshake(client, asana)
    story = {**asana_event(gid="77"), "resource": {"gid": "77", "resource_type": "story"}}
    assert post_asana(client, asana, [asana_event(gid="9999"), story]).json() == {
        "outcomes": ["unknown_issue"]
    }
    assert asana_api.requests == []
    # Asana's heartbeat: an empty batch.
    assert post_asana(client, asana, []).json() == {"outcomes": []}


def test_when_asana_s_api_is_down_the_call_is_503_and_asana_s_retry_applies_it(
    client, asana, asana_initiative, asana_api
):
    handshake(client, asana)
    asana_api.state.update(down=True, tasks={"1201": section("In Progress")})
    before = database_rows()
    response = post_asana(client, asana, [asana_event()])
    assert response.status_code == 503
    assert database_changes(before, database_rows()) == []
    asana_api.state["down"] = False
    assert post_asana(client, asana, [asana_event()]).json() == {"outcomes": ["applied"]}
    assert status_of(asana_initiative) == Status.IN_PROGRESS


def test_asana_needs_an_api_token(workspace, admin):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        integration_services.integration_create(
            workspace_id=workspace.pk, by=admin, provider=Provider.ASANA, name="Asana"
        )
    assert "api_token" in caught.value.message_dict


def test_signature_helpers_reject_a_missing_secret(jira):
    jira.secret = ""
    body = jira_body()
    assert not sync.jira_signed(jira, body, "sha256=" + sign("", body))
    assert not sync.asana_signed(jira, body, sign("", body))


def test_a_synced_status_change_goes_out_on_the_outbound_webhooks(client, jira, initiative, workspace, admin):
    from prioritization.models import Event, WebhookDelivery
    from prioritization.services import webhooks as webhook_services

    webhook_services.webhook_create(
        workspace_id=workspace.pk,
        by=admin,
        url="https://hooks.example.com/tl",
        events=[Event.INITIATIVE_STATUS],
    )
    post_jira(client, jira, jira_body(status="Done", updated=T3))
    delivery = WebhookDelivery.objects.get()
    assert delivery.event == Event.INITIATIVE_STATUS
    payload = delivery.payload
    assert (payload["from"], payload["to"], payload["via"], payload["by"]) == (
        "proposed",
        "shipped",
        "sync",
        None,
    )
    assert payload["delivery_links"] == [{"provider": "jira", "key": "PROJ-1", "url": ""}]
    # A repeat of the same call sends nothing more.
    post_jira(client, jira, jira_body(status="Done", updated=T3))
    assert WebhookDelivery.objects.count() == 1


def test_the_same_delivery_arriving_twice_at_once_is_applied_once(transactional_db, workspace, admin):
    """Two web processes given the same Jira delivery at the same moment: the unique delivery id lets one
    apply it; the other waits on it and answers duplicate."""
    import threading

    from django.db import connection

    integration = integration_services.integration_create(
        workspace_id=workspace.pk, by=admin, provider=Provider.JIRA, name="Jira"
    )
    initiative = initiative_services.initiative_create(workspace_id=workspace.pk, by=admin, title="Race")
    initiative_services.delivery_link_add(
        initiative_id=initiative.pk, by=admin, provider="jira", key="PROJ-1"
    )
    body = jira_body(status="Done", updated=T2)
    barrier = threading.Barrier(2)
    outcomes = []

    def receive():
        try:
            barrier.wait(timeout=10)
            outcomes.append(sync.jira_receive(integration=integration, body=body, delivery_id="same").outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=receive) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["applied", "duplicate"]
    assert StatusChange.objects.filter(initiative=initiative, via=StatusChange.Via.SYNC).count() == 1
    assert InboundDelivery.objects.count() == 1
