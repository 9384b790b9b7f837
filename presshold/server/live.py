"""One station's live path: parked batches → signal pipeline → frames for its viewers, pushed as
samples arrive.

Why event-driven: a fixed frame tick made every sample wait up to a tick (33 ms at 30 Hz) before
any viewer saw it. Here the reader thread parks a batch and asks the loop for *one* wake-up
(further batches that arrive before the loop runs it ride along), so a sample is processed and
sent within a loop turn. What a 1 kHz sensor costs is set by how often the server wakes up —
each wake-up of a thread, with its cold caches and system calls, costs far more than the few
samples it handles — so the rate of batches is paced, at the source, and capped here:

- a serial sensor's reader hands over a batch at most every 4 ms
  (``SerialSource.BATCH_INTERVAL_S``: about four lines at 1 kHz; an 80 Hz line is never held);
- a frame at most every ``1 / MAX_FRAME_RATE_HZ`` (300 a second), sent at once when the last
  one is older than that (leading edge), else when that interval ends (trailing edge). It is
  set just above the serial reader's 250 batches a second, so every batch of a paced sensor goes
  out on arrival, with no timer between; it only binds sources that deliver in smaller pieces.
  A lower cap (the display's 60–120 Hz) would not save the reader's wake-ups, would wake the
  loop a second time for each held frame, and would make a 1 kHz sample wait longer. The page
  still paints once per animation frame, showing the newest frame;
- ingest at most every ``MIN_INGEST_INTERVAL_S``, the same interval: a sample ingested sooner
  would only wait for the next frame, and a source that delivers line by line at 1 kHz must not
  cost a pipeline call per line.

Samples held back ride in the next frame, so nothing is lost, only grouped.

Each message is JSON-encoded once for all viewers (:class:`~presshold.server.viewers.Outgoing`).
History is a bounded ring (30 s at up to 2 kHz), so memory stays flat over an 8 h session.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from presshold.firmware_bridge.source import ReadingBatch
from presshold.server.viewers import Outgoing, Viewer
from presshold.signal import HoldParams, LivePipeline
from presshold.signal.pipeline import BlockResult

HISTORY_S = 30.0
MAX_FRAME_RATE_HZ = 300.0
MIN_INGEST_INTERVAL_S = 1 / MAX_FRAME_RATE_HZ  # ingesting more often would only queue samples
HEARTBEAT_S = 1.0


def merge(batches: list[ReadingBatch]) -> ReadingBatch:
    if len(batches) == 1:
        return batches[0]
    return ReadingBatch(
        t_s=np.concatenate([b.t_s for b in batches]),
        raw=np.concatenate([b.raw for b in batches]),
        force_n=np.concatenate([b.force_n for b in batches]),
    )


class FeedGate(Protocol):
    """What a running trainer protocol does to this feed's messages (presshold.server.trainer):
    ``annotate`` adds the ``run`` field to frames for everyone; ``mask`` is what the station's
    own viewers get — the same message, a copy without the force, or ``None`` (withheld)."""

    def annotate(self, msg: dict[str, Any]) -> dict[str, Any]: ...

    def mask(self, msg: dict[str, Any]) -> dict[str, Any] | None: ...


class Inbox:
    """Batches parked by a reader thread, with one coalesced loop wake-up for all of them."""

    def __init__(self, loop: asyncio.AbstractEventLoop, wake: Callable[[], None]) -> None:
        self._loop = loop
        self._wake = wake
        self._lock = threading.Lock()
        self._batches: list[ReadingBatch] = []
        self._scheduled = False

    def put(self, batch: ReadingBatch) -> None:
        """Reader thread: never blocks beyond a list append."""
        with self._lock:
            self._batches.append(batch)
            if self._scheduled:
                return
            self._scheduled = True
        # a closed loop (shutdown) refuses: the batch stays parked for the final take()
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._wake)

    def park(self, batch: ReadingBatch) -> None:
        """Loop: keep a batch for the next :meth:`take` without scheduling a wake-up (the
        caller ingests it on its own schedule)."""
        with self._lock:
            self._batches.append(batch)

    def take(self) -> ReadingBatch | None:
        """Loop: everything parked so far, as one batch."""
        with self._lock:
            batches, self._batches = self._batches, []
            self._scheduled = False
        return merge(batches) if batches else None


class LiveFeed:
    """Pipeline state, the last 30 s, and the frames of one station; lives on the event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, params: HoldParams) -> None:
        self.loop = loop
        self.pipeline = LivePipeline(params, None)
        self.t0 = time.monotonic()
        self.history: deque[list[float]] = deque(maxlen=int(HISTORY_S * 2000))
        self.pending: list[list[float]] = []
        self.viewers: set[Viewer] = set()
        self.full_viewers: set[Viewer] = set()  # the trainer's view: never masked by the gate
        self.gate: FeedGate | None = None
        self.seq = 0
        self.last_frame = 0.0
        self._flush: asyncio.TimerHandle | None = None
        self._history_cache: tuple[tuple[float, int, int, int], Outgoing] | None = None

    # --- samples
    def process(self, batch: ReadingBatch) -> BlockResult:
        """Run the pipeline on a batch (host monotonic stamps) and queue its samples for viewers."""
        t_rel = batch.t_s - self.t0
        if self.pipeline.state.t_s and t_rel[0] < self.pipeline.state.t_s:
            self.pipeline.reset()  # the time base restarted with a new session
        result = self.pipeline.process(t_rel, batch.force_n)
        # one vectorised rounding per batch; history and frames share the same [t_s, force] pairs
        # of the glitch-guarded force (a glitch is an event, never drawn as force: issue 11)
        pairs = np.column_stack((np.round(t_rel, 4), np.round(result.clean, 3)))
        rows = pairs.tolist()
        self.history.extend(rows)
        self.pending.extend(rows)
        return result

    def restart_time_base(self, t0: float) -> None:
        """A new session: seconds restart at 0, history and pipeline state are cleared. Samples
        processed but not yet sent go out first on the old time base (no hole in the trace)."""
        if self.pending:
            self.send_frame()
        self.t0 = t0
        self.history.clear()
        self.pending.clear()
        self.pipeline.reset()

    def now_s(self) -> float:
        return time.monotonic() - self.t0

    # --- frames
    def frame_due(self) -> None:
        """Samples are pending: send now, or at the earliest time the frame-rate cap allows."""
        wait = self.last_frame + 1 / MAX_FRAME_RATE_HZ - time.monotonic()
        if wait <= 0:
            self.send_frame()
        elif self._flush is None:
            self._flush = self.loop.call_later(wait, self._flush_now)

    def _flush_now(self) -> None:
        self._flush = None
        if self.pending:
            self.send_frame()

    def heartbeat(self, now: float) -> None:
        """A frame at least every ``HEARTBEAT_S`` so viewers know the server is alive."""
        if now - self.last_frame >= HEARTBEAT_S:
            self.send_frame()

    def frame(self) -> dict[str, Any]:
        samples, self.pending = self.pending, []
        self.seq += 1
        t = self.history[-1][0] if self.history else self.now_s()
        st = self.pipeline.state
        p = self.pipeline.params
        return {
            "type": "frame",
            "seq": self.seq,
            "t_s": round(t, 4),
            "force_n": round(st.force_display_n, 3),
            "in_band": st.in_band,
            "state": st.band_state,  # the one state the page shows (docs/holds.md)
            "pressing": st.pressing,
            "hold_s": round(st.hold_s, 3),
            "hold_target_s": p.hold_s,
            "holds_completed": st.holds_completed,
            "alert": st.alert,
            "band_n": list(p.band),
            "samples": samples,
        }

    def send_frame(self) -> None:
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        self.broadcast(self.frame())
        self.last_frame = time.monotonic()

    # --- viewers
    def history_message(self) -> dict[str, Any]:
        """The last 30 s, minus the samples the next frame carries (no viewer sees one twice)."""
        sent = len(self.history) - len(self.pending)
        cutoff = (self.history[-1][0] - HISTORY_S) if self.history else 0.0
        samples = [p for p in itertools.islice(self.history, 0, max(sent, 0)) if p[0] >= cutoff]
        return {"type": "history", "samples": samples}

    def add_viewer(self, status: dict[str, Any], full: bool = False) -> Viewer:
        """A new viewer starts with ``status`` and the last 30 s, then live messages; while a
        trainer's gate hides the force, only ``full`` viewers (the trainer's) see them whole."""
        v = Viewer()
        if self.gate is None:
            v.put(Outgoing.of(status))
            v.put(self._history_outgoing())
        for msg in (status, self.history_message()) if self.gate is not None else ():
            shown: dict[str, Any] | None = self.gate.annotate(msg)
            shown = shown if full else self.gate.mask(shown)
            if shown is not None:
                v.put(Outgoing.of(shown))
        self.viewers.add(v)
        if full:
            self.full_viewers.add(v)
        return v

    def _history_outgoing(self) -> Outgoing:
        """The history message, encoded once however many viewers join before it changes (a
        classroom reloading at once must not stall the loop with 30 s encodings)."""
        h = self.history
        key = (self.t0, len(h), len(self.pending), id(h[-1]) if h else 0)  # t0: a new session
        if self._history_cache is None or self._history_cache[0] != key:
            self._history_cache = (key, Outgoing.of(self.history_message()))
        return self._history_cache[1]

    def remove_viewer(self, v: Viewer) -> None:
        self.viewers.discard(v)
        self.full_viewers.discard(v)

    def broadcast(self, msg: dict[str, Any]) -> None:
        if not self.viewers:
            return
        if self.gate is not None:
            msg = self.gate.annotate(msg)
            masked = self.gate.mask(msg)
            if masked is not msg:
                self._broadcast_masked(msg, masked)
                return
        out = Outgoing.of(msg)
        for v in self.viewers:  # never waits: a slow viewer only loses its own oldest frames
            v.put(out)

    def _broadcast_masked(self, msg: dict[str, Any], masked: dict[str, Any] | None) -> None:
        full = Outgoing.of(msg) if self.full_viewers else None
        out = Outgoing.of(masked) if masked is not None else None
        for v in self.viewers:
            if v in self.full_viewers:
                assert full is not None
                v.put(full)
            elif out is not None:
                v.put(out)

    def viewer_stats(self) -> tuple[int, int]:
        return len(self.viewers), sum(1 for v in self.viewers if v.dropped_frames)
