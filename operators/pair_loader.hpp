// Training pairs from a series file: a window of T snapshots of one trajectory (times
// t0 .. t0+T−1) → the next snapshot (t0+T). Pairs never cross trajectories; the split into
// training and validation is by trajectory.
//
// Each rank reads only the samples of its shard of a batch. A PairLoader reads the next
// batch on a background thread while the current one is being computed (one thread touches
// HDF5 at a time).
#pragma once

#include <torch/torch.h>

#include <future>
#include <memory>
#include <string>
#include <vector>

#include "io/series.hpp"

namespace iff::operators {

struct Pair {
  int traj = 0;  ///< trajectory index in the series
  int t0 = 0;    ///< first input time index
};

/// All pairs of the given trajectories for a window of `window` snapshots.
std::vector<Pair> make_pairs(const std::vector<int>& trajectories, int n_time, int window);

/// A batch: inputs [n, T, nx, ny, nz, 3] and targets [n, nx, ny, nz, 3] (float64, CPU).
struct Batch {
  torch::Tensor input, target;
  int64_t size() const { return input.defined() ? input.size(0) : 0; }
};

/// Reads the samples `pairs` (an empty list gives an empty batch).
Batch read_batch(const SeriesReader& reader, const std::vector<Pair>& pairs, int window);

/// Reads batches one ahead on a background thread.
class PairLoader {
 public:
  PairLoader(const SeriesReader& reader, int window) : reader_(reader), window_(window) {}
  ~PairLoader();
  /// Starts reading `pairs` in the background.
  void prefetch(std::vector<Pair> pairs);
  /// The batch of the last prefetch() (waits for it).
  Batch take();

 private:
  const SeriesReader& reader_;
  int window_;
  std::future<Batch> pending_;
};

}  // namespace iff::operators
