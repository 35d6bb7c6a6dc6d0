// Operator checkpoints: one file (libtorch's zip archive) holding everything needed to run
// or continue training a model:
//   format = "ifactflow-operator", format_version
//   model_hyper (text: kind and hyper-parameters), model_grid_{x,y,z}, model_box (lx, lz)
//   model_weights (dict: parameters and buffers by reference name)
//   norm_{in,out}_{mean,std}
//   train_{epoch, step, best_val_loss}, train_optimizer (AdamW state), train_rng
//   provenance (text: command, source series, git commit, time), config (resolved YAML)
// Made in memory, written under a temporary name with every write checked (IOError naming
// the file on a full disk) and renamed into place.
#pragma once

#include <torch/torch.h>

#include <limits>
#include <optional>
#include <string>

#include "operators/model.hpp"
#include "operators/normalization.hpp"

namespace iff::operators {

inline constexpr const char* kCheckpointFormat = "ifactflow-operator";
inline constexpr int64_t kCheckpointFormatVersion = 1;

struct TrainingProgress {
  int64_t epoch = 0;        ///< completed epochs
  int64_t step = 0;         ///< optimizer steps taken
  double best_val_loss = std::numeric_limits<double>::infinity();
  int64_t batch = 0;          ///< batches of epoch `epoch` already taken (a checkpoint within an epoch)
  double epoch_loss_sum = 0;  ///< Σ over those batches of loss × samples (the epoch's train loss so far)
  double epoch_samples = 0;   ///< samples in those batches
  int64_t batch_size = 0;     ///< global batch and seed of the run (the batches of an epoch
  int64_t seed = 0;           ///< depend on both; 0, 0: not recorded)
};

struct CheckpointData {
  ModelSpec spec;
  Normalization norm;
  TrainingProgress progress;
  std::string provenance;
  std::string config;
  bool has_optimizer = false;
};

/// Writes a checkpoint of `model` (and `optimizer` when given) atomically to `path`.
void save_checkpoint(const std::string& path, const Model& model, const CheckpointData& data,
                     const torch::optim::Optimizer* optimizer = nullptr);

/// Reads the description (no weights).
CheckpointData read_checkpoint_data(const std::string& path);

/// Rebuilds the model of a checkpoint with its weights, in the stored precision.
Model load_model(const std::string& path, CheckpointData* data = nullptr);

/// Restores the optimizer state and torch's RNG from a checkpoint.
void load_training_state(const std::string& path, torch::optim::Optimizer& optimizer);

}  // namespace iff::operators
