"""Run uvicorn on an already bound socket and make Ctrl-C / SIGTERM a clean exit 0.

uvicorn re-raises the signal it caught once it has shut down (so ``kill`` looks like a kill);
PressHold treats both as "stop and save", which is a successful end, so they are not re-raised.
"""

from __future__ import annotations

import contextlib
import signal as stdsignal
import socket
import threading
from collections.abc import Generator

import uvicorn
from fastapi import FastAPI
from uvicorn.server import HANDLED_SIGNALS

GRACEFUL_S = 3.0  # open websockets get this long to close before shutdown continues


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        original = {sig: stdsignal.signal(sig, self.handle_exit) for sig in HANDLED_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in original.items():
                stdsignal.signal(sig, handler)


def run_until_signal(app: FastAPI, sock: socket.socket) -> int:
    """Serve ``app`` on ``sock``: 0 after Ctrl-C/SIGTERM and a flushed shutdown, 1 if it
    never started (the lifespan failed)."""
    config = uvicorn.Config(
        app,
        log_level="warning",
        timeout_graceful_shutdown=GRACEFUL_S,
        ws_max_size=64 * 1024,
        # no permessage-deflate: each viewer's copy of every frame would be compressed apart
        # (the frames are encoded once, compressed N times); measured, it was the largest cost
        # of a classroom of viewers joining, and the frames are small and on a LAN anyway
        ws_per_message_deflate=False,
    )
    server = _Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    return 0 if server.started else 1
