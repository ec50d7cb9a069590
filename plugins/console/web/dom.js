// dom.js: building the page from data. Every piece of text goes in as a text node, never as
// HTML, so nothing a person typed into a record can run as code in someone else's browser.

// h("tag.class#id", {attr: value, on: {click: fn}}, child, [children], "text")
export function h(spec, attrs, ...children) {
  const m = /^([a-z0-9]+)((?:[.#][\w-]+)*)$/i.exec(spec);
  if (!m) throw new Error("h: bad element " + spec);
  const el = document.createElement(m[1]);
  for (const part of m[2].match(/[.#][\w-]+/g) || []) {
    if (part[0] === ".") el.classList.add(part.slice(1));
    else el.id = part.slice(1);
  }
  if (attrs && (typeof attrs !== "object" || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  if (!attrs) return;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "on") {
      for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    } else if (k === "class") {
      for (const c of String(v).split(/\s+/).filter(Boolean)) el.classList.add(c);
    } else if (k === "dataset") {
      Object.assign(el.dataset, v);
    } else if (k === "value" && "value" in el && !(el instanceof SVGElement)) {
      el.value = v;
    } else if (k === "checked" || k === "selected" || k === "disabled" || k === "hidden"
               || k === "required" || k === "multiple") {
      el[k] = Boolean(v);
      if (k === "required" || k === "disabled" || k === "hidden") el.toggleAttribute(k, Boolean(v));
    } else {
      el.setAttribute(k, v === true ? "" : String(v));
    }
  }
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

let seq = 0;
export function uid(prefix = "id") {
  seq += 1;
  return `${prefix}-${seq}`;
}

// Words for machine names: "building_trust" -> "Building trust", "family_link" -> "Family Link".
const WORDS = {
  family_link: "Family Link", caseworker: "Caseworker", acco: "ACCO", fpr: "FPR", gp: "GP",
  dob: "Date of birth", id: "ID",
};
export function words(name) {
  if (name === null || name === undefined) return "";
  const n = String(name);
  if (WORDS[n]) return WORDS[n];
  const t = n.replace(/[_.-]+/g, " ").trim()
    .replace(/\b(fpr|acco|gp|id|psu)\b/gi, (w) => w.toUpperCase());
  return t.charAt(0).toUpperCase() + t.slice(1);
}

// A role in running text: "family_link" -> "Family Link", "lead_practitioner" -> "lead practitioner".
export function roleName(r) {
  const n = String(r || "");
  if (WORDS[n]) return WORDS[n] === "Caseworker" ? "caseworker" : WORDS[n];
  return words(n).toLowerCase().replace(/\bacco\b/g, "ACCO");
}

// "a caseworker", "an administrator", "a Family Link worker"
export function aRole(r) {
  const n = roleName(r);
  return (/^[aeiou]/i.test(n) ? "an " : "a ") + n + (n === "Family Link" ? " worker" : "");
}

export function plural(n, one, many) {
  return `${n} ${n === 1 ? one : (many || one + "s")}`;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

// The time zone times are shown in: the agency's (the server's KINFLOW_TIMEZONE, given with
// the session), else the browser's. Stored times are UTC; a date alone ("2026-03-04") is a
// calendar date and is shown as it is.
let zone = "";
export function setZone(tz) {
  zone = "";
  if (!tz) return;
  try { new Intl.DateTimeFormat("en-AU", { timeZone: tz }); zone = tz; } catch { /* unknown: the browser's */ }
}
export function timeZone() {
  return zone || Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

// An instant's parts in the zone: {y, mo, d, hh, mm, abbr ("AEDT")}.
function zoned(ms) {
  const parts = {};
  const fmt = new Intl.DateTimeFormat("en-AU", { timeZone: timeZone(), year: "numeric", month: "numeric",
    day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short" });
  for (const p of fmt.formatToParts(new Date(ms))) parts[p.type] = p.value;
  return { y: parts.year, mo: Number(parts.month), d: Number(parts.day), hh: parts.hour,
           mm: parts.minute, abbr: parts.timeZoneName || timeZone() };
}

// "2026-03-04" -> "4 Mar 2026"; "2026-03-04T14:30:00Z" -> "5 Mar 2026, 01:30 AEDT" in
// Australia/Sydney (the day too is the zone's).
export function when(iso, withTime = true) {
  if (!iso) return "";
  const text = String(iso);
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?/.exec(text);
  if (!m) return text;
  if (!m[4]) return `${Number(m[3])} ${MONTHS[Number(m[2]) - 1]} ${m[1]}`;
  const ms = Date.parse(/[zZ]|[+-]\d{2}:?\d{2}$/.test(text) ? text : text.replace(" ", "T") + "Z");
  if (Number.isNaN(ms)) return text;
  const z = zoned(ms);
  const d = `${z.d} ${MONTHS[z.mo - 1]} ${z.y}`;
  return withTime ? `${d}, ${z.hh}:${z.mm} ${z.abbr}` : d;
}

// The calendar day (YYYY-MM-DD) an instant falls on in the zone.
export function zoneDay(ms) {
  const z = zoned(ms);
  return `${z.y}-${String(z.mo).padStart(2, "0")}-${String(z.d).padStart(2, "0")}`;
}

// The instant (ISO, UTC) a calendar day begins in the zone: "2026-03-05" in Sydney ->
// "2026-03-04T13:00:00Z".
export function dayStart(day) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(day || ""));
  if (!m) return "";
  const utc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  // The zone's offset there, found by comparing what the zone's clock reads with UTC; twice,
  // as the offset may change on that very day.
  let t = utc;
  for (let i = 0; i < 2; i++) {
    const z = zoned(t);
    const read = Date.UTC(Number(z.y), z.mo - 1, z.d, Number(z.hh), Number(z.mm));
    t = utc - (read - t);
  }
  return new Date(t).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function timeEl(iso, withTime = true) {
  return h("time", { datetime: iso || "", title: iso && /T/.test(String(iso)) ? `Time in ${timeZone()}` : undefined },
    when(iso, withTime));
}

// Days from an ISO date or time to now (whole days, never negative).
export function daysSince(iso) {
  if (!iso) return 0;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return 0;
  return Math.max(0, Math.floor((Date.now() - t) / 86400000));
}

// A list from a JSON value that may be an array, an object standing for an empty array
// (Lua's empty tables encode as {}), null, or a single value.
export function list(v) {
  if (Array.isArray(v)) return v;
  if (v === null || v === undefined) return [];
  if (typeof v === "object") return Object.keys(v).length ? Object.values(v) : [];
  return [v];
}

export function field(labelText, control, { help, id, error } = {}) {
  const cid = control.id || (control.id = id || uid("f"));
  const wrap = h("div.field");
  wrap.append(h("label", { for: cid }, labelText));
  if (help) {
    const hid = cid + "-help";
    wrap.append(h("p.help", { id: hid }, help));
    control.setAttribute("aria-describedby", hid);
  }
  wrap.append(control);
  if (error) wrap.append(h("p.field-error", error));
  return wrap;
}

export function button(text, onClick, attrs = {}) {
  return h("button", { type: "button", ...attrs, on: { click: onClick } }, text);
}

export function link(href, text, attrs = {}) {
  return h("a", { href, ...attrs }, text);
}

// A table from column specs [{head, cell: row => node|text, class}] and rows.
export function table(caption, columns, rows, { empty = "Nothing to show.", captionHidden = false } = {}) {
  if (!rows.length) return h("p.empty", empty);
  const cap = h("caption", captionHidden ? { class: "visually-hidden" } : null, caption);
  return h("div.table-wrap", h("table",
    cap,
    h("thead", h("tr", columns.map(c => h("th", { scope: "col", class: c.class }, c.head)))),
    h("tbody", rows.map(r => h("tr", columns.map((c, i) => {
      const v = c.cell(r);
      return i === 0 && c.rowHeader !== false
        ? h("th", { scope: "row", class: c.class }, v)
        : h("td", { class: c.class, "data-label": c.head }, v);
    }))))));
}

// A workflow's duration, in the engine's units: "28d" -> "28 days", "6w" -> "6 weeks",
// "12h" -> "12 hours", "30m" -> "30 minutes", "45s" -> "45 seconds"
export function duration(d) {
  const m = /^(\d+)([smhdw])$/.exec(String(d || ""));
  if (!m) return String(d || "");
  const unit = { s: "second", m: "minute", h: "hour", d: "day", w: "week" }[m[2]];
  return plural(Number(m[1]), unit);
}
