/* reference.h: the reference workload of ../shared/BENCH-REFERENCE.md, on two sides: the
 * engine (kf_case_open, kf_case_fire on bench/reference.lua) and raw C doing only the
 * minimal writes on the minimal schema, on SQLite (a file path) or PostgreSQL (a
 * postgresql:// URI; raw libpq, the event's hash chained under a row lock). `make bench`
 * alternates their rounds in one process; build/bench/reference runs one side as a whole
 * process. Not engine code. */
#ifndef KF_BENCH_REFERENCE_H
#define KF_BENCH_REFERENCE_H

#include <stddef.h>
#include <stdint.h>

typedef struct ref_side ref_side;

/* A fresh database for n cases: the engine's schema with bench/reference.lua deployed, or
 * the minimal schema. A file path is removed first; a PostgreSQL database must be empty
 * (made for the run). NULL with a message on stderr. */
ref_side *ref_engine_new(const char *path, int n);
ref_side *ref_raw_new(const char *path, int n);
/* The same on a database one of the above made already (the programme deployed, or the
 * minimal schema there): several processes may join one database, each opening and moving
 * cases of its own. */
ref_side *ref_engine_join(const char *path, int n);
ref_side *ref_raw_join(const char *path, int n);
/* Open cases [from, to) (0-based), one transaction each. 0, or -1 (message on stderr). */
int ref_create(ref_side *s, int from, int to);
/* Round r (1..4): move every case one step, one transaction each. 0, or -1. */
int ref_round(ref_side *s, int r);
/* The same for cases [from, to) only. */
int ref_round_part(ref_side *s, int r, int from, int to);
/* Case i's id (once created). */
int64_t ref_id(ref_side *s, int i);
/* WAL frames written by the side's commits so far (checkpoints as SQLite's default).
 * PostgreSQL: 0. */
int64_t ref_frames(ref_side *s);
/* After the four rounds: n cases in the final state with stage 4, 5n events, and the
 * chain intact (the engine's audit verify; the raw PostgreSQL side's hashes recomputed).
 * 0, or -1 with why. */
int ref_check(ref_side *s, char *why, size_t len);
void ref_free(ref_side *s);
/* Whether path names a PostgreSQL database. */
int ref_is_pg(const char *path);

#endif
