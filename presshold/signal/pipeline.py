"""Live hold detection: glitch rejection, low-pass filtering and a hold/alert state machine.

The same ``LivePipeline`` serves live blocks and whole offline arrays, so live and offline
results agree by construction: all state (filter ``zi``, median history, machine state) is carried
between ``process`` calls.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy.signal import butter, sosfilt, sosfilt_zi

from presshold.errors import ConfigError

# state_code per sample
IDLE, BELOW, IN_BAND, OVER = 0, 1, 2, 3
GLITCH_N = 1000.0  # a jump this large against both neighbours is a sensor glitch, not a press
GAP_PERIODS = 5.0  # dt above this many nominal periods is a gap: filters restart


@dataclass(frozen=True)
class HoldParams:
    target_n: float
    tolerance_n: float
    hold_s: float
    grace_s: float = 0.5
    min_hold_s: float = 1.0

    def __post_init__(self) -> None:
        if not (self.target_n > 0 and 0 < self.tolerance_n < self.target_n):
            raise ConfigError("target must be > 0 and tolerance between 0 and the target")
        if not (self.hold_s > 0 and self.grace_s >= 0 and self.min_hold_s >= 0):
            raise ConfigError("hold time must be > 0, grace and minimum hold >= 0")

    @property
    def band(self) -> tuple[float, float]:
        return (self.target_n - self.tolerance_n, self.target_n + self.tolerance_n)

    @property
    def release_n(self) -> float:
        return self.target_n / 2


@dataclass
class Event:
    kind: str
    t_s: float
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class HoldMetrics:
    start_s: float
    end_s: float
    duration_s: float
    completed: bool
    mean_n: float
    sd_n: float
    cv: float
    rms_error_n: float
    peak_n: float
    time_to_band_s: float
    rise_rate_n_per_s: float
    alerts: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class LiveState:
    t_s: float = 0.0
    force_display_n: float = 0.0
    in_band: bool = False
    pressing: bool = False
    hold_s: float = 0.0
    holds_completed: int = 0
    alert: str | None = None
    sample_rate_hz: float | None = None


@dataclass
class SessionSummary:
    presses: int = 0
    holds: int = 0
    holds_completed: int = 0
    time_in_band_s: float = 0.0
    time_over_s: float = 0.0
    time_under_s: float = 0.0
    alerts: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class BlockResult:
    display: np.ndarray
    detect: np.ndarray
    in_band: np.ndarray
    state_code: np.ndarray
    events: list[Event]


class LivePipeline:
    """Streaming pipeline; ``process`` accepts blocks of any size with increasing times."""

    def __init__(self, params: HoldParams, nominal_rate_hz: float | None = None) -> None:
        self.params = params
        self.nominal_rate_hz = nominal_rate_hz
        self.reset()

    def set_params(self, params: HoldParams) -> None:
        self.params = params

    def reset(self) -> None:
        self._sos: np.ndarray | None = None
        self._zi: np.ndarray | None = None
        self._hist: list[tuple[float, float]] = []  # last two raw (t, f) for the causal median
        self._last_t: float | None = None
        self._rate: float | None = self.nominal_rate_hz
        self.state = LiveState(sample_rate_hz=self._rate)
        self.holds: list[HoldMetrics] = []
        self._sum = SessionSummary()
        self._press_t = 0.0
        self._hold_t: float | None = None
        self._hold_f: list[float] = []
        self._hold_alerts = 0
        self._complete_sent = False
        self._out_since: float | None = None
        self._peak_press = 0.0

    def summary(self) -> SessionSummary:
        return SessionSummary(**asdict(self._sum))

    def _filter(self, x: np.ndarray) -> np.ndarray:
        if self._sos is None:
            rate = self._rate or 80.0
            self._sos = butter(2, min(10.0, 0.4 * rate), fs=rate, output="sos")
        if self._zi is None:
            self._zi = sosfilt_zi(self._sos) * x[0]
        y, self._zi = sosfilt(self._sos, x, zi=self._zi)
        return np.asarray(y)

    def process(self, t_s: np.ndarray, force_n: np.ndarray) -> BlockResult:
        t = np.asarray(t_s, dtype=float)
        f = np.asarray(force_n, dtype=float).copy()
        events: list[Event] = []
        if self._rate is None and len(self._hist) + t.size >= 2:
            ts = [h[0] for h in self._hist] + list(t[:8])
            if len(ts) >= 2 and ts[-1] > ts[0]:
                self._rate = (len(ts) - 1) / (ts[-1] - ts[0])
                self.state.sample_rate_hz = self._rate
        # glitch rejection: a one-sample spike far from the previous sample is replaced by it
        for i in range(t.size):
            prev = self._hist[-1][1] if self._hist else f[i]
            if abs(f[i] - prev) > GLITCH_N:
                events.append(Event("glitch", float(t[i]), {"raw_n": float(f[i])}))
                f[i] = prev
            self._hist = [*self._hist, (float(t[i]), float(f[i]))][-2:]
        # gaps split the block; filters restart after each gap
        out = np.empty_like(f)
        start = 0
        limit = GAP_PERIODS / self._rate if self._rate else None
        prev_t = self._last_t
        for i in range(t.size):
            if limit is not None and prev_t is not None and t[i] - prev_t > limit:
                if i > start:
                    out[start:i] = self._filter(f[start:i])
                events.append(Event("gap", float(t[i]), {"gap_s": float(t[i] - prev_t)}))
                self._zi = None
                start = i
            prev_t = float(t[i])
        if t.size > start:
            out[start:] = self._filter(f[start:])
        self._last_t = prev_t
        lo, hi = self.params.band
        in_band = (out >= lo) & (out <= hi)
        codes = np.zeros(t.size, dtype=np.int8)
        for i in range(t.size):
            codes[i] = self._step(float(t[i]), float(out[i]), bool(in_band[i]), events)
        if t.size:
            self.state.force_display_n = float(out[-1])
            self.state.in_band = bool(in_band[-1])
        return BlockResult(out, out, in_band, codes, events)

    def _step(self, t: float, x: float, in_band: bool, ev: list[Event]) -> int:
        p, st = self.params, self.state
        dt = t - st.t_s if st.t_s else 0.0
        st.t_s = t
        if not st.pressing:
            if x < p.release_n:
                return IDLE
            st.pressing = True
            self._press_t = t
            self._peak_press = x
            self._sum.presses += 1
            ev.append(Event("press_start", t))
        elif x < p.release_n * 0.8:
            self._end_hold(t, ev)
            st.pressing = False
            ev.append(Event("release", t))
            return IDLE
        hi = p.band[1]
        if in_band:
            self._sum.time_in_band_s += dt
        elif x > hi:
            self._sum.time_over_s += dt
        else:
            self._sum.time_under_s += dt
        if self._hold_t is None and in_band:
            self._hold_t = t
            self._hold_f = []
            self._hold_alerts = 0
            self._complete_sent = False
            ev.append(Event("hold_start", t, {"time_to_band_s": t - self._press_t}))
        if self._hold_t is not None:
            self._hold_f.append(x)
            st.hold_s = t - self._hold_t
            if in_band:
                self._out_since = None
                if st.alert:
                    ev.append(Event("alert_end", t, {"alert": st.alert}))
                    st.alert = None
            else:
                self._out_since = t if self._out_since is None else self._out_since
                if st.alert is None and t - self._out_since > p.grace_s:
                    st.alert = "over" if x > hi else "under"
                    self._hold_alerts += 1
                    self._sum.alerts += 1
                    data = {"alert": st.alert, "since_s": self._out_since}
                    ev.append(Event("alert_start", t, data))
            if not self._complete_sent and st.hold_s >= p.hold_s:
                self._complete_sent = True
                st.holds_completed += 1
                self._sum.holds_completed += 1
                ev.append(Event("hold_complete", t, {"duration_s": st.hold_s}))
        return IN_BAND if in_band else (OVER if x > hi else BELOW)

    def _end_hold(self, t: float, ev: list[Event]) -> None:
        st = self.state
        if st.alert:
            ev.append(Event("alert_end", t, {"alert": st.alert}))
            st.alert = None
        if self._hold_t is None:
            return
        f = np.asarray(self._hold_f)
        dur = t - self._hold_t
        self._hold_t, self._out_since, st.hold_s = None, None, 0.0
        if dur < self.params.min_hold_s or f.size == 0:
            return
        mean = float(f.mean())
        tb = self._hold_t_start_to_band(t, dur)
        m = HoldMetrics(
            start_s=t - dur,
            end_s=t,
            duration_s=dur,
            completed=self._complete_sent,
            mean_n=mean,
            sd_n=float(f.std()),
            cv=float(f.std() / mean) if mean else 0.0,
            rms_error_n=float(np.sqrt(np.mean((f - self.params.target_n) ** 2))),
            peak_n=float(f.max()),
            time_to_band_s=tb,
            rise_rate_n_per_s=self.params.band[0] / tb if tb > 0 else 0.0,
            alerts=self._hold_alerts,
        )
        self.holds.append(m)
        self._sum.holds += 1
        ev.append(Event("hold_end", t, m.to_dict()))

    def _hold_t_start_to_band(self, t: float, dur: float) -> float:
        return max(0.0, (t - dur) - self._press_t)


@dataclass
class Analysis:
    holds: list[HoldMetrics]
    alerts: list[tuple[float, float, str]]
    summary: SessionSummary
    sample_rate_hz: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "holds": [h.to_dict() for h in self.holds],
            "alerts": [{"start_s": a, "end_s": b, "kind": k} for a, b, k in self.alerts],
            "summary": self.summary.to_dict(),
            "sample_rate_hz": self.sample_rate_hz,
        }


def analyze(t_s, force_n, params: HoldParams, nominal_rate_hz: float | None = None) -> Analysis:
    """Offline analysis: the same LivePipeline run once over the whole array."""
    pipe = LivePipeline(params, nominal_rate_hz)
    res = pipe.process(np.asarray(t_s, float), np.asarray(force_n, float))
    pipe._end_hold(pipe.state.t_s, res.events)
    alerts: list[tuple[float, float, str]] = []
    open_: dict[str, float] = {}
    for e in res.events:
        if e.kind == "alert_start":
            open_[e.data["alert"]] = e.data["since_s"]
        elif e.kind == "alert_end" and e.data["alert"] in open_:
            alerts.append((open_.pop(e.data["alert"]), e.t_s, e.data["alert"]))
    return Analysis(pipe.holds, alerts, pipe.summary(), pipe.state.sample_rate_hz)
