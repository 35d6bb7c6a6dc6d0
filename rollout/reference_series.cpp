#include "rollout/reference_series.hpp"

#include <limits>

#include <fmt/format.h>

#include "io/agreed.hpp"

namespace iff::rollout {

ReferenceSeries::ReferenceSeries(const SeriesReader& ref, std::vector<std::vector<int>> starts, StateSlab slab)
    : ref_(ref), starts_(std::move(starts)), slab_(slab), wall_(ref.wall_u_tau()) {}

Field ReferenceSeries::read(int traj, int time_index) const {
  const auto& m = ref_.meta();
  Field f(slab_.size(m.ny(), m.nz()));
  run_agreed(slab_.comm, [&] { ref_.read(time_index, SeriesBlock{traj, 1, slab_.x0, slab_.nx}, f.data()); });
  return f;
}

const std::optional<Field>& ReferenceSeries::at(int id, int step) {
  auto& [cached_step, field] = cache_.try_emplace(id, -1, std::nullopt).first->second;
  if (cached_step != step) {
    const int ti = starts_[id][1] + step;
    field = ti < ref_.n_time() ? std::optional<Field>(read(starts_[id][0], ti)) : std::nullopt;
    cached_step = step;
  }
  return field;
}

double ReferenceSeries::u_tau(int id, int step) const {
  const int ti = starts_[id][1] + step;
  return ti < ref_.n_time() ? wall_[std::size_t(starts_[id][0]) * ref_.n_time() + ti]
                            : std::numeric_limits<double>::quiet_NaN();
}

std::vector<Trajectory> ReferenceSeries::trajectories(int first, int last, int window) const {
  std::vector<Trajectory> local;
  for (int i = first; i < last; ++i) {
    Trajectory t;
    t.id = i;
    t.label = fmt::format("series trajectory {}, time index {}", starts_[i][0], starts_[i][1]);
    t.t0 = ref_.times()[starts_[i][1]];
    for (int w = window - 1; w >= 0; --w) t.history.push_back(read(starts_[i][0], starts_[i][1] - w));
    local.push_back(std::move(t));
  }
  return local;
}

std::vector<double> ReferenceSeries::initial_times() const {
  std::vector<double> t0;
  for (const auto& s : starts_) t0.push_back(ref_.times()[s[1]]);
  return t0;
}

}  // namespace iff::rollout
