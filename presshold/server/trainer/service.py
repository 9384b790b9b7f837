"""Runs of protocols on stations: the glue between a station's pipeline and the pure
:class:`~presshold.training.machine.RunMachine`.

:class:`StationTrainer` is the one object a station knows about (its ``trainer`` hook and its
feed's ``gate``): it feeds the machine every processed block and clock tick, applies each step's
target to the station (so the gauge, the band and the hold timer follow the protocol), sends the
``trial_start`` / ``trial_end`` / ``run_end`` events, adds the ``run`` field to frames and — the
point of blind and "after" feedback — masks what the station's own viewers get while a trial is
hidden: no force, no band state, no hold time, no alert, no samples, no history, no hold events.
The overview and the trainer's view (``/ws/live?view=trainer``) are never masked.

:class:`TrainerService` owns the repository, the protocol library and every station's trainer;
routes call it. Writes go to one worker thread in order, so the loop never waits on the disk and
a run's final state can never be overwritten by an earlier write. The student assigned to a
station is noted in the station book (``stations.json``), so a restart gives them back
(:mod:`presshold.server.assignments`); deleting a student clears it there too.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import numpy as np

from presshold.errors import ConfigError, Conflict, StorageError
from presshold.firmware_bridge.source import ReadingBatch
from presshold.server.trainer.library import ProtocolLibrary
from presshold.server.trainer.repository import TrainerRepository, new_id, now_iso
from presshold.signal.pipeline import BlockResult
from presshold.training.machine import LEAD_IN_S, FinishedTrial, Output, RunMachine
from presshold.training.protocols import Protocol
from presshold.training.schedule import TrialPlan
from presshold.training.scoring import Reference, protocol_result
from presshold.treatment import TreatmentSettings

if TYPE_CHECKING:
    from presshold.server.station import Station
    from presshold.server.stations import StationRegistry

log = logging.getLogger("presshold.server")
P = ParamSpec("P")
T = TypeVar("T")

MAX_UNSAVED = 2_000  # trials and run states kept while the store is down: a class's hour
RETRY_S = 1.0
TRACE_HZ = 25.0  # stored trial traces: plenty for reports, references and the reveal
HIDDEN_FRAME_FIELDS = ("force_n", "in_band", "pressing", "hold_s", "holds_completed", "alert")
SHOWN_WHILE_HIDDEN = frozenset(
    {"session_start", "session_end", "mark", "gap", "run_start", "trial_start", "trial_end",
     "run_end"}
)  # fmt: skip


def decimate(t: np.ndarray, f: np.ndarray, t0: float, hz: float = TRACE_HZ) -> list[list[float]]:
    """``[[seconds from t0, force], …]`` at about ``hz`` (every k-th sample, no smoothing: the
    input is already the detection signal)."""
    if t.size == 0:
        return []
    rate = (t.size - 1) / (t[-1] - t[0]) if t.size > 1 and t[-1] > t[0] else hz
    k = max(1, round(rate / hz))
    idx = np.arange(0, t.size, k)
    if idx[-1] != t.size - 1:
        idx = np.append(idx, t.size - 1)
    return np.column_stack((np.round(t[idx] - t0, 3), np.round(f[idx], 3))).tolist()


class ActiveRun:
    """One run's record, machine and trials (in memory while it is the station's run)."""

    def __init__(self, record: dict[str, Any], protocol: Protocol, machine: RunMachine) -> None:
        self.record = record
        self.protocol = protocol
        self.machine = machine
        self.trials: list[dict[str, Any]] = []
        self.original: TreatmentSettings | None = None

    @property
    def id(self) -> str:
        return str(self.record["id"])

    @property
    def done(self) -> bool:
        return self.machine.phase == "done"

    def result(self) -> dict[str, Any]:
        p = self.protocol
        scores = [t["score"] for t in self.trials]
        res = protocol_result(scores, len(self.machine.plans), p.pass_score, p.pass_share)
        res["mean_score"] = round(sum(scores) / len(scores), 1) if scores else None
        return res

    def view(self) -> dict[str, Any]:
        return {**self.record, "result": self.result(), "trials": self.trials}


class StationTrainer:
    """A station's trainer hook and feed gate (module docstring)."""

    def __init__(self, service: TrainerService, station: Station) -> None:
        self.service = service
        self.station = station
        self.student_id: str | None = None
        self.student_name: str | None = None
        self.run: ActiveRun | None = None
        self._block_hidden = False  # the block being ingested began during a hidden trial

    @property
    def running(self) -> bool:
        """A run is in progress here (its steps own the station's target)."""
        return self.run is not None and not self.run.done

    def assign(self, student_id: str | None, name: str | None) -> bool:
        """The student at this station (None: nobody), noted in the station book for the next
        start; the caller saves the book. True if it changed."""
        changed = student_id != self.student_id
        self.student_id, self.student_name = student_id, name
        self.station.book.set_student(self.station.id, student_id)
        return changed

    # --- the station's hook ---------------------------------------------------------------
    def on_block(self, batch: ReadingBatch, result: BlockResult) -> None:
        run = self.run
        self._block_hidden = run is not None and run.machine.hidden
        if run is None or run.done:
            return
        t0 = self.station.feed.t0
        events = [(ev.kind, ev.t_s + t0) for ev in result.events]
        self._handle(run, run.machine.on_block(batch.t_s, result.detect, events))

    def tick(self, now: float) -> None:
        run = self.run
        if run is not None and not run.done:
            self._handle(run, run.machine.tick(now))

    def tile(self) -> dict[str, Any]:
        run = self.run
        student = {"id": self.student_id, "name": self.student_name} if self.student_id else None
        tile: dict[str, Any] = {"student": student, "run": None}
        if run is not None:
            scores = [t["score"] for t in run.trials]
            tile["run"] = {
                "run_id": run.id,
                "protocol_id": run.protocol.id,
                "protocol": run.protocol.name,
                **run.machine.view(time.monotonic()),
                "latest_score": scores[-1] if scores else None,
                "scores": scores,
                "result": run.result(),
                "student": run.record.get("student_name"),
            }
        return tile

    # --- the feed's gate ------------------------------------------------------------------
    def annotate(self, msg: dict[str, Any]) -> dict[str, Any]:
        if self.run is None or msg.get("type") != "frame":
            return msg
        return {**msg, "run": self.run_field()}

    def mask(self, msg: dict[str, Any]) -> dict[str, Any] | None:
        kind = msg.get("type")
        if kind == "event" and msg.get("kind") == "trial_end" and msg.get("reveal") == "end":
            return {k: msg[k] for k in ("type", "kind", "t_s", "run_id", "trial", "step", "rep")}
        if self.run is None:
            return msg
        hidden = self.run.machine.hidden
        if kind == "event" and msg.get("kind") not in SHOWN_WHILE_HIDDEN:
            # the detector's events: withheld while hidden, and also those of the block that
            # ended a hidden trial (they describe its press) even when the next one is shown
            return None if hidden or self._block_hidden else msg
        if not hidden:
            return msg
        if kind == "frame":
            return {**msg, **dict.fromkeys(HIDDEN_FRAME_FIELDS), "samples": []}
        if kind == "history":
            return {**msg, "samples": [], "withheld": True}
        return msg

    def run_field(self) -> dict[str, Any] | None:
        run = self.run
        if run is None:
            return None
        feed_t0 = self.station.feed.t0
        m = run.machine
        trial_t = None if m.trial_t is None else round(m.trial_t - feed_t0, 4)
        press_t = None if m.press_t is None else round(m.press_t - feed_t0, 4)
        return {
            "run_id": run.id,
            "protocol": run.protocol.name,
            "protocol_id": run.protocol.id,
            "student": run.record.get("student_name"),
            **m.view(time.monotonic()),
            "trial_t_s": trial_t,
            "press_t_s": press_t if not m.hidden else None,
        }

    # --- running --------------------------------------------------------------------------
    def start(self, run: ActiveRun) -> None:
        st = self.station
        self.run = run
        run.original = st.settings
        run.machine.pressing = st.feed.pipeline.state.pressing
        self._apply_step(run.machine.plans[0])
        st.feed.gate = self
        self._cue("rest")
        t = round(st.feed.now_s(), 4)
        st.feed.broadcast({"type": "event", "kind": "run_start", "t_s": t, "run_id": run.id})
        st.feed.send_frame()

    def stop(self) -> ActiveRun:
        run = self.run
        if run is None or run.done:
            raise Conflict(f"{self.station.name}: no run in progress")
        self.station.ingest_parked()
        self._handle(run, run.machine.stop(time.monotonic()), stopped=True)
        return run

    def _apply_step(self, plan: TrialPlan) -> None:
        st = self.station
        step = plan.step_def
        new = TreatmentSettings.model_validate(
            {
                **st.settings.model_dump(),
                "target_n": step.target_n,
                "tolerance_n": step.band_half_width,
                "tolerance_pct": None,
                "hold_s": step.hold_s,
            }
        )
        st.apply_settings(new)

    def _cue(self, what: str | None) -> None:
        """Tell a simulated hand what the student is asked to do (real hands read the page)."""
        cue = getattr(self.station.source, "follow_cue", None)
        if cue is not None:
            cue(what)

    def _handle(self, run: ActiveRun, out: Output, stopped: bool = False) -> None:
        st = self.station
        feed = st.feed
        for done in out.finished:
            self._finished(run, done)
        if out.step_changed is not None:
            self._apply_step(out.step_changed)
        for plan in out.started:
            self._cue("press")
            feed.broadcast(_trial_event("trial_start", feed.now_s(), run.id, plan))
        if out.phase_changed and not out.started:
            phase = run.machine.phase
            self._cue(phase if phase in ("hold", "release", "rest") else None)
        if out.done:
            self._cue(None)
            run.record.update(
                status="stopped" if stopped else "completed",
                ended_at=now_iso(),
                result=run.result(),
            )
            if run.original is not None:
                st.apply_settings(run.original)
            feed.broadcast(
                {
                    "type": "event",
                    "kind": "run_end",
                    "t_s": round(feed.now_s(), 4),
                    "run_id": run.id,
                    "status": run.record["status"],
                    "result": run.record["result"],
                    "trials": [_summary(t) for t in run.trials],
                }
            )
            self.service.write(self.service.repo.save_run, dict(run.record))
        if out.phase_changed or out.started or out.finished:
            feed.send_frame()  # the new phase reaches the page at once, not with the next sample

    def _finished(self, run: ActiveRun, done: FinishedTrial) -> None:
        st = self.station
        plan = done.plan
        m = done.metrics
        rec_t0 = st.recorder.t0 if st.recorder.recording else None
        trial = {
            "id": f"{run.id}-{plan.index + 1}",
            "run_id": run.id,
            "student_id": run.record.get("student_id"),
            "index": plan.index,
            "step": plan.step + 1,
            "rep": plan.rep,
            "protocol_id": run.protocol.id,
            "target_n": plan.step_def.target_n,
            "band_n": list(plan.step_def.band),
            "hold_s": plan.step_def.hold_s,
            "feedback": plan.feedback,
            "shown": plan.shown,
            "reveal": plan.reveal,
            "started_at": now_iso(),
            "session_id": run.record.get("session_id"),
            "from_s": None if rec_t0 is None else round(done.started_t - rec_t0, 3),
            "to_s": None if rec_t0 is None else round(done.ended_t - rec_t0, 3),
            "end_reason": done.end_reason,
            "score": m.score,
            "passed": m.score >= run.protocol.pass_score,
            "metrics": m.to_dict(),
            "trace": decimate(done.t_s, done.force_n, done.started_t),
        }
        run.trials.append(trial)
        self.service.write(self.service.repo.add_trial, trial)
        st.feed.broadcast(
            {
                **_trial_event("trial_end", st.feed.now_s(), run.id, plan),
                "reveal": plan.reveal,
                "target_n": trial["target_n"],
                "band_n": trial["band_n"],
                "end_reason": done.end_reason,
                "score": m.score,
                "passed": trial["passed"],
                "metrics": trial["metrics"],
                "trace": trial["trace"],
            }
        )


def _trial_event(kind: str, t_s: float, run_id: str, plan: TrialPlan) -> dict[str, Any]:
    """The fields a trial's start and end messages share (docs/trainer.md)."""
    return {
        "type": "event",
        "kind": kind,
        "t_s": round(t_s, 4),
        "run_id": run_id,
        "trial": plan.index + 1,
        "step": plan.step + 1,
        "rep": plan.rep,
        "shown": plan.shown,
        "feedback": plan.feedback,
    }


def _summary(trial: dict[str, Any]) -> dict[str, Any]:
    m = trial["metrics"]
    return {
        "trial": trial["index"] + 1,
        "step": trial["step"],
        "rep": trial["rep"],
        "target_n": trial["target_n"],
        "feedback": trial["feedback"],
        "score": trial["score"],
        "passed": trial["passed"],
        "mean_error_n": m["mean_error_n"],
        "time_in_band_pct": m["time_in_band_pct"],
    }


class TrainerService:
    """Students, protocols and runs for every station (module docstring)."""

    def __init__(
        self, repo: TrainerRepository, library: ProtocolLibrary, stations: StationRegistry
    ) -> None:
        self.repo = repo
        self.library = library
        self.stations = stations
        self._by_station: dict[str, StationTrainer] = {}
        self._runs: dict[str, ActiveRun] = {}
        self._writer = concurrent.futures.ThreadPoolExecutor(1, "presshold-trainer")
        self._unsaved: collections.deque[tuple[Callable[..., Any], tuple[Any, ...]]] = (
            collections.deque()
        )  # writer thread only
        self._retry_at = 0.0

    def close(self) -> None:
        self._writer.submit(self._last_try)
        self._writer.shutdown(wait=True)
        self.repo.close()

    # --- writes in order, off the loop ------------------------------------------------------
    def write(self, fn: Any, *args: Any) -> concurrent.futures.Future[Any]:
        """A write the runs make as they go (a trial, a run's state), in order, in the writer
        thread. One the store cannot take now (a database that is down, a full disk) is kept
        and written, still in order, before the next write or call: no trial of a run held
        during an outage is lost while the server runs. Both writes are upserts, so writing
        one again is harmless."""
        fut = self._writer.submit(self._write, fn, args)
        fut.add_done_callback(_log_failure)
        return fut

    def _write(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        if len(self._unsaved) >= MAX_UNSAVED:
            self._unsaved.popleft()
            log.error("trainer store down too long: the oldest unsaved trainer record is lost")
        self._unsaved.append((fn, args))
        self._replay()

    def _replay(self) -> None:
        """Write what is kept, oldest first; at most one attempt a second while it fails, so
        an unreachable database does not make every call wait for a connect timeout twice."""
        if self._unsaved and time.monotonic() < self._retry_at:
            raise StorageError(f"{len(self._unsaved)} trainer record(s) wait for the store")
        while self._unsaved:
            fn, args = self._unsaved[0]
            try:
                fn(*args)
            except StorageError:
                self._retry_at = time.monotonic() + RETRY_S
                raise  # kept for the next try
            except BaseException:
                self._unsaved.popleft()  # a write that can never succeed holds nothing back
                raise
            self._unsaved.popleft()

    def _last_try(self) -> None:
        with contextlib.suppress(StorageError):
            self._replay()
        if self._unsaved:
            n = len(self._unsaved)
            log.error("%d trainer record(s) not saved: the store is unavailable", n)

    async def flush(self) -> None:
        """Wait for every write submitted so far (before reading what a run just stored)."""
        await asyncio.wrap_future(self._writer.submit(lambda: None))

    async def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """A repository call in the writer thread, after the writes queued before it (and any
        kept from an outage, when the store takes them now). Its failure is the caller's:
        a person waits for this answer (503), it is not kept."""
        return await asyncio.wrap_future(self._writer.submit(self._call, fn, args, kwargs))

    def _call(self, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
        with contextlib.suppress(StorageError):
            self._replay()
        return fn(*args, **kwargs)

    # --- stations ---------------------------------------------------------------------------
    def for_station(self, station: Station) -> StationTrainer:
        tr = self._by_station.get(station.id)
        if tr is None or tr.station is not station:
            tr = self._by_station[station.id] = StationTrainer(self, station)
            station.trainer = tr
        return tr

    async def assign(self, station: Station, student_id: str | None) -> None:
        """Assign a student to ``station`` (None: nobody), remembered across restarts (507 when
        the station book cannot be written: assigned for now, not after a restart)."""
        tr = self.for_station(station)
        name = None
        if student_id is not None:
            name = (await self.call(self.repo.student, student_id))["name"]
        tr.assign(student_id, name)
        station.broadcast_status()
        await station.save_book("student assigned")

    def restore(self, station: Station, student_id: str, name: str) -> None:
        """The student saved for ``station`` before a restart, assigned again: nothing else (no
        run starts; a run needs its trainer's press of Start)."""
        self.for_station(station).assign(student_id, name)
        station.broadcast_status()

    async def forget_student(self, student_id: str) -> None:
        """A deleted student leaves every station they were assigned to, and every station's
        saved assignment (a station not running now included)."""
        assigned = [tr for tr in self._by_station.values() if tr.student_id == student_id]
        for tr in assigned:
            tr.assign(None, None)
            tr.station.broadcast_status()
        forgotten = self.stations.book.forget_student(student_id)  # stations not running too
        if assigned or forgotten:
            await self.stations.save_book("a deleted student's stations cleared")

    async def start_run(
        self, station: Station, protocol_id: str, student_id: str | None
    ) -> dict[str, Any]:
        tr = self.for_station(station)
        if tr.run is not None and not tr.run.done:
            raise Conflict(f"{station.name}: a run is in progress; stop it first")
        protocol = await asyncio.to_thread(self.library.get, protocol_id)
        student_id = student_id if student_id is not None else tr.student_id
        student = await self.call(self.repo.student, student_id) if student_id else None
        refs: dict[str, Reference] = {}
        for step in protocol.steps:
            if step.reference_id and step.reference_id not in refs:
                refs[step.reference_id] = await self.reference_shape(step.reference_id)
        if not station.status.connected:
            raise Conflict(f"{station.name}: the sensor is not connected; plug it in and retry")
        if not station.recorder.recording:
            who = f" — {student['name']}" if student else ""
            station.start_session(label=f"{protocol.name}{who}")
        session = station.recorder.session
        record = {
            "id": new_id("run"),
            "station_id": station.id,
            "station_name": station.name,
            "student_id": student_id,
            "student_name": student["name"] if student else None,
            "protocol_id": protocol.id,
            "protocol": protocol.model_dump(),
            "session_id": session["id"] if session else None,
            "started_at": now_iso(),
            "ended_at": None,
            "status": "running",
            "result": None,
        }
        run = ActiveRun(record, protocol, RunMachine(protocol, time.monotonic(), refs, LEAD_IN_S))
        if tr.run is not None:  # the station's previous run is read back from the store now
            self._runs.pop(tr.run.id, None)
        self._runs[run.id] = run
        assigned = student is not None and tr.assign(student_id, student["name"])
        tr.start(run)
        self.write(self.repo.save_run, dict(record))
        if assigned:  # the run named another student: they are now the station's
            await self.stations.save_book(f"{station.name}: student assigned")
        return run.view()

    async def stop_run(self, station: Station) -> dict[str, Any]:
        run = self.for_station(station).stop()
        await self.flush()
        return run.view()

    async def reference_shape(self, ref_id: str) -> Reference:
        ref = await self.call(self.repo.reference, ref_id)
        pts = np.asarray(ref["trace"], dtype=float).reshape(-1, 2)
        if len(pts) < 2:
            raise ConfigError(f"reference {ref_id!r} has no trace")
        return Reference(pts[:, 0], pts[:, 1])

    # --- reads ------------------------------------------------------------------------------
    async def run_view(self, run_id: str) -> dict[str, Any]:
        live = self._runs.get(run_id)
        if live is not None:
            return live.view()
        run = await self.call(self.repo.run, run_id)
        trials = await self.call(self.repo.trials, run_id=run_id, with_trace=True)
        p = Protocol.model_validate(run["protocol"])
        scores = [t["score"] for t in trials]
        result = run["result"] or protocol_result(scores, p.trials, p.pass_score, p.pass_share)
        return {**run, "result": result, "trials": trials}

    def current_runs(self) -> list[ActiveRun]:
        return [tr.run for tr in self._by_station.values() if tr.run is not None]


def _log_failure(fut: concurrent.futures.Future[Any]) -> None:
    exc = fut.exception()
    if isinstance(exc, StorageError):
        log.warning("trainer record kept until the store answers: %s", exc)
    elif exc is not None:
        log.error("trainer store write failed: %s", exc)
