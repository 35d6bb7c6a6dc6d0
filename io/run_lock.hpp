// Exclusive use of an output folder for the duration of a run.
//
// A command that writes into a folder (dns, dataset, train, rollout, compare, stats) holds
// DIR/.ifactflow.lock while it runs: a text file naming the host, the process id (with the
// process's start time, so that a reused id is not mistaken for the holder), the command
// line and the start time. It is made complete under a name of its own and linked into
// place, so a lock file is never seen half-written and only one run can take it.
//
// - A second run into a locked folder refuses in one line naming the holder.
// - A lock left by a process of this host that no longer runs (killed by SIGKILL, by the
//   scheduler, by a power cut) is reported in one line and taken over: running the same
//   command again resumes as before.
// - A run that takes the lock removes the work files (NAME.HOST-PID-N.partial) a killed run
//   left in the folder: nobody else writes there while the lock is held. The resumable work
//   files (.NAME.partial, which a dataset resumes from) stay.
// - A lock from another host cannot be checked from here: the run refuses, and
//   `ifactflow unlock DIR` clears it once the user knows that run is over (unlock refuses a
//   lock whose process is alive on this host).
//
// The lock is released when the FolderLock is destroyed, also when an error unwinds; a
// folder the lock created and that is still empty then is removed too, so that a run that
// fails before writing anything leaves no trace. Under MPI, rank 0 takes the lock and every
// rank learns the outcome: all throw together.
//
//   iff::FolderLock lock(params.output.dir, "ifactflow dns case.yaml", comm);  // collective
#pragma once

#include <mpi.h>

#include <string>

namespace iff {

/// The holder of a folder lock, as its lock file says.
struct LockHolder {
  std::string host;          ///< host name of the holder
  long pid = 0;              ///< its process id
  unsigned long long process_start = 0;  ///< its start in clock ticks since boot (0: unknown)
  std::string boot_id;       ///< the host's boot id when it started ("" unknown)
  std::string command;       ///< its command line
  std::string started;       ///< when it took the lock (UTC, ISO 8601)

  /// "`COMMAND` (pid P on host H, since T)".
  std::string describe() const;
};

class FolderLock {
 public:
  /// Name of the lock file inside a folder.
  static constexpr const char* kFileName = ".ifactflow.lock";

  /// Creates `dir` if needed and takes its lock for `command` (collective over `comm`).
  /// InputError naming the holder when the folder is in use or locked from another host;
  /// IOError when the lock file cannot be written.
  FolderLock(const std::string& dir, const std::string& command, MPI_Comm comm = MPI_COMM_SELF);
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;
  /// Releases the lock (rank 0; never throws, no collective call).
  ~FolderLock();

  /// `ifactflow unlock DIR`: removes the lock of `dir` unless its holder is alive on this
  /// host (InputError naming it then). Returns the removed holder's description, or "" when
  /// the folder holds no lock.
  static std::string clear(const std::string& dir);

  const std::string& path() const { return path_; }

 private:
  std::string dir_, path_, content_;
  bool owner_ = false;         // rank 0 holds the lock
  bool created_dir_ = false;   // the folder did not exist before
};

}  // namespace iff
