"""Thread and status plumbing shared by the sources that run a reader thread."""

from __future__ import annotations

import dataclasses
import threading

from presshold.firmware_bridge.calibration import CalibrationStore
from presshold.firmware_bridge.source import Source, SourceSink, SourceStatus


class ThreadedSource(Source):
    """A source whose readings come from one daemon thread: start/stop and thread-safe status."""

    def __init__(self, status: SourceStatus, store: CalibrationStore | None) -> None:
        super().__init__(store)
        self._status = status
        self._status_lock = threading.Lock()
        self._sink: SourceSink | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def status(self) -> SourceStatus:
        with self._status_lock:
            s = self._status
            return dataclasses.replace(
                s, rejected=dict(s.rejected), device_messages=list(s.device_messages)
            )

    def _set_status(self, **changes: object) -> None:
        with self._status_lock:
            changes.setdefault("calibrated", self.calibration.calibrated)
            self._status = dataclasses.replace(self._status, **changes)  # type: ignore[arg-type]
        if self._sink is not None:
            self._sink.on_status(self.status)

    def start(self, sink: SourceSink) -> None:
        if self._thread is not None:
            return
        self._sink = sink
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name=type(self).__name__, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=3)
            self._thread = None

    def _run(self) -> None:
        raise NotImplementedError

    def _button(self, t_s: float, pressed: bool) -> None:
        """Hand a patient-button change (host monotonic time) to the sink, if it listens."""
        on_button = getattr(self._sink, "on_button", None)
        if on_button is not None:
            on_button(t_s, pressed)
