"""Real HTTP servers in threads for the sync tests: a webhook receiver that can fail on purpose, and a fake
Jira/Asana REST API for the poll. Real sockets and real HTTP; nothing of ours is mocked."""

import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """What a receiver saw: every request (headers, raw body) in order, and the answers it gave."""

    def __init__(self, fail_first: int = 0, status: int = 500):
        self.fail_first = fail_first
        self.fail_status = status
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        self.url = ""

    def answer(self, headers, body) -> int:
        with self.lock:
            self.requests.append({"headers": headers, "body": body})
            return self.fail_status if len(self.requests) <= self.fail_first else 200

    def delivered_ids(self) -> list[str]:
        """Delivery ids of the requests answered 2xx (what the receiver accepted)."""
        with self.lock:
            return [
                r["headers"].get("X-Throughline-Delivery")
                for i, r in enumerate(self.requests, start=1)
                if i > self.fail_first
            ]


@contextmanager
def serve(handler_factory):
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_factory)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextmanager
def webhook_receiver(fail_first: int = 0, status: int = 500):
    receiver = Receiver(fail_first, status)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            code = receiver.answer(dict(self.headers.items()), body)
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps({"ok": code == 200}).encode())

        def log_message(self, *args):
            pass

    with serve(Handler) as url:
        receiver.url = url + "/hooks/throughline"
        yield receiver


class FakeProvider:
    """A stand-in for Jira's or Asana's REST API: `answer(path, query)` returns (status, JSON) for a GET;
    every request is kept (path, query, headers) so tests can say what was asked."""

    def __init__(self, answer):
        self.answer = answer
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        self.url = ""

    def asked_paths(self) -> list[str]:
        with self.lock:
            return [r["path"] for r in self.requests]


@contextmanager
def fake_provider(answer):
    """A real HTTP server answering GETs through `answer(path, query: dict[str, list[str]])`."""
    from urllib.parse import parse_qs, urlsplit

    provider = FakeProvider(answer)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            with provider.lock:
                provider.requests.append(
                    {"path": parts.path, "query": query, "headers": dict(self.headers.items())}
                )
            status, data = provider.answer(parts.path, query)
            body = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    with serve(Handler) as url:
        provider.url = url
        yield provider
