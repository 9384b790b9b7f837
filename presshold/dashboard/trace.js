// The live scrolling trace: a uPlot chart of the ring buffer's newest window, with the target
// band shaded, the target dashed and labelled points marked. Redrawn only when marked dirty, and
// at most once per call to draw() (the page calls it once per animation frame).
import { cssVar } from "/static/ui.js";

const MAX_COLUMNS = 4096;

export class LiveTrace {
  /**
   * @param {HTMLElement} el  container (its parent panel sets the width)
   * @param {object} view     getters in display units: band() → [lo, hi], target(), yMax(),
   *                          unit() → axis label, windowS() → seconds shown
   */
  constructor(el, view) {
    this.el = el;
    this.view = view;
    this.plot = null;
    this.marks = []; // [t_s, label]
    this.glitches = []; // t_s of samples the server's glitch guard replaced (drawn as ticks)
    this.dirty = true;
    this.size = "";
    this.decT = new Float64Array(2 * MAX_COLUMNS);
    this.decV = new Float64Array(2 * MAX_COLUMNS);
    new ResizeObserver(() => this.fit()).observe(el);
    addEventListener("resize", () => this.fit());
  }

  /** (Re)create the chart: at start, and when the theme or the unit label changes. */
  build() {
    this.plot?.destroy();
    const axis = { stroke: cssVar("--muted"), grid: { stroke: cssVar("--grid"), width: 1 },
      ticks: { stroke: cssVar("--grid"), width: 1 },
      font: "13px system-ui, sans-serif", labelFont: "13px system-ui, sans-serif" };
    this.plot = new uPlot({
      ...this.measure(), legend: { show: false }, cursor: { show: false }, select: { show: false },
      scales: { x: { time: false }, y: { auto: false, range: () => [0, this.view.yMax()] } },
      axes: [{ ...axis, values: (u, ticks) => ticks.map((v) => `${+v.toFixed(1)} s`) },
        { ...axis, label: this.view.unit(), labelSize: 22 }],
      series: [{}, { stroke: cssVar("--trace"), width: 2, points: { show: false } }],
      plugins: [this.overlays()],
    }, [[], []], this.el);
    this.size = "";
    this.dirty = true;
  }

  get unitLabel() { return this.plot?.axes[1].label; }

  /** The container's box: the page's layout gives it a size (the chart never sizes the page). */
  measure() {
    return { width: Math.max(200, this.el.clientWidth), height: Math.max(90, this.el.clientHeight) };
  }

  fit() {
    const size = this.measure(), key = `${size.width}x${size.height}`;
    if (this.plot && key !== this.size) { this.size = key; this.plot.setSize(size); }
  }

  /** The band, target or range changed. */
  rescale() {
    this.plot?.setScale("y", { min: 0, max: this.view.yMax() });
    this.dirty = true;
  }

  addMark(t, label) {
    if (this.marks.some(([m]) => Math.abs(m - t) < 1e-3)) return;
    this.marks.push([t, label]);
    if (this.marks.length > 200) this.marks.shift();
    this.dirty = true;
  }

  /** A sensor glitch: a small tick at the top, never a spike in the force. */
  addGlitch(t) {
    this.glitches.push(t);
    if (this.glitches.length > 200) this.glitches.shift();
    this.dirty = true;
  }

  clearMarks() { this.marks.length = 0; this.glitches.length = 0; this.dirty = true; }

  /** Redraw from the ring if anything changed since the last draw. */
  draw(ring) {
    if (!this.plot || !this.dirty) return;
    this.dirty = false;
    const windowS = this.view.windowS(), tEnd = ring.lastT, from = tEnd - windowS;
    const xMin = Math.max(0, from), xMax = Math.max(tEnd, windowS);
    const [ts, vs] = ring.window(from);
    this.plot.batch(() => {
      this.plot.setData(this.decimate(ts, vs, xMin, xMax - xMin, Math.round(this.plot.bbox.width)), false);
      this.plot.setScale("x", { min: xMin, max: xMax });
    });
  }

  /**
   * Per-pixel-column min and max, in time order, into reused buffers: exactly the envelope the
   * canvas can show of 30,000+ points, drawn at a fraction of the cost and allocating nothing.
   */
  decimate(ts, vs, from, span, cols) {
    const outT = this.decT, outV = this.decV;
    if (ts.length <= 2 * cols || cols > MAX_COLUMNS || !(span > 0)) return [ts, vs];
    let n = 0, col = NaN, iMin = 0, iMax = 0;
    const flush = () => {
      const a = Math.min(iMin, iMax), b = Math.max(iMin, iMax);
      outT[n] = ts[a]; outV[n++] = vs[a];
      if (b !== a) { outT[n] = ts[b]; outV[n++] = vs[b]; }
    };
    const perT = cols / span;
    for (let i = 0; i < ts.length; i++) {
      const c = Math.floor((ts[i] - from) * perT);
      if (c !== col) { if (i > 0) flush(); col = c; iMin = iMax = i; }
      else if (vs[i] < vs[iMin]) iMin = i;
      else if (vs[i] > vs[iMax]) iMax = i;
    }
    if (ts.length) flush();
    return [outT.subarray(0, n), outV.subarray(0, n)];
  }

  /** Band and target under the series; point labels over it. */
  overlays() {
    const view = this.view, marks = this.marks, glitches = this.glitches;
    return { hooks: {
      drawClear: (u) => {
        const ctx = u.ctx, { left, width } = u.bbox, dpr = devicePixelRatio, [lo, hi] = view.band();
        const y0 = u.valToPos(hi, "y", true), y1 = u.valToPos(lo, "y", true), yt = u.valToPos(view.target(), "y", true);
        ctx.save();
        ctx.fillStyle = cssVar("--band"); ctx.fillRect(left, y0, width, y1 - y0);
        ctx.strokeStyle = cssVar("--inband"); ctx.lineWidth = dpr; ctx.setLineDash([6 * dpr, 4 * dpr]);
        ctx.beginPath(); ctx.moveTo(left, yt); ctx.lineTo(left + width, yt); ctx.stroke();
        ctx.restore();
      },
      draw: (u) => {
        const ctx = u.ctx, { left, top, width, height } = u.bbox, dpr = devicePixelRatio;
        ctx.save();
        ctx.strokeStyle = cssVar("--over"); ctx.lineWidth = 2 * dpr;
        for (const t of glitches) {
          const x = u.valToPos(t, "x", true);
          if (x < left || x > left + width) continue;
          ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + 8 * dpr); ctx.stroke();
        }
        ctx.strokeStyle = cssVar("--accent"); ctx.fillStyle = cssVar("--text"); ctx.lineWidth = 2 * dpr;
        ctx.font = `600 ${13 * dpr}px system-ui, sans-serif`; ctx.textAlign = "left"; ctx.textBaseline = "top";
        for (const [t, label] of marks) {
          const x = u.valToPos(t, "x", true);
          if (x < left || x > left + width) continue;
          ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + height); ctx.stroke();
          ctx.fillText(label, x + 4 * dpr, top + 4 * dpr);
        }
        ctx.restore();
      },
    } };
  }
}
