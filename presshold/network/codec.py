"""The sample batch on the wire: a 40-byte header and three little-endian float64 columns.

Why binary, not JSON or CBOR (measured in ``bench/bench_network.py --codec``): an 80 Hz sensor
sends each reading as it arrives (``publisher.BATCH_S``), a 1-sample batch: 64 bytes here, 137
as JSON with shortest-round-trip floats, and JSON cost 3× the CPU to encode (4.5 vs 1.4 µs)
and 2× to decode (5 vs 2.4 µs, into arrays); a 1 kHz sensor's 10-sample batch is 280 vs 666
bytes and 13× / 5× the CPU — at both ends, 2 560 batches a second for 32 stations. CBOR would
add a dependency and still encode each float on its own. float64 keeps every value
bit-exact, so the hub stores exactly what the station measured; NumPy reads the columns with
one ``frombuffer`` each, and the layout is simple to implement in any language (a board's C
firmware included).

Header (``<4sB3xQQQI4x``): magic ``PHB1``, flags (bit 0: *replay*, sent late from the spool),
stream (random id of the station's spool: a new spool restarts the numbering), seq (this
batch), first (the oldest batch the station still holds: the hub never waits for one before
it), n (samples). Then ``t`` (station wall-clock seconds), ``raw``, ``force_n``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

MAGIC = b"PHB1"
HEADER = struct.Struct("<4sB3xQQQI4x")
REPLAY = 0x01
MAX_SAMPLES = 100_000


class BadBatch(ValueError):
    """Not a PressHold sample batch (wrong magic, truncated, inconsistent length)."""


@dataclass(frozen=True, slots=True)
class Batch:
    stream: int
    seq: int
    first: int
    t: np.ndarray
    """Station wall-clock seconds (``time.time()`` scale, never running backwards)."""
    raw: np.ndarray
    force_n: np.ndarray
    replay: bool = False

    def __len__(self) -> int:
        return int(self.t.shape[0])


def encode(b: Batch) -> bytes:
    flags = REPLAY if b.replay else 0
    head = HEADER.pack(MAGIC, flags, b.stream, b.seq, b.first, len(b))
    cols = (np.ascontiguousarray(a, "<f8").tobytes() for a in (b.t, b.raw, b.force_n))
    return head + b"".join(cols)


def decode(data: bytes) -> Batch:
    if len(data) < HEADER.size:
        raise BadBatch(f"{len(data)} bytes is shorter than a header")
    magic, flags, stream, seq, first, n = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise BadBatch(f"magic {magic!r} is not {MAGIC!r}")
    if n > MAX_SAMPLES or len(data) != HEADER.size + 24 * n:
        raise BadBatch(f"{len(data)} bytes do not hold {n} samples")
    cols = np.frombuffer(data, "<f8", count=3 * n, offset=HEADER.size).reshape(3, n)
    return Batch(stream, seq, first, cols[0], cols[1], cols[2], bool(flags & REPLAY))


def with_flags(data: bytes, replay: bool) -> bytes:
    """The same batch with the replay flag set or cleared (byte 4 of the header)."""
    return data[:4] + bytes([REPLAY if replay else 0]) + data[5:]
