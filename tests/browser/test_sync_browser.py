"""Delivery sync in the browser: an admin connects Jira through the form, edits the status mapping, and a
call signed the way Jira signs (real HTTP to the live server) moves the linked initiative and shows in the
integration's recent deliveries; an outbound webhook to a local receiver gets "Send test", delivered by a
real Celery worker, and the delivery log shows the receiver's answers (a 500, then a 200). axe-core finds
nothing on the pages, on a desktop and on a phone. Screenshots: artifacts/screenshots/ and
/work/notes/shots/prio_sync_*.png when that folder exists."""

import hashlib
import hmac
import json

import httpx
from django.urls import reverse
from playwright.sync_api import expect

from prioritization.models import Initiative, Integration, Status, WebhookDelivery
from prioritization.services import initiatives as initiative_services
from prioritization.services import integrations as integration_services
from tests import factories
from tests.checks import wait_for
from tests.prioritization.receivers import webhook_receiver

from .axe import assert_accessible

PHONE = {"width": 390, "height": 844}


def test_an_admin_connects_jira_and_a_webhook(
    live_server, worker, new_page, sign_in, screenshot, admin, workspace, settings
):
    settings.OUTBOUND_ALLOW_PRIVATE_ADDRESSES = True  # the receiver listens on 127.0.0.1
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0.5
    initiative = initiative_services.initiative_create(
        workspace_id=workspace.pk, by=admin, title="Self-serve invoices"
    )
    initiative_services.delivery_link_add(
        initiative_id=initiative.pk, by=admin, provider="jira", key="BILL-42"
    )
    page = new_page(bypass_csp=True)
    sign_in(page, admin.username, factories.PASSWORD)

    # Connect Jira.
    page.goto(reverse("prioritization:integrations"))
    page.get_by_role("link", name="Connect Jira or Asana").first.click()
    page.get_by_label("Tool").select_option("jira")
    page.get_by_label("Name", exact=True).fill("Jira Cloud")
    page.get_by_role("button", name="Connect").click()
    expect(page.get_by_role("heading", name="Jira Cloud")).to_be_visible()
    integration = Integration.objects.get()
    expect(page.locator("#webhook-url")).to_have_value(
        live_server.url + reverse("prioritization:jira_webhook", kwargs={"token": integration.token})
    )
    expect(page.locator("#webhook-secret")).to_have_value(integration.secret)

    # A status of their own: "In Review" means in progress.
    page.locator("input[name=mapping_name]").nth(3).fill("In Review")
    page.locator("select[name=mapping_status]").nth(3).select_option("in_progress")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Integration saved.")).to_be_visible()
    integration.refresh_from_db()
    assert integration.status_mapping["In Review"] == "in_progress"

    # Jira calls: signed with the secret, over real HTTP.
    body = json.dumps(
        {
            "webhookEvent": "jira:issue_updated",
            "issue": {
                "key": "BILL-42",
                "fields": {"status": {"name": "In Review"}, "updated": "2026-03-02T10:00:00.000+0000"},
            },
        }
    ).encode()
    signature = "sha256=" + hmac.new(integration.secret.encode(), body, hashlib.sha256).hexdigest()
    url = live_server.url + reverse("prioritization:jira_webhook", kwargs={"token": integration.token})
    headers = {"Content-Type": "application/json", "X-Atlassian-Webhook-Identifier": "7d1c-1"}
    assert (
        httpx.post(url, content=body, headers={**headers, "X-Hub-Signature": "sha256=00"}).status_code == 401
    )
    answer = httpx.post(url, content=body, headers={**headers, "X-Hub-Signature": signature})
    assert answer.json() == {"outcomes": ["applied"]}
    assert Initiative.objects.get(pk=initiative.pk).status == Status.IN_PROGRESS
    page.reload()
    expect(page.locator(".sync-table").get_by_text("BILL-42")).to_be_visible()
    expect(page.locator(".sync-table").get_by_text("Applied")).to_be_visible()
    assert_accessible(page, "integration page")
    screenshot(page, "prio_sync_integration", full_page=True)

    # An Asana one waiting for its handshake, for the list.
    integration_services.integration_create(
        workspace_id=workspace.pk, by=admin, provider="asana", name="Mobile team's Asana", api_token="pat"
    )
    page.goto(reverse("prioritization:integrations"))
    expect(page.get_by_text("Waiting for Asana's handshake")).to_be_visible()
    assert_accessible(page, "integrations list")
    screenshot(page, "prio_sync_integrations")

    # An outbound webhook to a receiver that fails once.
    with webhook_receiver(fail_first=1) as receiver:
        page.goto(reverse("prioritization:webhooks"))
        page.get_by_role("link", name="Add webhook").first.click()
        page.get_by_label("Payload URL").fill(receiver.url)
        page.get_by_label("Initiative status changed").check()
        page.get_by_role("button", name="Add webhook").click()
        expect(page.get_by_text("Webhook added.")).to_be_visible()
        page.get_by_role("button", name="Send test").click()
        assert wait_for(lambda: WebhookDelivery.objects.filter(state="delivered").exists())
        assert len(receiver.requests) == 2
        page.reload()
        expect(page.locator(".sync-code-pill--bad", has_text="500")).to_be_visible()
        expect(page.locator(".sync-code-pill--ok", has_text="200")).to_be_visible()
        assert_accessible(page, "webhook page")
        screenshot(page, "prio_sync_webhook", full_page=True)
        page.get_by_role("link", name="Whole delivery log").click()
        expect(page.get_by_text("1 delivery")).to_be_visible()
        assert_accessible(page, "delivery log")
        screenshot(page, "prio_sync_deliveries")

        phone = new_page(viewport=PHONE, bypass_csp=True)
        sign_in(phone, admin.username, factories.PASSWORD)
        phone.goto(page.url)
        assert_accessible(phone, "delivery log on a phone")
        screenshot(phone, "prio_sync_deliveries_phone", full_page=True)
        webhook_id = WebhookDelivery.objects.get().webhook_id
        phone.goto(reverse("prioritization:webhook", args=[webhook_id]))
        screenshot(phone, "prio_sync_webhook_phone", full_page=True)
    phone.goto(reverse("prioritization:integration", args=[integration.pk]))
    assert_accessible(phone, "integration page on a phone")
    screenshot(phone, "prio_sync_integration_phone", full_page=True)
    phone.goto(reverse("prioritization:integrations"))
    screenshot(phone, "prio_sync_integrations_phone")
