"""An Apple Health export built to exhaust memory: refused in seconds, in flat memory.

Promise (docs/reliability.md, "Hostile Apple Health exports"): expat is fed the export a
chunk at a time, and input that runs for 4 MiB with no element starting or ending (one
attribute of a gigabyte), or elements nested past 32 deep, end the reading with one problem.
The zip here is deflated at level 1 to be quick to write; the one of the benchmark is 1 GiB.
"""

from __future__ import annotations

import os
import time
import zipfile
from pathlib import Path

from smallwins_plugins.meditation.apple_health import MAX_DEPTH

from tests.reliability.scan_process import scan_in_process

MEDITATION = "smallwins_plugins.meditation.detector:MeditationDetector"
SESSION = (
    b'<Record type="HKCategoryTypeIdentifierMindfulSession" sourceName="Breathe" '
    b'startDate="2025-06-14 07:00:00 +0000" endDate="2025-06-14 07:10:00 +0000"/>\n'
)
HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n<HealthData locale="en_US">\n'


def _bomb(path: Path, mib: int) -> None:
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open("apple_health_export/export.xml", "w", force_zip64=True) as member,
    ):
        member.write(HEAD + SESSION + b'<Record type="HKQuantityTypeIdentifierStepCount" note="')
        block = b"A" * (1 << 20)
        for _ in range(mib):
            member.write(block)
        member.write(b'"/>\n</HealthData>\n')
    _settled(path)


def _settled(path: Path) -> None:
    # A file written a moment ago may still be being written: the detector waits for it.
    an_hour_ago = time.time() - 3600
    os.utime(path, (an_hour_ago, an_hour_ago))


def test_one_huge_attribute_is_refused_in_flat_memory(tmp_path: Path) -> None:
    export = tmp_path / "export.zip"
    _bomb(export, 384)
    assert export.stat().st_size < 4 << 20

    scanned = scan_in_process(MEDITATION, {"path": str(export)}, timeout=60)

    assert scanned.problems == [
        (
            "one element or attribute runs past 4 MiB; not an export smallwins can read "
            "from here on; skipped",
            4,
        )
    ]
    assert scanned.wins == 1  # the session before it still counts
    # Held whole, the attribute alone is 384 MiB; streamed, a few chunks of 1 MiB.
    assert scanned.peak_mib < 200


def test_elements_nested_past_the_cap_are_refused(tmp_path: Path) -> None:
    export = tmp_path / "export.xml"
    export.write_bytes(HEAD + SESSION + b"<Record>" * 100_000)
    _settled(export)

    scanned = scan_in_process(MEDITATION, {"path": str(export)}, timeout=60)

    assert scanned.problems == [
        (
            f"elements nested more than {MAX_DEPTH} deep; not an export smallwins can read "
            "from here on; skipped",
            4,
        )
    ]
    assert scanned.wins == 1
