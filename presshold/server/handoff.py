"""Calls from other threads onto the event loop, in order, with one wake-up per burst.

``loop.call_soon_threadsafe`` writes a byte to the loop's self-pipe on every call: a system
call that releases the GIL. The hub's MQTT thread hands over a batch per message (32 stations ×
50 a second); a thread that gives up the GIL that often, beside a busy event loop, waits up to
the switch interval (5 ms) to get it back each time, and every message behind it waits too.
Here the first call of a burst schedules the loop and the calls that follow before it runs
ride along: one pipe write per burst, and the calls still run in the order they were made
(a station's status before the batch that follows it, which its session start relies on).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import weakref
from collections.abc import Callable
from typing import Any

log = logging.getLogger("presshold.server")

_handoffs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Handoff] = (
    weakref.WeakKeyDictionary()
)
_handoffs_lock = threading.Lock()


class Handoff:
    """One FIFO of calls into one loop (see module docstring); thread-safe."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._lock = threading.Lock()
        self._calls: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []
        self._scheduled = False

    @classmethod
    def of(cls, loop: asyncio.AbstractEventLoop) -> Handoff:
        """The loop's handoff: shared by every station, so a burst across stations costs one
        wake-up and their calls keep one order."""
        with _handoffs_lock:
            h = _handoffs.get(loop)
            if h is None:
                h = _handoffs[loop] = cls(loop)
            return h

    def post(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` on the loop after every call posted before it. Never blocks; once
        the loop is closed (shutdown) the call is dropped, as ``call_soon_threadsafe`` would."""
        with self._lock:
            self._calls.append((fn, args))
            if self._scheduled:
                return
            self._scheduled = True
        try:
            self._loop.call_soon_threadsafe(self._run)
        except RuntimeError:  # the loop closed
            with self._lock:
                self._calls.clear()
                self._scheduled = False

    def _run(self) -> None:
        with self._lock:
            calls, self._calls = self._calls, []
            self._scheduled = False
        for fn, args in calls:
            try:
                fn(*args)
            except Exception:  # one station's fault must not drop the calls behind it
                log.exception("%s failed on the event loop; continuing", fn)
