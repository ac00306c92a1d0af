"""The research and metrics part of `make bench` (issues 8 and 9), run by bench/run.py unless BENCH_APPS=0.

On the scratch database bench/run.py built (its `Data`), this writes:

* a research workspace of APPS_EVIDENCE (20,000) evidence items in 8 studies, texts of 1 to 14 sentences
  drawn (seeded) from customer-research phrases, some accented and some long (bulk_create: PostgreSQL
  fills the generated search_vector);
* ~300 evidence links (supporting and contradicting, over four studies) on one 500-card map;
* 40 metrics × 36 monthly periods on another 500-card map (32 on steps, 8 on stages);
* a workspace of 1,000 journeys in a tree (1 → 10 → 100 → 889) with 3 journey-level metrics each and 6
  monthly periods per metric;

and times (see `run`): the evidence search as the library runs it and the library page, against one raw
full-text SQL query of the same words; a map's confidence; the metrics overlay, map API and page of the
map with metrics against the same map without; journey health of the 1,000-journey tree; and the import
of 100,000 evidence rows and of 100,000 measurement rows through core.imports, twice each (the second
time nothing is written), in this process, not through a worker.
"""

from __future__ import annotations

import csv
import datetime
import io
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from urllib.parse import urlencode

from django.utils import timezone

APPS_EVIDENCE = 20_000
IMPORT_ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", 100_000))  # at most core.imports.MAX_ROWS
SEARCHES = (
    ("common words", "invoice email"),
    ("word -other", "trial -card"),
    ("quoted phrase", '"credit card"'),
)
# Not a floor, a yardstick: what the ranked page costs PostgreSQL alone (count, rank every match, the
# headlines of 25), to tell the database's share of a search from the ORM's and the page's.
SEARCH_RANKED_SQL = (
    """
    SELECT count(*) FROM research_evidence
     WHERE workspace_id = %(ws)s AND search_vector @@ websearch_to_tsquery('research_search', %(q)s)
    """,
    """
    SELECT id, ts_headline('research_search', text, websearch_to_tsquery('research_search', %(q)s)) FROM (
        SELECT id, text FROM research_evidence
         WHERE workspace_id = %(ws)s AND search_vector @@ websearch_to_tsquery('research_search', %(q)s)
         ORDER BY ts_rank(search_vector, websearch_to_tsquery('research_search', %(q)s)) DESC, id DESC
         LIMIT 25
    ) page
    """,
)
SEARCH_FLOOR_SQL = """
    SELECT id, text FROM research_evidence
     WHERE workspace_id = %s AND search_vector @@ websearch_to_tsquery('research_search', %s)
     LIMIT 25
"""
TREE = (1, 10, 100, 889)  # journeys per level of the 1,000-journey hierarchy
HEALTH_METRICS, HEALTH_PERIODS = 3, 6
MAP_METRICS, MAP_PERIODS = 40, 36

# ---------------------------------------------------------------------------------------------- texts

SUBJECTS = [
    "The customer", "P07", "She", "He", "The admin", "Our buyer", "The finance lead", "A new user",
    "The office manager", "Two participants", "The IT contact", "Most respondents", "The team lead",
    "One trial user", "The accountant", "Frau Müller", "The café owner", "Le responsable achats",
]  # fmt: skip
PHRASES = [
    "could not find the invoice in the email we sent",
    "expected the invoice as a PDF attached to the email",
    "asked whether the trial needs a credit card",
    "stopped the trial when the form asked for a credit card",
    "compared our prices with a competitor's brochure",
    "called support because the password reset email never arrived",
    "said the onboarding checklist felt long but useful",
    "exported the report to a spreadsheet every Monday",
    "wanted the dashboard to show last month's numbers",
    "was unsure who in the company approves the contract",
    "waited three days for the IT approval of the data connection",
    "liked the mobile app but missed notifications",
    "paid by bank transfer because the credit card was declined",
    "thought the renewal email looked like spam",
    "could not change the billing address on the invoice",
    "opened a ticket that was routed to the wrong queue",
    "found the integration with the accounting system confusing",
    "asked for a guided set-up call in the first week",
    "read the help article twice before the import worked",
    "was relieved that the import kept all the data",
    "mentioned the price increase at the renewal meeting",
    "described the trial as easy once the data was connected",
    "never opened the welcome email",
    "used the search to find old invoices",
    "shared the dashboard with the board before the quarterly review",
    "felt the support answer was friendly but slow",
    "mistook the monthly invoice for a duplicate charge",
    "wanted a déjà vu check: the same question asked twice in the form",
    "explained that procurement needs three quotes before buying",
    "said the cancellation page was hard to find",
]
TAILS = [
    "", "", "", " during the interview", " in the diary entry for week two", " (observed, not said)",
    " according to the ticket history", " while sharing the screen", " after the price page",
    " — \"this is where I usually give up\"", " in the survey's open answer",
]  # fmt: skip


def evidence_text(rng: random.Random) -> str:
    """One realistic item: 1–14 sentences (a few long ones: fragments for the headline to pick)."""
    sentences = rng.choice((1, 1, 2, 2, 3, 4, 6, 14))
    return " ".join(
        f"{rng.choice(SUBJECTS)} {rng.choice(PHRASES)}{rng.choice(TAILS)}." for _ in range(sentences)
    )


# ---------------------------------------------------------------------------------------------- data


def _metric_fields(kind: str, n: int) -> dict:
    from metrics.models import KIND_DEFAULTS, Kind, Unit

    unit, direction, aggregation, _limits = KIND_DEFAULTS[kind]
    if aggregation not in {"average", "sum", "last"}:
        aggregation = "average"  # values given directly, no components
    fields = {"kind": kind, "unit": unit, "direction": direction, "aggregation": aggregation}
    if unit == Unit.CURRENCY:
        fields["currency"] = "EUR"
    if unit == Unit.CUSTOM:
        fields["unit_label"] = "points"
    if kind in {Kind.CONVERSION_RATE, Kind.DROP_OFF_RATE, Kind.TIME_TO_COMPLETE, Kind.COST_TO_SERVE}:
        fields["target_value"] = Decimal(20 + n % 7)
    return fields


KINDS = ("csat", "nps", "ces", "conversion_rate", "drop_off_rate", "time_to_complete", "cost_to_serve")


def _value(kind: str, rng: random.Random) -> Decimal:
    low, high = {"csat": (60, 95), "nps": (-10, 50), "ces": (3, 7)}.get(kind, (10, 30))
    return Decimal(str(round(rng.uniform(low, high), 2)))


def _months(n: int, end: datetime.date) -> list[tuple[datetime.date, datetime.date]]:
    out, year, month = [], end.year, end.month
    for _ in range(n):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        start = datetime.date(year, month, 1)
        nxt = datetime.date(year + (month == 12), month % 12 + 1, 1)
        out.append((start, nxt - datetime.timedelta(days=1)))
    return out[::-1]


def _add_metrics(journey_metrics: list[tuple], periods: int, rng: random.Random) -> None:
    """bulk_create metrics (journey id, stage id, step id, name, kind) and `periods` months of each."""
    from metrics.models import Measurement, Metric

    metrics = Metric.objects.bulk_create(
        Metric(journey_id=j, stage_id=stage, step_id=step, name=name, **_metric_fields(kind, i))
        for i, (j, stage, step, name, kind) in enumerate(journey_metrics)
    )
    months = _months(periods, timezone.localdate())
    Measurement.objects.bulk_create(
        (
            Measurement(metric=m, period_start=s, period_end=e, value=_value(m.kind, rng))
            for m in metrics
            for s, e in months
        ),
        batch_size=5_000,
    )


def build(data) -> None:
    """Write the research and metrics data onto `data` (bench.run.Data)."""
    from accounts import services as account_services
    from journeys.models import Card, Journey, Stage, Step
    from research import services as research_services
    from research.models import Evidence, EvidenceLink, Kind, Method, Stance

    rng = random.Random(89)
    user = data.user
    print(f"Writing {APPS_EVIDENCE:,} evidence items…", file=sys.stderr)
    research = account_services.workspace_create(name="Research Inc.", by=user)
    methods = list(Method.values)
    studies = [
        research_services.study_create(
            workspace_id=research.pk, by=user, title=f"Study {n + 1}", method=methods[n % len(methods)]
        )
        for n in range(8)
    ]
    kinds = list(Kind.values)
    today = timezone.localdate()
    Evidence.objects.bulk_create(
        (
            Evidence(
                workspace=research,
                study=studies[n % len(studies)],
                kind=kinds[n % len(kinds)],
                text=evidence_text(rng),
                participant=f"P{n % 60 + 1:02d}",
                captured_on=today - datetime.timedelta(days=rng.randrange(900)),
                created_by=user,
            )
            for n in range(APPS_EVIDENCE)
        ),
        batch_size=2_000,
    )
    data.research = research

    print("Linking ~300 evidence items to a 500-card map…", file=sys.stderr)
    linked = data.journeys[1]
    same = [
        research_services.study_create(
            workspace_id=data.workspace.pk, by=user, title=f"Map study {n + 1}", method=methods[n]
        )
        for n in range(4)
    ]
    items = []
    for n, study in enumerate(same):
        items += [
            Evidence(
                workspace=data.workspace, study=study, kind=kinds[i % len(kinds)], text=evidence_text(rng),
                participant=f"P{(i + n * 7) % 40 + 1:02d}",
                captured_on=today - datetime.timedelta(days=rng.randrange(900)),
                created_by=user,
            )
            for i in range(75)
        ]  # fmt: skip
    items = Evidence.objects.bulk_create(items)
    cards = list(Card.objects.filter(journey=linked).order_by("pk").values_list("pk", flat=True))
    steps = list(Step.objects.filter(journey=linked).values_list("pk", flat=True))
    stages = list(Stage.objects.filter(journey=linked).values_list("pk", flat=True))
    links = []
    for i, item in enumerate(items):
        target = {"card_id": cards[(i * 13) % len(cards)]}
        if i % 10 == 7:
            target = {"step_id": steps[i % len(steps)]}
        elif i % 25 == 3:
            target = {"stage_id": stages[i % len(stages)]}
        stance = Stance.CONTRADICTS if i % 6 == 5 else Stance.SUPPORTS
        links.append(EvidenceLink(evidence=item, journey=linked, stance=stance, created_by=user, **target))
    EvidenceLink.objects.bulk_create(links)
    data.linked, data.links = linked, len(links)

    print(f"Writing {MAP_METRICS} metrics × {MAP_PERIODS} periods on a 500-card map…", file=sys.stderr)
    measured = data.journeys[2]
    steps = list(Step.objects.filter(journey=measured).order_by("stage__position", "position"))
    stages = list(Stage.objects.filter(journey=measured).order_by("position"))
    wanted = []
    for i in range(MAP_METRICS):
        kind = KINDS[i % len(KINDS)]
        if i < len(steps):
            wanted.append((measured.pk, None, steps[i].pk, f"{kind} {i}", kind))
        else:
            wanted.append((measured.pk, stages[i % len(stages)].pk, None, f"{kind} {i}", kind))
    _add_metrics(wanted, MAP_PERIODS, rng)
    data.measured, data.unmeasured = measured, data.journeys[3]  # the same map, no metrics

    print("Writing a hierarchy of 1,000 journeys with metrics…", file=sys.stderr)
    tree_ws = account_services.workspace_create(name="Hierarchy Inc.", by=user)
    level, everyone = [None], []
    for depth, count in enumerate(TREE):
        made = Journey.objects.bulk_create(
            Journey(workspace=tree_ws, owner=user, title=f"Level {depth} journey {n:04d}",
                    parent=level[n % len(level)], level="lifecycle" if depth == 0 else "sub-journey")
            for n in range(count)
        )  # fmt: skip
        everyone += made
        level = made
    wanted = [
        (j.pk, None, None, f"{KINDS[(k + n) % len(KINDS)]} {k}", KINDS[(k + n) % len(KINDS)])
        for n, j in enumerate(everyone)
        for k in range(HEALTH_METRICS)
    ]
    _add_metrics(wanted, HEALTH_PERIODS, rng)
    data.tree_root, data.tree_workspace = everyone[0], tree_ws
    data.tree_middle = everyone[1]  # 1 + 10 + ~89 journeys under it
    data.import_study = research_services.study_create(
        workspace_id=research.pk, by=user, title="Imported study", method=Method.SURVEY
    )
    data.import_journey = data.journeys[4]
    import_metrics = [(data.import_journey.pk, None, None, f"Metric {n:02d}", KINDS[n % len(KINDS)])
                      for n in range(50)]  # fmt: skip
    _add_metrics(import_metrics, 0, rng)


# ---------------------------------------------------------------------------------------------- files


def evidence_csv(rows: int, rng: random.Random) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["external id", "text", "kind", "participant", "captured", "tags"])
    tags = ["billing", "onboarding", "trial", "support", "pricing; renewal", ""]
    start = datetime.date(2024, 1, 1)
    for n in range(rows):
        writer.writerow([
            f"EV-{n:06d}", evidence_text(rng), ("quote", "observation", "data_point", "finding")[n % 4],
            f"P{n % 200 + 1:03d}", (start + datetime.timedelta(days=n % 600)).isoformat(),
            tags[n % len(tags)],
        ])  # fmt: skip
    return out.getvalue().encode()


def measurements_csv(rows: int, rng: random.Random) -> bytes:
    """Long form: 50 metrics × 500 days × 4 segments = 100,000 rows; decimal points, ISO dates."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["metric", "date", "value", "segment"])
    segments = ("EMEA", "Americas", "APAC", "")
    start = datetime.date(2024, 1, 1)
    n = 0
    for metric in range(50):
        for day in range(rows // 200):
            for segment in segments:
                if n == rows:
                    break
                value = round(rng.uniform(10, 90), 2)
                writer.writerow([f"Metric {metric:02d}", (start + datetime.timedelta(days=day)).isoformat(),
                                 f"{value}", segment])  # fmt: skip
                n += 1
    return out.getvalue().encode()


# ---------------------------------------------------------------------------------------------- timing


def _timed_importer(importer, phases: dict):
    """The same importer (its class, kind, columns), its `check` and `write` timed into `phases` (s)."""
    base = type(importer)

    class Timed(base):
        def check(self, records, **kwargs):
            started = time.perf_counter()
            try:
                return super().check(records, **kwargs)
            finally:
                phases["check"] += time.perf_counter() - started

        def write(self, records, **kwargs):
            started = time.perf_counter()
            try:
                return super().write(records, **kwargs)
            finally:
                phases["write"] += time.perf_counter() - started

    return Timed(kind=importer.kind, title=importer.title, columns=importer.columns)


def time_import(importer, *, user, target: dict, data: bytes, filename: str) -> dict:
    """One import as a person does it, in this process: create_job (upload: decode, sniff, read the
    table), the job queued as core.imports.start leaves it (without sending the Celery task), then
    core.imports.run (read and parse every row, check, write). Returns seconds per phase and the result."""
    from core import imports
    from core.models import ImportJob

    phases = {"check": 0.0, "write": 0.0}
    timed = _timed_importer(importer, phases)
    imports.unregister(importer.kind)
    imports.register(timed)
    try:
        started = time.perf_counter()
        job = imports.create_job(importer=timed, user=user, target=target, filename=filename, data=data)
        uploaded = time.perf_counter()
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.QUEUED)
        status = imports.run(job.pk)
        finished = time.perf_counter()
    finally:
        imports.unregister(importer.kind)
        imports.register(importer)
    job = ImportJob.objects.get(pk=job.pk)
    if status != ImportJob.Status.DONE:
        raise SystemExit(f"The {importer.kind} import ended {status}: {job.errors[:3]}")
    total = finished - started
    return {
        "rows": job.total_rows,
        "bytes": len(data),
        "total": total,
        "upload": uploaded - started,
        "read": total - phases["check"] - phases["write"],
        "check": phases["check"],
        "write": phases["write"],
        "result": job.result,
    }


def run(data, measure, runs: int) -> dict:
    """Time everything (see the module docstring); `measure` is bench.run.measure. Returns
    {"rows": [(Result, floor Result or None)], "imports": [(label, figures)], "notes": [str]}."""
    from django.core.paginator import Paginator
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from accounts.selectors import SESSION_KEY
    from core.overlays import MapIds
    from journeys import overlays as journey_overlays
    from journeys.models import Stage, Step
    from metrics.health import explain, journey_health
    from metrics.imports import MEASUREMENTS
    from metrics.overlays import MetricsOverlay
    from research.confidence import map_confidence
    from research.imports import EVIDENCE_IMPORT
    from research.selectors import evidence_search
    from research.views.common import PAGE_SIZE

    user = data.user
    rows, notes = [], []

    def client_in(workspace):
        client = Client()
        client.force_login(user)
        session = client.session
        session[SESSION_KEY] = workspace.pk
        session.save()
        return client

    def get(client, url):
        def go(i=0):
            response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"GET {url} answered {response.status_code}")
            return response

        return go

    # -- search
    library = client_in(data.research)
    library_url = reverse("research:evidence")
    for label, q in SEARCHES:

        def floor(i=0, q=q):
            with connection.cursor() as cursor:
                cursor.execute(SEARCH_FLOOR_SQL, [data.research.pk, q])
                return cursor.fetchall()

        def search(i=0, q=q):
            qs = evidence_search(user=user, workspace_id=data.research.pk, q=q)
            page = Paginator(qs, PAGE_SIZE).get_page(1)
            found = list(page.object_list)
            return page.paginator.count, found

        count, _ = search()
        floor_result = measure(
            f"floor: {label}", f"raw SQL: @@ websearch_to_tsquery({q!r}) LIMIT 25", floor, runs
        )
        rows.append((floor_result, None))

        def ranked(i=0, q=q):
            with connection.cursor() as cursor:
                for sql in SEARCH_RANKED_SQL:
                    cursor.execute(sql, {"ws": data.research.pk, "q": q})
                    cursor.fetchall()

        rows.append(
            (
                measure(
                    f"raw SQL ranked: {label}",
                    "raw SQL: count + 25 by ts_rank with ts_headline",
                    ranked,
                    runs,
                ),
                floor_result,
            )
        )
        rows.append(
            (
                measure(
                    f"search: {label}",
                    f"evidence_search({q!r}): count + 25 ranked rows with "
                    f"headlines ({count:,} of {APPS_EVIDENCE:,} match)",
                    search,
                    runs,
                ),
                floor_result,
            )
        )
        url = f"{library_url}?{urlencode({'q': q})}"
        rows.append(
            (measure(f"library: {label}", f"GET {library_url}?q={q}", get(library, url), runs), floor_result)
        )

    # -- confidence
    rows.append(
        (
            measure(
                "confidence: 500",
                f"map_confidence: 500 cards, {data.links} links over 4 studies",
                lambda i=0: map_confidence(journey_id=data.linked.pk),
                runs,
            ),
            "map floor",
        )
    )

    # -- metrics on the map
    registered = any(p.name == "metrics" for p in journey_overlays.providers())
    ids = MapIds(
        journey=data.measured.pk,
        stages=tuple(Stage.objects.filter(journey=data.measured).values_list("pk", flat=True)),
        steps=tuple(Step.objects.filter(journey=data.measured).values_list("pk", flat=True)),
        cards=(),
    )
    overlay = MetricsOverlay()
    rows.append(
        (
            measure(
                "metrics overlay",
                f"MetricsOverlay().decorate: {MAP_METRICS} metrics × {MAP_PERIODS} periods",
                lambda i=0: overlay.decorate(ids=ids, user=user),
                runs,
            ),
            "map floor",
        )
    )
    client = client_in(data.workspace)
    for what, name in (("API", "journeys-api:journey-map"), ("page", "journeys:map")):
        plain_url = reverse(name, args=[data.unmeasured.pk])
        # The API asks the overlay with ?overlays=metrics, the page with ?view=metrics (none by default).
        with_url = reverse(name, args=[data.measured.pk]) + (
            "?overlays=metrics" if what == "API" else "?view=metrics"
        )
        plain = measure(
            f"map {what}: no metrics",
            f"GET {plain_url} (500 cards, no metrics)",
            get(client, plain_url),
            runs,
        )
        rows.append((plain, None))
        rows.append(
            (
                measure(
                    f"map {what}: metrics",
                    f"GET {with_url} (500 cards, {MAP_METRICS} metrics × {MAP_PERIODS} periods)",
                    get(client, with_url),
                    runs,
                ),
                plain,
            )
        )

    notes.append(
        "The metrics overlay is "
        + ("registered (journeys.overlays)" if registered else "not registered")
        + ": the map API asks it with ?overlays=metrics, the map page with ?view=metrics."
    )

    # -- health
    def health(journey):
        return lambda i=0: journey_health(journey=journey, user=user)

    total = sum(TREE)
    rows.append(
        (
            measure(
                f"health: {total:,}",
                f"journey_health of the root: {total:,} journeys × "
                f"{HEALTH_METRICS} metrics × {HEALTH_PERIODS} periods",
                health(data.tree_root),
                runs,
            ),
            "map floor",
        )
    )
    rows.append(
        (
            measure(
                "health: explain",
                "metrics.health.explain of the same root",
                lambda i=0: explain(journey=data.tree_root, user=user),
                runs,
            ),
            "map floor",
        )
    )
    rows.append(
        (
            measure(
                "health: 1 branch",
                "journey_health of a level-1 journey (~100 under it)",
                health(data.tree_middle),
                runs,
            ),
            "map floor",
        )
    )

    # -- imports
    rng = random.Random(9)
    imported = []
    print(f"Importing {IMPORT_ROWS:,} evidence rows (twice)…", file=sys.stderr)
    evidence_file = evidence_csv(IMPORT_ROWS, rng)
    for n in (1, 2):
        figures = time_import(
            EVIDENCE_IMPORT,
            user=user,
            target={"study": data.import_study.pk},
            data=evidence_file,
            filename="evidence.csv",
        )
        imported.append((f"evidence, {'first' if n == 1 else 'again'}", figures))
    print(f"Importing {IMPORT_ROWS:,} measurement rows (twice)…", file=sys.stderr)
    measurement_file = measurements_csv(IMPORT_ROWS, rng)
    for n in (1, 2):
        figures = time_import(
            MEASUREMENTS,
            user=user,
            target={"journey": data.import_journey.pk},
            data=measurement_file,
            filename="measurements.csv",
        )
        imported.append((f"measurements, {'first' if n == 1 else 'again'}", figures))
    return {"rows": rows, "imports": imported, "notes": notes}


# ---------------------------------------------------------------------------------------------- report


def report(apps: dict, map_floor) -> list[str]:
    """The lines of the research and metrics part of the report. `map_floor`: the map floor's Result."""
    header = f"{'':<30} {'median':>9} {'p95':>9} {'cpu':>7} {'SQL':>6} {'ratio':>8}  what (ratio to)"
    lines = [
        "",
        f"Research and metrics (issues 8 and 9): {APPS_EVIDENCE:,} evidence items, a 500-card map with links,"
        f" {MAP_METRICS} metrics × {MAP_PERIODS} periods, {sum(TREE):,} journeys in a tree",
        "",
        header,
        "-" * len(header),
    ]
    for result, floor in apps["rows"]:
        if floor == "map floor":
            ratio, to = result.median / map_floor.median, "the map floor"
        elif floor is not None:
            ratio, to = result.median / floor.median, floor.label
        else:
            ratio, to = None, ""
        cpu = f"{result.cpu_median:7.2f}" if result.cpu_median is not None else f"{'':>7}"
        ratio_text = f"{ratio:7.1f}×" if ratio is not None else ""
        lines.append(
            f"{result.label:<30} {result.median:9.2f} {result.p95:9.2f} {cpu} {result.query_text:>6} "
            f"{ratio_text:>8}  {result.detail}" + (f" (÷ {to})" if to else "")
        )
    lines.append("")
    lines.append(
        f"Imports through core.imports, in this process ({IMPORT_ROWS:,} rows; rows/s per phase: upload ="
        " create_job, read = upload + parsing every row, check, write):"
    )
    lines.append(
        f"  {'':<20} {'total s':>8} {'rows/s':>9} {'read/s':>9} {'check/s':>9} {'write/s':>9}  result"
    )
    for label, f in apps["imports"]:
        per = {
            k: (f["rows"] / f[k] if f[k] > 0 else float("inf")) for k in ("total", "read", "check", "write")
        }
        lines.append(
            f"  {label:<20} {f['total']:8.1f} {per['total']:9,.0f} {per['read']:9,.0f} {per['check']:9,.0f} "
            f"{per['write']:9,.0f}  {f['result']} ({f['bytes'] / 2**20:.1f} MB)"
        )
    lines += [f"  {note}" for note in apps["notes"]]
    target = [r for r, _ in apps["rows"] if r.label.startswith("search:")]
    if target:
        worst = max(statistics.median(r.samples) for r in target)
        lines.append(
            f"  Issue 8's target, search ≤ 50 ms median: worst query {worst:.1f} ms — "
            + ("met." if worst <= 50 else "not met.")
        )
    return lines
