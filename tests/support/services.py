"""Real Mosquitto and PostgreSQL servers for tests: free loopback ports, temporary directories.

Both are the Debian packages' binaries, started in the foreground of their own process group so
a test can ``kill -9`` one (or SIGSTOP it, a network cut as the clients see it) and start it
again on the same port. PostgreSQL refuses to run as root: as root, its binaries run as the
``postgres`` user the package creates, in a directory that user owns. Absent binaries skip the
test with the reason, unless ``PRESSHOLD_REQUIRE_SERVICES=1`` (CI), where they fail it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def _pg_bin() -> Path:
    """``$PRESSHOLD_PG_BIN``, else the newest Debian ``/usr/lib/postgresql/<version>/bin``."""
    if os.environ.get("PRESSHOLD_PG_BIN"):
        return Path(os.environ["PRESSHOLD_PG_BIN"])
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    return found[-1].parent if found else Path("/usr/lib/postgresql/15/bin")


PG_BIN = _pg_bin()


def require(binary: str | Path, what: str) -> None:
    """Skip (or, with PRESSHOLD_REQUIRE_SERVICES=1, fail) when ``binary`` is not installed."""
    if Path(binary).exists():
        return
    reason = f"{what} is not installed ({binary} missing; apt-get install {what})"
    if os.environ.get("PRESSHOLD_REQUIRE_SERVICES") == "1":
        pytest.fail(f"PRESSHOLD_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout_s} s")


class Mosquitto:
    """One broker on 127.0.0.1:``port``; :meth:`kill` / :meth:`start` keep the port."""

    def __init__(self, root: Path, port: int | None = None, secure: str | None = None) -> None:
        """``secure``: configuration lines (TLS files, password and ACL files) that replace
        anonymous access."""
        self.port = port or free_port()
        self.conf = root / "mosquitto.conf"
        self.log = root / "mosquitto.log"
        access = secure if secure is not None else "allow_anonymous true\n"
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\n{access}persistence false\n"
            "max_queued_messages 100000\nset_tcp_nodelay true\n"
        )
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [MOSQUITTO, "-c", str(self.conf)],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_port(self.port)

    def kill(self) -> None:
        """``kill -9``: every connection drops, queued messages are gone (no persistence)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait(5)
        self.proc = None

    def pause(self) -> None:
        """SIGSTOP: TCP stays up but nothing moves — a cut cable as the clients see it."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        self.kill()


class Postgres:
    """A throw-away cluster (trust auth, user ``presshold``) on 127.0.0.1:``port``."""

    USER = "presshold"

    def __init__(self) -> None:
        self.port = free_port()
        # not under a 0700 root temp dir: the postgres user must reach it
        self.root = Path(tempfile.mkdtemp(prefix="presshold-pg-", dir="/tmp"))
        self.root.chmod(0o755)
        self.data = self.root / "data"
        self.log = self.root / "log"
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")

    def _run(self, *cmd: str) -> None:
        full = [str(PG_BIN / cmd[0]), *cmd[1:]]
        if self.as_root:
            full = ["runuser", "-u", "postgres", "--", *full]
        subprocess.run(full, check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", self.USER, "-E", "UTF8")

    def start(self) -> None:
        opts = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-o", opts, "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def create_database(self, name: str | None = None) -> str:
        """A fresh database; returns its URL."""
        import psycopg

        name = name or "t_" + uuid.uuid4().hex[:10]
        with psycopg.connect(self.url("postgres"), autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def url(self, db: str) -> str:
        return f"postgresql://{self.USER}@127.0.0.1:{self.port}/{db}"

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
