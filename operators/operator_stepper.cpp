#include "operators/operator_stepper.hpp"

#include <torch/torch.h>

#include <cmath>
#include <fmt/format.h>

#include "io/comm.hpp"
#include "io/config.hpp"
#include "io/error.hpp"
#include "operators/arithmetic.hpp"
#include "operators/checkpoint.hpp"
#include "operators/memory_estimate.hpp"
#include "operators/mpi_slab_group.hpp"

namespace iff::operators {

namespace {

class OperatorStepper : public rollout::Stepper {
  using Field = rollout::Field;

 public:
  explicit OperatorStepper(const OperatorStepperOptions& o) : device_(torch::kCPU) {
    if (o.threads > 0) at::set_num_threads(o.threads);
    if (o.device == Device::cuda) {
      IFF_REQUIRE(torch::cuda::is_available(), "--device cuda: this libtorch has no CUDA device available");
      device_ = torch::Device(torch::kCUDA);
    }
    model_ = load_model(o.checkpoint, &data_);
    dtype_ = model_.module->parameters().empty() ? torch::kFloat32 : model_.module->parameters().front().scalar_type();
    if (o.dtype == Precision::float32) dtype_ = torch::kFloat32;
    if (o.dtype == Precision::float64) dtype_ = torch::kFloat64;
    require_arithmetic(o.precision, device_, dtype_, "rollout.precision");
    precision_ = o.precision;
    model_.module->to(device_, dtype_);
    model_.module->eval();
    if (comm_size(o.slab_comm) > 1) split(o);
    slab_comm_ = o.slab_comm;
    window_ = static_cast<int>(data_.spec.in_time_window());
    name_ = fmt::format("{} from {} ({}{}{})", model_.spec.hyper_text().substr(0, model_.spec.hyper_text().find('\n')),
                        o.checkpoint, dtype_ == torch::kFloat64 ? "float64" : "float32",
                        precision_ == Arithmetic::fp32 ? "" : ", " + describe_arithmetic(precision_, device_),
                        slab_ ? fmt::format(", each state split in x-slabs over {} ranks", slab_->ranks()) : "");
  }

  int window() const override { return window_; }
  rollout::StateSlab slab(int nx) const override {
    if (!slab_) return rollout::StateSlab::whole(nx);
    return {static_cast<int>(slab_->x0()), static_cast<int>(slab_->nx_local()), static_cast<int>(slab_->nx()), slab_comm_};
  }
  std::string describe() const override { return name_; }
  double memory_bytes(int batch, std::string* how) const override {
    if (device_.is_cuda()) return 0;  // the host holds the states alone
    auto spec = data_.spec;  // split: the activations of this rank's planes
    if (slab_) spec.x.resize(slab_->nx_local());
    const auto e = evaluation_memory(spec, model_.parameter_count(), batch, dtype_ == torch::kFloat64 ? 8 : 4);
    // and the float64 input window and output of the call (this rank's planes of them)
    const double points = double(spec.x.size()) * spec.y.size() * spec.z.size();
    if (how)
      *how = e.how + (slab_ ? fmt::format(" on this rank's {} of {} x planes", slab_->nx_local(), slab_->nx()) : "") +
             fmt::format(", and the float64 window and output ({} values per sample)", (window_ + 2) * 3 * points);
    return e.bytes + batch * (window_ + 2) * 3 * points * 8;
  }

  void advance(const std::vector<int>& /*ids*/, const std::vector<std::vector<const Field*>>& history,
               std::vector<Field>& next) override {
    torch::NoGradGuard no_grad;
    const ArithmeticScope arithmetic(precision_, device_);
    const auto& s = data_.spec;
    const int64_t nx = slab_ ? slab_->nx_local() : int64_t(s.x.size()), ny = s.y.size(), nz = s.z.size();
    const int64_t b = history.size(), n = nx * ny * nz * 3;
    auto in = torch::empty({b, window_, nx, ny, nz, 3}, torch::kFloat64);
    auto* p = in.data_ptr<double>();
    for (int64_t i = 0; i < b; ++i)
      for (int w = 0; w < window_; ++w) {
        const Field& f = *history[i][w];
        IFF_CHECK(static_cast<int64_t>(f.size()) == n, "state of " << f.size() << " values for " << nx << "x" << ny
                                                                   << "x" << nz << " points of the operator");
        std::copy(f.begin(), f.end(), p + (i * window_ + w) * n);
      }
    if (window_ == 1) in = in.squeeze(1);
    auto u = data_.norm.normalize_input(in.to(dtype_)).to(device_);
    auto y = model_(u).to(torch::kCPU);  // [b, nx, ny, nz, 3]: this rank's planes when split
    auto out = data_.norm.denormalize_output(y.to(torch::kFloat64)).contiguous();
    const double* q = out.data_ptr<double>();
    for (int64_t i = 0; i < b; ++i) next[i].assign(q + i * n, q + (i + 1) * n);
  }

 private:
  /// Splits the model's field over o.slab_comm: InputError for a model that cannot be split
  /// or an arithmetic the split path does not run.
  void split(const OperatorStepperOptions& o) {
    slab_ = split_in_x_slabs(model_, o.slab_comm, o.precision, "rollout.ranks_per_trajectory");
  }

  torch::Device device_;
  Model model_;
  std::shared_ptr<MpiSlabGroup> slab_;
  MPI_Comm slab_comm_ = MPI_COMM_SELF;
  CheckpointData data_;
  torch::ScalarType dtype_ = torch::kFloat32;
  Arithmetic precision_ = Arithmetic::fp32;
  int window_ = 1;
  std::string name_;
};

}  // namespace

std::unique_ptr<rollout::Stepper> make_operator_stepper(const OperatorStepperOptions& options) {
  return std::make_unique<OperatorStepper>(options);
}

std::vector<int> checkpoint_grid(const std::string& checkpoint) {
  const auto d = read_checkpoint_data(checkpoint);
  return {static_cast<int>(d.spec.x.size()), static_cast<int>(d.spec.y.size()), static_cast<int>(d.spec.z.size())};
}

std::vector<double> checkpoint_box(const std::string& checkpoint) {
  const auto d = read_checkpoint_data(checkpoint);
  return {d.spec.lx, d.spec.lz};
}

std::string checkpoint_model_kind(const std::string& checkpoint) {
  return to_string(read_checkpoint_data(checkpoint).spec.kind);
}

int intra_op_threads() { return at::get_num_threads(); }

int checkpoint_validation_trajectories(const std::string& checkpoint, int n_traj) {
  const auto d = read_checkpoint_data(checkpoint);
  int val = -1;
  try {
    auto cfg = Config::from_string(d.config, checkpoint);
    val = cfg.section("data").get<int>("val_trajectories", -1);
  } catch (const Error&) {
    val = -1;
  }
  if (val < 0) val = n_traj > 1 ? static_cast<int>(std::ceil(n_traj / 5.0)) : 0;
  return std::min(val, n_traj);
}

rollout::StepperSource operator_stepper_source(const OperatorStepperOptions& options) {
  rollout::StepperSource s;
  s.what = "checkpoint " + options.checkpoint;
  s.grid = checkpoint_grid(options.checkpoint);
  s.box = checkpoint_box(options.checkpoint);
  s.kind = checkpoint_model_kind(options.checkpoint);
  s.stepper = make_operator_stepper(options);
  s.threads = intra_op_threads();
  return s;
}

}  // namespace iff::operators
