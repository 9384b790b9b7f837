// The live page's practice panel: which client is on the table (their presets apply when chosen),
// discomfort ratings (digit keys 0-9 or a tap), and the "Client signalled" cue when the client
// presses their button. Mounted by app.js into #clinic-panel; app.js hands it every status and
// event message, and a function that puts a labelled mark on the live trace.
import { api } from "/static/ui.js";
import { PatientCue } from "/static/patient_cue.js";

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
      </div>`;
    this.select = root.querySelector("#client-select");
    this.msg = root.querySelector("#client-msg");
    this.select.addEventListener("change", () => this.choose(this.select.value || null));
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
    const id = st.client_id ?? null;
    if (id === this.clientId) return;
    this.clientId = id;
    if (id && ![...this.select.options].some((o) => o.value === id)) this.load();
    else if (document.activeElement !== this.select) this.select.value = id || "";
  }

  /** An event message from /ws/live. */
  event(e) {
    if (e.kind === "patient_signal") {
      this.cue.show(e);
      this.addMark(e.t_s, "Client signalled");
    } else if (e.kind === "discomfort") {
      this.addMark(e.t_s, `Discomfort ${e.level}`);
    }
  }
}
