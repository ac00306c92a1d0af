"""Metric and Measurement rules that hold in the model and the database: limits in characters, one
element at most, currency codes, thresholds in the metric's direction, one value per period and segment."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from metrics.models import NAME_MAX, Measurement, Metric


def test_a_name_is_limited_in_characters_and_never_cut(journey):
    metric = Metric(
        journey=journey,
        name="é" * (NAME_MAX + 1),
        kind="custom",
        unit="custom",
        unit_label="x",
        direction="higher",
        aggregation="average",
    )
    with pytest.raises(ValidationError) as exc:
        metric.full_clean()
    assert exc.value.message_dict["name"] == [f"At most {NAME_MAX} characters (you have {NAME_MAX + 1})."]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"unit": "currency"}, "currency", "needs its currency code"),
        ({"unit": "currency", "currency": "eur"}, "currency", "in capitals: EUR (Euro), not “eur”"),
        # The right shape is not enough: ISO 4217 has no ABC, and XXX is its code for "no currency".
        ({"unit": "currency", "currency": "ABC"}, "currency", "“ABC” is not an ISO 4217 currency code"),
        ({"unit": "currency", "currency": "XXX"}, "currency", "“XXX” is not an ISO 4217 currency code"),
        ({"unit": "currency", "currency": "€"}, "currency", "“€” is not an ISO 4217 currency code"),
        ({"unit": "count", "currency": "EUR"}, "currency", "Only a currency metric"),
        ({"unit": "custom"}, "unit_label", "Name the custom unit"),
        (
            {"good_threshold": Decimal(10), "off_track_threshold": Decimal(20)},
            "off_track_threshold",
            "at most",
        ),
        ({"good_threshold": Decimal(10)}, "off_track_threshold", "Give both thresholds"),
    ],
)
def test_a_metric_s_unit_and_thresholds_are_checked(journey, fields, field, message):
    values = {
        "journey": journey,
        "name": "Cost",
        "kind": "count",
        "unit": "count",
        "direction": "higher",
        "aggregation": "sum",
        **fields,
    }
    with pytest.raises(ValidationError) as exc:
        Metric(**values).full_clean()
    assert message in " ".join(exc.value.message_dict[field])


@pytest.mark.parametrize("code", ["EUR", "USD", "JPY", "CHF", "INR", "BRL", "XOF"])
def test_iso_4217_codes_are_accepted(journey, code):
    Metric(
        journey=journey, name="Cost", kind="cost_to_serve", unit="currency", currency=code,
        direction="lower", aggregation="average",
    ).full_clean()  # fmt: skip


def test_lower_is_better_thresholds_run_the_other_way(journey):
    metric = Metric(
        journey=journey,
        name="Drop-off",
        kind="drop_off_rate",
        unit="percent",
        direction="lower",
        aggregation="average",
        good_threshold=Decimal(20),
        off_track_threshold=Decimal(30),
    )
    metric.full_clean()


def test_the_database_holds_one_value_per_metric_period_and_segment(journey):
    metric = Metric.objects.create(
        journey=journey, name="Visits", kind="count", unit="count", direction="higher", aggregation="sum"
    )
    day = date(2025, 3, 1)
    Measurement.objects.create(metric=metric, period_start=day, period_end=day, value=1)
    Measurement.objects.create(metric=metric, period_start=day, period_end=day, segment="EMEA", value=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Measurement.objects.create(metric=metric, period_start=day, period_end=day, value=2)


def test_a_metric_is_on_one_element_at_most(journey):
    stage, step = journey.stages.first(), journey.steps.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Metric.objects.create(
            journey=journey,
            stage=stage,
            step=step,
            name="x",
            kind="count",
            unit="count",
            direction="higher",
            aggregation="sum",
        )
