"""Who is at each station after a restart: the student (trainer mode) and the client (practice).

A trainer whose laptop restarts mid-class should not assign every station again, nor a therapist
pick the client on the table again. The station book (``stations.json``) keeps their ids beside
each station's name and settings; when a station is created again (at start, or later: a sensor
plugged in, a remote station joining) :meth:`Assignments.restore` gives them back, if they
still exist. One deleted meanwhile (here, or on another hub sharing the database) is dropped
from the book instead; one whose records cannot be read now (the database is down) stays in the
book for the next start but is not shown as assigned.

Restoring changes nothing else: a restored student starts no run, and a restored client claims
no session and brings no presets (the station's saved settings, which may have been changed
since the client was chosen, stay in force). A choice made while the check runs wins: the saved
id is only given back if the book still holds it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from presshold.errors import NotFound, PressHoldError

if TYPE_CHECKING:
    from presshold.clinic.repository import ClientBook
    from presshold.server.station import Station
    from presshold.server.stations import StationRegistry
    from presshold.server.trainer.service import TrainerService

log = logging.getLogger("presshold.server")


class Assignments:
    """The registry's ``restore`` hook (module docstring)."""

    def __init__(
        self, stations: StationRegistry, trainer: TrainerService, clients: ClientBook
    ) -> None:
        self.stations = stations
        self.book = stations.book
        self.trainer = trainer
        self.clients = clients

    async def restore(self, station: Station) -> None:
        """Give ``station`` back its saved student and client (those that still exist)."""
        dropped_student = await self._student(station)
        dropped_client = await self._client(station)
        if dropped_student or dropped_client:
            await self.stations.save_book(f"station {station.id}: a deleted assignment dropped")

    async def _student(self, station: Station) -> bool:
        """Restore the saved student; True if they were deleted (dropped from the book)."""
        student_id = self.book.student(station.id)
        if student_id is None:
            return False
        try:
            student = await self.trainer.call(self.trainer.repo.student, student_id)
        except NotFound:
            log.info("station %s: its student was deleted; not restored", station.id)
            if self.book.student(station.id) == student_id:
                self.book.set_student(station.id, None)
            return True
        except PressHoldError as exc:  # e.g. the records' database is down: try next start
            log.warning("station %s: student not restored: %s", station.id, exc)
            return False
        if self.book.student(station.id) == student_id:  # not reassigned meanwhile
            self.trainer.restore(station, student_id, student["name"])
        return False

    async def _client(self, station: Station) -> bool:
        """Restore the saved client; True if they were deleted (dropped from the book)."""
        client_id = self.book.client(station.id)
        if client_id is None:
            return False
        try:
            await asyncio.to_thread(self.clients.get, client_id)
        except NotFound:
            log.info("station %s: its client was deleted; not restored", station.id)
            if self.book.client(station.id) == client_id:
                self.book.set_client(station.id, None)
            return True
        except PressHoldError as exc:
            log.warning("station %s: client not restored: %s", station.id, exc)
            return False
        if self.book.client(station.id) == client_id and station.client_id is None:
            station.set_client(client_id, claim_recording=False)
        return False
