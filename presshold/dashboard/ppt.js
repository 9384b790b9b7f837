// Pressure-pain threshold (algometry) on the live page. While the PPT section is open, a guide
// shows the asked rate as a rising line (±20 % band) with the force since the probe touched, and
// says "too fast" / "too slow" live; the threshold is taken when the client presses their button
// (the patient_signal event's own time) or on the P key / the button here. The server measures it
// from the trace (value, actual rate); this page shows each site's repeats, mean, spread and CV
// (flagged over 15 %), the left/right difference, and can set the treatment target from a
// threshold at a chosen percentage.
import { api } from "/static/ui.js";
import { SITES } from "/static/sites.js";
import { secs as oneDecimal } from "/static/format.js"; // one decimal, never "-0.0"

const NS = "http://www.w3.org/2000/svg";
const ONSET_N = 1.0; // the probe is on the skin above this
const PACE_WINDOW_S = 1.0; // the live rate: the slope over the last second
const TOLERANCE = 0.2;
const W = 300, H = 130;

function slope(pts) {
  const n = pts.length;
  if (n < 3) return null;
  let st = 0, sf = 0;
  for (const [t, f] of pts) { st += t; sf += f; }
  const mt = st / n, mf = sf / n;
  let num = 0, den = 0;
  for (const [t, f] of pts) { num += (t - mt) * (f - mf); den += (t - mt) ** 2; }
  return den > 0 ? num / den : null;
}

export function paceOf(rate, asked) {
  if (rate == null) return "unknown";
  return rate > asked * (1 + TOLERANCE) ? "too fast" : rate < asked * (1 - TOLERANCE) ? "too slow" : "on pace";
}

export class PptPanel {
  constructor(root, { stationQuery }) {
    this.stationQuery = stationQuery; // () => "?station=ID"
    this.session = null;
    this.points = []; // [t since onset, force] of the current ramp
    this.onset = null;
    this.site = SITES[0];
    this.side = "L";
    root.innerHTML = `
      <details class="ppt" id="ppt">
        <summary>Pressure-pain threshold (PPT)</summary>
        <div class="row ppt-row">
          <div class="grow"><label for="ppt-site">Site</label><select id="ppt-site"></select></div>
          <div><label for="ppt-side">Side</label><select id="ppt-side"><option value="L">L</option><option value="R">R</option><option value="">—</option></select></div>
        </div>
        <div class="row ppt-row">
          <div><label for="ppt-rate">Rate (N/s)</label><input id="ppt-rate" type="number" min="0.5" max="100" step="0.5" value="10" inputmode="decimal"></div>
          <div><label for="ppt-reps">Repetitions</label><input id="ppt-reps" type="number" min="1" max="10" step="1" value="3" inputmode="numeric"></div>
        </div>
        <div class="ppt-guide-wrap">
          <svg class="ppt-guide" id="ppt-guide" viewBox="0 0 ${W} ${H}" role="img" aria-label="Rate guide: the asked rate as a rising line and the force since the probe touched"></svg>
          <div class="ppt-pace" id="ppt-pace" data-pace="idle" aria-live="polite">Press at 10 N/s</div>
        </div>
        <div class="row"><button type="button" class="primary" id="ppt-take">Threshold now <kbd>P</kbd></button></div>
        <p class="hint" id="ppt-msg" role="status">The client presses their button at the first pain; lift the probe then.</p>
        <table class="ppt-results" id="ppt-results" aria-label="Thresholds this session">
          <thead><tr><th>Site</th><th class="num">n</th><th class="num">Mean</th><th class="num">SD</th><th class="num">CV</th></tr></thead>
          <tbody></tbody>
        </table>
        <p class="hint" id="ppt-lr"></p>
        <div class="row ppt-row">
          <div><label for="ppt-pct">Target at (%)</label><input id="ppt-pct" type="number" min="1" max="100" step="5" value="70" inputmode="numeric"></div>
          <div class="grow"><label for="ppt-from">of the threshold at</label><select id="ppt-from"></select></div>
          <button type="button" id="ppt-target">Set target</button>
        </div>
      </details>`;
    this.el = (id) => root.querySelector(`#${id}`);
    const siteSel = this.el("ppt-site");
    siteSel.replaceChildren(...SITES.map((s) => new Option(s, s)));
    siteSel.addEventListener("change", () => { this.site = siteSel.value; this.renderGuide(); });
    this.el("ppt-side").addEventListener("change", () => { this.side = this.el("ppt-side").value || null; });
    this.el("ppt-rate").addEventListener("change", () => this.renderGuide());
    this.el("ppt-take").addEventListener("click", () => this.take(null, "key"));
    this.el("ppt-target").addEventListener("click", () => this.setTarget());
    this.el("ppt").addEventListener("toggle", () => { if (this.active) this.refresh(); });
    document.addEventListener("keydown", (e) => {
      if (!this.active || e.key.toLowerCase() !== "p" || e.ctrlKey || e.metaKey || e.altKey || e.repeat
          || e.target.closest("input, select, textarea")) return;
      e.preventDefault();
      this.take(null, "key");
    });
    this.renderGuide();
  }

  get active() { return this.el("ppt").open; }
  get asked() { return Math.max(0.5, parseFloat(this.el("ppt-rate").value) || 10); }

  /** Choose the site (from the body map or elsewhere). */
  pick(site, side) {
    if (!SITES.includes(site)) this.el("ppt-site").append(new Option(site, site));
    this.site = site; this.side = side;
    this.el("ppt-site").value = site; this.el("ppt-side").value = side || "";
  }

  setSession(session) {
    const changed = session?.id !== this.session?.id;
    this.session = session;
    if (changed && this.active) this.refresh();
  }

  /** Samples of a frame: ``[[t_s, force_n], …]``. */
  samples(samples) {
    if (!this.active) return;
    for (const [t, f] of samples) {
      if (f < ONSET_N) { this.onset = null; this.points = []; continue; }
      if (this.onset == null) this.onset = t;
      this.points.push([t - this.onset, f]);
    }
    if (this.points.length > 4000) this.points.splice(0, this.points.length - 4000);
    this.renderGuide();
  }

  renderGuide() {
    const asked = this.asked, pts = this.points;
    const last = pts.length ? pts[pts.length - 1] : null;
    const span = Math.max(5, (last?.[0] ?? 0) + 1);
    const top = Math.max(asked * span, (last?.[1] ?? 0) * 1.1);
    const x = (t) => (t / span) * W, y = (f) => H - (f / top) * H;
    const band = `M0 ${H} L${W} ${y(asked * span * (1 + TOLERANCE))} L${W} ${y(asked * span * (1 - TOLERANCE))} Z`;
    const line = `M0 ${H} L${W} ${y(asked * span)}`;
    const trace = pts.length ? "M" + pts.filter((_, i) => i % 2 === 0 || i === pts.length - 1)
      .map(([t, f]) => `${x(t).toFixed(1)} ${y(f).toFixed(1)}`).join(" L") : "";
    this.el("ppt-guide").innerHTML = `<path class="ppt-band" d="${band}"/><path class="ppt-ideal" d="${line}"/>`
      + (trace ? `<path class="ppt-force" d="${trace}"/>` : "");
    const recent = last ? pts.filter(([t]) => t >= last[0] - PACE_WINDOW_S) : [];
    const rate = recent.length && last[0] >= 0.3 ? slope(recent) : null;
    const pace = !last ? "idle" : rate == null ? "starting" : paceOf(rate, asked);
    const text = {
      idle: `Press at ${asked} N/s`,
      starting: "Keep pressing steadily…",
      "on pace": `On pace · ${oneDecimal(rate)} N/s`,
      "too fast": `Too fast · ${oneDecimal(rate)} N/s — slow down`,
      "too slow": `Too slow · ${oneDecimal(rate)} N/s — press a little faster`,
      unknown: "",
    }[pace];
    const out = this.el("ppt-pace");
    if (out.dataset.pace !== pace || out.textContent !== text) { out.dataset.pace = pace; out.textContent = text; }
  }

  /** The client signalled (a patient_signal event): their threshold, if measuring. */
  signal(e) {
    if (this.active) this.take(e.t_s, "button");
  }

  async take(tS, source) {
    const msg = this.el("ppt-msg");
    if (!this.session?.recording) { msg.textContent = "Start a session to take thresholds."; return; }
    const body = { site: this.site, side: this.side || null, asked_rate_n_per_s: this.asked, source };
    if (tS != null) body.t_s = tS;
    try {
      const r = await api(`/api/sessions/${encodeURIComponent(this.session.id)}/thresholds`, { method: "POST", body });
      const where = `${r.site}${r.side ? ` ${r.side}` : ""}`;
      const rate = r.rate_n_per_s != null ? ` at ${oneDecimal(r.rate_n_per_s)} N/s (${r.pace})` : "";
      const summary = await this.refresh();
      const n = summary?.sites.find((s) => s.site === r.site && s.side === r.side)?.n ?? 1;
      const reps = Math.max(1, parseInt(this.el("ppt-reps").value, 10) || 3);
      msg.textContent = `Threshold ${r.value_n.toFixed(1)} N${rate} — ${where}, trial ${n} of ${reps}. `
        + (n >= reps ? "Done here: choose the next site." : "Lift the probe, rest, repeat.");
    } catch (err) {
      msg.textContent = `Not taken: ${err.message}`;
    }
  }

  async refresh() {
    if (!this.session?.id) return null;
    let s;
    try { s = await api(`/api/sessions/${encodeURIComponent(this.session.id)}/thresholds`); } catch { return null; }
    const fmt = (v, d = 1) => (v == null ? "—" : v.toFixed(d));
    this.el("ppt-results").querySelector("tbody").replaceChildren(...s.sites.map((x) => {
      const tr = document.createElement("tr");
      const cells = [`${x.site}${x.side ? ` ${x.side}` : ""}`, String(x.n), `${fmt(x.mean_n)} N`, fmt(x.sd_n),
        x.cv_pct == null ? "—" : `${fmt(x.cv_pct)} %${x.cv_flag ? " ⚠" : ""}`];
      cells.forEach((c, i) => { const td = document.createElement("td"); td.textContent = c; if (i) td.className = "num"; tr.append(td); });
      if (x.cv_flag) { tr.dataset.flag = "cv"; tr.title = `CV over ${s.cv_flag_pct} %: the repeats disagree; take more`; }
      return tr;
    }));
    this.el("ppt-lr").textContent = s.left_right.map((p) =>
      `${p.site}: L ${fmt(p.left_n)} N, R ${fmt(p.right_n)} N — ${p.difference_n >= 0 ? "left" : "right"} higher by `
      + `${fmt(Math.abs(p.difference_n))} N (${fmt(Math.abs(p.asymmetry_pct), 0)} %)`).join(" · ");
    const from = this.el("ppt-from"), keep = from.value;
    from.replaceChildren(...s.sites.map((x) => new Option(
      `${x.site}${x.side ? ` ${x.side}` : ""} (${fmt(x.mean_n)} N)`, String(x.mean_n))));
    if ([...from.options].some((o) => o.value === keep)) from.value = keep;
    return s;
  }

  async setTarget() {
    const pct = parseFloat(this.el("ppt-pct").value), base = parseFloat(this.el("ppt-from").value);
    const msg = this.el("ppt-msg");
    if (!(pct > 0 && pct <= 100) || !(base > 0)) { msg.textContent = "Take a threshold first, and give a percentage 1–100."; return; }
    const target = Math.round(base * pct * 10 / 100) / 10;
    try {
      await api(`/api/settings${this.stationQuery()}`, { method: "PUT", body: { target_n: target } });
      msg.textContent = `Target set to ${target} N (${pct} % of ${base.toFixed(1)} N).`;
    } catch (err) {
      msg.textContent = `Target not set: ${err.message}`;
    }
  }
}
