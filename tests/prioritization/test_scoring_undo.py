"""A score's satisfaction metric (on_delete=SET_NULL) survives the delete and undo of the step, stage or
version restore that took the metric: journeys' trash keeps what the delete cleared and points it back
(journeys/services/rows.py collect_pointers / pointers_return)."""

from datetime import date
from decimal import Decimal

from journeys import services as journey_services
from journeys.models import Step, WaitingRow
from journeys.services import trash, versioning
from metrics import services as metrics_services
from metrics.models import Metric
from prioritization.models import Score

from .scoring_fixtures import *  # noqa: F403 (fixtures)
from .scoring_fixtures import score


def step_metric(journey, by, step):
    metric = metrics_services.metric_create(
        journey_id=journey.pk, by=by, name="Step CSAT", kind="csat", step=step.pk
    )
    metrics_services.measurement_upsert(
        metric_id=metric.pk,
        by=by,
        period_start=date(2025, 1, 1),
        period_end=date(2025, 1, 31),
        value=Decimal(70),
    )
    return metric


def other_step(card):
    return Step.objects.filter(journey_id=card.journey_id).exclude(pk=card.step_id).order_by("pk").first()


def test_undoing_a_step_delete_points_the_score_back_at_its_metric(pain_card, editor, admin, scoring_journey):
    step = other_step(pain_card)
    metric = step_metric(scoring_journey, admin, step)
    score(pain_card, editor, importance=8, satisfaction_metric=metric.pk)

    item = journey_services.step_delete(step_id=step.pk, by=editor)
    assert not Metric.objects.filter(pk=metric.pk).exists()
    assert Score.objects.get(card=pain_card).satisfaction_metric_id is None

    trash.trash_restore(item_id=item.pk, by=editor)
    assert Metric.objects.filter(pk=metric.pk).exists()
    restored = Score.objects.get(card=pain_card)
    assert (restored.satisfaction_metric_id, restored.satisfaction) == (metric.pk, Decimal("7.00"))


def test_a_metric_chosen_since_is_kept(pain_card, editor, admin, scoring_journey):
    step = other_step(pain_card)
    metric = step_metric(scoring_journey, admin, step)
    score(pain_card, editor, satisfaction_metric=metric.pk)
    item = journey_services.step_delete(step_id=step.pk, by=editor)
    third = Step.objects.filter(journey=scoring_journey).exclude(pk=pain_card.step_id).order_by("pk").first()
    chosen = step_metric(scoring_journey, admin, third)
    score(pain_card, editor, satisfaction_metric=chosen.pk)

    trash.trash_restore(item_id=item.pk, by=editor)
    assert Score.objects.get(card=pain_card).satisfaction_metric_id == chosen.pk


def test_undoing_a_version_restore_points_the_score_back(pain_card, editor, admin, scoring_journey):
    before = versioning.version_save(journey_id=scoring_journey.pk, by=admin, label="Before the new step")
    stage = pain_card.step.stage
    step = journey_services.step_create(stage_id=stage.pk, by=admin, title="Added later")
    metric = step_metric(scoring_journey, admin, step)
    score(pain_card, editor, satisfaction_metric=metric.pk)

    undo = versioning.version_restore(version_id=before.pk, by=editor)  # the step and its metric go
    assert Score.objects.get(card=pain_card).satisfaction_metric_id is None
    versioning.version_restore(version_id=undo.pk, by=editor)
    assert Score.objects.get(card=pain_card).satisfaction_metric_id == metric.pk


def test_a_partial_version_restore_points_back_once(pain_card, editor, admin, scoring_journey):
    # The stage of a metric's step is deleted with a second step added after a version was saved; the
    # version restore brings back the stage and the first step (and the metric), not the second, so the
    # trash item stays open. Undoing it later brings the second step and must not point the score at the
    # metric again: its satisfaction metric was cleared on purpose meanwhile.
    stage = journey_services.stage_create(journey_id=scoring_journey.pk, by=admin, title="Renewal")
    first = journey_services.step_create(stage_id=stage.pk, by=admin, title="Quote")
    metric = step_metric(scoring_journey, admin, first)
    version = versioning.version_save(journey_id=scoring_journey.pk, by=admin, label="One step")
    journey_services.step_create(stage_id=stage.pk, by=admin, title="Sign")
    score(pain_card, editor, satisfaction_metric=metric.pk)
    item = journey_services.stage_delete(stage_id=stage.pk, by=editor)

    versioning.version_restore(version_id=version.pk, by=editor)
    assert Score.objects.get(card=pain_card).satisfaction_metric_id == metric.pk
    score(pain_card, editor, satisfaction=Decimal(4))  # the metric cleared on purpose
    trash.trash_restore(item_id=item.pk, by=editor)  # the second step comes back

    assert Step.objects.filter(stage=stage, title="Sign").exists()
    assert Score.objects.get(card=pain_card).satisfaction_metric_id is None


def test_of_two_keepings_the_newest_pointer_wins(pain_card, editor, admin):
    from journeys.services.rows import pointers_return

    label = Score._meta.label
    newer, older = (
        metrics_services.metric_create(journey_id=pain_card.journey_id, by=admin, name=n, kind="csat")
        for n in ("Newer", "Older")
    )
    kept = score(pain_card, editor)
    assert kept.satisfaction_metric_id is None
    assert pointers_return(
        {label: {"satisfaction_metric_id": [[kept.pk, newer.pk], [kept.pk, older.pk]]}}
    ) == (
        1,
        {},
    )
    assert Score.objects.get(pk=kept.pk).satisfaction_metric_id == newer.pk


def test_undoing_the_step_before_the_card_still_points_the_score_back(
    pain_card, editor, admin, scoring_journey
):
    # The step goes (its metric with it: the score's pointer is cleared and kept in the step's item), then
    # the card (its score with it, pointer already empty). The step's undo finds no score to point back:
    # the pointer waits for the score, and the card's undo, which puts the score back, points it.
    step = other_step(pain_card)
    metric = step_metric(scoring_journey, admin, step)
    score(pain_card, editor, importance=8, satisfaction_metric=metric.pk)
    step_item = journey_services.step_delete(step_id=step.pk, by=editor)
    card_item = journey_services.card_delete(card_id=pain_card.pk, by=editor)

    trash.trash_restore(item_id=step_item.pk, by=editor)
    assert not Score.objects.filter(card_id=pain_card.pk).exists()
    trash.trash_restore(item_id=card_item.pk, by=editor)

    restored = Score.objects.get(card_id=pain_card.pk)
    assert (restored.satisfaction_metric_id, restored.satisfaction, restored.importance) == (
        metric.pk,
        Decimal("7.00"),
        8,
    )
    assert not WaitingRow.objects.filter(journey=scoring_journey).exists()  # nothing left waiting


def test_undoing_the_card_before_the_step_points_the_score_back_too(
    pain_card, editor, admin, scoring_journey
):
    step = other_step(pain_card)
    metric = step_metric(scoring_journey, admin, step)
    score(pain_card, editor, satisfaction_metric=metric.pk)
    step_item = journey_services.step_delete(step_id=step.pk, by=editor)
    card_item = journey_services.card_delete(card_id=pain_card.pk, by=editor)

    trash.trash_restore(item_id=card_item.pk, by=editor)  # the card first: the score is back, unpointed
    assert Score.objects.get(card_id=pain_card.pk).satisfaction_metric_id is None
    trash.trash_restore(item_id=step_item.pk, by=editor)
    assert Score.objects.get(card_id=pain_card.pk).satisfaction_metric_id == metric.pk
