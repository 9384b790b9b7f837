// Live view: websocket /ws/live → gauge, hold timer, alert, scrolling trace; controls → HTTP API.
// Messages only update `state` and the ring buffer; the DOM and the chart are touched once per
// animation frame (tick), so a 1 kHz stream costs one redraw per frame at most.
import { api, setupThemeButtons, cssVar } from "/static/ui.js";
import { Ring } from "/static/ring.js";
import { unitOf, toDisplay, toNewtons, fmt } from "/static/units.js";
import { SITES } from "/static/sites.js";
import { Sound } from "/static/sound.js";
import { LiveTrace } from "/static/trace.js";
import { forStation, setupStationPicker } from "/static/stations.js";
import { deviceName } from "/static/format.js";
import { RunPanel, liveView } from "/static/trainer.js";
import { ClinicPanel } from "/static/clinic.js";

const $ = (id) => document.getElementById(id);
// Per-frame writes go through these: an unchanged value costs no style or layout work.
function setText(id, text) { const el = $(id); if (el.textContent !== text) el.textContent = text; }
function setAttr(id, name, value) { const el = $(id); if (el.getAttribute(name) !== value) el.setAttribute(name, value); }
const prefs = loadPrefs();
function loadPrefs() {
  try { return JSON.parse(localStorage.getItem("presshold.prefs") || "{}"); } catch { return {}; }
}
const savePrefs = () => localStorage.setItem("presshold.prefs", JSON.stringify(prefs));

const WINDOWS_S = [10, 30, 60, 120];
const state = {
  settings: { target_n: 30, tolerance_n: 3, tolerance_pct: null, hold_s: 30, unit: "N", probe_area_cm2: 1 },
  band: [27, 33], frame: null, session: null, status: null,
  windowS: WINDOWS_S.includes(prefs.windowS) ? prefs.windowS : 30,
};
const sound = new Sound(prefs.muted !== false);
const runPanel = new RunPanel({ sound, before: document.querySelector(".readouts-panel") }); // trainer mode
// Two minutes at 1 kHz (the longest window); values are stored in the display unit (ringK per N).
const ring = new Ring(150000);
let ringK = 1;
const trace = new LiveTrace($("trace"), {
  band: () => state.band.map((n) => toDisplay(n, state.settings)),
  target: () => toDisplay(state.settings.target_n, state.settings),
  yMax: () => displayMax(),
  unit: () => unitOf(state.settings).label,
  windowS: () => state.windowS,
});

// ---------- gauge ----------
const CX = 100, CY = 106, R = 80; // semicircle, left (0) → right (max)
// Dial/trace range: a round number in the display unit above 1.5× the band's upper edge. It
// depends only on the settings (never on the signal), so nothing jumps while pressing.
function niceCeil(x) {
  const p = 10 ** Math.floor(Math.log10(x));
  return [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].map((m) => m * p).find((v) => v >= x * (1 - 1e-9));
}
function displayMax() { return niceCeil(Math.max(toDisplay(state.band[1] * 1.5, state.settings), 1e-3)); }
function gaugeMaxN() { return toNewtons(displayMax(), state.settings); }
function polar(frac, r = R) {
  const a = Math.PI * (1 - Math.min(1, Math.max(0, frac)));
  return [CX + r * Math.cos(a), CY - r * Math.sin(a)];
}
function arc(f0, f1, r = R) {
  const [x0, y0] = polar(f0, r), [x1, y1] = polar(f1, r);
  return `M${x0.toFixed(2)} ${y0.toFixed(2)} A${r} ${r} 0 0 1 ${x1.toFixed(2)} ${y1.toFixed(2)}`;
}
function drawBand() {
  const s = state.settings, max = gaugeMaxN(), [lo, hi] = state.band, u = unitOf(s).label;
  $("band-arc").setAttribute("d", arc(lo / max, hi / max));
  for (const [id, v] of [["band-lo", lo], ["band-hi", hi]]) {
    const [x1, y1] = polar(v / max, R - 15), [x2, y2] = polar(v / max, R + 15);
    for (const [k, val] of Object.entries({ x1, y1, x2, y2 })) $(id).setAttribute(k, val.toFixed(2));
  }
  $("band-text").textContent = `Target ${fmt(s.target_n, s)} ${u} · band ${fmt(lo, s)}–${fmt(hi, s)} ${u}`;
  const m = $("gauge");
  m.setAttribute("aria-valuemin", "0");
  m.setAttribute("aria-valuemax", String(+displayMax().toPrecision(6)));
  trace.rescale();
  lastGauge = null; renderedSeq = -1; // re-render the value on the next frame: its zone may have changed
}
// The server's one state (frame.state: the hold detector's, with its grace-period hysteresis)
// decides the word, the colours, the alert and the timer together: they never disagree.
const ZONE_OF_STATE = { idle: "below", under: "below", in_band: "in", over: "over" };
const ZONE_WORD = { below: "▼ Below target", in: "● In band", over: "▲ Over target" };
const ZONE_TEXT = { below: "below target", in: "in band", over: "over target" };

let lastGauge = null, renderedSeq = -1;
function renderGauge(forceN, bandState) {
  const s = state.settings, zone = ZONE_OF_STATE[bandState] ?? "below", shown = fmt(forceN, s);
  const key = `${shown}|${zone}`;
  if (key === lastGauge) return;
  lastGauge = key;
  setText("value", shown);
  // No arc for a reading that shows as zero (a round cap alone would look like a dot).
  setAttr("value-arc", "d", parseFloat(shown) > 0 ? arc(0, Math.max(0.004, forceN / gaugeMaxN())) : "");
  const m = $("gauge");
  // aria-valuenow must stay within min..max (a tare can go negative, a press past the dial);
  // the true reading is in aria-valuetext.
  m.setAttribute("aria-valuenow", String(Math.min(Math.max(parseFloat(shown), 0), +displayMax().toPrecision(6))));
  m.setAttribute("aria-valuetext", `${shown} ${unitOf(s).label}, ${ZONE_TEXT[zone]}`);
  const w = $("gauge-wrap");
  if (w.dataset.zone !== zone) { w.dataset.zone = zone; $("zone-word").textContent = ZONE_WORD[zone]; }
}

// No sensor or no server: the dial must not keep showing a stale number as if it were live.
let offline = true;
function setOffline(off) {
  if (off === offline) return;
  offline = off;
  lastGauge = null; renderedSeq = -1;
  if (!off) return;
  $("gauge-wrap").dataset.zone = "offline";
  $("value").textContent = "—";
  $("value-arc").setAttribute("d", "");
  $("zone-word").textContent = "No signal";
  $("gauge").setAttribute("aria-valuetext", "no signal");
  renderAlert(null);
  // Forget the last frame, so coming back never redraws the pre-outage reading or alert.
  state.frame = null;
  renderTimer({ hold_s: 0, holds_completed: holdsSeen ?? 0 });
}

// ---------- hold timer ----------
const RING_LEN = 2 * Math.PI * 52;
let completeUntil = 0, holdsSeen = null;
function renderTimer(f) {
  const target = f.hold_target_s || state.settings.hold_s, held = f.hold_s || 0, frac = Math.min(1, held / target);
  setText("hold-s", held.toFixed(1));
  setAttr("hold-s", "data-long", String(held >= 99.95)); // "120.0" must still fit inside the ring
  setText("hold-target", String(+target.toFixed(1)));
  setAttr("ring", "stroke-dashoffset", (RING_LEN * (1 - frac)).toFixed(1));
  setAttr("ring", "visibility", frac > 0 ? "visible" : "hidden"); // no round-cap dot at zero
  setAttr("timer-wrap", "data-complete", String(frac >= 1));
  const holds = f.holds_completed ?? 0;
  setText("holds-count", String(holds));
  // The event normally announces completion; the counter catches one missed across a reconnect.
  if (holdsSeen !== null && holds > holdsSeen && performance.now() > completeUntil) holdComplete();
  holdsSeen = holds;
  if (completeUntil && performance.now() > completeUntil) clearComplete();
}
function clearComplete() {
  completeUntil = 0; $("complete").textContent = ""; $("timer-wrap").classList.remove("celebrate");
}
function holdComplete() {
  $("complete").textContent = "✔ Hold complete";
  $("timer-wrap").classList.remove("celebrate");
  void $("timer-wrap").offsetWidth; // restart the CSS animation
  $("timer-wrap").classList.add("celebrate");
  completeUntil = performance.now() + 4000;
  sound.holdComplete();
}

// ---------- alert (the server applies the grace period, so brief wobbles never reach here) ----------
let alertKind = null;
function renderAlert(kind) {
  if (kind === alertKind) return;
  alertKind = kind;
  const el = $("alert");
  el.dataset.kind = kind || "";
  el.textContent = kind === "over" ? "⚠ Too much pressure" : kind === "under" ? "⚠ Pressure slipping" : "";
  el.classList.toggle("active", !!kind);
  // an alert is what to act on now: it replaces the last hold's "Hold complete" at once, so the
  // page never says "✔ Hold complete" beside "⚠ Pressure slipping"
  if (kind && completeUntil) clearComplete();
  if (kind) sound.alert(kind);
}

// ---------- sound ----------
function renderMute() {
  $("mute-btn").setAttribute("aria-pressed", String(sound.muted));
  $("mute-btn").textContent = sound.muted ? "Sound off (muted)" : "Sound on";
}
function toggleMute() {
  sound.muted = !sound.muted; prefs.muted = sound.muted; savePrefs();
  sound.wake();
  renderMute();
  if (!sound.muted) sound.confirm(); // proves the sound works
}

function rescaleRing() {
  const k = toDisplay(1, state.settings);
  if (k !== ringK) { ring.scale(k / ringK); ringK = k; trace.dirty = true; }
}

// ---------- frames ----------
function onFrame(f) {
  for (const [t, v] of f.samples || []) ring.push(t, v * ringK);
  if (f.band_n && (f.band_n[0] !== state.band[0] || f.band_n[1] !== state.band[1])) {
    state.band = f.band_n; drawBand();
  }
  state.frame = f; trace.dirty = true;
  runPanel.onFrame(f);
}
function tick() {
  const f = state.frame;
  if (f && f.seq !== renderedSeq && !offline) {
    renderedSeq = f.seq;
    renderRecording(f); // the session clock runs on through a hidden trial
    if (f.force_n != null) { renderGauge(f.force_n, f.state); renderTimer(f); renderAlert(f.alert); } // null: hidden
  }
  trace.draw(ring);
  requestAnimationFrame(tick);
}

// ---------- status ----------
function onStatus(st) {
  state.status = st;
  // A status sent before our PUT landed would undo the edit, and re-applying identical settings
  // would rewrite fields (and redraw the band) every second for nothing.
  if (st.settings && !settingsInFlight
      && JSON.stringify({ ...state.settings, ...st.settings }) !== JSON.stringify(state.settings)) {
    applySettings(st.settings);
  }
  const kind = !st.connected ? "disconnected" : st.source_kind === "sim" ? "simulated" : "connected";
  setOffline(!st.connected);
  const device = st.device ? deviceName(st.device) : st.sensor;
  setConn(kind, !st.connected ? `Sensor disconnected${st.message && st.message.length <= 40 ? ` — ${st.message}` : ""}`
    : kind === "simulated" ? "Simulated sensor" : `Sensor connected${device ? ` · ${device}` : ""}`);
  $("conn-text").title = [st.device, st.message].filter(Boolean).join(" — ");
  // Which port, why, and which ports exist (the server's words), where the eye is: never hidden
  // by the header's width, and floating, so it moves nothing.
  showToast("sensor-banner", !st.connected && st.message ? st.message : "");
  renderRate();
  const rej = st.rejected_total || 0;
  $("reject-text").textContent = `${rej} rejected line${rej === 1 ? "" : "s"}`;
  $("reject-text").title = Object.entries(st.rejected || {}).map(([k, v]) => `${k}: ${v}`).join(", ");
  setSession(st.session);
  if (st.session?.point) showPoint(st.session.point);
  if (st.calibration && $("calibration").open) renderCalibration({ ...lastCal, ...st.calibration, points: undefined });
  const bad = st.storage && (!st.storage.ok || st.storage.error);
  if (bad || !flashTimer) showToast("storage-banner", bad ? `Recording problem: ${st.storage.error}` : "");
  const generic = st.connected && st.calibration_match === "generic";
  showToast("calibration-notice", generic ? "This sensor has no USB serial number: its calibration"
    + " was found by sensor name and port only. Swapped the load cell? Calibrate again." : "");
}
function showToast(id, text) {
  const b = $(id);
  if (b.textContent !== text) b.textContent = text;
  b.classList.toggle("show", !!text);
}
function renderRate() {
  const st = state.status;
  if (!st) return;
  const hz = st.connected ? (st.sample_rate_hz || ring.rate()) : 0;
  setText("rate-text", hz ? `${Math.round(hz)} Hz` : "");
}
function setSession(session) {
  state.session = session;
  $("session-btn").textContent = session?.recording ? "Stop session" : "Start session";
  $("session-btn").classList.toggle("recording", !!session?.recording);
  renderRecording(state.frame);
}
function renderRecording(f) {
  const rec = !!state.session?.recording;
  // A session open while no sensor streams records nothing: say so, not "Recording 0:00".
  const waiting = rec && !state.status?.connected;
  setAttr("session-text", "data-recording", waiting ? "waiting" : String(rec));
  if (!rec) { setText("session-text", "Not recording"); return; }
  if (waiting) { setText("session-text", "Session open · no sensor"); return; }
  const t = Math.max(0, f?.t_s ?? 0), m = Math.floor(t / 60), s = Math.floor(t % 60);
  setText("session-text", `Recording ${m}:${String(s).padStart(2, "0")}`);
  setAttr("session-text", "title", `Session ${state.session.id}`);
}
function setConn(kind, text) { $("status").dataset.state = kind; $("conn-text").textContent = text; }

// ---------- websocket: reconnect with back-off, and a watchdog for silent connections ----------
const MAX_BACKOFF = 4000;
let backoff = 250, lastMessageAt = 0, socket = null;
function connect() {
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${liveView(forStation("/ws/live"))}`);
  socket = ws;
  ws.onopen = () => { lastMessageAt = performance.now(); };
  ws.onmessage = (e) => {
    lastMessageAt = performance.now();
    backoff = 250; // only a socket that delivers counts as healthy (a refused one opens, then closes)
    const m = JSON.parse(e.data);
    if (m.type === "frame") { onFrame(m); clinic.frame(m); }
    else if (m.type === "status") { onStatus(m); clinic.status(m); }
    else if (m.type === "history") {
      ring.clear();
      for (const [t, v] of m.samples) ring.push(t, v * ringK);
      trace.dirty = true;
    } else if (m.type === "event") { onEvent(m); clinic.event(m); }
    else if (m.type === "dropped") showDropped(m.frames);
  };
  ws.onclose = (e) => {
    if (socket !== ws) return; // a socket already given up on is ignored
    // 1008 (policy violation): the server refused us, e.g. a stale classroom token. Say why and
    // retry slowly; retrying fast would not change the answer.
    if (e.code === 1008) backoff = MAX_BACKOFF;
    lost(ws, e.code === 1008 ? `Refused by the server${e.reason ? ` — ${e.reason}` : ""} · retrying…` : null);
  };
}
// This browser fell behind and the server dropped frames for it: say so briefly (the trace has a hole).
let droppedTimer = 0;
function showDropped(frames) {
  setText("drop-text", `${frames} frame${frames === 1 ? "" : "s"} dropped`);
  clearTimeout(droppedTimer);
  droppedTimer = setTimeout(() => setText("drop-text", ""), 5000);
}
// Give up on `ws` now: a dead peer can hold it in CLOSING (no onclose) for as long as TCP retries.
function lost(ws, why = null) {
  if (socket !== ws) return;
  socket = null;
  setConn("reconnecting", why || "Reconnecting…");
  showToast("sensor-banner", ""); // the server's last word on the sensor may be stale now
  setOffline(true);
  $("rate-text").textContent = "";
  // Whether the server still records is unknown now: no frozen "Recording 12:34" (the next
  // status after reconnecting says again)
  setAttr("session-text", "data-recording", "false"); setText("session-text", "");
  setTimeout(connect, backoff); backoff = Math.min(backoff * 2, MAX_BACKOFF);
}
// The server sends at least one frame a second; three silent seconds mean a dead connection.
setInterval(() => {
  const ws = socket;
  if (ws?.readyState === WebSocket.OPEN && performance.now() - lastMessageAt > 3000) { lost(ws); ws.close(); }
  renderRate();
}, 1000);

function onEvent(e) {
  runPanel.onEvent(e);
  if (e.kind === "hold_complete") holdComplete();
  // (No ring.clear(): session times restart at 0, and Ring.push starts over when time steps back.)
  else if (e.kind === "session_start") { trace.clearMarks(); holdsSeen = null; }
  else if (e.kind === "mark" && e.label) addLiveMark(e);
  else if (e.kind === "glitch") trace.addGlitch(e.t_s);
}
function addLiveMark(m) {
  const text = `${m.label}${m.side ? ` ${m.side}` : ""}`;
  showPoint(text);
  trace.addMark(m.t_s, text);
}
let currentPoint = ""; // the label in force (without its side), so N moves on from it
function showPoint(text) {
  currentPoint = text.replace(/ [LR]$/, "");
  $("point-now").textContent = `Point: ${text}`;
  $("point-trace").textContent = text;
}

// ---------- settings ----------
function applySettings(s) {
  state.settings = { ...state.settings, ...s };
  const st = state.settings, u = unitOf(st);
  rescaleRing();
  document.querySelectorAll(".u").forEach((e) => { e.textContent = u.label; });
  $("unit").textContent = u.label;
  $("tol-abs-opt").textContent = u.label;
  const pct = st.tolerance_pct != null;
  setField("target", toDisplay(st.target_n, st).toFixed(u.digits));
  $("tol-mode").value = pct ? "pct" : "abs";
  setField("tolerance", pct ? String(st.tolerance_pct) : toDisplay(st.tolerance_n, st).toFixed(u.digits));
  setField("hold", String(st.hold_s));
  setField("area", String(st.probe_area_cm2));
  $("unit-sel").value = st.unit;
  $("area-field").hidden = !["kPa", "kgf/cm2"].includes(st.unit);
  document.querySelectorAll("[data-hold]").forEach((b) => b.setAttribute("aria-pressed", String(+b.dataset.hold === st.hold_s)));
  const tol = pct ? st.target_n * st.tolerance_pct / 100 : st.tolerance_n;
  state.band = [st.target_n - tol, st.target_n + tol];
  drawBand();
  renderBandPreview();
  if (trace.unitLabel && trace.unitLabel !== u.label) trace.build();
}
function setField(id, value) { if (document.activeElement !== $(id)) $(id).value = value; }
let settingsSeq = 0, settingsInFlight = 0;
async function putSettings(patch) {
  const seq = ++settingsSeq;
  applySettings(patch); // optimistic: the band moves at once; the server confirms (and via status)
  settingsInFlight++;
  try {
    const saved = await api(forStation("/api/settings"), { method: "PUT", body: patch });
    if (seq === settingsSeq) applySettings(saved);
  } catch (err) {
    flash(`Settings not saved: ${err.message}`);
    api(forStation("/api/settings")).then(applySettings).catch(() => {});
  } finally { settingsInFlight--; }
}
let flashTimer = 0;
function flash(msg) {
  showToast("storage-banner", msg);
  clearTimeout(flashTimer);
  flashTimer = setTimeout(() => { flashTimer = 0; showToast("storage-banner", ""); if (state.status) onStatus(state.status); }, 6000);
}
/** The band the fields give, as typed (before Enter or leaving the field), in the display unit. */
function typedBand() {
  const s = state.settings, target = parseFloat($("target").value), tol = parseFloat($("tolerance").value);
  const t = target > 0 ? toNewtons(target, s) : s.target_n;
  if (!(tol > 0)) return null;
  const half = $("tol-mode").value === "pct" ? t * tol / 100 : toNewtons(tol, s);
  return [t - half, t + half];
}
function renderBandPreview() {
  const s = state.settings, u = unitOf(s).label, band = typedBand();
  $("band-preview").textContent = !band ? "Type a tolerance above 0."
    : band[0] <= 0 ? `Band ${fmt(band[0], s)}–${fmt(band[1], s)} ${u}: the tolerance must stay under the target.`
      : `Band ${fmt(band[0], s)}–${fmt(band[1], s)} ${u}`;
}
function readTolerancePatch() {
  const v = parseFloat($("tolerance").value);
  if (!(v > 0)) return null;
  return $("tol-mode").value === "pct" ? { tolerance_pct: v } : { tolerance_pct: null, tolerance_n: toNewtons(v, state.settings) };
}

// ---------- actions ----------
let tareBusy = false;
async function tare() {
  if (tareBusy) return;
  tareBusy = true;
  const btn = $("tare-btn");
  btn.disabled = true; btn.textContent = "Taring…";
  try {
    const cal = await api(forStation("/api/tare"), { method: "POST" });
    btn.textContent = "Tared ✔";
    renderCalibration(cal);
  } catch (err) {
    btn.textContent = "Tare";
    flash(`Tare failed: ${err.message}`);
  } finally {
    setTimeout(() => { btn.textContent = "Tare"; btn.disabled = false; tareBusy = false; }, 1200);
  }
}
// One start/stop request at a time (a double tap must not start two sessions), and the answer
// updates state.session at once rather than waiting for the next status broadcast.
let sessionBusy = false, starting = null;
async function toggleSession() {
  if (sessionBusy) return;
  sessionBusy = true;
  const btn = $("session-btn");
  btn.disabled = true;
  try {
    if (state.session?.recording) {
      await api(forStation("/api/sessions/current/stop"), { method: "POST" });
      setSession(null);
    } else await ensureSession();
  } catch (err) { flash(err.message); }
  finally { btn.disabled = false; sessionBusy = false; }
}
// The recording session's id, starting one if needed; concurrent callers share the one request.
function ensureSession() {
  if (state.session?.recording) return Promise.resolve(state.session.id);
  starting ??= api(forStation("/api/sessions"), { method: "POST", body: {} })
    .then((s) => { setSession({ ...s, recording: true }); return s.id; })
    .finally(() => { starting = null; });
  return starting;
}
let siteIndex = -1;
async function markPoint(label, side) {
  if (!label) return;
  showPoint(`${label}${side ? ` ${side}` : ""}`);
  try {
    const id = await ensureSession();
    const mark = await api(`/api/sessions/${encodeURIComponent(id)}/marks`, { method: "POST", body: { label, side: side || null } });
    if (mark?.t_s != null) addLiveMark(mark);
  } catch (err) { flash(`Point not saved: ${err.message}`); }
}
// The site after the current point (whoever labelled it: a chip, typing, another viewer, a
// reload), so the first N never re-labels the point already in force.
function nextPoint() {
  const at = SITES.indexOf(currentPoint);
  siteIndex = ((at >= 0 ? at : siteIndex) + 1) % SITES.length;
  if (SITES[siteIndex] === currentPoint) siteIndex = (siteIndex + 1) % SITES.length;
  markPoint(SITES[siteIndex], $("side").value);
  highlightSite();
}
function highlightSite() {
  [...$("sites").children].forEach((b, i) => b.setAttribute("aria-pressed", String(i === siteIndex)));
}

// ---------- calibration (known-weight steps; GET/POST /api/calibration…) ----------
let lastCal = {};
function renderCalibration(cal) {
  if (!cal || typeof cal !== "object") return;
  lastCal = cal;
  const parts = [];
  if (cal.sensor_id) parts.push(`Sensor ${deviceName(cal.sensor_id)}${cal.unit ? ` (${cal.unit})` : ""}`);
  if (cal.offset_raw != null) parts.push(`zero ${+(+cal.offset_raw).toPrecision(6)}`);
  if (cal.scale_n_per_raw != null) {
    const k = +(+cal.scale_n_per_raw).toPrecision(4);
    parts.push(cal.unit === "raw" ? `scale ${k} N/count` : `scale ×${k}`);
  }
  if (cal.nonlinearity_pct != null) parts.push(`non-linearity ${(+cal.nonlinearity_pct).toFixed(2)} %`);
  const pending = Array.isArray(cal.points) ? cal.points.length : cal.pending_points;
  if (pending != null) parts.push(`${pending} point${pending === 1 ? "" : "s"} collected`);
  $("cal-summary").textContent = parts.length ? parts.join(" · ") : "No calibration reported.";
}
async function calibration(path, method, body) {
  try {
    const cal = await api(forStation(`/api/calibration${path}`), { method, body });
    renderCalibration(cal);
    return cal;
  } catch (err) { $("cal-result").textContent = err.message; return null; }
}

// ---------- wiring ----------
function wireControls() {
  $("target").addEventListener("change", () => {
    const v = parseFloat($("target").value);
    if (v > 0) putSettings({ target_n: toNewtons(v, state.settings) });
  });
  $("tolerance").addEventListener("change", () => {
    const p = readTolerancePatch(), band = typedBand();
    if (p && band && band[0] > 0) putSettings(p); else renderBandPreview();
  });
  for (const id of ["tolerance", "target"]) $(id).addEventListener("input", renderBandPreview);
  $("tol-mode").addEventListener("change", () => {
    const st = state.settings, tol = st.tolerance_pct != null ? st.target_n * st.tolerance_pct / 100 : st.tolerance_n;
    putSettings($("tol-mode").value === "pct"
      ? { tolerance_pct: Math.round(1000 * tol / st.target_n) / 10 } : { tolerance_pct: null, tolerance_n: tol });
  });
  $("hold").addEventListener("change", () => { const v = parseFloat($("hold").value); if (v >= 1) putSettings({ hold_s: v }); });
  $("unit-sel").addEventListener("change", () => putSettings({ unit: $("unit-sel").value }));
  $("area").addEventListener("change", () => { const v = parseFloat($("area").value); if (v > 0) putSettings({ probe_area_cm2: v }); });
  document.querySelectorAll("[data-hold]").forEach((b) => b.addEventListener("click", () => putSettings({ hold_s: +b.dataset.hold })));
  $("tare-btn").addEventListener("click", tare);
  $("session-btn").addEventListener("click", toggleSession);
  $("mute-btn").addEventListener("click", toggleMute);
  $("mark-btn").addEventListener("click", () => markPoint($("point-text").value.trim(), $("side").value));
  $("point-text").addEventListener("keydown", (e) => { if (e.key === "Enter") $("mark-btn").click(); });
  $("window-s").value = String(state.windowS);
  $("window-s").addEventListener("change", () => {
    state.windowS = +$("window-s").value; prefs.windowS = state.windowS; savePrefs(); trace.dirty = true;
  });
  const chips = $("sites"), list = $("site-list");
  SITES.forEach((name, i) => {
    const b = document.createElement("button");
    b.type = "button"; b.textContent = name; b.setAttribute("aria-pressed", "false");
    b.addEventListener("click", () => { siteIndex = i; highlightSite(); markPoint(name, $("side").value); });
    chips.append(b);
    const o = document.createElement("option"); o.value = name; list.append(o);
  });
  $("calibration").addEventListener("toggle", () => { if ($("calibration").open) calibration("", "GET"); });
  $("cal-add").addEventListener("click", async () => {
    const known = parseFloat($("cal-known").value);
    if (!(known >= 0)) { $("cal-result").textContent = "Type the known load in newtons first."; return; }
    const cal = await calibration("/points", "POST", { known_n: known });
    if (cal?.point) $("cal-result").textContent = `Point added: ${known} N at ${(+cal.point.raw).toPrecision(6)} counts.`;
  });
  $("cal-fit").addEventListener("click", async () => {
    const cal = await calibration("/fit", "POST");
    if (cal) {
      const res = cal.residuals_n || [], worst = res.length ? Math.max(...res.map(Math.abs)) : null;
      $("cal-result").textContent = `Fitted and saved${worst != null ? ` · largest residual ${worst.toFixed(3)} N` : ""}.`;
    }
  });
  $("cal-clear").addEventListener("click", async () => {
    if (await calibration("/points", "DELETE")) $("cal-result").textContent = "Points cleared.";
  });
  document.addEventListener("keydown", (e) => {
    if (e.target.closest("input, select, textarea, summary") || e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
    const k = e.key.toLowerCase(), step = toNewtons(1, state.settings);
    if (k === "t") tare();
    else if (k === "s") toggleSession();
    else if (k === "n") nextPoint();
    else if (k === "m") toggleMute();
    else if (k === "+" || k === "=") putSettings({ target_n: state.settings.target_n + step });
    else if (k === "-" || k === "−") putSettings({ target_n: Math.max(step, state.settings.target_n - step) });
    else return;
    e.preventDefault();
  });
  // Browsers only start audio after a gesture: a reload with sound on resumes at the first one.
  for (const ev of ["pointerdown", "keydown"]) addEventListener(ev, () => sound.wake(), { passive: true });
  addEventListener("presshold-theme", () => trace.build());
}

const clinic = new ClinicPanel($("clinic-panel"), { addMark: (t, text) => trace.addMark(t, text) });
setupThemeButtons();
renderMute();
wireControls();
trace.build();
api(forStation("/api/settings")).then(applySettings).catch(() => {});
setupStationPicker(document.getElementById("station-select"));
drawBand();
connect();
requestAnimationFrame(tick);
// Read-only handle for tests and the benchmark (no behaviour depends on it).
window.presshold = { state, ring, plot: () => trace.plot, socket: () => socket };
