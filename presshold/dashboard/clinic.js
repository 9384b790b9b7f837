// The live page's practice panel: which client is on the table (their presets apply when chosen),
// discomfort ratings (digit keys 0-9 or a tap), and the "Client signalled" cue when the client
// presses their button. Mounted by app.js into #clinic-panel; app.js hands it every status and
// event message, and a function that puts a labelled mark on the live trace.
import { api } from "/static/ui.js";
import { PatientCue } from "/static/patient_cue.js";
import { PptPanel } from "/static/ppt.js";
import { BodyMap } from "/static/bodymap.js";

export class ClinicPanel {
  constructor(root, { addMark = () => {} } = {}) {
    this.root = root;
    this.addMark = addMark;
    this.stationId = null;
    this.clientId = null;
    this.session = null;
    this.cue = new PatientCue(document.body);
    root.innerHTML = `
      <h2>Client</h2>
      <div class="row client-row">
        <div class="grow"><label for="client-select">On the table</label>
          <select id="client-select"><option value="">— nobody chosen —</option></select></div>
        <a href="/clients" class="btn-link" id="client-link">Clients…</a>
      </div>
      <p class="hint" id="client-msg" role="status"></p>
      <div class="discomfort" role="group" aria-labelledby="discomfort-label">
        <div class="discomfort-head"><span id="discomfort-label">Discomfort (0–10)</span>
          <span class="hint">keys <kbd>0</kbd>–<kbd>9</kbd>, or tap</span></div>
        <div class="discomfort-scale" id="discomfort-scale"></div>
        <p class="hint" id="discomfort-last" role="status">What the client reports during a hold.</p>
      </div>
      <details class="bodymap-wrap" id="bodymap-details">
        <summary>Body map</summary>
        <div id="bodymap"></div>
        <p class="hint" id="bodymap-msg" role="status">Choose a site: with PPT open it is the site measured,
          otherwise it labels the point you treat.</p>
      </details>
      <div id="ppt-root"></div>`;
    this.select = root.querySelector("#client-select");
    this.msg = root.querySelector("#client-msg");
    this.select.addEventListener("change", () => this.choose(this.select.value || null));
    this.ppt = new PptPanel(root.querySelector("#ppt-root"), {
      stationQuery: () => (this.stationId ? `?station=${encodeURIComponent(this.stationId)}` : ""),
    });
    this.map = new BodyMap(root.querySelector("#bodymap"), (site, side) => this.pickSite(site, side));
    const scale = root.querySelector("#discomfort-scale");
    for (let level = 0; level <= 10; level++) {
      const b = document.createElement("button");
      b.type = "button"; b.textContent = String(level); b.dataset.level = String(level);
      b.setAttribute("aria-label", `Discomfort ${level}`);
      b.addEventListener("click", () => this.rate(level));
      scale.append(b);
    }
    document.addEventListener("keydown", (e) => {
      if (e.target.closest("input, select, textarea, summary, dialog") || e.ctrlKey || e.metaKey
          || e.altKey || e.repeat || !/^[0-9]$/.test(e.key)) return;
      e.preventDefault();
      this.rate(Number(e.key));
    });
    this.load();
  }

  /** A site chosen on the body map: the PPT site while measuring, else the point treated. */
  async pickSite(site, side) {
    const out = this.root.querySelector("#bodymap-msg");
    if (this.ppt.active) { this.ppt.pick(site, side); out.textContent = `Measuring at ${site} ${side}.`; return; }
    if (!this.session?.recording) { out.textContent = "Start a session to label points."; return; }
    try {
      await api(`/api/sessions/${encodeURIComponent(this.session.id)}/marks`, { method: "POST", body: { label: site, side } });
      out.textContent = `Treating ${site} ${side}.`;
    } catch (err) {
      out.textContent = `Not labelled: ${err.message}`;
    }
  }

  /** A frame from /ws/live (its new samples feed the PPT rate guide). */
  frame(m) { if (m.samples?.length) this.ppt.samples(m.samples); }

  /** Record a discomfort rating on the recording session (the site: the current point). */
  async rate(level) {
    const out = this.root.querySelector("#discomfort-last");
    if (!this.session?.recording) { out.textContent = "Start a session to record discomfort."; return; }
    try {
      const r = await api(`/api/sessions/${encodeURIComponent(this.session.id)}/discomfort`, {
        method: "POST", body: { level },
      });
      out.textContent = `Recorded ${r.level}/10${r.site ? ` at ${r.site}` : ""}.`;
      this.root.querySelectorAll("#discomfort-scale button").forEach((b) => {
        b.setAttribute("aria-pressed", String(+b.dataset.level === r.level));
      });
    } catch (err) {
      out.textContent = `Not recorded: ${err.message}`;
    }
  }

  async load() {
    try {
      const clients = await api("/api/clients");
      const opts = clients.map((c) => new Option(c.name, c.id));
      this.select.replaceChildren(new Option("— nobody chosen —", ""), ...opts);
      this.select.value = this.clientId || "";
    } catch (err) {
      this.msg.textContent = `Clients unavailable: ${err.message}`;
    }
  }

  async choose(clientId) {
    if (!this.stationId) return;
    try {
      const st = await api(`/api/stations/${encodeURIComponent(this.stationId)}`, {
        method: "PATCH", body: { client_id: clientId },
      });
      this.clientId = st.client_id;
      const name = this.select.selectedOptions[0]?.textContent;
      this.msg.textContent = clientId ? `${name}: their sessions and presets apply here.` : "";
    } catch (err) {
      this.msg.textContent = `Not changed: ${err.message}`;
      this.select.value = this.clientId || "";
    }
  }

  /** A status message from /ws/live. */
  status(st) {
    this.stationId = st.station?.id ?? this.stationId;
    this.session = st.session;
    this.ppt.setSession(st.session);
    const id = st.client_id ?? null;
    if (id === this.clientId) return;
    this.clientId = id;
    if (id && ![...this.select.options].some((o) => o.value === id)) this.load();
    else if (document.activeElement !== this.select) this.select.value = id || "";
  }

  /** An event message from /ws/live. */
  event(e) {
    if (e.kind === "patient_signal") {
      // While measuring a threshold the press means "threshold": taken, not an alarm.
      if (this.ppt.active) this.ppt.signal(e); else this.cue.show(e);
      this.addMark(e.t_s, "Client signalled");
    } else if (e.kind === "ppt") {
      this.addMark(e.t_s, `PPT ${e.value_n.toFixed(1)} N`);
    } else if (e.kind === "discomfort") {
      this.addMark(e.t_s, `Discomfort ${e.level}`);
    }
  }
}
