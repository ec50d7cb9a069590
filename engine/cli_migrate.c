/* cli_migrate.c: `kinflow migrate plan|check|run WORKFLOW --to VERSION [--plan FILE] | undo ID
 * | list`: moving open cases to another version of their programme, as the database's owner.
 * It parses its own arguments and prints what migrate.c decides; it decides nothing itself.
 * Exit status 0 done, 1 refused (one line on stderr), 2 usage. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "migrate.h"

#define USAGE                                                                                  \
  "usage: kinflow migrate plan WORKFLOW --to VERSION [--plan FILE] [--json]\n"                 \
  "         the plan: each state of the open cases' versions and where it goes\n"             \
  "       kinflow migrate check WORKFLOW --to VERSION [--plan FILE] [--json]\n"                \
  "         a dry run: what would happen to each open case; writes nothing\n"                  \
  "       kinflow migrate run WORKFLOW --to VERSION [--plan FILE] [--json]\n"                  \
  "         move every case that can move (an event each); prints the migration's id\n"      \
  "       kinflow migrate undo ID [--json]   put back the cases nothing happened to since\n"   \
  "       kinflow migrate list [--json]      migrations and their state\n"

static int usage(const char *why) {
  if (why) fprintf(stderr, "kinflow: %s\n", why);
  fputs(USAGE, stderr);
  return 2;
}

typedef struct opts {
  const char *db, *actor, *to, *plan;
  int json, npos;
  const char *pos[4];
} opts;

static int parse(int argc, char **argv, int at, opts *o) {
  for (int i = 1; i < argc; i++) {
    if (i == at) continue; /* "migrate" itself */
    const char *a = argv[i];
    const char **slot = NULL;
    if (!strcmp(a, "--json")) {
      o->json = 1;
      continue;
    }
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) return usage(NULL);
    static const char *names[] = {"--db", "--actor", "--to", "--plan"};
    const char **slots[] = {&o->db, &o->actor, &o->to, &o->plan};
    for (int k = 0; k < 4 && !slot; k++) {
      size_t n = strlen(names[k]);
      if (strncmp(a, names[k], n)) continue;
      if (a[n] == '=') {
        *slots[k] = a + n + 1;
        slot = slots[k];
      } else if (!a[n]) {
        if (i + 1 >= argc) {
          char m[64];
          snprintf(m, sizeof m, "%s needs a value", names[k]);
          return usage(m);
        }
        *slots[k] = argv[++i];
        slot = slots[k];
      }
    }
    if (slot) continue;
    if (!strncmp(a, "--", 2)) {
      char m[200];
      snprintf(m, sizeof m, "unknown option %.100s", a);
      return usage(m);
    }
    if (o->npos >= 4) return usage("too many arguments");
    o->pos[o->npos++] = a;
  }
  return 0;
}

static const char *actor_of(const opts *o) { return kf_cli_actor(o->actor); }

static const char *js(json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : "";
}
static long long ji(json_t *o, const char *k) { return (long long)json_integer_value(json_object_get(o, k)); }

static const char *plural(long long n) { return n == 1 ? "" : "s"; }

/* A positive whole number, or 0. */
static long long whole(const char *s) {
  char *end = NULL;
  long long n = s ? strtoll(s, &end, 10) : 0;
  return s && *s && !*end && n > 0 ? n : 0;
}

/* Each adaptation of the workflow: where it goes, or why it cannot. */
static void print_adaptations(json_t *p) {
  size_t i;
  json_t *a;
  json_array_foreach(json_object_get(p, "adaptations"), i, a) {
    printf("adaptation %s v%lld -> %s v%lld, re-applied on %s v%lld", js(a, "workflow"), ji(a, "from_version"),
           js(a, "workflow"), ji(a, "to_version"), js(p, "workflow"), ji(p, "to_version"));
    if (*js(a, "problem")) printf(": cannot: %s\n", js(a, "problem"));
    else printf("%s\n", json_is_true(json_object_get(a, "deploys")) ? " (the run deploys it)" : " (deployed already)");
  }
}

static void print_plan(const opts *o, json_t *p) {
  printf("%s -> v%lld (plan: %s; hash %.12s)\n", js(p, "workflow"), ji(p, "to_version"),
         o->plan ? o->plan : "default, states by name", js(p, "plan_hash"));
  size_t i, k;
  json_t *f, *s;
  if (!json_array_size(json_object_get(p, "from")))
    printf("no open case of %s is on another version: nothing to move\n", js(p, "workflow"));
  json_array_foreach(json_object_get(p, "from"), i, f) {
    long long total = 0;
    json_array_foreach(json_object_get(f, "states"), k, s) total += ji(s, "cases");
    if (*js(f, "workflow"))
      printf("from %s v%lld (adapts %s; to %s v%lld, re-applied on v%lld) (%lld open case%s):\n",
             js(f, "workflow"), ji(f, "version"), js(p, "workflow"), js(f, "workflow"), ji(f, "to_version"),
             ji(p, "to_version"), total, plural(total));
    else printf("from v%lld (%lld open case%s):\n", ji(f, "version"), total, plural(total));
    if (*js(f, "problem")) {
      printf("  cannot move: %s\n", js(f, "problem"));
      continue;
    }
    json_array_foreach(json_object_get(f, "states"), k, s) {
      const char *to = js(s, "to");
      printf("  %-22s -> %-22s %-12s %lld case%s\n", js(s, "state"), *to ? to : "(unmapped)",
             *to ? (!strcmp(js(s, "by"), "plan") ? "(the plan)" : "(same name)") : "",
             ji(s, "cases"), plural(ji(s, "cases")));
    }
  }
  json_array_foreach(json_object_get(p, "unmapped"), i, s)
    printf("unmapped: %s%sv%lld %s (%lld case%s)\n", js(s, "workflow"), *js(s, "workflow") ? " " : "",
           ji(s, "version"), js(s, "state"), ji(s, "cases"), plural(ji(s, "cases")));
  print_adaptations(p);
  if (json_is_true(json_object_get(p, "data"))) puts("data: the plan's data function runs on each case");
}

static void print_reasons(json_t *reasons) {
  size_t i;
  json_t *r;
  json_array_foreach(reasons, i, r) printf("%s%s", i ? "; " : "", js(r, "text"));
}

/* "; roles gone in vN: a, b" when moves from the case's state name roles vN lacks. */
static void print_roles_gone(json_t *c, long long to_version) {
  size_t i;
  json_t *r;
  json_array_foreach(json_object_get(c, "roles_gone"), i, r) {
    if (!i) printf("; roles gone in v%lld: ", to_version);
    printf("%s%s", i ? ", " : "", json_string_value(r));
  }
}

static void print_case(json_t *c, long long to_version) {
  printf("case %lld", ji(c, "case"));
  if (*js(c, "ref")) printf(" (%s)", js(c, "ref"));
  json_t *adapts = json_object_get(c, "adapts");
  if (adapts) printf(": %s v%lld %s", js(c, "workflow"), ji(c, "from_version"), js(c, "from"));
  else printf(": v%lld %s", ji(c, "from_version"), js(c, "from"));
  if (!strcmp(js(c, "outcome"), "move") && adapts)
    printf(" -> %s v%lld %s: would move (%s re-applied on %s v%lld)", js(c, "workflow"), ji(c, "to_version"),
           js(c, "to"), js(c, "workflow"), js(adapts, "workflow"), ji(adapts, "version"));
  else if (!strcmp(js(c, "outcome"), "move")) printf(" -> v%lld %s: would move", to_version, js(c, "to"));
  else {
    fputs(": cannot move: ", stdout);
    print_reasons(json_object_get(c, "reasons"));
  }
  json_t *closes = json_object_get(c, "closes");
  if (closes && !strcmp(js(c, "outcome"), "move"))
    printf("; moves into final state '%s': the case will close", js(closes, "state"));
  print_roles_gone(c, to_version);
  json_t *ch = json_object_get(c, "changes"), *x;
  size_t i;
  json_array_foreach(json_object_get(ch, "timers"), i, x) {
    printf("%s timer %s %s", i ? "," : "; timers:", js(x, "timer"), js(x, "change"));
    if (*js(x, "due")) printf(" (due %s)", js(x, "due"));
    if (json_is_true(json_object_get(x, "due_now"))) fputs(" DUE AT ONCE", stdout);
  }
  json_array_foreach(json_object_get(ch, "moves"), i, x) {
    printf("%s %s becomes %s", i ? "," : "; moves:", js(x, "move"), js(x, "change"));
    if (json_array_size(json_object_get(x, "reasons"))) {
      fputs(" (", stdout);
      size_t k;
      json_t *r;
      json_array_foreach(json_object_get(x, "reasons"), k, r) printf("%s%s", k ? "; " : "", json_string_value(r));
      fputs(")", stdout);
    }
  }
  putchar('\n');
}

static void progress(int64_t done, int64_t total, void *ud) {
  (void)ud;
  if (done > 0 && total >= 200) fprintf(stderr, "kinflow: migrate: %lld of %lld cases\n", (long long)done, (long long)total);
}

int kf_cli_migrate(int argc, char **argv, int at) {
  opts o = {0};
  int rc = parse(argc, argv, at, &o);
  if (rc) return rc;
  const char *sub = o.npos ? o.pos[0] : "";
  int with_target = !strcmp(sub, "plan") || !strcmp(sub, "check") || !strcmp(sub, "run");
  long long to = 0, id = 0;
  if (with_target) {
    if (o.npos != 2) return usage("migrate plan|check|run WORKFLOW --to VERSION [--plan FILE]");
    if (!o.to) return usage("migrate: say which version to move to (--to VERSION)");
    if (!(to = whole(o.to))) return usage("migrate: --to takes a version number (e.g. --to 2)");
  } else if (!strcmp(sub, "undo")) {
    if (o.npos != 2 || !(id = whole(o.pos[1]))) return usage("migrate undo ID (a migration's id: see `kinflow migrate list`)");
  } else if (!strcmp(sub, "list")) {
    if (o.npos != 1) return usage("migrate list");
  } else {
    return usage(o.npos ? "migrate: plan, check, run, undo or list" : NULL);
  }
  kf_err err = {0};
  kf_engine *e = kf_engine_open(kf_cli_db(o.db), KF_STORE_NOCREATE, &err);
  if (!e) {
    fprintf(stderr, "kinflow: %s\n", err.msg);
    return 1;
  }
  json_t *res = NULL;
  const char *wf = with_target ? o.pos[1] : NULL;
  if (!strcmp(sub, "plan")) res = kf_migrate_plan(e, wf, to, o.plan, NULL, &err);
  else if (!strcmp(sub, "check")) res = kf_migrate_check(e, wf, to, o.plan, NULL, &err);
  else if (!strcmp(sub, "run"))
    res = kf_migrate_run(e, wf, to, o.plan, NULL, actor_of(&o), progress, NULL, &err);
  else if (!strcmp(sub, "undo")) res = kf_migrate_undo(e, id, actor_of(&o), &err);
  else res = kf_migrate_list(e, &err);
  kf_engine_close(e);
  if (!res) {
    fprintf(stderr, "kinflow: %s\n", err.msg);
    return 1;
  }
  size_t i;
  json_t *x;
  if (o.json) kf_cli_print_json(res);
  else if (!strcmp(sub, "plan")) print_plan(&o, res);
  else if (!strcmp(sub, "check")) {
    json_array_foreach(json_object_get(res, "cases"), i, x) print_case(x, to);
    json_t *t = json_object_get(res, "totals");
    printf("totals: %lld case%s: %lld would move, %lld cannot; %lld with a timer due at once, "
           "%lld with moves that become blocked, %lld with roles gone, %lld that will close\n",
           ji(t, "cases"), plural(ji(t, "cases")), ji(t, "move"), ji(t, "cannot"), ji(t, "due_now"),
           ji(t, "blocked"), ji(t, "roles_gone"), ji(t, "closing"));
    if (ji(t, "adapted"))
      printf("%lld of the cases are of adaptations of %s\n", ji(t, "adapted"), js(res, "workflow"));
  } else if (!strcmp(sub, "run")) {
    json_array_foreach(json_object_get(res, "left"), i, x) {
      printf("case %lld stays", ji(x, "case"));
      if (*js(x, "from")) printf(" at %s", js(x, "from"));
      fputs(": ", stdout);
      print_reasons(json_object_get(x, "reasons"));
      print_roles_gone(x, to);
      putchar('\n');
    }
    json_array_foreach(json_object_get(res, "adaptations"), i, x) {
      if (*js(x, "problem")) printf("adaptation %s: cannot: %s\n", js(x, "workflow"), js(x, "problem"));
      else if (json_is_true(json_object_get(x, "deploys")))
        printf("adaptation %s re-applied on %s v%lld: deployed as %s v%lld\n", js(x, "workflow"),
               js(res, "workflow"), ji(res, "to_version"), js(x, "workflow"), ji(x, "to_version"));
    }
    json_t *c = json_object_get(res, "counts");
    printf("migration %lld: %lld case%s moved to %s v%lld, %lld left\n", ji(res, "migration"),
           ji(c, "moved"), plural(ji(c, "moved")), js(res, "workflow"), ji(res, "to_version"), ji(c, "left"));
  } else if (!strcmp(sub, "undo")) {
    json_array_foreach(json_object_get(res, "undone"), i, x)
      printf("case %lld back at %s\n", ji(x, "case"), js(x, "to"));
    json_array_foreach(json_object_get(res, "left"), i, x)
      printf("case %lld left at %s: %s\n", ji(x, "case"), js(x, "state"), js(x, "reason"));
    printf("migration %lld undone: %zu case%s put back, %zu left\n", ji(res, "migration"),
           json_array_size(json_object_get(res, "undone")),
           plural((long long)json_array_size(json_object_get(res, "undone"))),
           json_array_size(json_object_get(res, "left")));
  } else {
    if (!json_array_size(res)) puts("no migrations yet (kinflow migrate run WORKFLOW --to VERSION)");
    json_array_foreach(res, i, x) {
      json_t *c = json_object_get(x, "counts");
      printf("%-4lld %s -> v%lld  %-8s %lld moved, %lld left", ji(x, "id"), js(x, "workflow"),
             ji(x, "to_version"), js(x, "state"), ji(x, "migrated"), ji(c, "left"));
      if (ji(x, "undone")) printf(", %lld undone", ji(x, "undone"));
      printf("  by %s at %s  plan %.12s\n", js(x, "by"), js(x, "started_at"), js(x, "plan_hash"));
    }
  }
  json_decref(res);
  return 0;
}
