"""The client book (on both engines: the data dir's file, PostgreSQL) and the CSV safety rule,
without the server."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from presshold.clinic.clients import ClientCreate, ClientFields
from presshold.clinic.export import _csv as csv_text
from presshold.clinic.repository import ClientBook, ClientRepository
from presshold.errors import ConfigError, NotFound, NotSaved
from presshold.server.store_factory import make_records

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")


def test_formula_cells_are_neutralised_and_quoted_numbers_kept() -> None:
    """The client export's CSVs go through the project's one writer (traceio.csv_safe)."""
    text = csv_text(("name", "force"), [('=HYPERLINK("http://x")', -1.5), ("ok, fine", None)])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1] == ['\'=HYPERLINK("http://x")', "-1.5"]
    assert rows[2] == ["ok, fine", ""]
    assert "\"'=HYPERLINK" in text  # text cells are quoted; the number is not
    assert ",-1.5\n" in text


@contextlib.contextmanager
def client_book(records_url: str | None, data_dir: Path) -> Iterator[ClientBook]:
    """The book a server on these records uses: the data dir's file, or PostgreSQL."""
    records = make_records(records_url, data_dir)
    records.trainer.open()  # opens the engine the three share
    try:
        yield records.clients
    finally:
        records.close()


def test_clients_created_listed_patched_deleted_and_kept(
    records_url: str | None, tmp_path: Path
) -> None:
    with client_book(records_url, tmp_path) as book:
        b = book.create(ClientCreate(name="  Bea Smith ", sensitivity="sensitive"))
        a = book.create(ClientCreate(name="alan", presets={"target_n": 15}))
        assert b.name == "Bea Smith" and b.id.startswith("c-") and b.id != a.id
        assert [c.name for c in book.list()] == ["alan", "Bea Smith"]
        assert a.preset_patch() is not None and a.preset_patch().target_n == 15  # type: ignore[union-attr]
        assert b.preset_patch() is None
        b2 = book.update(b.id, ClientFields(notes="left shoulder"))
        assert (b2.name, b2.notes, b2.sensitivity) == ("Bea Smith", "left shoulder", "sensitive")
        assert book.get(b.id) == b2 and book.exists(b.id) and not book.exists("c-nope")
        cleared = book.update(a.id, ClientFields.model_validate({"presets": None}))
        assert cleared.preset_patch() is None
        with pytest.raises(ConfigError, match="keep a name"):
            book.update(a.id, ClientFields.model_validate({"name": None}))
        with pytest.raises(NotFound):
            book.update("c-nope", ClientFields(notes="x"))
    with client_book(records_url, tmp_path) as again:  # a restart reads what was saved
        assert {c.id: c.notes for c in again.list()} == {a.id: None, b.id: "left shoulder"}
        assert again.get(b.id).presets is None and again.get(a.id).created_at == a.created_at
        again.delete(a.id)
        with pytest.raises(NotFound):
            again.get(a.id)
        with pytest.raises(NotFound):
            again.delete(a.id)
    with client_book(records_url, tmp_path) as third:
        assert [c.id for c in third.list()] == [b.id]


def test_bad_fields_are_refused() -> None:
    with pytest.raises(ValidationError):
        ClientCreate(name="   ")
    with pytest.raises(ValidationError):
        ClientCreate(name="x", sensitivity="numb")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        ClientCreate.model_validate({"name": "x", "presets": {"target": 3}})


def test_names_never_appear_in_repr(tmp_path: Path) -> None:
    client = ClientRepository(tmp_path).create(ClientCreate(name="Zelda Q", notes="migraine"))
    assert "Zelda" not in repr(client) and "migraine" not in repr(client)
    assert "Zelda" not in str(client)


@posix_only
def test_client_book_is_owner_only(tmp_path: Path) -> None:
    book = ClientRepository(tmp_path)
    book.create(ClientCreate(name="Bea"))
    assert stat.S_IMODE(os.stat(book.dir).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(book.path).st_mode) == 0o600
    assert json.loads(book.path.read_text())["clients"][0]["name"] == "Bea"


def test_a_damaged_book_is_kept_aside_not_overwritten(tmp_path: Path) -> None:
    book = ClientRepository(tmp_path)
    book.dir.mkdir()
    book.path.write_text("{not json")
    assert book.list() == []
    assert (book.dir / "clients.json.damaged").read_text() == "{not json"


@posix_only
def test_a_failed_save_changes_nothing(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root ignores directory permissions")
    book = ClientRepository(tmp_path)
    book.create(ClientCreate(name="Bea"))
    os.chmod(book.dir, 0o500)
    try:
        with pytest.raises(NotSaved):
            book.create(ClientCreate(name="Cy"))
    finally:
        os.chmod(book.dir, 0o700)
    assert [c.name for c in book.list()] == ["Bea"]
