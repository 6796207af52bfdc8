"""Where smallwins keeps its config, its ledger and its state."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

APP = "smallwins"


def make_private_dir(path: Path) -> None:
    """Create ``path`` and its missing parents 700 whatever the umask (the config may hold
    secrets, the ledger is a diary); folders that exist keep their mode."""
    missing: list[Path] = []
    while not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            continue
        os.chmod(folder, 0o700)  # mkdir's mode passes through the umask


def open_private(path: Path, flags: int = os.O_WRONLY | os.O_TRUNC) -> int:
    """A descriptor on ``path``, created 600 whatever the umask (and made 600 when ``flags``
    truncate it: what is written is new). Its folder is created private first."""
    make_private_dir(path.parent)
    fd = os.open(path, flags | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
    if flags & os.O_TRUNC:
        os.fchmod(fd, 0o600)
    return fd


def create_private(path: Path) -> None:
    """Create an empty file 600 unless it exists; one that exists keeps its mode."""
    os.close(open_private(path, os.O_WRONLY))


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, the file private (600) whatever the umask."""
    with os.fdopen(open_private(path), "w", encoding="utf-8") as handle:
        handle.write(text)


@dataclass(frozen=True, slots=True)
class Paths:
    config_file: Path
    data_dir: Path
    state_dir: Path
    home: Path | None = None  # SMALLWINS_HOME, when everything is under one folder

    @property
    def where(self) -> str:
        """This smallwins's home, for a person to read: the folder, or the config file."""
        return str(self.home) if self.home is not None else f"config {self.config_file}"

    @property
    def ledger_file(self) -> Path:
        return self.data_dir / "ledger.sqlite3"

    @property
    def lock_file(self) -> Path:
        return self.state_dir / "daemon.lock"

    @property
    def machine_file(self) -> Path:
        """This machine's id, made on its first start."""
        return self.state_dir / "machine"

    @property
    def spool_file(self) -> Path:
        """Where the daemon records while its shared ledger's server is away."""
        return self.state_dir / "spool.sqlite3"

    @property
    def ledger_outage_file(self) -> Path:
        """Where the daemon notes that the ledger cannot be written (outside the ledger)."""
        return self.state_dir / "ledger-outage.json"

    @property
    def apprise_storage(self) -> Path:
        return self.state_dir / "apprise"


def resolve_paths(env: Mapping[str, str] | None = None) -> Paths:
    """``SMALLWINS_HOME`` puts everything under one folder; ``SMALLWINS_CONFIG`` names the file."""
    env = os.environ if env is None else env
    home = env.get("SMALLWINS_HOME")
    root: Path | None = None
    if home:
        root = Path(home).expanduser()
        config_file = root / "config.toml"
        data_dir, state_dir = root / "data", root / "state"
    else:
        from platformdirs import PlatformDirs

        dirs = PlatformDirs(APP, appauthor=False)
        config_file = dirs.user_config_path / "config.toml"
        data_dir = dirs.user_data_path
        # On macOS data and state share one folder; a subfolder keeps them apart.
        state_dir = (
            dirs.user_state_path / "state"
            if dirs.user_state_path == data_dir
            else (dirs.user_state_path)
        )
    if env.get("SMALLWINS_CONFIG"):
        config_file = Path(env["SMALLWINS_CONFIG"]).expanduser()
    return Paths(config_file, data_dir, state_dir, root)
