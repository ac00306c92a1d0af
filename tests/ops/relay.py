"""A byte-for-byte relay from one kind of socket to another, so that a test reaches the real PostgreSQL or
Redis of this run both through a unix socket and through TCP, whichever of the two the run was given."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

Address = str | Path | tuple[str, int]


def _socket_for(address: Address) -> socket.socket:
    return socket.socket(socket.AF_INET if isinstance(address, tuple) else socket.AF_UNIX)


class Relay:
    """Listens on `listen` (a unix socket path, or (host, port) with port 0 for any) and forwards every
    connection to `target`. `address` is where it listens; close() stops it and its connections."""

    def __init__(self, listen: Address, target: Address):
        self.target = target if isinstance(target, tuple) else str(target)
        self.server = _socket_for(listen)
        self.server.bind(listen if isinstance(listen, tuple) else str(listen))
        self.server.listen(128)
        self.server.settimeout(0.1)
        self.address = self.server.getsockname()
        self._open: list[socket.socket] = []
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            upstream = _socket_for(self.target)
            try:
                upstream.connect(self.target)
            except OSError:
                client.close()
                continue
            self._open += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        try:
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self) -> None:
        self._stopped.set()
        self._thread.join()
        self.server.close()
        for sock in self._open:
            sock.close()
