"""Every station of one server, the overview of them all, and the ``auto`` port watcher.

Station ids are short, URL-safe and stable: a slug of the source's identity (its USB serial
number, else the spec as typed), so ``/?station=ttyacm0`` and a renamed "Table 3" survive a
restart. The first station is the default for every per-station route, which keeps the
single-station API of earlier releases working unchanged.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from presshold.errors import ConfigError, NotFound, PressHoldError
from presshold.firmware_bridge.source import Source
from presshold.firmware_bridge.sources import SourceSpec, identity_of, open_source
from presshold.server.station import Station
from presshold.server.station_book import StationBook
from presshold.server.store_api import SessionStoreAPI
from presshold.server.viewers import Outgoing, Viewer
from presshold.treatment import SettingsPatch, TreatmentSettings, describe

log = logging.getLogger("presshold.server")

HOUSEKEEPING_HZ = 12.5  # overview messages (10-15 Hz), idle checks, block writes, heartbeats
AUTO_SCAN_S = 2.0
RESTORE_WAIT_S = 5.0  # the start waits this long for students and clients to come back, so the
# first page shows them; an unreachable records database (3 s per connect) must not hold it longer
SIM_TARGETS_N = (30.0, 20.0, 25.0, 35.0, 15.0, 40.0)  # sim:N hands aim at different targets


def slug(identity: str) -> str:
    """``/dev/ttyACM0`` → ``ttyacm0``, ``usb:A1B2`` → ``usb-a1b2``, ``sim:3`` → ``sim-3``."""
    text = identity.lower()
    if "://" not in text and ("/" in text or "\\" in text):  # a device path: its last part
        text = re.split(r"[/\\]", text.rstrip("/\\"))[-1]
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return text[:32].strip("-") or "station"


class StationRegistry:
    """Owns the stations (on the event loop) and what concerns them all."""

    def __init__(
        self,
        store: SessionStoreAPI,
        data_dir: Path,
        *,
        initial_patch: dict[str, Any] | None = None,
        on_session_end: Callable[[str], None] | None = None,
        rate_hz: float | None = None,
    ) -> None:
        self.store = store
        self.data_dir = data_dir
        self.book = StationBook(data_dir)
        self.initial_patch = initial_patch or {}
        self.on_session_end = on_session_end
        self.rate_hz = rate_hz
        self.stations: dict[str, Station] = {}
        self.overview_viewers: set[Viewer] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.restore: Callable[[Station], Awaitable[None]] | None = None
        """Gives a new station back who was at it (student, client): set by the app, whose
        services own those records (:mod:`presshold.server.assignments`)."""
        self._restoring: set[asyncio.Task[None]] = set()

    # --- lookup --------------------------------------------------------------------------
    def __iter__(self) -> Iterator[Station]:
        return iter(list(self.stations.values()))

    def __len__(self) -> int:
        return len(self.stations)

    def get(self, station_id: str | None = None) -> Station:
        """The station with this id; ``None`` = the first (single-station routes)."""
        if station_id is None:
            if not self.stations:
                raise NotFound("no station: start the server with --source")
            return next(iter(self.stations.values()))
        try:
            return self.stations[station_id]
        except KeyError:
            known = ", ".join(self.stations) or "none"
            raise NotFound(f"no station {station_id!r} (stations: {known})") from None

    # --- building ------------------------------------------------------------------------
    def _unique_id(self, identity: str) -> str:
        base = slug(identity)
        sid, n = base, 2
        while sid in self.stations:
            sid, n = f"{base}-{n}", n + 1
        return sid

    def _initial_settings(self, station_id: str, spec: SourceSpec) -> TreatmentSettings:
        """Saved settings for this station (else defaults, and a distinct target per simulated
        hand), with the command line's --target/--tolerance/--hold on top."""
        saved = self.book.settings(station_id)
        base = TreatmentSettings()
        if saved is not None:
            try:
                base = TreatmentSettings.model_validate(saved)
            except ValidationError:
                log.warning("station %s: saved settings are invalid; using defaults", station_id)
        elif spec.sim_index is not None:
            base = TreatmentSettings(target_n=SIM_TARGETS_N[(spec.sim_index - 1) % 6])
        if self.initial_patch:
            try:
                base = base.patched(SettingsPatch(**self.initial_patch))
            except ValidationError as exc:
                raise ConfigError(f"station {station_id}: {describe(exc)}") from None
        return base

    def _default_name(self, spec: SourceSpec) -> str:
        if spec.sim_index is not None:
            return f"Simulated hand {spec.sim_index}"
        if spec.spec == "sim":
            return "Simulated hand"
        return f"Station {len(self.stations) + 1}"

    def add(self, spec: SourceSpec, source: Source) -> Station:
        """A new station for ``source``; started at once if the registry is running."""
        assert self._loop is not None, "start() the registry first"
        sid = self._unique_id(spec.identity)
        name = self.book.name(sid) or self._default_name(spec)
        self.book.set_name(sid, name)
        settings = self._initial_settings(sid, spec)
        self.book.set_settings(sid, settings.model_dump())
        station = Station(
            station_id=sid,
            name=name,
            spec=spec.spec if spec.sim_index is None else f"sim:{spec.sim_index}",
            source=source,
            settings=settings,
            store=self.store,
            book=self.book,
            loop=self._loop,
            on_session_end=self.on_session_end,
        )
        self.stations[sid] = station
        station.start()
        log.info("station %s (%s) on %s", sid, name, spec.spec)
        if self.restore is not None:
            task = self._loop.create_task(self._restore(station), name=f"restore-{sid}")
            self._restoring.add(task)
            task.add_done_callback(self._restoring.discard)
        return station

    async def _restore(self, station: Station) -> None:
        assert self.restore is not None
        try:
            await self.restore(station)
        except Exception:  # a bug here must not stop the server or the other stations
            log.exception("station %s: its student and client not restored", station.id)

    async def save_book(self, what: str) -> bool:
        """Write the book off the loop for a change nobody waits on (a start, a deletion): a
        failure is logged, not raised; what it would have kept is checked again at the next
        start, and the routes a person waits on answer 507 instead (``Station.save_book``)."""
        try:
            await asyncio.to_thread(self.book.save)
        except OSError as exc:
            log.warning("station book not saved (%s): %s", what, exc)
            return False
        return True

    # --- lifecycle -----------------------------------------------------------------------
    async def start(self, sources: list[tuple[SourceSpec, Source]], auto: bool = False) -> None:
        self._loop = asyncio.get_running_loop()
        for spec, source in sources:
            self.add(spec, source)
        if self._restoring:  # the rest, if any, carry on after the start
            await asyncio.wait(set(self._restoring), timeout=RESTORE_WAIT_S)
        await self.save_book("station names and settings")
        self._tasks.append(asyncio.create_task(self._housekeeping(), name="housekeeping"))
        if auto:
            self._tasks.append(asyncio.create_task(self._watch_ports(), name="auto-ports"))

    async def stop(self) -> None:
        tasks = [*self._tasks, *self._restoring]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(s.stop() for s in self), return_exceptions=True)

    # --- overview ------------------------------------------------------------------------
    def overview_message(self) -> dict[str, Any]:
        return {"type": "overview", "stations": [s.overview() for s in self]}

    def add_overview_viewer(self) -> Viewer:
        v = Viewer()
        v.put(Outgoing.of(self.overview_message()))
        self.overview_viewers.add(v)
        return v

    def remove_overview_viewer(self, v: Viewer) -> None:
        self.overview_viewers.discard(v)

    def health(self) -> dict[str, Any]:
        viewers = lagging = 0
        for s in self:
            n, lag = s.feed.viewer_stats()
            viewers, lagging = viewers + n, lagging + lag
        first = next(iter(self.stations.values()), None)
        return {
            "connected": bool(first and first.status.connected),
            "recording": bool(first and first.recorder.recording),
            "storage_ok": self.store.ok,
            "viewers": viewers,
            "viewers_lagging": lagging,
            "overview_viewers": len(self.overview_viewers),
            "stations": len(self.stations),
            "stations_connected": sum(1 for s in self if s.status.connected),
            "stations_recording": sum(1 for s in self if s.recorder.recording),
        }

    async def _housekeeping(self) -> None:
        """Each station's periodic work, then the overview. A bug at one station is logged and
        the others (and the next round) go on: no gauge may freeze because of another."""
        period = 1 / HOUSEKEEPING_HZ
        due = time.monotonic()
        while True:
            due = max(due + period, time.monotonic() - period)
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            now = time.monotonic()
            for station in self:
                try:
                    station.housekeeping(now)
                except Exception:
                    log.exception("station %s: housekeeping failed; continuing", station.id)
            if self.overview_viewers:
                try:
                    out = Outgoing.of(self.overview_message())
                except Exception:
                    log.exception("overview message failed; continuing")
                    continue
                for v in self.overview_viewers:
                    v.put(out)

    async def _watch_ports(self) -> None:
        """``--source auto``: every likely sensor plugged in becomes a station. An unplugged
        one stays and shows as disconnected; its source reconnects as it always has."""
        from presshold.firmware_bridge.ports import list_ports

        while True:
            try:
                ports = await asyncio.to_thread(list_ports)
                known = {s.source.status.device for s in self} | {s.spec for s in self}
                for port in ports:
                    if not port.likely or port.device in known or port.source in known:
                        continue
                    identity = await asyncio.to_thread(identity_of, port.device)
                    if any(slug(identity) == sid for sid in self.stations):
                        continue  # the same sensor under a new name: its station reconnects
                    source = open_source(port.source, data_dir=self.data_dir)
                    self.add(SourceSpec(port.source, identity), source)
                    await asyncio.to_thread(self.book.save)
            except (PressHoldError, OSError) as exc:
                log.warning("auto: %s", exc)
            except Exception:
                log.exception("auto: port scan failed; retrying")
            await asyncio.sleep(AUTO_SCAN_S)
