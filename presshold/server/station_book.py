"""What each station remembers across restarts: its name, its treatment settings, and who is
at it — the student assigned in trainer mode and the client on the table in the practice.

One JSON file, ``stations.json`` in the data directory, keyed by station id (which is derived from
the sensor's identity, so a renamed "Table 3" stays "Table 3" when its sensor comes back). The
book keeps only the ids of the student and client: their records live in the trainer store and
the client book, which say at restore time whether they still exist. The file stays on this
machine with ``--store postgresql://…`` too: it describes this machine's sensors.

Saves are atomic and the latest always wins: each save writes the *current* contents (taken under
the lock at write time, not when the change was requested) to a unique temporary file and renames
it over the old one, one save at a time. Many concurrent ``PUT /api/settings`` therefore never
leave the file older than the live settings, and never fail on a shared temporary name.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

FILE = "stations.json"
STUDENT = "student_id"
CLIENT = "client_id"
LEGACY_SETTINGS = "settings.json"  # single-station releases kept one settings file


class StationBook:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / FILE
        self._legacy = data_dir / LEGACY_SETTINGS
        self._lock = threading.Lock()  # guards _entries (loop) against save() (worker thread)
        self._save_lock = threading.Lock()  # one writer at a time
        self._entries: dict[str, dict[str, Any]] = self._load()

    def _load(self) -> dict[str, dict[str, Any]]:
        """Saved entries; an unreadable file is kept aside (never silently overwritten)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            entries = data.get("stations", {}) if isinstance(data, dict) else {}
            return {str(k): dict(v) for k, v in entries.items() if isinstance(v, dict)}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, AttributeError):
            with contextlib.suppress(OSError):
                self.path.replace(self.path.with_name(FILE + ".damaged"))
            return {}

    def name(self, station_id: str) -> str | None:
        with self._lock:
            return self._entries.get(station_id, {}).get("name")

    def settings(self, station_id: str) -> dict[str, Any] | None:
        """This station's saved settings, else the single-station settings file of old."""
        with self._lock:
            saved = self._entries.get(station_id, {}).get("settings")
        if saved is not None:
            return dict(saved)
        try:
            legacy = json.loads(self._legacy.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return legacy if isinstance(legacy, dict) else None

    def set_name(self, station_id: str, name: str) -> None:
        with self._lock:
            self._entries.setdefault(station_id, {})["name"] = name

    def set_settings(self, station_id: str, settings: dict[str, Any]) -> None:
        with self._lock:
            self._entries.setdefault(station_id, {})["settings"] = dict(settings)

    def student(self, station_id: str) -> str | None:
        """The student last assigned to this station (trainer mode), if any."""
        return self._get(station_id, STUDENT)

    def client(self, station_id: str) -> str | None:
        """The client last chosen at this station (the practice), if any."""
        return self._get(station_id, CLIENT)

    def set_student(self, station_id: str, student_id: str | None) -> None:
        self._set(station_id, STUDENT, student_id)

    def set_client(self, station_id: str, client_id: str | None) -> None:
        self._set(station_id, CLIENT, client_id)

    def forget_student(self, student_id: str) -> bool:
        """A deleted student leaves every station's entry, present or not; True if one had them."""
        return self._forget(STUDENT, student_id)

    def forget_client(self, client_id: str) -> bool:
        """A deleted client leaves every station's entry, present or not; True if one had them."""
        return self._forget(CLIENT, client_id)

    def _get(self, station_id: str, key: str) -> str | None:
        with self._lock:
            value = self._entries.get(station_id, {}).get(key)
        return value if isinstance(value, str) and value else None  # a hand-edited file

    def _set(self, station_id: str, key: str, value: str | None) -> None:
        """``None`` removes the key: an unassigned station's entry holds no stale id."""
        with self._lock:
            entry = self._entries.setdefault(station_id, {})
            if value is None:
                entry.pop(key, None)
            else:
                entry[key] = value

    def _forget(self, key: str, value: str) -> bool:
        with self._lock:
            held = [e for e in self._entries.values() if e.get(key) == value]
            for entry in held:
                del entry[key]
        return bool(held)

    def save(self) -> None:
        """Write the current entries atomically (blocking: call from a worker thread)."""
        with self._save_lock:
            with self._lock:
                text = json.dumps({"stations": self._entries}, indent=2, sort_keys=True)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=FILE, suffix=".tmp", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(text)
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
