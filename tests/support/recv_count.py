"""Counts paho's socket reads: each ``recv`` releases the GIL, so reading a burst in a few large
chunks (``presshold.network.mqtt``) instead of several calls per message shows up here."""

from __future__ import annotations

import paho.mqtt.client as paho


class RecvCount:
    """``calls``: reads since made (or since reset to 0) by clients using :attr:`recv` in place
    of ``paho.Client._sock_recv`` (set it with ``monkeypatch.setattr``, or directly in a
    benchmark's own process)."""

    def __init__(self) -> None:
        self.calls = 0
        stock = paho.Client._sock_recv

        def recv(client: paho.Client, bufsize: int) -> bytes:
            self.calls += 1
            return stock(client, bufsize)

        self.recv = recv
