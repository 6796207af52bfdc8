"""Every first-party detector has a page, docs/sources/NAME.md, that cannot drift from its code.

The page's ``## Options`` section has one ``### `option` `` heading per field of the detector's
``Options`` model, no more and no fewer, and every ``[sources.X]`` example for the detector in
the docs is a config the detector accepts.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from smallwins import Detector
from smallwins.config import SourceSettings
from smallwins.plugins.loader import load_plugins

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
FIRST_PARTY = "git,calendar,meditation"
OPTION = re.compile(r"### `(\w+)`")
TOML = re.compile(r"^```toml\n(.*?)^```$", re.S | re.M)


def detectors() -> dict[str, type[Detector]]:
    plugins = load_plugins(None, load_env=FIRST_PARTY, trace=False)
    assert plugins.failures == []
    return plugins.detectors


def page(name: str) -> Path:
    return DOCS / "sources" / f"{name}.md"


def section(text: str, title: str) -> list[str]:
    """The lines under the ``## title`` heading, up to the next heading of that level."""
    lines = text.splitlines()
    start = lines.index(f"## {title}") + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("## ")), len(lines))
    return lines[start:end]


def documented_options(text: str) -> list[str]:
    return [match[1] for line in section(text, "Options") if (match := OPTION.fullmatch(line))]


def examples(name: str) -> list[tuple[Path, str, dict[str, Any]]]:
    """Each ``[sources.X]`` table with ``detector = name`` in the docs and the README."""
    found = []
    for doc in sorted([*DOCS.rglob("*.md"), ROOT / "README.md"]):
        for block in TOML.findall(doc.read_text(encoding="utf-8")):
            sources = tomllib.loads(block).get("sources")
            if not isinstance(sources, dict):
                continue
            for source, table in sources.items():
                if isinstance(table, dict) and table.get("detector") == name:
                    found.append((doc, source, table))
    return found


@pytest.mark.parametrize("name", sorted(detectors()))
def test_the_detector_page_documents_its_options(name: str) -> None:
    doc = page(name)
    assert doc.is_file(), f"docs/sources/{name}.md is missing"
    assert f"(sources/{name}.md)" in (DOCS / "index.md").read_text(encoding="utf-8"), (
        f"docs/index.md should link docs/sources/{name}.md"
    )

    text = doc.read_text(encoding="utf-8")
    assert "## Options" in text.splitlines(), f"docs/sources/{name}.md needs a ## Options section"
    documented = documented_options(text)
    fields = list(detectors()[name].Options.model_fields)
    missing = [f"### `{field}`" for field in fields if field not in documented]
    assert missing == [], f"docs/sources/{name}.md, ## Options, needs: {', '.join(missing)}"
    assert sorted(documented) == sorted(fields), (
        f"docs/sources/{name}.md, ## Options, should have one heading per option of {name}"
    )

    detector = detectors()[name]
    found = examples(name)
    assert any(where == doc for where, _, _ in found), (
        f"docs/sources/{name}.md needs a ```toml example with a [sources.NAME] table"
    )
    for where, source, table in found:
        # As the config does: the keys every source has, then the rest for the detector.
        try:
            options = detector.Options(**SourceSettings(**table).options())
            detector(source, options)
        except Exception as exc:
            pytest.fail(f"{where.relative_to(ROOT)}: [sources.{source}] is refused: {exc}")
