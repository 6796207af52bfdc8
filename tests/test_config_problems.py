"""Every config error that reaches a person speaks smallwins: the key path, the bad value and
what the key takes, never pydantic's names for its own types."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from smallwins.config import load_config
from smallwins.errors import ConfigError
from smallwins.plugins.source import configured_sources
from smallwins.testing import load
from tests.cli_run import smallwins


@pytest.fixture(autouse=True)
def file_keys_alone(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file's own [notify] keys: ``home`` sets quiet hours from the environment, which
    would stand over them."""
    monkeypatch.delenv("SMALLWINS_NOTIFY__QUIET_HOURS")


PYDANTIC_WORDS = ("Input should", "valid dictionary", "instance of", "after validation", "Tuple")

# (what config.toml says, the first problem after "config.toml:LINE: ")
BAD_VALUES = [
    ('reconcile_minutes = "ten"', "1: reconcile_minutes: 'ten' is not a number"),
    ("reconcile_minutes = 0", "1: reconcile_minutes: 0 is too small: it must be more than 0"),
    ("reconcile_minutes = -1.5", "1: reconcile_minutes: -1.5 is too small: it must be more than 0"),
    ('log_level = "LOUD"', "1: log_level: 'LOUD' is not one of 'DEBUG', 'INFO', 'WARNING' or"),
    ('watcher = "poll"', "1: watcher: 'poll' is not one of 'auto', 'inotify' or 'watchfiles'"),
    ("timezone = 5", "1: timezone: 5 is not text; write it in quotes"),
    ('day_starts_at = "4am"', "1: day_starts_at: '4am' is not a time like 07:30"),
    ('digest_at = "25:00"', "1: digest_at: '25:00' is not a time like 07:30"),
    ('disabled_plugins = "git"', "1: disabled_plugins: 'git' is not a list; write it as"),
    ("disabled_plugins = [1]", "1: disabled_plugins[0]: 1 is not text; write it in quotes"),
    ("plugins_dir = 5", "1: plugins_dir: 5 is not a path; write it in quotes"),
    ("sources = 3", "1: sources: 3 is not a table; write it as [name]"),
    ("notify = 5", "1: notify: 5 is not a table; write it as [name]"),
    ('[notify]\nplain = "maybe"', "2: notify.plain: 'maybe' is not true or false"),
    (
        "[notify]\ncoalesce_seconds = 500",
        "2: notify.coalesce_seconds: 500 is too large: it must be at most 120",
    ),
    ("[notify]\nretry_max_seconds = 0", "2: notify.retry_max_seconds: 0 is too small"),
    ('[notify]\nquiet_hours = "22"', "2: notify.quiet_hours: '22' is not a time like 07:30"),
    ("[notify]\nquiet_hours = 22", "2: notify.quiet_hours: '22' is not a time like 07:30"),
    (
        '[notify]\nquiet_hours = "22:00"',
        "2: notify.quiet_hours: '22:00' is not a range like 22:00-07:30",
    ),
    (
        '[notify]\nquiet_hours = { start = "x", end = "07:30" }',
        "2: notify.quiet_hours.start: 'x' is not a time like 07:30",
    ),
    ("[notify]\nurls = 5", '2: notify.urls: 5 is not a list; write it as ["..."]'),
    ("[notify]\nurls = [5]", "2: notify.urls[0]: 5 is not a table"),
    (
        '[notify]\nurls = [{ url = "json://x", tags = "celebration" }]',
        "2: notify.urls[0].tags: 'celebration' is not a list",
    ),
    (
        '[notify]\nurls = [{ url = "json://x", tags = ["party"] }]',
        "2: notify.urls[0].tags: unknown tag 'party'; tags are celebration,",
    ),
    ("[ledger]\nurl = 5", "2: ledger.url: 5 is not text; write it in quotes"),
    ("[templates]\ncelebration = []", "2: templates.celebration: [] is too short: it needs"),
    (
        '[templates]\ncelebration = [{ title = "", body = "b" }]',
        "2: templates.celebration[0].title: '' is too short: it needs at least 1 character",
    ),
    ('[goals.g]\nsources = ["s"]\nper = "month"', "3: goals.g.per: 'month' is not one of"),
    ('[goals.g]\nsources = ["s"]\ntarget = "lots"', "3: goals.g.target: 'lots' is not a number"),
    ('[goals.g]\nsources = ["s"]\ngrace_days = 1.5', "3: goals.g.grace_days: 1.5 is not a whole"),
    ('[goals.g]\nsources = ["s"]\ngrace_days = 9', "3: goals.g.grace_days: 9 is too large: it"),
    ('[goals.g]\nsources = ["s"]\nsetbacks = "no way"', "3: goals.g.setbacks: 'no way' is not"),
    ("[goals.g]\nsources = []", "2: goals.g.sources: [] is too short: it needs at least 1 item"),
    ('[notify]\nurlz = ["json://x"]', "2: notify.urlz: unknown key; check its spelling"),
]


@pytest.mark.parametrize(("text", "said"), BAD_VALUES, ids=[t for t, _ in BAD_VALUES])
def test_a_bad_value_is_named_with_what_the_key_takes(home: Path, text: str, said: str) -> None:
    path = home / "config.toml"
    path.write_text(text + "\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    first = caught.value.problems[0]
    assert first.startswith(f"{path}:{said}"), first
    for problem in caught.value.problems:
        assert not any(words in problem for words in PYDANTIC_WORDS), problem


# (the detector's options in [sources.code], the problem after "sources.code.")
BAD_OPTIONS = [
    ('repos = ["/tmp"]\ninclude_merges = "maybe"', "include_merges: 'maybe' is not true or false"),
    ("repos = 5", "repos: 5 is not a list"),
    ("repos = []", "repos: [] is too short: it needs at least 1 item"),
    ('repos = ["/tmp"]\nauthors = ["me"]', "authors: 'me' is not an email address"),
]


@pytest.mark.parametrize(("text", "said"), BAD_OPTIONS, ids=[t for t, _ in BAD_OPTIONS])
def test_a_bad_detector_option_is_named_with_what_it_takes(
    home: Path, text: str, said: str
) -> None:
    path = home / "config.toml"
    path.write_text(f'[sources.code]\ndetector = "git"\n{text}\n')
    config = load_config(path)
    with pytest.raises(ConfigError) as caught:
        configured_sources(config, load("git"), home)
    message = str(caught.value)
    assert f": sources.code.{said}" in message, message
    assert not any(words in message for words in PYDANTIC_WORDS), message


# (the variable, its value, the problem)
BAD_ENVIRONMENT = [
    (
        "SMALLWINS_NOTIFY__QUIET_HOURS",
        "22",
        "$SMALLWINS_NOTIFY__QUIET_HOURS: notify.quiet_hours: '22' is not a time like 07:30",
    ),
    (
        "SMALLWINS_RECONCILE_MINUTES",
        "ten",
        "$SMALLWINS_RECONCILE_MINUTES: reconcile_minutes: 'ten' is not a number",
    ),
    (
        "SMALLWINS_NOTIFY__URLS",
        "json://127.0.0.1/x",
        "$SMALLWINS_NOTIFY__URLS: notify.urls: 'json://127.0.0.1/x' is not JSON; lists and",
    ),
    (
        "SMALLWINS_DISABLED_PLUGINS",
        "git",
        "$SMALLWINS_DISABLED_PLUGINS: disabled_plugins: 'git' is not JSON",
    ),
]


@pytest.mark.parametrize(
    ("name", "value", "said"), BAD_ENVIRONMENT, ids=[n for n, *_ in BAD_ENVIRONMENT]
)
def test_a_bad_environment_override_names_the_variable_and_value(
    home: Path, name: str, value: str, said: str
) -> None:
    (home / "config.toml").write_text('[notify]\nquiet_hours = "22:00-07:30"\n')
    done = smallwins("check-config", env={**os.environ, name: value})
    assert done.returncode == 78, done.stderr
    assert done.stderr.startswith(f"smallwins: {said}"), done.stderr
    assert not any(words in done.stderr for words in PYDANTIC_WORDS), done.stderr
