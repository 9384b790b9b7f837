"""Stations benchmark: many pty sensors on one ``presshold serve`` (issue 10).

    python bench/bench_stations.py                          # both parts, ~3 minutes
    python bench/bench_stations.py --part viewers --seconds 20
    python bench/bench_stations.py --part capacity --capacity-seconds 10 --max-stations 96

Part 1, viewers: 16 pty sensors at 80 Hz on one server (one ``--source`` each), one
``/ws/live?station=ID`` client per station and one ``/ws/overview`` client, for ``--seconds``.
Reported: frames/s per live viewer (min, median; goal: every viewer >= 28), overview
messages/s, pty write -> frame received latency per sample (p50, p99), server CPU, and whether
every sample written was recorded.

Part 2, capacity: N pty sensors at 1 kHz, N = 8, 16, 24, ... one fresh server each, one live
viewer (on the last station), ``--capacity-seconds`` each. A step passes when every sample
written was recorded and the writer kept pace (>= 98 % of the samples due); the search stops at
the first step that fails twice in a row (a failure is retried once: the machine is shared) and
says why: samples lost, the server's readers fell behind (a pty queue full, so writes blocked),
or the writer itself fell behind.

How it is measured (all on one machine, one clock):

- One pacing thread in this process writes every device, staggered evenly across a write
  period: sample k of a device is ``t_us:<(k-1)/rate in µs>,force_n:<k>``, so its value is its
  sequence number and its device time is exact however late the write is. At 1 kHz it writes
  ``--batch`` lines per write (10 lines every 10 ms, as a USB device's packets would), because
  one Python write per line for 40 sensors would cost the writer more than the server.
- Latency: the writer stamps ``time.monotonic()`` just before each write; each viewer stamps a
  frame on arrival and looks every sample it carries up by its value. It includes the serial
  read, ingest (at most every 4 ms), the frame cap (at most 120 frames/s) and the client.
- Recorded: after the window the writer stops, the benchmark waits until every pty's input
  queue is empty (the server read everything; the time is printed as "drain"), then stops each
  station's session (``POST /api/sessions/current/stop?station=ID``) and compares the samples
  its sessions hold (``GET /api/sessions?station=ID``) with the samples written. Sessions
  auto-start on the first reading, so every sample written is one that should be recorded.
- Part 2 also asks ``GET /api/health`` twice a second and prints the slowest answer (the event
  loop that ingests also answers requests, so a loop falling behind shows there), the fullest
  pty input queue (bytes the server's reader threads had not read yet), and the latency seen by
  one live viewer on the last station. Samples parked for a busy loop are not lost, only late,
  so "recorded with no loss", "kept up" (latency p50 <= 50 ms: no standing backlog) and
  "stayed live" (p99 <= 150 ms) are reported apart.
- CPU from /proc (Linux; this script only): the server process and its main thread (the event
  loop), the writer thread (its own clock) and this whole process, over the window; 100 % = one
  core. Also how long the event-loop thread was runnable but waiting for a CPU (schedstat): a
  high figure means the machine's other load, not the server, set the pace. The writer and
  viewers share the cores with the server; the load average is printed with every row.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import json
import os
import statistics
import struct
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Collection, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
import websockets
from bench_server import FRAME_PREFIX, cpu_seconds, load, percentile
from support.pty_device import PtyDevice
from support.server import ServerProcess, wait_for
from websockets.exceptions import WebSocketException

OVERVIEW_PREFIX = '{"type":"overview"'
DROPPED_PREFIX = '{"type":"dropped"'
GOAL_FPS = 28.0
LIVE_P99_MS = 150.0  # "stayed live": feedback quality drops past 100-150 ms (shared/domain.md)
KEPT_UP_P50_MS = 50.0  # "kept up": the median sample is on screen within 50 ms (no backlog)
PACE_MIN = 0.98  # the writer "kept pace" when it wrote >= 98 % of the samples due
PTY_QUEUE_FULL = 4000  # bytes; Linux's line discipline holds 4095, then writes back up
T_US_MASK = 0xFFFFFFFF
STUCK_WRITE_S = 10.0
SETTLE_S = 10.0  # recorded counts that have not grown for this long are final
WS_OPEN_TIMEOUT_S = 60.0


def thread_cpu_seconds(pid: int, tid: int) -> float:
    fields = Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def runqueue_wait_seconds(pid: int, tid: int) -> float:
    """Time the thread was runnable but waiting for a CPU (the machine's other load), from
    /proc/.../schedstat; time waiting for the GIL is not in it (the thread sleeps then)."""
    return int(Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()[1]) / 1e9


class CpuMeter:
    """CPU over a window, in % of one core: the server (and its main thread, which runs the event
    loop: ingest, frames, requests), the writer thread, and this whole process; and how long the
    event-loop thread waited for a CPU while runnable ("loop_wait")."""

    def __init__(self, server_pid: int, writer: FleetWriter) -> None:
        self.pid, self.writer = server_pid, writer
        self.start = self._read()

    def _read(self) -> tuple[float, ...]:
        return (
            cpu_seconds(self.pid),
            thread_cpu_seconds(self.pid, self.pid),
            self.writer.cpu_s(),
            time.process_time(),
            runqueue_wait_seconds(self.pid, self.pid),
            time.monotonic(),
        )

    def percent(self) -> dict[str, float]:
        now = self._read()
        wall = now[-1] - self.start[-1]
        names = ("server", "loop", "writer", "bench", "loop_wait")
        return {k: (b - a) / wall * 100 for k, a, b in zip(names, self.start, now, strict=False)}


def discard_input(tty: str) -> None:
    """Read whatever waits in a pty's input queue, without blocking (see FleetWriter.stop)."""
    try:
        fd = os.open(tty, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError:
        return  # already unplugged
    try:
        while os.read(fd, 65536):
            pass
    except OSError:  # empty (EAGAIN) or the other end closed (EIO)
        pass
    finally:
        os.close(fd)


class StepFailed(Exception):
    """A measurement could not be completed: the server did not answer or stopped reading."""


class FleetWriter:
    """One thread paces every device (see module docstring); counts and stamps what it wrote."""

    def __init__(
        self, devs: list[PtyDevice], rate_hz: float, batch: int, stamped: Collection[int]
    ) -> None:
        """``stamped``: the devices whose write times are kept (for latency)."""
        self.devs, self.rate, self.batch, self.stamped = devs, rate_hz, batch, set(stamped)
        self.written = [0] * len(devs)  # samples written per device
        self.stamps: list[list[float]] = [[] for _ in devs]  # [i][k-1]: when sample k was written
        self.lateness: list[float] = []  # s, per write: how far behind its schedule it went out
        self.t0 = 0.0
        self.discarded_input = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fleet-writer", daemon=True)

    def start(self) -> None:
        self._thread.start()
        wait_for(lambda: self.t0, 5, "writer started")

    def stop(self) -> None:
        """Stop writing (idempotent). A write to a pty nobody reads any more (the server died
        or stopped reading) blocks while holding the device's lock, which would hang closing
        it: after ``STUCK_WRITE_S`` the pty's input is read and discarded here until the
        thread has gone, and ``discarded_input`` says so (the step then counts as failed)."""
        self._stop.set()
        self._thread.join(STUCK_WRITE_S)
        while self._thread.is_alive():
            self.discarded_input = True
            for d in self.devs:
                discard_input(d.path)
            self._thread.join(0.5)

    def cpu_s(self) -> float:
        """The writer thread's own CPU time so far."""
        assert self._thread.ident is not None
        return time.clock_gettime(time.pthread_getcpuclockid(self._thread.ident))

    def due(self, seconds: float) -> int:
        """Samples the schedule asks for across all devices in ``seconds``."""
        return round(seconds * self.rate) * len(self.devs)

    def total(self) -> int:
        return sum(self.written)

    def _run(self) -> None:
        n = len(self.devs)
        slot = self.batch / self.rate / n  # device i writes at i*slot within each write period
        us_per_sample = 1e6 / self.rate
        s = 0
        self.t0 = time.monotonic()
        while not self._stop.is_set():
            due = self.t0 + s * slot
            now = time.monotonic()
            if due > now:
                time.sleep(min(due - now, 0.005))
                continue
            self.lateness.append(now - due)
            i, k0 = s % n, (s // n) * self.batch  # k0: samples this device already wrote
            text = "".join(
                f"t_us:{round(k * us_per_sample) & T_US_MASK},force_n:{k + 1}\n"
                for k in range(k0, k0 + self.batch)
            ).encode()
            if i in self.stamped:
                self.stamps[i].extend([time.monotonic()] * self.batch)
            self.devs[i].write(text)
            self.written[i] = k0 + self.batch
            s += 1


@dataclass
class Fleet:
    devs: list[PtyDevice]
    srv: ServerProcess
    ids: list[str]
    api: httpx.Client
    watch_fds: list[int]  # a second, never-read descriptor on each pty's reading end

    def unread_bytes(self) -> list[int]:
        """Bytes each pty holds that the server has not read yet (FIONREAD on the reading end;
        not through PtyDevice, whose lock a blocked write holds)."""
        buf = struct.pack("i", 0)
        return [
            struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, buf))[0] for fd in self.watch_fds
        ]

    @property
    def pid(self) -> int:
        assert self.srv.proc is not None
        return self.srv.proc.pid


@contextmanager
def fleet(tmp: Path, n: int, rate_hz: float) -> Iterator[Fleet]:
    """``n`` pty sensors, each a ``--source`` of one server; all connected, hellos sent."""
    tmp.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        devs = [stack.enter_context(PtyDevice(tmp / f"tty-{i}", rate_hz)) for i in range(n)]
        more = [arg for d in devs[1:] for arg in ("--source", d.path)]
        srv = stack.enter_context(
            ServerProcess(tmp / "data", source=devs[0].path, extra_args=more, startup_timeout_s=90)
        )
        api = stack.enter_context(httpx.Client(base_url=srv.url, timeout=30))
        ids = [f"tty-{i}" for i in range(n)]  # the slug of each link's last path component
        listed = {s["id"] for s in api.get("/api/stations").json()}
        if listed != set(ids):
            raise RuntimeError(f"station ids {sorted(listed)} are not {ids}")
        wait_for(
            lambda: all(s["connected"] for s in api.get("/api/stations").json()),
            60,
            "every station connected",
        )
        watch = [os.open(d.path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY) for d in devs]
        for fd in watch:
            stack.callback(os.close, fd)
        for i, d in enumerate(devs):
            d.send_hello(sensor=f"bench-{i}", rate=rate_hz, unit="N")
        yield Fleet(devs, srv, ids, api, watch)


@dataclass
class Recorded:
    written: int
    recorded: int
    lost_stations: list[str] = field(default_factory=list)
    drain_s: float = 0.0  # writer stopped -> every pty read by the server
    commit_s: float = 0.0  # sessions stopped -> every count complete (or no longer growing)
    storage_error: str | None = None

    @property
    def complete(self) -> bool:
        return not self.lost_stations and self.storage_error is None

    def describe(self) -> str:
        return (
            f"recorded {self.recorded}/{self.written} (drain {self.drain_s * 1000:.0f} ms, "
            f"stored {self.commit_s:.1f} s after stop)"
        )


def recorded_per_station(api: httpx.Client) -> dict[str, int]:
    counts: dict[str, int] = {}
    for session in api.get("/api/sessions").json():
        sid = session["station_id"]
        counts[sid] = counts.get(sid, 0) + session["samples"]
    return counts


async def storage_error(ws_url: str) -> str | None:
    """The store's error as a viewer's first status message reports it (None: storing)."""
    async with websockets.connect(ws_url, max_size=None, open_timeout=WS_OPEN_TIMEOUT_S) as ws:
        status = json.loads(await ws.recv())
    return status["storage"]["error"] if not status["storage"]["ok"] else None


def stop_and_count(f: Fleet, writer: FleetWriter) -> Recorded:
    """Stop writing, let the server read everything, stop every session, compare counts.

    The store commits on its own thread and a read waits at most a second for it, so a server
    that fell behind answers with what is committed so far: the counts are polled until they
    are complete or have not grown for ``SETTLE_S``."""
    writer.stop()
    if writer.discarded_input:
        raise StepFailed(f"the server stopped reading its ptys for over {STUCK_WRITE_S:g} s")
    t = time.monotonic()
    wait_for(lambda: not any(f.unread_bytes()), 60, "server drained the ptys")
    drain = time.monotonic() - t
    time.sleep(0.3)  # the last read is parsed and parked; stop ingests what is parked
    for sid in f.ids:
        r = f.api.post("/api/sessions/current/stop", params={"station": sid})
        if r.status_code != 200:
            print(f"  {sid}: stop -> {r.status_code} {r.text[:100]}", flush=True)
    t = changed = time.monotonic()
    expected = dict(zip(f.ids, writer.written, strict=True))
    counts: dict[str, int] = {}
    while (now := time.monotonic()) - changed < SETTLE_S:
        latest = recorded_per_station(f.api)
        if latest == expected:
            counts = latest
            break
        if latest != counts:
            counts, changed = latest, now
        time.sleep(0.5)
    out = Recorded(writer.total(), sum(counts.values()), drain_s=drain)
    out.commit_s = time.monotonic() - t
    for sid, written in expected.items():
        if counts.get(sid, 0) != written:
            out.lost_stations.append(f"{sid}: {counts.get(sid, 0)}/{written}")
    out.storage_error = asyncio.run(storage_error(f.srv.ws_url))
    return out


# --- part 1: 16 stations x 80 Hz, a live viewer each plus an overview viewer ------------------


@dataclass
class ViewerStats:
    frames: int = 0
    dropped: int = 0
    latencies_ms: list[float] = field(default_factory=list)


async def view(
    url: str, stats: ViewerStats, window: list[float], stamps: list[float] | None
) -> None:
    """One viewer: reads all the time, counts what arrives inside ``window``. With ``stamps``
    (a live viewer) every sample's latency is looked up by its value; without, it counts
    overview messages."""
    loop = asyncio.get_running_loop()
    async with websockets.connect(url, max_size=None, open_timeout=WS_OPEN_TIMEOUT_S) as ws:
        while (left := window[1] - loop.time()) > 0:
            try:
                raw = str(await asyncio.wait_for(ws.recv(), min(left, 5.0)))
            except TimeoutError:
                continue
            got = time.monotonic()
            if not window[0] <= loop.time() <= window[1]:
                continue
            if raw.startswith(DROPPED_PREFIX):
                stats.dropped += 1
            elif stamps is None and raw.startswith(OVERVIEW_PREFIX):
                stats.frames += 1
            elif stamps is not None and raw.startswith(FRAME_PREFIX):
                stats.frames += 1
                for _, value in json.loads(raw)["samples"]:
                    k = round(value)
                    if 1 <= k <= len(stamps):
                        stats.latencies_ms.append((got - stamps[k - 1]) * 1000)


async def watch(
    f: Fleet, writer: FleetWriter, warmup_s: float, seconds: float
) -> tuple[list[ViewerStats], ViewerStats, dict[str, float]]:
    """Live viewers (one per station) and one overview viewer; counts inside the window only."""
    loop = asyncio.get_running_loop()
    window = [float("inf"), float("inf")]  # loop time; set once every viewer is connected
    live = [ViewerStats() for _ in f.ids]
    overview = ViewerStats()
    base = f.srv.ws_url.rsplit("/ws/", 1)[0]

    tasks = [
        asyncio.create_task(view(f"{base}/ws/live?station={sid}", live[i], window, stamps))
        for i, (sid, stamps) in enumerate(zip(f.ids, writer.stamps, strict=True))
    ]
    tasks.append(asyncio.create_task(view(f"{base}/ws/overview", overview, window, None)))
    await asyncio.sleep(warmup_s)  # connected, histories read
    cpu = CpuMeter(f.pid, writer)
    window[:] = [loop.time(), loop.time() + seconds]
    await asyncio.sleep(seconds)
    use = cpu.percent()
    await asyncio.gather(*tasks)
    return live, overview, use


def part_viewers(tmp: Path, stations: int, rate_hz: float, seconds: float) -> None:
    print(f"\n## {stations} stations x {rate_hz:g} Hz, a live viewer each + 1 overview viewer")
    with fleet(tmp, stations, rate_hz) as f:
        writer = FleetWriter(f.devs, rate_hz, batch=1, stamped=range(stations))
        writer.start()
        before = load()
        try:
            live, overview, use = asyncio.run(watch(f, writer, 2.0, seconds))
            rec = stop_and_count(f, writer)
        finally:
            writer.stop()
    fps = [v.frames / seconds for v in live]
    lat = [x for v in live for x in v.latencies_ms]
    dropped = sum(v.dropped for v in live) + overview.dropped
    print(
        f"live viewers: frames/s min {min(fps):.1f}, median {statistics.median(fps):.1f}, "
        f"max {max(fps):.1f}; dropped notices {dropped} -> "
        f"{'every viewer >= 28 frames/s' if min(fps) >= GOAL_FPS else 'BELOW 28 frames/s'}"
    )
    print(f"overview viewer: {overview.frames / seconds:.1f} messages/s")
    print(
        f"latency pty write -> frame received: {len(lat)} samples, p50 "
        f"{percentile(lat, 50):.1f} ms, p99 {percentile(lat, 99):.1f} ms, "
        f"max {max(lat):.1f} ms"
    )
    print(
        f"CPU over {seconds:g} s: server {use['server']:.0f} % "
        f"({use['server'] / stations:.1f} % per station; event-loop thread {use['loop']:.0f} %, "
        f"which waited for a CPU {use['loop_wait']:.0f} % of the time), "
        f"writer thread {use['writer']:.0f} %, "
        f"benchmark process (writer + {stations + 1} viewers) {use['bench']:.0f} %"
    )
    lost = "; ".join(filter(None, [rec.storage_error, *rec.lost_stations]))
    print(f"{rec.describe()} -> {'every sample recorded' if rec.complete else 'LOST: ' + lost}")
    print(f"machine: {before} at start, {load()} at end", flush=True)


# --- part 2: how many 1 kHz stations ------------------------------------------------------------


@dataclass
class Step:
    n: int
    rec: Recorded
    pace: float  # samples written / samples due over the window
    late_p99_ms: float
    late_max_ms: float
    backlog_max_bytes: int  # the fullest pty input queue seen: how far the readers fell behind
    use: dict[str, float]
    health_max_ms: float
    live_p50_ms: float  # pty write -> frame received, one viewer on the last station
    live_p99_ms: float

    @property
    def live(self) -> bool:
        return self.live_p99_ms <= LIVE_P99_MS

    @property
    def kept_up(self) -> bool:
        return self.live_p50_ms <= KEPT_UP_P50_MS

    def failure(self) -> str:
        """Why the step failed, or "" when every sample was recorded and the writer kept pace."""
        if self.rec.storage_error:
            return f"samples LOST: {self.rec.storage_error}"
        if not self.rec.complete:
            return "samples LOST: " + "; ".join(self.rec.lost_stations[:5])
        if not self.kept_pace and self.backlog_max_bytes >= PTY_QUEUE_FULL:
            return "the writer was held up: a pty queue was full (the server's readers fell behind)"
        if not self.kept_pace:
            return "the writer itself fell behind"
        return ""

    def report(self) -> str:
        u = self.use
        return (
            f"{self.rec.describe()}\n"
            f"       CPU server {u['server']:.0f} % = {u['server'] / self.n:.2f} % per station "
            f"(event-loop thread {u['loop']:.0f} %, waited for a CPU {u['loop_wait']:.0f} %); "
            f"writer thread {u['writer']:.0f} %, benchmark process {u['bench']:.0f} %\n"
            f"       writer pace {self.pace * 100:.1f} % (late p99 {self.late_p99_ms:.0f} ms, "
            f"max {self.late_max_ms:.0f} ms); fullest pty queue {self.backlog_max_bytes} bytes\n"
            f"       live: pty write -> frame p50 {self.live_p50_ms:.0f} ms, "
            f"p99 {self.live_p99_ms:.0f} ms; /api/health slowest {self.health_max_ms:.0f} ms"
            f"{'' if self.live else ' (not live)'}"
        )

    @property
    def kept_pace(self) -> bool:
        return self.pace >= PACE_MIN


def probe(f: Fleet, until: float) -> tuple[list[float], int]:
    """Twice a second until ``until``: how long ``GET /api/health`` takes (the event loop that
    ingests also answers requests, so a loop falling behind shows here) and the fullest pty
    input queue (bytes the server's reader threads have not read yet)."""
    times, backlog = [], 0
    while time.monotonic() < until:
        backlog = max(backlog, *f.unread_bytes())
        t = time.monotonic()
        f.api.get("/api/health").raise_for_status()
        times.append((time.monotonic() - t) * 1000)
        time.sleep(max(0.0, min(0.5, until - time.monotonic())))
    return times, backlog


async def capacity_window(f: Fleet, writer: FleetWriter, seconds: float) -> Step:
    """The measuring window of one step: CPU, writer pace, health probes, one live viewer."""
    loop = asyncio.get_running_loop()
    window = [float("inf"), float("inf")]
    live = ViewerStats()
    last = len(f.devs) - 1
    url = f.srv.ws_url + f"?station={f.ids[last]}"
    viewer = asyncio.create_task(view(url, live, window, writer.stamps[last]))
    await asyncio.sleep(1.0)  # sessions started, the first blocks stored, the viewer connected
    n0, late0, t0 = writer.total(), len(writer.lateness), time.monotonic()
    cpu = CpuMeter(f.pid, writer)
    window[:] = [loop.time(), loop.time() + seconds]
    health_ms, backlog = await asyncio.to_thread(probe, f, t0 + seconds)
    use = cpu.percent()
    wall = time.monotonic() - t0
    pace = (writer.total() - n0) / writer.due(wall)
    late = [x * 1000 for x in writer.lateness[late0:]]
    await viewer
    lat = live.latencies_ms or [float("nan")]
    return Step(
        n=len(f.devs),
        rec=Recorded(0, 0),
        pace=pace,
        late_p99_ms=percentile(late, 99),
        late_max_ms=max(late),
        backlog_max_bytes=backlog,
        use=use,
        health_max_ms=max(health_ms),
        live_p50_ms=percentile(lat, 50),
        live_p99_ms=percentile(lat, 99),
    )


def capacity_step(tmp: Path, n: int, rate_hz: float, batch: int, seconds: float) -> Step:
    """One fresh server with ``n`` stations; StepFailed when it cannot be measured at all
    (it did not start, answer a request or accept a viewer in time, or stopped reading)."""
    try:
        with fleet(tmp, n, rate_hz) as f:
            writer = FleetWriter(f.devs, rate_hz, batch=batch, stamped=[n - 1])
            writer.start()
            try:
                step = asyncio.run(capacity_window(f, writer, seconds))
                step.rec = stop_and_count(f, writer)
            finally:
                writer.stop()
    except (OSError, AssertionError, RuntimeError, httpx.HTTPError, WebSocketException) as exc:
        why = f"not measurable, the server did not answer in time: {exc!r}"
        raise StepFailed(why[:300]) from exc
    return step


def part_capacity(
    tmp: Path, rate_hz: float, batch: int, seconds: float, first: int, step: int, top: int
) -> None:
    print(
        f"\n## 1 kHz stations: N = {first}, {first + step}, ... (<= {top}), {seconds:g} s each, "
        f"{batch} lines per write, one live viewer (on the last station)"
    )
    best = best_live = best_kept_up = 0
    live_so_far = kept_up_so_far = True  # every step passed so far also stayed live / kept up
    n, attempt, verdict = first, 0, f"stopped at the last step tried ({top})"
    while n <= top:
        attempt += 1
        s: Step | None = None
        try:
            s = capacity_step(tmp / f"n{n}-{attempt}", n, rate_hz, batch, seconds)
            why = s.failure()
            print(f"N={n:>3}: {s.report()} -> {why or 'ok'}  ({load()})", flush=True)
        except StepFailed as exc:
            why = str(exc)
            print(f"N={n:>3}: -> {why}  ({load()})", flush=True)
        if s is not None and not why:
            best, n, attempt = n, n + step, 0
            live_so_far = live_so_far and s.live
            kept_up_so_far = kept_up_so_far and s.kept_up
            best_live = best if live_so_far else best_live
            best_kept_up = best if kept_up_so_far else best_kept_up
            continue
        if attempt < 2:
            continue  # the machine is shared: one retry before concluding
        verdict = f"at N={n}, twice: {why}"
        break
    print(f"1 kHz stations ingested and recorded with no sample lost: {best} ({verdict})")
    print(
        f"... up to which every step also kept up (latency p50 <= {KEPT_UP_P50_MS:.0f} ms): "
        f"{best_kept_up}, and stayed live (p99 <= {LIVE_P99_MS:.0f} ms): {best_live}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--part", choices=("viewers", "capacity", "both"), default="both")
    ap.add_argument("--seconds", type=float, default=20.0, help="part 1 window")
    ap.add_argument("--stations", type=int, default=16, help="part 1 stations")
    ap.add_argument("--rate", type=float, default=80.0, help="part 1 sensor rate, Hz")
    ap.add_argument("--capacity-seconds", type=float, default=10.0, help="part 2 window per step")
    ap.add_argument("--batch", type=int, default=10, help="part 2 lines per write (1 kHz)")
    ap.add_argument("--first", type=int, default=8, help="part 2 first N")
    ap.add_argument("--step", type=int, default=8, help="part 2 step in N")
    ap.add_argument("--max-stations", type=int, default=96, help="part 2 largest N tried")
    args = ap.parse_args()
    print(f"# bench_stations  {time.strftime('%Y-%m-%d %H:%M %Z')}  cores={os.cpu_count()}")
    print(f"# {load()}; command: python bench/bench_stations.py {' '.join(sys.argv[1:])}")
    with tempfile.TemporaryDirectory() as tmp:
        if args.part in ("viewers", "both"):
            part_viewers(Path(tmp) / "viewers", args.stations, args.rate, args.seconds)
        if args.part in ("capacity", "both"):
            part_capacity(
                Path(tmp) / "capacity",
                1000.0,
                args.batch,
                args.capacity_seconds,
                args.first,
                args.step,
                args.max_stations,
            )


if __name__ == "__main__":
    main()
