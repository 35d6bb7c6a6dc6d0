// rollout.state.h5: what an unfinished rollout continues from (--resume). Written at every
// flush of the prediction series, after the series and the tables, atomically (its rename
// commits the step), by every rank together (parallel HDF5), each writing its planes of its
// trajectories' windows: the same file whatever the split of the states.
//   /history          [n_traj][window][nx][ny*nz*3]  each trajectory's input window (float64)
//   /completed, /alive, /initial_energy  [n_traj]  progress, liveness, the band's reference
//   attributes        format = ifactflow-rollout-state, step, steps, n_traj, window, config
//                     (the resolved case it was written for), wall_seconds, step_seconds,
//                     output_seconds (the cost so far), stop_reason_<id> (why one stopped)
#pragma once

#include <mpi.h>

#include <optional>
#include <string>
#include <vector>

#include "rollout/engine.hpp"

namespace iff::rollout {

struct RolloutState {
  int step = 0, steps = 0, n_traj = 0, window = 0;
  std::string config;                       ///< resolved case the state belongs to
  double wall = 0, model = 0, output = 0;   ///< cost of the earlier runs up to `step` (s)
  std::vector<double> completed, alive, initial_energy;

  /// Reads the attributes and records (every rank); InputError for another kind of file.
  static RolloutState read(const std::string& path);
  /// The unfinished rollout in `dir`, if any: to be continued with --resume (`resume`),
  /// refused without it, and refused when it was written for another resolved case
  /// (`config`) or has no prediction.h5. `case_file` names the case in messages.
  static std::optional<RolloutState> unfinished(const std::string& dir, bool resume, const std::string& config,
                                                const std::string& case_file);
  /// Restores the trajectories of this rank (ids index the saved arrays) as saved: its
  /// planes (`slab`) of the input window, progress, reference energy and stop reason;
  /// InputError when the state holds another number of trajectories, another window or
  /// another grid. Collective over `comm`.
  void restore(const std::string& path, int n_traj, int window, std::vector<Trajectory>& local, const StateSlab& slab,
               int ny, int nz, MPI_Comm comm) const;
};

/// Writes `path` from every rank's trajectories (ids 0..n_traj-1, consecutive per rank or
/// group, in rank order), each rank its planes `slab` of them (ny x nz points a plane); a
/// trajectory's progress is its group leader's. Collective; a failed write ends every rank
/// with its error.
void write_rollout_state(const std::string& path, const RolloutState& head, const std::vector<Trajectory>& local,
                         const StateSlab& slab, int ny, int nz, MPI_Comm comm);

}  // namespace iff::rollout
