"""A real HTTP endpoint on 127.0.0.1 for the outbox's reliability tests: it answers, answers
slowly, answers 500 ("down"), or takes the request and never answers ("hang"), and it keeps
every request it was sent."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Endpoint:
    def __init__(self, mode: str = "up", delay: float = 0.0) -> None:
        self.mode = mode
        self.delay = delay
        self.requests: list[dict[str, Any]] = []
        self.answered: list[dict[str, Any]] = []
        self.changed = threading.Condition()
        self._release = threading.Event()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                with endpoint.changed:
                    endpoint.requests.append(body)
                    endpoint.changed.notify_all()
                if endpoint.mode == "hang":
                    endpoint._release.wait()  # until the test ends: no answer at all
                    return
                time.sleep(endpoint.delay)
                if endpoint.mode == "down":
                    self.send_response(500)
                    self.end_headers()
                    return
                self.send_response(200)
                self.end_headers()
                with endpoint.changed:
                    endpoint.answered.append(body)
                    endpoint.changed.notify_all()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def url(self, query: str = "") -> str:
        return f"json://127.0.0.1:{self.port}/hook{query}"

    def wait_for_requests(self, count: int, timeout: float = 20.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        with self.changed:
            while len(self.requests) < count and time.monotonic() < deadline:
                self.changed.wait(max(0.0, deadline - time.monotonic()))
            assert len(self.requests) >= count, f"{len(self.requests)} requests, not {count}"
            return list(self.requests)

    def close(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
