"""Research's data rules: the same limits and text rules in the model and the database."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from research import services
from research.models import EVIDENCE_TEXT_MAX, Evidence, EvidenceLink


def test_evidence_text_holds_20000_characters_and_refuses_more_naming_the_limit(workspace, admin):
    text = "é" * EVIDENCE_TEXT_MAX  # characters, not bytes
    evidence = services.evidence_create(workspace_id=workspace.pk, by=admin, text=text)
    assert Evidence.objects.get(pk=evidence.pk).text == text
    with pytest.raises(ValidationError) as refused:
        services.evidence_create(workspace_id=workspace.pk, by=admin, text=text + "x")
    assert refused.value.message_dict["text"] == ["At most 20,000 characters (you have 20,001)."]


def test_the_database_holds_the_text_limit_too(workspace, admin, evidence):
    with pytest.raises(IntegrityError), transaction.atomic():
        Evidence.objects.filter(pk=evidence.pk).update(text="x" * (EVIDENCE_TEXT_MAX + 1))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a\x00b", "NUL"),
        ("\u200b \u00a0", "visible text"),
        ("colour \x1b[31m", "control characters"),
    ],
)
def test_evidence_text_follows_the_text_rules(workspace, admin, text, message):
    with pytest.raises(ValidationError) as refused:
        services.evidence_create(workspace_id=workspace.pk, by=admin, text=text)
    assert message in " ".join(refused.value.message_dict["text"])
    assert not Evidence.objects.exists()


@pytest.mark.parametrize(
    "label", ["ana@example.com", "+44 20 7946 0958", "Ana (0049 170 1234567)", "tel:01701234567"]
)
def test_a_participant_is_a_pseudonym_never_a_contact(workspace, admin, label):
    with pytest.raises(ValidationError) as refused:
        services.evidence_create(workspace_id=workspace.pk, by=admin, text="Quote", participant=label)
    assert "pseudonymous" in refused.value.message_dict["participant"][0]


def test_pseudonymous_labels_are_fine(workspace, admin):
    for label in ("P07", "Store manager 3", "Participant 12", "114523789", "R_1234567", "Session 2026-05-12"):
        services.evidence_create(workspace_id=workspace.pk, by=admin, text="Quote", participant=label)


def test_external_id_is_unique_per_study_not_across_studies(workspace, admin, study):
    other = services.study_create(workspace_id=workspace.pk, by=admin, title="Survey", method="survey")
    services.evidence_create(
        workspace_id=workspace.pk, by=admin, text="A", study=study.pk, external_id="row-1"
    )
    services.evidence_create(
        workspace_id=workspace.pk, by=admin, text="B", study=other.pk, external_id="row-1"
    )
    with pytest.raises(ValidationError) as refused:
        services.evidence_create(
            workspace_id=workspace.pk, by=admin, text="C", study=study.pk, external_id="row-1"
        )
    assert "external_id" in refused.value.message_dict
    # …and the database says so too, for writes that bypass the service.
    with pytest.raises(IntegrityError), transaction.atomic():
        Evidence.objects.create(workspace=workspace, study=study, text="D", external_id="row-1")


def test_a_link_names_exactly_one_element(journey, evidence):
    card = journey.cards.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        EvidenceLink.objects.create(evidence=evidence, journey=journey, card=card, step=card.step)
    with pytest.raises(IntegrityError), transaction.atomic():
        EvidenceLink.objects.create(evidence=evidence, journey=journey)


def test_a_study_cannot_end_before_it_starts(workspace, admin):
    with pytest.raises(ValidationError) as refused:
        services.study_create(
            workspace_id=workspace.pk,
            by=admin,
            title="Diary",
            method="diary_study",
            started_on="2026-05-02",
            ended_on="2026-05-01",
        )
    assert "ended_on" in refused.value.message_dict
