"""The PostgreSQL session store against a real server: the same answers as the SQLite store,
a versioned schema, and the outage promises of docs/storage.md (reported, spooled, written
exactly once when the database returns — also after the hub was killed during the outage)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import psycopg
import pytest
from support.services import Postgres
from support.store_checks import record, same_samples, same_view, wait

from presshold.errors import StorageError
from presshold.server import pg_schema
from presshold.server.pg_store import PgSessionStore
from presshold.server.store import SessionStore, StoreUnreadable


def test_same_answers_as_sqlite(pg_url: str, tmp_path: Path) -> None:
    sqlite, pg = SessionStore(tmp_path / "a"), PgSessionStore(pg_url, tmp_path / "b")
    for store in (sqlite, pg):
        store.open()
        record(store, "s1", 60, np.random.default_rng(7))
        store.update_session("s1", {"label": "upper trapezius", "notes": "left side tight"})
        record(store, "s2", 3, np.random.default_rng(8))
        store.delete_session("s2")
        store.set_cursor("mqtt:table-1", "abc:42")
        assert store.sync(5)
    try:
        same_view(sqlite, pg, "s1")
        (listed,) = pg.list_sessions()
        assert listed["points"] == ["trapezius", "levator scapulae"]  # in the order first marked
        meta = pg.get_session("s1")
        assert meta is not None
        assert [e["kind"] for e in meta["events"] if e["t_s"] == 1.0] == ["hold_end", "mark", "gap"]
        assert pg.get_session("s2") is None
        assert pg.cursor("mqtt:table-1") == sqlite.cursor("mqtt:table-1") == "abc:42"
        assert pg.cached_metrics("s1", 240) == {"metrics": {"time_in_band_s": 12.5}}
        assert pg.cached_metrics("s1", 239) is None
        assert pg.ok and pg.error is None
    finally:
        sqlite.close()
        pg.close()


def test_schema_is_versioned_and_migrated_once(pg_url: str, tmp_path: Path) -> None:
    for _ in range(2):  # a second start finds version 1 and changes nothing
        store = PgSessionStore(pg_url, tmp_path)
        store.open()
        assert store.sync(5)
        store.close()
    with psycopg.connect(pg_url) as con:
        assert con.execute("SELECT version FROM presshold_schema").fetchall() == [
            (pg_schema.SCHEMA_VERSION,)
        ]
        assert pg_schema.migrate(con) == pg_schema.SCHEMA_VERSION
        con.execute("UPDATE presshold_schema SET version = 99")
        con.commit()
        with pytest.raises(StorageError, match="newer than this PressHold"):
            pg_schema.migrate(con)


def test_a_crash_leaves_sessions_recovered_only_for_its_own_hub(
    pg_url: str, tmp_path: Path
) -> None:
    mine, other = PgSessionStore(pg_url, tmp_path / "mine"), PgSessionStore(pg_url, tmp_path / "x")
    for store, sid in ((mine, "a"), (other, "b")):
        store.open()
        store.create_session({"id": sid, "started_at": "2026-11-29T10:00:00Z"})
        assert store.sync(5)
    # "mine" is killed (never closed) and starts again; "other" is still running
    again = PgSessionStore(pg_url, tmp_path / "mine")
    again.open()
    assert again.sync(5)
    ended = {s["id"]: s["ended_at"] for s in again.list_sessions()}
    assert ended == {"a": "recovered", "b": None}
    for store in (again, other):
        store.close()


def test_database_outage_is_reported_spooled_and_written_once(
    postgres_server: Postgres, tmp_path: Path
) -> None:
    """PostgreSQL restarted mid-session: the store says so (URL masked), keeps the writes on
    disk, and writes every block exactly once when the server is back."""
    url = postgres_server.create_database()
    secret_url = url.replace("presshold@", "presshold:hunter2@")  # trust auth ignores it
    store = PgSessionStore(secret_url, tmp_path)
    store.open()
    reference = SessionStore(tmp_path / "ref")
    reference.open()
    rng = np.random.default_rng(1)
    t_next = 0.0

    def block() -> None:
        nonlocal t_next
        t = t_next + np.arange(4) / 80.0
        t_next = float(t[-1]) + 1 / 80.0
        f, raw = rng.normal(30, 2, 4), rng.normal(84000, 50, 4)
        for s in (store, reference):
            s.add_block("s1", t, f, raw)

    for s in (store, reference):
        s.create_session({"id": "s1", "started_at": "2026-11-29T10:00:00Z"})
    for _ in range(20):
        block()
    assert store.sync(5)
    postgres_server.stop("fast")
    try:
        for _ in range(40):
            block()
            time.sleep(0.02)
        wait(lambda: not store.ok)
        assert store.error is not None
        assert "hunter2" not in store.error and "presshold:***@" in store.error
        wait(lambda: store.spool.count > 0)
        assert "writes kept until it returns" in (store.error or "")
        with pytest.raises(StoreUnreadable) as unreadable:
            store.list_sessions()
        assert "hunter2" not in str(unreadable.value)
    finally:
        postgres_server.start()
    for _ in range(10):
        block()
    wait(lambda: store.ok and store.spool.count == 0, msg=lambda: store.error)
    assert store.sync(5)
    reference.sync(5)
    same_samples(store, reference, "s1", 70 * 4)
    store.close()
    reference.close()


def test_hub_killed_during_an_outage_loses_nothing_and_duplicates_nothing(
    postgres_server: Postgres, tmp_path: Path
) -> None:
    """The spool outlives the process: a new store on the same data dir writes it when the
    database is back; replaying ops already committed (killed between commit and removal from
    the spool) writes nothing twice."""
    url = postgres_server.create_database()
    first = PgSessionStore(url, tmp_path)
    first.open()
    first.create_session({"id": "s1", "started_at": "2026-11-29T10:00:00Z"})
    assert first.sync(5)
    postgres_server.stop("fast")
    try:
        for k in range(30):
            t = (np.arange(4) + 4 * k) / 80.0
            first.add_block("s1", t, t * 2, t * 3)
            first.add_event("s1", float(t[0]), "hold_start", {})
        assert first.sync(5)  # True: safe in the spool file, though not in the database
        assert first.spool.count == 60
        # "kill -9": the writer stops while the database is down (its last attempt fails);
        # the spool file remains for the next start
        first._ops.put(None)
        assert first._thread is not None
        first._thread.join(15)
        ops, _ = first.spool.head()
    finally:
        postgres_server.start()
    second = PgSessionStore(url, tmp_path)
    second.spool.load()
    second.spool.append(ops[:10])  # as if 10 committed ops had not been removed yet
    second.open()
    wait(lambda: second.spool.count == 0 and second.ok)
    t, f, raw = second.samples("s1")
    assert np.array_equal(t, np.arange(120) / 80.0)
    assert np.array_equal(f, t * 2) and np.array_equal(raw, t * 3)
    meta = second.get_session("s1")
    assert meta is not None and len(meta["events"]) == 30
    assert meta["ended_at"] == "recovered"
    second.close()
