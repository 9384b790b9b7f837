"""Import on /sessions in a real Chromium: a good trace becomes a session page; two bad files get
a message naming the line at fault and leave nothing behind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from support.browser import ConsoleErrors, launch_browser
from support.server import ServerProcess

pytestmark = pytest.mark.browser


def _good(path: Path) -> Path:
    """A two-column CSV from some other tool: millis and kgf, with two holds at ~3 kgf."""
    t = np.arange(0, 40, 1 / 50)
    f = np.interp(t, [0, 2, 15, 16, 20, 22, 35, 36, 40], [0, 30, 30, 0, 0, 30, 30, 0, 0])
    rows = "".join(f"{round(a * 1000)},{b / 9.80665:.4f}\n" for a, b in zip(t, f, strict=True))
    path.write_text("millis,force_kgf\n" + rows)
    return path


def test_import_good_and_bad_traces(tmp_path: Path, artifacts_dir: Path) -> None:
    good = _good(tmp_path / "clinic-export.csv")
    bad_value = tmp_path / "typo.csv"
    bad_value.write_text("t_s,force_n\n0.0,1.0\n0.1,2.0\n0.2,3.0\n0.3,3,5\n0.4,x\n")
    bad_log = tmp_path / "serial.log"
    bad_log.write_text("force:1.0\nforce:2.0\n\x1b[31mgarbage from a reset\nforce:3.0\n")

    with launch_browser() as browser, ServerProcess(tmp_path / "data") as server:
        page: Any = browser.new_page(viewport={"width": 1280, "height": 800})
        console = ConsoleErrors(page)
        page.goto(server.url + "/sessions")

        for path, expected in (
            (bad_value, "Not imported: typo.csv:6: column 2 is not a number: 'x'"),
            (bad_log, "Not imported: serial.log:3: not a reading"),
        ):
            page.set_input_files("#import-file", str(path))
            page.get_by_role("button", name="Import").click()
            page.locator("#import-msg", has_text=expected).wait_for()
        # Dropping a file on the panel imports it the same way.
        page.evaluate(
            """(text) => {
              const dt = new DataTransfer();
              dt.items.add(new File([text], "dropped.csv", {type: "text/csv"}));
              document.getElementById("import-form").dispatchEvent(
                new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
            }""",
            "t_s,force_n\n0,1\n0.1,-\n",
        )
        page.locator("#import-msg", has_text="Not imported: dropped.csv:3: column 2").wait_for()
        page.screenshot(path=str(artifacts_dir / "sessions-import-error.png"))
        assert _imported(server) == []  # nothing half-imported

        page.set_input_files("#import-file", str(good))
        page.get_by_role("button", name="Import").click()
        page.wait_for_url("**/sessions/*")
        page.locator("#imported", has_text="Imported from clinic-export.csv").wait_for()
        page.locator("#metrics").filter(has_text="Holds").wait_for()
        page.wait_for_function("document.querySelectorAll('#holds tbody tr').length >= 2")
        page.screenshot(path=str(artifacts_dir / "session-imported.png"))

        assert _imported(server) == ["clinic-export.csv"]
        page.goto(server.url + "/sessions")
        page.get_by_role("cell", name="clinic-export (imported: clinic-export.csv)").wait_for()
        pageerrors = [e for e in console.errors if e.startswith("pageerror")]
        assert pageerrors == []


def _imported(server: ServerProcess) -> list[str]:
    """Source names of the imported sessions (the simulator's own recording is not one)."""
    rows = httpx.get(server.url + "/api/sessions").json()
    return [r["imported_from"] for r in rows if r.get("imported_from")]
