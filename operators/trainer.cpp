#include "operators/trainer.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

#include <fmt/format.h>

#include "io/comm.hpp"
#include "io/config.hpp"
#include "io/error.hpp"
#include "io/memory.hpp"
#include "io/stop_signal.hpp"
#include "operators/arithmetic.hpp"
#include "operators/loss.hpp"
#include "operators/memory_estimate.hpp"

namespace iff::operators {

namespace {

torch::Device training_device(Device device, int rank) {
  if (device != Device::cuda) return torch::Device(torch::kCPU);
  IFF_REQUIRE(torch::cuda::is_available(), "train.device = cuda, but this libtorch sees no CUDA device");
  return torch::Device(torch::kCUDA, rank % std::max<int>(1, static_cast<int>(torch::cuda::device_count())));
}

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace

Trainer::Trainer(const TrainSetup& setup, MPI_Comm comm)
    : setup_(setup),
      comm_(comm),
      rank_(comm_rank(comm)),
      size_(comm_size(comm)),
      threads_(set_threads_per_rank(setup.train.threads, comm)),
      grid_(comm, setup.train.ranks_per_sample, "train.ranks_per_sample"),
      device_(training_device(setup.train.device, rank_)),
      dtype_(setup.train.dtype == Precision::float64 ? torch::kFloat64 : torch::kFloat32),
      data_(setup.data, setup.model),
      outputs_(setup.output_dir, comm),
      loader_(data_.reader(), data_.window()) {
  start_model();
  split_samples();
  start_optimizer();
  state_.config = setup_.config;
  state_.provenance = setup_.provenance + "; series " + setup_.data.series;
  check_memory();
  // the input has been read and checked: the outputs begin
  outputs_.write_config(setup_.config);

  batch_size_ = setup_.train.batch_size;
  n_batches_ = (static_cast<int64_t>(data_.train_pairs().size()) + batch_size_ - 1) / batch_size_;
  IFF_REQUIRE(n_batches_ > 0, "no training pairs in " << setup_.data.series);
  const auto& meta = data_.meta();
  log::info("train: {} on {}x{}x{}, {} parameters; {} training pairs ({} trajectories), {} validation pairs ({}); "
            "{} rank(s) x {} thread(s){}, {} {}, {}",
            to_string(data_.spec().kind), meta.nx(), meta.ny(), meta.nz(), model_.parameter_count(),
            data_.train_pairs().size(), data_.train_trajectories().size(), data_.val_pairs().size(),
            data_.val_trajectories().size(), size_, threads_,
            slab_ ? fmt::format(", each sample split in x-slabs over {} ranks", slab_->ranks()) : "",
            kDeviceNames.name(setup_.train.device),
            kTrainPrecisionNames.name(setup_.train.dtype), describe_arithmetic(setup_.train.precision, device_));
  if (setup_.resume && rank_ == 0) log_.keep_rows(read_text(outputs_.log_path()), state_.progress.epoch);
}

/// A new model (weights from train.seed, normalisation of the training split) or the one of
/// last.ckpt, which must have the case's hyper-parameters and the series' grid.
void Trainer::start_model() {
  const auto& spec = data_.spec();
  const std::string& last = outputs_.last_path();
  torch::manual_seed(static_cast<uint64_t>(setup_.train.seed));
  if (setup_.resume) {
    IFF_REQUIRE(std::ifstream(last).good(), "--resume: no checkpoint " << last);
    model_ = load_model(last, &state_);
    IFF_REQUIRE(state_.spec.hyper_text() == spec.hyper_text(), "--resume: the case's model differs from the one in " << last);
    IFF_REQUIRE(state_.spec.x == spec.x && state_.spec.y == spec.y && state_.spec.z == spec.z,
                "--resume: the series grid differs from the one in " << last);
  } else {
    model_ = make_model(spec);
    state_.spec = spec;
    state_.norm = data_.normalization(comm_);
  }
  model_.module->to(device_, dtype_);
  model_.module->train();
}

/// With train.ranks_per_sample > 1, the model evaluates this rank's x planes of each sample
/// (InputError for a model that cannot be split or an arithmetic the split path does not run).
void Trainer::split_samples() {
  const int ranks = grid_.group_size();
  if (ranks == 1) return;
  IFF_REQUIRE(!device_.is_cuda(), "train.ranks_per_sample = " << ranks << " runs on the CPU; set train.device: cpu");
  slab_ = split_in_x_slabs(model_, grid_.group_comm(), setup_.train.precision, "train.ranks_per_sample");
  loader_.set_planes({static_cast<int>(slab_->x0()), static_cast<int>(slab_->nx_local())});  // its own planes only
}

/// AdamW over the trainable parameters; resumed, its moments, step count and torch's RNG from
/// last.ckpt (the rate and decay are the case's, set per epoch).
void Trainer::start_optimizer() {
  const auto& tp = setup_.train;
  std::vector<torch::Tensor> params;
  for (auto& p : model_.module->parameters())
    if (p.requires_grad()) params.push_back(p);
  optimizer_ = std::make_unique<torch::optim::AdamW>(params, torch::optim::AdamWOptions(tp.lr).weight_decay(tp.weight_decay));
  gradients_.emplace(params, comm_);
  if (setup_.resume) {
    load_training_state(outputs_.last_path(), *optimizer_);
    if (!state_.config.empty())
      resumed_lr_ =
          Config::from_string(state_.config, outputs_.last_path()).section("train").get<double>("lr", TrainParams{}.lr);
  }
}

/// The memory of a step on the CPU before the first one (operators/memory_estimate.hpp).
void Trainer::check_memory() const {
  if (device_.is_cuda()) return;
  const auto& spec = data_.spec();
  const auto& meta = data_.meta();
  const int64_t local = (int64_t(setup_.train.batch_size) + grid_.groups() - 1) / grid_.groups();
  auto own = spec;  // split: the activations of this rank's planes
  if (slab_) own.x.resize(slab_->nx_local());
  const auto e = training_memory(own, model_.parameter_count(), local, dtype_ == torch::kFloat64 ? 8 : 4);
  require_memory(e.bytes,
                 fmt::format("training {} on {}x{}x{} with {} sample(s) per rank{}", to_string(spec.kind), meta.nx(),
                             meta.ny(), meta.nz(), local,
                             slab_ ? fmt::format(" on its {} of {} x planes", slab_->nx_local(), slab_->nx()) : ""),
                 e.how, comm_);
}

TrainSummary Trainer::train() {
  const auto& tp = setup_.train;
  progress_.emplace("train", static_cast<int64_t>(tp.epochs) * n_batches_, tp.progress_interval);
  const auto t_run = Clock::now();
  check_resumed_position();
  state_.progress.batch_size = batch_size_;
  state_.progress.seed = tp.seed;
  step_ = state_.progress.step;
  io::StopSignals signals;
  resumed_ = state_.progress;
  if (setup_.resume) warn_on_changed_rate();
  guard_.emplace(tp.divergence_factor, tp.lr, outputs_.last_path(), setup_.command, resumed_, setup_.resume);
  for (int64_t epoch = state_.progress.epoch; epoch < tp.epochs && !max_steps_taken(); ++epoch) {
    const Epoch e = train_epoch(epoch);
    if (e.stopped) break;
    end_epoch(e);
  }
  summary_.epochs = state_.progress.epoch;
  summary_.steps = step_;
  const double run_s = std::chrono::duration<double>(Clock::now() - t_run).count();
  summary_.samples_per_s = samples_run_ / std::max(run_s, 1e-9);
  summary_.last_checkpoint = outputs_.last_path();
  return summary_;
}

/// A checkpoint within an epoch resumes at a batch position, which means the same batches.
void Trainer::check_resumed_position() const {
  const auto& p = state_.progress;
  IFF_REQUIRE(p.batch == 0 || (p.batch_size == batch_size_ && p.seed == setup_.train.seed),
              "--resume: " << outputs_.last_path() << " stopped within epoch " << p.epoch + 1 << " with train.batch_size "
                           << p.batch_size << " and train.seed " << p.seed << "; the case says " << batch_size_
                           << " and " << setup_.train.seed << ": resume with those");
}

void Trainer::warn_on_changed_rate() const {
  const double was = resumed_lr_, lr = setup_.train.lr;
  if (was > 0 && resumed_.step > 0 && std::abs(was - lr) > 1e-9 * std::max(std::abs(was), std::abs(lr)))
    log::warn("train: resuming with train.lr = {:.4g} (last.ckpt was trained with {:.4g}): the optimizer takes the new "
              "rate, {:.4g} at epoch {}, and keeps its moments",
              lr, was, scheduled_lr(resumed_.epoch), resumed_.epoch + 1);
}

/// The batches of epoch `index` (a resumed one after those its checkpoint had taken), each
/// read in the background while the one before is computed; leaves within it on a stop
/// signal or at `train.max_steps` (the epoch's last batch excepted: its evaluation and
/// checkpoints follow), writing last.ckpt then and every `train.checkpoint_every` steps.
Trainer::Epoch Trainer::train_epoch(int64_t index) {
  const auto& tp = setup_.train;
  Epoch e;
  e.index = index;
  e.start = Clock::now();
  e.lr = scheduled_lr(index);
  const int64_t first = index == resumed_.epoch ? std::min(resumed_.batch, n_batches_) : 0;
  // the case's rate and decay, also over those a resumed optimizer state brought along
  for (auto& group : optimizer_->param_groups())
    static_cast<torch::optim::AdamWOptions&>(group.options()).lr(e.lr).weight_decay(tp.weight_decay);
  const auto order = shuffled_pairs(index);
  const auto n_pairs = static_cast<int64_t>(order.size());
  auto prefetch = [&](int64_t i) {
    const auto [lo, hi] = batch_range(i, n_pairs);
    loader_.prefetch(rank_share(order, lo, hi, grid_.group(), grid_.groups()));
  };
  if (first < n_batches_) prefetch(first);
  if (first > 0) {
    e.loss_sum = resumed_.epoch_loss_sum;
    e.samples = resumed_.epoch_samples;
  }
  for (int64_t i = first; i < n_batches_; ++i) {
    const auto batch = loader_.take();
    if (i + 1 < n_batches_) prefetch(i + 1);
    const auto [lo, hi] = batch_range(i, n_pairs);
    const double global = static_cast<double>(hi - lo);
    const auto r =
        train_batch(batch, global, fmt::format("step {} (epoch {}, batch {}/{})", step_ + 1, index + 1, i + 1, n_batches_));
    ++step_;
    e.loss_sum += r.loss * global;
    e.samples += global;
    guard_->observe(e.loss_sum / e.samples);
    e.samples_here += global;
    samples_run_ += global;
    progress_->update(index * n_batches_ + i + 1, fmt::format("epoch {}/{} step {} loss {:.4e} {:.2f} samples/s", index + 1,
                                                              tp.epochs, step_, r.loss,
                                                              e.samples_here / std::max(e.seconds(), 1e-9)));
    const bool last_batch = i + 1 == n_batches_;
    // leave now (a signal: even after the epoch's last batch, before its evaluation)
    const bool leave = r.signalled || (max_steps_taken() && !last_batch);
    if (leave || (!last_batch && tp.checkpoint_every > 0 && step_ % tp.checkpoint_every == 0)) save_within_epoch(e, i + 1);
    if (leave) {
      e.stopped = true;
      summary_.interrupted = r.signalled;
      summary_.train_loss = e.mean_loss();  // of the epoch so far
      if (r.signalled)
        log::warn("train: stopped by a signal after step {}; {} holds the state: rerun with --resume", step_,
                  outputs_.last_path());
      break;
    }
  }
  return e;
}

/// One optimizer step on the global batch of which `batch` is this rank's (group's) shard:
/// the gradient of Σ_shard L_s / B (split: 1/R of it on each of the group's R ranks, each
/// its planes' part) summed over the ranks, so that every rank takes the same step;
/// the batch loss, whether any rank's gradient is non-finite and whether any rank has been
/// asked to stop are agreed on in one reduction before the divergence guard and the step.
Trainer::BatchResult Trainer::train_batch(const Batch& batch, double global_size, const std::string& where) {
  optimizer_->zero_grad();
  double local_loss = 0;
  if (batch.size() > 0) {
    const ArithmeticScope arithmetic(setup_.train.precision, device_);
    auto loss = batch_loss(batch);
    if (setup_.on_loss) loss = setup_.on_loss(step_, false, loss);
    (loss / (global_size * grid_.group_size())).backward();
    if (grid_.leader()) local_loss = loss.item<double>();  // the group's loss, counted once
  }
  auto flat = gradients_->local();
  if (setup_.on_gradient) setup_.on_gradient(step_, flat);
  gradients_->sum(flat);
  const double grad_norm = flat.to(torch::kFloat64).norm().item<double>();
  double reduced[3] = {local_loss, std::isfinite(grad_norm) ? 0.0 : 1.0, io::StopSignals::received() != 0 ? 1.0 : 0.0};
  MPI_Allreduce(MPI_IN_PLACE, reduced, 3, MPI_DOUBLE, MPI_SUM, comm_);
  BatchResult r;
  r.loss = reduced[0] / global_size;  // non-finite when any rank's is
  r.signalled = reduced[2] > 0;
  guard_->check_batch(r.loss, !(reduced[1] > 0), where);
  gradients_->assign(flat);
  optimizer_->step();
  return r;
}

/// The validation loss (−1: no validation set): sharded over ranks, no gradients.
double Trainer::evaluate() {
  const auto& val = data_.val_pairs();
  if (val.empty()) return -1;
  torch::NoGradGuard no_grad;
  const ArithmeticScope arithmetic(setup_.train.precision, device_);
  model_.module->eval();
  double sum = 0;
  for (int64_t lo = 0; lo < static_cast<int64_t>(val.size()); lo += batch_size_) {
    const int64_t hi = std::min<int64_t>(lo + batch_size_, val.size());
    loader_.prefetch(rank_share(val, lo, hi, grid_.group(), grid_.groups()));
    const auto batch = loader_.take();
    if (batch.size() > 0) {
      auto loss = batch_loss(batch);
      if (setup_.on_loss) loss = setup_.on_loss(step_, true, loss);
      if (grid_.leader()) sum += loss.item<double>();
    }
  }
  model_.module->train();
  return allreduce_sum(sum, comm_) / static_cast<double>(val.size());
}

/// The evaluation, checked by the divergence guard before anything is written, then the
/// log row, best.ckpt (the lowest validation loss, or training loss without a validation
/// set) and last.ckpt.
void Trainer::end_epoch(const Epoch& e) {
  const double train_loss = e.mean_loss();
  const double val_loss = evaluate();
  if (!data_.val_pairs().empty()) guard_->check_validation(val_loss, state_.progress.best_val_loss, e.index, step_);
  const double seconds = e.seconds();
  state_.progress.epoch = e.index + 1;
  state_.progress.step = step_;
  state_.progress.batch = 0;
  state_.progress.epoch_loss_sum = state_.progress.epoch_samples = 0;
  const double score = val_loss >= 0 ? val_loss : train_loss;
  const bool best = score < state_.progress.best_val_loss;
  if (best) state_.progress.best_val_loss = score;
  log_.add(e.index + 1, step_, e.lr, train_loss, val_loss, seconds, e.samples_here / std::max(seconds, 1e-9));
  outputs_.save_epoch(log_, best, model_, state_, *optimizer_);
  guard_->checkpoint_written(step_);
  log::info("train: epoch {}/{} train loss {:.4e} val loss {} lr {:.3e} ({:.1f} s)", e.index + 1, setup_.train.epochs,
            train_loss, val_loss >= 0 ? fmt::format("{:.4e}", val_loss) : std::string("-"), e.lr, seconds);
  summary_.train_loss = train_loss;
  summary_.val_loss = val_loss;
}

/// last.ckpt within epoch `e` after `batches` of its batches (a resume continues from there).
void Trainer::save_within_epoch(const Epoch& e, int64_t batches) {
  state_.progress.epoch = e.index;
  state_.progress.step = step_;
  state_.progress.batch = batches;
  state_.progress.epoch_loss_sum = e.loss_sum;
  state_.progress.epoch_samples = e.samples;
  outputs_.save_last(model_, state_, *optimizer_);
  guard_->checkpoint_written(step_);
}

/// StepLR: lr·γ^⌊e/step⌋.
double Trainer::scheduled_lr(int64_t epoch) const {
  const auto& tp = setup_.train;
  return tp.lr * std::pow(tp.scheduler_gamma, static_cast<double>(epoch / tp.scheduler_step));
}

bool Trainer::max_steps_taken() const { return setup_.train.max_steps > 0 && step_ >= setup_.train.max_steps; }

/// The sample order of epoch `epoch` depends only on (train.seed, epoch): the same batches
/// on any number of ranks.
std::vector<Pair> Trainer::shuffled_pairs(int64_t epoch) const {
  auto order = data_.train_pairs();
  std::mt19937_64 rng(static_cast<uint64_t>(setup_.train.seed) * 1000003ULL + static_cast<uint64_t>(epoch));
  std::shuffle(order.begin(), order.end(), rng);
  return order;
}

std::pair<int64_t, int64_t> Trainer::batch_range(int64_t i, int64_t n_pairs) const {
  return {i * batch_size_, std::min<int64_t>((i + 1) * batch_size_, n_pairs)};
}

torch::Tensor Trainer::predict(const Batch& batch) const {
  return state_.norm.denormalize_output(model_(state_.norm.normalize_input(to_model(batch.input))));
}

torch::Tensor Trainer::batch_loss(const Batch& batch) const {
  const auto target = to_model(batch.target);
  return slab_ ? relative_l2_sum(predict(batch), target, *slab_) : relative_l2_sum(predict(batch), target);
}

}  // namespace iff::operators
