"""Core performance figures of smallwins (DESIGN.md section 10), measured in one run.

    .venv/bin/python benchmarks/bench_core.py            # the full run (about 3 minutes)
    .venv/bin/python benchmarks/bench_core.py --quick    # a shorter smoke run
    .venv/bin/python benchmarks/bench_core.py --only latency   # or idle, scan, cli

Each figure is measured against a floor or reference measured in the same run on the same
machine, and printed as one table. Everything runs in a temporary folder that is removed at
the end; the daemon is always stopped. The 1,000,000-win ledger of the cli figure is cached
under /tmp (its name holds a hash of the schema) because building it takes a while.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import ctypes.util
import hashlib
import json
import math
import os
import queue
import random
import re
import select
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from table import markdown_table

from smallwins.config import NotifySettings, Settings
from smallwins.ledger.backends.sqlite import SqliteLedger
from smallwins.ledger.backends.sqlite.schema import MIGRATIONS, migrate  # the schema: only here

FIGURES = ("latency", "idle", "scan", "cli")
# The benchmark's own inotify watch (RefWatcher): struct inotify_event and the flags it uses.
EVENT = struct.Struct("iIII")
IN_CLOSE_WRITE = 0x008
IN_MOVED_TO = 0x080
IN_CREATE = 0x100
IN_CLOEXEC = 0o2000000
PYTHON = sys.executable
SMALLWINS = shutil.which("smallwins", path=str(Path(sys.executable).parent))
SMALLWINS_CMD = [SMALLWINS] if SMALLWINS else [PYTHON, "-m", "smallwins"]
CLK_TCK = os.sysconf("SC_CLK_TCK")
ME = "me@example.com"
OTHER = "other@example.com"
MESSAGE_TIMEOUT = 5.0
LEDGER_CACHE = Path(tempfile.gettempdir())
LEDGER_CONTENT = 2  # bump when build_ledger changes what it writes


class BenchError(RuntimeError):
    """Something needed for a measurement did not happen (the daemon did not start, say)."""


@dataclass(slots=True)
class Row:
    figure: str
    measured: str
    reference: str
    ratio: float | None
    target: str
    ok: bool | None  # None: shown for information, no target of its own


@dataclass(slots=True)
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: dict[str, list[str]] = field(default_factory=dict)

    def note(self, figure: str, text: str) -> None:
        self.notes.setdefault(figure, []).append(text)


# -- small helpers -------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks; a missed message (inf) stays inf."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    pos = (len(ordered) - 1) * q
    low, high = math.floor(pos), math.ceil(pos)
    if math.isinf(ordered[high]):
        return math.inf
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def ms(seconds: float) -> str:
    if math.isinf(seconds):
        return "timeout"
    return f"{seconds * 1000:.1f} ms" if abs(seconds) < 0.01 else f"{seconds * 1000:.0f} ms"


def best_of(runs: int, fn: Callable[[], Any]) -> float:
    """The shortest wall time of ``runs`` calls of ``fn``."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def run_full(
    cmd: list[str],
    *,
    cwd: Path | None = None,
    stdin: bytes | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run a command to its end; BenchError with what it said on stderr when it fails."""
    done = subprocess.run(cmd, cwd=cwd, input=stdin, env=env, capture_output=True, check=False)
    if done.returncode != 0:
        raise BenchError(f"{' '.join(cmd)} failed: {done.stderr.decode(errors='replace')}")
    return done


def run(
    cmd: list[str],
    *,
    cwd: Path | None = None,
    stdin: bytes | None = None,
    env: dict[str, str] | None = None,
) -> str:
    """Run a command to its end and return its output."""
    return run_full(cmd, cwd=cwd, stdin=stdin, env=env).stdout.decode(errors="replace")


def git(repo: Path, *args: str, stdin: bytes | None = None) -> str:
    return run(["git", "-C", str(repo), *args], stdin=stdin)


def init_repo(path: Path, email: str = ME) -> None:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", email)
    git(path, "config", "user.name", "Me")


def commit(repo: Path, name: str, subject: str) -> tuple[float, float]:
    """Add a file and commit it; returns (the moment git exited, how long git commit took)."""
    (repo / name).write_text(f"{subject}\n")
    git(repo, "add", name)
    start = time.perf_counter()
    git(repo, "commit", "-q", "-m", subject)
    end = time.perf_counter()
    return end, end - start


def isolate_environment(root: Path) -> None:
    """No git or smallwins settings of the person running this leak into the measurement."""
    for key in list(os.environ):
        if key.startswith(("GIT_", "SMALLWINS_")):
            del os.environ[key]
    user = root / "user"
    user.mkdir()
    os.environ.update({"HOME": str(user), "GIT_CONFIG_NOSYSTEM": "1", "TZ": "UTC"})
    # Modules compiled once, as an installed package has them, not at every start (an editable
    # install in a shell with PYTHONDONTWRITEBYTECODE=1 would compile each time, about 70 ms a
    # process). Next to the sources, where pip put the dependencies' bytecode: a cache prefix
    # would make every process of a run compile all of them again, and a daemon that compiled
    # Apprise and pydantic at start holds some 4 MiB more than one that did not.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ.pop("PYTHONPYCACHEPREFIX", None)


def toml_list(items: list[str]) -> str:
    return "[" + ", ".join(json.dumps(item) for item in items) + "]"


def write_config(home: Path, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(text)


# -- a local HTTP endpoint for json:// --------------------------------------------------------


class Receiver:
    """A real HTTP server on 127.0.0.1, in a thread; records when each POST arrived."""

    def __init__(self) -> None:
        self.arrivals: queue.Queue[tuple[float, dict[str, Any]]] = queue.Queue()
        arrivals = self.arrivals

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                arrived = time.perf_counter()
                arrivals.put((arrived, json.loads(body)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/hook"

    def drain(self) -> None:
        with contextlib.suppress(queue.Empty):
            while True:
                self.arrivals.get_nowait()

    def wait_for(
        self, match: Callable[[dict[str, Any]], bool], timeout: float
    ) -> tuple[float, dict[str, Any]] | None:
        """The first message that ``match`` accepts, or None after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                arrived, payload = self.arrivals.get(timeout=left)
            except queue.Empty:
                return None
            if match(payload):
                return arrived, payload
        return None

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> Receiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- the daemon as a subprocess ------------------------------------------------------------


class Daemon:
    """``smallwins run`` in a subprocess with its own SMALLWINS_HOME; stderr kept line by line."""

    def __init__(self, home: Path, cwd: Path, *args: str) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self.proc = subprocess.Popen(
            [*SMALLWINS_CMD, "run", *args],
            cwd=cwd,
            env={**os.environ, "SMALLWINS_HOME": str(home)},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def count(self, text: str) -> int:
        with self._changed:
            return sum(text in line for line in self.lines)

    def wait_log(self, text: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not any(text in line for line in self.lines):
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise BenchError(f"the daemon did not log {text!r}:\n{''.join(self.lines)}")
                self._changed.wait(min(left, 0.2))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._reader.join(5)
        if self.proc.stderr is not None:
            self.proc.stderr.close()

    def __enter__(self) -> Daemon:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start_daemon(home: Path, cwd: Path, receiver: Receiver, summaries: int, *args: str) -> Daemon:
    """Start the daemon and wait until it runs and its first-scan summaries have arrived."""
    daemon = Daemon(home, cwd, *args)
    try:
        daemon.wait_log("running:")
        told = 0
        while told < summaries:
            got = receiver.wait_for(lambda m: summaries_in(m) > 0, 20)
            if got is None:
                raise BenchError("the first-scan summary did not arrive:\n" + "".join(daemon.lines))
            told += summaries_in(got[1])
    except BaseException:
        daemon.stop()
        raise
    return daemon


def summaries_in(message: dict[str, Any]) -> int:
    """How many first-scan summaries a message stands for: more than three waiting messages
    for one target are folded into one ("10 messages while away")."""
    folded = re.search(r"(\d+) messages while away", message.get("title", ""))
    if folded:
        return int(folded[1])
    return int("past commit" in message.get("message", ""))


# -- /proc -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CpuSample:
    ticks: int  # utime + stime of the process, in clock ticks
    child_ticks: int  # cutime + cstime: children it waited for (git)
    run_ns: int  # sum over its live threads of the scheduler's run time (ns)
    switches: int  # context switches of its live threads: how often it woke up
    threads: int


def cpu_sample(pid: int) -> CpuSample:
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    # After the command: state is field 3, utime 14, stime 15, cutime 16, cstime 17.
    utime, stime, cutime, cstime = (int(fields[i - 3]) for i in (14, 15, 16, 17))
    run_ns = switches = threads = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            run_ns += int((task / "schedstat").read_text().split()[0])
            status = proc_status_of(task / "status")
        except (FileNotFoundError, ProcessLookupError):
            continue  # a thread that just ended
        switches += int(status["voluntary_ctxt_switches"])
        switches += int(status["nonvoluntary_ctxt_switches"])
        threads += 1
    return CpuSample(utime + stime, cutime + cstime, run_ns, switches, threads)


def thread_waits(pid: int) -> str:
    """Where each thread sleeps in the kernel (its wchan), counted: "do_epoll_wait 1, ..."."""
    waits: dict[str, int] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            wchan = (task / "wchan").read_text().strip() or "running"
            waits[wchan] = waits.get(wchan, 0) + 1
    return ", ".join(f"{name} {count}" for name, count in sorted(waits.items()))


def proc_status_of(path: Path) -> dict[str, str]:
    status = {}
    for line in path.read_text().splitlines():
        key, _, value = line.partition(":")
        status[key] = value.strip()
    return status


def memory_kib(pid: int) -> tuple[int, int]:
    """VmRSS and VmHWM of a process, in KiB."""
    status = proc_status_of(Path(f"/proc/{pid}/status"))
    return int(status["VmRSS"].split()[0]), int(status["VmHWM"].split()[0])


def mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


# -- figure 1: commit to notification ------------------------------------------------------


@dataclass(slots=True)
class Latencies:
    latency: list[float] = field(default_factory=list)  # branch ref updated -> POST arrived
    from_exit: list[float] = field(default_factory=list)  # git commit exited -> POST arrived
    commit: list[float] = field(default_factory=list)  # how long git commit ran
    ref_early: list[float] = field(default_factory=list)  # ref updated -> git commit exited

    @property
    def misses(self) -> int:
        return sum(math.isinf(x) for x in self.latency)

    def summary(self, which: str = "latency") -> str:
        values: list[float] = getattr(self, which)
        text = f"p50 {ms(percentile(values, 0.5))}, p95 {ms(percentile(values, 0.95))}"
        return text + (f", {self.misses} missed" if self.misses else "")


def realtime(on: bool) -> bool:
    """Move the calling thread into the kernel's real-time class (SCHED_FIFO) or back to the
    ordinary one; False when that is not allowed (it needs CAP_SYS_NICE)."""
    tid = threading.get_native_id()
    try:
        if on:
            os.sched_setscheduler(tid, os.SCHED_FIFO, os.sched_param(1))
        else:
            os.sched_setscheduler(tid, os.SCHED_OTHER, os.sched_param(0))
    except (OSError, AttributeError):
        return False
    return True


class RefWatcher:
    """The benchmark's own view of a branch ref: the kernel's inotify on .git/refs/heads, read
    in a thread, timestamps each update of the ref (git renames main.lock to main) about
    0.2 ms after it happens. With ``post_to`` it is also the floor: one Apprise json:// POST
    per update, its Apprise object built and warmed beforehand.

    The thread waits in the real-time class where it may: a daemon that starts work the moment
    the ref changes keeps both cores busy then, and an ordinary thread would wake (and start
    the clock) a few ms late. The floor's POST is sent from the ordinary class, like the
    daemon's."""

    realtime_ok: bool | None = None  # whether the thread could wait in the real-time class

    def __init__(self, heads: Path, branch: str, post_to: str | None = None) -> None:
        self.updates: queue.Queue[float] = queue.Queue()
        self._apprise: Any = None
        if post_to is not None:
            import apprise

            self._apprise = apprise.Apprise()
            if not self._apprise.add(post_to):
                raise BenchError(f"Apprise refused {post_to}")
            self._apprise.notify(title="warm-up", body="warm-up")
        self._branch = os.fsencode(branch)
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        self._fd = libc.inotify_init1(IN_CLOEXEC)
        if self._fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        mask = IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE
        if libc.inotify_add_watch(self._fd, os.fsencode(heads), mask) < 0:
            os.close(self._fd)
            raise OSError(ctypes.get_errno(), f"inotify_add_watch {heads}")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        self.realtime_ok = realtime(True)
        poller = select.poll()
        poller.register(self._fd, select.POLLIN)
        while not self._stop.is_set():
            if not poller.poll(100):
                continue
            data = os.read(self._fd, 65536)
            seen = time.perf_counter()
            offset, hit = 0, False
            while offset + EVENT.size <= len(data):
                _wd, _mask, _cookie, length = EVENT.unpack_from(data, offset)
                name = data[offset + EVENT.size : offset + EVENT.size + length].rstrip(b"\0")
                offset += EVENT.size + length
                hit = hit or name == self._branch
            if hit:
                self.updates.put(seen)
                if self._apprise is not None:
                    if self.realtime_ok:
                        realtime(False)
                    self._apprise.notify(title="floor", body="the branch ref changed")
                    if self.realtime_ok:
                        realtime(True)

    def next_update(self, timeout: float) -> float | None:
        try:
            return self.updates.get(timeout=timeout)
        except queue.Empty:
            return None

    def drain(self) -> None:
        with contextlib.suppress(queue.Empty):
            while True:
                self.updates.get_nowait()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        os.close(self._fd)

    def __enter__(self) -> RefWatcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def measure_commits(
    repo: Path,
    receiver: Receiver,
    watcher: RefWatcher,
    count: int,
    label: str,
    *,
    spacing: float,
    match_subject: bool,
) -> Latencies:
    """Commit ``count`` times, one at a time, and time each commit's message."""
    result = Latencies()
    for n in range(count):
        subject = f"Bench {label} {n}"
        receiver.drain()
        watcher.drain()
        exited, took = commit(repo, f"{label}-{n}.txt", subject)
        updated = watcher.next_update(1.0)
        if updated is None:
            raise BenchError(f"no inotify event for the ref of commit {subject!r}")
        got = receiver.wait_for(about(subject) if match_subject else anything, MESSAGE_TIMEOUT)
        result.latency.append(math.inf if got is None else got[0] - updated)
        result.from_exit.append(math.inf if got is None else got[0] - exited)
        result.commit.append(took)
        result.ref_early.append(exited - updated)
        time.sleep(spacing)  # longer than any coalescing window: each commit is its own message
    return result


def about(subject: str) -> Callable[[dict[str, Any]], bool]:
    return lambda message: subject in message.get("message", "")


def anything(message: dict[str, Any]) -> bool:
    return True


def latency_config(receiver: Receiver, repo: Path, coalesce: float | None) -> str:
    window = "" if coalesce is None else f"coalesce_seconds = {coalesce}\n"
    return (
        f'[notify]\nurls = ["{receiver.url}"]\n{window}'
        f'[sources.code]\ndetector = "git"\nrepos = {toml_list([str(repo)])}\n'
        f"authors = {toml_list([ME])}\n"
    )


def bench_latency(root: Path, report: Report, commits: int) -> None:
    repo = root / "latency" / "project"
    init_repo(repo)
    commit(repo, "old.txt", "Old work")
    heads = repo / ".git" / "refs" / "heads"
    default_window = NotifySettings().coalesce_seconds
    runs: dict[str, Latencies] = {}
    scans: list[float] = []
    watchers_realtime = True
    with Receiver() as receiver:
        with RefWatcher(heads, "main", post_to=receiver.url) as floor_poster:
            runs["floor"] = measure_commits(
                repo, receiver, floor_poster, commits, "floor", spacing=0.3, match_subject=False
            )
            watchers_realtime = watchers_realtime and bool(floor_poster.realtime_ok)
        for label, coalesce, args in (("default", None, ()), ("nowindow", 0.0, ("-v",))):
            home = root / "latency" / f"home-{label}"
            write_config(home, latency_config(receiver, repo, coalesce))
            window = default_window if coalesce is None else coalesce
            with (
                start_daemon(home, repo, receiver, 1, *args) as daemon,
                RefWatcher(heads, "main") as watcher,
            ):
                runs[label] = measure_commits(
                    repo,
                    receiver,
                    watcher,
                    commits,
                    label,
                    spacing=window + 0.3,
                    match_subject=True,
                )
                watchers_realtime = watchers_realtime and bool(watcher.realtime_ok)
                if label == "nowindow":
                    scans = [
                        float(line.split("scanned in ")[1].split(" ms")[0]) / 1000
                        for line in daemon.lines
                        if "scanned in" in line and ", 1 new" in line
                    ]
    floor, default, nowindow = runs["floor"], runs["default"], runs["nowindow"]
    floor_p50 = percentile(floor.latency, 0.5)
    floor_p95 = percentile(floor.latency, 0.95)
    p95 = percentile(default.latency, 0.95)
    report.rows.append(
        Row(
            f"ref->POST, default window {default_window:g} s",
            default.summary(),
            f"floor {floor.summary()}",
            p95 / floor_p95 if floor_p95 > 0 else None,
            "p95 < 1.0 s",
            p95 < 1.0,
        )
    )
    over = percentile(nowindow.latency, 0.5) - floor_p50
    report.rows.append(
        Row(
            "ref->POST, coalesce_seconds = 0",
            f"{nowindow.summary()} (p50 +{ms(over)})",
            f"floor {floor.summary()}",
            percentile(nowindow.latency, 0.5) / floor_p50 if floor_p50 > 0 else None,
            "p50 <= floor + 10 ms",
            over <= 0.010,
        )
    )
    report.note(
        "latency",
        f"{commits} commits per run, one at a time, on one real repository; the clock starts when "
        "the benchmark's own inotify watch sees the branch ref replaced and stops when the "
        "local endpoint has read the POST (both clocks in this process).",
    )
    report.note(
        "latency",
        f"git commit itself took p50 {ms(percentile(default.commit, 0.5))}, and exited "
        f"{ms(percentile(default.ref_early, 0.5))} (p50) after the ref was replaced. Counted "
        f"from git's exit instead: default {default.summary('from_exit')}; "
        f"coalesce 0 {nowindow.summary('from_exit')}; floor {floor.summary('from_exit')} "
        "(the floor's POST often lands before git has exited).",
    )
    report.note(
        "latency",
        f"floor: raw inotify in a thread + one warm Apprise json:// POST: {floor.summary()}.",
    )
    report.note(
        "latency",
        "the benchmark's inotify thread waits in the kernel's real-time class (SCHED_FIFO), "
        "so that its clock starts when the ref is replaced even while the daemon and git keep "
        "both cores busy: "
        + (
            "it could."
            if watchers_realtime
            else "it was NOT allowed to (no CAP_SYS_NICE): under load the clock may start "
            "late, which flatters the daemon."
        ),
    )
    if scans:
        report.note(
            "latency",
            f"inside the daemon (coalesce 0, its -v log): the scan of one new commit, with "
            f"recording it in the ledger, took p50 {ms(percentile(scans, 0.5))}, p95 "
            f"{ms(percentile(scans, 0.95))}; the rest is the watcher handing on the ref's rename, "
            "the delivery reading the outbox and the POST.",
        )
    over = percentile(default.latency, 0.5) - percentile(nowindow.latency, 0.5)
    report.note(
        "latency",
        f"the default coalescing window ({default_window:g} s) accounts for {ms(over)} of the "
        "p50: a commit's message waits that long for others of the same source.",
    )


# -- figure 2: idle CPU and memory -----------------------------------------------------------

STAGES_SCRIPT = r"""
import sys

def mark(name):
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            print(name + "\t" + line.split()[1], flush=True)

mark("python")
import smallwins, apprise, pluggy, watchfiles
mark("import smallwins, apprise, pluggy, watchfiles")
import asyncio, sqlite3
import smallwins.cli, smallwins.daemon, smallwins.config, smallwins_plugins.git
from smallwins.plugins.loader import load_plugins
load_plugins()
mark("+ the daemon's own modules, pydantic-settings, plugins loaded")
ap = apprise.Apprise()
ap.add(sys.argv[1])
mark("+ Apprise().add(json://...) (loads its plugin modules)")
"""


def idle_config(receiver: Receiver, repos: list[Path], extra: str = "") -> str:
    text = f'{extra}[notify]\nurls = ["{receiver.url}"]\n'
    for repo in repos:
        text += (
            f'\n[sources.{repo.name}]\ndetector = "git"\nrepos = {toml_list([str(repo)])}\n'
            f"authors = {toml_list([ME])}\n"
        )
    return text


def bare_memory() -> tuple[int, int]:
    """RSS of a process that only imports smallwins, apprise, pluggy and watchfiles."""
    code = (
        "import smallwins, apprise, pluggy, watchfiles, sys\n"
        "print('ready', flush=True)\nsys.stdin.read()\n"
    )
    proc = subprocess.Popen(
        [PYTHON, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdin is not None
        if proc.stdout.readline().strip() != "ready":
            raise BenchError("the bare import process did not start")
        return memory_kib(proc.pid)
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()


def bench_idle(root: Path, report: Report, window: float, probe: float) -> None:
    repos = []
    for n in range(10):
        repo = root / "idle" / f"repo{n}"
        init_repo(repo)
        commit(repo, "first.txt", "First")
        commit(repo, "second.txt", "Second")
        repos.append(repo)
    with Receiver() as receiver:
        home = root / "idle" / "home"
        write_config(home, idle_config(receiver, repos))
        with start_daemon(home, root, receiver, len(repos)) as daemon:
            time.sleep(5)
            before = cpu_sample(daemon.pid)
            time.sleep(window)
            after = cpu_sample(daemon.pid)
            rss, hwm = memory_kib(daemon.pid)
            waits = thread_waits(daemon.pid)
        # The reconcile pass (every reconcile_minutes) cannot fall in a one-minute window:
        # measure its cost with a short interval and add it per hour.
        probe_minutes = 0.05
        home = root / "idle" / "home-reconcile"
        config = idle_config(
            receiver, repos, f'log_level = "DEBUG"\nreconcile_minutes = {probe_minutes}\n'
        )
        write_config(home, config)
        with start_daemon(home, root, receiver, len(repos)) as daemon:
            time.sleep(1)
            scans_before = daemon.count("scanned in")
            probe_before = cpu_sample(daemon.pid)
            time.sleep(probe)
            probe_after = cpu_sample(daemon.pid)
            scans = daemon.count("scanned in") - scans_before
    bare_rss, bare_hwm = bare_memory()
    stages = run([PYTHON, "-c", STAGES_SCRIPT, "json://127.0.0.1:9/hook"]).splitlines()

    ticks = (after.ticks + after.child_ticks) - (before.ticks + before.child_ticks)
    per_hour = ticks / CLK_TCK * 3600 / window
    resolution = 3600 / window / CLK_TCK
    precise = (after.run_ns - before.run_ns) / 1e9 * 3600 / window
    wakeups = (after.switches - before.switches) / window * 60
    report.rows.append(
        Row(
            f"idle CPU, 10 sources, {window:.0f} s window",
            f"{per_hour:.2f} CPU-s/h",
            f"schedstat {precise:.3f}; 1 tick = {resolution:.2f}",
            None,
            "< 1 CPU-s/h",
            per_hour < 1,
        )
    )
    reconciles = scans / len(repos)
    per_reconcile = (
        (
            probe_after.ticks
            + probe_after.child_ticks
            - probe_before.ticks
            - probe_before.child_ticks
        )
        / CLK_TCK
        / reconciles
        if reconciles
        else math.nan
    )
    every = Settings.model_fields["reconcile_minutes"].default
    hourly = per_hour + per_reconcile * 60 / every
    report.rows.append(
        Row(
            f"idle CPU incl. reconcile every {every:g} min",
            f"{hourly:.2f} CPU-s/h",
            f"{per_reconcile * 1000:.0f} ms CPU per reconcile",
            None,
            "< 1 CPU-s/h",
            hourly < 1,
        )
    )
    report.rows.append(
        Row(
            "idle RSS (VmRSS)",
            mib(rss),
            f"bare imports {mib(bare_rss)}",
            rss / bare_rss,
            "within 15 MB",
            (rss - bare_rss) * 1024 < 15e6,
        )
    )
    report.rows.append(
        Row(
            "idle peak RSS (VmHWM)",
            mib(hwm),
            f"bare imports {mib(bare_hwm)}",
            hwm / bare_hwm,
            "(information)",
            None,
        )
    )
    report.note(
        "idle",
        f"window: utime+stime (+ children) {ticks} ticks in {window:.0f} s; the scheduler's run "
        f"time of its threads {(after.run_ns - before.run_ns) / 1e6:.2f} ms "
        f"({precise:.3f} CPU-s/h); {wakeups:.1f} context switches per minute; "
        f"{after.threads} threads, asleep in: {waits}.",
    )
    report.note(
        "idle",
        f"reconcile probe: reconcile_minutes = {probe_minutes:g}, {reconciles:g} passes over 10 "
        f"sources in {probe:.0f} s (counted from the DEBUG scan lines), daemon + git children "
        f"{per_reconcile * 1000:.0f} ms CPU each; at the default {every:g} min that is "
        f"{60 / every:g} passes and {per_reconcile * 60 / every:.2f} CPU-s per hour.",
    )
    report.note(
        "idle",
        f"RSS over the bare imports: {mib(rss - bare_rss)} (VmRSS), {mib(hwm - bare_hwm)} (VmHWM).",
    )
    previous = 0
    for line in stages:
        name, _, kib = line.partition("\t")
        report.note("idle", f"  RSS {mib(int(kib))} (+{mib(int(kib) - previous)}): {name}")
        previous = int(kib)


# -- figure 3: first scan of a long history -------------------------------------------------


def fast_import_stream(count: int) -> bytes:
    """A linear history of ``count`` commits, every tenth by someone else, one file each."""
    out: list[str] = []
    start = 1_600_000_000
    for n in range(1, count + 1):
        email = OTHER if n % 10 == 0 else ME
        when = f"{start + n * 1800} +0000"
        message = f"Work item {n}: adjust module {n % 97}\n"
        content = f"{n}\n"
        out.append(
            f"commit refs/heads/main\nmark :{n}\n"
            f"author Someone <{email}> {when}\ncommitter Someone <{email}> {when}\n"
            f"data {len(message.encode())}\n{message}"
            + (f"from :{n - 1}\n" if n > 1 else "")
            + f"M 644 inline file{n % 50}.txt\ndata {len(content)}\n{content}\n"
        )
    return "".join(out).encode()


WIN_INSERT = (
    "INSERT INTO wins (source, key, detector, kind, title, occurred_at, ts, day, value, unit,"
    " tags, details, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
WIN_ROW = (
    "source, key, detector, kind, title, occurred_at, ts, day, value, unit, tags, details,"
    " recorded_at"
)


def fresh_ledger_file(path: Path) -> sqlite3.Connection:
    """A new SQLite file with the ledger's schema (made by its own migrations) and the
    ledger's PRAGMAs: WAL, synchronous = FULL."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    db.execute("BEGIN IMMEDIATE")
    migrate(db)
    db.execute("COMMIT")
    return db


def bulk_insert(path: Path, rows: list[tuple[Any, ...]]) -> tuple[float, float]:
    """The floor's write: ``rows`` into a fresh ledger file in one transaction with one
    executemany. Returns (the insert and its commit, making the empty file beforehand)."""
    started = time.perf_counter()
    db = fresh_ledger_file(path)
    try:
        made = time.perf_counter() - started
        started = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        db.executemany(WIN_INSERT, rows)
        db.execute("COMMIT")
        return time.perf_counter() - started, made
    finally:
        db.close()


def remove_ledger(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def bench_scan(root: Path, report: Report, count: int, profile: bool, rounds: int = 3) -> None:
    from smallwins_plugins.git import _LOG_FORMAT, GitDetector, _git_command, _git_env, _log_args

    from smallwins.testing import Harness, scan_once

    repo = root / "scan" / "history"
    init_repo(repo)
    started = time.perf_counter()
    git(repo, "fast-import", "--quiet", stdin=fast_import_stream(count))
    generated = time.perf_counter() - started
    mine = count - count // 10
    tip = git(repo, "rev-parse", "main").strip()
    # The git log of a first scan, exactly as the detector runs it (its arguments, its
    # environment, the tip on stdin), to /dev/null.
    log_command = _git_command(repo, *_log_args([ME], include_merges=False))
    log_env = _git_env()

    def git_log() -> None:
        subprocess.run(
            log_command,
            input=f"{tip}\n".encode(),
            env=log_env,
            stdout=subprocess.DEVNULL,
            check=True,
        )

    def git_log_all() -> None:
        subprocess.run(
            ["git", "-C", str(repo), "log", "--all", "--source", "-z", f"--format={_LOG_FORMAT}"],
            stdout=subprocess.DEVNULL,
            check=True,
        )

    found: list[int] = []

    def detector() -> None:
        result = scan_once(GitDetector, {"repos": [str(repo)], "authors": [ME]})
        found.append(len(result.wins))

    detector_time = best_of(rounds, detector)
    if found[-1] != mine:
        raise BenchError(f"the detector found {found[-1]} commits, expected {mine}")

    def scan_and_record() -> None:
        with tempfile.TemporaryDirectory(dir=root) as folder, Harness(Path(folder)) as harness:
            harness.add_source("code", GitDetector, {"repos": [str(repo)], "authors": [ME]})
            harness.scan("code")

    harness_time = best_of(rounds, scan_and_record)

    def once(home: Path) -> float:
        write_config(
            home,
            f'[sources.code]\ndetector = "git"\nrepos = {toml_list([str(repo)])}\n'
            f"authors = {toml_list([ME])}\n",
        )
        started = time.perf_counter()
        run(
            [*SMALLWINS_CMD, "run", "--once"],
            env={**os.environ, "SMALLWINS_HOME": str(home)},
            cwd=root,
        )
        return time.perf_counter() - started

    # A first run --once: checks what it records, and gives the floor its rows.
    home = root / "scan" / "home-check"
    once(home)
    ledger = home / "data" / "ledger.sqlite3"
    with contextlib.closing(sqlite3.connect(f"file:{ledger}?mode=ro", uri=True)) as db:
        rows = db.execute(f"SELECT {WIN_ROW} FROM wins ORDER BY id").fetchall()
    shutil.rmtree(home)
    if len(rows) != mine:
        raise BenchError(f"run --once recorded {len(rows)} wins, expected {mine}")

    # Then the three in turns, round after round: each figure is the best of its rounds.
    times: dict[str, list[float]] = {"log": [], "all": [], "insert": [], "make": [], "once": []}
    for n in range(rounds):
        times["log"].append(best_of(1, git_log))
        times["all"].append(best_of(1, git_log_all))
        floor_file = root / "scan" / f"floor-{n}.sqlite3"
        inserted, made = bulk_insert(floor_file, rows)
        remove_ledger(floor_file)
        times["insert"].append(inserted)
        times["make"].append(made)
        home = root / "scan" / f"home-{n}"
        times["once"].append(once(home))
        shutil.rmtree(home)
    log_time, all_time, insert_time, once_time = (
        min(times[key]) for key in ("log", "all", "insert", "once")
    )
    floor = log_time + insert_time
    startup = best_of(rounds, lambda: run([*SMALLWINS_CMD, "--version"]))

    git_ref = f"git log {log_time * 1000:.0f} ms"
    report.rows.append(
        Row(
            f"first scan {count:,} commits: detector",
            f"{detector_time * 1000:.0f} ms",
            git_ref,
            detector_time / log_time,
            "within 2x",
            detector_time / log_time <= 2,
        )
    )
    report.rows.append(
        Row(
            "first scan: run --once / floor",
            f"{once_time * 1000:.0f} ms",
            f"floor {floor * 1000:.0f} ms = {git_ref} + insert {insert_time * 1000:.0f} ms",
            once_time / floor,
            "within 2x",
            once_time / floor <= 2,
        )
    )
    report.rows.append(
        Row(
            "first scan: run --once / git log",
            f"{once_time * 1000:.0f} ms",
            git_ref,
            once_time / log_time,
            "within 4x",
            once_time / log_time <= 4,
        )
    )
    report.note(
        "scan",
        f"{count:,} commits made with git fast-import in {generated:.1f} s; {mine:,} by the "
        f"configured author, the rest by another. Best of {rounds} for each figure; git log, "
        f"the floor's insert and run --once were timed in turns, {rounds} rounds.",
    )
    report.note(
        "scan",
        f"git log: the detector's own command (its arguments and environment: author filter, "
        f"--no-merges, the tip on stdin) to /dev/null, {log_time * 1000:.0f} ms; for "
        f"comparison `git log --all --source -z --format=...` {all_time * 1000:.0f} ms, "
        f"run --once / that {once_time / all_time:.2f}x.",
    )
    report.note(
        "scan",
        f"floor: that git log + a bare bulk insert of the same {len(rows):,} rows (read back "
        "from a run --once's ledger) into a fresh file with the ledger's schema, WAL, "
        f"synchronous = FULL, one transaction, one executemany: {insert_time * 1000:.0f} ms "
        f"(making the empty file, not counted: {min(times['make']) * 1000:.0f} ms). "
        f"Each round: run --once {', '.join(f'{t * 1000:.0f}' for t in times['once'])} ms; "
        f"floor insert {', '.join(f'{t * 1000:.0f}' for t in times['insert'])} ms.",
    )
    report.note(
        "scan",
        f"the detector in-process (smallwins.testing.scan_once) {detector_time * 1000:.0f} ms "
        f"against its git log's {log_time * 1000:.0f} ms: Python reading the records and making "
        f"{mine:,} valid Wins adds {(detector_time - log_time) * 1000:.0f} ms "
        f"({(detector_time - log_time) / mine * 1e6:.1f} us per commit) beyond git's time.",
    )
    record_time = harness_time - detector_time
    report.note(
        "scan",
        f"the same scan with its ledger write, in-process (smallwins.testing.Harness: "
        f"{mine:,} wins and the first-scan summary in one transaction): "
        f"{harness_time * 1000:.0f} ms, so recording costs about {record_time * 1000:.0f} ms "
        f"({record_time / mine * 1e6:.1f} us per win; the floor's insert "
        f"{insert_time / mine * 1e6:.1f} us per row).",
    )
    rest = once_time - startup - harness_time
    report.note(
        "scan",
        f"run --once, {once_time * 1000:.0f} ms: process start and the CLI's imports "
        f"(`smallwins --version`) {startup * 1000:.0f} ms + scan and ledger write "
        f"{harness_time * 1000:.0f} ms + "
        + (
            f"{rest * 1000:.0f} ms for the daemon's imports, config, plugins, opening the "
            "ledger, the summary and delivery."
            if rest > 0
            else "the daemon's own start-up; these were timed apart and do not add up (a "
            "busy machine?)."
        ),
    )
    if profile:
        for line in profile_scan(repo, root):
            report.note("scan", "  " + line)


def profile_scan(repo: Path, root: Path) -> list[str]:
    """Where the time of a scan and its ledger write goes: the top functions by own time."""
    import cProfile
    import io
    import pstats

    from smallwins_plugins.git import GitDetector

    from smallwins.testing import Harness

    profiler = cProfile.Profile()
    with tempfile.TemporaryDirectory(dir=root) as folder, Harness(Path(folder)) as harness:
        harness.add_source("code", GitDetector, {"repos": [str(repo)], "authors": [ME]})
        profiler.enable()
        harness.scan("code")
        profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(8)
    lines = [line.rstrip() for line in out.getvalue().splitlines()]
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
    title = "cProfile of scan + ledger write, top by own time (profiling inflates it):"
    return [title, *[line for line in lines[start:] if line]]


# -- figure 4: the CLI on a big ledger -------------------------------------------------------

LEDGER_SOURCES = (
    ("code", "git", "commit", 0.6),
    ("sits", "meditation", "session", 0.2),
    ("reading", "csv", "chapter", 0.1),
    ("runs", "health", "run", 0.05),
    ("journal", "ics", "entry", 0.05),
)


def cached_ledger(rows: int) -> Path:
    """A ledger with ``rows`` wins over ten years, built once per schema under /tmp."""
    # A new schema or a change to what build_ledger writes makes a new file.
    schema = hashlib.sha256(f"{LEDGER_CONTENT}{''.join(MIGRATIONS)}".encode()).hexdigest()[:12]
    path = LEDGER_CACHE / f"smallwins-bench-ledger-{rows}-{schema}.sqlite3"
    if path.exists():
        return path
    for stale in LEDGER_CACHE.glob(f"smallwins-bench-ledger-{rows}-*"):
        stale.unlink(missing_ok=True)  # built for an older schema
    building = path.with_suffix(f".building-{os.getpid()}")
    try:
        build_ledger(building, rows)
        building.rename(path)
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{building}{suffix}").unlink(missing_ok=True)
    return path


def pick_source(rng: random.Random) -> tuple[str, str, str]:
    pick = rng.random()
    for source, detector, kind, share in LEDGER_SOURCES:
        pick -= share
        if pick < 0:
            return source, detector, kind
    return LEDGER_SOURCES[0][:3]


def build_ledger(path: Path, rows: int) -> None:
    SqliteLedger(path).close()  # the real schema, through the real migrations
    rng = random.Random(7)
    start, span = 1_480_000_000.0, 10 * 365 * 86400
    now = time.time()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -200000")
    insert = (
        "INSERT INTO wins (source, key, detector, kind, title, occurred_at, ts, day, value,"
        " unit, tags, details, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    batch = []
    for n in range(rows):
        ts = start + span * n / rows
        source, detector, kind = pick_source(rng)
        moment = time.gmtime(ts)
        iso = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", moment)
        key = hashlib.sha1(f"{source}{n}".encode()).hexdigest()
        details = {"place": source, "sha": key} if detector == "git" else {"place": source}
        batch.append(
            (
                source,
                key,
                detector,
                kind,
                f"{kind.capitalize()} {n}: small steps add up",
                iso,
                ts,
                time.strftime("%Y-%m-%d", moment),
                1.0,
                "",
                json.dumps([source, detector]),
                json.dumps(details, separators=(",", ":")),
                now,
            )
        )
        if len(batch) == 100_000:
            db.execute("BEGIN")
            db.executemany(insert, batch)
            db.execute("COMMIT")
            batch.clear()
    db.execute("BEGIN")
    db.executemany(insert, batch)
    for source, detector, _kind, _share in LEDGER_SOURCES:
        db.execute(
            "INSERT INTO sources (name, detector, last_scan_at, last_ok_at) VALUES (?, ?, ?, ?)",
            (source, detector, now, now),
        )
        db.execute(
            "INSERT INTO cursors (source, detector, cursor, updated_at) VALUES (?, ?, '{}', ?)",
            (source, detector, now),
        )
    for n in range(2000):
        moment_id = db.execute(
            "INSERT INTO moments (dedupe_key, kind, category, source, title, message, payload,"
            " created_at, due_at) VALUES (?, 'celebration', 'celebration', 'code', 'Small win',"
            " 'A commit', '{}', ?, ?) RETURNING id",
            (f"win:code:{n}", now - n, now - n),
        ).fetchone()[0]
        sent = "sent" if n >= 3 else "pending"
        db.execute(
            "INSERT INTO outbox (moment_id, target, status, attempts) VALUES (?, 'target-1', ?, ?)",
            (moment_id, sent, int(sent == "sent")),
        )
    db.execute("INSERT INTO targets (name, last_ok_at) VALUES ('target-1', ?)", (now,))
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "rest_days" in tables:  # one day off a week for one source, over the ten years
        for week in range(520):
            day = time.strftime("%Y-%m-%d", time.gmtime(now - week * 7 * 86400))
            db.execute(
                "INSERT INTO rest_days (source, day, reason) VALUES ('sits', ?, 'rest')", (day,)
            )
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def import_times(cmd: list[str], env: dict[str, str]) -> tuple[dict[str, int], bool]:
    """Microseconds of import work per top package (each module's own time, summed), and
    whether apprise was imported at all."""
    done = run_full([PYTHON, "-X", "importtime", "-m", "smallwins", *cmd], env=env)
    packages: dict[str, int] = {}
    for line in done.stderr.decode().splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        own, _cumulative, name = line.removeprefix("import time:").split("|")
        package = name.strip().split(".")[0]
        packages[package] = packages.get(package, 0) + int(own)
    return packages, "apprise" in packages


def bench_cli(root: Path, report: Report, rows: int) -> None:
    started = time.perf_counter()
    ledger = cached_ledger(rows)
    built = time.perf_counter() - started
    home = root / "cli" / "home"
    config = f'ledger = {json.dumps(str(ledger))}\n[notify]\nurls = ["json://127.0.0.1:9/hook"]\n'
    # The configured sources, with the options their detectors need; the ledger's other
    # sources (kept by detectors not installed here) are shown all the same.
    nowhere = root / "cli" / "nowhere"
    config += f'\n[sources.code]\ndetector = "git"\nrepos = [{json.dumps(str(nowhere))}]\n'
    config += f'\n[sources.sits]\ndetector = "meditation"\npath = {json.dumps(str(nowhere))}\n'
    write_config(home, config)
    env = {**os.environ, "SMALLWINS_HOME": str(home)}
    with sqlite3.connect(f"file:{ledger}?mode=ro", uri=True) as db:
        count = db.execute("SELECT COUNT(*) FROM wins").fetchone()[0]

    def cli(*args: str) -> Callable[[], None]:
        def call() -> None:
            out = run([*SMALLWINS_CMD, *args], env=env)
            if args[0] == "wins" and len(out.splitlines()) < 50:
                raise BenchError(f"smallwins wins printed:\n{out}")

        return call

    python_floor = best_of(3, lambda: run([PYTHON, "-c", "pass"]))
    queries = query_times(home, ledger)
    for args in (("wins", "--limit", "50"), ("status",)):
        wall = best_of(3, cli(*args))
        packages, apprise = import_times(list(args), env)
        imports = sum(packages.values()) / 1e6
        top = sorted(((us, name) for name, us in packages.items()), reverse=True)
        report.rows.append(
            Row(
                f"smallwins {' '.join(args)}, {count:,} wins",
                f"{wall * 1000:.0f} ms",
                f"python -c pass {python_floor * 1000:.0f} ms",
                wall / python_floor,
                "< 0.5 s, no apprise",
                wall < 0.5 and not apprise,
            )
        )
        heavy = ", ".join(f"{name} {us / 1000:.0f}" for us, name in top[:5])
        report.note(
            "cli",
            f"{args[0]}: apprise imported: {'YES' if apprise else 'no'}; imports "
            f"{imports * 1000:.0f} ms under -X importtime (which inflates them); heaviest "
            f"packages (own time, ms): {heavy}; "
            f"its ledger queries in-process: {queries[args[0]] * 1000:.1f} ms.",
        )
    report.note(
        "cli",
        f"ledger: {count:,} wins in {len(LEDGER_SOURCES)} sources over ten years, "
        f"{ledger.stat().st_size / 2**20:.0f} MiB, cached at {ledger}"
        + (f" (built now in {built:.0f} s)" if built > 1 else " (from the cache)"),
    )


def query_times(home: Path, ledger: Path) -> dict[str, float]:
    """The ledger work of each command, in-process, without the start-up and imports."""
    from smallwins.paths import resolve_paths
    from smallwins.status import report

    paths = resolve_paths({"SMALLWINS_HOME": str(home)})

    def wins() -> None:
        with SqliteLedger(ledger, readonly=True) as db:
            found = db.wins(limit=50, newest_first=True)
            db.rest_days(since=found[-1].day, until=found[0].day)

    def status() -> None:
        report(paths)

    return {"wins": best_of(3, wins), "status": best_of(3, status)}


# -- the table -------------------------------------------------------------------------------


def print_report(report: Report, elapsed: float) -> None:
    header = ("figure", "measured", "floor / reference", "ratio", "target", "result")
    table = [header]
    for row in report.rows:
        ratio = "" if row.ratio is None else f"{row.ratio:.2f}x"
        result = "-" if row.ok is None else ("PASS" if row.ok else "FAIL")
        table.append((row.figure, row.measured, row.reference, ratio, row.target, result))
    print()
    print(markdown_table(header, table[1:]))
    for figure, notes in report.notes.items():
        print(f"\n{figure}:")
        for note in notes:
            print(f"  {note}")
    print(f"\ntotal {elapsed:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a shorter smoke run")
    parser.add_argument("--only", choices=FIGURES, action="append", help="run only this figure")
    parser.add_argument(
        "--scan-commits",
        type=int,
        help="commits in the first-scan repository (default 100,000; 20,000 with --quick)",
    )
    parser.add_argument(
        "--scan-rounds",
        type=int,
        default=3,
        help="rounds of the first-scan figure, each figure the best of them (default 3; more "
        "on a busy machine)",
    )
    args = parser.parse_args(argv)
    only = set(args.only or FIGURES)
    scan_commits = args.scan_commits or (20_000 if args.quick else 100_000)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up on SIGTERM too
    report = Report()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="smallwins-bench-") as tmp:
        root = Path(tmp)
        isolate_environment(root)
        steps: list[tuple[str, Callable[[], None]]] = [
            ("latency", lambda: bench_latency(root, report, 10 if args.quick else 30)),
            (
                "idle",
                lambda: bench_idle(
                    root, report, 30.0 if args.quick else 60.0, 9.0 if args.quick else 15.0
                ),
            ),
            (
                "scan",
                lambda: bench_scan(root, report, scan_commits, not args.quick, args.scan_rounds),
            ),
            ("cli", lambda: bench_cli(root, report, 200_000 if args.quick else 1_000_000)),
        ]
        for name, step in steps:
            if name in only:
                began = time.perf_counter()
                print(f"{name}...", file=sys.stderr, flush=True)
                try:
                    step()
                except BenchError as exc:  # report it and go on with the other figures
                    report.rows.append(Row(name, "ERROR", "see below", None, "", False))
                    report.note(name, f"ERROR: {exc}")
                print(f"{name}: {time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)
    print_report(report, time.perf_counter() - started)
    return 0 if all(row.ok is not False for row in report.rows) else 1


if __name__ == "__main__":
    sys.exit(main())
