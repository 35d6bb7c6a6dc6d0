#include "operators/training_data.hpp"

#include <algorithm>

#include "io/error.hpp"
#include "io/partition.hpp"
#include "operators/data_parallel.hpp"

namespace iff::operators {

TrainingData::TrainingData(const DataParams& data, const ModelSpec& model)
    : series_(data.series), reader_(data.series, MPI_COMM_SELF), spec_(model) {
  const auto& m = reader_.meta();
  n_time_ = data.max_time > 0 ? std::min(data.max_time, reader_.n_time()) : reader_.n_time();
  spec_.x = m.x;
  spec_.y = m.y;
  spec_.z = m.z;
  spec_.lx = m.box_lx();
  spec_.lz = m.box_lz();
  window_ = static_cast<int>(spec_.in_time_window());
  IFF_REQUIRE(n_time_ > window_, "series " << series_ << " has " << n_time_ << " snapshots per trajectory; a window of "
                                           << window_ << " needs at least " << window_ + 1);
  const int n_traj = m.n_traj;
  const int n_val = data.val_trajectories >= 0 ? data.val_trajectories : (n_traj > 1 ? (n_traj + 4) / 5 : 0);
  IFF_REQUIRE(n_val < n_traj, "data.val_trajectories = " << n_val << " leaves no training trajectory (the series has "
                                                         << n_traj << ")");
  for (int t = 0; t < n_traj; ++t) (t < n_traj - n_val ? train_trajs_ : val_trajs_).push_back(t);
  train_pairs_ = make_pairs(train_trajs_, n_time_, window_);
  val_pairs_ = make_pairs(val_trajs_, n_time_, window_);
}

Normalization TrainingData::normalization(MPI_Comm comm) const {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  auto moments = torch::zeros({4, 3}, torch::kFloat64);  // in Σu, in Σu², out Σu, out Σu²
  double counts[2] = {0, 0};
  int64_t k = 0;
  for (int traj : train_trajs_)
    for (int t = 0; t < n_time_; ++t, ++k) {
      const bool as_input = t <= n_time_ - 2, as_target = t >= window_;
      if (k % size != rank || (!as_input && !as_target)) continue;
      auto v = reader_.read_velocity(traj, t);
      auto u = torch::from_blob(v.data(), {static_cast<int64_t>(v.size() / 3), 3}, torch::kFloat64);
      auto s = u.sum(0), s2 = (u * u).sum(0);
      if (as_input) {
        moments[0] += s;
        moments[1] += s2;
        counts[0] += u.size(0);
      }
      if (as_target) {
        moments[2] += s;
        moments[3] += s2;
        counts[1] += u.size(0);
      }
    }
  allreduce_sum(moments, comm);
  MPI_Allreduce(MPI_IN_PLACE, counts, 2, MPI_DOUBLE, MPI_SUM, comm);
  auto vec = [&](int row) { return std::vector<double>(moments[row].data_ptr<double>(), moments[row].data_ptr<double>() + 3); };
  Normalization n;
  n.in_std = Normalization::std_from_moments(vec(0), vec(1), counts[0], &n.in_mean);
  n.out_std = Normalization::std_from_moments(vec(2), vec(3), counts[1], &n.out_mean);
  return n;
}

std::vector<Pair> rank_share(const std::vector<Pair>& all, int64_t lo, int64_t hi, int rank, int size) {
  auto [a, b] = share_range(hi - lo, rank, size);
  return std::vector<Pair>(all.begin() + lo + a, all.begin() + lo + b);
}

}  // namespace iff::operators
