/* Unit tests for family accounts and shared decisions through the verbs (api.c's dispatch,
 * family.c, people.c) as the console calls them, with a user: what a family account may do
 * and see, what staff may not do in its name, and shared decisions before a move. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <unistd.h>

#include "api.h"
#include "runtime.h"
#include "t.h"

static const char *WORKFLOW =
    "return workflow {\n"
    "  name = 'safe_home', title = 'A safe home',\n"
    "  roles = { 'caseworker', 'parent', 'carer' }, family_roles = { 'parent', 'carer' },\n"
    "  sensitive = { members = { 'address' } }, initial = 'planning',\n"
    "  states = {\n"
    "    { 'planning', title = 'Making the plan', description = 'We make the plan together.',\n"
    "      forms = { 'communication_book', 'staff_notes', 'plan_goals', 'carer_diary' }, review = '28d' },\n"
    "    { 'together', title = 'Living the plan' }, { 'moving_on', title = 'Moving on' },\n"
    "    { 'closed', final = true } },\n"
    "  transitions = {\n"
    "    { 'sign_plan', title = 'Sign the plan', from = 'planning', to = 'together', by = { 'parent' } },\n"
    "    { 'prepare_move', from = 'together', to = 'moving_on', by = { 'caseworker' }, decision = true },\n"
    "    { 'close', from = 'moving_on', to = 'closed', by = { 'caseworker' } } },\n"
    "  forms = {\n"
    "    form { name = 'communication_book', title = 'Communication book', family = true,\n"
    "      fields = { { 'note', required = true, label = 'What happened' },\n"
    "                 { 'next_visit', type = 'date', label = 'Next visit', future = true } } },\n"
    "    form { name = 'carer_diary', family = true, by = { 'carer' }, fields = { { 'note' } } },\n"
    "    form { name = 'plan_goals', title = 'Our goals', family = 'read',\n"
    "      fields = { { 'goal', label = 'Goal' }, { 'where_we_meet', sensitive = true } } },\n"
    "    form { name = 'staff_notes', fields = { { 'note' } } } },\n"
    "}\n";

#define FAMILY_ONLY "a family account can use only its own family page"

static kf_session *S;
static kf_err E;
static int ST;

/* Run verb as user (NULL: the owner) with args (taken). */
static json_t *as(const char *user, const char *verb, json_t *args) {
  if (user) json_object_set_new(args, "user", json_string(user));
  return t_call(S, verb, args, &ST, &E);
}

static int refused(json_t *r, int status, const char *msg) {
  int ok = !r && ST == status && !strcmp(E.msg, msg);
  json_decref(r);
  return ok;
}

static int contains(json_t *v, const char *needle) {
  char *text = json_dumps(v, JSON_COMPACT);
  int found = text && strstr(text, needle);
  free(text);
  return found;
}

static void ok(json_t *r, const char *what) {
  CHECK(r != NULL, "%s: %d %s", what, ST, E.msg);
  json_decref(r);
}

/* The last event of case id, as the owner reads it. */
static json_t *last_event(int id) {
  json_t *h = as(NULL, "case.history", json_pack("{s:i}", "id", id));
  json_t *ev = json_incref(json_array_get(h, json_array_size(h) - 1));
  json_decref(h);
  return ev;
}

static void accounts(void) {
  json_t *r = as(NULL, "user.add", json_pack("{s:s,s:s,s:s,s:s}", "login", "robin", "role", "family",
                                             "password", "river-lantern-43", "family_case", "SH-1"));
  CHECK(refused(r, 400, "a family account needs family_case (a case) and family_member (a member of that case)"),
        "no member: %s", E.msg);
  r = as(NULL, "user.add", json_pack("{s:s,s:s,s:s,s:s,s:i}", "login", "robin", "role", "family",
                                     "password", "river-lantern-43", "family_case", "SH-1", "family_member", 4));
  CHECK(refused(r, 400, "member 4 is not on case 1"), "member of another case: %s", E.msg);
  r = as(NULL, "user.add", json_pack("{s:s,s:s,s:s,s:s,s:i}", "login", "robin", "role", "family",
                                     "password", "river-lantern-43", "family_case", "SH-1", "family_member", 3));
  CHECK(refused(r, 400, "member 3 (Wendy Worker) is a 'caseworker', which is not a family role of "
                        "programme 'safe_home' (family roles: parent, carer)"), "no family role: %s", E.msg);
  r = as(NULL, "user.add", json_pack("{s:s,s:s,s:s,s:s,s:i}", "login", "robin", "role", "caseworker",
                                     "password", "river-lantern-43", "family_case", "SH-1", "family_member", 1));
  CHECK(refused(r, 400, "family_case and family_member go with role \"family\" only"), "staff bound: %s", E.msg);
  r = as(NULL, "user.add", json_pack("{s:s,s:s,s:s,s:s,s:i,s:[s]}", "login", "robin", "role", "family",
                                     "password", "river-lantern-43", "family_case", "SH-1", "family_member", 1,
                                     "roles", "parent"));
  CHECK(refused(r, 400, "a family account has no workflow roles or teams"), "roles: %s", E.msg);
  r = as(NULL, "user.add", json_pack("{s:s,s:s,s:s,s:s,s:i}", "login", "robin", "role", "family",
                                     "password", "river-lantern-43", "family_case", "SH-1", "family_member", 1));
  json_t *f = json_object_get(r, "family");
  CHECK(r && json_integer_value(json_object_get(f, "case")) == 1 &&
            json_integer_value(json_object_get(f, "member")) == 1 &&
            !strcmp(json_string_value(json_object_get(f, "role")), "parent") &&
            !strcmp(json_string_value(json_object_get(f, "name")), "Robin Testwood"),
        "a family account bound to Robin: %s", E.msg);
  json_decref(r);
  r = as(NULL, "user.add", json_pack("{s:s,s:s,s:s,s:s,s:i}", "login", "robin2", "role", "family",
                                     "password", "river-lantern-43", "family_case", "SH-1", "family_member", 1));
  CHECK(refused(r, 400, "member 1 (Robin Testwood) already has a family account, 'robin'"), "twice: %s", E.msg);
  json_t *ev = last_event(1);
  CHECK(ev && !strcmp(json_string_value(json_object_get(ev, "kind")), "user.added") &&
            !contains(ev, "river-lantern") && json_integer_value(json_object_get(json_object_get(ev, "data"), "member")) == 1,
        "user.added names the case and member, never the password");
  json_decref(ev);
  r = as(NULL, "user.add", json_pack("{s:s,s:s,s:s,s:s,s:i}", "login", "kim", "role", "family",
                                     "password", "meadow-tinsel-58", "family_case", "SH-2", "family_member", 4));
  ok(r, "a family account on the other case");
  r = as(NULL, "user.list", json_object());
  json_t *u;
  size_t i;
  int listed = 0;
  json_array_foreach(r, i, u)
    if (!strcmp(json_string_value(json_object_get(u, "login")), "robin"))
      listed = json_integer_value(json_object_get(json_object_get(u, "family"), "member")) == 1 &&
               !json_object_get(u, "family_case");
  CHECK(listed, "user.list shows the binding");
  json_decref(r);
  /* a session of a family account carries who it is for */
  r = as(NULL, "session.create", json_pack("{s:s}", "login", "robin"));
  json_t *g = as(NULL, "session.get", json_pack("{s:O}", "token", json_object_get(r, "token")));
  CHECK(g && !strcmp(json_string_value(json_object_get(g, "role")), "family") &&
            json_integer_value(json_object_get(json_object_get(g, "family"), "case")) == 1,
        "session.get carries the family binding: %s", E.msg);
  json_decref(g);
  json_decref(r);
}

static void staff_side(void) {
  json_t *r = as("ada", "user.update", json_pack("{s:s,s:s}", "login", "robin", "role", "caseworker"));
  CHECK(refused(r, 400, "'robin' is a family account: its role and programme roles do not change (disable "
                        "it, and add a staff account instead)"), "a family account stays one: %s", E.msg);
  r = as("wes", "form.get", json_pack("{s:s,s:s}", "name", "communication_book", "id", "SH-1"));
  json_t *by = json_object_get(r, "by");
  CHECK(r && json_is_true(json_object_get(r, "family")) && json_array_size(by) == 2 &&
            !strcmp(json_string_value(json_array_get(by, 0)), "parent"),
        "form.get carries family and by (every family role by default): %s", E.msg);
  json_decref(r);
  r = as("wes", "form.get", json_pack("{s:s,s:s}", "name", "plan_goals", "id", "SH-1"));
  CHECK(r && !strcmp(json_string_value(json_object_get(r, "family")), "read") && !json_object_get(r, "by"),
        "a form the family reads: family \"read\", no by");
  json_decref(r);
}

static void only_family_verbs(void) {
  static const char *verbs[] = {"case.get", "case.list", "case.history", "case.fire", "case.moves",
                                "case.set", "case.member_add", "form.get", "form.submit", "audit.list",
                                "audit.verify", "user.list", "user.add", "workflows.list", "workflow.get",
                                "dashboard", "report.stages", "rules.list", "team.list", "access.list",
                                "decision.record", "decision.list", "family.invite", "event.log",
                                "timers.run", "case.access", "case.review"};
  int all = 1;
  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
    json_t *args = json_pack("{s:i,s:s,s:s,s:s,s:s,s:b,s:{},s:[],s:s,s:s,s:i,s:s,s:s}", "id", 1, "name",
                             "safe_home", "transition", "sign_plan", "as", "parent", "form",
                             "communication_book", "family_agreed", 1, "data", "participants",
                             "decided", "x", "login", "x", "member", 1, "kind", "console.x",
                             "reason", "r");
    json_object_set_new(args, "role", json_string("parent"));
    json_object_set_new(args, "password", json_string("river-lantern-43"));
    json_object_set_new(args, "teams", json_array());
    json_object_set_new(args, "source", json_string("x"));
    if (!refused(as("robin", verbs[i], args), 403, FAMILY_ONLY)) {
      all = 0;
      printf("  %s: %d %s\n", verbs[i], ST, E.msg);
    }
  }
  CHECK(all, "every other verb answers a family account 403 \"" FAMILY_ONLY "\"");
}

static void family_page(void) {
  /* staff write what the family must not see, and what they may read */
  ok(as("wes", "form.submit", json_pack("{s:s,s:s,s:{s:s}}", "id", "SH-1", "form", "staff_notes", "data",
                                        "note", "SECRET-STAFF-NOTE")), "staff note");
  ok(as("wes", "form.submit", json_pack("{s:s,s:s,s:{s:s,s:s}}", "id", "SH-1", "form", "plan_goals", "data",
                                        "goal", "School every day", "where_we_meet", "Cafe-Hidden")), "goals");
  json_t *p = as("robin", "family.get", json_object());
  CHECK(p != NULL, "family.get: %d %s", ST, E.msg);
  json_t *cs = json_object_get(p, "case"), *you = json_object_get(p, "you");
  CHECK(json_integer_value(json_object_get(cs, "id")) == 1 &&
            !strcmp(json_string_value(json_object_get(cs, "stage_title")), "Making the plan") &&
            !strcmp(json_string_value(json_object_get(you, "name")), "Robin Testwood") &&
            !strcmp(json_string_value(json_object_get(p, "worker")), "wes"),
        "the page shows its own case, its stage and worker");
  json_t *m = json_array_get(json_object_get(p, "next"), 0);
  CHECK(!strcmp(json_string_value(json_object_get(m, "name")), "sign_plan") &&
            json_is_true(json_object_get(m, "yours")) && json_is_true(json_object_get(m, "available")),
        "signing the plan is the parent's move, open now");
  CHECK(!contains(p, "Safe-Street-9") && !contains(p, "12-Hidden-Lane") && !contains(p, "SECRET-STAFF-NOTE") &&
            !contains(p, "staff_notes") && !contains(p, "Cafe-Hidden") && contains(p, "School every day"),
        "no member's address, no staff form, no sensitive field; the goals are there");
  int fills = 0;
  size_t i;
  json_t *f;
  json_array_foreach(json_object_get(p, "forms"), i, f) {
    const char *n = json_string_value(json_object_get(f, "name"));
    fills += !strcmp(n, "communication_book") * 1 + !strcmp(n, "carer_diary") * 10;
  }
  CHECK(fills == 1, "the parent may fill the communication book, not the carer's diary (%d)", fills);
  json_decref(p);
  p = as("kim", "family.get", json_object());
  CHECK(p && json_integer_value(json_object_get(json_object_get(p, "case"), "id")) == 2 &&
            !contains(p, "School every day") && !contains(p, "Robin"),
        "another family's account sees only its own case");
  json_decref(p);
}

static void family_acts(void) {
  json_t *r = as("robin", "family.submit", json_pack("{s:s,s:{s:s,s:s}}", "form", "communication_book", "data",
                                                     "note", "Sam slept well", "next_visit", "2099-02-01"));
  ok(r, "the parent writes in the communication book");
  json_t *ev = last_event(1);
  CHECK(ev && !strcmp(json_string_value(json_object_get(ev, "actor")), "robin") &&
            !strcmp(json_string_value(json_object_get(ev, "kind")), "form.submitted"),
        "the entry is recorded as the family account");
  json_decref(ev);
  r = as("robin", "family.submit", json_pack("{s:s,s:{s:s}}", "form", "staff_notes", "data", "note", "x"));
  CHECK(refused(r, 403, "form 'staff_notes' is not one the family fills (a family account fills only forms "
                        "marked family = true)"), "a staff form: %s", E.msg);
  r = as("robin", "family.submit", json_pack("{s:s,s:{s:s}}", "form", "plan_goals", "data", "goal", "x"));
  CHECK(refused(r, 403, "form 'plan_goals' is not one the family fills (a family account fills only forms "
                        "marked family = true)"), "a form the family only reads: %s", E.msg);
  r = as("robin", "family.submit", json_pack("{s:s,s:{s:s}}", "form", "carer_diary", "data", "note", "x"));
  CHECK(refused(r, 403, "form 'carer_diary' is filled by carer, not by a 'parent'"), "by: %s", E.msg);
  json_t *p = as("robin", "family.get", json_object());
  json_t *said = json_array_get(json_object_get(p, "said"), 0);
  json_t *shared = json_array_get(json_object_get(p, "shared"), 0);
  json_t *by = json_object_get(json_array_get(json_object_get(shared, "entries"), 0), "by");
  CHECK(said && !strcmp(json_string_value(json_object_get(said, "kind")), "entry") &&
            contains(said, "Sam slept well") && !strcmp(json_string_value(json_object_get(by, "name")), "Robin Testwood"),
        "what they said is on their page, by their name");
  CHECK(contains(json_object_get(p, "dates"), "2099-02-01") && contains(json_object_get(p, "dates"), "Next review"),
        "the next visit and the next review are among the dates");
  json_decref(p);

  /* staff may not fire as the parent; the parent's own account may */
  r = as("wes", "case.fire", json_pack("{s:s,s:s,s:s}", "id", "SH-1", "transition", "sign_plan", "as", "parent"));
  CHECK(refused(r, 403, "'parent' is a family member's role: only their own family account can fire 'sign_plan'"),
        "staff firing as a parent: %s", E.msg);
  r = as("ada", "case.fire", json_pack("{s:s,s:s,s:s}", "id", "SH-1", "transition", "sign_plan", "as", "parent"));
  CHECK(refused(r, 403, "'parent' is a family member's role: only their own family account can fire 'sign_plan'"),
        "an admin too: %s", E.msg);
  r = as("robin", "family.fire", json_pack("{s:s}", "transition", "prepare_move"));
  CHECK(refused(r, 403, "'prepare_move' is not a move for a 'parent': only moves that name 'parent' in by are yours"),
        "a staff move: %s", E.msg);
  r = as("robin", "family.fire", json_pack("{s:s}", "transition", "sign_plan"));
  CHECK(r && !strcmp(json_string_value(json_object_get(r, "stage")), "together"), "the parent signs the plan: %s", E.msg);
  json_decref(r);
  ev = last_event(1);
  CHECK(ev && !strcmp(json_string_value(json_object_get(ev, "actor")), "robin") &&
            !strcmp(json_string_value(json_object_get(ev, "role")), "parent"),
        "the move is recorded as the family account, as parent");
  json_decref(ev);
}

static void decisions(void) {
  json_t *r = as("wes", "case.fire", json_pack("{s:s,s:s,s:s}", "id", "SH-1", "transition", "prepare_move", "as",
                                               "caseworker"));
  json_t *d = kf_session_detail(S);
  json_t *first = json_array_get(json_object_get(d, "refusals"), 0);
  CHECK(!r && ST == 409 && !strcmp(json_string_value(json_object_get(first, "code")), "decision_missing") &&
            CONTAINS(E.msg, "no shared decision has been recorded for 'prepare_move' since the case entered "
                            "'together' (who took part, their views, whether the family agreed)"),
        "a move that needs a shared decision is refused without one, naming it: %d %s", ST, E.msg);
  json_decref(r);
  r = as("wes", "decision.record", json_pack("{s:s,s:s,s:s,s:b,s:[{s:i,s:s}]}", "id", "SH-1", "for", "prepare_move",
                                             "decided", "Move on in June", "family_agreed", 1, "participants",
                                             "member", 3, "view", "agreed"));
  CHECK(refused(r, 400, "a shared decision needs at least one family member taking part (a member of the case "
                        "holding a family role: parent, carer)"), "staff alone: %s", E.msg);
  r = as("wes", "decision.record", json_pack("{s:s,s:s,s:s,s:b,s:[{s:i,s:s},{s:s}]}", "id", "SH-1", "for", "nope",
                                             "decided", "x", "family_agreed", 1, "participants", "member", 1, "view",
                                             "ok", "login", "wes"));
  CHECK(refused(r, 400, "'nope' is not a transition of programme 'safe_home' (a shared decision is for one of "
                        "its moves, or for none)"), "an unknown move: %s", E.msg);
  r = as("wes", "decision.record", json_pack("{s:s,s:s,s:s,s:b,s:[{s:i,s:s},{s:s,s:s}]}", "id", "SH-1", "for",
                                             "prepare_move", "decided", "Move on in June", "family_agreed", 1,
                                             "participants", "member", 1, "view", "I am ready", "login", "wes",
                                             "view", "agreed"));
  int64_t id = json_integer_value(json_object_get(r, "id"));
  CHECK(r && id > 0 && json_array_size(json_object_get(r, "participants")) == 2 &&
            !strcmp(json_string_value(json_object_get(json_array_get(json_object_get(r, "participants"), 0), "name")),
                    "Robin Testwood"),
        "a shared decision: %s", E.msg);
  json_decref(r);
  r = as("wes", "case.fire", json_pack("{s:s,s:s,s:s}", "id", "SH-1", "transition", "prepare_move", "as", "caseworker"));
  ok(r, "the move fires once the decision is recorded");
  json_t *ev = last_event(1);
  CHECK(json_integer_value(json_object_get(json_object_get(ev, "data"), "decision")) == id,
        "the move's event carries the decision");
  json_decref(ev);
  json_t *p = as("robin", "family.get", json_object());
  json_t *dec = json_array_get(json_object_get(p, "decisions"), 0);
  CHECK(dec && json_is_true(json_object_get(dec, "family_agreed")) && contains(json_object_get(p, "said"), "I am ready"),
        "the family page shows the decision and their view");
  json_decref(p);
  r = as("wes", "decision.list", json_pack("{s:s}", "id", "SH-1"));
  CHECK(json_array_size(r) == 1, "decision.list");
  json_decref(r);
  r = as("pat", "decision.list", json_pack("{s:s}", "id", "SH-1"));
  CHECK(!r && ST == 403, "a worker of another programme may not list them (%d)", ST);
  json_decref(r);
}

static void invitations(void) {
  json_t *r = as("wes", "family.invite", json_pack("{s:s,s:i}", "id", "SH-1", "member", 2));
  const char *pw = json_string_value(json_object_get(r, "password"));
  CHECK(r && !strcmp(json_string_value(json_object_get(r, "login")), "alex.other") && pw && strlen(pw) == 19,
        "an invitation: a login from the name and a one-time password: %s", E.msg);
  json_t *v = pw ? as(NULL, "user.verify", json_pack("{s:s,s:s}", "login", "alex.other", "password", pw)) : NULL;
  CHECK(v && json_is_true(json_object_get(v, "must_change")), "the invited member must change the password");
  json_decref(v);
  json_t *ev = last_event(1);
  CHECK(ev && !strcmp(json_string_value(json_object_get(ev, "kind")), "user.added") && pw && !contains(ev, pw),
        "the event names no password");
  json_decref(ev);
  json_decref(r);
  r = as("pat", "family.invite", json_pack("{s:s,s:i}", "id", "SH-1", "member", 5));
  CHECK(!r && ST == 403, "only staff with the case in full may invite (%d %s)", ST, E.msg);
  json_decref(r);
  /* the other parent's page does not hold Robin's address either */
  json_t *p = as("alex.other", "family.get", json_object());
  CHECK(p && !contains(p, "12-Hidden-Lane") && !contains(p, "Safe-Street-9"), "no address on Alex's page");
  json_decref(p);
}

int main(void) {
  char db[64], wf[64];
  kf_engine *e = t_engine_deployed("family", WORKFLOW, db, wf, sizeof db, &E);
  if (!e) T_DONE();
  kf_engine_close(e);
  S = kf_session_open(db, &E);
  CHECK(S != NULL, "session: %s", E.msg);
  if (!S) T_DONE();
  ok(as(NULL, "user.add", json_pack("{s:s,s:s,s:s}", "login", "ada", "role", "admin", "password", "quartz-fable-91")), "ada");
  ok(as(NULL, "user.add", json_pack("{s:s,s:s,s:s,s:[s]}", "login", "wes", "role", "caseworker", "password",
                                    "quartz-fable-91", "roles", "safe_home:caseworker")), "wes");
  ok(as(NULL, "user.add", json_pack("{s:s,s:s,s:s,s:[s]}", "login", "pat", "role", "caseworker", "password",
                                    "quartz-fable-91", "roles", "other:caseworker")), "pat");
  ok(as(NULL, "case.open", json_pack("{s:s,s:s,s:s}", "workflow", "safe_home", "ref", "SH-1", "allocate_to", "wes")), "SH-1");
  ok(as(NULL, "case.open", json_pack("{s:s,s:s}", "workflow", "safe_home", "ref", "SH-2")), "SH-2");
  static const struct { const char *ref, *role, *name, *address; } M[] = {
      {"SH-1", "parent", "Robin Testwood", "12-Hidden-Lane"}, {"SH-1", "parent", "Alex Other", "Safe-Street-9"},
      {"SH-1", "caseworker", "Wendy Worker", NULL}, {"SH-2", "parent", "Kim Else", "Far-Road-1"},
      {"SH-1", "carer", "Casey Carer", NULL}};
  for (size_t i = 0; i < sizeof M / sizeof M[0]; i++)
    ok(as(NULL, "case.member_add", json_pack("{s:s,s:s,s:s,s:{s:s?}}", "id", M[i].ref, "role", M[i].role, "name",
                                             M[i].name, "data", "address", M[i].address)), M[i].name);
  accounts();
  staff_side();
  only_family_verbs();
  family_page();
  family_acts();
  decisions();
  invitations();
  kf_session_close(S);
  e = kf_engine_open(db, 0, &E);
  t_engine_finish(e, db, wf);
  T_DONE();
}
