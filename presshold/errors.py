"""One exception root for everything PressHold raises on purpose.

Callers (the CLI, the HTTP layer) catch :class:`PressHoldError` and show its message; anything
else is a bug and keeps its traceback.
"""


class PressHoldError(Exception):
    """Base of every error PressHold reports to a user with a clear message."""


class ConfigError(PressHoldError):
    """A setting, flag or argument is invalid."""


class SourceError(PressHoldError):
    """A sensor source cannot be opened or has failed."""


class CalibrationError(PressHoldError):
    """A tare or calibration step cannot be done (no data, unsteady, ill-conditioned)."""


class TraceFormatError(PressHoldError):
    """A trace file (CSV) is malformed; the message names the line."""


class StorageError(PressHoldError):
    """The session store cannot be read or written (full disk, permissions)."""


class NotFound(PressHoldError):
    """A station, session or other named thing does not exist (HTTP 404)."""


class Conflict(PressHoldError):
    """The request is valid but not now: no session is recording, the sensor is unplugged…
    (HTTP 409)."""


class NotSaved(PressHoldError):
    """A change was applied but could not be written to disk (HTTP 507)."""
