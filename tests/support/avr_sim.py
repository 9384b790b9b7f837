"""Build (with make, if stale) and run the shipped firmware on simavr with the HX711 model.

The simulator host (hardware/sim/presshold_sim.c) puts the MCU's UART on a pty behind ``link`` and
holds the MCU in reset until something opens that port, so the reader sees the boot hello.

Skips when the AVR toolchain or simavr headers are missing, unless PRESSHOLD_REQUIRE_FIRMWARE=1
(CI), where a missing toolchain is a failure. Nothing is ever installed from here.

``PRESSHOLD_TEST_FIRMWARE=23_pulses`` (or ``lsb_first``) runs every firmware test against a build
broken on purpose: they must fail, which is how we know they look at what matters.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

HARDWARE = Path(__file__).resolve().parents[2] / "hardware"
BUILD = HARDWARE / "build"
_VARIANT = os.environ.get("PRESSHOLD_TEST_FIRMWARE", "")
FIRMWARE = BUILD / (f"presshold_hx711_{_VARIANT}.elf" if _VARIANT else "presshold_hx711.elf")
FIRMWARE_23_PULSES = BUILD / "presshold_hx711_23_pulses.elf"
FIRMWARE_LSB_FIRST = BUILD / "presshold_hx711_lsb_first.elf"
FSR_FIRMWARE = BUILD / "presshold_fsr.elf"
SIM = BUILD / "presshold_sim"
OFFSET = 84213
"""Load-cell model: counts = OFFSET + SCALE_COUNTS_PER_N * newtons (HX711 channel A, gain 128)."""
SCALE_COUNTS_PER_N = 42800.0

_built: set[Path] = set()


def fsr_counts(force_n: float) -> int:
    """The FSR sketch's reading for a force, as the simulator models it: an FSR 402 of about
    50 kOhm*N / F from 5 V to A0, 10 kOhm to GND, the 10-bit ADC referenced to 5 V (AVcc)."""
    if force_n <= 0:
        return 0
    millivolts = int(5000 * 10_000 / (10_000 + 50_000 / force_n) + 0.5)
    return millivolts * 1023 // 5000


def missing_toolchain() -> str | None:
    """Why the firmware cannot be built here, or None."""
    for tool in ("make", "avr-g++", "gcc", "pkg-config"):
        if shutil.which(tool) is None:
            return f"{tool} not found (Debian: gcc-avr avr-libc binutils-avr simavr libsimavr-dev)"
    probe = subprocess.run(
        ["pkg-config", "--exists", "simavr", "simavrparts"], check=False, capture_output=True
    )
    if probe.returncode != 0:
        return "simavr development files not found (Debian: libsimavr-dev)"
    return None


def require_toolchain() -> None:
    """Skip (or, with PRESSHOLD_REQUIRE_FIRMWARE=1, fail) when the toolchain is absent."""
    reason = missing_toolchain()
    if reason is None:
        return
    if os.environ.get("PRESSHOLD_REQUIRE_FIRMWARE") == "1":
        pytest.fail(f"PRESSHOLD_REQUIRE_FIRMWARE=1 but the firmware toolchain is missing: {reason}")
    pytest.skip(f"firmware toolchain missing: {reason}")


def build(*targets: Path) -> None:
    """``make`` the given outputs in hardware/ (make itself decides what is stale)."""
    require_toolchain()
    wanted = [t for t in targets if t not in _built]
    if not wanted:
        return
    names = [str(t.relative_to(HARDWARE)) for t in wanted]
    done = subprocess.run(
        ["make", "-C", str(HARDWARE), *names], check=False, capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.fail(f"make {' '.join(names)} failed:\n{done.stdout}\n{done.stderr}")
    _built.update(wanted)


class AvrSim:
    """The simulator host as a context manager; open ``link`` as a serial port to boot the MCU.

    ``profile`` is (simulated seconds, newtons) points, linearly interpolated, played from
    power-up, or, when ``hold_n`` is given, held at that force until ``send("play")``.
    ``unplug`` pulls the HX711's cable for (from, to) simulated seconds; ``reset_at_s`` presses
    the MCU's reset button. ``send`` does the same things at the moment a test decides to.
    ``rate_sps=10`` leaves the HX711's RATE pin low, as most modules are sold. ``fsr`` also feeds
    the force to A0 through an FSR divider (for the FSR sketch; see ``fsr_counts``).
    """

    def __init__(
        self,
        link: Path,
        profile: Sequence[tuple[float, float]] = ((0.0, 0.0),),
        firmware: Path = FIRMWARE,
        duration_s: float = 0.0,
        unplug: tuple[float, float] | None = None,
        reset_at_s: float | None = None,
        wait_for_open: bool = True,
        hold_n: float | None = None,
        rate_sps: int = 80,
        fsr: bool = False,
    ) -> None:
        build(firmware, SIM)
        self.link = Path(link)
        self.profile_path = self.link.with_suffix(".profile")
        self.profile_path.write_text("".join(f"{t} {f}\n" for t, f in profile))
        self.log_path = self.link.with_suffix(".log")
        self.args = [str(SIM), str(firmware), "--link", str(self.link)]
        self.args += ["--profile", str(self.profile_path)]
        self.args += ["--offset", str(OFFSET), "--scale", str(SCALE_COUNTS_PER_N)]
        if duration_s:
            self.args += ["--duration", str(duration_s)]
        if unplug:
            self.args += ["--unplug", f"{unplug[0]}:{unplug[1]}"]
        if reset_at_s is not None:
            self.args += ["--reset-at", str(reset_at_s)]
        if not wait_for_open:
            self.args.append("--no-wait")
        if rate_sps != 80:
            self.args += ["--rate", str(rate_sps)]
        if fsr:
            self.args.append("--fsr")
        if hold_n is not None:
            self.args += ["--force", str(hold_n)]
        self.proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> AvrSim:
        with open(self.log_path, "w") as log:  # the child keeps its own descriptor
            self.proc = subprocess.Popen(
                self.args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True
            )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        while line and not line.startswith("pty "):  # simavr's own chatter comes first
            line = self.proc.stdout.readline()
        if not line.startswith("pty "):
            self.proc.wait(5)
            raise RuntimeError(f"simulator failed to start:\n{self.log()}")
        return self

    def send(self, command: str) -> float:
        """``force N``, ``play``, ``unplug``, ``replug`` or ``reset``, applied at the current
        simulated time; returns that time (seconds since power-up) once the host has acted."""
        assert self.proc is not None and self.proc.stdin is not None and self.proc.stdout
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        for line in self.proc.stdout:  # "ready" may come first
            if line.startswith("at ") and line.split(" ", 2)[2].strip() == command:
                return float(line.split()[1])
        raise RuntimeError(f"simulator exited before acting on {command!r}:\n{self.log()}")

    def log(self) -> str:
        """The host's stderr: HX711 protocol errors as they happened, and its exit summary."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def summary(self) -> dict[str, float]:
        """The host's exit summary (after the ``with`` block): HX711 counters and timing."""
        line = next(ln for ln in reversed(self.log().splitlines()) if ln.startswith("hx711: "))
        fields = {
            "conversions": r"(\d+) conversions",
            "reads": r"(\d+) reads",
            "protocol_errors": r"(\d+) protocol errors",
            "power_downs": r"(\d+) power-downs",
            "longest_read_us": r"longest read ([\d.]+) us",
            "longest_sck_high_us": r"longest PD_SCK high ([\d.]+) us",
            "edges_with_interrupts_on": r"(\d+) clock edges with interrupts on",
            "mcu_resets": r"(\d+) MCU resets",
            "simulated_s": r"([\d.]+) s simulated",
            "wall_s": r"in ([\d.]+) s",
        }
        out = {}
        for name, pattern in fields.items():
            m = re.search(pattern, line)
            assert m, f"{name} missing from the summary: {line}"
            out[name] = float(m.group(1))
        return out

    def stop(self) -> int | None:
        """SIGTERM, as a user's Ctrl-C would; the host exits cleanly and prints its summary."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()
        return self.proc.returncode

    def __exit__(self, *exc: object) -> None:
        self.stop()
