// What a training run writes into `output.dir` (operators/training.hpp): config.resolved.yaml
// once the input is checked, last.ckpt (end of every epoch, every `train.checkpoint_every`
// steps, and on a stop), best.ckpt (an epoch with the lowest score so far) and train_log.csv
// (one row per completed epoch). Rank 0 writes, atomically; a failed write ends every rank
// with its error (run_agreed).
#pragma once

#include <torch/torch.h>
#include <mpi.h>

#include <cstdint>
#include <string>

#include "operators/checkpoint.hpp"
#include "operators/model.hpp"

namespace iff::operators {

/// The rows of train_log.csv: epoch, step, lr, train_loss, val_loss, seconds, samples_per_s.
class TrainLog {
 public:
  TrainLog();
  /// Keeps the rows of `text` (a train_log.csv) of epochs ≤ `epochs`: those a resumed run
  /// continues after.
  void keep_rows(const std::string& text, int64_t epochs);
  /// `epoch` 1-based; `val_loss` −1: no validation set.
  void add(int64_t epoch, int64_t step, double lr, double train_loss, double val_loss, double seconds,
           double samples_per_s);
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

class TrainOutputs {
 public:
  TrainOutputs(const std::string& output_dir, MPI_Comm comm);
  const std::string& last_path() const { return last_; }
  const std::string& best_path() const { return best_; }
  const std::string& log_path() const { return log_; }

  /// config.resolved.yaml (nothing when `config` is empty).
  void write_config(const std::string& config) const;
  /// last.ckpt.
  void save_last(const Model& model, const CheckpointData& data, const torch::optim::Optimizer& opt) const;
  /// The end of an epoch: train_log.csv, best.ckpt when `best`, then last.ckpt (last: it is
  /// what --resume continues from, so a kill before it repeats the epoch and rewrites the
  /// log row and best.ckpt with the same values).
  void save_epoch(const TrainLog& log, bool best, const Model& model, const CheckpointData& data,
                  const torch::optim::Optimizer& opt) const;

 private:
  std::string dir_, last_, best_, log_;
  MPI_Comm comm_;
  int rank_ = 0;
};

}  // namespace iff::operators
