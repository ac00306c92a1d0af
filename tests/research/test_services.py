"""Research's services: who may write, optimistic concurrency, tags, bulk create, links as journey changes."""

import datetime
import threading
import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404

from core.errors import Conflict
from journeys.models import Activity, Journey
from research import services
from research.models import Evidence, EvidenceLink, ResearchEvent, Study, Tag

from .conftest import first_card

# ---------------------------------------------------------------------------------------------- studies


def test_editors_write_studies_viewers_and_outsiders_cannot(workspace, editor, viewer, outsider):
    study = services.study_create(workspace_id=workspace.pk, by=editor, title="Churn survey", method="survey")
    assert study.owner == editor and study.created_by == editor and study.version == 1
    with pytest.raises(PermissionDenied):
        services.study_create(workspace_id=workspace.pk, by=viewer, title="No", method="survey")
    with pytest.raises(Http404):
        services.study_create(workspace_id=workspace.pk, by=outsider, title="No", method="survey")
    with pytest.raises(PermissionDenied):
        services.study_update(study_id=study.pk, by=viewer, title="No")
    with pytest.raises(Http404):
        services.study_update(study_id=study.pk, by=outsider, title="No")
    assert Study.objects.count() == 1


def test_study_update_bumps_the_version_and_refuses_a_stale_one(study, editor):
    updated = services.study_update(
        study_id=study.pk, by=editor, expected_version=1, title="Renamed", participants=24
    )
    assert (updated.version, updated.title, updated.participants, updated.updated_by) == (
        2,
        "Renamed",
        24,
        editor,
    )
    with pytest.raises(Conflict) as stale:
        services.study_update(study_id=study.pk, by=editor, expected_version=1, title="Lost")
    assert stale.value.current.title == "Renamed"
    assert Study.objects.get(pk=study.pk).title == "Renamed"


def test_an_update_that_changes_nothing_keeps_the_version(study, editor):
    same = services.study_update(study_id=study.pk, by=editor, expected_version=1, title=study.title)
    assert same.version == 1


def test_deleting_a_study_deletes_its_evidence_and_records_it_on_linked_journeys(
    study, evidence, journey, editor, admin
):
    card = first_card(journey)
    services.link_create(evidence_id=evidence.pk, by=editor, card=card.pk)
    revision = Journey.objects.get(pk=journey.pk).revision
    assert services.study_delete(study_id=study.pk, by=editor, expected_version=1).evidence_count == 1
    assert not Evidence.objects.exists() and not EvidenceLink.objects.exists()
    assert Journey.objects.get(pk=journey.pk).revision == revision + 1
    line = Activity.objects.filter(journey=journey).first()
    assert line.verb == "unlinked evidence" and "study “Onboarding interviews” deleted" in line.summary


# ---------------------------------------------------------------------------------------------- evidence


def test_evidence_update_and_stale_version(evidence, editor):
    updated = services.evidence_update(
        evidence_id=evidence.pk,
        by=editor,
        expected_version=1,
        kind="finding",
        captured_on=datetime.date(2026, 1, 5),
    )
    assert (updated.version, updated.kind) == (2, "finding")
    with pytest.raises(Conflict):
        services.evidence_update(evidence_id=evidence.pk, by=editor, expected_version=1, text="Lost")


def test_evidence_must_stay_in_its_workspace(evidence, editor, outsider):
    foreign = services.study_create(
        workspace_id=outsider.memberships.get().workspace_id, by=outsider, title="Theirs", method="survey"
    )
    with pytest.raises(ValidationError) as refused:
        services.evidence_update(evidence_id=evidence.pk, by=editor, study=foreign.pk)
    assert "study" in refused.value.message_dict


def test_deleting_evidence_removes_its_links_and_records_it_even_on_journeys_the_deleter_cannot_see(
    evidence, journey, restricted_journey, editor, admin
):
    services.link_create(evidence_id=evidence.pk, by=admin, card=first_card(restricted_journey).pk)
    services.link_create(evidence_id=evidence.pk, by=admin, card=first_card(journey).pk)
    services.evidence_delete(evidence_id=evidence.pk, by=editor, expected_version=1)
    assert not EvidenceLink.objects.exists()
    for j in (journey, restricted_journey):
        assert (
            Activity.objects.filter(journey=j).first().summary == "removed 1 evidence link (evidence deleted)"
        )


# ---------------------------------------------------------------------------------------------- tags


def test_tags_are_matched_without_regard_to_case_and_made_once(workspace, admin, study):
    evidence = services.evidence_create(
        workspace_id=workspace.pk, by=admin, text="A", tags=["onboarding", "Setup"]
    )
    assert Tag.objects.filter(workspace=workspace).count() == 2  # "Onboarding" (the study's) and "Setup"
    assert sorted(t.name for t in evidence.tags.all()) == ["Onboarding", "Setup"]


def test_tag_rename_and_merge_keep_what_they_tag(workspace, admin, study, evidence):
    setup = Tag.objects.get(name="Setup")
    onboarding = Tag.objects.get(name="Onboarding")
    renamed = services.tag_rename(tag_id=setup.pk, by=admin, name="Account setup")
    assert list(evidence.tags.values_list("name", flat=True)) == ["Account setup"]
    into = services.tag_merge(tag_id=renamed.pk, into_id=onboarding.pk, by=admin)
    assert into == onboarding
    assert list(evidence.tags.values_list("pk", flat=True)) == [onboarding.pk]
    assert list(study.tags.values_list("pk", flat=True)) == [onboarding.pk]
    assert not Tag.objects.filter(pk=setup.pk).exists()


def test_tag_rename_refuses_a_name_taken(workspace, admin, study, evidence):
    setup = Tag.objects.get(name="Setup")
    with pytest.raises(ValidationError) as refused:
        services.tag_rename(tag_id=setup.pk, by=admin, name="ONBOARDING")
    assert "merge" in refused.value.message_dict["name"][0]


# ---------------------------------------------------------------------------------------------- bulk


def test_bulk_create_is_all_or_nothing_and_names_the_item_and_field(workspace, editor, study):
    items = [
        {"text": "Fine", "study": study.pk},
        {"text": "x" * 20_001},
        {"text": "Also fine", "participant": "ana@example.com"},
        {"text": "Unknown study", "study": 999_999},
    ]
    with pytest.raises(ValidationError) as refused:
        services.evidence_bulk_create(workspace_id=workspace.pk, by=editor, items=items)
    errors = refused.value.message_dict
    assert errors["items[1].text"] == ["At most 20,000 characters (you have 20,001)."]
    assert "pseudonymous" in errors["items[2].participant"][0]
    assert errors["items[3].study"] == ["No study 999999 in this workspace."]
    assert "items[0].text" not in errors
    assert not Evidence.objects.exists()


def test_bulk_create_again_with_the_same_external_ids_creates_nothing_new(workspace, editor, study):
    items = [
        {"text": f"Ticket {n}", "study": study.pk, "external_id": f"T-{n}", "tags": ["Support"]}
        for n in range(5)
    ]
    first = services.evidence_bulk_create(workspace_id=workspace.pk, by=editor, items=items)
    assert (len(first.created), len(first.existing)) == (5, 0)
    again = services.evidence_bulk_create(workspace_id=workspace.pk, by=editor, items=items)
    assert (len(again.created), len(again.existing)) == (0, 5)
    assert [e.pk for e in again.existing] == [e.pk for e in first.created]
    assert Evidence.objects.count() == 5
    assert Tag.objects.get(name="Support").evidence.count() == 5


def test_an_external_id_stored_by_a_concurrent_write_is_refused_by_name(transactional_db, workspace, editor):
    """Two writes of the same standalone external id at once: the second waits on the unique index until
    the first commits, then is refused on `external_id` (never a server error, never two rows)."""
    from django.db import connection, connections

    from research.services.evidence import RACED

    holding = threading.Event()

    def theirs():
        try:
            with transaction.atomic():
                Evidence.objects.create(workspace=workspace, text="Theirs", external_id="row-9")
                holding.set()
                # Commit only once our write waits on the row's lock (read from PostgreSQL itself).
                with connections["default"].cursor() as cursor:
                    for _ in range(200):
                        cursor.execute(
                            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                            "AND datname = current_database()"
                        )
                        if cursor.fetchone()[0]:
                            break
                        time.sleep(0.05)
        finally:
            connections["default"].close()

    thread = threading.Thread(target=theirs)
    thread.start()
    assert holding.wait(10)
    try:
        with pytest.raises(ValidationError) as refused:
            services.evidence_create(workspace_id=workspace.pk, by=editor, text="Mine", external_id="row-9")
    finally:
        thread.join(20)
    assert refused.value.message_dict == {"external_id": [RACED]}
    assert list(Evidence.objects.values_list("text", flat=True)) == ["Theirs"]
    assert connection.is_usable()


def test_bulk_create_refuses_an_external_id_twice_in_one_batch(workspace, editor, study):
    items = [
        {"text": "A", "study": study.pk, "external_id": "x"},
        {"text": "B", "study": study.pk, "external_id": "x"},
    ]
    with pytest.raises(ValidationError) as refused:
        services.evidence_bulk_create(workspace_id=workspace.pk, by=editor, items=items)
    assert "items[1].external_id" in refused.value.message_dict


def test_bulk_create_refuses_more_than_1000_items(workspace, editor):
    with pytest.raises(ValidationError) as refused:
        services.evidence_bulk_create(workspace_id=workspace.pk, by=editor, items=[{"text": "x"}] * 1001)
    assert "1,000" in refused.value.message_dict["items"][0]


def test_bulk_create_runs_the_same_queries_for_10_and_1000_items(
    workspace, editor, study, django_assert_num_queries
):
    def batch(n, prefix):
        return [
            {"text": f"Item {i}", "study": study.pk, "external_id": f"{prefix}{i}", "tags": ["A", "B"]}
            for i in range(n)
        ]

    services.evidence_bulk_create(workspace_id=workspace.pk, by=editor, items=batch(1, "warm"))  # tags exist
    # savepoint, membership, studies (locked), stored external ids, savepoint, insert evidence, release,
    # tags, insert tag rows, release
    with django_assert_num_queries(10):
        services.evidence_bulk_create(workspace_id=workspace.pk, by=editor, items=batch(10, "s"))
    with django_assert_num_queries(10):
        services.evidence_bulk_create(workspace_id=workspace.pk, by=editor, items=batch(1000, "l"))
    assert Evidence.objects.count() == 1011


# ---------------------------------------------------------------------------------------------- links


def test_linking_is_a_change_of_the_journey(journey, evidence, editor, django_capture_on_commit_callbacks):
    card = first_card(journey)
    before = Journey.objects.get(pk=journey.pk).revision
    with django_capture_on_commit_callbacks() as callbacks:
        link = services.link_create(
            evidence_id=evidence.pk, by=editor, card=card.pk, stance="contradicts", note="n"
        )
    assert Journey.objects.get(pk=journey.pk).revision == before + 1
    line = Activity.objects.filter(journey=journey).first()
    assert (line.verb, line.target_type, line.target_id, line.actor) == (
        "linked evidence",
        "card",
        card.pk,
        editor,
    )
    assert "that contradicts the card" in line.summary
    assert callbacks  # the live event (and the automatic version) go after commit
    event = ResearchEvent.objects.get()
    assert (event.journey_id, event.evidence_id, event.by) == (journey.pk, evidence.pk, editor)
    services.link_delete(link_id=link.pk, by=editor, expected_version=1)
    assert Activity.objects.filter(journey=journey).first().verb == "unlinked evidence"
    assert Journey.objects.get(pk=journey.pk).revision == before + 2


def test_linking_needs_edit_on_the_journey(journey, restricted_journey, evidence, viewer, editor, manager):
    card = first_card(journey)
    with pytest.raises(PermissionDenied):
        services.link_create(evidence_id=evidence.pk, by=viewer, card=card.pk)
    with pytest.raises(ValidationError) as hidden:
        services.link_create(evidence_id=evidence.pk, by=editor, card=first_card(restricted_journey).pk)
    assert hidden.value.message_dict["card"] == [
        f"No card {first_card(restricted_journey).pk} that you can see."
    ]
    # A viewer by role who manages the restricted journey links on it (the link is the journey's change).
    services.link_create(evidence_id=evidence.pk, by=manager, card=first_card(restricted_journey).pk)
    assert EvidenceLink.objects.count() == 1


def test_link_to_a_step_or_a_stage_and_never_twice(journey, evidence, editor):
    step, stage = journey.steps.first(), journey.stages.first()
    assert services.link_create(evidence_id=evidence.pk, by=editor, step=step.pk).target_kind == "step"
    assert services.link_create(evidence_id=evidence.pk, by=editor, stage=stage.pk).target_kind == "stage"
    with pytest.raises(ValidationError):
        services.link_create(evidence_id=evidence.pk, by=editor, step=step.pk)
    with pytest.raises(ValidationError):
        services.link_create(evidence_id=evidence.pk, by=editor, step=step.pk, stage=stage.pk)


def test_link_update_changes_stance_with_a_version(journey, evidence, editor):
    link = services.link_create(evidence_id=evidence.pk, by=editor, card=first_card(journey).pk)
    changed = services.link_update(link_id=link.pk, by=editor, expected_version=1, stance="contradicts")
    assert (changed.stance, changed.version) == ("contradicts", 2)
    with pytest.raises(Conflict):
        services.link_update(link_id=link.pk, by=editor, expected_version=1, note="stale")


def test_evidence_cannot_link_to_another_workspaces_journey(journey, editor, outsider):
    theirs = services.evidence_create(
        workspace_id=outsider.memberships.get().workspace_id, by=outsider, text="Their quote"
    )
    with pytest.raises(Http404):  # the editor cannot see the other workspace's evidence
        services.link_create(evidence_id=theirs.pk, by=editor, card=first_card(journey).pk)


def test_new_research_events_are_what_governance_reads(journey, evidence, editor):
    from django.utils import timezone

    from research.selectors import research_events

    started = timezone.now()
    services.link_create(evidence_id=evidence.pk, by=editor, card=first_card(journey).pk)
    services.link_create(evidence_id=evidence.pk, by=editor, step=journey.steps.first().pk)
    events = list(research_events(journey_id=journey.pk, since=started))
    assert [(e.evidence, e.by) for e in events] == [(evidence, editor)] * 2
    assert list(research_events(journey_id=journey.pk, since=timezone.now())) == []
