"""Configured sources: a detector instance with its options, built from the config."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from smallwins.api.detector import Detector, SourceOffer
from smallwins.config import Config, InboxSettings, SourceSettings
from smallwins.config.problems import describe, relevant
from smallwins.errors import ConfigError
from smallwins.plugins.loader import Plugins, offers

log = logging.getLogger("smallwins.source")


@dataclass(slots=True)
class Source:
    name: str
    detector: Detector
    settings: SourceSettings
    # What it watches, in a few words, when the source is a default (there is no config).
    says: str = ""

    @property
    def detector_name(self) -> str:
        return self.detector.name

    @property
    def label(self) -> str:
        """How messages name this source: its ``label``, else its name written as a name."""
        return self.settings.label.strip() or default_label(self.name)

    def watch_paths(self) -> list[Path]:
        try:
            return [Path(p) for p in self.detector.watch_paths()]
        except Exception:  # a detector bug must not stop the watcher; the scan reports it
            return []


def default_label(name: str) -> str:
    """A source's name written as a name: "here" is "Here", "code-2" is "Code 2", "my_stuff"
    is "My Stuff"; a word with a capital in it is kept as it is ("GitHub")."""
    words = [w for w in re.split(r"[\s_-]+", name) if w]
    return " ".join(w if w != w.lower() else w[:1].upper() + w[1:] for w in words) or name


def build_sources(config: Config, plugins: Plugins) -> list[Source]:
    """An instance per enabled ``[sources.NAME]``, options validated by the detector's model."""
    sources = []
    for name, settings in config.settings.sources.items():
        if not settings.enabled:
            continue
        detector_cls = plugins.detectors.get(settings.detector)
        if detector_cls is None:
            known = ", ".join(sorted(plugins.detectors)) or "none are loaded"
            raise config.error(
                ("sources", name, "detector"),
                f"no detector {settings.detector!r} (known: {known}); "
                "`smallwins plugins` lists the installed ones",
            )
        try:
            options = detector_cls.Options(**settings.options())
        except ValidationError as exc:
            error = relevant(exc.errors())[0]
            loc = ("sources", name, *error["loc"])
            if error["type"] == "extra_forbidden":
                import difflib  # only for a typo: it is no small import

                fields = sorted(detector_cls.Options.model_fields)
                close = difflib.get_close_matches(str(loc[-1]), fields, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                known = ", ".join(fields) or "none"
                text = f"unknown key for the {settings.detector} detector; {hint}it knows: {known}"
            elif error["type"] == "missing":
                text = f"the {settings.detector} detector needs this key"
            else:
                text = describe(error)
            raise config.error(loc, text) from None
        try:
            detector = detector_cls(name, options)
        except Exception as exc:  # a plugin's constructor is plugin code: report, don't crash
            raise ConfigError(f"{config.path}: [sources.{name}]: {exc}") from None
        sources.append(Source(name, detector, settings))
    return sources


def configured_sources(config: Config, plugins: Plugins, cwd: Path) -> list[Source]:
    """The config's sources and the offers that are always there unless the config names
    them; with no config file, the defaults for ``cwd``."""
    if not config.exists:
        return default_sources(plugins, cwd)
    named = set(config.settings.sources)
    always = [o for o in offers(plugins, cwd, always_only=True) if o.name not in named]
    sources = build_sources(config, plugins) + _from_offers(plugins, always)
    known = named | {s.name for s in sources}
    for name, goal in config.settings.goals.items():
        unknown = [s for s in goal.sources if s not in known]
        if unknown and named:  # with no [sources] at all, a goal may name any
            raise config.error(
                ("goals", name, "sources"),
                f"no source {unknown[0]!r} (the sources: {', '.join(sorted(known))})",
            )
    return sources


def default_sources(plugins: Plugins, cwd: Path) -> list[Source]:
    """With no config file: what the detectors offer to watch in ``cwd`` (for the git
    detector, the repository we were started in). Empty when nothing is offered."""
    return _from_offers(plugins, [o for o in offers(plugins, cwd) if o.here or o.always])


def _from_offers(plugins: Plugins, chosen: list[SourceOffer]) -> list[Source]:
    sources: list[Source] = []
    for offer in chosen:
        if any(s.name == offer.name for s in sources):
            continue
        detector_cls = plugins.detectors[offer.detector]
        try:
            detector = detector_cls(offer.name, detector_cls.Options(**offer.options))
        except Exception as exc:  # a plugin's offer is plugin code: report it, skip it
            log.warning("cannot watch what the %s detector offers: %r", offer.detector, exc)
            continue
        settings = SourceSettings(detector=offer.detector)
        sources.append(Source(offer.name, detector, settings, offer.says))
    return sources


def inbox_problem(settings: InboxSettings, sources: list[Source]) -> str | None:
    """Why the inbox cannot hand wins to its source (for a config error), or None."""
    if not settings.listen:
        return None
    for source in sources:
        if source.name == settings.source:
            if source.detector.writable:
                return None
            return (
                f"the source {settings.source!r} is a {source.detector_name} source, which "
                "cannot take written wins: name a journal source"
            )
    known = ", ".join(s.name for s in sources) or "none"
    return f"no source {settings.source!r} to take the inbox's wins (the sources: {known})"
