"""Running the real ``smallwins`` command in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def smallwins(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "smallwins", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
