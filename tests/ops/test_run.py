"""`make run` (scripts/run.py) on this run's PostgreSQL and Redis, socket or TCP: web, worker and beat come
up, the sign-in page answers, a demo login reaches the journeys, and Ctrl-C stops every process it started.

Beat's schedule file goes to a folder that does not exist yet, as var/ does not in a fresh clone that uses
external servers (beat used to exit at once with "No such file or directory")."""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import psutil
import pytest
from django.conf import settings
from django.db import connection

from config.service_urls import child_env

pytestmark = pytest.mark.services

START_TIMEOUT = 180  # seconds: migrate, demo data, three processes, on a loaded CI machine


class MakeRun:
    """scripts/run.py in its own process group, as a terminal runs it; its output collected."""

    def __init__(self, env: dict):
        self.process = subprocess.Popen(
            [sys.executable, "scripts/run.py"],
            cwd=settings.BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=lambda: self.lines.extend(self.process.stdout), daemon=True)
        self.reader.start()

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} from make run:\n{self.output[-5000:]}")
            time.sleep(0.1)

    def ctrl_c(self) -> int:
        os.killpg(self.process.pid, signal.SIGINT)  # what the terminal sends its foreground group
        code = self.process.wait(timeout=60)
        self.reader.join(timeout=10)
        self.process.stdout.close()
        return code


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def first_demo_login(output: str) -> tuple[str, str]:
    """The first row of the sign-in table that `make run` prints (manage.py load_demo)."""
    table = output.split("Sign in with:", 1)[1]
    # The processes' own lines ("   web | ...") may come in between.
    rows = [line.split() for line in table.splitlines() if line.startswith("  ") and " | " not in line]
    rows = [row for row in rows if row]
    assert rows[0] == ["username", "password", "role"], rows[:2]
    return rows[2][0], rows[2][1]  # after the header and its underline


def sign_in(base_url: str, username: str, password: str) -> httpx.Response:
    with httpx.Client(base_url=base_url, timeout=30, follow_redirects=True) as http:
        page = http.get("/accounts/login/")
        assert page.status_code == 200
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        return http.post(
            "/accounts/login/",
            data={"csrfmiddlewaretoken": token, "username": username, "password": password},
            headers={"Referer": f"{base_url}/accounts/login/"},
        )


def test_make_run_serves_a_demo_login_and_ctrl_c_stops_every_process(transactional_db, tmp_path):
    port = free_port()
    schedule = tmp_path / "var does not exist yet" / "celerybeat-schedule"
    env = child_env(
        database=connection.settings_dict,
        redis_url=settings.REDIS_URL,
        PORT=str(port),
        RELOAD="0",
        WORKER_CONCURRENCY="1",
        CELERY_BEAT_SCHEDULE_FILENAME=str(schedule),
    )
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    run = MakeRun(env)
    try:
        run.wait_for("Press Ctrl-C to stop.")
        run.wait_for("beat: Starting...", timeout=60)
        run.wait_for("celery@", timeout=60)  # the worker's banner
        children = psutil.Process(run.process.pid).children(recursive=True)
        commands = [" ".join(child.cmdline()) for child in children]
        username, password = first_demo_login(run.output)

        journeys = sign_in(f"http://127.0.0.1:{port}", username, password)
        # An open map's live stream, left open through Ctrl-C: it must not hold up the web server's stop.
        journey_id = re.search(r'href="/journeys/(\d+)/"', journeys.text).group(1)
        streamer = httpx.Client(base_url=f"http://127.0.0.1:{port}", cookies=journeys.history[0].cookies)
        live = streamer.stream("GET", f"/journeys/{journey_id}/live/", timeout=httpx.Timeout(30, read=None))
        stream = live.__enter__()

        deadline = time.monotonic() + 30
        while not any(schedule.parent.glob("celerybeat-schedule*")) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        if run.process.poll() is None:
            code = run.ctrl_c()
        if "live" in locals():
            live.__exit__(None, None, None)
            streamer.close()
        else:
            run.reader.join(timeout=10)
            run.process.stdout.close()
            code = run.process.returncode
    gone, alive = psutil.wait_procs(children, timeout=30)

    assert journeys.status_code == 200
    assert journeys.url.path == "/journeys/"
    assert "Customer lifecycle" in journeys.text
    assert any(schedule.parent.glob("celerybeat-schedule*")), run.output[-3000:]
    assert any("uvicorn config.asgi:application" in command for command in commands), commands
    assert any("celery -A config worker" in command for command in commands), commands
    assert any("celery -A config beat" in command for command in commands), commands
    assert stream.headers["content-type"].startswith("text/event-stream")
    assert "did not stop" not in run.output, run.output[-3000:]  # the stream closed within uvicorn's timeout
    assert code == 0, run.output[-3000:]
    assert alive == [], [process.cmdline() for process in alive]
    assert "exited with code" not in run.output, run.output[-3000:]
    assert run.output.rstrip().endswith("Stopped."), run.output[-3000:]
