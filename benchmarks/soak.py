"""Long runs of what tests/reliability/ holds in small: kills, an endpoint outage, a corpus,
the lead of a shared ledger killed.

    .venv/bin/python benchmarks/soak.py --quick                 # a smoke run (about 3 minutes)
    .venv/bin/python benchmarks/soak.py --kills 200 --outage-minutes 60 --corpus /tmp/corpus
    .venv/bin/python benchmarks/soak.py --only corpus --corpus /tmp/corpus
    .venv/bin/python benchmarks/soak.py --only lead --lead-kills 200 --seed 7

- kills: a real ``smallwins run`` (its own SMALLWINS_HOME) on a real git repo getting commits,
  telling a real HTTP receiver on 127.0.0.1 that answers after a moment; each daemon is
  killed with SIGKILL at a random point (at once, while a request is in flight, or after a
  random wait), N times. Then one last daemon empties the outbox. Every commit must be
  recorded exactly once, every win told, no win told in two different messages, and a kill
  may cost at most one repeated message.
- outage: the receiver refuses connections for the first half of M minutes and answers 503
  for the second half, while a commit lands every 20 s; then it answers again. Everything must
  be told, the outbox must empty, and the attempts must not grow in number or size.
- lead: tests/lead_kills.py's scenario on a PostgreSQL server of its own (tests/postgres.py):
  three daemons share the ledger while commits land, and whichever holds the lead is killed
  with SIGKILL after a random wait, N times, then started again. The lead must move within
  the lease plus a beat each time; every commit recorded once, every message frozen for a
  target received, at most one repeat per kill.
- corpus: every .ics under the folders given, each scanned alone by the calendar detector in
  this process (every event and to-do, ten years back): files, events, wins, problems, and
  tracebacks, which must be 0; the slowest file and the peak RSS.

The figures are printed as Markdown tables and recorded in docs/reliability.md. Exit status 1
when a promise was broken.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_core import SMALLWINS_CMD, Daemon, commit, init_repo, isolate_environment, mib
from bench_core import write_config as write_home_config
from table import markdown_table

FILE_TIMEOUT = 120  # seconds one calendar file may take before it counts as a hang


# -- a receiver that can be slow, refuse, or answer 503 ----------------------------------------


@dataclass(slots=True)
class Request:
    at: float
    life: int
    title: str
    body: str
    status: int = 0  # 0: no answer written (the sender was killed first)


class Receiver:
    """A real HTTP server on 127.0.0.1 for json://; keeps every request with its answer."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.delay = 0.0
        self.status = 200
        self.life = 0
        self.changed = threading.Condition()
        self.port = 0
        self._server: ThreadingHTTPServer | None = None
        self.open()

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/hook"

    def open(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                request = Request(time.monotonic(), receiver.life, body["title"], body["message"])
                with receiver.changed:
                    receiver.requests.append(request)
                    receiver.changed.notify_all()
                time.sleep(receiver.delay)
                status = receiver.status
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                request.status = status

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def refuse(self) -> None:
        """Close the port: every connection is refused until open()."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def wait_for(self, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self.changed:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.changed.wait(left)
            return True

    def answered(self) -> list[Request]:
        return [r for r in self.requests if r.status == 200]


# -- the daemon's home, ledger and repo ---------------------------------------------------------


def make_home(root: Path, receiver: Receiver, repo: Path, retry_max: float) -> Path:
    home = root / "home"
    write_home_config(
        home,
        f"""
[notify]
urls = ["{receiver.url}"]
coalesce_seconds = 0.3
retry_initial_seconds = 0.3
retry_max_seconds = {retry_max}
plain = true
[sources.code]
detector = "git"
repos = ["{repo}"]
""",
    )
    return home


def start(home: Path, repo: Path) -> Daemon:
    daemon = Daemon(home, repo)
    try:
        daemon.wait_log("running:", timeout=120)
    except BaseException:
        daemon.stop()
        raise
    return daemon


def kill(daemon: Daemon) -> None:
    daemon.proc.send_signal(signal.SIGKILL)
    daemon.proc.wait(30)
    daemon.stop()  # joins its stderr reader


def ledger_of(home: Path) -> sqlite3.Connection:
    (path,) = home.rglob("ledger.sqlite3")
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def outbox_left(home: Path) -> dict[str, int]:
    with ledger_of(home) as db:
        rows = db.execute("SELECT status, count(*) FROM outbox WHERE status != 'sent' GROUP BY 1")
        return dict(rows.fetchall())


def drain(home: Path, timeout: float) -> float:
    """Seconds until the outbox holds nothing unsent (inf when it did not empty in time)."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if not outbox_left(home):
            return time.monotonic() - began
        time.sleep(0.5)
    return float("inf")


@dataclass(slots=True)
class Accounts:
    """What the ledger recorded and told, held against what git made and the receiver got."""

    commits: int = 0
    wins: int = 0
    doubled_wins: int = 0  # a commit recorded more than once
    missing_wins: int = 0  # a commit not recorded
    sends: int = 0  # distinct messages the ledger marked sent
    never_arrived: int = 0  # marked sent, never answered 200 by the receiver
    told_twice: int = 0  # answered 200 but not the words of any send the ledger kept
    left: dict[str, int] = field(default_factory=dict)
    received: int = 0
    distinct: int = 0


def account(home: Path, repo: Path, receiver: Receiver) -> Accounts:
    subjects = Counter(
        subprocess.run(
            ["git", "-C", str(repo), "log", "--format=%s"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    )
    with ledger_of(home) as db:
        titles = Counter(t for (t,) in db.execute("SELECT title FROM wins WHERE source = 'code'"))
        sent = {
            (title, body)
            for title, body in db.execute(
                "SELECT DISTINCT s.title, s.body FROM sends s JOIN outbox o ON o.send_id = s.id"
                " WHERE o.status = 'sent'"
            )
        }
    got = Counter((r.title, r.body) for r in receiver.answered())
    return Accounts(
        commits=sum(subjects.values()),
        wins=sum(titles.values()),
        doubled_wins=sum(n - 1 for n in titles.values() if n > 1),
        missing_wins=sum(1 for s in subjects if s not in titles),
        sends=len(sent),
        never_arrived=len(sent - set(got)),
        told_twice=len(set(got) - sent),
        left=outbox_left(home),
        received=sum(got.values()),
        distinct=len(got),
    )


def broken(accounts: Accounts) -> list[str]:
    faults = []
    if accounts.doubled_wins or accounts.missing_wins:
        faults.append(f"{accounts.doubled_wins} doubled, {accounts.missing_wins} missing wins")
    if accounts.never_arrived:
        faults.append(f"{accounts.never_arrived} messages marked sent never arrived")
    if accounts.told_twice:
        faults.append(f"{accounts.told_twice} messages arrived that the ledger re-composed")
    if accounts.left:
        faults.append(f"outbox not empty: {accounts.left}")
    return faults


# -- (a) the kill loop --------------------------------------------------------------------------


def soak_kills(root: Path, kills: int, seed: int) -> tuple[list[list[str]], list[str]]:
    rng = random.Random(seed)
    repo = root / "repo"
    init_repo(repo)
    commit(repo, "history.txt", "History")
    receiver = Receiver()
    receiver.delay = 0.3  # every send in flight for a moment, so kills land inside some
    home = make_home(root, receiver, repo, retry_max=1)
    made = 0
    points: Counter[str] = Counter()
    began = time.monotonic()
    daemon = start(home, repo)
    receiver.wait_for(1, 60)  # the first scan's summary
    kill(daemon)
    for life in range(1, kills + 1):
        receiver.life = life
        daemon = start(home, repo)
        for _ in range(rng.randint(0, 4)):
            made += 1
            commit(repo, f"win-{made}.txt", f"Soak win {made}")
        point = rng.choice(("at once", "in flight", "after a wait"))
        if point == "in flight" and receiver.wait_for(len(receiver.requests) + 1, 10):
            time.sleep(rng.uniform(0, receiver.delay))
        elif point == "after a wait":
            time.sleep(rng.uniform(0, 3))
        else:
            point = "at once"
        points[point] += 1
        kill(daemon)
        if life % 25 == 0:
            print(f"  {life} kills, {made} commits, {len(receiver.requests)} requests", flush=True)
    receiver.life = kills + 1
    daemon = start(home, repo)
    drained = drain(home, 120)
    time.sleep(1)
    daemon.stop()
    elapsed = time.monotonic() - began
    accounts = account(home, repo, receiver)
    seen: set[tuple[str, str]] = set()
    per_life: Counter[int] = Counter()
    for request in receiver.answered():
        words = (request.title, request.body)
        if words in seen:
            per_life[request.life] += 1
        seen.add(words)
    repeats = sum(per_life.values())
    faults = broken(accounts)
    if repeats > kills or max(per_life.values(), default=0) > 1:
        faults.append(f"{repeats} repeats, up to {max(per_life.values())} after one kill")
    rows = [
        [
            "kills (at once / in flight / after a wait)",
            f"{kills} ({points['at once']} / {points['in flight']} / {points['after a wait']})",
        ],
        ["commits made / wins recorded", f"{made + 1} / {accounts.wins}"],
        ["wins recorded twice / missing", f"{accounts.doubled_wins} / {accounts.missing_wins}"],
        ["requests / answered", f"{len(receiver.requests)} / {accounts.received}"],
        ["distinct messages answered", str(accounts.distinct)],
        [
            "repeated messages (at most 1 per kill)",
            f"{repeats}, "
            f"after {len(per_life)} of {kills} kills, at most {max(per_life.values(), default=0)}",
        ],
        ["told in two different messages", str(accounts.told_twice)],
        ["marked sent, never arrived", str(accounts.never_arrived)],
        ["outbox left / drained in", f"{accounts.left or 'empty'} / {drained:.1f} s"],
        ["wall time", f"{elapsed / 60:.1f} min"],
    ]
    return rows, faults


# -- (b) an endpoint outage ---------------------------------------------------------------------


def daemon_rss(daemon: Daemon) -> int:
    status = Path(f"/proc/{daemon.pid}/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0])


def soak_outage(root: Path, minutes: float, every: float) -> tuple[list[list[str]], list[str]]:
    repo = root / "repo"
    init_repo(repo)
    commit(repo, "history.txt", "History")
    receiver = Receiver()
    retry_max = 60.0
    home = make_home(root, receiver, repo, retry_max=retry_max)
    daemon = start(home, repo)
    try:
        receiver.wait_for(1, 60)
        drain(home, 60)
        rss_before = daemon_rss(daemon)
        made = 0
        half = minutes * 30
        outage_began = time.monotonic()
        receiver.refuse()
        refused_from = len(receiver.requests)
        phase_503 = False
        through_closed_port = 0
        while (elapsed := time.monotonic() - outage_began) < minutes * 60:
            if not phase_503 and elapsed >= half:
                through_closed_port = len(receiver.requests) - refused_from
                receiver.status = 503
                receiver.open()
                phase_503 = True
            made += 1
            commit(repo, f"win-{made}.txt", f"Outage win {made}")
            time.sleep(min(every, max(0.0, minutes * 60 - (time.monotonic() - outage_began))))
        during = [r for r in receiver.requests if r.status == 503]
        sizes = [len(r.body) for r in during]
        rss_outage = daemon_rss(daemon)
        pending = sum(outbox_left(home).values())
        back = time.monotonic()
        receiver.status = 200
        drained = drain(home, retry_max * 3)
        after = [r for r in receiver.requests if r.at >= back]
        time.sleep(2)
        rss_after = daemon_rss(daemon)
    finally:
        daemon.stop()
    errors = sum("Traceback" in line for line in daemon.lines)
    accounts = account(home, repo, receiver)
    faults = broken(accounts)
    if through_closed_port:
        faults.append(f"{through_closed_port} requests arrived through a closed port")
    if errors:
        faults.append(f"{errors} tracebacks in the daemon's log")
    if drained == float("inf"):
        faults.append("the outbox did not empty once the receiver answered")
    first_minute = [r for r in during if r.at - during[0].at < 60] if during else []
    last_minute = [r for r in during if during[-1].at - r.at < 60] if during else []
    rows = [
        [
            "outage",
            f"{minutes:g} min: {minutes / 2:g} refused, {minutes / 2:g} answered 503; "
            f"retry_max_seconds = {retry_max:g}",
        ],
        ["commits during the outage / wins recorded", f"{made} / {accounts.wins - 1}"],
        [
            "attempts answered 503",
            f"{len(during)} in {minutes / 2:g} min; first minute "
            f"{len(first_minute)}, last minute {len(last_minute)}",
        ],
        ["largest attempt body", f"{max(sizes, default=0)} characters"],
        ["outbox rows waiting when it came back", str(pending)],
        ["back to empty outbox", f"{drained:.1f} s, {len(after)} messages"],
        [
            "told in two different messages / never arrived",
            f"{accounts.told_twice} / {accounts.never_arrived}",
        ],
        [
            "daemon RSS before / end of outage / after",
            f"{mib(rss_before)} / {mib(rss_outage)} / {mib(rss_after)}",
        ],
        ["tracebacks in the log", str(errors)],
    ]
    return rows, faults


# -- (c) the calendar corpus --------------------------------------------------------------------


@dataclass(slots=True)
class Corpus:
    files: int = 0
    events: int = 0
    todos: int = 0
    wins: int = 0
    with_problems: int = 0
    problems: Counter[str] = field(default_factory=Counter)
    tracebacks: list[tuple[Path, str]] = field(default_factory=list)
    slowest: tuple[float, Path | None] = (0.0, None)
    seconds: float = 0.0


def kind_of(problem: str) -> str:
    """A problem without what is particular to its file: "1 of 3 entries skipped: X" is X, and
    "cannot be read as a calendar: <icalendar's words>" is that."""
    head, _, rest = problem.partition(": ")
    if "entries skipped" in head:
        return rest[:70]
    return head[:70] if rest else problem[:70]


class Hang(Exception):
    pass


def on_alarm(signum: int, frame: Any) -> None:
    raise Hang(f"no result after {FILE_TIMEOUT} s")


def soak_corpus(
    folders: list[Path], limit: int | None
) -> tuple[list[list[str]], list[str], Corpus]:
    from smallwins_plugins.calendar import CalendarDetector

    from smallwins.testing import scan_once

    paths = sorted(p for folder in folders for p in folder.rglob("*") if p.suffix.lower() == ".ics")
    if limit is not None:
        paths = paths[:limit]
    found = Corpus()
    signal.signal(signal.SIGALRM, on_alarm)
    began = time.perf_counter()
    for n, path in enumerate(paths, 1):
        raw = path.read_bytes().upper()
        found.events += raw.count(b"BEGIN:VEVENT")
        found.todos += raw.count(b"BEGIN:VTODO")
        options = {"path": [str(path)], "events": ["*"], "todos": True, "lookback": 3660}
        started = time.perf_counter()
        signal.alarm(FILE_TIMEOUT)
        try:
            result = scan_once(CalendarDetector, options, timezone="Europe/Berlin")
        except BaseException as error:  # a traceback is what this pass is looking for
            if isinstance(error, KeyboardInterrupt):
                raise
            found.tracebacks.append((path, traceback.format_exc()))
            continue
        finally:
            signal.alarm(0)
            took = time.perf_counter() - started
            if took > found.slowest[0]:
                found.slowest = (took, path)
        found.files += 1
        found.wins += len(result.wins)
        if result.problems:
            found.with_problems += 1
            for problem in result.problems:
                found.problems[kind_of(problem.message)] += 1
        if n % 500 == 0:
            print(f"  {n} of {len(paths)} files", flush=True)
    found.seconds = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    slow_time, slow_path = found.slowest
    rows = [
        ["files scanned", f"{len(paths)} ({len(found.tracebacks)} ended in a traceback)"],
        ["VEVENT / VTODO components", f"{found.events} / {found.todos}"],
        ["wins (every event and to-do, 10 years back)", str(found.wins)],
        [
            "files with a problem / problems",
            f"{found.with_problems} / {sum(found.problems.values())}",
        ],
        ["tracebacks (must be 0)", str(len(found.tracebacks))],
        ["slowest file", f"{slow_time:.2f} s ({slow_path.name if slow_path else '-'})"],
        ["all files", f"{found.seconds:.1f} s"],
        ["peak RSS of the process", mib(peak)],
    ]
    faults = [f"{path}: {text.splitlines()[-1]}" for path, text in found.tracebacks]
    return rows, faults, found


# -- the run ------------------------------------------------------------------------------------


def soak_lead(root: Path, kills: int, seed: int) -> tuple[list[list[str]], list[str]]:
    from tests import postgres
    from tests.lead_kills import run_lead_kills
    from tests.receiver import Receiver

    if postgres.binaries() is None:
        return [], ["PostgreSQL's initdb and pg_ctl are not here: apt-get install postgresql"]
    made: list[Receiver] = []

    def receiver() -> Receiver:
        made.append(Receiver())
        return made[-1]

    lease = 2.0
    try:
        url = postgres.server().url(postgres.fresh_database())
        began = time.monotonic()
        outcome = run_lead_kills(
            root, url, receiver, kills=kills, seed=seed, lease=lease, say=lambda line: None
        )
        took = time.monotonic() - began
    finally:
        postgres.stop()
    slow = sorted(outcome.takeovers)
    rows = [
        ["kills of the lead (lease 2 s, 3 machines)", str(kills)],
        ["seed", str(seed)],
        ["commits recorded", str(outcome.commits)],
        [
            "takeover p50 / p95 / max",
            " / ".join(f"{slow[int(q * (len(slow) - 1))]:.2f} s" for q in (0.5, 0.95, 1)),
        ],
        ["messages received", str(outcome.messages)],
        ["repeated messages", f"{outcome.duplicates} (at most {kills})"],
        ["run time", f"{took:.0f} s"],
    ]
    return rows, outcome.problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=200, help="SIGKILLs in the kill loop")
    parser.add_argument("--lead-kills", type=int, default=100, help="SIGKILLs of the lead")
    parser.add_argument("--outage-minutes", type=float, default=60, help="length of the outage")
    parser.add_argument(
        "--corpus",
        type=Path,
        action="append",
        default=[],
        help="a folder of .ics files (again for several)",
    )
    parser.add_argument(
        "--only",
        default="kills,outage,corpus,lead",
        help="a comma-separated subset of kills, outage, corpus, lead",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="10 kills, a 1-minute outage, the first 100 corpus files, 5 kills of the lead",
    )
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    if args.quick:
        args.kills, args.outage_minutes, args.lead_kills = 10, 1, 5
    print(
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}, {platform.node()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; {' '.join(SMALLWINS_CMD)}",
        flush=True,
    )
    faults: list[str] = []
    with tempfile.TemporaryDirectory(prefix="smallwins-soak-") as folder:
        root = Path(folder)
        isolate_environment(root)
        if "kills" in only:
            (root / "kills").mkdir()
            rows, found = soak_kills(root / "kills", args.kills, args.seed)
            print("\n## Kill loop\n\n" + markdown_table(["", "figure"], rows), flush=True)
            faults += found
        if "outage" in only:
            (root / "outage").mkdir()
            every = 5.0 if args.quick else 20.0
            rows, found = soak_outage(root / "outage", args.outage_minutes, every)
            print("\n## Endpoint outage\n\n" + markdown_table(["", "figure"], rows), flush=True)
            faults += found
        if "lead" in only:
            (root / "lead").mkdir()
            rows, found = soak_lead(root / "lead", args.lead_kills, args.seed)
            print("\n## Lead killed\n\n" + markdown_table(["", "figure"], rows), flush=True)
            faults += found
    if "corpus" in only and args.corpus:
        rows, found, corpus = soak_corpus(args.corpus, 100 if args.quick else None)
        print("\n## Calendar corpus\n\n" + markdown_table(["", "figure"], rows))
        common = [[str(n), text] for text, n in corpus.problems.most_common(10)]
        if common:
            print("\n" + markdown_table(["files", "most common problems"], common))
        for path, text in corpus.tracebacks:
            print(f"\n{path}\n{text}")
        faults += found
    for fault in faults:
        print(f"BROKEN: {fault}", file=sys.stderr)
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main())
