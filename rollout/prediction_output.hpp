// The prediction series of a rollout as an observer of the engine: every `every` steps the
// still-running trajectories' states are buffered, and `buffer` snapshots at a time are
// written together (one collective transfer, one extension of the time axis and one flush),
// with each snapshot's wall units where the series records them.
//
// Each rank holds its running trajectories as runs of consecutive ids (one run unless a
// trajectory stopped inside its share); a change in which trajectories run, on any rank,
// writes the buffer first. Each rank writes its planes of them (StateSlab): the ranks of a
// group that splits the states write their x-slabs of the same trajectories, and the group's
// first rank their wall units. Every call is collective over the writer's communicator.
#pragma once

#include <mpi.h>

#include <functional>
#include <vector>

#include "io/series.hpp"
#include "rollout/engine.hpp"

namespace iff::rollout {

class PredictionOutput {
 public:
  /// u_tau(id, step): the wall units stored with trajectory id's snapshot after `step` steps
  /// (used when the series records wall units).
  using WallUnits = std::function<double(int id, int step)>;

  PredictionOutput(SeriesWriter& out, const SeriesMeta& meta, StateSlab slab, int every, int buffer, double dt,
                   WallUnits u_tau, MPI_Comm comm);
  /// Buffers the trajectories that completed `step` (when step is a multiple of `every`)
  /// and writes the buffer when it is full or `last`; true when it wrote.
  bool at(int step, const std::vector<Trajectory>& traj, bool last);
  /// Writes whatever is buffered.
  void flush();

 private:
  struct Run {
    int first_id = 0, count = 0;
    std::vector<double> states;  // [count][slab nx][ny][nz][3]
  };
  struct Step {
    int ti = 0;
    double time = 0.0;
    std::vector<Run> runs;
  };
  static bool same_runs(const Step& a, const Step& b);

  SeriesWriter& out_;
  SeriesMeta meta_;
  StateSlab slab_;
  int every_, buffer_;
  double dt_;
  WallUnits u_tau_;
  MPI_Comm comm_;
  std::vector<Step> pending_;
};

}  // namespace iff::rollout
