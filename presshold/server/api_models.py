"""Response models of the REST API: what ``/openapi.json`` documents (docs/protocol.md, section 3).

They describe the JSON the routes already return, field for field. Where a shape is open (event
data, the analysis, a calibration's extra keys) the model allows extra fields, so validating a
response never drops or renames anything.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class OpenModel(BaseModel):
    """Documented fields plus whatever else the object carries."""

    model_config = ConfigDict(extra="allow")


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    connected: bool = Field(description="the first station's sensor is present and streaming")
    recording: bool = Field(description="the first station is recording")
    storage_ok: bool = Field(description="false while sessions cannot be written (disk full…)")
    viewers: int = Field(description="live viewers over all stations")
    viewers_lagging: int = Field(description="viewers that lost frames because they are slow")
    overview_viewers: int
    stations: int
    stations_connected: int
    stations_recording: int


class StationView(BaseModel):
    """A station: one sensor with its own settings, recorder and viewers."""

    id: str = Field(description="short, URL-safe, stable for the same sensor or source spec")
    name: str
    source: str = Field(description="the source spec it was started with")
    sensor: str | None
    connected: bool
    recording: bool
    session_id: str | None
    settings: dict[str, Any]
    sample_rate_hz: float | None
    student_id: str | None = Field(None, description="the student assigned (trainer mode)")
    client_id: str | None = Field(None, description="the client on the table (PATCH to set)")


class CalibrationView(OpenModel):
    """The calibration in force plus the points collected for the next fit."""

    offset_raw: float
    scale_n_per_raw: float
    points: list[dict[str, Any]] = Field(description="points collected since the last clear")
    fitted_points: list[dict[str, Any]] = Field(description="points the calibration was fit on")
    fitted_at: float | None = None
    sensor_id: str | None = None
    residuals_n: list[float] = []
    nonlinearity_pct: float | None = None
    calibrated: bool = True
    unit: str | None = Field(None, description="the unit the sensor sends")


class CalibrationPointAdded(CalibrationView):
    point: dict[str, Any] = Field(description='the new point: {"known_n", "raw"}')


class SessionMeta(OpenModel):
    """What every session row has (settings and calibration as copied when it started)."""

    id: str
    started_at: str = Field(description="ISO 8601 UTC")
    ended_at: str | None = Field(description='ISO 8601 UTC; "recovered" after a crash')
    duration_s: float
    label: str | None
    notes: str | None
    sensor: str | None
    settings: dict[str, Any] | None
    calibration: dict[str, Any] | None
    samples: int
    station_id: str | None = Field(None, description="null for sessions from before stations")
    station_name: str | None = None
    imported_from: str | None = Field(
        None, description="the source file's name when the session was imported from a trace"
    )
    client_id: str | None = Field(None, description="the client (GET /api/clients/{id})")


class SessionListItem(SessionMeta):
    """Counts from the session's analysis once it has one (as on its page), else live events."""

    holds: int
    holds_completed: int
    alerts: int
    time_in_band_s: float | None = Field(
        description="ended: from the analysis made when it ended; recording: the live figure"
    )
    points: list[str] = Field(
        default_factory=list, description="labels of the session's points (its marks)"
    )


class SessionEvent(OpenModel):
    """A hold, alert, release, gap, mark…; its data fields sit beside ``t_s`` and ``kind``."""

    t_s: float
    kind: str


class SessionMetrics(OpenModel):
    """Flat summary for cards and lists (docs/protocol.md, "Session metrics")."""

    samples: int
    holds: int
    holds_completed: int
    time_in_band_s: float | None = None
    peak_n: float | None = None
    mean_n: float | None = None
    sample_rate_hz: float | None = None


class SessionDetail(SessionMeta):
    events: list[SessionEvent]
    marks: list[SessionEvent] = Field(description="the point labels among the events")
    metrics: SessionMetrics
    analysis: dict[str, Any] | None = Field(description="analyze()'s holds, alerts and summary")


class RecordingSession(OpenModel):
    """The session being recorded (or just ended), as the recorder holds it."""

    id: str
    recording: bool
    started_at: str
    label: str | None
    notes: str | None
    point: str | None = Field(description="the current point label")
    client_id: str | None = None


class ImportedSession(BaseModel):
    """A trace file stored as a new session."""

    id: str
    label: str | None
    samples: int


class SessionPatched(BaseModel):
    """The id and the fields that were changed."""

    id: str
    label: str | None = None
    notes: str | None = None


class MarkAdded(OpenModel):
    t_s: float
    kind: Literal["mark"]
    label: str
    side: Literal["L", "R"] | None


class Trace(BaseModel):
    """Glitch-guarded force (docs/holds.md); raw values are in the CSV export."""

    t_s: list[float]
    min_n: list[float]
    max_n: list[float]
    decimated: bool
    glitch_t_s: list[float] = Field(
        default_factory=list,
        description="times of samples the glitch guard replaced (at most 2000), to mark them",
    )
