"""Initiative pages: list, board (moving without dragging), an initiative's page (visible cards only, targets
with outcome and chart, history, delivery), forms (create, stale edit merged per field, delete with
confirmation or drop), card search and links, targets, delivery links, the outcome help page; escaping and
query counts that do not grow with the data."""

import re
from datetime import date, timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse

from journeys.models import Activity
from metrics import services as metric_services
from prioritization.models import (
    DeliveryLink,
    Initiative,
    InitiativeCard,
    InitiativeTarget,
    Status,
    StatusChange,
)
from prioritization.services import initiatives as svc

from .initiative_fixtures import *  # noqa: F403 (fixtures)

pytestmark = pytest.mark.django_db
LIST = reverse("prioritization:initiatives")
BOARD = reverse("prioritization:initiative_board")


def _text(response) -> str:
    html = response.content.decode()
    html = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def make(by, workspace, title="Guided setup", **fields):
    return svc.initiative_create(workspace_id=workspace.pk, by=by, title=title, **fields)


def move(initiative, status, by, **kw):
    return svc.initiative_set_status(initiative=initiative, status=status, by=by, via="person", **kw)


def many(workspace, by, n, prefix="Bulk"):
    """n initiatives written in bulk (the services are tested elsewhere), spread over the statuses."""
    statuses = list(Status)
    rows = Initiative.objects.bulk_create(
        Initiative(workspace=workspace, title=f"{prefix} {i}", status=statuses[i % len(statuses)], owner=by)
        for i in range(n)
    )
    DeliveryLink.objects.bulk_create(
        DeliveryLink(initiative=r, provider="jira", key=f"B-{r.pk}") for r in rows
    )
    return rows


def metric_with(journey, by, values, name, start=date(2025, 1, 1), **fields):
    metric = metric_services.metric_create(journey_id=journey.pk, by=by, name=name, **fields)
    items = []
    for i, v in enumerate(values):
        first = date(start.year + (start.month - 1 + i) // 12, (start.month - 1 + i) % 12 + 1, 1)
        nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        items.append(
            {
                "metric": metric.pk,
                "period_start": first,
                "period_end": nxt - timedelta(days=1),
                "value": Decimal(v),
            }
        )
    metric_services.measurements_upsert(journey_id=journey.pk, by=by, items=items)
    return metric


# ------------------------------------------------------------------------------------------ list and board

# session, user, memberships (current workspace), count, the page's initiatives (counts of visible cards and
# targets as subqueries), their delivery links, the owner choices
LIST_QUERIES = 7


def test_list_filters_and_its_queries_do_not_grow(
    client, django_assert_num_queries, workspace, admin, viewer
):
    many(workspace, admin, 3)
    client.force_login(viewer)
    client.get(LIST)
    with django_assert_num_queries(LIST_QUERIES):
        small = client.get(LIST)
    many(workspace, admin, 60, prefix="More")
    with django_assert_num_queries(LIST_QUERIES):
        large = client.get(LIST, {"status": "shipped", "q": "more"})
    assert small.status_code == large.status_code == 200
    assert large.context["page"].paginator.count == 10  # 60 spread over 6 statuses
    assert "New initiative" not in _text(small)  # viewers read only
    text = _text(client.get(LIST, {"q": "Bulk 1"}))
    assert "Bulk 1" in text and "B-" in text


def test_the_list_counts_only_cards_one_can_see(
    client, workspace, admin, editor, pain_cards, restricted_pain_cards
):
    made = make(admin, workspace)
    for card in (pain_cards[0], restricted_pain_cards[0], restricted_pain_cards[1]):
        svc.initiative_card_link(initiative_id=made.pk, card_id=card.pk, by=admin)
    client.force_login(editor)
    (row,) = client.get(LIST).context["page"].object_list
    assert row.card_count == 1
    client.force_login(admin)
    (row,) = client.get(LIST).context["page"].object_list
    assert row.card_count == 3


# session, user, memberships, counts per status, the initiatives (ranked per status, with counts), links
BOARD_QUERIES = 6


def test_board_has_a_column_per_status_and_a_move_control_for_writers(
    client, django_assert_num_queries, workspace, admin, editor, viewer
):
    made = make(editor, workspace, title="Guided <setup>")
    client.force_login(editor)
    client.get(BOARD)
    with django_assert_num_queries(BOARD_QUERIES):
        page = client.get(BOARD)
    html = page.content.decode()
    labels = [c.label for c in page.context["columns"]]
    assert labels == ["Proposed", "Planned", "In progress", "Shipped", "Measured", "Dropped"]
    assert "Guided &lt;setup&gt;" in html and "Guided <setup>" not in html
    # The move control: a labelled select with the allowed moves and a button (keyboard, no dragging).
    assert f'<label class="sr-only" for="move-{made.pk}">' in html
    options = re.search(rf'id="move-{made.pk}">(.*?)</select>', html, re.S).group(1)
    assert re.findall(r'value="(\w+)"', options) == ["planned", "in_progress", "shipped", "dropped"]
    many(workspace, admin, 400)
    with django_assert_num_queries(BOARD_QUERIES):
        big = client.get(BOARD)
    proposed = big.context["columns"][0]
    assert proposed.total == 68 and len(proposed.items) == 50 and proposed.more == 18
    assert "18 more proposed" in _text(big)
    client.force_login(viewer)
    assert "move-" not in client.get(BOARD).content.decode()


def test_moving_from_the_board_comes_back_to_it(client, workspace, editor):
    made = make(editor, workspace)
    client.force_login(editor)
    url = reverse("prioritization:initiative_status", args=[made.pk])
    response = client.post(url, {"status": "planned", "expected_version": 1, "next": "board"})
    assert response.status_code == 302 and response["Location"] == f"{BOARD}#initiative-{made.pk}"
    made.refresh_from_db()
    assert made.status == "planned"
    # A stale board: nothing moved, said so.
    response = client.post(
        url, {"status": "in_progress", "expected_version": 1, "next": "board"}, follow=True
    )
    assert "changed since you loaded the page" in _text(response)
    # A move the status does not allow: said so.
    response = client.post(url, {"status": "measured", "expected_version": 2}, follow=True)
    assert "was not moved" in _text(response)
    made.refresh_from_db()
    assert made.status == "planned"


# ---------------------------------------------------------------------------------------------- the page


@pytest.fixture
def shipped_initiative(workspace, admin, editor, pain_journey, pain_cards, restricted_pain_cards):
    """Shipped 1 Apr 2025, three cards linked (one on the restricted journey), a target with a met outcome,
    one on a metric of the restricted journey, a Jira link."""
    made = make(
        editor, workspace, title="Guided data connection", description="Walk new accounts <b>through</b> it."
    )
    svc.initiative_update(initiative_id=made.pk, by=editor, baseline_days=90, after_days=91)
    for card in pain_cards[:2]:
        svc.initiative_card_link(initiative_id=made.pk, card_id=card.pk, by=editor)
    svc.initiative_card_link(initiative_id=made.pk, card_id=restricted_pain_cards[0].pk, by=admin)
    onboarding = metric_with(
        pain_journey,
        admin,
        [30, 31, 29, 22, 21, 20, 19],
        "Onboarding time",
        kind="time_to_complete",
        unit="days",
    )
    svc.initiative_target_add(
        initiative_id=made.pk, by=editor, metric_id=onboarding.pk, expected_direction="down", expected_size=5
    )
    secret = metric_with(
        restricted_pain_cards[0].journey, admin, [1, 2], "Secret churn", kind="drop_off_rate"
    )
    svc.initiative_target_add(
        initiative_id=made.pk, by=admin, metric_id=secret.pk, expected_direction="down", expected_size=1
    )
    svc.delivery_link_add(
        initiative_id=made.pk,
        by=editor,
        provider="jira",
        key="ONB-7",
        url="https://acme.atlassian.net/browse/ONB-7",
    )
    move(made, Status.SHIPPED, editor, shipped_date=date(2025, 4, 1))
    return Initiative.objects.get(pk=made.pk)


def test_the_page_shows_what_the_reader_can_see(
    client, shipped_initiative, editor, restricted_pain_cards, pain_cards
):
    client.force_login(editor)
    response = client.get(reverse("prioritization:initiative", args=[shipped_initiative.pk]))
    text, html = _text(response), response.content.decode()
    assert "2 on journeys you can see" in text
    assert restricted_pain_cards[0].journey.title not in text and "Secret churn" not in text
    assert f"#card-{pain_cards[0].pk}" in html
    assert "Onboarding time" in text and "Expected down by at least 5 days" in text
    # baseline Jan–Mar 30, 31, 29 → 30; after Apr–Jun 22, 21, 20 → 21; −9 (−30 %): met
    assert "30 days (3 periods)" in text and "21 days (3 periods)" in text and "-9 days (-30 %)" in text
    assert "Met" in text
    assert "Walk new accounts &lt;b&gt;through&lt;/b&gt; it." in html
    assert "ONB-7" in text and "https://acme.atlassian.net/browse/ONB-7" in html
    # The chart: the metric with the ship date and both windows, named for assistive technology.
    svg = re.search(r"<svg[^>]*metric-chart.*?</svg>", html, re.S).group(0)
    assert (
        'role="img"' in svg
        and "Shipped 1 Apr 2025" in svg
        and "Baseline 30 days" in svg
        and "After 21 days" in svg
    )
    assert "Onboarding time before and after the ship date" in svg
    # History: created, then shipped, by the editor.
    history = [(c.from_status, c.to_status) for c in response.context["history"]]
    assert history == [("", "proposed"), ("proposed", "shipped")]


# session, user, memberships, the initiative (with role), it again with owner, research settings, cards (score
# and confidence), targets, measurements, history, delivery links; for writers: metrics to target
PAGE_QUERIES = 11
WRITER_QUERIES = 12


def test_page_queries_do_not_grow(
    client,
    django_assert_num_queries,
    shipped_initiative,
    admin,
    editor,
    viewer,
    pain_journey,
    pain_cards,
    workspace,
):
    url = reverse("prioritization:initiative", args=[shipped_initiative.pk])
    client.force_login(viewer)
    client.get(url)
    with django_assert_num_queries(PAGE_QUERIES):
        client.get(url)
    client.force_login(editor)
    client.get(url)
    with django_assert_num_queries(WRITER_QUERIES):
        client.get(url)
    # More of everything: cards, targets with long series, history, links.
    from tests import factories

    from .initiative_fixtures import pain_cards_of, scored_map

    bigger = scored_map(factories.make_journey(workspace, by=admin, title="Renewal"), cards=200)
    InitiativeCard.objects.bulk_create(
        InitiativeCard(initiative=shipped_initiative, card=c) for c in pain_cards_of(bigger)
    )
    for i in range(5):
        m = metric_with(
            pain_journey, admin, list(range(10, 34)), f"Extra {i}", start=date(2024, 1, 1), kind="count"
        )
        InitiativeTarget.objects.create(
            initiative=shipped_initiative, metric=m, expected_direction="up", expected_size=0
        )
    StatusChange.objects.bulk_create(
        StatusChange(initiative=shipped_initiative, from_status="shipped", to_status="shipped")
        for _ in range(30)
    )
    DeliveryLink.objects.bulk_create(
        DeliveryLink(initiative=shipped_initiative, provider="other", key=f"X-{i}") for i in range(10)
    )
    with django_assert_num_queries(WRITER_QUERIES):
        page = client.get(url)
    assert len(page.context["cards"]) > 50 and len(page.context["targets"]) == 6
    client.force_login(viewer)
    with django_assert_num_queries(PAGE_QUERIES):
        client.get(url)


def test_not_enough_data_and_not_shipped_say_so(client, workspace, admin, editor, pain_journey):
    made = make(editor, workspace)
    thin = metric_with(pain_journey, admin, [5], "Thin", kind="count")
    svc.initiative_target_add(
        initiative_id=made.pk, by=editor, metric_id=thin.pk, expected_direction="up", expected_size=1
    )
    client.force_login(editor)
    url = reverse("prioritization:initiative", args=[made.pk])
    assert "Not shipped yet" in _text(client.get(url))
    move(made, Status.SHIPPED, editor, shipped_date=date(2025, 2, 1))
    text = _text(client.get(url))
    assert "Not enough data yet: 1 period before and 0 after the ship date" in text


def test_measured_shows_the_recorded_verdict_and_locks_targets(client, shipped_initiative, editor):
    client.force_login(editor)
    url = reverse("prioritization:initiative", args=[shipped_initiative.pk])
    response = client.post(
        reverse("prioritization:initiative_status", args=[shipped_initiative.pk]),
        {"status": "measured", "expected_version": shipped_initiative.version},
        follow=True,
    )
    assert "is now measured. Each target's verdict is recorded." in _text(response)
    text = _text(client.get(url))
    assert "Recorded when measured" in text and "30 → 21, 3 and 3 periods" in text
    assert "Targets are locked while the initiative is measured" in text
    assert "Add a target" not in text


# ---------------------------------------------------------------------------------------------- forms


def test_create_and_viewers_cannot(client, workspace, editor, viewer):
    client.force_login(viewer)
    assert client.get(reverse("prioritization:initiative_create")).status_code == 403
    client.force_login(editor)
    response = client.post(
        reverse("prioritization:initiative_create"),
        {
            "title": "Self-serve SSO",
            "description": "",
            "owner": editor.pk,
            "baseline_days": 60,
            "after_days": 60,
        },
    )
    made = Initiative.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "prioritization:initiative", args=[made.pk]
    )
    assert (made.title, made.baseline_days, made.status) == ("Self-serve SSO", 60, "proposed")
    response = client.post(
        reverse("prioritization:initiative_create"), {"title": " ", "baseline_days": 0, "after_days": 9999}
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"title", "baseline_days", "after_days"}
    assert Initiative.objects.count() == 1


def _edit_post(initiative, **changes):
    data = {
        "title": initiative.title, "description": initiative.description, "owner": initiative.owner_id or "",
        "planned_date": initiative.planned_date or "", "baseline_days": initiative.baseline_days,
        "after_days": initiative.after_days, "expected_version": initiative.version,
    }  # fmt: skip
    for name in ("title", "description", "owner", "planned_date", "baseline_days", "after_days"):
        data[f"base_{name}"] = "" if data[name] is None else str(data[name])
    data.update(changes)
    return data


def test_a_stale_edit_is_merged_per_field_and_a_clash_is_left_to_decide(client, workspace, editor, admin):
    made = make(editor, workspace, title="Guided setup")
    opened = Initiative.objects.get(pk=made.pk)
    svc.initiative_update(
        initiative_id=made.pk, by=admin, description="Admin's words."
    )  # someone saves meanwhile
    client.force_login(editor)
    url = reverse("prioritization:initiative_edit", args=[made.pk])
    response = client.post(url, _edit_post(opened, title="Guided data connection"))
    assert response.status_code == 302
    made.refresh_from_db()
    assert (made.title, made.description, made.version) == ("Guided data connection", "Admin's words.", 3)
    # Both change the title: 409, the form shows the clash, nothing saved.
    opened = Initiative.objects.get(pk=made.pk)
    svc.initiative_update(initiative_id=made.pk, by=admin, title="Admin's title")
    response = client.post(url, _edit_post(opened, title="Editor's title"))
    assert response.status_code == 409
    assert "you both changed the title" in _text(response)
    made.refresh_from_db()
    assert made.title == "Admin's title"


def test_ship_date_field_shows_once_shipped_and_locks_when_measured(client, shipped_initiative, editor):
    client.force_login(editor)
    url = reverse("prioritization:initiative_edit", args=[shipped_initiative.pk])
    assert "shipped_date" in client.get(url).context["form"].fields
    move(shipped_initiative, Status.MEASURED, editor)
    form = client.get(url).context["form"]
    assert form.fields["shipped_date"].disabled and form.fields["after_days"].disabled
    fresh = Initiative.objects.get(pk=shipped_initiative.pk)
    response = client.post(url, _edit_post(fresh, title="Renamed", after_days=10, shipped_date="2020-01-01"))
    assert response.status_code == 302
    fresh.refresh_from_db()
    assert (fresh.title, fresh.after_days, fresh.shipped_date) == ("Renamed", 91, date(2025, 4, 1))


def test_delete_asks_says_what_goes_and_offers_drop(client, shipped_initiative, editor, pain_cards):
    client.force_login(editor)
    url = reverse("prioritization:initiative_delete", args=[shipped_initiative.pk])
    text = _text(client.get(url))
    assert "Drop it instead" in text
    assert "links to 2 pain points and opportunities (and 1 on journeys you cannot see)" in text
    assert "1 target" in text and "1 delivery link" in text
    response = client.post(url, {"expected_version": shipped_initiative.version})
    assert response.status_code == 200 and "Tick the box to confirm." in _text(response)
    assert Initiative.objects.filter(pk=shipped_initiative.pk).exists()
    response = client.post(url, {"expected_version": shipped_initiative.version, "confirm": "on"})
    assert response.status_code == 302 and response["Location"] == LIST
    assert not Initiative.objects.exists()
    assert Activity.objects.filter(journey=pain_cards[0].journey, verb="unlinked initiative").exists()


# ----------------------------------------------------------------------------------- cards, targets, links


def test_find_and_link_cards(client, workspace, editor, pain_cards, restricted_pain_cards):
    made = make(editor, workspace)
    client.force_login(editor)
    url = reverse("prioritization:initiative_cards", args=[made.pk])
    fragment = client.get(url, {"q": pain_cards[0].text.split()[0]}, headers={"HX-Request": "true"})
    assert "<html" not in fragment.content.decode()
    found = fragment.context["found"]
    assert pain_cards[0] in found and not set(found) & set(restricted_pain_cards)
    assert "&lt;b&gt;bold?&lt;/b&gt;" in fragment.content.decode()
    response = client.post(url, {"card": pain_cards[0].pk})
    assert response.status_code == 302
    assert InitiativeCard.objects.filter(initiative=made, card=pain_cards[0]).exists()
    assert pain_cards[0] not in client.get(url).context["found"]
    response = client.post(url, {"card": restricted_pain_cards[0].pk})
    assert response.status_code == 400
    assert f"No card {restricted_pain_cards[0].pk} that you can see." in _text(response)
    response = client.post(reverse("prioritization:initiative_card_unlink", args=[made.pk, pain_cards[0].pk]))
    assert response.status_code == 302 and not InitiativeCard.objects.exists()


def test_targets_add_change_remove(client, workspace, admin, editor, pain_journey, restricted_pain_journey):
    mine = metric_with(pain_journey, admin, [1, 2], "CSAT", kind="csat")
    metric_with(restricted_pain_journey, admin, [1], "Hidden metric", kind="count")
    made = make(editor, workspace)
    client.force_login(editor)
    url = reverse("prioritization:initiative_targets", args=[made.pk])
    choices = str(client.get(url).context["form"].fields["metric"].choices)
    assert "CSAT" in choices and "Hidden metric" not in choices
    response = client.post(
        url,
        {
            "metric": mine.pk,
            "expected_direction": "up",
            "expected_size": "2",
            "size_unit": "absolute",
            "expected_version": 1,
        },
    )
    assert response.status_code == 302
    target = InitiativeTarget.objects.get()
    edit = reverse("prioritization:initiative_target", args=[target.pk])
    response = client.post(
        edit,
        {"expected_direction": "up", "expected_size": "5", "size_unit": "percent", "expected_version": 1},
    )
    assert response.status_code == 409 and "Someone changed this initiative" in _text(response)
    response = client.post(
        edit,
        {"expected_direction": "down", "expected_size": "5", "size_unit": "percent", "expected_version": 2},
    )
    target.refresh_from_db()
    assert (target.expected_direction, target.size_unit, target.expected_size) == ("down", "percent", 5)
    client.post(reverse("prioritization:initiative_target_remove", args=[target.pk]))
    assert not InitiativeTarget.objects.exists()


def test_delivery_links_need_a_web_address(client, workspace, editor):
    made = make(editor, workspace)
    client.force_login(editor)
    url = reverse("prioritization:initiative_links", args=[made.pk])
    response = client.post(url, {"provider": "jira", "key": "ONB-1", "url": "javascript:alert(1)"})
    assert response.status_code == 200 and response.context["form"].errors["url"]
    response = client.post(url, {"provider": "jira", "key": "ONB-1", "url": "ftp://files.example.com/x"})
    assert response.context["form"].errors["url"] == [
        "Enter a web address starting with http:// or https://."
    ]
    response = client.post(
        url, {"provider": "linear", "key": "ENG-9", "url": "https://linear.app/acme/issue/ENG-9"}
    )
    assert response.status_code == 302
    link = DeliveryLink.objects.get()
    client.post(reverse("prioritization:delivery_link_remove", args=[link.pk]))
    assert not DeliveryLink.objects.exists()


def test_the_help_page_shows_the_worked_examples(client, viewer):
    client.force_login(viewer)
    text = _text(client.get(reverse("prioritization:outcomes_help")))
    for words in (
        "Onboarding time goes down by 2 days: met",
        "21 days (3 periods)",
        "19 days (3 periods)",
        "-2 days (-9.52 %)",
        "+0.35 points (+0.41 %)",
        "30 (2 periods)",
        "45 (2 periods)",
        "+15 (+50 %)",
        "Not enough data yet: 1 period before and 3 after the ship date",
    ):
        assert words in text, words


# ---------------------------------------------------------------------------------------------- on the map


def test_the_card_says_what_addresses_it_and_the_outcome(
    client, shipped_initiative, editor, admin, pain_cards
):
    from core.overlays import MapIds
    from journeys import overlays

    card = pain_cards[0]
    move(shipped_initiative, Status.MEASURED, editor)
    ids = MapIds(journey=card.journey_id, stages=(), steps=(), cards=(card.pk,))
    look = overlays.collect(ids=ids, user=editor, names=["priority"])["priority"].cards[card.pk]
    # The target the editor can see was met; the one on the restricted journey is neither shown nor counted.
    assert (
        "Addressed by “Guided data connection”, shipped on 1 April 2025. Outcome: 1 of 1 target met."
        in look.detail
    )
    assert look.data["delivery"]["outcome"] == "1 of 1 target met"
    admin_look = overlays.collect(ids=ids, user=admin, names=["priority"])["priority"].cards[card.pk]
    # The hidden target (two months of data before the ship date, none after) has no verdict: not counted.
    assert admin_look.data["delivery"]["outcome"] == "1 of 1 target met"
    assert sorted(shipped_initiative.targets.values_list("verdict", flat=True)) == ["met", "not_enough_data"]
    client.force_login(editor)
    panel = _text(client.get(reverse("prioritization:card_score", args=[card.pk])))
    assert "Outcome: 1 of 1 target met." in panel
