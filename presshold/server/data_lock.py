"""One server per data directory: an OS lock on ``<data dir>/server.lock``.

Two servers on one directory corrupt each other: the second marks the first's live session
"recovered", and both read one serial port and split its bytes. The lock is an OS lock, not the
file's existence, so a server killed with ``kill -9`` or a power cut never leaves a stale lock:
the OS drops it with the process. The file also says who holds it, so the second server can name
the first.

POSIX: ``flock`` on the whole file (advisory; every PressHold server asks). Windows:
``msvcrt.locking`` on one byte far past the text (byte-range locks there are mandatory, so the
text itself stays readable for the message).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path

from presshold.errors import ConfigError

LOCK_NAME = "server.lock"
_WIN_LOCK_OFFSET = 1 << 20  # the byte Windows locks: well past the owner text


class DataDirBusy(ConfigError):
    """Another PressHold server holds this data directory."""


class DataDirLock:
    """Held from :meth:`acquire` until :meth:`release` (or the process ends)."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / LOCK_NAME
        self._fd: int | None = None

    def acquire(self, owner: str) -> bool:
        """Take the lock and record ``owner`` (e.g. pid and URL) in it.

        Raises :class:`DataDirBusy` naming the holder when another server has it. Returns False
        (and holds nothing) when the directory cannot be used at all: the session store then
        reports that itself, and the live view still runs."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            return False
        try:
            _lock(fd)
        except OSError:
            os.close(fd)
            holder = self._holder()
            raise DataDirBusy(
                f"another PressHold server is using {self.path.parent} ({holder}): stop it "
                "first, or give this one its own --data-dir"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{owner}, since {time.strftime('%Y-%m-%d %H:%M:%S')}\n".encode())
        self._fd = fd
        return True

    def _holder(self) -> str:
        try:
            text = self.path.read_text(errors="replace").strip()
        except OSError:
            text = ""
        return text or "its details are unknown"

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        with contextlib.suppress(OSError):
            _unlock(fd)
        os.close(fd)

    def __enter__(self) -> DataDirLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


if sys.platform == "win32":
    import msvcrt

    def _lock(fd: int) -> None:
        os.lseek(fd, _WIN_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # raises OSError when another process holds it
        os.lseek(fd, 0, os.SEEK_SET)

    def _unlock(fd: int) -> None:
        os.lseek(fd, _WIN_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError (an OSError) if held

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
