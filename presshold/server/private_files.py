"""The data directory and every file in it are readable by their owner only.

Session labels and notes may name patients; a world-readable ``sessions.sqlite3`` on a shared
clinic computer would show them to every account. The server sets its umask to ``077`` (so the
SQLite journal files, settings and lock it creates later are private too) and narrows what an
older version left readable. On Windows the per-user data folder (``%LOCALAPPDATA%``) is already
private to the account and ``chmod`` cannot express more, so only the umask part is done there.
"""

from __future__ import annotations

import contextlib
import fnmatch
import logging
import os
import stat
import sys
from pathlib import Path

log = logging.getLogger("presshold.server")

DIR_MODE = 0o700
FILE_MODE = 0o600
OUR_FILES = (
    "sessions.sqlite3*",
    "settings.json*",
    "settings*.tmp",
    ".settings*",
    "calibrations.json*",
    ".calibrations-*",
    "server.lock",
    "server-*.log",
)
"""What PressHold keeps in a data directory. Only these are narrowed, and the directory itself
only when it holds nothing else: ``--data-dir`` pointed at a shared folder must not lock others
out of their own files."""


def make_private(data_dir: Path) -> None:
    """Create ``data_dir`` owner-only and narrow it and its files; never raises (a directory that
    cannot be used at all is reported by the session store)."""
    os.umask(0o077)
    with contextlib.suppress(OSError):
        Path(data_dir).mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    if sys.platform == "win32":
        return
    try:
        entries = list(os.scandir(data_dir))
        ours = [e for e in entries if any(fnmatch.fnmatch(e.name, p) for p in OUR_FILES)]
        for entry in ours:
            if entry.is_file(follow_symlinks=False):
                _narrow(Path(entry.path), FILE_MODE)
        if len(ours) == len(entries):
            _narrow(Path(data_dir), DIR_MODE)
        else:
            log.warning("%s holds other files too: left readable as it is", data_dir)
    except OSError as exc:
        log.warning("cannot make %s private: %s", data_dir, exc)


def _narrow(path: Path, mode: int) -> None:
    st = path.lstat()
    if stat.S_IMODE(st.st_mode) & ~mode:
        os.chmod(path, stat.S_IMODE(st.st_mode) & mode)
