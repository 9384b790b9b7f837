"""Soak: viewers connecting and dropping in a loop never slow a healthy viewer below 28 frames/s.

A classroom's laptops join, reload and vanish (some close the websocket properly, some just drop
the TCP connection). Each viewer has its own bounded outbox and sender task, so the therapist's
own gauge must keep its ~30 frames/s. Short form: 10 churning viewers for 5 s; ``-m soak``: 100
for 60 s. In a classroom the churning viewers are other machines: here they run in a separate
process at a lower CPU priority, so on a 2-core machine they do not take the server's CPU and the
healthy viewer's count measures the server, not the test's clients.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import websockets
from support import soak
from support.server import ServerProcess
from support.soak import choose

MIN_FPS = 28.0
"""The promise (long form). A shared 2-core machine under load may not give even a lone viewer
that, so the short form compares with a lone viewer measured just before, on the same machine."""
SHORT_FORM_SHARE = 0.9
WARMUP_S = 1.0
DWELL_S = (0.0, 1.0)  # how long a churning viewer watches before it drops
PAUSE_S = (0.0, 0.5)  # and how long until it comes back


async def _churn(url: str, stop: threading.Event, counts: list[int], seed: int) -> None:
    """One viewer in a loop: connect, watch for ``DWELL_S``, drop (half of the time without a
    close handshake, like a laptop lid closing), pause, again."""
    rnd = random.Random(seed)
    while not stop.is_set():
        try:
            ws = await websockets.connect(url, max_size=None, open_timeout=10)
            end = time.monotonic() + rnd.uniform(*DWELL_S)
            while time.monotonic() < end:
                await asyncio.wait_for(ws.recv(), 5)  # status, history, frames
            if rnd.random() < 0.5:
                ws.transport.abort()
            else:
                await ws.close()
            counts[0] += 1
        except (OSError, TimeoutError, websockets.WebSocketException):
            counts[1] += 1
        await asyncio.sleep(rnd.uniform(*PAUSE_S))


async def _churn_for(url: str, n: int, seconds: float) -> list[int]:
    stop = threading.Event()
    counts = [0, 0]  # connections completed, connection errors
    asyncio.get_running_loop().call_later(seconds, stop.set)
    await asyncio.gather(*(_churn(url, stop, counts, seed) for seed in range(n)))
    return counts


def _churners(url: str, n: int, seconds: float) -> subprocess.Popen[str]:
    """The churning viewers in their own lower-priority process (``python THIS_FILE …``)."""
    nice = (lambda: os.nice(10)) if hasattr(os, "nice") else None
    return subprocess.Popen(
        [sys.executable, __file__, url, str(n), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=nice,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )


async def _healthy(url: str, duration_s: float) -> tuple[int, float, float, int]:
    """(frames, seconds measured, longest gap between frames, frames the server dropped)."""
    frames, dropped, gaps = 0, 0, [0.0]
    async with websockets.connect(url, max_size=None) as ws:
        end_warmup = time.monotonic() + WARMUP_S
        while time.monotonic() < end_warmup:
            await ws.recv()
        start = last = time.monotonic()
        while (now := time.monotonic()) - start < duration_s:
            msg = json.loads(await asyncio.wait_for(ws.recv(), 5))
            now = time.monotonic()
            if msg["type"] == "frame":
                frames += 1
                gaps.append(now - last)
                last = now
            elif msg["type"] == "dropped":
                dropped += int(msg.get("frames", 1))
        return frames, time.monotonic() - start, max(gaps), dropped


@pytest.mark.soak
@pytest.mark.timeout(900)
def test_churning_viewers_never_slow_a_healthy_viewer(tmp_path: Path) -> None:
    n, duration_s = choose(10, 100), float(choose(5, 60))
    with ServerProcess(tmp_path) as srv:
        alone = asyncio.run(_healthy(srv.ws_url, 3.0))
        alone_fps = alone[0] / alone[1]
        churn = _churners(srv.ws_url, n, duration_s + WARMUP_S + 1)
        try:
            frames, seconds, worst_gap, dropped = asyncio.run(_healthy(srv.ws_url, duration_s))
            out, _ = churn.communicate(timeout=60)
        finally:
            churn.kill()
        counts = json.loads(out.strip().splitlines()[-1])
        assert srv.proc is not None and srv.proc.poll() is None
        health = json.loads(
            __import__("httpx").get(f"{srv.url}/api/health", timeout=10).text
        )  # every churner is gone again: nothing leaked
    fps = frames / seconds
    print(
        f"\nviewer churn: {n} churning viewers, {counts[0]:,} connect/drop cycles "
        f"({counts[1]} refused or timed out) in {seconds:.0f} s; healthy viewer {fps:.1f} "
        f"frames/s (alone just before: {alone_fps:.1f}), longest gap {1000 * worst_gap:.0f} ms, "
        f"{dropped} frames dropped for it"
    )
    assert fps >= (MIN_FPS if soak.LONG else min(MIN_FPS, SHORT_FORM_SHARE * alone_fps))
    assert dropped == 0
    assert counts[0] >= n
    assert health["viewers"] <= 1 + n


if __name__ == "__main__":  # the churning viewers' process
    url, n, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    print(json.dumps(asyncio.run(_churn_for(url, n, seconds))), flush=True)
