"""Where smallwins keeps its config, its ledger and its state."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

APP = "smallwins"


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
