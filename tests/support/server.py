"""Run the real ``presshold serve`` in a subprocess on a free loopback port.

Tests talk to it exactly as a user's browser would: HTTP with httpx, the websocket with the
``websockets`` client. A subprocess (not an in-process app) also lets tests kill -9 it.
"""

from __future__ import annotations

import os
import signal as _stdsignal  # the standard module, named apart from presshold.signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from support.pty_device import PtyDevice


def wait_for(
    pred: Callable[[], object], timeout_s: float = 10.0, what: str = "condition"
) -> object:
    """Poll ``pred`` until it returns something truthy (and return that); generous under load."""
    end = time.monotonic() + timeout_s
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"{what} not met within {timeout_s} s")
        time.sleep(0.05)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing is listening on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """``presshold serve`` as a context manager; ``url`` is its base URL once started."""

    def __init__(
        self,
        data_dir: Path,
        source: str = "sim",
        extra_args: Sequence[str] = (),
        env: dict[str, str] | None = None,
        startup_timeout_s: float = 20.0,
        token: str | None = None,
    ) -> None:
        """``token``: force the access token on (as on a LAN bind) while staying on loopback."""
        self.data_dir = Path(data_dir)
        self.source = source
        self.extra_args = list(extra_args)
        self.env = {**os.environ, **(env or {})}
        self.token = token
        if token is not None:
            self.env.update(PRESSHOLD_REQUIRE_TOKEN="1", PRESSHOLD_TOKEN=token)
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.startup_timeout_s = startup_timeout_s
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/ws/live"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = self.data_dir / f"server-{self.port}.log"

    def start(self) -> ServerProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        cmd = [
            sys.executable, "-m", "presshold", "serve",
            "--source", self.source,
            "--http-port", str(self.port),
            "--data-dir", str(self.data_dir),
            "--no-browser",
            *self.extra_args,
        ]  # fmt: skip
        with open(self.log_path, "ab") as log:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log()}")
            try:
                health = httpx.get(f"{self.url}/api/health", headers=self.headers, timeout=1.0)
                if health.status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"server did not become healthy:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, timeout_s: float = 10.0) -> int | None:
        """Ask politely (SIGINT, as Ctrl-C would), then kill."""
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(_stdsignal.SIGINT)
        try:
            return self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self) -> None:
        """SIGKILL: what a crash or ``kill -9`` does."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def served_pty_sensor(
    tmp_path: Path, sensor: str, *, rate_hz: float = 100.0, unit: str = "N"
) -> Iterator[tuple[PtyDevice, ServerProcess, httpx.Client]]:
    """A pty sensor behind a real ``presshold serve``: connected, hello sent, API client open."""
    with (
        PtyDevice(tmp_path / f"tty-{sensor}", rate_hz=rate_hz) as dev,
        ServerProcess(tmp_path / "data", source=dev.path) as srv,
        httpx.Client(base_url=srv.url, timeout=10) as api,
    ):
        wait_for(lambda: api.get("/api/health").json()["connected"], what="sensor connected")
        dev.send_hello(sensor=sensor, rate=rate_hz, unit=unit)
        yield dev, srv, api
