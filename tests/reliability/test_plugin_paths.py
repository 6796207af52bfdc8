"""Plugin files from places others can change are refused, each with its path and fix; a safe
plugin beside a refused one still loads; no cached bytecode is read or written for them.

The tests run as root here. A file "owned by another user" is chowned to nobody (65534), which
is neither the user (root) nor root, so the real check in a real process refuses it; the check
for another user's point of view takes the uid, and one test asks it as nobody."""

from __future__ import annotations

import importlib.util
import json
import marshal
import os
import textwrap
from pathlib import Path
from typing import Any

import pytest

from smallwins.plugins.loader import load_plugins
from tests.cli_run import smallwins

NOBODY = 65534

PLUGIN = """
from pathlib import Path
from smallwins import Detector, hookimpl

Path({marker!r}).write_text({says!r})

class {cls}(Detector):
    name = {detector!r}
    def scan(self, context):
        return []

@hookimpl
def register_detectors(register):
    register({cls})
"""


def plugin(folder: Path, name: str, marker: Path, says: str = "ran") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.py"
    text = PLUGIN.format(marker=str(marker), says=says, cls=name.title(), detector=name)
    path.write_text(textwrap.dedent(text))
    os.chmod(path, 0o644)
    return path


def private_folder(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o755)
    return path


def listed(home: Path, plugins_dir: Path) -> tuple[dict[str, Any], str]:
    """``smallwins plugins --json`` in a real process: rows by name, and stderr."""
    (home / "config.toml").write_text(f'plugins_dir = "{plugins_dir}"\n')
    os.chmod(home / "config.toml", 0o600)
    done = smallwins("plugins", "--json", env={**os.environ, "SMALLWINS_LOAD_PLUGINS": ""})
    rows = {row["name"]: row for row in json.loads(done.stdout)}
    # A refused plugin fails the command as one that cannot load does: 78, until it is fixed.
    assert done.returncode == (78 if any(row.get("error") for row in rows.values()) else 0)
    return rows, done.stderr


def test_a_file_symlinked_into_a_world_writable_folder_is_refused(
    home: Path, tmp_path: Path
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    target = plugin(shared, "linked", tmp_path / "linked-ran")
    folder = private_folder(tmp_path / "plugins")
    (folder / "linked.py").symlink_to(target)
    plugin(folder, "safe", tmp_path / "safe-ran")
    rows, _ = listed(home, folder)
    assert not (tmp_path / "linked-ran").exists()
    assert f"{shared} is writable by group or others" in rows["local:linked"]["error"]
    assert f"chmod go-w {shared}" in rows["local:linked"]["error"]
    assert rows["local:safe"]["detectors"] == ["safe"]
    assert (tmp_path / "safe-ran").exists()


def test_a_file_owned_by_another_user_is_refused(home: Path, tmp_path: Path) -> None:
    folder = private_folder(tmp_path / "plugins")
    theirs = plugin(folder, "theirs", tmp_path / "theirs-ran")
    os.chown(theirs, NOBODY, NOBODY)
    plugin(folder, "safe", tmp_path / "safe-ran")
    rows, stderr = listed(home, folder)
    assert not (tmp_path / "theirs-ran").exists()
    error = rows["local:theirs"]["error"]
    assert f"{theirs} is owned by nobody" in error and f"chown root {theirs}" in error
    assert f"{theirs} is owned by nobody" in stderr
    assert rows["local:safe"]["detectors"] == ["safe"]
    checked = smallwins("check-config", env={**os.environ, "SMALLWINS_LOAD_PLUGINS": ""})
    assert f"chown root {theirs}" in checked.stderr
    assert checked.returncode == 78


def test_a_folder_owned_by_another_user_is_refused(home: Path, tmp_path: Path) -> None:
    folder = private_folder(tmp_path / "plugins")
    plugin(folder, "inside", tmp_path / "inside-ran")
    os.chown(folder, NOBODY, NOBODY)
    rows, _ = listed(home, folder)
    assert not (tmp_path / "inside-ran").exists()
    assert f"chown root {folder}" in rows[str(folder)]["error"]


def test_a_private_folder_inside_a_world_writable_one_is_refused(
    home: Path, tmp_path: Path
) -> None:
    # Whoever can write the outer folder can rename the inner one away and put their own there.
    outer = tmp_path / "outer"
    outer.mkdir()
    os.chmod(outer, 0o777)
    folder = private_folder(outer / "plugins")
    plugin(folder, "inner", tmp_path / "inner-ran")
    rows, _ = listed(home, folder)
    assert not (tmp_path / "inner-ran").exists()
    assert f"chmod go-w {outer}" in rows[str(folder)]["error"]


def test_a_forged_pyc_in_a_world_writable_pycache_is_never_run(home: Path, tmp_path: Path) -> None:
    folder = private_folder(tmp_path / "plugins")
    source = plugin(folder, "cached", tmp_path / "cached-ran", says="source")
    # A .pyc that claims the source's own mtime and size passes Python's check of its cache.
    forged = compile(
        f"from pathlib import Path\nPath({str(tmp_path / 'cached-ran')!r}).write_text('forged')\n",
        str(source),
        "exec",
    )
    info = source.stat()
    pyc = Path(importlib.util.cache_from_source(str(source)))
    pyc.parent.mkdir()
    os.chmod(pyc.parent, 0o777)
    pyc.write_bytes(
        importlib.util.MAGIC_NUMBER
        + (0).to_bytes(4, "little")
        + int(info.st_mtime).to_bytes(4, "little")
        + (info.st_size & 0xFFFFFFFF).to_bytes(4, "little")
        + marshal.dumps(forged)
    )
    rows, _ = listed(home, folder)
    assert (tmp_path / "cached-ran").read_text() == "source"
    assert rows["local:cached"]["detectors"] == ["cached"]
    assert list(pyc.parent.iterdir()) == [pyc]  # and nothing was written there either


def test_the_check_is_made_for_the_user_it_is_given(tmp_path: Path) -> None:
    folder = private_folder(tmp_path / "plugins")
    path = plugin(folder, "nobodys", tmp_path / "nobodys-ran")
    os.chown(path, NOBODY, NOBODY)
    as_root = load_plugins(folder, load_env="", uid=0)
    assert as_root.detectors == {} and "owned by nobody" in as_root.failures[0].message
    # For nobody the file is theirs, and the folders above it are root's: safe to run.
    as_nobody = load_plugins(folder, load_env="", uid=NOBODY)
    assert list(as_nobody.detectors) == ["nobodys"] and not as_nobody.failures


@pytest.mark.parametrize("mode", [0o777, 0o1777])
def test_a_world_writable_folder_of_the_users_own_is_refused_sticky_or_not(
    tmp_path: Path, mode: int
) -> None:
    # Only a root-owned sticky folder (like /tmp) is trusted: the owner of any other could
    # still replace what is in it.
    outer = tmp_path / "outer"
    outer.mkdir()
    os.chown(outer, NOBODY, NOBODY)
    os.chmod(outer, mode)
    folder = private_folder(outer / "plugins")
    os.chown(folder, NOBODY, NOBODY)
    plugin(folder, "mine", tmp_path / "mine-ran")
    os.chown(folder / "mine.py", NOBODY, NOBODY)
    loaded = load_plugins(folder, load_env="", uid=NOBODY)
    assert loaded.detectors == {}
    assert f"chmod go-w {outer}" in loaded.failures[0].message
