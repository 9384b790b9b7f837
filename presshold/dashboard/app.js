// Live view: websocket /ws/live → gauge, hold timer, alert, scrolling trace; controls → HTTP API.
import { api, setupThemeButtons, cssVar } from "/static/ui.js";
import { Ring } from "/static/ring.js";
import { unitOf, toDisplay, toNewtons, fmt } from "/static/units.js";
import { SITES } from "/static/sites.js";

const $ = (id) => document.getElementById(id);
const prefs = JSON.parse(localStorage.getItem("presshold.prefs") || "{}");
const savePrefs = () => localStorage.setItem("presshold.prefs", JSON.stringify(prefs));

const state = {
  settings: { target_n: 30, tolerance_n: 3, tolerance_pct: null, hold_s: 30, unit: "N", probe_area_cm2: 1 },
  band: [27, 33], frame: null, session: null, status: null, lastPoint: null,
  windowS: prefs.windowS || 30, muted: prefs.muted !== false, dirty: true,
};
const ring = new Ring(200000); // > 120 s at 1 kHz

// ---------- gauge ----------
const G_MIN_ANGLE = Math.PI, G_MAX_ANGLE = 0; // semicircle, left → right
// Dial/trace range: a round number in the display unit above 1.5× the band's upper edge. It
// depends only on the settings (never on the signal), so nothing jumps while pressing.
function niceCeil(x) {
  const p = 10 ** Math.floor(Math.log10(x));
  return [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].map((m) => m * p).find((v) => v >= x);
}
function gaugeMax() {
  const s = state.settings;
  return toNewtons(niceCeil(Math.max(toDisplay(state.band[1] * 1.5, s), 1e-3)), s);
}
function polar(frac, r = 80) {
  const a = G_MIN_ANGLE + (G_MAX_ANGLE - G_MIN_ANGLE) * Math.min(1, Math.max(0, frac));
  return [100 + r * Math.cos(a), 110 - r * Math.sin(a)];
}
function arc(f0, f1, r = 80) {
  const [x0, y0] = polar(f0, r), [x1, y1] = polar(f1, r);
  return `M${x0.toFixed(2)} ${y0.toFixed(2)} A${r} ${r} 0 0 1 ${x1.toFixed(2)} ${y1.toFixed(2)}`;
}
function drawBandOnGauge() {
  const max = gaugeMax(), [lo, hi] = state.band;
  $("band-arc").setAttribute("d", arc(lo / max, hi / max));
  for (const [id, v] of [["band-lo", lo], ["band-hi", hi]]) {
    const [x0, y0] = polar(v / max, 66), [x1, y1] = polar(v / max, 94);
    Object.entries({ x1: x0, y1: y0, x2: x1, y2: y1 }).forEach(([k, val]) => $(id).setAttribute(k, val.toFixed(2)));
  }
  const s = state.settings, u = unitOf(s).label;
  $("band-text").textContent = `Target ${fmt(s.target_n, s)} ${u} · band ${fmt(lo, s)}–${fmt(hi, s)} ${u}`;
  const m = $("gauge");
  m.setAttribute("aria-valuemin", "0");
  m.setAttribute("aria-valuemax", String(+toDisplay(max, s).toPrecision(6)));
  if (plot) plot.setScale("y", { min: 0, max: toDisplay(max, s) });
  state.dirty = true;
}
function zoneOf(f) { return f > state.band[1] ? "over" : f >= state.band[0] ? "in" : "below"; }
const ZONE_WORD = { below: "▼ Below target", in: "● In band", over: "▲ Over target" };

function renderGauge(forceN) {
  const s = state.settings, max = gaugeMax(), zone = zoneOf(forceN);
  const shown = fmt(forceN, s);
  $("value").textContent = shown;
  $("value-arc").setAttribute("d", forceN > 0 ? arc(0, Math.min(forceN / max, 1)) : "");
  const m = $("gauge");
  m.setAttribute("aria-valuenow", shown);
  m.setAttribute("aria-valuetext", `${shown} ${unitOf(s).label}, ${ZONE_WORD[zone].slice(2).toLowerCase()}`);
  const w = $("gauge-wrap");
  if (w.dataset.zone !== zone) { w.dataset.zone = zone; $("zone-word").textContent = ZONE_WORD[zone]; }
}

// ---------- hold timer ----------
let completeUntil = 0;
function renderTimer(f) {
  const target = f.hold_target_s || state.settings.hold_s, held = f.hold_s || 0;
  $("hold-s").textContent = held.toFixed(1);
  $("hold-target").textContent = target.toFixed(0);
  const frac = Math.min(1, held / target);
  $("ring").setAttribute("stroke-dashoffset", (314.16 * (1 - frac)).toFixed(1));
  $("ring-pct").textContent = `${Math.round(frac * 100)}%`;
  $("timer").dataset.complete = String(frac >= 1);
  $("holds-count").textContent = f.holds_completed ?? 0;
  if (performance.now() > completeUntil) $("complete").textContent = "";
}
function holdComplete() {
  $("complete").textContent = "✔ Hold complete";
  completeUntil = performance.now() + 4000;
  chime([660, 880], 0.18);
}

// ---------- alert ----------
let alertKind = null;
function renderAlert(kind) {
  if (kind === alertKind) return;
  alertKind = kind;
  const el = $("alert");
  el.dataset.kind = kind || "";
  el.textContent = kind === "over" ? "⚠ Too much pressure" : kind === "under" ? "⚠ Pressure slipping" : "";
  el.classList.toggle("active", !!kind);
  if (kind) chime(kind === "over" ? [440, 440] : [330, 330], 0.12);
}

// ---------- sound (muted by default; enabling creates the AudioContext on a user gesture) ----------
let audio = null;
function chime(freqs, dur) {
  if (state.muted || !audio) return;
  let t = audio.currentTime;
  for (const f of freqs) {
    const o = audio.createOscillator(), g = audio.createGain();
    o.frequency.value = f; g.gain.setValueAtTime(0.0001, t);
    g.gain.exponentialRampToValueAtTime(0.2, t + 0.02); g.gain.exponentialRampToValueAtTime(0.0001, t + dur);
    o.connect(g).connect(audio.destination); o.start(t); o.stop(t + dur + 0.02); t += dur;
  }
}
function renderMute() {
  $("mute-btn").setAttribute("aria-pressed", String(state.muted));
  $("mute-btn").textContent = state.muted ? "Sound off (muted)" : "Sound on";
}
function toggleMute() {
  state.muted = !state.muted; prefs.muted = state.muted; savePrefs();
  if (!state.muted && !audio) audio = new AudioContext();
  renderMute();
}

// ---------- trace ----------
let plot = null;
function bandPlugin() {
  return { hooks: { drawClear: (u) => {
    const s = state.settings, ctx = u.ctx;
    const y0 = u.valToPos(toDisplay(state.band[1], s), "y", true), y1 = u.valToPos(toDisplay(state.band[0], s), "y", true);
    ctx.save(); ctx.fillStyle = cssVar("--band");
    ctx.fillRect(u.bbox.left, y0, u.bbox.width, y1 - y0); ctx.restore();
  } } };
}
function traceWidth() {
  const panel = $("trace").parentElement, cs = getComputedStyle(panel);
  return Math.max(200, panel.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight));
}
function makePlot() {
  const el = $("trace");
  if (plot) plot.destroy();
  const s = state.settings, axis = { stroke: cssVar("--muted"), grid: { stroke: cssVar("--line") }, ticks: { stroke: cssVar("--line") } };
  plot = new uPlot({
    width: traceWidth(), height: 260, legend: { show: false }, cursor: { show: false },
    scales: { x: { time: false }, y: { auto: false, range: () => [0, toDisplay(gaugeMax(), state.settings)] } },
    axes: [{ ...axis, label: "s" }, { ...axis, label: unitOf(s).label }],
    series: [{}, { stroke: cssVar("--accent"), width: 2, points: { show: false } }],
    plugins: [bandPlugin()],
  }, [[], []], el);
  state.dirty = true;
}
function drawTrace() {
  if (!plot || !state.dirty) return;
  state.dirty = false;
  const tEnd = ring.lastT, from = tEnd - state.windowS;
  const data = ring.since(from, toDisplay(1, state.settings));
  plot.batch(() => {
    plot.setData(data, false);
    plot.setScale("x", { min: Math.max(0, from), max: Math.max(tEnd, state.windowS) });
  });
}

// ---------- frames: state is updated on message, the DOM once per animation frame ----------
function onFrame(f) {
  for (const [t, v] of f.samples || []) ring.push(t, v);
  if (f.band_n && (f.band_n[0] !== state.band[0] || f.band_n[1] !== state.band[1])) {
    state.band = f.band_n; drawBandOnGauge();
  }
  state.frame = f; state.dirty = true;
}
let renderedSeq = -1;
function tick() {
  const f = state.frame;
  if (f && f.seq !== renderedSeq) {
    renderedSeq = f.seq;
    renderGauge(f.force_n); renderTimer(f); renderAlert(f.alert);
  }
  drawTrace();
  requestAnimationFrame(tick);
}

function onStatus(st) {
  state.status = st;
  if (st.settings) applySettings(st.settings);
  const kind = !st.connected ? "disconnected" : st.source_kind === "sim" ? "simulated" : "connected";
  setConn(kind, !st.connected ? `Sensor disconnected${st.message ? ` — ${st.message}` : ""}`
    : kind === "simulated" ? `Simulated sensor` : `Sensor connected${st.device ? ` (${st.device})` : ""}`);
  $("rate-text").textContent = st.sample_rate_hz ? `${Math.round(st.sample_rate_hz)} Hz` : "";
  $("reject-text").textContent = `${st.rejected_total || 0} rejected lines`;
  state.session = st.session;
  $("session-btn").textContent = st.session?.recording ? "Stop session" : "Start session";
  $("session-text").textContent = st.session?.recording ? `● Recording ${st.session.id}` : "Not recording";
  if (st.session?.point) $("point-now").textContent = `Point: ${st.session.point}`;
  const b = $("storage-banner");
  b.classList.toggle("show", st.storage && !st.storage.ok);
  b.textContent = st.storage && !st.storage.ok ? `Recording problem: ${st.storage.error}` : "";
}
function setConn(kind, text) { $("status").dataset.state = kind; $("conn-text").textContent = text; }

// ---------- websocket with reconnect ----------
let backoff = 250;
function connect() {
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/live`);
  ws.onopen = () => { backoff = 250; };
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data);
    if (m.type === "frame") onFrame(m);
    else if (m.type === "status") onStatus(m);
    else if (m.type === "history") { ring.clear(); for (const [t, v] of m.samples) ring.push(t, v); state.dirty = true; }
    else if (m.type === "event") onEvent(m);
  };
  ws.onclose = () => {
    setConn("reconnecting", "Reconnecting…");
    setTimeout(connect, backoff); backoff = Math.min(backoff * 2, 4000);
  };
}
function onEvent(e) {
  if (e.kind === "hold_complete") holdComplete();
  else if (e.kind === "session_start") ring.clear();
  else if (e.kind === "mark" && e.label) $("point-now").textContent = `Point: ${e.label}${e.side ? ` ${e.side}` : ""}`;
}

// ---------- settings ----------
function applySettings(s) {
  state.settings = { ...state.settings, ...s };
  const st = state.settings, u = unitOf(st);
  document.querySelectorAll(".u").forEach((e) => { e.textContent = u.label; });
  $("unit").textContent = u.label;
  $("tol-abs-opt").textContent = `± ${u.label}`;
  if (document.activeElement !== $("target")) $("target").value = toDisplay(st.target_n, st).toFixed(u.digits);
  const pct = st.tolerance_pct != null;
  $("tol-mode").value = pct ? "pct" : "abs";
  if (document.activeElement !== $("tolerance"))
    $("tolerance").value = pct ? st.tolerance_pct : toDisplay(st.tolerance_n, st).toFixed(u.digits);
  $("hold").value = st.hold_s; $("unit-sel").value = st.unit; $("area").value = st.probe_area_cm2;
  $("area").closest("div").hidden = !["kPa", "kgf/cm2"].includes(st.unit);
  const tol = pct ? st.target_n * st.tolerance_pct / 100 : st.tolerance_n;
  state.band = [st.target_n - tol, st.target_n + tol];
  drawBandOnGauge();
  if (plot && plot.axes[1].label !== u.label) makePlot();
}
async function putSettings(patch) {
  applySettings(patch); // optimistic: the band moves immediately, the server confirms via status
  try { applySettings(await api("/api/settings", { method: "PUT", body: patch })); }
  catch (err) { flash(`Settings not saved: ${err.message}`); }
}
function flash(msg) { const b = $("storage-banner"); b.textContent = msg; b.classList.add("show"); setTimeout(() => b.classList.remove("show"), 5000); }

function readTolerancePatch() {
  const st = state.settings, v = parseFloat($("tolerance").value);
  if (!(v >= 0)) return null;
  return $("tol-mode").value === "pct" ? { tolerance_pct: v } : { tolerance_pct: null, tolerance_n: toNewtons(v, st) };
}

// ---------- actions ----------
async function tare() {
  $("tare-btn").disabled = true;
  try { await api("/api/tare", { method: "POST" }); $("tare-btn").textContent = "Tared ✔"; }
  catch (err) { flash(`Tare failed: ${err.message}`); }
  finally { setTimeout(() => { $("tare-btn").textContent = "Tare"; $("tare-btn").disabled = false; }, 1200); }
}
async function toggleSession() {
  try {
    if (state.session?.recording) await api("/api/sessions/current/stop", { method: "POST" });
    else await api("/api/sessions", { method: "POST", body: {} });
  } catch (err) { flash(err.message); }
}
let siteIndex = -1;
async function markPoint(label, side) {
  if (!label) return;
  state.lastPoint = label;
  $("point-now").textContent = `Point: ${label}${side ? ` ${side}` : ""}`;
  try {
    let id = state.session?.recording ? state.session.id : null;
    if (!id) id = (await api("/api/sessions", { method: "POST", body: {} })).id;
    await api(`/api/sessions/${encodeURIComponent(id)}/marks`, { method: "POST", body: { label, side: side || null } });
  } catch (err) { flash(`Point not saved: ${err.message}`); }
}
function nextPoint() {
  siteIndex = (siteIndex + 1) % SITES.length;
  markPoint(SITES[siteIndex], $("side").value);
}

function wireControls() {
  $("target").addEventListener("change", () => {
    const v = parseFloat($("target").value);
    if (v > 0) putSettings({ target_n: toNewtons(v, state.settings) });
  });
  $("tolerance").addEventListener("change", () => { const p = readTolerancePatch(); if (p) putSettings(p); });
  $("tol-mode").addEventListener("change", () => {
    const st = state.settings, tol = st.tolerance_pct != null ? st.target_n * st.tolerance_pct / 100 : st.tolerance_n;
    putSettings($("tol-mode").value === "pct" ? { tolerance_pct: Math.round(1000 * tol / st.target_n) / 10 } : { tolerance_pct: null, tolerance_n: tol });
  });
  $("hold").addEventListener("change", () => { const v = parseFloat($("hold").value); if (v >= 1) putSettings({ hold_s: v }); });
  $("unit-sel").addEventListener("change", () => putSettings({ unit: $("unit-sel").value }));
  $("area").addEventListener("change", () => { const v = parseFloat($("area").value); if (v > 0) putSettings({ probe_area_cm2: v }); });
  document.querySelectorAll("[data-hold]").forEach((b) => b.addEventListener("click", () => putSettings({ hold_s: +b.dataset.hold })));
  $("tare-btn").addEventListener("click", tare);
  $("session-btn").addEventListener("click", toggleSession);
  $("mute-btn").addEventListener("click", toggleMute);
  $("mark-btn").addEventListener("click", () => markPoint($("point-text").value.trim(), $("side").value));
  $("window-s").value = String(state.windowS);
  $("window-s").addEventListener("change", () => { state.windowS = +$("window-s").value; prefs.windowS = state.windowS; savePrefs(); state.dirty = true; });
  const chips = $("sites"), list = $("site-list");
  SITES.forEach((name, i) => {
    const b = document.createElement("button"); b.type = "button"; b.textContent = name;
    b.addEventListener("click", () => { siteIndex = i; markPoint(name, $("side").value); });
    chips.append(b);
    const o = document.createElement("option"); o.value = name; list.append(o);
  });
  document.addEventListener("keydown", (e) => {
    if (e.target.closest("input, select, textarea") || e.ctrlKey || e.metaKey || e.altKey) return;
    const k = e.key.toLowerCase(), step = toNewtons(1, state.settings);
    if (k === "t") tare();
    else if (k === "s") toggleSession();
    else if (k === "n") nextPoint();
    else if (k === "m") toggleMute();
    else if (k === "+" || k === "=") putSettings({ target_n: state.settings.target_n + step });
    else if (k === "-") putSettings({ target_n: Math.max(step, state.settings.target_n - step) });
    else return;
    e.preventDefault();
  });
  // Follow the panel's width (not the canvas's own), so the trace shrinks as well as grows.
  const panel = $("trace").parentElement;
  new ResizeObserver(() => plot?.setSize({ width: traceWidth(), height: 260 })).observe(panel);
  window.addEventListener("presshold-theme", makePlot);
}

setupThemeButtons();
renderMute();
wireControls();
api("/api/settings").then(applySettings).catch(() => {});
makePlot();
drawBandOnGauge();
connect();
requestAnimationFrame(tick);
// Read-only handle for tests and the benchmark (no behaviour depends on it).
window.presshold = { state, ring, plot: () => plot };
