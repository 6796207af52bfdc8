"""The configuration's keys: every table and value, with their defaults and checks."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

from smallwins.api.goal import Celebrate, GoalSettings
from smallwins.ledger.url import check_url, sqlite_url

TARGET_TAGS = ("celebration", "setback", "digest", "system")


def resolve_secret(value: Any, where: str) -> Any:
    """Turn ``{ env = "NAME" }`` or ``{ file = "path" }`` into the secret's text."""
    if not isinstance(value, dict) or set(value) not in ({"env"}, {"file"}):
        return value
    if "env" in value:
        name = str(value["env"])
        if name not in os.environ:
            raise ValueError(f"{where}: the environment variable {name} is not set")
        return os.environ[name]
    path = Path(str(value["file"])).expanduser()
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ValueError(f"{where}: cannot read the secret file {path}: {exc.strerror}") from None


# Apprise's schemes that show a notification on this machine's screen.
DESKTOP_SCHEMES = frozenset(
    {"desktop", "dbus", "kde", "qt", "glib", "gnome", "macosx", "windows", "terminal"}
)


class Target(BaseModel):
    """One Apprise URL with the tags that choose which moments it gets."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: SecretStr
    tags: tuple[str, ...] = ()
    name: str = ""
    # The weekly digest's picture, to a target whose service takes attachments.
    pictures: bool = True
    # On a shared ledger: "local" gets this machine's live celebrations, "shared" the
    # person's moments, told by the lead. Unset: local for a desktop, shared for the rest.
    scope: Literal["local", "shared"] | None = None

    @field_validator("url", mode="before")
    @classmethod
    def _secret(cls, value: Any) -> Any:
        return resolve_secret(value, "url")

    @field_validator("tags")
    @classmethod
    def _known_tags(cls, tags: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [t for t in tags if t not in TARGET_TAGS]
        if unknown:
            raise ValueError(f"unknown tag {unknown[0]!r}; tags are {', '.join(TARGET_TAGS)}")
        return tags

    @property
    def reach(self) -> str:
        """The scope given, or the one its scheme implies."""
        if self.scope is not None:
            return self.scope
        scheme = self.url.get_secret_value().partition("://")[0].lower()
        return "local" if scheme in DESKTOP_SCHEMES else "shared"

    def wants(self, category: str) -> bool:
        """Untagged targets get everything but ``system``; tagged ones get their tags."""
        if not self.tags:
            return category != "system"
        return category in self.tags


class QuietHours(BaseModel):
    model_config = ConfigDict(frozen=True)

    start: time
    end: time

    def contains(self, local: datetime) -> bool:
        now = local.time().replace(tzinfo=None)
        if self.start <= self.end:
            return self.start <= now < self.end
        return now >= self.start or now < self.end

    def ends_after(self, local: datetime) -> datetime:
        """When the quiet hours around ``local`` end (an aware local datetime)."""
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if end <= local:
            end += timedelta(days=1)
        return end


def _parse_hhmm(text: str) -> time:
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", text)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f"{text!r} is not a time like 07:30")
    return time(int(match[1]), int(match[2]))


class LedgerSettings(BaseModel):
    """``[ledger]``: where wins, cursors and the outbox are kept."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Empty: the file in the data folder.
    url: str = ""
    # On a shared ledger: how long the lead's lease lasts unless renewed (a third of it
    # between renewals), so how soon another machine takes over from a lead that is gone.
    lease_seconds: float = Field(30.0, ge=1, le=3600)

    @field_validator("url")
    @classmethod
    def _scheme(cls, value: str) -> str:
        return check_url(value) if value else value


class NotifySettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    urls: tuple[Target, ...] = ()
    # Moments not made by a win just now wait for the morning; "" turns them off.
    quiet_hours: QuietHours | None = QuietHours(start=time(22), end=time(7, 30))
    quiet_hours_hold: Literal["coaching", "all"] = "coaching"
    coalesce_seconds: float = Field(0.4, ge=0, le=120)
    plain: bool = False
    retry_initial_seconds: float = Field(5.0, gt=0)
    retry_max_seconds: float = Field(900.0, gt=0)
    send_timeout_seconds: float = Field(30.0, gt=0)
    # The weekly digest's picture, for every target (each can also turn it off for itself).
    pictures: bool = True

    @field_validator("urls", mode="before")
    @classmethod
    def _targets(cls, value: Any) -> Any:
        if isinstance(value, str | dict):
            value = [value]
        if not isinstance(value, list | tuple):
            return value
        targets = []
        for index, item in enumerate(value):
            item = resolve_secret(item, f"urls[{index}]")
            if isinstance(item, str):
                item = {"url": item}
            if isinstance(item, dict) and not item.get("name"):
                item = {**item, "name": f"target-{index + 1}"}
            targets.append(item)
        return targets

    @field_validator("quiet_hours", mode="before")
    @classmethod
    def _quiet(cls, value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            # From the environment, pydantic-settings reads "22" as the JSON number 22.
            value = str(value)
        if isinstance(value, str):
            if not value.strip():
                return None
            start, sep, end = value.partition("-")
            if not sep:
                _parse_hhmm(start)
                raise ValueError(f"{value!r} is not a range like 22:00-07:30")
            return {"start": _parse_hhmm(start), "end": _parse_hhmm(end)}
        return value


class InboxSettings(BaseModel):
    """``[inbox]``: wins sent by HTTP (POST /wins) from a phone or a tool; off when ``listen``
    is empty."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    listen: str = ""
    token: SecretStr | None = None
    # The source that takes the wins: a writable one (the journal).
    source: str = "journal"
    cert: Path | None = None
    key: Path | None = None
    allow_plain_http: bool = False
    max_bytes: int = Field(16 * 1024, ge=256, le=1024 * 1024)
    per_minute: int = Field(60, ge=1, le=10_000)

    @field_validator("token", mode="before")
    @classmethod
    def _secret(cls, value: Any) -> Any:
        return resolve_secret(value, "token")

    @field_validator("listen")
    @classmethod
    def _address(cls, value: str) -> str:
        if value:
            listen_address(value)
        return value

    @field_validator("cert", "key")
    @classmethod
    def _readable(cls, value: Path | None) -> Path | None:
        if value is not None:
            value = value.expanduser()
            if not value.is_file():
                raise ValueError(f"{value} is not a file: give the path of a PEM file")
        return value

    @model_validator(mode="after")
    def _secure(self) -> InboxSettings:
        if not self.listen:
            return self
        token = self.token.get_secret_value() if self.token else ""
        if len(token) < 16:
            raise ValueError(
                "the inbox needs a token of at least 16 characters: "
                'token = { env = "SMALLWINS_INBOX_TOKEN" }, with one made by '
                "`python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`"
            )
        if (self.cert is None) != (self.key is None):
            raise ValueError("TLS needs both cert and key (PEM files)")
        host, _ = listen_address(self.listen)
        if not is_loopback(host) and self.cert is None and not self.allow_plain_http:
            raise ValueError(
                f"listen = {self.listen!r} is reachable from other machines, and the token "
                "would cross the network in plain text: set cert and key (TLS), or "
                "allow_plain_http = true behind a TLS proxy or on a private network "
                "(Tailscale), or listen on 127.0.0.1"
            )
        return self

    @property
    def tls(self) -> bool:
        return self.cert is not None


def listen_address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8765`` for IPv6) as a host and a port; a ValueError saying how
    to write it."""
    host, sep, port = text.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port.isdigit() or not int(port) < 65536:
        raise ValueError(f"{text!r} is not an address and port: write it as 127.0.0.1:8765")
    return host, int(port)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SourceSettings(BaseModel):
    """A ``[sources.NAME]`` table: the detector, two common keys, and the detector's options."""

    model_config = ConfigDict(extra="allow", frozen=True)

    detector: str
    private: bool = False
    enabled: bool = True
    # How messages name the source; empty: its name written as a name (see ``Source.label``).
    label: str = ""

    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class TemplateVariant(BaseModel):
    """One wording of a kind of moment: ``{ title = "...", body = "..." }``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1)
    body: str = Field(min_length=1)


class Settings(BaseModel):
    """The whole config: the file's keys, with the environment's over them (loading.py)."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    timezone: str = ""
    day_starts_at: time = time(4, 0)
    plugins_dir: Path | None = None
    disabled_plugins: tuple[str, ...] = ()
    ledger: LedgerSettings = LedgerSettings()
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    reconcile_minutes: float = Field(5.0, gt=0)
    watcher: Literal["auto", "inotify", "watchfiles"] = "auto"
    scan_timeout_seconds: float = Field(120.0, gt=0)
    notify: NotifySettings = NotifySettings()
    inbox: InboxSettings = InboxSettings()
    sources: dict[str, SourceSettings] = {}
    goals: dict[str, GoalSettings] = {}
    # Every goal's ``celebrate`` unless the goal says otherwise.
    celebrate: Celebrate = "auto"
    digest: Literal["off", "auto", "daily", "weekly", "both"] = "auto"
    digest_at: time = time(20, 30)
    # At most one insight a month across goals ("On days with sits, ..."); false: none.
    insights: bool = True
    templates: dict[str, Annotated[tuple[TemplateVariant, ...], Field(min_length=1)]] = {}
    # The report page the daemon keeps current ("~/smallwins.html"); none when empty.
    report: Path | None = None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        if value:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(
                    f"unknown time zone {value!r}; use a name like Europe/Berlin"
                ) from None
        return value

    @field_validator("ledger", mode="before")
    @classmethod
    def _ledger_path(cls, value: Any) -> Any:
        # The older form, ``ledger = "PATH"`` at the top level, names a SQLite file.
        return {"url": sqlite_url(value)} if isinstance(value, str | Path) else value

    @field_validator("day_starts_at", "digest_at", mode="before")
    @classmethod
    def _clock(cls, value: Any) -> Any:
        return _parse_hhmm(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _names(self) -> Settings:
        for table, names in (("source", self.sources), ("goal", self.goals)):
            for name in names:
                if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
                    raise ValueError(
                        f"{table} name {name!r} may hold only letters, digits, - and _"
                    )
        # Whether a goal's sources exist is checked with the sources (plugins/source.py): a
        # plugin's source that is always there (the journal) is not in this table.
        return self

    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone) if self.timezone else system_timezone()


def system_timezone() -> ZoneInfo:
    """The system's zone by name (so DST is right), UTC when it cannot be told."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text().strip())
    try:
        target = str(Path("/etc/localtime").resolve())
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    except OSError:
        pass
    for name in candidates:
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")
