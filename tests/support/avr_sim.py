"""Build (with make, if stale) and run the firmware on simavr, its UART on a pty behind a link.

Skips when the AVR toolchain or simavr headers are missing, unless PRESSHOLD_REQUIRE_FIRMWARE=1
(CI), where a missing toolchain is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

HARDWARE = Path(__file__).resolve().parents[2] / "hardware"
BUILD = HARDWARE / "build"
FIRMWARE = BUILD / "presshold_hx711.elf"
BROKEN_FIRMWARE = BUILD / "presshold_hx711_broken.elf"
SIM = BUILD / "presshold_sim"
OFFSET = 84213
SCALE_COUNTS_PER_N = 42800.0


def _missing_toolchain() -> str | None:
    for tool in ("make", "avr-g++", "gcc", "pkg-config"):
        if shutil.which(tool) is None:
            return f"{tool} not found"
    if not Path("/usr/include/simavr/sim_avr.h").exists() and (
        subprocess.run(["pkg-config", "--exists", "simavr"], check=False).returncode != 0
    ):
        return "simavr headers (libsimavr-dev) not found"
    return None


def build(*targets: Path) -> None:
    """make the given outputs (skip or fail when the toolchain is missing)."""
    reason = _missing_toolchain()
    if reason is not None:
        if os.environ.get("PRESSHOLD_REQUIRE_FIRMWARE") == "1":
            pytest.fail(f"firmware toolchain required but {reason}")
        pytest.skip(f"firmware toolchain missing: {reason}")
    names = [str(t.relative_to(HARDWARE)) for t in targets]
    subprocess.run(["make", "-s", "-C", str(HARDWARE), *names], check=True, capture_output=True)


class AvrSim:
    """The simulator host as a context manager; ``link`` is the serial port path to open."""

    def __init__(
        self,
        link: Path,
        profile: Sequence[tuple[float, float]] = ((0.0, 0.0),),
        firmware: Path = FIRMWARE,
        duration_s: float = 0.0,
        unplug: tuple[float, float] | None = None,
        reset_at_s: float | None = None,
        wait_for_open: bool = False,
    ) -> None:
        build(firmware, SIM)
        self.link = Path(link)
        self.profile_path = self.link.with_suffix(".profile")
        self.profile_path.write_text("".join(f"{t} {f}\n" for t, f in profile))
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
        self.proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> AvrSim:
        self.proc = subprocess.Popen(
            self.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        while line and not line.startswith("pty "):  # simavr's own chatter comes first
            line = self.proc.stdout.readline()
        if not line.startswith("pty "):
            raise RuntimeError(
                f"simulator failed: {line}{self.proc.stderr.read() if self.proc.stderr else ''}"
            )
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None:
            for stream in (self.proc.stdout, self.proc.stderr):
                if stream is not None:
                    stream.close()
