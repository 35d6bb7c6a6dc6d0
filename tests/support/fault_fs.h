/* Fault injection at the file-system boundary: a full disk on demand, for tests.
 *
 * libiff_fault_fs.so replaces the C library's write family (write, pwrite, pwrite64,
 * writev, pwritev, pwritev64, fallocate, fallocate64, posix_fallocate,
 * posix_fallocate64; open and openat only to forget reservations of a file they create or
 * truncate). Calls on files outside the chosen directory pass straight through;
 * files under it share a disk of N free bytes: a write or a reservation takes space only
 * where it goes past its file's current end (rewriting existing bytes is free; space freed
 * by truncating or removing is not given back). Once the space is spent, the write that
 * crosses it is a short write of what fits and every later one returns -1 with errno =
 * ENOSPC (so a file fails mid-way, as on a real device); a reservation is all or nothing,
 * and space reserved past a file's end (FALLOC_FL_KEEP_SIZE) takes writes into it freely.
 * The configuration is read from the environment at every call, so it can be changed
 * inside a process:
 *
 *   IFF_FAULT_DIR=/path          files under this directory (after symlinks) are affected
 *   IFF_FAULT_ENOSPC_AFTER=N     free bytes of that "disk" (default 0)
 *
 * A new (IFF_FAULT_DIR, IFF_FAULT_ENOSPC_AFTER) pair starts a new budget; the budget is per
 * process (under mpirun each rank has its own). Without IFF_FAULT_DIR nothing is changed.
 *
 * Two ways to use it:
 *   - a command run by a test:  LD_PRELOAD=$IFF_FAULT_LIB IFF_FAULT_DIR=... ifactflow ...
 *     (under mpirun pass them with -x);
 *   - inside a test program: link the test to iff_fault_fs (its definitions then come before
 *     the C library's for every library of the process) and set the variables with setenv.
 * iff_fault_bytes_refused() tells whether the hook saw a write it refused (a test says so,
 * so that it cannot pass without having injected anything).
 *
 * Writes through C stdio (fwrite, fprintf) are not seen: glibc's stdio calls the system
 * directly. libstdc++ streams, HDF5 (sec2 and MPI-IO drivers), VTK and libtorch use the
 * calls above.
 */
#ifndef IFF_TESTS_SUPPORT_FAULT_FS_H
#define IFF_TESTS_SUPPORT_FAULT_FS_H

#ifdef __cplusplus
extern "C" {
#endif

/** Bytes this process has been refused under IFF_FAULT_DIR since it started (0 when the
 *  hook is loaded but never refused anything). */
unsigned long long iff_fault_bytes_refused(void);

/** Space taken under IFF_FAULT_DIR within the current budget. */
unsigned long long iff_fault_bytes_written(void);

#ifdef __cplusplus
}
#endif

#endif
