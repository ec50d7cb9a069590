/* cli_family.c: `kinflow decision record|list` (shared decisions) and `kinflow user add
 * LOGIN --family CASE --member ID --password-stdin` (a family account: staff accounts are
 * the console plugin's `user add`). It parses its own arguments (--member and --staff
 * repeat) and calls the engine's verbs as the database's owner; it decides nothing itself.
 * Exit status 0 done, 1 refused (one line on stderr), 2 usage. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "cli.h"
#include "kf_plugin.h"

#define USAGE                                                                               \
  "usage: kinflow decision record CASE [--for TRANSITION] --decided TEXT\n"                 \
  "                 --family-agreed yes|no --member ID[=VIEW]... [--staff LOGIN[=VIEW]...]\n" \
  "       kinflow decision list CASE [--json]\n"                                           \
  "       kinflow user add LOGIN --family CASE --member ID --password-stdin\n"             \
  "         a family account: a sign-in bound to one member of one case\n"

static int usage(const char *why) {
  if (why) fprintf(stderr, "kinflow: %s\n", why);
  fputs(USAGE, stderr);
  return 2;
}

/* Run verb as the owner; prints the refusal and returns NULL when it fails. */
static json_t *call(const char *db, const char *verb, json_t *args, const char *what) {
  kf_err err = {0};
  kf_session *s = kf_session_open(db, &err);
  json_t *res = NULL;
  if (s) {
    int status = 0;
    res = kf_session_call(s, verb, args, &status, &err);
    kf_session_close(s);
  }
  if (!res) fprintf(stderr, "kinflow: %s: %s\n", what, err.msg);
  json_decref(args);
  return res;
}

/* "ID=VIEW" or "ID" as a participant {key: ID, view?: VIEW}; NULL when ID is not a
 * whole number (key "member"). */
static json_t *participant(const char *key, const char *text) {
  const char *eq = strchr(text, '=');
  size_t n = eq ? (size_t)(eq - text) : strlen(text);
  char id[128];
  if (!n || n >= sizeof id) return NULL;
  memcpy(id, text, n);
  id[n] = 0;
  json_t *p;
  if (!strcmp(key, "member")) {
    char *end = NULL;
    long long v = strtoll(id, &end, 10);
    if (*end || v <= 0) return NULL;
    p = json_pack("{s:I}", "member", (json_int_t)v);
  } else {
    p = json_pack("{s:s}", "login", id);
  }
  if (eq) json_object_set_new(p, "view", json_string(eq + 1));
  return p;
}

static void print_decision(const json_t *d) {
  const char *tfor = json_string_value(json_object_get(d, "for"));
  printf("decision %lld  %s  %s%s%s  family agreed: %s\n  %s\n",
         (long long)json_integer_value(json_object_get(d, "id")),
         json_string_value(json_object_get(d, "recorded_at")), tfor ? "for '" : "(no move)",
         tfor ? tfor : "", tfor ? "'" : "", json_is_true(json_object_get(d, "family_agreed")) ? "yes" : "no",
         json_string_value(json_object_get(d, "decided")));
  size_t i;
  json_t *p;
  json_array_foreach(json_object_get(d, "participants"), i, p) {
    const char *view = json_string_value(json_object_get(p, "view"));
    printf("  - %s (%s)%s%s\n", json_string_value(json_object_get(p, "name")),
           json_string_value(json_object_get(p, "role")), view ? ": " : "", view ? view : "");
  }
}

static int decision_cmd(const char *db, int argc, char **argv, int at) {
  const char *sub = at + 1 < argc ? argv[at + 1] : "";
  int record = !strcmp(sub, "record"), json_out = 0;
  if (!record && strcmp(sub, "list")) return usage("decision record|list CASE");
  const char *cs = NULL, *tfor = NULL, *decided = NULL, *agreed = NULL, *actor = NULL, *v = NULL;
  json_t *parts = json_array();
  for (int i = at + 2; i < argc; i++) {
    int r;
    char m[200];
    if (!strcmp(argv[i], "--json")) json_out = 1;
    else if ((r = kf_cli_flag(argc, argv, &i, "--db", &v))) { if (r < 0) goto missing; }
    else if (record && (r = kf_cli_flag(argc, argv, &i, "--for", &tfor))) { if (r < 0) goto missing; }
    else if (record && (r = kf_cli_flag(argc, argv, &i, "--decided", &decided))) { if (r < 0) goto missing; }
    else if (record && (r = kf_cli_flag(argc, argv, &i, "--family-agreed", &agreed))) { if (r < 0) goto missing; }
    else if ((r = kf_cli_flag(argc, argv, &i, "--actor", &actor))) { if (r < 0) goto missing; }
    else if (record && ((r = kf_cli_flag(argc, argv, &i, "--member", &v)) ||
                        (r = kf_cli_flag(argc, argv, &i, "--staff", &v)))) {
      if (r < 0) goto missing;
      int staff = !strncmp(argv[i - (strchr(argv[i], '=') && argv[i][0] == '-' ? 0 : 1)], "--staff", 7);
      json_t *p = participant(staff ? "login" : "member", v);
      if (!p) {
        snprintf(m, sizeof m, "--member takes a member's number (ID or ID=VIEW), not '%s'", v);
        json_decref(parts);
        return usage(m);
      }
      json_array_append_new(parts, p);
    } else if (argv[i][0] != '-' && !cs) cs = argv[i];
    else {
      snprintf(m, sizeof m, "decision: unexpected argument '%s'", argv[i]);
      json_decref(parts);
      return usage(m);
    }
    continue;
  missing:
    snprintf(m, sizeof m, "%s needs a value", argv[i]);
    json_decref(parts);
    return usage(m);
  }
  if (!cs) {
    json_decref(parts);
    return usage("decision: name the case");
  }
  json_t *res;
  if (record) {
    if (!decided || !agreed || (strcmp(agreed, "yes") && strcmp(agreed, "no"))) {
      json_decref(parts);
      return usage("decision record needs --decided TEXT and --family-agreed yes|no");
    }
    json_t *args = json_pack("{s:s,s:s,s:b,s:o,s:s}", "id", cs, "decided", decided, "family_agreed",
                             !strcmp(agreed, "yes"), "participants", parts, "actor", kf_cli_actor(actor));
    if (tfor) json_object_set_new(args, "for", json_string(tfor));
    if (!(res = call(db, "decision.record", args, "decision record"))) return 1;
    if (json_out) kf_cli_print_json(res);
    else printf("decision %lld recorded for case %s\n", (long long)json_integer_value(json_object_get(res, "id")), cs);
  } else {
    json_decref(parts);
    if (!(res = call(db, "decision.list", json_pack("{s:s}", "id", cs), "decision list"))) return 1;
    if (json_out) kf_cli_print_json(res);
    else if (!json_array_size(res)) printf("no shared decisions on case %s\n", cs);
    else {
      size_t i;
      json_t *d;
      json_array_foreach(res, i, d) print_decision(d);
    }
  }
  json_decref(res);
  return 0;
}

/* One line of standard input, without its newline; 0, or -1 when there is none. */
static int read_line(char *buf, size_t len) {
  if (!fgets(buf, (int)len, stdin)) return -1;
  size_t n = strlen(buf);
  while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) buf[--n] = 0;
  return n ? 0 : -1;
}

static int family_user_cmd(const char *db, int argc, char **argv, int at) {
  const char *login = NULL, *fcase = NULL, *member = NULL, *actor = NULL, *v = NULL;
  int stdin_pw = 0, json_out = 0;
  char m[200];
  for (int i = at + 2; i < argc; i++) {
    int r = 0;
    if (!strcmp(argv[i], "--password-stdin")) stdin_pw = 1;
    else if (!strcmp(argv[i], "--json")) json_out = 1;
    else if ((r = kf_cli_flag(argc, argv, &i, "--family", &fcase)) || (r = kf_cli_flag(argc, argv, &i, "--member", &member)) ||
             (r = kf_cli_flag(argc, argv, &i, "--actor", &actor)) || (r = kf_cli_flag(argc, argv, &i, "--db", &v))) {
      if (r < 0) {
        snprintf(m, sizeof m, "%s needs a value", argv[i]);
        return usage(m);
      }
    } else if (argv[i][0] != '-' && !login) login = argv[i];
    else {
      snprintf(m, sizeof m, "user add --family: unexpected argument '%s' (a family account has "
               "no --role, --roles or --team)", argv[i]);
      return usage(m);
    }
  }
  if (!login || !fcase || !member || !stdin_pw)
    return usage("user add LOGIN --family CASE --member ID --password-stdin");
  char *end = NULL;
  long long mid = strtoll(member, &end, 10);
  if (*end || mid <= 0) {
    snprintf(m, sizeof m, "--member takes a member's number, not '%s'", member);
    return usage(m);
  }
  char password[KF_PASSWORD_MAX * 4 + 2];
  if (read_line(password, sizeof password)) {
    fprintf(stderr, "kinflow: user add: no password on standard input (give it on one line)\n");
    return 1;
  }
  json_t *args = json_pack("{s:s,s:s,s:s,s:s,s:I,s:s}", "login", login, "role", "family", "password",
                           password, "family_case", fcase, "family_member", (json_int_t)mid, "actor",
                           kf_cli_actor(actor));
  explicit_bzero(password, sizeof password);
  json_t *res = call(db, "user.add", args, "user add");
  if (!res) return 1;
  json_t *f = json_object_get(res, "family");
  if (json_out) kf_cli_print_json(res);
  else
    printf("user %s added (family account of %s, %s on case %lld)\n", login,
           json_string_value(json_object_get(f, "name")), json_string_value(json_object_get(f, "role")),
           (long long)json_integer_value(json_object_get(f, "case")));
  json_decref(res);
  return 0;
}

int kf_cli_family(int argc, char **argv, int at) {
  const char *db = NULL;
  for (int i = 1; i < argc; i++) {
    const char *v = NULL;
    int r = kf_cli_flag(argc, argv, &i, "--db", &v);
    if (r < 0) return usage("--db needs a value");
    if (r > 0) db = v;
  }
  db = kf_cli_db(db);
  if (!strcmp(argv[at], "decision")) return decision_cmd(db, argc, argv, at);
  return family_user_cmd(db, argc, argv, at);
}

int kf_cli_is_family(int argc, char **argv, int at) {
  if (!strcmp(argv[at], "decision")) return 1;
  if (strcmp(argv[at], "user") || at + 1 >= argc || strcmp(argv[at + 1], "add")) return 0;
  for (int i = at + 2; i < argc; i++)
    if (!strcmp(argv[i], "--family") || !strncmp(argv[i], "--family=", 9)) return 1;
  return 0;
}
