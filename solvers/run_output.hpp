// The outputs of a channel run as parts of its driver, after Dedalus' evaluator and file
// handlers: each output says at which step boundaries it is due, and the time loop, which
// only steps, asks the CFL controller and polls the stop signal, calls the due ones in the
// order they were registered (a snapshot before the checkpoint that counts it, a checkpoint
// before the time-series file that matches it).
#pragma once

#include "solvers/channel_flow.hpp"

namespace iff::solvers {

/// The run at a step boundary, as its outputs see it.
struct StepBoundary {
  long step = 0;                ///< steps made (a restart continues the count)
  double time = 0.0;            ///< time of `state`
  double dt = 0.0;              ///< the step size that made it
  const cvec* state = nullptr;  ///< the solution at (step, time)
  /// Of the step that led here, evaluated at the state it started from (at the start: zero).
  FlowDiagnostics step_diagnostics;
  bool last = false;            ///< the loop ends here (the run's final state)
};

/// How a run ends: all its steps made, or stopped by a signal at a boundary it can resume from.
enum class RunEnd { done, interrupted };

class RunOutput {
 public:
  virtual ~RunOutput() = default;
  /// The run's first state, before its first step (a fresh start or a restart).
  virtual void start(const StepBoundary&) {}
  /// Whether the output is written at boundary `b`.
  virtual bool due(const StepBoundary& b) const = 0;
  /// Whether what it writes holds the state (the loop checks the state finite before).
  virtual bool keeps_state() const { return false; }
  /// Writes the output at a due boundary. Collective.
  virtual void write(const StepBoundary& b) = 0;
  /// At the run's end, done or interrupted (`b`: its last boundary). Collective.
  virtual void finish(const StepBoundary&, RunEnd) {}
};

}  // namespace iff::solvers
