"""The parts keep their layers (the import-linter contracts in pyproject.toml), and stay small
enough to read: no module over ~400 lines, no class over ~250."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULE_LINES = 420
CLASS_LINES = 260


def test_the_import_contracts_hold() -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint is None:
        pytest.fail("lint-imports is missing: pip install -e '.[test]'")
    done = subprocess.run([lint], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def sources() -> list[Path]:
    return sorted([*(ROOT / "src").rglob("*.py"), *(ROOT / "plugins").rglob("*.py")])


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_and_classes_stay_small(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count("\n") <= MODULE_LINES, f"{path.name}: split it by what it keeps"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ClassDef):
            size = (node.end_lineno or node.lineno) - node.lineno + 1
            assert size <= CLASS_LINES, f"{path.name}: class {node.name} has {size} lines"


def test_the_public_api_names_each_thing_once_and_each_name_imports() -> None:
    """``smallwins`` imports its names on first use: each of ``__all__`` must resolve, and
    importing the package alone must not import the rest (pydantic with it)."""
    import smallwins

    assert smallwins.__all__ == sorted(set(smallwins.__all__))
    for name in smallwins.__all__:
        assert getattr(smallwins, name) is not None, name
    assert set(dir(smallwins)) >= set(smallwins.__all__)
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        _ = smallwins.Nothing  # type: ignore[attr-defined]
    bare = subprocess.run(
        [sys.executable, "-c", "import sys, smallwins; print(sorted(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "pydantic" not in bare.stdout
    assert "smallwins.api" not in bare.stdout
