"""Research fixtures: a study with evidence in the personas' workspace (tests/conftest.py), made through
research's services."""

import pytest

from research import services


@pytest.fixture
def study(workspace, admin):
    return services.study_create(
        workspace_id=workspace.pk,
        by=admin,
        title="Onboarding interviews",
        method="interviews",
        tags=["Onboarding"],
    )


@pytest.fixture
def evidence(workspace, admin, study):
    return services.evidence_create(
        workspace_id=workspace.pk,
        by=admin,
        study=study.pk,
        kind="quote",
        text="I gave up when the setup asked for my tax number.",
        participant="P07",
        tags=["Setup"],
    )


def first_card(journey, kind=None):
    cards = journey.cards.order_by("pk")
    if kind:
        cards = cards.filter(lane__kind=kind)
    return cards.first()
