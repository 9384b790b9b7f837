"""Hold parameters: the band, the release threshold and the timing rules of docs/holds.md."""

from __future__ import annotations

import math
from dataclasses import dataclass

from presshold.errors import ConfigError

RELEASE_FRACTION = 0.5  # below half the target the press is over (issue 3)
PRESS_ON_FRACTION = 0.6  # a new press needs 0.6·target: hysteresis, no chatter at half
RELEASING_WINDOW_S = 0.25  # the fall that marks a release in progress is measured over this …
RELEASING_RATE = 0.25  # … and must be faster than this fraction of the target per second (issue 11)


@dataclass(frozen=True)
class HoldParams:
    """Target and tolerance in newtons, times in seconds."""

    target_n: float
    tolerance_n: float
    hold_s: float
    grace_s: float = 0.5
    min_hold_s: float = 1.0

    def __post_init__(self) -> None:
        values = (self.target_n, self.tolerance_n, self.hold_s, self.grace_s, self.min_hold_s)
        if not all(math.isfinite(v) for v in values):
            raise ConfigError("hold parameters must be finite numbers")
        if self.target_n <= 0 or self.tolerance_n <= 0:
            raise ConfigError("target and tolerance must be greater than 0")
        if self.hold_s <= 0 or self.grace_s < 0 or self.min_hold_s < 0:
            raise ConfigError("hold time must be > 0; grace and minimum hold must be >= 0")

    @property
    def band(self) -> tuple[float, float]:
        return (self.target_n - self.tolerance_n, self.target_n + self.tolerance_n)

    @property
    def release_n(self) -> float:
        return self.target_n * RELEASE_FRACTION

    @property
    def releasing_drop_n(self) -> float:
        """A fall larger than this over ``RELEASING_WINDOW_S`` is a release in progress, not a
        slip: at 25 N, 1.56 N in 0.25 s (6.25 N/s) — a decisive release is faster, a slip
        levels off (docs/holds.md, "Alerts")."""
        return self.target_n * RELEASING_RATE * RELEASING_WINDOW_S

    @property
    def press_on_n(self) -> float:
        """Force that starts a press; never above the band's lower edge."""
        return min(self.target_n * PRESS_ON_FRACTION, max(self.band[0], self.release_n))
