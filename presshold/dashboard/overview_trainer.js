// Trainer mode on the overview: each tile's student, run step and latest score; the class panel
// (assign a student, start or stop a protocol at each station) and the comparison table of the
// class for the protocols being run. Controls live outside the tiles (a tile is a link). The
// panel stays hidden until there is a student or a run, so a clinic that never uses trainer
// mode keeps its overview as it was (twelve tiles on one screen).
import { api } from "/static/ui.js";

const $ = (id) => document.getElementById(id);
const rows = new Map(); // station id → { tr, student, protocol, button, status, report }
let students = [], protocols = [], panel = null;

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  return e;
}
function options(select, items, none) {
  const keep = select.value;
  select.replaceChildren(...(none ? [new Option(none, "")] : []), ...items.map((i) => new Option(i.name, i.id)));
  if ([...select.options].some((o) => o.value === keep)) select.value = keep;
}

export async function setupClass() {
  panel = el("section", "class-panel");
  panel.id = "class-panel";
  panel.setAttribute("aria-label", "Class");
  panel.hidden = true;
  panel.append(el("h2", null, "Class: students and protocols"));
  const table = el("table", "class-table");
  table.id = "class-controls";
  const head = el("tr");
  for (const h of ["Station", "Student", "Protocol", "", "Run", ""]) head.append(el("th", null, h));
  table.append(head);
  const err = el("p", "class-error"); err.id = "class-error"; err.setAttribute("role", "alert");
  const cmpTitle = el("h2", null, "Comparison");
  const cmp = el("div"); cmp.id = "class-compare";
  panel.append(table, err, cmpTitle, cmp);
  $("tiles").after(panel);
  await refreshLists();
  setInterval(refreshLists, 15000);
}

async function refreshLists() {
  try {
    [students, protocols] = await Promise.all([api("/api/students"), api("/api/protocols")]);
  } catch (e) { $("class-error").textContent = String(e.message || e); return; }
  for (const r of rows.values()) { options(r.student, students, "— no student —"); options(r.protocol, protocols); }
  if (students.length) panel.hidden = false;
}

function makeRow(st) {
  const tr = el("tr");
  tr.dataset.station = st.id;
  const name = el("td", null, st.name);
  const student = el("select"); student.setAttribute("aria-label", `Student at ${st.name}`);
  const protocol = el("select"); protocol.setAttribute("aria-label", `Protocol at ${st.name}`);
  const button = el("button", null, "Start run"); button.type = "button";
  const status = el("td", "class-status");
  const report = el("a", null, ""); report.hidden = true;
  const watch = el("a", null, "Trainer view");
  watch.href = `/?station=${encodeURIComponent(st.id)}&view=trainer`;
  watch.title = "This station's live view, unmasked during hidden trials";
  options(student, students, "— no student —"); options(protocol, protocols);
  student.addEventListener("change", () => act(() => api(`/api/stations/${encodeURIComponent(st.id)}`,
    { method: "PATCH", body: { student_id: student.value || null } })));
  button.addEventListener("click", () => act(() => {
    const running = button.dataset.running === "true";
    const path = `/api/stations/${encodeURIComponent(st.id)}/run${running ? "/stop" : ""}`;
    return api(path, { method: "POST", body: running ? undefined : { protocol_id: protocol.value, student_id: student.value || null } });
  }));
  const cells = [name, el("td"), el("td"), el("td"), status, el("td")];
  cells[1].append(student); cells[2].append(protocol); cells[3].append(button); cells[5].append(watch, " ", report);
  tr.append(...cells);
  $("class-controls").append(tr);
  return { tr, name, student, protocol, button, status, report };
}

async function act(fn) {
  $("class-error").textContent = "";
  try { await fn(); } catch (e) { $("class-error").textContent = String(e.message || e); }
}

function runText(run) {
  if (!run) return "—";
  const last = run.latest_score == null ? "" : ` · last score ${Math.round(run.latest_score)}`;
  if (run.phase === "done") return `done · ${run.result.trials_passed}/${run.result.trials} passed${last}`;
  return `step ${run.step}/${run.steps} · rep ${run.rep}/${run.reps} · ${run.phase}${last}`;
}

/** The tile's trainer line (student · protocol · step · latest score). */
export function decorateTile(tileEl, st) {
  let line = tileEl.querySelector(".tile-trainer");
  const t = st.trainer;
  if (!t || (!t.student && !t.run)) { if (line) line.remove(); return; }
  if (!line) { line = el("div", "tile-trainer"); tileEl.append(line); }
  const who = t.student?.name || t.run?.student || "";
  const text = `${who}${who && t.run ? " · " : ""}${t.run ? `${t.run.protocol} · ${runText(t.run)}` : ""}`;
  if (line.textContent !== text) line.textContent = text;
}

export function onClassOverview(m) {
  if (!panel) return;
  if (panel.hidden && m.stations.some((s) => s.trainer?.run || s.trainer?.student)) panel.hidden = false;
  const seen = new Set();
  for (const st of m.stations) {
    seen.add(st.id);
    let r = rows.get(st.id);
    if (!r) { r = makeRow(st); rows.set(st.id, r); }
    r.name.textContent = st.name;
    const t = st.trainer || {}, run = t.run;
    const sid = t.student?.id || "";
    if (document.activeElement !== r.student && r.student.value !== sid) r.student.value = sid;
    const running = !!run && run.phase !== "done";
    r.button.dataset.running = String(running);
    r.button.textContent = running ? "Stop run" : "Start run";
    if (running && document.activeElement !== r.protocol) r.protocol.value = run.protocol_id;
    r.status.textContent = runText(run);
    r.report.hidden = !run;
    if (run) { r.report.href = `/runs/${encodeURIComponent(run.run_id)}/report`; r.report.textContent = "Report"; }
  }
  for (const [id, r] of rows) if (!seen.has(id)) { r.tr.remove(); rows.delete(id); }
  renderCompare(m.stations);
}

let lastCompare = "";
function renderCompare(stations) {
  const runs = stations.filter((s) => s.trainer?.run).map((s) => ({ st: s, run: s.trainer.run }));
  const key = JSON.stringify(runs.map(({ st, run }) => [st.id, run.run_id, run.scores, run.phase]));
  if (key === lastCompare) return;
  lastCompare = key;
  const box = $("class-compare");
  if (!runs.length) { box.replaceChildren(el("p", null, "No protocol running yet.")); return; }
  const byProtocol = new Map();
  for (const r of runs) { if (!byProtocol.has(r.run.protocol)) byProtocol.set(r.run.protocol, []); byProtocol.get(r.run.protocol).push(r); }
  const parts = [];
  for (const [name, list] of byProtocol) {
    parts.push(el("h3", null, name));
    const table = el("table", "class-table");
    const head = el("tr");
    for (const h of ["Student", "Station", "Trials", "Latest", "Mean", "Passed", "Result"]) head.append(el("th", null, h));
    table.append(head);
    list.sort((a, b) => (b.run.result.mean_score ?? -1) - (a.run.result.mean_score ?? -1));
    for (const { st, run } of list) {
      const res = run.result, tr = el("tr");
      const verdict = run.phase === "done" ? (res.passed ? "passed" : "not passed") : "running";
      for (const v of [run.student || "—", st.name, `${run.trials_done}/${run.trials}`,
        run.latest_score == null ? "—" : Math.round(run.latest_score), res.mean_score == null ? "—" : Math.round(res.mean_score),
        `${res.trials_passed} (${res.needed} needed)`, verdict]) tr.append(el("td", null, String(v)));
      table.append(tr);
    }
    parts.push(table);
  }
  box.replaceChildren(...parts);
}
