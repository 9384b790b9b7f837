"""A paho-mqtt client (MQTT 5) from a broker URL: ``mqtt://HOST[:1883]`` or
``mqtts://HOST[:8883]`` (TLS, verified against the system's CAs or ``PRESSHOLD_BROKER_CA``).

Why paho-mqtt and not aiomqtt: both stations and the hub hand data between threads (a sensor's
reader thread, the store's writer), and paho's own network thread fits that directly; aiomqtt
is a wrapper over paho for asyncio code and measured about twice paho's CPU per message
(``bench/bench_clients.py``). Credentials: ``--username/--password`` or
``PRESSHOLD_BROKER_USERNAME`` / ``PRESSHOLD_BROKER_PASSWORD`` or the URL's user info; the URL
is only ever shown masked.
"""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import paho.mqtt.client as paho
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from presshold import urls

READ_CHUNK = 65536
"""Bytes asked of the socket per ``recv`` (see :class:`Client`): ~500 sample batches."""
KEEPALIVE_S = 5
"""Short: a cut network is noticed within ~1.5 keep-alives, so the hub shows a station as
disconnected (its last will) and the station starts spooling quickly."""


@dataclass(frozen=True, slots=True)
class Broker:
    host: str
    port: int
    tls: bool
    username: str | None = None
    password: str | None = None
    url: str = ""

    @property
    def shown(self) -> str:
        """The URL for logs and status lines (no password)."""
        return urls.mask(self.url)


def parse_broker(
    url: str, username: str | None = None, password: str | None = None, env: dict | None = None
) -> Broker:
    """``mqtt(s)://[user[:password]@]host[:port]``; flags, then ``PRESSHOLD_BROKER_*``, then the
    URL's user info provide the credentials."""
    env = dict(os.environ) if env is None else env
    parts = urls.split(url, ("mqtt", "mqtts"), "--broker")
    tls = parts.scheme == "mqtts"
    user = username or env.get("PRESSHOLD_BROKER_USERNAME") or _unq(parts.username)
    pw = password or env.get("PRESSHOLD_BROKER_PASSWORD") or _unq(parts.password)
    host = parts.hostname or ""
    return Broker(host, parts.port or (8883 if tls else 1883), tls, user, pw, url)


def _unq(text: str | None) -> str | None:
    return unquote(text) if text else None


class Client(paho.Client):
    """paho's client, reading the socket in large chunks and handling every packet in one.

    Why: paho reads a packet with at least three ``recv`` calls (the type byte, the length byte
    by byte, the body) and, while nothing awaits an acknowledgement, one packet per
    ``select``: four system calls per message, each releasing the GIL. A thread that releases
    the GIL that often, beside a busy thread (the hub's event loop), waits up to the switch
    interval (5 ms) to get it back each time, and every message queued behind it waits too
    (``bench/bench_network.py --stages``: tens of milliseconds between the broker and the hub
    at 32 stations). Here ``recv`` takes what the kernel holds (up to ``READ_CHUNK``) and
    every complete packet in it is handled before the next ``select``; a packet cut at the
    chunk's end is finished from the next one, as paho does with any short read. Bounded: one
    chunk per turn of paho's loop, so outgoing packets and keep-alives are never starved.

    Only where paho's bytes come from changes, not how they are parsed. ``_sock_recv`` is
    private in paho 2.x (hence ``paho-mqtt<3`` in pyproject.toml); every network test runs
    through it.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rsock: object = None
        self._rbuf = b""
        self._rpos = 0
        self._draining = False

    def _sock_recv(self, bufsize: int) -> bytes:
        if self._rsock is not self._sock:  # a new connection: nothing buffered belongs to it
            self._rsock, self._rbuf, self._rpos = self._sock, b"", 0
        if self._rpos >= len(self._rbuf):
            if self._draining:
                raise BlockingIOError  # the chunk is used up: back to select
            data = super()._sock_recv(READ_CHUNK)
            if not data:
                return data  # end of stream: paho reports the connection lost
            self._rbuf, self._rpos = data, 0
        start = self._rpos
        self._rpos = min(start + bufsize, len(self._rbuf))
        return self._rbuf[start : self._rpos]

    def loop_read(self, max_packets: int = 1) -> paho.MQTTErrorCode:
        rc = super().loop_read(max_packets)
        self._draining = True
        try:
            while (
                rc == paho.MQTT_ERR_SUCCESS
                and self._rsock is self._sock
                and self._rpos < len(self._rbuf)
            ):
                rc = super().loop_read(max_packets)
        finally:
            self._draining = False
        return rc


def make_client(
    broker: Broker,
    client_id: str,
    *,
    will: tuple[str, bytes] | None = None,
) -> Client:
    """A configured client, not yet connected; ``will`` = (topic, payload), retained."""
    c = Client(
        paho.CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=paho.MQTTv5,
        reconnect_on_failure=True,
    )
    c.on_socket_open = _no_delay
    c.reconnect_delay_set(0.2, 2)
    c.max_inflight_messages_set(200)
    c.max_queued_messages_set(0)
    if broker.username:
        c.username_pw_set(broker.username, broker.password)
    if broker.tls:
        ctx = ssl.create_default_context(cafile=os.environ.get("PRESSHOLD_BROKER_CA") or None)
        c.tls_set_context(ctx)
    if will is not None:
        c.will_set(will[0], will[1], qos=1, retain=True)
    return c


def _no_delay(_client: paho.Client, _userdata: Any, sock: Any) -> None:
    """Send each packet at once (``TCP_NODELAY``), which paho does not ask for.

    A batch is one small packet. With Nagle's algorithm, a small packet waits while an earlier
    one is unacknowledged, and the receiver may delay its acknowledgement by up to 40 ms: at 32
    stations that was most of the tail between a station and the hub (``docs/benchmarks.md``).
    The broker's side needs the same (``set_tcp_nodelay true``, ``docs/deploy.md``)."""
    with contextlib.suppress(OSError, AttributeError):  # paho's unix or websocket transports
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def connect(
    c: paho.Client, broker: Broker, persistent: bool = False, keepalive_s: int = KEEPALIVE_S
) -> None:
    """Start connecting in the background (paho's thread); it keeps reconnecting by itself.
    ``persistent``: the broker keeps the session (subscriptions, QoS 1 messages) for 5 minutes
    while the client is away (MQTT 5 session expiry): a station that reconnects receives the
    acknowledgements sent meanwhile instead of resending what is already stored."""
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 300 if persistent else 0
    c.connect_async(
        broker.host,
        broker.port,
        keepalive=keepalive_s,
        clean_start=not persistent,
        properties=props,
    )
    c.loop_start()


def expiring(seconds: int) -> Properties:
    """Publish properties: the broker drops the message if it is not delivered in time (a tare
    must not happen minutes later, when a station reconnects)."""
    props = Properties(PacketTypes.PUBLISH)
    props.MessageExpiryInterval = seconds
    return props
