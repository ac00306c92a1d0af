"""Metrics fixtures: metrics on the personas' journey (tests/conftest.py), made through metrics' services,
and a helper that records a series of monthly values."""

from datetime import date
from decimal import Decimal

import pytest

from metrics import services


def month(n: int) -> date:
    """The first day of the n-th month from January 2025 (0 → 2025-01-01)."""
    return date(2025 + n // 12, n % 12 + 1, 1)


def record(metric, by, values, *, start: int = 0, segment: str = ""):
    """Monthly values (Decimal-able; None skips a month) of one metric, through the bulk service."""
    items = [
        {"metric": metric.pk, "date": month(start + i), "value": Decimal(str(v)), "segment": segment}
        for i, v in enumerate(values)
        if v is not None
    ]
    return services.measurements_upsert(journey_id=metric.journey_id, by=by, items=items)


@pytest.fixture
def step(journey):
    return journey.steps.order_by("stage__position", "position").first()


@pytest.fixture
def stage(journey):
    return journey.stages.order_by("position").first()


@pytest.fixture
def csat(journey, stage, admin):
    return services.metric_create(journey_id=journey.pk, by=admin, stage=stage.pk, name="CSAT", kind="csat")


@pytest.fixture
def nps_metric(journey, step, admin):
    return services.metric_create(
        journey_id=journey.pk, by=admin, step=step.pk, name="Onboarding NPS", kind="nps", weight=2
    )
