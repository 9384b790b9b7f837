"""The client book: every client's record. :class:`ClientBook` is what the practice's routes
need; :class:`ClientRepository` keeps it in the data directory, readable by its owner only (the
single-laptop default), and :class:`presshold.server.sql_clients.SqlClientBook` in the hub's
PostgreSQL database with ``--store postgresql://…``.

One JSON file, ``clinic/clients.json``: a practice has tens to a few thousand clients, so a whole
file rewritten atomically on each change is simple and cheap (~1 ms per hundred clients), and a
crash mid-write leaves the previous file intact. The ``clinic`` folder is created ``0700`` and the
file ``0600`` (POSIX; on Windows the data directory under the user's profile is already private to
that user). A damaged file is moved aside, never overwritten.

Thread-safe: the routes call it from worker threads.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from presshold.clinic.clients import Client, ClientCreate, ClientFields
from presshold.errors import NotFound, NotSaved

DIR = "clinic"
FILE = "clients.json"


def private_dir(path: Path) -> Path:
    """``path`` created if needed and made owner-only (best effort where chmod means little)."""
    path.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        os.chmod(path, 0o700)
    return path


def write_private(path: Path, text: str) -> None:
    """Atomically replace ``path`` with ``text``; the file is ``0600`` from its first byte
    (``mkstemp`` creates it so), so the personal data are never readable by others."""
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=private_dir(path.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class ClientBook(Protocol):
    """Clients by id; each write saved before it returns, a failed one changing nothing
    (``NotSaved``, 507, for a file; ``StorageError``, 503, for a database that is down)."""

    dir: Path
    """A private folder in the data dir (the client exports are staged there)."""

    def list(self) -> list[Client]:
        """By name, case-insensitively (how a receptionist looks someone up)."""
        ...

    def get(self, client_id: str) -> Client:
        """The client, or ``NotFound``."""
        ...

    def exists(self, client_id: str) -> bool: ...
    def create(self, body: ClientCreate) -> Client: ...
    def update(self, client_id: str, patch: ClientFields) -> Client: ...
    def delete(self, client_id: str) -> None: ...


def by_name(clients: Iterable[Client]) -> list[Client]:
    return sorted(clients, key=lambda c: (c.name.casefold(), c.id))


class ClientRepository:
    """:class:`ClientBook` in ``<data dir>/clinic/clients.json`` (module docstring)."""

    def __init__(self, data_dir: Path) -> None:
        self.dir = Path(data_dir) / DIR
        self.path = self.dir / FILE
        self._lock = threading.RLock()
        self._clients: dict[str, Client] | None = None  # loaded on first use

    # --- reads
    def _all(self) -> dict[str, Client]:
        if self._clients is None:
            self._clients = self._load()
        return self._clients

    def _load(self) -> dict[str, Client]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return {c["id"]: Client.model_validate(c) for c in data["clients"]}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, KeyError, TypeError):
            # unreadable: keep it aside for recovery rather than overwrite it at the next save
            with contextlib.suppress(OSError):
                self.path.replace(self.path.with_name(FILE + ".damaged"))
            return {}

    def list(self) -> list[Client]:
        with self._lock:
            return by_name(self._all().values())

    def get(self, client_id: str) -> Client:
        with self._lock:
            client = self._all().get(client_id)
        if client is None:
            raise NotFound(f"no client {client_id!r}")
        return client

    def exists(self, client_id: str) -> bool:
        with self._lock:
            return client_id in self._all()

    # --- writes (each saved before it returns; a failed save changes nothing)
    def create(self, body: ClientCreate) -> Client:
        client = Client.new(body)
        with self._lock:
            self._commit({**self._all(), client.id: client})
        return client

    def update(self, client_id: str, patch: ClientFields) -> Client:
        with self._lock:
            client = self.get(client_id).patched(patch)
            self._commit({**self._all(), client_id: client})
        return client

    def delete(self, client_id: str) -> None:
        with self._lock:
            self.get(client_id)
            self._commit({k: v for k, v in self._all().items() if k != client_id})

    def _commit(self, clients: dict[str, Client]) -> None:
        text = json.dumps(
            {"version": 1, "clients": [c.model_dump(mode="json") for c in clients.values()]},
            indent=1,
            ensure_ascii=False,
        )
        try:
            write_private(self.path, text)
        except OSError as exc:
            raise NotSaved(f"client book not saved in {self.dir}: {exc.strerror or exc}") from None
        self._clients = clients
