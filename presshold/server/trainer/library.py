"""The protocol library: the read-only built-ins plus one JSON file per protocol in
``<data dir>/protocols/`` (a trainer can copy, mail or version them; ``export.json`` and
``import`` move them between servers).

Files are written atomically (temp file + replace) so a crash never leaves half a protocol; a
file that no longer validates is skipped with a warning rather than taking the list down.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from presshold.errors import ConfigError, Conflict, NotFound
from presshold.training.protocols import BUILTIN_IDS, BUILTINS, Protocol, ProtocolBody, slugify
from presshold.treatment import describe

log = logging.getLogger("presshold.server")
ID_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")  # ids are file names: nothing else gets in


class ProtocolLibrary:
    def __init__(self, data_dir: Path) -> None:
        self.dir = Path(data_dir) / "protocols"

    def _path(self, pid: str) -> Path:
        return self.dir / f"{pid}.json"

    def all(self) -> list[Protocol]:
        found: list[Protocol] = list(BUILTINS)
        if self.dir.is_dir():
            for path in sorted(self.dir.glob("*.json")):
                try:
                    found.append(self._load(path))
                except (OSError, ValueError, ValidationError) as exc:
                    log.warning("protocol %s skipped: %s", path.name, exc)
        return found

    def _load(self, path: Path) -> Protocol:
        body = ProtocolBody.model_validate(json.loads(path.read_text(encoding="utf-8")))
        return Protocol(id=path.stem, builtin=False, **body.model_dump())

    def get(self, pid: str) -> Protocol:
        for p in BUILTINS:
            if p.id == pid:
                return p
        if not ID_RE.fullmatch(pid) or not self._path(pid).is_file():
            raise NotFound(f"no protocol {pid!r}")
        try:
            return self._load(self._path(pid))
        except (OSError, ValueError, ValidationError) as exc:
            raise ConfigError(f"protocol {pid!r} is unreadable: {exc}") from None

    def _free_id(self, name: str) -> str:
        base = slugify(name)
        pid, n = base, 2
        while pid in BUILTIN_IDS or self._path(pid).exists():
            pid, n = f"{base}-{n}", n + 1
        return pid

    def _write(self, pid: str, body: ProtocolBody) -> Protocol:
        self.dir.mkdir(parents=True, exist_ok=True)
        data = json.dumps(body.model_dump(exclude_none=True), indent=2, ensure_ascii=False)
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=f".{pid}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(data + "\n")
            os.replace(tmp, self._path(pid))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return Protocol(id=pid, builtin=False, **body.model_dump())

    def create(self, body: ProtocolBody) -> Protocol:
        return self._write(self._free_id(body.name), body)

    def replace(self, pid: str, body: ProtocolBody) -> Protocol:
        self._writable(pid)
        return self._write(pid, body)

    def delete(self, pid: str) -> None:
        self._writable(pid)
        self._path(pid).unlink()

    def _writable(self, pid: str) -> None:
        if pid in BUILTIN_IDS:
            raise Conflict(f"{pid!r} is a built-in protocol and read-only: copy it to change it")
        if not ID_RE.fullmatch(pid) or not self._path(pid).is_file():
            raise NotFound(f"no protocol {pid!r}")

    @staticmethod
    def parse(data: Any) -> ProtocolBody:
        """An imported file: an export (with ``id``/``builtin``, ignored) or a bare body."""
        if isinstance(data, dict):
            data = {k: v for k, v in data.items() if k not in ("id", "builtin", "format")}
        try:
            return ProtocolBody.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(describe(exc)) from None
