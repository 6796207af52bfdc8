"""A real HTTP endpoint on 127.0.0.1 that Apprise's json:// posts to; it can be switched
down (500), off (connection refused) or to hang, and made to answer after a delay."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Receiver:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.attempts = 0
        self.mode = "up"
        self.delay = 0.0  # seconds before each answer, so a request is in flight a while
        self.received = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self.port = 0
        self.start()

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                with receiver.received:
                    receiver.attempts += 1
                mode = receiver.mode
                time.sleep(receiver.delay)
                if mode == "hang":
                    time.sleep(30)
                if mode == "down":
                    self.send_response(500)
                    self.end_headers()
                    return
                payload = json.loads(body)
                payload["received_at"] = time.time()
                with receiver.received:
                    receiver.messages.append(payload)
                    receiver.received.notify_all()
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Close the port: connections are refused until start()."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        with self.received:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.received.wait(left)
            return list(self.messages)
