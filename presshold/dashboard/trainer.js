// Trainer mode on the live page: the run panel (protocol, step, rep, rest countdown, start cue),
// what a hidden trial hides, the reveal after a hidden trial, and the results at the end.
// The server already withholds the force during hidden trials (frames carry nulls and no
// samples); this module only says so on screen and draws the trial chart (band, the asked ramp
// as a moving target line, the reference as a ghost).
import { api } from "/static/ui.js";

const PHASE_WORD = { rest: "Rest", press: "Press now", hold: "Hold", release: "Release", done: "Done" };
const FEEDBACK_WORD = {
  full: "Live feedback", after: "Feedback after each trial", blind: "Blind: results at the end",
  faded: "Faded feedback",
};
const SVG_NS = "http://www.w3.org/2000/svg";
// ?view=trainer: the trainer's view of a station, which hidden trials do not mask.
export const TRAINER_VIEW = new URLSearchParams(location.search).get("view") === "trainer";

/** The live websocket path for this page's view (adds view=trainer for the trainer's view). */
export function liveView(path) {
  return TRAINER_VIEW ? `${path}${path.includes("?") ? "&" : "?"}view=trainer` : path;
}
const W = 480, H = 150;

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  return e;
}
function svg(tag, attrs) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}
const num = (x, d = 1) => (x == null ? "—" : Number(x).toFixed(d));

/** A small force-time chart of one trial: band, target, optional ramp line, ghost and trace. */
export function trialChart({ band, target, holdS, trace = [], ramp = null, ghost = null, ghostShift = 0 }) {
  const tMax = Math.max(holdS + 6, ...trace.map((p) => p[0]), 1);
  const fMax = Math.max(band[1] * 1.4, ...trace.map((p) => p[1]), 1);
  const x = (t) => 30 + (W - 36) * (t / tMax), y = (f) => 6 + (H - 24) * (1 - f / fMax);
  const s = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "trial-chart", role: "img",
    "aria-label": `force over time, band ${num(band[0])}–${num(band[1])} N` });
  s.append(svg("rect", { class: "band", x: 30, y: y(band[1]), width: W - 36, height: y(band[0]) - y(band[1]) }));
  s.append(svg("line", { class: "target", x1: 30, x2: W - 6, y1: y(target), y2: y(target) }));
  for (const f of [0, target]) {
    const t = svg("text", { x: 26, y: y(f) + 4, "text-anchor": "end", class: "tick" }); t.textContent = f; s.append(t);
  }
  if (ramp) {
    const tr = target / ramp;
    s.append(svg("polyline", { class: "ramp", points: `${x(0)},${y(0)} ${x(tr)},${y(target)} ${x(tMax)},${y(target)}` }));
  }
  if (ghost?.length) {
    const pts = ghost.filter((p) => p[0] + ghostShift >= 0).map((p) => `${x(p[0] + ghostShift).toFixed(1)},${y(p[1]).toFixed(1)}`);
    s.append(svg("polyline", { class: "ghost", points: pts.join(" ") }));
  }
  if (trace.length) {
    s.append(svg("polyline", { class: "line", points: trace.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(" ") }));
  }
  return s;
}

export class RunPanel {
  constructor({ sound, before }) {
    this.sound = sound;
    this.root = el("section", "panel run-panel");
    this.root.id = "run-panel";
    this.root.hidden = true;
    this.root.setAttribute("aria-label", "Protocol run");
    this.head = el("div", "run-head");
    this.title = el("h2", "run-title");
    this.where = el("span", "run-where");
    this.mode = el("span", "run-mode");
    this.head.append(this.title, this.where, this.mode);
    this.cue = el("div", "run-cue");
    this.cue.setAttribute("aria-live", "assertive");
    this.cue.id = "run-cue";
    this.hiddenNote = el("p", "run-hidden", TRAINER_VIEW
      ? "Trainer's view: the student's screen does not show the force during this trial."
      : "Force hidden for this trial — press, hold and release on the cues.");
    this.hiddenNote.hidden = true;
    this.chartBox = el("div", "run-chart");
    this.result = el("div", "run-result");
    this.result.id = "run-result";
    this.result.setAttribute("aria-live", "polite");
    this.formula = el("details", "run-formula");
    this.formula.append(el("summary", null, "How is the score computed?"), el("p", "run-note"));
    this.formula.addEventListener("toggle", () => this.loadFormula());
    this.root.append(this.head, this.cue, this.hiddenNote, this.chartBox, this.result, this.formula);
    before.parentNode.insertBefore(this.root, before);
    this.run = null; this.samples = []; this.refs = new Map(); this.lastTrialT = null; this.chartAt = 0;
  }

  onFrame(f) {
    const r = f.run;
    this.run = r || null;
    // frames arrive up to 200 times a second: write the DOM only when something changed
    const feedback = r && r.shown === false && !TRAINER_VIEW ? "hidden" : "shown";
    if (document.body.dataset.feedback !== feedback) document.body.dataset.feedback = feedback;
    if (!r) { if (!this.keep && !this.root.hidden) this.root.hidden = true; return; }
    this.root.hidden = false;
    this.title.textContent = r.protocol;
    this.where.textContent = `${r.student ? `${r.student} · ` : ""}step ${r.step}/${r.steps} · rep ${r.rep}/${r.reps} · trial ${r.trial}/${r.trials}`;
    this.mode.textContent = FEEDBACK_WORD[r.feedback] || r.feedback;
    this.hiddenNote.hidden = r.shown !== false || r.phase === "done";
    let cue = PHASE_WORD[r.phase] || r.phase;
    if (r.phase === "rest") cue = r.waiting_release ? "Release fully to continue" : `Rest · next in ${Math.ceil(r.countdown_s || 0)} s`;
    if (r.phase === "hold" && r.countdown_s != null) cue = `Hold · ${Math.ceil(r.countdown_s)} s`;
    if (r.phase === "press") cue = `Press now · ${r.target_n} N`;
    if (this.cue.textContent !== cue) this.cue.textContent = cue;
    this.cue.dataset.phase = r.phase;
    if (r.phase === "done" && !this.keep && this.fetched !== r.run_id) this.loadResults(r.run_id);
    if (r.trial_t_s !== this.lastTrialT) { this.samples = []; this.lastTrialT = r.trial_t_s; }
    if (r.shown && r.trial_t_s != null) {
      for (const [t, v] of f.samples || []) if (t >= r.trial_t_s) this.samples.push([t - r.trial_t_s, v]);
      const now = performance.now();
      if (now - this.chartAt > 200) { this.chartAt = now; this.drawLive(r); } // 5 Hz is plenty here
    }
  }

  async loadFormula() {
    const p = this.formula.querySelector("p");
    if (!this.formula.open || p.textContent) return;
    try { p.textContent = (await api("/api/score-formula")).formula; } catch (e) { p.textContent = String(e.message || e); }
  }

  // Opened after the run ended (or reloaded): the results come from the API, not the event.
  async loadResults(runId) {
    this.fetched = runId;
    try {
      const run = await api(`/api/runs/${encodeURIComponent(runId)}`);
      this.runEnded({ run_id: runId, result: run.result, trials: run.trials.map((t) => ({
        trial: t.index + 1, target_n: t.target_n, feedback: t.feedback, score: t.score, passed: t.passed,
        mean_error_n: t.metrics.mean_error_n, time_in_band_pct: t.metrics.time_in_band_pct })) });
    } catch { this.fetched = null; }
  }

  async ghostFor(id) {
    if (!id) return null;
    if (!this.refs.has(id)) {
      this.refs.set(id, null);
      try { this.refs.set(id, (await api(`/api/references/${encodeURIComponent(id)}`)).trace); } catch { /* no ghost */ }
    }
    return this.refs.get(id);
  }

  drawLive(r) {
    const ghost = r.reference_id ? this.refs.get(r.reference_id) : null;
    if (r.reference_id && !this.refs.has(r.reference_id)) this.ghostFor(r.reference_id);
    const shift = r.press_t_s != null && r.trial_t_s != null ? r.press_t_s - r.trial_t_s : 0;
    this.chartBox.replaceChildren(trialChart({ band: r.band_n, target: r.target_n, holdS: r.hold_s,
      trace: this.samples, ramp: r.ramp_n_per_s, ghost, ghostShift: shift }));
  }

  onEvent(e) {
    if (e.kind === "run_start") { this.keep = false; this.result.replaceChildren(); this.chartBox.replaceChildren(); }
    else if (e.kind === "trial_start") {
      this.cue.classList.remove("flash"); void this.cue.offsetWidth; this.cue.classList.add("flash");
      this.sound?.confirm();
      if (!e.shown) this.chartBox.replaceChildren();
    } else if (e.kind === "trial_end") this.trialEnded(e);
    else if (e.kind === "run_end") this.runEnded(e);
  }

  trialEnded(e) {
    if (e.score == null) { // blind: nothing about this trial until the end
      this.result.replaceChildren(el("p", "run-note", `Trial ${e.trial} done. Results at the end of the protocol.`));
      return;
    }
    const m = e.metrics, dir = m.mean_error_n == null ? "" : m.mean_error_n > 0 ? "too hard" : "too soft";
    const box = el("div", "run-trial");
    box.append(el("p", "run-score", `Trial ${e.trial}: score ${num(e.score, 0)} — ${e.passed ? "pass" : "not passed"}`),
      el("p", "run-note", `In band ${num(m.time_in_band_pct, 0)} % · mean error ${num(m.mean_error_n)} N ${dir} · CV ${num(m.cv == null ? null : m.cv * 100)} %`));
    if (e.reveal === "after") { // the trace the student could not see, with the band and the error
      box.append(trialChart({ band: e.band_n, target: e.target_n, holdS: m.held_s || 5, trace: e.trace }));
    }
    this.result.replaceChildren(box);
  }

  runEnded(e) {
    this.keep = true;
    const r = e.result || {};
    const verdict = r.passed ? "Protocol passed" : "Protocol not passed";
    const table = el("table", "run-table");
    const head = el("tr"); for (const h of ["Trial", "Target", "Feedback", "Score", "Mean error", "In band"]) head.append(el("th", null, h));
    table.append(head);
    for (const t of e.trials || []) {
      const tr = el("tr");
      for (const v of [t.trial, `${t.target_n} N`, t.feedback, `${num(t.score, 0)}${t.passed ? " ✔" : ""}`,
        `${num(t.mean_error_n)} N`, `${num(t.time_in_band_pct, 0)} %`]) tr.append(el("td", null, String(v)));
      table.append(tr);
    }
    const summary = el("p", `run-score ${r.passed ? "pass" : "fail"}`,
      `${verdict}: ${r.trials_passed ?? 0} of ${r.trials ?? 0} trials passed (${r.needed ?? "?"} needed) · mean score ${num(r.mean_score, 0)}`);
    const link = el("a", "run-report", "Printable report");
    link.href = `/runs/${encodeURIComponent(e.run_id)}/report`;
    this.result.replaceChildren(summary, table, link);
    this.cue.textContent = "Done"; this.cue.dataset.phase = "done";
    this.root.hidden = false;
  }
}
