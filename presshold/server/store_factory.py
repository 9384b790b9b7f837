"""Which session store a server records into: SQLite in the data dir (the default, nothing to
install) or PostgreSQL when ``--store postgresql://…`` names one."""

from __future__ import annotations

from pathlib import Path

from presshold.server.config import ServerSettings
from presshold.server.store_api import SessionStoreAPI


def make_store(url: str | None, data_dir: Path, max_mb: float | None = None) -> SessionStoreAPI:
    """The store for ``url`` (``None`` or ``sqlite`` = the data dir's SQLite file), not opened."""
    if url and url.split(":", 1)[0] in ("postgresql", "postgres"):
        from presshold.server.pg_store import PgSessionStore

        return PgSessionStore(url, data_dir)
    if url and url != "sqlite":
        from presshold import urls
        from presshold.errors import ConfigError

        raise ConfigError(f"--store {urls.mask(url)}: use postgresql://USER@HOST/DB")
    from presshold.server.store import SessionStore

    return SessionStore(data_dir, None if max_mb is None else int(max_mb * 1024 * 1024))


def open_store(config: ServerSettings, data_dir: Path) -> SessionStoreAPI:
    store = make_store(config.store, data_dir, config.store_max_mb)
    store.open()
    return store
