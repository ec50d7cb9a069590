// view-family.js: the page a family account sees (a parent, a carer, a young person), in
// plain words and one column for a phone: where things are and what comes next, the moves
// that are theirs (with a confirmation), the dates ahead, what is shared with the family,
// the communication book and the other forms they fill, their consents (with Withdraw), the
// shared decisions and what they have said. Everything comes from GET /api/family; what a
// family account may see is the engine's to decide, never this page's.

import * as api from "./api.js";
import { h, words, list, when, timeEl, aRole } from "./dom.js";
import { page, warn, confirm, busy, later } from "./ui.js";
import { go } from "./nav.js";
import { buildForm } from "./forms.js";
import * as drafts from "./drafts.js";
import { refusal } from "./view-case.js";
import { purposeWords } from "./case-family.js";


function day(d) { return /^\d{4}-\d{2}-\d{2}(T[\d:.]+Z)?$/.test(String(d || "")) ? when(d, false) : String(d || ""); }

function value(v) {
  if (v === true) return "Yes";
  if (v === false) return "No";
  if (Array.isArray(v)) return v.map(String).join(", ");
  if (v && typeof v === "object") return JSON.stringify(v);
  return day(v);
}

export async function render(params, query, ctx) {
  const f = await api.get("/family");
  if (!ctx.isCurrent()) return;
  const you = f.you || {};
  const c = f.case || {};
  const { main } = page(ctx, you.name ? `Hello, ${you.name}` : "Your family's page");
  main.classList.add("family-page");
  main.querySelector("h1").after(h("p.subtitle", "This is your page about ",
    h("strong", c.programme || "your family's plan"), c.ref ? ` (${c.ref})` : "", ". ",
    f.worker ? ["Your worker is ", h("strong", f.worker), "."] : "No worker has been named yet."));

  main.append(stage(c, f), yourMoves(f, c), dates(f), shared(f), book(f), consents(f),
    decisions(f), said(f));
}

// --- where things are, and what comes next ---------------------------------------------
function stage(c, f) {
  const next = list(f.next);
  return h("section.panel.fam-stage", { "aria-labelledby": "fam-stage-h" },
    h("h2#fam-stage-h", "Where things are now"),
    h("p.fam-now", c.final ? "Finished: " : "Now: ", h("strong#fam-stage", c.stage_title || words(c.stage))),
    c.stage_description ? h("p", c.stage_description) : null,
    c.final && c.outcome ? h("p", "How it ended: ", words(c.outcome)) : null,
    next.length && !c.final ? [h("h3", "What comes next"),
      h("ul.fam-next", next.map(m => h("li",
        h("strong", m.title || words(m.name)), " → ", m.to_title || "",
        m.description ? h("p.muted", m.description) : null,
        m.yours ? h("p.small", m.available ? "This is yours to do: see “Things for you to do”." : "This is yours to do, when it is ready.") : null)))] : null);
}

// --- the moves that are the family member's ---------------------------------------------
function yourMoves(f, c) {
  const mine = list(f.next).filter(m => m.yours);
  const sec = h("section.panel.fam-moves", { "aria-labelledby": "fam-moves-h" }, h("h2#fam-moves-h", "Things for you to do"));
  if (!mine.length || c.final) {
    sec.append(h("p.empty", "Nothing for you to do just now."));
    return sec;
  }
  sec.append(h("ul.fam-list", mine.map(m => {
    const li = h("li", { dataset: { move: m.name } });
    if (m.available) {
      li.append(h("button.primary.big.fam-move", { type: "button", dataset: { move: m.name },
        on: { click: (e) => fire(m, c, e.currentTarget) } }, m.title || words(m.name)));
    } else {
      li.append(h("p", h("strong", m.title || words(m.name))),
        h("p.sr-only", "Not ready yet, because:"),
        h("ul.reasons", list(m.reasons).map(r => h("li", plainText(r)))));
    }
    if (m.description) li.append(h("p.muted", m.description));
    return li;
  })));
  return sec;
}

function plainText(t) { const s = String(t || ""); return s.charAt(0).toUpperCase() + s.slice(1); }

async function fire(m, c, btn) {
  const ok = await confirm({
    title: m.title || words(m.name),
    body: [`You are about to: ${m.title || words(m.name)}.`,
           `Your family's plan then moves to “${m.to_title || ""}”. It is recorded with your name, and your worker sees it.`],
    reason: true, reasonOptional: true, reasonLabel: "Anything you want to add",
    reasonHelp: "If you like, say something about it. Your worker will read it.",
    okText: "Yes, I agree",
    draftKey: drafts.key(c.id, `family-move:${m.name}`),
  });
  if (!ok) return;
  try {
    await busy(btn, () => api.post(`/family/transitions/${encodeURIComponent(m.name)}`, ok.reason ? { reason: ok.reason } : {}));
    drafts.drop(drafts.key(c.id, `family-move:${m.name}`));
    later(`Done: ${m.title || words(m.name)}.`);
    go("/family");
  } catch (err) {
    if (err.status === 401) return;
    warn(refusal(err.body, err.message));
  }
}

// --- dates ahead ------------------------------------------------------------------------
function dates(f) {
  const ds = list(f.dates);
  return h("section.panel.fam-dates", { "aria-labelledby": "fam-dates-h" }, h("h2#fam-dates-h", "Coming up"),
    ds.length ? h("ul.fam-list", ds.map(d => h("li", h("strong", d.what), ": ", day(d.date))))
      : h("p.empty", "No dates are set yet. Your worker will tell you when the next review or meeting is."));
}

// --- what is shared with the family (the plan's goals, the book's entries) ---------------
function entry(e) {
  return h("li.fam-entry",
    h("p.muted.small", timeEl(e.at), e.by && e.by.name ? ` · ${e.by.name}${e.by.role ? ` (${words(e.by.role).toLowerCase()})` : ""}` : ""),
    h("dl.answers", list(e.fields).flatMap(x => [h("dt", x.label || words(x.name)), h("dd", value(x.value))])));
}

function shared(f) {
  const forms = list(f.shared);
  const sec = h("section.panel.fam-shared", { "aria-labelledby": "fam-shared-h" }, h("h2#fam-shared-h", "Your plan and what is shared with you"));
  if (!forms.some(s => list(s.entries).length)) {
    sec.append(h("p.empty", "Nothing has been written here yet."));
    return sec;
  }
  for (const s of forms) {
    if (!list(s.entries).length) continue;
    sec.append(h("h3", s.title || words(s.form)),
      h("ol.fam-entries", { dataset: { form: s.form } }, list(s.entries).slice().reverse().map(entry)));
  }
  return sec;
}

// --- the communication book and the other forms they fill ------------------------------
function book(f) {
  const forms = list(f.forms);
  const sec = h("section.panel.fam-book", { "aria-labelledby": "fam-book-h" }, h("h2#fam-book-h", "Write to your team"));
  if (!forms.length) {
    sec.append(h("p.empty", "There is nothing for you to fill in just now."));
    return sec;
  }
  sec.append(h("p.muted", "What you write is kept on your family's record, with your name. Your worker reads it."));
  for (const sc of forms) {
    const key = drafts.key(f.case && f.case.id, `family-form:${sc.name}`);
    const box = h("div.fam-form", { dataset: { form: sc.name } }, h("h3", sc.title || words(sc.name)),
      sc.description ? h("p.muted", sc.description) : null);
    const built = buildForm(sc, {
      submitText: "Send",
      draftKey: key,
      onSubmit: async (data, { showErrors }) => {
        try {
          await api.post(`/family/forms/${encodeURIComponent(sc.name)}`, { data });
        } catch (err) {
          if (err.status === 401) return;
          if (!showErrors(err.message)) warn(err.message);
          return;
        }
        drafts.drop(key);
        later(`Sent: ${sc.title || words(sc.name)}.`);
        go("/family");
      },
    });
    box.append(built.el);
    sec.append(box);
  }
  return sec;
}

// --- consents --------------------------------------------------------------------------
function consents(f) {
  const all = list(f.consents);
  const sec = h("section.panel.fam-consents", { "aria-labelledby": "fam-consents-h" }, h("h2#fam-consents-h", "What you have agreed to"));
  if (!all.length) {
    sec.append(h("p.empty", "You have not given any consent on this record."));
    return sec;
  }
  sec.append(h("ul.fam-list", all.map(k => {
    const li = h("li.fam-consent", { dataset: { consent: String(k.id), purpose: k.purpose } },
      h("p", "You agreed to ", h("strong", purposeWords(k.purpose)), " from ", day(k.from),
        k.until ? ` until ${day(k.until)}` : "", "."));
    if (k.withdrawn_at) {
      li.append(h("p.badge.late", "Withdrawn ", timeEl(k.withdrawn_at, false), k.on_behalf ? " (recorded by your worker)" : "", "."));
    } else if (!k.current) {
      li.append(h("p.muted", "Not in force today."));
    } else {
      const btn = h("button.big.fam-withdraw", { type: "button", dataset: { consent: String(k.id) } }, "Withdraw this consent");
      btn.addEventListener("click", () => withdraw(k, f, btn));
      li.append(btn);
    }
    return li;
  })));
  return sec;
}

async function withdraw(k, f, btn) {
  const key = drafts.key(f.case && f.case.id, `family-withdraw:${k.id}`);
  const ok = await confirm({
    title: "Withdraw your consent",
    body: [`You agreed to ${purposeWords(k.purpose)}. If you withdraw, it stops from now on.`,
           "Your worker is told, and will talk with you about what it means for your plan."],
    reason: true, reasonOptional: true, reasonLabel: "Why (if you want to say)",
    reasonHelp: "You do not have to give a reason.",
    okText: "Yes, withdraw it",
    draftKey: key,
  });
  if (!ok) return;
  try {
    await busy(btn, () => api.post(`/family/consents/${k.id}/withdrawal`, ok.reason ? { reason: ok.reason } : {}));
    drafts.drop(key);
    later("Your consent is withdrawn. Your worker has been told.");
    go("/family");
  } catch (err) {
    if (err.status !== 401) warn(err.message);
  }
}

// --- shared decisions, and what they have said -----------------------------------------
function decisions(f) {
  const ds = list(f.decisions);
  return h("section.panel.fam-decisions", { "aria-labelledby": "fam-dec-h" }, h("h2#fam-dec-h", "Decisions made with you"),
    ds.length ? h("ul.fam-list", ds.map(d => h("li.fam-decision",
      h("p", h("strong", d.decided)),
      h("p.muted.small", timeEl(d.at, false), " · ", d.family_agreed ? "Your family agreed." : "Your family did not agree."),
      list(d.participants).length ? h("ul.fam-views", list(d.participants).map(p =>
        h("li", h("strong", p.name), p.role ? ` (${aRole(p.role)})` : "", p.view ? `: “${p.view}”` : ""))) : null)))
      : h("p.empty", "No decisions have been recorded with you yet."));
}

function said(f) {
  const ss = list(f.said);
  return h("section.panel.fam-said", { "aria-labelledby": "fam-said-h" }, h("h2#fam-said-h", "What you have said"),
    ss.length ? h("ol.fam-list", ss.slice().reverse().map(s => h("li",
      h("p.muted.small", timeEl(s.at), " · ", s.kind === "act" ? "You did this" : s.title),
      s.kind === "act" ? h("p", h("strong", s.title), s.text ? `: ${s.text}` : "") : h("p", s.text))))
      : h("p.empty", "Nothing yet. What you write, and your views in decisions, show here."));
}
