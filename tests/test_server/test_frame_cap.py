"""The live feed's frame cap, on a clock the test moves: a frame goes out as soon as the last
one is older than the cap's interval (leading edge); samples that arrive sooner are held, and
sent together the moment the interval ends (trailing edge), never left for the next sample or
the heartbeat; nothing is lost or sent twice."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import numpy as np
import pytest

from presshold.firmware_bridge.source import ReadingBatch
from presshold.server import live
from presshold.server.live import MAX_FRAME_RATE_HZ, LiveFeed
from presshold.server.viewers import Viewer
from presshold.treatment import TreatmentSettings

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


def _frames(viewer: Viewer) -> list[dict[str, Any]]:
    out = []
    while viewer._box:
        msg = json.loads(viewer._box.popleft().text)
        if msg["type"] == "frame":
            out.append(msg)
    return out


def _batch(clock: Clock, value: float) -> ReadingBatch:
    t = np.array([clock.now])
    return ReadingBatch(t_s=t, raw=np.array([value]), force_n=np.array([value]))


async def test_frames_are_sent_at_once_then_held_to_the_cap_and_flushed_when_it_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = Clock()
    monkeypatch.setattr(live, "time", clock)
    feed = LiveFeed(asyncio.get_running_loop(), TreatmentSettings().to_hold_params())
    viewer = feed.add_viewer({"type": "status"})
    _frames(viewer)  # status and history
    interval = 1 / MAX_FRAME_RATE_HZ

    def arrive(value: float, after_s: float) -> None:
        clock.now += after_s
        feed.process(_batch(clock, value))
        feed.frame_due()

    arrive(1.0, 0.5)
    assert [[v for _, v in f["samples"]] for f in _frames(viewer)] == [[1.0]]  # at once
    arrive(2.0, interval / 4)
    arrive(3.0, interval / 4)
    assert _frames(viewer) == []  # held: the last frame is younger than the interval
    clock.now += interval / 2
    await asyncio.sleep(2 * interval)  # the held frame's timer runs on the loop's own clock
    held = _frames(viewer)
    assert [[v for _, v in f["samples"]] for f in held] == [[2.0, 3.0]]
    arrive(4.0, 0.5)  # quiet for a while: at once again
    assert [[v for _, v in f["samples"]] for f in _frames(viewer)] == [[4.0]]
    assert feed.seq == 3


async def test_a_frame_cap_interval_is_shorter_than_the_serial_readers_batches() -> None:
    """A paced serial reader's batch (every ``BATCH_INTERVAL_S``) finds the cap's interval over:
    at 1 kHz every batch is sent when it arrives, with no timer in between."""
    from presshold.firmware_bridge.serial_source import SerialSource

    assert 1 / MAX_FRAME_RATE_HZ < SerialSource.BATCH_INTERVAL_S
    assert live.MIN_INGEST_INTERVAL_S < SerialSource.BATCH_INTERVAL_S
