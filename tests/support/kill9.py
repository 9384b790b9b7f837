"""docs/storage.md's kill -9 promise, the half both stores share: a real server recording a pty
sensor is killed mid-stream; each store's test then checks what the next start finds."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import websockets

from support.pty_device import PtyDevice
from support.server import ServerProcess, wait_for


def newest_live_value(ws_url: str) -> float:
    """The force the live view is showing now: the last sample of the next frame."""

    async def read() -> float:
        async with websockets.connect(ws_url, max_size=None) as ws:
            while True:
                m = json.loads(await asyncio.wait_for(ws.recv(), 5))
                if m["type"] == "frame" and m["samples"]:
                    return float(m["samples"][-1][1])

    return asyncio.run(read())


def kill_9_while_recording(
    data_dir: Path, tty: Path, extra_args: Sequence[str] = (), timeout_s: float = 15.0
) -> float:
    """Record a 100 Hz pty sensor whose reading k has the value k, ``kill -9`` the server a second
    after the live view showed a value, and return that value: readings 1 to it must be stored."""
    with PtyDevice(tty, rate_hz=100) as dev:
        srv = ServerProcess(data_dir, source=dev.path, extra_args=extra_args).start()
        try:
            with httpx.Client(base_url=srv.url, timeout=5) as api:
                health = lambda: api.get("/api/health").json()  # noqa: E731
                wait_for(lambda: health()["connected"], timeout_s, "sensor connected")
                dev.send_hello(sensor="kill-test", rate=100, unit="N")
                dev.start_stream(lambda t: round(t * 100) + 1.0)  # reading k has the value k
                wait_for(lambda: health()["recording"], timeout_s, "recording")
            time.sleep(1.5)
            shown = newest_live_value(srv.ws_url)  # on screen now …
            time.sleep(1.0)  # … and a second older than the kill
        finally:
            srv.kill()
            dev.stop_stream()
    return shown
