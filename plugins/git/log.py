"""Reading ``git log``: its arguments, and its records streamed as git writes them."""

from __future__ import annotations

import contextlib
import fcntl
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import IO

from .commands import GitFailed, first_line, git_command, git_env
from .repos import Repo

__all__ = ["LOG_FORMAT", "log_args", "parse_date", "records", "stream_log"]

READ_CHUNK = 1 << 16
# Room for git to write ahead while a record is being made into a win: with the usual 64 KiB
# pipe, git waits for the reader at every chunk and the reader for git.
PIPE_SIZE = 1 << 20

# sha, parents, author email, author date, committer date, source, subject. Records end in NUL
# (-z): unlike a separator byte, NUL cannot occur inside a commit message.
LOG_FORMAT = "%H%x1f%P%x1f%ae%x1f%aI%x1f%cI%x1f%S%x1f%s"
_LOG_FIELDS = 7


def log_args(authors: Iterable[str], *, include_merges: bool) -> list[str]:
    """The ``git log`` arguments of a scan; the revisions come on stdin."""
    args = [
        "log",
        "--stdin",
        "--source",
        "--encoding=UTF-8",
        "--no-show-signature",
        "-z",
        f"--format={LOG_FORMAT}",
        # git narrows by substring, fast; the exact email is checked by the caller.
        *(f"--author=<{email}>" for email in authors),
        "--fixed-strings",
        "--regexp-ignore-case",
    ]
    if not include_merges:
        args.append("--no-merges")
    return args


def stream_log(
    repo: Repo, args: list[str], revisions: str, seen: Callable[[int], None] | None = None
) -> Iterator[list[str]]:
    """Run ``git log`` and yield each record's fields as git writes them; ``seen`` is told
    how many records each read of its output held."""
    # Files, not pipes, for what goes in and for the messages: neither can then fill a pipe
    # buffer and stall git while stdout is being read.
    with tempfile.TemporaryFile() as stdin, tempfile.TemporaryFile() as errors:
        stdin.write(revisions.encode())
        stdin.seek(0)
        try:
            proc = subprocess.Popen(
                git_command(repo.path, *args),
                stdin=stdin,
                stdout=subprocess.PIPE,
                stderr=errors,
                env=git_env(),
            )
        except FileNotFoundError as exc:
            raise GitFailed("git is not installed (or not on PATH)") from exc
        with proc:
            assert proc.stdout is not None  # stdout=PIPE
            widen(proc.stdout)
            try:
                yield from records(proc.stdout, seen)
            except BaseException:
                # Also when the scan is abandoned part way: no git left running.
                proc.kill()
                raise
        if proc.returncode != 0:
            errors.seek(0)
            reason = first_line(errors.read()) or f"exit status {proc.returncode}"
            raise GitFailed(f"git log failed: {reason}")


def widen(pipe: IO[bytes]) -> None:
    """Make ``pipe`` hold PIPE_SIZE bytes where the system lets it (Linux, within the
    per-user limit); elsewhere it stays as it is."""
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None)
    if set_size is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(pipe.fileno(), set_size, PIPE_SIZE)


def records(stdout: IO[bytes], seen: Callable[[int], None] | None = None) -> Iterator[list[str]]:
    pending = b""
    while chunk := stdout.read(READ_CHUNK):
        data = pending + chunk
        end = data.rfind(b"\0")
        if end < 0:
            pending = data
            continue
        pending = data[end + 1 :]
        # The complete records decoded at once: NUL is ASCII, never inside a UTF-8 sequence,
        # so this gives what decoding each record on its own gives, bad bytes included.
        batch = data[:end].decode("utf-8", "replace").split("\0")
        if seen is not None:
            seen(len(batch))
        for record in batch:
            fields = record.split("\x1f", _LOG_FIELDS - 1)
            if len(fields) == _LOG_FIELDS:
                yield fields


def parse_date(text: str) -> datetime | None:
    """An ISO date with its UTC offset, as %aI writes it; None if unreadable or naive."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.utcoffset() is not None else None
