"""`make run`: Throughline on this machine: web server (ASGI), Celery worker and beat, demo data.

Starts embedded PostgreSQL/Redis when DATABASE_URL/REDIS_URL are unset, migrates, loads the demo data once,
then runs the three processes until Ctrl-C, which stops all of them and then the embedded servers.
Variables: PORT (8000), HOST (127.0.0.1), DEBUG (1), RELOAD (1: restart the web server on code changes),
WORKER_CONCURRENCY (2: Celery worker processes, each with its own database connection pool).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from services import BASE_DIR, VAR_DIR, embedded_services, load_dotenv  # noqa: E402

STOP_TIMEOUT = 20  # seconds a process gets to finish its work (a Celery task, open requests) after SIGTERM
NOT_WATCHED = {"var", "tests", "bench", "scripts", "node_modules", "artifacts", "__pycache__"}


class Stop(Exception):
    """Ctrl-C or SIGTERM asked us to stop."""


def _on_signal(signum, frame):
    raise Stop


def _on_signal_while_stopping(signum, frame):
    print("\nStill stopping, please wait...", flush=True)


def truthy(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def port_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def manage(*args: str, env: dict[str, str], capture: bool = False) -> str:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE if capture else None,
        text=True,
    )
    if result.returncode != 0:
        if capture and result.stdout:
            print(result.stdout, end="")
        raise SystemExit(f"`manage.py {' '.join(args)}` failed (exit code {result.returncode}).")
    return result.stdout or ""


class Process:
    """One long-running child in its own process group, its output prefixed with its name."""

    def __init__(self, name: str, command: list[str], env: dict[str, str]):
        self.name = name
        self.popen = subprocess.Popen(  # noqa: S603
            command,
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            start_new_session=True,  # the terminal's Ctrl-C reaches only us; we stop children in order
        )
        self.reader = threading.Thread(target=self._copy_output, daemon=True)
        self.reader.start()

    def _copy_output(self) -> None:
        for line in self.popen.stdout:
            sys.stdout.write(f"{self.name:>6} | {line}")
            sys.stdout.flush()

    def signal_group(self, sig: int) -> None:
        try:
            os.killpg(self.popen.pid, sig)
        except ProcessLookupError:
            pass


def stop_all(processes: list[Process]) -> None:
    # SIGTERM to each main process only: Celery's warm shutdown lets its pool finish the running tasks,
    # uvicorn's reloader stops its server. Whatever is left of a group then (or after the timeout) is killed.
    for process in processes:
        if process.popen.poll() is None:
            process.popen.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline and any(p.popen.poll() is None for p in processes):
        time.sleep(0.1)
    for process in processes:
        if process.popen.poll() is None:
            print(f"{process.name} did not stop within {STOP_TIMEOUT}s: killing it.", flush=True)
        process.signal_group(signal.SIGKILL)
        process.popen.wait()
        process.reader.join(timeout=2)


def reload_options() -> list[str]:
    folders = sorted(
        path.name
        for path in BASE_DIR.iterdir()
        if path.is_dir()
        and not path.name.startswith(".")
        and not path.name.endswith(".egg-info")
        and path.name not in NOT_WATCHED
    )
    options = ["--reload", "--reload-include", "*.html"]
    for folder in folders:
        options += ["--reload-dir", folder]
    return options


def main() -> int:
    load_dotenv()
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8000"))
    debug = truthy(os.environ["DEBUG"])
    if not port_free(host, port):
        print(f"Port {port} on {host} is taken. Choose another: PORT=8001 make run", file=sys.stderr)
        return 1

    # Beat's schedule file and the embedded servers live here, whichever servers are used.
    VAR_DIR.mkdir(exist_ok=True)
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    processes: list[Process] = []
    try:
        with embedded_services() as provided:
            env = {**os.environ, **provided}
            try:
                manage("migrate", "--noinput", env=env)
                demo = manage("load_demo", env=env, capture=True)
                if not debug:  # with DEBUG, WhiteNoise serves the files straight from their folders
                    manage("collectstatic", "--noinput", env=env)

                uvicorn = [sys.executable, "-m", "uvicorn", "config.asgi:application"]
                celery = [sys.executable, "-m", "celery", "-A", "config"]
                # An open map's live stream never ends by itself: without a graceful-shutdown timeout a
                # reload or Ctrl-C would wait for every browser to leave (config/asgi.py).
                web = [*uvicorn, "--host", host, "--port", str(port), "--timeout-graceful-shutdown", "3"]
                web += ["--no-proxy-headers"]  # the address is the connection's (TRUSTED_PROXY_COUNT)
                if debug and truthy(os.environ.get("RELOAD", "1")):
                    web += reload_options()
                concurrency = os.environ.get("WORKER_CONCURRENCY", "2")
                processes.append(Process("web", web, env))
                processes.append(
                    Process("worker", [*celery, "worker", "--loglevel", "INFO", "-c", concurrency], env)
                )
                # Its schedule file: CELERY_BEAT_SCHEDULE_FILENAME (var/celerybeat-schedule).
                processes.append(Process("beat", [*celery, "beat", "--loglevel", "INFO"], env))

                shown = "localhost" if host in {"0.0.0.0", "::"} else host  # noqa: S104
                while not port_answers(shown, port):
                    if any(p.popen.poll() is not None for p in processes):
                        break
                    time.sleep(0.1)
                else:
                    url = f"http://{'[' + shown + ']' if ':' in shown else shown}:{port}/"
                    print(f"\n  Throughline is running at {url}\n", flush=True)
                    for line in demo.strip().splitlines():
                        print(f"  {line}")
                    print("\n  Press Ctrl-C to stop.\n", flush=True)

                while True:
                    for process in processes:
                        code = process.popen.poll()
                        if code is not None:
                            print(f"\n{process.name} exited with code {code}: stopping.", file=sys.stderr)
                            return 1
                    time.sleep(0.2)
            except Stop:
                print("\nStopping...", flush=True)
                return 0
            finally:
                signal.signal(signal.SIGINT, _on_signal_while_stopping)
                signal.signal(signal.SIGTERM, _on_signal_while_stopping)
                stop_all(processes)
    except Stop:  # while the embedded servers were starting
        return 0
    finally:
        print("Stopped.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
