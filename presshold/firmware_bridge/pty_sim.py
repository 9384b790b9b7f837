"""``presshold simulate --pty``: the hand model (or a CSV profile) as a protocol-v1 device on a pty.

POSIX only (the stdlib :mod:`pty`); on Windows use ``--source sim`` instead. Prints the device path
as the first line of stdout, answers ``?`` with a hello, runs until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal as _stdsignal
import sys
import threading
import time
from pathlib import Path

import numpy as np

from presshold.errors import ConfigError

MAX_PENDING = 4096
"""Bytes kept while nobody reads (the pty buffer is full): about what a device would hold."""


def run_pty_simulator(
    rate_hz: float,
    profile: Path | None = None,
    seed: int | None = None,
    button_at_n: float | None = None,
) -> int:
    """``button_at_n``: a simulated client holds the patient button and presses it when the
    force reaches this (lines then carry ``button:<0|1>``, as a device with a button sends)."""
    try:
        import pty
        import tty
    except ImportError:
        raise ConfigError(
            "--pty needs a pseudo-terminal, which this system (Windows) does not have. "
            "Use 'presshold serve --source sim' for the built-in simulator, or a virtual COM-port "
            "pair (e.g. com0com) with a device of your own."
        ) from None
    from presshold.firmware_bridge.protocol import format_hello, format_reading
    from presshold.firmware_bridge.sim_client import SimulatedClient
    from presshold.firmware_bridge.simulator import (
        PTY_SIM_SENSOR,
        SIM_OFFSET_RAW,
        SIM_SCALE_N_PER_RAW,
        HandModel,
    )

    master, slave = pty.openpty()
    tty.setraw(slave)
    os.set_blocking(master, False)  # with no reader, drop samples rather than stall
    if profile is not None:
        from presshold.traceio.read import read_trace

        trace = read_trace(profile)
        pt, pf = trace.t_s, trace.force_n
        period = float(pt[-1] - pt[0]) or 1.0

        def values(k0: int, n: int) -> np.ndarray:
            t = ((np.arange(k0, k0 + n) / rate_hz) % period) + pt[0]
            return np.interp(t, pt, pf)

        hello = format_hello("sim-profile", rate_hz, "N")
        label, fmt, offset, scale = "force_n", "{:.4f}", 0.0, 1.0
    else:
        model = HandModel(rate_hz, seed=int(time.time()) if seed is None else seed)

        def values(k0: int, n: int) -> np.ndarray:
            return model.samples(n)

        hello = format_hello(PTY_SIM_SENSOR, rate_hz, "raw")
        label, fmt, offset, scale = "raw", "{:.0f}", SIM_OFFSET_RAW, SIM_SCALE_N_PER_RAW
    client = None if button_at_n is None else SimulatedClient(button_at_n)

    stop = threading.Event()
    _stdsignal.signal(_stdsignal.SIGTERM, lambda *_: stop.set())
    from presshold.firmware_bridge.ports import register_pty

    print(os.ttyname(slave), flush=True)
    entry = register_pty(os.ttyname(slave))  # so 'presshold ports' lists it
    pending = bytearray(hello.encode())  # whole lines only ever reach the wire
    t0 = time.monotonic()
    sent = 0
    try:
        while not stop.is_set():
            readable, _, _ = select.select([master], [], [], 0.005)
            if readable:
                with contextlib.suppress(OSError):
                    if b"?" in os.read(master, 256):
                        pending += hello.encode()
            due = int((time.monotonic() - t0) * rate_hz)
            if due > sent:
                vals = values(sent, due - sent)
                ks = range(sent, due)
                buttons: list[bool | None] = [None] * len(vals)
                if client is not None:  # the button's state as each reading is taken
                    for i, f in enumerate((vals - offset) * scale):
                        client.feed(np.array([ks[i] / rate_hz]), np.array([f]))
                        buttons[i] = client.pressed
                pending += "".join(
                    format_reading(int(k * 1e6 / rate_hz), fmt.format(v), label, b)
                    for k, v, b in zip(ks, vals, buttons, strict=True)
                ).encode()
                sent = due
            with contextlib.suppress(BlockingIOError):  # the pty buffer is full: nobody reads
                del pending[: os.write(master, pending)]
            if len(pending) > MAX_PENDING:  # like a device with nobody listening: drop old lines
                head = pending.find(b"\n") + 1  # but finish a line already half written
                keep = pending.find(b"\n", len(pending) - MAX_PENDING // 2) + 1
                del pending[head:keep]
    except KeyboardInterrupt:
        pass
    finally:
        with contextlib.suppress(OSError):
            entry.unlink()
        os.close(master)
        os.close(slave)
    print("simulator stopped", file=sys.stderr)
    return 0
