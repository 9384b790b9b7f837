// One client's progress: visits over time, per-site charts of threshold, pressure held and
// discomfort, and the latest visit's holds (GET /api/clients/{id}/progress).
import { api, setupThemeButtons } from "/static/ui.js";
import { duration, when } from "/static/format.js";
import { miniChart } from "/static/minichart.js";
import { SENSITIVITY_LABEL } from "/static/client_events.js";

setupThemeButtons();
const $ = (id) => document.getElementById(id);
const id = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop());
const fmt = (v, d = 1) => (v == null ? "—" : Number(v).toFixed(d));

function cells(tr, values, numeric = []) {
  values.forEach((v, i) => {
    const td = document.createElement("td");
    if (numeric.includes(i)) td.className = "num";
    td.append(v);
    tr.append(td);
  });
  return tr;
}

try {
  const p = await api(`/api/clients/${encodeURIComponent(id)}/progress`);
  const c = p.client;
  document.title = `PressHold — ${c.name}`;
  $("client-name").textContent = c.name;
  $("client-meta").textContent = [SENSITIVITY_LABEL[c.sensitivity], c.notes].filter(Boolean).join(" · ");
  $("export").href = `/api/clients/${encodeURIComponent(id)}/export`;
  if (!p.visits.length) $("msg").textContent = "No visits yet: choose this client on the live page and record a session.";
  $("visits").querySelector("tbody").replaceChildren(...p.visits.map((v, i) => {
    const date = document.createElement("a");
    date.href = `/sessions/${encodeURIComponent(v.session_id)}`; date.textContent = when(v.started_at);
    const sum = document.createElement("a");
    sum.href = `/clients/${encodeURIComponent(id)}/visits/${encodeURIComponent(v.session_id)}`;
    sum.textContent = "Visit summary";
    return cells(document.createElement("tr"), [String(i + 1), date, duration(v.duration_s),
      v.sites.join(", ") || "—", `${v.holds_completed} of ${v.holds} complete`, String(v.patient_signals), sum], [2, 5]);
  }));
  $("sites").replaceChildren(...p.sites.map((s) => {
    const card = document.createElement("section");
    card.className = "panel site-card";
    card.setAttribute("aria-label", s.site);
    const h = document.createElement("h4"); h.textContent = s.site; card.append(h);
    const charts = document.createElement("div"); charts.className = "charts";
    const series = (key) => s.visits.map((v) => ({ x: v.visit, y: v[key] }));
    for (const [key, label, unit, yMax] of [
      ["threshold_n", "Threshold", " N", null], ["pressure_held_n", "Pressure held", " N", null],
      ["discomfort_mean", "Discomfort", "", 10],
    ]) {
      const fig = document.createElement("figure");
      const cap = document.createElement("figcaption"); cap.textContent = `${label}${unit ? ` (${unit.trim()})` : " (0–10)"}`;
      fig.append(cap, miniChart(series(key), { label: `${label} at ${s.site}`, unit, yMax }));
      charts.append(fig);
    }
    card.append(charts);
    return card;
  }));
  $("latest").querySelector("tbody").replaceChildren(...p.latest_holds.map((h) =>
    cells(document.createElement("tr"), [h.site, `${fmt(h.start_s)} s`, duration(h.duration_s),
      h.completed ? "yes" : "no", `${fmt(h.mean_n)} N`, h.cv == null ? "—" : `${fmt(100 * h.cv)} %`], [1, 2, 4, 5])));
} catch (err) {
  $("msg").textContent = `Could not load this client: ${err.message}`;
}
