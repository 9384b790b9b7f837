"""One computation of a session's holds everywhere (issue 11, item 6), and its points in the list.

The live view's ``hold_end`` events cannot count a hold still open when the session stopped; the
analysis (``analyze`` over the stored trace, as the session page shows it) closes it. Once a
session is analysed, the list shows the analysis' counts — the same numbers as its page."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from presshold.server.session_metrics import hold_params, session_metrics
from presshold.server.store import SessionStore
from presshold.signal import LivePipeline

SETTINGS = {"target_n": 25.0, "tolerance_n": 3.0, "hold_s": 4.0, "grace_s": 0.5, "min_hold_s": 1.0}


def test_list_and_page_agree_on_holds(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    store.open()
    try:
        rate = 80.0
        t = np.arange(0, 30, 1 / rate)
        c = t % 10.0
        f = np.where((c > 1) & (c < 7), 25.0, 0.0)
        f[t > 24] = 25.0  # the third hold is still running when the session stops
        meta = {"id": "s", "started_at": "2026-11-29T10:00:00Z", "settings": SETTINGS}
        store.create_session(meta)
        pipe = LivePipeline(hold_params(SETTINGS), rate)
        for i in range(0, t.size, 40):  # what the live hub records: blocks and their events
            tb, fb = t[i : i + 40], f[i : i + 40]
            store.add_block("s", tb, fb, fb * 2150)
            for e in pipe.process(tb, fb).events:
                store.add_event("s", e.t_s, e.kind, e.data)
        store.add_event("s", 3.0, "mark", {"label": "upper trapezius", "side": "L"})
        store.add_event("s", 13.0, "mark", {"label": "levator scapulae", "side": None})
        store.end_session("s", "2026-11-29T10:00:30Z")
        assert store.sync()
        before = store.list_sessions()[0]
        assert before["holds"] == 2  # the live events: the open hold has no hold_end yet
        page = session_metrics(store, store.get_session("s") or {}, recording=False)
        assert store.sync()
        after = store.list_sessions()[0]
        assert page["metrics"]["holds"] == len(page["analysis"]["holds"]) == 3
        assert (after["holds"], after["holds_completed"], after["alerts"]) == (
            page["metrics"]["holds"],
            page["metrics"]["holds_completed"],
            page["metrics"]["alerts"],
        )
        assert sorted(after["points"]) == ["levator scapulae", "upper trapezius"]
    finally:
        store.close()
