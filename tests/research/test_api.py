"""Research's REST API: CRUD with optimistic concurrency, bulk create, filters, links that never leak
from journeys the reader cannot see, confidence in one call, and query counts that do not grow."""

import json

import pytest

from journeys.models import Activity
from research import services
from research.models import Evidence, EvidenceLink, Study

from .. import factories
from .conftest import first_card


def api(client, user, verb, url, data=None, **query):
    client.force_login(user)
    if query:
        url = f"{url}?" + "&".join(f"{k}={v}" for k, v in query.items())
    body = json.dumps(data) if data is not None else None
    return client.generic(verb, url, body or "", content_type="application/json")


# ---------------------------------------------------------------------------------------------- studies


def test_study_create_update_and_a_stale_version(client, workspace, editor):
    made = api(
        client,
        editor,
        "POST",
        f"/api/v1/workspaces/{workspace.pk}/studies/",
        {
            "title": "Onboarding interviews",
            "method": "interviews",
            "participants": 24,
            "tags": ["Onboarding"],
        },
    )
    assert made.status_code == 201, made.content
    study = made.json()
    assert (study["version"], study["tags"], study["owner"]["id"]) == (1, ["Onboarding"], editor.pk)
    url = f"/api/v1/studies/{study['id']}/"
    changed = api(client, editor, "PATCH", url, {"title": "Renamed", "expected_version": 1})
    assert changed.status_code == 200 and changed.json()["version"] == 2
    stale = api(client, editor, "PATCH", url, {"title": "Lost", "expected_version": 1})
    assert stale.status_code == 409
    assert stale.json()["current"]["title"] == "Renamed"
    assert api(client, editor, "PATCH", url, {"title": "No version"}).status_code == 400
    assert api(client, editor, "DELETE", url, expected_version=1).status_code == 409
    assert api(client, editor, "DELETE", url, expected_version=2).status_code == 204
    assert not Study.objects.exists()


def test_bad_input_names_the_field_and_changes_nothing(client, workspace, editor):
    url = f"/api/v1/workspaces/{workspace.pk}/evidence/"
    too_long = api(client, editor, "POST", url, {"text": "x" * 20_001})
    assert too_long.json() == {"text": ["At most 20,000 characters (you have 20,001)."]}
    bad_link = api(client, editor, "POST", url, {"text": "Fine", "source_link": "javascript:alert(1)"})
    assert bad_link.json() == {"source_link": ["Enter a valid URL (http:// or https://)."]}
    bad_date = api(client, editor, "POST", url, {"text": "Fine", "captured_on": "2025-02-31"})
    assert bad_date.json() == {
        "captured_on": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]
    }
    assert not Evidence.objects.exists()


def test_bulk_errors_are_keyed_by_item_index_and_field(client, workspace, editor, study):
    url = f"/api/v1/workspaces/{workspace.pk}/evidence/bulk/"
    items = [
        {"text": "Fine"},
        {"text": "Fine", "kind": "rumour"},
        {"text": "\u200b"},
        {"text": "ok", "participant": "a@b.co"},
    ]
    refused = api(client, editor, "POST", url, {"items": items})
    assert refused.status_code == 400
    errors = refused.json()["items"]
    assert {i: set(fields) for i, fields in errors.items()} == {"1": {"kind"}, "2": {"text"}}  # the parser's
    refused = api(client, editor, "POST", url, {"items": [{"text": "Fine"}, items[3]]})
    assert list(refused.json()["items"]["1"]) == ["participant"]  # then the model's rules
    assert "pseudonymous" in refused.json()["items"]["1"]["participant"][0]
    assert not Evidence.objects.exists()
    batch = [{"text": f"Ticket {n}", "study": study.pk, "external_id": f"T{n}"} for n in range(3)]
    first = api(client, editor, "POST", url, {"items": batch})
    assert first.status_code == 201 and [len(first.json()[k]) for k in ("created", "existing")] == [3, 0]
    again = api(client, editor, "POST", url, {"items": batch})
    assert [len(again.json()[k]) for k in ("created", "existing")] == [0, 3]
    assert Evidence.objects.count() == 3


def test_a_bulk_of_1000_long_items_is_accepted_past_djangos_body_limit(
    client, workspace, editor, study, settings
):
    """1,000 items of 5,000 characters (~5 MB of JSON, twice Django's DATA_UPLOAD_MAX_MEMORY_SIZE) is a
    valid batch: all are created. Past the bulk limit the answer is a JSON 413 naming it, nothing made."""
    from research.api.common import BULK_BODY_MAX

    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE < 5_000_000
    url = f"/api/v1/workspaces/{workspace.pk}/evidence/bulk/"
    items = [
        {"text": f"{n} " + "long answer " * 416, "study": study.pk, "external_id": f"L{n}"}
        for n in range(1000)
    ]
    done = api(client, editor, "POST", url, {"items": items})
    assert done.status_code == 201, done.content[:300]
    assert len(done.json()["created"]) == 1000 and Evidence.objects.count() == 1000
    huge = [{"text": "x" * 20_000, "external_id": f"H{n}"} for n in range(BULK_BODY_MAX // 20_000 + 10)]
    refused = api(client, editor, "POST", url, {"items": huge})
    assert refused.status_code == 413
    assert refused.json() == {"detail": "The request is larger than 32 MB: send fewer items per request."}
    assert Evidence.objects.count() == 1000
    broken = client.generic("POST", url, '{"items": [', content_type="application/json")
    assert broken.status_code == 400 and "JSON parse error" in broken.json()["detail"]


# ---------------------------------------------------------------------------------------------- links


def test_link_through_the_api_shows_in_the_journeys_activity(client, journey, evidence, editor):
    card = first_card(journey)
    made = api(
        client,
        editor,
        "POST",
        f"/api/v1/evidence/{evidence.pk}/links/",
        {"card": card.pk, "stance": "supports"},
    )
    assert made.status_code == 201, made.content
    assert (made.json()["target_kind"], made.json()["target_id"]) == ("card", card.pk)
    assert Activity.objects.filter(journey=journey, verb="linked evidence").exists()
    link = made.json()
    url = f"/api/v1/evidence-links/{link['id']}/"
    assert (
        api(client, editor, "PATCH", url, {"stance": "contradicts", "expected_version": 1}).status_code == 200
    )
    assert api(client, editor, "DELETE", url, expected_version=1).status_code == 409
    assert api(client, editor, "DELETE", url, expected_version=2).status_code == 204
    two = api(
        client,
        editor,
        "POST",
        f"/api/v1/evidence/{evidence.pk}/links/",
        {"card": card.pk, "step": card.step_id},
    )
    assert two.json() == {"non_field_errors": ["Name exactly one card, step or stage to link to."]}


def test_links_on_a_journey_the_reader_cannot_see_never_show_nor_count(
    client, workspace, journey, restricted_journey, evidence, admin, editor
):
    hidden = services.link_create(evidence_id=evidence.pk, by=admin, card=first_card(restricted_journey).pk)
    unlinked = services.evidence_create(workspace_id=workspace.pk, by=admin, text="Not linked anywhere")
    url = f"/api/v1/workspaces/{workspace.pk}/evidence/"

    def ids(user, **query):
        response = api(client, user, "GET", url, **query)
        assert response.status_code == 200
        return {row["id"]: row["link_count"] for row in response.json()["results"]}

    assert ids(admin) == {evidence.pk: 1, unlinked.pk: 0}
    assert ids(editor) == {evidence.pk: 0, unlinked.pk: 0}
    assert ids(admin, linked="true") == {evidence.pk: 1}
    assert ids(editor, linked="true") == {}
    assert ids(editor, linked="false") == {evidence.pk: 0, unlinked.pk: 0}
    assert ids(editor, stance="supports") == {}
    assert ids(admin, stance="supports") == {evidence.pk: 1}
    assert api(client, editor, "GET", f"/api/v1/evidence/{evidence.pk}/").json()["link_count"] == 0
    assert api(client, editor, "GET", f"/api/v1/evidence/{evidence.pk}/links/").json()["results"] == []
    assert api(client, editor, "GET", f"/api/v1/evidence-links/{hidden.pk}/").status_code == 404
    assert len(api(client, admin, "GET", f"/api/v1/evidence/{evidence.pk}/links/").json()["results"]) == 1


def test_filters_by_study_method_kind_and_tag(client, workspace, admin, study, evidence):
    survey = services.study_create(workspace_id=workspace.pk, by=admin, title="Survey", method="survey")
    other = services.evidence_create(
        workspace_id=workspace.pk,
        by=admin,
        text="NPS comment",
        study=survey.pk,
        kind="data_point",
        tags=["NPS"],
    )
    url = f"/api/v1/workspaces/{workspace.pk}/evidence/"

    def ids(**query):
        return [row["id"] for row in api(client, admin, "GET", url, **query).json()["results"]]

    assert ids(study=study.pk) == [evidence.pk]
    assert ids(method="survey") == [other.pk]
    assert ids(kind="quote") == [evidence.pk]
    assert ids(tag=evidence.tags.get().pk) == [evidence.pk]
    assert api(client, admin, "GET", url, kind="rumour").status_code == 400


# ---------------------------------------------------------------------------------------------- confidence


def test_confidence_of_a_journey_and_why_for_a_card(client, journey, evidence, editor):
    card = first_card(journey)
    services.link_create(evidence_id=evidence.pk, by=editor, card=card.pk)
    body = api(client, editor, "GET", f"/api/v1/journeys/{journey.pk}/confidence/").json()
    levels = {row["id"]: row["level"] for row in body["cards"]}
    assert levels[card.pk] == "weak" and list(levels.values()).count("assumption") == len(levels) - 1
    assert body["card_levels"]["weak"] == 1 and body["level"] == "weak"
    assert {row["id"] for row in body["steps"]} == set(journey.steps.values_list("pk", flat=True))
    why = api(client, editor, "GET", f"/api/v1/cards/{card.pk}/confidence/").json()
    assert why["level"] == "weak"
    assert [(e["evidence"], e["stance"], e["study_title"], e["weight"]) for e in why["evidence"]] == [
        (evidence.pk, "supports", "Onboarding interviews", 1.0)
    ]
    assert why["to_raise"][0].startswith("To reach moderate support")


# ---------------------------------------------------------------------------------------------- query counts


def _evidence(workspace, admin, study, journey, n):
    services.evidence_bulk_create(
        workspace_id=workspace.pk,
        by=admin,
        items=[{"text": f"Item {i}", "study": study.pk, "tags": ["A", "B"]} for i in range(n)],
    )
    for evidence in Evidence.objects.order_by("pk")[:3]:
        services.link_create(evidence_id=evidence.pk, by=admin, card=first_card(journey).pk)


LISTS = [
    # session, user, membership, count, page of evidence (with visible link counts), tags
    ("evidence", lambda o: f"/api/v1/workspaces/{o['workspace'].pk}/evidence/?limit=500", 6),
    ("evidence linked", lambda o: f"/api/v1/workspaces/{o['workspace'].pk}/evidence/?linked=true", 6),
    # session, user, membership, count, page of studies (with owner and evidence counts), tags
    ("studies", lambda o: f"/api/v1/workspaces/{o['workspace'].pk}/studies/", 6),
    # session, user, membership, count, page of tags (with counts)
    ("tags", lambda o: f"/api/v1/workspaces/{o['workspace'].pk}/research-tags/", 5),
    # session, user, journey with access, count, page of links with evidence and study
    ("journey links", lambda o: f"/api/v1/journeys/{o['journey'].pk}/evidence-links/", 5),
    # session, user, evidence with role, count, page of visible links
    ("evidence links", lambda o: f"/api/v1/evidence/{o['first'].pk}/links/", 5),
]


@pytest.mark.parametrize(("name", "url", "queries"), LISTS, ids=[row[0] for row in LISTS])
@pytest.mark.parametrize("size", [10, 1000])
def test_lists_run_the_same_queries_for_10_and_1000_evidence_items(
    client, workspace, admin, study, journey, name, url, queries, size, django_assert_num_queries
):
    _evidence(workspace, admin, study, journey, size)
    objects = {"workspace": workspace, "journey": journey, "first": Evidence.objects.order_by("pk").first()}
    client.force_login(admin)
    with django_assert_num_queries(queries):
        response = client.get(url(objects))
    assert response.status_code == 200


@pytest.mark.parametrize("cards", [10, 500])
def test_journey_confidence_runs_the_same_queries_for_10_and_500_cards(
    client, workspace, admin, cards, django_assert_num_queries
):
    journey = factories.make_journey(workspace, by=admin)
    factories.make_map(journey, stages=5, steps_per_stage=5, lanes=6, cards=cards)
    evidence = services.evidence_create(workspace_id=workspace.pk, by=admin, text="Seen often")
    for card in journey.cards.order_by("pk")[:5]:
        services.link_create(evidence_id=evidence.pk, by=admin, card=card.pk)
    client.force_login(admin)
    # session, user, journey with access, recency setting, cards, links, steps, stages
    with django_assert_num_queries(8):
        response = client.get(f"/api/v1/journeys/{journey.pk}/confidence/")
    assert len(response.json()["cards"]) == cards


def test_card_confidence_runs_a_fixed_number_of_queries(
    client, journey, evidence, admin, django_assert_num_queries
):
    card = first_card(journey)
    for _ in range(3):
        other = services.evidence_create(
            workspace_id=evidence.workspace_id, by=admin, text="More", study=evidence.study_id
        )
        services.link_create(evidence_id=other.pk, by=admin, card=card.pk)
    client.force_login(admin)
    # session, user, the card's journey with access, card, recency setting, links with evidence and study
    with django_assert_num_queries(6):
        assert client.get(f"/api/v1/cards/{card.pk}/confidence/").status_code == 200
    assert EvidenceLink.objects.count() == 3
