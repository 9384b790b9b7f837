"""Which stored calibration a sensor gets (issue 12, item 8).

Clone boards have no USB serial number and every shipped sketch says ``sensor=hx711``: keyed by
that name alone, swapping boards silently applied another load cell's scale. The key is now the
best identity there is (serial number, else name + VID:PID + port), a match by the weaker one is
reported, and a damaged ``calibrations.json`` is kept aside instead of overwritten.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import serial.tools.list_ports
from support.collect import streaming
from support.pty_device import PtyDevice
from test_bridge.test_serial_pty import FakePort

from presshold.firmware_bridge.calibration import Calibration, CalibrationStore, generic_sensor_id

SCALE_A = 0.002


def _save(data_dir: Path, sensor_id: str, scale: float) -> None:
    CalibrationStore(data_dir).save(
        Calibration(offset_raw=0.0, scale_n_per_raw=scale, sensor_id=sensor_id)
    )


def test_serialless_boards_with_one_name_keep_separate_calibrations(tmp_path: Path) -> None:
    with PtyDevice(tmp_path / "ttyA") as a, PtyDevice(tmp_path / "ttyB") as b:
        _save(tmp_path, generic_sensor_id("hx711", None, a.path), SCALE_A)
        with streaming(a.path, data_dir=tmp_path) as (src, sink):
            a.send_hello(sensor="hx711", unit="raw")
            assert sink.wait(lambda: src.status.calibration_match == "generic")
            assert src.calibration.scale_n_per_raw == SCALE_A
            assert src.status.sensor_id == f"hx711 on {a.path}"
        with streaming(b.path, data_dir=tmp_path) as (src, sink):
            b.send_hello(sensor="hx711", unit="raw")
            assert sink.wait(lambda: src.status.sensor_id == f"hx711 on {b.path}")
            assert src.status.calibration_match is None  # nothing stored for this board
            assert not src.calibration.calibrated  # raw counts, not board A's scale


def test_a_usb_serial_number_is_the_identity_and_says_so(tmp_path: Path, monkeypatch) -> None:
    with PtyDevice(tmp_path / "ttyACM0") as dev:
        port = FakePort(os.path.realpath(dev.path), "PH-0042")
        monkeypatch.setattr(serial.tools.list_ports, "comports", lambda *a, **k: [port])
        _save(tmp_path, "PH-0042", SCALE_A)
        _save(tmp_path, generic_sensor_id("hx711", "2341:0043", dev.path), 9.0)  # not used
        with streaming(dev.path, data_dir=tmp_path) as (src, sink):
            dev.send_hello(sensor="hx711", unit="raw")
            assert sink.wait(lambda: src.status.calibration_match == "serial")
            assert src.status.sensor_id == "PH-0042"
            assert src.calibration.scale_n_per_raw == SCALE_A


def test_a_calibration_saved_under_the_old_bare_name_is_used_but_reported(tmp_path: Path) -> None:
    with PtyDevice(tmp_path / "ttyOld") as dev:
        _save(tmp_path, "hx711", SCALE_A)  # how earlier versions keyed a serial-less board
        with streaming(dev.path, data_dir=tmp_path) as (src, sink):
            dev.send_hello(sensor="hx711", unit="raw")
            assert sink.wait(lambda: src.status.calibration_match == "generic")
            assert src.calibration.scale_n_per_raw == SCALE_A
            assert src.calibration.sensor_id == f"hx711 on {dev.path}"  # saved under the new key


@pytest.mark.parametrize("damage", ["{ not json", "[1, 2, 3]", '"text"'])
def test_a_damaged_calibrations_file_is_kept_aside_not_overwritten(
    tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "calibrations.json"
    path.write_text(damage)
    store = CalibrationStore(tmp_path)
    assert store.load("anything") is None  # runs uncalibrated meanwhile
    _save(tmp_path, "new-sensor", 0.5)
    aside = sorted(tmp_path.glob("calibrations.json.damaged-*"))
    assert len(aside) == 1 and aside[0].read_text() == damage
    assert list(json.loads(path.read_text())) == ["new-sensor"]
    assert any("damaged" in r.getMessage() for r in caplog.records)
    _save(tmp_path, "other", 0.25)  # a healthy file is updated in place as before
    assert set(json.loads(path.read_text())) == {"new-sensor", "other"}
    assert len(list(tmp_path.glob("calibrations.json.damaged-*"))) == 1


@pytest.mark.browser
def test_the_live_page_says_when_a_calibration_was_matched_generically(tmp_path: Path) -> None:
    from support.browser import launch_browser
    from support.server import served_pty_sensor, wait_for

    _save(tmp_path / "data", generic_sensor_id("hx711", None, str(tmp_path / "tty-hx711")), 0.01)
    with served_pty_sensor(tmp_path, "hx711", unit="raw") as (dev, srv, _api):
        dev.start_stream(lambda t: 1000.0, label="raw")

        async def status() -> dict[str, object]:
            import websockets

            async with websockets.connect(srv.ws_url) as ws:
                return json.loads(await ws.recv())  # type: ignore[no-any-return]

        import asyncio

        wait_for(lambda: asyncio.run(status()).get("calibration_match") == "generic", 10.0)
        with launch_browser() as browser:
            page = browser.new_page()  # type: ignore[attr-defined]
            page.goto(srv.url)
            notice = page.locator("#calibration-notice.show")
            notice.wait_for(timeout=10000)
            assert "no USB serial number" in notice.inner_text()
            page.close()
