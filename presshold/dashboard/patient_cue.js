// "Client signalled": the cue when the client presses their button. Calm (no red, no flashing, a
// soft two-note chime) but unmissable: a large banner over the page, announced by screen readers
// (role="alert"), that stays until the therapist acknowledges it — it never clears by itself.
// Its chime does not follow the feedback-sound mute: the hold cues can be silenced, the client's
// own signal is not (the browser still needs one click or key on the page before any sound).

const CHIME = [[392, 0], [523.25, 0.45], [392, 2.2], [523.25, 2.65]]; // G4 C5, again after 2 s

export class PatientCue {
  constructor(parent) {
    this.parent = parent;
    this.el = null;
    this.ctx = null;
    for (const ev of ["pointerdown", "keydown"]) addEventListener(ev, () => this.wake(), { passive: true });
  }

  wake() {
    try {
      this.ctx ??= new AudioContext();
      if (this.ctx.state === "suspended") this.ctx.resume();
    } catch {
      this.ctx = null; // no audio device: the banner alone
    }
  }

  chime() {
    const ctx = this.ctx;
    if (!ctx || ctx.state !== "running") return;
    for (const [f, at] of CHIME) {
      const t = ctx.currentTime + at, osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.type = "sine"; osc.frequency.value = f;
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.22, t + 0.04);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.6);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t); osc.stop(t + 0.65);
    }
  }

  /** Show the cue (again, if it is already up: the count says how often). */
  show(e) {
    this.chime();
    const clock = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
    if (this.el) {
      this.count += 1;
      this.el.querySelector(".cue-detail").textContent = `${this.count} signals · last at ${clock}`;
      return;
    }
    this.count = 1;
    // Created on demand: role="alert" content that appears is announced at once.
    const el = document.createElement("div");
    el.className = "patient-cue"; el.id = "patient-cue";
    el.setAttribute("role", "alert");
    el.innerHTML = `<div class="cue-text"><strong>Client signalled</strong>
      <span class="cue-detail"></span></div>
      <button type="button" class="cue-ack">Acknowledge</button>`;
    el.querySelector(".cue-detail").textContent =
      `at ${clock}${e.source === "relayed" ? " (relayed)" : ""} · ease off and ask`;
    el.querySelector(".cue-ack").addEventListener("click", () => this.acknowledge());
    this.parent.append(el);
    this.el = el;
    el.querySelector(".cue-ack").focus({ preventScroll: true });
  }

  acknowledge() {
    this.el?.remove();
    this.el = null;
  }
}
