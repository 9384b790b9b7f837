"""Per-viewer outboxes: bounded, never blocking the producer, honest about what they drop."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from dataclasses import dataclass
from typing import Any

from presshold.server.jsonsafe import plain

VIEWER_QUEUE = 90  # ~1 s of frames at 80 Hz; overflow drops the viewer's own oldest frames

_encode = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode
"""One encoder for every message: ``json.dumps`` with options builds a new one per call, and a
1 kHz sensor's frames are encoded a few hundred times a second."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message encoded once, shared by every viewer's outbox."""

    kind: str
    text: str
    samples: int = 0

    @classmethod
    def of(cls, msg: dict[str, Any]) -> Outgoing:
        try:
            text = _encode(msg)
        except ValueError:  # a NaN somewhere: JSON (and the browser) cannot take it
            text = json.dumps(plain(msg), separators=(",", ":"))
        samples = msg.get("samples")  # a frame's list; events (hold_end) carry a count here
        return cls(msg["type"], text, len(samples) if isinstance(samples, list) else 0)


class Viewer:
    """One websocket's outbox. Bounded: on overflow it loses its own oldest *frame* (status and
    events are kept while frames remain to drop) and is told how many frames/samples it lost."""

    def __init__(self, limit: int = VIEWER_QUEUE) -> None:
        self.limit = limit
        self._box: deque[Outgoing] = deque()
        self._ready = asyncio.Event()
        self.dropped_frames = 0
        self.dropped_samples = 0
        self.dropped_total = 0

    def put(self, msg: Outgoing) -> None:
        if len(self._box) >= self.limit:
            victim = next((m for m in self._box if m.kind == "frame"), self._box[0])
            self._box.remove(victim)
            self.dropped_frames += 1
            self.dropped_samples += victim.samples
        self._box.append(msg)
        self._ready.set()

    async def get(self) -> str:
        """The next message's JSON text (a ``dropped`` notice first if frames were lost)."""
        while not self._box:
            self._ready.clear()
            await self._ready.wait()
        if self.dropped_frames:
            self.dropped_total += self.dropped_frames
            notice = {
                "type": "dropped",
                "frames": self.dropped_frames,
                "samples": self.dropped_samples,
                "total_frames": self.dropped_total,
            }
            self.dropped_frames = self.dropped_samples = 0
            return json.dumps(notice, separators=(",", ":"))
        return self._box.popleft().text
