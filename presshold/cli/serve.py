"""``presshold serve`` and ``presshold demo``: live server; demo = simulator + browser."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import socket

    from presshold.server.config import ServerSettings


ENV_HELP = """\
Each flag falls back to an environment variable, then to its default:
  PRESSHOLD_SOURCE, PRESSHOLD_HOST, PRESSHOLD_HTTP_PORT, PRESSHOLD_DATA_DIR, PRESSHOLD_TARGET,
  PRESSHOLD_TOLERANCE, PRESSHOLD_HOLD, PRESSHOLD_OPEN_BROWSER=0|1, PRESSHOLD_SIM_RATE (Hz),
  PRESSHOLD_TOKEN (access token to use; giving one turns it on), PRESSHOLD_REQUIRE_TOKEN=1
  (even on 127.0.0.1), PRESSHOLD_INSECURE_NO_TOKEN=1 (same as --insecure-no-token),
  PRESSHOLD_STORE_MAX_MB (cap the session store's size; past it, recording stops as if the disk
  were full and the live view says so), PRESSHOLD_STORE (postgresql://…), PRESSHOLD_BROKER
  (mqtt://…), PRESSHOLD_BROKER_USERNAME, PRESSHOLD_BROKER_PASSWORD.
Listening on an interface other than loopback prints a URL with an access token; only
browsers that opened it (or send "Authorization: Bearer TOKEN") are served."""


SEND_BUFFER = 32 * 1024


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``serve`` and ``demo``; every flag also reads ``PRESSHOLD_<NAME>`` when not given."""
    from presshold.cli import options

    for name, help_ in (
        ("serve", "run the live server on a sensor (opens the dashboard in a browser)"),
        ("demo", "run the live server on the simulated sensor and open the dashboard"),
    ):
        p = sub.add_parser(
            name,
            help=help_,
            description=help_,
            epilog=ENV_HELP,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if name == "serve":
            p.add_argument(
                "--source",
                action="append",
                default=None,
                help="sim, sim:N (N simulated hands), auto (every sensor, also ones plugged in "
                "later), a serial port (COM3, /dev/ttyACM0), a pyserial URL or a CSV/Parquet "
                "trace; repeat for several stations (default: the one USB sensor plugged in)",
            )
        p.add_argument("--http-port", type=int, default=None, help="HTTP port (default 8000)")
        p.add_argument(
            "--host",
            default=None,
            help="interface to listen on (default 127.0.0.1); any other needs the printed "
            "token URL",
        )
        p.add_argument(
            "--data-dir", type=Path, default=None, help="sessions, settings, calibrations"
        )
        p.add_argument(
            "--target", type=options.target_text, help="initial target force: 30, 30N, 3kgf"
        )
        p.add_argument(
            "--tolerance", type=options.tolerance_text, help="initial band half-width: 10%% or 3N"
        )
        p.add_argument("--hold", type=options.hold, help="initial hold time in seconds, e.g. 30")
        p.add_argument("--no-browser", action="store_true", help="do not open the dashboard")
        p.add_argument(
            "--insecure-no-token",
            action="store_true",
            help="with --host other than loopback: serve without an access token, so anyone on "
            "the network can watch, record and change settings (refused without this flag)",
        )
        if name == "serve":
            from presshold.cli.network_options import add_hub_options

            add_hub_options(p)
        p.set_defaults(handler=_run, demo=name == "demo")


def _run(args: argparse.Namespace) -> int:
    from presshold.cli.network_options import hub_settings
    from presshold.server.config import load_settings

    settings = load_settings(
        {
            "sources": ("sim",) if args.demo else tuple(args.source or ()),
            "host": args.host,
            "http_port": args.http_port,
            "data_dir": args.data_dir,
            "target": args.target,
            "tolerance": args.tolerance,
            "hold_s": args.hold,
            "open_browser": False if args.no_browser else None,
            "insecure_no_token": True if args.insecure_no_token else None,
            **hub_settings(args),
        }
    )
    return serve(settings)


def serve(settings: ServerSettings) -> int:
    """Bind, print the URL, serve until Ctrl-C / SIGTERM; 0 after a clean stop."""
    import os
    import threading
    import webbrowser

    from presshold.server.app import create_app
    from presshold.server.data_lock import DataDirLock
    from presshold.server.private_files import make_private
    from presshold.server.uvicorn_runner import run_until_signal

    sock = bind(settings.host, settings.http_port)
    port = sock.getsockname()[1]
    url, local_url = urls(settings, port)
    make_private(settings.resolved_data_dir)  # labels may name patients: owner-only
    lock = DataDirLock(settings.resolved_data_dir)  # one server per data directory
    try:
        lock.acquire(f"pid {os.getpid()}, {url.split('?')[0]}")  # never the token
        app = create_app(settings)
    except BaseException:
        lock.release()
        sock.close()
        raise
    print(f"PressHold live view: {url}", flush=True)
    if settings.token:
        print("Anyone with this link can see the live view; share it only with your group.")
    elif settings.insecure_no_token:
        print(
            "WARNING: --insecure-no-token: no access token; anyone on this network can watch, "
            "record and change settings.",
            flush=True,
        )
    print("Press Ctrl-C to stop.", flush=True)
    if settings.open_browser:
        threading.Timer(0.8, webbrowser.open, (local_url,)).start()
    try:
        return run_until_signal(app, sock)
    finally:
        lock.release()


def bind(host: str, port: int) -> socket.socket:
    """Take the port now, so a busy port is one clear line instead of a server traceback."""
    import socket

    from presshold.errors import ConfigError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        sock = socket.create_server((host, port), family=family)
    except OSError as exc:
        import errno

        if exc.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1)):
            raise ConfigError(
                f"port {port} on {host} is already in use (is PressHold already running?); "
                "choose another with --http-port"
            ) from None
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    # Accepted connections inherit this. A small send buffer bounds how far a stalled viewer's
    # gauge can lag (~1 s of 1 kHz frames) before its own queue starts dropping its oldest
    # frames; autotuned buffers would let it fall minutes behind. Plenty for LAN throughput.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
    return sock


def urls(settings: ServerSettings, port: int) -> tuple[str, str]:
    """(URL to print, URL for this machine's browser); both carry the token when one is set."""
    import socket
    from urllib.parse import quote

    query = f"?token={quote(settings.token, safe='')}" if settings.token else ""
    wildcard = settings.host in ("0.0.0.0", "::", "")
    shown = socket.gethostname() if wildcard else settings.host
    shown = f"[{shown}]" if ":" in shown else shown
    local = "127.0.0.1" if wildcard else shown
    return f"http://{shown}:{port}/{query}", f"http://{local}:{port}/{query}"
