"""The patient button in the loop: the shipped HX711 firmware on simavr with a bouncing push
button on D4. One clean change per press and release, confirmed after the 20 ms debounce, a 5 ms
glitch ignored, and a press reaching the server as a ``patient_signal`` on the session.

Judged in device time (the lines' ``t_us``) against the simulated time the host acted at, never
in wall-clock time: the simulation may run slower than real time on a busy machine.
"""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import serial
from support.avr_sim import AvrSim
from support.server import ServerProcess, wait_for

from presshold.firmware_bridge.protocol import LineParser

DEBOUNCE_US = 20_000
PERIOD_US = 12_500  # HX711 at 80 SPS: a confirmed state goes out with the next conversion
BOUNCE_DOWN_US = 1_100  # the host's "down" plan: the last bounce settles 1.1 ms after the command


class Lines:
    """Every line from the device, read on a thread; parsed with the bridge's own parser."""

    def __init__(self, port: Path) -> None:
        self.ser = serial.Serial(str(port), 115200, timeout=0.2)
        self.parser = LineParser()
        self.t_us: list[int] = []
        self.changes: list[tuple[int, bool]] = []
        self.raw = bytearray()
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            data = self.ser.read(self.ser.in_waiting or 1)
            got = self.parser.feed(data)
            with self.lock:
                self.t_us += got.t_us
                self.changes += got.button
                self.raw += data

    def after(self, t_us: float, n: int = 1) -> bool:
        """At least ``n`` readings taken later than ``t_us`` have arrived."""
        with self.lock:
            return sum(1 for t in self.t_us[-4 * n - 8 :] if t > t_us) >= n

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.ser.close()


def test_press_and_release_are_debounced_and_a_glitch_is_ignored(tmp_path: Path) -> None:
    with AvrSim(tmp_path / "uno", hold_n=0.0) as sim:
        lines = Lines(sim.link)
        try:
            wait_for(lambda: len(lines.t_us) >= 20, 30.0, "the first readings")
            down = sim.send("button down") * 1e6
            wait_for(lambda: lines.changes, 30.0, "the press")
            wait_for(lambda: lines.after(down + 200_000), 30.0, "200 ms held")
            up = sim.send("button up") * 1e6
            wait_for(lambda: len(lines.changes) >= 2, 30.0, "the release")
            wait_for(lambda: lines.after(up + 100_000), 30.0, "100 ms released")
            glitch = sim.send("button glitch") * 1e6
            wait_for(lambda: lines.after(glitch + 200_000), 30.0, "200 ms after the glitch")
        finally:
            lines.close()
    assert lines.parser.rejected.keys() <= {"partial"}
    assert lines.raw.count(b",button:") >= len(lines.t_us) - 1  # every reading carries the state
    (t_press, pressed), (t_release, released) = lines.changes  # exactly two: no chatter, no glitch
    assert pressed and not released
    # confirmed once the contact held still for the debounce time, sent with the next conversion
    earliest = down + BOUNCE_DOWN_US + DEBOUNCE_US
    assert earliest - 1_000 <= t_press <= earliest + PERIOD_US + 1_000, (down, t_press)
    assert up + DEBOUNCE_US - 1_000 <= t_release <= up + 800 + DEBOUNCE_US + PERIOD_US + 1_000


def test_a_press_reaches_the_session_as_a_patient_signal(tmp_path: Path) -> None:
    with (
        AvrSim(tmp_path / "uno", hold_n=5.0) as sim,
        ServerProcess(tmp_path / "data", source=str(sim.link)) as srv,
    ):

        def recording() -> str | None:
            st = httpx.get(srv.url + "/api/stations").json()[0]
            return st["session_id"] if st["connected"] and st["recording"] else None

        sid = wait_for(recording, 30.0, "a session auto-started by the streaming sensor")
        sim.send("button glitch")  # too short to be a press: nothing on the session
        sim.send("button down")

        def signals() -> list[dict]:
            events = httpx.get(f"{srv.url}/api/sessions/{sid}").json()["events"]
            return [e for e in events if e["kind"] == "patient_signal"]

        got = wait_for(signals, 30.0, "the patient_signal event")
        sim.send("button up")
        assert got[0]["source"] == "button" and got[0]["t_s"] > 0  # type: ignore[index]
        httpx.post(srv.url + "/api/sessions/current/stop")
        assert len(signals()) == 1  # one press, one event: the glitch and the release are not
