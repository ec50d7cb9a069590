/* cli.h: the `kinflow` command line. */
#ifndef KF_CLI_H
#define KF_CLI_H

/* Run one command; returns the exit status (0 done, 1 refused, 2 usage). */
int kf_cli_main(int argc, char **argv);

/* `kinflow report ...` and `kinflow script run ...` (cli_analysis.c). */
int kf_cli_analysis(int argc, char **argv);

/* The database: the --db given, else KINFLOW_DB, else ./kinflow.db (cli_analysis.c, which
 * cli.c calls into, never the other way). */
const char *kf_cli_db(const char *given);

/* `kinflow decision record|list` and `kinflow user add LOGIN --family ...` (cli_family.c):
 * is_family says whether argv[at] starts one of them; family runs it. */
int kf_cli_is_family(int argc, char **argv, int at);
int kf_cli_family(int argc, char **argv, int at);

/* `kinflow case member end|link|links` and `kinflow setting ...` (cli_records.c): is_records
 * says whether argv[at] starts one of them; records runs it. */
int kf_cli_is_records(int argc, char **argv, int at);
int kf_cli_records(int argc, char **argv, int at);

/* `kinflow case import FILE.jsonl|- [--batch N] [--from LINE]` (cli_import.c): is_import says
 * whether argv[at] starts it; import runs it. */
int kf_cli_is_import(int argc, char **argv, int at);
int kf_cli_import(int argc, char **argv, int at);

/* `kinflow migrate plan|check|run|undo|list` (cli_migrate.c); argv[at] is "migrate". */
int kf_cli_migrate(int argc, char **argv, int at);

/* `kinflow backup FILE [--force]` and `kinflow restore FILE` (cli_backup.c); argv[at] is
 * "backup" or "restore". */
int kf_cli_backup(int argc, char **argv, int at);

/* `kinflow db copy FROM TO [--json]` (cli_copy.c); argv[at] is "db". */
int kf_cli_dbcopy(int argc, char **argv, int at);

/* What the command's files share (cli_args.c). "--flag VALUE" or "--flag=VALUE" at
 * argv[*i]: 1 and *val when it is that flag (*i moves past a separate value), 0 when not,
 * -1 when the value is missing. */
int kf_cli_flag(int argc, char **argv, int *i, const char *name, const char **val);
/* Who acts: given (--actor), else KINFLOW_ACTOR, else $USER, else "cli". */
const char *kf_cli_actor(const char *given);
/* v as indented JSON on stdout (reals with 12 significant digits, as the API writes them). */
struct json_t;
void kf_cli_print_json(const struct json_t *v);

#endif
