"""A pseudo-terminal standing in for a USB cable, for the simulators and the tests' fake sensor.

The reader opens the slave end with pyserial exactly as it opens a real port, at ``link`` when
given: a symlink that survives unplug and replug, as ``/dev/serial/by-id/…`` does. The device
side talks on the master end. POSIX only (:mod:`pty`).
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path


class PtyPort:
    """The device end of a pty (plugged in on creation) that can be unplugged and replugged.

    Subclasses do all I/O on ``_master`` under ``_lock``: :meth:`unplug` closes it under that lock,
    and a closed descriptor's number is soon reused by another file or socket of this process,
    whose bytes a late read or write would then steal or corrupt.
    """

    def __init__(self, link: Path | None, *, nonblocking: bool = False) -> None:
        """``nonblocking``: the master never blocks (a device that drops what nobody reads)."""
        self.link = link
        self._nonblocking = nonblocking
        self._lock = threading.Lock()
        self._master: int | None = None
        self._slave: int | None = None
        self._plug()

    @property
    def path(self) -> str:
        """What ``--source`` gets: the link, else the pty itself."""
        if self.link is not None:
            return str(self.link)
        if self._slave is None:
            raise RuntimeError("the simulated device is unplugged")
        return os.ttyname(self._slave)

    def _plug(self) -> None:
        import pty
        import tty

        master, slave = pty.openpty()
        tty.setraw(slave)
        if self._nonblocking:
            os.set_blocking(master, False)
        with self._lock:
            self._master, self._slave = master, slave
        if self.link is not None:  # re-pointed in one step: a reader never sees it missing
            tmp = self.link.with_name(self.link.name + ".tmp")
            tmp.unlink(missing_ok=True)
            tmp.symlink_to(os.ttyname(slave))
            os.replace(tmp, self.link)

    def unplug(self) -> None:
        """Close both ends and remove the link: the reader sees EOF / SerialException."""
        with self._lock:
            for fd in (self._master, self._slave):
                if fd is not None:
                    with contextlib.suppress(OSError):
                        os.close(fd)
            self._master = self._slave = None
        if self.link is not None:
            self.link.unlink(missing_ok=True)
