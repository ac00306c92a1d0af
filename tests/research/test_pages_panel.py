"""A card's evidence panel (research:card_evidence): read by who sees the journey, linking by who edits it,
creating-and-linking for editors of the workspace; constant queries whatever the card's evidence."""

import pytest
from django.urls import reverse

from journeys.models import Activity
from research import services
from research.models import Evidence, EvidenceLink, ResearchEvent

from .conftest import first_card

HTMX = {"HX-Request": "true"}


def _panel(card):
    return reverse("research:card_evidence", args=[card.pk])


def _page(response) -> str:
    return response.content.decode()


def test_viewer_reads_the_panel_without_link_controls(client, viewer, admin, evidence, journey):
    card = first_card(journey)
    services.link_create(evidence_id=evidence.pk, by=admin, card=card.pk, stance="supports")
    client.force_login(viewer)
    response = client.get(_panel(card), headers=HTMX)
    page = _page(response)
    assert response.status_code == 200 and "<html" not in page
    assert evidence.text in page and "Onboarding interviews" in page and "Supports" in page
    assert f'data-card-id="{card.pk}"' in page
    assert 'name="q"' not in page and "Unlink" not in page and "Create and link" not in page
    assert (
        client.post(_panel(card), {"action": "link", "evidence": evidence.pk}, headers=HTMX).status_code
        == 403
    )


def test_editor_searches_links_and_unlinks_in_place(client, editor, admin, evidence, workspace, journey):
    card = first_card(journey)
    other = services.evidence_create(
        workspace_id=workspace.pk, by=admin, text="Tax number field confused everyone"
    )
    client.force_login(editor)
    found = _page(client.get(_panel(card), {"q": "tax number"}, headers=HTMX))
    assert "<mark>tax</mark>" in found and "<mark>number</mark>" in found.lower()
    linked = client.post(
        _panel(card), {"action": "link", "evidence": evidence.pk, "stance": "contradicts"}, headers=HTMX
    )
    page = _page(linked)
    assert linked.status_code == 200 and "Evidence linked." in page and "Contradicts" in page
    link = EvidenceLink.objects.get(evidence=evidence, card=card)
    assert link.stance == "contradicts" and ResearchEvent.objects.filter(journey=journey).count() == 1
    assert Activity.objects.filter(journey=journey, summary__contains="linked evidence").exists()
    # Items linked here already are left out of the search.
    again = _page(client.get(_panel(card), {"q": "tax"}, headers=HTMX))
    assert (
        f'name="evidence" value="{evidence.pk}"' not in again
        and f'name="evidence" value="{other.pk}"' in again
    )
    twice = client.post(_panel(card), {"action": "link", "evidence": evidence.pk}, headers=HTMX)
    assert "linked to this card already" in _page(twice) and EvidenceLink.objects.count() == 1
    unlinked = client.post(
        _panel(card), {"action": "unlink", "link": link.pk, "expected_version": link.version}, headers=HTMX
    )
    assert "Evidence unlinked." in _page(unlinked) and not EvidenceLink.objects.exists()


def test_create_and_link_in_one_step_or_not_at_all(client, editor, study, journey):
    card = first_card(journey)
    client.force_login(editor)
    response = client.post(
        _panel(card),
        {
            "action": "create",
            "text": "Nobody found the skip button.",
            "kind": "observation",
            "stance": "supports",
            "study": study.pk,
            "participant": "P3",
        },
        headers=HTMX,
    )
    assert "Evidence created and linked." in _page(response)
    evidence = Evidence.objects.get(text="Nobody found the skip button.")
    assert evidence.study_id == study.pk and evidence.links.get().card_id == card.pk
    bad = client.post(
        _panel(card),
        {"action": "create", "text": "Call me", "stance": "supports", "participant": "+44 20 7946 0958"},
        headers=HTMX,
    )
    assert "pseudonymous" in _page(bad) and not Evidence.objects.filter(text="Call me").exists()


def test_manager_links_but_does_not_create_evidence(client, manager, evidence, restricted_journey):
    """A viewer by role with a manage grant on the journey edits its map but not the workspace's research."""
    card = first_card(restricted_journey)
    client.force_login(manager)
    page = _page(client.get(_panel(card), headers=HTMX))
    assert 'name="q"' in page and "Create and link" not in page
    linked = client.post(_panel(card), {"action": "link", "evidence": evidence.pk}, headers=HTMX)
    assert linked.status_code == 200 and EvidenceLink.objects.filter(card=card).exists()
    refused = client.post(
        _panel(card), {"action": "create", "text": "New", "stance": "supports"}, headers=HTMX
    )
    assert refused.status_code == 403 and not Evidence.objects.filter(text="New").exists()


def test_a_card_of_a_hidden_journey_is_404(client, viewer, outsider, restricted_journey, journey):
    client.force_login(viewer)
    assert client.get(_panel(first_card(restricted_journey))).status_code == 404
    client.force_login(outsider)
    assert client.get(_panel(first_card(journey))).status_code == 404


def test_without_htmx_the_panel_is_a_page_and_writes_redirect(client, editor, evidence, journey):
    card = first_card(journey)
    client.force_login(editor)
    page = _page(client.get(_panel(card)))
    assert "<html" in page and journey.title in page
    response = client.post(_panel(card), {"action": "link", "evidence": evidence.pk, "stance": "supports"})
    assert response.status_code == 302 and response["Location"] == _panel(card)


# session, user, the journey with the reader's access (through the card), the card with lane and step,
# the studies for the inline form, the recency setting, the card's links with evidence and study, the
# reader's memberships (current workspace); searching adds the matching evidence
@pytest.mark.parametrize("q, queries", [("", 8), ("interview", 9)])
def test_panel_queries_do_not_grow_with_the_evidence(
    client, django_assert_num_queries, admin, editor, workspace, journey, q, queries
):
    card = first_card(journey)

    def add(n, start=0):
        for i in range(start, start + n):
            item = services.evidence_create(
                workspace_id=workspace.pk, by=admin, text=f"Interview note {i}", participant=f"P{i}"
            )
            if i % 2 == 0:
                services.link_create(evidence_id=item.pk, by=admin, card=card.pk)

    add(4)
    client.force_login(editor)
    with django_assert_num_queries(queries):
        assert client.get(_panel(card), {"q": q}, headers=HTMX).status_code == 200
    add(40, start=4)
    with django_assert_num_queries(queries):
        response = client.get(_panel(card), {"q": q}, headers=HTMX)
    assert len(response.context["why"].links) == 22
