/* failio.c: an LD_PRELOAD shim for tests/cli/faults.sh that fails the N-th read, write or
 * sync of the database's files (FILE, FILE-wal, FILE-shm, FILE-journal) with an errno, the
 * way a failing disk would. It must not touch any other file (the outbox, stdout).
 *   KF_FAIL_PATH   the database path, absolute          KF_FAIL_OP   write | sync | read
 *   KF_FAIL_N      the call to fail, from 1 (0: never)  KF_FAIL_ERRNO  a number (default EIO)
 *   KF_FAIL_STICKY 1: every later call fails too (a dead disk), else only the N-th
 *   KF_FAIL_COUNT  a file to which, at exit, the number of such calls seen is written. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static long seen, fail_n = -1;
static int sticky, fail_errno = EIO, failed;
static const char *op, *path;

static void setup(void) {
  if (fail_n >= 0) return;
  const char *n = getenv("KF_FAIL_N"), *e = getenv("KF_FAIL_ERRNO"), *s = getenv("KF_FAIL_STICKY");
  op = getenv("KF_FAIL_OP");
  path = getenv("KF_FAIL_PATH");
  fail_n = n ? atol(n) : 0;
  if (e && atoi(e) > 0) fail_errno = atoi(e);
  sticky = s && *s == '1';
}

/* Is fd one of the database's files, and is this the call to fail? */
static int hit(int fd, const char *kind) {
  setup();
  if (!op || !path || strcmp(op, kind) != 0) return 0;
  char link[64], target[4096];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t len = readlink(link, target, sizeof target - 1);
  if (len <= 0) return 0;
  target[len] = 0;
  size_t pl = strlen(path);
  if (strncmp(target, path, pl) != 0) return 0;
  const char *rest = target + pl;
  if (*rest && strcmp(rest, "-wal") && strcmp(rest, "-shm") && strcmp(rest, "-journal")) return 0;
  seen++;
  if (fail_n > 0 && (seen == fail_n || (sticky && seen > fail_n))) {
    failed = 1;
    errno = fail_errno;
    return 1;
  }
  return 0;
}

__attribute__((destructor)) static void report(void) {
  const char *f = getenv("KF_FAIL_COUNT");
  if (!f) return;
  FILE *o = fopen(f, "w");
  if (!o) return;
  fprintf(o, "%ld %d\n", seen, failed);
  fclose(o);
}

#define REAL(name) static __typeof__(name) *real_##name; \
  if (!real_##name) real_##name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off) {
  REAL(pwrite64);
  return hit(fd, "write") ? -1 : real_pwrite64(fd, buf, n, off);
}
ssize_t pwrite(int fd, const void *buf, size_t n, off_t off) {
  REAL(pwrite);
  return hit(fd, "write") ? -1 : real_pwrite(fd, buf, n, off);
}
ssize_t write(int fd, const void *buf, size_t n) {
  REAL(write);
  return hit(fd, "write") ? -1 : real_write(fd, buf, n);
}
int ftruncate64(int fd, off64_t len) {
  REAL(ftruncate64);
  return hit(fd, "write") ? -1 : real_ftruncate64(fd, len);
}
int ftruncate(int fd, off_t len) {
  REAL(ftruncate);
  return hit(fd, "write") ? -1 : real_ftruncate(fd, len);
}
int fsync(int fd) {
  REAL(fsync);
  return hit(fd, "sync") ? -1 : real_fsync(fd);
}
int fdatasync(int fd) {
  REAL(fdatasync);
  return hit(fd, "sync") ? -1 : real_fdatasync(fd);
}
ssize_t pread64(int fd, void *buf, size_t n, off64_t off) {
  REAL(pread64);
  return hit(fd, "read") ? -1 : real_pread64(fd, buf, n, off);
}
ssize_t pread(int fd, void *buf, size_t n, off_t off) {
  REAL(pread);
  return hit(fd, "read") ? -1 : real_pread(fd, buf, n, off);
}
ssize_t read(int fd, void *buf, size_t n) {
  REAL(read);
  return hit(fd, "read") ? -1 : real_read(fd, buf, n);
}
