"""The hub's MQTT reading beside a busy event loop: stock paho vs ``presshold.network.mqtt.Client``.

    python bench/bench_mqtt_read.py                  # 2 560 msg/s for 10 s, each client twice
    python bench/bench_mqtt_read.py --rate 1600 --seconds 5

What it isolates: the hop "broker → the hub's on_message" of ``bench_network.py --stages``. A
publisher process sends 64-byte messages (an 80 Hz station's 1-sample batch) at ``--rate``,
each carrying its send time; a subscriber process receives them on paho's network thread while
its main thread alternates ``--busy`` ms of pure-Python work and as long idle, as the hub's
event loop does at half load. Per message: send → on_message latency (one clock, one machine).
Per run: the subscriber's CPU time and its ``recv`` calls per message. The two clients run
alternately, in the same conditions; the load average is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import numpy as np  # noqa: E402
import paho.mqtt.client as paho  # noqa: E402
from support.recv_count import RecvCount  # noqa: E402
from support.services import Mosquitto  # noqa: E402

from presshold.network import mqtt  # noqa: E402


def publish(url: str, rate: float, seconds: float) -> None:
    """``--publish``: paced messages, send time in the first 8 bytes."""
    broker = mqtt.parse_broker(url)
    c = mqtt.make_client(broker, "bench-pub")
    up = threading.Event()
    c.on_connect = lambda *_a: up.set()
    mqtt.connect(c, broker)
    up.wait(10)
    time.sleep(1.0)  # the subscriber is up
    start, n = time.monotonic(), int(rate * seconds)
    for k in range(n):
        due = start + k / rate
        time.sleep(max(0.0, due - time.monotonic()))
        c.publish("bench/read", np.float64(time.time()).tobytes() + bytes(56), qos=0)
    time.sleep(1.0)
    c.disconnect()
    c.loop_stop()


def subscribe(url: str, kind: str, seconds: float, busy_ms: float) -> dict[str, object]:
    """``--subscribe``: receive for ``seconds`` beside a busy main thread; report."""
    broker = mqtt.parse_broker(url)
    recvs = RecvCount()
    paho.Client._sock_recv = recvs.recv  # type: ignore[method-assign]
    if kind == "stock":
        c = paho.Client(paho.CallbackAPIVersion.VERSION2, "bench-sub", protocol=paho.MQTTv5)
    else:
        c = mqtt.make_client(broker, "bench-sub")
    lat: list[float] = []
    c.on_connect = lambda cl, *_a: cl.subscribe("bench/read", 0)
    c.on_message = lambda _c, _u, m: lat.append(
        time.time() - float(np.frombuffer(m.payload[:8])[0])
    )
    c.connect(broker.host, broker.port)
    c.loop_start()
    cpu0, end = time.process_time(), time.monotonic() + seconds
    x = 0
    while time.monotonic() < end:  # the "event loop": busy for busy_ms, then as long idle
        slice_end = time.monotonic() + busy_ms / 1000
        while time.monotonic() < slice_end:
            x += 1
        time.sleep(busy_ms / 1000)
    cpu = time.process_time() - cpu0
    c.disconnect()
    c.loop_stop()
    a = np.asarray(lat) * 1000
    return {
        "client": kind,
        "messages": len(a),
        "p50_ms": round(float(np.percentile(a, 50)), 2),
        "p99_ms": round(float(np.percentile(a, 99)), 2),
        "max_ms": round(float(a.max()), 1),
        "recv_calls_per_message": round(recvs.calls / max(1, len(a)), 2),
        "process_cpu_s": round(cpu, 2),  # the busy half included
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=float, default=2560.0)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--busy", type=float, default=10.0, help="ms of each busy slice")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--publish", help=argparse.SUPPRESS)
    ap.add_argument("--subscribe", help=argparse.SUPPRESS)
    ap.add_argument("--kind", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.publish:
        publish(args.publish, args.rate, args.seconds)
        return
    if args.subscribe:
        print(json.dumps(subscribe(args.subscribe, args.kind, args.seconds + 1, args.busy)))
        return
    print(f"load average before: {os.getloadavg()}", flush=True)
    with tempfile.TemporaryDirectory() as d:
        broker = Mosquitto(Path(d))
        broker.start()
        try:
            for _ in range(args.rounds):
                for kind in ("stock", "chunked"):
                    common = ["--rate", str(args.rate), "--seconds", str(args.seconds)]
                    sub = subprocess.Popen(
                        [sys.executable, __file__, "--subscribe", broker.url, "--kind", kind,
                         "--busy", str(args.busy), *common],
                        stdout=subprocess.PIPE, text=True,
                    )  # fmt: skip
                    time.sleep(0.5)
                    subprocess.run(
                        [sys.executable, __file__, "--publish", broker.url, *common], check=True
                    )
                    out, _ = sub.communicate(timeout=60)
                    print(out.strip(), f"load {os.getloadavg()[0]:.1f}", flush=True)
        finally:
            broker.stop()


if __name__ == "__main__":
    main()
