"""GaugeSource and simulated gauges on a real pty, in-process: tare, fallback, sign, silence."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from support.collect import Collect

from presshold.firmware_bridge import open_source
from presshold.firmware_bridge.gauge_pty import GaugePty
from presshold.firmware_bridge.gauge_sim import SimulatedGauge
from presshold.firmware_bridge.gauge_source import GaugeSource


def wait_until(pred: Callable[[], object], timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < end, "condition not met in time"
        time.sleep(0.02)


@contextmanager
def gauge_source(
    tmp_path: Path, gauge: SimulatedGauge, spec: str
) -> Iterator[tuple[GaugeSource, Collect]]:
    with GaugePty(gauge, tmp_path / "ttyGAUGE") as sim:
        src = open_source(spec.format(port=sim.path), data_dir=tmp_path)
        assert isinstance(src, GaugeSource)
        sink = Collect()
        src.start(sink)
        try:
            wait_until(lambda: src.status.connected)
            yield src, sink
        finally:
            src.stop()


def test_tare_uses_the_gauges_own_zero_command(tmp_path: Path) -> None:
    gauge = SimulatedGauge("mark10", lambda t: 3.25)
    with gauge_source(tmp_path, gauge, "mark10:{port}") as (src, sink):
        assert sink.wait_more(30)[-1] == pytest.approx(3.25)
        cal = src.tare(0.2)
        assert gauge.offset_n == pytest.approx(3.25)  # the gauge itself now reads zero
        assert cal.offset_raw == 0.0 and cal.sensor_id == f"mark10:{tmp_path / 'ttyGAUGE'}"
        assert sink.wait_more(10)[-5:] == [0.0] * 5
        assert "zeroed by its own zero command" in (src.status.message or "")


def test_tare_without_a_zero_command_is_done_in_software(tmp_path: Path) -> None:
    gauge = SimulatedGauge("gauge", lambda t: 7.0)
    with gauge_source(tmp_path, gauge, "gauge:{port}?request=D") as (src, sink):
        sink.wait_more(20)
        cal = src.tare(0.2)
        assert gauge.offset_n == 0.0 and cal.offset_raw == pytest.approx(7.0)
        assert sink.wait_more(5)[-1] == pytest.approx(0.0)


def test_a_zero_command_the_gauge_ignores_falls_back_to_software(tmp_path: Path) -> None:
    gauge = SimulatedGauge("gauge", lambda t: 7.0)
    with gauge_source(tmp_path, gauge, "gauge:{port}?request=D&zero=NOPE") as (src, sink):
        sink.wait_more(20)
        cal = src.tare(0.2)
        assert cal.offset_raw == pytest.approx(7.0)
        assert "ignored its zero command" in (src.status.message or "")


def test_a_series_4_mark10_is_polled_with_question_mark(tmp_path: Path) -> None:
    gauge = SimulatedGauge("mark10", lambda t: 1.5, series4=True)
    with gauge_source(tmp_path, gauge, "mark10:{port}") as (src, sink):
        assert sink.wait_more(20)[-1] == pytest.approx(1.5)
        assert any("polling with '?'" in m for m in src.status.device_messages)
        wait_until(lambda: src.status.rejected.get("error_reply", 0) >= 2)


def test_compression_negative_gauges_read_positive(tmp_path: Path) -> None:
    gauge = SimulatedGauge("dillon", lambda t: 4.0, compression_sign=-1.0)
    with gauge_source(tmp_path, gauge, "dillon:{port}?compression=negative") as (_, sink):
        assert sink.wait_more(10)[-1] == pytest.approx(4.0)


def test_stamps_increase_and_the_rate_is_reported(tmp_path: Path) -> None:
    gauge = SimulatedGauge("mark10", lambda t: 1.0)
    with gauge_source(tmp_path, gauge, "mark10:{port}") as (src, sink):
        wait_until(lambda: src.status.rate_hz is not None)
        t = sink.times()
        assert np.all(np.diff(t) > 0)
        assert src.status.rate_hz > 20  # type: ignore[operator]
        assert "readings/s (polling '?C', 2 in flight)" in (src.status.message or "")


def test_a_gauge_that_does_not_answer_is_reported(tmp_path: Path) -> None:
    gauge = SimulatedGauge("mark10", lambda t: 1.0)  # waits for a CR that 'F' never sends
    with gauge_source(tmp_path, gauge, "andilog:{port}") as (src, sink):
        wait_until(lambda: "does not answer 'F'" in (src.status.message or ""), timeout=6)
        assert sink.count() == 0 and src.status.connected


def test_a_gauge_whose_output_is_switched_on_later_is_read_then(tmp_path: Path) -> None:
    gauge = SimulatedGauge("gauge", lambda t: 2.0)
    gauge.serial_output = False  # switched off in the gauge's menu
    with gauge_source(tmp_path, gauge, "gauge:{port}?request=D") as (src, sink):
        wait_until(lambda: "does not answer 'D'" in (src.status.message or ""), timeout=6)
        assert "baud rate (9600)" in (src.status.message or "")
        gauge.serial_output = True
        assert sink.wait_more(5, timeout=6)[-1] == pytest.approx(2.0)
        assert "does not answer" not in (src.status.message or "")
        wait_until(lambda: src.status.rejected.get("no_reply", 0) >= 3)  # requests given up
