/* user.c: the `kinflow user` command: add a person who signs in to the console (the
 * password from standard input, never from the command line; their teams with --team) and
 * list them. It reaches the engine's user.add and user.list verbs only; it serves no HTTP. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include "console.h"

static int user_usage(const char *why) {
  if (why) fprintf(stderr, "kinflow: user: %s\n", why);
  fprintf(stderr,
          "usage: kinflow user add LOGIN --role ROLE --password-stdin [--roles R1,R2,...]\n"
          "                        [--team NAME ...]\n"
          "       kinflow user list [--json]\n"
          "  ROLE: admin, supervisor, caseworker, analyst or viewer\n"
          "  --roles: workflow roles the user may act as (family_link, or coparenthood:family_link\n"
          "           for one programme); a caseworker without them acts as caseworker\n"
          "  --team: a team the user belongs to (kinflow team add NAME first); repeatable\n");
  return 2;
}

/* One line from stdin, without its newline; with the terminal's echo off when it is one. */
static int read_password(char *buf, size_t len) {
  struct termios t, quiet;
  int tty = isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &t);
  if (tty) {
    fprintf(stderr, "password: ");
    quiet = t;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  int ok = fgets(buf, (int)len, stdin) != NULL;
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &t);
    fprintf(stderr, "\n");
  }
  if (!ok) return -1;
  size_t n = strlen(buf);
  if (n == len - 1 && buf[n - 1] != '\n') return -2;
  while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) buf[--n] = 0;
  return n ? 0 : -1;
}

static const char *cli_actor(void) {
  const char *a = getenv("KINFLOW_ACTOR");
  if (!a || !*a) a = getenv("USER");
  return a && *a ? a : "cli";
}

static void print_json(const json_t *v) {
  char *t = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS);
  printf("%s\n", t ? t : "null");
  free(t);
}

/* user add: the verb's arguments (the password read from stdin), or NULL after saying why. */
static json_t *add_args(const char *login, const char *role, const char *roles,
                        json_t *teams) {
  /* Room for KF_PASSWORD_MAX characters of 4 bytes: a longer line is surely too long;
   * the engine counts the characters of the rest. */
  char password[KF_PASSWORD_MAX * 4 + 2];
  int pr = read_password(password, sizeof password);
  if (pr) {
    if (pr == -2) fprintf(stderr, "kinflow: user: a password has at most %d characters\n", KF_PASSWORD_MAX);
    else fprintf(stderr, "kinflow: user: no password on standard input (give it on one line)\n");
    explicit_bzero(password, sizeof password);
    return NULL;
  }
  json_t *args = json_pack("{s:s,s:s,s:s,s:s}", "login", login, "role", role, "password",
                           password, "actor", cli_actor());
  explicit_bzero(password, sizeof password);
  if (args && roles) {
    json_t *list = json_array();
    char copy[1024], *save = NULL;
    snprintf(copy, sizeof copy, "%s", roles);
    for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
      json_array_append_new(list, json_string(t));
    json_object_set_new(args, "roles", list);
  }
  if (args && json_array_size(teams)) json_object_set(args, "teams", teams);
  return args;
}

static void print_added(const char *login, const char *role, const json_t *res) {
  printf("user %s added (role %s", login, role);
  if (json_array_size(json_object_get(res, "roles"))) {
    char *t = json_dumps(json_object_get(res, "roles"), JSON_COMPACT);
    printf("; acts as %s", t ? t : "?");
    free(t);
  }
  if (json_array_size(json_object_get(res, "teams"))) {
    char *t = json_dumps(json_object_get(res, "teams"), JSON_COMPACT);
    printf("; teams %s", t ? t : "?");
    free(t);
  }
  printf(")\n");
}

/* A list of names as "a,b", or "-" when there are none. */
static void names(const json_t *list, char *out, size_t len) {
  size_t i, used = 0;
  json_t *v;
  out[0] = 0;
  json_array_foreach(list, i, v) {
    const char *s = json_string_value(v);
    if (s && used < len) used += (size_t)snprintf(out + used, len - used, "%s%s", i ? "," : "", s);
  }
  if (!out[0]) snprintf(out, len, "-");
}

static void print_users(const json_t *res) {
  size_t i;
  json_t *u;
  printf("%-24s %-11s %-30s %-24s %-21s %s\n", "LOGIN", "ROLE", "ACTS AS", "TEAMS", "CREATED",
         "LAST SIGN-IN");
  json_array_foreach(res, i, u) {
    char roles[512], teams[512];
    names(json_object_get(u, "roles"), roles, sizeof roles);
    names(json_object_get(u, "teams"), teams, sizeof teams);
    const json_t *fam = json_object_get(u, "family"); /* a family account: whose, on which case */
    if (json_is_object(fam))
      snprintf(roles, sizeof roles, "%s, member %lld of case %lld",
               json_string_value(json_object_get(fam, "role")),
               (long long)json_integer_value(json_object_get(fam, "member")),
               (long long)json_integer_value(json_object_get(fam, "case")));
    const char *last = json_string_value(json_object_get(u, "last_login"));
    printf("%-24s %-11s %-30s %-24s %-21s %s\n", json_string_value(json_object_get(u, "login")),
           json_string_value(json_object_get(u, "role")), roles, teams,
           json_string_value(json_object_get(u, "created_at")), last ? last : "never");
  }
}

int user_cmd(int argc, char **argv) {
  if (argc < 2) return user_usage(NULL);
  int json_out = 0, stdin_pw = 0;
  const char *login = NULL, *role = NULL, *roles = NULL;
  json_t *teams = json_array();
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    if (is(a, "--json")) json_out = 1;
    else if (is(a, "--password-stdin")) stdin_pw = 1;
    else if (is(a, "--role") && i + 1 < argc) role = argv[++i];
    else if (!strncmp(a, "--role=", 7)) role = a + 7;
    else if (is(a, "--roles") && i + 1 < argc) roles = argv[++i];
    else if (!strncmp(a, "--roles=", 8)) roles = a + 8;
    else if (is(a, "--team") && i + 1 < argc) json_array_append_new(teams, json_string(argv[++i]));
    else if (!strncmp(a, "--team=", 7)) json_array_append_new(teams, json_string(a + 7));
    else if (a[0] != '-' && !login) login = a;
    else {
      char m[300];
      snprintf(m, sizeof m, "unexpected argument '%s'", a);
      json_decref(teams);
      return user_usage(m);
    }
  }
  int add = is(argv[1], "add");
  const char *why = !add && !is(argv[1], "list") ? ""
                    : add && (!login || !role || !stdin_pw)
                        ? "add needs LOGIN, --role ROLE and --password-stdin"
                    : !add && (login || role || roles || stdin_pw || json_array_size(teams))
                        ? "list takes only --json"
                        : NULL;
  if (why) {
    json_decref(teams);
    return user_usage(*why ? why : NULL);
  }

  char err[1024] = "";
  int status = 0, rc = 1;
  json_t *args = NULL, *res = NULL;
  kf_session *s = api->session_open(self, err, sizeof err);
  if (!s) {
    fprintf(stderr, "kinflow: user: %s\n", err);
    json_decref(teams);
    return 1;
  }
  if (add && !(args = add_args(login, role, roles, teams))) goto out;
  if (!add) args = json_object();
  if (!args || !(res = api->call(s, add ? "user.add" : "user.list", args, &status, err,
                                  sizeof err))) {
    fprintf(stderr, "kinflow: user %s: %s\n", add ? "add" : "list", err[0] ? err : "refused");
    goto out;
  }
  if (json_out) print_json(res);
  else if (add) print_added(login, role, res);
  else print_users(res);
  rc = 0;
out:
  json_decref(teams);
  json_decref(args);
  json_decref(res);
  api->session_close(s);
  return rc;
}
