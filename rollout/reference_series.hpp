// The reference a rollout is measured against: the series its initial states come from.
// Trajectory `id` of the rollout starts at (trajectory, time index) starts[id] of the series;
// after `step` steps its reference is the series' snapshot at time index + step, while the
// series has one. Its snapshots are read on the rank's planes of each state (StateSlab):
// each rank of a group that splits the states reads only its own x planes.
#pragma once

#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "io/series.hpp"
#include "rollout/engine.hpp"

namespace iff::rollout {

class ReferenceSeries {
 public:
  /// starts[id] = {trajectory, time index}; `ref` outlives this object; `slab`: the planes
  /// this rank reads.
  ReferenceSeries(const SeriesReader& ref, std::vector<std::vector<int>> starts, StateSlab slab);
  /// The reference snapshot of rollout trajectory `id` after `step` steps (none past the
  /// series' end). Read once per (id, step): the energy band and the outputs share it.
  /// Collective over the slab's ranks (a read that fails on one fails on all).
  const std::optional<Field>& at(int id, int step);
  /// The series' u_tau record there (NaN past its end or where it has none).
  double u_tau(int id, int step) const;
  /// Rollout trajectories [first, last) at their start: each with the `window` snapshots up
  /// to its initial state, oldest first. Collective over the slab's ranks.
  std::vector<Trajectory> trajectories(int first, int last, int window) const;
  /// Every rollout trajectory's initial time.
  std::vector<double> initial_times() const;

 private:
  Field read(int traj, int time_index) const;

  const SeriesReader& ref_;
  std::vector<std::vector<int>> starts_;
  StateSlab slab_;
  std::vector<double> wall_;  // [n_traj][n_time]
  std::map<int, std::pair<int, std::optional<Field>>> cache_;
};

}  // namespace iff::rollout
