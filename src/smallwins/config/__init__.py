"""The configuration: its keys (``settings``) and reading them from the file (``loading``)."""

from smallwins.config.loading import Config, find_line, ledger_url, load_config
from smallwins.config.settings import (
    TARGET_TAGS,
    InboxSettings,
    LedgerSettings,
    NotifySettings,
    QuietHours,
    Settings,
    SourceSettings,
    Target,
    TemplateVariant,
    resolve_secret,
    system_timezone,
)

__all__ = [
    "TARGET_TAGS",
    "Config",
    "InboxSettings",
    "LedgerSettings",
    "NotifySettings",
    "QuietHours",
    "Settings",
    "SourceSettings",
    "Target",
    "TemplateVariant",
    "find_line",
    "ledger_url",
    "load_config",
    "resolve_secret",
    "system_timezone",
]
