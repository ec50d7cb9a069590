/* store_sqlite_wal.c: the SQLite backend's file layer, a VFS over the system's own ("unix")
 * that writes a transaction's WAL frames to the file in one call at its commit frame,
 * where SQLite writes each frame in two (its 24-byte header, then its page). It changes no
 * byte SQLite writes and no order another connection can see; it must never hold a write
 * back past the moment SQLite makes a commit visible (see "When the frames go out").
 *
 * What SQLite (3.40) writes to a WAL file, and what this layer does with each:
 *  - a transaction's frames, appended in order: a header write of 24 bytes at the frame's
 *    offset, then its page at the offset after; the last frame of a commit carries the
 *    database's size in pages in bytes 4..7 of its header (0 in every other frame).
 *    Appends are gathered in a buffer; the page after a commit header sends them.
 *    The WAL's own 32-byte header, at offset 0 when the log starts again, begins a run.
 *  - a frame's page written again within the transaction, checksums written again after a
 *    commit (walRewriteChecksums): a write behind the furthest one of the write transaction
 *    (which begins when the connection takes the WAL's write lock) is no append: what is
 *    gathered goes out first, then the write itself.
 *  - reads, syncs, truncation, size, file controls and close: what is gathered goes out
 *    first, so SQLite reads back exactly what it wrote and a sync covers it.
 * When the frames go out: at the commit frame's page, before SQLite appends them to the
 * wal-index and publishes the commit there. As second guards, the database file's
 * xShmBarrier (which SQLite calls between writing the wal-index's header and publishing it)
 * and the release of the WAL's write lock send what the connection's WAL still holds: no
 * write outlives the transaction that made it. A kill -9 before the send loses only a
 * transaction not yet committed, as a kill during SQLite's own writes would. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

/* A run of appends held for one write: at most this many bytes (31 frames of 4 KiB pages),
 * under the system VFS's largest write (its seekAndWrite keeps a count's low 17 bits); a
 * longer transaction's frames go out each time it fills. */
enum { GATHER_MAX = 0x1ffff };

/* Every file opened through this VFS: the system's file follows the struct in memory. */
typedef struct vfile {
  sqlite3_file base;   /* pMethods: &methods, or NULL when not open */
  sqlite3_file *real;  /* the system VFS's file, right after this struct */
  sqlite3_io_methods methods; /* the system file's own, each passed through or wrapped */
  struct vfile *wal;   /* a main database: its connection's WAL while open, if any */
  struct vfile *main;  /* a WAL: its database's file (NULL if not opened through here) */
  int is_wal;
  /* a WAL's gathered appends: buf[0..len) belongs at offset start */
  unsigned char *buf;
  size_t len, cap;
  sqlite3_int64 start;
  sqlite3_int64 furthest; /* the end of the furthest write of this write transaction */
  sqlite3_int64 commit_page; /* the offset of the commit frame's page, once its header came */
  int failed;                /* a send that failed where no caller could hear it */
} vfile;

static sqlite3_vfs *sys; /* the system's default VFS */
static sqlite3_vfs vfs;  /* this one, over it */

#define REAL(f) (((vfile *)(f))->real)

/* Send what the WAL holds: one write at its start. */
static int send(vfile *w) {
  if (!w->len) return SQLITE_OK;
  int rc = w->real->pMethods->xWrite(w->real, w->buf, (int)w->len, w->start);
  w->len = 0;
  w->commit_page = -1;
  return rc;
}

/* Send what the WAL holds where no caller can hear a failure (a barrier, a lock's release):
 * the WAL's next call reports it. */
static void send_told_later(vfile *w) {
  if (!w->len) return;
  int rc = send(w);
  if (rc != SQLITE_OK) w->failed = rc;
}

/* A write that is not gathered, straight to the file. */
static int write_through(vfile *w, const void *data, int amt, sqlite3_int64 off) {
  int rc = w->real->pMethods->xWrite(w->real, data, amt, off);
  if (rc == SQLITE_OK && off + amt > w->furthest) w->furthest = off + amt;
  return rc;
}

static int send_all(vfile *w) {
  int rc = send(w);
  if (rc == SQLITE_OK && w->failed) rc = w->failed;
  w->failed = 0;
  return rc;
}

static int gather(vfile *w, const void *data, int amt, sqlite3_int64 off) {
  size_t need = w->len + (size_t)amt;
  if (need > w->cap) {
    size_t cap = w->cap ? w->cap : 8 * (4096 + 24);
    while (cap < need) cap *= 2;
    unsigned char *b = realloc(w->buf, cap);
    if (!b) return SQLITE_NOMEM;
    w->buf = b;
    w->cap = cap;
  }
  if (!w->len) w->start = off;
  memcpy(w->buf + w->len, data, (size_t)amt);
  w->len = need;
  return SQLITE_OK;
}

static int wal_write(sqlite3_file *f, const void *data, int amt, sqlite3_int64 off) {
  vfile *w = (vfile *)f;
  int rc;
  if (off == 0) w->furthest = 0; /* the log begins again at its header */
  int append = off >= w->furthest && (w->len ? off == w->start + (sqlite3_int64)w->len : 1) &&
               w->len + (size_t)amt <= GATHER_MAX;
  if (!append) {
    if ((rc = send_all(w)) != SQLITE_OK) return rc;
    /* a new run starts at the furthest point with a frame's header; the rest goes now */
    if (!(off >= w->furthest && amt == 24)) return write_through(w, data, amt, off);
  }
  if (gather(w, data, amt, off) != SQLITE_OK) { /* no memory for it: as SQLite would */
    rc = send_all(w);
    return rc != SQLITE_OK ? rc : write_through(w, data, amt, off);
  }
  if (off + amt > w->furthest) w->furthest = off + amt;
  if (amt == 24) { /* a frame's header: a commit's when its size in pages is there */
    const unsigned char *h = data;
    w->commit_page = (h[4] | h[5] | h[6] | h[7]) ? off + 24 : -1;
    return SQLITE_OK;
  }
  if (off == w->commit_page) return send_all(w);
  return SQLITE_OK;
}

static int wal_read(sqlite3_file *f, void *data, int amt, sqlite3_int64 off) {
  vfile *w = (vfile *)f;
  int rc = send_all(w);
  return rc != SQLITE_OK ? rc : w->real->pMethods->xRead(w->real, data, amt, off);
}

static int wal_truncate(sqlite3_file *f, sqlite3_int64 size) {
  vfile *w = (vfile *)f;
  int rc = send_all(w);
  if (rc == SQLITE_OK && size < w->furthest) w->furthest = size;
  return rc != SQLITE_OK ? rc : w->real->pMethods->xTruncate(w->real, size);
}

static int wal_sync(sqlite3_file *f, int flags) {
  vfile *w = (vfile *)f;
  int rc = send_all(w);
  return rc != SQLITE_OK ? rc : w->real->pMethods->xSync(w->real, flags);
}

static int wal_size(sqlite3_file *f, sqlite3_int64 *size) {
  vfile *w = (vfile *)f;
  int rc = send_all(w);
  return rc != SQLITE_OK ? rc : w->real->pMethods->xFileSize(w->real, size);
}

static int wal_control(sqlite3_file *f, int op, void *arg) {
  vfile *w = (vfile *)f;
  int rc = send_all(w);
  return rc != SQLITE_OK ? rc : w->real->pMethods->xFileControl(w->real, op, arg);
}

static int any_close(sqlite3_file *f) {
  vfile *v = (vfile *)f;
  int rc = SQLITE_OK;
  if (v->is_wal) {
    rc = send_all(v);
    if (v->main && v->main->wal == v) v->main->wal = NULL;
    free(v->buf);
    v->buf = NULL;
  } else if (v->wal) {
    v->wal->main = NULL;
  }
  int closed = v->real->pMethods ? v->real->pMethods->xClose(v->real) : SQLITE_OK;
  return rc != SQLITE_OK ? rc : closed;
}

/* ---- passed through to the system's file ---- */

static int any_read(sqlite3_file *f, void *d, int n, sqlite3_int64 o) {
  return REAL(f)->pMethods->xRead(REAL(f), d, n, o);
}
static int any_write(sqlite3_file *f, const void *d, int n, sqlite3_int64 o) {
  return REAL(f)->pMethods->xWrite(REAL(f), d, n, o);
}
static int any_truncate(sqlite3_file *f, sqlite3_int64 s) {
  return REAL(f)->pMethods->xTruncate(REAL(f), s);
}
static int any_sync(sqlite3_file *f, int fl) { return REAL(f)->pMethods->xSync(REAL(f), fl); }
static int any_size(sqlite3_file *f, sqlite3_int64 *s) {
  return REAL(f)->pMethods->xFileSize(REAL(f), s);
}
static int any_lock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xLock(REAL(f), l); }
static int any_unlock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xUnlock(REAL(f), l); }
static int any_reserved(sqlite3_file *f, int *out) {
  return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}
static int any_control(sqlite3_file *f, int op, void *arg) {
  return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}
static int any_sector(sqlite3_file *f) { return REAL(f)->pMethods->xSectorSize(REAL(f)); }
static int any_device(sqlite3_file *f) {
  return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}
static int any_shm_map(sqlite3_file *f, int pg, int sz, int ext, void volatile **p) {
  return REAL(f)->pMethods->xShmMap(REAL(f), pg, sz, ext, p);
}
/* The WAL's write lock (slot 0, exclusive). Taking it begins a write transaction: the log's
 * writes from here on are this connection's, whatever another wrote to it before. Nothing
 * gathered outlives it: before it is released, what is left (the spilled frames of a
 * transaction rolled back; a commit's went out at its commit frame) goes to the file, as
 * SQLite would have written it, so that it can never land later over another writer's. */
static int db_shm_lock(sqlite3_file *f, int off, int n, int flags) {
  vfile *v = (vfile *)f;
  if (v->wal && off == 0 && flags == (SQLITE_SHM_UNLOCK | SQLITE_SHM_EXCLUSIVE))
    send_told_later(v->wal);
  int rc = REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
  if (rc == SQLITE_OK && v->wal && off == 0 && flags == (SQLITE_SHM_LOCK | SQLITE_SHM_EXCLUSIVE))
    v->wal->furthest = 0;
  return rc;
}
/* The second guard: the database's connection publishes a commit after this call. */
static void db_shm_barrier(sqlite3_file *f) {
  vfile *v = (vfile *)f;
  if (v->wal) send_told_later(v->wal);
  REAL(f)->pMethods->xShmBarrier(REAL(f));
}
static int any_shm_unmap(sqlite3_file *f, int del) {
  return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}
static int any_fetch(sqlite3_file *f, sqlite3_int64 o, int n, void **p) {
  return REAL(f)->pMethods->xFetch(REAL(f), o, n, p);
}
static int any_unfetch(sqlite3_file *f, sqlite3_int64 o, void *p) {
  return REAL(f)->pMethods->xUnfetch(REAL(f), o, p);
}

/* A file's methods: as many versions deep as the system file's own (which differ by file:
 * a journal or WAL has no shared memory), each one it has passed through, the WAL's
 * reads, writes, syncs and the like gathering, the database's barrier and lock watching. */
static void make_methods(vfile *v) {
  const sqlite3_io_methods *m = v->real->pMethods;
  sqlite3_io_methods t = {
      .iVersion = m->iVersion, .xClose = any_close, .xRead = any_read, .xWrite = any_write,
      .xTruncate = any_truncate, .xSync = any_sync, .xFileSize = any_size, .xLock = any_lock,
      .xUnlock = any_unlock, .xCheckReservedLock = any_reserved, .xFileControl = any_control,
      .xSectorSize = any_sector, .xDeviceCharacteristics = any_device};
  if (m->iVersion >= 2) {
    t.xShmMap = m->xShmMap ? any_shm_map : NULL;
    t.xShmLock = m->xShmLock ? db_shm_lock : NULL;
    t.xShmBarrier = m->xShmBarrier ? db_shm_barrier : NULL;
    t.xShmUnmap = m->xShmUnmap ? any_shm_unmap : NULL;
  }
  if (m->iVersion >= 3) {
    t.xFetch = m->xFetch ? any_fetch : NULL;
    t.xUnfetch = m->xUnfetch ? any_unfetch : NULL;
  }
  if (v->is_wal) {
    t.xRead = wal_read;
    t.xWrite = wal_write;
    t.xTruncate = wal_truncate;
    t.xSync = wal_sync;
    t.xFileSize = wal_size;
    t.xFileControl = wal_control;
  }
  v->methods = t;
}

static int v_open(sqlite3_vfs *self, const char *name, sqlite3_file *f, int flags, int *out) {
  (void)self;
  vfile *v = (vfile *)f;
  memset(v, 0, sizeof *v);
  v->real = (sqlite3_file *)((char *)f + sizeof(vfile));
  v->commit_page = -1;
  int rc = sys->xOpen(sys, name, v->real, flags, out);
  if (rc != SQLITE_OK || !v->real->pMethods) {
    v->base.pMethods = NULL;
    return rc;
  }
  v->is_wal = (flags & SQLITE_OPEN_WAL) != 0;
  make_methods(v);
  v->base.pMethods = &v->methods;
  if (v->is_wal && name) {
    sqlite3_file *db = sqlite3_database_file_object(name);
    if (db && db->pMethods && db->pMethods->xClose == any_close) { /* opened through here */
      v->main = (vfile *)db;
      v->main->wal = v;
    }
  }
  return SQLITE_OK;
}

/* ---- the rest of the VFS is the system's ---- */

static int v_delete(sqlite3_vfs *s, const char *n, int sync) {
  (void)s;
  return sys->xDelete(sys, n, sync);
}
static int v_access(sqlite3_vfs *s, const char *n, int flags, int *out) {
  (void)s;
  return sys->xAccess(sys, n, flags, out);
}
static int v_full(sqlite3_vfs *s, const char *n, int len, char *out) {
  (void)s;
  return sys->xFullPathname(sys, n, len, out);
}
static void *v_dlopen(sqlite3_vfs *s, const char *n) {
  (void)s;
  return sys->xDlOpen(sys, n);
}
static void v_dlerror(sqlite3_vfs *s, int n, char *out) {
  (void)s;
  sys->xDlError(sys, n, out);
}
static void (*v_dlsym(sqlite3_vfs *s, void *h, const char *n))(void) {
  (void)s;
  return sys->xDlSym(sys, h, n);
}
static void v_dlclose(sqlite3_vfs *s, void *h) {
  (void)s;
  sys->xDlClose(sys, h);
}
static int v_random(sqlite3_vfs *s, int n, char *out) {
  (void)s;
  return sys->xRandomness(sys, n, out);
}
static int v_sleep(sqlite3_vfs *s, int us) {
  (void)s;
  return sys->xSleep(sys, us);
}
static int v_time(sqlite3_vfs *s, double *out) {
  (void)s;
  return sys->xCurrentTime(sys, out);
}
static int v_last_error(sqlite3_vfs *s, int n, char *out) {
  (void)s;
  return sys->xGetLastError ? sys->xGetLastError(sys, n, out) : 0;
}
static int v_time64(sqlite3_vfs *s, sqlite3_int64 *out) {
  (void)s;
  return sys->xCurrentTimeInt64(sys, out);
}

static const char *registered;

static void register_vfs(void) {
  sys = sqlite3_vfs_find(NULL);
  if (!sys || sys->iVersion < 2 || !sys->xCurrentTimeInt64) return; /* the system's, then */
  vfs = (sqlite3_vfs){
      .iVersion = 2, .szOsFile = (int)sizeof(vfile) + sys->szOsFile,
      .mxPathname = sys->mxPathname, .zName = "kinflow-wal", .xOpen = v_open,
      .xDelete = v_delete, .xAccess = v_access, .xFullPathname = v_full, .xDlOpen = v_dlopen,
      .xDlError = v_dlerror, .xDlSym = v_dlsym, .xDlClose = v_dlclose, .xRandomness = v_random,
      .xSleep = v_sleep, .xCurrentTime = v_time, .xGetLastError = v_last_error,
      .xCurrentTimeInt64 = v_time64};
  if (sqlite3_vfs_register(&vfs, 0) == SQLITE_OK) registered = vfs.zName;
}

const char *store_sqlite_vfs(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, register_vfs);
  return registered;
}
