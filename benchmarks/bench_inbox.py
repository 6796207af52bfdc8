"""Inbox POST to celebration: a win sent to the daemon's inbox, until its message reaches a
local HTTP endpoint (Apprise json://).

    .venv/bin/python benchmarks/bench_inbox.py               # 60 wins, 1.2 s apart
    .venv/bin/python benchmarks/bench_inbox.py --wins 20

The daemon runs as a subprocess with the inbox on 127.0.0.1 and no coalescing window; each
win is one POST from a real HTTP client (urllib), 1.2 s after the last message arrived, so
that no two wins make a burst. The clock starts before the request is sent and stops when the
endpoint has read the message; the POST's own round trip (to its 201) is shown beside it.
The floor is the endpoint's round trip for a bare POST from this process. DESIGN's target:
p95 under 100 ms.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench_core import Daemon, Receiver, isolate_environment, ms, percentile, write_config
from table import markdown_table

TOKEN = "bench-token-0123456789abcdef"
TARGET = 0.100


def post(url: str, title: str) -> float:
    request = urllib.request.Request(
        url,
        data=json.dumps({"title": title}).encode(),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=10) as answer:
        answer.read()
        if answer.status != 201:
            raise RuntimeError(f"the inbox answered {answer.status}")
    return time.perf_counter() - started


def floor(receiver: Receiver, runs: int) -> list[float]:
    times = []
    url = f"http://127.0.0.1:{receiver.port}/hook"
    for _ in range(runs):
        request = urllib.request.Request(url, data=b"{}", method="POST")
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=10) as answer:
            answer.read()
        times.append(time.perf_counter() - started)
    receiver.drain()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wins", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="smallwins-bench-inbox-") as temp:
        root = Path(temp)
        isolate_environment(root)
        home = root / "home"
        with Receiver() as receiver:
            write_config(
                home,
                f'timezone = "UTC"\ndigest = "off"\n[notify]\nurls = ["{receiver.url}"]\n'
                'coalesce_seconds = 0\nquiet_hours = ""\n'
                f'[inbox]\nlisten = "127.0.0.1:0"\ntoken = "{TOKEN}"\nper_minute = 600\n',
            )
            with Daemon(home, root, "-v") as daemon:
                daemon.wait_log("source journal: scanned")
                line = next(line for line in daemon.lines if "/wins to record a win" in line)
                url = line.split("POST ", 1)[1].split()[0]
                receiver.drain()
                latencies, round_trips = [], []
                for number in range(args.wins):
                    title = f"Bench win {number}"
                    started = time.perf_counter()
                    round_trips.append(post(url, title))
                    got = receiver.wait_for(lambda m, t=title: t in m.get("message", ""), 10)
                    if got is None:
                        print(f"{title} was not told", file=sys.stderr)
                        return 1
                    latencies.append(got[0] - started)
                    time.sleep(1.2)
            bare = floor(receiver, 30)
    p95 = percentile(latencies, 0.95)
    lines = [
        [
            "inbox POST to celebration",
            ms(percentile(latencies, 0.5)),
            ms(p95),
            ms(max(latencies)),
            "< 100 ms",
            "yes" if p95 < TARGET else "no",
        ],
        [
            "its POST, to the 201",
            ms(percentile(round_trips, 0.5)),
            ms(percentile(round_trips, 0.95)),
            ms(max(round_trips)),
            "",
            "",
        ],
        [
            "floor: a bare POST to the endpoint",
            ms(percentile(bare, 0.5)),
            ms(percentile(bare, 0.95)),
            ms(max(bare)),
            "",
            "",
        ],
    ]
    print(markdown_table(["figure", "p50", "p95", "max", "target", "met"], lines))
    return 0 if p95 < TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
