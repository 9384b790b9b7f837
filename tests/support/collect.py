"""A source sink that keeps everything a source hands over, for tests of the bridge's sources.

Sources call it from their reader thread, so every access goes through one lock; the test thread
polls with :meth:`Collect.wait` (judged on content, not on how fast a loaded machine delivers).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from presshold.firmware_bridge import ReadingBatch, Source, SourceStatus, open_source


class Collect:
    """Every batch and status a source hands over (a ``SourceSink``)."""

    def __init__(self) -> None:
        self.batches: list[ReadingBatch] = []
        self.statuses: list[SourceStatus] = []
        self.lock = threading.Lock()

    def on_readings(self, batch: ReadingBatch) -> None:
        with self.lock:
            self.batches.append(batch)

    def on_status(self, status: SourceStatus) -> None:
        with self.lock:
            self.statuses.append(status)

    def values(self) -> np.ndarray:
        """Every force so far (newtons), in order."""
        with self.lock:
            return (
                np.concatenate([b.force_n for b in self.batches]) if self.batches else np.empty(0)
            )

    def times(self) -> np.ndarray:
        """Every reading's time stamp so far (s), in order."""
        with self.lock:
            return np.concatenate([b.t_s for b in self.batches]) if self.batches else np.empty(0)

    def count(self) -> int:
        """How many readings so far."""
        with self.lock:
            return sum(len(b) for b in self.batches)

    def wait(self, cond: Callable[[], object], timeout: float = 5.0) -> bool:
        """Poll ``cond()`` until it is true (True) or ``timeout`` s have passed (False)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if cond():
                return True
            time.sleep(0.01)
        return False

    def wait_more(self, n: int, timeout: float = 5.0) -> list[float]:
        """Wait for ``n`` readings beyond those seen so far; return them (forces, newtons)."""
        start = self.count()
        came = self.wait(lambda: self.count() >= start + n, timeout)
        assert came, f"only {self.count() - start} of {n} readings came"
        return self.values()[start:].tolist()


@contextmanager
def streaming(spec: str, **kwargs: Any) -> Iterator[tuple[Source, Collect]]:
    """``open_source(spec)`` started into a :class:`Collect`, connected; stopped afterwards."""
    src = open_source(spec, **kwargs)
    sink = Collect()
    src.start(sink)
    try:
        assert sink.wait(lambda: src.status.connected, timeout=5)
        yield src, sink
    finally:
        src.stop()
