// Web Audio cues. Off until the user turns sound on: browsers only let a page make sound after a
// gesture, so the AudioContext is created (or resumed) from one.
export class Sound {
  constructor(muted) {
    this.muted = muted;
    this.ctx = null;
  }

  /** Create or resume the AudioContext; call from a click or key press. */
  wake() {
    if (this.muted) return;
    try {
      this.ctx ??= new AudioContext();
      if (this.ctx.state === "suspended") this.ctx.resume();
    } catch {
      this.ctx = null; // no audio device: stay silent, never break the page
    }
  }

  /** Short sine notes in sequence, with soft attack and release (no clicks). */
  play(freqs, dur) {
    const ctx = this.ctx;
    if (this.muted || !ctx || ctx.state !== "running") return;
    let t = ctx.currentTime;
    for (const f of freqs) {
      const osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.type = "sine"; osc.frequency.value = f;
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.18, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + dur);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t); osc.stop(t + dur + 0.02);
      t += dur * 0.9;
    }
  }

  holdComplete() { this.play([660, 880, 1320], 0.16); } // rising: done
  alert(kind) { this.play(kind === "over" ? [523, 392] : [392, 523], 0.14); } // falling: ease off
  confirm() { this.play([660], 0.12); }
}
