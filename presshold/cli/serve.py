"""``presshold serve`` and ``presshold demo``: the live server (and a browser on the simulator)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``serve`` and ``demo``."""
    for name, help_ in (
        ("serve", "run the live server"),
        ("demo", "serve the simulator, open a browser"),
    ):
        p = sub.add_parser(name, help=help_)
        if name == "serve":
            p.add_argument("--source", default=None, help="sim, a CSV trace, or a serial port")
        p.add_argument("--http-port", type=int, default=8765)
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--data-dir", type=Path, default=None)
        p.add_argument("--no-browser", action="store_true")
        p.set_defaults(handler=_run, demo=name == "demo")


def _run(args: argparse.Namespace) -> int:
    import threading
    import webbrowser

    import platformdirs
    import uvicorn

    from presshold.errors import ConfigError
    from presshold.firmware_bridge.sources import choose_default_source, open_source
    from presshold.server.app import create_app

    if args.host not in ("127.0.0.1", "localhost", "::1"):
        raise ConfigError("only loopback binds are supported in this version (no token auth yet)")
    data_dir = args.data_dir or Path(platformdirs.user_data_dir("PressHold"))
    spec = "sim" if args.demo else (args.source or choose_default_source())
    source = open_source(spec, data_dir=data_dir)
    url = f"http://{args.host}:{args.http_port}/"
    print(f"PressHold live view: {url}", flush=True)
    if args.demo and not args.no_browser:
        threading.Timer(1.0, webbrowser.open, (url,)).start()
    uvicorn.run(
        create_app(source, data_dir), host=args.host, port=args.http_port, log_level="warning"
    )
    return 0
