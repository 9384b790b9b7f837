"""Stations over MQTT into one hub: 32 virtual 80 Hz stations → Mosquitto → ``presshold serve``
recording to PostgreSQL, and the same into SQLite beside it.

    python bench/bench_network.py --stages              # 32 stations, 20 s per store
    python bench/bench_network.py --stages --real-stations 32   # every station a full one
    python bench/bench_network.py --stations 8 --seconds 10 --stores sqlite
    python bench/bench_network.py --codec               # only: batch encoding, JSON vs binary

Setup (all on this machine, loopback): a Mosquitto broker and a PostgreSQL server started like
the tests do (``tests/support/services.py``); the real ``presshold serve --broker … --store …``
in a subprocess; virtual sensors (one reading every 12.5 ms each, at staggered phases, as
unsynchronised real sensors are). ``--real-stations`` of them (4 by default) are read by a
real :class:`StationPublisher` (spool, QoS 1, acknowledgements) — the same code as
``presshold station`` — spread over up to ``--station-procs`` processes; the others are
:class:`LightStation` s in one more process: the same 1-sample batches for a fraction of the
CPU, because 32 full stations on this machine take the cores the hub needs (docs/benchmarks.md).
In this process, one websocket viewer per station (``/ws/live?station=…``).

Latency, per sample: each reading's force is its wall-clock creation time modulo 1000 s
(rounded to 1 ms by the frame), so the viewer computes sensor reading → hub viewer on one clock.
It includes the station's batching (none at 80 Hz: readings go as they arrive), the broker
hop, the hub's ingest and the frame cap. ``--stages`` also times each hop (bench/stage_trace.py).
CPU: utime+stime of each process (PostgreSQL with its backends) from /proc over the window
(Linux; this script only); 100 % = one core. Rows/s: sample blocks (one row per 50 ms per
recording station) and samples written per second, counted in the store afterwards; loss:
samples produced vs. stored once every station's batches were acknowledged. The stations,
viewers and both servers share the machine's cores with the hub: the load average is printed.
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
from collections.abc import Callable
from pathlib import Path

import numpy as np
import paho.mqtt.client as paho

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import stage_trace  # noqa: E402  (bench/, beside this file)
from support.hand_source import HandSource  # noqa: E402
from support.services import Mosquitto, Postgres, free_port  # noqa: E402

from presshold.firmware_bridge.source import (  # noqa: E402
    ReadingBatch,
    SourceStatus,
)
from presshold.network import codec, topics  # noqa: E402
from presshold.network.mqtt import make_client, parse_broker  # noqa: E402
from presshold.network.publisher import BATCH_S, StationPublisher  # noqa: E402
from presshold.network.spool import Spool  # noqa: E402

RATE_HZ = 80.0


def virtual_sensor() -> HandSource:
    """A sensor :class:`Pacer` reads: each force is its creation wall time mod 1000 s."""
    return HandSource("virtual", RATE_HZ)


class Pacer(threading.Thread):
    """Reads every sensor each 1/RATE_HZ, each at its own phase of the period: real sensors are
    not synchronised, and 32 read at the same instant would reach the hub as one burst every
    12.5 ms, the last of it queued behind the 31 others. A late pacer reads at once (the
    reading's time is its creation, so lateness here is not hidden from the latency)."""

    def __init__(
        self,
        sensors: list[HandSource],
        phases: list[float],
        after_read: Callable[[], object] | None = None,
    ) -> None:
        super().__init__(daemon=True)
        self.plan = sorted(zip(phases, sensors, strict=True), key=lambda p: p[0])
        self.after_read = after_read
        self.stop_event = threading.Event()

    def run(self) -> None:
        start, period, cycle = time.monotonic(), 1 / RATE_HZ, 0
        while not self.stop_event.is_set():
            for phase, sensor in self.plan:
                due = start + (cycle + phase) * period
                self.stop_event.wait(max(0.0, due - time.monotonic()))
                sensor.read(round(time.time() % 1000.0, 3))  # see virtual_sensor()
                if self.after_read is not None:
                    self.after_read()
            cycle += 1


class LightStation:
    """The wire side of a station without the rest of it (``--real-stations``): each reading
    is published at once as a 1-sample batch — what a real station sends at 80 Hz — with no
    spool, no resending, no threads of its own. At QoS 0: one client carrying 28 stations at
    QoS 1 would queue behind the broker's 20 unacknowledged messages, a queue no real station
    has (each has its own); the hub receives every batch at QoS 0 either way. ``first`` is the
    oldest batch the hub has not acknowledged, as a real station says. It stands for a station
    on another machine at a fraction of the CPU a full :class:`StationPublisher` costs here, so
    the hub, not the simulation, gets this machine's cores. What the hub records is still
    compared with what was produced (nothing is resent: a lost batch would stall its station,
    unacknowledged)."""

    def __init__(
        self,
        sid: str,
        client: paho.Client,
        acked: dict[str, int],
        trace: stage_trace.Trace | None,
    ) -> None:
        self.sid = sid
        self.acked = acked
        self.client = client
        self.trace = trace
        self.stream = int.from_bytes(os.urandom(7), "little")
        self.seq = 0
        self.wall_offset = time.time() - time.monotonic()

    def status(self) -> bytes:
        body = {"online": True, "station_id": self.sid, "name": self.sid.upper(),
                "connected": True, "sensor": "virtual", "rate_hz": RATE_HZ}  # fmt: skip
        return json.dumps(body).encode()

    def on_status(self, status: SourceStatus) -> None:
        pass

    def on_readings(self, batch: ReadingBatch) -> None:
        self.seq += 1
        first = self.acked.get(self.sid, 0) + 1  # as a real station: the oldest unacknowledged
        wire = codec.Batch(
            self.stream, self.seq, first, batch.t_s + self.wall_offset, batch.raw, batch.force_n
        )
        self.client.publish(topics.station(self.sid, "samples"), codec.encode(wire), qos=0)
        if self.trace is not None:
            self.trace.add("published", batch.force_n)


def run_light(ids: list[int], total: int, broker_url: str, trace_to: Path | None) -> None:
    """``--run-light``: :class:`LightStation` s on one MQTT client; report like stations do.
    The client has no network thread: the pacer's thread writes each batch to the socket as it
    publishes it and reads the broker's acknowledgements between readings (one thread, so no
    GIL hand-over delays a batch here)."""
    trace = stage_trace.Trace() if trace_to is not None else None
    broker = parse_broker(broker_url)
    client = make_client(broker, f"bench-light-{os.getpid()}")
    hub_up = threading.Event()  # nothing is resent: start once the hub listens
    acked: dict[str, int] = {}  # the hub's acknowledgements: what it recorded

    def on_message(_c: paho.Client, _u: object, msg: paho.MQTTMessage) -> None:
        if msg.topic == topics.HUB_STATUS:
            if msg.payload and json.loads(msg.payload).get("online"):
                hub_up.set()
        else:
            acked[msg.topic.split("/")[-2]] = json.loads(msg.payload)["seq"]

    client.on_connect = lambda c, *_a: c.subscribe(
        [(topics.HUB_STATUS, 1), (topics.station("+", "ack"), 1)]
    )
    client.on_message = on_message
    client.connect(broker.host, broker.port, keepalive=30)
    deadline = time.monotonic() + 60
    while not hub_up.is_set():
        client.loop(0.1)
        if time.monotonic() > deadline:
            raise SystemExit("light stations: no hub")
    sensors = [virtual_sensor() for _ in ids]
    lights = [LightStation(f"v{i:02d}", client, acked, trace) for i in ids]
    for light, sensor in zip(lights, sensors, strict=True):
        client.publish(topics.station(light.sid, "status"), light.status(), qos=1, retain=True)
        sensor.start(light)  # type: ignore[arg-type]
    pacer = Pacer(sensors, [i / total for i in ids], lambda: client.loop(0))
    pacer.start()
    sys.stdin.readline()
    if trace is not None:
        trace.save(trace_to)
    pacer.stop_event.set()
    pacer.join()
    deadline = time.monotonic() + 30

    def missing() -> int:
        return sum(light.seq - acked.get(light.sid, 0) for light in lights)

    while missing() and time.monotonic() < deadline:
        client.loop(0.1)
    client.disconnect()
    report = {"produced": sum(s.produced for s in sensors), "unacknowledged": missing(),
              "unacked_batches_per_station_mean": 0.0}  # fmt: skip
    print(json.dumps(report), flush=True)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu(pid: int) -> dict[int, float]:
    """CPU seconds of ``pid`` and its children (PostgreSQL's backends), by pid."""
    out = {pid: cpu_seconds(pid)}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    out[int(d.name)] = cpu_seconds(int(d.name))
            except (OSError, IndexError, ValueError):
                pass
    return out


class CpuMeter:
    """CPU of every process of the benchmark over one window; 100 % = one core."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.t0 = time.monotonic()
        self.c0 = {name: tree_cpu(pid) for name, pid in pids.items()}
        self.self0 = time.process_time()

    def stop(self) -> dict[str, int]:
        wall = time.monotonic() - self.t0
        out = {}
        for name, pid in self.pids.items():
            now = tree_cpu(pid)
            used = sum(c - self.c0[name].get(p, 0.0) for p, c in now.items())
            out[name] = round(100 * used / wall)
        out["viewers"] = round(100 * (time.process_time() - self.self0) / wall)
        return out


async def viewers(
    port: int, ids: list[str], until: float, lat: list[float], created: list[float] | None = None
) -> None:
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
                now = time.time()
                for ms in stage_trace.latency_ms(now, [f for _, f in msg["samples"]]).tolist():
                    lat.append(ms)
                    if created is not None:
                        created.append(now - ms / 1000.0)

    await asyncio.gather(*(one(s) for s in ids))


def wait_stations(port: int, n: int, timeout_s: float = 60) -> tuple[list[str], int]:
    """The stations' ids once all ``n`` record, and how many of them are live (not "catching
    up") then: a hub that cannot keep up is measured and reported, not waited for forever."""
    import httpx

    deadline = time.monotonic() + timeout_s
    got: list[dict] = []
    while time.monotonic() < deadline:
        try:
            got = httpx.get(f"http://127.0.0.1:{port}/api/stations", timeout=2).json()
        except httpx.HTTPError:
            got = []
        recording = [s for s in got if s["recording"]]
        live = [s for s in recording if s["connected"]]
        if len(live) >= n or (len(recording) >= n and time.monotonic() > deadline - timeout_s / 2):
            return sorted(s["id"] for s in recording), len(live)
        time.sleep(0.2)
    states = {s["id"]: (s["connected"], s["recording"]) for s in got}
    raise TimeoutError(f"fewer than {n} stations recording after {timeout_s} s: {states}")


def run_stations(
    ids: list[int], total: int, broker_url: str, work: Path, trace_to: Path | None,
    batch_ms: float,
) -> None:  # fmt: skip
    """``--run-stations``: stations ``ids`` (of ``total``) in a process of their own, until a
    line arrives on stdin; then drain and report. The stations are spread over several such
    processes (``--station-procs``): each real station runs on its own machine, and 32 of them
    in one Python process would queue for one GIL — a cost no deployment has."""
    trace = None
    if trace_to is not None:
        trace = stage_trace.Trace()
        stage_trace.install_station(trace)
    sensors = [virtual_sensor() for _ in ids]
    n = len(sensors)
    broker = parse_broker(broker_url)
    pubs = [
        StationPublisher(
            f"v{i:02d}",
            f"V{i}",
            s,
            broker,
            Spool(work / f"v{i:02d}.sqlite3"),
            batch_s=batch_ms / 1000,
        )
        for i, s in zip(ids, sensors, strict=True)
    ]
    pacer = Pacer(sensors, [i / total for i in ids])
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
    if trace is not None:
        trace.save(trace_to)
    stop.set()
    pacer.stop_event.set()
    pacer.join()
    for p in pubs:
        p.stop(drain_s=30)
    report = {
        "produced": sum(s.produced for s in sensors),
        "unacknowledged": sum(p.spool.pending for p in pubs),
        "unacked_batches_per_station_mean": float(np.mean(backlog)),
    }
    print(json.dumps(report), flush=True)


def run_store(
    store_url: str, label: str, n: int, seconds: float, broker: Mosquitto, pg: Postgres,
    stages: bool, procs: int, batch_ms: float, stations_nice: int, real: int,
) -> dict:  # fmt: skip
    work = Path(tempfile.mkdtemp(prefix="presshold-bench-"))
    port = free_port()
    env = {**os.environ, "PRESSHOLD_DATA_DIR": str(work / "hub")}
    log = (work / "hub.log").open("w")
    serve = ["serve", "--broker", broker.url, "--store", store_url, "--http-port", str(port),
             "--no-browser"]  # fmt: skip
    hub_cmd = [sys.executable, "-m", "presshold", *serve]
    if stages:
        hub_cmd = [sys.executable, str(ROOT / "bench" / "stage_trace.py"), str(work / "hub.npz"),
                   *serve]  # fmt: skip
    hub = subprocess.Popen(hub_cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    # real stations spread over the phases; the rest (if any) are light, in one process
    real_ids = sorted({round(k * n / real) for k in range(real)}) if real else []
    light_ids = [i for i in range(n) if i not in real_ids]
    groups = [real_ids[k::procs] for k in range(min(procs, len(real_ids)))]
    if light_ids:
        groups.append(light_ids)
    traces = [work / f"stations{k}.npz" for k in range(len(groups))]
    stations = []
    for ids, trace in zip(groups, traces, strict=True):
        mode = "--run-light" if ids is light_ids else "--run-stations"
        cmd = [sys.executable, __file__, mode, ",".join(map(str, ids)),
               "--of", str(n), "--broker", broker.url, "--work", str(work),
               "--batch-ms", str(batch_ms)]  # fmt: skip
        if stages:
            cmd += ["--trace", str(trace)]
        if stations_nice:
            cmd = ["nice", "-n", str(stations_nice), *cmd]
        stations.append(
            subprocess.Popen(
                cmd,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
        )
    try:
        ids, live_at_start = wait_stations(port, n)
        time.sleep(2.0)  # warm-up
        lat: list[float] = []
        assert broker.proc is not None
        postmaster = int((pg.data / "postmaster.pid").read_text().split()[0])
        meter = CpuMeter(
            {"hub": hub.pid, "mosquitto": broker.proc.pid, "postgresql": postmaster,
             **{f"stations{k}": p.pid for k, p in enumerate(stations)}}
        )  # fmt: skip
        created: list[float] = []
        asyncio.run(viewers(port, ids, time.monotonic() + seconds, lat, created))
        cpu = meter.stop()
        cpu["stations"] = sum(cpu.pop(f"stations{k}") for k in range(len(stations)))
        for p in stations:  # all stop together, then each drains
            assert p.stdin is not None
            p.stdin.write("stop\n")
            p.stdin.flush()
        reports = [json.loads(p.communicate(timeout=120)[0].strip().splitlines()[-1])
                   for p in stations]  # fmt: skip
        backlog = sum(
            r["unacked_batches_per_station_mean"] * len(g)
            for r, g in zip(reports, groups, strict=True)
        )
        report = {
            "produced": sum(r["produced"] for r in reports),
            "unacknowledged": sum(r["unacknowledged"] for r in reports),
            "unacked_batches_per_station_mean": round(backlog / max(1, len(real_ids)), 1),
        }
    finally:
        for p in stations:
            if p.poll() is None:
                p.kill()
        hub.terminate()
        hub.wait(30)
        log.close()
    stored, blocks, span = count_store(store_url, work / "hub")
    by_arrival = np.asarray(lat)
    lat = sorted(lat)
    result = {
        "store": label,
        "stations": n,
        "real_stations": len(real_ids),
        "station_processes": len(stations),
        "batch_ms": batch_ms,
        "stations_nice": stations_nice,
        "p50_ms": round(lat[len(lat) // 2], 1),
        "p99_ms": round(lat[int(len(lat) * 0.99)], 1),
        "max_ms": round(lat[-1], 1),
        "live_samples_seen": len(lat),
        "stations_live_at_start": live_at_start,
        "hub_cpu_pct": cpu["hub"],
        "hub_cpu_us_per_sample": round(cpu["hub"] / 100 * 1e6 / (n * RATE_HZ), 1),
        "cpu_pct": cpu,
        "rows_per_s": round(blocks / span) if span else None,
        "samples_written_per_s": round(stored / span) if span else None,
        "stored": stored,
        **report,
    }
    if stages:
        # the samples created in the middle of the window reach every stage inside it
        t = np.asarray(created)
        window = (float(t.min()) + 1.0, float(t.max()) - 1.0)
        traced = stage_trace.load([*traces, work / "hub.npz"], window)
        keep = (t >= window[0]) & (t < window[1])
        traced["viewer"] = by_arrival[keep]
        result["stages"] = stage_trace.table(traced)
    return result


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


def codec_costs(samples: int, repeats: int = 20_000) -> None:
    """Bytes and µs per batch of ``samples`` readings, binary vs JSON. An 80 Hz sensor sends
    1-sample batches (one per reading, ``BATCH_S`` = 10 ms); a 1 kHz one 10-sample batches."""
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
    ap.add_argument(
        "--station-procs",
        type=int,
        default=8,
        help="processes the virtual stations are spread over (default 8; 1 = all in one)",
    )
    ap.add_argument(
        "--batch-ms",
        type=float,
        default=BATCH_S * 1000,
        help=f"the stations' --batch-ms (default {BATCH_S * 1000:g})",
    )
    ap.add_argument(
        "--stations-nice",
        type=int,
        default=0,
        help="run the virtual stations at this nice level (10: they stand for other machines "
        "and yield this machine's cores to the hub, broker and viewers)",
    )
    ap.add_argument(
        "--real-stations",
        type=int,
        default=4,
        help="how many stations run the full StationPublisher (default 4; --stations for all); "
        "the others are light (LightStation): the same messages for a fraction of the CPU",
    )
    ap.add_argument("--run-stations", default="", help=argparse.SUPPRESS)
    ap.add_argument("--run-light", default="", help=argparse.SUPPRESS)
    ap.add_argument("--of", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--broker", help=argparse.SUPPRESS)
    ap.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--trace", type=Path, help=argparse.SUPPRESS)
    ap.add_argument(
        "--stages", action="store_true", help="also time each stage (bench/stage_trace.py)"
    )
    args = ap.parse_args()
    if args.run_light:
        ids = [int(i) for i in args.run_light.split(",")]
        run_light(ids, args.of, args.broker, args.trace)
        return
    if args.run_stations:
        ids = [int(i) for i in args.run_stations.split(",")]
        run_stations(ids, args.of, args.broker, args.work, args.trace, args.batch_ms)
        return
    if args.codec:
        for samples in (1, 2, 10):
            codec_costs(samples)
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
                result = run_store(
                    url, store, args.stations, args.seconds, broker, pg, args.stages,
                    max(1, min(args.station_procs, args.stations)), args.batch_ms,
                    args.stations_nice,
                    min(args.real_stations, args.stations),
                )  # fmt: skip
                stages = result.pop("stages", None)
                print(json.dumps(result), flush=True)
                for row in stages or ():
                    print("  ", json.dumps(row), flush=True)
                print(f"load average: {os.getloadavg()}", flush=True)
        finally:
            pg.destroy()
            broker.stop()


if __name__ == "__main__":
    main()
