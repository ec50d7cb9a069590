// forms.js: a form drawn from its schema (GET /api/forms/NAME), its answers collected as the
// engine expects them, and the engine's refusal ("field: problem; field2: problem") shown
// next to each field it names.

import { h, uid, words, roleName, list, append } from "./dom.js";
import * as drafts from "./drafts.js";

// A field of a schema, whichever way the server spells its name: {name: ...} or Lua's
// positional {"1": ...}.
export function fieldName(f) {
  return f.name || f[1] || f["1"] || f[0] || "";
}

export function fields(schema) {
  return list(schema && schema.fields).map(f => ({ ...f, name: fieldName(f), type: f.type || "text" }))
    .filter(f => f.name);
}

// Descriptions of choices kept in a field's help: "speak_positively: speaking positively of
// each other at all times. communication_book: ..." -> {speak_positively: "Speaking ..."}.
function choiceWords(f) {
  const out = {};
  const choices = new Set(list(f.choices).map(String));
  if (!f.help || !choices.size) return { labels: out, helpUsed: false };
  const re = /(?:^|\.\s+)([a-z][a-z0-9_]*):\s+/g;
  const marks = [];
  let m;
  while ((m = re.exec(f.help))) marks.push({ name: m[1], start: m.index, text: re.lastIndex });
  marks.forEach((mk, i) => {
    if (!choices.has(mk.name)) return;
    const t = f.help.slice(mk.text, i + 1 < marks.length ? marks[i + 1].start : f.help.length)
      .trim().replace(/\.$/, "");
    if (t) out[mk.name] = t.charAt(0).toUpperCase() + t.slice(1);
  });
  const found = Object.keys(out).length;
  return { labels: out, helpUsed: found > 0 && found >= choices.size / 2 };
}

const LONG = /(progress|views|routine|needs|description|update|feedback|strengths|worries|notes?|plan$|responsibilities|comforts|reason|went_well|summary|details|goals|concerns|what_|how_|why_|story|history|identity|arrangement_notes)/;

// The case's current members a member field may name: those holding one of its roles (any
// role when it names none), without those who have left the case.
export function memberChoices(f, members) {
  const roles = list(f.roles);
  return list(members).filter(m => !m.ended_at && (!roles.length || roles.includes(m.role)));
}

// A member number as a reader sees it: "Pat Parent (parent)", or "member 9" when unknown.
export function memberName(id, members) {
  const m = list(members).find(x => Number(x.id) === Number(id));
  return m ? `${m.name} (${roleName(m.role)})` : `member ${id}`;
}

// Whether any field of the schema is attested (by = {roles}): its entry says which role it
// is given in.
export function attested(schema) {
  return fields(schema).some(f => list(f.by).length > 0);
}

// Build the form. Returns {el, collect(), fill(data), showErrors(message) -> bool, clearErrors(),
// restored}. With draftKey, what is typed is kept as a draft (drafts.js) and filled in again
// from it (restored: true then); the caller drops the draft once the form is saved. members:
// the case's members, for member fields (a choice of them).
export function buildForm(schema, { submitText = "Save", onSubmit, onCancel, draftKey = "", members = [] } = {}) {
  const fs = fields(schema);
  const controls = new Map();   // field name -> {wrap, focusEl, read(), error el}
  const formId = uid("form");
  const summary = h("div.form-error", { hidden: true, tabindex: "-1", id: formId + "-summary" });
  const form = h("form.schema-form", { novalidate: true, id: formId }, summary);

  for (const f of fs) {
    const id = `${formId}-${f.name}`;
    const errId = id + "-error";
    const helpId = id + "-help";
    const label = f.label || words(f.name);
    const err = h("p.field-error", { id: errId, hidden: true });
    const { labels: choiceLabels, helpUsed } = choiceWords(f);
    const by = list(f.by);
    const helpText = [f.help && !helpUsed ? f.help : "",
      by.length ? `Only ${by.map(roleName).join(" or ")} can give this.` : "",
      f.type === "date" && f.future ? "A planned date: it may be after today." : ""].filter(Boolean).join(" ");
    const help = helpText ? h("p.help", { id: helpId }, helpText) : null;
    const describedBy = [help ? helpId : null, errId].filter(Boolean).join(" ");
    const req = f.required ? h("span.req", " (needed)") : null;
    const wrap = h("div.field", { dataset: { field: f.name } });
    let read, write, focusEl, inputs = [];

    if (f.type === "boolean" && f.required) {
      const name = id;
      const yes = h("input", { type: "radio", name, value: "true", id: id + "-yes" });
      const no = h("input", { type: "radio", name, value: "false", id: id + "-no" });
      inputs = [yes, no];
      append(wrap, [h("fieldset.radios", { "aria-describedby": describedBy },
        h("legend", label, req), help,
        h("div.check", yes, h("label", { for: yes.id }, "Yes")),
        h("div.check", no, h("label", { for: no.id }, "No")), err)]);
      read = () => (yes.checked ? true : no.checked ? false : undefined);
      write = (v) => { yes.checked = v === true; no.checked = v === false; };
      focusEl = yes;
    } else if (f.type === "boolean") {
      const box = h("input", { type: "checkbox", id, "aria-describedby": describedBy });
      inputs = [box];
      wrap.classList.add("check-field");
      append(wrap, [h("div.check", box, h("label", { for: id }, label)), help, err]);
      read = () => (box.checked ? true : undefined);
      write = (v) => { box.checked = v === true; };
      focusEl = box;
    } else if (f.type === "list" && f.of === "choice" && list(f.choices).length) {
      const boxes = list(f.choices).map((c, i) => {
        const b = h("input", { type: "checkbox", value: c, id: `${id}-${i}` });
        return [b, h("div.check", b, h("label", { for: b.id }, choiceLabels[c] || words(c)))];
      });
      inputs = boxes.map(b => b[0]);
      append(wrap, [h("fieldset.choices", { "aria-describedby": describedBy },
        h("legend", label, req, h("span.muted", " (choose any that apply)")), help,
        h("div.check-grid", boxes.map(b => b[1])), err)]);
      read = () => { const v = inputs.filter(b => b.checked).map(b => b.value); return v.length ? v : undefined; };
      write = (v) => { const on = new Set(list(v).map(String)); for (const b of inputs) b.checked = on.has(b.value); };
      focusEl = inputs[0];
    } else if (f.type === "list" && f.of === "member") {
      const boxes = memberChoices(f, members).map((m, i) => {
        const b = h("input", { type: "checkbox", value: String(m.id), id: `${id}-${i}` });
        return [b, h("div.check", b, h("label", { for: b.id }, memberName(m.id, members)))];
      });
      inputs = boxes.map(b => b[0]);
      append(wrap, [h("fieldset.choices", { "aria-describedby": describedBy },
        h("legend", label, req, h("span.muted", " (choose any who apply)")), help,
        boxes.length ? h("div.check-grid", boxes.map(b => b[1]))
          : h("p.muted", "No one on the case can be chosen here yet: add them under People and roles."), err)]);
      read = () => { const v = inputs.filter(b => b.checked).map(b => Number(b.value)); return v.length ? v : undefined; };
      write = (v) => { const on = new Set(list(v).map(String)); for (const b of inputs) b.checked = on.has(b.value); };
      focusEl = inputs[0];
    } else {
      let control;
      if (f.type === "member") {
        control = h("select", { id },
          h("option", { value: "" }, f.required ? "Choose one" : "Not answered"),
          memberChoices(f, members).map(m => h("option", { value: String(m.id) }, memberName(m.id, members))));
        read = () => (control.value ? Number(control.value) : undefined);
      } else if (f.type === "choice") {
        control = h("select", { id },
          h("option", { value: "" }, f.required ? "Choose one" : "Not answered"),
          list(f.choices).map(c => h("option", { value: c }, choiceLabels[c] || words(c))));
        read = () => control.value || undefined;
      } else if (f.type === "number") {
        control = h("input", { type: "number", id, inputmode: "decimal", step: "any",
                               min: f.min ?? undefined, max: f.max ?? undefined });
        read = () => {
          const v = control.value.trim();
          if (!v) return control.validity && control.validity.badInput ? "not a number" : undefined;
          const n = Number(v);
          return Number.isFinite(n) ? n : v;
        };
      } else if (f.type === "date") {
        control = h("input", { type: "date", id, placeholder: "YYYY-MM-DD" });
        read = () => control.value.trim() || undefined;
      } else if (f.type === "list") {
        control = h("textarea", { id, rows: 3 });
        const of = f.of || "text";
        read = () => {
          const items = control.value.split("\n").map(x => x.trim()).filter(Boolean);
          if (!items.length) return undefined;
          return of === "number" ? items.map(x => (Number.isFinite(Number(x)) ? Number(x) : x)) : items;
        };
      } else if (LONG.test(f.name)) {
        control = h("textarea", { id, rows: 3 });
        read = () => control.value.trim() || undefined;
      } else {
        control = h("input", { type: "text", id });
        read = () => control.value.trim() || undefined;
      }
      write = (v) => {
        if (v === undefined || v === null) control.value = "";
        else if (Array.isArray(v)) control.value = v.join("\n");
        else if (!(f.type === "number" && v === "not a number")) control.value = String(v);
      };
      control.setAttribute("aria-describedby", describedBy);
      if (f.required) control.setAttribute("aria-required", "true");
      inputs = [control];
      const listHelp = f.type === "list" ? h("p.help", { id: id + "-list-help" }, "One on each line.") : null;
      if (listHelp) control.setAttribute("aria-describedby", `${id}-list-help ${describedBy}`);
      append(wrap, [h("label", { for: id }, label, req), help, listHelp, control, err]);
      focusEl = control;
    }
    controls.set(f.name, { wrap, err, read, write, focusEl, inputs, label });
    form.append(wrap);
  }

  const submit = h("button.primary", { type: "submit" }, submitText);
  form.append(h("div.buttons", submit,
    onCancel ? h("button", { type: "button", on: { click: onCancel } }, "Cancel") : null));

  function collect() {
    const data = {};
    for (const [name, c] of controls) {
      const v = c.read();
      if (v !== undefined) data[name] = v;
    }
    return data;
  }

  function fill(data) {
    for (const [name, c] of controls) if (data && name in data) c.write(data[name]);
  }

  let restored = false;
  if (draftKey) {
    const kept = drafts.load(draftKey);
    if (kept) { fill(kept); restored = true; }
    const remember = () => drafts.keep(draftKey, collect());
    form.addEventListener("input", remember);
    form.addEventListener("change", remember);
  }

  function clearErrors() {
    summary.hidden = true;
    summary.replaceChildren();
    for (const c of controls.values()) {
      c.err.hidden = true;
      c.err.textContent = "";
      c.wrap.classList.remove("has-error");
      for (const i of c.inputs) i.removeAttribute("aria-invalid");
    }
  }

  // Show the server's refusal. Returns true when at least one field was named.
  function showErrors(message) {
    clearErrors();
    const { byField, other } = parseProblems(message, [...controls.keys()]);
    const named = Object.keys(byField);
    const items = [];
    for (const name of named) {
      const c = controls.get(name);
      c.err.textContent = byField[name].join(" ");
      c.err.hidden = false;
      c.wrap.classList.add("has-error");
      for (const i of c.inputs) i.setAttribute("aria-invalid", "true");
      items.push(h("li", h("a", { href: "#" + (c.focusEl ? c.focusEl.id : ""), on: { click: (e) => {
        e.preventDefault(); c.focusEl.focus(); } } }, `${c.label}: ${byField[name].join(" ")}`)));
    }
    for (const o of other) items.push(h("li", o));
    summary.replaceChildren(
      h("h3", named.length ? `Please check ${named.length === 1 ? "this answer" : `these ${named.length} answers`}` : "This could not be saved"),
      h("ul", items));
    summary.hidden = false;
    const first = named.length ? controls.get(named[0]).focusEl : summary;
    (first || summary).focus();
    return named.length > 0;
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!onSubmit) return;
    submit.disabled = true;
    submit.setAttribute("aria-busy", "true");
    try {
      await onSubmit(collect(), { showErrors, clearErrors, form });
    } finally {
      submit.disabled = false;
      submit.removeAttribute("aria-busy");
    }
  });

  return { el: form, collect, fill, showErrors, clearErrors, restored };
}

// "case 3: form 'review' refused: review_date: not a date (YYYY-MM-DD); progress: required"
// -> {byField: {review_date: ["Enter a date ..."], progress: ["This is needed."]}, other: []}
export function parseProblems(message, names) {
  let text = String(message || "");
  const at = text.indexOf(" refused: ");
  if (at >= 0) text = text.slice(at + " refused: ".length);
  const known = new Set(names);
  const byField = {};
  const other = [];
  let last = null;
  for (const part of text.split("; ")) {
    const m = /^([A-Za-z_][\w]*)(?:\[\d+\]|\.[\w.]+)?:\s*(.*)$/s.exec(part);
    if (m && known.has(m[1])) {
      last = m[1];
      (byField[last] = byField[last] || []).push(plainProblem(m[2]));
    } else if (last && !(m && /^[a-z_]+$/.test(m[1]))) {
      // a problem whose own words held "; ": it belongs to the field before it
      const arr = byField[last];
      arr[arr.length - 1] += "; " + part;
    } else {
      other.push(m && m[2].startsWith("not a field of form") ? `The form has no question called "${m[1]}".` : part);
    }
  }
  return { byField, other };
}

export function plainProblem(p) {
  p = String(p).trim();
  let m;
  if (p === "required") return "This is needed.";
  if (p === "not a number") return "Enter a number.";
  if (p === "not text") return "Enter some words.";
  if (p === "not true or false") return "Choose yes or no.";
  if (p === "not a list") return "Enter one item on each line.";
  if (/^not a date/.test(p)) return "Enter a date, for example 2026-03-14.";
  if ((m = /^must be at least (.+)$/.exec(p))) return `This must be ${m[1]} or more.`;
  if ((m = /^must be at most (.+)$/.exec(p))) return `This must be ${m[1]} or less.`;
  if (/is not one of:/.test(p)) return "Choose one of the options given.";
  if ((m = /^item (\d+): (.*)$/.exec(p))) return `Line ${m[1]}: ${plainProblem(m[2])}`;
  if ((m = /^(\d{4}-\d\d-\d\d) is after today/.exec(p))) return `${m[1]} is after today: only a planned date can be in the future.`;
  if ((m = /^only (.+) can give this/.exec(p))) return `Only ${m[1].split(" or ").map(roleName).join(" or ")} can give this: choose that role under Acting as, if you hold it.`;
  if (p === "not a member number of the case") return "Choose someone on the case.";
  return p.charAt(0).toUpperCase() + p.slice(1) + (/[.!?]$/.test(p) ? "" : ".");
}

// An entry's answers as a description list, in the schema's order; member numbers as the
// names of the case's members.
export function answers(schema, data, members = []) {
  const fs = schema ? fields(schema) : [];
  const seen = new Set();
  const dl = h("dl.answers");
  const show = (label, v, f) => {
    let text;
    if (v === true) text = "Yes";
    else if (v === false) text = "No";
    else if (Array.isArray(v) && f && f.of === "member") text = v.map(x => memberName(x, members)).join(", ");
    else if (Array.isArray(v)) text = v.map(x => (f && list(f.choices).length ? words(x) : String(x))).join(", ");
    else if (f && f.type === "member") text = memberName(v, members);
    else if (v && typeof v === "object") text = JSON.stringify(v);
    else text = f && f.type === "choice" ? words(v) : String(v);
    dl.append(h("dt", label), h("dd", text));
  };
  for (const f of fs) {
    seen.add(f.name);
    if (data && data[f.name] !== undefined && data[f.name] !== null) show(f.label || words(f.name), data[f.name], f);
  }
  for (const [k, v] of Object.entries(data || {})) {
    if (!seen.has(k) && v !== null && v !== undefined) show(words(k), v);
  }
  return dl;
}
