// Overview: /ws/overview → one tile per station (name, big number, band colour, hold ring and
// timer, alert, recording dot). Clicking a tile opens that station's live view.
import { setupThemeButtons } from "/static/ui.js";
import { fmt, unitOf } from "/static/units.js";
import { decorateTile, onClassOverview, setupClass } from "/static/overview_trainer.js";

const ALERTS = { over: "Too much pressure", under: "Pressure slipping" };
const RING = 263.9; // 2π·42, the ring's circumference in the SVG
const tiles = new Map(); // id → { el, parts }
const $ = (id) => document.getElementById(id);

function clock(s) {
  const t = Math.max(0, Math.floor(s));
  return `${Math.floor(t / 60)}:${String(t % 60).padStart(2, "0")}`;
}

function zoneOf(st) {
  if (!st.connected || st.force_n == null) return "offline";
  if (st.in_band) return "in";
  const [lo, hi] = st.band_n;
  if (st.force_n > hi) return "over";
  return st.force_n >= lo * 0.5 ? "below" : "idle";
}

function makeTile(st) {
  const el = $("tile-template").content.firstElementChild.cloneNode(true);
  el.href = `/?station=${encodeURIComponent(st.id)}`;
  el.dataset.station = st.id;
  const q = (c) => el.querySelector(c);
  const parts = { name: q(".tile-name"), meter: q(".tile-meter"), big: q(".tile-big"), unit: q(".tile-unit"),
    state: q(".tile-state"), band: q(".tile-band"), timer: q(".tile-timer"), ring: q(".ring"),
    time: q(".tile-time"), holds: q(".tile-holds"), alert: q(".tile-alert") };
  return { el, parts };
}

function render(tile, st) {
  const { el, parts: p } = tile;
  const settings = { unit: st.unit, probe_area_cm2: st.probe_area_cm2 };
  const u = unitOf(settings).label, zone = zoneOf(st);
  el.setAttribute("aria-label", st.name);
  el.dataset.zone = zone;
  el.dataset.recording = String(!!st.recording);
  p.name.textContent = st.name;
  p.big.textContent = st.force_n == null ? "—" : fmt(st.force_n, settings);
  p.unit.textContent = u;
  // the live page's words (app.js ZONE_WORD), so one state reads the same on both pages
  const words = { offline: st.connected ? "Waiting" : "Disconnected", in: "In band", over: "Over target",
    below: "Below target", idle: "At rest" };
  p.state.textContent = words[zone];
  p.band.textContent = `Band ${fmt(st.band_n[0], settings)}–${fmt(st.band_n[1], settings)} ${u}`;
  const now = st.force_n == null ? 0 : st.force_n;
  p.meter.setAttribute("aria-label", `${st.name} pressure`);
  p.meter.setAttribute("aria-valuemin", "0");
  p.meter.setAttribute("aria-valuemax", String(Math.max(st.band_n[1] * 1.5, 1).toFixed(1)));
  p.meter.setAttribute("aria-valuenow", String(Math.max(0, Math.min(now, st.band_n[1] * 1.5)).toFixed(1)));
  p.meter.setAttribute("aria-valuetext", st.force_n == null ? "no signal" : `${fmt(st.force_n, settings)} ${u}, ${words[zone]}`);
  const frac = Math.min(1, (st.hold_s || 0) / (st.hold_target_s || 1));
  p.ring.setAttribute("stroke-dashoffset", String(RING * (1 - frac)));
  el.dataset.complete = String(frac >= 1);
  p.time.textContent = clock(st.hold_s || 0);
  p.timer.setAttribute("aria-label", `${st.name} hold ${clock(st.hold_s || 0)} of ${clock(st.hold_target_s)}`);
  p.holds.textContent = `${st.holds_completed} done`;
  const text = st.alert ? ALERTS[st.alert] || "Check pressure" : "";
  if (p.alert.textContent !== text) p.alert.textContent = text;
  p.alert.dataset.kind = st.alert || "";
  p.alert.classList.toggle("active", !!st.alert);
}

// The server is gone: no tile may go on showing its last number, state, timer or alert as if it
// were live (the next overview message, after reconnecting, fills them in again).
function unreachable({ el, parts: p }) {
  el.dataset.zone = "offline";
  el.dataset.recording = "false";
  el.dataset.complete = "false";
  p.big.textContent = "—";
  p.state.textContent = "No signal";
  p.meter.setAttribute("aria-valuenow", "0");
  p.meter.setAttribute("aria-valuetext", "no signal");
  p.ring.setAttribute("stroke-dashoffset", String(RING));
  p.time.textContent = "—";
  p.timer.setAttribute("aria-label", `${p.name.textContent} hold: no signal`);
  p.alert.textContent = ""; p.alert.dataset.kind = ""; p.alert.classList.remove("active");
}

function onOverview(m) {
  const seen = new Set();
  const box = $("tiles");
  $("tiles-empty").hidden = m.stations.length > 0;
  if (!m.stations.length) $("tiles-empty").textContent = "No stations: start the server with --source.";
  for (const st of m.stations) {
    seen.add(st.id);
    let tile = tiles.get(st.id);
    if (!tile) { tile = makeTile(st); tiles.set(st.id, tile); }
    if (tile.el.parentNode !== box) box.appendChild(tile.el);
    render(tile, st);
    decorateTile(tile.el, st);
  }
  for (const [id, tile] of tiles) if (!seen.has(id)) { tile.el.remove(); tiles.delete(id); }
  const connected = m.stations.filter((s) => s.connected).length;
  $("count-text").textContent = `${m.stations.length} stations · ${connected} connected`;
  onClassOverview(m);
}

function setConn(kind, text) { $("status").dataset.state = kind; $("conn-text").textContent = text; }

let backoff = 250;
function connect() {
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/overview`);
  ws.onmessage = (e) => {
    backoff = 250;
    setConn("connected", "Live");
    const m = JSON.parse(e.data);
    if (m.type === "overview") onOverview(m);
  };
  ws.onclose = () => {
    setConn("reconnecting", "Server unreachable · retrying…");
    $("count-text").textContent = "";
    for (const tile of tiles.values()) unreachable(tile);
    setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 4000);
  };
}

setupThemeButtons();
setupClass();
connect();
