"""The shipped firmware on simavr feeding the real bridge: ``presshold serve --source <pty link>``
read by a websocket client on /ws/live, calibrated through the HTTP API as the dashboard does.

Judged on content and on the device's own timing (one sample per HX711 conversion, 12.5 ms apart),
never on wall-clock rates: the simulation may run slower than real time on a busy machine.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import websockets
from support.avr_sim import SCALE_COUNTS_PER_N, AvrSim
from support.server import ServerProcess, wait_for

KNOWN_N = 9.80665  # a 1 kg calibration weight
PERIOD_S = 0.0125  # HX711 at 80 SPS
# A press as a therapist makes it: rest, ramp to 30 N, hold, ease off to 10 N, release.
PRESS = ((0.0, 0.0), (0.3, 0.0), (1.0, 30.0), (2.0, 30.0), (2.3, 10.0), (2.6, 0.0), (3.0, 0.0))


class LiveFeed:
    """A /ws/live client on its own thread, keeping every status and the current session's
    samples (``[t_s, force_n]``: the history message, then every frame's new samples)."""

    def __init__(self, ws_url: str) -> None:
        self.ws_url = ws_url
        self.lock = threading.Lock()
        self.statuses: list[dict[str, Any]] = []
        self.samples: list[tuple[float, float]] = []
        self.dropped = 0
        self._after_history = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    async def _run(self) -> None:
        async with websockets.connect(self.ws_url, max_size=None) as ws:
            while not self._stop.is_set():
                try:
                    msg = json.loads(await asyncio.wait_for(ws.recv(), 0.2))
                except TimeoutError:
                    continue
                with self.lock:
                    self._take(msg)

    def _take(self, msg: dict[str, Any]) -> None:
        kind = msg["type"]
        if kind == "status":
            self.statuses.append(msg)
        elif kind == "dropped":
            self.dropped += msg["frames"]
        elif kind == "event" and msg["kind"] == "session_start":
            self.samples = []  # session seconds restart at 0
        elif kind == "history":
            self.samples = [(t, f) for t, f in msg["samples"]]
            self._after_history = True
        elif kind == "frame":
            new = [(t, f) for t, f in msg["samples"]]
            if self._after_history and self.samples:  # the first frame may repeat history's end
                new = [(t, f) for t, f in new if t > self.samples[-1][0]]
            self._after_history = False
            self.samples += new

    def __enter__(self) -> LiveFeed:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def forces(self) -> np.ndarray:
        with self.lock:
            return np.array([f for _, f in self.samples])

    def times(self) -> np.ndarray:
        with self.lock:
            return np.array([t for t, _ in self.samples])

    def status(self) -> dict[str, Any]:
        with self.lock:
            return self.statuses[-1] if self.statuses else {}

    def wait_status(self, pred: Callable[[dict[str, Any]], bool], what: str, since: int = 0) -> int:
        """Index of the first status from ``since`` on that satisfies ``pred``."""

        def seen() -> tuple[int] | None:
            with self.lock:
                for i in range(since, len(self.statuses)):
                    if pred(self.statuses[i]):
                        return (i,)
            return None

        return wait_for(seen, 30.0, what)[0]  # type: ignore[index, no-any-return]

    def wait_steady(self, seconds: float, differs_from: float | None = None) -> float:
        """The last ``seconds`` of samples all equal (the model has no noise); returns the level."""
        n = round(seconds / PERIOD_S)

        def steady() -> tuple[float] | None:
            f = self.forces()
            if len(f) < n or np.ptp(f[-n:]) != 0 or f[-1] == differs_from:
                return None
            return (float(f[-1]),)

        return wait_for(steady, 30.0, f"{seconds} s of steady readings")[0]  # type: ignore[no-any-return]


def profile_at(profile: Sequence[tuple[float, float]], t: np.ndarray) -> np.ndarray:
    ts, fs = zip(*profile, strict=True)
    return np.interp(t, ts, fs)


def best_phase_error(measured: np.ndarray, profile: Sequence[tuple[float, float]]) -> float:
    """Largest |measured - profile| for the best conversion phase: sample k was converted at
    ``phase + k * 12.5 ms`` after the profile started, with the phase unknown (< one period)."""
    k = np.arange(len(measured)) * PERIOD_S
    phases = np.arange(-PERIOD_S, PERIOD_S, 1e-4)
    return min(float(np.abs(measured - profile_at(profile, k + p)).max()) for p in phases)


def post_when_steady(api: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST, retrying while the server answers 409 (the window still holds the step)."""

    def attempt() -> httpx.Response | None:
        r = api.post(path, json=body)
        return None if r.status_code == 409 else r

    r: httpx.Response = wait_for(attempt, 15.0, f"POST {path} accepted")  # type: ignore[assignment]
    assert r.is_success, r.text
    return r.json()  # type: ignore[no-any-return]


def test_served_firmware_reproduces_a_press_in_newtons_after_calibration(tmp_path: Path) -> None:
    with (
        AvrSim(tmp_path / "uno", PRESS, hold_n=0.0) as sim,
        ServerProcess(tmp_path / "data", source=str(sim.link)) as srv,
        httpx.Client(base_url=srv.url, timeout=10) as api,
        LiveFeed(srv.ws_url) as feed,
    ):
        feed.wait_status(lambda s: s.get("connected") and s.get("sensor") == "hx711", "hello")
        rest = feed.wait_steady(0.6)
        cal = post_when_steady(api, "/api/tare", {"window_s": 0.5})
        hx711_id = f"hx711 on {sim.link}"  # no USB serial number: name + port
        assert cal["offset_raw"] == rest and cal["sensor_id"] == hx711_id, cal

        sim.send(f"force {KNOWN_N}")  # the user puts the 1 kg weight on the cell
        loaded = feed.wait_steady(1.1, differs_from=0.0)  # tared raw counts (scale still 1)
        point = post_when_steady(api, "/api/calibration/points", {"known_n": KNOWN_N})["point"]
        assert point == {"known_n": KNOWN_N, "raw": rest + loaded}
        fit = api.post("/api/calibration/fit")
        assert fit.status_code == 200, fit.text
        cal = fit.json()
        assert cal["scale_n_per_raw"] == pytest.approx(1 / SCALE_COUNTS_PER_N, rel=1e-4)
        assert max(map(abs, cal["residuals_n"])) < 1e-3
        stored = json.loads((tmp_path / "data" / "calibrations.json").read_text())
        assert stored[hx711_id]["scale_n_per_raw"] == cal["scale_n_per_raw"]

        # the weight now reads in newtons; then the press is played
        wait_for(lambda: abs(feed.forces()[-1] - KNOWN_N) < 2e-3, 10.0, "calibrated weight")
        start = len(feed.forces())
        sim.send("play")
        n_press = round(PRESS[-1][0] / PERIOD_S)
        wait_for(lambda: len(feed.forces()) >= start + n_press + 20, 30.0, "the whole press")
        forces, times = feed.forces()[start:], feed.times()[start:]
        assert feed.dropped == 0
        status = feed.status()

    # the step from the weight (9.8 N) to the press's 0 N marks the start of the press
    first = int(np.argmax(forces < KNOWN_N / 2))
    assert np.all(np.abs(forces[:first] - KNOWN_N) < 2e-3), forces[:first]
    press = forces[first : first + n_press]
    # one sample per conversion, in device time: spacing 12.5 ms (the bridge may slew its
    # host-clock offset by at most 1 %, and a batch arriving early pulls the offset down;
    # frames carry t_s to 0.1 ms, so stamps pulled close together may print equal)
    spacing = np.diff(times[first : first + n_press])
    assert np.all(spacing >= 0) and abs(np.median(spacing) - PERIOD_S) < 0.02 * PERIOD_S
    # every sample is the force played, in newtons (frames carry 1 mN resolution)
    assert best_phase_error(press, PRESS) < 0.01, press
    assert press.max() == pytest.approx(30.0, abs=0.01)
    assert status["connected"] and status["sensor"] == "hx711"
    assert status["rejected_total"] == 0, status["rejected"]
    assert sim.summary()["protocol_errors"] == 0, sim.log()


# HX711 conversions come 50 ms after power-up (or a replug) + k * 12.5 ms of simulated time, and
# the firmware's line for each takes ~2.4 ms on the wire: a reset 7 ms after one is between lines.
RESET_S = 2.007


def messages(feed: LiveFeed) -> list[str]:
    """Each distinct status message, in order of appearance."""
    with feed.lock:
        seen = [s["message"] or "" for s in feed.statuses]
    return [m for i, m in enumerate(seen) if i == 0 or m != seen[i - 1]]


def test_unplugged_hx711_and_firmware_reset_are_shown_and_survived(tmp_path: Path) -> None:
    """The load cell's cable is pulled at 0.5 s and put back at 1.3 s (a power-up: conversions
    restart 50 ms later, in step with the old grid); the reset button is pressed at 2.007 s.
    Simulated times, so the case is exact on any machine."""
    with (
        AvrSim(tmp_path / "uno", hold_n=5.0, unplug=(0.5063, 1.3), reset_at_s=RESET_S) as sim,
        ServerProcess(tmp_path / "data", source=str(sim.link)) as srv,
        LiveFeed(srv.ws_url) as feed,
    ):
        back = feed.wait_status(lambda s: s["message"] == "hx711 back", "'# hx711 back'")
        n_back = len(feed.forces())
        feed.wait_status(lambda s: s["message"].startswith("sensor hx711"), "new hello", back)
        wait_for(lambda: len(feed.forces()) > n_back + 60, 20.0, "samples after the reset")
        forces, times = feed.forces(), feed.times()
        status = feed.status()
        shown = messages(feed)

    # PressHold showed the firmware's `#` report while the serial link itself stayed up
    gone = [i for i, m in enumerate(shown) if m.startswith("hx711 not responding")]
    assert len(gone) == 1, shown
    then = shown[gone[0] : gone[0] + 3]
    assert "check DOUT=D2, SCK=D3" in then[0]
    assert then[1:2] == ["hx711 back"], shown
    assert then[2:] and then[2].startswith("sensor hx711 (protocol 1)"), shown  # reboot's hello
    assert status["connected"] and status["sensor"] == "hx711"
    assert status["rejected_total"] == 0, status["rejected"]
    kept = status["device_messages"]  # the device's recent '#' lines, for a later viewer too
    assert any(m.startswith("hx711 not responding") for m in kept) and "hx711 back" in kept
    # the unplugged stretch is a gap, not made-up samples; the bridge's time never runs back
    # (frames carry t_s to 0.1 ms, so stamps the bridge keeps 1 us apart may print equal)
    assert np.diff(times).max() > 0.7
    assert np.all(np.diff(times) >= 0)
    odd = np.nonzero(forces != forces[-1])[0]  # 5 N of raw counts throughout
    assert len(odd) == 0, [(i, times[i - 2 : i + 3], forces[i - 2 : i + 3]) for i in odd]
    assert sim.summary()["mcu_resets"] == 1
