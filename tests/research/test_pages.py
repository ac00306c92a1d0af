"""Research pages: the evidence library (search, filters, sort, pages), evidence and study pages, the CSV
export, the help page. Data through research's services; query counts equal for 10 and 1,000 items."""

import csv
import datetime
import html
import io
import re

import pytest
from django.urls import reverse

from research import confidence, services
from research.models import Evidence, EvidenceLink, Study
from tests import factories

from .conftest import first_card

LIBRARY = reverse("research:evidence")
EXPORT = reverse("research:evidence_export")


def _add(workspace, by, text, **fields):
    return services.evidence_create(workspace_id=workspace.pk, by=by, text=text, **fields)


def _bulk(workspace, by, n, *, study=None, prefix="Item"):
    for start in range(0, n, 1000):
        items = [
            {
                "text": f"{prefix} {i}: checkout was slow",
                "kind": "observation",
                "tags": ["Bulk"],
                "study": study,
            }
            for i in range(start, min(n, start + 1000))
        ]
        services.evidence_bulk_create(workspace_id=workspace.pk, by=by, items=items)


def _texts(response) -> str:
    return response.content.decode()


# ---------------------------------------------------------------------------------------------- search


@pytest.fixture
def library(workspace, admin, study):
    other = services.study_create(
        workspace_id=workspace.pk, by=admin, title="Support tickets Q1", method="support_tickets"
    )
    items = {
        "cafe": _add(
            workspace, admin, "Le café était froid et le service lent.", kind="quote", study=study.pk
        ),
        "plain": _add(
            workspace, admin, "The CAFE menu is hard to read on a phone.", study=other.pk, tags=["Menu"]
        ),
        "phrase": _add(
            workspace, admin, "Checkout failed twice before the payment went through.", kind="finding"
        ),
        "order": _add(workspace, admin, "Payment failed, then checkout went through.", kind="finding"),
        "greek": _add(workspace, admin, "Η εγγραφή ήταν δύσκολη.", captured_on=datetime.date(2024, 3, 1)),
        "russian": _add(
            workspace,
            admin,
            "Регистрация заняла слишком много времени.",
            captured_on=datetime.date(2025, 6, 1),
        ),
    }
    items["study"], items["other"] = study, other
    return items


def _found(client, **query):
    response = client.get(LIBRARY, query)
    assert response.status_code == 200
    return _texts(response)


def _ids(client, library, **query) -> set[str]:
    """The names (keys of `library`) of the items the library shows for this query."""
    response = client.get(LIBRARY, query)
    assert response.status_code == 200
    shown = {item.pk for item in response.context["page"].object_list}
    return {name for name, obj in library.items() if isinstance(obj, Evidence) and obj.pk in shown}


def test_search_ignores_accents_and_case_and_highlights_as_written(client, viewer, library):
    client.force_login(viewer)
    page = _found(client, q="cafe")
    assert "<mark>café</mark>" in page  # the word as written, accent kept, in the highlight
    assert "<mark>CAFE</mark>" in page
    assert "Checkout failed" not in page
    page = _found(client, q="CAFÉ")
    assert "<mark>café</mark>" in page and "<mark>CAFE</mark>" in page


def test_websearch_syntax_minus_word_and_quoted_phrase(client, viewer, library):
    client.force_login(viewer)
    assert _ids(client, library, q="cafe -menu") == {"cafe"}
    assert _ids(client, library, q='"checkout failed"') == {"phrase"}
    assert _ids(client, library, q="checkout failed") == {"phrase", "order"}  # both words, any order
    assert _ids(client, library, q="froid or phone") == {"cafe", "plain"}
    assert _ids(client, library, q="-cafe") == {"phrase", "order", "greek", "russian"}


def test_search_in_other_scripts(client, viewer, library):
    client.force_login(viewer)
    assert "<mark>δύσκολη</mark>" in _found(client, q="ΔΥΣΚΟΛΗ")
    assert "<mark>Регистрация</mark>" in _found(client, q="регистрация")


def test_filters_and_sorts(client, viewer, library):
    client.force_login(viewer)
    assert _ids(client, library, kind="finding") == {"phrase", "order"}
    assert _ids(client, library, study=library["study"].pk) == {"cafe"}
    assert _ids(client, library, study="none") == {"phrase", "order", "greek", "russian"}
    assert _ids(client, library, method="support_tickets") == {"plain"}
    assert _ids(client, library, tag=library["plain"].tags.get().pk) == {"plain"}
    assert _ids(client, library, captured_from="2025-01-01") == {"russian"}
    assert _ids(client, library, captured_from="2024-01-01", captured_to="2024-12-31") == {"greek"}
    assert _ids(client, library, kind="finding", q="payment") == {"phrase", "order"}

    def order(**query):
        return [item.pk for item in client.get(LIBRARY, query).context["page"].object_list]

    newest = order(sort="newest")
    assert order(sort="oldest") == newest[::-1] and newest[0] == library["russian"].pk
    assert order(sort="captured")[:2] == [library["russian"].pk, library["greek"].pk]
    # Relevance: the item with the words side by side first.
    assert order(q="checkout failed")[0] == library["phrase"].pk
    # A bad value is dropped, never an error.
    assert "cafe" in _ids(client, library, captured_from="31/02/2025", tag="x", sort="nope")


def test_htmx_gets_just_the_results(client, viewer, library):
    client.force_login(viewer)
    response = client.get(LIBRARY, {"q": "cafe"}, headers={"HX-Request": "true"})
    page = _texts(response)
    assert "<mark>café</mark>" in page and "<html" not in page and "Research evidence" not in page


def test_user_text_is_escaped_everywhere(client, admin, workspace, journey):
    text = "<script>alert(1)</script> the <b>form</b> broke <img src=x onerror=alert(2)>"
    evil = _add(workspace, admin, text, participant="<i>P1</i>")
    services.link_create(evidence_id=evil.pk, by=admin, card=first_card(journey).pk)
    client.force_login(admin)
    urls = [
        LIBRARY,
        reverse("research:evidence_detail", args=[evil.pk]),
        reverse("research:card_evidence", args=[first_card(journey).pk]),
        reverse("research:evidence_delete", args=[evil.pk]),
    ]
    for url in urls:
        page = _texts(client.get(url))
        assert "<script>alert" not in page and "<b>form</b>" not in page and "<i>P1</i>" not in page, url
        assert "<img src=x" not in page and "&lt;script&gt;" in page, url
    # A search headline (PostgreSQL's parser leaves tag-like parts out of it) is escaped too, its marks ours.
    page = _texts(client.get(LIBRARY, {"q": "broke"}))
    assert "<mark>broke</mark> &lt;img src=x onerror=alert" in page and "<img src=x" not in page


# ---------------------------------------------------------------------------------------------- hidden links


def test_links_on_a_journey_the_reader_cannot_see_are_never_shown_or_counted(
    client, admin, viewer, workspace, journey, restricted_journey
):
    hidden = _add(workspace, admin, "Only on the confidential pricing map.")
    services.link_create(
        evidence_id=hidden.pk, by=admin, card=first_card(restricted_journey).pk, stance="contradicts"
    )
    client.force_login(viewer)
    page = _found(client)
    assert "Only on the confidential" in page and "Not linked to a map" in page and "Linked to 1" not in page
    assert "Only on the confidential" not in _found(client, linked="yes")
    assert "Only on the confidential" in _found(client, linked="no")
    assert "Only on the confidential" not in _found(client, stance="contradicts")
    detail = _texts(client.get(reverse("research:evidence_detail", args=[hidden.pk])))
    assert restricted_journey.title not in detail and "Not linked to any map element you can see" in detail
    delete_page = client.get(reverse("research:evidence_delete", args=[hidden.pk]))
    assert delete_page.status_code == 403  # a viewer: no write
    csv_text = b"".join(client.get(EXPORT, {"linked": "yes"}).streaming_content).decode("utf-8-sig")
    assert "Only on the confidential" not in csv_text
    # The admin sees it.
    client.force_login(admin)
    assert "Linked to 1 map element" in _found(client, q="confidential")
    detail = _texts(client.get(reverse("research:evidence_detail", args=[hidden.pk])))
    assert restricted_journey.title in detail


def test_study_delete_page_counts_only_visible_links(
    client, admin, editor, workspace, journey, restricted_journey, study
):
    one = _add(workspace, admin, "Seen", study=study.pk)
    two = _add(workspace, admin, "Hidden", study=study.pk)
    services.link_create(evidence_id=one.pk, by=admin, card=first_card(journey).pk)
    services.link_create(evidence_id=two.pk, by=admin, card=first_card(restricted_journey).pk)
    client.force_login(editor)
    page = _texts(client.get(reverse("research:study_delete", args=[study.pk])))
    assert "2 evidence items" in page and "1 on journeys you can see" in page


# ---------------------------------------------------------------------------------------------- query counts

# session, user, memberships (current workspace), studies and tags for the pickers, count, the page's
# evidence (study, visible-link count as a subquery), their tags, recently deleted (with deleters)
LIBRARY_QUERIES = 9


@pytest.mark.parametrize(
    "query", [{}, {"q": "checkout slow"}, {"tag": "bulk", "linked": "no", "sort": "captured"}]
)
def test_library_queries_do_not_grow_with_the_library(
    client, django_assert_num_queries, admin, viewer, workspace, journey, study, query
):
    _bulk(workspace, admin, 10, study=study.pk)
    for evidence in Evidence.objects.all()[:3]:
        services.link_create(evidence_id=evidence.pk, by=admin, card=first_card(journey).pk)
    client.force_login(viewer)
    client.get(LIBRARY)  # the session's first read of its workspace
    tag = str(study.workspace.research_tags.get(name="Bulk").pk)
    query = {k: (tag if v == "bulk" else v) for k, v in query.items()}
    with django_assert_num_queries(LIBRARY_QUERIES):
        small = client.get(LIBRARY, query)
    _bulk(workspace, admin, 990, study=study.pk, prefix="More")
    with django_assert_num_queries(LIBRARY_QUERIES):
        large = client.get(LIBRARY, query)
    assert large.status_code == small.status_code == 200
    assert large.context["page"].paginator.count > small.context["page"].paginator.count


# session, user, memberships, the study (with the reader's role), its tags for the picker, count, the page's
# evidence, their tags, the study with its counts, its tags, recently deleted (with deleters)
STUDY_QUERIES = 11


def test_study_page_queries_do_not_grow(client, django_assert_num_queries, admin, viewer, workspace, study):
    _bulk(workspace, admin, 10, study=study.pk)
    client.force_login(viewer)
    url = reverse("research:study", args=[study.pk])
    with django_assert_num_queries(STUDY_QUERIES):
        assert client.get(url).status_code == 200
    _bulk(workspace, admin, 990, study=study.pk, prefix="More")
    with django_assert_num_queries(STUDY_QUERIES):
        page = _texts(client.get(url))
    assert "1000 items" in page and "Import CSV" not in page  # a viewer does not import


def test_export_queries_do_not_grow(client, django_assert_num_queries, admin, viewer, workspace, study):
    _bulk(workspace, admin, 10, study=study.pk)
    client.force_login(viewer)

    def export():
        response = client.get(EXPORT)
        return b"".join(response.streaming_content).decode("utf-8-sig")

    # session, user, memberships, studies and tags for the filters, the rows (one query, read in chunks)
    with django_assert_num_queries(6):
        assert export().count("\n") == 11
    _bulk(workspace, admin, 990, study=study.pk, prefix="More")
    with django_assert_num_queries(6):
        assert export().count("\n") == 1001


# ---------------------------------------------------------------------------------------------- export


def test_export_is_what_the_filters_show_with_the_importer_columns(client, admin, workspace, study, journey):
    long_text = "Ä" + "x" * 19_990 + " end"
    _add(
        workspace,
        admin,
        long_text,
        study=study.pk,
        kind="quote",
        participant="P07",
        captured_on=datetime.date(2025, 2, 3),
        source_link="https://example.com/t/1",
        external_id="T-1",
        tags=["Setup", "Billing"],
    )
    _add(workspace, admin, '=HYPERLINK("http://evil")', external_id="+1", participant="@me")
    _add(workspace, admin, "'=already quoted", external_id="-2")
    linked = _add(workspace, admin, "Not this one: linked", kind="finding")
    services.link_create(evidence_id=linked.pk, by=admin, card=first_card(journey).pk)
    client.force_login(admin)
    response = client.get(EXPORT, {"linked": "no"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 byte order mark, for Excel
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert list(rows[0]) == [
        "external_id", "text", "kind", "participant", "captured_on", "source_link", "tags", "study",
    ]  # fmt: skip
    by_id = {row["external_id"]: row for row in rows}
    assert set(by_id) == {"T-1", "'+1", "'-2"}
    first = by_id["T-1"]
    assert first["text"] == long_text  # never cut
    assert (first["kind"], first["participant"], first["captured_on"]) == ("quote", "P07", "2025-02-03")
    assert (first["source_link"], first["tags"], first["study"]) == (
        "https://example.com/t/1",
        "Billing; Setup",
        study.title,
    )
    assert by_id["'+1"]["text"] == '\'=HYPERLINK("http://evil")' and by_id["'+1"]["participant"] == "'@me"
    assert by_id["'-2"]["text"] == "''=already quoted"  # so dropping one "'" reads every cell back


# ---------------------------------------------------------------------------------------------- studies


def test_study_create_edit_and_stale_edit(client, editor, admin, workspace):
    client.force_login(editor)
    response = client.post(
        reverse("research:study_create"),
        {
            "title": "Pricing survey",
            "method": "survey",
            "participants": "120",
            "tags": "pricing, b2b",
            "owner": editor.pk,
        },
    )
    study = Study.objects.get(title="Pricing survey")
    assert response.status_code == 302 and response["Location"] == reverse("research:study", args=[study.pk])
    assert sorted(study.tags.values_list("name", flat=True)) == ["b2b", "pricing"]
    # Bad input names the field and changes nothing.
    bad = client.post(
        reverse("research:study_edit", args=[study.pk]),
        {
            "title": "x",
            "method": "survey",
            "started_on": "2025-05-02",
            "ended_on": "2025-05-01",
            "expected_version": 1,
        },
    )
    assert bad.status_code == 200 and "A study cannot end before it starts." in _texts(bad)
    study.refresh_from_db()
    assert study.title == "Pricing survey"
    # Someone else saves meanwhile: the stale form answers with the conflict and saves nothing.
    services.study_update(study_id=study.pk, by=admin, title="Pricing survey 2025")
    stale = client.post(
        reverse("research:study_edit", args=[study.pk]),
        {"title": "My title", "method": "survey", "expected_version": 1},
    )
    page = _texts(stale)
    assert (
        stale.status_code == 409
        and "changed this study while you were editing" in page
        and "the title" in page
    )
    study.refresh_from_db()
    assert study.title == "Pricing survey 2025"
    assert 'name="expected_version" value="2"' in page  # saving again puts mine over theirs
    again = client.post(
        reverse("research:study_edit", args=[study.pk]),
        {"title": "My title", "method": "survey", "expected_version": 2},
    )
    assert again.status_code == 302
    study.refresh_from_db()
    assert study.title == "My title"


def _form_of(page: str) -> dict:
    """The hidden and text inputs of an edit page, as a browser would post them back untouched."""
    fields = {}
    for name, value in re.findall(
        r'<input type="(?:hidden|text|number|date|url)" name="(\w+)" value="([^"]*)"', page
    ):
        fields[name] = html.unescape(value)
    return fields


def test_a_stale_study_form_merges_what_only_one_person_changed(client, editor, admin, workspace):
    study = services.study_create(
        workspace_id=workspace.pk,
        by=editor,
        title="Pricing survey",
        method="survey",
        participants=120,
        tags=["b2b"],
    )
    client.force_login(editor)
    url = reverse("research:study_edit", args=[study.pk])
    opened = _form_of(_texts(client.get(url)))
    assert opened["base_title"] == "Pricing survey" and opened["expected_version"] == "1"
    services.study_update(study_id=study.pk, by=admin, participants=30)  # someone else, another field
    posted = {**opened, "title": "Pricing survey 2026", "method": "survey", "owner": editor.pk}
    response = client.post(url, posted)
    assert response.status_code == 302
    study.refresh_from_db()
    assert (study.title, study.participants, study.version) == ("Pricing survey 2026", 30, 3)
    # Both change the title: the clash is the person's to decide, nothing saved.
    opened = _form_of(_texts(client.get(url)))
    services.study_update(study_id=study.pk, by=admin, title="Their title")
    clash = client.post(url, {**opened, "title": "My title", "method": "survey", "owner": editor.pk})
    page = _texts(clash)
    assert clash.status_code == 409 and "you both changed\n  the title." in page
    study.refresh_from_db()
    assert study.title == "Their title"


def test_study_delete_says_what_goes_and_deletes_it(client, editor, admin, workspace, study, journey):
    item = _add(workspace, admin, "Goes with the study", study=study.pk)
    services.link_create(evidence_id=item.pk, by=admin, card=first_card(journey).pk)
    client.force_login(editor)
    url = reverse("research:study_delete", args=[study.pk])
    assert "1 evidence item" in _texts(client.get(url))
    refused = client.post(url, {"expected_version": study.version})
    assert refused.status_code == 200 and "Tick the box" in _texts(refused)
    assert client.post(url, {"expected_version": study.version, "confirm": "on"}).status_code == 302
    assert not Study.objects.filter(pk=study.pk).exists() and not EvidenceLink.objects.exists()


def test_study_list(client, viewer, study, django_assert_num_queries):
    client.force_login(viewer)
    # session, user, memberships, count, the page's studies (owner, evidence count), their tags, recently
    # deleted (with deleters)
    with django_assert_num_queries(7):
        page = _texts(client.get(reverse("research:studies")))
    assert study.title in page and "New study" not in page
    assert study.title not in _texts(client.get(reverse("research:studies"), {"method": "survey"}))


# ---------------------------------------------------------------------------------------------- evidence


def test_evidence_create_edit_conflict_and_delete(client, editor, admin, workspace, study):
    client.force_login(editor)
    created = client.post(
        reverse("research:evidence_create") + f"?study={study.pk}",
        {"text": "Setup took 40 minutes.", "kind": "observation", "study": study.pk, "tags": "setup"},
    )
    evidence = Evidence.objects.get(text="Setup took 40 minutes.")
    assert created.status_code == 302 and evidence.study_id == study.pk
    bad = client.post(
        reverse("research:evidence_create"), {"text": "x", "kind": "quote", "participant": "jo@example.com"}
    )
    assert "pseudonymous" in _texts(bad) and Evidence.objects.count() == 1
    edit = reverse("research:evidence_edit", args=[evidence.pk])
    services.evidence_update(evidence_id=evidence.pk, by=admin, participant="P2")
    stale = client.post(
        edit, {"text": "Setup took 45 minutes.", "kind": "observation", "expected_version": 1}
    )
    assert stale.status_code == 409 and "changed this evidence while you were editing" in _texts(stale)
    evidence.refresh_from_db()
    assert evidence.text == "Setup took 40 minutes."
    delete = reverse("research:evidence_delete", args=[evidence.pk])
    assert client.post(delete, {"expected_version": 1}).status_code == 200  # stale: says so, deletes nothing
    assert Evidence.objects.filter(pk=evidence.pk).exists()
    response = client.post(delete, {"expected_version": evidence.version})
    assert response.status_code == 302 and response["Location"] == reverse("research:study", args=[study.pk])
    assert not Evidence.objects.filter(pk=evidence.pk).exists()


def test_viewer_reads_but_cannot_write(client, viewer, evidence):
    client.force_login(viewer)
    assert client.get(reverse("research:evidence_create")).status_code == 403
    assert client.get(reverse("research:evidence_edit", args=[evidence.pk])).status_code == 403
    page = _texts(client.get(reverse("research:evidence_detail", args=[evidence.pk])))
    assert evidence.text in page and "Edit" not in page


def test_evidence_detail_shows_where_it_is_linked(
    client, viewer, admin, evidence, journey, django_assert_num_queries
):
    card = first_card(journey)
    services.link_create(evidence_id=evidence.pk, by=admin, card=card.pk, note="Matches the drop-off")
    client.force_login(viewer)
    url = reverse("research:evidence_detail", args=[evidence.pk])
    # session, user, memberships, the evidence with the reader's role, the item (study, link count), its
    # tags, its visible links with journey and element
    with django_assert_num_queries(7):
        page = _texts(client.get(url))
    assert journey.title in page and "Matches the drop-off" in page and "1 map element" in page


# ---------------------------------------------------------------------------------------------- help


def test_help_renders_the_rule_from_the_code(client, viewer, monkeypatch):
    client.force_login(viewer)
    page = _texts(client.get(reverse("research:help_confidence")))
    assert f"points ≥ {confidence.STRONG_POINTS}, sources ≥ {confidence.STRONG_SOURCES}" in page
    assert "18 months" in page
    monkeypatch.setattr(confidence, "STRONG_POINTS", 7)
    assert "points ≥ 7, sources" in _texts(client.get(reverse("research:help_confidence")))


def test_nav_has_research_for_members(client, viewer, outsider, db):
    client.force_login(viewer)
    assert 'href="/research/evidence/"' in _texts(client.get(reverse("journeys:list")))


def test_someone_without_a_workspace_is_told_where_research_lives(client, db):
    loner = factories.make_user("loner")
    client.force_login(loner)
    for url in (LIBRARY, reverse("research:studies")):
        assert "not in a workspace yet" in _texts(client.get(url))
    assert client.get(reverse("research:evidence_create")).status_code == 302
    csv_text = b"".join(client.get(EXPORT).streaming_content).decode("utf-8-sig")
    assert csv_text.splitlines() == ["external_id,text,kind,participant,captured_on,source_link,tags,study"]
