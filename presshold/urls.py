"""Service URLs (``postgresql://…``, ``mqtt://…``) that may carry credentials.

Such a URL is secret as a whole only because of its password: :func:`mask` is what every log
line, status message, error and printed line shows instead, so a password typed into
``--store`` or ``--broker`` never reaches a log file, a dashboard or a screenshot.
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

SECRET_QUERY_KEYS = {"password", "pass", "passwd", "sslpassword", "token", "secret"}
_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:@/]*):[^@/]*@")


def mask(url: str) -> str:
    """``scheme://user:secret@host/db?password=x`` → ``scheme://user:***@host/db?password=***``.

    Works on text that is not a well-formed URL too (an error message quoting one)."""
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:***@", url)
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    if not parts.query:
        return text
    query = [
        (k, "***" if k.lower() in SECRET_QUERY_KEYS else v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit(parts._replace(query=urlencode(query, safe="*")))


def split(url: str, schemes: tuple[str, ...], what: str) -> SplitResult:
    """Parse ``url`` and check its scheme; a clear error (with the URL masked) otherwise."""
    from presshold.errors import ConfigError

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise ConfigError(f"{what} {mask(url)}: {exc}") from None
    if parts.scheme not in schemes or not parts.hostname:
        want = " or ".join(f"{s}://HOST" for s in schemes)
        raise ConfigError(f"{what} {mask(url)}: use {want}")
    return parts
