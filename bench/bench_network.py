"""Stations over MQTT into one hub: 32 virtual 80 Hz stations → Mosquitto → ``presshold serve``
recording to PostgreSQL, and the same into SQLite beside it.

    python bench/bench_network.py                       # 32 stations, 20 s per store
    python bench/bench_network.py --stations 8 --seconds 10 --stores sqlite
    python bench/bench_network.py --codec               # only: batch encoding, JSON vs binary

Setup (all on this machine, loopback): a Mosquitto broker and a PostgreSQL server started like
the tests do (``tests/support/services.py``); the real ``presshold serve --broker … --store …``
in a subprocess; in this process, one pacing thread plays 32 sensors (one reading per sensor
every 12.5 ms), each read by a real :class:`StationPublisher` (spool, QoS 1, acks) — the same
code as ``presshold station`` — and one websocket viewer per station (``/ws/live?station=…``).

Latency, per sample: each reading's force is its wall-clock creation time modulo 1000 s
(rounded to 1 ms by the frame), so the viewer computes sensor reading → hub viewer on one clock.
It includes the station's 50 ms batching (0-50 ms by design), the broker hop, the hub's
ingest and the frame pacing. CPU: utime+stime of the hub process from /proc/<pid>/stat over the
window (Linux; this script only); 100 % = one core. Rows/s: sample blocks (one row per 50 ms
per recording station) and samples written per second, counted in the store afterwards; loss:
samples produced vs. stored once every station's spool was acknowledged. The stations, viewers
and both servers share the machine's cores with the hub: the load average is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from support.services import Mosquitto, Postgres, free_port  # noqa: E402

from presshold.firmware_bridge.source import Source, SourceSink, SourceStatus  # noqa: E402
from presshold.network import codec  # noqa: E402
from presshold.network.mqtt import parse_broker  # noqa: E402
from presshold.network.publisher import StationPublisher  # noqa: E402
from presshold.network.spool import Spool  # noqa: E402

RATE_HZ = 80.0


class VirtualSensor(Source):
    """Fed by :class:`Pacer`; force = creation wall time mod 1000 s."""

    def __init__(self) -> None:
        super().__init__(None)
        self._status = SourceStatus(
            connected=True, source="virtual", kind="sim", sensor="virtual", rate_hz=RATE_HZ
        )
        self.sink: SourceSink | None = None
        self.produced = 0

    @property
    def status(self) -> SourceStatus:
        return self._status

    def start(self, sink: SourceSink) -> None:
        self.sink = sink
        sink.on_status(self._status)

    def stop(self) -> None:
        self.sink = None

    def read(self) -> None:
        sink = self.sink
        if sink is None:
            return
        wall = time.time()
        value = np.array([round(wall % 1000.0, 3)])
        sink.on_readings(self._make_batch(np.array([time.monotonic()]), value))
        self.produced += 1


class Pacer(threading.Thread):
    def __init__(self, sensors: list[VirtualSensor]) -> None:
        super().__init__(daemon=True)
        self.sensors = sensors
        self.stop_event = threading.Event()

    def run(self) -> None:
        due = time.monotonic()
        while not self.stop_event.is_set():
            due += 1 / RATE_HZ
            self.stop_event.wait(max(0.0, due - time.monotonic()))
            for s in self.sensors:
                s.read()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def viewers(port: int, ids: list[str], until: float, lat: list[float]) -> None:
    import websockets

    async def one(sid: str) -> None:
        url = f"ws://127.0.0.1:{port}/ws/live?station={sid}"
        async with websockets.connect(url, max_size=None) as ws:
            while time.monotonic() < until:
                try:
                    text = await asyncio.wait_for(ws.recv(), max(0.1, until - time.monotonic()))
                except TimeoutError:
                    break
                msg = json.loads(text)
                if msg.get("type") != "frame":
                    continue
                now = time.time() % 1000.0
                for _, f in msg["samples"]:
                    d = now - f
                    lat.append((d + 1000.0) % 1000.0 * 1000.0)

    await asyncio.gather(*(one(s) for s in ids))


def wait_stations(port: int, n: int, timeout_s: float = 60) -> list[str]:
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            got = httpx.get(f"http://127.0.0.1:{port}/api/stations", timeout=2).json()
            live = [s["id"] for s in got if s["connected"] and s["recording"]]
            if len(live) >= n:
                return sorted(live)
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"fewer than {n} stations live after {timeout_s} s")


def run_stations(n: int, broker_url: str, work: Path) -> None:
    """``--run-stations``: the 32 stations in a process of their own (so their threads do not
    starve the viewers that measure), until a line arrives on stdin; then drain and report."""
    sensors = [VirtualSensor() for _ in range(n)]
    broker = parse_broker(broker_url)
    pubs = [
        StationPublisher(f"v{i:02d}", f"V{i}", s, broker, Spool(work / f"v{i:02d}.sqlite3"))
        for i, s in enumerate(sensors)
    ]
    pacer = Pacer(sensors)
    for p in pubs:
        p.start()
    pacer.start()
    backlog: list[float] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.5):
            backlog.append(sum(p.spool.pending for p in pubs) / n)

    threading.Thread(target=watch, daemon=True).start()
    sys.stdin.readline()
    stop.set()
    pacer.stop_event.set()
    pacer.join()
    for p in pubs:
        p.stop(drain_s=30)
    report = {
        "produced": sum(s.produced for s in sensors),
        "unacknowledged": sum(p.spool.pending for p in pubs),
        "unacked_batches_per_station_mean": round(float(np.mean(backlog)), 1),
    }
    print(json.dumps(report), flush=True)


def run_store(store_url: str, label: str, n: int, seconds: float, broker: Mosquitto) -> dict:
    work = Path(tempfile.mkdtemp(prefix="presshold-bench-"))
    port = free_port()
    env = {**os.environ, "PRESSHOLD_DATA_DIR": str(work / "hub")}
    log = (work / "hub.log").open("w")
    hub = subprocess.Popen(
        [sys.executable, "-m", "presshold", "serve", "--broker", broker.url, "--store",
         store_url, "--http-port", str(port), "--no-browser"],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )  # fmt: skip
    stations = subprocess.Popen(
        [sys.executable, __file__, "--run-stations", str(n), "--broker", broker.url,
         "--work", str(work)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        ids = wait_stations(port, n)
        time.sleep(2.0)  # warm-up
        lat: list[float] = []
        c0, w0 = cpu_seconds(hub.pid), time.monotonic()
        asyncio.run(viewers(port, ids, time.monotonic() + seconds, lat))
        cpu = (cpu_seconds(hub.pid) - c0) / (time.monotonic() - w0)
        out, _ = stations.communicate("stop\n", timeout=120)
        report = json.loads(out.strip().splitlines()[-1])
    finally:
        if stations.poll() is None:
            stations.kill()
        hub.terminate()
        hub.wait(30)
        log.close()
    stored, blocks, span = count_store(store_url, work / "hub")
    lat.sort()
    return {
        "store": label,
        "stations": n,
        "p50_ms": round(lat[len(lat) // 2], 1),
        "p99_ms": round(lat[int(len(lat) * 0.99)], 1),
        "max_ms": round(lat[-1], 1),
        "live_samples_seen": len(lat),
        "hub_cpu_pct": round(100 * cpu),
        "rows_per_s": round(blocks / span) if span else None,
        "samples_written_per_s": round(stored / span) if span else None,
        "stored": stored,
        **report,
    }


def count_store(url: str, data_dir: Path) -> tuple[int, int, float]:
    """(samples, block rows, seconds of recording) in the store after the run."""
    if url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(url) as con:
            n, rows = con.execute("SELECT COALESCE(SUM(n), 0), COUNT(*) FROM blocks").fetchone()
            span = con.execute("SELECT COALESCE(AVG(duration_s), 0) FROM sessions").fetchone()[0]
    else:
        import sqlite3

        con = sqlite3.connect(data_dir / "sessions.sqlite3")
        n, rows = con.execute("SELECT COALESCE(SUM(n), 0), COUNT(*) FROM blocks").fetchone()
        span = con.execute("SELECT COALESCE(AVG(duration_s), 0) FROM sessions").fetchone()[0]
        con.close()
    return int(n), int(rows), float(span)


def codec_costs(samples: int = 4, repeats: int = 20_000) -> None:
    """Bytes and µs per 50 ms batch of an 80 Hz sensor (4 samples), binary vs JSON."""
    rng = np.random.default_rng(1)
    t = time.time() + np.arange(samples) / RATE_HZ
    raw, force = rng.normal(84_000, 50, samples), rng.normal(30, 2, samples)
    b = codec.Batch(123456789, 4242, 4000, t, raw, force)
    as_json = {
        "stream": b.stream, "seq": b.seq, "first": b.first,
        "t": t.tolist(), "raw": raw.tolist(), "force_n": force.tolist(),
    }  # fmt: skip

    def per_call(fn) -> float:  # type: ignore[no-untyped-def]
        t0 = time.process_time()
        for _ in range(repeats):
            fn()
        return (time.process_time() - t0) / repeats * 1e6

    enc_b = per_call(lambda: codec.encode(b))
    data = codec.encode(b)
    dec_b = per_call(lambda: codec.decode(data))

    def enc_json() -> bytes:
        d = {**as_json, "t": b.t.tolist(), "raw": b.raw.tolist(), "force_n": b.force_n.tolist()}
        return json.dumps(d).encode()

    text = enc_json()
    enc_j = per_call(enc_json)

    def dec_json() -> None:
        d = json.loads(text)
        for k in ("t", "raw", "force_n"):
            np.asarray(d[k], dtype=float)

    dec_j = per_call(dec_json)
    print(f"{samples}-sample batch  bytes  encode µs  decode µs")
    print(f"binary            {len(data):5d}  {enc_b:9.1f}  {dec_b:9.1f}")
    print(f"JSON              {len(text):5d}  {enc_j:9.1f}  {dec_j:9.1f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stations", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--stores", default="postgresql,sqlite")
    ap.add_argument("--codec", action="store_true")
    ap.add_argument("--run-stations", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--broker", help=argparse.SUPPRESS)
    ap.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.run_stations:
        run_stations(args.run_stations, args.broker, args.work)
        return
    if args.codec:
        codec_costs()
        return
    print(f"load average before: {os.getloadavg()}", flush=True)
    with tempfile.TemporaryDirectory() as d:
        broker = Mosquitto(Path(d))
        broker.start()
        pg = Postgres()
        pg.init()
        pg.start()
        try:
            for store in args.stores.split(","):
                url = pg.create_database() if store == "postgresql" else "sqlite"
                result = run_store(url, store, args.stations, args.seconds, broker)
                print(json.dumps(result), flush=True)
                print(f"load average: {os.getloadavg()}", flush=True)
        finally:
            pg.destroy()
            broker.stop()


if __name__ == "__main__":
    main()
