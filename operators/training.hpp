// Training a neural operator on a series file (`ifactflow train CASE.yaml`).
//
// Pairs (window of T snapshots → next snapshot) from the series; the last
// `data.val_trajectories` trajectories form the validation set, so it never shares a
// trajectory with training. Inputs and targets are normalised per component with the
// mean/std of the training split. Loss: relative L2 error per sample in physical units,
//   L = (1/B) Σ_s ‖û_s − u_s‖₂ / ‖u_s‖₂,
// averaged over the global batch. AdamW with StepLR: lr(e) = lr·γ^⌊e/step⌋ at epoch e
// (reference defaults lr 5e-4, step 5, γ 0.7, 30 epochs, batch 5).
//
// MPI data parallel: every rank holds the whole model; the global batch is split into
// contiguous shards, each rank reads and processes only its shard, the gradients
// (of Σ_shard loss / B) are summed with MPI_Allreduce, and every rank takes the same AdamW
// step. The sample order of epoch e depends only on (seed, e), so 1 and 2 ranks see the
// same batches and reach the same weights up to round-off.
//
// Samples split in x-slabs (`train.ranks_per_sample` R > 1, every model kind): groups of
// R consecutive ranks (io/process_grid.hpp) take the shards of the global batch, and the
// ranks of a group evaluate each of its samples together, each on its x planes
// (attention/slab.hpp). The loss's sums ‖û_s − u_s‖² and ‖u_s‖² are summed over the group
// (differentiably), every rank of a group back-propagates 1/R of the sample's loss, and
// the gradient sum over all ranks is then that of the unsplit samples: the same weights as
// R = 1 up to round-off, and per rank the activations of nx/R planes. `--resume` continues exactly from
// last.ckpt (weights, AdamW moments, step count, RNG state, and within an epoch the batches
// already taken and the epoch's loss so far): last.ckpt is written at the end of every
// epoch, every `train.checkpoint_every` optimizer steps within one, and when `max_steps`
// stops a run, so a batch job cut by its time limit loses at most that many steps.
// SIGUSR1 or SIGTERM to any rank (mpirun forwards SIGUSR1; under Slurm with srun, `#SBATCH
// --signal=USR1@600` or `scancel --signal=USR1`) makes every rank finish the current step,
// write last.ckpt and return with `interrupted` set.
//
// Divergence guard: before each optimizer step every rank agrees (in the allreduce of the
// batch loss) on whether the global batch loss is non-finite, the global gradient norm is
// non-finite, or the batch loss exceeds `train.divergence_factor` × the best so far (the
// lowest running mean of an epoch's batch losses seen, seeded on resume from the checkpoint);
// a validation loss that is non-finite or above that factor × the best validation loss stops
// it too, before the epoch's checkpoints are written. Training then throws
// iff::NumericalError naming the step, the loss, the best so far and the last good
// checkpoint: the diverged step is never taken and nothing is written over last.ckpt or
// best.ckpt. `--resume --set train.lr=...` continues from last.ckpt with the new learning
// rate (and weight decay): the optimizer's moments are kept, its rate is the case's.
//
// Outputs in `output.dir`: last.ckpt, best.ckpt (lowest validation loss, or
// training loss without a validation set), train_log.csv (epoch, step, lr, train_loss,
// val_loss, seconds, samples_per_s), config.resolved.yaml (`config`, once the series and
// the model are read and checked: a run that fails on its input changes nothing). All
// written atomically by rank 0.
#pragma once

#include <ATen/core/Tensor.h>
#include <mpi.h>

#include <cstdint>
#include <functional>
#include <string>

#include "io/compute.hpp"
#include "io/config.hpp"
#include "operators/model_spec.hpp"

namespace iff::operators {

struct DataParams {
  std::string series;          ///< data.series
  int val_trajectories = -1;   ///< data.val_trajectories
  int max_time = 0;            ///< data.max_time
  static DataParams from(const ConfigSection& sec);
};

struct TrainParams {
  int epochs = 30;               ///< train.epochs
  int batch_size = 5;            ///< train.batch_size
  double lr = 5e-4;              ///< train.lr
  double weight_decay = 0.01;    ///< train.weight_decay
  int scheduler_step = 5;        ///< train.scheduler_step
  double scheduler_gamma = 0.7;  ///< train.scheduler_gamma
  int64_t seed = 0;              ///< train.seed
  int64_t max_steps = 0;         ///< train.max_steps
  int64_t checkpoint_every = 0;  ///< train.checkpoint_every
  Device device = Device::cpu;   ///< train.device
  Precision dtype = Precision::float32;  ///< train.dtype
  Arithmetic precision = Arithmetic::fp32;  ///< train.precision
  int threads = 0;               ///< train.threads
  int ranks_per_sample = 1;      ///< train.ranks_per_sample
  double progress_interval = 5;  ///< train.progress_interval
  /// train.divergence_factor. The loss is a relative L2 error, O(1) for an untrained model; the spread of batch means
  /// within an epoch stays within a few ×, while a diverging run grows by orders of magnitude
  /// per few steps, so 100 never stops a sound run and catches a blow-up within steps.
  double divergence_factor = 100;
  static TrainParams from(const ConfigSection& sec);
};

struct TrainSetup {
  DataParams data;
  ModelSpec model;       ///< hyper-parameters; the grid is taken from the series
  TrainParams train;
  std::string output_dir;
  std::string config;    ///< resolved YAML (stored in the checkpoints)
  std::string provenance;
  bool resume = false;   ///< continue from output_dir/last.ckpt
  /// Reads the case of `ifactflow train`: sections data, model, train and output.dir
  /// (operators/train_case.cpp; unknown keys are the caller's to reject).
  static TrainSetup from(const Config& cfg);
  std::string command = "ifactflow train CASE";  ///< how the run was started (for the divergence message)
  /// Test hooks (never set by the command line): `on_loss` may replace this rank's shard loss
  /// of a training batch before step `step` (0-based; before backward) or, with `validation`,
  /// of a validation batch after `step` steps; `on_gradient` may alter this rank's flat local
  /// gradient of step `step` before the allreduce.
  std::function<at::Tensor(int64_t step, bool validation, at::Tensor loss)> on_loss;
  std::function<void(int64_t step, at::Tensor& flat_gradient)> on_gradient;
};

struct TrainSummary {
  int64_t epochs = 0;        ///< completed epochs
  int64_t steps = 0;         ///< optimizer steps taken in total
  double train_loss = 0;     ///< mean loss of the last epoch's steps (so far, if stopped within it)
  double val_loss = -1;      ///< last validation loss (−1: no validation set)
  double samples_per_s = 0;  ///< training throughput over the run (all ranks)
  bool interrupted = false;  ///< stopped by SIGUSR1/SIGTERM (last.ckpt holds the state)
  std::string last_checkpoint;
};

/// Runs the training (collective over `comm`): Trainer(setup, comm).train() (operators/trainer.hpp).
TrainSummary train_operator(const TrainSetup& setup, MPI_Comm comm);

/// Sets at::set_num_threads: `threads` > 0, else max(1, hardware threads / ranks).
int set_threads_per_rank(int threads, MPI_Comm comm);

}  // namespace iff::operators
