"""Dashboard benchmark: frame rate and sensor-to-gauge latency in headless Chromium.

    python bench/bench_dashboard.py            # real server on a 1 kHz pty sensor
    python bench/bench_dashboard.py --seconds 20

A pty device streams 1,000 lines/s into the real ``presshold serve``; the live view shows a 30 s
window. (1) fps: requestAnimationFrame frame times over ``--seconds``. (2) latency: the device
writes a step (0 -> 20 N, back) at a known wall-clock time; the page records (Date.now()) when
the meter's aria-valuenow first reflects it, via a MutationObserver. Both clocks are this
machine's, so the difference is line-written -> gauge-updated. Reports mean/p95/p99.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from support.browser import launch_browser
from support.pty_device import PtyDevice
from support.server import ServerProcess

FPS_JS = """(ms) => new Promise((done) => {
  const times = []; const end = performance.now() + ms;
  const step = (t) => {
    times.push(t);
    if (t < end) requestAnimationFrame(step); else done(times);
  };
  requestAnimationFrame(step);
})"""

WATCH_JS = """() => {
  window.__changes = [];
  const m = document.querySelector('[role=meter]');
  const seen = () => [Date.now(), parseFloat(m.getAttribute('aria-valuenow'))];
  new MutationObserver(() => window.__changes.push(seen()))
    .observe(m, {attributes: true, attributeFilter: ['aria-valuenow']});
}"""


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0, help="fps measuring time")
    ap.add_argument("--steps", type=int, default=40, help="latency steps")
    args = ap.parse_args()

    level = [0.0]
    with (
        tempfile.TemporaryDirectory() as tmp,
        launch_browser() as browser,
        PtyDevice(Path(tmp) / "ttyBENCH", rate_hz=1000) as dev,
    ):
        dev.send_hello(sensor="bench", rate=1000)
        dev.start_stream(lambda t: level[0])
        with ServerProcess(Path(tmp) / "data", source=dev.path) as server:
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            page.goto(server.url + "/")
            page.get_by_role("meter").wait_for()
            time.sleep(3)  # fill part of the window
            frames = page.evaluate(FPS_JS, args.seconds * 1000)
            dts = [b - a for a, b in itertools.pairwise(frames)]
            fps = len(dts) / (sum(dts) / 1000)
            n_points = page.evaluate("() => window.presshold.plot().data[0].length")
            print(f"fps: {fps:.1f} (frame time p95 {pct(dts, 0.95):.1f} ms, "
                  f"max {max(dts):.1f} ms) with {n_points} points drawn")  # fmt: skip

            page.evaluate(WATCH_JS)
            latencies = []
            for i in range(args.steps):
                target = 20.0 if i % 2 == 0 else 0.0
                time.sleep(0.4)
                page.evaluate("() => { window.__changes = []; }")
                level[0] = target
                written_ms = time.time() * 1000
                deadline = time.monotonic() + 2
                while time.monotonic() < deadline:
                    hits = page.evaluate(
                        "(t) => window.__changes.filter(([, v]) => Math.abs(v - t) < 5)", target
                    )
                    if hits:
                        latencies.append(hits[0][0] - written_ms)
                        break
                    time.sleep(0.005)
            if latencies:
                print(f"latency line->gauge over {len(latencies)} steps: "
                      f"mean {statistics.mean(latencies):.1f} ms, "
                      f"p95 {pct(latencies, 0.95):.1f} ms, "
                      f"p99 {pct(latencies, 0.99):.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
