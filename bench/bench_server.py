"""Server benchmark: serial arrival → websocket latency, server CPU, viewers held.

    python bench/bench_server.py                      # all three, ~2 minutes
    python bench/bench_server.py --seconds 20 --max-viewers 400
    python bench/bench_server.py --baseline ../old    # the same runs on an older checkout too,
                                                      # interleaved, for side-by-side figures
    python bench/bench_server.py --soak-minutes 10    # only: server memory at 1 kHz over time
    python bench/bench_server.py --rates 1000 --repeat 3 --max-viewers 0 --baseline ../old
                                                      # 1 kHz latency and CPU only, 3 rounds

The real ``presshold serve`` runs in a subprocess on a pty sensor (tests/support/pty_device.py).
A pacing thread in this process writes protocol lines ``t_us:<device µs>,force_n:<k>`` whose value
``k`` is the reading's sequence number, and stamps ``time.monotonic()`` just before each write.
A websocket client stamps each frame on arrival; every sample it carries is looked up by its value,
so the latency is pty write → frame received, per sample, on one clock. (Releases before stations
sent frames on a 30 Hz tick, 0-33 ms of wait by design; now frames go out as samples arrive.)

CPU: utime+stime of the server process from /proc/<pid>/stat over the measuring window (Linux;
this script only, the product has no Linux-only code). 100 % = one core. Split by thread: the
event loop, the serial reader and the rest (the store's writer), each with its wake-ups per
second — the figure that contention disturbs least (see ``threads``).

Viewers: N websocket clients in this process (one asyncio loop) on an 80 Hz sensor; "held" means
every one of them received >= 28.5 frames/s over the window, none was told it dropped frames, and
the newest sample of each frame was at most 50 ms old (pty write → frame received) at p99 over all
viewers' frames; a failed step is tried once more before the search stops. The clients share the
machine's cores with the server, so the figure is a floor. The load average is printed with the
figures: on a shared 2-core machine it changes them a lot.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import httpx
import websockets
from support.pty_device import PtyDevice
from support.server import ServerProcess, wait_for

FRAME_PREFIX = '{"type":"frame"'
HELD_FPS = 28.5


def load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


class Writer:
    """Writes reading k (value k) at device time k/rate, paced to the wall clock."""

    def __init__(self, dev: PtyDevice, rate_hz: float) -> None:
        self.dev, self.rate = dev, rate_hz
        self.written: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        period = 1.0 / self.rate
        t0 = time.monotonic()
        k = 1
        while not self._stop.is_set():
            due = t0 + (k - 1) * period
            now = time.monotonic()
            if due > now:
                time.sleep(min(due - now, 0.01))
                continue
            t_us = int((k - 1) * period * 1e6) & 0xFFFFFFFF
            self.written[k] = time.monotonic()
            self.dev.write(f"t_us:{t_us},force_n:{k}\n".encode())
            k += 1


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def threads(pid: int) -> dict[int, tuple[float, int]]:
    """Per thread of ``pid``: (CPU seconds from the scheduler's own count, voluntary context
    switches, i.e. how often the thread went to sleep and was woken). Wake-ups are the stable
    figure on a shared machine: each costs a thread switch and a cold cache, however busy the
    machine, and their number is set by the design, not by the load."""
    out: dict[int, tuple[float, int]] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            run_ns = int((task / "schedstat").read_text().split()[0])
            status = (task / "status").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue  # a thread that just ended
        switches = next(
            int(line.split()[1]) for line in status.splitlines() if line.startswith("voluntary")
        )
        out[int(task.name)] = (run_ns / 1e9, switches)
    return out


def thread_split(pid: int, before: dict[int, tuple[float, int]], seconds: float) -> str:
    """CPU % and wake-ups/s of the event loop (the main thread), the busiest other thread (the
    serial reader) and the rest, since ``before``."""
    rows = []
    for tid, (cpu, woken) in threads(pid).items():
        cpu0, woken0 = before.get(tid, (0.0, 0))
        rows.append((tid == pid, (cpu - cpu0) / seconds * 100, (woken - woken0) / seconds))
    loop = next(r for r in rows if r[0])
    others = sorted((r for r in rows if not r[0]), key=lambda r: -r[1])
    reader = others[0] if others else (False, 0.0, 0.0)
    rest = others[1:]
    return (
        f"loop {loop[1]:.1f} % ({loop[2]:.0f} wake-ups/s), reader {reader[1]:.1f} % "
        f"({reader[2]:.0f}/s), other threads {sum(r[1] for r in rest):.1f} % "
        f"({sum(r[2] for r in rest):.0f}/s)"
    )


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def soak(srv: ServerProcess, minutes: float) -> None:
    """One viewer reading everything at 1 kHz; the server's RSS every 30 s."""
    assert srv.proc is not None
    pid = srv.proc.pid
    async with websockets.connect(srv.ws_url, max_size=None) as ws:
        loop = asyncio.get_running_loop()
        start = loop.time()
        next_report = start
        while (now := loop.time()) < start + minutes * 60:
            if now >= next_report:
                print(f"soak {now - start:6.0f} s: server RSS {rss_mb(pid):.1f} MB", flush=True)
                next_report += 30
            await asyncio.wait_for(ws.recv(), 5)
        print(f"soak {loop.time() - start:6.0f} s: server RSS {rss_mb(pid):.1f} MB", flush=True)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def latency_run(srv: ServerProcess, writer: Writer, seconds: float) -> dict[str, Any]:
    lat: list[float] = []
    frames = 0
    async with websockets.connect(srv.ws_url, max_size=None) as ws:
        assert srv.proc is not None
        warmup_end = time.monotonic() + 1.0  # history and the first frames: read, not counted
        cpu0 = wall0 = end = 0.0
        while not end or time.monotonic() < end:
            raw = await asyncio.wait_for(ws.recv(), 5)
            got = time.monotonic()
            if not end and got >= warmup_end:
                cpu0, wall0, end = cpu_seconds(srv.proc.pid), got, got + seconds
                split0 = threads(srv.proc.pid)
            if not end or not str(raw).startswith(FRAME_PREFIX):
                continue
            frames += 1
            for _, value in json.loads(raw)["samples"]:
                sent = writer.written.get(round(value))
                if sent is not None:
                    lat.append((got - sent) * 1000)
        wall = time.monotonic() - wall0
        cpu = (cpu_seconds(srv.proc.pid) - cpu0) / wall * 100
        split = thread_split(srv.proc.pid, split0, wall)
    return {
        "split": split,
        "samples": len(lat),
        "fps": frames / seconds,
        "p50_ms": percentile(lat, 50),
        "p99_ms": percentile(lat, 99),
        "max_ms": max(lat),
        "cpu_pct": cpu,
    }


async def viewers_run(
    url: str, n: int, seconds: float, writer: Writer
) -> tuple[float, float, int, float]:
    """(min fps, mean fps, dropped notices, p99 newest-sample age in ms) over n viewers."""
    counts = [0] * n
    ages: list[float] = []
    dropped = 0
    loop = asyncio.get_running_loop()
    window = [float("inf"), float("inf")]  # set once every viewer is connected

    async def viewer(i: int) -> None:
        """Reads all the time; counts only frames that arrive inside the window."""
        nonlocal dropped
        async with websockets.connect(url, max_size=None) as ws:
            while (left := window[1] - loop.time()) > 0:
                try:
                    raw = str(await asyncio.wait_for(ws.recv(), min(left, 5.0)))
                except TimeoutError:
                    continue
                if not window[0] <= loop.time() <= window[1]:
                    continue
                if raw.startswith(FRAME_PREFIX):
                    got = time.monotonic()
                    counts[i] += 1
                    samples = json.loads(raw)["samples"]
                    sent = writer.written.get(round(samples[-1][1])) if samples else None
                    if sent is not None:
                        ages.append((got - sent) * 1000)
                elif raw.startswith('{"type":"dropped"'):
                    dropped += 1

    tasks = [asyncio.create_task(viewer(i)) for i in range(n)]
    await asyncio.sleep(1.0 + n * 0.02)  # all connected, histories read
    window[:] = [loop.time(), loop.time() + seconds]
    await asyncio.gather(*tasks)
    rates = [c / seconds for c in counts]
    age = percentile(ages, 99) if ages else float("inf")
    return min(rates), statistics.fmean(rates), dropped, age


@contextmanager
def sensor_behind_server(
    tmp: Path, name: str, rate: int, tree: Path | None = None
) -> Iterator[tuple[ServerProcess, Writer]]:
    """A pty sensor streaming at ``rate`` into a real ``presshold serve`` (from ``tree``, an
    older checkout, when given); stopped afterwards."""
    env = {"PYTHONPATH": str(tree)} if tree else None
    with (
        PtyDevice(tmp / f"tty-{name}", rate_hz=rate) as dev,
        ServerProcess(tmp / f"data-{name}", source=dev.path, env=env, startup_timeout_s=60) as srv,
    ):
        wait_for(lambda: httpx.get(f"{srv.url}/api/health").json()["connected"], 10)
        dev.send_hello(sensor=name, rate=rate, unit="N")
        writer = Writer(dev, rate)
        writer.start()
        try:
            yield srv, writer
        finally:
            writer.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seconds", type=float, default=10.0, help="measuring window per run")
    ap.add_argument("--max-viewers", type=int, default=200, help="0: skip the viewers search")
    ap.add_argument("--soak-minutes", type=float, default=0.0)
    ap.add_argument(
        "--rates",
        type=lambda v: [int(r) for r in v.split(",")],
        default=[80, 1000],
        help="sensor rates of the latency runs (default 80,1000)",
    )
    ap.add_argument(
        "--repeat", type=int, default=1, help="latency runs per rate and tree, interleaved"
    )
    ap.add_argument(
        "--baseline", type=Path, default=None, help="an older checkout to measure side by side"
    )
    args = ap.parse_args()
    print(f"# bench_server  {time.strftime('%Y-%m-%d %H:%M')}  cores={os.cpu_count()}  {load()}")
    trees: list[tuple[str, Path | None]] = [("this tree", None)]
    if args.baseline is not None:
        trees.insert(0, ("baseline", args.baseline.resolve()))
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)  # the server's imports come from PYTHONPATH, not from the current directory
        if args.soak_minutes:
            with sensor_behind_server(Path(tmp), "soak", 1000) as (srv, _):
                asyncio.run(soak(srv, args.soak_minutes))
            return
        for round_ in range(args.repeat):
            for rate, (label, tree) in itertools.product(args.rates, trees):
                name = f"bench{rate}-{'base' if tree else 'new'}-{round_}"
                with sensor_behind_server(Path(tmp), name, rate, tree) as (srv, writer):
                    r = asyncio.run(latency_run(srv, writer, args.seconds))
                print(
                    f"{label:>9}: latency {rate:>5} Hz: {r['samples']} samples, "
                    f"frames {r['fps']:.1f}/s, p50 {r['p50_ms']:.1f} ms, "
                    f"p99 {r['p99_ms']:.1f} ms, max {r['max_ms']:.1f} ms; server CPU "
                    f"{r['cpu_pct']:.1f} % of one core (1 viewer, recording)  ({load()})\n"
                    f"{'':>11}{r['split']}",
                    flush=True,
                )
        for label, tree in trees if args.max_viewers else ():
            with sensor_behind_server(Path(tmp), f"viewers-{label[:4]}", 80, tree) as (srv, w):
                print(f"{label:>9}: viewers held: {search_viewers(srv, w, args)}  ({load()})")


def search_viewers(srv: ServerProcess, writer: Writer, args: argparse.Namespace) -> int:
    held = 0
    n = 1
    retried = False
    while n <= args.max_viewers:
        assert srv.proc is not None
        cpu0, wall0 = cpu_seconds(srv.proc.pid), time.monotonic()
        lo, mean, dropped, age = asyncio.run(viewers_run(srv.ws_url, n, args.seconds / 2, writer))
        cpu = (cpu_seconds(srv.proc.pid) - cpu0) / (time.monotonic() - wall0) * 100
        ok = lo >= HELD_FPS and dropped == 0 and age <= 50.0
        print(
            f"  viewers {n:>4}: min {lo:.1f} fps, mean {mean:.1f} fps, newest-sample age p99 "
            f"{age:.0f} ms, dropped notices {dropped}, server CPU {cpu:.0f} % -> "
            f"{'held' if ok else 'NOT held'}  ({load()})",
            flush=True,
        )
        if not ok and not retried:
            retried = True
            continue
        if not ok:
            break
        held, retried = n, False
        n = n * 2 if n < 10 else n + (10 if n < 50 else 50)
    return held


if __name__ == "__main__":
    main()
