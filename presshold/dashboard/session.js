// One recorded session: metrics, exports, and a zoomable trace decimated by the server
// (min/max envelope per pixel column, re-fetched at full detail for the zoomed range).
import { api, setupThemeButtons, cssVar } from "/static/ui.js";
import { duration, when } from "/static/format.js";
import { unitOf, toDisplay, fmt } from "/static/units.js";

setupThemeButtons();
const $ = (id) => document.getElementById(id);
const id = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop());
const base = `/api/sessions/${encodeURIComponent(id)}`;
$("export-csv").href = `${base}/export.csv`;
$("export-json").href = `${base}/export.json`;

let meta = null, plot = null, fullRange = [0, 1], fetchSeq = 0;

function metricCards(m) {
  const s = meta.settings || {}, u = unitOf(s).label;
  const cards = [
    ["Started", when(meta.started_at)], ["Duration", duration(meta.duration_s)],
    ["Holds completed", `${m.holds_completed ?? "—"} / ${m.holds ?? "—"}`],
    ["Time in band", duration(m.time_in_band_s)],
  ];
  if (m.peak_n != null) cards.push(["Peak", `${fmt(m.peak_n, s)} ${u}`]);
  if (m.mean_hold_force_n != null) cards.push(["Mean hold force", `${fmt(m.mean_hold_force_n, s)} ${u}`]);
  for (const [k, v] of Object.entries(m)) {
    if (typeof v === "number" && !["holds", "holds_completed", "time_in_band_s", "peak_n", "mean_hold_force_n"].includes(k))
      cards.push([k.replace(/_/g, " "), Number.isInteger(v) ? v : v.toFixed(2)]);
  }
  $("metrics").replaceChildren(...cards.map(([k, v]) => {
    const d = document.createElement("div"); d.className = "metric";
    const b = document.createElement("b"); b.textContent = v; d.append(b, k); return d;
  }));
}

function eventsTable() {
  const rows = [...(meta.events || []), ...(meta.marks || []).map((m) => ({ ...m, kind: "mark" }))]
    .sort((a, b) => a.t_s - b.t_s);
  $("events").querySelector("tbody").replaceChildren(...rows.map((e) => {
    const tr = document.createElement("tr");
    const detail = e.kind === "mark" ? `${e.label}${e.side ? ` ${e.side}` : ""}` : e.kind === "alert_start" ? (e.alert || e.direction || "") : "";
    for (const c of [`${e.t_s.toFixed(1)} s`, e.kind.replace(/_/g, " "), detail]) {
      const td = document.createElement("td"); td.textContent = c; tr.append(td);
    }
    return tr;
  }));
}

function markersPlugin() {
  const s = () => meta.settings || {};
  return { hooks: { draw: (u) => {
    const ctx = u.ctx, st = s(), top = u.bbox.top, h = u.bbox.height;
    ctx.save();
    if (st.target_n != null) {
      const tol = st.tolerance_pct != null ? st.target_n * st.tolerance_pct / 100 : st.tolerance_n;
      const y0 = u.valToPos(toDisplay(st.target_n + tol, st), "y", true), y1 = u.valToPos(toDisplay(st.target_n - tol, st), "y", true);
      ctx.fillStyle = cssVar("--band"); ctx.fillRect(u.bbox.left, y0, u.bbox.width, y1 - y0);
    }
    const line = (t, color) => { const x = u.valToPos(t, "x", true); ctx.strokeStyle = color; ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + h); ctx.stroke(); return x; };
    ctx.lineWidth = 2 * devicePixelRatio;
    for (const e of meta.events || []) {
      if (e.kind === "hold_start" || e.kind === "hold_end") line(e.t_s, cssVar("--inband"));
      else if (e.kind === "alert_start") line(e.t_s, cssVar("--over"));
    }
    ctx.fillStyle = cssVar("--text"); ctx.font = `${12 * devicePixelRatio}px system-ui`;
    for (const m of meta.marks || []) {
      const x = line(m.t_s, cssVar("--accent"));
      ctx.fillText(`${m.label}${m.side ? ` ${m.side}` : ""}`, x + 4, top + 14 * devicePixelRatio);
    }
    ctx.restore();
  } } };
}

async function loadRange(from, to) {
  const seq = ++fetchSeq, st = meta.settings || {};
  const width = Math.max(200, $("trace").clientWidth);
  const q = new URLSearchParams({ max_points: String(width * 2) });
  if (from != null) { q.set("from_s", String(from)); q.set("to_s", String(to)); }
  const tr = await api(`${base}/trace?${q}`);
  if (seq !== fetchSeq) return; // a newer zoom superseded this request
  const k = toDisplay(1, st);
  const data = [tr.t_s, tr.min_n.map((v) => v * k), tr.max_n.map((v) => v * k)];
  if (!plot) {
    fullRange = [tr.t_s[0] ?? 0, tr.t_s[tr.t_s.length - 1] ?? 1];
    const axis = { stroke: cssVar("--muted"), grid: { stroke: cssVar("--line") }, ticks: { stroke: cssVar("--line") } };
    plot = new uPlot({
      width, height: 360, legend: { show: false },
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: false } },
      axes: [{ ...axis, label: "s" }, { ...axis, label: unitOf(st).label }],
      series: [{}, { stroke: cssVar("--accent"), width: 1.5, points: { show: false } },
        { stroke: cssVar("--accent"), width: 1.5, points: { show: false } }],
      bands: [{ series: [2, 1], fill: cssVar("--accent") + "55" }],
      plugins: [markersPlugin()],
      hooks: { setSelect: [(u) => {
        if (u.select.width < 4) return;
        const a = u.posToVal(u.select.left, "x"), b = u.posToVal(u.select.left + u.select.width, "x");
        u.setSelect({ left: 0, width: 0 }, false); zoomTo(a, b);
      }] },
    }, data, $("trace"));
    plot.over.addEventListener("dblclick", () => zoomTo(null, null));
  } else {
    plot.setData(data, false);
    plot.setScale("x", { min: from ?? fullRange[0], max: to ?? fullRange[1] });
  }
}
function zoomTo(a, b) { loadRange(a, b).catch((e) => { $("msg").textContent = e.message; }); }

document.addEventListener("keydown", (e) => {
  if (!plot || (e.key !== "ArrowLeft" && e.key !== "ArrowRight")) return;
  const { min, max } = plot.scales.x, span = max - min, d = (e.key === "ArrowLeft" ? -1 : 1) * span * 0.25;
  zoomTo(Math.max(fullRange[0], min + d), Math.max(fullRange[0], min + d) + span);
});
$("reset-zoom").addEventListener("click", () => zoomTo(null, null));
window.addEventListener("resize", () => plot?.setSize({ width: $("trace").clientWidth, height: 360 }));

try {
  meta = await api(base);
  $("title").textContent = `Session ${meta.label || meta.id || id}`;
  document.title = `PressHold — ${meta.label || id}`;
  metricCards(meta.metrics || {});
  eventsTable();
  await loadRange(null, null);
} catch (err) {
  $("msg").textContent = `Could not load session: ${err.message}`;
}
