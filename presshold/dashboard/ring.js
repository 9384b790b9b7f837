// Fixed-capacity ring buffer of (t, force) in typed arrays: no allocation per sample at 1 kHz.
export class Ring {
  constructor(capacity) {
    this.cap = capacity; this.t = new Float64Array(capacity); this.v = new Float64Array(capacity);
    this.start = 0; this.len = 0;
  }
  push(t, v) {
    const i = (this.start + this.len) % this.cap;
    this.t[i] = t; this.v[i] = v;
    if (this.len < this.cap) this.len++; else this.start = (this.start + 1) % this.cap;
  }
  clear() { this.start = 0; this.len = 0; }
  /** Samples with t >= fromT, in order, as plain arrays for uPlot (scale applied to values). */
  since(fromT, scale) {
    const xs = [], ys = [];
    for (let k = 0; k < this.len; k++) {
      const i = (this.start + k) % this.cap;
      if (this.t[i] >= fromT) { xs.push(this.t[i]); ys.push(this.v[i] * scale); }
    }
    return [xs, ys];
  }
  get lastT() { return this.len ? this.t[(this.start + this.len - 1) % this.cap] : 0; }
}
