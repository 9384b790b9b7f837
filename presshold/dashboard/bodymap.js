// A body map for picking sites: front and back outlines with the common trigger-point sites of
// sites.js, each on the left and the right. Front view: the client's right is on the viewer's
// left (facing you); back view: the client's left is on the viewer's left. Every site is a
// focusable button (Enter/Space) named "upper trapezius L".
import { SITES } from "/static/sites.js";

const NS = "http://www.w3.org/2000/svg";
// [view, dx from the midline, y] in a figure about 70 wide and 220 tall, head at the top.
const WHERE = {
  "upper trapezius": ["back", 14, 41], "levator scapulae": ["back", 8, 36], SCM: ["front", 5, 33],
  suboccipitals: ["back", 4, 26], scalenes: ["front", 9, 38], masseter: ["front", 6, 19],
  temporalis: ["front", 9, 10], infraspinatus: ["back", 16, 59], supraspinatus: ["back", 15, 48],
  rhomboid: ["back", 7, 55], "pectoralis minor": ["front", 14, 52], "quadratus lumborum": ["back", 8, 92],
  "gluteus medius": ["back", 15, 108], piriformis: ["back", 9, 117], "tensor fasciae latae": ["front", 19, 112],
  gastrocnemius: ["back", 9, 170], soleus: ["back", 9, 190],
};
const CENTER = { front: 45, back: 135 };
// One outline (midline x = 0): head, neck, trunk, arms, legs.
const OUTLINE = [
  "M0 2 a11 12 0 1 0 0.01 0",
  "M-5 24 L-5 31 L-22 37 Q-27 40 -27 48 L-30 100 L-26 102 L-22 58 L-20 78 L-21 100 Q-23 112 -19 122"
    + " L-17 165 L-14 206 L-19 214 L-6 214 L-5 206 L-3 125 L0 118 L3 125 L5 206 L6 214 L19 214"
    + " L14 206 L17 165 L19 122 Q23 112 21 100 L20 78 L22 58 L26 102 L30 100 L27 48 Q27 40 22 37"
    + " L5 31 L5 24",
];

export class BodyMap {
  /** ``onPick(site, side)`` when a site is chosen. */
  constructor(root, onPick) {
    this.onPick = onPick;
    const svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", "0 0 180 234");
    svg.setAttribute("class", "body-map");
    svg.setAttribute("role", "group");
    svg.setAttribute("aria-label", "Body map: front and back");
    for (const view of ["front", "back"]) {
      const g = document.createElementNS(NS, "g");
      g.setAttribute("transform", `translate(${CENTER[view]} 4)`);
      for (const d of OUTLINE) {
        const p = document.createElementNS(NS, "path");
        p.setAttribute("d", d); p.setAttribute("class", "outline");
        g.append(p);
      }
      const label = document.createElementNS(NS, "text");
      label.setAttribute("x", "0"); label.setAttribute("y", "224"); label.setAttribute("class", "view-label");
      label.textContent = view === "front" ? "Front" : "Back";
      g.append(label);
      svg.append(g);
    }
    for (const site of SITES) {
      const [view, dx, y] = WHERE[site] ?? [];
      if (!view) continue;
      for (const side of ["L", "R"]) {
        // front: the client's left is on the viewer's right; back: on the viewer's left
        const sign = (view === "front") === (side === "L") ? 1 : -1;
        const c = document.createElementNS(NS, "circle");
        c.setAttribute("cx", String(CENTER[view] + sign * dx));
        c.setAttribute("cy", String(4 + y));
        c.setAttribute("r", "3.6");
        c.setAttribute("class", "site-dot");
        c.setAttribute("tabindex", "0");
        c.setAttribute("role", "button");
        c.setAttribute("aria-label", `${site} ${side}`);
        c.dataset.site = site; c.dataset.side = side;
        const title = document.createElementNS(NS, "title");
        title.textContent = `${site} ${side}`;
        c.append(title);
        const pick = () => { this.select(site, side); this.onPick(site, side); };
        c.addEventListener("click", pick);
        c.addEventListener("keydown", (e) => {
          if (e.key === "Enter" || e.key === " ") { e.preventDefault(); e.stopPropagation(); pick(); }
        });
        svg.append(c);
      }
    }
    root.append(svg);
    this.svg = svg;
  }

  /** Highlight ``site`` ``side`` (null: none). */
  select(site, side) {
    this.svg.querySelectorAll(".site-dot").forEach((c) => {
      c.setAttribute("aria-pressed", String(c.dataset.site === site && c.dataset.side === side));
    });
  }
}
