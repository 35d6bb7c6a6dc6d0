// The progress line of a channel run (io/log.hpp Progress, at most one every
// `progress_seconds`): time, fluctuation energy and CFL number after every step; a
// CFL-controlled run to t_end measures its progress in simulated time, not in steps.
#pragma once

#include <fmt/format.h>

#include <string>

#include "io/log.hpp"
#include "solvers/run_output.hpp"

namespace iff::solvers {

class ProgressOutput : public RunOutput {
 public:
  /// `t_end` > 0: the run ends at that time (else after `total` steps).
  ProgressOutput(const std::string& name, long total, double progress_seconds, double t_end)
      : progress_(name, total, progress_seconds), t_end_(t_end) {}

  bool due(const StepBoundary&) const override { return true; }
  void write(const StepBoundary& b) override {
    const auto& d = b.step_diagnostics;
    const std::string line = fmt::format("t={:.3f} E'={:.4e} CFL={:.3f}", b.time, d.fluct_energy, d.cfl_rate * b.dt);
    if (t_end_ > 0)
      progress_.update_to_time(b.step, b.time, t_end_, line);
    else
      progress_.update(b.step, line);
  }

 private:
  Progress progress_;
  double t_end_;
};

}  // namespace iff::solvers
