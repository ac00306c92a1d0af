"""Conflicts in a real browser: a stale page that changes only a card's score keeps the words someone else
wrote meanwhile; when both changed the score, the refused picker shows the card with its text and the
question, and "Use mine" applies only the score."""

from django.urls import reverse
from playwright.sync_api import expect

from journeys import services
from journeys.models import Card, LaneKind
from tests import factories


def test_score_picker_on_a_stale_page_merges_and_a_real_clash_keeps_the_text(
    page, sign_in, admin, editor, workspace
):
    journey = factories.make_journey(workspace, by=admin, title="Signup")
    stage = services.stage_create(journey_id=journey.pk, by=admin, title="Sign up")
    lane = services.lane_create(journey_id=journey.pk, by=admin, title="Feels", kind=LaneKind.EMOTIONS)
    card = services.card_create(
        lane_id=lane.pk, step_id=stage.steps.get().pk, by=admin, text="Old words", emotion_score=1
    )
    sign_in(page, editor.username, factories.PASSWORD)
    page.goto(reverse("journeys:map", args=[journey.pk]))
    article = page.locator(f"article#card-{card.pk}")
    expect(article).to_contain_text("Old words")
    # Someone rewords the card; this page does not know yet (live updates are not waited for).
    services.card_update(card_id=card.pk, by=admin, text="Their clearer words")

    article.locator("summary.score").click()
    article.get_by_role("button", name="−2").click()
    expect(article.locator(".card__text")).to_have_text("Their clearer words")
    card.refresh_from_db()
    assert (card.text, card.emotion_score) == ("Their clearer words", -2)

    # The page fetched the map again (it missed a revision); wait for that before the next change behind
    # its back. Now both change the score: the picker's answer is the card as a form, with its text and
    # the question.
    journey.refresh_from_db()
    expect(page.locator("#map-grid")).to_have_attribute("data-revision", str(journey.revision))
    services.card_update(card_id=card.pk, by=admin, emotion_score=3)
    page.locator(f"article#card-{card.pk} summary.score").click()
    page.locator(f"article#card-{card.pk}").get_by_role("button", name="−1").click()
    form = page.locator(f"form#card-{card.pk}")
    expect(form.locator(".conflict")).to_contain_text("changed the emotion score of this card")
    expect(form.locator("textarea[name=text]")).to_have_value("Their clearer words")
    form.get_by_role("button", name="Use my text").click()
    expect(page.locator(f"article#card-{card.pk} .card__text")).to_have_text("Their clearer words")
    card = Card.objects.get(pk=card.pk)
    assert (card.text, card.emotion_score) == ("Their clearer words", -1)
