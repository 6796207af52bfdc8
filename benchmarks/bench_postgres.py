"""The ledger on PostgreSQL against SQLite, measured in the same run (docs/performance.md).

    .venv/bin/python benchmarks/bench_postgres.py             # the full run, about 8 minutes
    .venv/bin/python benchmarks/bench_postgres.py --quick     # a smoke run
    .venv/bin/python benchmarks/bench_postgres.py --only latency,cli,scan,load

It starts a PostgreSQL server of its own (tests/postgres.py's recipe) in a temporary folder,
with the server's durable defaults (fsync and synchronous commit on, as SQLite's
synchronous = FULL is), and logs every lock wait over 100 ms (log_lock_waits,
deadlock_timeout = 100ms). Figures:

- latency: a commit to its celebration's POST, coalesce_seconds = 0, one daemon on SQLite and
  one on PostgreSQL, each on a repository of its own, their commits taken in turns.
- cli: `wins --limit 50` and `status` on the 1,000,000-win ledger of bench_core.py, copied into
  PostgreSQL with `smallwins ledger copy`, in turns with the same commands on the SQLite file.
- scan: `run --once` on a 100,000-commit history into a fresh ledger of each kind, in turns.
- load: three daemons on one PostgreSQL ledger, each on a repository of its own, while
  git fast-import adds 100 commits a second between the three repositories for a minute.
  The lock waits: the server's log of waits over 100 ms, and a sampler that looks at
  pg_stat_activity every 10 ms for the longest wait on a lock it saw.

Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_core import (
    ME,
    PYTHON,
    SMALLWINS_CMD,
    Daemon,
    Latencies,
    Receiver,
    RefWatcher,
    best_of,
    cached_ledger,
    commit,
    fast_import_stream,
    git,
    init_repo,
    isolate_environment,
    measure_commits,
    ms,
    percentile,
    run,
    start_daemon,
    toml_list,
    write_config,
)
from table import markdown_table

from tests import postgres

FIGURES = ("latency", "cli", "scan", "load", "latency-1m")
DURABLE = "-c log_lock_waits=on -c deadlock_timeout=100ms -c shared_buffers=256MB"


class Bench:
    def __init__(self, root: Path, server: postgres.Server) -> None:
        self.root = root
        self.server = server
        self.rows: list[list[str]] = []
        self.notes: list[str] = []
        self.missed: list[str] = []
        self._databases = 0

    def database(self) -> str:
        self._databases += 1
        name = f"bench_{self._databases}"
        self.server.admin(f"CREATE DATABASE {name} OWNER smallwins TEMPLATE template0")
        return self.server.url(name)

    def drop(self, url: str) -> None:
        self.server.admin(f"DROP DATABASE {url.rsplit('/', 1)[1]} WITH (FORCE)")

    def row(self, figure: str, sqlite: str, pg: str, difference: str, target: str, ok: bool | None):
        self.rows.append(
            [
                figure,
                sqlite,
                pg,
                difference,
                target,
                "-" if ok is None else "PASS" if ok else "FAIL",
            ]
        )
        if ok is False:
            self.missed.append(figure)


def ledger_line(url: str | None) -> str:
    return f"[ledger]\nurl = {json.dumps(url)}\n" if url else ""


# -- commit to notification --------------------------------------------------------------------


def bench_latency(bench: Bench, commits: int, rows: int = 0) -> None:
    """With ``rows``, both ledgers hold bench_core's ledger of that many wins first, 600,000
    of them in the source the commits go to."""
    urls: dict[str, str | None] = {"sqlite": None, "postgresql": bench.database()}
    folder = bench.root / ("latency-1m" if rows else "latency")
    if rows:
        big = folder / "ledger.sqlite3"
        big.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(cached_ledger(rows), big)
        urls["sqlite"] = f"sqlite:///{big}"
        bulk_copy(big, str(urls["postgresql"]))
    repos, receivers, daemons, watchers = {}, {}, {}, {}
    found = {label: Latencies() for label in urls}
    try:
        for label, url in urls.items():
            repo = folder / label
            init_repo(repo)
            commit(repo, "old.txt", "Old work")
            receiver = Receiver()
            receivers[label] = receiver
            home = folder / f"home-{label}"
            write_config(
                home,
                ledger_line(url)
                + f'[notify]\nurls = [{{ url = "{receiver.url}", scope = "local" }}]\n'
                "coalesce_seconds = 0\n"
                f'[sources.code]\ndetector = "git"\nrepos = {toml_list([str(repo)])}\n'
                f"authors = {toml_list([ME])}\n",
            )
            daemons[label] = start_daemon(home, repo, receiver, 0 if rows else 1)
            repos[label] = repo
            watchers[label] = RefWatcher(repo / ".git" / "refs" / "heads", "main")
        for n in range(commits):
            order = list(urls) if n % 2 == 0 else list(reversed(urls))
            for label in order:
                got = measure_commits(
                    repos[label],
                    receivers[label],
                    watchers[label],
                    1,
                    f"{label}{n}",
                    spacing=0.3,
                    match_subject=True,
                )
                found[label].latency += got.latency
    finally:
        for watcher in watchers.values():
            watcher.close()
        for daemon in daemons.values():
            daemon.stop()
        for receiver in receivers.values():
            receiver.close()
    sqlite, pg = (percentile(found[k].latency, 0.95) for k in urls)
    bench.row(
        f"commit -> POST p95, coalesce 0, {commits} commits each"
        + (f", on {rows:,} wins" if rows else ""),
        found["sqlite"].summary(),
        found["postgresql"].summary(),
        f"p95 {'+' if pg >= sqlite else '-'}{ms(abs(pg - sqlite))}",
        "PostgreSQL p95 within 50 ms of SQLite's",
        pg - sqlite <= 0.050,
    )


# -- wins and status on 1,000,000 wins ---------------------------------------------------------


def bulk_copy(sqlite_file: Path, url: str) -> None:
    """The SQLite ledger's rows into a PostgreSQL ledger made by its own migrations, with COPY
    (`smallwins ledger copy` takes about three minutes for a million wins), then VACUUM ANALYZE
    as autovacuum would do soon after."""
    import sqlite3

    import psycopg

    from smallwins.ledger import open_ledger

    open_ledger(url).close()
    source = sqlite3.connect(f"file:{sqlite_file}?mode=ro", uri=True)
    with psycopg.connect(url, autocommit=True) as db:
        for table in ("sources", "cursors", "rest_days", "targets", "moments", "outbox", "wins"):
            mine = {
                r[0]
                for r in db.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = %s",
                    (table,),
                )
            }
            columns = [r[1] for r in source.execute(f"PRAGMA table_info({table})") if r[1] in mine]
            listed = ", ".join(columns)
            with db.cursor().copy(f"COPY {table} ({listed}) FROM STDIN") as copy:
                for row in source.execute(f"SELECT {listed} FROM {table}"):
                    copy.write_row(row)
            if "id" in columns:  # the ids came along: new rows take the next ones
                db.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT COALESCE(max(id), 0) + 1 FROM {table}), false)"
                )
        db.execute("VACUUM ANALYZE")
    source.close()


def bench_cli(bench: Bench, rows: int) -> None:
    started = time.perf_counter()
    sqlite_file = cached_ledger(rows)
    built = time.perf_counter() - started
    url = bench.database()
    started = time.perf_counter()
    bulk_copy(sqlite_file, url)
    copied = time.perf_counter() - started
    nowhere = bench.root / "cli" / "nowhere"
    sources = (
        f'\n[sources.code]\ndetector = "git"\nrepos = [{json.dumps(str(nowhere))}]\n'
        f'\n[sources.sits]\ndetector = "meditation"\npath = {json.dumps(str(nowhere))}\n'
    )
    envs = {}
    for label, ledger in (("sqlite", f"ledger = {json.dumps(str(sqlite_file))}\n"), ("pg", "")):
        home = bench.root / "cli" / label
        text = ledger + (ledger_line(url) if label == "pg" else "")
        write_config(home, text + '[notify]\nurls = ["json://127.0.0.1:9/hook"]\n' + sources)
        envs[label] = {**os.environ, "SMALLWINS_HOME": str(home)}
    floor = best_of(3, lambda: run([PYTHON, "-c", "pass"]))
    for args in (("wins", "--limit", "50"), ("status",)):
        times: dict[str, list[float]] = {"sqlite": [], "pg": []}
        for _ in range(3):  # in turns, so that both see the machine of the same minutes
            for label, env in envs.items():
                times[label].append(
                    best_of(1, lambda env=env, args=args: run([*SMALLWINS_CMD, *args], env=env))
                )
        sqlite, pg = min(times["sqlite"]), min(times["pg"])
        bench.row(
            f"smallwins {' '.join(args)}, {rows:,} wins",
            f"{sqlite * 1000:.0f} ms",
            f"{pg * 1000:.0f} ms",
            f"{pg / sqlite:.2f}x",
            "PostgreSQL < 0.5 s",
            pg < 0.5,
        )
    bench.notes.append(
        f"cli: python -c pass {floor * 1000:.0f} ms; the SQLite ledger "
        + ("from the cache" if built < 1 else f"built in {built:.0f} s")
        + f", copied into PostgreSQL (COPY, then VACUUM ANALYZE) in {copied:.0f} s."
    )


# -- first scan of 100,000 commits -------------------------------------------------------------


def bench_scan(bench: Bench, count: int, rounds: int) -> None:
    repo = bench.root / "scan" / "history"
    init_repo(repo)
    git(repo, "fast-import", "--quiet", stdin=fast_import_stream(count))
    config = (
        f'[sources.code]\ndetector = "git"\nrepos = {toml_list([str(repo)])}\n'
        f"authors = {toml_list([ME])}\n"
    )

    def once(label: str, n: int) -> float:
        home = bench.root / "scan" / f"{label}-{n}"
        url = bench.database() if label == "pg" else None
        write_config(home, ledger_line(url) + config)
        started = time.perf_counter()
        run([*SMALLWINS_CMD, "run", "--once"], env={**os.environ, "SMALLWINS_HOME": str(home)})
        took = time.perf_counter() - started
        shutil.rmtree(home)
        if url:
            bench.drop(url)
        return took

    times: dict[str, list[float]] = {"sqlite": [], "pg": []}
    for n in range(rounds):
        for label in times if n % 2 == 0 else reversed(list(times)):
            times[label].append(once(label, n))
    sqlite, pg = min(times["sqlite"]), min(times["pg"])
    bench.row(
        f"first scan, {count:,} commits (run --once)",
        f"{sqlite * 1000:.0f} ms",
        f"{pg * 1000:.0f} ms",
        f"{pg / sqlite:.2f}x",
        "PostgreSQL within 2x of SQLite",
        pg <= 2 * sqlite,
    )
    bench.notes.append(
        f"scan: best of {rounds} rounds in turns; each round SQLite "
        f"{', '.join(f'{t * 1000:.0f}' for t in times['sqlite'])} ms, PostgreSQL "
        f"{', '.join(f'{t * 1000:.0f}' for t in times['pg'])} ms."
    )


# -- three daemons, 100 wins a second ----------------------------------------------------------


class Sampler(threading.Thread):
    """The longest wait on a lock that pg_stat_activity shows, looked at every 10 ms."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.stopped = threading.Event()
        self.longest = 0.0
        self.waits = 0  # samples that saw a backend waiting on a lock
        # While one waits: what the backend holding the recording lock is doing, counted by
        # its state (idle in transaction: the daemon's own work) and what it waits for.
        self.holder: dict[str, int] = {}

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as db:
            while not self.stopped.wait(0.01):
                row = db.execute(
                    "SELECT count(*), COALESCE(EXTRACT(EPOCH FROM max(clock_timestamp()"
                    " - query_start)), 0) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                ).fetchone()
                assert row is not None
                self.waits += bool(row[0])
                self.longest = max(self.longest, float(row[1]))
                if row[0]:
                    for state, event, query in db.execute(_HOLDER).fetchall():
                        what = f"{state}, waiting on {event}" if event else state
                        if state == "active" and not event:
                            what += f" ({' '.join(query.split())[:60]})"
                        self.holder[what] = self.holder.get(what, 0) + 1


# The backend that holds the advisory lock others wait for, and what it is doing.
_HOLDER = (
    "SELECT a.state, a.wait_event, a.query FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
    " WHERE l.locktype = 'advisory' AND l.granted AND EXISTS (SELECT 1 FROM pg_locks w"
    " WHERE w.locktype = 'advisory' AND NOT w.granted AND w.objid = l.objid)"
)


def commits_stream(repo: Path, first: int, count: int) -> bytes:
    """``count`` commits on top of main (one file each), for git fast-import."""
    out = []
    when = int(time.time())
    for n in range(first, first + count):
        message = f"Load {repo.name} {n}\n"
        out.append(
            f"commit refs/heads/main\nauthor Me <{ME}> {when} +0000\n"
            f"committer Me <{ME}> {when} +0000\ndata {len(message)}\n{message}"
            + ("from refs/heads/main^0\n" if n == first else "")
            + f"M 644 inline file{n % 50}.txt\ndata {len(str(n)) + 1}\n{n}\n\n"
        )
    return "".join(out).encode()


def bench_load(bench: Bench, seconds: float, rate: int) -> None:
    url = bench.database()
    repos, daemons = [], []
    receiver = Receiver()
    try:
        for n in range(3):
            repo = bench.root / "load" / f"repo{n}"
            init_repo(repo)
            commit(repo, "old.txt", f"Start {n}")
            repos.append(repo)
            home = bench.root / "load" / f"home{n}"
            write_config(
                home,
                ledger_line(url)
                + f'[notify]\nurls = [{{ url = "{receiver.url}", scope = "local" }},'
                f' "{receiver.url}"]\ncoalesce_seconds = 0\n'
                f'[sources.code]\ndetector = "git"\nrepos = {toml_list([str(repo)])}\n'
                f"authors = {toml_list([ME])}\n",
            )
            daemons.append(Daemon(home, bench.root))
        for daemon in daemons:
            daemon.wait_log("running:")
        sampler = Sampler(url)
        sampler.start()
        log_start = bench.server.log.stat().st_size  # daemons that start at once wait in turn
        made = [1, 1, 1]
        tick = 0.2  # each fifth of a second, the commits owed by then, shared by the repos
        started = time.monotonic()
        behind = 0.0
        ticks = 0
        while time.monotonic() - started < seconds:
            ticks = max(ticks + 1, int((time.monotonic() - started) / tick))
            owed = round(rate * ticks * tick) - (sum(made) - 3)
            for n in range(3):
                share = owed // 3 + (1 if (ticks + n) % 3 < owed % 3 else 0)
                if share:
                    stream = commits_stream(repos[n], made[n], share)
                    git(repos[n], "fast-import", "--quiet", stdin=stream)
                    made[n] += share
            pause = started + ticks * tick - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            else:
                behind = max(behind, -pause)
        elapsed = time.monotonic() - started
        total = sum(made)
        deadline = time.monotonic() + 60
        recorded = 0
        import psycopg

        with psycopg.connect(url, autocommit=True) as db:
            while time.monotonic() < deadline:
                recorded = db.execute("SELECT count(*) FROM wins").fetchone()[0]
                if recorded >= total:
                    break
                time.sleep(0.2)
            lag = time.monotonic() - started - elapsed
        sampler.stopped.set()
        sampler.join()
    finally:
        for daemon in daemons:
            daemon.stop()
        receiver.close()
    with bench.server.log.open(errors="replace") as log:
        log.seek(log_start)
        logged = [line.strip() for line in log if "still waiting for" in line]
    bench.row(
        f"3 daemons, {rate} wins/s together for {seconds:.0f} s: longest lock wait",
        "-",
        f"{ms(sampler.longest)} (sampled); {len(logged)} waits over 100 ms logged",
        "-",
        "no lock wait over 100 ms",
        not logged and sampler.longest <= 0.1,
    )
    bench.notes.append(
        f"load: {total:,} commits made in {elapsed:.1f} s ({total / elapsed:.0f}/s; the commit "
        f"loop fell behind its clock by at most {ms(behind)}), {recorded:,} wins recorded, the "
        f"last {lag:.1f} s after the commits stopped; {sampler.waits} samples of 10 ms saw a "
        "backend waiting on a lock."
    )
    if sampler.holder:
        seen = ", ".join(
            f"{what} {n}" for what, n in sorted(sampler.holder.items(), key=lambda i: -i[1])
        )
        bench.notes.append(
            f"load: the recording lock's holder while others waited (samples): {seen}."
        )
    for line in logged[:5]:
        bench.notes.append(f"load: server log: {line}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", default=",".join(FIGURES), help="a subset of " + ", ".join(FIGURES)
    )
    parser.add_argument("--quick", action="store_true", help="fewer commits, shorter windows")
    parser.add_argument("--commits", type=int, default=40, help="commits per ledger (latency)")
    parser.add_argument("--scan-rounds", type=int, default=3)
    parser.add_argument("--load-seconds", type=float, default=60)
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    count, rows = 100_000, 1_000_000
    if args.quick:
        args.commits, args.scan_rounds, args.load_seconds, count, rows = (
            10,
            1,
            10,
            10_000,
            1_000_000,
        )
    where = postgres.binaries()
    if where is None:
        print(
            "PostgreSQL's initdb and pg_ctl are not here: apt-get install postgresql",
            file=sys.stderr,
        )
        return 1
    version = subprocess.run(
        [str(where / "postgres"), "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    python_floor = best_of(5, lambda: run([PYTHON, "-c", "pass"]))
    print(
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}, {platform.node()}, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.1f}, python -c pass {python_floor * 1000:.0f} ms; "
        f"Python {platform.python_version()}, {version}; {' '.join(SMALLWINS_CMD)}",
        flush=True,
    )
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="smallwins-bench-pg-") as folder:
        root = Path(folder)
        isolate_environment(root)
        server = postgres.launch(where, DURABLE)
        try:
            bench = Bench(root, server)
            steps: dict[str, Callable[[], None]] = {
                "latency": lambda: bench_latency(bench, args.commits),
                "cli": lambda: bench_cli(bench, rows),
                "scan": lambda: bench_scan(bench, count, args.scan_rounds),
                "load": lambda: bench_load(bench, args.load_seconds, 100),
                "latency-1m": lambda: bench_latency(bench, args.commits, rows),
            }
            for name in FIGURES:
                if name in only:
                    steps[name]()
        finally:
            server.stop()
            shutil.rmtree(server.folder, ignore_errors=True)
    header = ["figure", "SQLite", "PostgreSQL", "difference", "target", "result"]
    print("\n" + markdown_table(header, bench.rows))
    for note in bench.notes:
        print(f"- {note}")
    print(
        f"\nthe whole run took {time.monotonic() - began:.0f} s; load now {os.getloadavg()[0]:.1f}"
    )
    return 1 if bench.missed else 0


if __name__ == "__main__":
    sys.exit(main())
