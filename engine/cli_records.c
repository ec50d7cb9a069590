/* cli_records.c: `kinflow case member end`, `kinflow case link|links` and `kinflow setting
 * set|list`: practice's records of a case, and the agency's settings. It parses its own
 * arguments and calls the engine's verbs as the database's owner; it decides nothing itself.
 * Exit status 0 done, 1 refused (one line on stderr), 2 usage. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "cli.h"

#define USAGE                                                                               \
  "usage: kinflow case member end CASE MEMBER --reason TEXT [--on DATE]\n"                  \
  "         a member leaves the case (kept in its history; their family account disabled)\n" \
  "       kinflow case link CASE OTHER --as sibling|continues [--reason TEXT]\n"            \
  "         continues: CASE continues OTHER (e.g. a referral after a child entered care)\n" \
  "       kinflow case links CASE [--json]\n"                                              \
  "       kinflow setting list [--json] | setting set NAME VALUE   the agency's settings\n"

static int usage(const char *why) {
  if (why) fprintf(stderr, "kinflow: %s\n", why);
  fputs(USAGE, stderr);
  return 2;
}

typedef struct opts {
  const char *db, *actor, *reason, *on, *as;
  int json;
  int npos;
  const char *pos[8];
} opts;

/* Every argument but the program's name. 0, or 2 after saying what is wrong. */
static int parse(int argc, char **argv, opts *o) {
  static const struct {
    const char *name;
    size_t off;
  } flags[] = {{"--db", offsetof(opts, db)},         {"--actor", offsetof(opts, actor)},
               {"--reason", offsetof(opts, reason)}, {"--on", offsetof(opts, on)},
               {"--as", offsetof(opts, as)}};
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--json")) {
      o->json = 1;
      continue;
    }
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return usage(NULL);
    if (!strncmp(argv[i], "--", 2)) {
      int known = 0;
      for (size_t k = 0; k < sizeof flags / sizeof flags[0] && !known; k++) {
        const char *v = NULL;
        int r = kf_cli_flag(argc, argv, &i, flags[k].name, &v);
        if (r < 0) {
          char m[80];
          snprintf(m, sizeof m, "%s needs a value", flags[k].name);
          return usage(m);
        }
        if (r) {
          *(const char **)((char *)o + flags[k].off) = v;
          known = 1;
        }
      }
      if (!known) {
        char m[200];
        snprintf(m, sizeof m, "unknown option %.100s", argv[i]);
        return usage(m);
      }
      continue;
    }
    if (o->npos >= 8) return usage("too many arguments");
    o->pos[o->npos++] = argv[i];
  }
  return 0;
}

static const char *actor_of(const opts *o) { return kf_cli_actor(o->actor); }

static const char *js(json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : "";
}

/* Run verb as the owner (takes args); prints the refusal and returns NULL when it fails. */
static json_t *call(const opts *o, const char *verb, json_t *args) {
  kf_err err = {0};
  kf_session *s = kf_session_open(kf_cli_db(o->db), &err);
  json_t *res = NULL;
  if (s) {
    int status = 0;
    res = kf_session_call(s, verb, args, &status, &err);
    kf_session_close(s);
  }
  if (!res) fprintf(stderr, "kinflow: %s\n", err.msg);
  json_decref(args);
  return res;
}

/* A case named on the command line: a number, or a ref. */
static json_t *case_arg(const char *text) {
  char *end = NULL;
  long long n = strtoll(text, &end, 10);
  if (*text && !*end && n > 0) return json_integer(n);
  return json_string(text);
}

static void print_link(json_t *l) {
  long long other = (long long)json_integer_value(json_object_get(l, "case"));
  const char *as = js(l, "as"), *dir = js(l, "direction");
  if (!strcmp(as, "continues"))
    printf("%s case %-6lld", !strcmp(dir, "to") ? "continues   " : "continued by", other);
  else
    printf("sibling      case %-6lld", other);
  if (*js(l, "ref")) printf(" (ref %s)", js(l, "ref"));
  if (*js(l, "workflow")) printf(" %s at %s", js(l, "workflow"), js(l, "state"));
  if (*js(l, "linked_at")) printf("  linked %.10s by %s", js(l, "linked_at"), js(l, "linked_by"));
  putchar('\n');
}

static int member_end(const opts *o) {
  if (o->npos != 5) return usage("case member end CASE MEMBER --reason TEXT [--on DATE]");
  char *end = NULL;
  long long member = strtoll(o->pos[4], &end, 10);
  if (member <= 0 || *end)
    return usage("case member end CASE MEMBER: MEMBER is the member's id (see `kinflow case members CASE`)");
  if (!o->reason) return usage("case member end needs --reason TEXT: why the member leaves the case");
  json_t *res = call(o, "case.member_end",
                     json_pack("{s:o,s:I,s:s,s:s?,s:s}", "id", case_arg(o->pos[3]), "member",
                               (json_int_t)member, "reason", o->reason, "on", o->on, "actor",
                               actor_of(o)));
  if (!res) return 1;
  if (o->json) kf_cli_print_json(res);
  else {
    size_t i;
    json_t *m;
    json_array_foreach(res, i, m) {
      if (json_integer_value(json_object_get(m, "id")) != member) continue;
      printf("case %s: member %lld (%s, %s) left on %s: %s\n", o->pos[3], member, js(m, "name"),
             js(m, "role"), js(m, "ended_at"), js(m, "ended_reason"));
    }
  }
  json_decref(res);
  return 0;
}

static int link_cases(const opts *o) {
  if (o->npos != 4 || !o->as) return usage("case link CASE OTHER --as sibling|continues [--reason TEXT]");
  json_t *res = call(o, "case.link",
                     json_pack("{s:o,s:o,s:s,s:s?,s:s}", "id", case_arg(o->pos[2]), "other",
                               case_arg(o->pos[3]), "as", o->as, "reason", o->reason, "actor",
                               actor_of(o)));
  if (!res) return 1;
  if (o->json) kf_cli_print_json(res);
  else if (!strcmp(o->as, "continues")) printf("case %s continues case %s\n", o->pos[2], o->pos[3]);
  else printf("case %s linked to case %s as %s\n", o->pos[2], o->pos[3], o->as);
  json_decref(res);
  return 0;
}

static int list_links(const opts *o) {
  if (o->npos != 3) return usage("case links CASE");
  json_t *res = call(o, "case.links", json_pack("{s:o}", "id", case_arg(o->pos[2])));
  if (!res) return 1;
  if (o->json) kf_cli_print_json(res);
  else {
    size_t i;
    json_t *l;
    if (!json_array_size(res))
      printf("case %s: no linked cases (kinflow case link CASE OTHER --as sibling|continues)\n", o->pos[2]);
    json_array_foreach(res, i, l) print_link(l);
  }
  json_decref(res);
  return 0;
}

static void print_value(json_t *v) {
  if (!v || json_is_null(v)) {
    fputs("-", stdout);
    return;
  }
  if (json_is_string(v)) {
    fputs(json_string_value(v), stdout);
    return;
  }
  char *s = json_dumps(v, JSON_ENCODE_ANY);
  fputs(s ? s : "?", stdout);
  free(s);
}

static void print_setting(json_t *s) {
  json_t *value = json_object_get(s, "value");
  printf("%-24s ", js(s, "name"));
  print_value(json_is_null(value) ? json_object_get(s, "default") : value);
  fputs(json_is_null(value) ? " (the default)" : " (set", stdout);
  if (!json_is_null(value)) {
    printf(" %.10s by %s; default ", js(s, "set_at"), js(s, "set_by"));
    print_value(json_object_get(s, "default"));
    putchar(')');
  }
  if (*js(s, "label")) printf("  %s", js(s, "label"));
  json_t *progs = json_object_get(s, "programmes");
  if (json_array_size(progs)) {
    fputs("  [", stdout);
    size_t i;
    json_t *p;
    json_array_foreach(progs, i, p) printf("%s%s", i ? ", " : "", json_string_value(p));
    putchar(']');
  } else {
    fputs("  (no deployed programme declares it now)", stdout);
  }
  putchar('\n');
}

static int settings(const opts *o) {
  const char *sub = o->npos > 1 ? o->pos[1] : "";
  json_t *res = NULL;
  if (!strcmp(sub, "list") && o->npos == 2) {
    if (!(res = call(o, "setting.list", json_object()))) return 1;
    if (o->json) kf_cli_print_json(res);
    else {
      size_t i;
      json_t *s;
      if (!json_array_size(res)) puts("no settings: no deployed programme declares one");
      json_array_foreach(res, i, s) print_setting(s);
    }
  } else if (!strcmp(sub, "set") && o->npos == 4) {
    res = call(o, "setting.set", json_pack("{s:s,s:s,s:s}", "name", o->pos[2], "value", o->pos[3],
                                           "actor", actor_of(o)));
    if (!res) return 1;
    if (o->json) kf_cli_print_json(res);
    else print_setting(res);
  } else {
    return usage("setting list | setting set NAME VALUE");
  }
  json_decref(res);
  return 0;
}

int kf_cli_is_records(int argc, char **argv, int at) {
  if (!strcmp(argv[at], "setting")) return 1;
  if (strcmp(argv[at], "case") || at + 1 >= argc) return 0;
  const char *sub = argv[at + 1];
  if (!strcmp(sub, "link") || !strcmp(sub, "links")) return 1;
  return !strcmp(sub, "member") && at + 2 < argc && !strcmp(argv[at + 2], "end");
}

int kf_cli_records(int argc, char **argv, int at) {
  (void)at;
  opts o = {0};
  int rc = parse(argc, argv, &o);
  if (rc) return rc;
  if (o.npos < 1) return usage(NULL);
  if (!strcmp(o.pos[0], "setting")) return settings(&o);
  if (o.npos > 1 && !strcmp(o.pos[1], "member")) return member_end(&o);
  if (o.npos > 1 && !strcmp(o.pos[1], "links")) return list_links(&o);
  return link_cases(&o);
}
