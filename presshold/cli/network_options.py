"""Flags shared by ``serve`` (the hub) and ``station``: the broker and the central store.

A password may come from a flag, but ``PRESSHOLD_BROKER_PASSWORD`` (or the URL in
``PRESSHOLD_STORE``) keeps it out of the process list and the shell history; either way it is
only ever shown masked (:func:`presshold.urls.mask`).
"""

from __future__ import annotations

import argparse
from typing import Any


def add_broker_options(p: argparse.ArgumentParser, hub: bool = True) -> None:
    what = " (remote stations arrive through it)" if hub else " (or PRESSHOLD_BROKER)"
    p.add_argument(
        "--broker",
        default=None,
        metavar="URL",
        help=f"MQTT broker: mqtt://HOST:PORT, or mqtts://HOST:PORT for TLS{what}",
    )
    p.add_argument(
        "--username", dest="broker_username", default=None, metavar="USER", help="broker user"
    )
    p.add_argument(
        "--password",
        dest="broker_password",
        default=None,
        metavar="PASSWORD",
        help="broker password (better: PRESSHOLD_BROKER_PASSWORD)",
    )


def add_hub_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--store",
        default=None,
        metavar="URL",
        help="record sessions in PostgreSQL: postgresql://USER@HOST/DB (default: SQLite in "
        "the data dir)",
    )
    add_broker_options(p)


def hub_settings(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "store": getattr(args, "store", None),
        "broker": getattr(args, "broker", None),
        "broker_username": getattr(args, "broker_username", None),
        "broker_password": getattr(args, "broker_password", None),
    }
