"""The practice as a service: clients chosen at stations, deleted with all their sessions,
exported whole. Routes call this; the client records themselves are
:class:`presshold.clinic.repository.ClientBook`'s (a file, or the hub's database). The client on
each table is noted in the station book, so a restart keeps them there
(:mod:`presshold.server.assignments`); deleting a client clears it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends
from starlette.requests import HTTPConnection

from presshold.clinic.clients import Client
from presshold.clinic.export import write_client_zip
from presshold.clinic.repository import ClientBook, private_dir
from presshold.errors import Conflict
from presshold.server import exports
from presshold.server.archive import SessionArchive
from presshold.server.deps import registry, session_store
from presshold.server.station import Station


class Clinic:
    def __init__(self, clients: ClientBook, archive: SessionArchive) -> None:
        self.clients = clients
        self.archive = archive

    async def choose(self, station: Station, client_id: str | None, claim: bool = True) -> None:
        """Put ``client_id`` (None: nobody) on ``station``: their presets apply first, so a
        session started for them records their settings. Remembered across restarts (507 when
        the station book cannot be written: chosen for now, not after a restart)."""
        if client_id is not None:
            client = await asyncio.to_thread(self.clients.get, client_id)  # 404 if unknown
            patch = client.preset_patch()
            if patch is not None:
                await station.update_settings(patch)
        station.set_client(client_id, claim_recording=claim)
        await station.save_book("client chosen")

    def sessions(self, client_id: str) -> list[dict[str, Any]]:
        """The client's sessions, oldest first, each with its events and analysis (blocking)."""
        rows = self.archive.list(client_id=client_id)
        return [self.archive.detail(r["id"]) for r in reversed(rows)]

    async def delete(self, client_id: str) -> int:
        """Delete the client and every session of theirs; returns how many sessions went. Refused
        while one of their sessions is recording (stop it first: nothing half-deleted)."""
        await asyncio.to_thread(self.clients.get, client_id)
        rows = await asyncio.to_thread(self.archive.list, None, client_id)
        for r in rows:
            if self.archive.recording_station(r["id"]) is not None:
                raise Conflict("a session of this client is recording: stop it, then delete")
        at_table = [s for s in self.archive.stations if s.client_id == client_id]
        for station in at_table:
            station.set_client(None)
        for r in rows:
            self.archive.delete(r["id"])
        await asyncio.to_thread(self.archive.store.sync)
        await asyncio.to_thread(self.clients.delete, client_id)
        stations = self.archive.stations
        forgotten = stations.book.forget_client(client_id)  # stations not running now too
        if at_table or forgotten:
            await stations.save_book("a deleted client's stations cleared")
        return len(rows)

    def export(self, client_id: str, tmp_dir: Path) -> Path:
        """Write the client's zip to a private temporary file and return its path (blocking; the
        caller deletes it after sending)."""
        client: Client = self.clients.get(client_id)
        sessions = self.sessions(client_id)
        fd, name = tempfile.mkstemp(prefix="export-", suffix=".zip", dir=private_dir(tmp_dir))
        os.close(fd)
        path = Path(name)
        try:
            write_client_zip(
                path,
                client,
                sessions,
                lambda s: exports.csv_lines(s, self.archive.store.iter_samples(s["id"])),
            )
        except BaseException:
            with contextlib.suppress(OSError):
                path.unlink()
            raise
        return path


def client_repository(conn: HTTPConnection) -> ClientBook:
    repo: ClientBook = conn.app.state.clients
    return repo


def clinic(conn: HTTPConnection) -> Clinic:
    return Clinic(client_repository(conn), SessionArchive(session_store(conn), registry(conn)))


ClinicDep = Annotated[Clinic, Depends(clinic)]
