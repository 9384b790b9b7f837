// History list: GET /api/sessions, newest first, each row links to its session page.
import { api, setupThemeButtons } from "/static/ui.js";
import { duration, when } from "/static/format.js";
import { setupImport } from "/static/import.js";

setupThemeButtons();
setupImport(document.getElementById("import-form"));
const body = document.querySelector("#list tbody");
const msg = document.getElementById("msg");
const station = new URLSearchParams(location.search).get("station");
await setupFilter();
try {
  const list = await api(station ? `/api/sessions?station=${encodeURIComponent(station)}` : "/api/sessions");
  const sessions = Array.isArray(list) ? list : list.sessions || [];
  if (!sessions.length) msg.textContent = "No sessions recorded yet. Start one from the live view.";
  sessions.sort((a, b) => String(b.started_at).localeCompare(String(a.started_at)));
  for (const s of sessions) {
    const tr = document.createElement("tr");
    const a = document.createElement("a");
    a.href = `/sessions/${encodeURIComponent(s.id)}`; a.textContent = when(s.started_at);
    const holds = s.holds ?? 0;
    const cells = [
      a,
      s.ended_at ? duration(s.duration_s) : "recording…",
      s.station_name || s.station_id || "—",
      (s.label || (s.points || []).join(", ") || "—") // like the session page's title
        + (s.imported_from ? ` (imported: ${s.imported_from})` : ""),
      holds ? `${s.holds_completed ?? 0} of ${holds} complete` : "none",
      // Computed by the server when a session's page is first opened, then cached.
      s.time_in_band_s != null ? duration(s.time_in_band_s) : "—",
    ];
    cells.forEach((c, i) => {
      const td = document.createElement("td");
      if (i === 1 || i === 5) td.className = "num";
      td.append(c); tr.append(td);
    });
    body.append(tr);
  }
} catch (err) {
  msg.textContent = `Could not load sessions: ${err.message}`;
}

// ?station=ID keeps one station's sessions; the picker appears when there are several stations.
async function setupFilter() {
  const select = document.getElementById("station-filter");
  let stations = [];
  try { stations = await api("/api/stations"); } catch { return; }
  if (stations.length < 2 && !station) return;
  const all = new Option("All stations", "");
  select.replaceChildren(all, ...stations.map((s) => new Option(s.name, s.id)));
  select.value = station || "";
  select.closest(".station-pick").hidden = false;
  select.addEventListener("change", () => {
    location.search = select.value ? `?station=${encodeURIComponent(select.value)}` : "";
  });
}
