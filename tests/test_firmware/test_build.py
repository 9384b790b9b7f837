"""Both sketches build with the Debian AVR toolchain, fit the Uno, and format lines the bridge
parses; a missing toolchain skips (or fails when PRESSHOLD_REQUIRE_FIRMWARE=1)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from support.avr_sim import FIRMWARE, FSR_FIRMWARE, HARDWARE, build, require_toolchain

from presshold.firmware_bridge.protocol import LineParser

FORMAT_H = HARDWARE / "presshold_hx711" / "presshold_format.h"


def test_sketches_build_and_fit_an_uno() -> None:
    build(FIRMWARE, FSR_FIRMWARE)
    for elf in (FIRMWARE, FSR_FIRMWARE):
        size = subprocess.run(["avr-size", str(elf)], check=True, capture_output=True, text=True)
        text, data, bss = map(int, size.stdout.splitlines()[1].split()[:3])
        assert text + data <= 32_256 - 512, size.stdout  # flash minus the Optiboot bootloader
        assert data + bss <= 2048 - 512, size.stdout  # SRAM, leaving room for the stack


def test_each_sketch_folder_is_named_like_its_ino_and_shares_the_formatter() -> None:
    for folder in ("presshold_hx711", "presshold_fsr"):
        assert (HARDWARE / folder / f"{folder}.ino").is_file()
    # the Arduino IDE only compiles files inside the sketch folder, hence two copies
    copy = HARDWARE / "presshold_fsr" / "presshold_format.h"
    assert copy.read_bytes() == FORMAT_H.read_bytes()


def compile_harness(source: str, exe: Path) -> Path:
    """``source`` (C99 including the sketches' formatter) built for the host as ``exe``: the
    firmware's formatting checked by the bridge's own parser, no AVR simulation needed."""
    require_toolchain()
    c_file = exe.with_suffix(".c")
    c_file.write_text(source)
    cc = [shutil.which("gcc") or "gcc", "-std=c99", "-Wall", "-Werror", f"-I{FORMAT_H.parent}"]
    subprocess.run([*cc, str(c_file), "-o", str(exe)], check=True)
    return exe


HARNESS = r"""
#include <stdio.h>
#include <stdlib.h>
#include "presshold_format.h"
int main(int argc, char **argv) {
  char line[40];
  for (int i = 1; i + 1 < argc; i += 2) {
    int n = presshold_format_sample(line, strtoul(argv[i], 0, 10), strtol(argv[i + 1], 0, 10));
    fwrite(line, 1, (size_t)n, stdout);
  }
  return 0;
}
"""


def test_formatted_lines_parse_back_exactly(tmp_path: Path) -> None:
    """The firmware's formatter, compiled for the host, through the bridge's parser."""
    exe = compile_harness(HARNESS, tmp_path / "fmt")
    cases = [
        (0, 0),
        (1, 1),
        (12_500, -1),
        (999_999, 8_388_607),  # the HX711's extremes
        (1_000_000, -8_388_608),
        (4_294_967_295 - 10_000, 2_147_483_647),  # micros() near its wrap; long's extremes
        (4_294_967_295, -2_147_483_648),
    ]
    args = [str(v) for case in cases for v in case]
    out = subprocess.run([str(exe), *args], check=True, capture_output=True).stdout
    lines = out.split(b"\r\n")[:-1]
    assert all(len(line) + 2 <= 40 for line in lines)
    parser = LineParser()
    parser.feed(b"# presshold 1 sensor=hx711 rate=80 unit=raw\r\n")
    got = parser.feed(out)
    assert parser.rejected == {}
    assert got.values == [float(raw) for _, raw in cases]
    assert got.t_us == [t for t, _ in cases]
    assert [line.decode() for line in lines] == [f"t_us:{t},raw:{r}" for t, r in cases]


BUTTON_HARNESS = r"""
#include <stdio.h>
#include <stdlib.h>
#include "presshold_format.h"
int main(int argc, char **argv) {
  /* argv: "line" then t raw pressed triples, or "debounce" then raw t pairs */
  char line[48];
  struct presshold_button b = {0, 0, 0};
  int i;
  if (argv[1][0] == 'l') {
    for (i = 2; i + 2 < argc; i += 3) {
      int n = presshold_format_sample_button(line, strtoul(argv[i], 0, 10),
                                             strtol(argv[i + 1], 0, 10), atoi(argv[i + 2]));
      fwrite(line, 1, (size_t)n, stdout);
    }
  } else {
    for (i = 2; i + 1 < argc; i += 2)
      printf("%d", presshold_button_update(&b, (unsigned char)atoi(argv[i]),
                                           strtoul(argv[i + 1], 0, 10)));
  }
  return 0;
}
"""


def test_button_lines_fit_and_the_debouncer_waits_for_a_steady_contact(tmp_path: Path) -> None:
    """The button formatter and debouncer, compiled for the host."""
    exe = compile_harness(BUTTON_HARNESS, tmp_path / "btn")
    cases = [(0, 0, 0), (4_294_967_295, -2_147_483_648, 1), (12_500, 84_213, 1)]
    out = subprocess.run(
        [str(exe), "line", *(str(v) for c in cases for v in c)], check=True, capture_output=True
    ).stdout
    lines = out.split(b"\r\n")[:-1]
    assert all(len(line) + 2 + 1 <= 48 for line in lines)  # "\r\n" and NUL: the 48-byte buffer
    parser = LineParser()
    got = parser.feed(out)
    assert not parser.rejected and got.values == [0.0, -2_147_483_648.0, 84_213.0]
    assert got.button == [(4_294_967_295, True)]
    # contact (1 = closed) at times in µs: bounce, then steady; a 5 ms glitch never counts
    contact = [(1, 0), (0, 300), (1, 600), (1, 20_000), (1, 20_600), (1, 30_000),  # press
               (0, 50_000), (0, 69_999), (0, 70_000),  # release, confirmed at 20 ms
               (1, 80_000), (0, 85_000), (0, 110_000)]  # glitch: ignored  # fmt: skip
    states = subprocess.run(
        [str(exe), "debounce", *(str(v) for c in contact for v in c)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert states == "000011" + "110" + "000"


def test_missing_toolchain_skips_or_fails_in_ci(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing to be found
    monkeypatch.delenv("PRESSHOLD_REQUIRE_FIRMWARE", raising=False)
    with pytest.raises(pytest.skip.Exception, match="firmware toolchain missing: make not found"):
        require_toolchain()
    monkeypatch.setenv("PRESSHOLD_REQUIRE_FIRMWARE", "1")
    with pytest.raises(pytest.fail.Exception, match="PRESSHOLD_REQUIRE_FIRMWARE=1"):
        require_toolchain()
