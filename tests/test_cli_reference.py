"""docs/cli.md is generated from the commands' own help (cog): it cannot drift from them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_command_line_reference_is_what_the_commands_say() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cogapp", "--check", "--diff", "docs/cli.md"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, (
        f"docs/cli.md is out of date; write it again with `cog -r docs/cli.md`:\n"
        f"{done.stdout}{done.stderr}"
    )


def test_every_command_has_a_section() -> None:
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for name in ("init", "run", "status", "wins", "plugins", "notify test", "check-config"):
        assert f"## `smallwins {name}`" in text
    for name in ("service install", "stats", "replay"):
        assert f"## `smallwins {name}`" in text
