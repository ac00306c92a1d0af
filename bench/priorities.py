"""The prioritization queue part of `make bench` (issue 10), run by bench/run.py unless BENCH_QUEUE=0; also
runnable alone (`python bench/priorities.py`: its own scratch database, BENCH_QUEUE_DB, default
throughline_bench_queue, so it never drops a database another run is using; BENCH_KEEP=1 keeps it).

On the scratch database this writes a workspace of QUEUE_JOURNEYS (1,000) journeys in a tree (every tenth a
root) with QUEUE_CARDS (50,000) scored pain-point and opportunity cards (50 a journey, in 2 stages × 2 steps,
stages mapped to Onboarding and Engagement), plus half as many in an actions lane; 90 % scored under the
current model version, 10 % under the previous one (stale); ~5,000 evidence links on ~3,000 cards (both
stances, six studies), and 300 initiatives in every status addressing ~3,000 cards. A viewer reads it
(workspace-visible journeys).

Then it times, QUEUE_RUNS times each (BENCH_QUEUE_RUNS, default RUNS / 4):

* the floor: one raw SQL query of the first page's rows (cards of the workspace's pain-point and
  opportunity lanes, left-joined to their scores, by composite, LIMIT 50): what a ranked page cannot go
  below; and the same with the filtered page's stage and lane filters;
* the selector as the page runs it (count + 50 rows + page details), first page and filtered pages;
* the queue page (prioritization:queue), the matrix page and the API (limit 50), through django.test.Client
  signed in: the whole request;
* the CSV export of the whole queue (50,000 lines), a few times.

It prints median, p95, this process's CPU time, SQL statements per run and the ratio of each to its floor.
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

QUEUE_JOURNEYS = 1_000
CARDS_PER_JOURNEY = 50  # pain points and opportunities
QUEUE_CARDS = QUEUE_JOURNEYS * CARDS_PER_JOURNEY
LINKED_CARDS = 3_000
INITIATIVES = 300
PAGE = 50
FILTERED = (
    ("filtered: stage+lane+status+confidence", {
        "stage": "onboarding", "kind": "pain_points", "status": "not_planned", "confidence": "assumption",
        "sort": "impact",
    }),
    ("filtered: journey tree + stale", {"journey": "root", "stale": "on", "sort": "effort"}),
    ("filtered: confidence weak", {"confidence": "weak", "sort": "evidence"}),
    ("filtered: in progress", {"status": "in_progress"}),
)  # fmt: skip

FLOOR_SQL = """
    SELECT c.id, c.text, s.composite, s.impact, s.effort
      FROM journeys_card c
      JOIN journeys_lane l ON l.id = c.lane_id
      JOIN journeys_journey j ON j.id = c.journey_id
      LEFT JOIN prioritization_score s ON s.card_id = c.id
     WHERE j.workspace_id = %s AND l.kind IN ('pain_points', 'opportunities')
     ORDER BY s.composite DESC NULLS LAST, c.id DESC
     LIMIT 50
"""
FILTERED_FLOOR_SQL = """
    SELECT c.id, c.text, s.composite, s.impact, s.effort
      FROM journeys_card c
      JOIN journeys_lane l ON l.id = c.lane_id
      JOIN journeys_step st ON st.id = c.step_id
      JOIN journeys_stage sg ON sg.id = st.stage_id
      JOIN journeys_journey j ON j.id = c.journey_id
      LEFT JOIN prioritization_score s ON s.card_id = c.id
     WHERE j.workspace_id = %s AND l.kind = 'pain_points' AND sg.standard_stage = 'onboarding'
     ORDER BY s.impact DESC NULLS LAST, c.id DESC
     LIMIT 50
"""


class QueueData:
    """What the queue benchmarks run on."""

    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)


def build(data) -> None:
    """Write the queue's workspace onto `data` (bench.run.Data, or QueueData with `user`)."""
    import datetime

    from django.utils import timezone

    from accounts import services as account_services
    from accounts.models import Membership, Role, User
    from journeys.models import Card, Journey, Lane, LaneKind, Stage, StandardStage, Step
    from prioritization import scoring
    from prioritization import services as prioritization_services
    from prioritization.models import Initiative, InitiativeCard, Score, ScoreRevision, Status
    from research.models import Evidence, EvidenceLink, Method, Stance, Study

    rng = random.Random(10)
    user = data.user
    print(f"Writing the queue: {QUEUE_CARDS:,} cards across {QUEUE_JOURNEYS:,} journeys…", file=sys.stderr)
    workspace = account_services.workspace_create(name="Queue Inc.", by=user)
    viewer = User.objects.create_user(username="queue-viewer", password=None, first_name="Vera")
    Membership.objects.create(workspace=workspace, user=viewer, role=Role.VIEWER)
    journeys: list = []
    for n in range(QUEUE_JOURNEYS):
        journeys.append(
            Journey(
                workspace=workspace, owner=user, title=f"Journey {n:04d}", tags=[f"team-{n % 7}"],
                level="lifecycle" if n % 10 == 0 else "sub-journey",
            )
        )  # fmt: skip
    journeys = Journey.objects.bulk_create(journeys)
    for n, journey in enumerate(journeys):
        if n % 10:
            journey.parent = journeys[(n // 10) * 10]
    Journey.objects.bulk_update(journeys, ["parent"], batch_size=2_000)
    stages = Stage.objects.bulk_create(
        (
            Stage(journey=j, position=i, title=("Sign up", "Use it")[i],
                  standard_stage=(StandardStage.ONBOARDING, StandardStage.ENGAGEMENT)[i])
            for j in journeys
            for i in range(2)
        ),
        batch_size=5_000,
    )  # fmt: skip
    steps = Step.objects.bulk_create(
        (
            Step(journey_id=s.journey_id, stage=s, position=i, title=f"{s.title} {i + 1}")
            for s in stages
            for i in range(2)
        ),
        batch_size=5_000,
    )
    kinds = (LaneKind.ACTIONS, LaneKind.PAIN_POINTS, LaneKind.OPPORTUNITIES)
    lanes = Lane.objects.bulk_create(
        (
            Lane(journey=j, position=i, title=kind.label, kind=kind)
            for j in journeys
            for i, kind in enumerate(kinds)
        ),
        batch_size=5_000,
    )
    steps_of: dict[int, list] = {}
    for step in steps:
        steps_of.setdefault(step.journey_id, []).append(step)
    lanes_of: dict[int, list] = {}
    for lane in lanes:
        lanes_of.setdefault(lane.journey_id, []).append(lane)
    texts = [
        "Cannot find the invoice in the e-mail", "Trial asks for a credit card too early",
        "Set-up call offered too late", "Password reset e-mail never arrives",
        "Offer a guided import of old data", "Renewal notice looks like spam",
    ]  # fmt: skip
    cards = []
    for journey in journeys:
        cells = [(lane, step) for lane in lanes_of[journey.pk] for step in steps_of[journey.pk]]
        positions: dict = {}
        # As many action cards as scored ones, so the queue has to pick its lanes out.
        for i in range(CARDS_PER_JOURNEY * 3 // 2):
            lane, step = cells[i % len(cells)]
            position = positions.get((lane.pk, step.pk), 0)
            positions[(lane.pk, step.pk)] = position + 1
            cards.append(
                Card(journey=journey, lane=lane, step=step, position=position, text=f"{texts[i % 6]} (#{i})")
            )
    Card.objects.bulk_create(cards, batch_size=5_000)
    scored = [c for c in cards if c.lane.kind != LaneKind.ACTIONS]
    print(f"Scoring {len(scored):,} cards…", file=sys.stderr)
    old = prioritization_services.scoring_model_ensure_default(workspace_id=workspace.pk)
    old_criteria = list(old.criteria.all())
    specs = [
        {"key": c.key, "name": c.name, "description": c.description, "weight": c.weight + (c.key == "effort"),
         "lower_is_better": c.lower_is_better, "meanings": list(c.meanings)}
        for c in old_criteria
    ]  # fmt: skip
    current = prioritization_services.scoring_model_change(workspace_id=workspace.pk, by=user, criteria=specs)
    current_criteria = list(current.criteria.all())
    scores, revisions = [], []
    for card in scored:
        model, criteria = (old, old_criteria) if rng.random() < 0.1 else (current, current_criteria)
        values = {c.key: rng.randint(1, 5) for c in criteria}
        figures = scoring.figures(criteria, values)
        importance = rng.choice((None, None, 6, 8, 9))
        satisfaction = rng.choice((3, 5, 7)) if importance is not None else None
        scores.append(
            Score(card=card, model=model, values=values, composite=figures.composite, impact=figures.impact,
                  effort=figures.effort, importance=importance, satisfaction=satisfaction, scored_by=user)
        )  # fmt: skip
        revisions.append(
            ScoreRevision(card=card, model=model, values=values, composite=figures.composite, by=user)
        )
    Score.objects.bulk_create(scores, batch_size=5_000)
    ScoreRevision.objects.bulk_create(revisions, batch_size=5_000)

    print(f"Linking evidence to {LINKED_CARDS:,} cards, {INITIATIVES} initiatives…", file=sys.stderr)
    today = timezone.localdate()
    studies = [
        Study.objects.create(
            workspace=workspace, title=f"Study {n}", method=list(Method.values)[n], created_by=user
        )
        for n in range(6)
    ]
    linked = rng.sample(scored, LINKED_CARDS)
    evidence = Evidence.objects.bulk_create(
        (
            Evidence(workspace=workspace, study=rng.choice([*studies, None]), text=f"Observed {n}",
                     participant=f"P{n % 40:02d}", created_by=user,
                     captured_on=today - datetime.timedelta(days=rng.randrange(900)))
            for n in range(2_500)
        ),
        batch_size=5_000,
    )  # fmt: skip
    links, seen = [], set()
    for card in linked:
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):
            item = rng.choice(evidence)
            if (item.pk, card.pk) in seen:
                continue
            seen.add((item.pk, card.pk))
            stance = Stance.CONTRADICTS if rng.random() < 0.15 else Stance.SUPPORTS
            links.append(
                EvidenceLink(
                    evidence=item, journey_id=card.journey_id, card=card, stance=stance, created_by=user
                )
            )
    EvidenceLink.objects.bulk_create(links, batch_size=5_000)
    statuses = list(Status.values)
    initiatives = Initiative.objects.bulk_create(
        Initiative(
            workspace=workspace, title=f"Initiative {n}", status=statuses[n % len(statuses)], owner=user
        )
        for n in range(INITIATIVES)
    )
    addressed = rng.sample(scored, 3_000)
    InitiativeCard.objects.bulk_create(
        (
            InitiativeCard(initiative=initiatives[n % INITIATIVES], card=card, added_by=user)
            for n, card in enumerate(addressed)
        ),
        batch_size=5_000,
    )
    data.queue = QueueData(
        workspace=workspace, viewer=viewer, root=journeys[0], links=len(links), scored=len(scored),
        stale=sum(1 for s in scores if s.model_id == old.pk),
    )  # fmt: skip


def run(data, measure, runs: int) -> dict:
    """Time everything (see the module docstring); `measure` is bench.run.measure. Returns {"rows":
    [(Result, floor Result or None)], "notes": [str]}."""
    from django.core.paginator import Paginator
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from accounts.selectors import SESSION_KEY
    from prioritization.queue import page_details, queue, queue_scope
    from prioritization.views.queue import QueueFilterForm

    q = data.queue
    viewer, workspace = q.viewer, q.workspace
    rows, notes = [], []

    client = Client()
    client.force_login(viewer)
    session = client.session
    session[SESSION_KEY] = workspace.pk
    session.save()

    def get(url, params=None, c=client):
        def go(i=0):
            response = c.get(url, params or {})
            if response.status_code != 200:
                raise SystemExit(f"GET {url} answered {response.status_code}")
            return response

        return go

    def sql(statement):
        def go(i=0):
            with connection.cursor() as cursor:
                cursor.execute(statement, [workspace.pk])
                return cursor.fetchall()

        return go

    floor = measure("queue floor", "raw SQL: the first page's 50 rows by composite", sql(FLOOR_SQL), runs)
    filtered_floor = measure(
        "queue floor, filtered",
        "raw SQL: 50 rows, onboarding pain points by impact",
        sql(FILTERED_FLOOR_SQL),
        runs,
    )
    rows += [(floor, None), (filtered_floor, None)]

    def selector(params):
        def go(i=0):
            scope = queue_scope(user=viewer, workspace_id=workspace.pk)
            form = QueueFilterForm(params or None, scope=scope)
            found = queue(user=viewer, workspace_id=workspace.pk, filters=form.filters(), scope=scope)
            page = Paginator(found.ids(), PAGE).get_page(1)
            cards = found.rows(page.object_list)
            page_details(cards, user=viewer)
            return page.paginator.count, cards

        return go

    count, cards = selector({})()
    if len(cards) != PAGE:
        raise SystemExit(f"The queue's first page has {len(cards)} cards")
    rows.append(
        (measure("selector: first page", f"count ({count:,}) + 50 rows + details", selector({}), runs), floor)
    )
    list_url, matrix_url = reverse("prioritization:queue"), reverse("prioritization:queue_matrix")
    api_url = reverse("prioritization-api:queue", args=[workspace.pk])
    rows.append((measure("page: first page", f"GET {list_url}", get(list_url), runs), floor))
    rows.append(
        (measure("API: first page", f"GET {api_url}?limit=50", get(api_url, {"limit": PAGE}), runs), floor)
    )
    rows.append((measure("matrix page", f"GET {matrix_url}", get(matrix_url), runs), floor))
    for label, params in FILTERED:
        params = {k: (str(q.root.pk) if v == "root" else v) for k, v in params.items()}
        count, cards = selector(params)()
        query = "&".join(f"{k}={v}" for k, v in params.items())
        detail = f"?{query}: {count:,} cards, {len(cards)} shown"
        rows.append((measure(f"selector: {label}", detail, selector(params), runs), filtered_floor))
        rows.append(
            (
                measure(f"page: {label}", f"GET {list_url}?{query}", get(list_url, params), runs),
                filtered_floor,
            )
        )
    api_params = {"limit": PAGE, **{k: v for k, v in FILTERED[0][1].items() if k != "unscored"}}
    rows.append(
        (
            measure("API: filtered", f"GET {api_url}?{FILTERED[0][0]}", get(api_url, api_params), runs),
            filtered_floor,
        )
    )

    export_url = reverse("prioritization:queue_export")
    count_all = queue(user=viewer, workspace_id=workspace.pk).ids().count()

    def export(i=0):
        response = client.get(export_url)
        lines = sum(chunk.count(b"\n") for chunk in response.streaming_content)
        if lines != count_all + 1:
            raise SystemExit(f"The export wrote {lines} lines, not {count_all + 1}")
        return response

    rows.append(
        (measure("CSV export", f"GET {export_url}: {count_all:,} lines", export, max(3, runs // 20)), floor)
    )
    notes.append(
        f"{q.scored:,} scored cards ({q.stale:,} under the previous model version) and half as many action "
        f"cards in {QUEUE_JOURNEYS:,} journeys; {q.links:,} evidence links on {LINKED_CARDS:,} cards; "
        f"{INITIATIVES} initiatives addressing 3,000 cards. Read by a viewer (workspace-visible journeys)."
    )
    return {"rows": rows, "notes": notes}


def report(queue_results: dict) -> list[str]:
    """The lines of the queue part of the report."""
    header = f"{'':<46} {'median':>9} {'p95':>9} {'cpu':>7} {'SQL':>6} {'ratio':>8}  what (ratio to)"
    title = f"The prioritization queue (issue 10): {QUEUE_CARDS:,} cards across {QUEUE_JOURNEYS:,} journeys"
    lines = ["", title, "", header, "-" * len(header)]
    for result, floor in queue_results["rows"]:
        ratio = f"{result.median / floor.median:7.1f}×" if floor is not None else ""
        cpu = f"{result.cpu_median:7.2f}" if result.cpu_median is not None else f"{'':>7}"
        to = f" (÷ {floor.label})" if floor is not None else ""
        lines.append(
            f"{result.label:<46} {result.median:9.2f} {result.p95:9.2f} {cpu} {result.query_text:>6} "
            f"{ratio:>8}  {result.detail}{to}"
        )
    lines += [f"  {note}" for note in queue_results["notes"]]
    return lines


def main() -> int:
    """Run the queue part alone on its own scratch database."""
    os.environ.setdefault("BENCH_DB", os.environ.get("BENCH_QUEUE_DB", "throughline_bench_queue"))
    from bench import run as bench

    runs = int(os.environ.get("BENCH_QUEUE_RUNS", max(10, bench.RUNS // 4)))
    base_url = os.environ.get("DATABASE_URL") or bench.DEFAULT_DATABASE_URL
    print(f"Creating the scratch database {bench.SCRATCH_DB}…", file=sys.stderr)
    bench.create_scratch_database(base_url)
    try:
        os.environ["DATABASE_URL"] = bench.scratch_url(base_url)
        os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection, connections

        from accounts.models import User

        try:
            call_command("migrate", verbosity=0)
            data = QueueData(
                user=User.objects.create_user(username="bench", password=None, first_name="Bench")
            )
            build(data)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
                cursor.execute("SHOW server_version")
                version = cursor.fetchone()[0]
            print(f"Measuring ({runs} runs each)…", file=sys.stderr)
            results = run(data, bench.measure, runs)
        finally:
            connections.close_all()
        print(f"PostgreSQL {version} · DEBUG off · ms · {runs} runs each after {bench.WARMUP} warm-up runs")
        print("\n".join(report(results)))
    finally:
        if os.environ.get("BENCH_KEEP") == "1":  # to look into a plan afterwards
            print(f"Kept the scratch database {bench.SCRATCH_DB} (BENCH_KEEP=1).", file=sys.stderr)
        else:
            bench.drop_scratch_database(base_url)
            print(f"Dropped the scratch database {bench.SCRATCH_DB}.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
