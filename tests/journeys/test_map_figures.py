"""Figures on the map and the compare page agree with what they stand for: the emotion curve shows a gap
where a step has no score (never a line across it), and a change shown next to two figures is the
difference of those figures as shown."""

import re

from django.urls import reverse

from journeys import services
from journeys.models import LaneKind
from journeys.views.grid import STEP_WIDTH, emotion_curve
from tests import factories


def test_the_curve_breaks_where_a_step_has_no_score():
    """Scores per column: a run of two, a gap, a run of two, a gap, a single score (a point, no line)."""
    curve = emotion_curve([2, 1, None, -1, -2, None, 3])
    assert [p["label"] for p in curve["points"]] == ["+2", "+1", "−1", "−2", "+3"]
    assert len(curve["segments"]) == 2
    for segment, (first, last) in zip(curve["segments"], [(0, 1), (3, 4)], strict=True):
        xs = [float(x) for x in re.findall(r"(-?\d+\.\d+),-?\d+\.\d+", segment["path"])]
        assert min(xs) == (first + 0.5) * STEP_WIDTH and max(xs) == (last + 0.5) * STEP_WIDTH
        assert segment["area"].startswith(segment["path"]) and segment["area"].endswith("Z")
    assert emotion_curve([None, 2, None])["segments"] == []  # one scored step: a point only
    assert emotion_curve([None, None])["points"] == []


def test_the_map_draws_one_line_per_run_of_scored_steps(client, admin, workspace):
    journey = factories.make_journey(workspace, by=admin, title="Gaps")
    stage = services.stage_create(journey_id=journey.pk, by=admin, title="Only")
    steps = [stage.steps.get()] + [
        services.step_create(stage_id=stage.pk, by=admin, title=f"Step {n}") for n in range(2, 5)
    ]
    lane = services.lane_create(journey_id=journey.pk, by=admin, title="Feels", kind=LaneKind.EMOTIONS)
    for step, score in zip(steps, [2, None, -1, 1], strict=True):
        if score is not None:
            services.card_create(lane_id=lane.pk, step_id=step.pk, by=admin, text="Hm", emotion_score=score)
    client.force_login(admin)
    html = client.get(reverse("journeys:map", args=[journey.pk])).content.decode()
    assert html.count('class="curve__line"') == 1  # −1 → +1; +2 stands alone
    assert html.count('class="curve__dot ') == 3


def _emotion_journey(workspace, admin, title, scores, state="current"):
    journey = factories.make_journey(workspace, by=admin, title=title, state=state)
    stage = services.stage_create(journey_id=journey.pk, by=admin, title="Sign up")
    step = stage.steps.get()
    lane = services.lane_create(journey_id=journey.pk, by=admin, title="Feels", kind=LaneKind.EMOTIONS)
    for score in scores:
        services.card_create(lane_id=lane.pk, step_id=step.pk, by=admin, text="Hm", emotion_score=score)
    return journey


def test_compare_figures_agree_with_each_other(client, admin, workspace):
    """Means shown with one decimal, and every change computed from the shown figures: 0.25 shows as +0.2 and
    0.75 as +0.8, so the change reads +0.6 (the raw difference, 0.5, would read +0.5)."""
    left = _emotion_journey(workspace, admin, "Today", [1, 0, 0, 0])
    right = _emotion_journey(workspace, admin, "Tomorrow", [1, 1, 1, 0], state="future")
    client.force_login(admin)
    html = client.get(reverse("journeys:compare", args=[left.pk]) + f"?with={right.pk}").content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "+0.2" in text and "+0.8" in text
    assert "emotion +0.6" in text  # the stage row's change
    assert re.search(r"Mean emotion \+0\.2 \+0\.8 \+0\.6", text)  # the scoreboard
    assert "+0.5" not in text
