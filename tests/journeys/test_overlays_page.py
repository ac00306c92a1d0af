"""The map page's overlay views (?view=evidence | metrics; journeys/views/grid.py map_view): research's and
metrics' providers, registered in their ready(), decorate the page, the grid partial and the cells and card
fragments that edits and live updates swap in (the X-Map-View header); the plain map asks no provider; the
query count is constant for a 10- and a 500-card map; people's text is escaped."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from journeys.models import Card, LaneKind
from metrics import services as metric_services
from metrics.models import Measurement
from research import services as research_services
from tests import factories

from .test_pages_map import MAP_GRID_QUERIES, MAP_PAGE_QUERIES

# The chosen provider's queries, once per request whatever the map: research's evidence (the map's links
# with their evidence and studies: 3), metrics' (the journey, the reader's journeys, the metrics, their
# recent periods: 4).
EVIDENCE_QUERIES = 3
METRICS_QUERIES = 4


def _page(client, user, journey, view="", name="journeys:map", **headers):
    client.force_login(user)
    url = reverse(name, args=[journey.pk]) + (f"?view={view}" if view else "")
    response = client.get(url, **headers)
    assert response.status_code == 200
    return response.content.decode()


def _link(journey, admin, card):
    evidence = research_services.evidence_create(
        workspace_id=journey.workspace_id, by=admin, text="Seen in 4 of 6 interviews"
    )
    research_services.link_create(evidence_id=evidence.pk, by=admin, card=card.pk)


def _metric(journey, admin, *, name="Onboarding CSAT", periods=3, **where):
    metric = metric_services.metric_create(
        journey_id=journey.pk, by=admin, name=name, kind="csat", target_value=80, **where
    )
    Measurement.objects.bulk_create(
        Measurement(
            metric=metric,
            period_start=date(2025, 1, 1) + timedelta(days=30 * d),
            period_end=date(2025, 1, 1) + timedelta(days=30 * d + 29),
            value=Decimal(70 + d % 20),
            components={"responses": 200 + d},
        )
        for d in range(periods)
    )
    return metric


@pytest.fixture
def small(workspace, admin):
    return factories.make_map(factories.make_journey(workspace, by=admin, title="Small"), lanes=5, cards=10)


def test_the_plain_map_has_the_view_switcher_and_no_decorations(client, viewer, small):
    body = _page(client, viewer, small)
    assert 'aria-label="Map view"' in body
    assert f'href="/journeys/{small.pk}/?view=evidence"' in body and ">Evidence</a>" in body
    assert f'href="/journeys/{small.pk}/?view=metrics"' in body and ">Metrics</a>" in body
    assert 'class="ov-badge' not in body and "overlay-headline" not in body
    assert 'aria-label="Card details"' in body


def test_an_unknown_view_is_the_plain_map(client, viewer, small):
    body = _page(client, viewer, small, view="<nope>")
    assert 'class="ov-badge' not in body and 'data-view=""' in body


def test_the_evidence_view_marks_every_card_and_shows_the_header_figure(client, admin, viewer, small):
    card = Card.objects.filter(journey=small).order_by("pk").first()
    _link(small, admin, card)
    body = _page(client, viewer, small, view="evidence")  # viewers see overlays too (read only)
    assert 'data-view="evidence"' in body and 'aria-current="page">Evidence</a>' in body
    assert body.count('class="ov-badge ov--') == 10
    url = reverse("research:card_evidence", args=[card.pk])
    assert (
        f'data-card-action="overlay" hx-get="{url}" hx-target="#side-panel-body" hx-swap="innerHTML" '
        'aria-label="Evidence: Weak" title="Weak evidence."' in body
    )
    assert body.count('aria-label="Evidence: Assumption"') == 9
    assert '<use href="#ov-help"/>' in body and '<symbol id="ov-help"' in body  # the icon is on the page
    assert (
        '<p class="ov-headline ov--none" id="overlay-headline">'
        '<span class="ov-headline__view">Evidence</span>' in body
    )


def test_cells_and_card_fragments_keep_the_views_badges(client, admin, small):
    card = Card.objects.filter(journey=small).order_by("pk").first()
    _link(small, admin, card)
    cells_url = reverse("journeys:map_cells", args=[small.pk]) + f"?cells={card.lane_id}-{card.step_id}"
    client.force_login(admin)
    with_view = client.get(cells_url, headers={"X-Map-View": "evidence"}).content.decode()
    assert 'aria-label="Evidence: Weak"' in with_view and f'id="card-{card.pk}"' in with_view
    plain = client.get(cells_url).content.decode()
    assert f'id="card-{card.pk}"' in plain and "ov-badge" not in plain
    one = client.get(reverse("journeys:editor_card", args=[card.pk]), headers={"X-Map-View": "evidence"})
    assert 'aria-label="Evidence: Weak"' in one.content.decode()
    grid = _page(client, admin, small, view="evidence", name="journeys:map_grid")
    assert grid.count('class="ov-badge ov--') == 10
    assert grid.count('id="overlay-headline" hx-swap-oob="true"') == 1  # the header figure, refreshed
    # an edit's answer (the cells it changed) keeps them too
    response = client.post(
        reverse("journeys:editor_card_add", args=[small.pk]),
        {"lane": card.lane_id, "step": card.step_id, "text": "New card"},
        headers={"HX-Request": "true", "X-Map-View": "evidence"},
    )
    assert response.status_code == 200
    assert 'aria-label="Evidence: Weak"' in response.content.decode()
    assert 'aria-label="Evidence: Assumption"' in response.content.decode()


def test_the_metrics_view_shows_steps_and_stages_metrics_and_the_health(client, admin, viewer, small):
    step = small.steps.order_by("stage__position", "position").first()
    stage = small.stages.order_by("position").first()
    _metric(small, admin, step=step.pk)
    _metric(small, admin, name="Stage NPS", stage=stage.pk, periods=1)
    body = _page(client, viewer, small, view="metrics")
    assert body.count('class="ov-metric ') == 2
    assert '<span class="ov-metric__name" dir="auto">Onboarding CSAT</span>' in body
    assert '<span class="ov-metric__value">72 %</span>' in body
    assert '<svg class="sparkline"' in body and 'class="sparkline__target"' in body
    assert f'id="ov-step-{step.pk}" data-describes' in body and f'id="ov-stage-{stage.pk}"' in body
    assert "2 Mar 2025 – 31 Mar 2025, 202 responses; target 80" in body  # hover and screen readers
    assert f'<a class="ov-headline__link" href="{reverse("metrics:journey", args=[small.pk])}">' in body
    assert 'class="ov-badge' not in body  # no card decorations in this view


def test_overlay_text_is_escaped(client, admin, small):
    script = "<script>alert(1)</script>"
    step = small.steps.order_by("stage__position", "position").first()
    _metric(small, admin, name=script, step=step.pk)
    body = _page(client, admin, small, view="metrics")
    assert script not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def _big_map(workspace, admin, *, metrics, periods):
    big = factories.make_map(
        factories.make_journey(workspace, by=admin, title="Big"),
        stages=6,
        steps_per_stage=5,
        lanes=10,
        cards=500,
    )
    steps, stages = list(big.steps.all()), list(big.stages.all())
    made = [
        metric_services.metric_create(
            journey_id=big.pk,
            by=admin,
            name=f"M{i}",
            kind="csat",
            **({"step": steps[i % len(steps)].pk} if i % 4 else {"stage": stages[i % len(stages)].pk}),
        )
        for i in range(metrics)
    ]
    Measurement.objects.bulk_create(
        Measurement(
            metric=m,
            period_start=date(2023, 1, 1) + timedelta(days=31 * d),
            period_end=date(2023, 1, 1) + timedelta(days=31 * d),
            value=Decimal(60 + d % 30),
        )
        for m in made
        for d in range(periods)
    )
    for card in Card.objects.filter(journey=big, lane__kind=LaneKind.PAIN_POINTS).order_by("pk")[:20]:
        _link(big, admin, card)
    return big


@pytest.mark.parametrize(
    ("name", "view", "expected"),
    [
        ("journeys:map", "evidence", MAP_PAGE_QUERIES + EVIDENCE_QUERIES),
        ("journeys:map", "metrics", MAP_PAGE_QUERIES + METRICS_QUERIES),
        ("journeys:map_grid", "evidence", MAP_GRID_QUERIES + EVIDENCE_QUERIES),
        ("journeys:map_grid", "metrics", MAP_GRID_QUERIES + METRICS_QUERIES),
    ],
)
def test_a_views_queries_do_not_grow_with_the_map(
    client, workspace, admin, viewer, small, name, view, expected, django_assert_num_queries
):
    _metric(small, admin, step=small.steps.first().pk)
    _link(small, admin, Card.objects.filter(journey=small).first())
    big = _big_map(workspace, admin, metrics=40, periods=36)
    client.force_login(viewer)
    for journey in (small, big):
        url = reverse(name, args=[journey.pk]) + f"?view={view}"
        with django_assert_num_queries(expected):
            response = client.get(url)
        assert response.status_code == 200
    body = response.content.decode()
    if view == "evidence":
        assert body.count('class="ov-badge ov--') == 500
        if name == "journeys:map":  # the header figure (the grid partial has no header)
            assert "pain points and opportunities have moderate or strong evidence." in body
    else:
        assert body.count('class="ov-metric ') == 40
