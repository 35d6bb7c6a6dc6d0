#include "operators/pair_loader.hpp"

#include "io/error.hpp"

namespace iff::operators {

std::vector<Pair> make_pairs(const std::vector<int>& trajectories, int n_time, int window) {
  std::vector<Pair> pairs;
  for (int traj : trajectories)
    for (int t0 = 0; t0 + window < n_time; ++t0) pairs.push_back({traj, t0});
  return pairs;
}

Batch read_batch(const SeriesReader& reader, const std::vector<Pair>& pairs, int window, XPlanes planes) {
  const auto& m = reader.meta();
  const int nx = planes.nx < 0 ? m.nx() : planes.nx;
  const int64_t n = static_cast<int64_t>(pairs.size());
  Batch b;
  b.input = torch::empty({n, window, nx, m.ny(), m.nz(), 3}, torch::kFloat64);
  b.target = torch::empty({n, nx, m.ny(), m.nz(), 3}, torch::kFloat64);
  for (int64_t s = 0; s < n; ++s)
    for (int t = 0; t <= window; ++t) {
      auto dst = t < window ? b.input[s][t] : b.target[s];
      reader.read(pairs[s].t0 + t, SeriesBlock{pairs[s].traj, 1, planes.x0, nx}, dst.data_ptr<double>());
    }
  return b;
}

PairLoader::~PairLoader() {
  if (pending_.valid()) pending_.wait();
}

void PairLoader::prefetch(std::vector<Pair> pairs) {
  if (pending_.valid()) pending_.wait();
  pending_ = std::async(std::launch::async, [this, planes = planes_, pairs = std::move(pairs)] {
    return read_batch(reader_, pairs, window_, planes);
  });
}

Batch PairLoader::take() {
  IFF_CHECK(pending_.valid(), "PairLoader::take() without prefetch()");
  return pending_.get();
}

}  // namespace iff::operators
