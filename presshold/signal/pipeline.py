"""``LivePipeline``: glitch guard → gap split → display/detect filters → hold detector.

One object serves live blocks and whole offline arrays; ``analyze`` is nothing but ``process``
calls over the whole trace in large blocks, so live and offline agree by construction. Every
piece of state (median look-behind, filter ``zi``, detector) is carried between calls, and any
split of a trace into blocks gives the same events, holds and metrics (the tests prove it).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from presshold.signal.detector import (
    IN_BAND,
    Event,
    HoldDetector,
    LiveState,
    zone_codes,
    zone_edges,
)
from presshold.signal.filters import FilterBank, GlitchGuard, design_filters, glitch_threshold
from presshold.signal.metrics import AlertRecord, HoldMetrics, SessionSummary
from presshold.signal.params import HoldParams

GAP_PERIODS = 5.0  # a step longer than this many sample periods is a gap …
GAP_MIN_S = 0.05  # … and at least this long (host-timestamped sources arrive in USB bursts)
RATE_PROBE = 8  # time steps whose median measures the sample rate at the start
MIN_RATE_HZ, MAX_RATE_HZ = 1.0, 10_000.0
RATE_MISMATCH = 0.2  # a nominal rate this far off the measured one is replaced
GLITCH_EVENT_S = 1.0  # at most one glitch event per second
BATCH_BLOCK = 1 << 16  # samples per process() call offline: large enough to amortise each
# call's fixed cost (~0.1 ms), small enough that its temporaries stay in cache and are reused
# instead of paging in fresh memory (docs/benchmarks.md)

Outputs = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # display, detect, codes, clean


@dataclass
class BlockResult:
    """Per-sample outputs of one ``process`` call (same length as its input) and its events."""

    display: np.ndarray
    detect: np.ndarray
    state_code: np.ndarray  # 0 idle, 1 pressing below band, 2 in band, 3 over (docs/holds.md)
    events: list[Event]
    # the glitch-guarded force, unfiltered: what peaks, scales and plotted traces use (a sensor
    # glitch is an event, never a force); the raw value stays in the store and the export
    clean: np.ndarray = field(default_factory=lambda: np.empty(0))

    @property
    def in_band(self) -> np.ndarray:
        return self.state_code == IN_BAND


class LivePipeline:
    """Streaming pipeline; ``process`` accepts blocks of any size with increasing times.

    ``display=False`` leaves out the display filter, whose output no hold, alert or metric
    depends on (they are judged on the detection signal): for offline analyses that keep no
    per-sample output. ``BlockResult.display`` is then the detection signal.
    """

    def __init__(
        self, params: HoldParams, nominal_rate_hz: float | None = None, *, display: bool = True
    ) -> None:
        self.params = params
        self.nominal_rate_hz = nominal_rate_hz
        self._display = display
        self.reset()

    # ---- control
    def reset(self) -> None:
        """Forget everything (a new session)."""
        self._guard = GlitchGuard()
        self._bank: FilterBank | None = None
        self._probe: list[float] | None = []  # first timestamps, until the rate is measured
        self._detector = HoldDetector(self.params)
        self._edges = zone_edges(self.params)
        self._glitch_n = glitch_threshold(self.params.target_n)
        self._pending: list[Event] = []
        self._glitched = False
        self._glitch_last: float | None = None
        self._glitch_backlog = 0
        self._last_t: float | None = None
        self.state = LiveState()
        if self.nominal_rate_hz:
            self._set_rate(float(self.nominal_rate_hz))

    def set_params(self, params: HoldParams) -> None:
        """New settings from the next sample on; an open hold/alert ends (reported next call)."""
        if params == self.params:
            return
        self.params = params
        self._detector.set_params(params, self._pending)
        self._edges = zone_edges(params)
        self._glitch_n = glitch_threshold(params.target_n)
        self._sync_state()

    def finish(self) -> list[Event]:
        """End of a trace: close the open alert and hold (no release is invented)."""
        ev, self._pending = self._pending, []
        self._detector.close("end_of_trace", ev)
        self._sync_state()
        return ev

    # ---- results
    @property
    def holds(self) -> list[HoldMetrics]:
        return self._detector.holds

    @property
    def alerts(self) -> list[AlertRecord]:
        return self._detector.alerts

    @property
    def sample_rate_hz(self) -> float | None:
        """The rate the filters were designed for (nominal, or estimated from the first samples)."""
        return self._bank.design.rate_hz if self._bank else None

    def summary(self) -> SessionSummary:
        s = self._detector.summary
        return SessionSummary(**{**s.__dict__, "hold_cv": list(s.hold_cv)})

    # ---- the hot path
    def process(self, t_s: np.ndarray, force_n: np.ndarray) -> BlockResult:
        """Feed the next block (seconds, newtons; any length, times increasing across calls).

        Returns per-sample display/detect signals and state codes, and the events that became
        known in this block (in time order). ``state`` is up to date afterwards.
        """
        t = np.asarray(t_s, dtype=float)
        f = np.asarray(force_n, dtype=float)
        events, self._pending = self._pending, []
        if t.size == 0:
            e = np.empty(0)
            return BlockResult(e, e, np.empty(0, np.intp), events, e)
        if self._probe is None:
            display, detect, codes, clean = self._process_rated(t, f, events)
        else:
            display, detect, codes, clean = self._process_start(t, f, events)
        if self._glitched:  # glitch events were listed before the detector's: restore time order
            events.sort(key=lambda e: e.t_s)
            self._glitched = False
        self._last_t = float(t[-1])
        self._sync_state(float(display[-1]), float(detect[-1]), bool(events))
        return BlockResult(display, detect, codes, events, clean)

    def _process_rated(self, t: np.ndarray, f: np.ndarray, events: list[Event]) -> Outputs:
        limit = self._gap_limit if self._probe is None else math.inf  # no gaps while probing
        prev = self._last_t
        if prev is not None and t[-1] - prev <= limit:  # the whole block spans less than a gap
            return self._segment(t, f, events)
        big = prev is not None and t[0] - prev > limit
        if t.size > 1:
            big = big or np.maximum.reduce(t[1:] - t[:-1]) > limit
        if not big:
            return self._segment(t, f, events)
        dt = np.diff(t, prepend=prev if prev is not None else t[0])
        starts = np.flatnonzero(dt > limit).tolist()
        bounds = [0, *starts, t.size] if starts[0] else [*starts, t.size]
        display, detect, clean = np.empty(t.size), np.empty(t.size), np.empty(t.size)
        codes = np.empty(t.size, np.intp)
        for a, b in itertools.pairwise(bounds):
            if dt[a] > limit:
                self._gap(float(t[a]), float(dt[a]), events)
            display[a:b], detect[a:b], codes[a:b], clean[a:b] = self._segment(
                t[a:b], f[a:b], events
            )
        return display, detect, codes, clean

    def _segment(self, t: np.ndarray, f: np.ndarray, events: list[Event]) -> Outputs:
        """A gap-free stretch: glitch guard, both filters, detector."""
        assert self._bank is not None
        x = self._clean(t, f, events)
        display, detect = self._bank.process(x)
        codes = zone_codes(self._edges, detect)
        self._detector.process(t, detect, codes, events)
        return display, detect, codes, x

    def _gap(self, t_s: float, gap_s: float, events: list[Event]) -> None:
        """Not filtered across: close the press, restart guard and filters from the next sample."""
        self._detector.interrupt("gap", events)
        self._detector.summary.gaps += 1
        self._guard.reset()
        assert self._bank is not None
        self._bank.restart()
        events.append(Event("gap", t_s, {"gap_s": gap_s, "since_s": t_s - gap_s}))

    # ---- start-up: measure the rate
    def _process_start(self, t: np.ndarray, f: np.ndarray, events: list[Event]) -> Outputs:
        parts = []
        i = 0
        while self._probe is not None and i < t.size:
            head = min(RATE_PROBE + 1 - len(self._probe), t.size - i)
            parts.append(self._probe_rate(t[i : i + head], f[i : i + head], events))
            i += head
        if i < t.size:
            parts.append(self._process_rated(t[i:], f[i:], events))
        if len(parts) == 1:
            return parts[0]
        display, detect, codes, clean = zip(*parts, strict=True)
        return (
            np.concatenate(display),
            np.concatenate(detect),
            np.concatenate(codes),
            np.concatenate(clean),
        )

    def _probe_rate(self, t: np.ndarray, f: np.ndarray, events: list[Event]) -> Outputs:
        """The first samples measure the sample rate (median of the first 8 steps).

        Without a nominal rate they pass through unfiltered meanwhile. A nominal rate is used at
        once, and replaced by the measured one if that is more than 20 % off (the filters then
        restart at the next sample). Both happen at a fixed sample index, whatever the blocks.
        """
        assert self._probe is not None
        self._probe.extend(t.tolist())
        if self._bank is None:
            x = self._clean(t, f, events).copy()  # never alias the caller's array
            codes = zone_codes(self._edges, x)
            self._detector.process(t, x, codes, events)
            out = (x, x.copy(), codes, x.copy())
        else:
            out = self._process_rated(t, f, events)
        self._last_t = float(t[-1])
        if len(self._probe) > RATE_PROBE:
            steps = np.diff(self._probe)
            steps = steps[steps > 0]
            if steps.size == 0:  # no usable time steps yet: keep probing
                self._probe = self._probe[-1:]
            else:
                self._probe = None
                measured = 1.0 / _median(steps)
                nominal = self._bank.design.rate_hz if self._bank else None
                if nominal is None or abs(measured / nominal - 1) > RATE_MISMATCH:
                    self._set_rate(measured)
        return out

    def _clean(self, t: np.ndarray, f: np.ndarray, events: list[Event]) -> np.ndarray:
        """Glitch guard; a storm of garbage (a loose wire) gives one event per second, not per
        sample — ``data.count`` says how many samples that event stands for."""
        x, replaced = self._guard.clean(f, self._glitch_n)
        if replaced is not None:
            self._detector.summary.glitches += replaced.size
            for i in replaced.tolist():
                ti = float(t[i])
                self._glitch_backlog += 1
                if self._glitch_last is not None and ti - self._glitch_last < GLITCH_EVENT_S:
                    continue
                r = float(f[i])
                data = {
                    "raw_n": r if np.isfinite(r) else None,
                    "replaced_n": float(x[i]),
                    "count": self._glitch_backlog,
                }
                events.append(Event("glitch", ti, data))
                self._glitch_last, self._glitch_backlog = ti, 0
                self._glitched = True
        return x

    def _set_rate(self, rate: float) -> None:
        rate = min(max(rate, MIN_RATE_HZ), MAX_RATE_HZ)
        self._bank = FilterBank(design_filters(rate), display=self._display)
        self._gap_limit = max(GAP_PERIODS / rate, GAP_MIN_S)
        self.state.sample_rate_hz = rate

    # ---- bookkeeping
    def _sync_state(
        self, display: float | None = None, detect: float | None = None, changed: bool = True
    ) -> None:
        """Per block: time, forces, timer; the rest only changes with an event."""
        st, d = self.state, self._detector
        if self._last_t is not None:
            st.t_s = self._last_t
        if display is not None and detect is not None:
            st.force_display_n = display
            st.force_detect_n = detect
        st.band_state = d.band_state()
        st.in_band = st.band_state == "in_band"
        st.hold_s = d.hold_elapsed()
        if changed:
            st.pressing = d.pressing
            st.holds_completed = d.holds_completed
            st.alert = d.alert


@dataclass
class Analysis:
    """Offline result; ``to_dict()`` is the JSON of ``presshold analyze --json``."""

    holds: list[HoldMetrics]
    alerts: list[AlertRecord]
    summary: SessionSummary
    sample_rate_hz: float | None
    events: list[Event] = field(default_factory=list, repr=False)
    samples: BlockResult | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        s = self.summary.to_dict()
        s["sample_rate_hz"] = self.sample_rate_hz
        top = ("samples", "duration_s", "pressing_s", "time_in_band_s", "time_over_s")
        return {
            "sample_rate_hz": self.sample_rate_hz,
            **{k: s[k] for k in (*top, "time_under_s", "presses", "holds_completed")},
            "holds": [h.to_dict() for h in self.holds],
            "alerts": [a.to_dict() for a in self.alerts],
            "summary": s,
        }


def analyze(
    t_s: np.ndarray,
    force_n: np.ndarray,
    params: HoldParams,
    nominal_rate_hz: float | None = None,
    *,
    keep_samples: bool = False,
    changes: Sequence[tuple[int, HoldParams]] = (),
) -> Analysis:
    """Offline analysis: the live pipeline run over the whole trace, then ``finish``.

    The trace goes through ``process`` in blocks of ``BATCH_BLOCK`` samples — the live code path,
    whose results do not depend on the split. With ``keep_samples`` the per-sample outputs
    (display, detect, state codes, clean force) are kept too — the filtered/state columns of a
    CSV export; without, the display filter is left out (nothing reported depends on it).
    ``changes`` are ``(first sample, params)`` of mid-trace settings changes (an export's
    settings columns), applied from that sample on as the live view did.
    """
    t_s, force_n = np.asarray(t_s, float), np.asarray(force_n, float)
    pipe = LivePipeline(params, nominal_rate_hz, display=keep_samples)
    cuts = [(i, p) for i, p in changes if 0 < i < t_s.size]
    starts = [0, *(i for i, _ in cuts)]
    ends = [*(i for i, _ in cuts), t_s.size]
    events: list[Event] = []
    results: list[BlockResult] = []
    for k, (a, b) in enumerate(zip(starts, ends, strict=True)):
        if k:
            pipe.set_params(cuts[k - 1][1])
        for lo in range(a, max(b, a + 1), BATCH_BLOCK):  # an empty trace: one empty call
            part = slice(lo, min(lo + BATCH_BLOCK, b))
            r = pipe.process(t_s[part], force_n[part])
            events += r.events
            if keep_samples:
                results.append(r)
    events += pipe.finish()
    s = pipe.summary()
    rate = s.sample_rate_hz or pipe.sample_rate_hz
    res = (results[0] if len(results) == 1 else _concat(results)) if keep_samples else None
    return Analysis(pipe.holds, pipe.alerts, s, rate, events, res)


def _median(x: np.ndarray) -> float:
    """``np.median`` of a few values, without the ``numpy.ma`` import it triggers (~8 ms of a
    fresh process's start-up)."""
    s = np.sort(x)
    m = s.size // 2
    return float(s[m]) if s.size % 2 else float((s[m - 1] + s[m]) / 2)


def _concat(results: list[BlockResult]) -> BlockResult:
    return BlockResult(
        np.concatenate([r.display for r in results]),
        np.concatenate([r.detect for r in results]),
        np.concatenate([r.state_code for r in results]),
        [e for r in results for e in r.events],
        np.concatenate([r.clean for r in results]),
    )
