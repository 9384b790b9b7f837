"""A stable identity of this hub, kept in its data dir.

It names the hub's MQTT session (so the broker keeps it across a restart) and marks the
sessions it records in a shared database (so at start it closes only the sessions *it* left
open when several hubs share one PostgreSQL database).
"""

from __future__ import annotations

import uuid
from pathlib import Path


def hub_identity(data_dir: Path) -> str:
    path = Path(data_dir) / "hub-id"
    try:
        text = path.read_text().strip()
        if text:
            return text
    except OSError:
        pass
    hub = uuid.uuid4().hex[:12]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(hub + "\n")
    except OSError:
        pass  # an unwritable data dir is reported by the store; this id then lasts one run
    return hub
