// The training of a neural operator (operators/training.hpp documents the method, the case
// keys and the outputs) as its steps: an epoch (the shuffled batches of the training pairs),
// a batch (forward, backward, the data-parallel gradient sum, the divergence guard, the
// AdamW step), the evaluation (validation loss) and the checkpoints at the end of an epoch,
// within one every `train.checkpoint_every` steps, and when a run stops early. Its parts:
// TrainingData (series, split, normalisation), GradientAllreduce, DivergenceGuard, TrainLog
// and TrainOutputs (train_log.csv, last.ckpt, best.ckpt); with `train.ranks_per_sample`, a
// ProcessGrid whose groups share out the batches and split each sample in x-slabs (an
// MpiSlabGroup). Every member function is collective over the communicator.
#pragma once

#include <torch/torch.h>
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/log.hpp"
#include "io/process_grid.hpp"
#include "operators/checkpoint.hpp"
#include "operators/data_parallel.hpp"
#include "operators/divergence_guard.hpp"
#include "operators/model.hpp"
#include "operators/mpi_slab_group.hpp"
#include "operators/pair_loader.hpp"
#include "operators/training.hpp"
#include "operators/training_data.hpp"
#include "operators/training_outputs.hpp"

namespace iff::operators {

class Trainer {
 public:
  /// Reads and checks the series and the model (new, or last.ckpt with `setup.resume`) and
  /// the memory a step needs, then writes config.resolved.yaml: a run that fails on its input
  /// changes nothing. `setup` must outlive the Trainer.
  Trainer(const TrainSetup& setup, MPI_Comm comm);

  /// Trains until `train.epochs` are done, `train.max_steps` are taken or a stop signal
  /// arrives (then last.ckpt holds the state and the summary says `interrupted`).
  TrainSummary train();

 private:
  using Clock = std::chrono::steady_clock;

  /// The epoch under way.
  struct Epoch {
    int64_t index = 0;  ///< 0-based
    double lr = 0;
    Clock::time_point start;
    double loss_sum = 0, samples = 0;  ///< Σ loss × samples and samples of its batches (with those before a resume)
    double samples_here = 0;           ///< samples this run has taken in it (for samples/s)
    bool stopped = false;              ///< the run stopped within it
    double seconds() const { return std::chrono::duration<double>(Clock::now() - start).count(); }
    double mean_loss() const { return loss_sum / std::max(samples, 1.0); }
  };
  struct BatchResult {
    double loss = 0;          ///< global batch loss
    bool signalled = false;   ///< some rank has received a stop signal
  };

  void start_model();
  void split_samples();
  void start_optimizer();
  void check_memory() const;
  void check_resumed_position() const;
  void warn_on_changed_rate() const;

  Epoch train_epoch(int64_t index);
  BatchResult train_batch(const Batch& batch, double global_size, const std::string& where);
  double evaluate();
  void end_epoch(const Epoch& epoch);
  void save_within_epoch(const Epoch& epoch, int64_t batches);

  double scheduled_lr(int64_t epoch) const;
  bool max_steps_taken() const;
  std::vector<Pair> shuffled_pairs(int64_t epoch) const;
  std::pair<int64_t, int64_t> batch_range(int64_t i, int64_t n_pairs) const;
  torch::Tensor to_model(const torch::Tensor& t) const { return t.to(device_, dtype_); }
  torch::Tensor predict(const Batch& batch) const;  ///< in physical units (this rank's planes when split)
  /// Σ over the batch's samples of their loss (operators/loss.hpp), whole samples' also when split.
  torch::Tensor batch_loss(const Batch& batch) const;

  const TrainSetup& setup_;
  MPI_Comm comm_;
  int rank_ = 0, size_ = 1;
  int threads_ = 1;
  ProcessGrid grid_;  ///< groups of train.ranks_per_sample ranks
  torch::Device device_;
  torch::ScalarType dtype_;
  TrainingData data_;
  TrainOutputs outputs_;
  PairLoader loader_;
  TrainLog log_;

  Model model_;
  std::shared_ptr<MpiSlabGroup> slab_;  ///< the group's split of a sample (null: whole samples)
  CheckpointData state_;  ///< what the checkpoints hold besides weights and optimizer
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  std::optional<GradientAllreduce> gradients_;
  double resumed_lr_ = -1;  ///< train.lr of the run that wrote last.ckpt (−1: unknown)

  int64_t batch_size_ = 0, n_batches_ = 0;
  TrainingProgress resumed_;  ///< where this run starts
  int64_t step_ = 0;          ///< optimizer steps taken
  double samples_run_ = 0;    ///< samples this run has trained on
  std::optional<Progress> progress_;
  std::optional<DivergenceGuard> guard_;
  TrainSummary summary_;
};

}  // namespace iff::operators
