"""`make bench`: how fast big journey maps are read and edited, against a floor measured in the same run.

Creates a scratch database (BENCH_DB, default throughline_bench) on the server of DATABASE_URL (`make bench`
provides the embedded PostgreSQL when it is unset), migrates it, writes maps of 8 stages × 4 steps × 8 lanes
with 500 cards each, one map of 60 stages × 3 steps × 10 lanes with 2,000 cards, and a workspace of 1,000
journeys; then times, RUNS times each after WARMUP runs:

* the map page (journeys:map) and the grid partial (journeys:map_grid), through django.test.Client signed
  in: the whole request, middleware, templates and all;
* the map API (journeys-api:journey-map);
* a card edit through the service (journeys.services.card_update), through the API (PATCH with a token)
  and through the editor (journeys:editor_card_edit): time and SQL statements each;
* a card moved on the 2,000-card map through the editor (journeys:editor_card_move): time and bytes;
* the first page of the journeys list, page and API, in a workspace of 1,000 journeys;
* the versions list of the 2,000-card map with 12 versions;
* the floor: one raw SQL query fetching the 500-card map's rows (cards joined with their stage, step and
  lane) and json.dumps of them: what a read of this map cannot go below.

Then, unless BENCH_LOAD=0, under load: 2 uvicorn workers serving the scratch database, card edits through
the token API for BENCH_LOAD_SECONDS (10) each: 16 clients on one map, 16 clients spread over 16 maps, and
64 clients spread over 16 maps (errors counted: any answer but 200, or no answer); then, unless
BENCH_BASELINE=0, 16 clients over 16 maps alternated between an earlier commit's server and this one
(bench/baseline.py: "≥ 2× today's throughput" as a ratio measured in one run). And unless BENCH_BROWSER=0,
Chromium (Playwright, /usr/bin/chromium) opens the 2,000-card map: time until its first card shows.

And unless BENCH_APPS=0, research and metrics (issues 8 and 9; bench/research_metrics.py, BENCH_APPS_RUNS
times each, default RUNS): evidence search over 20,000 items (the selector as the library runs it, and the
library page) for three queries, each against a raw full-text SQL floor; the confidence of a 500-card map
with ~300 links; the metrics overlay, map API and page of a map with 40 metrics × 36 periods against the
same map without; journey health of a 1,000-journey hierarchy; and the import of 100,000 evidence rows and
of 100,000 measurement rows through core.imports (rows/s), each again to show a re-import writes nothing.

And unless BENCH_QUEUE=0, the prioritization queue (issue 10; bench/priorities.py, BENCH_QUEUE_RUNS times
each, default RUNS / 4): 50,000 scored cards across 1,000 journeys — the first page and filtered pages
(selector, page, API), the matrix and the CSV export, against raw SQL floors of the same pages.

It prints median, p95, this process's CPU time (median), SQL statements per run and the ratio of each read
to the floor; then drops the scratch database. Environment: BENCH_RUNS (200), BENCH_WARMUP (10), BENCH_MAPS
(maps of 500 cards, 20), BENCH_DB, BENCH_LOAD, BENCH_LOAD_SECONDS, BENCH_BROWSER, BENCH_APPS,
BENCH_APPS_RUNS, BENCH_IMPORT_ROWS (100,000), BENCH_QUEUE, BENCH_QUEUE_RUNS, BENCH_BASELINE.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

SCRATCH_DB = os.environ.get("BENCH_DB", "throughline_bench")
STAGES, STEPS_PER_STAGE, LANES, CARDS = 8, 4, 8, 500
RUNS = int(os.environ.get("BENCH_RUNS", 200))
WARMUP = int(os.environ.get("BENCH_WARMUP", 10))
MAPS = int(os.environ.get("BENCH_MAPS", 20))
LOAD = os.environ.get("BENCH_LOAD", "1") != "0"
LOAD_SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", 10))
BROWSER = os.environ.get("BENCH_BROWSER", "1") != "0"
APPS = os.environ.get("BENCH_APPS", "1") != "0"
APPS_RUNS = int(os.environ.get("BENCH_APPS_RUNS", RUNS))
QUEUE = os.environ.get("BENCH_QUEUE", "1") != "0"
QUEUE_RUNS = int(os.environ.get("BENCH_QUEUE_RUNS", max(10, RUNS // 4)))
BIG = {"stages": 60, "steps": 3, "lanes": 10, "cards": 2000}  # the map of issue 7
LIST_JOURNEYS = 1000
VERSIONS = 12
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


def _database_config(url: str) -> dict:
    try:
        from config.service_urls import database_config
    except ImportError:  # an older tree (bench run on a clone of an earlier commit, for "before" figures)
        import environ

        config = environ.Env.db_url_config(url)
        config["HOST"] = config.get("HOST") or config.get("OPTIONS", {}).get("host") or ""
        return config
    return database_config(url)


def scratch_url(url: str) -> str:
    """The same server as `url` (unix socket or TCP), the scratch database."""
    try:
        from config.service_urls import database_config, database_url
    except ImportError:
        return urlunsplit(urlsplit(url)._replace(path=f"/{SCRATCH_DB}"))
    return database_url({**database_config(url), "NAME": SCRATCH_DB})


def _admin_connection(url: str):
    """Autocommit connection to the server's maintenance database (CREATE/DROP DATABASE)."""
    import psycopg

    config = _database_config(url)
    return psycopg.connect(
        dbname="postgres",
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        host=config.get("HOST") or None,
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


def build_map(journey, *, stages=STAGES, steps_per_stage=STEPS_PER_STAGE, lanes=LANES, cards=CARDS) -> None:
    """A map of `stages` × `steps_per_stage` steps by `lanes` lanes, `cards` cards spread over the cells."""
    from journeys.models import Card, Lane, Stage, Step

    stage_rows = Stage.objects.bulk_create(
        Stage(journey=journey, position=i, title=f"Stage {i + 1}") for i in range(stages)
    )
    step_rows = Step.objects.bulk_create(
        Step(journey=journey, stage=stage, position=i, title=f"{stage.title}, step {i + 1}")
        for stage in stage_rows
        for i in range(steps_per_stage)
    )
    kinds = [LANE_KINDS[i % len(LANE_KINDS)] for i in range(lanes)]
    lane_rows = Lane.objects.bulk_create(
        Lane(journey=journey, position=i, title=kind.replace("_", " ").capitalize(), kind=kind)
        for i, kind in enumerate(kinds)
    )
    cells = [(lane, step) for lane in lane_rows for step in step_rows]
    positions: dict = {}
    objs = []
    for i in range(cards):
        lane, step = cells[(i * 7) % len(cells)]  # spread, and some cells get two cards
        position = positions.get((lane.pk, step.pk), 0)
        positions[(lane.pk, step.pk)] = position + 1
        objs.append(
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
    Card.objects.bulk_create(objs)


def _version_auto_save():
    try:
        from journeys.services.versioning import version_auto_save
    except ImportError:  # an older tree
        from journeys.versioning import version_auto_save
    return version_auto_save


def _version_save():
    try:
        from journeys.services.versioning import version_save
    except ImportError:
        from journeys.versioning import version_save
    return version_save


class Data:
    """What the benchmarks run on."""

    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)


def build_data() -> Data:
    from rest_framework.authtoken.models import Token

    from accounts import services as account_services
    from accounts.models import User
    from journeys import services as journey_services
    from journeys.models import Journey

    user = User.objects.create_user(username="bench", password=None, first_name="Bench", last_name="Mark")
    workspace = account_services.workspace_create(name="Benchmark Inc.", by=user)
    journeys = []
    for n in range(max(16, MAPS)):
        journey = journey_services.journey_create(workspace=workspace, by=user, title=f"Journey {n + 1}")
        build_map(journey)
        journeys.append(journey)
    print(f"Writing the {BIG['cards']}-card map…", file=sys.stderr)
    big = journey_services.journey_create(workspace=workspace, by=user, title="Big map")
    build_map(big, stages=BIG["stages"], steps_per_stage=BIG["steps"], lanes=BIG["lanes"], cards=BIG["cards"])
    version_save = _version_save()
    for n in range(VERSIONS):
        version_save(journey_id=big.pk, by=user, label=f"Version {n + 1}")
    # Steady state: each map's hourly automatic version exists, so edits queue no version task (no worker
    # runs here to take them).
    version_auto_save = _version_auto_save()
    for journey in journeys:
        version_auto_save(journey_id=journey.pk)
    print(f"Writing a workspace of {LIST_JOURNEYS} journeys…", file=sys.stderr)
    other = account_services.workspace_create(name="Portfolio Inc.", by=user)
    roots = Journey.objects.bulk_create(
        Journey(workspace=other, owner=user, title=f"Lifecycle {n:04d}") for n in range(LIST_JOURNEYS // 4)
    )
    children = Journey.objects.bulk_create(
        Journey(workspace=other, owner=user, title=f"Sub-journey {n:04d}", parent=roots[n % len(roots)],
                level="sub-journey")
        for n in range(LIST_JOURNEYS - len(roots))
    )  # fmt: skip
    for journey in (roots + children)[:: max(1, LIST_JOURNEYS // 50)]:
        build_map(journey, stages=2, steps_per_stage=2, lanes=3, cards=10)
    token, _ = Token.objects.get_or_create(user=user)
    return Data(
        user=user, workspace=workspace, journey=journeys[0], journeys=journeys, big=big, portfolio=other,
        token=token.key,
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------- timing


class Result:
    def __init__(
        self, label: str, detail: str, samples: list[float], queries: set[int], size: int = 0, cpu=()
    ):
        self.label, self.detail, self.samples, self.queries, self.size = label, detail, samples, queries, size
        self.cpu = list(cpu)  # this process's CPU time per run (ms): what other load on the machine hides

    @property
    def cpu_median(self) -> float | None:
        return statistics.median(self.cpu) if self.cpu else None

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


def measure(label: str, detail: str, run, runs: int | None = None) -> Result:
    """Time `run(i)` RUNS times after WARMUP runs; count its SQL statements every time. When `run` returns
    a response, its size is kept (the largest)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    runs = runs or RUNS
    for i in range(WARMUP):
        run(-1 - i)
    samples, cpu, queries, size = [], [], set(), 0
    for i in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started, started_cpu = time.perf_counter(), time.process_time()
            out = run(i)
            samples.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        queries.add(len(captured))
        content = getattr(out, "content", None)
        if content is not None:
            size = max(size, len(content))
    print(f"  {label:<16} {statistics.median(samples):8.2f} ms median", file=sys.stderr)
    return Result(label, detail, samples, queries, size, cpu)


def _card_ids(journey, n=50):
    from journeys.models import Card

    qs = Card.objects.filter(journey=journey).exclude(lane__kind="emotions").order_by("pk")
    return list(qs.values_list("pk", flat=True)[:n])


def run_benchmarks(data: Data) -> list[Result]:
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from accounts.selectors import SESSION_KEY
    from journeys import services
    from journeys.models import Card

    user, journey = data.user, data.journey
    client = Client()
    client.force_login(user)
    api = Client(HTTP_AUTHORIZATION=f"Token {data.token}")

    def get(url, c=client, **kwargs):
        def run(i=0):
            response = c.get(url, **kwargs)
            if response.status_code != 200:
                raise SystemExit(f"GET {url} answered {response.status_code}")
            return response

        return run

    def floor(i=0):
        with connection.cursor() as cursor:
            cursor.execute(FLOOR_SQL, [journey.pk])
            rows = cursor.fetchall()
        return json.dumps(rows)

    card_ids = _card_ids(journey, 48)
    service_ids, api_ids, editor_ids = card_ids[:16], card_ids[16:32], card_ids[32:48]
    versions = dict(Card.objects.filter(pk__in=card_ids).values_list("pk", "version"))
    edits = itertools.count(1)

    def edit(i=0):
        n = next(edits)  # always a new text: an unchanged card is not saved
        card_id = service_ids[n % len(service_ids)]
        services.card_update(card_id=card_id, by=user, text=f"Edited in the benchmark ({n})")

    def api_edit(i=0):
        n = next(edits)
        card_id = api_ids[n % len(api_ids)]
        url = reverse("journeys-api:card-detail", args=[card_id])
        body = {"text": f"Edited through the API ({n})", "expected_version": versions[card_id]}
        response = api.patch(url, body, content_type="application/json")
        if response.status_code != 200:
            raise SystemExit(f"PATCH {url} answered {response.status_code}: {response.content[:200]}")
        versions[card_id] += 1
        return response

    def editor_edit(i=0):
        n = next(edits)
        card_id = editor_ids[n % len(editor_ids)]
        url = reverse("journeys:editor_card_edit", args=[card_id])
        body = {"text": f"Edited in the editor ({n})", "expected_version": versions[card_id]}
        response = client.post(url, body, HTTP_HX_REQUEST="true")
        if response.status_code != 200:
            raise SystemExit(f"POST {url} answered {response.status_code}")
        versions[card_id] += 1
        return response

    # A card moved back and forth between two cells of the big map (the last card of its cell, moved to
    # the end of the other cell: the same work every time).
    big_card = (
        Card.objects.filter(journey=data.big).exclude(lane__kind="emotions").order_by("-position", "pk")[0]
    )
    home = (big_card.lane_id, big_card.step_id)
    away_step = (
        Card.objects.filter(journey=data.big, lane_id=home[0]).exclude(step_id=home[1]).first().step_id
    )
    moving = {"version": big_card.version, "at_home": True}

    def move(i=0):
        url = reverse("journeys:editor_card_move", args=[big_card.pk])
        to_step = away_step if moving["at_home"] else home[1]
        body = {"to_lane": home[0], "to_step": to_step, "position": 99, "expected_version": moving["version"]}
        response = client.post(url, body, HTTP_HX_REQUEST="true")
        if response.status_code != 200:
            raise SystemExit(f"POST {url} answered {response.status_code}")
        moving["version"] += 1
        moving["at_home"] = not moving["at_home"]
        return response

    portfolio_client = Client()
    portfolio_client.force_login(user)
    session = portfolio_client.session
    session[SESSION_KEY] = data.portfolio.pk  # the list shows the session's workspace
    session.save()

    map_url = reverse("journeys:map", args=[journey.pk])
    grid_url = reverse("journeys:map_grid", args=[journey.pk])
    api_url = reverse("journeys-api:journey-map", args=[journey.pk])
    list_url = reverse("journeys:list")
    list_api_url = reverse("journeys-api:journey-list") + f"?workspace={data.portfolio.pk}&limit=50"
    versions_url = reverse("journeys:versions", args=[data.big.pk])
    few = max(20, RUNS // 5)
    return [
        measure("floor", "1 SQL query (cards ⋈ steps ⋈ stages ⋈ lanes) + json.dumps", floor),
        measure("map page", f"GET {map_url}", get(map_url)),
        measure("map grid", f"GET {grid_url}", get(grid_url)),
        measure("map API", f"GET {api_url}", get(api_url)),
        measure("edit: service", "journeys.services.card_update", edit),
        measure("edit: API", "PATCH /api/v1/cards/<id>/ (token)", api_edit),
        measure("edit: editor", "POST journeys:editor_card_edit (HTMX)", editor_edit),
        measure("move: 2,000 cards", "POST journeys:editor_card_move on the 2,000-card map", move, few),
        measure("list: 1,000", f"GET {list_url} (page 1 of 1,000)", get(list_url, portfolio_client), few),
        measure("list API: 1,000", f"GET {list_api_url}", get(list_api_url, api), few),
        measure("versions: 12", f"GET {versions_url} (12 versions, 2,000 cards)", get(versions_url), few),
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------------- load


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server(port: int, root: Path = BASE_DIR, env: dict | None = None) -> subprocess.Popen:
    """2 uvicorn workers serving the tree at `root` (this one by default) on `port`, once they answer."""
    env = env or {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "PYTHONPATH": str(BASE_DIR)}
    command = [
        sys.executable, "-m", "uvicorn", "config.asgi:application",
        "--host", "127.0.0.1", "--port", str(port),
        "--workers", "2", "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=root, env=env, start_new_session=True)  # noqa: S603 (our own argv)
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/v1/", timeout=2)
            return server
        except httpx.HTTPError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("uvicorn did not start")


def _stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


def load_run(
    base: str, token: str, cards_per_client: list[tuple[int, int]], seconds: float, server=None
) -> dict:
    """Each client edits its own card (id, version) through the token API as fast as answers come back.

    Returns {"per_second": edits answered 200 per second, "ok": n, "errors": n, "cards": [(id, version
    now), …] (the cards in the order given, for a next run on the same cards), "client_ms": this process's
    CPU ms per answer, "server_ms": the CPU ms per answer of `server`'s processes (uvicorn), or None}."""
    import httpx

    stop = time.monotonic() + seconds
    counts = {"ok": 0, "errors": 0}
    lock = threading.Lock()
    final = dict(cards_per_client)

    def client(card_id: int, version: int) -> None:
        n = 0
        with httpx.Client(base_url=base, headers={"Authorization": f"Token {token}"}, timeout=30) as http:
            while time.monotonic() < stop:
                n += 1
                try:
                    response = http.patch(
                        f"/api/v1/cards/{card_id}/", json={"text": f"Load {n}", "expected_version": version}
                    )
                    ok = response.status_code == 200
                    if ok:
                        version = response.json()["version"]
                except httpx.HTTPError:
                    ok = False
                with lock:
                    counts["ok" if ok else "errors"] += 1
                if not ok:
                    time.sleep(0.05)
        final[card_id] = version

    threads = [threading.Thread(target=client, args=pair) for pair in cards_per_client]
    started = time.monotonic()
    cpu = time.process_time(), _group_cpu(server)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    answers = max(1, counts["ok"] + counts["errors"])
    client_ms = (time.process_time() - cpu[0]) * 1000 / answers
    server_ms = (_group_cpu(server) - cpu[1]) * 1000 / answers if server else None
    cards = [(pk, final[pk]) for pk, _ in cards_per_client]
    return {
        "per_second": counts["ok"] / elapsed, **counts, "cards": cards, "client_ms": client_ms,
        "server_ms": server_ms,
    }  # fmt: skip


def _group_cpu(server: subprocess.Popen | None) -> float:
    """CPU seconds (user + system) of the server's process group so far: its live processes (uvicorn's
    supervisor and workers), from /proc/<pid>/stat; 0 without /proc."""
    if server is None:
        return 0.0
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[2]) == server.pid:  # fields[2]: the process group (field 5 of proc(5))
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / tick


def run_load(data: Data, base_url: str) -> list[tuple[str, dict]]:
    """Card edits under load (see the module's docstring); with a baseline commit, the same against it."""
    from django.db import connections

    from journeys.models import Card

    def cards(journeys, clients):
        rows = []
        per_map = {}
        for j in journeys:
            qs = Card.objects.filter(journey=j).exclude(lane__kind="emotions").order_by("pk")
            per_map[j.pk] = list(qs.values_list("pk", "version")[:clients])
        for i in range(clients):
            journey = journeys[i % len(journeys)]
            rows.append(per_map[journey.pk][i // len(journeys)])
        return rows

    def wide():
        qs = Card.objects.filter(journey__in=data.journeys[:16]).exclude(lane__kind="emotions")
        return list(qs.order_by("journey_id", "pk").values_list("pk", "version"))[::7][:64]

    runs = (
        ("16 clients, one map", lambda: cards([data.journey], 16)),
        ("16 clients, 16 maps", lambda: cards(data.journeys[:16], 16)),
        ("64 clients, 16 maps", wide),
    )
    connections.close_all()
    port = _free_port()
    server = _start_server(port)
    base = f"http://127.0.0.1:{port}"
    try:
        # Steady state: both workers past their first requests (URLconf imports, connections) before timing.
        load_run(base, data.token, cards(data.journeys[:16], 16), WARM_SECONDS)
        results = []
        for label, pairs in runs:
            print(f"  load: {label}…", file=sys.stderr)
            cards_now = pairs()  # each client edits its own card, from the version it has now
            connections.close_all()
            results.append((label, load_run(base, data.token, cards_now, LOAD_SECONDS, server)))
        from bench import baseline

        sha = baseline.commit()
        if sha:
            spread = dict(runs)["16 clients, 16 maps"]
            results += _against_baseline(sha, base_url, (base, server), data.token, spread)
        return results
    finally:
        _stop_server(server)


BASELINE_ROUNDS = 2
WARM_SECONDS = 2.0  # of load on a server just started, not counted


def _against_baseline(sha: str, base_url: str, now, token: str, spread) -> list[tuple[str, dict]]:
    """16 clients over 16 maps on the old tree and on this one, alternated BASELINE_ROUNDS times.

    `base_url`: the database server's DATABASE_URL; `now`: this tree's running server (URL, process);
    `spread()`: this tree's cards
    (id, version), one per map. Returns the two rows of the report, each summed over the rounds."""
    from django.db import connections

    from bench import baseline

    base, server = now
    print(f"  load: the same on {sha[:7]} (bench/baseline.py)…", file=sys.stderr)
    tree = baseline.prepare(sha)
    old_server = None
    try:
        seeded = baseline.seed(tree, base_url, maps=16)
        port = _free_port()
        old_server = _start_server(port, tree, baseline.environment(tree, seeded["database_url"]))
        old = {"base": f"http://127.0.0.1:{port}", "token": seeded["token"], "cards": seeded["cards"]}
        warm = load_run(old["base"], old["token"], [tuple(pair) for pair in old["cards"]], WARM_SECONDS)
        old["cards"] = warm["cards"]
        figures = {"old": [], "now": []}
        for _ in range(BASELINE_ROUNDS):
            pairs = [tuple(pair) for pair in old["cards"]]
            run = load_run(old["base"], old["token"], pairs, LOAD_SECONDS, old_server)
            old["cards"] = run["cards"]
            figures["old"].append(run)
            cards_now = spread()
            connections.close_all()
            figures["now"].append(load_run(base, token, cards_now, LOAD_SECONDS, server))
    finally:
        if old_server is not None:
            _stop_server(old_server)
        baseline.drop(base_url)
        shutil.rmtree(tree, ignore_errors=True)

    def summed(runs):
        return {
            "per_second": statistics.mean(r["per_second"] for r in runs),
            "ok": sum(r["ok"] for r in runs),
            "errors": sum(r["errors"] for r in runs),
            "client_ms": statistics.mean(r["client_ms"] for r in runs),
            "server_ms": statistics.mean(r["server_ms"] for r in runs),
        }

    return [
        (f"16 maps, {sha[:7]} (before)", summed(figures["old"])),
        ("16 maps, now (same run)", summed(figures["now"])),
    ]


def run_browser(data: Data) -> float | None:
    """Milliseconds from navigation to the 2,000-card map's first card visible in Chromium."""
    from django.conf import settings
    from django.db import connections
    from django.test import Client
    from django.urls import reverse

    if not Path("/usr/bin/chromium").exists():
        return None
    from playwright.sync_api import sync_playwright

    client = Client()
    client.force_login(data.user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    url_path = reverse("journeys:map", args=[data.big.pk])
    connections.close_all()
    port = _free_port()
    server = _start_server(port)
    samples = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                      "--disable-component-update", "--disable-sync", "--no-first-run"],
            )  # fmt: skip
            context = browser.new_context(viewport={"width": 1440, "height": 900})
            context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "domain": "127.0.0.1", "path": "/"}]
            )
            page = context.new_page()
            missing = []  # a page measured without its CSS or scripts measures nothing real
            page.on("response", lambda r: missing.append(f"{r.status} {r.url}") if r.status >= 400 else None)
            for i in range(6):
                started = time.perf_counter()
                page.goto(f"http://127.0.0.1:{port}{url_path}", wait_until="commit")
                page.wait_for_selector("article.card", state="visible", timeout=30000)
                if i:  # the first load warms the server
                    samples.append((time.perf_counter() - started) * 1000)
            browser.close()
    finally:
        _stop_server(server)
    if missing:
        raise SystemExit(f"The browser measure met failed requests: {sorted(set(missing))[:5]}")
    return statistics.median(samples)


# ---------------------------------------------------------------------------------------------- report


def report(results: list[Result], server: str, load=None, browser_ms=None, apps=None, queue=None) -> str:
    floor = results[0].median
    header = f"{'':<18} {'median':>9} {'p95':>9} {'cpu':>7} {'SQL':>6} {'× floor':>8} {'bytes':>9}  what"
    lines = [
        "",
        f"Throughline benchmark: maps of {STAGES} stages × {STEPS_PER_STAGE} steps × {LANES} lanes with "
        f"{CARDS} cards ({max(16, MAPS)} such maps), one of {BIG['stages']} × {BIG['steps']} × "
        f"{BIG['lanes']} with {BIG['cards']} cards, a workspace of {LIST_JOURNEYS} journeys",
        f"{RUNS} runs each (list, move, versions: {max(20, RUNS // 5)}) after {WARMUP} warm-up runs · "
        f"PostgreSQL {server} · DEBUG off · times in ms",
        "",
        header,
        "-" * len(header.rstrip()) + "-" * 30,
    ]
    for result in results:
        ratio = f"{result.median / floor:7.1f}×" if result.label.startswith(("floor", "map")) else ""
        size = f"{result.size:,}" if result.size else ""
        cpu = f"{result.cpu_median:7.2f}" if result.cpu_median is not None else f"{'':>7}"
        lines.append(
            f"{result.label:<18} {result.median:9.2f} {result.p95:9.2f} {cpu} {result.query_text:>6} "
            f"{ratio:>8} {size:>9}  {result.detail}"
        )
    lines.append("")
    lines.append("× floor: median of the read ÷ median of the floor (the same rows in one query, as JSON).")
    lines.append(
        "cpu: median CPU time of this process per run (not PostgreSQL's): when other work loads the machine,"
    )
    lines.append("the wall times grow and this column shows whether the work itself changed.")
    lines.append(
        "SQL: statements per run (for edits through the service: the write's own, and after commit the"
    )
    lines.append("automatic version's check; through the API and the editor: the whole request).")
    if load:
        lines.append("")
        lines.append(
            f"Under load: 2 uvicorn workers, card edits through the token API, {LOAD_SECONDS:.0f} s each"
        )
        for label, figures in load:
            server_ms, client_ms = figures.get("server_ms"), figures.get("client_ms")
            cpu = f"   CPU/answer: uvicorn {server_ms:.2f}, client {client_ms:.2f} ms" if server_ms else ""
            lines.append(
                f"  {label:<26} {figures['per_second']:7.1f} edits/s   {figures['ok']:>6} answered 200   "
                f"{figures['errors']:>4} errors{cpu}"
            )
        before = next((figures for label, figures in load if label.endswith("(before)")), None)
        if before:
            now = dict(load)["16 maps, now (same run)"]
            lines.append(
                f"  edits/s over 16 maps, now ÷ before (alternated, {BASELINE_ROUNDS} rounds each): "
                f"{now['per_second'] / before['per_second']:.2f}×"
            )
        spread = dict(load).get("16 clients, 16 maps")
        if spread:
            lines.append(
                f"  edits/s over 16 maps ÷ the floor's reads/s: {spread['per_second'] * floor / 1000:.3f}"
            )
    if browser_ms is not None:
        lines.append("")
        lines.append(f"Browser (Chromium): the {BIG['cards']}-card map's first card shown after "
                     f"{browser_ms:.0f} ms "
                     "(median of 5 loads, from navigation)")  # fmt: skip
    if apps is not None:
        from bench import research_metrics as bench_apps

        lines += bench_apps.report(apps, results[0])
    if queue is not None:
        from bench import priorities as bench_queue

        lines += bench_queue.report(queue)
    return "\n".join(lines)


def main() -> int:
    base_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    print(f"Creating the scratch database {SCRATCH_DB}…", file=sys.stderr)
    create_scratch_database(base_url)
    # Static files collected into a scratch STATIC_ROOT, which WhiteNoise serves under uvicorn as in
    # production (without them the browser measure loads a page without its CSS and scripts).
    static_root = tempfile.mkdtemp(prefix="throughline-bench-static-")
    try:
        os.environ["DATABASE_URL"] = scratch_url(base_url)
        os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
        os.environ["STATIC_ROOT"] = static_root
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection, connections

        try:
            call_command("collectstatic", interactive=False, verbosity=0)
            call_command("migrate", verbosity=0)
            print(f"Writing {max(16, MAPS)} maps of {CARDS} cards…", file=sys.stderr)
            data = build_data()
            if APPS:
                from bench import research_metrics as bench_apps

                bench_apps.build(data)
            if QUEUE:
                from bench import priorities as bench_queue

                bench_queue.build(data)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
                cursor.execute("SHOW server_version")
                version = cursor.fetchone()[0]
            print(f"Measuring ({RUNS} runs each)…", file=sys.stderr)
            results = run_benchmarks(data)
            load = run_load(data, base_url) if LOAD else None
            browser_ms = run_browser(data) if BROWSER else None
            apps = bench_apps.run(data, measure, APPS_RUNS) if APPS else None
            queue = bench_queue.run(data, measure, QUEUE_RUNS) if QUEUE else None
        finally:
            connections.close_all()
        print(report(results, version, load, browser_ms, apps, queue))
    finally:
        drop_scratch_database(base_url)
        shutil.rmtree(static_root, ignore_errors=True)
        print(f"Dropped the scratch database {SCRATCH_DB}.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
