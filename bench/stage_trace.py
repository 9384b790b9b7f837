"""Where a sample's time goes between the sensor and the hub's viewer: per-stage timestamps for
``bench/bench_network.py --stages``.

Every virtual reading's force is its creation wall time modulo 1000 s (``bench_network``), so a
stage needs no matching: it records ``time.time()`` and the forces of the samples passing it,
and each sample's latency *up to that stage* is the difference. The hooks wrap product methods
from the outside (this module is loaded into the benchmark's hub and station processes, never
into the product): the product's code runs unchanged and the hooks add a list append per batch.

Stages, in order (process: where the hook sits):

- ``cut``       station: the sender thread put the batch in the spool (``StationPublisher._cut``)
- ``published`` station: ``client.publish`` of that batch returned (handed to paho's socket)
- ``hub_rx``    hub: paho's thread decoded it (``codec.decode`` in ``RemoteStations._on_message``)
- ``hub_loop``  hub: the event loop took it from the MQTT thread (``Station._remote_batch``)
- ``ingest``    hub: the signal pipeline ran on it (``Station._ingest``)
- ``frame``     hub: the frame carrying it was encoded for the viewers (``LiveFeed.broadcast``)
- ``viewer``    the benchmark's websocket client received that frame (``bench_network.viewers``)

``PRESSHOLD_BENCH_PROFILE=FILE`` also profiles the hub's event loop thread (cProfile; read the
file with ``python -m pstats FILE``).
"""

from __future__ import annotations

import atexit
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

STAGES = ("cut", "published", "hub_rx", "hub_loop", "ingest", "frame", "viewer")


class Trace:
    """(stage, wall time, forces) records, kept in memory and written once at exit."""

    def __init__(self) -> None:
        self.stage: list[int] = []
        self.time: list[float] = []
        self.forces: list[np.ndarray] = []

    def add(self, stage: str, forces: Any) -> None:
        self.time.append(time.time())
        self.stage.append(STAGES.index(stage))
        self.forces.append(np.asarray(forces, dtype=float))

    def records(self) -> dict[str, np.ndarray]:
        """Per stage: (wall time at the stage, latency in ms from creation) of every sample."""
        out: dict[str, np.ndarray] = {}
        st = np.asarray(self.stage)
        for i, name in enumerate(STAGES):
            idx = np.flatnonzero(st == i)
            if not len(idx):
                continue
            t = np.concatenate([np.full(len(self.forces[k]), self.time[k]) for k in idx])
            f = np.concatenate([self.forces[k] for k in idx])
            out[name] = np.column_stack((t, latency_ms(t, f)))
        return out

    def save(self, path: Path) -> None:
        np.savez(path, **self.records())


def latency_ms(t_wall: np.ndarray, force: np.ndarray) -> np.ndarray:
    """Creation → ``t_wall`` for forces that are creation times modulo 1000 s.

    A force is rounded to the millisecond, so a stage reached within half a millisecond of
    creation can come out slightly negative: that is 0, not a wrap-around of 1000 s."""
    d = (np.asarray(t_wall) % 1000.0 - np.asarray(force) + 500.0) % 1000.0 - 500.0
    return np.maximum(d, 0.0) * 1000.0


def load(paths: list[Path], window: tuple[float, float]) -> dict[str, np.ndarray]:
    """Latencies per stage of the samples *created* in ``window`` (wall-clock seconds): the
    same samples at every stage, none from the warm-up or the final drain."""
    merged: dict[str, list[np.ndarray]] = {}
    for p in paths:
        if not p.exists():
            continue
        with np.load(p) as z:
            for k in z.files:
                merged.setdefault(k, []).append(z[k])
    out = {}
    for k, parts in merged.items():
        rec = np.concatenate(parts)
        created = rec[:, 0] - rec[:, 1] / 1000.0
        keep = (created >= window[0]) & (created < window[1])
        out[k] = rec[keep, 1]
    return out


def table(lat: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    """One row per stage: cumulative latency p50/p99 and the median's growth over the stage."""
    rows, prev = [], 0.0
    for name in STAGES:
        if name not in lat or not len(lat[name]):
            continue
        a = lat[name]
        p50 = float(np.percentile(a, 50))
        rows.append(
            {
                "stage": name,
                "n": len(a),
                "p50_ms": round(p50, 1),
                "p90_ms": round(float(np.percentile(a, 90)), 1),
                "p99_ms": round(float(np.percentile(a, 99)), 1),
                "max_ms": round(float(a.max()), 1),
                "p50_step_ms": round(p50 - prev, 1),
            }
        )
        prev = p50
    return rows


# --- hooks ---------------------------------------------------------------------------------
def install_station(trace: Trace) -> None:
    from presshold.network import codec
    from presshold.network.publisher import StationPublisher

    cut = StationPublisher._cut

    def traced_cut(self: StationPublisher, parked: list) -> int | None:  # type: ignore[type-arg]
        seq = cut(self, parked)
        if parked:
            trace.add("cut", np.concatenate([b.force_n for b in parked]))
        return seq

    StationPublisher._cut = traced_cut  # type: ignore[method-assign]
    start = StationPublisher.start

    def traced_start(self: StationPublisher) -> None:
        publish = self.client.publish

        def traced_publish(topic: str, payload: Any = None, *a: Any, **kw: Any) -> Any:
            info = publish(topic, payload, *a, **kw)
            if topic.endswith("/samples"):
                b = codec.decode(payload)
                if not b.replay:
                    trace.add("published", b.force_n)
            return info

        self.client.publish = traced_publish  # type: ignore[method-assign]
        start(self)

    StationPublisher.start = traced_start  # type: ignore[method-assign]


def install_hub(trace: Trace) -> None:
    from presshold.network import codec
    from presshold.server.live import LiveFeed
    from presshold.server.station import Station

    decode = codec.decode

    def traced_decode(data: bytes) -> codec.Batch:
        b = decode(data)
        if not b.replay:
            trace.add("hub_rx", b.force_n)
        return b

    codec.decode = traced_decode  # remote.py calls codec.decode through the module
    remote_batch = Station._remote_batch

    def traced_remote_batch(self: Station, batch: Any, live: bool) -> None:
        if live:
            trace.add("hub_loop", batch.force_n)
        remote_batch(self, batch, live)

    Station._remote_batch = traced_remote_batch  # type: ignore[method-assign]
    ingest = Station._ingest

    def traced_ingest(self: Station, batch: Any) -> None:
        trace.add("ingest", batch.force_n)
        ingest(self, batch)

    Station._ingest = traced_ingest  # type: ignore[method-assign]
    broadcast = LiveFeed.broadcast

    def traced_broadcast(self: LiveFeed, msg: dict[str, Any]) -> None:
        broadcast(self, msg)
        if msg.get("type") == "frame" and msg["samples"] and self.viewers:
            trace.add("frame", [s[1] for s in msg["samples"]])

    LiveFeed.broadcast = traced_broadcast  # type: ignore[method-assign]


def run_traced_hub(out: Path, argv: list[str]) -> int:
    """``python bench/stage_trace.py OUT serve …``: the real CLI with the hub hooks."""
    trace = Trace()
    install_hub(trace)
    atexit.register(trace.save, out)
    profile_to = os.environ.get("PRESSHOLD_BENCH_PROFILE")
    if profile_to:  # the event loop's thread (paho's is not profiled)
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
        atexit.register(lambda: (prof.disable(), prof.dump_stats(profile_to)))
    from presshold.cli import main

    return main(argv)


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    raise SystemExit(run_traced_hub(Path(sys.argv[1]), sys.argv[2:]))
