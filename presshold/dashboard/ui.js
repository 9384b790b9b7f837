// Small page-level helpers shared by every page: theme toggles and JSON fetch with clear errors.
export async function api(path, opts = {}) {
  const init = { ...opts, headers: { "Content-Type": "application/json", ...(opts.headers || {}) } };
  if (init.body && typeof init.body !== "string") init.body = JSON.stringify(init.body);
  let r;
  try { r = await fetch(path, init); } catch (err) {
    // fetch rejects only when no answer came at all; its own words ("Failed to fetch") tell a
    // therapist nothing
    if (init.signal?.aborted) throw err;
    throw new Error("the PressHold server cannot be reached (is it still running?)");
  }
  const body = r.headers.get("content-type")?.includes("json") ? await r.json() : await r.text();
  if (!r.ok) throw new Error(body?.detail || `${r.status} ${r.statusText}`);
  return body;
}

export function setupThemeButtons() {
  const root = document.documentElement;
  const themeBtn = document.getElementById("theme-btn");
  const contrastBtn = document.getElementById("contrast-btn");
  themeBtn?.addEventListener("click", () => {
    const dark = root.dataset.theme
      ? root.dataset.theme === "dark"
      : matchMedia("(prefers-color-scheme: dark)").matches;
    root.dataset.theme = dark ? "light" : "dark";
    localStorage.setItem("presshold.theme", root.dataset.theme);
    window.dispatchEvent(new Event("presshold-theme"));
  });
  if (contrastBtn) {
    contrastBtn.setAttribute("aria-pressed", String(root.dataset.contrast === "high"));
    contrastBtn.addEventListener("click", () => {
      const high = root.dataset.contrast !== "high";
      if (high) root.dataset.contrast = "high"; else delete root.dataset.contrast;
      localStorage.setItem("presshold.contrast", high ? "high" : "normal");
      contrastBtn.setAttribute("aria-pressed", String(high));
      window.dispatchEvent(new Event("presshold-theme"));
    });
  }
}

export function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}
