"""File watcher figures for Linux: idle CPU and change-to-event latency, side by side.

    .venv/bin/python benchmarks/bench_watcher.py            # the full run (about 4 minutes)
    .venv/bin/python benchmarks/bench_watcher.py --quick    # 15 s idle, 50 writes each

Every watcher runs in a child process of its own, on an asyncio loop, over the same 10
directory trees (31 folders each, watched recursively). Idle: the children sit side by side
for the window; each reads its own CPU time (getrusage, all threads), the scheduler's run
time and context switches of its threads (/proc/self/task/*), before and after. Latency: one
child at a time appends a line to a file deep in a tree, then waits until its watcher hands
the change to Python code on the loop; the clock starts when the file is closed and stops
there, both in the same process. Writes are 0.1 s apart.

The watchers:
- none: an asyncio loop asleep, which shows what the measurement itself costs;
- the raw floor: a ctypes inotify descriptor read with ``loop.add_reader``, no settle;
- ``smallwins.daemon.inotify`` (the project's ctypes module) with its settle set to 0, when present;
- asyncinotify's ``Inotify``, iterated on the loop;
- watchfiles' ``awatch`` with its defaults (step 50 ms, debounce 1600 ms);
- smallwins' ``Watcher`` with each backend, as the daemon uses it (inotify with its 15 ms
  settle; watchfiles with step 50 ms, debounce 400 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import ctypes.util
import importlib.metadata
import importlib.util
import json
import math
import os
import platform
import resource
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from table import markdown_table

TREES = 10
DEPTH = 4  # 1 + 2 + 4 + 8 + 16 = 31 folders a tree
GAP = 0.1  # seconds between two writes
MASK = 0x002 | 0x004 | 0x008 | 0x040 | 0x080 | 0x100 | 0x200 | 0x400 | 0x800
EVENT = struct.Struct("iIII")

OnEvent = Callable[[set[Path]], None]


# -- the watchers, each in its child process ------------------------------------------------


def folders(tree: Path) -> list[Path]:
    found = [tree]
    for root, dirs, _files in os.walk(tree):
        found += [Path(root) / name for name in dirs]
    return found


class Nothing:
    """No watcher at all: what the measurement itself costs (the loop wakes once, at the end)."""

    def __init__(self, trees: list[Path], on_event: OnEvent) -> None:
        pass

    async def stop(self) -> None:
        pass


class RawInotify:
    """The floor: inotify read straight from its descriptor on the loop, no batching."""

    def __init__(self, trees: list[Path], on_event: OnEvent) -> None:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        self.fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        self.dirs: dict[int, Path] = {}
        for tree in trees:
            for folder in folders(tree):
                wd = libc.inotify_add_watch(self.fd, os.fsencode(folder), MASK)
                if wd < 0:
                    raise OSError(ctypes.get_errno(), f"inotify_add_watch {folder}")
                self.dirs[wd] = folder
        self.on_event = on_event
        asyncio.get_running_loop().add_reader(self.fd, self._read)

    def _read(self) -> None:
        data = os.read(self.fd, 65536)
        paths, offset = set(), 0
        while offset + EVENT.size <= len(data):
            wd, _mask, _cookie, length = EVENT.unpack_from(data, offset)
            name = data[offset + EVENT.size : offset + EVENT.size + length].rstrip(b"\0")
            offset += EVENT.size + length
            if wd in self.dirs:
                paths.add(self.dirs[wd] / os.fsdecode(name))
        self.on_event(paths)

    async def stop(self) -> None:
        asyncio.get_running_loop().remove_reader(self.fd)
        os.close(self.fd)


class ModuleInotify:
    """``smallwins.daemon.inotify.Inotify`` (the ctypes module), its settle set to 0."""

    def __init__(self, trees: list[Path], on_event: OnEvent) -> None:
        import smallwins.daemon.inotify as module

        module.SETTLE = 0.0
        self.inotify = module.Inotify(on_event, lambda: None, lambda _p: True, lambda _p: True)
        for tree in trees:
            self.inotify.add(tree, recursive=True)
        self.inotify.start()

    async def stop(self) -> None:
        self.inotify.close()


class AsyncInotify:
    """asyncinotify's ``Inotify`` iterated in a task on the loop."""

    def __init__(self, trees: list[Path], on_event: OnEvent) -> None:
        import asyncinotify

        self.inotify = asyncinotify.Inotify()
        for tree in trees:
            for folder in folders(tree):
                self.inotify.add_watch(folder, asyncinotify.Mask(MASK))

        async def run() -> None:
            async for event in self.inotify:
                if event.path is not None:
                    on_event({event.path})

        self.task = asyncio.get_running_loop().create_task(run())

    async def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        self.inotify.close()


class WatchfilesDefault:
    """watchfiles' ``awatch`` with its defaults (and no filter, as .git would be dropped)."""

    def __init__(self, trees: list[Path], on_event: OnEvent) -> None:
        from watchfiles import awatch

        self.stop_event = asyncio.Event()

        async def run() -> None:
            async for changes in awatch(*trees, watch_filter=None, stop_event=self.stop_event):
                on_event({Path(path) for _change, path in changes})

        self.task = asyncio.get_running_loop().create_task(run())

    async def stop(self) -> None:
        self.stop_event.set()
        await self.task


class SmallwinsWatcher:
    """smallwins' ``Watcher`` with one backend, as the daemon drives it."""

    backend = "auto"

    def __init__(self, trees: list[Path], on_event: OnEvent) -> None:
        from smallwins.daemon.watcher import Watcher

        def failed(exc: BaseException) -> None:
            raise SystemExit(f"the watcher failed: {exc}")

        self.watcher = Watcher(
            {tree: ["bench"] for tree in trees},
            trees[0].parent / "config.toml",
            on_event,
            failed,
            is_relevant=lambda _path: ["bench"],
            backend=self.backend,
        )
        self.watcher.start()
        if self.watcher.backend != self.backend:
            raise SystemExit(f"asked for {self.backend}, got {self.watcher.backend}")

    async def stop(self) -> None:
        await self.watcher.stop()


class WatcherInotify(SmallwinsWatcher):
    backend = "inotify"


class WatcherWatchfiles(SmallwinsWatcher):
    backend = "watchfiles"


WATCHERS: dict[str, tuple[str, type[Any]]] = {
    "none": ("no watcher (the measurement alone)", Nothing),
    "raw": ("ctypes inotify fd on the loop (floor)", RawInotify),
    "module": ("smallwins.daemon.inotify (ctypes), settle 0", ModuleInotify),
    "asyncinotify": ("asyncinotify on the loop", AsyncInotify),
    "watchfiles": ("watchfiles awatch, defaults", WatchfilesDefault),
    "watcher-inotify": ("smallwins Watcher, inotify backend", WatcherInotify),
    "watcher-watchfiles": ("smallwins Watcher, watchfiles backend", WatcherWatchfiles),
}


def available(name: str) -> bool:
    if name == "module":
        return importlib.util.find_spec("smallwins.daemon.inotify") is not None
    if name == "asyncinotify":
        return importlib.util.find_spec("asyncinotify") is not None
    return True


def usage() -> dict[str, float]:
    """CPU of this process (all threads), the scheduler's run time and the wake-ups."""
    self_ = resource.getrusage(resource.RUSAGE_SELF)
    run_ns = switches = threads = 0
    for task in Path("/proc/self/task").iterdir():
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            run_ns += int((task / "schedstat").read_text().split()[0])
            for line in (task / "status").read_text().splitlines():
                if "ctxt_switches:" in line:  # voluntary and nonvoluntary
                    switches += int(line.split()[1])
            threads += 1
    return {
        "cpu": self_.ru_utime + self_.ru_stime,
        "run": run_ns / 1e9,
        "switches": switches,
        "threads": threads,
    }


async def child_idle(name: str, trees: list[Path], window: float) -> dict[str, Any]:
    events: list[set[Path]] = []
    watcher = WATCHERS[name][1](trees, events.append)
    await asyncio.sleep(2.0)  # let it settle (watchfiles starts its Rust thread)
    before = usage()
    await asyncio.sleep(window)
    after = usage()
    await watcher.stop()
    return {
        "cpu": after["cpu"] - before["cpu"],
        "run": after["run"] - before["run"],
        "switches": after["switches"] - before["switches"],
        "threads": after["threads"],
        "events": len(events),
    }


async def child_latency(name: str, trees: list[Path], writes: int) -> dict[str, Any]:
    targets = [folders(tree)[-1] / "notes.txt" for tree in trees]
    for target in targets:
        target.write_text("start\n")
    seen: dict[Path, float] = {}
    arrived = asyncio.Event()

    def on_event(paths: set[Path]) -> None:
        now = time.perf_counter()
        for path in paths:
            seen.setdefault(path, now)
        arrived.set()

    watcher = WATCHERS[name][1](trees, on_event)
    await asyncio.sleep(1.0)
    latencies: list[float] = []
    missed = 0
    for i in range(writes):
        target = targets[i % len(targets)]
        seen.clear()
        arrived.clear()
        with open(target, "a") as file:
            file.write(f"line {i}\n")
        written = time.perf_counter()
        deadline = written + 5.0
        while target not in seen and time.perf_counter() < deadline:
            arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(arrived.wait(), deadline - time.perf_counter())
        if target in seen:
            latencies.append(seen[target] - written)
        else:
            missed += 1
        await asyncio.sleep(GAP)
    await watcher.stop()
    return {"latencies": latencies, "missed": missed}


def child(args: argparse.Namespace) -> None:
    trees = sorted(Path(args.root).glob("tree-*"))
    if args.mode == "idle":
        result = asyncio.run(child_idle(args.watcher, trees, args.window))
    else:
        result = asyncio.run(child_latency(args.watcher, trees, args.writes))
    print(json.dumps(result))


# -- the parent ----------------------------------------------------------------------------


def make_trees(root: Path) -> int:
    count = 0
    for i in range(TREES):
        level = [root / f"tree-{i:02d}"]
        for _depth in range(DEPTH + 1):
            for folder in level:
                folder.mkdir()
                (folder / "file.txt").write_text("x\n")
                count += 1
            level = [folder / name for folder in level for name in ("a", "b")]
    return count


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return math.nan
    pos = (len(ordered) - 1) * q
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def spawn(root: Path, name: str, *args: str) -> subprocess.Popen[str]:
    cmd = [sys.executable, __file__, "--child", name, "--root", str(root), *args]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)


def collect(process: subprocess.Popen[str], name: str) -> dict[str, Any]:
    out, _ = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"{name}: the child failed ({process.returncode})")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="15 s idle, 50 writes")
    parser.add_argument("--window", type=float, help="idle window in seconds (default 60)")
    parser.add_argument("--writes", type=int, help="writes per watcher (default 200)")
    parser.add_argument("--only", choices=WATCHERS, action="append", help="only these watchers")
    parser.add_argument("--child", choices=WATCHERS, dest="watcher", help=argparse.SUPPRESS)
    parser.add_argument("--mode", choices=("idle", "latency"), help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    window = args.window or (15.0 if args.quick else 60.0)
    writes = args.writes or (50 if args.quick else 200)
    if args.watcher:
        args.window, args.writes = window, writes
        child(args)
        return 0
    if not sys.platform.startswith("linux"):
        raise SystemExit("this benchmark measures the Linux backends")
    names = [name for name in (args.only or WATCHERS) if available(name)]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="smallwins-bench-watch-") as tmp:
        root = Path(tmp).resolve()
        count = make_trees(root)
        print(f"idle: {len(names)} children side by side for {window:.0f} s", file=sys.stderr)
        children = {
            name: spawn(root, name, "--mode", "idle", "--window", str(window)) for name in names
        }
        idle = {name: collect(process, name) for name, process in children.items()}
        latency = {}
        for name in names:
            if name == "none":
                continue
            print(f"latency: {name}, {writes} writes", file=sys.stderr)
            process = spawn(root, name, "--mode", "latency", "--writes", str(writes))
            latency[name] = collect(process, name)
    header = (
        "watcher",
        f"idle CPU in {window:.0f} s",
        "CPU-s / h",
        "run time",
        "wake-ups",
        "threads",
        "latency p50",
        "p95",
        "missed",
    )
    lines = []
    for name in names:
        use = idle[name]
        lat = latency.get(name)
        lines.append(
            (
                WATCHERS[name][0],
                f"{use['cpu'] * 1000:.1f} ms",
                f"{use['cpu'] * 3600 / window:.2f}",
                f"{use['run'] * 1000:.1f} ms",
                str(use["switches"]),
                str(use["threads"]),
                "-" if lat is None else f"{percentile(lat['latencies'], 0.5) * 1000:.2f} ms",
                "-" if lat is None else f"{percentile(lat['latencies'], 0.95) * 1000:.2f} ms",
                "-" if lat is None else str(lat["missed"]),
            )
        )
    print()
    print(markdown_table(header, lines))
    print(
        f"\n{TREES} trees, {count} folders watched; idle window {window:.0f} s; {writes} writes "
        f"each, {GAP:.1f} s apart. Python {platform.python_version()}, asyncinotify "
        f"{version('asyncinotify')}, watchfiles {version('watchfiles')}, "
        f"{os.cpu_count()} cores, {platform.system()} {platform.release()}."
    )
    print(f"total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
