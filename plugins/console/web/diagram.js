// diagram.js: a programme's stages and moves as an SVG drawing, laid out from the definition.
// Stages stand in a column in their display order; a move to the next stage is a straight
// arrow; longer moves forward curve round the right, moves back round the left; a move that
// can be made from any open stage is one line gathering every open stage ("from any open
// stage"). Final stages have a double border. Each stage shows how many cases are in it and
// links to them.

import { s, list, words, duration } from "./dom.js";

const BOX_W = 300;
const PAD = 12;
const LINE = 18;
const GAP = 64;          // between stages: room for a straight arrow and its label
const LANE = 26;         // between curved lines
const CHAR = 7.4;        // average width of a 14px character
const LABEL_CHAR = 6.6;  // of a 12px label character
const LABEL_MAX = 26;    // label characters a line

let seq = 0;

// Words into lines of at most `per` characters (a longer word keeps a line of its own).
function wordLines(text, per) {
  const out = [];
  let line = "";
  for (const w of String(text).split(/\s+/)) {
    if (!line) line = w;
    else if ((line + " " + w).length <= per) line += " " + w;
    else { out.push(line); line = w; }
  }
  if (line) out.push(line);
  return out;
}

function wrap(text, width, maxLines = 3) {
  const out = wordLines(text, Math.max(8, Math.floor(width / CHAR)));
  if (out.length > maxLines) {
    const kept = out.slice(0, maxLines);
    kept[maxLines - 1] = kept[maxLines - 1].replace(/\s*\S*$/, "") + "…";
    return kept;
  }
  return out;
}

// A label's lines: wrapped at LABEL_MAX characters, three lines at most.
function labelLines(t) {
  const out = wordLines(t, LABEL_MAX);
  if (out.length > 3) return [...out.slice(0, 2), out[2] + "…"];
  return out;
}

// draw(definition, counts, {linkFor(state)}) -> <svg>
export function draw(def, counts = {}, { linkFor } = {}) {
  const id = `dg${++seq}`;
  const states = list(def.states);
  const transitions = list(def.transitions);
  const index = new Map(states.map((st, i) => [st.name, i]));
  const open = states.filter(st => !st.final).map(st => st.name);

  // Boxes: wrapped titles, then positions.
  const boxes = states.map(st => {
    const lines = wrap(st.title || words(st.name), BOX_W - 2 * PAD - 64, 4);
    return { st, lines, h: PAD * 2 + lines.length * LINE + 18 };
  });

  // Which moves go where. Group moves with the same ends into one line.
  const edges = new Map();
  const stars = [];
  for (const t of transitions) {
    const label = t.title || words(t.name);
    const timed = Boolean(t.after);
    if (t.from === "*") {
      stars.push({ t, label, timed, to: t.to });
      continue;
    }
    for (const from of [].concat(t.from)) {
      if (!index.has(from) || !index.has(t.to)) continue;
      const key = `${from}>${t.to}`;
      const e = edges.get(key) || { from, to: t.to, labels: [], timed: true, names: [] };
      e.labels.push(label);
      e.names.push(t.name);
      e.timed = e.timed && timed;
      edges.set(key, e);
    }
  }
  const straight = [], right = [], left = [];
  for (const e of edges.values()) {
    const a = index.get(e.from), b = index.get(e.to);
    e.span = Math.abs(b - a);
    if (b === a + 1) straight.push(e);
    else if (b > a) right.push(e);
    else left.push(e);
  }
  // Inner lanes for short spans.
  right.sort((x, y) => x.span - y.span);
  left.sort((x, y) => x.span - y.span);
  right.forEach((e, i) => { e.lane = i; });
  left.forEach((e, i) => { e.lane = i; });

  const leftLanes = left.length + stars.length;
  const leftLabelRoom = Math.max(0, ...left.map(e => labelWidth(e.labels)), ...stars.map(x => labelWidth([x.label, "(from any open stage)"])));
  const x0 = 24 + leftLanes * LANE + (leftLanes ? Math.min(leftLabelRoom, 220) : 0);
  const cx = x0 + BOX_W / 2;
  let y = 48;
  boxes.forEach((b, i) => {
    b.x = x0;
    b.y = y;
    y += b.h + (i < boxes.length - 1 ? GAP : 0);
  });
  const rightEdge = x0 + BOX_W;
  const rightLabelRoom = Math.max(0, ...right.map(e => labelWidth(e.labels)),
    ...straight.map(e => labelWidth(e.labels) - BOX_W / 2 + 12));
  const width = rightEdge + right.length * LANE + Math.min(Math.max(rightLabelRoom, 0), 240) + 24;
  const height = y + 24;

  const svg = s("svg", { class: "diagram", viewBox: `0 0 ${Math.ceil(width)} ${Math.ceil(height)}`,
    width: Math.ceil(width), height: Math.ceil(height), role: "group",
    "aria-label": `Diagram of the stages of ${def.title || words(def.name)} and the moves between them` });
  svg.append(s("defs", null,
    s("marker", { id: `${id}-arrow`, viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "8",
      markerHeight: "8", orient: "auto-start-reverse", class: "arrowhead" },
      s("path", { d: "M0,0 L10,5 L0,10 z" }))));
  const lines = s("g", { class: "edges" });
  const labels = s("g", { class: "labels" });
  const nodes = s("g", { class: "nodes" });
  svg.append(lines, nodes, labels);
  const placed = [];   // label rectangles, to keep labels apart

  const arrow = { "marker-end": `url(#${id}-arrow)` };
  const edgeClass = (e) => (e.timed ? "edge timed" : "edge");

  function label(text, x, yMid, anchor, cls = "") {
    const lns = [].concat(text).flatMap(labelLines);
    const w = Math.max(...lns.map(l => l.length)) * LABEL_CHAR + 8;
    const hgt = lns.length * 15 + 4;
    let left = anchor === "start" ? x - 4 : anchor === "end" ? x - w + 4 : x - w / 2;
    let top = yMid - hgt / 2;
    for (let tries = 0; tries < 20; tries++) {
      const hit = placed.find(p => left < p.x + p.w && left + w > p.x && top < p.y + p.h && top + hgt > p.y);
      if (!hit) break;
      top = hit.y + hit.h + 2;
    }
    placed.push({ x: left, y: top, w, h: hgt });
    const g = s("g", { class: `label ${cls}` });
    g.append(s("rect", { x: left, y: top, width: w, height: hgt, rx: 3, class: "label-bg" }));
    const tx = anchor === "start" ? left + 4 : anchor === "end" ? left + w - 4 : x;
    lns.forEach((l, i) => g.append(s("text", { x: tx, y: top + 14 + i * 15, "text-anchor": anchor }, l)));
    g.append(s("title", null, [].concat(text).join("; ")));
    labels.append(g);
  }

  // Straight arrows to the next stage.
  for (const e of straight) {
    const a = boxes[index.get(e.from)], b = boxes[index.get(e.to)];
    const y1 = a.y + a.h, y2 = b.y;
    lines.append(s("path", { d: `M${cx},${y1} V${y2 - 1}`, class: edgeClass(e), ...arrow }));
    label(e.labels, cx + 10, (y1 + y2) / 2, "start", e.timed ? "timed" : "");
  }
  // Forward round the right.
  for (const e of right) {
    const a = boxes[index.get(e.from)], b = boxes[index.get(e.to)];
    const lx = rightEdge + (e.lane + 1) * LANE;
    const y1 = a.y + a.h / 2 + 8, y2 = b.y + b.h / 2 - 8;
    lines.append(s("path", { d: roundPath([[rightEdge, y1], [lx, y1], [lx, y2], [rightEdge + 1, y2]]),
      class: edgeClass(e), ...arrow }));
    label(e.labels, lx + 6, (y1 + y2) / 2, "start", e.timed ? "timed" : "");
  }
  // Back round the left.
  for (const e of left) {
    const a = boxes[index.get(e.from)], b = boxes[index.get(e.to)];
    const lx = x0 - (e.lane + 1) * LANE;
    const y1 = a.y + a.h / 2 - 8, y2 = b.y + b.h / 2 + 8;
    lines.append(s("path", { d: roundPath([[x0, y1], [lx, y1], [lx, y2], [x0 - 1, y2]]),
      class: edgeClass(e) + " back", ...arrow }));
    label(e.labels, lx - 6, (y1 + y2) / 2, "end", "back");
  }
  // From any open stage: stubs gathered into one line, then into the target.
  stars.forEach((st, i) => {
    const lx = x0 - (left.length + i + 1) * LANE;
    const target = boxes[index.get(st.to)];
    if (!target) return;
    const ty = target.y + target.h / 2 + 10 + i * 6;
    const srcYs = open.filter(n => n !== st.to).map(n => { const b = boxes[index.get(n)]; return b.y + b.h / 2 + 14 + i * 6; });
    if (!srcYs.length) return;
    const top = Math.min(...srcYs);
    const g = s("g", { class: "edge-any" });
    for (const sy of srcYs) g.append(s("path", { d: `M${x0},${sy} H${lx}`, class: "edge any" }));
    for (const sy of srcYs) g.append(s("circle", { cx: lx, cy: sy, r: 2.5, class: "joint" }));
    g.append(s("path", { d: roundPath([[lx, top], [lx, ty], [x0 - 1, ty]]), class: "edge any", ...arrow }));
    lines.append(g);
    label([st.label, "(from any open stage)"], lx - 6, ty - 26, "end", "any");
  });

  // The stages.
  boxes.forEach((b, i) => {
    const st = b.st;
    const n = Number(counts[st.name] || 0);
    const g = s("g", { class: `state${st.final ? " final" : ""}${st.name === def.initial ? " initial" : ""}${n ? " has-cases" : ""}` });
    g.append(s("rect", { x: b.x, y: b.y, width: BOX_W, height: b.h, rx: 8, class: "box" }));
    if (st.final) g.append(s("rect", { x: b.x + 4, y: b.y + 4, width: BOX_W - 8, height: b.h - 8, rx: 5, class: "box inner" }));
    b.lines.forEach((l, k) => g.append(s("text", { x: b.x + PAD + 2, y: b.y + PAD + 14 + k * LINE, class: "state-title" }, l + " ")));
    // The count of cases.
    const label = `${n}`;
    const caseWord = n === 1 ? "case" : "cases";
    const pw = Math.max(30, label.length * 9 + 18);
    g.append(s("rect", { x: b.x + BOX_W - PAD - pw, y: b.y + PAD - 2, width: pw, height: 24, rx: 12, class: "count-bg" }));
    g.append(s("text", { x: b.x + BOX_W - PAD - pw / 2, y: b.y + PAD + 14, "text-anchor": "middle", class: "count" }, label + " "));
    g.append(s("text", { x: b.x + BOX_W - PAD - pw / 2, y: b.y + PAD + 36, "text-anchor": "middle", class: "count-word" }, caseWord + " "));
    const meta = st.final ? `Finish${st.outcome ? ": " + words(st.outcome).toLowerCase() : ""}` : st.review ? `Review every ${duration(st.review)}` : "";
    g.append(s("text", { x: b.x + PAD + 2, y: b.y + b.h - PAD + 2, class: "state-meta" }, meta));
    const title = `${st.title || words(st.name)}: ${n} ${caseWord}${st.final ? " (final stage)" : ""}`;
    // The link's name holds the words shown, in the order they are drawn (so that speech
    // input users can say what they see), then where it goes. Each text ends in a space
    // (not drawn) so that its words do not run into the next one's when read together.
    const shown = `${b.lines.join(" ")}: ${label} ${caseWord}${meta ? `; ${meta}` : ""}`;
    g.append(s("title", null, title));
    if (st.name === def.initial && i === 0) {
      nodes.append(s("circle", { cx, cy: b.y - 30, r: 7, class: "start-dot" }));
      lines.append(s("path", { d: `M${cx},${b.y - 23} V${b.y - 1}`, class: "edge", ...arrow }));
      labels.append(s("text", { x: cx + 14, y: b.y - 26, class: "start-label" }, "Start"));
    }
    if (linkFor) {
      const a = s("a", { href: linkFor(st.name), "aria-label": `${shown}. Show these cases.`, class: "state-link" });
      a.append(g);
      nodes.append(a);
    } else {
      nodes.append(g);
    }
  });
  return svg;
}

function labelWidth(texts) {
  return Math.max(0, ...[].concat(texts).flatMap(labelLines).map(l => l.length * LABEL_CHAR + 16));
}

// A path through points with rounded corners.
function roundPath(pts, r = 10) {
  let d = `M${pts[0][0]},${pts[0][1]}`;
  for (let i = 1; i < pts.length - 1; i++) {
    const [px, py] = pts[i - 1], [x, y] = pts[i], [nx, ny] = pts[i + 1];
    const d1 = Math.hypot(x - px, y - py), d2 = Math.hypot(nx - x, ny - y);
    const rr = Math.min(r, d1 / 2, d2 / 2);
    const ax = x - ((x - px) / d1) * rr, ay = y - ((y - py) / d1) * rr;
    const bx = x + ((nx - x) / d2) * rr, by = y + ((ny - y) / d2) * rr;
    d += ` L${ax},${ay} Q${x},${y} ${bx},${by}`;
  }
  const last = pts[pts.length - 1];
  return d + ` L${last[0]},${last[1]}`;
}
