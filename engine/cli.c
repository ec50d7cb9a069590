/* cli.c: the `kinflow` subcommands: parse arguments, call the runtime, print records as
 * text or --json. Exit status 0 done, 1 refused (one line on stderr), 2 usage. It holds no
 * engine logic of its own. The CLI is the database owner's tool: it sees every case, but
 * shows private (sensitive) values only when asked with a reason, and records that read. */
#define _GNU_SOURCE
#include "cli.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "consent.h"
#include "plugin.h"
#include "records.h"
#include "runtime.h"
#include "scenario.h"

#define USAGE                                                                            \
  "usage: kinflow [--db FILE] COMMAND [ARGS] [--json]\n"                                 \
  "  init                               create or upgrade the database (KINFLOW_DB, default ./kinflow.db)\n" \
  "  check FILE...                      validate workflows, rules, forms, scenarios\n"    \
  "  deploy FILE...                     check, then store each changed file as a new version\n" \
  "  workflows                          deployed programmes and their versions\n"         \
  "  test [PATH...] [--scratch URI]     run the scenario tests (*.test.lua) of workflows;\n" \
  "                                     --scratch: on an empty PostgreSQL database instead\n" \
  "  plugins                            plugins found, their versions and what they add\n" \
  "  diagram WORKFLOW                   the state machine as Graphviz DOT\n"              \
  "  case new WORKFLOW [--data JSON] [--ref REF]\n"                                      \
  "  case import FILE.jsonl|- [--batch N] [--from LINE]   bulk-open cases, a transaction per batch\n" \
  "  case show CASE [--reveal --reason TEXT]   private values only with --reveal (recorded)\n" \
  "  case history|members CASE\n"                                                      \
  "  case list [--workflow W] [--state S] [--overdue] [--open] [--limit N] [--offset N]\n" \
  "            [--mine --actor LOGIN] [--team T] [--unallocated] [--sort [-]KEY]\n"      \
  "            --sort: by a data key (numbers by value, cases without it last; -KEY descending)\n" \
  "  case allocate CASE --to LOGIN --reason TEXT [--team T]   who is responsible for it\n" \
  "  case set CASE --data JSON [--revision N]\n"                                          \
  "  case member add CASE --role ROLE --name NAME [--data JSON]\n"                        \
  "  case member end CASE MEMBER --reason TEXT [--on DATE]   a member leaves (kept in history)\n" \
  "  case link CASE OTHER --as sibling|continues [--reason TEXT]   CASE continues OTHER\n" \
  "  case links CASE                    the cases linked to it, both ways\n"             \
  "  case fire CASE TRANSITION --as ROLE [--actor WHO] [--reason TEXT] [--revision N]\n"  \
  "  case moves CASE [--as ROLE]\n"                                                      \
  "  case review CASE [--note TEXT]     record that the case's review took place\n"      \
  "  case flags CASE [--clear ID]       what the case's worker must look at (e.g. a withdrawn consent)\n" \
  "  case export CASE --purpose P [--to FILE] [--destination NAME]   its records, under consent\n" \
  "  consent give CASE --member ID --purpose P [--from DATE] [--until DATE]\n"            \
  "  consent withdraw CASE CONSENT --reason TEXT   recorded on the member's behalf\n"      \
  "  consent list CASE                  consents given by the case's members\n"           \
  "  form submit CASE FORM --data JSON [--as ROLE]\n"                                \
  "  team add NAME | team list          teams of workers (lower-case letters, digits, _ -)\n" \
  "  setting list | setting set NAME VALUE   the agency's settings that programmes declare\n" \
  "  timers run                         fire every timer due by now (KINFLOW_NOW in tests)\n" \
  "  audit verify                       check the event log's hash chain\n"               \
  "  backup FILE [--force]              a verified copy of the database while it serves (SQLite)\n" \
  "  restore FILE                       verify FILE, keep the database beside it, put FILE in place\n" \
  "  db copy FROM TO                    copy a whole database (SQLite <-> PostgreSQL), verified\n" \
  "  rule impact FILE                   what a changed rule would change in every open case\n" \
  "  rule deploy FILE | history NAME | rollback NAME\n"                                  \
  "  report stages|outcomes [--workflow W] [--csv]   time in each state; final outcomes\n" \
  "  report outcomes --by ended_by      final outcomes by who ended the work\n"           \
  "  report case CASE [--at DATE]       a case's state at a past date, days in each state\n" \
  "  script run FILE [ARG...]           an analyst's Lua script, read-only\n"            \
  "  serve [--bind ADDR] [--port N]     the web console (the console plugin)\n"           \
  "  serve --routes                     the console's routes and the permission each needs\n"       \
  "  user add LOGIN --role ROLE --password-stdin   a person who signs in to the console\n" \
  "  user add LOGIN --family CASE --member ID --password-stdin   a family member's own sign-in\n" \
  "  decision record CASE [--for T] --decided TEXT --family-agreed yes|no --member ID[=VIEW]...\n" \
  "           [--staff LOGIN[=VIEW]...] | decision list CASE   shared decisions\n" \
  "  (plugins may add commands: see `kinflow plugins`)\n"

typedef struct args {
  const char *db, *data, *ref, *as, *actor, *reason, *workflow, *state, *role, *name, *note;
  const char *to, *team, *sort, *scratch;
  const char *member, *purpose, *from, *until, *destination;
  long long limit, offset, revision, clear;
  int json, overdue, open, mine, unallocated, reveal;
  int npos;
  const char *pos[64];
} args;

static int usage(const char *msg) {
  if (msg) fprintf(stderr, "kinflow: %s (see `kinflow help`)\n", msg);
  else fputs(USAGE, stderr);
  return 2;
}

static int fail(const kf_err *err) {
  fprintf(stderr, "kinflow: %s\n", err->msg);
  return err->code == KF_EUSAGE ? 2 : 1;
}

/* Parse flags anywhere among the arguments. Returns 0, or 2 after printing usage. */
static int parse(int argc, char **argv, args *a) {
  static const struct {
    const char *flag;
    size_t off;
  } strs[] = {
      {"--db", offsetof(args, db)},         {"--data", offsetof(args, data)},
      {"--ref", offsetof(args, ref)},       {"--as", offsetof(args, as)},
      {"--actor", offsetof(args, actor)},   {"--reason", offsetof(args, reason)},
      {"--workflow", offsetof(args, workflow)}, {"--state", offsetof(args, state)},
      {"--role", offsetof(args, role)},     {"--name", offsetof(args, name)},
      {"--note", offsetof(args, note)},     {"--to", offsetof(args, to)},
      {"--team", offsetof(args, team)},
      {"--member", offsetof(args, member)}, {"--purpose", offsetof(args, purpose)},
      {"--from", offsetof(args, from)},     {"--until", offsetof(args, until)},
      {"--destination", offsetof(args, destination)},
      {"--sort", offsetof(args, sort)},     {"--scratch", offsetof(args, scratch)},
  };
  static const struct {
    const char *flag;
    size_t off;
  } nums[] = {{"--limit", offsetof(args, limit)}, {"--offset", offsetof(args, offset)},
              {"--revision", offsetof(args, revision)}, {"--clear", offsetof(args, clear)}};
  a->limit = -1;
  for (int i = 1; i < argc; i++) {
    char *arg = argv[i];
    if (strncmp(arg, "--", 2) != 0 || !strcmp(arg, "--")) {
      if (a->npos >= 64) return usage("too many arguments");
      a->pos[a->npos++] = arg;
      continue;
    }
    if (!strcmp(arg, "--json")) { a->json = 1; continue; }
    if (!strcmp(arg, "--overdue")) { a->overdue = 1; continue; }
    if (!strcmp(arg, "--open")) { a->open = 1; continue; }
    if (!strcmp(arg, "--mine")) { a->mine = 1; continue; }
    if (!strcmp(arg, "--unallocated")) { a->unallocated = 1; continue; }
    if (!strcmp(arg, "--reveal")) { a->reveal = 1; continue; }
    if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) return usage(NULL);
    char *eq = strchr(arg, '=');
    size_t flen = eq ? (size_t)(eq - arg) : strlen(arg);
    const char *val = eq ? eq + 1 : (i + 1 < argc ? argv[i + 1] : NULL);
    int known = 0;
    for (size_t k = 0; k < sizeof strs / sizeof strs[0]; k++) {
      if (strlen(strs[k].flag) == flen && !strncmp(arg, strs[k].flag, flen)) {
        if (!val) {
          char m[80];
          snprintf(m, sizeof m, "%s needs a value", strs[k].flag);
          return usage(m);
        }
        *(const char **)((char *)a + strs[k].off) = val;
        known = 1;
      }
    }
    for (size_t k = 0; !known && k < sizeof nums / sizeof nums[0]; k++) {
      if (strlen(nums[k].flag) == flen && !strncmp(arg, nums[k].flag, flen)) {
        char *end;
        long long n = val ? strtoll(val, &end, 10) : -1;
        if (!val || *end || n < 0) {
          char m[80];
          snprintf(m, sizeof m, "%s needs a whole number", nums[k].flag);
          return usage(m);
        }
        *(long long *)((char *)a + nums[k].off) = n;
        known = 1;
      }
    }
    if (!known) {
      char m[300];
      snprintf(m, sizeof m, "unknown option %.*s", (int)flen, arg);
      return usage(m);
    }
    if (!eq) i++;
  }
  return 0;
}

static const char *db_path(const args *a) { return kf_cli_db(a->db); }

static const char *actor_of(const args *a) { return kf_cli_actor(a->actor); }

static void print_json_new(json_t *v) {
  kf_cli_print_json(v);
  json_decref(v);
}

/* Parse a --data argument; NULL with a message naming where the JSON is wrong. */
static json_t *parse_data(const char *text, const char *what, kf_err *err) {
  json_error_t je;
  json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, &je);
  if (!v) {
    kf_fail(err, KF_EINVAL, "%s is not valid JSON: %s (at character %d)", what, je.text,
            je.position);
    return NULL;
  }
  if (!json_is_object(v)) {
    json_decref(v);
    kf_fail(err, KF_EINVAL, "%s must be a JSON object, e.g. '{\"key\": \"value\"}'", what);
    return NULL;
  }
  return v;
}

static const char *js(json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : "";
}

static long long ji(json_t *o, const char *k) { return json_integer_value(json_object_get(o, k)); }

/* ---- printing records ---- */

/* Who a case is allocated to, as "alice (north)", "alice" or "-". */
static const char *allocated(json_t *c, char *buf, size_t n) {
  if (!*js(c, "allocated_to")) return "-";
  if (*js(c, "team")) snprintf(buf, n, "%s (%s)", js(c, "allocated_to"), js(c, "team"));
  else snprintf(buf, n, "%s", js(c, "allocated_to"));
  return buf;
}

static void print_case_line(json_t *c) {
  const char *ref = js(c, "ref");
  char who[160];
  printf("%-6lld %-14s %-26s %-24s %-20s%s", ji(c, "id"), *ref ? ref : "-", js(c, "workflow"),
         js(c, "state"), allocated(c, who, sizeof who),
         json_is_string(json_object_get(c, "overdue_since")) ? "  review overdue" : "");
  if (ji(c, "flagged") > 0) printf("  %lld flag%s", ji(c, "flagged"), ji(c, "flagged") == 1 ? "" : "s");
  putchar('\n');
}

static void print_case(json_t *c) {
  printf("case %lld", ji(c, "id"));
  if (*js(c, "ref")) printf(" (ref %s)", js(c, "ref"));
  printf(": %s v%lld", js(c, "workflow"), ji(c, "version"));
  if (*js(c, "base_name"))
    printf(" (adapts %s v%lld)", js(c, "base_name"), ji(c, "base_version"));
  if (*js(c, "workflow_title")) printf(" - %s", js(c, "workflow_title"));
  printf("\n  state:    %s%s, since %s\n", js(c, "state"),
         json_is_true(json_object_get(c, "final")) ? " (final)" : "", js(c, "entered_at"));
  if (json_is_string(json_object_get(c, "overdue_since")))
    printf("  overdue:  review was due %s\n", js(c, "overdue_since"));
  if (*js(c, "allocated_to"))
    printf("  allocated: %s%s%s\n", js(c, "allocated_to"), *js(c, "team") ? ", team " : " (no team)",
           js(c, "team"));
  else puts("  allocated: nobody (kinflow case allocate CASE --to LOGIN --reason TEXT)");
  printf("  revision: %lld, opened %s, updated %s\n", ji(c, "revision"), js(c, "created_at"),
         js(c, "updated_at"));
  char *data = json_dumps(json_object_get(c, "data"), JSON_COMPACT | JSON_SORT_KEYS);
  printf("  data:     %s\n", data ? data : "{}");
  free(data);
}

static void print_event(json_t *ev) {
  printf("#%-5lld %s  %-16s", ji(ev, "seq"), js(ev, "at"), js(ev, "kind"));
  if (*js(ev, "name")) printf(" %s", js(ev, "name"));
  if (*js(ev, "from") || *js(ev, "to"))
    printf(" %s%s%s", js(ev, "from"), *js(ev, "from") ? " -> " : "-> ", js(ev, "to"));
  printf("  by %s", js(ev, "actor"));
  if (*js(ev, "role")) printf(" as %s", js(ev, "role"));
  if (*js(ev, "reason")) printf("  reason: %s", js(ev, "reason"));
  json_t *d = json_object_get(ev, "data");
  if (json_is_object(d) && json_object_size(d) > 0) {
    char *s = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
    printf("  %s", s ? s : "");
    free(s);
  }
  putchar('\n');
}

static void print_moves(json_t *moves) {
  size_t i;
  json_t *m;
  if (json_array_size(moves) == 0) puts("no moves: the case is in a final state");
  json_array_foreach(moves, i, m) {
    printf("%-10s %-20s -> %-22s", json_is_true(json_object_get(m, "available")) ? "available"
                                                                                  : "blocked",
           js(m, "name"), js(m, "to"));
    json_t *by = json_object_get(m, "by");
    if (json_array_size(by)) {
      printf(" by ");
      size_t k;
      json_t *r;
      json_array_foreach(by, k, r) printf("%s%s", k ? "," : "", json_string_value(r));
    }
    if (*js(m, "after")) printf(" after %s", js(m, "after"));
    if (json_is_true(json_object_get(m, "reason_required"))) printf(" (needs --reason)");
    putchar('\n');
    size_t k;
    json_t *r;
    json_array_foreach(json_object_get(m, "reasons"), k, r) printf("    - %s\n", json_string_value(r));
  }
}

/* ---- commands ---- */

static kf_engine *open_engine(const args *a, int flags, kf_err *err) {
  return kf_engine_open(db_path(a), flags, err);
}

/* The database when there is one (never created here), else an engine without one: for
 * commands that read deployed definitions when they can (check, diagram, plugins'). */
static kf_engine *open_existing(const args *a, kf_err *err) {
  kf_engine *e = open_engine(a, KF_STORE_NOCREATE, err);
  if (!e) {
    *err = (kf_err){0};
    e = kf_engine_open(NULL, 0, err);
  }
  return e;
}

static json_t *path_list(const args *a, int from) {
  json_t *paths = json_array();
  for (int i = from; i < a->npos; i++)
    json_array_append_new(paths, json_pack("{s:s}", "path", a->pos[i]));
  return paths;
}

/* Print check messages as FILE:LINE: message; returns how many errors. */
static size_t print_messages(json_t *res) {
  size_t i, n = 0;
  json_t *m, *f;
  json_array_foreach(json_object_get(res, "messages"), i, m) {
    if (ji(m, "line") > 0) fprintf(stderr, "%s:%lld: %s\n", js(m, "path"), ji(m, "line"), js(m, "msg"));
    else fprintf(stderr, "%s: %s\n", js(m, "path"), js(m, "msg"));
    n++;
  }
  json_array_foreach(json_object_get(res, "files"), i, f) {
    size_t k;
    json_t *w;
    json_array_foreach(json_object_get(f, "warnings"), k, w)
      fprintf(stderr, "%s:%lld: %s\n", js(w, "path"), ji(w, "line"), js(w, "msg"));
  }
  json_array_foreach(json_object_get(res, "plugin_problems"), i, m)
    fprintf(stderr, "%s\n", json_string_value(m));
  return n;
}

static int cmd_check(const args *a) {
  if (a->npos < 2) return usage("check needs at least one FILE");
  kf_err err = {0};
  /* Use the database for deployed bases and rules when there is one; never create it. */
  kf_engine *e = open_existing(a, &err);
  if (!e) return fail(&err);
  json_t *paths = path_list(a, 1);
  json_t *res = kf_check(e, paths, &err);
  json_decref(paths);
  if (!res) {
    kf_engine_close(e);
    return fail(&err);
  }
  size_t n = print_messages(res);
  if (a->json) kf_cli_print_json(res);
  else if (!n) {
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(res, "files"), i, f)
      printf("%s: ok (%s %s)\n", js(f, "path"), js(f, "kind"), js(f, "name"));
  }
  json_decref(res);
  kf_engine_close(e);
  return n ? 1 : 0;
}

static int cmd_deploy(const args *a) {
  if (a->npos < 2) return usage("deploy needs at least one FILE");
  kf_err err = {0};
  kf_engine *e = open_engine(a, 0, &err);
  if (!e) return fail(&err);
  json_t *paths = path_list(a, 1), *res = NULL;
  int rc = kf_deploy(e, paths, actor_of(a), &res, &err);
  json_decref(paths);
  if (res) print_messages(res);
  if (rc) {
    json_decref(res);
    kf_engine_close(e);
    return fail(&err);
  }
  if (a->json) kf_cli_print_json(res);
  else {
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(res, "files"), i, f) {
      if (!json_object_get(f, "version")) continue;
      printf("%s %s v%lld %s", js(f, "kind"), js(f, "name"), ji(f, "version"),
             json_is_true(json_object_get(f, "unchanged")) ? "unchanged" : "deployed");
      if (*js(f, "base")) printf(" (adapts %s v%lld)", js(f, "base"), ji(f, "base_version"));
      printf("  %s\n", js(f, "path"));
    }
  }
  json_decref(res);
  kf_engine_close(e);
  return 0;
}

static int cmd_workflows(const args *a) {
  kf_err err = {0};
  kf_engine *e = open_engine(a, KF_STORE_NOCREATE, &err);
  if (!e) return fail(&err);
  json_t *list = kf_store_def_list(kf_engine_store(e), a->pos[0] && !strcmp(a->pos[0], "workflows") ? "workflow" : NULL, &err);
  if (!list) {
    kf_engine_close(e);
    return fail(&err);
  }
  if (a->json) kf_cli_print_json(list);
  else {
    size_t i;
    json_t *d;
    if (!json_array_size(list)) puts("no workflows deployed (kinflow deploy workflows/*.lua)");
    json_array_foreach(list, i, d) {
      const char *title = js(d, "title");
      printf("%-26s v%-3lld %-40.40s%s %5lld cases (%lld open)", js(d, "name"), ji(d, "version"),
             title, strlen(title) > 40 ? "~" : " ", ji(d, "cases"), ji(d, "open_cases"));
      if (*js(d, "base_name")) printf("  adapts %s v%lld", js(d, "base_name"), ji(d, "base_version"));
      printf("  %s by %s\n", js(d, "deployed_at"), js(d, "deployed_by"));
    }
  }
  json_decref(list);
  kf_engine_close(e);
  return 0;
}

static int cmd_init(const args *a) {
  kf_err err = {0};
  kf_engine *e = open_engine(a, 0, &err);
  if (!e) return fail(&err);
  int v = kf_store_schema_version(kf_engine_store(e));
  if (a->json) {
    json_t *o = json_pack("{s:s,s:i}", "db", db_path(a), "schema", v);
    kf_cli_print_json(o);
    json_decref(o);
  } else {
    printf("%s: ready (schema version %d)\n", db_path(a), v);
  }
  kf_engine_close(e);
  return 0;
}

static int cmd_plugins(const args *a) {
  kf_err err = {0};
  kf_engine *e = kf_engine_open(NULL, 0, &err);
  if (!e) return fail(&err);
  json_t *res = kf_lua_call_new(kf_engine_lua(e), KF_LUA_PLUGINS, json_array(), &err);
  kf_engine_close(e);
  if (!res) return fail(&err);
  size_t i, nprob = json_array_size(json_object_get(res, "problems"));
  json_t *p;
  if (a->json) kf_cli_print_json(res);
  else {
    json_array_foreach(json_object_get(res, "plugins"), i, p) {
      printf("%-16s %-8s %s\n", js(p, "name"), js(p, "version"), js(p, "path"));
      size_t k;
      json_t *x;
      json_array_foreach(json_object_get(p, "adds"), k, x) printf("    %s\n", json_string_value(x));
    }
  }
  json_array_foreach(json_object_get(res, "problems"), i, p)
    fprintf(stderr, "%s\n", json_string_value(p));
  json_decref(res);
  return nprob ? 1 : 0;
}

static int cmd_audit(const args *a) {
  if (a->npos < 2 || strcmp(a->pos[1], "verify")) return usage("audit verify");
  kf_err err = {0};
  kf_store *st = kf_store_open(db_path(a), KF_STORE_NOCREATE, &err);
  if (!st) return fail(&err);
  json_t *sum = NULL;
  int rc = kf_store_audit_verify(st, &sum, &err);
  kf_store_close(st);
  if (rc) return fail(&err);
  if (a->json) kf_cli_print_json(sum);
  else
    printf("audit: %lld events, chain intact; head %s\n", ji(sum, "events"), js(sum, "head"));
  json_decref(sum);
  return 0;
}

static int cmd_timers(const args *a) {
  if (a->npos < 2 || strcmp(a->pos[1], "run")) return usage("timers run");
  kf_err err = {0};
  kf_engine *e = open_engine(a, KF_STORE_NOCREATE, &err);
  if (!e) return fail(&err);
  json_t *res = kf_timers_run(e, &err);
  kf_engine_close(e);
  if (!res) return fail(&err);
  if (a->json) kf_cli_print_json(res);
  else {
    size_t i;
    json_t *t;
    json_t *list = json_object_get(res, "timers");
    printf("timers due by %s: %zu\n", js(res, "now"), json_array_size(list));
    json_array_foreach(list, i, t) {
      printf("  case %lld: %s %s (due %s): %s", ji(t, "case"), js(t, "kind"), js(t, "name"),
             js(t, "due"), js(t, "result"));
      if (*js(t, "to")) printf(" -> %s", js(t, "to"));
      if (*js(t, "reason")) printf(": %s", js(t, "reason"));
      putchar('\n');
    }
  }
  json_decref(res);
  return 0;
}

static int cmd_form(const args *a) {
  if (a->npos < 4 || strcmp(a->pos[1], "submit"))
    return usage("form submit CASE FORM --data JSON [--as ROLE]");
  if (!a->data) return usage("form submit needs --data JSON");
  kf_err err = {0};
  json_t *data = parse_data(a->data, "--data", &err);
  if (!data) return fail(&err);
  kf_engine *e = open_engine(a, KF_STORE_NOCREATE, &err);
  if (!e) {
    json_decref(data);
    return fail(&err);
  }
  json_t *res = kf_form_submit(e, a->pos[2], a->pos[3], data, a->as, actor_of(a), &err);
  json_decref(data);
  kf_engine_close(e);
  if (!res) return fail(&err);
  if (a->json) kf_cli_print_json(res);
  else
    printf("case %lld: %s entry %lld recorded%s\n", ji(res, "case"), a->pos[3], ji(res, "entry"),
           json_is_true(json_object_get(res, "checked")) ? "" : " (no form definition: stored unchecked)");
  json_decref(res);
  return 0;
}

/* ---- private values: the owner sees them only when asking, with a reason ---- */

/* Who reads private values through the CLI: the person at the terminal, never --actor. */
static const char *os_user(void) {
  const char *u = getenv("USER");
  return u && *u ? u : "cli";
}

static void add_once(json_t *names, const char *name) {
  size_t i;
  json_t *v;
  json_array_foreach(names, i, v) if (!strcmp(json_string_value(v), name)) return;
  json_array_append_new(names, json_string(name));
}

/* Leave out of obj the keys in list, naming each PREFIX.KEY in names and in hidden (may
 * be NULL); with reveal, keep them and name them in names only. */
static void private_keys(json_t *obj, json_t *list, const char *prefix, int reveal,
                         json_t *names, json_t *hidden) {
  size_t i;
  json_t *k;
  json_array_foreach(list, i, k) {
    const char *key = json_string_value(k);
    if (!key || !json_object_get(obj, key)) continue;
    char label[300];
    snprintf(label, sizeof label, "%s.%s", prefix, key);
    add_once(names, label);
    if (reveal) continue;
    json_object_del(obj, key);
    if (hidden) json_array_append_new(hidden, json_string(label));
  }
}

/* The private values of case c (the workflow's sensitive data and member keys, the
 * sensitive fields of its entries' forms): left out, each object that lost some naming them
 * in `hidden` (the case: every label; a member: "member ID.KEY"; an entry: field names),
 * and named in names ("data.KEY", "member ID.KEY", "FORM.FIELD"); or, with reveal, kept
 * and named in names. members and entries may be NULL. The one place the CLI decides what
 * is private. */
static int private_values(kf_engine *e, json_t *c, json_t *members, json_t *entries, int reveal,
                          json_t *names, kf_err *err) {
  json_t *keys = kf_lua_call_new(kf_engine_lua(e), KF_LUA_SENSITIVE_KEYS,
                                 json_pack("[O]", json_object_get(c, "workflow_id")), err);
  if (!keys) return err->code;
  /* the fields of every form the entries use, also forms the workflow does not name */
  json_t *forms = json_array();
  size_t i;
  json_t *x;
  json_array_foreach(entries, i, x) json_array_append(forms, json_object_get(x, "form"));
  json_t *fields = kf_lua_call_new(kf_engine_lua(e), KF_LUA_SENSITIVE_FIELDS,
                                   json_pack("[O,o]", json_object_get(c, "workflow_id"), forms), err);
  if (!fields) {
    json_decref(keys);
    return err->code;
  }
  json_t *all = json_array();
  private_keys(json_object_get(c, "data"), json_object_get(keys, "data"), "data", reveal, names,
               all);
  json_array_foreach(members, i, x) {
    char who[64];
    json_t *hidden = json_array();
    snprintf(who, sizeof who, "member %lld", ji(x, "id"));
    private_keys(json_object_get(x, "data"), json_object_get(keys, "members"), who, reveal,
                 names, hidden);
    if (json_array_size(hidden)) json_object_set(x, "hidden", hidden);
    json_array_extend(all, hidden);
    json_decref(hidden);
  }
  json_array_foreach(entries, i, x) {
    const char *form = js(x, "form");
    json_t *hidden = json_array(), *short_names = json_array();
    private_keys(json_object_get(x, "data"), json_object_get(fields, form), form, reveal, names,
                 hidden);
    size_t k;
    json_t *h;
    json_array_foreach(hidden, k, h)
      json_array_append_new(short_names, json_string(json_string_value(h) + strlen(form) + 1));
    if (json_array_size(short_names)) json_object_set(x, "hidden", short_names);
    json_array_extend(all, hidden);
    json_decref(hidden);
    json_decref(short_names);
  }
  if (json_array_size(all)) json_object_set(c, "hidden", all);
  json_decref(all);
  json_decref(fields);
  json_decref(keys);
  return 0;
}

/* Record that the owner read private values of case c, before they are shown. */
static int record_reveal(kf_engine *e, json_t *c, json_t *fields, const char *reason,
                         kf_err *err) {
  char now[21];
  kf_iso(kf_now(), now);
  return kf_event_append_new(e, json_pack("{s:s,s:O,s:s,s:s,s:{s:O,s:s,s:s}}", "kind",
                                          "sensitive.read", "case", json_object_get(c, "id"),
                                          "actor", os_user(), "at", now, "data", "fields",
                                          fields, "basis", "owner", "reason", reason),
                             err);
}

static void print_value(const char *label, json_t *v, long long entry) {
  char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
  printf("    %-28s %s", label, text ? text : "");
  if (entry) printf("  (entry %lld)", entry);
  putchar('\n');
  free(text);
}

/* The private values named in names ("data.KEY", "member ID.KEY", "FORM.FIELD"). */
static void print_revealed(json_t *c, json_t *members, json_t *entries, json_t *names) {
  size_t i, k;
  json_t *n, *x;
  json_array_foreach(names, i, n) {
    const char *label = json_string_value(n);
    if (!strncmp(label, "data.", 5)) {
      print_value(label, json_object_get(json_object_get(c, "data"), label + 5), 0);
      continue;
    }
    json_array_foreach(members, k, x) {
      char prefix[64];
      int len = snprintf(prefix, sizeof prefix, "member %lld.", ji(x, "id"));
      if (!strncmp(label, prefix, (size_t)len))
        print_value(label, json_object_get(json_object_get(x, "data"), label + len), 0);
    }
    json_array_foreach(entries, k, x) {
      size_t flen = strlen(js(x, "form"));
      if (strncmp(label, js(x, "form"), flen) || label[flen] != '.') continue;
      json_t *v = json_object_get(json_object_get(x, "data"), label + flen + 1);
      if (v) print_value(label, v, ji(x, "id"));
    }
  }
}

static int case_show(kf_engine *e, const args *a, const char *id) {
  kf_err err = {0};
  if (a->reveal && (!a->reason || !*a->reason))
    return usage("case show --reveal needs --reason TEXT: why you read private details");
  json_t *c = kf_case_get(e, id, &err);
  if (!c) return fail(&err);
  int64_t cid = ji(c, "id");
  json_t *members = kf_store_members(kf_engine_store(e), cid, NULL, &err);
  json_t *timers = members ? kf_store_timers(kf_engine_store(e), cid, &err) : NULL;
  json_t *entries = timers ? kf_store_entries(kf_engine_store(e), cid, NULL, 0, &err) : NULL;
  json_t *names = json_array();
  int rc = !entries || private_values(e, c, members, entries, a->reveal, names, &err) ||
           (a->reveal && json_array_size(names) && record_reveal(e, c, names, a->reason, &err));
  json_t *flags = rc ? NULL : kf_case_flags(e, id, &err);
  json_t *sharing = flags ? kf_case_sharing(e, id, &err) : NULL;
  json_t *links = sharing ? kf_case_links(e, id, &err) : NULL;
  if (!rc && !links) rc = 1;
  if (rc) {
    rc = fail(&err);
  } else if (a->json) {
    json_object_set(c, "members", members);
    json_object_set(c, "timers", timers);
    json_object_set(c, "entries", entries);
    json_object_set(c, "flags", flags);
    json_object_set(c, "sharing", sharing);
    json_object_set(c, "links", links);
    kf_cli_print_json(c);
  } else {
    print_case(c);
    size_t i;
    json_t *x;
    if (json_array_size(members)) puts("  members:");
    json_array_foreach(members, i, x) {
      printf("    %-14s %s", js(x, "role"), js(x, "name"));
      if (*js(x, "ended_at")) printf("  (ended %s: %s)", js(x, "ended_at"), js(x, "ended_reason"));
      putchar('\n');
    }
    int header = 0;
    json_array_foreach(timers, i, x) {
      if (strcmp(js(x, "status"), "pending")) continue;
      if (!header++) puts("  timers:");
      printf("    %-14s %-8s due %s\n", js(x, "name"), js(x, "kind"), js(x, "due_at"));
    }
    if (json_array_size(entries)) printf("  form entries: %zu\n", json_array_size(entries));
    json_array_foreach(flags, i, x) printf("  flag %lld:   %s (kinflow case flags CASE --clear %lld)\n",
                                           ji(x, "id"), js(x, "text"), ji(x, "id"));
    json_array_foreach(links, i, x) {
      const char *how = !strcmp(js(x, "as"), "sibling") ? "sibling of"
                        : !strcmp(js(x, "direction"), "to") ? "continues" : "continued by";
      printf("  linked:   %s case %lld (%s, %s at %s)\n", how, ji(x, "case"), js(x, "ref"),
             js(x, "workflow"), js(x, "state"));
    }
    json_array_foreach(sharing, i, x)
      printf("  withheld: %lld event%s from %s (%s), last %s: %s\n", ji(x, "events"),
             ji(x, "events") == 1 ? "" : "s", js(x, "destination"), js(x, "purpose"),
             js(x, "updated_at"), js(x, "reason"));
    if (json_array_size(names) && !a->reveal) {
      printf("  private:  left out:");
      json_array_foreach(names, i, x) printf("%s %s", i ? "," : "", json_string_value(x));
      puts(" (--reveal --reason TEXT shows them, and records that you read them)");
    } else if (json_array_size(names)) {
      puts("  private (read recorded):");
      print_revealed(c, members, entries, names);
    }
  }
  json_decref(names);
  json_decref(members);
  json_decref(timers);
  json_decref(entries);
  json_decref(flags);
  json_decref(sharing);
  json_decref(links);
  json_decref(c);
  return rc;
}

/* ---- consent and sharing ---- */

static void print_consent(json_t *k) {
  printf("%-4lld %-24s %-16s %-24s from %s", ji(k, "id"), js(k, "name"), js(k, "role"),
         js(k, "purpose"), js(k, "from"));
  if (*js(k, "until")) printf(" until %s", js(k, "until"));
  if (json_is_string(json_object_get(k, "withdrawn_at"))) {
    printf("  withdrawn %.10s by %s%s", js(k, "withdrawn_at"), js(k, "withdrawn_by"),
           json_is_true(json_object_get(k, "on_behalf")) ? " (on their behalf)" : "");
    if (*js(k, "withdrawn_reason")) printf(": %s", js(k, "withdrawn_reason"));
  } else {
    printf("  %s", json_is_true(json_object_get(k, "current")) ? "current" : "not current");
  }
  putchar('\n');
}

static int cmd_consent(const args *a) {
  const char *sub = a->npos > 1 ? a->pos[1] : "";
  if (!strcmp(sub, "give") && (a->npos != 3 || !a->member || !a->purpose))
    return usage("consent give CASE --member ID --purpose P [--from DATE] [--until DATE]");
  if (!strcmp(sub, "withdraw") && a->npos != 4)
    return usage("consent withdraw CASE CONSENT --reason TEXT");
  if (!strcmp(sub, "list") && a->npos != 3) return usage("consent list CASE");
  if (strcmp(sub, "give") && strcmp(sub, "withdraw") && strcmp(sub, "list"))
    return usage("consent give|withdraw|list");
  int64_t member = 0, consent = 0;
  char *end = NULL;
  if (a->member && ((member = strtoll(a->member, &end, 10)) <= 0 || *end))
    return usage("--member needs the member's id (a number: see `kinflow case members CASE`)");
  if (!strcmp(sub, "withdraw") && ((consent = strtoll(a->pos[3], &end, 10)) <= 0 || *end))
    return usage("consent withdraw CASE CONSENT: CONSENT is the consent's id (see `kinflow consent list CASE`)");
  kf_err err = {0};
  kf_engine *e = open_engine(a, KF_STORE_NOCREATE, &err);
  if (!e) return fail(&err);
  json_t *res = NULL;
  if (!strcmp(sub, "give")) {
    res = kf_consent_give(e, a->pos[2], member, a->purpose, a->from, a->until, actor_of(a), &err);
    if (res && !a->json) {
      printf("case %s: consent %lld recorded: ", a->pos[2], ji(res, "id"));
      printf("%s (%s) to %s from %s", js(res, "name"), js(res, "role"), js(res, "purpose"),
             js(res, "from"));
      if (*js(res, "until")) printf(" until %s", js(res, "until"));
      putchar('\n');
    }
  } else if (!strcmp(sub, "withdraw")) {
    /* the CLI records a withdrawal on the member's behalf: a reason is required */
    res = kf_consent_withdraw(e, a->pos[2], consent, a->reason, actor_of(a), 1, &err);
    if (res && !a->json)
      printf("case %s: consent %lld withdrawn (%s, %s); the case is flagged for its worker\n",
             a->pos[2], (long long)consent, js(res, "name"), js(res, "purpose"));
  } else {
    res = kf_consent_list(e, a->pos[2], &err);
    if (res && !a->json) {
      size_t i;
      json_t *k;
      if (!json_array_size(res))
        puts("no consents recorded (kinflow consent give CASE --member ID --purpose P)");
      json_array_foreach(res, i, k) print_consent(k);
    }
  }
  int rc = 0;
  if (!res) rc = fail(&err);
  else if (a->json) kf_cli_print_json(res);
  json_decref(res);
  kf_engine_close(e);
  return rc;
}

static int case_flags(kf_engine *e, const args *a) {
  kf_err err = {0};
  json_t *res = a->clear ? kf_case_flag_clear(e, a->pos[2], a->clear, actor_of(a), &err)
                         : kf_case_flags(e, a->pos[2], &err);
  if (!res) return fail(&err);
  if (a->json) kf_cli_print_json(res);
  else {
    if (a->clear) printf("case %s: flag %lld cleared\n", a->pos[2], a->clear);
    size_t i;
    json_t *f;
    if (!json_array_size(res)) printf("case %s: no open flags\n", a->pos[2]);
    json_array_foreach(res, i, f)
      printf("%-4lld %s  %-18s %s\n", ji(f, "id"), js(f, "raised_at"), js(f, "kind"), js(f, "text"));
  }
  json_decref(res);
  return 0;
}

static int case_export(kf_engine *e, const args *a) {
  if (!a->purpose) return usage("case export CASE --purpose P [--to FILE] [--destination NAME]");
  kf_err err = {0};
  json_t *res = kf_case_export(e, a->pos[2], a->purpose, a->destination, actor_of(a), &err);
  if (!res) return fail(&err);
  int rc = 0;
  if (a->to) {
    if (json_dump_file(res, a->to, JSON_INDENT(2)) != 0) {
      fprintf(stderr, "kinflow: case export: cannot write %s (the export was recorded)\n", a->to);
      rc = 1;
    } else {
      printf("case %lld: exported to %s for %s (destination %s, %zu events)\n",
             ji(json_object_get(res, "case"), "id"), a->to, js(res, "purpose"),
             js(res, "destination"), json_array_size(json_object_get(res, "events")));
    }
  } else {
    kf_cli_print_json(res);
  }
  json_decref(res);
  return rc;
}

static int cmd_case(const args *a) {
  if (a->npos < 2) return usage("case needs a subcommand");
  const char *sub = a->pos[1];
  kf_err err = {0};
  int rc = 0;
  if (!strcmp(sub, "new") && a->npos != 3) return usage("case new WORKFLOW [--data JSON] [--ref REF]");
  if (!strcmp(sub, "list") && a->npos != 2) return usage("case list takes options only");
  if (strcmp(sub, "new") && strcmp(sub, "list") && strcmp(sub, "member") && a->npos < 3)
    return usage("which case? give its number or ref");
  json_t *data = NULL;
  if (a->data && !(data = parse_data(a->data, "--data", &err))) return fail(&err);
  kf_engine *e = open_engine(a, KF_STORE_NOCREATE, &err);
  if (!e) {
    json_decref(data);
    return fail(&err);
  }
  json_t *res = NULL;
  if (!strcmp(sub, "new")) {
    res = kf_case_open(e, a->pos[2], data, a->ref, actor_of(a), &err);
    if (res && !a->json)
      printf("case %lld opened: %s v%lld at %s\n", ji(res, "id"), js(res, "workflow"),
             ji(res, "version"), js(res, "state"));
  } else if (!strcmp(sub, "show")) {
    rc = case_show(e, a, a->pos[2]);
    goto done;
  } else if (!strcmp(sub, "list")) {
    if (a->mine && !a->actor) {
      rc = usage("case list --mine needs --actor LOGIN: whose cases");
      goto done;
    }
    json_t *f = json_pack("{s:s?,s:s?,s:s?,s:s?,s:s?}", "workflow", a->workflow, "state", a->state,
                          "allocated_to", a->mine ? a->actor : NULL, "team", a->team, "sort",
                          a->sort);
    if (a->unallocated) json_object_set_new(f, "unallocated", json_true());
    if (a->overdue) json_object_set_new(f, "overdue", json_true());
    if (a->open) json_object_set_new(f, "open", json_true());
    if (a->limit >= 0) json_object_set_new(f, "limit", json_integer(a->limit));
    json_object_set_new(f, "offset", json_integer(a->offset));
    res = kf_store_case_list(kf_engine_store(e), f, &err);
    json_decref(f);
    size_t i;
    json_t *c;
    json_array_foreach(res, i, c) { /* lists never show private values (case show --reveal does) */
      json_t *names = json_array();
      int bad = private_values(e, c, NULL, NULL, 0, names, &err);
      json_decref(names);
      json_t *flags = bad ? NULL : kf_store_flags_open(kf_engine_store(e), ji(c, "id"), &err);
      if (!flags) bad = 1;
      json_object_set_new(c, "flagged", json_integer((json_int_t)json_array_size(flags)));
      json_decref(flags);
      if (bad) {
        json_decref(res);
        res = NULL;
        break;
      }
    }
    if (res && !a->json) {
      printf("%-6s %-14s %-26s %-24s %-20s\n", "case", "ref", "workflow", "state", "allocated");
      json_array_foreach(res, i, c) print_case_line(c);
    }
  } else if (!strcmp(sub, "history")) {
    json_t *c = kf_case_get(e, a->pos[2], &err);
    if (c) {
      json_t *f = json_pack("{s:O}", "case", json_object_get(c, "id"));
      res = kf_store_events(kf_engine_store(e), f, &err);
      json_decref(f);
      json_decref(c);
    }
    if (res && !a->json) {
      size_t i;
      json_t *ev;
      json_array_foreach(res, i, ev) print_event(ev);
    }
  } else if (!strcmp(sub, "members")) {
    json_t *c = kf_case_get(e, a->pos[2], &err);
    if (c) res = kf_store_members(kf_engine_store(e), ji(c, "id"), a->role, &err);
    json_t *names = json_array();
    if (res && private_values(e, c, res, NULL, 0, names, &err)) { /* never revealed here */
      json_decref(res);
      res = NULL;
    }
    json_decref(names);
    json_decref(c);
    if (res && !a->json) {
      size_t i;
      json_t *m;
      if (!json_array_size(res)) puts("no members recorded");
      json_array_foreach(res, i, m) {
        char *d = json_dumps(json_object_get(m, "data"), JSON_COMPACT | JSON_SORT_KEYS);
        printf("%-5lld %-16s %-28s %s", ji(m, "id"), js(m, "role"), js(m, "name"), d ? d : "");
        if (*js(m, "ended_at")) printf("  ended %s: %s", js(m, "ended_at"), js(m, "ended_reason"));
        putchar('\n');
        free(d);
      }
    }
  } else if (!strcmp(sub, "member")) {
    if (a->npos != 4 || strcmp(a->pos[2], "add")) {
      rc = usage("case member add CASE --role ROLE --name NAME [--data JSON]");
      goto done;
    }
    res = kf_case_member_add(e, a->pos[3], a->role, a->name, data, actor_of(a), &err);
    if (res && !a->json) /* the newest member is the one added: consents and accounts name it */
      printf("case %s: member %lld added: %s %s\n", a->pos[3],
             ji(json_array_get(res, json_array_size(res) - 1), "id"), a->role, a->name);
  } else if (!strcmp(sub, "set")) {
    if (!data) {
      rc = usage("case set CASE --data JSON");
      goto done;
    }
    res = kf_case_set(e, a->pos[2], data, actor_of(a), a->revision, &err);
    if (res && !a->json) printf("case %lld: data updated (revision %lld)\n", ji(res, "id"), ji(res, "revision"));
  } else if (!strcmp(sub, "fire")) {
    if (a->npos != 4) {
      rc = usage("case fire CASE TRANSITION --as ROLE [--reason TEXT]");
      goto done;
    }
    json_t *before = kf_case_get(e, a->pos[2], &err);
    if (before) {
      res = kf_case_fire(e, a->pos[2], a->pos[3], a->as, actor_of(a), a->reason, a->revision, &err);
      if (res && !a->json)
        printf("case %lld: %s %s -> %s%s\n", ji(res, "id"), a->pos[3], js(before, "state"),
               js(res, "state"), json_is_true(json_object_get(res, "final")) ? " (final)" : "");
      json_decref(before);
    }
  } else if (!strcmp(sub, "moves")) {
    res = kf_case_moves(e, a->pos[2], a->as, &err);
    if (res && !a->json) print_moves(res);
  } else if (!strcmp(sub, "allocate")) {
    if (a->npos != 3 || !a->to) {
      rc = usage("case allocate CASE --to LOGIN --reason TEXT [--team T]");
      goto done;
    }
    res = kf_case_allocate(e, a->pos[2], a->to, a->team, a->reason, actor_of(a), &err);
    if (res && !a->json) {
      char who[160];
      printf("case %lld: allocated to %s\n", ji(res, "id"), allocated(res, who, sizeof who));
    }
  } else if (!strcmp(sub, "review")) {
    res = kf_case_review(e, a->pos[2], a->note, actor_of(a), &err);
    if (res && !a->json) printf("case %lld: review recorded\n", ji(res, "id"));
  } else if (!strcmp(sub, "flags")) {
    rc = case_flags(e, a);
    goto done;
  } else if (!strcmp(sub, "export")) {
    rc = case_export(e, a);
    goto done;
  } else {
    rc = usage("unknown case subcommand");
    goto done;
  }
  if (!res) rc = fail(&err);
  else if (a->json) kf_cli_print_json(res);
done:
  json_decref(res);
  json_decref(data);
  kf_engine_close(e);
  return rc;
}

static int cmd_team(const args *a) {
  const char *sub = a->npos > 1 ? a->pos[1] : "";
  if (!(!strcmp(sub, "add") && a->npos == 3) && !(!strcmp(sub, "list") && a->npos == 2))
    return usage("team add NAME | team list");
  kf_err err = {0};
  kf_engine *e = open_engine(a, KF_STORE_NOCREATE, &err);
  if (!e) return fail(&err);
  int rc = 0;
  if (!strcmp(sub, "add")) {
    if ((rc = kf_team_add(e, a->pos[2], actor_of(a), &err))) rc = fail(&err);
    else if (a->json) print_json_new(json_pack("{s:s}", "team", a->pos[2]));
    else printf("team %s added\n", a->pos[2]);
  } else {
    json_t *list = kf_store_team_list(kf_engine_store(e), &err);
    if (!list) rc = fail(&err);
    else if (a->json) kf_cli_print_json(list);
    else {
      size_t i, k;
      json_t *t, *m;
      if (!json_array_size(list)) puts("no teams (kinflow team add NAME)");
      json_array_foreach(list, i, t) {
        printf("%-20s", js(t, "name"));
        json_array_foreach(json_object_get(t, "members"), k, m)
          printf("%s %s", k ? "," : "", json_string_value(m));
        if (!json_array_size(json_object_get(t, "members"))) printf(" (no members)");
        putchar('\n');
      }
    }
    json_decref(list);
  }
  kf_engine_close(e);
  return rc;
}

static int cmd_test(const args *a) {
  kf_err err = {0};
  int passed = 0, failed = 0;
  static const char *defaults[] = {"workflows"};
  const char **paths = a->npos > 1 ? (const char **)(a->pos + 1) : defaults;
  int n = a->npos > 1 ? a->npos - 1 : 1;
  json_t *results = a->json ? json_array() : NULL;
  const char *scratch = a->scratch ? a->scratch : getenv("KINFLOW_TEST_SCRATCH");
  if (scratch && !*scratch) scratch = NULL;
  if (scratch && strncmp(scratch, "postgresql://", 13) && strncmp(scratch, "postgres://", 11)) {
    json_decref(results);
    return usage("--scratch takes a PostgreSQL database's URI (postgresql://...)");
  }
  int rc = kf_scenarios_run(paths, n, results, &passed, &failed, scratch, &err);
  if (rc) {
    json_decref(results);
    return fail(&err);
  }
  if (results) print_json_new(json_pack("{s:i,s:i,s:o}", "passed", passed, "failed", failed,
                                        "scenarios", results));
  else printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}

static int cmd_diagram(const args *a) {
  if (a->npos != 2) return usage("diagram WORKFLOW (a deployed name, or a file)");
  kf_err err = {0};
  kf_engine *e = open_existing(a, &err);
  if (!e) return fail(&err);
  json_t *res = kf_lua_call_new(kf_engine_lua(e), KF_LUA_DIAGRAM, json_pack("[s]", a->pos[1]), &err);
  kf_engine_close(e);
  if (!res) return fail(&err);
  fputs(json_string_value(res), stdout);
  json_decref(res);
  return 0;
}

static int cmd_rule(const args *a) {
  const char *sub = a->npos > 1 ? a->pos[1] : "";
  if (a->npos != 3 || (strcmp(sub, "impact") && strcmp(sub, "deploy") && strcmp(sub, "history") &&
                       strcmp(sub, "rollback")))
    return usage("rule impact FILE | rule deploy FILE | rule history NAME | rule rollback NAME");
  kf_err err = {0};
  kf_engine *e = open_engine(a, !strcmp(sub, "deploy") ? 0 : KF_STORE_NOCREATE, &err);
  if (!e) return fail(&err);
  json_t *res = NULL;
  int rc = 0;
  if (!strcmp(sub, "impact")) {
    res = kf_rule_impact(e, a->pos[2], &err);
    /* a plugin.lua that declares several rules: each rule's impact in turn */
    json_t *each = res ? json_object_get(res, "rules") : NULL;
    for (size_t r = 0; res && !a->json && r < (each ? json_array_size(each) : 1); r++) {
      json_t *one = each ? json_array_get(each, r) : res;
      json_t *changed = json_object_get(one, "changed");
      printf("rule %s: %lld open cases evaluated, %zu would change", js(one, "rule"),
             ji(one, "evaluated"), json_array_size(changed));
      if (ji(one, "reworded")) printf(" (%lld more keep their result with a new reason)", ji(one, "reworded"));
      if (ji(one, "unaffected")) printf(" (%lld use a rule of their own workflow)", ji(one, "unaffected"));
      putchar('\n');
      size_t i;
      json_t *c;
      json_array_foreach(changed, i, c) {
        json_t *b = json_object_get(c, "before"), *af = json_object_get(c, "after");
        printf("  case %lld (%s, %s): %s -> %s", ji(c, "id") ? ji(c, "id") : ji(c, "case"),
               js(c, "workflow"), js(c, "state"), json_is_true(json_object_get(b, "ok")) ? "met" : "not met",
               json_is_true(json_object_get(af, "ok")) ? "met" : "not met");
        if (*js(af, "reason")) printf(": %s", js(af, "reason"));
        else if (*js(b, "reason")) printf(" (was: %s)", js(b, "reason"));
        putchar('\n');
      }
    }
  } else if (!strcmp(sub, "deploy")) {
    json_t *paths = path_list(a, 2);
    json_object_set_new(json_array_get(paths, 0), "only", json_string("rule"));
    json_t *chk = kf_check(e, paths, &err);
    json_t *f = chk ? json_array_get(json_object_get(chk, "files"), 0) : NULL;
    if (chk && (!f || strcmp(js(f, "kind"), "rule"))) {
      kf_fail(&err, KF_EINVAL, "%s is not a rule file (use `kinflow deploy` for workflows and forms)", a->pos[2]);
    } else if (chk) {
      json_t *report = NULL;
      if (kf_deploy(e, paths, actor_of(a), &report, &err) == 0) res = report;
      else {
        if (report) print_messages(report);
        json_decref(report);
      }
    }
    json_decref(chk);
    json_decref(paths);
    size_t i;
    json_t *d;
    if (res && !a->json)
      json_array_foreach(json_object_get(res, "files"), i, d)
        printf("rule %s v%lld %s: it applies at once\n", js(d, "name"), ji(d, "version"),
               json_is_true(json_object_get(d, "unchanged")) ? "unchanged" : "deployed");
  } else if (!strcmp(sub, "history")) {
    json_t *all = kf_store_def_list(kf_engine_store(e), "rule", &err);
    if (all) {
      res = json_array();
      size_t i;
      json_t *d;
      json_array_foreach(all, i, d) if (!strcmp(js(d, "name"), a->pos[2])) json_array_append(res, d);
      json_decref(all);
      json_t *src = kf_lua_call_new(kf_engine_lua(e), KF_LUA_RULE_SOURCE, json_pack("[s]", a->pos[2]), &err);
      if (!a->json) {
        json_array_foreach(res, i, d)
          printf("v%-3lld %s by %-12s %s%s\n", ji(d, "version"), js(d, "deployed_at"),
                 js(d, "deployed_by"), js(d, "path"),
                 ji(d, "active") ? "" : "  (rolled back)");
        if (src && !strcmp(js(src, "source"), "deployed")) printf("in force: v%lld\n", ji(src, "version"));
        else if (src && !strcmp(js(src, "source"), "plugin")) printf("in force: plugin %s\n", js(src, "plugin"));
        else printf("in force: none (no rule '%s' is defined)\n", a->pos[2]);
      } else {
        json_t *o = json_pack("{s:s,s:O,s:O}", "rule", a->pos[2], "versions", res, "in_force",
                              src ? src : json_null());
        json_decref(res);
        res = o;
      }
      json_decref(src);
      if (!json_array_size(json_is_array(res) ? res : json_object_get(res, "versions")) &&
          !json_is_object(res) && !a->json) {
        /* nothing deployed: said above */
      }
    }
  } else {
    res = kf_rule_rollback(e, a->pos[2], actor_of(a), &err);
    if (res && !a->json) {
      json_t *now = json_object_get(res, "now");
      printf("rule %s: v%lld rolled back; in force now: ", a->pos[2], ji(res, "rolled_back"));
      if (!strcmp(js(now, "source"), "deployed")) printf("v%lld\n", ji(now, "version"));
      else if (!strcmp(js(now, "source"), "plugin")) printf("plugin %s\n", js(now, "plugin"));
      else printf("nothing\n");
    }
  }
  if (!res) rc = fail(&err);
  else if (a->json) kf_cli_print_json(res);
  json_decref(res);
  kf_engine_close(e);
  return rc;
}

/* A subcommand a C plugin adds; plugins see the database when there is one. */
static int plugin_command(const args *a, int argc, char **argv) {
  kf_err err = {0};
  kf_engine *e = open_existing(a, &err);
  if (!e) return fail(&err);
  json_t *res = kf_lua_call_new(kf_engine_lua(e), KF_LUA_PLUGINS, json_array(), &err);
  json_decref(res);
  /* hand the plugin its own arguments: from the command name on */
  int first = 1;
  while (first < argc && strcmp(argv[first], a->pos[0])) first++;
  int found = 0;
  int rc = kf_plugins_command(kf_engine_plugins(e), kf_engine_store(e), argc - first,
                              argv + first, &found);
  kf_engine_close(e);
  if (!found) {
    char m[300];
    snprintf(m, sizeof m, "unknown command '%s'", a->pos[0]);
    return usage(m);
  }
  return rc;
}

static int builtin(const char *cmd) {
  static const char *names[] = {"init", "check", "deploy", "workflows", "definitions", "case",
                                "form", "audit", "timers", "plugins", "test", "diagram",
                                "help", "rule", "team", "consent", NULL};
  for (const char **n = names; *n; n++)
    if (!strcmp(*n, cmd)) return 1;
  return 0;
}

int kf_cli_main(int argc, char **argv) {
  kf_api_install(); /* plugins' commands and hooks reach the engine's verbs */
  /* The engine's clock, fixed once here (before any thread starts) from KINFLOW_NOW. */
  kf_err clock_err = {0};
  if (kf_clock_from_env(&clock_err)) {
    fprintf(stderr, "kinflow: %s\n", clock_err.msg);
    return 1;
  }
  /* Analysts' commands parse their own arguments (cli_analysis.c); so do plugins'. */
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--db") || !strncmp(argv[i], "--db=", 5)) {
      i += !strchr(argv[i], '=');
      continue;
    }
    if (!strcmp(argv[i], "report") || !strcmp(argv[i], "script")) return kf_cli_analysis(argc, argv);
    if (kf_cli_is_family(argc, argv, i)) return kf_cli_family(argc, argv, i);
    if (kf_cli_is_records(argc, argv, i)) return kf_cli_records(argc, argv, i);
    if (kf_cli_is_import(argc, argv, i)) return kf_cli_import(argc, argv, i);
    if (!strcmp(argv[i], "migrate")) return kf_cli_migrate(argc, argv, i);
    if (!strcmp(argv[i], "backup") || !strcmp(argv[i], "restore")) return kf_cli_backup(argc, argv, i);
    if (!strcmp(argv[i], "db")) return kf_cli_dbcopy(argc, argv, i);
    if (argv[i][0] != '-' && !builtin(argv[i])) {
      args pa = {0};
      for (int k = 1; k < i; k++) {
        if (!strncmp(argv[k], "--db=", 5)) pa.db = argv[k] + 5;
        else if (!strcmp(argv[k], "--db") && k + 1 < i) pa.db = argv[++k];
      }
      pa.pos[pa.npos++] = argv[i];
      return plugin_command(&pa, argc, argv);
    }
    break;
  }
  args a = {0};
  int rc = parse(argc, argv, &a);
  if (rc) return rc;
  if (a.npos == 0) return usage(NULL);
  const char *cmd = a.pos[0];
  if (!strcmp(cmd, "init")) return cmd_init(&a);
  if (!strcmp(cmd, "check")) return cmd_check(&a);
  if (!strcmp(cmd, "deploy")) return cmd_deploy(&a);
  if (!strcmp(cmd, "workflows") || !strcmp(cmd, "definitions")) return cmd_workflows(&a);
  if (!strcmp(cmd, "case")) return cmd_case(&a);
  if (!strcmp(cmd, "form")) return cmd_form(&a);
  if (!strcmp(cmd, "audit")) return cmd_audit(&a);
  if (!strcmp(cmd, "timers")) return cmd_timers(&a);
  if (!strcmp(cmd, "plugins")) return cmd_plugins(&a);
  if (!strcmp(cmd, "test")) return cmd_test(&a);
  if (!strcmp(cmd, "diagram")) return cmd_diagram(&a);
  if (!strcmp(cmd, "help")) {
    fputs(USAGE, stdout);
    return 0;
  }
  if (!strcmp(cmd, "rule")) return cmd_rule(&a);
  if (!strcmp(cmd, "team")) return cmd_team(&a);
  if (!strcmp(cmd, "consent")) return cmd_consent(&a);
  return plugin_command(&a, argc, argv);
}
