// Human formatting for the history pages.
export function duration(s) {
  if (s == null || !Number.isFinite(s)) return "—";
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.round(s)} s`;
  const t = Math.round(s), h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), r = t % 60;
  return h ? `${h} h ${String(m).padStart(2, "0")} min` : `${m} min ${String(r).padStart(2, "0")} s`;
}
export function when(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}
/** Seconds with one decimal, never "-0.0" (a sample a hair before the start rounds to 0.0). */
export function secs(s, digits = 1) {
  const v = Number(s);
  if (!Number.isFinite(v)) return "—";
  const text = v.toFixed(digits);
  return /^-0\.?0*$/.test(text) ? text.slice(1) : text;
}
/** A port as people name it: "ttyACM0", "pts/1", "COM3", a by-id link's name — never just "1". */
export function deviceName(path) {
  if (!path) return "";
  const p = String(path);
  if (/^\/dev\/serial\/by-(id|path)\//.test(p)) return p.split("/").pop();
  if (p.startsWith("/dev/")) return p.slice(5);
  return p.split(/[\\/]/).filter(Boolean).pop() || p;
}
