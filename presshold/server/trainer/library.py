"""The protocol library: the read-only built-ins plus the trainers' own protocols, each kept as
its JSON text on a :class:`ProtocolShelf` — one file per protocol in ``<data dir>/protocols/``
(a trainer can copy, mail or version them; ``export.json`` and ``import`` move them between
servers), or a row of the hub's PostgreSQL database with ``--store postgresql://…``.

Files are written atomically (temp file + replace) so a crash never leaves half a protocol; a
protocol that no longer validates is skipped with a warning rather than taking the list down.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import typing
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from presshold.errors import ConfigError, Conflict, NotFound
from presshold.server.sql_db import SqlDb
from presshold.training.protocols import BUILTIN_IDS, BUILTINS, Protocol, ProtocolBody, slugify
from presshold.treatment import describe

log = logging.getLogger("presshold.server")
ID_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")  # ids are file names: nothing else gets in


class ProtocolShelf(typing.Protocol):
    """Where the custom protocols are kept: each one's JSON text by id (ids already checked
    against :data:`ID_RE`)."""

    def items(self) -> list[tuple[str, str]]:
        """Every (id, text), by id; one that cannot be read is skipped with a warning."""
        ...

    def ids(self) -> set[str]: ...
    def text(self, pid: str) -> str | None:
        """The protocol's text, ``None`` when there is none."""
        ...

    def put(self, pid: str, text: str) -> None: ...
    def remove(self, pid: str) -> None: ...


class FileShelf:
    """``<data dir>/protocols/<id>.json``."""

    def __init__(self, data_dir: Path) -> None:
        self.dir = Path(data_dir) / "protocols"

    def _path(self, pid: str) -> Path:
        return self.dir / f"{pid}.json"

    def ids(self) -> set[str]:
        return {p.stem for p in self.dir.glob("*.json")} if self.dir.is_dir() else set()

    def items(self) -> list[tuple[str, str]]:
        found = []
        for pid in sorted(self.ids()):
            try:
                found.append((pid, self._path(pid).read_text(encoding="utf-8")))
            except (OSError, ValueError) as exc:
                log.warning("protocol %s skipped: %s", pid, exc)
        return found

    def text(self, pid: str) -> str | None:
        try:
            return self._path(pid).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise ConfigError(f"protocol {pid!r} is unreadable: {exc}") from None

    def put(self, pid: str, text: str) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=f".{pid}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, self._path(pid))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def remove(self, pid: str) -> None:
        self._path(pid).unlink(missing_ok=True)


class SqlShelf:
    """The ``protocols`` table of the hub's database (``pg_schema`` version 3)."""

    def __init__(self, db: SqlDb) -> None:
        self.db = db

    def ids(self) -> set[str]:
        with self.db.tx() as c:
            return {r["id"] for r in c.execute("SELECT id FROM protocols").fetchall()}

    def items(self) -> list[tuple[str, str]]:
        with self.db.tx() as c:
            rows = c.execute("SELECT id, body FROM protocols ORDER BY id").fetchall()
        return [(r["id"], r["body"]) for r in rows]

    def text(self, pid: str) -> str | None:
        with self.db.tx() as c:
            r = c.execute("SELECT body FROM protocols WHERE id = ?", (pid,)).fetchone()
        return None if r is None else str(r["body"])

    def put(self, pid: str, text: str) -> None:
        with self.db.tx() as c:
            c.execute(
                "INSERT INTO protocols (id, body) VALUES (?, ?)"
                " ON CONFLICT (id) DO UPDATE SET body = excluded.body",
                (pid, text),
            )

    def remove(self, pid: str) -> None:
        with self.db.tx() as c:
            c.execute("DELETE FROM protocols WHERE id = ?", (pid,))


def free_id(name: str, taken: set[str]) -> str:
    """The id for a new protocol called ``name``: its slug, numbered past the ids taken and the
    built-ins'."""
    base = slugify(name)
    pid, n = base, 2
    while pid in taken or pid in BUILTIN_IDS:
        pid, n = f"{base}-{n}", n + 1
    return pid


def protocol_text(body: ProtocolBody) -> str:
    """How a protocol is kept: its body as indented JSON (a file a trainer can read)."""
    return json.dumps(body.model_dump(exclude_none=True), indent=2, ensure_ascii=False) + "\n"


class ProtocolLibrary:
    """The built-ins and the shelf's protocols, validated; what the routes call."""

    def __init__(self, shelf: ProtocolShelf) -> None:
        self.shelf = shelf

    def all(self) -> list[Protocol]:
        found: list[Protocol] = list(BUILTINS)
        for pid, text in self.shelf.items():
            try:
                found.append(self._load(pid, text))
            except (ValueError, ValidationError) as exc:
                log.warning("protocol %s skipped: %s", pid, exc)
        return found

    @staticmethod
    def _load(pid: str, text: str) -> Protocol:
        body = ProtocolBody.model_validate(json.loads(text))
        return Protocol(id=pid, builtin=False, **body.model_dump())

    def get(self, pid: str) -> Protocol:
        for p in BUILTINS:
            if p.id == pid:
                return p
        text = self.shelf.text(pid) if ID_RE.fullmatch(pid) else None
        if text is None:
            raise NotFound(f"no protocol {pid!r}")
        try:
            return self._load(pid, text)
        except (ValueError, ValidationError) as exc:
            raise ConfigError(f"protocol {pid!r} is unreadable: {exc}") from None

    def _write(self, pid: str, body: ProtocolBody) -> Protocol:
        self.shelf.put(pid, protocol_text(body))
        return Protocol(id=pid, builtin=False, **body.model_dump())

    def create(self, body: ProtocolBody) -> Protocol:
        return self._write(free_id(body.name, self.shelf.ids()), body)

    def replace(self, pid: str, body: ProtocolBody) -> Protocol:
        self._writable(pid)
        return self._write(pid, body)

    def delete(self, pid: str) -> None:
        self._writable(pid)
        self.shelf.remove(pid)

    def _writable(self, pid: str) -> None:
        if pid in BUILTIN_IDS:
            raise Conflict(f"{pid!r} is a built-in protocol and read-only: copy it to change it")
        if not ID_RE.fullmatch(pid) or self.shelf.text(pid) is None:
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
