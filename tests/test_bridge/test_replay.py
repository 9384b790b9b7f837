"""Replaying a recorded CSV trace at real speed, and clear errors for bad files."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from support.collect import Collect

from presshold.errors import TraceFormatError
from presshold.firmware_bridge import ReplaySource, open_source


def test_replay_streams_the_trace_in_order(tmp_path: Path) -> None:
    csv = tmp_path / "trace.csv"
    t = np.arange(40) / 100.0
    csv.write_text("# session abc\nt_s,force_n\n" + "".join(f"{a},{a * 10}\n" for a in t))
    src = open_source(str(csv), data_dir=tmp_path)
    assert isinstance(src, ReplaySource) and src.status.rate_hz == pytest.approx(100)
    sink = Collect()
    src.start(sink)
    time.sleep(0.6)
    src.stop()
    np.testing.assert_allclose(sink.values(), t * 10)
    np.testing.assert_allclose(np.diff(sink.times()), 0.01, atol=1e-9)


def test_replay_of_a_parquet_export(tmp_path: Path) -> None:
    """``--source FILE.parquet``: the same replay from the Parquet export format."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "session.parquet"
    t = np.arange(40) / 100.0
    pq.write_table(pa.table({"t_s": t, "force_n": t * 10, "state": ["idle"] * 40}), path)
    src = open_source(str(path), data_dir=tmp_path)
    assert isinstance(src, ReplaySource) and src.status.rate_hz == pytest.approx(100)
    np.testing.assert_array_equal(src.raw, t * 10)
    bad = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"time": t, "force_n": t}), bad)
    with pytest.raises(TraceFormatError, match="no t_s column"):
        open_source(str(bad), data_dir=tmp_path)


def test_bad_trace_names_the_line(tmp_path: Path) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text("t_s,force_n\n0,1\n0.01,oops\n")
    with pytest.raises(TraceFormatError, match=":3:"):
        open_source(str(csv), data_dir=tmp_path)


def test_replay_faster_than_real_time(tmp_path: Path) -> None:
    """A 4 s trace at 8x: all of it, in order, in about half a second of stamps."""
    csv = tmp_path / "fast.csv"
    t = np.arange(400) / 100.0
    csv.write_text("t_s,force_kgf\n" + "".join(f"{a},{a}\n" for a in t))
    src = open_source(str(csv), data_dir=tmp_path, replay_speed=8)
    sink = Collect()
    src.start(sink)
    assert sink.wait(lambda: any(s.message == "replay finished" for s in sink.statuses), 10)
    src.stop()
    np.testing.assert_allclose(sink.values(), t * 9.80665)
    np.testing.assert_allclose(np.diff(sink.times()), 0.01 / 8, atol=1e-9)
