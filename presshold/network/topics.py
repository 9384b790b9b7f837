"""The topic tree, in one place: ``presshold/v1/stations/<station_id>/…`` and the hub's own.

| topic | from → to | QoS, retain | payload |
|---|---|---|---|
| ``…/<id>/samples`` | station → hub | 1 | a binary batch (:mod:`presshold.network.codec`) |
| ``…/<id>/status`` | station → hub | 1, retained; last will ``{"online": false}`` | JSON |
| ``…/<id>/events`` | station → hub | 1 | JSON (device messages, command outcomes) |
| ``…/<id>/cmd/<name>`` | hub → station | 1, expires in 10 s | JSON; answer: response topic |
| ``…/<id>/ack`` | hub → station | 1 | ``{"stream": S, "seq": N}``: all up to N is stored |
| ``presshold/v1/hub/status`` | hub → stations | 1, retained; will | ``{"online", "boot"}`` |
"""

from __future__ import annotations

import re

ROOT = "presshold/v1"
STATIONS = f"{ROOT}/stations"
HUB_STATUS = f"{ROOT}/hub/status"
COMMANDS = ("tare", "cal_point", "cal_clear", "cal_fit", "settings")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")


def station(station_id: str, leaf: str) -> str:
    return f"{STATIONS}/{station_id}/{leaf}"


def hub_reply(hub: str) -> str:
    return f"{ROOT}/hub/{hub}/reply"


def parse(topic: str) -> tuple[str, str] | None:
    """``presshold/v1/stations/<id>/<leaf…>`` → (id, leaf); ``None`` for anything else."""
    prefix = STATIONS + "/"
    if not topic.startswith(prefix):
        return None
    sid, _, leaf = topic[len(prefix) :].partition("/")
    return (sid, leaf) if valid_id(sid) and leaf else None


def valid_id(station_id: str) -> bool:
    """Lower-case letters, digits and dashes, at most 32: safe in topics, URLs and file names."""
    return bool(_ID.match(station_id))
