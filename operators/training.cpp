#include "operators/training.hpp"

#include <algorithm>
#include <thread>

#include "io/error.hpp"
#include "operators/arithmetic.hpp"
#include "operators/trainer.hpp"

namespace iff::operators {

DataParams DataParams::from(const ConfigSection& sec) {
  DataParams p;
  p.series = sec.require_path("series", "training series (data contract): pairs of an input window and the next snapshot");
  p.val_trajectories = sec.get_in<int>("val_trajectories", p.val_trajectories, -1, 1 << 20, "trajectories held out for validation, the last ones (-1: ceil(n_traj/5) when n_traj > 1, else 0)");
  p.max_time = sec.get_in<int>("max_time", p.max_time, 0, 1 << 30, "use only the time indices [0, max_time) of each trajectory (0: all)");
  return p;
}

TrainParams TrainParams::from(const ConfigSection& sec) {
  TrainParams p;
  p.epochs = sec.get_in<int>("epochs", p.epochs, 1, 1 << 20, "passes over the training pairs");
  p.batch_size = sec.get_in<int>("batch_size", p.batch_size, 1, 1 << 20, "global batch: samples per optimizer step, all ranks together");
  p.lr = sec.get_in<double>("lr", p.lr, 0.0, 10.0, "AdamW learning rate at epoch 0");
  p.weight_decay = sec.get_in<double>("weight_decay", p.weight_decay, 0.0, 10.0, "AdamW decoupled weight decay");
  p.scheduler_step = sec.get_in<int>("scheduler_step", p.scheduler_step, 1, 1 << 20, "StepLR: epochs between learning-rate decays");
  p.scheduler_gamma = sec.get_in<double>("scheduler_gamma", p.scheduler_gamma, 0.0, 1.0, "StepLR: decay factor of the learning rate");
  p.seed = sec.get_in<long>("seed", p.seed, 0, 1L << 62, "seed of the initial weights and of the sample order");
  p.max_steps = sec.get_in<long>("max_steps", p.max_steps, 0, 1L << 62, "stop after this many optimizer steps in total (0: no limit)");
  p.checkpoint_every = sec.get_in<long>("checkpoint_every", p.checkpoint_every, 0, 1L << 62, "also write last.ckpt every this many steps within an epoch (0: at epoch ends only)");
  p.device = sec.get_enum("device", p.device, kDeviceNames, "where training runs: cpu or cuda");
  p.dtype = sec.get_enum("dtype", p.dtype, kTrainPrecisionNames, "precision of the weights and activations: float32 or float64");
  p.precision = sec.get_enum("precision", p.precision, kArithmeticNames, "arithmetic of the large matrix products: fp32, or bf16-mixed (bfloat16 operands, float32 accumulation, in the forward and in IFactFormer-m's fused backward; needs AVX512-BF16 on the CPU)");
  p.threads = sec.get_in<int>("threads", p.threads, 0, 1024, "intra-op threads per rank (0: cores / ranks)");
  p.ranks_per_sample = sec.get_in<int>("ranks_per_sample", p.ranks_per_sample, 1, 1 << 16, "ranks that split each sample of a model (any kind) in x-slabs (a divisor of the rank count; groups of that many consecutive ranks share out each batch); the weights equal the unsplit run's to round-off, and each rank holds the activations of its planes");
  p.progress_interval = sec.get_in<double>("progress_interval", p.progress_interval, 0.0, 1e6, "seconds between progress lines");
  p.divergence_factor = sec.get_in<double>("divergence_factor", p.divergence_factor, 0.0, 1e300, "training stops when a batch loss exceeds this many times the best epoch loss so far (0: off)");
  IFF_CHECK_AS(ConfigError, p.divergence_factor == 0 || p.divergence_factor > 1,
               "train.divergence_factor = " << p.divergence_factor
                                            << ": must exceed 1 (a loss that many times the best so far stops training) or be 0 (off)");
  if (!sec.documenting())
    require_arithmetic(p.precision, p.device == Device::cuda ? torch::kCUDA : torch::kCPU,
                       p.dtype == Precision::float64 ? torch::kFloat64 : torch::kFloat32, "train.precision");
  return p;
}

int set_threads_per_rank(int threads, MPI_Comm comm) {
  int size = 1;
  MPI_Comm_size(comm, &size);
  const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int n = threads > 0 ? threads : std::max(1, hw / size);
  at::set_num_threads(n);
  return n;
}

TrainSummary train_operator(const TrainSetup& setup, MPI_Comm comm) { return Trainer(setup, comm).train(); }

}  // namespace iff::operators
