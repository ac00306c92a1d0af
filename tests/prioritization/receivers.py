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
