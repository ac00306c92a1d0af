"""An evidence link has two ends with an undo each: its card, step or stage (the map's trash) and its evidence
(research's trash). Whatever the order of the deletes and of the undos, every link comes back once both ends
are back — same id, stance, note, version, who/when — and never twice; meanwhile it waits
(journeys.models.WaitingRow, journeys/attachments.py). Deletes through the services, undos through the
services and the pages, version restores included."""

import itertools

import pytest
from django.urls import reverse

from journeys import attachments
from journeys import services as journey_services
from journeys.models import Activity, Comment, TrashedItem, WaitingRow
from journeys.services import comments, trash, versioning, waiting
from research import services
from research.models import EvidenceLink, ResearchTrash
from tests.checks import VOLATILE_TABLES, database_changes, database_rows

from .conftest import first_card

# What changes by design in a round trip: the trashes, the journeys' activity and revisions, versions.
OUT = {
    **VOLATILE_TABLES,
    ResearchTrash._meta.db_table: "",
    TrashedItem._meta.db_table: "",
    Activity._meta.db_table: "",
    "journeys_journey": "",
    "journeys_mapversion": "",
}


def _links():
    return sorted(
        EvidenceLink.objects.values_list(
            "pk", "evidence_id", "journey_id", "card_id", "step_id", "stage_id", "stance", "note", "version",
            "created_at", "created_by_id",
        )
    )  # fmt: skip


@pytest.fixture
def linked(journey, evidence, editor):
    """The evidence linked to a card (contradicting, with a note, edited once), the card's step and stage."""
    card = first_card(journey)
    link = services.link_create(evidence_id=evidence.pk, by=editor, card=card.pk, stance="contradicts")
    services.link_update(link_id=link.pk, by=editor, note="Asked twice in the call")
    services.link_create(evidence_id=evidence.pk, by=editor, step=card.step_id)
    services.link_create(evidence_id=evidence.pk, by=editor, stage=card.step.stage_id, stance="supports")
    return card


ELEMENT_DELETES = {
    "card": lambda card, by: journey_services.card_delete(card_id=card.pk, by=by),
    "step": lambda card, by: journey_services.step_delete(step_id=card.step_id, by=by),
    "stage": lambda card, by: journey_services.stage_delete(stage_id=card.step.stage_id, by=by),
}


@pytest.mark.parametrize("element", list(ELEMENT_DELETES))
@pytest.mark.parametrize("deletes", ["evidence first", "element first"])
@pytest.mark.parametrize("undos", ["evidence first", "element first"])
def test_every_link_comes_back_once_both_ends_are_back_whatever_the_order(
    linked, evidence, editor, element, deletes, undos
):
    before_links, before = _links(), database_rows(exclude=OUT)
    card_link = EvidenceLink.objects.get(card=linked).pk
    undo = {}

    def delete_evidence():
        undo["evidence"] = services.evidence_delete(evidence_id=evidence.pk, by=editor)

    def delete_element():
        undo["element"] = ELEMENT_DELETES[element](linked, editor)

    def undo_evidence():
        services.research_trash_restore(item_id=undo["evidence"].pk, by=editor)

    def undo_element():
        trash.trash_restore(item_id=undo["element"].pk, by=editor)

    deleting = (delete_evidence, delete_element)
    for step in deleting if deletes == "evidence first" else deleting[::-1]:
        step()
    assert _links() == []
    undoing = (undo_evidence, undo_element)
    first, second = undoing if undos == "evidence first" else undoing[::-1]
    first()
    # One end is still deleted: the card's link waits (its step's and stage's may be back already).
    assert card_link not in {row[0] for row in _links()}
    second()
    assert _links() == before_links
    assert not WaitingRow.objects.exists()
    assert database_changes(before, database_rows(exclude=OUT)) == []


def test_a_study_delete_and_a_stage_delete_round_trip_both_ways(linked, study, evidence, editor):
    before_links = _links()
    for study_first, undo_study_first in itertools.product([True, False], repeat=2):
        steps = [
            lambda: services.study_delete(study_id=study.pk, by=editor),
            lambda: journey_services.stage_delete(stage_id=linked.step.stage_id, by=editor),
        ]
        items = [step() for step in (steps if study_first else steps[::-1])]
        study_item = ResearchTrash.objects.filter(restored_at__isnull=True).get()
        stage_item = TrashedItem.objects.filter(restored_at__isnull=True).get()
        undos = [
            (services.research_trash_restore, study_item.pk),
            (trash.trash_restore, stage_item.pk),
        ]
        for undo, pk in undos if undo_study_first else undos[::-1]:
            undo(item_id=pk, by=editor)
        assert items and _links() == before_links, (study_first, undo_study_first)
    assert not WaitingRow.objects.exists()


def test_the_evidence_restore_reports_links_that_wait_and_the_card_undo_brings_them(
    journey, evidence, editor
):
    card, other = journey.cards.order_by("pk")[:2]
    services.link_create(evidence_id=evidence.pk, by=editor, card=card.pk)
    services.link_create(evidence_id=evidence.pk, by=editor, card=other.pk)
    before = _links()
    item = services.evidence_delete(evidence_id=evidence.pk, by=editor)
    card_item = journey_services.card_delete(card_id=card.pk, by=editor)
    restored = services.research_trash_restore(item_id=item.pk, by=editor)
    assert (restored.links, restored.waiting) == (1, 1)
    assert restored.left_out == [
        "1 link to a deleted card, step or stage will come back when that is put back."
    ]
    assert list(EvidenceLink.objects.values_list("card_id", flat=True)) == [other.pk]
    assert WaitingRow.objects.get().journey_id == journey.pk
    trash.trash_restore(item_id=card_item.pk, by=editor)
    assert _links() == before


def test_a_version_restore_removing_the_card_and_its_undo_keep_the_link_across_an_evidence_delete(
    journey, evidence, editor, admin
):
    baseline = versioning.version_save(journey_id=journey.pk, by=admin, label="Before the new card")
    lane, step = journey.lanes.exclude(kind="emotions").first(), journey.steps.first()
    card = journey_services.card_create(lane_id=lane.pk, step_id=step.pk, by=editor, text="Invoices confuse")
    services.link_create(evidence_id=evidence.pk, by=editor, card=card.pk)
    before = _links()
    versioning.version_restore(version_id=baseline.pk, by=admin)  # the card goes, with its link
    item = services.evidence_delete(evidence_id=evidence.pk, by=editor)
    undo = journey.versions.filter(kind="before_restore").latest("created_at")
    versioning.version_restore(version_id=undo.pk, by=admin)  # the card is back; its link waits
    assert journey.cards.filter(pk=card.pk).exists() and _links() == []
    assert not TrashedItem.objects.filter(restored_at__isnull=True).exists()  # the item let go of it
    services.research_trash_restore(item_id=item.pk, by=editor)
    assert _links() == before
    assert not WaitingRow.objects.exists()


def test_a_waiting_link_on_a_journey_the_restorer_cannot_see_waits_unsaid(
    journey, restricted_journey, evidence, editor, admin
):
    """Counts never show a restricted journey's links: its link waits without a word to who cannot see it,
    and comes back with its card all the same."""
    hidden = first_card(restricted_journey)
    services.link_create(evidence_id=evidence.pk, by=admin, card=hidden.pk)
    services.link_create(evidence_id=evidence.pk, by=admin, card=first_card(journey).pk)
    item = services.evidence_delete(evidence_id=evidence.pk, by=admin)
    card_item = journey_services.card_delete(card_id=hidden.pk, by=admin)
    restored = services.research_trash_restore(item_id=item.pk, by=editor)
    assert (restored.links, restored.waiting, restored.left_out) == (1, 0, [])
    assert WaitingRow.objects.get().journey_id == restricted_journey.pk
    trash.trash_restore(item_id=card_item.pk, by=admin)
    assert EvidenceLink.objects.filter(evidence=evidence, card=hidden).exists()
    assert not WaitingRow.objects.exists()


def test_a_link_on_a_journey_deleted_meanwhile_is_dropped_and_reported(journey, evidence, editor, admin):
    services.link_create(evidence_id=evidence.pk, by=editor, card=first_card(journey).pk)
    item = services.evidence_delete(evidence_id=evidence.pk, by=editor)
    journey_services.journey_delete(journey_id=journey.pk, by=admin)
    restored = services.research_trash_restore(item_id=item.pk, by=editor)
    assert restored.left_out == ["1 link to a journey deleted since was not put back."]
    assert not EvidenceLink.objects.exists() and not WaitingRow.objects.exists()


def test_a_waiting_link_equal_to_one_made_meanwhile_comes_back_once(journey, evidence, editor):
    """The waiting row is kept as it was; should an equal link have been made by other means (a race the
    locks prevent, or an import), the return skips it rather than failing or duplicating."""
    card = first_card(journey)
    services.link_create(evidence_id=evidence.pk, by=editor, card=card.pk)
    card_item = journey_services.card_delete(card_id=card.pk, by=editor)
    kept = TrashedItem.objects.get(pk=card_item.pk).payload["rows"][EvidenceLink._meta.label][0]
    trash.trash_restore(item_id=card_item.pk, by=editor)
    assert _links() != []
    waiting.waiting_keep(
        journey_id=journey.pk, rows={EvidenceLink._meta.label: [{**kept, "id": kept["id"] + 99}]}
    )
    second = journey_services.card_delete(card_id=first_card(journey, "actions").pk, by=editor)
    trash.trash_restore(item_id=second.pk, by=editor)  # any undo on the map retries what waits there
    assert EvidenceLink.objects.filter(evidence=evidence, card=card).count() == 1
    assert not WaitingRow.objects.exists()


def test_rows_pointing_at_someone_gone_for_good_do_not_wait(journey, evidence, editor, viewer):
    """Only what has an undo of its own is waited for: map elements and the models upper apps register
    (research: evidence and studies). A mention of a person who has left since stays out for good."""
    assert {m._meta.label for m in attachments.restorable()} >= {"research.Evidence", "research.Study"}
    card = first_card(journey)
    comment = comments.comment_create(card_id=card.pk, by=editor, body="@carol look", mention_ids=[viewer.pk])
    item = journey_services.card_delete(card_id=card.pk, by=editor)
    viewer.delete()
    trash.trash_restore(item_id=item.pk, by=editor)
    assert list(Comment.objects.get(pk=comment.pk).mentions.all()) == []
    assert not WaitingRow.objects.exists()


def test_put_back_on_the_page_says_which_links_wait(client, journey, evidence, editor):
    card = first_card(journey)
    services.link_create(evidence_id=evidence.pk, by=editor, card=card.pk)
    item = services.evidence_delete(evidence_id=evidence.pk, by=editor)
    journey_services.card_delete(card_id=card.pk, by=editor)
    client.force_login(editor)
    response = client.post(reverse("research:trash_restore", args=[item.pk]), follow=True)
    text = response.content.decode()
    assert "1 link to a deleted card, step or stage will come back when that is put back." in text


@pytest.mark.parametrize("size", [1, 30])
def test_undos_run_the_same_queries_whatever_the_number_of_waiting_links(
    workspace, journey, admin, editor, size, django_assert_num_queries
):
    """Both undos cost the same for 1 or 30 links waiting (the links' rows are read, settled and written in
    bulk): a card's undo bringing back its links waiting for it, and evidence's undo taking the links
    waiting for it."""
    cards = list(journey.cards.exclude(lane__kind="emotions").order_by("pk")[:2])
    items = [
        services.evidence_create(workspace_id=workspace.pk, by=admin, text=f"Item {n}") for n in range(size)
    ]
    for evidence in items:
        for card in cards:
            services.link_create(evidence_id=evidence.pk, by=admin, card=card.pk)
    # Card 0: its links wait for it (evidence put back while it was deleted).
    kept = [services.evidence_delete(evidence_id=e.pk, by=admin) for e in items]
    card_item = journey_services.card_delete(card_id=cards[0].pk, by=editor)
    for item in kept:
        services.research_trash_restore(item_id=item.pk, by=admin)
    assert WaitingRow.objects.count() == size
    with django_assert_num_queries(CARD_UNDO_QUERIES):
        trash.trash_restore(item_id=card_item.pk, by=editor)
    assert not WaitingRow.objects.exists() and EvidenceLink.objects.count() == 2 * size

    # Card 1 deleted first, then one evidence item (with all of card 1's links waiting on the map).
    card_item = journey_services.card_delete(card_id=cards[1].pk, by=editor)
    study = services.study_create(workspace_id=workspace.pk, by=admin, title="Batch", method="survey")
    for evidence in items:
        services.evidence_update(evidence_id=evidence.pk, by=admin, study=study.pk)
    study_item = services.study_delete(study_id=study.pk, by=editor)
    trash.trash_restore(item_id=card_item.pk, by=editor)
    assert WaitingRow.objects.count() == size
    with django_assert_num_queries(STUDY_UNDO_QUERIES):
        services.research_trash_restore(item_id=study_item.pk, by=editor)
    assert not WaitingRow.objects.exists() and EvidenceLink.objects.count() == 2 * size


# The map's Undo: savepoint, the item's journey, the workspace (waiting_lock), the journey locked with the
# editor's access, the item, the map's stages, steps and lanes, the card there already?, the card's siblings,
# the card put back, the waiting rows, the links there already, the evidence and the people they point at,
# the links put back, which of them landed, the waiting rows gone, the item closed, and record_change's.
CARD_UNDO_QUERIES = 21
# Research's Put back: savepoint, the item, the workspace, the study and evidence there already?, their
# external ids, the waiting links taken (read, deleted), the journeys locked, the cards present, the journey
# locked with edit, the people, the study, evidence, tag and link rows written, the events, the activity.
STUDY_UNDO_QUERIES = 23
