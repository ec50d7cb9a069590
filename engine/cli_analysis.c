/* cli_analysis.c: the analysts' commands. `kinflow report stages|outcomes|case` turn the
 * event log into history (time in each state, final outcomes, a case at a past date);
 * `kinflow script run` runs an analyst's Lua script in a forked child under CPU, memory
 * and wall-clock limits. It only reads: no write transaction starts here, and scripts get
 * a connection that cannot write (kf_store_open_script) and sees no sensitive value; the
 * one write is the event that records a run revealing them (`--reveal --reason`). */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "kf.h"
#include "luahost.h"
#include "report.h"
#include "runtime.h"
#include "store.h"

#define USAGE                                                                              \
  "usage: kinflow [--db FILE] report stages [--workflow W] [--json|--csv]\n"               \
  "         cases now in each state, and median and 90th percentile days spent there\n"   \
  "       kinflow [--db FILE] report outcomes [--workflow W] [--by ended_by] [--json|--csv]\n" \
  "         final outcomes per programme and per adaptation, and days to reach them;\n"  \
  "         --by ended_by: by who ended the work (family, service, goals_met, ...)\n"    \
  "       kinflow [--db FILE] report case CASE [--at DATE] [--json|--csv]\n"               \
  "         the state a case was in at DATE (a date alone: the end of that day; default\n" \
  "         now) and the time it had spent in each state by then\n"                       \
  "       kinflow [--db FILE] script run [--seconds N] [--memory MB]\n"                  \
  "                                  [--reveal --reason TEXT] FILE [ARG...]\n"           \
  "         an analyst's Lua script, read-only (defaults: 60 s, 256 MB); it sees no\n"    \
  "         sensitive value unless --reveal, which is recorded with who and why\n"          \
  "         (--reveal and --reason may also come right after FILE)\n"

#define DEFAULT_SECONDS 60.0
#define DEFAULT_MEMORY_MB 256L

enum { FMT_TEXT, FMT_CSV, FMT_JSON };

typedef struct opts {
  const char *db, *workflow, *at, *by;
  int format;
  double seconds;
  long memory_mb;
  int cmd; /* 1 report, 2 script */
  int reveal;         /* script run --reveal */
  int skip;           /* options after FILE that were kinflow's, not the script's */
  const char *reason; /* script run --reason */
  int npos;
  const char *pos[8];
  int file; /* script run: argv index of FILE */
} opts;

static int usage(const char *msg) {
  if (msg) fprintf(stderr, "kinflow: %s\n", msg);
  fputs(USAGE, stderr);
  return 2;
}

static int fail(const kf_err *err) {
  fprintf(stderr, "kinflow: %s\n", err->msg);
  return err->code == KF_EUSAGE ? 2 : 1;
}

const char *kf_cli_db(const char *given) {
  if (given) return given;
  const char *env = getenv("KINFLOW_DB");
  return env && *env ? env : "kinflow.db";
}

static const char *db_path(const opts *o) { return kf_cli_db(o->db); }

/* Parse the command line. Returns 0, or 2 after printing usage. */
static int parse(int argc, char **argv, opts *o) {
  int cmd = 0; /* 0 before the command word, 1 report, 2 script */
  o->cmd = 0;
  o->seconds = DEFAULT_SECONDS;
  o->memory_mb = DEFAULT_MEMORY_MB;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = NULL;
    int r;
    char m[300];
    if ((r = kf_cli_flag(argc, argv, &i, "--db", &v))) {
      if (r < 0) return usage("--db needs a value");
      o->db = v;
      continue;
    }
    if (cmd == 0) {
      if (!strcmp(a, "report")) cmd = o->cmd = 1;
      else if (!strcmp(a, "script")) cmd = o->cmd = 2;
      else {
        snprintf(m, sizeof m, "unknown option %s", a);
        return usage(m);
      }
      continue;
    }
    if (cmd == 2 && o->npos == 1 && strncmp(a, "--", 2) != 0) {
      /* FILE: everything after it belongs to the script, but for --reveal and --reason
       * right after it (`script run FILE --reveal --reason TEXT`) */
      int k = i + 1;
      while (k < argc) {
        if (!strcmp(argv[k], "--reveal")) {
          o->reveal = 1;
          k++;
        } else if ((r = kf_cli_flag(argc, argv, &k, "--reason", &v))) {
          if (r < 0) return usage("--reason needs a text: why the script may see sensitive values");
          o->reason = v;
          k++;
        } else {
          break;
        }
      }
      o->file = i;
      o->skip = k - i - 1;
      return 0;
    }
    if (!strcmp(a, "--json")) o->format = FMT_JSON;
    else if (!strcmp(a, "--csv")) o->format = FMT_CSV;
    else if (!strcmp(a, "--help") || !strcmp(a, "-h")) return usage(NULL);
    else if (cmd == 1 && (r = kf_cli_flag(argc, argv, &i, "--workflow", &v))) {
      if (r < 0) return usage("--workflow needs a value");
      o->workflow = v;
    } else if (cmd == 1 && (r = kf_cli_flag(argc, argv, &i, "--by", &v))) {
      if (r < 0 || (strcmp(v, "outcome") && strcmp(v, "ended_by")))
        return usage("--by needs outcome or ended_by");
      o->by = v;
    } else if (cmd == 1 && (r = kf_cli_flag(argc, argv, &i, "--at", &v))) {
      if (r < 0) return usage("--at needs a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)");
      o->at = v;
    } else if (cmd == 2 && (r = kf_cli_flag(argc, argv, &i, "--seconds", &v))) {
      char *end;
      o->seconds = r > 0 ? strtod(v, &end) : 0;
      if (r < 0 || *end || !(o->seconds > 0 && o->seconds <= 86400))
        return usage("--seconds needs a number of seconds (0 < N <= 86400)");
    } else if (cmd == 2 && !strcmp(a, "--reveal")) {
      o->reveal = 1;
    } else if (cmd == 2 && (r = kf_cli_flag(argc, argv, &i, "--reason", &v))) {
      if (r < 0) return usage("--reason needs a text: why the script may see sensitive values");
      o->reason = v;
    } else if (cmd == 2 && (r = kf_cli_flag(argc, argv, &i, "--memory", &v))) {
      char *end;
      o->memory_mb = r > 0 ? strtol(v, &end, 10) : 0;
      if (r < 0 || *end || o->memory_mb < 16 || o->memory_mb > 65536)
        return usage("--memory needs a whole number of megabytes (16 to 65536)");
    } else if (!strncmp(a, "--", 2)) {
      snprintf(m, sizeof m, "unknown option %s", a);
      return usage(m);
    } else {
      if (o->npos >= 8) return usage("too many arguments");
      o->pos[o->npos++] = a;
    }
  }
  if (cmd == 0) return usage(NULL);
  return 0;
}

/* ---- tables of rows: text, CSV, JSON ---- */

typedef struct column {
  const char *key, *head;
} column;

static void cell_text(json_t *v, int format, char *buf, size_t n) {
  if (json_is_string(v)) snprintf(buf, n, "%s", json_string_value(v));
  else if (json_is_integer(v)) snprintf(buf, n, "%lld", (long long)json_integer_value(v));
  else if (json_is_real(v)) snprintf(buf, n, "%.1f", json_real_value(v));
  else if (json_is_boolean(v)) snprintf(buf, n, "%s", json_is_true(v) ? "true" : "false");
  else snprintf(buf, n, "%s", format == FMT_TEXT ? "-" : "");
}

static void csv_cell(const char *s) {
  if (!strpbrk(s, ",\"\r\n")) {
    fputs(s, stdout);
    return;
  }
  putchar('"');
  for (; *s; s++) {
    if (*s == '"') putchar('"');
    putchar(*s);
  }
  putchar('"');
}

static void print_cell(const char *text, int width, int numeric, int last) {
  if (numeric) printf("%*s", width, text);
  else if (last) fputs(text, stdout);
  else printf("%-*s", width, text);
  fputs(last ? "\n" : "  ", stdout);
}

/* rows (objects) as a table of ncols columns in format; text aligns numbers right. */
static void print_rows(json_t *rows, const column *cols, int ncols, int format) {
  if (format == FMT_JSON) {
    kf_cli_print_json(rows);
    return;
  }
  char buf[512];
  size_t i;
  json_t *row;
  if (format == FMT_CSV) {
    for (int c = 0; c < ncols; c++) {
      if (c) putchar(',');
      csv_cell(cols[c].head);
    }
    putchar('\n');
    json_array_foreach(rows, i, row) {
      for (int c = 0; c < ncols; c++) {
        if (c) putchar(',');
        cell_text(json_object_get(row, cols[c].key), format, buf, sizeof buf);
        csv_cell(buf);
      }
      putchar('\n');
    }
    return;
  }
  int width[16] = {0}, numeric[16] = {0};
  for (int c = 0; c < ncols && c < 16; c++) {
    width[c] = (int)strlen(cols[c].head);
    json_array_foreach(rows, i, row) {
      json_t *v = json_object_get(row, cols[c].key);
      if (json_is_number(v)) numeric[c] = 1;
      cell_text(v, format, buf, sizeof buf);
      if ((int)strlen(buf) > width[c]) width[c] = (int)strlen(buf);
    }
  }
  for (int c = 0; c < ncols && c < 16; c++) print_cell(cols[c].head, width[c], numeric[c], c + 1 == ncols);
  json_array_foreach(rows, i, row) {
    for (int c = 0; c < ncols && c < 16; c++) {
      cell_text(json_object_get(row, cols[c].key), format, buf, sizeof buf);
      print_cell(buf, width[c], numeric[c], c + 1 == ncols);
    }
  }
}

static kf_store *open_store(const opts *o, kf_err *err) {
  return kf_store_open(db_path(o), KF_STORE_READONLY, err);
}

static double round1(double d) { return round(d * 10) / 10; }

/* ---- report stages ---- */

static int report_stages(const opts *o) {
  kf_err err = {0};
  kf_store *st = open_store(o, &err);
  if (!st) return fail(&err);
  json_t *rows = kf_report_stages(st, o->workflow, kf_now(), &err);
  kf_store_close(st);
  if (!rows) return fail(&err);
  static const column cols[] = {{"workflow", "workflow"},       {"state", "state"},
                                {"title", "title"},             {"cases_now", "cases_now"},
                                {"stays", "stays"},             {"median_days", "median_days"},
                                {"p90_days", "p90_days"}};
  static const column text_cols[] = {{"workflow", "workflow"},   {"state", "state"},
                                     {"cases_now", "now"},       {"stays", "stays"},
                                     {"median_days", "median_days"}, {"p90_days", "p90_days"}};
  if (o->format == FMT_TEXT) print_rows(rows, text_cols, 6, FMT_TEXT);
  else print_rows(rows, cols, 7, o->format);
  json_decref(rows);
  return 0;
}

/* ---- report outcomes ---- */

static int report_outcomes(const opts *o) {
  kf_err err = {0};
  kf_store *st = open_store(o, &err);
  if (!st) return fail(&err);
  int by_ended = o->by && !strcmp(o->by, "ended_by");
  json_t *rows = kf_report_outcomes_by(st, o->workflow, by_ended, kf_now(), &err);
  kf_store_close(st);
  if (!rows) return fail(&err);
  if (o->format != FMT_JSON) { /* the programme's total across its adaptations */
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
      if (!json_is_string(json_object_get(row, "workflow")))
        json_object_set_new(row, "workflow", json_string("(all)"));
  }
  static const column cols[] = {{"programme", "programme"}, {"workflow", "workflow"},
                                {"outcome", "outcome"},     {"cases", "cases"},
                                {"median_days", "median_days"}};
  static const column by_cols[] = {{"programme", "programme"}, {"workflow", "workflow"},
                                   {"ended_by", "ended_by"},   {"cases", "cases"},
                                   {"median_days", "median_days"}};
  if (o->format == FMT_TEXT && json_array_size(rows) == 0)
    puts("no case has reached a final state yet");
  else print_rows(rows, by_ended ? by_cols : cols, 5, o->format);
  json_decref(rows);
  return 0;
}

/* ---- report case ---- */

static int report_case(const opts *o) {
  if (o->npos != 2) return usage("report case CASE [--at DATE]");
  kf_err err = {0};
  int rc = 0;
  json_t *c = NULL, *res = NULL, *stays = NULL;
  kf_store *st = open_store(o, &err);
  if (!st) return fail(&err);
  int64_t now = kf_now(), at = now;
  if (o->at) {
    if (kf_parse_time(o->at, &at)) {
      rc = kf_fail(&err, KF_EINVAL, "--at %s: not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)",
                   o->at);
      goto out;
    }
    if (strlen(o->at) == 10) at += 86399; /* a day: as it stood at its end */
    if (at > now) at = now;
  }
  if (!(c = kf_store_case_get(st, o->pos[1], &err))) {
    rc = err.code;
    goto out;
  }
  json_int_t id = json_integer_value(json_object_get(c, "id"));
  const char *created = json_string_value(json_object_get(c, "created_at"));
  int64_t opened;
  char at_iso[21];
  kf_iso(at, at_iso);
  if (created && !kf_parse_time(created, &opened) && opened > at) {
    rc = kf_fail(&err, KF_EINVAL, "case %lld was opened at %s, after %s: it had no state then",
                 (long long)id, created, at_iso);
    goto out;
  }
  if (!(stays = kf_report_stays(st, id, at, &err))) {
    rc = err.code;
    goto out;
  }
  json_t *days = json_object(), *last = json_array_get(stays, json_array_size(stays) - 1);
  size_t i;
  json_t *s;
  json_array_foreach(stays, i, s) {
    json_t *d = json_object_get(s, "days");
    if (!json_is_real(d)) continue;
    const char *name = json_string_value(json_object_get(s, "state"));
    double sum = json_real_value(d) + json_number_value(json_object_get(days, name));
    json_object_set_new(days, name, json_real(round1(sum)));
  }
  res = json_pack("{s:I,s:O,s:O,s:O,s:s,s:O,s:O,s:O,s:o}", "case", id, "ref",
                  json_object_get(c, "ref"), "workflow", json_object_get(c, "workflow"),
                  "version", json_object_get(c, "version"), "at", at_iso, "state",
                  last ? json_object_get(last, "state") : json_null(), "since",
                  last ? json_object_get(last, "entered") : json_null(), "stays", stays,
                  "days", days);
  static const column cols[] = {{"state", "state"}, {"entered", "entered"}, {"left", "left"},
                                {"days", "days"}};
  if (o->format == FMT_JSON) kf_cli_print_json(res);
  else if (o->format == FMT_CSV) print_rows(stays, cols, 4, FMT_CSV);
  else {
    const char *ref = json_string_value(json_object_get(c, "ref"));
    printf("case %lld%s%s%s, %s v%lld, at %s: in %s since %s\n", (long long)id, ref ? " (" : "",
           ref ? ref : "", ref ? ")" : "", json_string_value(json_object_get(c, "workflow")),
           (long long)json_integer_value(json_object_get(c, "version")), at_iso,
           last ? json_string_value(json_object_get(last, "state")) : "?",
           last ? json_string_value(json_object_get(last, "entered")) : "?");
    print_rows(stays, cols, 4, FMT_TEXT);
    const char *k;
    json_t *v;
    const char *sep = "";
    printf("days in each state:");
    json_object_foreach(days, k, v) {
      printf("%s %s %.1f", sep, k, json_real_value(v));
      sep = ",";
    }
    putchar('\n');
  }
out:
  json_decref(stays);
  json_decref(res);
  json_decref(c);
  kf_store_close(st);
  return rc ? fail(&err) : 0;
}

/* ---- script run ---- */

/* Lower a resource limit to lim (never raise it). */
static void limit(int resource, rlim_t soft, rlim_t hard) {
  struct rlimit r;
  if (getrlimit(resource, &r)) return;
  if (r.rlim_max != RLIM_INFINITY && hard > r.rlim_max) hard = r.rlim_max;
  if (soft > hard) soft = hard;
  r.rlim_cur = soft;
  r.rlim_max = hard;
  setrlimit(resource, &r);
}

/* The address space this process holds now, in bytes (0 when unknown). */
static size_t address_space(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  unsigned long pages = 0;
  if (!f) return 0;
  if (fscanf(f, "%lu", &pages) != 1) pages = 0;
  fclose(f);
  return (size_t)pages * (size_t)sysconf(_SC_PAGESIZE);
}

/* The child: limits that hold even inside C calls (SQLite, the Lua libraries): CPU time,
 * address space, a wall-clock alarm; then the script. Returns the exit status. */
static int script_child(const char *db, const char *path, json_t *args, double seconds,
                        size_t memory, int reveal) {
  signal(SIGALRM, SIG_DFL);
  signal(SIGXCPU, SIG_DFL);
  signal(SIGPIPE, SIG_DFL);
  rlim_t cpu = (rlim_t)ceil(seconds) + 1;
  limit(RLIMIT_CPU, cpu, cpu + 1);
  limit(RLIMIT_CORE, 0, 0);
  size_t as = address_space() + 2 * memory + ((size_t)256 << 20);
  limit(RLIMIT_AS, as, as);
  alarm((unsigned)ceil(seconds) + 2);
  kf_err err = {0};
  kf_lua *L = NULL;
  json_t *res = NULL;
  kf_store *st = kf_store_open_script(db, seconds, memory / 4, reveal ? KF_SCRIPT_REVEAL : 0,
                                      &err);
  if (st) {
    kf_lua_limits lim = {memory, (long)(seconds * 1e6) + 1000, seconds};
    L = kf_lua_new(st, &lim, &err);
  }
  if (L)
    res = kf_lua_call_new(L, KF_LUA_SCRIPT_RUN,
                          json_pack("[s,O,{s:b}]", path, args, "reveal", reveal), &err);
  kf_lua_free(L);
  kf_store_close(st);
  fflush(stdout);
  if (!res) {
    fprintf(stderr, "kinflow: %s\n", err.msg);
    return err.code == KF_EUSAGE ? 2 : 1;
  }
  json_decref(res);
  return 0;
}

/* Record that a script run sees sensitive values: who (the OS user), which script, why.
 * The one write of this file, through a normal engine so that hooks see it too. */
static int record_reveal(const char *db, const char *path, const char *reason) {
  kf_err err = {0};
  kf_engine *e = kf_engine_open(db, KF_STORE_NOCREATE, &err);
  if (!e) return fail(&err);
  const char *user = getenv("USER");
  char now[21];
  kf_iso(kf_now(), now);
  int rc = kf_event_append_new(e, json_pack("{s:s,s:s,s:s,s:{s:s,s:s}}", "kind",
                                            "script.revealed", "actor",
                                            user && *user ? user : "cli", "at", now, "data",
                                            "script", path, "reason", reason),
                               &err);
  kf_engine_close(e);
  return rc ? fail(&err) : 0;
}

static int blank(const char *s) {
  for (; s && *s; s++)
    if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r') return 0;
  return 1;
}

static int script_run(const opts *o, int argc, char **argv) {
  if (o->npos != 1 || strcmp(o->pos[0], "run") != 0 || !o->file)
    return usage("script run [--seconds N] [--memory MB] [--reveal --reason TEXT] FILE [ARG...]");
  if (o->reveal && blank(o->reason))
    return usage("--reveal needs --reason TEXT: why the script may see sensitive values");
  if (!o->reveal && o->reason) return usage("--reason goes with --reveal");
  const char *path = argv[o->file];
  json_t *args = json_array();
  for (int i = o->file + 1 + o->skip; i < argc; i++) {
    json_t *a = json_string(argv[i]);
    if (!a) {
      json_decref(args);
      fprintf(stderr, "kinflow: %s: argument %d is not valid UTF-8 text\n", path,
              i - o->file - o->skip);
      return 1;
    }
    json_array_append_new(args, a);
  }
  json_t *p = json_string(path);
  if (!p) {
    json_decref(args);
    fprintf(stderr, "kinflow: the script's path is not valid UTF-8 text\n");
    return 1;
  }
  json_decref(p);
  if (o->reveal && access(path, R_OK) == 0) { /* a script that cannot be read reveals nothing */
    json_t *r = json_string(o->reason);
    if (!r) {
      json_decref(args);
      fprintf(stderr, "kinflow: the reason is not valid UTF-8 text\n");
      return 1;
    }
    json_decref(r);
    int rc = record_reveal(db_path(o), path, o->reason);
    if (rc) {
      json_decref(args);
      return rc;
    }
  }
  size_t memory = (size_t)o->memory_mb << 20;
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) {
    json_decref(args);
    fprintf(stderr, "kinflow: %s: cannot start the script: %s\n", path, strerror(errno));
    return 1;
  }
  if (pid == 0) {
    int rc = script_child(db_path(o), path, args, o->seconds, memory, o->reveal);
    json_decref(args);
    fflush(stdout);
    fflush(stderr);
    _exit(rc);
  }
  json_decref(args);
  int status;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      fprintf(stderr, "kinflow: %s: lost the script's process: %s\n", path, strerror(errno));
      return 1;
    }
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  if (sig == SIGPIPE) return 1; /* its reader went away (`| head`) */
  if (sig == SIGALRM)
    fprintf(stderr, "kinflow: %s: stopped: the script ran past its time limit (%g s)\n", path,
            o->seconds);
  else if (sig == SIGXCPU || sig == SIGKILL)
    fprintf(stderr, "kinflow: %s: stopped: the script used more than its CPU time limit (%g s)\n",
            path, o->seconds);
  else
    fprintf(stderr, "kinflow: %s: stopped by signal %d (%s); it may have run out of memory "
            "(limit %ld MB)\n", path, sig, strsignal(sig), o->memory_mb);
  return 1;
}

int kf_cli_analysis(int argc, char **argv) {
  opts o = {0};
  int rc = parse(argc, argv, &o);
  if (rc) return rc;
  if (o.cmd == 2) return script_run(&o, argc, argv);
  if (o.npos == 0) return usage("report stages|outcomes|case");
  if (!strcmp(o.pos[0], "stages") && o.npos == 1) return report_stages(&o);
  if (!strcmp(o.pos[0], "outcomes") && o.npos == 1) return report_outcomes(&o);
  if (!strcmp(o.pos[0], "case")) return report_case(&o);
  char m[300];
  snprintf(m, sizeof m, "unknown report '%s' (reports: stages, outcomes, case)", o.pos[0]);
  return usage(m);
}
