"""What each station remembers across restarts: its name and its treatment settings.

One JSON file, ``stations.json`` in the data directory, keyed by station id (which is derived from
the sensor's identity, so a renamed "Table 3" stays "Table 3" when its sensor comes back).

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
