// Cost record of a time-marching run (DNS, LES, operator rollout): one header row and one
// value row in OUTDIR/cost.csv, so that runs of different kinds are compared per unit of
// simulated time on the same footing (ifactflow compare reads it).
//
//   command,model,ranks,threads_per_rank,steps,simulated_time,wall_seconds,
//   step_seconds,output_seconds,analysis_seconds,wall_per_unit_time,steps_per_second
//
// wall_seconds covers the time loop of the slowest rank (setup and final statistics
// excluded); step_seconds is the part spent advancing the state, output_seconds writing
// series/VTK, analysis_seconds the rest (errors against a reference, energies, waiting for
// other ranks), each the mean over ranks. A phase that a run does not time separately is
// written as an empty field.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace iff {

struct RunCost {
  std::string command;  ///< dns, les, rollout
  std::string model;    ///< e.g. "dns", "les-dsm", "ifactformer-m"
  int ranks = 1;
  int threads_per_rank = 1;
  long steps = 0;
  double simulated_time = 0.0;
  /// Simulated time summed over the trajectories advanced: n trajectories advanced together
  /// over T count n T, a trajectory stopped early by its guard only up to its stop. Unset:
  /// one trajectory (simulated_time).
  std::optional<double> trajectory_time;
  double wall_seconds = 0.0;
  std::optional<double> step_seconds, output_seconds, analysis_seconds;

  /// A record of `command` running `model` on `ranks` ranks of `threads` threads, before
  /// any step.
  static RunCost of(std::string command, std::string model, int ranks, int threads) {
    RunCost c;
    c.command = std::move(command);
    c.model = std::move(model);
    c.ranks = ranks;
    c.threads_per_rank = threads;
    return c;
  }
  double wall_per_unit_time() const { return simulated_time > 0 ? wall_seconds / simulated_time : 0.0; }
  double steps_per_second() const { return wall_seconds > 0 ? steps / wall_seconds : 0.0; }
  /// "S steps/s, W s per unit time; model a%, output b%, analysis c% of T s" (the phases
  /// that were timed).
  std::string summary() const;
};

/// Writes `cost` to `path` atomically (call on one rank).
void write_run_cost(const std::string& path, const RunCost& cost);

/// Reads a file written by write_run_cost; InputError naming the file when it is missing
/// or malformed.
RunCost read_run_cost(const std::string& path);

}  // namespace iff
