// Trace import on /sessions: the file is the request body (streamed by the browser, no form
// encoding), the server enforces the size limit and answers 201 with the new session's id, or
// 422/413 with a message naming the line or column at fault, which is shown as it is.
export function setupImport(form) {
  const file = form.querySelector("#import-file");
  const rate = form.querySelector("#import-rate");
  const msg = form.querySelector("#import-msg");
  const button = form.querySelector("#import-btn");

  async function upload(f) {
    if (!f) { msg.textContent = "Choose a trace file first."; return; }
    const params = new URLSearchParams({ filename: f.name });
    if (rate.value) params.set("rate_hz", rate.value);
    button.disabled = true;
    msg.className = "";
    msg.textContent = `Importing ${f.name}…`;
    try {
      const r = await fetch(`/api/sessions/import?${params}`, {
        method: "POST", body: f, headers: { "Content-Type": "application/octet-stream" },
      });
      const body = r.headers.get("content-type")?.includes("json") ? await r.json() : {};
      if (!r.ok) throw new Error(body.detail || `${r.status} ${r.statusText}`);
      msg.textContent = `Imported ${f.name}: ${body.samples.toLocaleString()} samples. Opening it…`;
      location.assign(`/sessions/${encodeURIComponent(body.id)}`);
    } catch (err) {
      msg.className = "error";
      msg.textContent = `Not imported: ${err.message}`;
    } finally {
      button.disabled = false;
    }
  }

  form.addEventListener("submit", (e) => { e.preventDefault(); upload(file.files[0]); });
  form.addEventListener("dragover", (e) => { e.preventDefault(); form.classList.add("dragging"); });
  form.addEventListener("dragleave", () => form.classList.remove("dragging"));
  form.addEventListener("drop", (e) => {
    e.preventDefault();
    form.classList.remove("dragging");
    upload(e.dataTransfer.files[0]);
  });
}
