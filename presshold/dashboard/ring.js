// Fixed-capacity ring buffer of (t, value) for the live trace, built so that drawing a frame
// allocates nothing at 1 kHz: every sample is written twice (slot i and its mirror i + cap), so
// the newest `len` samples are always one contiguous stretch and a window is a typed-array view.
export class Ring {
  constructor(capacity) {
    this.cap = capacity;
    this.t = new Float64Array(2 * capacity);
    this.v = new Float64Array(2 * capacity);
    this.head = 0; // next slot to write, in [0, cap)
    this.len = 0;
  }

  push(t, v) {
    // Times only move forward within one time base; a step back means it restarted (new session).
    if (this.len && t < this.lastT) this.clear();
    const i = this.head, m = i + this.cap;
    this.t[i] = t; this.t[m] = t; this.v[i] = v; this.v[m] = v;
    this.head = (i + 1) % this.cap;
    if (this.len < this.cap) this.len++;
  }

  clear() { this.head = 0; this.len = 0; }

  /** Multiply every stored value by k (the display unit changed). */
  scale(k) {
    for (let i = 0; i < 2 * this.cap; i++) this.v[i] *= k;
  }

  /** [times, values] views of the samples with t >= fromT, oldest first; valid until the next push. */
  window(fromT) {
    const start = (this.head - this.len + this.cap) % this.cap, end = start + this.len;
    let lo = start, hi = end; // first index with t >= fromT (binary search; times ascend)
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.t[mid] < fromT) lo = mid + 1; else hi = mid;
    }
    return [this.t.subarray(lo, end), this.v.subarray(lo, end)];
  }

  get lastT() { return this.len ? this.t[(this.head - 1 + this.cap) % this.cap] : 0; }

  /** Mean sample rate over the newest `seconds` (0 when there is too little data). */
  rate(seconds = 2) {
    if (this.len < 3) return 0;
    const [ts] = this.window(this.lastT - seconds), span = ts[ts.length - 1] - ts[0];
    return span > 0 ? (ts.length - 1) / span : 0;
  }
}
