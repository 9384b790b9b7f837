"""Stations on other machines: sensor batches over an MQTT broker (docs/deploy.md).

``codec`` (the sample batch layout) and ``topics`` are pure; ``mqtt`` builds a paho-mqtt client
from a broker URL; ``spool`` keeps a station's unacknowledged batches on disk; ``publisher``
is the station side (``presshold station``). The hub side lives in ``presshold.server.remote``.
"""
