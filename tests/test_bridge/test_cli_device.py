"""``presshold ports``, default-port choice, ``simulate --pty`` on Windows, ``calibrate``."""

from __future__ import annotations

import builtins
import json
import sys
import threading
import time

import pytest
import serial.tools.list_ports
from support.pty_device import PtyDevice

from presshold.cli import main
from presshold.cli.device import parse_mass_n
from presshold.errors import ConfigError, SourceError
from presshold.firmware_bridge import choose_default_source


class FakePort:
    """What pyserial's port listing reports (we have no USB hardware here)."""

    def __init__(self, device: str, vid: int | None, serial: str | None, desc: str) -> None:
        self.device, self.vid, self.pid = device, vid, None if vid is None else 0x7523
        self.serial_number, self.description = serial, desc


@pytest.fixture
def ports(monkeypatch: pytest.MonkeyPatch) -> list[FakePort]:
    listed: list[FakePort] = []
    monkeypatch.setattr(serial.tools.list_ports, "comports", lambda *a, **k: list(listed))
    return listed


def test_ports_lists_identity_and_marks_likely_sensors(ports, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ports += [
        FakePort("/dev/ttyS0", None, None, "n/a"),
        FakePort("/dev/ttyUSB0", 0x1A86, "5A7B0012", "USB Serial"),
    ]
    assert main(["ports", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("/dev/ttyUSB0"))
    assert "1a86:7523" in row and "5A7B0012" in row and row.endswith("CH340")
    assert not next(ln for ln in out.splitlines() if ln.startswith("/dev/ttyS0")).endswith("CH340")
    assert "would use: /dev/ttyUSB0" in out


def test_ports_tell_how_each_board_finds_its_calibration(ports, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A clone without a USB serial number is matched by name + VID:PID + port: say so."""
    from presshold.firmware_bridge.calibration import (
        Calibration,
        CalibrationStore,
        generic_sensor_id,
    )

    ports += [
        FakePort("/dev/ttyUSB0", 0x1A86, None, "USB Serial"),  # a CH340 clone: no serial number
        FakePort("/dev/ttyACM0", 0x2341, "PH-7", "Arduino Uno"),
    ]
    store = CalibrationStore(tmp_path)
    store.save(Calibration(sensor_id=generic_sensor_id("hx711", "1a86:7523", "/dev/ttyUSB0")))
    assert main(["ports", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    clone = next(line for line in out.splitlines() if line.startswith("/dev/ttyUSB0"))
    uno = next(line for line in out.splitlines() if line.startswith("/dev/ttyACM0"))
    assert "generic (stored)" in clone and "serial" in uno and "stored" not in uno
    assert "after swapping the load cell" in out


def test_default_source_explains_none_and_several(ports) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SourceError, match=r"no USB serial sensor found.*--source sim"):
        choose_default_source()
    ports += [
        FakePort("/dev/ttyACM0", 0x2341, "A1", "Arduino Uno"),
        FakePort("/dev/ttyUSB0", 0x0403, "F1", "FT232R"),
    ]
    with pytest.raises(SourceError, match=r"2 possible sensors.*ttyACM0 \(Arduino.*FTDI"):
        choose_default_source()
    ports.pop()
    assert choose_default_source() == "/dev/ttyACM0"


def test_serve_without_source_says_why(ports, capsys) -> None:  # type: ignore[no-untyped-def]
    # port 0: any free port, so a PressHold already running on 8000 (a demo) does not matter
    assert main(["serve", "--data-dir", "/nonexistent-not-used", "--http-port", "0"]) == 2
    assert "no USB serial sensor found" in capsys.readouterr().err


def test_simulate_pty_on_windows_is_a_clear_error(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(sys.modules, "pty", None)  # as on Windows: no pty module
    assert main(["simulate", "--pty"]) == 2
    err = capsys.readouterr().err
    assert "Windows" in err and "--source sim" in err and "Traceback" not in err


def test_mass_parsing() -> None:
    assert parse_mass_n("500") == pytest.approx(4.903325)
    assert parse_mass_n("2 kg") == pytest.approx(19.6133)
    assert parse_mass_n("20N") == 20.0
    assert parse_mass_n("1kgf") == pytest.approx(9.80665)
    assert parse_mass_n("10lbf") == pytest.approx(44.482216)
    for bad in ("", "heavy", "-3kg", "0"):
        with pytest.raises(ConfigError):
            parse_mass_n(bad)


def test_calibrate_walks_through_tare_and_weights_over_serial(
    tmp_path, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    """The terminal walk-through on a real pty sensor: tare, one 500 g weight, fit, saved."""
    level = {"raw": 1000.0}
    answers = iter(["", "500g", "", ""])  # tare, weight, (retry while it settles), finish

    def scripted_input(prompt: str = "") -> str:
        if "mass" in prompt and level["raw"] == 1000.0:
            level["raw"] = 1500.0  # the weight goes on before its mass is typed
            time.sleep(1.2)
        elif "try again" in prompt:
            time.sleep(0.3)
            return ""
        return next(answers)

    monkeypatch.setattr(builtins, "input", scripted_input)
    with PtyDevice(tmp_path / "ttyCAL", rate_hz=100) as dev:
        stop = threading.Event()

        def hello_until_stopped() -> None:  # like firmware answering the host's '?'
            while not stop.wait(0.2):
                dev.send_hello(sensor="cli-cal", rate=100, unit="raw")

        hellos = threading.Thread(target=hello_until_stopped, daemon=True)
        hellos.start()
        dev.start_stream(lambda t: level["raw"], label="raw")
        try:
            code = main(["calibrate", "--source", dev.path, "--data-dir", str(tmp_path)])
        finally:
            stop.set()
            hellos.join()
    out = capsys.readouterr().out
    assert code == 0, out
    assert "sensor cli-cal" in out and "zero at 1000.0 raw" in out and "non-linearity" in out
    stored = json.loads((tmp_path / "calibrations.json").read_text())[f"cli-cal on {dev.path}"]
    assert stored["offset_raw"] == pytest.approx(1000.0)
    assert stored["scale_n_per_raw"] == pytest.approx(0.5 * 9.80665 / 500)


class FakeGaugePort(FakePort):
    def __init__(self, device: str, vid: int, pid: int, manufacturer: str | None = None) -> None:
        super().__init__(device, vid, "G1", "USB Serial Device")
        self.pid, self.manufacturer, self.product = pid, manufacturer, None


def test_ports_offers_a_known_gauge_with_its_source_spec(ports, capsys) -> None:  # type: ignore[no-untyped-def]
    ports += [FakeGaugePort("/dev/ttyACM3", 0x0483, 0xA1AD)]
    assert main(["ports"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("/dev/ttyACM3"))
    assert row.endswith("Mark-10 gauge (--source mark10:/dev/ttyACM3)")
    assert "would use: mark10:/dev/ttyACM3" in out
    assert choose_default_source() == "mark10:/dev/ttyACM3"


def test_a_gauge_is_known_by_its_makers_name_but_not_by_a_shared_vendor_id(ports) -> None:  # type: ignore[no-untyped-def]
    from presshold.firmware_bridge import list_ports

    ports += [
        FakeGaugePort("/dev/ttyUSB4", 0x0403, 0x6001, manufacturer="ANDILOG Technologies"),
        FakeGaugePort("/dev/ttyACM5", 0x0483, 0x5740),  # an STM32 board, not a gauge
    ]
    listed = {p.device: p for p in list_ports()}
    assert listed["/dev/ttyUSB4"].source == "andilog:/dev/ttyUSB4"
    assert listed["/dev/ttyUSB4"].likely == "Andilog Centor gauge"
    assert listed["/dev/ttyACM5"].gauge is None and listed["/dev/ttyACM5"].source == "/dev/ttyACM5"
