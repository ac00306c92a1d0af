"""Metrics pages: a journey's metrics and health (with its explanation), a metric's page (chart,
measurements, shifts, history), create / edit (409 on a stale form) / delete, adding a measurement, the
help page. Data through metrics' services; query counts equal for 10 and 10,000 measurements."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from journeys.models import Visibility
from metrics import health, services, shifts
from metrics.models import Measurement, Metric
from tests import factories

from .conftest import record


def _page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _daily(metric, by, n, *, start=date(2000, 1, 1), base=50):
    """n daily values of a metric (one upsert, the CSV import's path: no per-request limit)."""
    items = [
        {"metric": metric.pk, "date": start + timedelta(days=i), "value": Decimal(base + (i % 7))}
        for i in range(n)
    ]
    return services.measurements_upsert(journey_id=metric.journey_id, by=by, items=items, limit=None)


@pytest.fixture
def drop_off(journey, admin):
    return services.metric_create(
        journey_id=journey.pk, by=admin, name="Drop-off", kind="drop_off_rate", target_value=Decimal(20)
    )


@pytest.fixture
def worked(journey, admin, csat, nps_metric, drop_off):
    """health.py's worked example: NPS on a step (weight 2), CSAT on a stage, drop-off on the journey."""
    record(nps_metric, admin, [31, 24])
    record(csat, admin, [79, 84])
    record(drop_off, admin, [21, 25])
    return {"nps": nps_metric, "csat": csat, "drop_off": drop_off}


def test_journey_page_groups_metrics_and_explains_health(client, viewer, journey, worked, stage, step):
    client.force_login(viewer)
    page = _page(client.get(reverse("metrics:journey", args=[journey.pk])))
    # Grouped: the journey as a whole, then the stage with its step.
    sections = page[page.index('id="g-journey"') :]
    assert sections.index(f'id="g-stage-{stage.pk}"') < sections.index(
        f'<span dir="auto">{step.title}</span>'
    )
    for text in ("Onboarding NPS", "CSAT", "Drop-off", "84 %", "25 %", "Target"):
        assert text in page
    # Status in words and icon, not colour alone.
    assert "At risk" in page and "Good" in page and "Off track" in page
    assert page.count('class="spark"') == 3
    # The score and its explanation: which metrics, values, weights, rules; the change.
    assert "Health </span>50<" in page
    assert "(1×100 + 2×50 + 1×0) / 4 = <strong>50</strong>" in page
    assert "(1×50 + 2×100 + 1×50) / 4 = <strong>75</strong>" in page
    assert "down 25 since the previous period" in page
    assert "25 &gt; off track 22" in page  # the drop-off's rule, from health
    # A viewer reads; no write links.
    assert reverse("metrics:metric_create", args=[journey.pk]) not in page
    assert reverse("metrics:import", args=[journey.pk]) not in page


def test_journey_without_metrics_is_not_measured(client, editor, journey):
    client.force_login(editor)
    page = _page(client.get(reverse("metrics:journey", args=[journey.pk])))
    assert "Not measured" in page and "not a zero" in page and "Explain this score" not in page
    assert reverse("metrics:metric_create", args=[journey.pk]) in page
    assert reverse("metrics:import", args=[journey.pk]) in page
    assert reverse("metrics-api:journey-measurements", args=[journey.pk]) in page


# session, user, the journey with access, memberships (top bar), the reader's journeys of the workspace,
# their metrics, their recent periods, the journey's recent shifts
JOURNEY_QUERIES = 8


def test_journey_page_queries_do_not_grow(
    client, django_assert_num_queries, viewer, admin, journey, csat, nps_metric
):
    record(csat, admin, range(70, 80))
    client.force_login(viewer)
    url = reverse("metrics:journey", args=[journey.pk])
    with django_assert_num_queries(JOURNEY_QUERIES):
        small = _page(client.get(url))
    _daily(nps_metric, admin, 5_000, base=20)
    _daily(csat, admin, 4_990, start=date(2030, 1, 1), base=75)
    assert Measurement.objects.count() == 10_000
    with django_assert_num_queries(JOURNEY_QUERIES):
        large = _page(client.get(url))
    assert "Onboarding NPS" in large and "Onboarding NPS" in small


# session, user, the metric's journey with access, the metric, memberships (top bar), its recent periods,
# the count and the page of measurements, its shifts, its activity lines
METRIC_QUERIES = 10


def test_metric_page_queries_do_not_grow(client, django_assert_num_queries, viewer, admin, csat):
    record(csat, admin, range(70, 80))
    client.force_login(viewer)
    url = reverse("metrics:metric", args=[csat.pk])
    with django_assert_num_queries(METRIC_QUERIES):
        small = _page(client.get(url))
    _daily(csat, admin, 9_990, start=date(2030, 1, 1), base=75)
    with django_assert_num_queries(METRIC_QUERIES):
        large = _page(client.get(url))
    assert "10 rows" in small and "10000 rows" in large
    assert "Page 1 of 200" in large
    # The pager fetches just the table's next page (HTMX): session, user, the metric's journey with
    # access, the metric, memberships (to follow the workspace), the count and the page of measurements.
    with django_assert_num_queries(7):
        part = _page(client.get(url, {"page": 2}, headers={"HX-Request": "true"}))
    assert "<html" not in part and "Page 2 of 200" in part and 'hx-target="#measurements"' in part
    assert part.count("<tr>") == 51  # the header row and 50 measurements


def test_metric_page_chart_table_shifts_and_history(client, viewer, admin, journey):
    metric = services.metric_create(
        journey_id=journey.pk,
        by=admin,
        name="Trial conversion",
        kind="conversion_rate",
        target_value=Decimal(12),
        good_threshold=Decimal(11),
        off_track_threshold=Decimal(9),
    )
    services.metric_update(metric_id=metric.pk, by=admin, weight=3)
    record(metric, admin, ["10.0", "10.4", "9.8", "10.2", "10.1", "9.9", "7.5"])
    services.measurement_upsert(
        metric_id=metric.pk,
        by=admin,
        date=date(2025, 7, 1),
        segment="EMEA",
        value=Decimal(8),
        components={"numerator": 80, "denominator": 1000},
    )
    assert len(shifts.scan_journey(journey_id=journey.pk)) == 1
    client.force_login(viewer)
    page = _page(client.get(reverse("metrics:metric", args=[metric.pk])))
    start = page.index('<svg id="chart-')
    chart = page[start : page.index("</svg>", start)]
    # Server-rendered SVG, no script, named for assistive technology, target and thresholds as lines.
    assert "<script" not in chart and 'role="img"' in chart and "<title" in chart and "<desc" in chart
    assert "Target 12" in chart and "Good from 11" in chart and "Off track beyond 9" in chart
    assert re.search(r"<style[^>]* nonce=", chart)
    assert "Latest 7.5 %, status off track" in chart
    # The table: period, segment, value, counts, responses, who and how.
    assert "EMEA" in page and "Numerator: 80, Denominator: 1,000" in page and ">1000<" in page
    assert "All customers" in page and "Entered by hand by" in page
    # The shift, and the history of changes from the journey's activity.
    assert "Down, worse" in page
    assert "added metric “Trial conversion”" in page and "changed metric “Trial conversion” (weight)" in page


def test_create_metric(client, editor, journey, step):
    client.force_login(editor)
    url = reverse("metrics:metric_create", args=[journey.pk])
    page = _page(client.get(url, {"step": step.pk}))
    assert f'<option value="step:{step.pk}" selected>' in page
    response = client.post(
        url,
        {"name": "Setup time", "place": f"step:{step.pk}", "kind": "time_to_complete", "weight": "2",
         "target_value": "15", "source": "manual"},
    )  # fmt: skip
    metric = Metric.objects.get(name="Setup time")
    assert response.status_code == 302 and response["Location"] == reverse("metrics:metric", args=[metric.pk])
    assert (metric.step_id, metric.unit, metric.direction, metric.weight) == (step.pk, "minutes", "lower", 2)
    assert metric.owner == editor
    # The same name on the same step again: refused on the name, nothing added.
    again = _page(client.post(url, {"name": " setup  TIME", "place": f"step:{step.pk}", "kind": "custom",
                                    "unit_label": "x", "weight": "1", "source": "manual"}))  # fmt: skip
    assert "has a metric named" in again and Metric.objects.count() == 1
    # Bad input names its field.
    bad = _page(
        client.post(
            url, {"name": "", "place": "journey", "kind": "custom", "weight": "0", "source": "manual"}
        )
    )
    assert "A metric needs a name." in bad and "greater than or equal to 1" in bad
    assert Metric.objects.count() == 1
    # A currency code is checked against ISO 4217 (typed in lower case, the form writes it in capitals).
    cost = {"name": "Cost", "place": "journey", "kind": "cost_to_serve", "weight": "1", "source": "manual"}
    bad = _page(client.post(url, {**cost, "currency": "eux"}))
    field = re.search(r'<div class="field field--error">\s*<label[^>]*for="id_currency".*?</div>', bad, re.S)
    assert field and "“EUX” is not an ISO 4217 currency code" in field.group(0)
    assert Metric.objects.count() == 1
    assert client.post(url, {**cost, "currency": "chf"}).status_code == 302
    assert Metric.objects.get(name="Cost").currency == "CHF"


def _form_data(page: str) -> dict:
    """The values an edit page's form posts as it is (inputs, selected options, textareas)."""
    data = {
        name: value
        for name, value in re.findall(
            r'<input type="(?:hidden|text|number|date)" name="([^"]+)"(?: value="([^"]*)")?', page
        )
    }
    for name, body in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', body)
        data[name] = chosen.group(1) if chosen else ""
    for name, text in re.findall(r'<textarea name="([^"]+)"[^>]*>\n?(.*?)</textarea>', page, re.S):
        data[name] = text
    return data


def test_stale_edit_is_merged_per_field_and_a_clash_answers_409(client, editor, admin, csat):
    client.force_login(editor)
    url = reverse("metrics:metric_edit", args=[csat.pk])
    opened = _form_data(_page(client.get(url)))
    assert opened["expected_version"] == "1" and opened["base_name"] == "CSAT" and opened["weight"] == "1"
    # Someone else changes the weight and the target meanwhile; this person changes only the name: merged.
    services.metric_update(metric_id=csat.pk, by=admin, weight=3, target_value=Decimal("85.5"))
    response = client.post(url, {**opened, "name": "Customer satisfaction"})
    assert response.status_code == 302
    csat.refresh_from_db()
    assert (csat.name, csat.weight, csat.target_value, csat.version) == ("Customer satisfaction", 3, 85.5, 3)
    # Both change the name: nothing saved, 409 naming the field, the form keeps this person's value.
    opened = _form_data(_page(client.get(url)))
    assert opened["target_value"] == "85.5"
    services.metric_update(metric_id=csat.pk, by=admin, name="CSAT (support)")
    response = client.post(url, {**opened, "name": "CSAT (all)"})
    page = response.content.decode()
    assert response.status_code == 409
    assert "Alice Admin</bdi> changed this metric while you were editing" in page
    assert "you both changed\n  the name." in page
    assert 'name="expected_version" value="5"' not in page and 'name="expected_version" value="4"' in page
    assert 'value="CSAT (all)"' in page and 'name="base_name" value="CSAT (support)"' in page
    csat.refresh_from_db()
    assert csat.name == "CSAT (support)" and csat.version == 4
    # Saving the shown form again puts this person's name over theirs.
    assert client.post(url, _form_data(page)).status_code == 302
    csat.refresh_from_db()
    assert csat.name == "CSAT (all)" and csat.version == 5


def test_delete_says_what_goes(client, editor, admin, journey, csat):
    record(csat, admin, range(70, 82))
    client.force_login(editor)
    url = reverse("metrics:metric_delete", args=[csat.pk])
    assert "12 measurements" in _page(client.get(url))
    services.metric_update(metric_id=csat.pk, by=admin, weight=2)
    stale = _page(client.post(url, {"expected_version": "1"}))
    assert "Someone changed this metric" in stale and Metric.objects.filter(pk=csat.pk).exists()
    response = client.post(url, {"expected_version": "2"})
    assert response.status_code == 302 and response["Location"] == reverse(
        "metrics:journey", args=[journey.pk]
    )
    assert not Metric.objects.filter(pk=csat.pk).exists() and not Measurement.objects.exists()


def test_add_a_measurement_and_see_health_change(client, editor, journey, nps_metric):
    client.force_login(editor)
    journey_url = reverse("metrics:journey", args=[journey.pk])
    assert "Not measured" in _page(client.get(journey_url))
    url = reverse("metrics:measurement_add", args=[nps_metric.pk])
    # NPS from its counts: 50 promoters, 30 passives, 20 detractors → 30.
    response = client.post(url, {"period_start": "2025-03-01", "period_end": "2025-03-31", "promoters": "50",
                                 "passives": "30", "detractors": "20"})  # fmt: skip
    assert response.status_code == 302
    row = Measurement.objects.get()
    assert row.value == 30 and row.components == {"promoters": 50, "passives": 30, "detractors": 20}
    assert row.entered_by == editor and row.source == "manual"
    page = _page(client.get(reverse("metrics:metric", args=[nps_metric.pk])))
    assert "1 Mar – 31 Mar 2025" in page and "100" in page  # the period and its responses
    assert "Health </span>100<" in _page(client.get(journey_url))
    # Refused input: the field named, the page shown again, nothing saved.
    page = _page(client.post(url, {"period_start": "2025-04-01", "value": "150"}))
    assert "A NPS value is from -100 to 100 (you gave 150)." in page
    page = _page(client.post(url, {"period_start": "2025-04-30", "period_end": "2025-04-01", "value": "1"}))
    assert "A period cannot end before it starts." in page
    page = _page(client.post(url, {"period_start": "", "value": ""}))
    assert "Give the date." in page and "Give a value (or the counts it comes from)." in page
    assert Measurement.objects.count() == 1


EVIL = "<script>alert(1)</script><b>x</b>"


def test_user_text_is_escaped(client, admin, journey, step):
    metric = services.metric_create(
        journey_id=journey.pk, by=admin, step=step.pk, name=EVIL, kind="custom", unit_label="<i>u</i>",
        description="<img src=x onerror=alert(2)>", target_value=Decimal(5),
    )  # fmt: skip
    record(metric, admin, [4, 6], segment="<em>EMEA</em>")
    client.force_login(admin)
    for url in (
        reverse("metrics:journey", args=[journey.pk]),
        reverse("metrics:metric", args=[metric.pk]),
        reverse("metrics:metric_edit", args=[metric.pk]),
        reverse("metrics:metric_delete", args=[metric.pk]),
    ):
        page = _page(client.get(url))
        assert "<script>alert" not in page and "<b>x</b>" not in page and "<img src=x" not in page, url
        assert "<i>u</i>" not in page and "<em>EMEA</em>" not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url


def test_a_restricted_sub_journeys_metrics_are_never_shown(client, admin, viewer, workspace, journey):
    secret = factories.make_journey(
        workspace, by=admin, title="Secret pricing", visibility=Visibility.RESTRICTED, parent=journey
    )
    hidden = services.metric_create(journey_id=secret.pk, by=admin, name="Secret KPI", kind="nps")
    record(hidden, admin, [-40, -50])  # off track: it would pull the parent's health down
    public = services.metric_create(journey_id=journey.pk, by=admin, name="Open CSAT", kind="csat")
    record(public, admin, [90, 91])
    client.force_login(viewer)
    page = _page(client.get(reverse("metrics:journey", args=[journey.pk])))
    assert "Secret" not in page and "Health </span>100<" in page
    assert client.get(reverse("metrics:metric", args=[hidden.pk])).status_code == 404
    assert client.get(reverse("metrics:journey", args=[secret.pk])).status_code == 404
    client.force_login(admin)
    page = _page(client.get(reverse("metrics:journey", args=[journey.pk])))
    assert "Secret KPI" in page and "Secret pricing" in page and "Health </span>50<" in page


def test_help_page_comes_from_the_rules(client, viewer, monkeypatch):
    client.force_login(viewer)
    page = _page(client.get(reverse("metrics:help")))
    # health.py's worked example, computed by health's functions.
    assert "(1×50 + 2×50 + 1×0) / 4" not in page
    assert "(2×50 + 1×100 + 1×0) / 4 = <strong>50</strong>" in page
    assert "(2×100 + 1×50 + 1×50) / 4 = <strong>75</strong>" in page and "Change: -25" in page
    assert "<strong>10 %</strong>" in page and "k = 3" in page and "n = 8" in page and "25 %" in page
    assert "-11.9 standard deviations → a shift down (worse" in page
    assert "relative change 31 % → a shift up (better" in page
    # Change a constant: the page follows (nothing copied).
    monkeypatch.setattr(health, "TOLERANCE", Decimal("0.2"))
    monkeypatch.setattr(health, "POINTS", {**health.POINTS, health.Status.AT_RISK: 40})
    page = _page(client.get(reverse("metrics:help")))
    assert "<strong>20 %</strong>" in page and "(2×40 + 1×100 + 1×0) / 4 = <strong>45</strong>" in page


def test_forms_follow_the_text_rules(client, editor, journey, csat):
    client.force_login(editor)
    url = reverse("metrics:metric_create", args=[journey.pk])
    page = _page(client.get(url))
    assert "maxlength" not in page and f'data-max-chars="{Metric._meta.get_field("name").max_length}"' in page
    base = {"place": "journey", "kind": "csat", "weight": "1", "source": "manual"}
    assert "A metric needs a name." in _page(client.post(url, {**base, "name": "\u200b \u2060"}))
    limit = Metric._meta.get_field("name").max_length
    long = _page(client.post(url, {**base, "name": "x" * (limit + 1)}))
    assert f"At most {limit:,} characters (you have {limit + 1:,})." in long
    assert "one line" in _page(client.post(url, {**base, "name": "two\nlines"})).lower()
    # A segment is one line too, on the measurement form.
    add = reverse("metrics:measurement_add", args=[csat.pk])
    page = _page(client.post(add, {"period_start": "2025-01-01", "value": "80", "segment": "EU\nUS"}))
    assert "one line" in page.lower()
    assert Metric.objects.count() == 1 and not Measurement.objects.exists()


def test_form_and_help_pages_queries(client, django_assert_num_queries, editor, admin, journey, csat):
    record(csat, admin, range(70, 90))
    client.force_login(editor)
    # session, user, the journey with access, memberships, its stages, its steps, who sees it (owners)
    with django_assert_num_queries(7):
        _page(client.get(reverse("metrics:metric_create", args=[journey.pk])))
    # session, user, the metric's journey with access, the metric, memberships, stages, steps, owners
    with django_assert_num_queries(8):
        _page(client.get(reverse("metrics:metric_edit", args=[csat.pk])))
    # session, user, the metric's journey with access, the metric, memberships, its measurements and
    # shifts counted
    with django_assert_num_queries(7):
        assert "20 measurements" in _page(client.get(reverse("metrics:metric_delete", args=[csat.pk])))
    # session, user, memberships, the workspace's shift settings
    with django_assert_num_queries(4):
        _page(client.get(reverse("metrics:help")))
