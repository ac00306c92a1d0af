"""The load measure against an earlier commit in the same run: "edits spread over 16 maps ≥ 2× today's
throughput on this machine" (issue 7) is a ratio of two servers measured minutes apart on one machine.

BENCH_BASELINE names the commit (default BASELINE, the main on which issue 7 was measured; "0" skips it).
`prepare` writes that commit's files into a temporary directory (`git archive`, no work tree of ours is
touched) with this bench/run.py and this module beside its own settings, and `seed` runs there, in a child
process importing the old code, to migrate a second scratch database (BENCH_BASELINE_DB) and write the same
16 maps of 500 cards and a token with the old services. bench/run.py then starts 2 uvicorn workers on each
tree and alternates the same load (16 clients over 16 maps, card edits through the token API) between them.

Both servers run with their own settings as committed: the old one opens a PostgreSQL connection per
request, as it did. The old tree imports from this project's virtualenv, so the commit must not need a
package the current pyproject lacks (true of BASELINE).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BASELINE = "effbae4"  # main of 2026-11-25, "Diff page: keep a struck rewrite and its replacement apart"
BASELINE_DB = os.environ.get("BENCH_BASELINE_DB", "throughline_bench_baseline")
HERE = Path(__file__).resolve().parent


def commit() -> str | None:
    """The commit to compare with: BENCH_BASELINE, BASELINE by default; None when "0" or not in this clone."""
    name = os.environ.get("BENCH_BASELINE", BASELINE)
    if name in ("", "0"):
        return None
    found = subprocess.run(  # noqa: S603 (git with our own arguments)
        ["git", "rev-parse", "--verify", "--quiet", f"{name}^{{commit}}"],  # noqa: S607
        cwd=HERE.parent, capture_output=True, text=True,
    )  # fmt: skip
    return found.stdout.strip() or None


def prepare(sha: str) -> Path:
    """A temporary directory holding the files of commit `sha`, with this bench/run.py and baseline.py.

    Raises subprocess.CalledProcessError when git cannot write the archive."""
    tree = Path(tempfile.mkdtemp(prefix="throughline-baseline-"))
    archive = subprocess.Popen(["git", "archive", sha], cwd=HERE.parent, stdout=subprocess.PIPE)  # noqa: S603, S607
    subprocess.run(["tar", "-x", "-C", str(tree)], stdin=archive.stdout, check=True)  # noqa: S603, S607
    archive.stdout.close()
    if archive.wait() != 0:
        shutil.rmtree(tree, ignore_errors=True)
        raise subprocess.CalledProcessError(archive.returncode, "git archive")
    (tree / "bench").mkdir(exist_ok=True)
    for name in ("run.py", "baseline.py", "__init__.py"):
        shutil.copy(HERE / name, tree / "bench" / name)
    return tree


def environment(tree: Path, database_url: str) -> dict[str, str]:
    """The environment of a process running the old tree against the baseline's scratch database."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "PYTHONPATH": str(tree),
        "DATABASE_URL": database_url,
        "BENCH_DB": BASELINE_DB,
    }


def seed(tree: Path, base_url: str, maps: int) -> dict:
    """Migrate and fill the baseline's scratch database with the old code, in a child process.

    `base_url`: the DATABASE_URL of the server (the scratch database is made beside it). Returns
    {"database_url": str, "token": str, "cards": [[card id, version], …]} (one card per map, `maps` maps).
    Raises SystemExit with the child's output when it fails."""
    env = {**environment(tree, base_url), "BENCH_BASE_DATABASE_URL": base_url, "BENCH_SEED_MAPS": str(maps)}
    done = subprocess.run(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-m", "bench.baseline"], cwd=tree, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"Seeding the baseline failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def drop(base_url: str) -> None:
    """Drop the baseline's scratch database (this process: bench/run.py's helpers read the current tree)."""
    from bench import run

    with run._admin_connection(base_url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{BASELINE_DB}" WITH (FORCE)')


def _seed_here() -> None:
    """In the old tree: create, migrate and fill the scratch database; print what the load needs as JSON."""
    from bench import run

    base_url = os.environ["BENCH_BASE_DATABASE_URL"]
    maps = int(os.environ["BENCH_SEED_MAPS"])
    run.create_scratch_database(base_url)
    database_url = run.scratch_url(base_url)
    os.environ["DATABASE_URL"] = database_url
    import django

    django.setup()
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from accounts import services as account_services
    from accounts.models import User
    from journeys import services as journey_services
    from journeys.models import Card

    call_command("migrate", verbosity=0)
    user = User.objects.create_user(username="bench", password=None, first_name="Bench", last_name="Mark")
    workspace = account_services.workspace_create(name="Benchmark Inc.", by=user)
    version_auto_save = run._version_auto_save()
    cards = []
    for n in range(maps):
        journey = journey_services.journey_create(workspace=workspace, by=user, title=f"Journey {n + 1}")
        run.build_map(journey)
        version_auto_save(journey_id=journey.pk)  # steady state, as bench/run.py: edits queue no version
        card = Card.objects.filter(journey=journey).exclude(lane__kind="emotions").order_by("pk").first()
        cards.append([card.pk, card.version])
    token, _ = Token.objects.get_or_create(user=user)
    print(json.dumps({"database_url": database_url, "token": token.key, "cards": cards}))


if __name__ == "__main__":
    _seed_here()
