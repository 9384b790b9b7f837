"""One settings object for the server process: CLI flags > ``PRESSHOLD_*`` variables > defaults.

Also the one place that knows the default data directory, so ``serve``, ``calibrate``,
``sessions`` and ``export`` always look in the same folder.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from presshold.errors import ConfigError

ENV_PREFIX = "PRESSHOLD_"
# named like the flag, not the field
ENV_NAMES = {"hold_s": "HOLD", "sim_rate_hz": "SIM_RATE", "sources": "SOURCE"}
TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}
URL_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
"""RFC 3986 unreserved characters: a token made of them needs no escaping in a link or a cookie."""


def default_data_dir() -> Path:
    """``$PRESSHOLD_DATA_DIR``, else the platform's per-user data folder (``…/PressHold``)."""
    explicit = os.environ.get(ENV_PREFIX + "DATA_DIR")
    if explicit:
        return Path(explicit).expanduser()
    import platformdirs

    return platformdirs.user_data_path("PressHold", appauthor=False)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: assume it is reachable from elsewhere


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """Everything ``create_app`` and ``presshold serve`` need; immutable once resolved."""

    sources: tuple[str, ...] = ()
    """One station per entry: ``sim``, ``sim:N``, ``auto``, a serial port / pyserial URL, or a
    CSV trace; empty = the one USB sensor. ``PRESSHOLD_SOURCE`` separates several by commas."""
    host: str = "127.0.0.1"
    http_port: int = 8000
    data_dir: Path | None = None
    """``None`` = :func:`default_data_dir`."""
    target: str | None = None
    """Initial target (``30``, ``30N``, ``3kgf``); ``None`` keeps the last saved settings."""
    tolerance: str | None = None
    """Initial band half-width: ``10%`` of the target or a force such as ``3N``."""
    hold_s: float | None = None
    open_browser: bool = True
    """Only ``presshold serve`` uses it (``--no-browser`` / ``PRESSHOLD_OPEN_BROWSER=0``)."""
    sim_rate_hz: float = 80.0
    store_max_mb: float | None = None
    """Optional quota for ``sessions.sqlite3``; past it recording stops as on a full disk."""
    require_token: bool | None = None
    """``None``: a token is required when binding to a non-loopback interface or when one was
    given (``PRESSHOLD_TOKEN``): a token is never printed unless it is checked."""
    token: str | None = None
    """The access token; generated when one is required and none was given, ``None`` when none
    is checked (so nothing prints one)."""
    insecure_no_token: bool = False
    """``--insecure-no-token``: serve a non-loopback interface without a token (anyone on the
    network may watch and record). Off loopback, refusing a token needs this flag; the Host
    allow-list still applies."""
    # URLs and passwords may carry secrets: kept out of repr() (a logged settings object)
    store: str | None = dataclasses.field(default=None, repr=False)
    """``postgresql://USER@HOST/DB`` records sessions there; ``None``: SQLite in the data dir."""
    broker: str | None = dataclasses.field(default=None, repr=False)
    """``mqtt://HOST:PORT`` / ``mqtts://…``: remote stations arrive through this broker."""
    broker_username: str | None = None
    broker_password: str | None = dataclasses.field(default=None, repr=False)

    @property
    def resolved_data_dir(self) -> Path:
        return self.data_dir if self.data_dir is not None else default_data_dir()

    @property
    def token_required(self) -> bool:
        if self.insecure_no_token:
            return False
        if self.require_token is not None:
            return self.require_token
        return bool(self.token) or not is_loopback(self.host)

    def treatment_patch(self) -> dict[str, Any]:
        """The initial target/tolerance/hold as a ``PUT /api/settings`` body (only those given)."""
        from presshold.signal import units  # the one grammar of every command (issue 11)

        patch: dict[str, Any] = {}
        target_n = _option(units.parse_target, self.target, "--target", "30, 30N or 3kgf")
        if target_n is not None:
            patch["target_n"] = target_n
        spec = _option(units.parse_tolerance_spec, self.tolerance, "--tolerance", "10% or 3N")
        if spec is not None:
            if spec.percent:
                patch["tolerance_pct"] = spec.value
            else:
                patch["tolerance_n"] = spec.value
                patch["tolerance_pct"] = None
            if target_n is not None:
                _option(
                    lambda _: units.check_band(target_n, spec.newtons(target_n)),
                    self.tolerance,
                    "--tolerance",
                    "10% or 3N",
                )
        if self.hold_s is not None:
            patch["hold_s"] = self.hold_s
        return patch


def _option(parse: Callable[[str], Any], text: str | None, flag: str, example: str) -> Any:
    """``parse(text)`` (None if not given); its ConfigError names the flag and its variable."""
    if text is None:
        return None
    try:
        return parse(text)
    except ConfigError as exc:
        env = env_name(flag.removeprefix("--").replace("-", "_"))
        raise ConfigError(f"{flag} {text!r} (or {env}): {exc}; e.g. {flag} {example}") from None


def _converter(convert: Callable[[str], Any], what: str) -> Callable[[str, str], Any]:
    """``convert(text)``, or a ConfigError naming the flag/variable and what it should be."""

    def parse(text: str, name: str) -> Any:
        try:
            return convert(text)
        except ValueError:
            raise ConfigError(f"{name}: {text!r} is not {what}") from None

    return parse


_number = _converter(float, "a number")
_int = _converter(int, "a whole number")


def _bool(text: str, name: str) -> bool:
    low = text.strip().lower()
    if low in TRUE | FALSE:
        return low in TRUE
    raise ConfigError(f"{name}: {text!r} is not yes/no")


def env_name(field_name: str) -> str:
    return ENV_PREFIX + ENV_NAMES.get(field_name, field_name.upper())


def _path(text: str, name: str) -> Path:
    return Path(text).expanduser()


def _specs(text: str, name: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


ENV_PARSERS: dict[str, Callable[[str, str], Any]] = {
    "http_port": _int,
    "hold_s": _number,
    "sim_rate_hz": _number,
    "store_max_mb": _number,
    "open_browser": _bool,
    "require_token": _bool,
    "insecure_no_token": _bool,
    "data_dir": _path,
    "sources": _specs,
}  # every other field is text


def _from_env(field_name: str, text: str) -> Any:
    parse = ENV_PARSERS.get(field_name)
    return parse(text, env_name(field_name)) if parse else text


def load_settings(
    cli: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None
) -> ServerSettings:
    """Resolve every field (CLI value if not ``None``, else ``PRESSHOLD_<NAME>``, else default),
    validate, and fill in a token when one is required."""
    cli = cli or {}
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    for field in dataclasses.fields(ServerSettings):
        if cli.get(field.name) not in (None, (), []):
            values[field.name] = cli[field.name]
        elif (text := env.get(env_name(field.name))) is not None:
            values[field.name] = _from_env(field.name, text)
    settings = ServerSettings(**values)
    _validate(settings)
    if not settings.token_required:
        settings = dataclasses.replace(settings, token=None)  # never print an unchecked token
    elif not settings.token:
        settings = dataclasses.replace(settings, token=secrets.token_urlsafe(24))
    return settings


def _validate(s: ServerSettings) -> None:
    if not 0 <= s.http_port <= 65535:
        raise ConfigError(f"--http-port {s.http_port}: use 1-65535")
    if s.hold_s is not None and not 0 < s.hold_s <= 3600:
        raise ConfigError(f"--hold {s.hold_s:g}: use more than 0 and at most 3600 seconds")
    if not 10 <= s.sim_rate_hz <= 1000:
        raise ConfigError(f"simulator rate {s.sim_rate_hz:g} Hz: use 10-1000")
    if s.store_max_mb is not None and not s.store_max_mb >= 0.05:
        raise ConfigError(f"store size limit {s.store_max_mb:g} MB: use at least 0.05")
    from presshold import urls

    if s.store is not None and s.store != "sqlite":
        urls.split(s.store, ("postgresql", "postgres"), "--store")
    if s.broker is not None:
        urls.split(s.broker, ("mqtt", "mqtts"), "--broker")
    if s.token is not None and len(s.token) < 16:
        raise ConfigError("access token too short: use at least 16 characters")
    if s.token is not None and not set(s.token) <= URL_SAFE:
        raise ConfigError(
            "access token: use only letters, digits and - . _ ~ (it travels in a link and a "
            "cookie; e.g. python -c 'import secrets; print(secrets.token_urlsafe(24))')"
        )
    if not is_loopback(s.host) and not s.token_required and not s.insecure_no_token:
        raise ConfigError(
            f"--host {s.host} without an access token would let anyone on the network watch, "
            "record and change settings: drop PRESSHOLD_REQUIRE_TOKEN=0, or pass "
            "--insecure-no-token if that is really meant"
        )
    patch = s.treatment_patch()  # parses target/tolerance: clear errors before anything starts
    from pydantic import ValidationError

    from presshold.treatment import SettingsPatch, TreatmentSettings, describe

    try:
        TreatmentSettings().patched(SettingsPatch(**patch))
    except ValidationError as exc:
        raise ConfigError(f"--target/--tolerance/--hold: {describe(exc)}") from None
