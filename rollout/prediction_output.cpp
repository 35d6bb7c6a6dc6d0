#include "rollout/prediction_output.hpp"

#include <algorithm>

namespace iff::rollout {

PredictionOutput::PredictionOutput(SeriesWriter& out, const SeriesMeta& meta, StateSlab slab, int every, int buffer,
                                   double dt, WallUnits u_tau, MPI_Comm comm)
    : out_(out), meta_(meta), slab_(slab), every_(every), buffer_(buffer), dt_(dt), u_tau_(std::move(u_tau)), comm_(comm) {}

bool PredictionOutput::same_runs(const Step& a, const Step& b) {
  if (a.runs.size() != b.runs.size()) return false;
  for (std::size_t k = 0; k < a.runs.size(); ++k)
    if (a.runs[k].first_id != b.runs[k].first_id || a.runs[k].count != b.runs[k].count) return false;
  return true;
}

bool PredictionOutput::at(int step, const std::vector<Trajectory>& traj, bool last) {
  if (step % every_ != 0) return false;
  Step now;
  now.ti = step / every_;
  now.time = step * dt_;
  int previous = -2;
  for (const auto& t : traj) {
    if (t.completed != step) continue;  // stopped earlier
    if (t.id != previous + 1) now.runs.push_back({t.id, 0, {}});
    auto& run = now.runs.back();
    run.count += 1;
    run.states.insert(run.states.end(), t.state().begin(), t.state().end());
    previous = t.id;
  }
  int changed = !pending_.empty() && !same_runs(pending_.front(), now), any_changed = 0;
  MPI_Allreduce(&changed, &any_changed, 1, MPI_INT, MPI_MAX, comm_);
  if (any_changed) flush();
  pending_.push_back(std::move(now));
  if (static_cast<int>(pending_.size()) >= buffer_ || last) {
    flush();
    return true;
  }
  return false;
}

// Collective: every rank takes part in as many writes as the rank with the most runs (with
// empty blocks); a run's block is [count][steps][snapshot], the file's order.
void PredictionOutput::flush() {
  if (pending_.empty()) return;
  std::vector<double> times;
  for (const auto& p : pending_) times.push_back(p.time);
  const auto& shape = pending_.front().runs;
  int n_runs = static_cast<int>(shape.size()), max_runs = 0;
  MPI_Allreduce(&n_runs, &max_runs, 1, MPI_INT, MPI_MAX, comm_);
  const std::size_t snap = slab_.size(meta_.ny(), meta_.nz());
  const int nt = static_cast<int>(pending_.size()), first_ti = pending_.front().ti;
  std::vector<double> block, wall;
  for (int k = 0; k < max_runs; ++k) {
    if (k >= n_runs) {
      out_.write_times(first_ti, times, SeriesBlock{}, nullptr);
      if (meta_.wall) out_.write_wall_units(first_ti, nt, SeriesBlock{}, nullptr);
      continue;
    }
    const int count = shape[k].count;
    const SeriesBlock where{shape[k].first_id, count, slab_.x0, slab_.nx};
    block.resize(static_cast<std::size_t>(count) * nt * snap);
    for (int j = 0; j < count; ++j)
      for (int s = 0; s < nt; ++s)
        std::copy_n(pending_[s].runs[k].states.begin() + j * snap, snap,
                    block.begin() + (static_cast<std::size_t>(j) * nt + s) * snap);
    out_.write_times(first_ti, times, where, block.data());
    if (meta_.wall && !slab_.leader()) {
      out_.write_wall_units(first_ti, nt, SeriesBlock{}, nullptr);  // the leader writes the group's
    } else if (meta_.wall) {
      wall.resize(static_cast<std::size_t>(count) * nt);
      for (int j = 0; j < count; ++j)
        for (int q = 0; q < nt; ++q) wall[std::size_t(j) * nt + q] = u_tau_(shape[k].first_id + j, pending_[q].ti * every_);
      out_.write_wall_units(first_ti, nt, where, wall.data());
    }
  }
  pending_.clear();
}

}  // namespace iff::rollout
