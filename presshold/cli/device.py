"""Device commands: ``presshold ports``, ``presshold simulate --pty``, ``presshold calibrate``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

BEHAVIOUR_NAMES = ("mark10", "dillon", "dillon-gs", "andilog", "gauge")
"""Gauge families ``simulate --gauge`` knows (``gauge_sim.BEHAVIOUR``; not imported at start-up)."""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add this module's subcommands to the presshold parser."""
    from presshold.cli import options

    p = sub.add_parser(
        "ports",
        help="list serial ports and which one would be used",
        description="List serial ports (USB ones with VID:PID and serial number, and "
        "pseudo-terminals such as 'presshold simulate --pty'), marking likely sensors and how "
        "each one's calibration is matched.",
    )
    p.add_argument("--data-dir", type=Path, default=None, help="where calibrations.json lives")
    p.set_defaults(handler=_ports)

    p = sub.add_parser(
        "simulate",
        help="run a simulated sensor on a pseudo-terminal",
        description="A simulated hand on a load cell that speaks the serial protocol on a "
        "pseudo-terminal; point 'presshold serve --source' at the path it prints.",
    )
    p.add_argument(
        "--pty", action="store_true", required=True, help="create a pty (Linux/macOS only)"
    )
    p.add_argument(
        "--rate", type=options.sim_rate, default=80.0, help="samples per second, 10-1000"
    )
    p.add_argument("--profile", type=Path, help="CSV trace (t_s,force_n) to loop instead of a hand")
    p.add_argument("--seed", type=int, default=None, help="hand model seed (default: random)")
    p.add_argument(
        "--gauge",
        choices=sorted(BEHAVIOUR_NAMES),
        help="simulate a commercial force gauge of this family instead of a PressHold sensor",
    )
    p.add_argument("--stream", action="store_true", help="gauge: continuous mode (dillon)")
    p.add_argument("--series4", action="store_true", help="gauge: a Mark-10 Series 4 (no ?C)")
    p.add_argument("--unit-every", type=float, default=0.0, help="gauge: switch unit every S s")
    p.add_argument("--corrupt-every", type=int, default=0, help="gauge: garble every Nth reply")
    p.add_argument(
        "--usb-latency", type=float, default=0.0, help="gauge: USB adapter latency timer, ms"
    )
    p.add_argument(
        "--button-at",
        type=float,
        default=None,
        metavar="N",
        help="a simulated client presses the patient button when the force reaches N newtons",
    )
    p.set_defaults(handler=_simulate)

    p = sub.add_parser("calibrate", help="tare and fit known weights, saved per sensor")
    p.add_argument("--source", default=None, help="port, URL or 'sim' (default: the one sensor)")
    p.add_argument("--data-dir", type=Path, default=None, help="where calibrations.json lives")
    p.set_defaults(handler=_calibrate)


def default_data_dir() -> Path:
    from presshold.server.config import default_data_dir as shared

    return shared()  # the same folder serve/sessions/export use


def _ports(args: argparse.Namespace) -> int:
    from presshold.errors import SourceError
    from presshold.firmware_bridge.ports import choose_default_source, list_ports

    ports = list_ports()
    if not ports:
        print("no serial ports found")
    stored = _stored_calibrations(args.data_dir or default_data_dir())
    rows = [("DEVICE", "DESCRIPTION", "VID:PID", "SERIAL", "CALIBRATION", "LIKELY SENSOR")]
    rows += [
        (
            p.device,
            p.description or "-",
            p.vid_pid or "-",
            p.serial_number or "-",
            _calibration_match(p.device, p.vid_pid, p.serial_number, stored),
            f"{p.likely} (--source {p.source})" if p.gauge else p.likely or "",
        )
        for p in ports
    ]
    if ports:
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        for r in rows:
            line = "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False))
            print(f"{line}  {r[5]}".rstrip())
    if any(not p.serial_number for p in ports):
        print(
            "\ngeneric: no USB serial number, so a calibration is matched by sensor name, "
            "VID:PID and port only;\nafter swapping the load cell or the board on that port, "
            "run 'presshold calibrate' again."
        )
    try:
        print(f"\n'presshold serve' without --source would use: {choose_default_source()}")
    except SourceError as exc:
        print(f"\n'presshold serve' needs --source: {exc}")
    return 0


def _stored_calibrations(data_dir: Path) -> set[str]:
    from presshold.firmware_bridge.calibration import CalibrationStore

    return set(CalibrationStore(data_dir).sensor_ids())


def _calibration_match(
    device: str, vid_pid: str | None, serial_number: str | None, stored: set[str]
) -> str:
    """How a sensor on this port finds its calibration, and whether one is stored."""
    if serial_number:
        return "serial (stored)" if serial_number in stored else "serial"
    tail = f"[{vid_pid}] on {device}" if vid_pid else f" on {device}"
    return "generic (stored)" if any(k.endswith(tail) for k in stored) else "generic"


def _simulate(args: argparse.Namespace) -> int:
    from presshold.errors import ConfigError
    from presshold.firmware_bridge.pty_sim import run_pty_simulator

    if args.gauge:
        from presshold.firmware_bridge.gauge_pty import run_gauge_simulator

        return run_gauge_simulator(
            args.gauge,
            stream=args.stream,
            series4=args.series4,
            unit_every_s=args.unit_every,
            corrupt_every=args.corrupt_every,
            usb_latency_s=args.usb_latency / 1000.0,
            seed=args.seed,
            profile=args.profile,
        )
    if not 10 <= args.rate <= 1000:
        raise ConfigError("--rate must be 10-1000 Hz")
    if args.button_at is not None and not args.button_at > 0:
        raise ConfigError("--button-at must be a force above 0 N")
    return run_pty_simulator(
        rate_hz=args.rate, profile=args.profile, seed=args.seed, button_at_n=args.button_at
    )


def parse_mass_n(text: str) -> float:
    """A known load as typed: grams by default, or ``kg``, ``g``, ``N``, ``kgf``, ``lbf``."""
    from presshold.errors import ConfigError
    from presshold.signal.units import FORCE_UNITS, KGF_N

    s = text.strip().replace(" ", "")
    for suffix, n_per_unit in (
        ("kgf", KGF_N),
        ("lbf", FORCE_UNITS["lbf"]),
        ("kg", KGF_N),
        ("g", KGF_N / 1000.0),
        ("N", 1.0),
        ("", KGF_N / 1000.0),
    ):
        if s.endswith(suffix):
            try:
                value = float(s[: len(s) - len(suffix)])
            except ValueError:
                break
            if value > 0:
                return value * n_per_unit
            break
    raise ConfigError(f"cannot read {text!r}: type a mass such as 500, 500g, 2kg, 20N or 4.4lbf")


def _calibrate(args: argparse.Namespace) -> int:
    import time

    from presshold.errors import CalibrationError, ConfigError
    from presshold.firmware_bridge import choose_default_source, open_source
    from presshold.server.private_files import make_private

    data_dir = args.data_dir or default_data_dir()
    make_private(data_dir)  # calibrations.json beside sessions that may name patients
    source = open_source(args.source or choose_default_source(), data_dir=data_dir)

    class Quiet:
        def on_readings(self, batch: object) -> None:
            pass

        def on_status(self, status: object) -> None:
            pass

    def retry(step, what: str):  # type: ignore[no-untyped-def]
        while True:
            try:
                return step()
            except CalibrationError as exc:
                input(f"  {what} not taken: {exc}. Press Enter to try again: ")

    source.start(Quiet())
    try:
        end = time.monotonic() + 5.0
        while not source.status.connected and time.monotonic() < end:
            time.sleep(0.1)
        time.sleep(1.0)  # a hello and a second of readings
        st = source.status
        if not st.connected:
            print(f"no sensor on {st.source}: {st.message or 'not connected'}", file=sys.stderr)
            return 1
        print(f"sensor {st.sensor} (id {st.sensor_id}) on {st.device}, unit {st.unit}")
        source.clear_calibration_points()
        input("1. Remove all load from the sensor and keep it still, then press Enter: ")
        cal = retry(lambda: source.tare(0.5), "tare")
        print(f"   zero at {cal.offset_raw:.1f} raw")
        print("2. Known weights: 2-4 masses across the working range (e.g. 1, 3, 6 kg).")
        while True:
            text = input(
                "   Place one, keep it still, type its mass (500g, 2kg, 20N; Enter ends): "
            )
            if not text.strip():
                break
            try:
                known_n = parse_mass_n(text)
            except ConfigError as exc:
                print(f"   {exc}")
                continue
            point = retry(lambda k=known_n: source.add_calibration_point(k, 1.0), "weight")
            print(f"   {point['known_n']:.3f} N at {point['raw']:.1f} raw")
        try:
            fit = source.fit_calibration()
        except CalibrationError as exc:
            print(f"not calibrated: {exc}; the tare is saved", file=sys.stderr)
            return 1
        residuals = ", ".join(f"{r:+.3f}" for r in fit["residuals_n"])  # type: ignore[attr-defined]
        print(
            f"scale {fit['scale_n_per_raw']:.6g} N/raw, zero {fit['offset_raw']:.1f} raw; "
            f"residuals {residuals} N; non-linearity {fit['nonlinearity_pct']:.2f} % of span.\n"
            f"Saved for sensor {fit['sensor_id']} in {data_dir / 'calibrations.json'}"
        )
    except EOFError:
        print("\naborted; nothing more saved", file=sys.stderr)
        return 1
    finally:
        source.stop()
    return 0
