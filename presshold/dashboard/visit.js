// One visit's summary for the client's file: prints cleanly to paper or PDF (clinic.css @media
// print). GET /api/clients/{id}/visits/{session id}.
import { api, setupThemeButtons } from "/static/ui.js";
import { duration, when } from "/static/format.js";

setupThemeButtons();
const $ = (id) => document.getElementById(id);
const [, , clientId, , sid] = location.pathname.split("/").map(decodeURIComponent);
const fmt = (v, unit = "", d = 1) => (v == null ? "—" : `${Number(v).toFixed(d)}${unit}`);
$("print-btn").addEventListener("click", () => window.print());
$("back").href = `/clients/${encodeURIComponent(clientId)}`;

try {
  const v = await api(`/api/clients/${encodeURIComponent(clientId)}/visits/${encodeURIComponent(sid)}`);
  document.title = `Visit summary — ${v.client.name} — ${when(v.started_at)}`;
  const meta = [["Client", v.client.name], ["Date", when(v.started_at)], ["Duration", duration(v.duration_s)],
    ["Station", v.station_name || "—"], ["Holds", `${v.holds_completed} of ${v.holds} complete`],
    ["Client signals", String(v.patient_signals)]];
  $("visit-meta").replaceChildren(...meta.flatMap(([k, val]) => {
    const dt = document.createElement("dt"), dd = document.createElement("dd");
    dt.textContent = k; dd.textContent = val;
    return [dt, dd];
  }));
  if (!v.sites.length) $("msg").textContent = "Nothing was recorded at a labelled site in this visit.";
  $("visit-sites").querySelector("tbody").replaceChildren(...v.sites.map((s) => {
    const tr = document.createElement("tr");
    const done = s.holds.filter((h) => h.completed).length;
    const vals = [s.site, `${done} of ${s.holds.length}`, fmt(s.pressure_held_n, " N"), duration(s.time_held_s),
      fmt(s.threshold_before_n, " N"), fmt(s.threshold_after_n, " N"),
      s.discomfort_max == null ? "—" : `${s.discomfort_max}/10`];
    vals.forEach((x, i) => {
      const td = document.createElement(i ? "td" : "th");
      if (i) td.className = "num"; else td.scope = "row";
      td.textContent = x; tr.append(td);
    });
    return tr;
  }));
  $("visit-notes").textContent = v.notes || "—";
  $("visit-footer").textContent = `PressHold · session ${v.session_id} · printed ${new Date().toLocaleString()}`;
} catch (err) {
  $("msg").textContent = `Could not load this visit: ${err.message}`;
}
