"""`make bench`: how fast a big journey map is read and edited, against a floor measured in the same run.

Creates a scratch database (throughline_bench) on the server of DATABASE_URL (`make bench` provides the
embedded PostgreSQL when it is unset), migrates it, writes maps of 8 stages × 4 steps × 8 lanes with 500
cards each, then times, RUNS times each after WARMUP runs:

* the map page (journeys:map) and the grid partial live updates re-fetch (journeys:map_grid), through
  django.test.Client signed in: the whole request, middleware, templates and all;
* the map API (journeys-api:journey-map);
* a card edit (journeys.services.card_update): lock, validate, save, activity, revision, publish;
* the floor: one raw SQL query fetching the same rows (cards joined with their stage, step and lane)
  and json.dumps of them: what a read of this map cannot go below.

It prints median, p95, SQL queries per run, and the ratio of each read to the floor; then drops the
scratch database. Environment: BENCH_RUNS (200), BENCH_WARMUP (10), BENCH_MAPS (maps in the database, 20).
"""

from __future__ import annotations

import itertools
import json
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

SCRATCH_DB = "throughline_bench"
STAGES, STEPS_PER_STAGE, LANES, CARDS = 8, 4, 8, 500
RUNS = int(os.environ.get("BENCH_RUNS", 200))
WARMUP = int(os.environ.get("BENCH_WARMUP", 10))
MAPS = int(os.environ.get("BENCH_MAPS", 20))
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/throughline"  # as config/settings.py

FLOOR_SQL = """
    SELECT sg.id, sg.position, sg.title, sg.standard_stage,
           st.id, st.position, st.title, st.sub_journey_id,
           l.id, l.position, l.title, l.kind,
           c.id, c.position, c.text, c.note, c.emotion_score, c.channel, c.version
      FROM journeys_card c
      JOIN journeys_step st ON st.id = c.step_id
      JOIN journeys_stage sg ON sg.id = st.stage_id
      JOIN journeys_lane l ON l.id = c.lane_id
     WHERE c.journey_id = %s
     ORDER BY sg.position, st.position, l.position, c.position
"""


# ---------------------------------------------------------------------------------------------- database


def _scratch_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{SCRATCH_DB}"))


def _admin_connection(url: str):
    """Autocommit connection to the server's maintenance database (CREATE/DROP DATABASE)."""
    import environ
    import psycopg

    config = environ.Env.db_url_config(url)
    return psycopg.connect(
        dbname="postgres",
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        host=config.get("HOST") or config.get("OPTIONS", {}).get("host") or None,
        port=config.get("PORT") or None,
        autocommit=True,
    )


def create_scratch_database(url: str) -> None:
    with _admin_connection(url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{SCRATCH_DB}" WITH (FORCE)')  # left by an interrupted run
        admin.execute(f'CREATE DATABASE "{SCRATCH_DB}"')


def drop_scratch_database(url: str) -> None:
    with _admin_connection(url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{SCRATCH_DB}" WITH (FORCE)')


# ---------------------------------------------------------------------------------------------- data


TEXTS = [
    "Searches for a plan that fits a small team",
    "Compares prices on the website and in a partner's brochure",
    "Unsure whether the trial needs a credit card",
    "Waits for the confirmation e-mail, checks spam",
    "Offer a guided set-up call in the first week",
    "Support ticket routed to the wrong queue",
    "Billing system creates the invoice overnight",
    "Relieved the import kept all the data",
]
LANE_KINDS = [
    "actions", "touchpoints", "thoughts", "emotions", "pain_points", "opportunities", "backstage", "systems",
]  # fmt: skip


def build_map(journey) -> None:
    """A map of STAGES × STEPS_PER_STAGE steps by LANES lanes with CARDS cards spread over the cells."""
    from journeys.models import Card, Lane, Stage, Step

    stages = Stage.objects.bulk_create(
        Stage(journey=journey, position=i, title=f"Stage {i + 1}") for i in range(STAGES)
    )
    steps = Step.objects.bulk_create(
        Step(journey=journey, stage=stage, position=i, title=f"{stage.title}, step {i + 1}")
        for stage in stages
        for i in range(STEPS_PER_STAGE)
    )
    lanes = Lane.objects.bulk_create(
        Lane(journey=journey, position=i, title=kind.replace("_", " ").capitalize(), kind=kind)
        for i, kind in enumerate(LANE_KINDS[:LANES])
    )
    cells = [(lane, step) for lane in lanes for step in steps]
    positions: dict = {}
    cards = []
    for i in range(CARDS):
        lane, step = cells[(i * 7) % len(cells)]  # spread, and some cells get two cards
        position = positions.get((lane.pk, step.pk), 0)
        positions[(lane.pk, step.pk)] = position + 1
        cards.append(
            Card(
                journey=journey,
                lane=lane,
                step=step,
                position=position,
                text=f"{TEXTS[i % len(TEXTS)]} (#{i + 1})",
                note="Heard in 4 of 12 interviews." if i % 5 == 0 else "",
                emotion_score=(i % 7) - 3 if lane.kind == "emotions" else None,
                channel="E-mail" if lane.kind == "touchpoints" else "",
            )
        )
    Card.objects.bulk_create(cards)


def build_data():
    from accounts import services as account_services
    from accounts.models import User
    from journeys import services as journey_services
    from journeys.versioning import version_auto_save

    user = User.objects.create_user(username="bench", password=None, first_name="Bench", last_name="Mark")
    workspace = account_services.workspace_create(name="Benchmark Inc.", by=user)
    journeys = []
    for n in range(max(1, MAPS)):
        journey = journey_services.journey_create(workspace=workspace, by=user, title=f"Journey {n + 1}")
        build_map(journey)
        journeys.append(journey)
    # Steady state: the map's hourly automatic version exists, so edits queue no version task (no worker
    # runs here to take them).
    version_auto_save(journey_id=journeys[0].pk)
    return user, journeys[0]


# ---------------------------------------------------------------------------------------------- timing


class Result:
    def __init__(self, label: str, detail: str, samples: list[float], queries: set[int]):
        self.label, self.detail, self.samples, self.queries = label, detail, samples, queries

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.samples, n=100, method="inclusive")[94]

    @property
    def query_text(self) -> str:
        low, high = min(self.queries), max(self.queries)
        return str(low) if low == high else f"{low}–{high}"


def measure(label: str, detail: str, run) -> Result:
    """Time `run()` RUNS times after WARMUP runs; count its SQL queries every time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(WARMUP):
        run()
    samples, queries = [], set()
    for i in range(RUNS):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            run(i)
            samples.append((time.perf_counter() - started) * 1000)
        queries.add(len(captured))
    print(f"  {label:<12} {statistics.median(samples):8.2f} ms median", file=sys.stderr)
    return Result(label, detail, samples, queries)


def run_benchmarks(user, journey) -> list[Result]:
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from journeys import services
    from journeys.models import Card

    client = Client()
    client.force_login(user)

    def get(url):
        def run(i=0):
            response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"GET {url} answered {response.status_code}")
            return response

        return run

    def floor(i=0):
        with connection.cursor() as cursor:
            cursor.execute(FLOOR_SQL, [journey.pk])
            rows = cursor.fetchall()
        return json.dumps(rows)

    card_ids = list(
        Card.objects.filter(journey=journey).exclude(lane__kind="emotions").values_list("pk", flat=True)[:50]
    )

    edits = itertools.count(1)

    def edit(i=0):
        n = next(edits)  # always a new text: an unchanged card is not saved
        card_id = card_ids[n % len(card_ids)]
        services.card_update(card_id=card_id, by=user, text=f"Edited in the benchmark ({n})")

    map_url = reverse("journeys:map", args=[journey.pk])
    grid_url = reverse("journeys:map_grid", args=[journey.pk])
    api_url = reverse("journeys-api:journey-map", args=[journey.pk])
    return [
        measure("floor", "1 SQL query (cards ⋈ steps ⋈ stages ⋈ lanes) + json.dumps", floor),
        measure("map page", f"GET {map_url}", get(map_url)),
        measure("map grid", f"GET {grid_url}  (live updates re-fetch this)", get(grid_url)),
        measure("map API", f"GET {api_url}", get(api_url)),
        measure("card edit", "journeys.services.card_update", edit),
    ]


def report(results: list[Result], server: str) -> str:
    floor = results[0].median
    header = f"{'':<10} {'median':>9} {'p95':>9} {'queries':>8} {'× floor':>8}  what"
    lines = [
        "",
        f"Throughline benchmark: one map of {STAGES} stages × {STEPS_PER_STAGE} steps × {LANES} lanes with "
        f"{CARDS} cards ({MAPS} such maps in the database)",
        f"{RUNS} runs each after {WARMUP} warm-up runs · PostgreSQL {server} · DEBUG off · times in ms",
        "",
        header,
        "-" * len(header.rstrip()) + "-" * 40,
    ]
    for result in results:
        ratio = "" if result.label == "card edit" else f"{result.median / floor:7.1f}×"
        lines.append(
            f"{result.label:<10} {result.median:9.2f} {result.p95:9.2f} {result.query_text:>8} {ratio:>8}  "
            f"{result.detail}"
        )
    lines.append("")
    lines.append("× floor: median of the read ÷ median of the floor (the same rows in one query, as JSON).")
    return "\n".join(lines)


def main() -> int:
    base_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    print(f"Creating the scratch database {SCRATCH_DB}…", file=sys.stderr)
    create_scratch_database(base_url)
    try:
        os.environ["DATABASE_URL"] = _scratch_url(base_url)
        os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection, connections

        try:
            call_command("migrate", verbosity=0)
            print(f"Writing {MAPS} maps of {CARDS} cards…", file=sys.stderr)
            user, journey = build_data()
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
                cursor.execute("SHOW server_version")
                version = cursor.fetchone()[0]
            print(f"Measuring ({RUNS} runs each)…", file=sys.stderr)
            results = run_benchmarks(user, journey)
        finally:
            connections.close_all()
        print(report(results, version))
    finally:
        drop_scratch_database(base_url)
        print(f"Dropped the scratch database {SCRATCH_DB}.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
