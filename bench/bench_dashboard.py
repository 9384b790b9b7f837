"""Dashboard benchmark: frame rate and sensor-to-gauge latency in headless Chromium.

    python bench/bench_dashboard.py                 # real server on a 1 kHz pty sensor
    python bench/bench_dashboard.py --rate 80       # an HX711's 80 Hz (issue 13's gauge goal)
    python bench/bench_dashboard.py --seconds 20 --steps 60

A pty device streams ``--rate`` lines/s (default 1,000) into the real ``presshold serve``; the live
view shows a 30 s window, and the benchmark waits until that window is full of live samples
before measuring. The fps phase streams a realistic profile (30 N presses, 9 Hz tremor, noise);
the latency phase clean 0 <-> 20 N steps.

1. fps: requestAnimationFrame frame times over ``--seconds``, and how busy the page's main
   thread was meanwhile (Chromium's Performance metrics: less sensitive to other load than fps).
2. latency: the device thread stamps the wall-clock time just before it writes the first line
   of each new level; a MutationObserver in the page stamps (Date.now()) every change of the
   meter's aria-valuenow. Both clocks are this machine's wall clock, so the difference is
   line written -> gauge updated. The page writes the gauge in its animation-frame callback,
   the step just before the browser paints, so a gauge write is what the next painted frame
   shows. Per step: the *first* gauge update that reflects it (moved >= 1 N toward it: the
   transport latency), the update *past half* of it (10 N: issue 13's measure) and the one
   *within 5 N* of the new level (75 %: transport plus the display filter's rise). The
   arrival of the first websocket frame reflecting the step is stamped too, to split server
   from browser.
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from support.browser import launch_browser
from support.pty_device import PtyDevice
from support.server import ServerProcess

WINDOW_S = 30
STEP_N = 20.0

FPS_JS = """(ms) => new Promise((done) => {
  const times = []; const end = performance.now() + ms;
  const step = (t) => {
    times.push(t);
    if (t < end) requestAnimationFrame(step); else done(times);
  };
  requestAnimationFrame(step);
})"""

WATCH_JS = """() => {
  window.__changes = []; window.__frames = [];
  window.presshold.socket().addEventListener('message', (e) => {
    const m = JSON.parse(e.data);
    if (m.type === 'frame') window.__frames.push([Date.now(), m.force_n]);
  });
  const m = document.querySelector('[role=meter]');
  new MutationObserver(() => window.__changes.push(
      [Date.now(), parseFloat(m.getAttribute('aria-valuenow'))]))
    .observe(m, {attributes: true, attributeFilter: ['aria-valuenow']});
}"""


def main_thread_s(cdp: object) -> dict[str, float]:
    """Cumulative main-thread times (seconds) of the page, from the DevTools protocol."""
    wanted = {"TaskDuration", "ScriptDuration", "RecalcStyleDuration", "LayoutDuration"}
    metrics = cdp.send("Performance.getMetrics")["metrics"]  # type: ignore[attr-defined]
    return {m["name"]: m["value"] for m in metrics if m["name"] in wanted}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(name: str, values: list[float]) -> str:
    if not values:
        return f"{name}: never observed within 350 ms of the step"
    return (
        f"{name}: n={len(values)} p50 {pct(values, 0.5):.1f} ms, mean {statistics.mean(values):.1f}"
        f" ms, p95 {pct(values, 0.95):.1f} ms, p99 {pct(values, 0.99):.1f} ms,"
        f" max {max(values):.1f} ms"
    )


def moved(before: float, target: float, by: float) -> Callable[[float], bool]:
    """Whether a shown value has moved at least ``by`` from ``before`` toward ``target``."""
    sign = 1.0 if target > before else -1.0
    return lambda value: sign * (value - before) >= by


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0, help="fps measuring time")
    ap.add_argument("--steps", type=int, default=40, help="latency steps (alternating 0/20 N)")
    ap.add_argument("--rate", type=int, default=1000, help="sensor lines per second (80, 1000)")
    ap.add_argument("--screenshot", type=Path, help="save the live view (full window) here")
    args = ap.parse_args()

    level: list[float | None] = [None]  # None: the realistic press profile, else a fixed level
    written_ms: list[float | None] = [None]  # when the first line of the current level went out

    def profile(t: float) -> float:
        """Presses of 30 N held ~6 s every 10 s, with 9 Hz tremor and sensor noise; or a step.
        Called by the device thread just before it writes the line carrying the value."""
        if level[0] is not None:
            if written_ms[0] is None:
                written_ms[0] = time.time() * 1000
            return level[0]
        phase = t % 10.0
        envelope = min(1.0, phase / 1.5, max(0.0, (8.0 - phase) / 1.0))
        return 30.0 * envelope + 0.6 * math.sin(2 * math.pi * 9 * t) + random.gauss(0, 0.15)

    with (
        tempfile.TemporaryDirectory() as tmp,
        launch_browser() as browser,
        PtyDevice(Path(tmp) / "ttyBENCH", rate_hz=args.rate) as dev,
    ):
        dev.send_hello(sensor="bench", rate=args.rate)
        dev.start_stream(profile)
        with ServerProcess(Path(tmp) / "data", source=dev.path) as server:
            page = browser.new_page(viewport={"width": 1280, "height": 860})  # type: ignore[attr-defined]
            page.goto(server.url + "/")
            page.locator("#status[data-state='connected']").wait_for(timeout=10_000)
            load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
            print(
                f"{os.cpu_count()} CPUs, load {load:.1f}, sensor {args.rate} Hz;"
                f" filling the {WINDOW_S} s window ..."
            )
            page.wait_for_function(
                f"window.presshold.ring.lastT >= {WINDOW_S + 1}",  # a window of live samples only
                timeout=(WINDOW_S + 20) * 1000,
            )
            if args.screenshot:
                page.screenshot(path=str(args.screenshot))
            cdp = page.context.new_cdp_session(page)
            cdp.send("Performance.enable")
            before = main_thread_s(cdp)
            frames = page.evaluate(FPS_JS, args.seconds * 1000)
            busy = {k: (v - before[k]) / args.seconds * 1000 for k, v in main_thread_s(cdp).items()}
            dts = [b - a for a, b in itertools.pairwise(frames)]
            fps = len(dts) / (sum(dts) / 1000)
            n_points, n_drawn = page.evaluate(
                f"""() => [window.presshold.ring.window(window.presshold.ring.lastT - {WINDOW_S})[0]
                    .length, window.presshold.plot().data[0].length]"""
            )
            print(
                f"fps: {fps:.1f} over {args.seconds:g} s (frame time p95 {pct(dts, 0.95):.1f} ms,"
                f" max {max(dts):.1f} ms) with {n_points} samples in the window"
                f" ({n_drawn} after per-pixel min/max)"
            )
            print(
                "page main thread busy {TaskDuration:.0f} ms/s (script {ScriptDuration:.0f},"
                " style {RecalcStyleDuration:.0f}, layout {LayoutDuration:.0f})".format(**busy)
            )

            level[0] = 0.0
            page.evaluate(WATCH_JS)
            first, half, settled, arrived = [], [], [], []
            for i in range(args.steps):
                before, target = level[0] or 0.0, STEP_N if i % 2 == 0 else 0.0
                time.sleep(0.35)  # let the previous step settle
                page.evaluate("() => { window.__changes = []; window.__frames = []; }")
                written_ms[0] = None
                level[0] = target  # the device thread writes it with its next line
                time.sleep(0.35)  # no polling from here: nothing competes with the pipeline
                changes, frames = page.evaluate("() => [window.__changes, window.__frames]")
                sent = written_ms[0]
                if sent is None:
                    continue  # the device thread never got to write it (a stalled machine)
                # (list, what was seen, the level it must reach or pass, from which side)
                for out, seen, passed in (
                    (arrived, frames, moved(before, target, 1.0)),
                    (first, changes, moved(before, target, 1.0)),
                    (half, changes, moved(before, target, STEP_N / 2)),
                    (settled, changes, moved(before, target, STEP_N - 5.0)),
                ):
                    hits = [stamp for stamp, value in seen if passed(value)]
                    if hits:
                        out.append(hits[0] - sent)
            print(summary("latency line -> first websocket frame reflecting it", arrived))
            print(summary("latency line -> first gauge update reflecting it", first))
            print(summary("latency line -> gauge past half (10 N) of a 20 N step", half))
            print(summary("latency line -> gauge within 5 N of a 20 N step", settled), flush=True)
            # before the server stops reading: a device thread blocked on a full pty would
            # hold the device's lock, and closing the device would wait for it for ever
            dev.stop_stream()


if __name__ == "__main__":
    main()
