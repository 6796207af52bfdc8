"""Reading the config file: TOML, the environment's overrides through pydantic-settings, and
every problem named by file, line and key with its fix."""

from __future__ import annotations

import os
import re
import stat
import tomllib
from pathlib import Path
from typing import Any, cast

from pydantic import ValidationError

from smallwins.config.problems import NOT_KEYS, describe, env_not_json, key_path, relevant
from smallwins.config.settings import Settings
from smallwins.errors import ConfigError
from smallwins.ledger.url import sqlite_url
from smallwins.paths import Paths


class Config:
    """Settings read from one file (which may not exist) plus where each key came from."""

    def __init__(
        self, settings: Settings, path: Path, text: str | None, warnings: list[str] | None = None
    ) -> None:
        self.settings = settings
        self.path = path
        self.text = text
        self.warnings = warnings or []

    @property
    def exists(self) -> bool:
        return self.text is not None

    def error(self, loc: tuple[str | int, ...], message: str) -> ConfigError:
        """A ConfigError naming the file, the line and the key."""
        return ConfigError(_where(self.path, self.text, loc) + message)


def _where(path: Path, text: str | None, loc: tuple[str | int, ...]) -> str:
    key = key_path(loc)
    names = [str(p) for p in loc if isinstance(p, str)]
    for depth in range(len(names), 0, -1):
        env = "SMALLWINS_" + "__".join(n.upper() for n in names[:depth])
        if env in os.environ:  # the environment overrides the file: blame the variable
            return f"${env}: {key}: "
    line = find_line(text or "", loc) if text is not None else None
    if line is not None:
        return f"{path}:{line}: {key}: " if key else f"{path}:{line}: "
    if key and text is not None:
        env = "SMALLWINS_" + "__".join(str(p).upper() for p in loc if isinstance(p, str))
        return f"{path}: {key} (or ${env}): "
    return f"{path}: {key}: " if key else f"{path}: "


def _table_path(header: str) -> list[str]:
    return [part.strip().strip("\"'") for part in header.split(".")]


def find_line(text: str, loc: tuple[str | int, ...]) -> int | None:
    """The 1-based line where the key at ``loc`` is set, or its table starts."""
    want = [str(part) for part in loc if isinstance(part, str)]
    table: list[str] = []
    best: tuple[int, int] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        header = re.fullmatch(r"\[\[?([^\]]+)\]\]?(\s*#.*)?", line)
        if header:
            table = _table_path(header[1])
            path = table
        else:
            match = re.match(r"([A-Za-z0-9_\-\".' ]+?)\s*=", line)
            if not match:
                continue
            path = table + _table_path(match[1])
        depth = 0
        while depth < min(len(path), len(want)) and path[depth] == want[depth]:
            depth += 1
        if depth == len(path) and depth > 0 and (best is None or depth > best[0]):
            best = (depth, number)
    return best[1] if best else None


def _toml_error(path: Path, text: str, exc: tomllib.TOMLDecodeError) -> str:
    """``file:line: what``; tomllib only puts the line in its message text."""
    message = str(exc)
    match = re.search(r"\s*\(at line (\d+), column \d+\)$", message)
    if match:
        line = int(match[1])
        message = message[: match.start()]
    else:
        line = max(1, len(text.splitlines()))
        message = re.sub(r"\s*\(at end of document\)$", " at the end of the file", message)
    return f"{path}:{line}: TOML syntax error: {message}"


def load_config(path: Path) -> Config:
    """Read and validate the config at ``path``; a missing file gives the defaults.

    Raises ConfigError with the file, the line and the key, and a hint.
    """
    text: str | None
    data: dict[str, Any] = {}
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        text = None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config: {exc.strerror}") from None
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{path}: the config is not UTF-8 text ({exc.reason})") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(
                _toml_error(path, text, exc)
                + "\nFix that line; `smallwins check-config` checks the file again."
            ) from None

    try:
        settings = Settings.model_validate(_merged(data, _environment(path)))
    except ValidationError as exc:
        raise _format_validation(path, text, exc) from None
    return Config(settings, path, text, _exposure(path) if text is not None else [])


def _exposure(path: Path) -> list[str]:
    """A warning when others may read the config: it may hold tokens and passwords."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return []
    if not mode & (stat.S_IRGRP | stat.S_IROTH):
        return []
    return [
        f"{path} is readable by others (mode {mode:o}) and may hold secrets; "
        f"fix with: chmod 600 {path}"
    ]


def _format_validation(path: Path, text: str | None, exc: ValidationError) -> ConfigError:
    lines = [
        _where(path, text, tuple(error["loc"])) + describe(error)
        for error in relevant(exc.errors())
    ]
    first = lines[0]
    if len(lines) > 1:
        first += f"\n({len(lines) - 1} more problem(s); `smallwins check-config` lists them all)"
    return ConfigError(first, lines)


def _sets_a_key(name: str) -> bool:
    upper = name.upper()
    if not upper.startswith("SMALLWINS_") or upper in NOT_KEYS:
        return False
    return upper.removeprefix("SMALLWINS_").split("__")[0].lower() in Settings.model_fields


def _environment(path: Path) -> dict[str, Any]:
    """The keys that ``SMALLWINS_...`` variables set, as pydantic-settings reads them (lists
    and tables as JSON, ``__`` into a table). Imported only when a variable sets a key: it
    is a good part of a short command's start (``smallwins done``)."""
    if not any(_sets_a_key(name) for name in os.environ):
        return {}
    from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsError

    source = EnvSettingsSource(
        cast(type[BaseSettings], Settings),
        env_prefix="SMALLWINS_",
        env_nested_delimiter="__",
        case_sensitive=False,
    )
    try:
        return source()
    except SettingsError as exc:
        raise _format_settings_error(path, exc) from None


def _merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over``'s keys over ``base``'s, table by table."""
    merged = dict(base)
    for key, value in over.items():
        below = merged.get(key)
        if isinstance(value, dict) and isinstance(below, dict):
            merged[key] = _merged(below, value)
        else:
            merged[key] = value
    return merged


def _format_settings_error(path: Path, exc: Exception) -> ConfigError:
    # pydantic-settings reads lists and tables from the environment as JSON, and names only
    # the top-level field when one is not: find the variable.
    match = re.search(r'field "([^"]+)"', str(exc))
    found = env_not_json(match[1]) if match else None
    if found is None:
        return ConfigError(f"{path}: {exc}")
    name, key = found
    return ConfigError(
        f"${name}: {key}: {os.environ[name]!r} is not JSON; lists and tables from the "
        """environment are written as JSON, like '["~/src/*"]' or '{"urls": []}'"""
    )


def ledger_url(paths: Paths, config: Config) -> str:
    """The configured ledger's URL; by default the file in the data folder."""
    return config.settings.ledger.url or sqlite_url(paths.ledger_file)
