"""Pure parts of the network layer: the batch codec, topics, masked URLs, broker URLs, the
station spool, and the hub's exactly-once, in-order delivery — no broker needed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from presshold.errors import ConfigError
from presshold.firmware_bridge.source import ReadingBatch, SourceStatus
from presshold.network import codec, topics
from presshold.network.mqtt import parse_broker
from presshold.network.spool import Spool, SpoolFull
from presshold.server.remote_source import RemoteSource
from presshold.urls import mask

floats = st.floats(allow_nan=True, allow_infinity=True, width=64)


@given(
    st.integers(0, 2**63 - 1),
    st.integers(1, 2**40),
    st.lists(st.tuples(floats, floats, floats), max_size=60),
    st.booleans(),
)
def test_codec_round_trip_is_bit_exact(stream: int, seq: int, rows: list, replay: bool) -> None:
    cols = np.array(rows, dtype=float).reshape(-1, 3).T
    b = codec.Batch(stream, seq, max(1, seq - 3), cols[0], cols[1], cols[2], replay)
    data = codec.encode(b)
    assert len(data) == codec.HEADER.size + 24 * len(rows)
    out = codec.decode(data)
    assert (out.stream, out.seq, out.first, out.replay) == (stream, seq, b.first, replay)
    for x, y in ((out.t, b.t), (out.raw, b.raw), (out.force_n, b.force_n)):
        assert x.tobytes() == np.ascontiguousarray(y, "<f8").tobytes()
    assert codec.decode(codec.with_flags(data, not replay)).replay is not replay


@pytest.mark.parametrize(
    "data, why",
    [(b"", "shorter than a header"), (b"XXXX" + bytes(36), "magic"),
     (codec.encode(codec.Batch(1, 1, 1, *np.zeros((3, 2))))[:-1], "do not hold 2 samples")],
)  # fmt: skip
def test_codec_rejects_what_is_not_a_batch(data: bytes, why: str) -> None:
    with pytest.raises(codec.BadBatch, match=why):
        codec.decode(data)


def test_topics() -> None:
    assert topics.station("table-3", "cmd/tare") == "presshold/v1/stations/table-3/cmd/tare"
    assert topics.parse("presshold/v1/stations/table-3/cmd/tare") == ("table-3", "cmd/tare")
    for bad in ("presshold/v1/stations/Table 3/samples", "presshold/v1/stations/x", "other/a/b"):
        assert topics.parse(bad) is None


@pytest.mark.parametrize(
    "url, shown",
    [
        ("postgresql://u:s3cret@db.lan/presshold", "postgresql://u:***@db.lan/presshold"),
        ("postgresql://u@db.lan/p?password=s3cret&sslmode=require",
         "postgresql://u@db.lan/p?password=***&sslmode=require"),
        ("mqtts://table-3:p%40ss@broker:8883", "mqtts://table-3:***@broker:8883"),
        ("error: cannot reach mqtt://a:b@h:1 now", "error: cannot reach mqtt://a:***@h:1 now"),
        ("mqtt://broker.lan:1883", "mqtt://broker.lan:1883"),
    ],
)  # fmt: skip
def test_mask_hides_every_password(url: str, shown: str) -> None:
    assert mask(url) == shown


def test_broker_urls_and_credentials() -> None:
    b = parse_broker("mqtts://table-3:p%40ss@broker.lan", env={})
    assert (b.host, b.port, b.tls, b.username, b.password) == (
        "broker.lan", 8883, True, "table-3", "p@ss"
    )  # fmt: skip
    assert "p@ss" not in b.shown and "%40" not in b.shown
    env = {"PRESSHOLD_BROKER_USERNAME": "t1", "PRESSHOLD_BROKER_PASSWORD": "pw"}
    b = parse_broker("mqtt://127.0.0.1", env=env)
    assert (b.port, b.tls, b.username, b.password) == (1883, False, "t1", "pw")
    assert parse_broker("mqtt://h:1", "flag-user", "flag-pw", env=env).username == "flag-user"
    for bad in ("http://h", "mqtt://", "mqtt://h:99999", "tcp://a:b@h"):
        with pytest.raises(ConfigError, match="--broker") as err:
            parse_broker(bad, env={})
        assert ":b@" not in str(err.value)


def test_spool_keeps_batches_until_acknowledged_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    spool = Spool(path)
    stream = spool.stream
    for _ in range(5):
        spool.add(spool.reserve(), b"x" * 10)
    assert spool.ack(2) and not spool.ack(2)
    assert [s for s, _ in spool.after(0, 10)] == [3, 4, 5] and spool.first == 3
    spool.close()
    again = Spool(path)  # a station restarted (or killed) keeps its stream and its backlog
    assert (again.stream, again.next_seq, again.acked, again.pending) == (stream, 6, 2, 3)
    assert again.ack(99) and again.acked == 5  # never past what exists
    again.close()
    small = Spool(tmp_path / "small.sqlite3", max_bytes=25)
    small.add(small.reserve(), b"x" * 20)
    with pytest.raises(SpoolFull):
        small.add(small.reserve(), b"x" * 20)
    small.close()


class Sink:
    def __init__(self) -> None:
        self.got: list[tuple[float, bool]] = []
        self.statuses: list[SourceStatus] = []

    def on_readings(self, batch: ReadingBatch) -> None:
        raise AssertionError("remote batches go through on_remote_batch")

    def on_remote_batch(self, batch: ReadingBatch, live: bool) -> None:
        self.got += [(float(r), live) for r in batch.raw]

    def on_status(self, status: SourceStatus) -> None:
        self.statuses.append(status)


class NoLink:
    def request(self, *a: object) -> None:
        return None

    def send(self, *a: object) -> None:
        pass


def batch(seq: int, first: int = 1, stream: int = 7, replay: bool = False) -> codec.Batch:
    import time

    raw = np.array([2.0 * seq, 2.0 * seq + 1])
    t = time.time() + np.array([0.0, 0.0125]) - 0.1
    return codec.Batch(stream, seq, first, t, raw, raw, replay)


@given(st.permutations(list(range(1, 13))), st.lists(st.integers(1, 12), max_size=10))
def test_remote_source_delivers_each_batch_once_in_order(order: list, dups: list) -> None:
    src, sink = RemoteSource("t", NoLink()), Sink()
    src.start(sink)
    for seq in [*order, *dups]:
        src.on_batch(batch(seq))
    assert [r for r, _ in sink.got] == list(range(2, 26))
    assert src.delivered == (7, 12) and src.duplicates == len(dups)


def test_remote_source_after_a_hub_restart_and_a_new_station_spool() -> None:
    src, sink = RemoteSource("t", NoLink(), cursor=(7, 4)), Sink()
    src.start(sink)
    for seq in (3, 4, 5):  # 3 and 4 were stored before the restart
        src.on_batch(batch(seq, first=3))
    assert [r for r, _ in sink.got] == [10.0, 11.0]
    src.on_batch(batch(9, first=8))  # the station no longer holds 6-7 (its spool overflowed)
    assert src.delivered == (7, 5)
    src.on_batch(batch(8, first=8))
    assert [r for r, _ in sink.got][-4:] == [16.0, 17.0, 18.0, 19.0]
    src.on_batch(batch(1, first=1, stream=99))  # a new spool at the station: numbering restarts
    assert src.delivered == (99, 1)


def test_replayed_batches_are_recorded_not_live_and_the_station_shows_catching_up() -> None:
    src, sink = RemoteSource("t", NoLink()), Sink()
    src.start(sink)
    src.on_station_status({"online": True, "connected": True, "name": "T", "sensor": "hx711"})
    assert sink.statuses[-1].connected
    src.on_batch(batch(1))
    src.on_batch(batch(2, replay=True))
    assert not sink.statuses[-1].connected and "catching up" in (sink.statuses[-1].message or "")
    src.on_batch(batch(3))
    assert sink.statuses[-1].connected
    assert [live for _, live in sink.got] == [True, True, False, False, True, True]
    src.on_station_status({"online": False})
    assert not sink.statuses[-1].connected and "offline" in (sink.statuses[-1].message or "")


def test_samples_before_the_status_count_as_connected() -> None:
    """The retained status may arrive after the first batches: those must not be ingested while
    the station counts as disconnected (no session would start; they would be acknowledged
    without being recorded)."""
    src, sink = RemoteSource("t", NoLink()), Sink()
    src.start(sink)
    assert not sink.statuses[-1].connected
    src.on_batch(batch(1))
    assert sink.statuses[-1].connected and len(sink.got) == 2


def test_settings_repr_shows_no_secret() -> None:
    from presshold.server.config import load_settings

    settings = load_settings(
        {"store": "postgresql://u:pw1@db/x", "broker": "mqtt://a:pw2@b", "broker_password": "pw3"},
        env={},
    )
    assert not {"pw1", "pw2", "pw3"} & set(repr(settings).replace("'", " ").split())
    assert "pw" not in repr(settings)


def test_missing_engines_skip_or_fail_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    from support.services import require

    monkeypatch.delenv("PRESSHOLD_REQUIRE_SERVICES", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install mosquitto"):
        require("/nonexistent/mosquitto", "mosquitto")
    monkeypatch.setenv("PRESSHOLD_REQUIRE_SERVICES", "1")
    with pytest.raises(pytest.fail.Exception, match="PRESSHOLD_REQUIRE_SERVICES=1"):
        require("/nonexistent/mosquitto", "mosquitto")
