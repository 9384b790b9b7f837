"""What a server needs beyond one laptop, chosen from its settings: the session store (SQLite in
the data dir — the default, nothing to install — or PostgreSQL for ``--store
postgresql://…``) and, with ``--broker``, the stations on other machines.

The PostgreSQL driver and the MQTT client are the optional ``network`` extra: imported here only
when asked for, with a clear message when they are not installed."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from presshold.errors import ConfigError
from presshold.server.config import ServerSettings
from presshold.server.store_api import SessionStoreAPI

if TYPE_CHECKING:
    from presshold.server.remote import RemoteStations
    from presshold.server.stations import StationRegistry


def _require(module: str, what: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise ConfigError(f"{what} needs the {module} package: pip install 'presshold[network]'")


def make_store(url: str | None, data_dir: Path, max_mb: float | None = None) -> SessionStoreAPI:
    """The store for ``url`` (``None`` or ``sqlite`` = the data dir's SQLite file), not opened."""
    if url and url.split(":", 1)[0] in ("postgresql", "postgres"):
        _require("psycopg", "--store postgresql://…")
        from presshold.server.pg_store import PgSessionStore

        return PgSessionStore(url, data_dir)
    if url and url != "sqlite":
        from presshold import urls

        raise ConfigError(f"--store {urls.mask(url)}: use postgresql://USER@HOST/DB")
    from presshold.server.store import SessionStore

    return SessionStore(data_dir, None if max_mb is None else int(max_mb * 1024 * 1024))


def open_store(config: ServerSettings, data_dir: Path) -> SessionStoreAPI:
    store = make_store(config.store, data_dir, config.store_max_mb)
    store.open()
    return store


async def start_remote_stations(
    config: ServerSettings, registry: StationRegistry
) -> RemoteStations | None:
    """``None`` unless ``--broker`` was given; else the hub's MQTT side, started."""
    if not config.broker:
        return None
    _require("paho", "--broker")
    from presshold.network.mqtt import parse_broker
    from presshold.server.hub_id import hub_identity
    from presshold.server.remote import RemoteStations

    broker = parse_broker(config.broker, config.broker_username, config.broker_password)
    remote = RemoteStations(broker, registry, hub_identity(config.resolved_data_dir))
    await remote.start()
    return remote
