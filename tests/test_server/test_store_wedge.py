"""The store never wedges and never loses a sample silently (issue 12, item 3).

A write SQLite refuses for good (a duplicate key, a bad statement) must not sit first in the retry
list holding every later write behind it; a backlog cut while the disk fails must be counted and
named. Session ids must not collide however fast sessions start.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
from support.server import wait_for

from presshold.server import store as store_module
from presshold.server.recorder import new_session_id
from presshold.server.store import SessionStore, is_transient


@pytest.fixture
def store(tmp_path: Path):
    s = SessionStore(tmp_path)
    s.open()
    yield s
    s.close()


def test_a_refused_write_is_dropped_loudly_and_later_writes_still_land(
    store: SessionStore, caplog: pytest.LogCaptureFixture
) -> None:
    store.create_session({"id": "a", "started_at": "2026-11-29T10:00:00Z"})
    assert store.sync()
    store.create_session({"id": "a", "started_at": "2026-11-29T10:00:01Z"})  # duplicate: refused
    store.create_session({"id": "b", "started_at": "2026-11-29T10:00:02Z"})
    store.add_block("b", np.arange(50.0), np.ones(50), np.ones(50))
    assert store.sync() is True  # nothing left waiting behind the refused write
    assert store.ok
    assert store.error is not None and "1 write(s) dropped" in store.error
    assert "UNIQUE" in store.error
    assert store.dropped_writes == 1 and store.lost_samples == 0
    got = store.get_session("b")
    assert got is not None and got["samples"] == 50
    assert any("dropped" in r.getMessage() and r.levelname == "ERROR" for r in caplog.records)
    store.add_block("b", np.arange(50.0, 60.0), np.ones(10), np.ones(10))
    assert store.sync() and store.get_session("b")["samples"] == 60  # type: ignore[index]


def test_a_refused_block_counts_its_samples(store: SessionStore) -> None:
    def bad(c: sqlite3.Connection) -> None:
        c.execute("INSERT INTO no_such_table VALUES (1)")

    store.submit(bad, samples=123)
    store.create_session({"id": "c", "started_at": "2026-11-29T10:00:00Z"})
    assert store.sync() and store.ok
    assert store.lost_samples == 123 and "123 sample(s) not saved" in (store.error or "")
    assert store.get_session("c") is not None


def test_a_backlog_cut_on_a_full_disk_is_counted_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every submitted sample ends up either stored or counted as lost: none vanishes."""
    monkeypatch.setattr(store_module, "MAX_BACKLOG", 40)
    s = SessionStore(tmp_path, max_bytes=64 * 1024)
    s.open()
    try:
        s.create_session({"id": "full", "started_at": "2026-11-29T10:00:00Z"})
        block = np.arange(1000.0)
        submitted = 0
        for i in range(150):  # 150 x 24 kB against a 64 kB quota: most must wait, then be cut
            s.add_block("full", block + i * 1000, block, block)
            submitted += block.size
            if i % 10 == 0:
                s.sync(0.2)
        wait_for(lambda: s.lost_samples > 0, what="a backlog cut")
        assert not s.ok and "not saved" in (s.error or "") and "full" in (s.error or "")
        s.submit(lambda c: c.execute("PRAGMA max_page_count = 1000000"), grows=False)  # disk freed
        wait_for(lambda: s.sync() and s.ok, what="the store writable again")
        stored = s.get_session("full")["samples"]  # type: ignore[index]
        assert stored + s.lost_samples == submitted
        assert stored > 0 and "not saved" in (s.error or "")  # the loss stays reported
    finally:
        s.close()


def test_failures_are_classified_by_cause() -> None:
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE t (id PRIMARY KEY)")
    con.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(sqlite3.IntegrityError) as dup:
        con.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(sqlite3.OperationalError) as missing:
        con.execute("SELECT * FROM nowhere")
    full = sqlite3.OperationalError("database or disk is full")
    full.sqlite_errorcode = sqlite3.SQLITE_FULL  # type: ignore[attr-defined]
    assert not is_transient(dup.value) and not is_transient(missing.value)
    assert is_transient(full) and is_transient(OSError(28, "No space left on device"))


def test_session_ids_never_collide_and_sort_by_start() -> None:
    ids = [new_session_id() for _ in range(20_000)]  # far more than fit in one second's ticks
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
