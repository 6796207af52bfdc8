from __future__ import annotations

import asyncio
import os
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from smallwins.config import load_config
from smallwins.daemon.daemon import Daemon
from smallwins.daemon.scanning import Scanner
from smallwins.ledger import Ledger, open_ledger, sqlite_url
from smallwins.paths import resolve_paths
from smallwins.plugins.loader import load_plugins
from smallwins.plugins.source import build_sources
from tests.receiver import Receiver

DETECTORS = """
import time
from datetime import UTC, datetime
from smallwins import Detector, DetectorOptions, Win, hookimpl

class Options(DetectorOptions):
    count: int = 2

class Good(Detector):
    name = "good"
    Options = Options
    def scan(self, context):
        context.save_cursor({"n": self.options.count})
        for i in range(self.options.count):
            yield Win(key=f"g{i}", title=f"good {i}", occurred_at=datetime.now(UTC))

class Raises(Detector):
    name = "raises"
    def scan(self, context):
        raise RuntimeError("detector bug")

class Hangs(Detector):
    name = "hangs"
    def scan(self, context):
        time.sleep(30)
        return []

class Junk(Detector):
    name = "junk"
    def scan(self, context):
        yield "not a win"
        yield Win(key="", title="no key", occurred_at=datetime.now(UTC))
        yield Win(key="naive", title="naive time", occurred_at=datetime(2026, 1, 1))
        yield Win(key="ok", title="fine", occurred_at=datetime.now(UTC))

@hookimpl
def register_detectors(register):
    for cls in (Good, Raises, Hangs, Junk):
        register(cls)
"""


def write_plugin(folder: Path, name: str, text: str, mode: int = 0o644) -> Path:
    folder.mkdir(mode=0o755, exist_ok=True)
    os.chmod(folder, 0o755)
    path = folder / name
    path.write_text(textwrap.dedent(text))
    os.chmod(path, mode)
    return path


def test_plugins_dir_loads_and_broken_import_is_skipped(tmp_path: Path) -> None:
    folder = tmp_path / "plugins"
    write_plugin(folder, "mine.py", DETECTORS)
    write_plugin(folder, "broken.py", "import no_such_module_anywhere\n")
    plugins = load_plugins(folder, load_env="")
    assert set(plugins.detectors) == {"good", "raises", "hangs", "junk"}
    assert plugins.detector_plugin["good"] == "local:mine"
    (failure,) = plugins.failures
    assert failure.plugin == "local:broken"
    assert "no_such_module_anywhere" in failure.message


def test_world_writable_plugin_is_refused_with_the_fix(tmp_path: Path) -> None:
    folder = tmp_path / "plugins"
    path = write_plugin(folder, "mine.py", DETECTORS, mode=0o666)
    plugins = load_plugins(folder, load_env="")
    assert plugins.detectors == {}
    (failure,) = plugins.failures
    assert f"chmod go-w {path}" in failure.message
    os.chmod(folder, 0o777)
    os.chmod(path, 0o644)
    plugins = load_plugins(folder, load_env="")
    assert plugins.detectors == {}
    assert f"chmod go-w {folder}" in plugins.failures[0].message


def test_load_env_and_disabled_choose_plugins(tmp_path: Path) -> None:
    folder = tmp_path / "plugins"
    write_plugin(folder, "mine.py", DETECTORS)
    assert "git" in load_plugins(None).detectors
    assert load_plugins(None, load_env="").detectors == {}
    assert set(load_plugins(folder, load_env="git").detectors) >= {"good", "git"}
    assert load_plugins(folder, load_env="", disabled=["mine"]).detectors == {}
    assert "git" not in load_plugins(None, ["git"]).detectors


def test_misspelt_hook_is_reported(tmp_path: Path) -> None:
    folder = tmp_path / "plugins"
    write_plugin(
        folder,
        "typo.py",
        "from smallwins import hookimpl\n@hookimpl\ndef register_detector(register):\n    pass\n",
    )
    plugins = load_plugins(folder, load_env="")
    assert "unknown hook" in plugins.failures[0].message


def test_raising_hanging_and_junk_detectors_do_not_stop_the_others(
    home: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "plugins"
    write_plugin(folder, "mine.py", DETECTORS)
    (home / "config.toml").write_text(
        textwrap.dedent(
            f"""
            plugins_dir = "{folder}"
            scan_timeout_seconds = 1
            [sources.good]
            detector = "good"
            count = 3
            [sources.raises]
            detector = "raises"
            [sources.hangs]
            detector = "hangs"
            [sources.junk]
            detector = "junk"
            """
        )
    )
    paths = resolve_paths()
    config = load_config(paths.config_file)
    plugins = load_plugins(config.settings.plugins_dir, load_env="")
    sources = build_sources(config, plugins)
    with open_ledger(sqlite_url(paths.ledger_file)) as ledger:
        daemon = Daemon(paths, config, plugins, sources, ledger, load=lambda: (config, sources))
        for _ in range(3):  # the third failure in a row pauses a source
            assert asyncio.run(daemon.run_once()) == 1
        states = {s.name: s for s in ledger.source_states()}
        assert states["good"].wins == 3 and states["good"].last_error is None
        assert states["junk"].wins == 1
        assert "3 invalid wins" in states["junk"].problems[-1]
        assert "detector bug" in (states["raises"].last_error or "")
        assert states["raises"].paused_until is not None
        assert "longer than 1 s" in (states["hangs"].last_error or "")
    assert "yielded an invalid win" in caplog.text


SLOW = """
import time
from datetime import UTC, datetime
from smallwins import Detector, DetectorOptions, Win, hookimpl

class Options(DetectorOptions):
    seconds: float

class Slow(Detector):
    name = "slow"
    Options = Options
    def scan(self, context):
        time.sleep(self.options.seconds)
        context.save_cursor({"done": True})
        return [Win(key="late", title="late", occurred_at=datetime.now(UTC))]

@hookimpl
def register_detectors(register):
    register(Slow)
"""


def slow_daemon(home: Path, tmp_path: Path, ledger: Ledger, seconds: float) -> Daemon:
    folder = tmp_path / "plugins"
    write_plugin(folder, "slow.py", SLOW)
    (home / "config.toml").write_text(
        f'plugins_dir = "{folder}"\nscan_timeout_seconds = 0.5\n'
        f'[sources.slow]\ndetector = "slow"\nseconds = {seconds}\n'
    )
    paths = resolve_paths()
    config = load_config(paths.config_file)
    plugins = load_plugins(config.settings.plugins_dir, load_env="")
    sources = build_sources(config, plugins)
    return Daemon(paths, config, plugins, sources, ledger, load=lambda: (config, sources))


def test_a_scan_given_up_records_nothing_when_it_ends_later(home: Path, tmp_path: Path) -> None:
    async def scan_and_wait() -> int:
        code = await daemon.run_once()
        await asyncio.sleep(1.0)  # the scan ends meanwhile
        return code

    with open_ledger(sqlite_url(tmp_path / "ledger.sqlite3")) as ledger:
        daemon = slow_daemon(home, tmp_path, ledger, seconds=1.0)
        assert asyncio.run(scan_and_wait()) == 1
        (state,) = ledger.source_states()
        assert "longer than 0.5 s" in (state.last_error or "")
        assert state.wins == 0
        assert ledger.cursor("slow") is None


def test_a_scan_that_ends_in_time_counts_however_long_recording_takes(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = Scanner._record

    def slow_record(self: Scanner, *args: Any) -> Any:
        time.sleep(1.0)  # past scan_timeout_seconds
        return record(self, *args)

    monkeypatch.setattr(Scanner, "_record", slow_record)
    with open_ledger(sqlite_url(tmp_path / "ledger.sqlite3")) as ledger:
        daemon = slow_daemon(home, tmp_path, ledger, seconds=0)
        assert asyncio.run(daemon.run_once()) == 0
        (state,) = ledger.source_states()
        assert state.last_error is None
        assert state.wins == 1


def test_a_paused_source_is_told_to_system_targets_only(
    home: Path, tmp_path: Path, receiver: Receiver
) -> None:
    folder = tmp_path / "plugins"
    write_plugin(folder, "mine.py", DETECTORS)
    (home / "config.toml").write_text(
        textwrap.dedent(
            f"""
            plugins_dir = "{folder}"
            [notify]
            urls = ["json://127.0.0.1:9/celebrations-only",
                    {{ url = "{receiver.url}", tags = ["system"] }}]
            [sources.raises]
            detector = "raises"
            """
        )
    )
    paths = resolve_paths()
    config = load_config(paths.config_file)
    plugins = load_plugins(config.settings.plugins_dir, load_env="")
    sources = build_sources(config, plugins)
    with open_ledger(sqlite_url(paths.ledger_file)) as ledger:
        daemon = Daemon(paths, config, plugins, sources, ledger, load=lambda: (config, sources))
        for _ in range(4):
            asyncio.run(daemon.run_once())
    (message,) = receiver.wait_for(1)
    assert message["type"] == "warning"
    assert message["title"].endswith("Source raises is paused")
    assert "detector bug" in message["message"]


PLANNER = """
from datetime import UTC, datetime
from smallwins import Detector, DetectorOptions, RestDay, Win, hookimpl

class Options(DetectorOptions):
    ends_at: float

class Planner(Detector):
    name = "planner"
    noun = "session"
    Options = Options
    def scan(self, context):
        end = datetime.fromtimestamp(self.options.ends_at, UTC)
        context.save_cursor({"seen": True})
        context.set_rest_days([RestDay(context.local_day(end), "Vacation")])
        if context.now() >= end:
            yield Win(key="gym", title="Gym", occurred_at=end)
        else:
            context.scan_again_at(end)

@hookimpl
def register_detectors(register):
    register(Planner)
"""


def test_a_detector_is_woken_when_it_asks_and_rest_days_are_shown(
    home: Path, tmp_path: Path, receiver: Receiver
) -> None:
    import json
    import time

    from tests.cli_run import smallwins
    from tests.daemon_proc import DaemonProcess

    folder = tmp_path / "plugins"
    write_plugin(folder, "planner.py", PLANNER)
    # Far enough ahead that the daemon's first scan, on a busy machine too, comes before it.
    ends_at = time.time() + 6
    (home / "config.toml").write_text(
        textwrap.dedent(
            f"""
            plugins_dir = "{folder}"
            [notify]
            urls = ["{receiver.url}"]
            coalesce_seconds = 0
            [sources.gym]
            detector = "planner"
            ends_at = {ends_at}
            """
        )
    )
    daemon = DaemonProcess(home, tmp_path)
    try:
        (message,) = receiver.wait_for(1, timeout=15)
        assert message["received_at"] >= ends_at
        assert message["received_at"] - ends_at < 1.5
        assert "Gym" in message["message"]
        assert daemon.stop() == 0
    finally:
        daemon.close()
    report = json.loads(smallwins("status", "--json").stdout)
    (rest,) = report["sources"]["gym"]["rest_days"]
    assert rest["reason"] == "Vacation"
    listing = smallwins("wins").stdout.splitlines()
    assert any("Gym" in line for line in listing)
    assert any("rest day" in line and "Vacation" in line for line in listing)
    assert "rest days:" in smallwins("status").stdout
