// The live page's practice panel: which client is on the table (their presets apply when chosen).
// Mounted by app.js into #clinic-panel; app.js hands it every status and event message.
import { api } from "/static/ui.js";

export class ClinicPanel {
  constructor(root) {
    this.root = root;
    this.stationId = null;
    this.clientId = null;
    root.innerHTML = `
      <h2>Client</h2>
      <div class="row client-row">
        <div class="grow"><label for="client-select">On the table</label>
          <select id="client-select"><option value="">— nobody chosen —</option></select></div>
        <a href="/clients" class="btn-link" id="client-link">Clients…</a>
      </div>
      <p class="hint" id="client-msg" role="status"></p>`;
    this.select = root.querySelector("#client-select");
    this.msg = root.querySelector("#client-msg");
    this.select.addEventListener("change", () => this.choose(this.select.value || null));
    this.load();
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
    const id = st.client_id ?? null;
    if (id === this.clientId) return;
    this.clientId = id;
    if (id && ![...this.select.options].some((o) => o.value === id)) this.load();
    else if (document.activeElement !== this.select) this.select.value = id || "";
  }

  /** An event message from /ws/live. */
  event(_e) {}
}
