"""Undo of research deletions (research/services/trash.py): deleting evidence or a study and putting it back
is a lossless round trip — every row of every table as before (same ids, versions, who/when, tags, links
on two journeys, the "new research" events' evidence) — or it is refused with a message, nothing changed."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from journeys import services as journey_services
from journeys.models import Activity
from research import services
from research.models import Evidence, EvidenceLink, ResearchEvent, ResearchTrash, Study
from tests import factories
from tests.checks import VOLATILE_TABLES, database_changes, database_rows

from .conftest import first_card

# The trash itself and the journeys' activity lines change by design; a journey's row changes only in its
# revision and updated_at/by (checked apart in `_journeys`).
OUT = {
    **VOLATILE_TABLES,
    ResearchTrash._meta.db_table: "",
    Activity._meta.db_table: "",
    "journeys_journey": "",
}


def _journeys(*journeys):
    return sorted(
        (j.pk, j.title, j.version, j.visibility, j.owner_id)
        for j in type(journeys[0]).objects.filter(pk__in=[j.pk for j in journeys])
    )


@pytest.fixture
def second_journey(workspace, admin):
    journey = factories.make_journey(workspace, by=admin, title="Renewal")
    factories.make_map(journey, cards=3)
    return journey


@pytest.fixture
def linked(study, evidence, journey, second_journey, editor, admin):
    """The study with two items (tags on both and on the study), linked to cards, a step and a stage of two
    journeys, with a note and both stances, then edited (versions above 1)."""
    other = services.evidence_create(
        workspace_id=study.workspace_id,
        by=admin,
        study=study.pk,
        text="Pricing page was clear.",
        external_id="row-2",
        tags=["Pricing", "Setup"],
    )
    services.evidence_update(evidence_id=evidence.pk, by=editor, participant="P08")
    services.study_update(study_id=study.pk, by=editor, summary="Twelve calls.")
    card = first_card(journey)
    services.link_create(evidence_id=evidence.pk, by=editor, card=card.pk, stance="contradicts", note="Why")
    services.link_create(evidence_id=evidence.pk, by=editor, step=card.step_id)
    services.link_create(evidence_id=other.pk, by=editor, stage=journey.stages.first().pk)
    services.link_create(evidence_id=evidence.pk, by=editor, card=first_card(second_journey).pk)
    return [evidence, other]


def test_evidence_delete_and_restore_equals_before(linked, journey, second_journey, editor):
    evidence = linked[0]
    before, journeys = database_rows(exclude=OUT), _journeys(journey, second_journey)
    item = services.evidence_delete(evidence_id=evidence.pk, by=editor)
    assert item.kind == "evidence" and item.evidence_count == 1
    assert not Evidence.objects.filter(pk=evidence.pk).exists()
    assert ResearchEvent.objects.filter(evidence__isnull=True).count() == 3  # the delete cleared them
    restored = services.research_trash_restore(item_id=item.pk, by=editor)
    assert restored.links == 3 and restored.left_out == []
    assert database_changes(before, database_rows(exclude=OUT)) == []
    assert _journeys(journey, second_journey) == journeys
    # Each journey said what came back, after saying what went.
    for j, count in ((journey, 2), (second_journey, 1)):
        lines = list(Activity.objects.filter(journey=j).order_by("-id").values_list("summary", flat=True)[:2])
        assert (
            lines[0]
            == f"put back {count} evidence link{'s' if count > 1 else ''} (evidence “{item.title}” put back)"
        )
        assert "evidence deleted" in lines[1]


def test_study_delete_and_restore_equals_before(linked, study, journey, second_journey, editor):
    before = database_rows(exclude=OUT)
    item = services.study_delete(study_id=study.pk, by=editor)
    assert (item.kind, item.title, item.evidence_count) == ("study", "Onboarding interviews", 2)
    assert not Study.objects.exists() and not EvidenceLink.objects.exists()
    restored = services.research_trash_restore(item_id=item.pk, by=editor)
    assert restored.study.pk == study.pk and sorted(restored.evidence_ids) == sorted(e.pk for e in linked)
    assert restored.links == 4
    assert database_changes(before, database_rows(exclude=OUT)) == []
    assert ResearchEvent.objects.filter(evidence__isnull=True).count() == 0
    # No "new research" event: the links are not new research.
    assert ResearchEvent.objects.count() == 4


def test_restoring_twice_is_refused_and_changes_nothing(evidence, editor):
    item = services.evidence_delete(evidence_id=evidence.pk, by=editor)
    services.research_trash_restore(item_id=item.pk, by=editor)
    before = database_rows()
    with pytest.raises(ValidationError) as exc:
        services.research_trash_restore(item_id=item.pk, by=editor)
    assert exc.value.message_dict == {"item": ["This evidence was already put back."]}
    assert database_changes(before, database_rows()) == []


def test_an_external_id_taken_again_is_refused_naming_the_field(linked, study, editor, admin):
    item = services.evidence_delete(evidence_id=linked[1].pk, by=editor)
    services.evidence_create(
        workspace_id=study.workspace_id, by=admin, study=study.pk, text="New", external_id="row-2"
    )
    before = database_rows()
    with pytest.raises(ValidationError) as exc:
        services.research_trash_restore(item_id=item.pk, by=editor)
    assert list(exc.value.message_dict) == ["external_id"]
    assert "row-2" in exc.value.message_dict["external_id"][0]
    assert database_changes(before, database_rows()) == []


def test_evidence_of_a_study_deleted_since_waits_for_the_study(evidence, study, editor):
    item = services.evidence_delete(evidence_id=evidence.pk, by=editor)
    study_item = services.study_delete(study_id=study.pk, by=editor)
    with pytest.raises(ValidationError) as exc:
        services.research_trash_restore(item_id=item.pk, by=editor)
    assert exc.value.message_dict == {
        "study": [
            "The study “Onboarding interviews” this evidence was in was deleted too: put it back first."
        ]
    }
    services.research_trash_restore(item_id=study_item.pk, by=editor)
    services.research_trash_restore(item_id=item.pk, by=editor)
    assert Evidence.objects.filter(pk=evidence.pk, study_id=study.pk).exists()


def test_a_restricted_journeys_link_comes_back_only_for_who_may_edit_it(
    evidence, journey, restricted_journey, editor, admin
):
    services.link_create(evidence_id=evidence.pk, by=admin, card=first_card(restricted_journey).pk)
    services.link_create(evidence_id=evidence.pk, by=admin, card=first_card(journey).pk)
    item = services.evidence_delete(evidence_id=evidence.pk, by=admin)
    before = database_rows()
    # The editor cannot see the restricted journey: refused without naming it.
    with pytest.raises(PermissionDenied) as exc:
        services.research_trash_restore(item_id=item.pk, by=editor)
    assert "journey you cannot see" in str(exc.value)
    assert restricted_journey.title not in str(exc.value)
    assert database_changes(before, database_rows()) == []
    # An editor who sees it through a view grant but may not edit it: refused, naming it.
    journey_services.journey_grant_set(
        journey_id=restricted_journey.pk, by=admin, grantee=editor, level="view"
    )
    before = database_rows()
    with pytest.raises(PermissionDenied) as exc:
        services.research_trash_restore(item_id=item.pk, by=editor)
    assert f"“{restricted_journey.title}”, which you cannot edit" in str(exc.value)
    assert database_changes(before, database_rows()) == []
    # Who may edit it puts everything back.
    restored = services.research_trash_restore(item_id=item.pk, by=admin)
    assert restored.links == 2


def test_viewers_and_outsiders_cannot_restore(evidence, editor, viewer, outsider):
    from django.http import Http404

    item = services.evidence_delete(evidence_id=evidence.pk, by=editor)
    with pytest.raises(PermissionDenied):
        services.research_trash_restore(item_id=item.pk, by=viewer)
    with pytest.raises(Http404):
        services.research_trash_restore(item_id=item.pk, by=outsider)


def test_a_link_whose_card_was_deleted_since_waits_for_it_and_is_reported(evidence, journey, editor):
    card, other = journey.cards.order_by("pk")[:2]
    services.link_create(evidence_id=evidence.pk, by=editor, card=card.pk)
    services.link_create(evidence_id=evidence.pk, by=editor, card=other.pk)
    item = services.evidence_delete(evidence_id=evidence.pk, by=editor)
    journey_services.card_delete(card_id=card.pk, by=editor)
    restored = services.research_trash_restore(item_id=item.pk, by=editor)
    assert (restored.links, restored.waiting) == (1, 1)
    assert restored.left_out == [
        "1 link to a deleted card, step or stage will come back when that is put back."
    ]
    assert list(EvidenceLink.objects.values_list("card_id", flat=True)) == [other.pk]
    # (tests/research/test_round_trips.py: the card's undo brings it, in every order.)


def test_a_card_deleted_before_the_evidence_gets_its_link_back_from_the_maps_trash(evidence, journey, editor):
    from journeys.services import trash

    card = first_card(journey)
    services.link_create(evidence_id=evidence.pk, by=editor, card=card.pk)
    card_item = journey_services.card_delete(card_id=card.pk, by=editor)
    item = services.evidence_delete(evidence_id=evidence.pk, by=editor)
    services.research_trash_restore(item_id=item.pk, by=editor)
    trash.trash_restore(item_id=card_item.pk, by=editor)
    assert EvidenceLink.objects.filter(evidence=evidence, card=card).exists()


def test_a_tag_deleted_since_comes_back_by_name(evidence, editor):
    from research.models import Tag

    item = services.evidence_delete(evidence_id=evidence.pk, by=editor)
    services.tag_delete(tag_id=Tag.objects.get(name="Setup").pk, by=editor)
    services.research_trash_restore(item_id=item.pk, by=editor)
    assert list(Evidence.objects.get(pk=evidence.pk).tags.values_list("name", flat=True)) == ["Setup"]


def test_a_tag_renamed_or_merged_since_is_followed_on_put_back(workspace, study, editor):
    """Rename and merge keep what a tag tags (issue 8), deleted evidence and studies included: they come
    back with the tag's new name, or with the tag it was merged into (once), never with the old one."""
    from research.models import Tag

    both = services.evidence_create(
        workspace_id=workspace.pk,
        by=editor,
        study=study.pk,
        text="Pricing and setup",
        tags=["Setup", "Pricing"],
    )
    one = services.evidence_create(workspace_id=workspace.pk, by=editor, text="Only setup", tags=["Setup"])
    renamed = services.evidence_create(workspace_id=workspace.pk, by=editor, text="Tax", tags=["Tax"])
    items = [services.evidence_delete(evidence_id=e.pk, by=editor) for e in (both, one, renamed)]
    study_item = services.study_delete(study_id=study.pk, by=editor)  # the study is tagged "Onboarding"
    tags = {t.name: t for t in Tag.objects.all()}
    services.tag_merge(tag_id=tags["Setup"].pk, into_id=tags["Pricing"].pk, by=editor)
    services.tag_merge(tag_id=tags["Onboarding"].pk, into_id=tags["Pricing"].pk, by=editor)
    services.tag_rename(tag_id=tags["Tax"].pk, by=editor, name="Tax number")
    services.research_trash_restore(item_id=study_item.pk, by=editor)
    for item in items:
        services.research_trash_restore(item_id=item.pk, by=editor)

    def names(obj):
        return sorted(obj.tags.values_list("name", flat=True))

    assert names(Evidence.objects.get(pk=both.pk)) == ["Pricing"]
    assert names(Evidence.objects.get(pk=one.pk)) == ["Pricing"]
    assert names(Evidence.objects.get(pk=renamed.pk)) == ["Tax number"]
    assert names(Study.objects.get(pk=study.pk)) == ["Pricing"]
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["Pricing", "Tax number"]


def test_a_long_text_is_shortened_with_an_ellipsis_for_the_list(workspace, editor):
    text = "word " * 100
    evidence = services.evidence_create(workspace_id=workspace.pk, by=editor, text=text)
    item = services.evidence_delete(evidence_id=evidence.pk, by=editor)
    assert len(item.title) == ResearchTrash.TITLE_MAX and item.title.endswith("…")
    services.research_trash_restore(item_id=item.pk, by=editor)
    assert Evidence.objects.get(pk=evidence.pk).text == text


# ---------------------------------------------------------------------------------------------- pages


def test_deleting_evidence_from_its_page_offers_undo_on_the_page_it_lands_on(client, evidence, study, editor):
    client.force_login(editor)
    detail = client.get(reverse("research:evidence_detail", args=[evidence.pk])).content.decode()
    assert f'action="{reverse("research:evidence_delete", args=[evidence.pk])}"' in detail  # no confirmation
    response = client.post(reverse("research:evidence_delete", args=[evidence.pk]), {"expected_version": 1})
    assert response.status_code == 302 and response.url == reverse("research:study", args=[study.pk])
    item = ResearchTrash.objects.get()
    page = client.get(response.url).content.decode()
    undo = reverse("research:trash_restore", args=[item.pk])
    assert "Evidence “I gave up when the setup asked for my tax number.” deleted." in page
    assert page.count(f'action="{undo}"') == 2  # the notice's Undo and Recently deleted's Put back
    # A button (keyboard reachable) that Ctrl/Cmd+Z presses too (static/js/behaviours.js), and says so.
    assert (
        '<button class="btn btn--sm" type="submit" data-undo-shortcut aria-keyshortcuts="Control+Z Meta+Z">'
        "Undo</button>" in page
    )
    assert '<span class="rs-undo__keys"> (Ctrl+Z or ⌘Z)</span>' in page
    # Once: a reload keeps Recently deleted, not the notice.
    assert client.get(response.url).content.decode().count(f'action="{undo}"') == 1
    back = client.post(undo)
    assert back.status_code == 302 and back.url == reverse("research:evidence_detail", args=[evidence.pk])
    assert (
        "Put back “I gave up when the setup asked for my tax number.”."
        in client.get(back.url).content.decode()
    )
    again = client.post(undo)  # a second time: refused, said on the library
    assert again.url == reverse("research:evidence")
    assert "This evidence was already put back." in client.get(again.url).content.decode()


def test_a_study_delete_asks_first_says_it_can_be_undone_and_is_undone(client, linked, study, editor):
    client.force_login(editor)
    url = reverse("research:study_delete", args=[study.pk])
    assert "You can undo this" in client.get(url).content.decode()
    response = client.post(url, {"expected_version": Study.objects.get(pk=study.pk).version, "confirm": "on"})
    assert response.url == reverse("research:studies")
    page = client.get(response.url).content.decode()
    assert "Study “Onboarding interviews” deleted with 2 evidence items." in page
    item = ResearchTrash.objects.get()
    back = client.post(reverse("research:trash_restore", args=[item.pk]))
    assert back.url == reverse("research:study", args=[study.pk])
    shown = client.get(back.url).content.decode()
    assert "Put back “Onboarding interviews” with 2 evidence items and 4 links to the map." in shown


def test_viewers_see_recently_deleted_without_put_back(client, evidence, editor, viewer):
    item = services.evidence_delete(evidence_id=evidence.pk, by=editor)
    client.force_login(viewer)
    page = client.get(reverse("research:evidence")).content.decode()
    assert "Recently deleted (1)" in page and "I gave up when the setup" in page
    assert reverse("research:trash_restore", args=[item.pk]) not in page
    assert client.post(reverse("research:trash_restore", args=[item.pk])).status_code == 403


def test_a_refused_put_back_says_why_on_the_list(client, evidence, restricted_journey, editor, admin):
    services.link_create(evidence_id=evidence.pk, by=admin, card=first_card(restricted_journey).pk)
    item = services.evidence_delete(evidence_id=evidence.pk, by=admin)
    client.force_login(editor)
    before = database_rows()
    response = client.post(reverse("research:trash_restore", args=[item.pk]))
    assert response.url == reverse("research:evidence")
    assert database_changes(before, database_rows()) == []
    page = client.get(response.url).content.decode()
    assert "Some of these links are on a journey you cannot see" in page
    assert "confidential" not in page


def _deleted(workspace, by, n):
    made = services.evidence_bulk_create(
        workspace_id=workspace.pk, by=by, items=[{"text": f"Deleted {i}"} for i in range(n)]
    ).created
    for evidence in made:
        services.evidence_delete(evidence_id=evidence.pk, by=by)


@pytest.mark.parametrize("size", [2, 40])
def test_recently_deleted_pages_run_the_same_queries_whatever_the_trash(
    client, workspace, study, evidence, editor, viewer, size, django_assert_num_queries
):
    from .test_pages import LIBRARY_QUERIES, STUDY_QUERIES

    _deleted(workspace, editor, size)
    client.force_login(viewer)
    client.get(reverse("research:evidence"))  # the session's first read of its workspace
    with django_assert_num_queries(LIBRARY_QUERIES):
        page = client.get(reverse("research:evidence")).content.decode()
    assert page.count('class="rs-trash__item"') == min(size, 20)
    with django_assert_num_queries(STUDY_QUERIES):
        client.get(reverse("research:study", args=[study.pk]))
    # session, user, memberships, count, studies, their tags, recently deleted (with deleters)
    with django_assert_num_queries(7):
        client.get(reverse("research:studies"))


# ---------------------------------------------------------------------------------------------- API


def _api(client, user, verb, url):
    client.force_login(user)
    return client.generic(verb, url, "", content_type="application/json")


def test_the_api_lists_and_restores(client, workspace, linked, study, editor, viewer, outsider):
    services.study_delete(study_id=study.pk, by=editor)
    listed = _api(client, viewer, "GET", f"/api/v1/workspaces/{workspace.pk}/research-trash/")
    assert listed.status_code == 200
    (row,) = listed.json()["results"]
    assert (row["kind"], row["title"], row["evidence_count"], row["deleted_by"]["username"]) == (
        "study",
        "Onboarding interviews",
        2,
        "bob",
    )
    url = f"/api/v1/research-trash/{row['id']}/restore/"
    assert _api(client, outsider, "POST", url).status_code == 404
    assert _api(client, viewer, "POST", url).status_code == 403
    done = _api(client, editor, "POST", url)
    assert done.status_code == 200, done.content
    assert done.json() == {
        "id": row["id"],
        "kind": "study",
        "study": study.pk,
        "evidence": sorted(e.pk for e in linked),
        "links": 4,
        "waiting": 0,
        "left_out": [],
    }
    again = _api(client, editor, "POST", url)
    assert (again.status_code, again.json()) == (400, {"item": ["This study was already put back."]})
    assert (
        _api(client, viewer, "GET", f"/api/v1/workspaces/{workspace.pk}/research-trash/").json()["results"]
        == []
    )


@pytest.mark.parametrize("size", [2, 40])
def test_the_api_list_runs_the_same_queries_whatever_the_trash(
    client, workspace, editor, viewer, size, django_assert_num_queries
):
    _deleted(workspace, editor, size)
    client.force_login(viewer)
    # session, user, membership, count, the page's items with their deleters
    with django_assert_num_queries(5):
        response = client.get(f"/api/v1/workspaces/{workspace.pk}/research-trash/")
    assert response.json()["count"] == size
