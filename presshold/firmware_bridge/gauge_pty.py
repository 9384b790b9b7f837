"""Simulated commercial force gauges on a pseudo-terminal: ``presshold simulate --pty --gauge``.

:class:`GaugePty` runs a :class:`~presshold.firmware_bridge.gauge_sim.SimulatedGauge` on a pty,
reachable at a symlink, unplugged and replugged like the tests' ``PtyDevice``; the force comes
from the simulated hand or a recorded trace. POSIX only, like :mod:`pty_sim`.
"""

from __future__ import annotations

import os
import select
import threading
import time
from collections.abc import Callable
from pathlib import Path

from presshold.firmware_bridge.gauge_sim import SimulatedGauge
from presshold.firmware_bridge.pty_port import PtyPort
from presshold.firmware_bridge.simulator import SIM_OFFSET_RAW, SIM_SCALE_N_PER_RAW, HandModel


def hand_force(seed: int) -> Callable[[float], float]:
    """The simulated therapist's hand of :mod:`simulator`, as newtons at a time (200 Hz)."""
    model = HandModel(200.0, seed=seed)
    state = {"k": 0, "f": 0.0}

    def force(t: float) -> float:
        n = int(t * 200.0) - state["k"]
        if n > 0:
            raw = model.samples(n)
            state["k"] += n
            state["f"] = max(0.0, float(raw[-1] - SIM_OFFSET_RAW) * SIM_SCALE_N_PER_RAW)
        return state["f"]

    return force


def profile_force(path: Path) -> Callable[[float], float]:
    """A recorded trace (CSV or Parquet) played in a loop, as newtons at a time."""
    import numpy as np

    from presshold.traceio.read import read_trace

    trace = read_trace(path, settings=False)
    pt, pf = trace.t_s, trace.force_n
    period = float(pt[-1] - pt[0]) or 1.0
    return lambda t: float(np.interp((t % period) + pt[0], pt, pf))


class GaugePty(PtyPort):
    """A :class:`SimulatedGauge` on a pty whose slave is symlinked at ``link`` (if given)."""

    def __init__(self, gauge: SimulatedGauge, link: Path | None = None) -> None:
        self.gauge = gauge
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.t0 = time.monotonic()
        super().__init__(link, nonblocking=True)

    def start(self) -> GaugePty:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="gauge-sim", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        pending = bytearray()
        while not self._stop.is_set():
            # under the lock unplug() closes the pty under (see PtyPort)
            with self._lock:
                master = self._master
                if master is not None:
                    pending = self._serve(master, pending)
            if master is None:  # unplugged: what was not sent is lost with the cable
                pending.clear()
                self._stop.wait(0.01)

    def _serve(self, master: int, pending: bytearray) -> bytearray:
        """One turn: wait (at most 10 ms) for a command or a reply due, then write what is due."""
        now = time.monotonic() - self.t0
        wait = max(0.0, min(self.gauge.next_event(now) - now, 0.01))
        try:
            readable, _, _ = select.select([master], [], [], wait)
            now = time.monotonic() - self.t0
            if readable:
                self.gauge.receive(os.read(master, 256), now)
            pending += self.gauge.output(now)
            if pending:
                del pending[: os.write(master, pending)]
        except BlockingIOError:
            pass  # nobody reads: the pty buffer is full
        except OSError:
            time.sleep(0.005)  # no reader on the slave side yet
        if len(pending) > 4096:  # like a device with nobody listening: drop old bytes
            del pending[:-2048]
        return pending

    def replug(self) -> None:
        """A new pty behind the same link, like a gauge switched off and on again."""
        self.unplug()
        self._plug()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self.unplug()

    def __enter__(self) -> GaugePty:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_gauge_simulator(
    name: str,
    *,
    stream: bool = False,
    series4: bool = False,
    unit_every_s: float = 0.0,
    corrupt_every: int = 0,
    usb_latency_s: float = 0.0,
    seed: int | None = None,
    profile: Path | None = None,
) -> int:
    """``presshold simulate --pty --gauge NAME``: print the pty path; answer until Ctrl-C."""
    import signal as _stdsignal
    import sys

    try:
        import pty  # noqa: F401  (only to fail early with a clear message)
    except ImportError:
        from presshold.errors import ConfigError

        raise ConfigError(
            "--pty needs a pseudo-terminal, which this system (Windows) does not have."
        ) from None
    if profile is not None:
        force = profile_force(profile)
    else:
        force = hand_force(int(time.time()) if seed is None else seed)
    gauge = SimulatedGauge(
        name,
        force,
        stream=stream,
        series4=series4,
        corrupt_every=corrupt_every,
        usb_latency_s=usb_latency_s,
    )
    stop = threading.Event()
    _stdsignal.signal(_stdsignal.SIGTERM, lambda *_: stop.set())
    sim = GaugePty(gauge).start()
    print(sim.path, flush=True)
    mode = "streaming" if gauge.stream else "answering requests"
    print(
        f"simulated {name} gauge {mode}; serve it with: presshold serve --source {name}:{sim.path}",
        file=sys.stderr,
        flush=True,
    )
    next_switch = time.monotonic() + unit_every_s if unit_every_s > 0 else float("inf")
    try:
        while not stop.wait(0.05):
            if time.monotonic() >= next_switch:
                gauge.next_unit()
                next_switch += unit_every_s
    except KeyboardInterrupt:
        pass
    finally:
        sim.close()
    print("simulator stopped", file=sys.stderr)
    return 0
