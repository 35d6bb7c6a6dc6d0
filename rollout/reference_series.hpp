// The reference a rollout is measured against: the series its initial states come from.
// Trajectory `id` of the rollout starts at (trajectory, time index) starts[id] of the series;
// after `step` steps its reference is the series' snapshot at time index + step, while the
// series has one.
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
  /// starts[id] = {trajectory, time index}; `ref` outlives this object.
  ReferenceSeries(const SeriesReader& ref, std::vector<std::vector<int>> starts);
  /// The reference snapshot of rollout trajectory `id` after `step` steps (none past the
  /// series' end). Read once per (id, step): the energy band and the outputs share it.
  const std::optional<Field>& at(int id, int step);
  /// The series' u_tau record there (NaN past its end or where it has none).
  double u_tau(int id, int step) const;
  /// Rollout trajectories [first, last) at their start: each with the `window` snapshots up
  /// to its initial state, oldest first.
  std::vector<Trajectory> trajectories(int first, int last, int window) const;
  /// Every rollout trajectory's initial time.
  std::vector<double> initial_times() const;

 private:
  const SeriesReader& ref_;
  std::vector<std::vector<int>> starts_;
  std::vector<double> wall_;  // [n_traj][n_time]
  std::map<int, std::pair<int, std::optional<Field>>> cache_;
};

}  // namespace iff::rollout
