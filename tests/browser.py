"""A real headless Chromium driven through the DevTools protocol over a pipe.

No driver package: ``--remote-debugging-pipe`` reads commands on fd 3 and writes answers and
events on fd 4, each a JSON object ended by a NUL byte. What the page logs, every request it
makes and its rendered text are collected, and screenshots are taken at a chosen width.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
MISSING = "chromium is not installed (apt-get install -y chromium; .ci/run installs it)"


@dataclass
class Visit:
    """What one page load did."""

    requests: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    text: str = ""
    stats: list[dict[str, Any]] = field(default_factory=list)


class Browser:
    def __init__(self) -> None:
        assert CHROMIUM is not None, MISSING
        self._profile = tempfile.TemporaryDirectory(prefix="smallwins-chromium-")
        # Chromium's own words, for the message when it dies; closed in close().
        self._log = tempfile.TemporaryFile()  # noqa: SIM115
        to_child, self._commands = os.pipe()
        self._events, from_child = os.pipe()
        args = [
            "--headless",
            "--disable-gpu",
            "--remote-debugging-pipe",
            "--no-first-run",
            "--no-default-browser-check",
            f"--user-data-dir={self._profile.name}",
            "about:blank",
        ]
        if os.geteuid() == 0:
            args.insert(0, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
        # bash puts the pipe's ends at the descriptors Chromium reads and writes (dash cannot
        # name a descriptor past 9).
        self._process = subprocess.Popen(
            ["/bin/bash", "-c", f'exec "$0" "$@" 3<&{to_child} 4>&{from_child}', CHROMIUM, *args],
            pass_fds=(to_child, from_child),
            stdout=subprocess.DEVNULL,
            stderr=self._log,
        )
        os.close(to_child)
        os.close(from_child)
        self._reader = os.fdopen(self._events, "rb")
        self._next_id = 0
        self._pending: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self._session = self.call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=True)

    def close(self) -> None:
        with contextlib.suppress(OSError, EOFError):
            self.call("Browser.close")
        self._process.wait(timeout=30)
        os.close(self._commands)
        self._reader.close()
        self._profile.cleanup()
        self._log.close()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the protocol ---------------------------------------------------------------------

    def _read(self) -> dict[str, Any]:
        data = bytearray()
        while True:
            byte = self._reader.read(1)
            if not byte:
                self._log.seek(0)
                said = self._log.read().decode(errors="replace")[-2000:]
                raise EOFError(f"chromium closed its pipe; it said:\n{said}")
            if byte == b"\0":
                return dict(json.loads(data))
            data += byte

    def call(self, method: str, *, session: bool = False, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self._session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._read()
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return dict(answer.get("result", {}))
            self._pending.append(answer)

    def _wait_for(self, method: str) -> None:
        while not any(e.get("method") == method for e in self._pending):
            self._pending.append(self._read())

    # -- a visit --------------------------------------------------------------------------

    def visit(self, page: Path, *, width: int, shot: Path | None = None) -> Visit:
        """Load ``page`` at ``width`` CSS pixels; a full-page screenshot to ``shot``."""
        self._pending.clear()
        self.call(
            "Emulation.setDeviceMetricsOverride",
            session=True,
            width=width,
            height=900,
            deviceScaleFactor=1,
            mobile=width < 600,
        )
        self.call("Page.navigate", session=True, url=page.as_uri())
        self._wait_for("Page.loadEventFired")
        found = self.evaluate(
            "JSON.stringify({text: document.body.innerText, stats: [...document.querySelectorAll("
            "'[data-stat]')].map(e => ({goal: e.closest('section').querySelector('h2')"
            ".innerText, name: e.dataset.stat, text: e.innerText, visible: e.checkVisibility()}))})"
        )
        if shot is not None:
            size = self.call("Page.getLayoutMetrics", session=True)["cssContentSize"]
            png = self.call(
                "Page.captureScreenshot",
                session=True,
                format="png",
                captureBeyondViewport=True,
                clip={"x": 0, "y": 0, "width": width, "height": size["height"], "scale": 1},
            )
            shot.write_bytes(base64.b64decode(png["data"]))
        visit = Visit(text=found["text"], stats=found["stats"])
        for event in self._pending:
            method, params = event.get("method"), event.get("params", {})
            if method == "Network.requestWillBeSent":
                visit.requests.append(params["request"]["url"])
            elif method == "Runtime.exceptionThrown":
                visit.problems.append(json.dumps(params["exceptionDetails"]))
            elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "warning"):
                visit.problems.append(json.dumps(params["args"]))
            elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
                visit.problems.append(params["entry"]["text"])
        return visit

    def evaluate(self, expression: str) -> dict[str, Any]:
        result = self.call(
            "Runtime.evaluate", session=True, expression=expression, returnByValue=True
        )
        return dict(json.loads(result["result"]["value"]))
