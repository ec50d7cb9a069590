/* fuzz.h: what the libFuzzer harnesses of tests/fuzz/ share: one engine a process, opened in
 * LLVMFuzzerInitialize (checking only, or on an in-memory database with a workflow deployed),
 * and a NUL-terminated copy of the input. The harnesses print nothing and leak nothing: each
 * input's JSON is released before it returns; the engine lives as long as the process. */
#ifndef KF_FUZZ_H
#define KF_FUZZ_H
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

/* The bytes as a C string: up to the first NUL, as a file or an argument would be read. */
static char *fuzz_text(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (!s) abort();
  memcpy(s, data, size);
  s[size] = 0;
  return s;
}

/* An engine on an in-memory database with `source` deployed as workflows/fuzz.lua, or with
 * no database when source is NULL. Aborts when that fails: the harness is broken, not the input. */
static kf_engine *fuzz_engine(const char *source) {
  kf_clock_set(1767603600); /* 2026-01-05T09:00:00Z */
  setenv("KINFLOW_OUTBOX", "off", 1);
  kf_err err = {0};
  kf_engine *e = kf_engine_open(source ? ":memory:" : NULL, 0, &err);
  if (!e) {
    fprintf(stderr, "fuzz: cannot open the engine: %s\n", err.msg);
    abort();
  }
  if (source) {
    json_t *paths = json_pack("[{s:s,s:s}]", "path", "workflows/fuzz.lua", "source", source);
    json_t *report = NULL;
    if (kf_deploy(e, paths, "fuzz", &report, &err) != 0) {
      char *r = json_dumps(report, JSON_COMPACT);
      fprintf(stderr, "fuzz: cannot deploy the harness's workflow: %s %s\n", err.msg, r ? r : "");
      abort();
    }
    json_decref(report);
    json_decref(paths);
  }
  return e;
}

/* Open a case of `workflow`; its id as text into id (at least 32 bytes). */
static void fuzz_case(kf_engine *e, const char *workflow, char *id) {
  kf_err err = {0};
  json_t *c = kf_case_open(e, workflow, NULL, NULL, "fuzz", &err);
  if (!c) {
    fprintf(stderr, "fuzz: cannot open a case: %s\n", err.msg);
    abort();
  }
  snprintf(id, 32, "%lld", (long long)json_integer_value(json_object_get(c, "id")));
  json_decref(c);
}

/* Every `every` calls, close *e and open it afresh (with a case, its id into id): the
 * in-memory database grows with every entry the engine accepts, and a long run must not
 * reach libFuzzer's memory limit. */
static void fuzz_recycle(kf_engine **e, const char *source, const char *workflow, char *id,
                         unsigned every) {
  static unsigned calls;
  if (++calls % every) return;
  kf_engine_close(*e);
  *e = fuzz_engine(source);
  fuzz_case(*e, workflow, id);
}

#endif
