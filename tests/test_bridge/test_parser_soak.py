"""Soak: generated device streams through the line parser — no exception, no valid sample lost.

Each example is a stream of ``LINES_PER_EXAMPLE`` lines drawn from a seed: protocol-v1 readings
(any number format, micros() wraps, sub-ms to 20 s steps) mixed with every kind of bad line a
serial link produces (cut lines, noise bytes, non-ASCII, over-long lines, nan/inf, absurd values,
comments), fed in random chunks. The short form runs 100 examples (10⁵ lines); ``-m soak`` runs
1,000 (10⁶ lines). Figures: docs/reliability.md.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from presshold.firmware_bridge.protocol import MAX_ABS_VALUE, MAX_LINE, WRAP_US, LineParser

LINES_PER_EXAMPLE = 1000
STATS = {"lines": 0, "valid": 0, "examples": 0}

BAD_KINDS = ("cut", "noise", "nonascii", "long", "nan", "absurd", "comment", "blank", "plotter")


def _value_text(rng: np.random.Generator) -> tuple[str, float]:
    kind = rng.integers(4)
    if kind == 0:
        v = float(rng.integers(-(2**23), 2**23))
        return str(int(v)), v
    if kind == 1:
        v = round(float(rng.normal(0, 50)), 3)
        return f"{v:.3f}", v
    if kind == 2:
        text = f"{rng.uniform(-1, 1) * 1e6:.4e}"
        return text, float(text)
    v = float(rng.uniform(-MAX_ABS_VALUE, MAX_ABS_VALUE))
    return repr(v), v


def _bad_line(rng: np.random.Generator, kind: str, t_raw: int) -> bytes:
    if kind == "cut":
        full = f"t_us:{t_raw},raw:{rng.integers(1 << 20)}".encode()
        return full[rng.integers(1, len(full) - 1) :]  # lost its start: never "t_us:…"
    if kind == "noise":
        raw = rng.integers(0, 256, rng.integers(1, 40), dtype=np.uint8).tobytes()
        return raw.replace(b"\n", b"").replace(b"\r", b"")
    if kind == "nonascii":
        return f"t_us:{t_raw},raw:1\xb5".encode("latin-1")
    if kind == "long":
        return b"t_us:1,raw:" + b"9" * int(rng.integers(MAX_LINE, 3 * MAX_LINE))
    if kind == "nan":
        return f"t_us:{t_raw},raw:{rng.choice(['nan', 'inf', '-inf'])}".encode()
    if kind == "absurd":
        return f"t_us:{t_raw},force_n:{rng.choice(['1.7e308', '-9e18', '3e9'])}".encode()
    if kind == "comment":
        return b"# \x1b[2Jhx711 not responding"
    if kind == "blank":
        return b""
    return b"force:12.5 load:3"  # a Serial-Plotter line after v1 lines: a cut v1 line


def _stream(seed: int, bad_rate: float) -> tuple[bytes, list[int], list[float]]:
    """(bytes, expected unwrapped t_us steps from the first reading, expected values)."""
    rng = np.random.default_rng(seed)
    lines: list[bytes] = []
    t_abs = int(rng.integers(0, WRAP_US))
    first = t_abs
    times: list[int] = []
    values: list[float] = []
    for _ in range(LINES_PER_EXAMPLE):
        if lines and rng.random() < bad_rate:
            lines.append(_bad_line(rng, str(rng.choice(BAD_KINDS)), t_abs % WRAP_US))
            continue
        if lines:
            t_abs += int(rng.choice([1, 125, 1000, 12_500, 20_000_000]))
        text, v = _value_text(rng)
        label = "raw" if rng.random() < 0.5 else "force_n"
        lines.append(f"t_us:{t_abs % WRAP_US},{label}:{text}".encode())
        times.append(t_abs - first)
        values.append(v)
    ending = b"\r\n" if rng.random() < 0.3 else b"\n"
    return ending.join(lines) + ending, times, values


@pytest.mark.soak
@given(
    seed=st.integers(0, 2**63 - 1),
    bad_rate=st.sampled_from([0.0, 0.05, 0.3, 0.7]),
    chunk_seed=st.integers(0, 2**32 - 1),
    max_chunk=st.sampled_from([1, 7, 64, 4096, 1 << 20]),
)
def test_generated_streams_lose_no_valid_reading(
    seed: int, bad_rate: float, chunk_seed: int, max_chunk: int
) -> None:
    data, times, values = _stream(seed, bad_rate)
    rng = np.random.default_rng(chunk_seed)
    parser = LineParser()
    got_t: list[int] = []
    got_v: list[float] = []
    i = 0
    while i < len(data):
        n = int(rng.integers(1, max_chunk + 1))
        out = parser.feed(data[i : i + n])
        got_t += out.t_us
        got_v += out.values
        assert not out.resets  # every step back here is a micros() wrap, never a reset
        i += n
    assert got_v == values
    assert [t - got_t[0] for t in got_t] == times
    STATS["lines"] += LINES_PER_EXAMPLE
    STATS["valid"] += len(values)
    STATS["examples"] += 1


@pytest.mark.soak
def test_zz_report_soak_volume(capsys: pytest.CaptureFixture[str]) -> None:
    """Prints how many generated lines the run pushed through (the figure in reliability.md)."""
    with capsys.disabled():
        print(
            f"\nparser soak: {STATS['examples']} streams, {STATS['lines']:,} lines, "
            f"{STATS['valid']:,} valid readings, none lost"
        )
