// One recorded session: metrics, exports, holds, events, and a zoomable trace decimated by the
// server (min/max envelope per pixel column; each zoom or pan re-fetches just that range, so an
// 8-hour session costs the same to draw as a 1-minute one).
import { api, setupThemeButtons, cssVar } from "/static/ui.js";
import { duration, when, secs } from "/static/format.js";
import { unitOf, toDisplay, fmt } from "/static/units.js";
import { CLIENT_EVENT_DETAIL, clientMarks } from "/static/client_events.js";

setupThemeButtons();
const $ = (id) => document.getElementById(id);
const id = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop());
const base = `/api/sessions/${encodeURIComponent(id)}`;
$("export-csv").href = `${base}/export.csv`;
$("export-csv").download = `presshold-${id}.csv`;
$("export-json").href = `${base}/export.json`;
$("export-json").download = `presshold-${id}.json`;
for (const [elId, suffix] of [["export-parquet", "parquet"], ["export-mat", "mat"], ["export-fhir", "fhir.json"]]) {
  $(elId).href = `${base}/export.${suffix}`;
  $(elId).download = `presshold-${id}.${suffix}`;
}

let meta = null, plot = null, fullRange = [0, 1], fetchSeq = 0, holds = [], alerts = [], glitches = [];
const settings = () => meta.settings || {};
const HEIGHT = 380;

/** Holds with their metrics: the server's analysis of the whole trace (which also closes a hold
 * still running when the session ended), else the `hold_end` events; each with its point. */
function collectHolds() {
  const marks = meta.marks || [];
  const source = Array.isArray(meta.analysis?.holds) ? meta.analysis.holds
    : (meta.events || []).filter((e) => e.kind === "hold_end");
  return source.map((h) => {
    const end = h.end_s ?? h.t_s, start = h.start_s ?? end - (h.duration_s || 0);
    // The point in effect when the hold began, else one labelled while it ran.
    const mark = marks.filter((m) => m.t_s <= start).pop() ?? marks.find((m) => m.t_s <= end);
    return { ...h, start, end, point: mark ? `${mark.label}${mark.side ? ` ${mark.side}` : ""}` : "" };
  });
}
/** [start, end, kind] of each alert, an unfinished one ending with the session. */
function collectAlerts() {
  const sessionEnd = meta.duration_s || fullRange[1];
  if (Array.isArray(meta.analysis?.alerts))
    return meta.analysis.alerts.map((a) => [a.start_s, a.end_s ?? sessionEnd, a.kind]);
  const out = []; let open = null;
  for (const e of meta.events || []) {
    if (e.kind === "alert_start") open = [e.t_s, null, e.alert || e.direction || ""];
    else if (e.kind === "alert_end" && open) { open[1] = e.t_s; out.push(open); open = null; }
  }
  if (open) { open[1] = sessionEnd; out.push(open); }
  return out;
}

function metricCards() {
  const m = meta.metrics || {}, s = settings(), u = unitOf(s).label;
  const done = holds.filter((h) => h.completed).length;
  const cvs = holds.map((h) => h.cv).filter((v) => Number.isFinite(v));
  const cards = [
    ["Started", when(meta.started_at)],
    ...(meta.station_id ? [["Station", meta.station_name || meta.station_id]] : []),
    ["Duration", duration(meta.duration_s)],
    // the analysis' counts: the same computation as the sessions list (issue 11)
    ["Holds complete", `${m.holds_completed ?? done} of ${m.holds ?? holds.length}`],
    ["Time held", duration(holds.reduce((a, h) => a + (h.duration_s || 0), 0))],
  ];
  if (m.time_in_band_s != null) cards.push(["Time in band", duration(m.time_in_band_s)]);
  if (cvs.length) cards.push(["Mean steadiness (CV)", `${(100 * cvs.reduce((a, b) => a + b, 0) / cvs.length).toFixed(1)} %`]);
  cards.push(["Alerts", String(alerts.length)]);
  if (s.target_n != null) cards.push(["Target", `${fmt(s.target_n, s)} ${u} for ${s.hold_s} s`]);
  const peak = m.peak_n ?? (holds.length ? Math.max(...holds.map((h) => h.peak_n ?? 0)) : null);
  if (peak != null) cards.push(["Peak", `${fmt(peak, s)} ${u}`]);
  $("metrics").replaceChildren(...cards.map(([k, v]) => {
    const d = document.createElement("div"); d.className = k === "Started" || k === "Target" ? "metric wide" : "metric";
    const b = document.createElement("b"); b.textContent = v; d.append(b, k); return d;
  }));
}

function row(cells, numeric = []) {
  const tr = document.createElement("tr");
  cells.forEach((c, i) => {
    const td = document.createElement("td"); td.textContent = c;
    if (numeric.includes(i)) td.className = "num";
    tr.append(td);
  });
  return tr;
}
function holdsTable() {
  const s = settings(), u = unitOf(s).label;
  $("holds").querySelector("tbody").replaceChildren(...holds.map((h, i) => row([
    String(i + 1), h.point || "—", `${secs(h.start)} s`, `${secs(h.duration_s ?? h.end - h.start)} s`,
    h.completed ? "✔ yes" : "no", h.mean_n != null ? `${fmt(h.mean_n, s)} ${u}` : "—",
    h.rms_error_n != null ? `${fmt(h.rms_error_n, s)} ${u}` : "—",
    h.time_to_band_s != null ? `${secs(h.time_to_band_s)} s` : "—",
    Number.isFinite(h.cv) ? `${(100 * h.cv).toFixed(1)} %` : "—", String(h.alerts ?? 0),
  ], [2, 3, 5, 6, 7, 8, 9])));
  $("holds-empty").textContent = holds.length ? "" : "No holds in this session.";
  $("holds").hidden = !holds.length;
}
const EVENT_DETAIL = {
  ...CLIENT_EVENT_DETAIL,
  mark: (e) => `${e.label}${e.side ? ` ${e.side}` : ""}`,
  alert_start: (e) => (e.alert === "over" ? "too much pressure" : e.alert === "under" ? "pressure slipping" : ""),
  hold_end: (e) => `${secs(e.duration_s ?? 0)} s${e.completed ? ", complete" : ""}`,
  gap: (e) => e.reason || "",
  settings: (e) => {
    const s = e.settings || {};
    return s.target_n == null ? "" : `target ${s.target_n.toFixed(1)} N ± ${(s.tolerance_n ?? 0).toFixed(1)} N, hold ${s.hold_s} s`;
  },
};
function eventsTable() {
  const rows = (meta.events || []).filter((e) => e.kind !== "glitch");
  $("events").querySelector("tbody").replaceChildren(...rows.map((e) =>
    row([`${secs(e.t_s)} s`, e.kind.replace(/_/g, " "), EVENT_DETAIL[e.kind]?.(e) ?? ""], [0])));
}

function markersPlugin() {
  return { hooks: { drawClear: (u) => {
    const ctx = u.ctx, st = settings(), { left, top, width, height } = u.bbox;
    const x = (t) => u.valToPos(t, "x", true);
    const span = (a, b, color) => {
      const x0 = Math.max(left, x(a)), x1 = Math.min(left + width, x(b));
      if (x1 > x0) { ctx.fillStyle = color; ctx.fillRect(x0, top, x1 - x0, height); }
    };
    ctx.save();
    ctx.globalAlpha = 0.11; for (const h of holds) span(h.start, h.end, cssVar("--inband"));
    ctx.globalAlpha = 0.22; for (const [a, b] of alerts) span(a, b, cssVar("--over"));
    ctx.globalAlpha = 1;
    if (st.target_n != null) {
      const tol = st.tolerance_pct != null ? st.target_n * st.tolerance_pct / 100 : st.tolerance_n;
      const y0 = u.valToPos(toDisplay(st.target_n + tol, st), "y", true), y1 = u.valToPos(toDisplay(st.target_n - tol, st), "y", true);
      ctx.fillStyle = cssVar("--band"); ctx.fillRect(left, y0, width, y1 - y0);
    }
    ctx.restore();
  }, draw: (u) => {
    const ctx = u.ctx, { left, top, width, height } = u.bbox, dpr = devicePixelRatio;
    ctx.save();
    // sensor glitches: a red tick at the top, never a spike (the force is glitch-guarded)
    ctx.lineWidth = 2 * dpr; ctx.strokeStyle = cssVar("--over");
    for (const t of glitches) {
      const px = u.valToPos(t, "x", true);
      if (px < left || px > left + width) continue;
      ctx.beginPath(); ctx.moveTo(px, top); ctx.lineTo(px, top + 8 * dpr); ctx.stroke();
    }
    ctx.lineWidth = 2 * dpr; ctx.strokeStyle = cssVar("--accent"); ctx.fillStyle = cssVar("--text");
    ctx.font = `600 ${13 * dpr}px system-ui, sans-serif`;
    ctx.textAlign = "left"; ctx.textBaseline = "alphabetic"; // uPlot's axes leave these changed
    let lastLabelX = -Infinity, lane = 0;
    for (const m of [...(meta.marks || []), ...clientMarks(meta.events)]) {
      const px = u.valToPos(m.t_s, "x", true);
      if (px < left || px > left + width) continue;
      ctx.beginPath(); ctx.moveTo(px, top); ctx.lineTo(px, top + height); ctx.stroke();
      lane = px - lastLabelX < 160 * dpr ? (lane + 1) % 3 : 0; // stagger labels that would overlap
      ctx.fillText(`${m.label}${m.side ? ` ${m.side}` : ""}`, px + 4 * dpr, top + (16 + 16 * lane) * dpr);
      lastLabelX = px;
    }
    ctx.restore();
  } } };
}

function showRange(from, to) {
  $("zoom-text").textContent = from == null ? "" : `${secs(from)}–${secs(to)} s`;
}
async function loadRange(from, to) {
  const seq = ++fetchSeq, st = settings();
  const width = Math.max(300, $("trace").clientWidth);
  const q = new URLSearchParams({ max_points: String(Math.min(100000, width * 2)) });
  if (from != null) { q.set("from_s", from.toFixed(4)); q.set("to_s", to.toFixed(4)); }
  const tr = await api(`${base}/trace?${q}`);
  if (seq !== fetchSeq) return; // a newer zoom superseded this request
  glitches = tr.glitch_t_s || [];
  const k = toDisplay(1, st);
  const data = [tr.t_s, tr.min_n.map((v) => v * k), tr.max_n.map((v) => v * k)];
  if (!plot) {
    fullRange = [tr.t_s[0] ?? 0, Math.max(tr.t_s[tr.t_s.length - 1] ?? 1, meta.duration_s || 0)];
    holds = collectHolds(); alerts = collectAlerts();
    makePlot(data, width);
  } else {
    plot.setData(data, false);
  }
  plot.setScale("x", { min: from ?? fullRange[0], max: to ?? fullRange[1] });
  showRange(from, to);
}
function makePlot(data, width) {
  const st = settings(), bandTop = st.target_n != null ? toDisplay(st.target_n * 1.6, st) : 0;
  const axis = { stroke: cssVar("--muted"), grid: { stroke: cssVar("--grid"), width: 1 }, ticks: { stroke: cssVar("--grid"), width: 1 },
    font: "13px system-ui, sans-serif", labelFont: "13px system-ui, sans-serif" };
  plot = new uPlot({
    width, height: HEIGHT, legend: { show: false },
    cursor: { drag: { x: true, y: false, setScale: false }, points: { show: false } },
    scales: { x: { time: false }, y: { range: (u, lo, hi) => [Math.min(0, lo), Math.max(hi * 1.05, bandTop)] } },
    axes: [{ ...axis, values: (u, ticks) => ticks.map((v) => `${+v.toFixed(2)} s`) }, { ...axis, label: unitOf(st).label, labelSize: 22 }],
    series: [{}, { stroke: cssVar("--trace"), width: 1.5, points: { show: false } },
      { stroke: cssVar("--trace"), width: 1.5, points: { show: false } }],
    bands: [{ series: [2, 1], fill: cssVar("--trace") + "55" }],
    plugins: [markersPlugin()],
    hooks: { setSelect: [(u) => {
      if (u.select.width < 4) return;
      const a = u.posToVal(u.select.left, "x"), b = u.posToVal(u.select.left + u.select.width, "x");
      u.setSelect({ left: 0, width: 0 }, false);
      zoomTo(a, b);
    }] },
  }, data, $("trace"));
  plot.over.addEventListener("dblclick", () => zoomTo(null, null));
}
function zoomTo(a, b) {
  if (plot && a != null) plot.setScale("x", { min: a, max: b }); // instant, refined by the fetch
  loadRange(a, b).catch((e) => { $("msg").textContent = `Could not load the trace: ${e.message}`; });
}
function pan(direction) {
  if (!plot) return;
  const { min, max } = plot.scales.x, span = max - min;
  const a = Math.min(Math.max(fullRange[0], min + direction * span * 0.25), fullRange[1] - span);
  zoomTo(Math.max(fullRange[0], a), Math.max(fullRange[0], a) + span);
}
function zoomOut() {
  if (!plot) return;
  const { min, max } = plot.scales.x, mid = (min + max) / 2, span = (max - min) * 2;
  if (span >= fullRange[1] - fullRange[0]) return zoomTo(null, null);
  const a = Math.min(Math.max(fullRange[0], mid - span / 2), fullRange[1] - span);
  zoomTo(a, a + span);
}

document.addEventListener("keydown", (e) => {
  if (e.target.closest("input, select, textarea")) return;
  if (e.key === "ArrowLeft") pan(-1); else if (e.key === "ArrowRight") pan(1); else return;
  e.preventDefault();
});
$("pan-left").addEventListener("click", () => pan(-1));
$("pan-right").addEventListener("click", () => pan(1));
$("zoom-out").addEventListener("click", zoomOut);
$("reset-zoom").addEventListener("click", () => zoomTo(null, null));
addEventListener("resize", () => plot?.setSize({ width: Math.max(300, $("trace").clientWidth), height: HEIGHT }));
addEventListener("presshold-theme", () => {
  if (!plot) return;
  const range = [plot.scales.x.min, plot.scales.x.max], data = plot.data;
  plot.destroy(); makePlot(data, Math.max(300, $("trace").clientWidth));
  plot.setScale("x", { min: range[0], max: range[1] });
});

$("label-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const label = $("label-input").value.trim() || null;
  try {
    await api(base, { method: "PATCH", body: { label } });
    meta.label = label; showTitle();
    $("msg").textContent = label ? `Label saved: ${label}` : "Label removed.";
  } catch (err) { $("msg").textContent = `Label not saved: ${err.message}`; }
});
function showTitle() {
  const points = [...new Set((meta.marks || []).map((m) => m.label))].join(", ");
  const name = meta.label || points;
  $("title").textContent = `Session ${when(meta.started_at)}${name ? ` — ${name}` : ""}`;
}

try {
  meta = await api(base);
  $("label-input").value = meta.label || "";
  showTitle();
  if (meta.imported_from) {
    $("imported").hidden = false;
    $("imported").textContent = `Imported from ${meta.imported_from}`;
  }
  document.title = `PressHold — session ${meta.id}`;
  holds = collectHolds(); alerts = collectAlerts();
  metricCards(); holdsTable(); eventsTable();
  await loadRange(null, null);
} catch (err) {
  $("msg").textContent = `Could not load session: ${err.message}`;
}
// Read-only handle for tests (no behaviour depends on it).
window.presshold = { plot: () => plot, holds: () => holds, glitches: () => glitches };
