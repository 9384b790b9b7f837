"""Session metrics, CSV/JSON exports and bad requests, through the real server."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import numpy as np
import websockets
from support.csvfile import read_export
from support.server import ServerProcess, served_pty_sensor, wait_for


def press(t: float) -> float:
    """A 4 s cycle: rest 0.5 s, ramp 0.5 s to 30 N, hold 2.5 s, release."""
    c = t % 4.0
    if c < 0.5:
        return 0.0
    if c < 1.0:
        return 60.0 * (c - 0.5)
    return 30.0 if c < 3.5 else 0.0


def test_metrics_and_exports_of_a_recorded_pty_session(tmp_path: Path) -> None:
    with served_pty_sensor(tmp_path, "metrics-test", rate_hz=100, unit="N") as (dev, _, api):
        settings = {"target_n": 30, "tolerance_n": 3, "hold_s": 1.5, "min_hold_s": 0.5}
        api.put("/api/settings", json=settings).raise_for_status()
        sid = api.post("/api/sessions", json={"label": "trap L", "notes": "two\nlines"}).json()[
            "id"
        ]
        dev.start_stream(press)
        wait_for(lambda: _metrics(api, sid).get("holds_completed", 0) >= 2, 30, "two holds")
        dev.stop_stream()
        api.post("/api/sessions/current/stop").raise_for_status()
        first = api.get(f"/api/sessions/{sid}").json()  # stop is flushed within ~0.5 s
        wait_for(lambda: api.get(f"/api/sessions/{sid}").json()["samples"] == first["samples"])
        meta = wait_for(lambda: _stable(api, sid), 10, "store flushed")

        m = meta["metrics"]
        assert m["holds_completed"] >= 2 and m["samples"] == meta["samples"] > 300
        assert 29.0 < m["peak_n"] <= 30.0 and m["time_in_band_s"] > 3.0
        holds = meta["analysis"]["holds"]
        assert len(holds) >= 2 and all(abs(h["mean_n"] - 30) < 1.0 for h in holds if h["completed"])
        assert meta["settings"]["hold_s"] == 1.5

        csv_text = api.get(f"/api/sessions/{sid}/export.csv").text
        comments, header, rows = read_export(csv_text)
        assert comments["session_id"] == sid and comments["sensor"] == "metrics-test"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", comments["started_at"])
        assert comments["notes"] == "two lines"  # a newline cannot break out of the comment
        assert json.loads(comments["settings"])["target_n"] == 30
        assert json.loads(comments["calibration"])["unit"] == "N"
        assert "force_n=N" in comments["units"] and int(comments["samples"]) == meta["samples"]
        assert header[:6] == ["t_s", "force_n", "raw", "force_display_n", "force_detect_n", "state"]
        assert header[6:] == [
            "target_n",
            "band_lo_n",
            "band_hi_n",
            "hold_s",
            "grace_s",
            "min_hold_s",
        ]
        assert {tuple(r[6:]) for r in rows} == {("30.0", "27.0", "33.0", "1.5", "0.5", "0.5")}
        assert len(rows) == meta["samples"]  # one row per recorded sample, every sample
        states = {r[5] for r in rows}
        assert {"idle", "in_band"} <= states <= {"idle", "under", "in_band", "over"}
        values = np.array([[float(x) for x in r[:5]] for r in rows])
        assert np.all(np.diff(values[:, 0]) > 0)
        holding = values[[r[5] == "in_band" for r in rows]]
        assert np.all(np.abs(holding[:, 4] - 30) <= 3.0)  # the detection value is inside the band

        exported = api.get(f"/api/sessions/{sid}/export.json").json()
        assert exported["id"] == sid and exported["metrics"] == m
        assert exported["analysis"]["holds"] == holds
        assert {"hold_start", "hold_complete", "session_start"} <= {
            e["kind"] for e in exported["events"]
        }

        def listed() -> dict[str, object]:
            return next(s for s in api.get("/api/sessions").json() if s["id"] == sid)

        assert listed()["holds_completed"] == m["holds_completed"] and listed()["label"] == "trap L"
        wait_for(lambda: listed()["time_in_band_s"] == m["time_in_band_s"], what="cached metrics")

        out = tmp_path / "export.csv"
        out.write_text(csv_text)
        analysed = subprocess.run(
            [sys.executable, "-m", "presshold", "analyze", str(out), "--target", "30",
             "--tolerance", "3N", "--hold", "1.5", "--json"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert analysed.returncode == 0, analysed.stderr  # `presshold analyze` reads the export


def _metrics(api: httpx.Client, sid: str) -> dict[str, object]:
    r = api.get(f"/api/sessions/{sid}")
    assert r.status_code == 200, r.text
    return r.json()["metrics"]  # type: ignore[no-any-return]


def _stable(api: httpx.Client, sid: str) -> dict[str, object] | None:
    a = api.get(f"/api/sessions/{sid}").json()
    b = api.get(f"/api/sessions/{sid}").json()
    return b if a["samples"] == b["samples"] and b["ended_at"] else None


def test_bad_requests_are_json_4xx_never_500(tmp_path: Path) -> None:
    with ServerProcess(tmp_path) as srv, httpx.Client(base_url=srv.url, timeout=10) as api:
        sid = api.post("/api/sessions", json={"label": "x"}).json()["id"]
        cases = [
            ("PUT", "/api/settings", {"json": {"tolerance_n": -3}}, 422),
            ("PUT", "/api/settings", {"json": {"target_n": "thirty"}}, 422),
            ("PUT", "/api/settings", {"json": {"unit": "stone"}}, 422),
            ("PUT", "/api/settings", {"json": [1, 2]}, 422),
            ("PUT", "/api/settings", {"content": b'{"target_n": 3', "headers": _json}, 422),
            ("PUT", "/api/settings", {"content": b"\xff\xfe", "headers": _json}, 422),
            ("PUT", "/api/settings", {"content": b" " * 100_000, "headers": _json}, 413),
            ("POST", "/api/sessions", {"content": _chunks(), "headers": _json}, 413),
            ("POST", "/api/sessions", {"json": {"label": "l" * 201}}, 422),
            ("GET", "/api/sessions/nope", {}, 404),
            ("GET", "/api/sessions/..%2F..%2Fetc", {}, 404),
            ("PATCH", "/api/sessions/nope", {"json": {"label": "a"}}, 404),
            ("DELETE", "/api/sessions/nope", {}, 404),
            ("DELETE", f"/api/sessions/{sid}", {}, 409),
            ("POST", "/api/sessions/nope/marks", {"json": {"label": "a"}}, 409),
            ("POST", f"/api/sessions/{sid}/marks", {"json": {"label": ""}}, 422),
            ("POST", f"/api/sessions/{sid}/marks", {"json": {"label": "a", "t_s": 1e308}}, 422),
            ("POST", f"/api/sessions/{sid}/marks", {"json": {"label": "a", "t_s": 1.1e7}}, 422),
            ("GET", "/api/sessions/nope/export.csv", {}, 404),
            ("GET", "/api/sessions/nope/export.json", {}, 404),
            ("GET", f"/api/sessions/{sid}/trace?from_s=5&to_s=1", {}, 422),
            ("GET", f"/api/sessions/{sid}/trace?from_s=nan", {}, 422),
            ("GET", f"/api/sessions/{sid}/trace?max_points=10000000", {}, 422),
            ("POST", "/api/calibration/points", {"json": {"known_n": -1}}, 422),
            ("GET", "/api/nothing-here", {}, 404),
            ("DELETE", "/api/settings", {}, 405),
        ]
        for method, path, kw, status in cases:
            r = api.request(method, path, **kw)  # type: ignore[arg-type]
            assert r.status_code == status, (method, path, r.status_code, r.text)
            assert r.headers["content-type"].startswith("application/json"), (path, r.text)
            detail = r.json()["detail"]
            assert isinstance(detail, str) and len(detail) > 3, (path, detail)
        r = api.put("/api/settings", json={"tolerance_n": -3})
        assert "tolerance_n" in r.json()["detail"] and "greater than 0" in r.json()["detail"]
        assert api.get("/api/health").json()["status"] == "ok"
        assert "Traceback" not in srv.log()


_json = {"content-type": "application/json"}


def _chunks():  # type: ignore[no-untyped-def]
    """A chunked body (no Content-Length) that grows past the limit."""
    yield b'{"label": "'
    for _ in range(100):
        yield b"x" * 1024
    yield b'"}'


def test_point_labels_and_label_edits_reach_viewers_live(tmp_path: Path) -> None:
    with ServerProcess(tmp_path) as srv, httpx.Client(base_url=srv.url, timeout=10) as api:
        sid = api.post("/api/sessions", json={"label": "first"}).json()["id"]

        async def watch() -> dict[str, dict[str, object]]:
            seen: dict[str, dict[str, object]] = {}
            async with websockets.connect(srv.ws_url, max_size=None) as ws:
                mark = {"label": "upper trapezius", "side": "L"}
                r = await asyncio.to_thread(api.post, f"/api/sessions/{sid}/marks", json=mark)
                assert r.status_code == 201, r.text
                r = await asyncio.to_thread(api.patch, f"/api/sessions/{sid}", json={"label": "K"})
                assert r.json() == {"id": sid, "label": "K"}
                async with asyncio.timeout(10):
                    while len(seen) < 2:
                        m = json.loads(await ws.recv())
                        if m["type"] == "event" and m["kind"] == "mark":
                            seen["mark"] = m
                        session = m.get("session") or {}
                        if m["type"] == "status" and session.get("label") == "K":
                            seen["status"] = m
            return seen

        seen = asyncio.run(watch())
        assert seen["mark"]["label"] == "upper trapezius" and seen["mark"]["side"] == "L"
        assert seen["status"]["session"]["point"] == "upper trapezius L"  # type: ignore[index]
        meta = wait_for(lambda: api.get(f"/api/sessions/{sid}").json()["marks"], what="mark stored")
        assert meta[0]["label"] == "upper trapezius"  # type: ignore[index]


def test_an_export_right_after_stop_has_the_last_samples_and_the_end(tmp_path: Path) -> None:
    """Read-your-writes: the writer batches for up to 0.5 s, yet "stop" then "export" at once
    gives every sample the live view showed, up to the stop, and the end time; a label edit is
    visible to the very next GET."""
    with ServerProcess(tmp_path) as srv, httpx.Client(base_url=srv.url, timeout=10) as api:
        sid = api.post("/api/sessions", json={"label": "rw"}).json()["id"]

        async def watch_then_stop() -> float:
            last = -1.0
            async with websockets.connect(srv.ws_url, max_size=None) as ws:
                async with asyncio.timeout(20):
                    while last < 1.0:
                        m = json.loads(await ws.recv())
                        if m["type"] == "frame" and m["samples"]:
                            last = m["samples"][-1][0]
                r = await asyncio.to_thread(api.post, "/api/sessions/current/stop")
                assert r.status_code == 200 and r.json()["id"] == sid, r.text
            return last

        last_seen = asyncio.run(watch_then_stop())
        csv_text = api.get(f"/api/sessions/{sid}/export.csv").text  # no waiting in between
        meta = api.get(f"/api/sessions/{sid}").json()

        comments, _, rows = read_export(csv_text)
        ended = comments["ended_at"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", ended), ended
        assert meta["ended_at"] and meta["ended_at"] != "recovered"
        t = np.array([float(r[0]) for r in rows])
        assert len(rows) == meta["samples"]
        assert t[-1] >= last_seen - 1e-4  # every sample shown live before "stop" is exported
        end_t = next(e["t_s"] for e in meta["events"] if e["kind"] == "session_end")
        # the simulator hands over samples every 20 ms and "stop" ingests them first: the last
        # one is within about a frame of the end (0.1 s leaves room for a loaded CI machine;
        # an unflushed writer would lose up to 0.5 s)
        assert 0 <= end_t - t[-1] < 0.1, (end_t, t[-1])

        r = api.patch(f"/api/sessions/{sid}", json={"label": "after", "notes": "n"})
        assert r.json() == {"id": sid, "label": "after", "notes": "n"}
        again = api.get(f"/api/sessions/{sid}").json()
        assert (again["label"], again["notes"]) == ("after", "n")
        listed = next(s for s in api.get("/api/sessions").json() if s["id"] == sid)
        assert listed["label"] == "after" and listed["ended_at"] == meta["ended_at"]


def test_the_sessions_list_shows_time_in_band_without_opening_a_session(tmp_path: Path) -> None:
    """Analysed when a session ends (or, after a crash, at the next start); the recording session
    shows the live running figure. Nobody opens a session page here."""

    def listed(api: httpx.Client, sid: str) -> dict[str, object]:
        return next(s for s in api.get("/api/sessions").json() if s["id"] == sid)

    def recorded_a_second(api: httpx.Client, sid: str) -> bool:
        return float(listed(api, sid)["duration_s"]) > 1.0  # type: ignore[arg-type]

    with ServerProcess(tmp_path) as srv, httpx.Client(base_url=srv.url, timeout=10) as api:
        ended = api.post("/api/sessions", json={"label": "ended"}).json()["id"]
        wait_for(lambda: recorded_a_second(api, ended), what="a second recorded")
        api.post("/api/sessions/current/stop").raise_for_status()
        wait_for(lambda: listed(api, ended)["time_in_band_s"] is not None, what="analysed")
        assert isinstance(listed(api, ended)["time_in_band_s"], float)

        crashed = api.post("/api/sessions", json={"label": "crashed"}).json()["id"]
        wait_for(lambda: recorded_a_second(api, crashed), what="a second recorded")
        live = listed(api, crashed)
        assert live["ended_at"] is None and isinstance(live["time_in_band_s"], float)
        srv.kill()  # kill -9 while recording: nothing analysed this session

    with ServerProcess(tmp_path) as srv, httpx.Client(base_url=srv.url, timeout=10) as api:
        wait_for(lambda: listed(api, crashed)["time_in_band_s"] is not None, what="backfilled")
        row = listed(api, crashed)
        assert row["ended_at"] == "recovered"
        for sid in (ended, crashed):  # the same figure the session page computes
            detail = api.get(f"/api/sessions/{sid}").json()
            assert listed(api, sid)["time_in_band_s"] == detail["metrics"]["time_in_band_s"]


def test_a_corrupt_store_is_a_clear_503_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "sessions.sqlite3").write_bytes(b"this is not an SQLite database\n" * 200)
    with ServerProcess(tmp_path) as srv:
        for path in (
            "/api/sessions",
            "/api/sessions/20261123-100000-abcd",
            "/api/sessions/20261123-100000-abcd/trace",
            "/api/sessions/20261123-100000-abcd/export.csv",
            "/api/sessions/20261123-100000-abcd/export.json",
        ):
            r = httpx.get(srv.url + path, timeout=10)
            assert r.status_code == 503, (path, r.text)
            assert r.json()["detail"].startswith("session store unreadable: "), path
            assert "sessions.sqlite3" in r.json()["detail"]
        assert httpx.get(srv.url + "/api/health").json()["storage_ok"] is False
        assert "Traceback" not in srv.log()
