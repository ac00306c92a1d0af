"""Evidence links live and die with their map element: deleting a card, step or stage keeps its links in
journeys' trash, and undo or a version restore brings them back with their ids (lossless round trips)."""

from journeys import services as journey_services
from journeys.models import WaitingRow
from journeys.services import trash, versioning
from research import services
from research.confidence import map_confidence
from research.models import EvidenceLink

from .conftest import first_card


def _links(journey):
    return sorted(
        EvidenceLink.objects.filter(journey=journey).values_list("pk", "card_id", "step_id", "stance", "note")
    )


def test_card_delete_and_undo_keep_the_links(journey, evidence, editor):
    card = first_card(journey)
    services.link_create(evidence_id=evidence.pk, by=editor, card=card.pk, stance="contradicts", note="Why")
    before = _links(journey)
    item = journey_services.card_delete(card_id=card.pk, by=editor)
    assert not EvidenceLink.objects.exists()
    assert map_confidence(journey_id=journey.pk).journey.contradicting.items == {}
    trash.trash_restore(item_id=item.pk, by=editor)
    assert _links(journey) == before
    assert map_confidence(journey_id=journey.pk).cards[card.pk].level == "assumption"  # contradicted only


def test_step_delete_and_undo_keep_links_to_the_step_and_its_cards(journey, evidence, editor):
    card = first_card(journey)
    services.link_create(evidence_id=evidence.pk, by=editor, card=card.pk)
    services.link_create(evidence_id=evidence.pk, by=editor, step=card.step_id)
    before = _links(journey)
    item = journey_services.step_delete(step_id=card.step_id, by=editor)
    assert not EvidenceLink.objects.exists()
    trash.trash_restore(item_id=item.pk, by=editor)
    assert _links(journey) == before


def test_a_version_restore_round_trip_keeps_the_links(journey, evidence, editor, admin):
    baseline = versioning.version_save(journey_id=journey.pk, by=admin, label="Before the new card")
    lane, step = journey.lanes.exclude(kind="emotions").first(), journey.steps.first()
    card = journey_services.card_create(
        lane_id=lane.pk, step_id=step.pk, by=editor, text="Invoices confuse people"
    )
    services.link_create(evidence_id=evidence.pk, by=editor, card=card.pk)
    before = _links(journey)
    # Restoring the baseline removes the new card (to the trash, with its link) …
    versioning.version_restore(version_id=baseline.pk, by=admin)
    assert not EvidenceLink.objects.exists()
    # … and restoring the automatic "before restore" version brings both back, same ids.
    undo = journey.versions.filter(kind="before_restore").latest("created_at")
    versioning.version_restore(version_id=undo.pk, by=admin)
    assert _links(journey) == before
    assert map_confidence(journey_id=journey.pk).cards[card.pk].level == "weak"


def test_a_link_whose_evidence_was_deleted_meanwhile_waits_for_it_on_undo(journey, evidence, editor):
    card = first_card(journey)
    link = services.link_create(evidence_id=evidence.pk, by=editor, card=card.pk)
    item = journey_services.card_delete(card_id=card.pk, by=editor)
    deleted = services.evidence_delete(evidence_id=evidence.pk, by=editor)
    trash.trash_restore(item_id=item.pk, by=editor)
    assert journey.cards.filter(pk=card.pk).exists()
    assert not EvidenceLink.objects.exists()
    assert WaitingRow.objects.get().row["id"] == link.pk
    services.research_trash_restore(item_id=deleted.pk, by=editor)  # the evidence's undo brings it
    assert list(EvidenceLink.objects.values_list("pk", "card_id")) == [(link.pk, card.pk)]
    assert not WaitingRow.objects.exists()
