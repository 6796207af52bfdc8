"""Finding and loading plugins: entry points, a plugins_dir of bare .py files, isolation."""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.metadata
import importlib.util
import logging
import os
import sys
import time
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pluggy

from smallwins.api import hookspecs
from smallwins.api.detector import Detector, SourceOffer
from smallwins.api.rules import Rule
from smallwins.api.wording import Templates
from smallwins.plugins.safety import UnsafePath, check_path, read_trusted

log = logging.getLogger("smallwins.plugins")

ENTRY_POINT_GROUP = "smallwins"
LOCAL_PREFIX = "local:"


@dataclass(slots=True)
class PluginFailure:
    """A plugin that could not be loaded or whose hook raised."""

    plugin: str
    message: str


@dataclass(slots=True)
class Plugins:
    """The loaded plugin manager plus what went wrong while loading."""

    manager: pluggy.PluginManager
    failures: list[PluginFailure] = field(default_factory=list)
    detectors: dict[str, type[Detector]] = field(default_factory=dict)
    detector_plugin: dict[str, str] = field(default_factory=dict)
    rules: list[tuple[str, Rule]] = field(default_factory=list)
    templates: Templates = field(default_factory=Templates)
    trace: bool = False

    def plugin_names(self) -> list[str]:
        return sorted(name for name, plugin in self.manager.list_name_plugin() if plugin)


def _allowed(env: str | None) -> set[str] | None:
    if env is None:
        return None
    return {name.strip() for name in env.split(",") if name.strip()}


class _CheckedSource(importlib.abc.Loader):
    """Runs a plugin file from the source that was checked, never from cached bytecode."""

    def __init__(self, path: Path, source: bytes) -> None:
        self.path = path
        self.source = source

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        code = compile(self.source, str(self.path), "exec", dont_inherit=True)
        exec(code, module.__dict__)


def load_plugins(
    plugins_dir: Path | None = None,
    disabled: Iterable[str] = (),
    *,
    load_env: str | None = None,
    trace: bool | None = None,
    uid: int | None = None,
) -> Plugins:
    """Build the plugin manager and load every plugin, each on its own.

    ``load_env`` is the value of ``SMALLWINS_LOAD_PLUGINS`` (read from the environment when not
    given): a comma list of installed plugins to load, or empty for none of them. Files of a
    ``plugins_dir`` load only when safe for the user ``uid`` (this process's by default) to run.
    """
    if load_env is None:
        load_env = os.environ.get("SMALLWINS_LOAD_PLUGINS")
    if trace is None:
        trace = os.environ.get("SMALLWINS_TRACE_PLUGINS", "") not in ("", "0")
    allowed = _allowed(load_env)
    disabled_set = set(disabled)

    def wanted(name: str) -> bool:
        # SMALLWINS_LOAD_PLUGINS picks among installed plugins; a plugins_dir is chosen in the
        # config itself, so only disabled_plugins applies to its files.
        bare = name.removeprefix(LOCAL_PREFIX)
        if name in disabled_set or bare in disabled_set:
            return False
        return allowed is None or name.startswith(LOCAL_PREFIX) or name in allowed

    pm = pluggy.PluginManager("smallwins")
    pm.add_hookspecs(hookspecs)
    plugins = Plugins(pm)

    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if not wanted(ep.name) or pm.has_plugin(ep.name):
            continue
        try:
            pm.register(ep.load(), name=ep.name)
        except Exception as exc:  # a broken plugin must not stop the others from loading
            _failed(plugins, ep.name, f"failed to load ({ep.value}): {exc!r}")

    if plugins_dir is not None:
        owner = os.geteuid() if uid is None else uid
        _load_dir(plugins, Path(plugins_dir).expanduser(), wanted, owner)

    while True:  # check_pending names one plugin at a time
        try:
            pm.check_pending()
        except pluggy.PluginValidationError as exc:
            name = pm.get_name(exc.plugin) or "?"
            pm.unregister(exc.plugin)
            _failed(plugins, name, f"unknown hook: {exc}")
        else:
            break

    if trace:
        plugins.trace = True
        _enable_tracing(pm)
    _collect_detectors(plugins)
    _collect_rules(plugins)
    return plugins


def _failed(plugins: Plugins, name: str, message: str) -> None:
    log.warning("plugin %s: %s", name, message)
    plugins.failures.append(PluginFailure(name, message))


def _load_dir(plugins: Plugins, directory: Path, wanted: Callable[[str], bool], uid: int) -> None:
    if not directory.is_dir():
        _failed(plugins, str(directory), "plugins_dir is not a folder")
        return
    try:
        check_path(directory, uid)
    except UnsafePath as exc:
        _failed(plugins, str(directory), f"refused: {exc}")
        return
    for path in sorted(directory.glob("*.py")):
        name = LOCAL_PREFIX + path.stem
        if path.name.startswith("_") or not wanted(name):
            continue
        try:
            resolved, source = read_trusted(path, uid)
        except UnsafePath as exc:
            _failed(plugins, name, f"refused: {exc}")
            continue
        except OSError as exc:
            _failed(plugins, name, f"cannot read {path}: {exc.strerror}")
            continue
        module_name = f"smallwins_local.{path.stem}"
        loader = _CheckedSource(resolved, source)
        spec = importlib.util.spec_from_loader(module_name, loader, origin=str(resolved))
        if spec is None:
            _failed(plugins, name, f"cannot import {path}")
            continue
        spec.has_location = True  # sets __file__, so tracebacks and inspect find the source
        module = importlib.util.module_from_spec(spec)
        # Registered before exec so that dataclasses and pickling can find the module.
        sys.modules[module_name] = module
        try:
            loader.exec_module(module)
            plugins.manager.register(module, name=name)
        except Exception as exc:  # one broken file is logged and skipped
            sys.modules.pop(module_name, None)
            _failed(plugins, name, f"failed to load ({path}): {exc!r}")


def call_each(
    plugins: Plugins, hook_name: str, kwargs_for: Callable[[str], dict[str, Any]]
) -> list[tuple[str, Any]]:
    """Call every implementation of a hook on its own, so one raising plugin stops no other.

    pluggy stops a hook call at the first exception; this runs each implementation in call
    order with the keyword arguments ``kwargs_for(plugin name)`` gives, logs and records a
    failure, and returns ``(plugin name, result)`` pairs.
    """
    hook = getattr(plugins.manager.hook, hook_name)
    results: list[tuple[str, Any]] = []
    for impl in reversed(hook.get_hookimpls()):
        if impl.wrapper or impl.hookwrapper:
            continue
        kwargs = kwargs_for(impl.plugin_name)
        started = time.perf_counter()
        try:
            result = impl.function(*[kwargs[name] for name in impl.argnames])
        except Exception as exc:  # isolate plugins from each other
            _failed(plugins, impl.plugin_name, f"hook {hook_name} raised {exc!r}")
            continue
        if plugins.trace:
            elapsed = (time.perf_counter() - started) * 1000
            print(
                f"[trace] {hook_name} {impl.plugin_name} -> {result!r} ({elapsed:.1f} ms)",
                file=sys.stderr,
            )
        results.append((impl.plugin_name, result))
    return results


def _collect_detectors(plugins: Plugins) -> None:
    def register_for(plugin_name: str) -> dict[str, Any]:
        def register(detector: type[Detector]) -> None:
            if not (isinstance(detector, type) and issubclass(detector, Detector)):
                raise TypeError(f"register() expects a Detector subclass, got {detector!r}")
            name = getattr(detector, "name", None)
            if not isinstance(name, str) or not name:
                raise TypeError(f"{detector.__name__} has no name")
            if name in plugins.detectors:
                owner = plugins.detector_plugin[name]
                raise ValueError(f"detector {name!r} is already registered by {owner}")
            plugins.detectors[name] = detector
            plugins.detector_plugin[name] = plugin_name

        return {"register": register}

    call_each(plugins, "register_detectors", register_for)


def offers(plugins: Plugins, folder: Path, *, always_only: bool = False) -> list[SourceOffer]:
    """The sources the plugins' detectors offer for ``folder``, in plugin order; offers of a
    detector no plugin registered are dropped. ``always_only``: just those that are always
    there (with a config, the others are not wanted)."""
    found: list[SourceOffer] = []

    def register(offer: SourceOffer) -> None:
        if not isinstance(offer, SourceOffer):
            raise TypeError(f"register() expects a SourceOffer, got {offer!r}")
        if offer.detector not in plugins.detectors:
            log.debug("offer of an unknown detector %r dropped", offer.detector)
            return
        found.append(offer)

    call_each(
        plugins,
        "offer_sources",
        lambda _: {"folder": folder, "register": register, "always_only": always_only},
    )
    return [offer for offer in found if offer.always or not always_only]


def _collect_rules(plugins: Plugins) -> None:
    def rules_for(plugin_name: str) -> dict[str, Any]:
        def register(rule: Rule) -> None:
            if not isinstance(rule, Rule):
                raise TypeError(f"register() expects a Rule instance, got {rule!r}")
            name = getattr(rule, "name", None)
            if not isinstance(name, str) or not name:
                raise TypeError(f"{type(rule).__name__} has no name")
            plugins.rules.append((f"{plugin_name}:{name}", rule))

        return {"register": register}

    call_each(plugins, "register_rules", rules_for)
    # A kind registered again replaces its wordings: the built-in ones are registered
    # tryfirst, so any other plugin's win (and the config's [templates] win over both).
    call_each(plugins, "register_templates", lambda _: {"register": plugins.templates.register})


def _enable_tracing(pm: pluggy.PluginManager) -> None:
    def before(hook_name: str, hook_impls: Any, kwargs: Any) -> None:
        names = [impl.plugin_name for impl in hook_impls]
        print(f"[trace] {hook_name}({', '.join(kwargs)}) -> {names}", file=sys.stderr)

    def after(outcome: Any, hook_name: str, hook_impls: Any, kwargs: Any) -> None:
        print(f"[trace] {hook_name} returned {outcome.get_result()!r}", file=sys.stderr)

    pm.add_hookcall_monitoring(before, after)
