"""Device commands: ``presshold ports``, ``presshold simulate --pty``, ``presshold calibrate``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add this module's subcommands to the presshold parser."""
    p = sub.add_parser("ports", help="list serial ports and which one would be used")
    p.set_defaults(handler=_ports)

    p = sub.add_parser("simulate", help="run a simulated sensor on a pseudo-terminal")
    p.add_argument("--pty", action="store_true", required=True, help="create a pty (Linux/macOS)")
    p.add_argument("--rate", type=float, default=80.0, help="samples per second, 10-1000")
    p.add_argument("--profile", type=Path, help="CSV trace (t_s,force_n) to loop instead of a hand")
    p.add_argument("--seed", type=int, default=None, help="hand model seed (default: random)")
    p.set_defaults(handler=_simulate)

    p = sub.add_parser("calibrate", help="tare and fit known weights, saved per sensor")
    p.add_argument("--source", default=None, help="port, URL or 'sim' (default: the one sensor)")
    p.add_argument("--data-dir", type=Path, default=None, help="where calibrations.json lives")
    p.set_defaults(handler=_calibrate)


def default_data_dir() -> Path:
    import platformdirs

    return platformdirs.user_data_path("presshold", appauthor=False)


def _ports(args: argparse.Namespace) -> int:
    import serial.tools.list_ports

    from presshold.errors import SourceError
    from presshold.firmware_bridge import choose_default_source
    from presshold.firmware_bridge.sources import LIKELY_VIDS

    for p in serial.tools.list_ports.comports():
        usb = f"USB {p.vid:04x}:{p.pid:04x} serial={p.serial_number}" if p.vid is not None else "-"
        likely = f"  <- likely sensor ({LIKELY_VIDS[p.vid]})" if p.vid in LIKELY_VIDS else ""
        print(f"{p.device}\t{p.description}\t{usb}{likely}")
    try:
        print(f"default source: {choose_default_source()}")
    except SourceError as exc:
        print(f"default source: none ({exc})")
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from presshold.errors import ConfigError
    from presshold.firmware_bridge.pty_sim import run_pty_simulator

    if not 10 <= args.rate <= 1000:
        raise ConfigError("--rate must be 10-1000 Hz")
    return run_pty_simulator(rate_hz=args.rate, profile=args.profile, seed=args.seed)


def _calibrate(args: argparse.Namespace) -> int:
    import time

    from presshold.errors import CalibrationError
    from presshold.firmware_bridge import choose_default_source, open_source

    data_dir = args.data_dir or default_data_dir()
    source = open_source(args.source or choose_default_source(), data_dir=data_dir)

    class Quiet:
        def on_readings(self, batch: object) -> None:
            pass

        def on_status(self, status: object) -> None:
            pass

    source.start(Quiet())
    try:
        time.sleep(1.5)
        st = source.status
        print(f"sensor {st.sensor} (id {st.sensor_id}) on {st.device}, unit {st.unit}")
        input("Remove all load from the sensor and keep it still, then press Enter: ")
        print(f"tare: offset {source.tare(0.5).offset_raw:.1f} raw")
        source.clear_calibration_points()
        source.tare(0.5)
        while True:
            grams = input("Place a known weight and type its mass in grams (Enter to finish): ")
            if not grams.strip():
                break
            try:
                point = source.add_calibration_point(float(grams) * 9.80665e-3, 1.0)
            except (ValueError, CalibrationError) as exc:
                print(f"  not taken: {exc}")
                continue
            print(f"  {point['known_n']:.3f} N at {point['raw']:.1f} raw")
        fit = source.fit_calibration()
        print(
            f"scale {fit['scale_n_per_raw']:.6g} N/raw, offset {fit['offset_raw']:.1f} raw, "
            f"nonlinearity {fit['nonlinearity_pct']:.2f} % of span; saved in {data_dir}"
        )
    except EOFError:
        print("aborted", file=sys.stderr)
        return 1
    finally:
        source.stop()
    return 0
