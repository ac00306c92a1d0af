"""Pages of a map's history: versions list, a past version, the diff, restore, undo, the comment panel."""

import json

import pytest
from django.urls import reverse
from django.utils.html import escape

from journeys import services
from journeys.models import Card, Comment, MapVersion, TrashedItem
from journeys.services import comments, versioning
from tests import factories

HTMX = {"HX-Request": "true"}


def some_card(journey):
    return journey.cards.exclude(lane__kind="emotions").order_by("pk").first()


def big_journey(workspace, admin):
    return factories.make_map(
        factories.make_journey(workspace, by=admin, title="Big"),
        stages=6,
        steps_per_stage=5,
        lanes=10,
        cards=500,
    )


# ---------------------------------------------------------------------------------------------- versions list


def test_versions_page_lists_versions_and_recently_deleted(client, editor, admin, journey):
    version = versioning.version_save(journey_id=journey.pk, by=admin, label="Kick-off <workshop>")
    card = some_card(journey)
    services.card_delete(card_id=card.pk, by=admin)
    client.force_login(editor)
    response = client.get(reverse("journeys:versions", args=[journey.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Kick-off &lt;workshop&gt;" in html and "<workshop>" not in html  # escaped
    assert reverse("journeys:version_detail", args=[journey.pk, version.pk]) in html
    assert reverse("journeys:version_restore", args=[journey.pk, version.pk]) in html
    assert "Save version" in html
    assert escape(card.text) in html and "<b>" not in html  # the deleted card, escaped, with a way back
    item = TrashedItem.objects.get()
    assert reverse("journeys:trash_restore", args=[journey.pk, item.pk]) in html


def test_viewers_see_history_without_controls_to_change_it(client, viewer, admin, journey):
    version = versioning.version_save(journey_id=journey.pk, by=admin, label="Kick-off")
    services.card_delete(card_id=some_card(journey).pk, by=admin)
    client.force_login(viewer)
    html = client.get(reverse("journeys:versions", args=[journey.pk])).content.decode()
    assert "Kick-off" in html
    assert reverse("journeys:version_restore", args=[journey.pk, version.pk]) not in html
    assert "Save version" not in html and "Put back" not in html


def test_editor_saves_a_named_version_from_the_page(client, editor, journey):
    client.force_login(editor)
    url = reverse("journeys:versions", args=[journey.pk])
    response = client.post(url, {"label": "Workshop outcome"})
    assert response.status_code == 302 and response["Location"] == url
    assert MapVersion.objects.get().label == "Workshop outcome"


def test_a_version_without_a_name_is_refused_with_the_field_named(client, editor, journey):
    client.force_login(editor)
    response = client.post(reverse("journeys:versions", args=[journey.pk]), {"label": "   "})
    assert response.status_code == 400
    assert response.context["form"].errors["label"]
    assert not MapVersion.objects.exists()


def test_viewer_cannot_save_and_outsider_cannot_see(client, viewer, outsider, journey):
    client.force_login(viewer)
    assert client.post(reverse("journeys:versions", args=[journey.pk]), {"label": "Mine"}).status_code == 403
    client.force_login(outsider)
    assert client.get(reverse("journeys:versions", args=[journey.pk])).status_code == 404
    assert not MapVersion.objects.exists()


def test_versions_page_query_count_does_not_grow(
    client, admin, workspace, journey, django_assert_num_queries
):
    big = big_journey(workspace, admin)
    client.force_login(admin)
    for j in (journey, big):
        for n in range(3):
            versioning.version_save(journey_id=j.pk, by=admin, label=f"V{n}")
        for stage in list(j.stages.all()):
            services.stage_delete(stage_id=stage.pk, by=admin)
        # session, user, journey (with workspace, owner, last editor) with membership role, versions with
        # their authors and counts, trashed items with their deleters and counts, the workspace menu's
        # memberships
        with django_assert_num_queries(6):
            response = client.get(reverse("journeys:versions", args=[j.pk]))
        assert len(response.context["versions"]) == 3


# ------------------------------------------------------------------------------------------ a past version


def test_a_past_version_shows_the_map_as_it_was(client, viewer, admin, journey):
    card = some_card(journey)
    version = versioning.version_save(journey_id=journey.pk, by=admin, label="Baseline")
    services.card_delete(card_id=card.pk, by=admin)
    services.lane_create(journey_id=journey.pk, by=admin, title="Added later")
    client.force_login(viewer)
    response = client.get(reverse("journeys:version_detail", args=[journey.pk, version.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="card-{card.pk}"' in html  # deleted since, still in the past version
    assert "Added later" not in html
    assert "&lt;b&gt;bold?&lt;/b&gt;" in html and "<b>bold?</b>" not in html
    assert "Restore this version" not in html  # viewers cannot restore


def test_a_version_of_another_journey_is_not_found(client, admin, journey, restricted_journey):
    other = versioning.version_save(journey_id=restricted_journey.pk, by=admin, label="Other")
    client.force_login(admin)
    assert client.get(reverse("journeys:version_detail", args=[journey.pk, other.pk])).status_code == 404


def test_past_version_query_count_does_not_grow(client, admin, workspace, journey, django_assert_num_queries):
    big = big_journey(workspace, admin)
    client.force_login(admin)
    for j in (journey, big):
        version = versioning.version_save(journey_id=j.pk, by=admin, label="Baseline")
        # session, user, journey with membership role, the version, journeys the viewer can open, workspace
        # menu
        with django_assert_num_queries(6):
            response = client.get(reverse("journeys:version_detail", args=[j.pk, version.pk]))
        assert response.context["map"].card_count == j.cards.count()


# ---------------------------------------------------------------------------------------------- diff


def test_diff_page_shows_before_and_after_text_escaped(client, viewer, admin, journey):
    card = some_card(journey)
    version = versioning.version_save(journey_id=journey.pk, by=admin, label="Baseline")
    services.card_update(card_id=card.pk, by=admin, text="Card 1 <i>rewritten</i> today")
    removed = journey.cards.exclude(pk=card.pk).order_by("pk").last()
    services.card_delete(card_id=removed.pk, by=admin)
    client.force_login(viewer)
    response = client.get(
        reverse("journeys:version_diff", args=[journey.pk]), {"from": version.pk, "to": "now"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    # Most words changed, so the diff shows the whole old text struck and the whole new text inserted.
    old = card.text.replace("<", "&lt;").replace(">", "&gt;")
    assert f"<del>{old}</del>" in html and "<b>bold?</b>" not in html
    assert "<ins>Card 1 &lt;i&gt;rewritten&lt;/i&gt; today</ins>" in html and "<i>rewritten</i>" not in html
    assert response.context["counts"] == {"added": 0, "removed": 1, "changed": 1, "moved": 0}
    [lane_group] = [g for g in response.context["sections"]["cards"] if g["id"] == card.lane_id]
    assert card.pk in [e["id"] for e in lane_group["cards"]]


def test_diff_between_two_versions_and_nothing_changed(client, viewer, admin, journey):
    v1 = versioning.version_save(journey_id=journey.pk, by=admin, label="One")
    v2 = versioning.version_save(journey_id=journey.pk, by=admin, label="Two")
    client.force_login(viewer)
    response = client.get(reverse("journeys:version_diff", args=[journey.pk]), {"from": v1.pk, "to": v2.pk})
    assert response.status_code == 200 and response.context["is_empty"]
    assert "Nothing changed" in response.content.decode()


def test_diff_with_bad_input_explains_and_other_journeys_versions_are_not_found(
    client, admin, journey, restricted_journey
):
    versioning.version_save(journey_id=journey.pk, by=admin, label="Mine")
    other = versioning.version_save(journey_id=restricted_journey.pk, by=admin, label="Other")
    client.force_login(admin)
    url = reverse("journeys:version_diff", args=[journey.pk])
    response = client.get(url, {"from": "abc"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("journeys:versions", args=[journey.pk])
    assert any("from" in str(m) for m in response.context["messages"])
    assert client.get(url, {"from": other.pk}).status_code == 404


def test_diff_without_any_version_sends_to_the_versions_page(client, admin, journey):
    client.force_login(admin)
    response = client.get(reverse("journeys:version_diff", args=[journey.pk]))
    assert response.status_code == 302 and response["Location"] == reverse(
        "journeys:versions", args=[journey.pk]
    )


def test_diff_page_query_count_does_not_grow(client, admin, workspace, journey, django_assert_num_queries):
    big = big_journey(workspace, admin)
    client.force_login(admin)
    for j in (journey, big):
        version = versioning.version_save(journey_id=j.pk, by=admin, label="Before")
        Card.objects.filter(journey=j).update(text="Changed everywhere")
        services.stage_delete(stage_id=j.stages.order_by("position").first().pk, by=admin)
        # session, user, journey with membership role, versions (pickers), the snapshot, the map now
        # (stages, steps, lanes, cards), workspace menu
        with django_assert_num_queries(10):
            response = client.get(reverse("journeys:version_diff", args=[j.pk]), {"from": version.pk})
        assert response.context["counts"]["changed"] > 0


# ---------------------------------------------------------------------------------------------- restore


def test_restore_from_the_page_offers_to_undo(client, editor, admin, journey):
    version = versioning.version_save(journey_id=journey.pk, by=admin, label="Baseline")
    services.card_delete(card_id=some_card(journey).pk, by=admin)
    client.force_login(editor)
    response = client.post(reverse("journeys:version_restore", args=[journey.pk, version.pk]))
    before = MapVersion.objects.get(kind=MapVersion.Kind.BEFORE_RESTORE)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('journeys:versions', args=[journey.pk])}?restored={before.pk}"
    assert versioning.version_diff(version.snapshot, versioning.version_snapshot(journey)).is_empty
    page = client.get(response["Location"]).content.decode()
    assert "Undo the restore" in page
    assert reverse("journeys:version_restore", args=[journey.pk, before.pk]) in page


def test_viewer_cannot_restore_from_the_page(client, viewer, admin, journey):
    version = versioning.version_save(journey_id=journey.pk, by=admin, label="Baseline")
    client.force_login(viewer)
    assert client.post(reverse("journeys:version_restore", args=[journey.pk, version.pk])).status_code == 403
    assert client.get(reverse("journeys:version_restore", args=[journey.pk, version.pk])).status_code == 405
    assert MapVersion.objects.count() == 1


# ---------------------------------------------------------------------------------------------- undo (HTMX)


def test_undo_over_htmx_answers_204_with_triggers(client, editor, admin, journey):
    card = some_card(journey)
    item = services.card_delete(card_id=card.pk, by=admin)
    client.force_login(editor)
    response = client.post(reverse("journeys:trash_restore", args=[journey.pk, item.pk]), headers=HTMX)
    assert response.status_code == 204
    journey.refresh_from_db()
    triggers = json.loads(response["HX-Trigger"])
    assert triggers["map-changed"] == {"journey": journey.pk, "revision": journey.revision}
    assert triggers["trash-restored"] == {"item": item.pk, "kind": "card", "id": card.pk}
    assert Card.objects.filter(pk=card.pk).exists()


def test_undo_that_cannot_happen_over_htmx_says_why(client, admin, journey):
    stage = journey.stages.order_by("position").first()
    item = services.step_delete(step_id=stage.steps.order_by("position").first().pk, by=admin)
    services.stage_delete(stage_id=stage.pk, by=admin)
    client.force_login(admin)
    response = client.post(reverse("journeys:trash_restore", args=[journey.pk, item.pk]), headers=HTMX)
    assert response.status_code == 409
    message = json.loads(response["HX-Trigger"])["trash-restore-failed"]["message"]
    assert stage.title in message and stage.title in response.content.decode()


def test_undo_without_htmx_redirects_back_with_a_message(client, admin, journey):
    item = services.card_delete(card_id=some_card(journey).pk, by=admin)
    client.force_login(admin)
    back = reverse("journeys:versions", args=[journey.pk])
    url = reverse("journeys:trash_restore", args=[journey.pk, item.pk])
    response = client.post(url, {"next": back})
    assert response.status_code == 302 and response["Location"] == back
    response = client.post(url, {"next": "https://evil.example.com/"}, follow=True)  # already back: an error
    assert response.redirect_chain[0][0] == reverse("journeys:map", args=[journey.pk])  # no open redirect
    assert any("already put back" in str(m) for m in response.context["messages"])


def test_viewer_cannot_undo_and_an_item_of_another_journey_is_not_found(
    client, viewer, admin, journey, restricted_journey
):
    item = services.card_delete(card_id=some_card(journey).pk, by=admin)
    other = services.card_delete(card_id=restricted_journey.cards.first().pk, by=admin)
    client.force_login(viewer)
    assert client.post(reverse("journeys:trash_restore", args=[journey.pk, item.pk])).status_code == 403
    client.force_login(admin)
    assert client.post(reverse("journeys:trash_restore", args=[journey.pk, other.pk])).status_code == 404
    assert TrashedItem.objects.filter(restored_at__isnull=True).count() == 2


# ---------------------------------------------------------------------------------------------- comments


def panel_url(journey, card):
    return reverse("journeys:card_comments", args=[journey.pk, card.pk])


def test_viewer_comments_from_the_panel_with_mentions_highlighted_and_text_escaped(
    client, viewer, editor, journey
):
    card = some_card(journey)
    client.force_login(viewer)
    response = client.post(
        panel_url(journey, card), {"action": "add", "body": "@bob <script>x</script> @ghost"}, headers=HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    # A hand-typed @username shows as the person's name.
    assert (
        f'<span class="mention" title="Mentioned: Bob (@bob)" data-user-id="{editor.pk}" dir="auto">'
        "@Bob</span>" in html
    )
    assert "&lt;script&gt;x&lt;/script&gt; @ghost" in html and "<script>x" not in html
    comment = Comment.objects.get()
    assert comment.author == viewer and list(comment.mentions.all()) == [editor]


def test_panel_reply_resolve_and_delete(client, viewer, editor, journey):
    card = some_card(journey)
    root = comments.comment_create(card_id=card.pk, by=viewer, body="Source?")
    client.force_login(editor)
    url = panel_url(journey, card)
    client.post(url, {"action": "add", "body": "Interview 3", "thread": root.pk}, headers=HTMX)
    assert Comment.objects.get(body="Interview 3").thread_id == root.pk
    response = client.post(url, {"action": "resolve", "comment": root.pk}, headers=HTMX)
    root.refresh_from_db()
    assert root.resolved_by == editor and "Resolved by" in response.content.decode()
    response = client.post(url, {"action": "delete", "comment": root.pk}, headers=HTMX)
    assert response.status_code == 403  # an editor, not the author, not a manager
    client.force_login(viewer)
    client.post(url, {"action": "delete", "comment": root.pk}, headers=HTMX)
    assert not Comment.objects.exists()


def test_panel_shows_bad_input_and_changes_nothing(client, viewer, journey):
    card = some_card(journey)
    client.force_login(viewer)
    url = panel_url(journey, card)
    response = client.post(url, {"action": "add", "body": "   "}, headers=HTMX)
    assert response.status_code == 200 and "Write something first." in response.content.decode()
    assert client.post(url, {"action": "add", "body": ""}).status_code == 400
    assert client.post(url, {"action": "resolve", "comment": "999999"}).status_code == 400
    assert client.post(url, {"action": "shout"}).status_code == 400
    assert client.post(url, {"action": "add", "body": "Hi", "thread": "abc"}).status_code == 400
    assert not Comment.objects.exists()
    response = client.post(url, {"action": "add", "body": "Fine without HTMX"})
    assert response.status_code == 302 and Comment.objects.count() == 1


def test_panel_of_a_card_of_another_journey_is_not_found(client, admin, journey, restricted_journey):
    client.force_login(admin)
    other_card = restricted_journey.cards.first()
    assert client.get(panel_url(journey, other_card)).status_code == 404


@pytest.mark.parametrize("threads", [1, 50])
def test_panel_query_count_does_not_grow(client, viewer, editor, journey, threads, django_assert_num_queries):
    card = some_card(journey)
    for i in range(threads):
        root = comments.comment_create(card_id=card.pk, by=viewer, body=f"@bob question {i}")
        comments.comment_create(card_id=card.pk, by=editor, body="@charlie answer", thread=root)
    client.force_login(viewer)
    # session, user, journey with membership role and grants (a viewer), card with lane and step, comments
    # with their people, mentioned people, the workspace context processor's memberships
    with django_assert_num_queries(7):
        response = client.get(panel_url(journey, card), headers=HTMX)
    assert len(response.context["threads"]) == threads


def test_word_diff_marks_single_word_edits_and_shows_rewrites_whole():
    from journeys.views.versions import word_diff

    edit = word_diff("Reads the pricing page twice", "Reads the pricing page once")
    assert [p["op"] for p in edit] == ["equal", "delete", "insert"]
    assert edit[1]["text"] == "twice" and edit[2]["text"] == "once"

    rewrite = word_diff("Reads the pricing page", "Books a demo with sales")
    assert rewrite == [
        {"op": "delete", "text": "Reads the pricing page"},
        {"op": "insert", "text": "Books a demo with sales"},
    ]
