#include "operators/training.hpp"

#include <algorithm>
#include <thread>

#include "io/error.hpp"
#include "operators/trainer.hpp"

namespace iff::operators {

DataParams DataParams::from(const ConfigSection& sec) {
  DataParams p;
  p.series = sec.require<std::string>("series");
  p.val_trajectories = sec.get_in<int>("val_trajectories", p.val_trajectories, -1, 1 << 20);
  p.max_time = sec.get_in<int>("max_time", p.max_time, 0, 1 << 30);
  return p;
}

TrainParams TrainParams::from(const ConfigSection& sec) {
  TrainParams p;
  p.epochs = sec.get_in<int>("epochs", p.epochs, 1, 1 << 20);
  p.batch_size = sec.get_in<int>("batch_size", p.batch_size, 1, 1 << 20);
  p.lr = sec.get_in<double>("lr", p.lr, 0.0, 10.0);
  p.weight_decay = sec.get_in<double>("weight_decay", p.weight_decay, 0.0, 10.0);
  p.scheduler_step = sec.get_in<int>("scheduler_step", p.scheduler_step, 1, 1 << 20);
  p.scheduler_gamma = sec.get_in<double>("scheduler_gamma", p.scheduler_gamma, 0.0, 1.0);
  p.seed = sec.get_in<long>("seed", p.seed, 0, 1L << 62);
  p.max_steps = sec.get_in<long>("max_steps", p.max_steps, 0, 1L << 62);
  p.checkpoint_every = sec.get_in<long>("checkpoint_every", p.checkpoint_every, 0, 1L << 62);
  p.device = sec.get_choice("device", p.device, {"cpu", "cuda"});
  p.dtype = sec.get_choice("dtype", p.dtype, {"float32", "float64"});
  p.threads = sec.get_in<int>("threads", p.threads, 0, 1024);
  p.progress_interval = sec.get_in<double>("progress_interval", p.progress_interval, 0.0, 1e6);
  p.divergence_factor = sec.get_in<double>("divergence_factor", p.divergence_factor, 0.0, 1e300);
  IFF_CHECK_AS(ConfigError, p.divergence_factor == 0 || p.divergence_factor > 1,
               "train.divergence_factor = " << p.divergence_factor
                                            << ": must exceed 1 (a loss that many times the best so far stops training) or be 0 (off)");
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
