"""``presshold station``: this machine's sensor as a station of a hub elsewhere, over MQTT.

    presshold station --source /dev/ttyACM0 --broker mqtts://broker.school.lan --name "Table 3"

The sensor is read exactly as ``presshold serve`` reads it (same bridge, clock, stored
calibration in the data dir); tare and calibration arrive from the hub's dashboard.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from presshold.cli.network_options import add_broker_options

    help_ = "publish a sensor to a PressHold hub through an MQTT broker"
    p = sub.add_parser(
        "station",
        help=help_,
        description="Publish this machine's sensor, read exactly as 'presshold serve' reads "
        "it, to a PressHold hub through an MQTT broker (docs/deploy.md). Tare and calibration "
        "arrive from the hub; unsent readings wait in a spool file in the data dir.",
    )
    p.add_argument("--source", required=True, help="sim, a serial port, a pyserial URL or a CSV")
    add_broker_options(p, hub=False)
    p.add_argument("--name", default=None, help='shown on the hub (default: "<host> <source>")')
    p.add_argument(
        "--id", dest="station_id", default=None, help="topic/URL id (default: from the name)"
    )
    p.add_argument("--data-dir", type=Path, default=None, help="calibrations and the spool")
    p.add_argument("--rate", type=float, default=None, help="simulator rate in Hz")
    p.add_argument(
        "--batch-ms",
        type=float,
        default=10.0,
        help="at most one batch every N ms; readings are sent as they arrive (default 10: an "
        "80 Hz sensor goes out reading by reading; more: fewer messages, more latency)",
    )
    p.set_defaults(handler=_run)


def station_id_for(text: str) -> str:
    """``Table 3`` → ``table-3`` (what :func:`presshold.network.topics.valid_id` accepts)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:32].strip("-") or "station"


def _run(args: argparse.Namespace) -> int:
    import os
    import signal
    import threading

    from presshold.errors import ConfigError
    from presshold.firmware_bridge.sources import open_source
    from presshold.network import topics
    from presshold.network.mqtt import parse_broker
    from presshold.network.publisher import StationPublisher
    from presshold.network.spool import Spool
    from presshold.server.config import default_data_dir

    url = args.broker or os.environ.get("PRESSHOLD_BROKER")
    if not url:
        raise ConfigError("--broker mqtt://HOST:PORT is required (or PRESSHOLD_BROKER)")
    broker = parse_broker(url, args.broker_username, args.broker_password)
    import socket  # here, not at the top: every ``presshold`` command loads this module

    name = args.name or f"{socket.gethostname()} {args.source}"
    sid = args.station_id or station_id_for(name)
    if not topics.valid_id(sid):
        raise ConfigError(f"--id {sid!r}: use 1-32 lower-case letters, digits and dashes")
    data_dir = (args.data_dir or default_data_dir()).expanduser()
    source = open_source(args.source, data_dir=data_dir, rate_hz=args.rate)
    spool = Spool(data_dir / f"station-{sid}.spool.sqlite3")
    if not 5 <= args.batch_ms <= 1000:
        raise ConfigError(f"--batch-ms {args.batch_ms:g}: use 5-1000")
    publisher = StationPublisher(sid, name, source, broker, spool, batch_s=args.batch_ms / 1000)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    publisher.start()
    print(f"PressHold station {sid!r} ({name}) → {broker.shown}; Ctrl-C to stop.", flush=True)
    if spool.pending:
        print(f"{spool.pending} batches from before wait to be sent.", flush=True)
    while not done.wait(0.5):  # a timeout keeps Ctrl-C responsive on every platform
        pass
    publisher.stop()
    return 0
