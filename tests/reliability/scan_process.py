"""One scan of one detector in a process of its own, with its wall time and peak memory.

A file built to exhaust memory is scanned where its peak resident size can be read and where
a runaway scan can be stopped without taking the tests with it. On Linux the peak is this
process's own (``VmHWM``): ``ru_maxrss`` keeps the size of the process it was forked from,
and the test that wrote a large file may be large itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

_SCRIPT = """
import importlib, json, resource, sys, time  # noqa: E401
from smallwins.testing import scan_once
module, name, options = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
detector = getattr(importlib.import_module(module), name)
started = time.perf_counter()
result = scan_once(detector, options)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
try:
    with open("/proc/self/status") as status:
        peak = next(int(l.split()[1]) * 1024 for l in status if l.startswith("VmHWM:"))
except OSError:
    pass
print(json.dumps({
    "wins": len(result.wins),
    "problems": [[p.message, p.line] for p in result.problems],
    "seconds": seconds,
    "peak_bytes": peak,
}))
"""


@dataclass(frozen=True)
class Scanned:
    wins: int
    problems: list[tuple[str, int | None]]
    seconds: float
    peak_mib: float


def scan_in_process(detector: str, options: dict[str, Any], *, timeout: float = 90) -> Scanned:
    """Scan with ``detector`` ("module:Class") in a fresh interpreter; raises on a timeout."""
    module, name = detector.split(":")
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, module, name, json.dumps(options)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    found = json.loads(done.stdout)
    return Scanned(
        wins=found["wins"],
        problems=[(message, line) for message, line in found["problems"]],
        seconds=found["seconds"],
        peak_mib=found["peak_bytes"] / (1 << 20),
    )
