// Testing hooks of the batch-job paths, read from the environment by the commands:
//   IFF_<COMMAND>_KILL_AFTER=N    every rank SIGKILLs itself once N units (steps, snapshots)
//                                 are done, as a scheduler's kill would (no clean-up);
//   IFF_<COMMAND>_SIGNAL_AFTER=N  rank 0 alone raises SIGTERM once N units are done: the stop
//                                 request reaches one rank, the others learn of it by agreement.
#pragma once

#include <csignal>
#include <cstdlib>
#include <string>

#include "io/error.hpp"

namespace iff::app {

/// The positive count in environment variable `name`, 0 when it is unset or empty;
/// InputError naming the variable otherwise.
inline long env_count(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return 0;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  IFF_REQUIRE(end && *end == '\0' && n > 0, name << " must be a positive integer, got '" << v << "'");
  return n;
}

/// The two hooks of one command, e.g. TestHooks("ROLLOUT").
struct TestHooks {
  long kill_after = 0, signal_after = 0;
  explicit TestHooks(const std::string& command)
      : kill_after(env_count(("IFF_" + command + "_KILL_AFTER").c_str())),
        signal_after(env_count(("IFF_" + command + "_SIGNAL_AFTER").c_str())) {}
  /// Called with the units done so far (on every rank, `rank` its rank) and those done at
  /// the previous call, `before` (one unit a call when omitted): both hooks act at the call
  /// whose count reaches or passes N, also when a call counts several units.
  void at(long done, int rank, long before = -1) const {
    if (before < 0) before = done - 1;
    if (kill_after > 0 && done >= kill_after) std::raise(SIGKILL);
    if (signal_after > 0 && before < signal_after && done >= signal_after && rank == 0) std::raise(SIGTERM);
  }
};

}  // namespace iff::app
