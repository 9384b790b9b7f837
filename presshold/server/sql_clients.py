"""The client book in the hub's database (``--store postgresql://…``): one row per client, its
record as the same JSON the single-laptop ``clinic/clients.json`` holds, so nothing about a
client is lost or reshaped on the way (``presshold migrate`` copies the file's records as they
are). A practice has at most a few thousand clients: the list is read whole and sorted here,
by the same rule as the file's.
"""

from __future__ import annotations

import json
from pathlib import Path

from presshold.clinic.clients import Client, ClientCreate, ClientFields
from presshold.clinic.repository import DIR, by_name
from presshold.errors import Conflict, NotFound
from presshold.server.sql_db import SqlDb, Tx

UPDATE_TRIES = 10


def record(client: Client) -> str:
    return json.dumps(client.model_dump(mode="json"), ensure_ascii=False)


class SqlClientBook:
    """:class:`~presshold.clinic.repository.ClientBook` on a :class:`SqlDb`; each call one
    transaction."""

    def __init__(self, db: SqlDb, data_dir: Path) -> None:
        self.db = db
        self.dir = Path(data_dir) / DIR

    def list(self) -> list[Client]:
        with self.db.tx() as c:
            rows = c.execute("SELECT record FROM clients").fetchall()
        return by_name(Client.model_validate_json(r["record"]) for r in rows)

    @staticmethod
    def _record(c: Tx, client_id: str) -> str:
        r = c.execute("SELECT record FROM clients WHERE id = ?", (client_id,)).fetchone()
        if r is None:
            raise NotFound(f"no client {client_id!r}")
        return str(r["record"])

    def get(self, client_id: str) -> Client:
        with self.db.tx() as c:
            return Client.model_validate_json(self._record(c, client_id))

    def exists(self, client_id: str) -> bool:
        with self.db.tx() as c:
            found = c.execute("SELECT 1 FROM clients WHERE id = ?", (client_id,)).fetchone()
        return found is not None

    def create(self, body: ClientCreate) -> Client:
        client = Client.new(body)
        with self.db.tx() as c:
            c.execute("INSERT INTO clients (id, record) VALUES (?, ?)", (client.id, record(client)))
        return client

    def update(self, client_id: str, patch: ClientFields) -> Client:
        """The patch applied to the record as it is now: written only if no other hub changed
        the client since it was read (compare and set, the same SQL on every engine), else
        applied again to the newer record."""
        for _ in range(UPDATE_TRIES):
            with self.db.tx() as c:
                old = self._record(c, client_id)
                client = Client.model_validate_json(old).patched(patch)
                if c.execute(
                    "UPDATE clients SET record = ? WHERE id = ? AND record = ?",
                    (record(client), client_id, old),
                ).rowcount:
                    return client
        raise Conflict(f"client {client_id!r} is being changed elsewhere; try again")

    def delete(self, client_id: str) -> None:
        with self.db.tx() as c:
            if c.execute("DELETE FROM clients WHERE id = ?", (client_id,)).rowcount == 0:
                raise NotFound(f"no client {client_id!r}")
