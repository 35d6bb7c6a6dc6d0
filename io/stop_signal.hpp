// Stopping a batch job cleanly: SIGTERM (Slurm's signal at the time limit, `scancel`) and
// SIGUSR1 (`#SBATCH --signal=B:USR1@120`, forwarded by mpirun to every rank) only record a
// request; a driver polls it at its step boundaries, every rank agrees on it in one
// collective, writes its resumable state and throws iff::Interrupted, which the command line
// turns into exit status 75 (EX_TEMPFAIL, "interrupted, resumable").
//
//   io::StopSignals signals;                      // for the lifetime of the run
//   for (...) { step(); if (signals.agreed(comm)) { save(); throw Interrupted(...); } }
#pragma once

#include <mpi.h>

#include <csignal>

#include "io/error.hpp"

namespace iff {

/// A run stopped by SIGTERM or SIGUSR1 after writing the state it resumes from.
class Interrupted : public Error {
 public:
  using Error::Error;
};

/// Exit status of an interrupted, resumable run (sysexits.h EX_TEMPFAIL).
inline constexpr int kExitInterrupted = 75;

namespace io {

/// While alive, SIGTERM and SIGUSR1 only set a flag; the previous handlers come back when it
/// is destroyed. Scopes may nest (the flag is kept while any is alive).
class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  /// The signal this process received (SIGTERM or SIGUSR1), or 0.
  static int received();
  /// Collective over `comm`: whether any rank received a stop signal. Every rank must call it
  /// at the same step boundaries; all get the same answer.
  bool agreed(MPI_Comm comm) const;

 private:
  struct sigaction old_usr1_ {}, old_term_ {};
};

/// Name of a stop signal for messages ("SIGTERM", "SIGUSR1").
const char* stop_signal_name(int sig);

}  // namespace io
}  // namespace iff
