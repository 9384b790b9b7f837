// Display units. Forces arrive in newtons; pressure units divide by the probe area.
const G = 9.80665;
export const UNITS = {
  N: { label: "N", digits: 1, fromN: (n) => n },
  kgf: { label: "kgf", digits: 2, fromN: (n) => n / G },
  lbf: { label: "lbf", digits: 1, fromN: (n) => n / 4.4482216152605 },
  kPa: { label: "kPa", digits: 0, fromN: (n, a) => n / (a * 1e-4) / 1000 },
  "kgf/cm2": { label: "kgf/cm²", digits: 2, fromN: (n, a) => n / G / a },
};

export function unitOf(settings) {
  return UNITS[settings?.unit] || UNITS.N;
}

export function toDisplay(forceN, settings) {
  const area = settings?.probe_area_cm2 || 1;
  return unitOf(settings).fromN(forceN, area);
}

/** Inverse conversion: a value typed in the display unit, back to newtons. */
export function toNewtons(value, settings) {
  const perN = toDisplay(1, settings);
  return value / perN;
}

export function fmt(forceN, settings) {
  const u = unitOf(settings), text = toDisplay(forceN, settings).toFixed(u.digits);
  return Number(text) === 0 ? (0).toFixed(u.digits) : text; // "-0.0" at rest reads as a fault
}
