"""What each family of commercial force gauge says over serial, and ``mark10:COM4?baud=9600`` specs.

A :class:`Dialect` is data, not code: the commands to poll, zero and ask the unit, how the gauge
frames an error or an empty value, its factory baud rate and how many requests may be in flight.
The one parser (:mod:`gauge_protocol`) and the one source (:mod:`gauge_source`) read it, so a new
gauge family is a table entry. Sources for every command are the makers' user guides:

- Mark-10 Series 4/5/7 (GCL2): commands end with CR; ``?`` = displayed reading, ``?C`` = current
  reading (Series 5+; Series 4 answers ``*10``); reply ``4.285 N`` CR LF, tension negative, unit
  optional; ``Z`` zeroes; errors ``*10`` (illegal command), ``*11``, ``*12``, ``*22``.
- Dillon AFG (a Mecmesin AFG): single characters, ``?`` requests a reading, Ctrl-E is the ZERO key;
  a continuous mode (TXD held 2 s) streams ~12 readings/s; 2400-115200 baud, default 9600.
- Dillon GS: ``l`` sends the live reading with its unit, ``z`` zeroes.
- Andilog Centor: ``F`` = current value, no unit, CR-terminated, TAB before a displacement;
  ``U`` = unit, ``Z`` = tare; ``?`` answers an invalid request and ``!`` an empty value.
- Imada, Shimpo, Wagner and others: a request (Shimpo ``D``, Imada ``D``) answered by
  ``value unit``, or a continuous stream — the ``gauge:`` dialect, configured by options.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from presshold.errors import ConfigError
from presshold.firmware_bridge.force_units import unit_scale


@dataclass(frozen=True, slots=True)
class Dialect:
    name: str
    """The spec prefix: ``mark10`` in ``mark10:COM4``."""
    title: str
    requests: tuple[bytes, ...]
    """Poll commands, best first: after repeated errors and no reading the next one is tried
    (a Mark-10 Series 4 does not know ``?C``). Empty: the gauge streams on its own."""
    zero: bytes | None
    """The gauge's own zero command (sent on tare); None: PressHold tares in software."""
    unit_query: bytes | None = None
    """Asks the unit, for gauges whose readings do not carry it (Andilog ``U``)."""
    baud: int = 9600
    pipeline: int = 1
    """Requests kept in flight: >1 hides the round trip where the gauge queues commands."""
    error_reply: str = r"\*\d+"
    """A reply that reports a refused command (regular expression over the whole line)."""
    empty_reply: str | None = None
    """A reply that means "no value right now" (Andilog ``!``): answered, nothing to plot."""
    field_sep: str | None = None
    """Replies carry more fields after the force (Andilog: TAB, then a displacement)."""
    start: bytes | None = None
    """Sent once on connecting, e.g. to start a continuous stream (Shimpo ``BB``)."""


DIALECTS: dict[str, Dialect] = {
    d.name: d
    for d in (
        Dialect("mark10", "Mark-10", (b"?C\r", b"?\r"), zero=b"Z\r", baud=115200, pipeline=2),
        Dialect("dillon", "Dillon AFG", (b"?",), zero=b"\x05"),
        Dialect("dillon-gs", "Dillon GS", (b"l",), zero=b"z"),
        Dialect(
            "andilog",
            "Andilog Centor",
            (b"F",),
            zero=b"Z",
            unit_query=b"U",
            error_reply=r"\?",
            empty_reply="!",
            field_sep="\t",
        ),
        Dialect("gauge", "force gauge", (), zero=None),
    )
}
"""Every gauge family PressHold speaks, by spec prefix."""

OPTIONS = ("baud", "unit", "compression", "mode", "request", "zero", "eol", "pipeline")
_EOL = {"cr": b"\r", "crlf": b"\r\n", "lf": b"\n", "none": b""}


@dataclass(frozen=True, slots=True)
class GaugeSpec:
    """A parsed ``--source`` for a gauge: which dialect, where, and the user's overrides."""

    dialect: Dialect
    port: str
    baud: int
    unit: str = "N"
    """The unit assumed while replies carry none (units switched off, or an Andilog before its
    unit query is answered); canonical spelling (``lbf``)."""
    compression_sign: float = 1.0
    """+1 when the gauge reports a push as positive (the makers' default), -1 when inverted:
    PressHold always shows compression as positive force."""
    stream: bool = False


def is_gauge_spec(spec: str) -> bool:
    """``mark10:…``, ``dillon:…`` etc.; never a Windows path (``C:\\…``) or a URL."""
    name, sep, _ = spec.partition(":")
    return bool(sep) and name.lower() in DIALECTS


def parse_gauge_spec(spec: str) -> GaugeSpec:
    """``mark10:COM4``, ``dillon:/dev/ttyUSB0?baud=9600&mode=stream``, ``gauge:COM5?request=D``.

    Options: ``baud``; ``unit`` (assumed when replies carry none, default N); ``compression``
    (``positive``/``negative``: how the gauge signs a push); ``mode`` (``poll``/``stream``);
    ``request``/``zero`` (commands, for ``gauge:``), ``eol`` (``cr``/``crlf``/``lf``/``none``
    appended to them, default ``cr``); ``pipeline`` (requests in flight, 1-8).
    """
    name, _, rest = spec.partition(":")
    dialect = DIALECTS.get(name.lower())
    if dialect is None:
        raise ConfigError(f"unknown gauge {name!r}: use one of {', '.join(DIALECTS)}")
    port, opts = _split_options(rest)
    if not port:
        raise ConfigError(f"{spec!r} names no port: use e.g. {dialect.name}:COM4")
    baud = _int(opts, "baud", dialect.baud, 300, 4_000_000)
    unit = opts.get("unit", "N")
    scale = unit_scale(unit)
    if scale is None:
        raise ConfigError(f"unit={unit!r} is not a force unit (N, kN, gf, kgf, lbf, ozf …)")
    compression = opts.get("compression", "positive").lower()
    if compression not in ("positive", "negative"):
        raise ConfigError("compression= must be 'positive' or 'negative'")
    eol = opts.get("eol", "cr").lower()
    if eol not in _EOL:
        raise ConfigError(f"eol= must be one of {', '.join(_EOL)}")
    requests, zero, pipeline = dialect.requests, dialect.zero, dialect.pipeline
    if "request" in opts:
        requests = (_command(opts["request"]) + _EOL[eol],) if opts["request"] else ()
    if "zero" in opts:
        zero = _command(opts["zero"]) + _EOL[eol] if opts["zero"] else None
    pipeline = _int(opts, "pipeline", pipeline, 1, 8)
    mode = opts.get("mode", "poll").lower()
    if mode not in ("poll", "stream"):
        raise ConfigError("mode= must be 'poll' or 'stream'")
    dialect = replace(dialect, requests=requests, zero=zero, pipeline=pipeline)
    stream = mode == "stream" or not dialect.requests
    sign = 1.0 if compression == "positive" else -1.0
    return GaugeSpec(dialect, port, baud, scale[0], sign, stream)


def _split_options(rest: str) -> tuple[str, dict[str, str]]:
    """``PORT?k=v&k=v``; a ``?`` not followed by our options stays part of the port (URLs)."""
    port, sep, query = rest.rpartition("?")
    if not sep:
        return rest, {}
    pairs = [p.partition("=") for p in query.split("&") if p]
    if not pairs or any(not eq for _, eq, _ in pairs):
        return rest, {}
    opts = {k.strip().lower(): v.strip() for k, _, v in pairs}
    unknown = sorted(set(opts) - set(OPTIONS))
    if unknown:
        raise ConfigError(f"unknown gauge option {unknown[0]!r}: use {', '.join(OPTIONS)}")
    return port, opts


def _int(opts: dict[str, str], key: str, default: int, lo: int, hi: int) -> int:
    if key not in opts:
        return default
    try:
        value = int(opts[key])
    except ValueError:
        raise ConfigError(f"{key}={opts[key]!r} is not a whole number") from None
    if not lo <= value <= hi:
        raise ConfigError(f"{key}={value} is out of range ({lo}-{hi})")
    return value


def _command(text: str) -> bytes:
    """A command as typed: ASCII, with ``^E`` for a control character (Dillon's ZERO key)."""
    if not text.isascii() or len(text) > 16:
        raise ConfigError(f"command {text!r}: at most 16 ASCII characters")
    return re.sub(r"\^([A-Z@\[\]^_])", lambda m: chr(ord(m.group(1)) - 64), text).encode("ascii")
