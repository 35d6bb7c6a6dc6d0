#include "operators/training.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "io/agreed.hpp"
#include "io/error.hpp"
#include "io/fsutil.hpp"
#include "io/log.hpp"
#include "io/memory.hpp"
#include "io/partition.hpp"
#include "io/series.hpp"
#include "io/stop_signal.hpp"
#include "operators/checkpoint.hpp"
#include "operators/loss.hpp"
#include "operators/memory_estimate.hpp"
#include "operators/pair_loader.hpp"

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
  p.device = sec.get_choice("device", p.device, {"cpu", "cuda"}, "where training runs: cpu or cuda");
  p.dtype = sec.get_choice("dtype", p.dtype, {"float32", "float64"}, "precision of the weights and activations: float32 or float64");
  p.threads = sec.get_in<int>("threads", p.threads, 0, 1024, "intra-op threads per rank (0: cores / ranks)");
  p.progress_interval = sec.get_in<double>("progress_interval", p.progress_interval, 0.0, 1e6, "seconds between progress lines");
  p.divergence_factor = sec.get_in<double>("divergence_factor", p.divergence_factor, 0.0, 1e300, "training stops when a batch loss exceeds this many times the best epoch loss so far (0: off)");
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

namespace {

/// Sum over ranks, in place (double or float tensors on the CPU).
void allreduce_sum(torch::Tensor& t, MPI_Comm comm) {
  IFF_CHECK(t.is_contiguous() && t.device().is_cpu(), "allreduce needs a contiguous CPU tensor");
  const MPI_Datatype type = t.scalar_type() == torch::kFloat64 ? MPI_DOUBLE : MPI_FLOAT;
  IFF_CHECK(t.scalar_type() == torch::kFloat64 || t.scalar_type() == torch::kFloat32, "allreduce: unsupported dtype");
  MPI_Allreduce(MPI_IN_PLACE, t.data_ptr(), static_cast<int>(t.numel()), type, MPI_SUM, comm);
}

double allreduce_sum(double v, MPI_Comm comm) {
  MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_DOUBLE, MPI_SUM, comm);
  return v;
}


/// Normalisation from the training trajectories: every rank reads a share of the snapshots.
Normalization training_normalization(const SeriesReader& reader, const std::vector<int>& trajs, int n_time, int window,
                                     MPI_Comm comm) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  auto moments = torch::zeros({4, 3}, torch::kFloat64);  // in Σu, in Σu², out Σu, out Σu²
  double counts[2] = {0, 0};
  int64_t k = 0;
  for (int traj : trajs)
    for (int t = 0; t < n_time; ++t, ++k) {
      const bool as_input = t <= n_time - 2, as_target = t >= window;
      if (k % size != rank || (!as_input && !as_target)) continue;
      auto v = reader.read_velocity(traj, t);
      auto u = torch::from_blob(v.data(), {static_cast<int64_t>(v.size() / 3), 3}, torch::kFloat64);
      auto s = u.sum(0), s2 = (u * u).sum(0);
      if (as_input) {
        moments[0] += s;
        moments[1] += s2;
        counts[0] += u.size(0);
      }
      if (as_target) {
        moments[2] += s;
        moments[3] += s2;
        counts[1] += u.size(0);
      }
    }
  allreduce_sum(moments, comm);
  MPI_Allreduce(MPI_IN_PLACE, counts, 2, MPI_DOUBLE, MPI_SUM, comm);
  auto vec = [&](int row) { return std::vector<double>(moments[row].data_ptr<double>(), moments[row].data_ptr<double>() + 3); };
  Normalization n;
  n.in_std = Normalization::std_from_moments(vec(0), vec(1), counts[0], &n.in_mean);
  n.out_std = Normalization::std_from_moments(vec(2), vec(3), counts[1], &n.out_mean);
  return n;
}

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

/// The CSV rows of completed epochs ≤ `epochs` (resume keeps them).
std::string csv_rows_until(const std::string& text, int64_t epochs) {
  std::istringstream in(text);
  std::string line, out;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (std::stoll(line.substr(0, line.find(','))) <= epochs) out += line + "\n";
  }
  return out;
}

}  // namespace

TrainSummary train_operator(const TrainSetup& setup, MPI_Comm comm) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  const auto& tp = setup.train;
  const int threads = set_threads_per_rank(tp.threads, comm);
  torch::Device device(torch::kCPU);
  if (tp.device == "cuda") {
    IFF_REQUIRE(torch::cuda::is_available(), "train.device = cuda, but this libtorch sees no CUDA device");
    device = torch::Device(torch::kCUDA, rank % std::max<int>(1, static_cast<int>(torch::cuda::device_count())));
  }
  const auto dtype = tp.dtype == "float64" ? torch::kFloat64 : torch::kFloat32;

  SeriesReader reader(setup.data.series, MPI_COMM_SELF);  // each rank reads its own samples
  const auto& meta = reader.meta();
  const int n_time = setup.data.max_time > 0 ? std::min(setup.data.max_time, reader.n_time()) : reader.n_time();
  ModelSpec spec = setup.model;
  spec.x = meta.x;
  spec.y = meta.y;
  spec.z = meta.z;
  spec.lx = meta.box_lx();
  spec.lz = meta.box_lz();
  const int window = static_cast<int>(spec.in_time_window());
  IFF_REQUIRE(n_time > window, "series " << setup.data.series << " has " << n_time << " snapshots per trajectory; a window of "
                                         << window << " needs at least " << window + 1);

  // split by trajectory
  const int n_traj = meta.n_traj;
  int n_val = setup.data.val_trajectories >= 0 ? setup.data.val_trajectories : (n_traj > 1 ? (n_traj + 4) / 5 : 0);
  IFF_REQUIRE(n_val < n_traj, "data.val_trajectories = " << n_val << " leaves no training trajectory (the series has "
                                                         << n_traj << ")");
  std::vector<int> train_trajs, val_trajs;
  for (int t = 0; t < n_traj; ++t) (t < n_traj - n_val ? train_trajs : val_trajs).push_back(t);
  const auto train_pairs = make_pairs(train_trajs, n_time, window);
  const auto val_pairs = make_pairs(val_trajs, n_time, window);

  // model, normalisation, optimizer (fresh or resumed)
  const std::string last_path = setup.output_dir + "/last.ckpt", best_path = setup.output_dir + "/best.ckpt";
  const std::string csv_path = setup.output_dir + "/train_log.csv";
  torch::manual_seed(static_cast<uint64_t>(tp.seed));
  Model model;
  CheckpointData state;
  if (setup.resume) {
    IFF_REQUIRE(std::ifstream(last_path).good(), "--resume: no checkpoint " << last_path);
    model = load_model(last_path, &state);
    IFF_REQUIRE(state.spec.hyper_text() == spec.hyper_text(),
                "--resume: the case's model differs from the one in " << last_path);
    IFF_REQUIRE(state.spec.x == spec.x && state.spec.y == spec.y && state.spec.z == spec.z,
                "--resume: the series grid differs from the one in " << last_path);
  } else {
    model = make_model(spec);
    state.spec = spec;
    state.norm = training_normalization(reader, train_trajs, n_time, window, comm);
  }
  model.module->to(device, dtype);
  model.module->train();
  std::vector<torch::Tensor> params;
  for (auto& p : model.module->parameters())
    if (p.requires_grad()) params.push_back(p);
  torch::optim::AdamW opt(params, torch::optim::AdamWOptions(tp.lr).weight_decay(tp.weight_decay));
  double resumed_lr = -1;  // train.lr of the run that wrote last.ckpt (its resolved config)
  if (setup.resume) {
    load_training_state(last_path, opt);  // the moments; the rate is set per epoch below
    if (!state.config.empty())
      resumed_lr = Config::from_string(state.config, last_path).section("train").get<double>("lr", TrainParams{}.lr, "AdamW learning rate at epoch 0");
  }
  state.config = setup.config;
  state.provenance = setup.provenance + "; series " + setup.data.series;
  if (!device.is_cuda()) {  // memory before the first step (operators/memory_estimate.hpp)
    const int64_t local = (int64_t(tp.batch_size) + size - 1) / size;
    const auto e = training_memory(spec, model.parameter_count(), local, dtype == torch::kFloat64 ? 8 : 4);
    require_memory(e.bytes,
                   fmt::format("training {} on {}x{}x{} with {} sample(s) per rank", to_string(spec.kind), meta.nx(),
                               meta.ny(), meta.nz(), local),
                   e.how, comm);
  }

  // the input has been read and checked: the outputs begin
  run_agreed(comm, [&] {
    if (rank == 0 && !setup.config.empty()) write_text_atomic(setup.output_dir + "/config.resolved.yaml", setup.config);
  });

  const int64_t B = tp.batch_size;
  const int64_t n_batches = (static_cast<int64_t>(train_pairs.size()) + B - 1) / B;
  IFF_REQUIRE(n_batches > 0, "no training pairs in " << setup.data.series);
  log::info("train: {} on {}x{}x{}, {} parameters; {} training pairs ({} trajectories), {} validation pairs ({}); "
            "{} rank(s) x {} thread(s), {} {}",
            to_string(spec.kind), meta.nx(), meta.ny(), meta.nz(), model.parameter_count(), train_pairs.size(),
            train_trajs.size(), val_pairs.size(), val_trajs.size(), size, threads, tp.device, tp.dtype);

  std::string csv = "epoch,step,lr,train_loss,val_loss,seconds,samples_per_s\n";
  if (setup.resume && rank == 0) csv += csv_rows_until(read_text(csv_path), state.progress.epoch);

  PairLoader loader(reader, window);
  auto local_pairs = [&](const std::vector<Pair>& all, int64_t lo, int64_t hi) {
    auto [a, b] = share_range(hi - lo, rank, size);
    return std::vector<Pair>(all.begin() + lo + a, all.begin() + lo + b);
  };
  auto to_model = [&](const torch::Tensor& t) { return t.to(device, dtype); };
  auto predict = [&](const Batch& b) {  // physical-units prediction
    return state.norm.denormalize_output(model(state.norm.normalize_input(to_model(b.input))));
  };

  TrainSummary summary;
  int64_t step = state.progress.step;
  const int64_t total_steps = static_cast<int64_t>(tp.epochs) * n_batches;
  Progress progress("train", total_steps, tp.progress_interval);
  const auto t_run = std::chrono::steady_clock::now();
  double samples_run = 0;
  // a checkpoint within an epoch resumes at a batch position, which means the same batches
  IFF_REQUIRE(state.progress.batch == 0 || (state.progress.batch_size == B && state.progress.seed == tp.seed),
              "--resume: " << last_path << " stopped within epoch " << state.progress.epoch + 1 << " with train.batch_size "
                           << state.progress.batch_size << " and train.seed " << state.progress.seed
                           << "; the case says " << B << " and " << tp.seed << ": resume with those");
  state.progress.batch_size = B;
  state.progress.seed = tp.seed;
  bool stop = tp.max_steps > 0 && step >= tp.max_steps, stopped_within = false;
  io::StopSignals signals;
  const TrainingProgress resumed = state.progress;  // where this run starts
  auto scheduled_lr = [&](int64_t epoch) {  // StepLR: lr·γ^⌊e/step⌋
    return tp.lr * std::pow(tp.scheduler_gamma, static_cast<double>(epoch / tp.scheduler_step));
  };
  if (setup.resume) {
    const double was = resumed_lr;
    if (was > 0 && resumed.step > 0 && std::abs(was - tp.lr) > 1e-9 * std::max(std::abs(was), std::abs(tp.lr)))
      log::warn("train: resuming with train.lr = {:.4g} (last.ckpt was trained with {:.4g}): the optimizer takes the new "
                "rate, {:.4g} at epoch {}, and keeps its moments",
                tp.lr, was, scheduled_lr(resumed.epoch), resumed.epoch + 1);
  }
  // divergence guard (training.hpp): the lowest running epoch-mean loss so far, and the last
  // checkpoint this run or the one it resumes has written (step −1: none)
  double best_loss = std::numeric_limits<double>::infinity();
  if (resumed.batch > 0 && resumed.epoch_samples > 0) best_loss = resumed.epoch_loss_sum / resumed.epoch_samples;
  if (std::isfinite(resumed.best_val_loss)) best_loss = std::min(best_loss, resumed.best_val_loss);
  int64_t good_step = setup.resume ? resumed.step : -1;
  auto best_text = [&](double best) { return std::isfinite(best) ? fmt::format("{:.4e}", best) : std::string("none yet"); };
  auto diverged = [&](const std::string& what) {
    const double lower = tp.lr / 10;
    const std::string hint =
        good_step >= 0
            ? fmt::format("last good checkpoint {} (step {}); continue with a lower learning rate: {} --resume --set train.lr={:.3g}",
                          last_path, good_step, setup.command, lower)
            : fmt::format("no checkpoint written yet; start again with a lower learning rate: {} --set train.lr={:.3g}",
                          setup.command, lower);
    return NumericalError(fmt::format("train: diverged: {}; {}", what, hint));
  };
  // last.ckpt within epoch `epoch` after `batches` of its batches (resumed from there)
  auto save_within_epoch = [&](int64_t epoch, int64_t batches, double loss_sum, double samples) {
    state.progress.epoch = epoch;
    state.progress.step = step;
    state.progress.batch = batches;
    state.progress.epoch_loss_sum = loss_sum;
    state.progress.epoch_samples = samples;
    run_agreed(comm, [&] {  // rank 0's write: its failure ends every rank with its error
      if (rank == 0) save_checkpoint(last_path, model, state, &opt);
    });
    good_step = step;
  };
  for (int64_t epoch = state.progress.epoch; epoch < tp.epochs && !stop; ++epoch) {
    const auto t_epoch = std::chrono::steady_clock::now();
    // a resumed epoch starts after the batches its checkpoint had taken
    const int64_t first = epoch == resumed.epoch ? std::min(resumed.batch, n_batches) : 0;
    const double lr = scheduled_lr(epoch);
    // the case's rate and decay, also over those a resumed optimizer state brought along
    for (auto& group : opt.param_groups())
      static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr).weight_decay(tp.weight_decay);
    auto order = train_pairs;
    std::mt19937_64 rng(static_cast<uint64_t>(tp.seed) * 1000003ULL + static_cast<uint64_t>(epoch));
    std::shuffle(order.begin(), order.end(), rng);
    auto batch_range = [&](int64_t i) { return std::pair<int64_t, int64_t>{i * B, std::min<int64_t>((i + 1) * B, order.size())}; };
    if (first < n_batches) loader.prefetch(local_pairs(order, batch_range(first).first, batch_range(first).second));
    double loss_sum = first > 0 ? resumed.epoch_loss_sum : 0.0;
    double samples = first > 0 ? resumed.epoch_samples : 0.0;
    double samples_here = 0;  // this process's share of the epoch, for samples/s
    for (int64_t i = first; i < n_batches; ++i) {
      auto batch = loader.take();
      if (i + 1 < n_batches) loader.prefetch(local_pairs(order, batch_range(i + 1).first, batch_range(i + 1).second));
      const auto [lo, hi] = batch_range(i);
      const double global = static_cast<double>(hi - lo);
      opt.zero_grad();
      double local_loss = 0;
      if (batch.size() > 0) {
        auto loss = relative_l2_sum(predict(batch), to_model(batch.target));
        if (setup.on_loss) loss = setup.on_loss(step, false, loss);
        (loss / global).backward();
        local_loss = loss.item<double>();
      }
      // average the gradients over the global batch: Σ_ranks ∂(Σ_shard L_s / B)
      std::vector<torch::Tensor> grads;
      for (auto& p : params) grads.push_back(p.grad().defined() ? p.grad().reshape({-1}) : torch::zeros({p.numel()}, p.options()));
      auto flat = torch::cat(grads).to(torch::kCPU).contiguous();
      if (setup.on_gradient) setup.on_gradient(step, flat);
      if (size > 1) allreduce_sum(flat, comm);
      const double grad_norm = flat.to(torch::kFloat64).norm().item<double>();
      // the batch loss, whether any rank's gradient norm is non-finite, and whether any rank
      // has been asked to stop (SIGUSR1/SIGTERM): one agreement, before the step is taken
      double reduced[3] = {local_loss, std::isfinite(grad_norm) ? 0.0 : 1.0, io::StopSignals::received() != 0 ? 1.0 : 0.0};
      MPI_Allreduce(MPI_IN_PLACE, reduced, 3, MPI_DOUBLE, MPI_SUM, comm);
      const double batch_loss = reduced[0] / global;  // non-finite when any rank's is
      const bool signalled = reduced[2] > 0;
      const std::string where = fmt::format("step {} (epoch {}, batch {}/{})", step + 1, epoch + 1, i + 1, n_batches);
      if (!std::isfinite(batch_loss))
        throw diverged(fmt::format("batch loss {} at {}, best so far {}", batch_loss, where, best_text(best_loss)));
      if (reduced[1] > 0)
        throw diverged(fmt::format("non-finite gradient norm at {} (batch loss {:.4e}, best so far {})", where,
                                   batch_loss, best_text(best_loss)));
      if (tp.divergence_factor > 0 && batch_loss > tp.divergence_factor * best_loss)
        throw diverged(fmt::format("batch loss {:.4e} at {} exceeds train.divergence_factor {:g} x the best so far {:.4e}",
                                   batch_loss, where, tp.divergence_factor, best_loss));
      int64_t offset = 0;
      for (auto& p : params) {
        auto g = flat.narrow(0, offset, p.numel()).view(p.sizes()).to(p.device());
        if (p.grad().defined())
          p.mutable_grad().copy_(g);
        else
          p.mutable_grad() = g.clone();
        offset += p.numel();
      }
      opt.step();
      ++step;
      loss_sum += batch_loss * global;
      samples += global;
      best_loss = std::min(best_loss, loss_sum / samples);
      samples_here += global;
      samples_run += global;
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_epoch).count();
      progress.update(epoch * n_batches + i + 1,
                      fmt::format("epoch {}/{} step {} loss {:.4e} {:.2f} samples/s", epoch + 1, tp.epochs, step,
                                  batch_loss, samples_here / std::max(elapsed, 1e-9)));
      stop = signalled || (tp.max_steps > 0 && step >= tp.max_steps);
      const bool last_batch = i + 1 == n_batches;
      // leave now (a signal: even after the epoch's last batch, before its validation)
      const bool leave = signalled || (stop && !last_batch);
      if (leave || (!last_batch && tp.checkpoint_every > 0 && step % tp.checkpoint_every == 0))
        save_within_epoch(epoch, i + 1, loss_sum, samples);
      if (leave) {
        stopped_within = true;
        summary.interrupted = signalled;
        summary.train_loss = loss_sum / std::max(samples, 1.0);  // of the epoch so far
        if (signalled)
          log::warn("train: stopped by a signal after step {}; {} holds the state: rerun with --resume", step, last_path);
        break;
      }
    }
    if (stopped_within) break;
    const double train_loss = loss_sum / std::max(samples, 1.0);
    // validation: sharded over ranks, no gradients
    double val_loss = -1;
    if (!val_pairs.empty()) {
      torch::NoGradGuard no_grad;
      model.module->eval();
      double sum = 0;
      for (int64_t lo = 0; lo < static_cast<int64_t>(val_pairs.size()); lo += B) {
        const int64_t hi = std::min<int64_t>(lo + B, val_pairs.size());
        loader.prefetch(local_pairs(val_pairs, lo, hi));
        auto batch = loader.take();
        if (batch.size() > 0) {
          auto loss = relative_l2_sum(predict(batch), to_model(batch.target));
          if (setup.on_loss) loss = setup.on_loss(step, true, loss);
          sum += loss.item<double>();
        }
      }
      model.module->train();
      val_loss = allreduce_sum(sum, comm) / static_cast<double>(val_pairs.size());
      // the same on every rank; checked before this epoch's checkpoints are written
      const double best_val = state.progress.best_val_loss;
      if (!std::isfinite(val_loss))
        throw diverged(fmt::format("validation loss {} after epoch {} (step {}), best so far {}", val_loss, epoch + 1,
                                   step, best_text(best_val)));
      if (tp.divergence_factor > 0 && std::isfinite(best_val) && val_loss > tp.divergence_factor * best_val)
        throw diverged(fmt::format("validation loss {:.4e} after epoch {} (step {}) exceeds train.divergence_factor {:g} x "
                                   "the best so far {:.4e}",
                                   val_loss, epoch + 1, step, tp.divergence_factor, best_val));
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_epoch).count();
    state.progress.epoch = epoch + 1;
    state.progress.step = step;
    state.progress.batch = 0;
    state.progress.epoch_loss_sum = state.progress.epoch_samples = 0;
    const double score = val_loss >= 0 ? val_loss : train_loss;
    const bool best = score < state.progress.best_val_loss;
    if (best) state.progress.best_val_loss = score;
    csv += fmt::format("{},{},{:.6e},{:.8e},{:.8e},{:.3f},{:.3f}\n", epoch + 1, step, lr, train_loss, val_loss, seconds,
                       samples_here / std::max(seconds, 1e-9));
    run_agreed(comm, [&] {  // rank 0's writes: a failure ends every rank with its error
      if (rank != 0) return;
      // last.ckpt last: it is what --resume continues from, so a kill before it repeats the
      // epoch and rewrites the log row and best.ckpt with the same values
      write_text_atomic(csv_path, csv);
      if (best) save_checkpoint(best_path, model, state, &opt);
      save_checkpoint(last_path, model, state, &opt);
    });
    good_step = step;
    log::info("train: epoch {}/{} train loss {:.4e} val loss {} lr {:.3e} ({:.1f} s)", epoch + 1, tp.epochs, train_loss,
              val_loss >= 0 ? fmt::format("{:.4e}", val_loss) : std::string("-"), lr, seconds);
    summary.train_loss = train_loss;
    summary.val_loss = val_loss;
  }
  summary.epochs = state.progress.epoch;
  summary.steps = step;
  const double run_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_run).count();
  summary.samples_per_s = samples_run / std::max(run_s, 1e-9);
  summary.last_checkpoint = last_path;
  return summary;
}

}  // namespace iff::operators
