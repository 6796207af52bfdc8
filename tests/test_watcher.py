"""The file watcher on its own, on a real asyncio loop and the real kernel inotify."""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from smallwins.daemon.watcher import Watcher

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux's")


class Seen:
    """What a watcher reported: its batches of changed paths and its errors."""

    def __init__(self) -> None:
        self.batches: list[set[Path]] = []
        self.errors: list[BaseException] = []

    @property
    def paths(self) -> set[Path]:
        return set().union(*self.batches)

    async def wait_for(self, what: Callable[[], object], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not what():
            if time.monotonic() > deadline:
                raise AssertionError(f"not seen in {timeout} s: {self.batches} {self.errors}")
            await asyncio.sleep(0.01)


def watcher_for(tmp_path: Path, seen: Seen, backend: str = "inotify") -> tuple[Watcher, Path]:
    """A watcher of ``tmp_path/root`` (everything relevant but ``skip`` folders)."""
    root = tmp_path / "root"
    (root / "a" / "b").mkdir(parents=True, exist_ok=True)
    (root / "skip").mkdir(exist_ok=True)
    (tmp_path / "config").mkdir(exist_ok=True)
    watcher = Watcher(
        {root: ["files"]},
        tmp_path / "config" / "config.toml",
        seen.batches.append,
        seen.errors.append,
        is_relevant=lambda path: [] if "skip" in path.parts else ["files"],
        backend=backend,
    )
    return watcher, root


def inotify_fds() -> int:
    fds = Path("/proc/self/fd")
    count = 0
    for fd in fds.iterdir():
        try:
            count += os.readlink(fd) == "anon_inode:inotify"
        except OSError:
            continue  # the descriptor iterdir itself used, gone by now
    return count


def settles_at(count: int) -> bool:
    """Whether the inotify descriptors come back to ``count`` (watchfiles' thread, which has
    one of its own, ends a moment after its task is stopped)."""
    deadline = time.monotonic() + 5
    while inotify_fds() != count and time.monotonic() < deadline:
        time.sleep(0.05)
    return inotify_fds() == count


def run(coro: Coroutine[Any, Any, None]) -> None:
    asyncio.run(asyncio.wait_for(coro, 30))


def test_changes_below_a_root_come_in_one_batch(tmp_path: Path) -> None:
    seen = Seen()
    watcher, root = watcher_for(tmp_path, seen)

    async def go() -> None:
        watcher.start()
        assert watcher.backend == "inotify"
        (root / "a" / "b" / "x.txt").write_text("x")
        (root / "a" / "y.txt").write_text("y")
        await seen.wait_for(lambda: root / "a" / "y.txt" in seen.paths)
        assert seen.batches == [{root / "a" / "b" / "x.txt", root / "a" / "y.txt"}]

        (root / "skip" / "z.txt").write_text("not watched below skip")
        watcher.config_file.write_text("# changed\n")
        await seen.wait_for(lambda: watcher.config_file in seen.paths)
        await asyncio.sleep(0.1)
        assert root / "skip" / "z.txt" not in seen.paths
        assert not seen.errors
        await watcher.stop()

    before = inotify_fds()
    run(go())
    assert inotify_fds() == before  # stop() closed the descriptor


def test_new_folders_are_followed(tmp_path: Path) -> None:
    seen = Seen()
    watcher, root = watcher_for(tmp_path, seen)
    outside = tmp_path / "outside" / "inner"
    outside.mkdir(parents=True)

    async def go() -> None:
        watcher.start()
        (root / "new" / "deeper").mkdir(parents=True)
        await seen.wait_for(lambda: root / "new" in seen.paths)
        (root / "new" / "deeper" / "f.txt").write_text("f")
        await seen.wait_for(lambda: root / "new" / "deeper" / "f.txt" in seen.paths)

        (tmp_path / "outside").rename(root / "moved")  # a folder moved in, with its subfolder
        await seen.wait_for(lambda: root / "moved" in seen.paths)
        (root / "moved" / "inner" / "g.txt").write_text("g")
        await seen.wait_for(lambda: root / "moved" / "inner" / "g.txt" in seen.paths)
        assert not seen.errors
        await watcher.stop()

    run(go())


def test_a_queue_overflow_is_reported_and_watching_goes_on(tmp_path: Path) -> None:
    seen = Seen()
    watcher, root = watcher_for(tmp_path, seen)
    limit = int(Path("/proc/sys/fs/inotify/max_queued_events").read_text())

    async def go() -> None:
        watcher.start()
        # The loop does not read while this runs: 3 events a file (create, modify, close).
        for i in range(limit // 3 + 100):
            (root / "a" / f"{i}.txt").write_text("x")
        await seen.wait_for(lambda: seen.errors)
        assert "overflow" in str(seen.errors[0])
        (root / "a" / "after.txt").write_text("still watched")
        await seen.wait_for(lambda: root / "a" / "after.txt" in seen.paths)
        await watcher.stop()

    run(go())


def no_space(*_args: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_the_watch_limit_at_start_falls_back_to_watchfiles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import asyncinotify

    monkeypatch.setattr(asyncinotify.Inotify, "add_watch", no_space)
    seen = Seen()
    watcher, root = watcher_for(tmp_path, seen, backend="auto")

    async def go() -> None:
        with caplog.at_level(logging.WARNING, logger="smallwins.watcher"):
            watcher.start()
        assert watcher.backend == "watchfiles"
        # (Only the start of the sysctl's name: a secret "user" that an earlier test
        # registered with the log's redactor would mask the rest.)
        assert "(raise fs.inotify.max_" in caplog.text
        assert "watching with watchfiles" in caplog.text
        await asyncio.sleep(0.3)  # watchfiles starts its thread
        (root / "a" / "x.txt").write_text("x")
        await seen.wait_for(lambda: root / "a" / "x.txt" in seen.paths)
        await watcher.stop()

    before = inotify_fds()
    run(go())
    assert settles_at(before)


def test_the_watch_limit_on_a_new_folder_falls_back_and_reconciles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import asyncinotify

    seen = Seen()
    watcher, root = watcher_for(tmp_path, seen)

    async def go() -> None:
        watcher.start()
        monkeypatch.setattr(asyncinotify.Inotify, "add_watch", no_space)
        with caplog.at_level(logging.WARNING, logger="smallwins.watcher"):
            (root / "new").mkdir()
            await seen.wait_for(lambda: seen.errors)
        assert watcher.backend == "watchfiles"
        assert "max_user_watches" in str(seen.errors[0])  # the daemon reconciles on it
        assert "watching with watchfiles" in caplog.text
        await asyncio.sleep(0.3)
        (root / "new" / "x.txt").write_text("x")
        await seen.wait_for(lambda: root / "new" / "x.txt" in seen.paths)
        await watcher.stop()

    before = inotify_fds()
    run(go())
    assert settles_at(before)


def test_a_file_renamed_into_place_ends_the_batch_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from smallwins.daemon import watcher as module

    monkeypatch.setattr(module, "SETTLE", 2.0)  # far longer than any scheduling delay
    seen = Seen()
    watcher, root = watcher_for(tmp_path, seen)
    log, ref = root / "a" / "log", root / "a" / "main"

    async def go() -> None:
        watcher.start()
        started = time.monotonic()
        with log.open("a") as f:  # as git moves a ref: its log first, then main.lock -> main
            f.write("old new me\n")
        (root / "a" / "main.lock").write_text("abc\n")
        os.replace(root / "a" / "main.lock", ref)
        await seen.wait_for(lambda: ref in seen.paths)
        assert time.monotonic() - started < 1.0
        assert log in seen.batches[0]
        await watcher.stop()

    run(go())


def test_other_changes_wait_for_the_settle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from smallwins.daemon import watcher as module

    monkeypatch.setattr(module, "SETTLE", 0.3)
    seen = Seen()
    watcher, root = watcher_for(tmp_path, seen)

    async def go() -> None:
        watcher.start()
        started = time.monotonic()
        (root / "a" / "log").write_text("a line\n")
        await seen.wait_for(lambda: seen.batches)
        assert time.monotonic() - started >= 0.3
        await watcher.stop()

    run(go())
