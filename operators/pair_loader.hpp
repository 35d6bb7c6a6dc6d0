// Training pairs from a series file: a window of T snapshots of one trajectory (times
// t0 .. t0+T−1) → the next snapshot (t0+T). Pairs never cross trajectories; the split into
// training and validation is by trajectory.
//
// Each rank reads only the samples of its shard of a batch and, when each sample is split in
// x-slabs over a group of ranks (train.ranks_per_sample), only its own x planes of them. A
// PairLoader reads the next
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

/// A batch: inputs [n, T, nx, ny, nz, 3] and targets [n, nx, ny, nz, 3] (float64, CPU); nx:
/// the planes read (all, or a rank's slab).
struct Batch {
  torch::Tensor input, target;
  int64_t size() const { return input.defined() ? input.size(0) : 0; }
};

/// The x planes [x0, x0 + nx) of a series a rank reads; nx < 0: all of them.
struct XPlanes {
  int x0 = 0, nx = -1;
};

/// Reads the samples `pairs` on `planes` (an empty list gives an empty batch).
Batch read_batch(const SeriesReader& reader, const std::vector<Pair>& pairs, int window, XPlanes planes = {});

/// Reads batches one ahead on a background thread.
class PairLoader {
 public:
  PairLoader(const SeriesReader& reader, int window) : reader_(reader), window_(window) {}
  ~PairLoader();
  /// Reads only `planes` of each sample from the next prefetch() on.
  void set_planes(XPlanes planes) { planes_ = planes; }
  /// Starts reading `pairs` in the background.
  void prefetch(std::vector<Pair> pairs);
  /// The batch of the last prefetch() (waits for it).
  Batch take();

 private:
  const SeriesReader& reader_;
  int window_;
  XPlanes planes_;
  std::future<Batch> pending_;
};

}  // namespace iff::operators
