"""``presshold serve --broker …``: every station publishing to the broker becomes a station here.

One paho-mqtt client (its own network thread) subscribes to ``presshold/v1/stations/+/…``.
A station seen for the first time becomes a :class:`RemoteSource` in the
:class:`StationRegistry` — in ``/api/stations``, ``/overview`` and ``/ws/live?station=…`` like
a local sensor. Its sample batches are fed to that source, which delivers each exactly once.

Acknowledgement = recorded. Every ``ACK_S`` the hub records what each remote station delivered
(its parked readings and the recorder's open block), queues a *cursor* write (stream, seq) behind
those samples in the session store, and waits for the store's barrier; only then does it
publish ``…/ack``, and only then may the station forget those batches. The cursor is read back
when the hub starts, so a hub killed with ``kill -9`` recognises what it already stored and
records every resent batch once; its retained status carries a new ``boot`` id, on which every
station resends what is not acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import threading
import uuid
from typing import TYPE_CHECKING, Any

import paho.mqtt.client as paho

from presshold.errors import PressHoldError
from presshold.firmware_bridge.sources import SourceSpec
from presshold.network import codec, topics
from presshold.network.mqtt import Broker, connect, expiring, make_client
from presshold.server.remote_source import RemoteSource

if TYPE_CHECKING:
    from presshold.server.station import Station
    from presshold.server.stations import StationRegistry

log = logging.getLogger("presshold.server")

ACK_S = 0.25
COMMAND_EXPIRY_S = 10


def cursor_name(station_id: str) -> str:
    return f"mqtt:{station_id}"


class RemoteStations:
    """The hub's side of the broker (see module docstring)."""

    def __init__(self, broker: Broker, registry: StationRegistry, hub: str) -> None:
        self.broker = broker
        self.registry = registry
        self.store = registry.store
        self.hub = hub
        self.boot = uuid.uuid4().hex[:12]
        offline = json.dumps({"online": False}).encode()
        self.client = make_client(broker, f"presshold-hub-{hub}", will=(topics.HUB_STATUS, offline))
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect
        self.sources: dict[str, RemoteSource] = {}
        self.stations: dict[str, Station] = {}
        self._acked: dict[str, tuple[int, int]] = {}
        self._unnamed: set[str] = set()
        self._lock = threading.Lock()
        self._replies: dict[bytes, tuple[threading.Event, list[dict[str, Any]]]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self.connected = threading.Event()

    # --- lifecycle -----------------------------------------------------------------------
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        connect(self.client, self.broker)
        self._task = asyncio.create_task(self._acknowledge(), name="mqtt-acks")
        log.info("hub %s: stations over %s", self.hub, self.broker.shown)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):
            await self._ack_round()  # what was recorded up to now is acknowledged
        offline = json.dumps({"online": False})
        if self.connected.is_set():
            info = self.client.publish(topics.HUB_STATUS, offline, qos=1, retain=True)
            await asyncio.to_thread(info.wait_for_publish, 2)
        self.client.disconnect()
        await asyncio.to_thread(self.client.loop_stop)

    # --- MQTT (paho's thread) ------------------------------------------------------------
    def _on_connect(self, client: paho.Client, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        if rc.is_failure:
            log.warning("broker %s refused the hub: %s", self.broker.shown, rc)
            return
        client.subscribe(
            [
                # QoS 0 on this hop: reliability is end to end (spool, ack after commit,
                # resend); a QoS 1 hop would cap the hub at the broker's 20 unacknowledged
                # messages in flight — ~1 600 batches/s here, less than 32 stations send
                (f"{topics.STATIONS}/+/samples", 0),
                (f"{topics.STATIONS}/+/status", 1),
                (f"{topics.STATIONS}/+/events", 1),
                (topics.hub_reply(self.hub), 1),
            ]
        )
        online = json.dumps({"online": True, "boot": self.boot, "hub": self.hub})
        client.publish(topics.HUB_STATUS, online, qos=1, retain=True)
        self.connected.set()
        log.info("hub connected to %s", self.broker.shown)

    def _on_disconnect(self, _c: paho.Client, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        self.connected.clear()
        log.warning("hub lost the broker %s (%s); reconnecting", self.broker.shown, rc)

    def _on_message(self, _c: paho.Client, _u: Any, msg: paho.MQTTMessage) -> None:
        try:
            if msg.topic == topics.hub_reply(self.hub):
                self._reply(msg)
                return
            parsed = topics.parse(msg.topic)
            if parsed is None:
                return
            sid, leaf = parsed
            if leaf == "samples":
                source = self._source(sid)
                if source is not None:
                    batch = codec.decode(msg.payload)
                    if msg.dup:  # a retransmission after a reconnect: late by definition
                        batch = dataclasses.replace(batch, replay=True)
                    source.on_batch(batch)
            elif leaf == "status" and msg.payload:
                status = json.loads(msg.payload)
                source = self._source(sid) if status.get("online") else self.sources.get(sid)
                if source is not None:
                    came_online = status.get("online") and not source.online
                    source.on_station_status(status)
                    if came_online and self._loop is not None:  # its simulated hand, if any,
                        self._loop.call_soon_threadsafe(self._send_settings, sid)  # aims here
                    if status.get("name") and self._loop is not None:
                        self._loop.call_soon_threadsafe(self._adopt_name, sid, status["name"])
            elif leaf == "events":
                log.info("station %s: %s", sid, msg.payload.decode(errors="replace")[:200])
        except (ValueError, TypeError, KeyError) as exc:  # BadBatch, bad JSON
            log.warning("ignored a malformed message on %s: %s", msg.topic, exc)
        except Exception:
            log.exception("message on %s failed; continuing", msg.topic)

    def _source(self, sid: str) -> RemoteSource | None:
        """The station's source, created (and registered on the loop) on first contact. Its
        cursor must be read from the store first: while the store cannot say, nothing from
        this station is accepted (the station resends it)."""
        source = self.sources.get(sid)
        if source is not None:
            return source
        try:
            text = self.store.cursor(cursor_name(sid))
        except PressHoldError as exc:
            log.warning("station %s waits: the store cannot tell what it holds (%s)", sid, exc)
            return None
        cursor = None
        if text:
            stream, seq = text.split(":")
            cursor = (int(stream), int(seq))
            self._acked[sid] = cursor
        source = RemoteSource(sid, self, cursor)
        self.sources[sid] = source
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._register, sid, source)
        return source

    def _register(self, sid: str, source: RemoteSource) -> None:
        if not self.registry.book.name(sid):
            if source.announced_name:
                self.registry.book.set_name(sid, source.announced_name)  # the station's --name
            else:
                self._unnamed.add(sid)  # named when its status arrives
        station = self.registry.add(SourceSpec(f"mqtt:{sid}", sid), source)
        self.stations[sid] = station
        self._save_book()

    def _adopt_name(self, sid: str, name: str) -> None:
        """The station's ``--name``, unless someone at the hub named it."""
        station = self.stations.get(sid)
        if station is None or station.name == name or sid not in self._unnamed:
            return
        self._unnamed.discard(sid)
        station.name = name
        self.registry.book.set_name(station.id, name)
        station.broadcast_status()
        self._save_book()

    def _send_settings(self, sid: str) -> None:
        station = self.stations.get(sid)
        if station is not None:
            s = station.settings
            self.send(sid, "settings", {
                "target_n": s.target_n, "tolerance_n": s.tolerance_n, "hold_s": s.hold_s
            })  # fmt: skip

    def _save_book(self) -> None:
        assert self._loop is not None

        async def save() -> None:
            try:
                await asyncio.to_thread(self.registry.book.save)
            except OSError as exc:
                log.warning("station names and settings not saved: %s", exc)

        self._loop.create_task(save())

    # --- commands ------------------------------------------------------------------------
    def _publish_command(self, sid: str, name: str, args: dict[str, Any], corr: bytes) -> None:
        props = expiring(COMMAND_EXPIRY_S)
        props.ResponseTopic = topics.hub_reply(self.hub)
        props.CorrelationData = corr
        self.client.publish(
            topics.station(sid, f"cmd/{name}"), json.dumps(args), qos=1, properties=props
        )

    def request(
        self, station_id: str, name: str, args: dict[str, Any], timeout_s: float
    ) -> dict[str, Any] | None:
        """Blocking (worker thread): the station's answer, or ``None`` after ``timeout_s``."""
        corr = uuid.uuid4().bytes
        done, box = threading.Event(), []
        with self._lock:
            self._replies[corr] = (done, box)
        try:
            self._publish_command(station_id, name, args, corr)
            done.wait(timeout_s)
        finally:
            with self._lock:
                self._replies.pop(corr, None)
        return box[0] if box else None

    def send(self, station_id: str, name: str, args: dict[str, Any]) -> None:
        self._publish_command(station_id, name, args, uuid.uuid4().bytes)

    def _reply(self, msg: paho.MQTTMessage) -> None:
        corr = getattr(msg.properties, "CorrelationData", None)
        with self._lock:
            waiting = self._replies.get(bytes(corr)) if corr else None
        if waiting is not None:
            waiting[1].append(json.loads(msg.payload))
            waiting[0].set()

    # --- acknowledgements (event loop) ---------------------------------------------------
    async def _acknowledge(self) -> None:
        while True:
            await asyncio.sleep(ACK_S)
            try:
                await self._ack_round()
            except Exception:
                log.exception("acknowledging stations failed; retrying")

    async def _ack_round(self) -> None:
        positions = {sid: s.delivered for sid, s in list(self.sources.items()) if s.delivered}
        await asyncio.sleep(0)  # late batches handed over before the snapshot are recorded
        fresh: dict[str, tuple[int, int]] = {}
        for sid, pos in positions.items():
            station = self.stations.get(sid)
            if station is None or pos is None or self._acked.get(sid) == pos:
                continue
            station.ingest_parked()
            station.recorder.flush()
            self.store.set_cursor(cursor_name(sid), f"{pos[0]}:{pos[1]}")
            fresh[sid] = pos
        if not fresh:
            return
        if not await asyncio.to_thread(self.store.sync, 5.0):
            return  # not stored yet (database away, disk full): the stations keep them
        for sid, (stream, seq) in fresh.items():
            self._acked[sid] = (stream, seq)
            ack = json.dumps({"stream": stream, "seq": seq})
            self.client.publish(topics.station(sid, "ack"), ack, qos=1)
