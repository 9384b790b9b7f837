// The client list: add, export, delete (with confirmation: it deletes every session too).
import { api, setupThemeButtons } from "/static/ui.js";
import { when } from "/static/format.js";

const SENSITIVITY = { typical: "typical", sensitive: "sensitive", very_sensitive: "very sensitive" };

setupThemeButtons();
const body = document.querySelector("#clients tbody");
const msg = document.getElementById("msg");
const form = document.getElementById("new-client");

function presetText(p) {
  if (!p) return "—";
  const parts = [];
  if (p.target_n != null) parts.push(`target ${p.target_n} N`);
  if (p.hold_s != null) parts.push(`hold ${p.hold_s} s`);
  if (p.tolerance_pct != null) parts.push(`±${p.tolerance_pct} %`);
  return parts.join(", ") || "—";
}

function row(c) {
  const tr = document.createElement("tr");
  tr.dataset.id = c.id;
  const name = document.createElement("a");
  name.href = `/clients/${encodeURIComponent(c.id)}`; name.textContent = c.name;
  const exp = document.createElement("a");
  exp.href = `/api/clients/${encodeURIComponent(c.id)}/export`; exp.textContent = "Export";
  exp.setAttribute("download", ""); exp.className = "btn-link";
  const del = document.createElement("button");
  del.type = "button"; del.textContent = "Delete…"; del.className = "danger";
  del.addEventListener("click", () => confirmDelete(c));
  const actions = document.createElement("span");
  actions.className = "actions"; actions.append(exp, del);
  for (const cell of [name, SENSITIVITY[c.sensitivity] || "—", presetText(c.presets), when(c.created_at), actions]) {
    const td = document.createElement("td"); td.append(cell); tr.append(td);
  }
  return tr;
}

async function load() {
  try {
    const clients = await api("/api/clients");
    body.replaceChildren(...clients.map(row));
    msg.textContent = clients.length ? "" : "No clients yet. Add the first one below.";
  } catch (err) {
    msg.textContent = `Could not load clients: ${err.message}`;
  }
}

async function confirmDelete(c) {
  const dialog = document.getElementById("confirm-delete");
  let n = "all";
  try { n = String((await api(`/api/sessions?client=${encodeURIComponent(c.id)}`)).length); } catch { /* keep "all" */ }
  document.getElementById("confirm-text").textContent =
    `Delete ${c.name} and ${n === "all" ? "all" : n} recorded session${n === "1" ? "" : "s"} of theirs? `
    + "This cannot be undone. Export first if you need to keep a copy.";
  dialog.returnValue = "";
  dialog.showModal();
  dialog.addEventListener("close", async () => {
    if (dialog.returnValue !== "delete") return;
    try {
      const r = await api(`/api/clients/${encodeURIComponent(c.id)}`, { method: "DELETE" });
      await load();
      msg.textContent = `Deleted ${c.name} and ${r.sessions_deleted} session${r.sessions_deleted === 1 ? "" : "s"}.`;
    } catch (err) {
      msg.textContent = `Not deleted: ${err.message}`;
    }
  }, { once: true });
}

// One add at a time (a second Enter must not add the client twice), and once it is saved only
// the fields still holding what was sent are cleared: a name typed meanwhile is kept.
let adding = false;
form.addEventListener("submit", async (e) => {
  e.preventDefault();
  if (adding) return;
  const f = new FormData(form), client = { name: f.get("name").trim() };
  if (f.get("sensitivity")) client.sensitivity = f.get("sensitivity");
  if (f.get("notes").trim()) client.notes = f.get("notes").trim();
  const target = parseFloat(f.get("target_n"));
  if (target > 0) client.presets = { target_n: target };
  const submit = form.querySelector("[type=submit]");
  adding = true; submit.disabled = true;
  try {
    const c = await api("/api/clients", { method: "POST", body: client });
    for (const [name, value] of f) if (form.elements[name].value === value) form.elements[name].value = "";
    await load();
    msg.textContent = `Added ${c.name}.`;
  } catch (err) {
    msg.textContent = `Not added: ${err.message}`;
  } finally { adding = false; submit.disabled = false; }
});

await load();
