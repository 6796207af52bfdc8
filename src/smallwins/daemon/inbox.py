"""The inbox: wins sent by HTTP (``POST /wins``) from a phone or a tool, handed to a writable
source (the journal) and scanned at once, so they are told as a ``done`` win is.

Secure by default: off unless ``[inbox] listen`` is set, a bearer token compared in constant
time, a body past ``max_bytes`` refused unread, a rate limit, TLS or an explicit
``allow_plain_http`` off the loopback (the config checks that), and the token never logged.
"""

from __future__ import annotations

import asyncio
import hmac
import io
import json
import logging
import math
import re
import secrets
import socket
import ssl
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from smallwins.api.win import Win
from smallwins.config.settings import InboxSettings, listen_address
from smallwins.daemon.threads import in_thread
from smallwins.ledger import LedgerUnreachable
from smallwins.redact import REDACTOR

if TYPE_CHECKING:
    from smallwins.daemon.daemon import Daemon

log = logging.getLogger("smallwins.inbox")

FIELDS = {"title", "tags", "value", "unit", "private"}
_QUERY = re.compile(r"\?\S*")
_UNIT = re.compile(r"[^\W\d][\w/]{0,19}")
MAX_CONNECTIONS = 32  # more at once are told to come back, not given a thread each
READ_TIMEOUT = 10.0  # seconds a client may take to send its whole request


class Refused(Exception):
    """A request the inbox turns down: its status, and what to fix."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


class RateLimit:
    """A token bucket: ten seconds' worth of requests (at least 10) at once, then
    ``per_minute`` a minute."""

    def __init__(self, per_minute: int) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(min(per_minute, max(10, per_minute // 6)))
        self._tokens = self.capacity
        self._at = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> float:
        """0 when a request may go ahead, else the seconds until one may."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens >= 1:
                self._tokens -= 1
                return 0.0
            return (1 - self._tokens) / self.rate


class _Deadline(io.RawIOBase):
    """A connection's reads, each given what is left of the request's time: the socket's own
    timeout bounds one read, and a client trickling a byte at a time would otherwise keep one
    of the few threads for good."""

    def __init__(self, raw: io.RawIOBase, sock: socket.socket, seconds: float) -> None:
        super().__init__()
        self._raw = raw
        self._sock = sock
        self._deadline = time.monotonic() + seconds

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int | None:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"the request did not arrive within {READ_TIMEOUT:g} s")
        self._sock.settimeout(left)
        return self._raw.readinto(b)

    def close(self) -> None:
        self._raw.close()
        super().close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], inbox: Inbox) -> None:
        import socket

        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.inbox = inbox
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            # Every thread is busy: no thread (nor TLS handshake) for this one.
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up or fails its TLS handshake: one line, not a traceback.
        log.debug("inbox: a request from %s failed", client_address[0], exc_info=True)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


async def serve_inbox(daemon: Daemon) -> None:
    """Start the inbox the daemon's config asks for, or restart it with new settings."""
    settings = daemon.config.settings.inbox
    if daemon.inbox is not None and daemon.inbox.settings == settings:
        return
    await close_inbox(daemon)
    if settings.listen:
        daemon.inbox = Inbox(daemon, settings, asyncio.get_running_loop())
        await in_thread(daemon.inbox.start)


async def keep_inbox(daemon: Daemon) -> None:
    """Serve the inbox while the daemon runs (a reload restarts it with new settings), and
    close it when the daemon stops."""
    try:
        await serve_inbox(daemon)
        while not await daemon.rest(3600):
            pass
    finally:
        await close_inbox(daemon)


async def close_inbox(daemon: Daemon) -> None:
    if daemon.inbox is not None:
        await in_thread(daemon.inbox.stop)
        daemon.inbox = None


class Inbox:
    """The daemon's HTTP inbox, on a thread of its own; ``stop`` ends it within a second."""

    def __init__(
        self, daemon: Daemon, settings: InboxSettings, loop: asyncio.AbstractEventLoop
    ) -> None:
        self.daemon = daemon
        self._loop = loop
        self.settings = settings
        token = settings.token.get_secret_value() if settings.token else ""
        self._token = token.encode("utf-8")
        REDACTOR.add(token)  # should it ever reach a log line, it is masked
        self.limit = RateLimit(settings.per_minute)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        """Listen; a port that cannot be had is logged, and the daemon goes on without it."""
        settings = self.settings
        try:
            server = _Server(listen_address(settings.listen), self)
            if settings.cert is not None and settings.key is not None:
                context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
                context.load_cert_chain(settings.cert, settings.key)
                # The handshake happens on the request's thread, not the accepting one.
                server.socket = context.wrap_socket(
                    server.socket, server_side=True, do_handshake_on_connect=False
                )
        except (OSError, ssl.SSLError) as exc:
            log.error(
                "the inbox cannot listen on %s: %s; wins can still be written with smallwins done",
                settings.listen,
                exc.strerror or exc,
            )
            return
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.2,), name="smallwins-inbox", daemon=True
        )
        self._thread.start()
        scheme = "https" if settings.tls else "http"
        host, port = self.address
        log.info("inbox: POST %s://%s:%d/wins to record a win", scheme, host, port)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # -- one request ----------------------------------------------------------------------

    def authorize(self, header: str | None) -> None:
        scheme, _, given = (header or "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            raise Refused(
                401,
                "send the inbox token as the header Authorization: Bearer TOKEN",
                {"WWW-Authenticate": "Bearer"},
            )
        if not hmac.compare_digest(given.strip().encode("utf-8"), self._token):
            raise Refused(401, "the token is not the inbox's", {"WWW-Authenticate": "Bearer"})

    def record(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Hand the win to the source and have the daemon scan it now."""
        win = win_of(fields)
        daemon = self.daemon
        source = daemon.sources.get(self.settings.source)
        if source is None or not source.detector.writable:
            raise Refused(503, f"the source {self.settings.source!r} is not there to take wins")
        try:
            first = daemon.ledger.cursor(source.name) is None
        except LedgerUnreachable:  # the win waits in the source for the spool, or the server
            first = False
        if first:
            # Its first scan would take the win for history and not tell it.
            raise Refused(
                503,
                f"the source {source.name!r} is being read for the first time: try again in "
                "a moment",
                {"Retry-After": "1"},
            )
        try:
            source.detector.write(win)
        except ValueError as exc:
            raise Refused(422, str(exc)) from None
        # Told as soon as the daemon has scanned it, not when the watcher notices the line.
        self._loop.call_soon_threadsafe(lambda: daemon.spawn(daemon.scanner.scan(source.name)))
        return {"recorded": {"source": source.name, "id": win.key, "title": win.title}}


def win_of(fields: dict[str, Any]) -> Win:
    """The win a request's fields describe; a Refused naming the field to fix."""
    unknown = sorted(set(fields) - FIELDS)
    if unknown:
        raise Refused(
            400, f"unknown field {unknown[0]!r}; the fields are {', '.join(sorted(FIELDS))}"
        )
    title = fields.get("title")
    if not isinstance(title, str) or not title.strip():
        raise Refused(400, 'say what you did in "title": {"title": "Went for a run"}')
    tags = fields.get("tags", [])
    if isinstance(tags, str):
        tags = [tags]
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise Refused(400, '"tags" is a list of words: ["workout", "outside"]')
    value = fields.get("value", 1)
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise Refused(400, f'"value" must be a number, as 20, not {value!r}') from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise Refused(400, '"value" must be a number, as 20')
    if value < 0:
        raise Refused(400, '"value" must be 0 or more')
    unit = fields.get("unit", "")
    if not isinstance(unit, str) or (unit and not _UNIT.fullmatch(unit)):
        raise Refused(400, '"unit" is a short word, as "min" or "km"')
    if unit and "value" not in fields:
        raise Refused(400, '"unit" needs "value": {"value": 20, "unit": "min"}')
    private = fields.get("private", False)
    if isinstance(private, str) and private.lower() in ("true", "false", "on", "1", "0"):
        private = private.lower() in ("true", "on", "1")  # a form's checkbox or field
    if not isinstance(private, bool):
        raise Refused(400, '"private" is true or false')
    return Win(
        key=secrets.token_hex(4),
        title=title,
        occurred_at=datetime.now(UTC),
        value=float(value),
        unit=unit,
        tags=tuple(tags),
        details={"private": True} if private else {},
    )


def fields_of(content_type: str, body: bytes) -> dict[str, Any]:
    """The request's fields from a JSON object or a form."""
    kind = content_type.split(";", 1)[0].strip().lower()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "the body is not UTF-8 text") from None
    if kind == "application/json":
        try:
            found = json.loads(text)
        except json.JSONDecodeError as exc:
            raise Refused(400, f"the body is not JSON ({exc.msg} at character {exc.pos})") from None
        if not isinstance(found, dict):
            raise Refused(400, 'the body is a JSON object: {"title": "Went for a run"}')
        return found
    if kind == "application/x-www-form-urlencoded":
        form = parse_qs(text, keep_blank_values=True)
        fields: dict[str, Any] = {k: v[-1] for k, v in form.items() if k not in ("tag", "tags")}
        tags = form.get("tags", []) + form.get("tag", [])
        if tags:
            fields["tags"] = tags
        return fields
    raise Refused(
        415,
        "send Content-Type: application/json (or a form, application/x-www-form-urlencoded)",
    )


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "smallwins-inbox"
    sys_version = ""
    timeout = READ_TIMEOUT
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        raw = self.rfile.detach()
        self.rfile = io.BufferedReader(_Deadline(raw, self.connection, READ_TIMEOUT))

    def do_POST(self) -> None:
        inbox = self.server.inbox
        try:
            if self.path.split("?", 1)[0] != "/wins":
                raise Refused(404, "the inbox takes POST /wins")
            wait = inbox.limit.take()
            if wait:
                raise Refused(
                    429,
                    "too many requests: the inbox takes "
                    f"{inbox.settings.per_minute} a minute; try again in {math.ceil(wait)} s",
                    {"Retry-After": str(math.ceil(wait))},
                )
            inbox.authorize(self.headers.get("Authorization"))
            body = self._body(inbox.settings.max_bytes)
            answer = inbox.record(fields_of(self.headers.get("Content-Type", ""), body))
        except Refused as refused:
            self._answer(refused.status, {"error": str(refused)}, refused.headers)
            return
        except Exception as exc:  # a bug or a full disk: said, and the daemon keeps going
            log.error("inbox: could not record a win: %r", exc)
            self._answer(500, {"error": "the win could not be recorded; see the daemon's log"})
            return
        self._answer(201, answer)

    def _body(self, limit: int) -> bytes:
        if self.headers.get("Transfer-Encoding"):
            raise Refused(411, "send the body with a Content-Length, not chunked")
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            raise Refused(411, "send a Content-Length header")
        if int(length) > limit:
            raise Refused(413, f"the body is {length} bytes; the inbox takes at most {limit}")
        try:
            body = self.rfile.read(int(length))
        except TimeoutError:
            raise Refused(408, f"the body did not arrive within {READ_TIMEOUT:g} s") from None
        if len(body) < int(length):
            raise Refused(400, "the body ended before its Content-Length")
        return body

    def _refuse_method(self) -> None:
        self._answer(405, {"error": "the inbox takes POST /wins"}, {"Allow": "POST"})

    do_GET = do_PUT = do_DELETE = do_PATCH = _refuse_method

    def _answer(
        self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(payload).encode("utf-8")
        # One request a connection: an idle kept-alive one would hold a thread, and a refused
        # request's body may be left unread.
        self.close_connection = True
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        # The request line and status only: headers (the token) are never logged, nor a
        # query string, where a client might have put it.
        log.debug("inbox: %s %s", self.address_string(), _QUERY.sub("?...", format % args))
