// /students: every student with their latest score; add one; delete one (with its trials, after
// confirmation). Progress and reports are server-rendered pages linked from here.
import { api, setupThemeButtons } from "/static/ui.js";

const $ = (id) => document.getElementById(id);
const td = (text) => { const c = document.createElement("td"); c.textContent = text; return c; };

async function load() {
  let list;
  try { list = await api("/api/students"); } catch (e) { $("error").textContent = e.message; return; }
  const body = $("students").querySelector("tbody");
  body.replaceChildren(...list.map((s) => {
    const tr = document.createElement("tr");
    const name = document.createElement("td"), a = document.createElement("a");
    a.href = `/students/${encodeURIComponent(s.id)}`; a.textContent = s.name; name.append(a);
    const report = document.createElement("td"), r = document.createElement("a");
    r.href = `/students/${encodeURIComponent(s.id)}/report`; r.textContent = "Report"; report.append(r);
    const del = document.createElement("td"), b = document.createElement("button");
    b.type = "button"; b.textContent = "Delete"; b.setAttribute("aria-label", `Delete ${s.name}`);
    b.addEventListener("click", () => remove(s));
    del.append(b);
    tr.append(name, td(s.group || ""), td(String(s.trials)),
      td(s.latest_score == null ? "—" : String(Math.round(s.latest_score))),
      td(s.latest_at ? s.latest_at.slice(0, 16).replace("T", " ") : "—"), report, del);
    return tr;
  }));
  if (!list.length) {
    const tr = document.createElement("tr"), c = td("No students yet: add one above.");
    c.colSpan = 7; tr.append(c); body.append(tr);
  }
}

async function remove(s) {
  const n = s.trials;
  if (!confirm(`Delete ${s.name} and their ${n} trial${n === 1 ? "" : "s"}? This cannot be undone.`)) return;
  try { await api(`/api/students/${encodeURIComponent(s.id)}`, { method: "DELETE" }); }
  catch (e) { $("error").textContent = e.message; }
  load();
}

// One add at a time (a second Enter must not add the student twice), and once it is saved only
// the fields still holding what was sent are cleared: a name typed meanwhile is kept.
let adding = false;
$("add-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if (adding) return;
  adding = true; $("add-btn").disabled = true;
  $("error").textContent = "";
  const sent = { name: $("name").value, group: $("group").value, notes: $("notes").value };
  const body = { name: sent.name.trim() };
  if (sent.group.trim()) body.group = sent.group.trim();
  if (sent.notes.trim()) body.notes = sent.notes.trim();
  try {
    await api("/api/students", { method: "POST", body });
    for (const [id, value] of Object.entries(sent)) if ($(id).value === value) $(id).value = "";
    $("name").focus();
  } catch (e) { $("error").textContent = e.message; return; }
  finally { adding = false; $("add-btn").disabled = false; }
  load();
});

setupThemeButtons();
load();
