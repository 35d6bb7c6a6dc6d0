#include "io/stop_signal.hpp"

#include <atomic>

namespace iff::io {
namespace {

volatile std::sig_atomic_t g_received = 0;
std::atomic<int> g_scopes{0};

extern "C" void on_stop_signal(int sig) { g_received = sig; }

}  // namespace

StopSignals::StopSignals() {
  if (g_scopes++ == 0) g_received = 0;
  struct sigaction a {};
  a.sa_handler = on_stop_signal;
  a.sa_flags = SA_RESTART;  // a read or write the signal lands in resumes instead of failing
  sigemptyset(&a.sa_mask);
  sigaction(SIGUSR1, &a, &old_usr1_);
  sigaction(SIGTERM, &a, &old_term_);
}

StopSignals::~StopSignals() {
  sigaction(SIGUSR1, &old_usr1_, nullptr);
  sigaction(SIGTERM, &old_term_, nullptr);
  --g_scopes;
}

int StopSignals::received() { return g_received; }

bool StopSignals::agreed(MPI_Comm comm) const {
  int local = g_received != 0 ? 1 : 0, any = 0;
  MPI_Allreduce(&local, &any, 1, MPI_INT, MPI_MAX, comm);
  return any != 0;
}

const char* stop_signal_name(int sig) {
  switch (sig) {
    case SIGTERM: return "SIGTERM";
    case SIGUSR1: return "SIGUSR1";
    default: return "a stop signal";
  }
}

}  // namespace iff::io
