"""What check-config rejects fails every command that meets it, with exit 78 and the error
first; what only this machine lacks stays a warning with its fix."""

from __future__ import annotations

import importlib.util
import json
import os
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.cli_run import smallwins
from tests.conftest import Repo
from tests.receiver import Receiver


def env(**extra: str) -> dict[str, str]:
    return {**os.environ, **extra}


def test_an_unknown_url_scheme_is_a_config_error(home: Path, receiver: Receiver) -> None:
    config = home / "config.toml"
    config.write_text(f'[notify]\nurls = [\n  "{receiver.url}",\n  "nosuchscheme://x",\n]\n')
    checked = smallwins("check-config", env=env())
    assert checked.returncode == 78, checked.stderr
    assert (
        f"smallwins: {config}:2: notify.urls[1]: Apprise knows no nosuchscheme:// URLs"
        in checked.stderr
    )
    run = smallwins("run", "--once", env=env())
    assert run.returncode == 78, run.stderr
    assert "notify.urls[1]: Apprise knows no nosuchscheme://" in run.stderr
    assert "Traceback" not in run.stderr + checked.stderr


def test_a_web_address_apprise_knows_no_service_at_is_a_config_error(home: Path) -> None:
    (home / "config.toml").write_text('[notify]\nurls = ["https://example.com/hook"]\n')
    for args in (("check-config",), ("run", "--once")):
        done = smallwins(*args, env=env())
        assert done.returncode == 78, (args, done.stderr)
        assert "notify.urls[0]: Apprise knows no service at this https:// address" in done.stderr
        assert "jsons://" in done.stderr


def test_a_known_scheme_without_its_library_stays_a_warning(home: Path) -> None:
    if importlib.util.find_spec("dbus") is not None:
        pytest.skip("dbus-python is installed here, so dbus:// loads")
    (home / "config.toml").write_text('[notify]\nurls = ["dbus://"]\n')
    checked = smallwins("check-config", env=env())
    assert checked.returncode == 0, checked.stderr
    assert "warning: notify target target-1: dbus:// cannot load here" in checked.stderr
    assert "pip install 'smallwins[desktop]'" in checked.stderr
    assert smallwins("run", "--once", env=env()).returncode == 0


def _broken_plugin(home: Path) -> Path:
    folder = home / "plugins"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    broken = folder / "broken.py"
    broken.write_text("import no_such_module_here\n")
    broken.chmod(0o644)
    (home / "config.toml").write_text(f'plugins_dir = "{folder}"\n')
    return broken


def test_a_plugin_that_fails_to_load_fails_check_config_run_and_plugins(home: Path) -> None:
    broken = _broken_plugin(home)
    checked = smallwins("check-config", env=env())
    assert checked.returncode == 78, checked.stderr
    assert checked.stderr.startswith(
        f"smallwins: plugin local:broken: failed to load ({broken}): ModuleNotFoundError"
    ), checked.stderr
    assert "disabled_plugins" in checked.stderr
    run = smallwins("run", "--once", env=env())
    assert run.returncode == 78, run.stderr
    assert "smallwins: plugin local:broken: failed to load" in run.stderr
    listed = smallwins("plugins", env=env())
    assert listed.returncode == 78
    assert "local:broken: FAILED" in listed.stdout and "git: detectors git" in listed.stdout
    rows = smallwins("plugins", "--json", env=env())
    assert rows.returncode == 78
    assert any(row["name"] == "local:broken" and row["error"] for row in json.loads(rows.stdout))


def test_a_refused_plugin_fails_check_config(home: Path) -> None:
    broken = _broken_plugin(home)
    broken.write_text("x = 1\n")
    broken.chmod(0o666)
    checked = smallwins("check-config", env=env())
    assert checked.returncode == 78, checked.stderr
    assert f"chmod go-w {broken}" in checked.stderr


def test_status_with_an_invalid_config_prints_the_error_first_then_exits_78(home: Path) -> None:
    config = home / "config.toml"
    config.write_text('[notify]\nplain = "maybe"\n')
    done = smallwins("status", env=env())
    assert done.returncode == 78
    assert done.stderr == f"smallwins: {config}:2: notify.plain: 'maybe' is not true or false\n"
    assert done.stdout.startswith("daemon: not running\n")
    as_json = smallwins("status", "--json", env=env())
    assert as_json.returncode == 78
    assert "is not true or false" in json.loads(as_json.stdout)["config_error"]


def test_status_shows_times_in_the_persons_zone_to_the_second(home: Path, repo: Repo) -> None:
    repo.commit("First thing")
    (home / "config.toml").write_text(
        f'timezone = "Asia/Kathmandu"\n[sources.code]\ndetector = "git"\nrepos = ["{repo.path}"]\n'
    )
    assert smallwins("run", "--once", env=env()).returncode == 0
    report = json.loads(smallwins("status", "--json", env=env()).stdout)
    assert report["timezone"] == "Asia/Kathmandu"
    scanned = datetime.fromisoformat(report["sources"]["code"]["last_scan"])
    local = scanned.astimezone(ZoneInfo("Asia/Kathmandu")).strftime("%Y-%m-%d %H:%M:%S")
    text = smallwins("status", env=env()).stdout
    assert f"code (git): 1 wins, last scan {local} +0545\n" in text, text
    assert not re.search(r"\d\d:\d\d:\d\d\.\d", text)


@pytest.mark.parametrize(
    ("source", "said"),
    [
        ('detector = "gti"', "2: sources.code.detector: no detector 'gti' (known: "),
        (
            'detector = "git"\nrepo = ["~/src"]',
            "3: sources.code.repo: unknown key for the git detector; did you mean 'repos'?",
        ),
        ('detector = "git"\nrepos = []', "3: sources.code.repos: [] is too short"),
    ],
)
def test_status_reports_what_check_config_rejects_in_a_source(
    home: Path, source: str, said: str
) -> None:
    config = home / "config.toml"
    config.write_text(f"[sources.code]\n{source}\n")
    checked = smallwins("check-config", env=env())
    assert checked.returncode == 78
    done = smallwins("status", "--json", env=env())
    assert done.returncode == 78
    report = json.loads(done.stdout)
    assert report["config_error"].startswith(f"{config}:{said}"), report["config_error"]
    assert checked.stderr.startswith(f"smallwins: {report['config_error']}")
    assert report["sources"]["code"]["wins"] == 0  # the rest of the report is still there


def test_status_reports_a_plugin_that_failed_to_load(home: Path) -> None:
    _broken_plugin(home)
    done = smallwins("status", "--json", env=env())
    assert done.returncode == 78
    assert json.loads(done.stdout)["config_error"].startswith("plugin local:broken: failed")
    assert done.stderr.startswith("smallwins: plugin local:broken: failed to load")
    assert done.stderr.count("local:broken") == 1, done.stderr


def test_run_once_refuses_a_url_apprise_cannot_read(home: Path) -> None:
    (home / "config.toml").write_text('[notify]\nurls = ["json://"]\n')
    done = smallwins("run", "--once", env=env())
    assert done.returncode == 78, done.stderr
    assert "notify.urls[0]: Apprise does not accept this json:// URL" in done.stderr
