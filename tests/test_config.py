from __future__ import annotations

import os
from pathlib import Path

import pytest

from smallwins.config import find_line, load_config
from smallwins.errors import ConfigError
from tests.cli_run import smallwins


def check(home: Path, text: str) -> tuple[int, str]:
    (home / "config.toml").write_text(text)
    done = smallwins("check-config", env=dict(os.environ))
    return done.returncode, done.stdout + done.stderr


def test_a_good_config_passes(home: Path) -> None:
    code, out = check(
        home,
        '[notify]\nurls = ["json://127.0.0.1:9/hook"]\n[sources.code]\ndetector = "git"\n'
        'repos = ["~/src/*"]\n',
    )
    assert code == 0, out
    assert "ok, 2 sources, 1 notification targets" in out  # the config's and the journal


def test_typo_in_a_top_level_table_names_file_line_and_key(home: Path) -> None:
    code, out = check(home, '[notify]\nquiet_hourz = "22:00-07:00"\n')
    assert code == 78
    assert f"{home / 'config.toml'}:2: notify.quiet_hourz: unknown key" in out
    assert "Traceback" not in out


def test_typo_in_a_source_names_the_source_and_the_detector_keys(home: Path) -> None:
    code, out = check(home, '\n[sources.code]\ndetector = "git"\nrepo = ["~/src/x"]\n')
    assert code == 78
    assert f"{home / 'config.toml'}:4: sources.code.repo: unknown key for the git detector" in out
    assert "repos" in out


def test_wrong_type_names_the_key(home: Path) -> None:
    code, out = check(home, '[notify]\ncoalesce_seconds = "soon"\n')
    assert code == 78
    assert "config.toml:2: notify.coalesce_seconds" in out
    assert "notify.coalesce_seconds: 'soon' is not a number" in out


def test_toml_syntax_error_names_the_file_and_line(home: Path) -> None:
    code, out = check(home, '[notify]\nurls = ["json://x"\n')
    assert code == 78
    assert f"{home / 'config.toml'}:2: TOML syntax error: Unclosed array" in out


def test_unknown_detector_lists_the_known_ones(home: Path) -> None:
    code, out = check(home, '[sources.x]\ndetector = "gti"\n')
    assert code == 78
    assert "no detector 'gti'" in out and "git" in out


def test_secrets_from_env_and_file(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret_file = home / "token"
    secret_file.write_text("json://127.0.0.1:9/from-file\n")
    monkeypatch.setenv("HOOK_URL", "json://127.0.0.1:9/from-env")
    path = home / "config.toml"
    path.write_text(
        f'[notify]\nurls = [{{ env = "HOOK_URL" }}, {{ url = {{ file = "{secret_file}" }}, '
        'tags = ["system"] }]\n'
    )
    urls = load_config(path).settings.notify.urls
    assert [u.url.get_secret_value() for u in urls] == [
        "json://127.0.0.1:9/from-env",
        "json://127.0.0.1:9/from-file",
    ]
    assert urls[1].tags == ("system",)
    monkeypatch.delenv("HOOK_URL")
    with pytest.raises(ConfigError, match="HOOK_URL is not set"):
        load_config(path)


def test_environment_overrides_the_file(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = home / "config.toml"
    path.write_text('timezone = "Europe/Berlin"\n[notify]\ncoalesce_seconds = 2\n')
    monkeypatch.setenv("SMALLWINS_NOTIFY__COALESCE_SECONDS", "0.5")
    settings = load_config(path).settings
    assert settings.notify.coalesce_seconds == 0.5
    assert settings.timezone == "Europe/Berlin"


def test_find_line_walks_tables_and_dotted_keys() -> None:
    text = 'a = 1\n[sources.code]\ndetector = "git"\nrepos = []\n[notify]\nurls = []\n'
    assert find_line(text, ("sources", "code", "repos")) == 4
    assert find_line(text, ("sources", "code", "nope")) == 2
    assert find_line(text, ("notify", "urls", 0)) == 6
    assert find_line(text, ("a",)) == 1


def test_check_config_lists_every_problem(home: Path) -> None:
    code, out = check(home, 'log_level = "LOUD"\n[notify]\nplain = "maybe"\nurlz = []\n')
    assert code == 78
    lines = [line for line in out.splitlines() if line.startswith("smallwins: ")]
    assert len(lines) == 3, out
    assert "notify.urlz: unknown key" in lines[0]


def test_a_bad_environment_value_names_the_variable(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = home / "config.toml"
    path.write_text('log_level = "INFO"\n')
    monkeypatch.setenv("SMALLWINS_LOG_LEVEL", "LOUD")
    with pytest.raises(ConfigError, match=r"\$SMALLWINS_LOG_LEVEL: log_level"):
        load_config(path)
