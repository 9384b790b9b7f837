// A small SVG line chart of one value per visit (no dependencies; prints crisply). Missing values
// leave a gap; each point carries a <title> with its visit and value.
const NS = "http://www.w3.org/2000/svg";

/** ``points``: [{x: visit number, y: value or null}]; returns an <svg role="img">. */
export function miniChart(points, { label, unit = "", yMax = null, width = 260, height = 120 } = {}) {
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("class", "mini-chart");
  svg.setAttribute("role", "img");
  const have = points.filter((p) => p.y != null);
  const first = have[0], last = have[have.length - 1];
  svg.setAttribute("aria-label", have.length
    ? `${label}: ${have.map((p) => `visit ${p.x} ${p.y.toFixed(1)}${unit}`).join(", ")}`
    : `${label}: no data`);
  const pad = { l: 34, r: 10, t: 10, b: 22 };
  const xs = points.map((p) => p.x), x0 = Math.min(...xs, 1), x1 = Math.max(...xs, x0 + 1);
  const top = yMax ?? Math.max(1, ...have.map((p) => p.y)) * 1.15;
  const X = (x) => pad.l + ((x - x0) / (x1 - x0)) * (width - pad.l - pad.r);
  const Y = (y) => height - pad.b - (y / top) * (height - pad.t - pad.b);
  const el = (name, attrs, text) => {
    const e = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text != null) e.textContent = text;
    svg.append(e);
    return e;
  };
  for (const f of [0, 0.5, 1]) {
    const y = Y(top * f);
    el("line", { x1: pad.l, x2: width - pad.r, y1: y, y2: y, class: "grid" });
    el("text", { x: pad.l - 4, y: y + 4, class: "tick", "text-anchor": "end" }, (top * f).toFixed(top < 10 ? 1 : 0));
  }
  for (const x of xs) el("text", { x: X(x), y: height - 6, class: "tick", "text-anchor": "middle" }, String(x));
  let d = "", pen = false;
  for (const p of points) {
    if (p.y == null) { pen = false; continue; }
    d += `${pen ? "L" : "M"}${X(p.x).toFixed(1)} ${Y(p.y).toFixed(1)} `;
    pen = true;
  }
  if (d) el("path", { d, class: "line" });
  for (const p of have) {
    const c = el("circle", { cx: X(p.x), cy: Y(p.y), r: 3.5, class: "dot" });
    const t = document.createElementNS(NS, "title");
    t.textContent = `visit ${p.x}: ${p.y.toFixed(1)}${unit}`;
    c.append(t);
  }
  if (first && last && first !== last) {
    const change = last.y - first.y;
    el("text", { x: width - pad.r, y: pad.t + 4, class: "delta", "text-anchor": "end" },
      `${change >= 0 ? "+" : ""}${change.toFixed(1)}${unit}`);
  }
  return svg;
}
