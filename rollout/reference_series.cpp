#include "rollout/reference_series.hpp"

#include <limits>

#include <fmt/format.h>

namespace iff::rollout {

ReferenceSeries::ReferenceSeries(const SeriesReader& ref, std::vector<std::vector<int>> starts)
    : ref_(ref), starts_(std::move(starts)), wall_(ref.wall_u_tau()) {}

const std::optional<Field>& ReferenceSeries::at(int id, int step) {
  auto& [cached_step, field] = cache_.try_emplace(id, -1, std::nullopt).first->second;
  if (cached_step != step) {
    const int ti = starts_[id][1] + step;
    field = ti < ref_.n_time() ? std::optional<Field>(ref_.read_velocity(starts_[id][0], ti)) : std::nullopt;
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
    for (int w = window - 1; w >= 0; --w) t.history.push_back(ref_.read_velocity(starts_[i][0], starts_[i][1] - w));
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
