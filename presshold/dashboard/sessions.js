// History list: GET /api/sessions, newest first, each row links to its session page.
import { api, setupThemeButtons } from "/static/ui.js";
import { duration, when } from "/static/format.js";

setupThemeButtons();
const body = document.querySelector("#list tbody");
try {
  const list = await api("/api/sessions");
  const sessions = Array.isArray(list) ? list : list.sessions || [];
  if (!sessions.length) document.getElementById("msg").textContent = "No sessions recorded yet. Start one from the live view.";
  sessions.sort((a, b) => String(b.started_at).localeCompare(String(a.started_at)));
  for (const s of sessions) {
    const tr = document.createElement("tr");
    const a = document.createElement("a");
    a.href = `/sessions/${encodeURIComponent(s.id)}`; a.textContent = when(s.started_at);
    const cells = [a, duration(s.duration_s), s.label || "—",
      `${s.holds ?? 0} (${s.holds_completed ?? 0})`, duration(s.time_in_band_s)];
    for (const c of cells) { const td = document.createElement("td"); td.append(c); tr.append(td); }
    body.append(tr);
  }
} catch (err) {
  document.getElementById("msg").textContent = `Could not load sessions: ${err.message}`;
}
