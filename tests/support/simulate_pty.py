"""``presshold simulate --pty`` run as a user runs it: a subprocess that prints its pty first."""

from __future__ import annotations

import subprocess
import sys


class SimulatePty:
    """``presshold simulate --pty ARGS`` as a context manager; ``path`` is the pty it printed.

    On exit it is stopped as a service manager would stop it (SIGTERM) and must exit 0; ``stderr``
    then holds what it said to the user there (a few lines: the pipe cannot fill).
    """

    def __init__(self, *args: str) -> None:
        self.args = args
        self.path = ""
        self.stderr = ""
        self.proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> SimulatePty:
        cmd = [sys.executable, "-m", "presshold", "simulate", "--pty", *self.args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert self.proc.stdout is not None
            self.path = self.proc.stdout.readline().strip()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.proc is not None
        self.proc.terminate()
        code = self.proc.wait(timeout=5)
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self.stderr = self.proc.stderr.read()
        self.proc.stdout.close()
        self.proc.stderr.close()
        assert code == 0, self.stderr
