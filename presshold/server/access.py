"""Access guard (plain ASGI middleware, so it covers pages, the API and ``/ws/live`` alike).

- **Token** (only when one is configured, i.e. listening beyond loopback): accepted as
  ``?token=…`` (then remembered in an HttpOnly, SameSite=Strict cookie so the dashboard's relative
  fetches and its websocket carry it without any JavaScript), the cookie, or
  ``Authorization: Bearer …``. Otherwise HTTP gets ``401`` JSON and the websocket closes with 1008.
- **Origin**: a browser's cross-site request (``Origin`` present and not this server) may not open
  the websocket or change anything (non-GET), even on loopback: a page on another site must not
  drive a therapist's sensor or read the live stream.
- **Host allow-list** (whenever there is no token): on loopback ``Host`` must be ``localhost``,
  ``127.0.0.1`` or ``[::1]`` (any port); on a LAN bind without a token (only with the loudly named
  ``--insecure-no-token``) also an IP literal or this machine's own name. ``Origin``, when present,
  must pass the same check. Otherwise a site whose DNS name is re-pointed at this server (DNS
  rebinding) would be "same origin" with itself and could read sessions, change settings and open
  the live stream: ``403`` JSON, websocket closed with 1008. An IP literal cannot be rebound: only
  a DNS name can.
- **Size**: bodies above ``max_body`` are ``413`` JSON (by ``Content-Length`` before reading,
  or as soon as a chunked body passes the limit).
"""

from __future__ import annotations

import ipaddress
import json
import secrets
import socket
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from fastapi import HTTPException
from starlette.requests import cookie_parser

if TYPE_CHECKING:
    from presshold.server.config import ServerSettings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
POLICY_VIOLATION = 1008
LOCAL_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def _hostname(netloc: str) -> str | None:
    try:
        return urlsplit(f"//{netloc}").hostname
    except ValueError:
        return None  # e.g. an unbalanced ``[``


def _is_local_name(netloc: str) -> bool:
    """``localhost:8000``, ``127.0.0.1``, ``[::1]:8000`` … (any port, any case)."""
    return _hostname(netloc) in LOCAL_NAMES


def _is_ip_literal(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def lan_names(bound_host: str) -> frozenset[str]:
    """This machine's own names (as a LAN browser may type them) and the bound address."""
    names = {*LOCAL_NAMES, bound_host.lower().strip("[]")}
    host = socket.gethostname().lower()
    names |= {host, f"{host}.local", socket.getfqdn().lower()}
    return frozenset(n for n in names if n)


HostCheck = Callable[[str], bool]
"""``Host``/``Origin`` netloc → may this name reach the server (the DNS rebinding guard)."""


def host_check(settings: ServerSettings) -> HostCheck | None:
    """The allow-list in force for ``settings``: ``None`` when a token guards the server."""
    from presshold.server.config import is_loopback

    if settings.token_required:
        return None
    if is_loopback(settings.host):
        return _is_local_name
    names = lan_names(settings.host)

    def allowed(netloc: str) -> bool:
        name = _hostname(netloc)
        return name is not None and (name in names or _is_ip_literal(name))

    return allowed


def access_options(settings: ServerSettings, max_body: int) -> dict[str, Any]:
    """``AccessGuard``'s keyword arguments for ``settings`` (the one place that decides them)."""
    token = settings.token if settings.token_required else None
    return {"token": token, "max_body": max_body, "allowed_host": host_check(settings)}


class AccessGuard:
    def __init__(
        self,
        app: ASGIApp,
        token: str | None,
        max_body: int,
        allowed_host: HostCheck | None = None,
        body_limits: dict[str, int] | None = None,
    ) -> None:
        """``allowed_host``: without a token, which ``Host`` (and ``Origin``) names may be used
        (the DNS rebinding guard); see :func:`host_check`. ``body_limits``: larger limits for
        the few paths that take files (trace import), by exact path."""
        self.app = app
        self.token = token.encode() if token else None
        self.max_body = max_body
        self.body_limits = body_limits or {}
        self.allowed_host = allowed_host

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    # --- checks
    @staticmethod
    def _headers(scope: Scope) -> dict[str, str]:
        return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}

    @staticmethod
    def _same_origin(headers: dict[str, str]) -> bool:
        origin = headers.get("origin")
        if origin is None:
            return True  # not a browser cross-site request (curl, scripts, same-origin GETs)
        return urlsplit(origin).netloc.lower() == headers.get("host", "").lower()

    def _foreign_name(self, headers: dict[str, str]) -> str | None:
        """Why the Host allow-list refuses the request, or ``None`` if it may pass."""
        allowed = self.allowed_host
        if allowed is None:
            return None
        host = headers.get("host")
        if host is not None and not allowed(host):
            return "host not allowed: use this server's address (http://127.0.0.1 on this machine)"
        origin = headers.get("origin")
        if origin is not None and not allowed(urlsplit(origin).netloc):
            return "cross-origin request refused"
        return None

    def cookie_name(self, scope: Scope) -> str:
        server = scope.get("server") or ("", 0)
        return f"presshold_token_{server[1]}"  # per port: two servers on one host do not clash

    def _matches(self, candidate: str | None) -> bool:
        return bool(candidate) and secrets.compare_digest(candidate.encode(), self.token or b"")  # type: ignore[union-attr]

    def _query_token(self, scope: Scope) -> str | None:
        values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token")
        return values[-1] if values else None

    def _authorised(self, scope: Scope, headers: dict[str, str]) -> tuple[bool, bool]:
        """(allowed, came with ?token — so set the cookie)."""
        if self.token is None:
            return True, False
        if self._matches(self._query_token(scope)):
            return True, True
        # parsed as browsers (and Starlette) do: one malformed cookie another app on this host
        # set must not hide ours, as it does from ``SimpleCookie``
        if self._matches(cookie_parser(headers.get("cookie", "")).get(self.cookie_name(scope))):
            return True, False
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer ") and self._matches(auth[7:].strip()):
            return True, False
        return False, False

    # --- websocket
    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = self._headers(scope)
        if not self._same_origin(headers):
            return await self._close_ws(receive, send, "cross-origin websocket refused")
        if (foreign := self._foreign_name(headers)) is not None:
            return await self._close_ws(receive, send, foreign)
        if not self._authorised(scope, headers)[0]:
            return await self._close_ws(receive, send, "access token missing or wrong")
        await self.app(scope, receive, send)

    @staticmethod
    async def _close_ws(receive: Receive, send: Send, reason: str) -> None:
        """Accept then close with 1008, so the client sees a code and reason, not a bare 403."""
        if (await receive())["type"] != "websocket.connect":
            return
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.close", "code": POLICY_VIOLATION, "reason": reason})

    # --- http
    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = self._headers(scope)
        if scope["method"] not in SAFE_METHODS and not self._same_origin(headers):
            return await _json(send, 403, "cross-origin request refused")
        if (foreign := self._foreign_name(headers)) is not None:
            return await _json(send, 403, foreign)
        allowed, from_query = self._authorised(scope, headers)
        if not allowed:
            return await _json(
                send,
                401,
                "access token missing or wrong: open the link printed by `presshold serve` "
                "(…/?token=…)",
            )
        max_body = self.body_limits.get(scope["path"], self.max_body)
        too_large = f"request body too large (limit {max_body} bytes)"
        length = headers.get("content-length", "0")
        if not length.isdigit() or int(length) > max_body:
            return await _json(send, 413, too_large)
        received = 0

        async def limited_receive() -> Message:
            """Chunked bodies have no length up front: stop reading once past the limit."""
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > max_body:
                raise HTTPException(413, detail=too_large)  # → the app's JSON error handler
            return message

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                cookie = (
                    f"{self.cookie_name(scope)}={self.token.decode()}; "  # type: ignore[union-attr]
                    "HttpOnly; SameSite=Strict; Path=/"
                )
                message["headers"] = [
                    *message.get("headers", []),
                    (b"set-cookie", cookie.encode("latin-1")),
                ]
            await send(message)

        await self.app(scope, limited_receive, send_with_cookie if from_query else send)


async def _json(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
