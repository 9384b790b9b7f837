// Which station this live page shows: ?station=ID (default: the server's first), a picker in the
// header when the server has several, and the query every per-station request carries.
import { api } from "/static/ui.js";

export const stationId = new URLSearchParams(location.search).get("station");

/** ``path`` for this page's station (per-station routes take ?station=ID). */
export function forStation(path) {
  if (!stationId) return path;
  return `${path}${path.includes("?") ? "&" : "?"}station=${encodeURIComponent(stationId)}`;
}

/** Fill the header's station picker; hidden while the server has a single station. */
export async function setupStationPicker(select) {
  if (!select) return;
  let stations;
  try { stations = await api("/api/stations"); } catch { return; }
  select.replaceChildren(...stations.map((s) => {
    const o = document.createElement("option");
    o.value = s.id;
    o.textContent = s.connected ? s.name : `${s.name} (disconnected)`;
    return o;
  }));
  select.value = stationId && stations.some((s) => s.id === stationId) ? stationId : stations[0]?.id;
  select.closest(".station-pick").hidden = stations.length < 2;
  select.addEventListener("change", () => {
    const q = new URLSearchParams(location.search);
    q.set("station", select.value);
    location.search = q.toString();
  });
}
