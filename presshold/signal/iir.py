"""The detection filter's arithmetic in NumPy alone: a Butterworth design, and a cascade of
second-order sections run with carried state over blocks of any length.

Why not ``scipy.signal``: importing it costs about 1 s of CPU (it pulls in ``scipy.stats``,
``scipy.interpolate`` and ``scipy.optimize``; there is no lighter public import of ``butter`` or
``sosfilt``). That is more than a whole ``presshold analyze`` of an hour at 1 kHz should take
(docs/benchmarks.md), and a live server pays it at start-up too. What the pipeline needs is
small and exactly specified:

- **Design** (:func:`butter_lowpass`): the analogue Butterworth poles, pre-warped and mapped by the
  bilinear transform, paired into second-order sections with all zeros at z = −1 and unity gain
  at DC. The textbook construction (e.g. Oppenheim & Schafer, "Discrete-Time Signal Processing",
  ch. 7); the tests check it against ``scipy.signal.butter`` to rounding.
- **State** in ``scipy.signal.sosfilt``'s ``zi`` layout (transposed direct form II per section,
  two values per section), so a state can be checked against, or handed to, ``sosfilt``.
- **Filtering** as matrix products: for a block of n samples the filter is the linear map
  ``[x, z] → [y, z']`` (:class:`BlockMap`), found once per length by running the recursion on
  unit inputs; a live block (up to ``DIRECT_MAX`` samples) is one such product. A longer one is
  cut into chunks of ``CHUNK`` samples: one matrix product gives every chunk's output and end
  state from a zero start, a prefix scan over the chunks (log₂ of their number of small
  products) chains the states, and one more product adds each chunk's start-state response.
  Every path computes the same linear map; results agree with ``sosfilt`` and with any other
  block split to rounding (~1e-12 of the signal), which the tests check.
"""

from __future__ import annotations

import math

import numpy as np

DIRECT_MAX = 128  # blocks up to this long (every live block): one matrix product
CHUNK = 32  # samples per chunk of a longer block: 32 measured fastest (docs/benchmarks.md)


def butter_lowpass(order: int, cutoff_hz: float, rate_hz: float) -> np.ndarray:
    """Second-order sections ``[b0, b1, b2, 1, a1, a2]`` of a digital Butterworth low-pass.

    Sections are ordered by pole radius (the poles nearest the unit circle last) and the overall
    gain sits in the first section, as ``scipy.signal.butter(..., output="sos")`` lays them out.
    Even orders only: each section is one conjugate pole pair and a double zero at z = −1.
    """
    if order < 2 or order % 2:
        raise ValueError(f"filter order must be even and >= 2, got {order}")
    if not (0 < cutoff_hz < rate_hz / 2):
        raise ValueError(f"cut-off {cutoff_hz} Hz must lie between 0 and Nyquist ({rate_hz} Hz)")
    warped = math.tan(math.pi * cutoff_hz / rate_hz)  # pre-warped analogue cut-off, over 2·rate
    # analogue poles on the left half of the unit circle, scaled; bilinear: z = (1 + s) / (1 - s)
    angles = math.pi * (2 * np.arange(order) + order + 1) / (2 * order)
    s = warped * np.exp(1j * angles)
    z = (1 + s) / (1 - s)
    upper = z[: order // 2]  # the upper half-plane one of each conjugate pair
    upper = upper[np.argsort(np.abs(upper), kind="stable")]  # nearest the unit circle last
    sos = np.zeros((upper.size, 6))
    sos[:, :4] = (1.0, 2.0, 1.0, 1.0)
    sos[:, 4] = -2.0 * upper.real
    sos[:, 5] = np.abs(upper) ** 2
    sos[0, :3] *= np.prod(sos[:, 3:].sum(axis=1) / 4.0)  # unity gain at DC (z = 1)
    return sos


def steady_state(sos: np.ndarray) -> np.ndarray:
    """``zi`` (shape ``(sections, 2)``) of the filter at rest under a unit input: scaled by a
    held input ``x0`` it starts the filter with no transient (as ``scipy.signal.sosfilt_zi``)."""
    zi = np.empty((sos.shape[0], 2))
    u = 1.0  # this section's input
    for i, (b0, b1, b2, _, a1, a2) in enumerate(sos):
        y = u * (b0 + b1 + b2) / (1.0 + a1 + a2)
        zi[i, 1] = b2 * u - a2 * y
        zi[i, 0] = b1 * u - a1 * y + zi[i, 1]
        u = y
    return zi


def simulate(sos: np.ndarray, x: np.ndarray, zi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The recursion itself, sample by sample, over several signals at once.

    ``x``: ``(n, m)`` — m signals of n samples; ``zi``: ``(sections, 2, m)``. Returns ``y``
    ``(n, m)`` and the final state. A Python loop over the samples: only for short ``n`` (finding
    a :class:`BlockMap`, and as the tests' reference)."""
    z = np.array(zi, dtype=float)
    y = np.empty(x.shape)
    for i in range(x.shape[0]):
        u = x[i]
        for k, (b0, b1, b2, _, a1, a2) in enumerate(sos):
            out = b0 * u + z[k, 0]
            z[k, 0] = b1 * u - a1 * out + z[k, 1]
            z[k, 1] = b2 * u - a2 * out
            u = out
        y[i] = u
    return y, z


class BlockMap:
    """The filter over exactly n samples as one matrix: ``[x, z] → [y, z']``, ``z`` flattened
    from the ``(sections, 2)`` layout. Columns are the responses to each unit input."""

    def __init__(self, sos: np.ndarray, n: int) -> None:
        k = 2 * sos.shape[0]
        self.n, self.k = n, k
        basis = np.eye(n + k)
        y, z = simulate(sos, basis[:n], basis[n:].reshape(sos.shape[0], 2, n + k))
        self.matrix = np.vstack((y, z.reshape(k, n + k)))  # (n + k) × (n + k)
        # for chunked use: zero-start outputs and end states in one product (rows = chunks)
        self.from_input_t = np.ascontiguousarray(self.matrix[:, :n].T)  # n × (n + k)
        self.y_from_state_t = np.ascontiguousarray(self.matrix[:n, n:].T)  # k × n
        self.z_from_state_t = np.ascontiguousarray(self.matrix[n:, n:].T)  # k × k

    def apply(self, x: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(y, z') of one block of exactly n samples."""
        out = self.matrix @ np.concatenate((x, z))
        return out[: self.n], out[self.n :]


class SosCascade:
    """A second-order-section cascade with its block maps cached per length.

    ``filter(x, z)`` takes any number of samples and the flattened state, and returns the output
    and the new state. Blocks up to ``DIRECT_MAX`` samples (live ones) cost one small product;
    longer ones go by chunks with a prefix scan over the chunk states.
    """

    MAPS_KEPT = 48  # distinct short lengths kept (live blocks vary a little in length)

    def __init__(self, sos: np.ndarray) -> None:
        self.sos = sos
        self.steady = steady_state(sos).ravel()
        self._maps: dict[int, BlockMap] = {}
        self._powers: list[np.ndarray] = []  # (z_from_state_t) ** (2 ** i), for the scan

    def block_map(self, n: int) -> BlockMap:
        m = self._maps.get(n)
        if m is None:
            if len(self._maps) >= self.MAPS_KEPT:
                old = next(k for k in self._maps if k != CHUNK)
                del self._maps[old]
            m = self._maps[n] = BlockMap(self.sos, n)
        return m

    def filter(self, x: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = x.size
        if n <= DIRECT_MAX:
            return self.block_map(n).apply(x, z)
        chunks, rest = divmod(n, CHUNK)
        y, z = self._chunked(x[: chunks * CHUNK].reshape(chunks, CHUNK), z)
        if rest:
            tail, z = self.block_map(rest).apply(x[chunks * CHUNK :], z)
            y = np.concatenate((y, tail))
        return y, z

    def _chunked(self, xs: np.ndarray, z0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rows of ``xs`` are consecutive chunks. States as row vectors: the state after chunk
        c is ``s[c] = s[c-1] @ F + u[c]`` (F: the state map over a chunk, u: the chunk's own
        end state from rest); a Hillis–Steele scan computes all of them with log₂(chunks) steps
        of ``s[d:] += s[:-d] @ F**d``."""
        m = self.block_map(CHUNK)
        zero_start = xs @ m.from_input_t  # chunks × (CHUNK + k): outputs, then end states
        ends = zero_start[:, CHUNK:].copy()
        ends[0] += z0 @ m.z_from_state_t
        step = 1
        for power in self._scan_powers(m, xs.shape[0]):
            ends[step:] += ends[:-step] @ power
            step *= 2
        starts = np.vstack((z0, ends[:-1]))
        y = zero_start[:, :CHUNK] + starts @ m.y_from_state_t
        return y.ravel(), ends[-1].copy()

    def _scan_powers(self, m: BlockMap, chunks: int) -> list[np.ndarray]:
        """F, F², F⁴, … while the step is shorter than ``chunks``."""
        steps = max(chunks - 1, 0).bit_length()
        while len(self._powers) < steps:
            last = self._powers[-1] if self._powers else None
            self._powers.append(m.z_from_state_t.copy() if last is None else last @ last)
        return self._powers[:steps]
