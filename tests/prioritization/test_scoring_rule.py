"""The scoring rule (prioritization/scoring.py) on worked examples: composite, impact, effort, quadrants,
the confidence factor, bands, Ulwick's opportunity score and satisfaction read from a metric."""

from decimal import Decimal

import pytest

from metrics.models import Aggregation, Direction, Kind, Metric, Unit
from prioritization import scoring
from prioritization.scoring import DEFAULT_CRITERIA, Quadrant
from research.confidence import Level

D = Decimal
EXAMPLE = {"customer_impact": 4, "business_impact": 3, "effort": 2, "strategic_alignment": 5}


def test_the_worked_example_of_the_help_page():
    # n: customer (4−1)/4 = .75 (w3), business .5 (w3), effort (5−2)/4 = .75 (w2), alignment 1 (w2)
    assert scoring.composite(DEFAULT_CRITERIA, EXAMPLE) == D("72.50")  # 100·(2.25+1.5+1.5+2)/10
    assert scoring.impact(DEFAULT_CRITERIA, EXAMPLE) == D("71.88")  # 100·(2.25+1.5+2)/8 = 71.875, half up
    assert scoring.effort(DEFAULT_CRITERIA, EXAMPLE) == D("25.00")  # 100·(2−1)/4
    figures = scoring.figures(DEFAULT_CRITERIA, EXAMPLE)
    assert figures.quadrant == Quadrant.QUICK_WINS
    assert scoring.priority(figures.composite, use_confidence=True, level=Level.MODERATE) == D("61.63")


def test_the_ends_of_the_scale():
    best = {"customer_impact": 5, "business_impact": 5, "effort": 1, "strategic_alignment": 5}
    worst = {"customer_impact": 1, "business_impact": 1, "effort": 5, "strategic_alignment": 1}
    middle = dict.fromkeys(best, 3)
    assert scoring.composite(DEFAULT_CRITERIA, best) == D("100.00")
    assert scoring.composite(DEFAULT_CRITERIA, worst) == D("0.00")
    assert scoring.composite(DEFAULT_CRITERIA, middle) == D("50.00")
    assert scoring.effort(DEFAULT_CRITERIA, worst) == D("100.00")
    assert scoring.effort(DEFAULT_CRITERIA, best) == D("0.00")


def test_an_unrated_weighted_criterion_leaves_the_composite_empty_but_a_weightless_one_does_not():
    partial = {k: v for k, v in EXAMPLE.items() if k != "effort"}
    assert scoring.composite(DEFAULT_CRITERIA, partial) is None
    assert scoring.effort(DEFAULT_CRITERIA, partial) is None
    assert scoring.impact(DEFAULT_CRITERIA, partial) == D("71.88")  # effort is not part of impact
    weightless = [
        scoring.CriterionSpec(
            c.key, c.name, 0 if c.key == "effort" else c.weight, c.lower_is_better, c.meanings
        )
        for c in DEFAULT_CRITERIA
    ]
    # 100·(2.25+1.5+2)/8: effort weighs nothing, so leaving it unrated costs nothing
    assert scoring.composite(weightless, partial) == D("71.88")
    assert scoring.effort(weightless, partial) is None  # no weighted lower-is-better criterion


def test_values_outside_one_to_five_are_refused():
    for bad in (0, 6, 2.5, True, "3"):
        with pytest.raises(ValueError, match="whole number from 1 to 5"):
            scoring.composite(DEFAULT_CRITERIA, {**EXAMPLE, "effort": bad})


@pytest.mark.parametrize(
    ("impact", "effort", "quadrant"),
    [
        (D(50), D("49.99"), Quadrant.QUICK_WINS),
        (D(50), D(50), Quadrant.BIG_BETS),
        (D("49.99"), D("49.99"), Quadrant.FILL_INS),
        (D("49.99"), D(50), Quadrant.MONEY_PITS),
        (None, D(10), None),
        (D(10), None, None),
    ],
)
def test_quadrants_split_at_fifty(impact, effort, quadrant):
    assert scoring.quadrant(impact, effort) == quadrant


def test_confidence_factors_and_priority():
    assert [scoring.confidence_factor(level) for level in Level.values] == [
        D("0.5"),
        D("0.7"),
        D("0.85"),
        D("1.0"),
        D("0.6"),
    ]  # assumption, weak, moderate, strong, contested
    assert scoring.confidence_factor(None) == D("0.5")
    assert scoring.priority(D("80.00"), use_confidence=False, level=Level.ASSUMPTION) == D("80.00")
    assert scoring.priority(D("80.00"), use_confidence=True, level=Level.ASSUMPTION) == D("40.00")
    assert scoring.priority(D("80.00"), use_confidence=True, level=Level.CONTESTED) == D("48.00")
    assert scoring.priority(None, use_confidence=True, level=Level.STRONG) is None


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (D(100), "top"),
        (D(75), "top"),
        (D("74.99"), "high"),
        (D(50), "high"),
        (D(25), "medium"),
        (D(0), "low"),
    ],
)
def test_bands(value, band):
    assert scoring.band(value).key == band


def test_bands_have_distinct_words_icons_and_tones():
    # Readable in greyscale: the word and icon differ for every band, not only the colour.
    looks = [*scoring.BANDS, scoring.UNSCORED]
    assert len({b.label for b in looks}) == len({b.icon for b in looks}) == len(looks)
    assert scoring.band(None) is None


@pytest.mark.parametrize(
    ("importance", "satisfaction", "expected"),
    [
        (D(8), D(3), D("13.00")),  # under-served: 8 + (8 − 3)
        (D(4), D(7), D("4.00")),  # over-served: the gap counts 0, not −3
        (D(10), D(0), D("20.00")),
        (D("7.5"), D("7.5"), D("7.50")),
        (D(8), None, None),
        (None, D(3), None),
    ],
)
def test_opportunity_score_after_ulwick(importance, satisfaction, expected):
    assert scoring.opportunity(importance, satisfaction) == expected


@pytest.mark.parametrize(
    ("kind", "aggregation", "unit", "direction", "value", "expected"),
    [
        (Kind.CSAT, Aggregation.CSAT_SHARE, Unit.PERCENT, Direction.HIGHER, D(82), D("8.20")),
        (Kind.CSAT, Aggregation.CSAT_MEAN, Unit.SCORE, Direction.HIGHER, D(4), D("7.50")),
        (Kind.NPS, Aggregation.NPS, Unit.SCORE, Direction.HIGHER, D(-20), D("4.00")),
        (Kind.NPS, Aggregation.NPS, Unit.SCORE, Direction.HIGHER, D(100), D("10.00")),
        (Kind.CES, Aggregation.AVERAGE, Unit.SCORE, Direction.HIGHER, D("5.5"), D("7.50")),
        (Kind.CONVERSION_RATE, Aggregation.AVERAGE, Unit.PERCENT, Direction.HIGHER, D(30), D("3.00")),
        (Kind.DROP_OFF_RATE, Aggregation.AVERAGE, Unit.PERCENT, Direction.LOWER, D(30), D("7.00")),
        (
            Kind.CSAT,
            Aggregation.CSAT_SHARE,
            Unit.PERCENT,
            Direction.HIGHER,
            D(130),
            D("10.00"),
        ),  # kept in 0–10
        (Kind.TIME_TO_COMPLETE, Aggregation.AVERAGE, Unit.MINUTES, Direction.LOWER, D(12), None),
        (Kind.COUNT, Aggregation.SUM, Unit.COUNT, Direction.HIGHER, D(12), None),
    ],
)
def test_satisfaction_from_a_metric(kind, aggregation, unit, direction, value, expected):
    metric = Metric(kind=kind, aggregation=aggregation, unit=unit, direction=direction)
    assert scoring.satisfaction_from(metric, value) == expected
    assert (scoring.satisfaction_scale(metric) is None) == (expected is None)


def test_the_default_model_writes_five_meanings_for_every_criterion():
    assert [c.key for c in DEFAULT_CRITERIA] == [
        "customer_impact",
        "business_impact",
        "effort",
        "strategic_alignment",
    ]
    assert [(c.weight, c.lower_is_better) for c in DEFAULT_CRITERIA] == [
        (3, False),
        (3, False),
        (2, True),
        (2, False),
    ]
    for criterion in DEFAULT_CRITERIA:
        assert len(criterion.meanings) == 5
        assert len(set(criterion.meanings)) == 5
        assert all(m.strip() for m in criterion.meanings)
