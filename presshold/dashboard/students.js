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

$("add-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("error").textContent = "";
  const body = { name: $("name").value.trim() };
  if ($("group").value.trim()) body.group = $("group").value.trim();
  if ($("notes").value.trim()) body.notes = $("notes").value.trim();
  try {
    await api("/api/students", { method: "POST", body });
    $("add-form").reset();
    $("name").focus();
  } catch (e) { $("error").textContent = e.message; return; }
  load();
});

setupThemeButtons();
load();
