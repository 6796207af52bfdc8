"""The docs cannot drift: hooks, config keys and the example plugin are checked against the code."""

from __future__ import annotations

import inspect
import os
import re
import shutil
import tomllib
from pathlib import Path
from typing import Any

import click
import pluggy
import pytest
from click.testing import CliRunner
from pydantic import BaseModel

from smallwins.api import hookspecs
from smallwins.api.goal import GoalSettings
from smallwins.config import (
    InboxSettings,
    LedgerSettings,
    NotifySettings,
    Settings,
    SourceSettings,
    Target,
    TemplateVariant,
    load_config,
)
from smallwins.errors import ConfigError
from smallwins.plugins.loader import Plugins, call_each, load_plugins, offers
from smallwins.plugins.source import build_sources
from smallwins.testing import scan_once

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "examples"
LOCAL_PLUGIN = EXAMPLES / "local-plugin" / "reading_log.py"
PACKAGE = EXAMPLES / "smallwins-reading"

# Each config model, and the prefix its keys have in docs/configuration.md headings.
CONFIG_MODELS: list[tuple[type[BaseModel], str]] = [
    (Settings, ""),
    (LedgerSettings, "ledger."),
    (NotifySettings, "notify."),
    (InboxSettings, "inbox."),
    (Target, "notify.urls[]."),
    (SourceSettings, "sources.NAME."),
    (GoalSettings, "goals.NAME."),
    (TemplateVariant, "templates.KIND[]."),
]
INCLUDE = re.compile(r"<!-- include: (\S+) -->\n```\w*\n(.*?)^```$", re.S | re.M)


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def headings(path: Path, level: int) -> list[str]:
    marker = "#" * level + " "
    return [
        line[len(marker) :].strip() for line in read(path).splitlines() if line.startswith(marker)
    ]


def fenced(path: Path, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", read(path), re.S | re.M)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's own SMALLWINS_* variables must not change what these tests see."""
    for name in list(os.environ):
        if name.startswith("SMALLWINS_"):
            monkeypatch.delenv(name)


def load_git() -> Plugins:
    return load_plugins(load_env="git", trace=False)


# -- (a) every hook has a section headed by its exact signature ---------------------------


def hook_signatures() -> dict[str, str]:
    pm = pluggy.PluginManager("smallwins")
    pm.add_hookspecs(hookspecs)
    names = [
        name
        for name, value in vars(hookspecs).items()
        if inspect.isfunction(value) and hasattr(value, "smallwins_spec")
    ]
    signatures = {}
    for name in names:
        spec = getattr(pm.hook, name).spec
        assert spec is not None
        signatures[name] = f"{name}({', '.join(spec.argnames)})"
    return signatures


@pytest.mark.parametrize("hook", sorted(hook_signatures()))
def test_every_hook_is_documented_under_its_signature(hook: str) -> None:
    signature = hook_signatures()[hook]
    assert signature in headings(DOCS / "plugin-hooks.md", 2), (
        f"docs/plugin-hooks.md needs a section headed: ## {signature}"
    )


def test_plugin_hooks_documents_no_hook_that_does_not_exist() -> None:
    documented = [h for h in headings(DOCS / "plugin-hooks.md", 2) if "(" in h]
    assert sorted(documented) == sorted(hook_signatures().values())


def test_the_hook_examples_are_working_plugins(tmp_path: Path) -> None:
    folder = tmp_path / "plugins"
    folder.mkdir(mode=0o755)
    for index, code in enumerate(fenced(DOCS / "plugin-hooks.md", "python")):
        if "@hookimpl" in code:
            path = folder / f"example_{index}.py"
            path.write_text(code, encoding="utf-8")
            path.chmod(0o644)
    folder.chmod(0o755)

    names = sorted(path.stem for path in folder.glob("*.py"))
    assert len(names) == 5

    plugins = load_plugins(plugins_dir=folder, load_env=",".join(names), trace=False)

    assert plugins.failures == []
    assert plugins.plugin_names() == [f"local:{name}" for name in names]
    assert "notes" in plugins.detectors

    notes = tmp_path / "notes"
    notes.mkdir()
    (offer,) = offers(plugins, tmp_path)
    assert (offer.name, offer.detector, offer.options) == ("notes", "notes", {"folder": str(notes)})
    (notes / "first-note.md").write_text("hello", encoding="utf-8")
    first = scan_once(plugins.detectors["notes"], {"folder": str(notes)})
    assert [w.title for w in first.wins] == ["first note"]
    assert (
        scan_once(plugins.detectors["notes"], {"folder": str(notes)}, cursor=first.cursor).wins
        == []
    )

    group = click.Group()
    call_each(plugins, "register_commands", lambda _: {"cli": group})
    assert plugins.failures == []
    log = tmp_path / "reading.txt"
    result = CliRunner().invoke(group, ["read", "30", "Piranesi", "--log", str(log)])
    assert result.exit_code == 0, result.output
    # What the command writes is what the tutorial's reading detector reads.
    reading = load_plugins(
        plugins_dir=plugins_dir_with_example(tmp_path, "local"), load_env="reading_log"
    )
    wins = scan_once(reading.detectors["reading"], {"path": str(log)}).wins
    assert [(w.title, w.value) for w in wins] == [("30 pages of Piranesi", 30)]


def test_the_testing_examples_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(PACKAGE))
    test_file = read(PACKAGE / "tests" / "test_reading.py")
    ran = 0
    for index, code in enumerate(fenced(DOCS / "testing-plugins.md", "python")):
        if code.startswith("def test_"):
            assert code in test_file, "an excerpt in docs/testing-plugins.md is out of date"
        elif "def test_" in code:
            namespace: dict[str, Any] = {}
            exec(compile(code, f"testing-plugins.md[{index}]", "exec"), namespace)
            for name, function in namespace.items():
                if name.startswith("test_"):
                    folder = tmp_path / f"{index}-{name}"
                    folder.mkdir()
                    function(folder)
                    ran += 1
    assert ran >= 2


# -- (b) every config key has a heading in docs/configuration.md ---------------------------


def config_keys() -> list[str]:
    return [prefix + name for model, prefix in CONFIG_MODELS for name in model.model_fields]


def documented_keys() -> list[str]:
    return [
        match[1]
        for heading in headings(DOCS / "configuration.md", 3)
        if (match := re.fullmatch(r"`([a-z_.\[\]A-Z]+)`", heading)) and not heading.isupper()
    ]


@pytest.mark.parametrize("key", config_keys())
def test_every_config_key_is_documented(key: str) -> None:
    assert key in documented_keys(), f"docs/configuration.md needs a heading: ### `{key}`"


def test_configuration_documents_no_key_that_does_not_exist() -> None:
    # A detector's options are on its own page, docs/sources/NAME.md (tests/test_detector_docs.py).
    known = set(config_keys())
    assert [key for key in documented_keys() if key not in known] == []


# -- (c) the example plugin is in the tutorial, verbatim -----------------------------------


@pytest.mark.parametrize(
    ("doc", "path"),
    [
        ("writing-plugins.md", "examples/local-plugin/reading_log.py"),
        ("writing-plugins.md", "examples/smallwins-reading/pyproject.toml"),
        ("writing-plugins.md", "examples/smallwins-reading/tests/test_reading.py"),
        ("writing-plugins.md", "examples/smallwins-reading/conftest.py"),
    ],
)
def test_the_tutorial_includes_the_example_files_verbatim(doc: str, path: str) -> None:
    text = read(DOCS / doc)
    assert f"<!-- include: {path} -->" in text, f"docs/{doc} should include {path}"
    assert read(ROOT / path) in text


@pytest.mark.parametrize("doc", sorted(p.name for p in DOCS.glob("*.md")))
def test_every_included_block_matches_its_file(doc: str) -> None:
    for path, block in INCLUDE.findall(read(DOCS / doc)):
        assert block == read(ROOT / path), f"docs/{doc}: the block of {path} is out of date"


def test_the_package_is_the_local_plugin_unchanged() -> None:
    assert read(PACKAGE / "smallwins_reading" / "__init__.py") == read(LOCAL_PLUGIN)


# -- (d) the example config loads ----------------------------------------------------------


def test_the_example_config_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NTFY_TOPIC_URL", "ntfy://smallwins-example-topic")

    config = load_config(EXAMPLES / "config.toml")

    settings = config.settings
    assert settings.timezone == "Europe/Berlin"
    assert settings.notify.quiet_hours is not None
    phone = [t for t in settings.notify.urls if t.name == "phone"]
    assert phone and phone[0].url.get_secret_value() == "ntfy://smallwins-example-topic"
    assert phone[0].tags == ("celebration", "digest")
    assert settings.sources["code"].detector == "git"

    plugins = load_git()
    if "git" not in plugins.detectors:
        pytest.skip("the git detector is not importable")
    assert [s.name for s in build_sources(config, plugins)] == ["code"]


def test_the_example_config_needs_its_secret() -> None:
    with pytest.raises(ConfigError, match="NTFY_TOPIC_URL"):
        load_config(EXAMPLES / "config.toml")


def test_every_toml_block_in_the_docs_parses() -> None:
    for doc in sorted(DOCS.glob("*.md")):
        for block in fenced(doc, "toml"):
            try:
                tomllib.loads(block)
            except tomllib.TOMLDecodeError as exc:
                pytest.fail(f"docs/{doc.name}: {exc}\n{block}")


# -- (e) the local example plugin loads from a plugins_dir ---------------------------------


def plugins_dir_with_example(tmp_path: Path, name: str = "plugins") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    shutil.copy(LOCAL_PLUGIN, folder / LOCAL_PLUGIN.name)
    folder.chmod(0o755)
    (folder / LOCAL_PLUGIN.name).chmod(0o644)
    return folder


def test_the_local_example_plugin_loads_from_a_plugins_dir(tmp_path: Path) -> None:
    folder = plugins_dir_with_example(tmp_path)

    plugins = load_plugins(plugins_dir=folder, load_env="reading_log", trace=False)

    assert plugins.failures == []
    assert plugins.detector_plugin == {"reading": "local:reading_log"}
    assert plugins.detectors["reading"].__name__ == "ReadingLog"


def test_a_writable_plugin_file_is_refused_with_the_fix(tmp_path: Path) -> None:
    folder = plugins_dir_with_example(tmp_path)
    (folder / LOCAL_PLUGIN.name).chmod(0o666)

    plugins = load_plugins(plugins_dir=folder, load_env="reading_log", trace=False)

    assert plugins.detectors == {}
    assert [f.plugin for f in plugins.failures] == ["local:reading_log"]
    assert f"chmod go-w {folder / LOCAL_PLUGIN.name}" in plugins.failures[0].message


def test_every_package_is_installed_by_a_plain_pip_install() -> None:
    """A subpackage missing from pyproject.toml works in a checkout (editable install) and
    breaks `pip install .` for a user."""
    listed = set(tomllib.loads(read(ROOT / "pyproject.toml"))["tool"]["setuptools"]["packages"])
    on_disk = set()
    for base, name in (
        (ROOT / "src" / "smallwins", "smallwins"),
        (ROOT / "plugins", "smallwins_plugins"),
    ):
        for init in base.rglob("__init__.py"):
            parts = init.parent.relative_to(base).parts
            on_disk.add(".".join([name, *parts]))
    assert sorted(on_disk - listed) == [], "add these to [tool.setuptools] packages"
