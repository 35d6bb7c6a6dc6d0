// The data of a training run (operators/training.hpp): the series, its grid given to the
// model's hyper-parameters, the split by trajectory into training and validation pairs (the
// last `data.val_trajectories` trajectories are held out), and the per-component
// normalisation of the training split. Every rank opens the series on its own and reads only
// its share of each batch (`rank_share`).
#pragma once

#include <mpi.h>

#include <cstdint>
#include <vector>

#include "io/series.hpp"
#include "operators/model_spec.hpp"
#include "operators/normalization.hpp"
#include "operators/pair_loader.hpp"
#include "operators/training.hpp"

namespace iff::operators {

class TrainingData {
 public:
  /// Opens the series and checks that it holds a window and its target and a training
  /// trajectory (InputError naming the series otherwise).
  TrainingData(const DataParams& data, const ModelSpec& model);

  const SeriesReader& reader() const { return reader_; }
  const SeriesMeta& meta() const { return reader_.meta(); }
  const std::string& series() const { return series_; }
  /// The case's hyper-parameters with the series' grid and box.
  const ModelSpec& spec() const { return spec_; }
  int window() const { return window_; }
  const std::vector<int>& train_trajectories() const { return train_trajs_; }
  const std::vector<int>& val_trajectories() const { return val_trajs_; }
  const std::vector<Pair>& train_pairs() const { return train_pairs_; }
  const std::vector<Pair>& val_pairs() const { return val_pairs_; }

  /// Mean and std per component of the training trajectories' inputs and targets
  /// (collective: every rank reads a share of the snapshots).
  Normalization normalization(MPI_Comm comm) const;

 private:
  std::string series_;
  SeriesReader reader_;
  int n_time_ = 0;
  ModelSpec spec_;
  int window_ = 0;
  std::vector<int> train_trajs_, val_trajs_;
  std::vector<Pair> train_pairs_, val_pairs_;
};

/// Rank `rank`'s contiguous share (of `size`) of the pairs all[lo, hi).
std::vector<Pair> rank_share(const std::vector<Pair>& all, int64_t lo, int64_t hi, int rank, int size);

}  // namespace iff::operators
