#include "operators/pair_loader.hpp"

#include "io/error.hpp"

namespace iff::operators {

std::vector<Pair> make_pairs(const std::vector<int>& trajectories, int n_time, int window) {
  std::vector<Pair> pairs;
  for (int traj : trajectories)
    for (int t0 = 0; t0 + window < n_time; ++t0) pairs.push_back({traj, t0});
  return pairs;
}

Batch read_batch(const SeriesReader& reader, const std::vector<Pair>& pairs, int window) {
  const auto& m = reader.meta();
  const int64_t n = static_cast<int64_t>(pairs.size());
  Batch b;
  b.input = torch::empty({n, window, m.nx(), m.ny(), m.nz(), 3}, torch::kFloat64);
  b.target = torch::empty({n, m.nx(), m.ny(), m.nz(), 3}, torch::kFloat64);
  const auto snap = static_cast<int64_t>(m.snapshot_size());
  for (int64_t s = 0; s < n; ++s) {
    for (int t = 0; t <= window; ++t) {
      auto v = reader.read_velocity(pairs[s].traj, pairs[s].t0 + t);
      IFF_CHECK(static_cast<int64_t>(v.size()) == snap, "snapshot size mismatch");
      auto dst = t < window ? b.input[s][t] : b.target[s];
      std::memcpy(dst.data_ptr<double>(), v.data(), sizeof(double) * snap);
    }
  }
  return b;
}

PairLoader::~PairLoader() {
  if (pending_.valid()) pending_.wait();
}

void PairLoader::prefetch(std::vector<Pair> pairs) {
  if (pending_.valid()) pending_.wait();
  pending_ = std::async(std::launch::async, [this, pairs = std::move(pairs)] { return read_batch(reader_, pairs, window_); });
}

Batch PairLoader::take() {
  IFF_CHECK(pending_.valid(), "PairLoader::take() without prefetch()");
  return pending_.get();
}

}  // namespace iff::operators
