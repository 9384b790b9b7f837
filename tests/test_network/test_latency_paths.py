"""The short paths from a station's reading to the hub's loop (docs/benchmarks.md, "Stations
over MQTT"): the MQTT client reads the socket in chunks, calls from other threads reach the
event loop in order with one wake-up per burst, and a station sends a reading as it arrives."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import paho.mqtt.client as paho
import pytest
from support.hand_source import HandSource
from support.recv_count import RecvCount
from support.services import Mosquitto

from presshold.network import codec, mqtt
from presshold.network.mqtt import connect, make_client, parse_broker
from presshold.network.publisher import StationPublisher
from presshold.network.spool import Spool
from presshold.server.handoff import Handoff
from presshold.server.remote_source import LagFloor


class Inbox:
    """What a subscriber received, with a way to wait for it."""

    def __init__(self) -> None:
        self.payloads: list[bytes] = []
        self.times: list[float] = []
        self.cond = threading.Condition()

    def on_message(self, _c: Any, _u: Any, msg: paho.MQTTMessage) -> None:
        with self.cond:
            self.payloads.append(msg.payload)
            self.times.append(time.monotonic())
            self.cond.notify_all()

    def wait(self, n: int, timeout_s: float = 10.0) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: len(self.payloads) >= n, timeout_s)


def subscriber(broker: Mosquitto, topic: str, inbox: Inbox) -> paho.Client:
    b = parse_broker(broker.url)
    c = make_client(b, f"test-sub-{time.monotonic_ns()}")
    subscribed = threading.Event()
    c.on_connect = lambda cl, _u, _f, _rc, _p: cl.subscribe(topic, 1)
    c.on_subscribe = lambda *_a: subscribed.set()
    c.on_message = inbox.on_message
    connect(c, b)
    assert subscribed.wait(10), "no subscription"
    return c


def publisher(broker: Mosquitto) -> paho.Client:
    b = parse_broker(broker.url)
    c = make_client(b, f"test-pub-{time.monotonic_ns()}")
    up = threading.Event()
    c.on_connect = lambda *_a: up.set()
    connect(c, b)
    assert up.wait(10), "publisher not connected"
    return c


def close(*clients: paho.Client) -> None:
    for c in clients:
        c.disconnect()
        c.loop_stop()


def test_packets_cut_across_chunks_arrive_whole_and_in_order(
    broker: Mosquitto, monkeypatch: pytest.MonkeyPatch
) -> None:
    """7-byte reads cut every header, length and body somewhere: paho finishes each packet from
    the next chunk. Sizes cross the 1- to 2-byte remaining-length boundary (128)."""
    monkeypatch.setattr(mqtt, "READ_CHUNK", 7)
    inbox = Inbox()
    sub = subscriber(broker, "t/chunks", inbox)
    pub = publisher(broker)
    sent = [bytes([k % 251]) * (k % 300 + 1) for k in range(400)]
    for body in sent:
        pub.publish("t/chunks", body, qos=1)
    assert inbox.wait(len(sent)), f"{len(inbox.payloads)} of {len(sent)} received"
    assert inbox.payloads == sent
    # the client still writes while it reads: its own publish reaches the other side
    back = Inbox()
    echo = subscriber(broker, "t/back", back)
    sub.publish("t/back", b"still writing", qos=1)
    assert back.wait(1) and back.payloads == [b"still writing"]
    close(sub, pub, echo)


def test_clients_send_each_packet_at_once(broker: Mosquitto) -> None:
    """Nagle's algorithm off (TCP_NODELAY) on every client's socket: a 1-sample batch behind
    an unacknowledged one is sent at once, not when the receiver's delayed ACK comes (up to
    40 ms: it was most of the 32-station tail). The test broker is set up the same way."""
    inbox = Inbox()
    sub = subscriber(broker, "t/nodelay", inbox)
    pub = publisher(broker)
    for c in (sub, pub):
        sock = c.socket()
        assert sock is not None
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    assert "set_tcp_nodelay true" in broker.conf.read_text()
    close(sub, pub)


def test_a_burst_is_read_with_a_few_system_calls(
    broker: Mosquitto, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the subscriber's thread is busy, 500 messages queue in its socket; it then reads
    them in a few large ``recv`` calls (stock paho: three or more per message, each one a
    release of the GIL)."""
    recvs = RecvCount()
    monkeypatch.setattr(paho.Client, "_sock_recv", recvs.recv)
    inbox = Inbox()
    gate = threading.Event()
    sub = subscriber(broker, "t/burst", inbox)

    def slow_first(c: Any, u: Any, msg: paho.MQTTMessage) -> None:
        if not inbox.payloads:
            gate.wait(10)  # the network thread is held while the burst queues up
        inbox.on_message(c, u, msg)

    sub.on_message = slow_first
    pub = publisher(broker)
    for k in range(500):
        pub.publish("t/burst", k.to_bytes(4, "little") + bytes(100), qos=0)
    time.sleep(0.5)  # delivered by the broker into the subscriber's socket
    recvs.calls = 0
    gate.set()
    assert inbox.wait(500)
    assert [int.from_bytes(p[:4], "little") for p in inbox.payloads] == list(range(500))
    assert recvs.calls < 25, f"{recvs.calls} recv calls for the burst of 500 messages"
    close(sub, pub)


def test_handoff_keeps_order_across_threads_with_one_wakeup_per_burst() -> None:
    loop = asyncio.new_event_loop()
    wakeups = 0
    threadsafe = loop.call_soon_threadsafe

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal wakeups
        wakeups += 1
        return threadsafe(*args, **kwargs)

    loop.call_soon_threadsafe = counted  # type: ignore[method-assign]
    h = Handoff.of(loop)
    assert Handoff.of(loop) is h  # one per loop: every station's calls share one order
    ran: list[tuple[str, int]] = []

    def fail() -> None:
        raise RuntimeError("one station's bug")

    def burst(name: str) -> None:
        for k in range(200):
            h.post(ran.append, (name, k))
            if k == 100:
                h.post(fail)  # logged; the calls behind it still run

    threads = [threading.Thread(target=burst, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    loop.run_until_complete(asyncio.sleep(0.01))
    for name in ("a", "b"):
        assert [k for n, k in ran if n == name] == list(range(200))
    assert wakeups <= 10, f"{wakeups} wake-ups for two bursts of 200 calls"
    loop.close()
    h.post(ran.append, ("late", 0))  # shutdown: dropped, never raised into a reader thread
    assert ("late", 0) not in ran


def test_a_station_sends_a_reading_as_it_arrives_and_groups_the_next_ones(
    broker: Mosquitto, tmp_path: Path
) -> None:
    """``batch_s`` is a minimum spacing, not a clock: after a quiet spell a reading goes at
    once; readings that follow within ``batch_s`` ride in the next batch, which leaves
    ``batch_s`` after the previous one."""
    inbox = Inbox()
    sub = subscriber(broker, "presshold/v1/stations/hand/samples", inbox)
    source = HandSource()
    pub = StationPublisher(
        "hand", "Hand", source, parse_broker(broker.url), Spool(tmp_path / "s.sqlite3"),
        batch_s=1.5,
    )  # fmt: skip
    pub.start()
    try:
        assert pub.connected.wait(10)
        time.sleep(0.3)
        t0 = time.monotonic()
        source.read(1.0)
        assert inbox.wait(1, timeout_s=1.0), "a reading after a quiet spell waited"
        assert inbox.times[0] - t0 < 1.0
        source.read(2.0)
        source.read(3.0)
        assert not inbox.wait(2, timeout_s=0.8), "sent sooner than batch_s after the last"
        assert inbox.wait(2, timeout_s=3.0)
        assert inbox.times[1] - inbox.times[0] >= 1.4
        forces = [codec.decode(p).force_n.tolist() for p in inbox.payloads]
        assert forces == [[1.0], [2.0, 3.0]]
    finally:
        pub.stop(drain_s=0)
        close(sub)


def test_lag_floor_is_the_minimum_over_the_window() -> None:
    """The usual lag a late batch is judged against: the least of the last ``window_s``
    seconds (a brute-force minimum is the oracle)."""
    rng = np.random.default_rng(7)
    floor = LagFloor(2.0)
    seen: list[tuple[float, float]] = []
    t = 0.0
    for _ in range(3000):
        t += float(rng.uniform(0.0, 0.05))
        lag = float(rng.uniform(0.0, 3.0)) if rng.random() < 0.1 else 0.2 + t % 1.0
        seen.append((t, lag))
        want = min(v for s, v in seen if s >= t - 2.0)
        assert floor.add(t, lag) == want
