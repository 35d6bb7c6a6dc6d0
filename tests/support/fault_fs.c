/* A full disk on demand: see fault_fs.h. */
#define _GNU_SOURCE
#include "fault_fs.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static char g_dir[PATH_MAX];  /* IFF_FAULT_DIR as given */
static char g_real[PATH_MAX]; /* and resolved */
static unsigned long long g_limit, g_used, g_refused;
static unsigned long long g_kill, g_all; /* IFF_FAULT_KILL_AFTER; every byte written under the directory */

/* The C library's own function `name` (the next definition after this library). */
static void* next_fn(const char* name) {
  void* f = dlsym(RTLD_NEXT, name);
  if (!f) abort();
  return f;
}
typedef ssize_t (*write_fn)(int, const void*, size_t);
typedef ssize_t (*pwrite_fn)(int, const void*, size_t, off_t);
typedef ssize_t (*writev_fn)(int, const struct iovec*, int);
typedef ssize_t (*pwritev_fn)(int, const struct iovec*, int, off_t);
typedef int (*fallocate_fn)(int, int, off_t, off_t);
typedef int (*posix_fallocate_fn)(int, off_t, off_t);
#define REAL(name)                      \
  static name##_fn real_##name = NULL; \
  if (!real_##name) real_##name = (name##_fn)next_fn(#name)

/* A byte count from the environment; `fallback` when unset or empty. */
static unsigned long long env_bytes(const char* name, unsigned long long fallback) {
  const char* v = getenv(name);
  return v && *v ? strtoull(v, NULL, 10) : fallback;
}

/* Whether `fd` is a file under IFF_FAULT_DIR; *left: the space the budget still has. */
static int affected(int fd, unsigned long long* left) {
  const char* dir = getenv("IFF_FAULT_DIR");
  if (!dir || !*dir || fd < 0) return 0;
  const unsigned long long limit = env_bytes("IFF_FAULT_ENOSPC_AFTER", ULLONG_MAX);
  const unsigned long long kill_at = env_bytes("IFF_FAULT_KILL_AFTER", 0);
  char link[64], path[PATH_MAX];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t n = readlink(link, path, sizeof path - 1);
  if (n <= 0) return 0;
  path[n] = '\0';
  pthread_mutex_lock(&g_lock);
  if (strcmp(dir, g_dir) != 0 || limit != g_limit || kill_at != g_kill) { /* a new configuration: a new budget */
    snprintf(g_dir, sizeof g_dir, "%s", dir);
    if (!realpath(dir, g_real)) snprintf(g_real, sizeof g_real, "%s", dir);
    g_limit = limit;
    g_kill = kill_at;
    g_used = 0;
    g_all = 0;
  }
  const size_t len = strlen(g_real);
  const int under = strncmp(path, g_real, len) == 0 && (path[len] == '/' || path[len] == '\0');
  *left = g_used >= g_limit ? 0 : g_limit - g_used;
  pthread_mutex_unlock(&g_lock);
  return under;
}

static void account(unsigned long long grown, unsigned long long refused) {
  pthread_mutex_lock(&g_lock);
  g_used += grown;
  g_refused += refused;
  pthread_mutex_unlock(&g_lock);
}

/* The kill switch (IFF_FAULT_KILL_AFTER = N > 0): of a request of n bytes under the
   directory, how many may still go; *dies: the process is to die by SIGKILL once they are
   written. A kill comes between two system calls, as a real one does: the request that
   would go past byte N is not made (0 bytes, die now), one that ends at it is made whole. */
static size_t before_kill(size_t n, int* dies) {
  *dies = 0;
  pthread_mutex_lock(&g_lock);
  if (g_kill > 0) {
    const unsigned long long left = g_all >= g_kill ? 0 : g_kill - g_all;
    if (n >= left) {
      *dies = 1;
      if (n > left) n = 0;
    }
  }
  pthread_mutex_unlock(&g_lock);
  return n;
}

static void wrote(ssize_t r, int dies) {
  pthread_mutex_lock(&g_lock);
  if (r > 0) g_all += (unsigned long long)r;
  pthread_mutex_unlock(&g_lock);
  if (dies) raise(SIGKILL);
}

/* IFF_FAULT_TALLY=FILE: at exit, one line "pid written taken" appended to FILE: every byte
   this process wrote under IFF_FAULT_DIR, and the space it took there (to size kill and
   full-disk positions by an uninterrupted run). */
__attribute__((destructor)) static void tally(void) {
  const char* path = getenv("IFF_FAULT_TALLY");
  if (!path || !*path) return;
  pthread_mutex_lock(&g_lock);
  const unsigned long long all = g_all, used = g_used;
  pthread_mutex_unlock(&g_lock);
  if (all == 0 && used == 0) return; /* a process that wrote nothing there (mpirun, a shell) */
  const int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) return;
  char line[64];
  const int len = snprintf(line, sizeof line, "%ld %llu %llu\n", (long)getpid(), all, used);
  if (len > 0 && write(fd, line, (size_t)len) < 0) { /* nothing to do about it at exit */
  }
  close(fd);
}

/* Space reserved past a file's end (fallocate with FALLOC_FL_KEEP_SIZE), by inode: writes
   into it take no more space. Forgotten when a file is created or truncated by open(). */
#define RESERVED_FILES 64
static struct {
  dev_t dev;
  ino_t ino;
  unsigned long long end;
} g_reserved[RESERVED_FILES];

static unsigned long long reserved_end(const struct stat* st) {
  unsigned long long e = 0;
  pthread_mutex_lock(&g_lock);
  for (int i = 0; i < RESERVED_FILES; ++i)
    if (g_reserved[i].end && g_reserved[i].dev == st->st_dev && g_reserved[i].ino == st->st_ino) e = g_reserved[i].end;
  pthread_mutex_unlock(&g_lock);
  return e;
}

static void set_reserved_end(const struct stat* st, unsigned long long end) {
  pthread_mutex_lock(&g_lock);
  int slot = -1;
  for (int i = 0; i < RESERVED_FILES; ++i) {
    if (g_reserved[i].end && g_reserved[i].dev == st->st_dev && g_reserved[i].ino == st->st_ino) slot = i;
    if (slot < 0 && !g_reserved[i].end) slot = i;
  }
  if (slot < 0) slot = 0;
  g_reserved[slot].dev = st->st_dev;
  g_reserved[slot].ino = st->st_ino;
  g_reserved[slot].end = end;
  pthread_mutex_unlock(&g_lock);
}

unsigned long long iff_fault_bytes_refused(void) {
  pthread_mutex_lock(&g_lock);
  const unsigned long long r = g_refused;
  pthread_mutex_unlock(&g_lock);
  return r;
}

unsigned long long iff_fault_bytes_written(void) {
  pthread_mutex_lock(&g_lock);
  const unsigned long long r = g_used;
  pthread_mutex_unlock(&g_lock);
  return r;
}

/* The disk model. A request of n bytes at offset `off` (< 0: at the file offset) needs new
   space only beyond the file's current end; that growth comes out of the budget `left`.
   *k: how many of the n bytes fit (all, the first ones, or none); returns the growth of
   those k bytes. */
static unsigned long long plan(int fd, off_t off, size_t n, unsigned long long left, size_t* k) {
  *k = n;
  struct stat st;
  if (fstat(fd, &st) != 0) return 0;
  if (off < 0) off = (fcntl(fd, F_GETFL) & O_APPEND) ? st.st_size : lseek(fd, 0, SEEK_CUR);
  if (off < 0) return 0;
  unsigned long long size = (unsigned long long)st.st_size;
  const unsigned long long r = reserved_end(&st);
  if (r > size) size = r; /* reserved space is the file's already */
  const unsigned long long start = (unsigned long long)off;
  const unsigned long long limit = left > ULLONG_MAX - size ? ULLONG_MAX : size + left; /* the file may grow up to here */
  if (start + n > limit) *k = start >= limit ? 0 : (size_t)(limit - start);
  const unsigned long long end = start + *k;
  return end > size ? end - size : 0;
}

/* n bytes at `off` through the budget: how many may go (0: ENOSPC), with their growth;
   *dies: the kill switch fires once they are written (writes only: `dies` NULL for a
   reservation, which writes nothing). */
static int admit(int fd, off_t off, size_t n, size_t* k, unsigned long long* grown, int* dies) {
  unsigned long long left = 0;
  *k = n;
  *grown = 0;
  int no_kill = 0;
  if (!dies) dies = &no_kill;
  *dies = 0;
  if (n == 0 || !affected(fd, &left)) return 1;
  const size_t allowed = dies == &no_kill ? n : before_kill(n, dies);
  if (*dies && allowed == 0) raise(SIGKILL);
  *grown = plan(fd, off, allowed, left, k);
  if (*k < allowed) *dies = 0; /* the disk is full first */
  if (*k == 0) {
    account(0, n);
    errno = ENOSPC;
    return 0;
  }
  return 1;
}

ssize_t write(int fd, const void* buf, size_t n) {
  REAL(write);
  size_t k;
  unsigned long long grown;
  int dies;
  if (!admit(fd, -1, n, &k, &grown, &dies)) return -1;
  const ssize_t r = real_write(fd, buf, k);
  if (r > 0) account(grown, n - k);
  wrote(r, dies);
  return r;
}

ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) {
  REAL(pwrite);
  size_t k;
  unsigned long long grown;
  int dies;
  if (!admit(fd, off, n, &k, &grown, &dies)) return -1;
  const ssize_t r = real_pwrite(fd, buf, k, off);
  if (r > 0) account(grown, n - k);
  wrote(r, dies);
  return r;
}

ssize_t pwrite64(int fd, const void* buf, size_t n, off_t off) { return pwrite(fd, buf, n, off); }

/* The first `k` bytes of an iovec array, in `out` (at most cnt entries); returns the count. */
static int truncate_iov(const struct iovec* iov, int cnt, size_t k, struct iovec* out) {
  int m = 0;
  for (int i = 0; i < cnt && k > 0; ++i) {
    out[m] = iov[i];
    if (out[m].iov_len > k) out[m].iov_len = k;
    k -= out[m].iov_len;
    ++m;
  }
  return m;
}

static ssize_t vector_write(int fd, const struct iovec* iov, int cnt, off_t off) {
  REAL(writev);
  REAL(pwritev);
  size_t n = 0;
  for (int i = 0; i < cnt; ++i) n += iov[i].iov_len;
  size_t k;
  unsigned long long grown;
  int dies;
  if (!admit(fd, off, n, &k, &grown, &dies)) return -1;
  ssize_t r;
  if (k == n) {
    r = off < 0 ? real_writev(fd, iov, cnt) : real_pwritev(fd, iov, cnt, off);
  } else {
    struct iovec* part = malloc(sizeof(struct iovec) * (size_t)(cnt > 0 ? cnt : 1));
    if (!part) {
      errno = ENOMEM;
      return -1;
    }
    const int m = truncate_iov(iov, cnt, k, part);
    r = off < 0 ? real_writev(fd, part, m) : real_pwritev(fd, part, m, off);
    free(part);
  }
  if (r > 0) account(grown, n - k);
  wrote(r, dies);
  return r;
}

ssize_t writev(int fd, const struct iovec* iov, int cnt) { return vector_write(fd, iov, cnt, -1); }
ssize_t pwritev(int fd, const struct iovec* iov, int cnt, off_t off) { return vector_write(fd, iov, cnt, off); }
ssize_t pwritev64(int fd, const struct iovec* iov, int cnt, off_t off) { return vector_write(fd, iov, cnt, off); }

/* Space reservations: all or nothing. */
static int reserve_refused(int fd, off_t off, off_t len, unsigned long long* grown) {
  size_t k;
  if (len <= 0 || !admit(fd, off, (size_t)len, &k, grown, NULL)) return len > 0;
  if (k < (size_t)len) {
    account(0, (unsigned long long)len);
    errno = ENOSPC;
    return 1;
  }
  return 0;
}

int fallocate(int fd, int mode, off_t off, off_t len) {
  REAL(fallocate);
  unsigned long long grown = 0;
  if (reserve_refused(fd, off, len, &grown)) {
    errno = ENOSPC;
    return -1;
  }
  const int r = real_fallocate(fd, mode, off, len);
  if (r == 0) {
    account(grown, 0);
    struct stat st;
    if ((mode & FALLOC_FL_KEEP_SIZE) && fstat(fd, &st) == 0 && reserved_end(&st) < (unsigned long long)(off + len))
      set_reserved_end(&st, (unsigned long long)(off + len));
  }
  return r;
}
int fallocate64(int fd, int mode, off_t off, off_t len) { return fallocate(fd, mode, off, len); }

int posix_fallocate(int fd, off_t off, off_t len) {
  REAL(posix_fallocate);
  unsigned long long grown = 0;
  if (reserve_refused(fd, off, len, &grown)) return ENOSPC;
  const int r = real_posix_fallocate(fd, off, len);
  if (r == 0) account(grown, 0);
  return r;
}
int posix_fallocate64(int fd, off_t off, off_t len) { return posix_fallocate(fd, off, len); }

/* A file created or truncated through open() starts with no reservation (its inode may be
   one that an earlier, removed file had). */
typedef int (*open_fn)(const char*, int, ...);
typedef int (*openat_fn)(int, const char*, int, ...);

static void forget(int fd, int flags) {
  struct stat st;
  if (fd < 0 || !(flags & (O_CREAT | O_TRUNC)) || fstat(fd, &st) != 0) return;
  pthread_mutex_lock(&g_lock);
  for (int i = 0; i < RESERVED_FILES; ++i)
    if (g_reserved[i].dev == st.st_dev && g_reserved[i].ino == st.st_ino) g_reserved[i].end = 0;
  pthread_mutex_unlock(&g_lock);
}

static mode_t mode_arg(int flags, va_list ap) {
  return (flags & O_CREAT) || (flags & __O_TMPFILE) == __O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char* path, int flags, ...) {
  static open_fn real_open = NULL;
  if (!real_open) real_open = (open_fn)next_fn("open");
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  const int fd = real_open(path, flags, mode);
  forget(fd, flags);
  return fd;
}

int open64(const char* path, int flags, ...) {
  static open_fn real_open64 = NULL;
  if (!real_open64) real_open64 = (open_fn)next_fn("open64");
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  const int fd = real_open64(path, flags, mode);
  forget(fd, flags);
  return fd;
}

int openat(int dir, const char* path, int flags, ...) {
  static openat_fn real_openat = NULL;
  if (!real_openat) real_openat = (openat_fn)next_fn("openat");
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  const int fd = real_openat(dir, path, flags, mode);
  forget(fd, flags);
  return fd;
}

int openat64(int dir, const char* path, int flags, ...) {
  static openat_fn real_openat64 = NULL;
  if (!real_openat64) real_openat64 = (openat_fn)next_fn("openat64");
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  const int fd = real_openat64(dir, path, flags, mode);
  forget(fd, flags);
  return fd;
}
