"""Polling a gauge as fast as it answers: what to send when, the achieved rate, arrival stamps.

Pure and clock-free (``now`` is passed in), so the policy is tested without a thread or a port:

- :class:`Poller` keeps ``pipeline`` requests in flight. A gauge that queues commands then answers
  back to back and the host's round trip (USB latency, often 1-16 ms) is hidden; one that does not
  simply sees its requests one at a time. A request unanswered for ``reply_timeout_s`` is given
  up (counted) and the pipeline refilled, so a lost byte never stalls the stream. Replies to
  nothing but errors switch to the next request of the dialect (Mark-10 ``?C`` -> ``?``).
- :class:`RateMeter` counts readings per window of host time: the rate the source reports.
- :func:`spread_stamps` gives readings that arrived in one block read distinct, evenly spaced
  times since the previous arrival, instead of piling them up 1 µs apart.
"""

from __future__ import annotations

from collections import deque

import numpy as np

FALLBACK_AFTER = 2
"""Error replies in a row, with no reading yet, before the next request of the dialect is tried."""


class Poller:
    """Which commands to write now, given what came back."""

    def __init__(
        self,
        requests: tuple[bytes, ...],
        pipeline: int = 1,
        reply_timeout_s: float = 0.5,
        unit_query: bytes | None = None,
        unit_every_s: float = 2.0,
    ) -> None:
        self.requests = requests
        self.index = 0
        """Which of ``requests`` is in use (it moves on after errors only)."""
        self.pipeline = max(1, pipeline)
        self.reply_timeout_s = reply_timeout_s
        self.unit_query = unit_query
        self.unit_every_s = unit_every_s
        self.timeouts = 0
        """Requests given up because no reply came."""
        self.sent = 0
        self._in_flight: deque[float] = deque()  # send times, oldest first
        self._pending: list[bytes] = []  # one-off commands (zero, start) expecting no reply
        self._next_unit_query = 0.0
        self._errors_in_row = 0
        self._read_any = False

    @property
    def request(self) -> bytes | None:
        return self.requests[self.index] if self.requests else None

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    def send_once(self, command: bytes) -> None:
        """A command that expects no reply (zero, start streaming): written before the next poll."""
        self._pending.append(command)

    def due(self, now: float) -> list[bytes]:
        """Commands to write at ``now``, in order."""
        out, self._pending = self._pending, []
        if self._in_flight and now - self._in_flight[0] > self.reply_timeout_s:
            self.timeouts += len(self._in_flight)
            self._in_flight.clear()
        if self.unit_query is not None and now >= self._next_unit_query and not self._in_flight:
            self._next_unit_query = now + self.unit_every_s  # between polls, never mid-pipeline
            out.append(self.unit_query)
            self._in_flight.append(now)
        request = self.request
        while request is not None and len(self._in_flight) < self.pipeline:
            out.append(request)
            self._in_flight.append(now)
            self.sent += 1
        return out

    def answered(self, replies: int, readings: int, errors: int) -> str | None:
        """``replies`` lines came back; returns a message when the request had to change."""
        for _ in range(min(replies, len(self._in_flight))):
            self._in_flight.popleft()
        if readings:
            self._read_any, self._errors_in_row = True, 0
            return None
        self._errors_in_row += errors
        if (
            self._errors_in_row >= FALLBACK_AFTER
            and not self._read_any
            and self.index + 1 < len(self.requests)
        ):
            old = self.requests[self.index]
            self.index += 1
            self._errors_in_row = 0
            self._in_flight.clear()  # the rest of the refused batch answers nothing useful
            return f"gauge refuses {_show(old)}; polling with {_show(self.requests[self.index])}"
        return None

    def reset(self) -> None:
        """A new connection: nothing is in flight, the unit is asked again at once."""
        self._in_flight.clear()
        self._next_unit_query = 0.0


class RateMeter:
    """Readings per second over consecutive windows of ``window_s`` host seconds."""

    def __init__(self, window_s: float = 1.0) -> None:
        self.window_s = window_s
        self.rate_hz: float | None = None
        self._start: float | None = None
        self._count = 0

    def add(self, n: int, now: float) -> float | None:
        """``n`` readings arrived at ``now``; the new rate when a window closed, else None."""
        if self._start is None:
            self._start, self._count = now, 0  # the first arrival opens the window
            return None
        self._count += n
        elapsed = now - self._start
        if elapsed < self.window_s:
            return None
        self.rate_hz = self._count / elapsed
        self._start, self._count = now, 0
        return self.rate_hz

    def restart(self) -> None:
        """After a gap (unplug, a silent gauge) the next window starts afresh."""
        self._start = None


def spread_stamps(last_t: float, now: float, n: int, period_s: float) -> np.ndarray:
    """Host times for ``n`` readings read together at ``now``, strictly after ``last_t``.

    They are spaced evenly back from ``now`` by the smaller of ``period_s`` (the gauge's measured
    period) and an equal share of the time since the previous arrival; the last one is ``now``.
    """
    room = now - last_t
    step = min(period_s, room / n) if room > 0 else 0.0
    t = now - step * np.arange(n - 1, -1, -1, dtype=np.float64)
    floor = last_t + 1e-6 * np.arange(1, n + 1)
    return np.maximum(t, floor)


def _show(command: bytes) -> str:
    return repr(command.decode("ascii", "replace").rstrip("\r\n"))
