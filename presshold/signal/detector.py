"""Hold and alert detection on the detection signal (semantics: docs/holds.md).

The state machine is vectorised: a block is cut into *runs* of samples in the same zone
(released / under / in band / over), and Python work happens once per run, not per sample.
Timer thresholds inside a run (grace, min_hold, hold) are found with ``searchsorted``. Every
decision depends only on the samples and carried state, never on where a block ends, so any
block split gives the same events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from presshold.signal.metrics import AlertRecord, HoldAccumulator, HoldMetrics, SessionSummary
from presshold.signal.params import RELEASING_WINDOW_S, HoldParams

# zones of the detection signal, also the per-sample state_code (0 = not pressing)
IDLE, UNDER, IN_BAND, OVER = 0, 1, 2, 3
_ALERT_OF_ZONE = {OVER: "over", UNDER: "under"}
# what a live view says about the state (LiveState.band_state): one source for word, colour,
# alert and timer (docs/holds.md, "The live state")
BAND_STATES = ("idle", "under", "in_band", "over")


@dataclass
class Event:
    """Something that happened, reported at ``t_s`` — the sample at which it became known."""

    kind: str
    t_s: float
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class LiveState:
    """What a live view shows after the last processed sample."""

    t_s: float = 0.0
    force_display_n: float = 0.0
    force_detect_n: float = 0.0
    in_band: bool = False
    pressing: bool = False
    hold_s: float = 0.0  # current hold's elapsed time (0 when there is none)
    holds_completed: int = 0
    alert: str | None = None
    sample_rate_hz: float | None = None
    band_state: str = "idle"  # idle / under / in_band / over, with the detector's hysteresis


def zone_edges(params: HoldParams) -> np.ndarray:
    """``searchsorted(edges, y, 'right')`` gives the zone; the band is closed, release wins."""
    lo, hi = params.band
    r = params.release_n
    lo = max(lo, r)
    return np.array([r, lo, max(np.nextafter(hi, np.inf), lo)])


ZONE_SEARCH_MAX = 64  # blocks up to this long: one searchsorted call (the cheapest per call)


def zone_codes(edges: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``edges.searchsorted(y, "right")``: the zone of each sample (a new array).

    A long block counts the edges at or below each sample by three comparisons instead: the same
    numbers (NaN included: not below any edge, like searchsorted's NaN-last order) about seven
    times faster, as a binary search per sample mispredicts its branches."""
    if y.size <= ZONE_SEARCH_MAX:
        return edges.searchsorted(y, "right")
    codes = np.less(y, edges[0]).astype(np.intp)
    codes += np.less(y, edges[1])
    codes += np.less(y, edges[2])
    return np.subtract(3, codes, out=codes)


class HoldDetector:
    """Press / hold / alert state machine over runs of equal zone."""

    def __init__(self, params: HoldParams) -> None:
        self.params = params
        self.summary = SessionSummary()
        self.holds: list[HoldMetrics] = []
        self.alerts: list[AlertRecord] = []
        self.last_t: float | None = None
        self._zone: int | None = None
        self._zone_since = 0.0
        self._above_half: tuple[float, float] | None = None  # (t, y) where it crossed target/2
        self.pressing = False
        self._press_start: tuple[float, float] = (0.0, 0.0)
        self._entry: tuple[float, float] | None = None  # first band entry of this press
        self._exc_since: float | None = None  # out-of-band excursion start (within the press)
        self._exc_chunks: list[np.ndarray] = []
        self.hold: HoldAccumulator | None = None
        self.alert: str | None = None
        self._alert_rec: AlertRecord | None = None
        self._alerts_since_hold = 0
        self.holds_completed = 0
        # the last RELEASING_WINDOW_S of this gap-free stretch, to tell a release from a slip
        self._tail_t = np.empty(0)
        self._tail_y = np.empty(0)
        self._look: tuple[np.ndarray, np.ndarray] | None = None  # tail + current segment

    # ---- public
    def process(self, t: np.ndarray, y: np.ndarray, zones: np.ndarray, ev: list[Event]) -> None:
        """Advance over one gap-free segment; ``zones`` is edited in place into state codes."""
        n = t.size
        z0 = int(zones[0])
        self._look = None
        if n > 1:
            cuts = (zones[1:] != zones[:-1]).nonzero()[0]
            if cuts.size:
                bounds = [0, *(cuts + 1).tolist(), n]
                for j in range(len(bounds) - 1):
                    s, e = bounds[j], bounds[j + 1]
                    self._run(t, y, zones, s, e, int(zones[s]), ev)
                self._keep_tail(t, y)
                return
        self._run(t, y, zones, 0, n, z0, ev)
        self._keep_tail(t, y)

    def _keep_tail(self, t: np.ndarray, y: np.ndarray) -> None:
        """Keep the samples a later look-back can need: from the last one at or before
        ``t[-1] - RELEASING_WINDOW_S`` on (later samples look back to later times)."""
        self.last_t = float(t[-1])
        self._look = None
        cut = self.last_t - RELEASING_WINDOW_S
        if t[0] <= cut:
            k = max(int(t.searchsorted(cut, "right")) - 1, 0)
            self._tail_t, self._tail_y = t[k:].copy(), y[k:].copy()
            return
        tt, yy = np.concatenate((self._tail_t, t)), np.concatenate((self._tail_y, y))
        k = max(int(tt.searchsorted(cut, "right")) - 1, 0)
        self._tail_t, self._tail_y = tt[k:], yy[k:]

    def _releasing(self, t: np.ndarray, y: np.ndarray, s: int, e: int) -> np.ndarray:
        """Per sample of ``[s, e)``: has the signal fallen by more than ``releasing_drop_n``
        since the last sample at or before ``RELEASING_WINDOW_S`` ago (in this stretch)?"""
        if self._look is None:
            self._look = (np.concatenate((self._tail_t, t)), np.concatenate((self._tail_y, y)))
        lt, ly = self._look
        j = lt.searchsorted(t[s:e] - RELEASING_WINDOW_S, "right") - 1
        ok = j >= 0
        drop = np.where(ok, ly[np.maximum(j, 0)] - y[s:e], -np.inf)
        return drop > self.params.releasing_drop_n

    def interrupt(self, reason: str, ev: list[Event]) -> None:
        """A gap: close everything at the last sample; the next sample starts afresh."""
        if self.last_t is not None and self.pressing:
            self._release(self.last_t, ev, reason)
        self.last_t = None
        self._zone = None
        self._above_half = None
        self._tail_t, self._tail_y, self._look = np.empty(0), np.empty(0), None

    def close(self, reason: str, ev: list[Event]) -> None:
        """End the open alert and hold at the last sample (end of trace, new settings)."""
        if self.last_t is None:
            return
        self._end_alert(self.last_t, ev)
        if self.hold is not None:
            self._end_hold(self.last_t, ev, reason)
        self._exc_since = None
        self._exc_chunks = []

    def set_params(self, params: HoldParams, ev: list[Event]) -> None:
        self.close("settings", ev)
        self.params = params
        self._entry = None
        self._zone = None

    @property
    def zone(self) -> int | None:
        """Zone of the last sample (None after a gap or new settings)."""
        return self._zone

    def band_state(self) -> str:
        """The one state a live view shows (word, colour, alert and timer agree): the alert
        if one is raised; ``in_band`` while a hold's timer runs (a bridged excursion shorter
        than ``grace`` included — the same hysteresis that decides alerts); else the zone."""
        if not self.pressing or self._zone is None:
            return "idle"
        if self.alert is not None:
            return self.alert
        if self.hold is not None:
            return "in_band"
        return BAND_STATES[self._zone]

    def hold_elapsed(self) -> float:
        if self.hold is None or self.last_t is None:
            return 0.0
        return self.last_t - self.hold.start_s

    # ---- one run of samples in the same zone
    def _run(
        self,
        t: np.ndarray,
        y: np.ndarray,
        codes: np.ndarray,
        s: int,
        e: int,
        z: int,
        ev: list[Event],
    ) -> None:
        if z != self._zone:
            self._zone = z
            self._zone_since = float(t[s])
        if z == IDLE:
            if self.pressing:
                self._release(float(t[s]), ev, "force")
            self._above_half = None
            self._count_time(t, s, e, None)
            return
        if self._above_half is None:
            self._above_half = (float(t[s]), float(y[s]))
        if not self.pressing:
            if z == UNDER:
                above = y[s:e] >= self.params.press_on_n
                k = int(above.argmax())
                if not above[k]:
                    codes[s:e] = IDLE
                    self._count_time(t, s, e, None)
                    return
                if k:
                    codes[s : s + k] = IDLE
                    self._count_time(t, s, s + k, None)
                    s += k
            self._start_press(float(t[s]), ev)
        self._count_time(t, s, e, z)
        if z == IN_BAND:
            self._in_band(t, y, s, e, ev)
        else:
            self._out_of_band(t, y, s, e, z, ev)

    def _in_band(self, t: np.ndarray, y: np.ndarray, s: int, e: int, ev: list[Event]) -> None:
        p = self.params
        t_s = float(t[s])
        self._end_alert(t_s, ev)
        if self._entry is None:
            self._entry = (t_s, float(y[s]))
        hold = self.hold
        if hold is None:
            hold = self.hold = HoldAccumulator(t_s, p.target_n)
        elif self._exc_chunks:  # the excursion was shorter than grace: bridged
            for c in self._exc_chunks:
                hold.add(c)
        self._exc_since = None
        self._exc_chunks = []
        hold.add(y[s:e])
        t_last = float(t[e - 1])
        hold.last_in_s = t_last
        if not hold.confirmed and t_last >= hold.start_s + p.min_hold_s:
            i = s + int(t[s:e].searchsorted(hold.start_s + p.min_hold_s))
            hold.confirmed = True
            ev.append(
                Event(
                    "hold_start",
                    float(t[i]),
                    {"start_s": hold.start_s, "time_to_band_s": self._time_to_band()},
                )
            )
        done_at = hold.start_s + max(p.hold_s, p.min_hold_s)
        if hold.confirmed and not hold.completed and t_last >= done_at:
            i = s + int(t[s:e].searchsorted(done_at))
            hold.completed = True
            self.holds_completed += 1
            self.summary.holds_completed += 1
            ev.append(
                Event(
                    "hold_complete",
                    float(t[i]),
                    {"start_s": hold.start_s, "duration_s": float(t[i]) - hold.start_s},
                )
            )

    def _out_of_band(
        self, t: np.ndarray, y: np.ndarray, s: int, e: int, z: int, ev: list[Event]
    ) -> None:
        p = self.params
        kind = _ALERT_OF_ZONE[z]
        if self.alert is not None and self.alert != kind:  # jumped across the band
            self._end_alert(float(t[s]), ev)
        if self._exc_since is None:
            self._exc_since = float(t[s])
        t_last = float(t[e - 1])
        i_alert = i_end = e
        alert_at = self._zone_since + p.grace_s
        eligible = z == OVER or self._entry is not None
        if eligible and self.alert is None and t_last >= alert_at:
            i_alert = s + int(t[s:e].searchsorted(alert_at))
            if z == UNDER:  # a release in progress is not a slip: wait until the fall slows
                falling = self._releasing(t, y, i_alert, e)
                i_alert += int(falling.argmin()) if not falling.all() else e - i_alert
        end_at = self._exc_since + p.grace_s
        if self.hold is not None and t_last >= end_at:
            i_end = s + int(t[s:e].searchsorted(end_at))
        if i_alert < e and i_alert <= i_end:
            self._start_alert(kind, float(t[i_alert]), ev)
        if i_end < e:
            self._end_hold(float(t[i_end]), ev, "excursion")
            self._exc_chunks = []
            if i_alert < e and i_alert > i_end:
                self._start_alert(kind, float(t[i_alert]), ev)
        elif self.hold is not None:
            self._exc_chunks.append(y[s:e])

    # ---- transitions
    def _start_press(self, t_s: float, ev: list[Event]) -> None:
        assert self._above_half is not None
        self.pressing = True
        self._press_start = self._above_half
        self._entry = None
        self._exc_since = None
        self._alerts_since_hold = 0
        self.summary.presses += 1
        ev.append(Event("press_start", t_s, {"start_s": self._press_start[0]}))

    def _release(self, t_s: float, ev: list[Event], reason: str) -> None:
        self._end_alert(t_s, ev)
        if self.hold is not None:
            self._end_hold(t_s, ev, "release" if reason == "force" else reason)
        self.pressing = False
        self._entry = None
        self._exc_since = None
        self._exc_chunks = []
        press_s = t_s - self._press_start[0]
        ev.append(Event("release", t_s, {"press_s": press_s, "reason": reason}))

    def _start_alert(self, kind: str, t_s: float, ev: list[Event]) -> None:
        self.alert = kind
        self._alerts_since_hold += 1
        self.summary.alerts += 1
        if kind == "over":
            self.summary.alerts_over += 1
        else:
            self.summary.alerts_under += 1
        self._alert_rec = AlertRecord(self._zone_since, None, kind)
        self.alerts.append(self._alert_rec)
        ev.append(Event("alert_start", t_s, {"alert": kind, "since_s": self._zone_since}))

    def _end_alert(self, t_s: float, ev: list[Event]) -> None:
        if self.alert is None:
            return
        ev.append(Event("alert_end", t_s, {"alert": self.alert}))
        if self._alert_rec is not None:
            self._alert_rec.end_s = t_s
        self.alert = None
        self._alert_rec = None

    def _end_hold(self, t_s: float, ev: list[Event], reason: str) -> None:
        hold = self.hold
        assert hold is not None
        self.hold = None
        if not hold.confirmed:
            return  # shorter than min_hold: not a hold
        ttb = self._time_to_band()
        rise = None
        if ttb is not None and ttb > 0 and self._entry is not None:
            rise = (self._entry[1] - self._press_start[1]) / ttb
        m = hold.metrics(
            time_to_band_s=ttb, rise_rate=rise, alerts=self._alerts_since_hold, end_reason=reason
        )
        self._alerts_since_hold = 0
        self.holds.append(m)
        self.summary.holds += 1
        self.summary.hold_cv.append(m.cv)
        ev.append(Event("hold_end", t_s, m.to_dict()))

    def _time_to_band(self) -> float | None:
        if self._entry is None or not self.pressing:
            return None
        return self._entry[0] - self._press_start[0]

    def _count_time(self, t: np.ndarray, s: int, e: int, zone: int | None) -> None:
        """Each sample owns the interval back to its predecessor (none after a gap)."""
        if s >= e:
            return
        sm = self.summary
        sm.samples += e - s
        if s > 0:
            span, steps = float(t[e - 1] - t[s - 1]), e - s
        elif self.last_t is not None:
            span, steps = float(t[e - 1]) - self.last_t, e - s
        else:
            span, steps = float(t[e - 1] - t[s]), e - s - 1
        if span <= 0:
            return
        sm.duration_s += span
        sm.intervals += steps
        if zone is None:
            return
        sm.pressing_s += span
        if zone == IN_BAND:
            sm.time_in_band_s += span
        elif zone == OVER:
            sm.time_over_s += span
        else:
            sm.time_under_s += span
