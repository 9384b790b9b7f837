"""The station side: a local sensor's readings → spooled sample batches → the broker → the hub.

The source is opened exactly as ``presshold serve`` opens it (``open_source``: same bridge,
clock and stored calibration); this object is its :class:`SourceSink`. A sender thread wakes
when readings arrive and cuts a batch of everything parked — at once if the last batch is at
least ``batch_s`` (10 ms by default) old, else when it is — stores it in the :class:`Spool`
under the next sequence number, and publishes at QoS 1 whatever the hub has not acknowledged,
at most ``WINDOW`` batches ahead of its last acknowledgement. Nothing is deleted before the
hub says it is stored, and everything not acknowledged is sent again after a reconnect, a
hub restart (its retained status carries a new ``boot``) or ``RESEND_S`` without progress.

Commands from the hub (``cmd/tare``, ``cmd/cal_point``, ``cmd/cal_clear``, ``cmd/cal_fit``,
``cmd/settings``) run on a worker thread, because a tare reads the sensor's recent readings;
the answer goes to the MQTT 5 response topic with the request's correlation data.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from dataclasses import asdict
from typing import Any

import numpy as np
import paho.mqtt.client as paho
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from presshold import __version__
from presshold.errors import PressHoldError
from presshold.firmware_bridge.source import ReadingBatch, Source, SourceStatus
from presshold.network import codec, topics
from presshold.network.mqtt import KEEPALIVE_S, Broker, connect, make_client
from presshold.network.spool import Spool, SpoolFull

log = logging.getLogger("presshold.station")

BATCH_S = 0.01
"""At most one batch per this interval. Readings are sent as they arrive, so one that comes
later than this after the previous batch waits for nothing: an 80 Hz sensor (12.5 ms apart)
goes out reading by reading, 80 messages a second, none held back; a faster one is grouped, at
most 100 batches a second, each reading waiting at most 10 ms. A fixed 20 ms clock (tried
first) held an 80 Hz reading 10 ms on average and 20 ms at worst: a fifth of the 50 ms budget
from sensor to the instructor's screen (docs/benchmarks.md)."""
IDLE_TICK_S = 0.1
"""Without readings (sensor unplugged) the sender still applies acknowledgements, publishes
status changes and resends this often."""
WINDOW = 400
RESEND_S = 3.0
KEYS = ("t_s", "raw", "force_n")
OFFLINE = json.dumps({"online": False}).encode()


class StationPublisher:
    """Publishes one source as station ``station_id`` (see module docstring)."""

    def __init__(
        self,
        station_id: str,
        name: str,
        source: Source,
        broker: Broker,
        spool: Spool,
        keepalive_s: int = KEEPALIVE_S,
        batch_s: float = BATCH_S,
    ) -> None:
        self.id = station_id
        self.batch_s = batch_s
        self.keepalive_s = keepalive_s
        self.name = name
        self.source = source
        self.broker = broker
        self.spool = spool
        self.client = make_client(
            broker, f"presshold-station-{station_id}", will=(self._topic("status"), OFFLINE)
        )
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.connected = threading.Event()
        self._wall_offset = time.time() - time.monotonic()
        self._lock = threading.Lock()
        self._parked: list[ReadingBatch] = []
        self._status: SourceStatus | None = None
        self._status_dirty = True
        self._acked_in = 0  # newest ack received (applied to the spool by the sender thread)
        self._sent = spool.acked  # highest seq published since the last (re)send from the ack
        self._resend = True
        self._progress_at = time.monotonic()
        self._hub_boot: str | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._commands: queue.Queue[paho.MQTTMessage | None] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self.error: str | None = None

    def _topic(self, leaf: str) -> str:
        return topics.station(self.id, leaf)

    # --- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        self._status = self.source.status
        self.source.start(self)
        # persistent: acks and commands sent while the link is briefly down wait at the broker
        connect(self.client, self.broker, persistent=True, keepalive_s=self.keepalive_s)
        for target, name in ((self._send_loop, "sender"), (self._command_loop, "commands")):
            t = threading.Thread(target=target, name=f"presshold-{name}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self, drain_s: float = 2.0) -> None:
        """Stop the sensor, spool what it sent, give the hub ``drain_s`` to acknowledge, then
        go offline. Anything unacknowledged stays in the spool for the next start."""
        self.source.stop()
        self._wake.set()
        deadline = time.monotonic() + drain_s
        while self._parked and time.monotonic() < deadline:
            time.sleep(0.01)
        while self.spool.pending and time.monotonic() < deadline and self.connected.is_set():
            time.sleep(0.05)
        self._stop.set()
        self._wake.set()
        self._commands.put(None)
        for t in self._threads:
            t.join(5)
        if self.connected.is_set():
            self.client.publish(
                self._topic("status"), OFFLINE, qos=1, retain=True
            ).wait_for_publish(2)
        self.client.disconnect()
        self.client.loop_stop()
        self.spool.close()

    # --- source sink (reader thread) -----------------------------------------------------
    def on_readings(self, batch: ReadingBatch) -> None:
        with self._lock:
            self._parked.append(batch)
        self._wake.set()

    def on_status(self, status: SourceStatus) -> None:
        with self._lock:
            self._status = status
            self._status_dirty = True
        self._wake.set()

    # --- MQTT callbacks (paho's thread) --------------------------------------------------
    def _on_connect(self, client: paho.Client, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        if rc.is_failure:
            self.error = f"broker {self.broker.shown} refused the connection: {rc}"
            log.warning("%s", self.error)
            return
        self.error = None
        client.subscribe(
            [(self._topic("cmd/#"), 1), (self._topic("ack"), 1), (topics.HUB_STATUS, 1)]
        )
        with self._lock:
            self._status_dirty = True
            self._resend = True
        self.connected.set()
        self._wake.set()
        log.info("connected to %s as station %s", self.broker.shown, self.id)

    def _on_disconnect(self, _c: paho.Client, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        self.connected.clear()
        log.warning("lost the broker %s (%s); spooling", self.broker.shown, rc)

    def _on_message(self, _c: paho.Client, _u: Any, msg: paho.MQTTMessage) -> None:
        try:
            if msg.topic == self._topic("ack"):
                ack = json.loads(msg.payload)
                if ack.get("stream") == self.spool.stream:
                    with self._lock:
                        self._acked_in = max(self._acked_in, int(ack["seq"]))
            elif msg.topic == topics.HUB_STATUS:
                hub = json.loads(msg.payload) if msg.payload else {}
                boot = hub.get("boot") if hub.get("online") else None
                if boot is not None and boot != self._hub_boot:
                    with self._lock:  # a (re)started hub: send it all it has not stored
                        self._hub_boot, self._resend = boot, True
                    self._wake.set()
            elif msg.topic.startswith(self._topic("cmd/")):
                self._commands.put(msg)
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("ignored a malformed message on %s: %s", msg.topic, exc)

    # --- sender thread -------------------------------------------------------------------
    def _send_loop(self) -> None:
        """Readings arrived (or ``IDLE_TICK_S`` passed): one tick; after a tick that cut a
        batch, ``batch_s`` before the next, so readings arriving meanwhile ride in one batch."""
        while not self._stop.is_set():
            self._wake.wait(IDLE_TICK_S)
            self._wake.clear()  # before the tick: readings parked during it wake the next one
            ticked = time.monotonic()
            try:
                cut = self._tick()
            except Exception:
                log.exception("station sender failed; retrying")
                cut = True  # do not spin on a persistent fault
            if cut:
                self._stop.wait(max(0.0, ticked + self.batch_s - time.monotonic()))
        self._tick()  # the last readings go to the spool

    def _tick(self) -> bool:
        """Spool what is parked, apply acknowledgements, publish; True if a batch was cut."""
        with self._lock:
            parked, self._parked = self._parked, []
            acked, resend = self._acked_in, self._resend
            self._resend = False
            status = self._status if self._status_dirty else None
            self._status_dirty = False
        newest = self._cut(parked)
        cut = newest is not None
        now = time.monotonic()
        if self.spool.ack(acked):
            self._progress_at = now
        if not self.connected.is_set():
            return cut
        if status is not None:
            self._publish_status(status)
        stalled = self._sent > self.spool.acked and now - self._progress_at > RESEND_S
        if resend or stalled or self._sent < self.spool.acked:
            self._sent = self.spool.acked
            self._progress_at = now
        room = self.spool.acked + WINDOW - self._sent
        if room <= 0:
            return cut
        for seq, payload in self.spool.after(self._sent, room):
            live = seq == newest and self._sent == seq - 1
            info = self.client.publish(
                self._topic("samples"), codec.with_flags(payload, not live), qos=1
            )
            if info.rc != paho.MQTT_ERR_SUCCESS:
                return cut  # disconnected meanwhile: resent after the reconnect
            self._sent = seq
        return cut

    def _cut(self, parked: list[ReadingBatch]) -> int | None:
        """Parked readings → one batch in the spool; its sequence number."""
        if not parked:
            return None
        t, raw, force = (np.concatenate([getattr(b, k) for b in parked]) for k in KEYS)
        seq = self.spool.reserve()
        wire = codec.Batch(
            self.spool.stream,
            seq,
            self.spool.first,
            t + self._wall_offset,
            raw,
            force,
        )
        try:
            self.spool.add(seq, codec.encode(wire))
        except SpoolFull as exc:
            self.error = str(exc)
            log.error("%s: newest readings are dropped", exc)
            return None
        return seq

    def _publish_status(self, status: SourceStatus) -> None:
        cal = self.source.calibration
        body = {
            "online": True,
            "station_id": self.id,
            "name": self.name,
            "version": __version__,
            **{k: v for k, v in asdict(status).items() if k != "kind"},
            "calibration": cal.to_dict(),
            "points": self.source.calibration_points,
            "stream": self.spool.stream,
            "spooled": self.spool.pending,
        }
        self.client.publish(self._topic("status"), json.dumps(body), qos=1, retain=True)

    # --- commands (worker thread) --------------------------------------------------------
    def _command_loop(self) -> None:
        while (msg := self._commands.get()) is not None:
            name = msg.topic.rsplit("/", 1)[-1]
            try:
                args = json.loads(msg.payload or b"{}")
                reply = {"ok": True, "result": self._run(name, args)}
            except PressHoldError as exc:
                reply = {"ok": False, "error": str(exc), "type": type(exc).__name__}
            except (ValueError, TypeError, KeyError) as exc:
                reply = {"ok": False, "error": f"bad {name} command: {exc}", "type": "ConfigError"}
            reply["calibration"] = self.source.calibration.to_dict()
            reply["points"] = self.source.calibration_points
            self._answer(msg, reply)
            with self._lock:
                self._status_dirty = True
            event = {"kind": "command", "command": name, "ok": reply["ok"]}
            self.client.publish(self._topic("events"), json.dumps(event), qos=1)

    def _run(self, name: str, args: dict[str, Any]) -> Any:
        s = self.source
        if name == "tare":
            return s.tare(float(args.get("window_s", 0.5))).to_dict()
        if name == "cal_point":
            return s.add_calibration_point(float(args["known_n"]), float(args.get("window_s", 1.0)))
        if name == "cal_clear":
            s.clear_calibration_points()
            return None
        if name == "cal_fit":
            return s.fit_calibration()
        if name == "settings":
            follow = getattr(s, "follow_settings", None)  # the simulated hand aims at it
            if follow is not None:
                follow(float(args["target_n"]), float(args["tolerance_n"]), float(args["hold_s"]))
            return None
        raise PressHoldError(f"unknown command {name!r} (known: {', '.join(topics.COMMANDS)})")

    def _answer(self, msg: paho.MQTTMessage, reply: dict[str, Any]) -> None:
        props = getattr(msg, "properties", None)
        response = getattr(props, "ResponseTopic", None)
        if not response:
            return
        out = Properties(PacketTypes.PUBLISH)
        corr = getattr(props, "CorrelationData", None)
        if corr is not None:
            out.CorrelationData = corr
        self.client.publish(response, json.dumps(reply), qos=1, properties=out)
