"""What a server needs beyond one laptop, chosen from its settings: the session store (SQLite in
the data dir — the default, nothing to install — or PostgreSQL for ``--store
postgresql://…``), the records beside it (trainer mode's students, runs, trials and references,
the custom protocols, the client book: the data dir's files, or the same PostgreSQL database)
and, with ``--broker``, the stations on other machines.

The PostgreSQL driver and the MQTT client are the optional ``network`` extra: imported here only
when asked for, with a clear message when they are not installed."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from presshold.clinic.repository import ClientBook, ClientRepository
from presshold.errors import ConfigError, StorageError
from presshold.server.config import ServerSettings
from presshold.server.store_api import SessionStoreAPI
from presshold.server.trainer.library import FileShelf, ProtocolLibrary, SqlShelf
from presshold.server.trainer.repository import TrainerRepository

if TYPE_CHECKING:
    from presshold.server.remote import RemoteStations
    from presshold.server.stations import StationRegistry


def _require(module: str, what: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise ConfigError(f"{what} needs the {module} package: pip install 'presshold[network]'")


log = logging.getLogger("presshold.server")


def _postgres(url: str | None) -> bool:
    return bool(url) and str(url).split(":", 1)[0] in ("postgresql", "postgres")


def make_store(url: str | None, data_dir: Path, max_mb: float | None = None) -> SessionStoreAPI:
    """The store for ``url`` (``None`` or ``sqlite`` = the data dir's SQLite file), not opened."""
    if url and _postgres(url):
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


@dataclass(frozen=True)
class Records:
    """The records beside the sessions, all in one engine: the session store's."""

    trainer: TrainerRepository
    protocols: ProtocolLibrary
    clients: ClientBook

    def close(self) -> None:
        """Close the engine (the trainer repository's database is the one the others share;
        files need no closing)."""
        self.trainer.close()


def make_records(url: str | None, data_dir: Path) -> Records:
    """With ``postgresql://…`` the store's database (one connection shared by the three, each
    call one transaction); else ``trainer.sqlite3``, ``protocols/*.json`` and
    ``clinic/clients.json`` in ``data_dir``. Not opened."""
    if _postgres(url):
        from presshold.server.hub_id import hub_identity
        from presshold.server.pg_db import PgDb
        from presshold.server.sql_clients import SqlClientBook

        db = PgDb(str(url))
        return Records(
            TrainerRepository(db, hub=hub_identity(data_dir)),
            ProtocolLibrary(SqlShelf(db)),
            SqlClientBook(db, data_dir),
        )
    return Records(
        TrainerRepository.in_data_dir(data_dir),
        ProtocolLibrary(FileShelf(data_dir)),
        ClientRepository(data_dir),
    )


def open_records(config: ServerSettings, data_dir: Path) -> Records:
    """:func:`make_records`, opened (blocking). An engine that fails now is logged, not raised:
    live feedback and recording do not need these records, their routes answer 503 meanwhile,
    and a database that comes back is reconnected at the next call."""
    records = make_records(config.store, data_dir)
    try:
        records.trainer.open()
    except StorageError as exc:
        log.warning("%s", exc)
    return records


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
