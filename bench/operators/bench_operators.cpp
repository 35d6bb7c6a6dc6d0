// bench_operators: IFactFormer-m, FNO and IFNO at their default sizes on a 32x33x16 grid.
//
//   bench_operators [--device cpu|cuda] [--threads N] [--repeats R] [--grid NXxNYxNZ]
//                   [--models ifactformer-m,fno,ifno] [--batch B] [--plain-batch]
//                   [--no-plain-train] [--forward-only] [--trace FILE]
//
// For each model: forward (batch 1, no gradients) and training step (forward, relative-L2
// loss, backward, AdamW step) at batch B (default 5) with activation checkpointing, and
// without it at batch 1 (its memory grows linearly with the batch; the batch-B figure is
// the batch-1 peak scaled and is printed as an estimate unless --plain-batch is given).
// --trace FILE writes a Chrome trace (libtorch's profiler) of one extra forward and, unless
// --forward-only, one checkpointed training step of the first model. Times are medians of R
// runs after one warm-up. GFLOP/s counts the multiply-adds of the
// matrix products the implementation performs (formulas below), compared with the rate of
// a 4096² sgemm measured in the same run (for the forward: run alternately with it, R
// times). On a device other than the CPU each model's float64 output and gradients are
// first compared with the CPU's (exit 1 beyond 1e-9).
// Peak memory: beside the estimate `train` and `rollout` check before their first step
// (operators/memory_estimate.hpp), the process's resident-set peak (VmHWM, reset before each measurement after
// handing freed heap back to the system, so that one model's figure does not carry the
// previous one's) on the CPU; the CUDA allocator's peak on a GPU.
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "operators/heap_policy.hpp"
#include "operators/memory_estimate.hpp"
#include "operators/model.hpp"

// CUDA memory statistics only with a CUDA build of libtorch: a CPU libtorch (Debian's)
// ships the c10/cuda headers without their generated cuda_cmake_macros.h
#if __has_include(<c10/cuda/impl/cuda_cmake_macros.h>) && __has_include(<cuda_runtime_api.h>)
#include <c10/cuda/CUDACachingAllocator.h>
#define IFF_BENCH_CUDA_STATS 1
#endif

namespace ops = iff::operators;

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

namespace {

struct Args {
  std::string device = "cpu";
  int threads = 2;
  int repeats = 3;
  int nx = 32, ny = 33, nz = 16;
  std::vector<std::string> models{"ifactformer-m", "fno", "ifno"};
  int batch = 5;
  bool plain_batch = false;  // also run the non-checkpointed step at the full batch
  bool plain_train = true;
  bool forward_only = false;
  std::string trace;  // Chrome trace of one forward (and training step), empty: none
};

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

void sync(const torch::Device& d) {
  if (d.is_cuda()) torch::cuda::synchronize();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

/// Resets the resident-set peak (Linux: /proc/self/clear_refs, value 5) or the CUDA
/// allocator's peak.
void reset_peak(const torch::Device& d) {
  if (d.is_cuda()) {
#ifdef IFF_BENCH_CUDA_STATS
    c10::cuda::CUDACachingAllocator::resetPeakStats(d.has_index() ? d.index() : 0);
#endif
    return;
  }
  malloc_trim(0);
  std::ofstream("/proc/self/clear_refs") << "5";
}

/// Peak resident memory in GiB since the last reset (VmHWM), or the CUDA allocator's peak
/// of allocated bytes (−1: not available in this build).
double peak_gib(const torch::Device& d) {
  if (d.is_cuda()) {
#ifdef IFF_BENCH_CUDA_STATS
    auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(d.has_index() ? d.index() : 0);
    return static_cast<double>(stats.allocated_bytes[0].peak) / (1024.0 * 1024.0 * 1024.0);
#else
    return -1;
#endif
  }
  std::ifstream f("/proc/self/status");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / (1024.0 * 1024.0);
  return -1;
}

/// Multiply-add FLOPs (2 per MAC) of one forward pass, as implemented.
double forward_flops(const ops::ModelSpec& s, int b) {
  const double nx = s.x.size(), ny = s.y.size(), nz = s.z.size(), n = nx * ny * nz;
  if (s.is_ifactformer()) {
    const auto& o = s.ifactformer;
    const double dim = o.dim, half = o.dim / 2, hd = o.heads * o.dim_head, dqk = o.dim_head * o.kernel_multiplier;
    const double ch = s.kind == ops::ModelKind::ifactformer_m ? 3 * hd : hd;
    double block = 2 * n * dim * hd                     // to_v
                   + 2 * hd * n * (nx + ny + nz)        // the three axial products
                   + 2 * n * ch * dim + 2 * n * dim * dim;  // to_out.2, to_out.4
    for (double na : {nx, ny, nz})                       // pooled reducers and kernels
      block += 2 * na * (dim * dim * 2 + dim * 2 * dim + dim * dim) + 2 * 2 * na * dim * dqk * o.heads +
               2 * o.heads * na * na * dqk;
    const double lift = 2 * n * o.in_time_window * half * dim + 2 * n * 3 * half + 2 * n * dim * dim;
    const double out = 2 * n * dim * half + 2 * n * half * o.out_dim;
    return b * (lift + o.depth * o.n_layer * block + out);
  }
  const auto& o = s.fno;
  const double w = o.width, nyp = ny + o.pad_y, np = nx * nyp * nz;
  const double modes = 4.0 * o.modes_x * o.modes_y * o.modes_z;
  const double fft = 2.5 * np * std::log2(np) * w * 2;   // rfftn + irfftn, 5 N log2 N per complex transform
  const double layer = 8 * modes * w * w + 2 * np * w * w + fft;
  return b * (2 * n * (3.0 * o.in_time_window + 3) * w + o.n_layer * layer + 2 * n * w * o.projection + 2 * n * o.projection * 3);
}

ops::ModelSpec default_spec(const std::string& kind, const Args& a) {
  ops::ModelSpec s;
  s.kind = ops::kModelKindNames.parse_or_throw(kind, "model kind");
  s.lx = 4 * M_PI;
  s.lz = 4 * M_PI / 3;
  s.x = ops::ModelSpec::periodic_axis(a.nx, s.lx);
  s.y = ops::ModelSpec::chebyshev_axis(a.ny);
  s.z = ops::ModelSpec::periodic_axis(a.nz, s.lz);
  return s;
}

/// float64 forward and parameter gradients of `spec` on `dev` against the CPU with the same
/// weights, buffers and input (on the device with activation checkpointing when the model
/// has it, on the CPU without, which is also the CPU's fused kernel against the device's
/// libtorch expression): the largest difference relative to the largest magnitude, for the
/// output and over all gradients.
std::pair<double, double> device_vs_cpu(const ops::ModelSpec& spec, const torch::Device& dev, const Args& a) {
  auto s_cpu = spec, s_dev = spec;
  s_cpu.ifactformer.checkpoint_activations = false;
  s_dev.ifactformer.checkpoint_activations = true;
  torch::manual_seed(7);
  auto cpu = ops::make_model(s_cpu);
  auto gpu = ops::make_model(s_dev);
  cpu.module->to(torch::kFloat64);
  gpu.module->to(torch::kFloat64);
  {
    torch::NoGradGuard ng;
    auto src = cpu.module->named_parameters(), dst = gpu.module->named_parameters();
    for (const auto& p : src) dst[p.key()].copy_(p.value());
    auto bsrc = cpu.module->named_buffers(), bdst = gpu.module->named_buffers();
    for (const auto& b : bsrc) bdst[b.key()].copy_(b.value());
  }
  gpu.module->to(dev);
  cpu.module->train();
  gpu.module->train();
  auto u = torch::randn({2, a.nx, a.ny, a.nz, 3}, torch::kFloat64);
  auto yc = cpu(u);
  auto yg = gpu(u.to(dev));
  auto w = torch::randn_like(yc);
  auto rel = [](const torch::Tensor& x, const torch::Tensor& y) {
    return (x - y.cpu()).abs().max().item<double>() / std::max(1e-300, x.abs().max().item<double>());
  };
  const double fwd = rel(yc, yg);
  (yc * w).sum().backward();
  (yg * w.to(dev)).sum().backward();
  double grad = 0;
  auto gp = gpu.module->named_parameters();
  for (const auto& p : cpu.module->named_parameters())
    if (p.value().grad().defined()) grad = std::max(grad, rel(p.value().grad(), gp[p.key()].grad()));
  return {fwd, grad};
}

struct Timing {
  double seconds = 0, peak = 0;
};

template <class F>
Timing measure(const Args& a, const torch::Device& d, F&& f) {
  f();  // warm-up
  sync(d);
  std::vector<double> t;
  double peak = 0;
  for (int r = 0; r < a.repeats; ++r) {
    reset_peak(d);
    const double t0 = now();
    f();
    sync(d);
    t.push_back(now() - t0);
    peak = std::max(peak, peak_gib(d));
  }
  return {median(t), peak};
}

/// Medians of f and g run alternately R times after one warm-up of each, so that both see
/// the same moments of the machine's load.
template <class F, class G>
std::pair<double, double> measure_alternately(const Args& a, const torch::Device& d, F&& f, G&& g) {
  f();
  g();
  sync(d);
  std::vector<double> tf, tg;
  for (int r = 0; r < a.repeats; ++r) {
    double t0 = now();
    f();
    sync(d);
    tf.push_back(now() - t0);
    t0 = now();
    g();
    sync(d);
    tg.push_back(now() - t0);
  }
  return {median(tf), median(tg)};
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error("missing value after " + k);
      return argv[++i];
    };
    if (k == "--device") a.device = next();
    else if (k == "--threads") a.threads = std::stoi(next());
    else if (k == "--repeats") a.repeats = std::stoi(next());
    else if (k == "--batch") a.batch = std::stoi(next());
    else if (k == "--plain-batch") a.plain_batch = true;
    else if (k == "--no-plain-train") a.plain_train = false;
    else if (k == "--forward-only") a.forward_only = true;
    else if (k == "--trace") a.trace = next();
    else if (k == "--grid") {
      auto g = next();
      std::sscanf(g.c_str(), "%dx%dx%d", &a.nx, &a.ny, &a.nz);
    } else if (k == "--models") {
      a.models.clear();
      std::stringstream ss(next());
      for (std::string m; std::getline(ss, m, ',');) a.models.push_back(m);
    } else {
      std::cerr << "usage: bench_operators [--device cpu|cuda] [--threads N] [--repeats R] [--grid NXxNYxNZ] "
                   "[--models a,b] [--batch B] [--plain-batch] [--no-plain-train] [--forward-only] [--trace FILE]\n";
      return 2;
    }
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // figures appear as they are measured
  iff::keep_freed_heap_memory();              // as ifactflow does
  at::set_num_threads(a.threads);
  torch::manual_seed(0);
  torch::Device dev(a.device == "cuda" ? torch::kCUDA : torch::kCPU);
  if (dev.is_cuda() && !torch::cuda::is_available()) {
    std::cerr << "bench_operators: no CUDA device\n";
    return 2;
  }
  std::printf("bench_operators: grid %dx%dx%d, device %s, %d thread(s), median of %d run(s)\n", a.nx, a.ny, a.nz,
              a.device.c_str(), a.threads, a.repeats);

  // sgemm reference rate
  const int64_t n = dev.is_cuda() ? 8192 : 4096;
  auto A = torch::randn({n, n}, torch::TensorOptions().device(dev)), B = torch::randn({n, n}, torch::TensorOptions().device(dev));
  auto C = torch::empty({n, n}, torch::TensorOptions().device(dev));  // the product's output, made once
  auto tg = measure(a, dev, [&] { torch::mm_out(C, A, B); });
  const double peak_rate = 2.0 * n * n * n / tg.seconds / 1e9;
  std::printf("sgemm %ldx%ld: %.3f s, %.1f GFLOP/s (reference rate)\n", static_cast<long>(n), static_cast<long>(n),
              tg.seconds, peak_rate);
  A = B = C = torch::Tensor();

  for (const auto& kind : a.models) {
    auto spec = default_spec(kind, a);
    auto model = ops::make_model(spec);
    model.module->to(dev);
    const double params = static_cast<double>(model.parameter_count());
    auto input = [&](int b) { return torch::randn({b, a.nx, a.ny, a.nz, 3}, torch::TensorOptions().device(dev)); };
    std::printf("\n%s: %.0f parameters\n", kind.c_str(), params);
    if (!dev.is_cpu()) {
      const auto [fwd, grad] = device_vs_cpu(spec, dev, a);
      std::printf("  %s vs cpu, float64, batch 2: output differs by %.1e, gradients by %.1e (relative to the largest)\n",
                  a.device.c_str(), fwd, grad);
      if (!(fwd < 1e-9 && grad < 1e-9)) {
        std::fprintf(stderr, "bench_operators: %s disagrees with the CPU beyond 1e-9\n", kind.c_str());
        return 1;
      }
    }

    {  // forward, batch 1
      model.module->eval();
      auto u = input(1);
      torch::NoGradGuard ng;
      // peak memory without the sgemm's matrices resident, then the time alternately with
      // the sgemm: the share of sgemm compares the two at the same moments
      const double peak = measure(a, dev, [&] { (void)model(u); }).peak;
      auto A = torch::randn({n, n}, torch::TensorOptions().device(dev));
      auto B = torch::randn({n, n}, torch::TensorOptions().device(dev));
      auto C = torch::empty({n, n}, torch::TensorOptions().device(dev));
      const auto [t, t_sgemm] = measure_alternately(a, dev, [&] { (void)model(u); }, [&] { torch::mm_out(C, A, B); });
      const double rate = 2.0 * n * n * n / t_sgemm / 1e9;
      const double gf = forward_flops(model.spec, 1) / 1e9;
      const double est = ops::evaluation_memory(model.spec, model.parameter_count(), 1, 4).bytes / kGiB;
      std::printf("  forward  batch 1 : %8.3f s  %7.2f samples/s  %6.1f GFLOP/s (%4.1f%% of sgemm, %.1f GFLOP)  peak %.2f GiB"
                  " (estimate %.2f)\n"
                  "                     (sgemm run alternately with it: %.1f GFLOP/s)\n",
                  t, 1.0 / t, gf / t, 100 * gf / t / rate, gf, peak, est, rate);
      if (!a.trace.empty() && a.forward_only) {
        torch::autograd::profiler::RecordProfile rec(a.trace);
        (void)model(u);
      }
    }
    if (a.forward_only) continue;
    // One training set-up (model, AdamW, batch) whose step() is what is timed.
    struct TrainSetup {
      ops::Model model;
      std::unique_ptr<torch::optim::AdamW> opt;
      torch::Tensor u, target;
      void step() {
        const auto b = u.size(0);
        opt->zero_grad();
        auto loss = ((model(u) - target).reshape({b, -1}).norm(2, 1) / target.reshape({b, -1}).norm(2, 1)).mean();
        loss.backward();
        opt->step();
      }
    };
    auto make_setup = [&](int b, bool checkpointing) {
      auto s = spec;
      s.ifactformer.checkpoint_activations = checkpointing;
      torch::manual_seed(0);
      auto setup = std::make_unique<TrainSetup>(TrainSetup{ops::make_model(s), nullptr, input(b), input(b)});
      setup->model.module->to(dev);
      setup->model.module->train();
      std::vector<torch::Tensor> params;
      for (auto& p : setup->model.module->parameters())
        if (p.requires_grad()) params.push_back(p);
      setup->opt = std::make_unique<torch::optim::AdamW>(params, torch::optim::AdamWOptions(5e-4));
      return setup;
    };
    const double gf_step = 3 * forward_flops(spec, 1) / 1e9;  // per sample; backward ≈ 2 forwards
    auto train_step = [&](int b, bool checkpointing) {
      auto setup = make_setup(b, checkpointing);
      auto t = measure(a, dev, [&] { setup->step(); });
      if (!a.trace.empty() && checkpointing) {
        torch::autograd::profiler::RecordProfile rec(a.trace);
        setup->step();
      }
      const double gf = b * gf_step;  // (the recomputation of checkpointing is not counted)
      auto s = spec;
      s.ifactformer.checkpoint_activations = checkpointing;
      const double est = ops::training_memory(s, setup->model.parameter_count(), b, 4).bytes / kGiB;
      std::printf("  train    batch %d : %8.3f s  %7.2f samples/s  %6.1f GFLOP/s (%4.1f%% of sgemm)  peak %.2f GiB"
                  " (estimate %.2f)  [%s]\n", b,
                  t.seconds, b / t.seconds, gf / t.seconds, 100 * gf / t.seconds / peak_rate, t.peak, est,
                  checkpointing ? "activation checkpointing" : "no checkpointing");
      return t;
    };
    if (spec.is_ifactformer()) {
      auto ck = train_step(a.batch, true);
      if (a.plain_train) {
        auto pl = train_step(a.plain_batch ? a.batch : 1, false);
        if (!a.plain_batch)
          std::printf("  train    batch %d without checkpointing (estimate: batch-1 figures x %d): %.3f s, peak %.2f GiB; "
                      "checkpointing costs %.2fx the time\n",
                      a.batch, a.batch, pl.seconds * a.batch, pl.peak * a.batch, ck.seconds / (pl.seconds * a.batch));
        else {  // the two steps again, alternately, for their ratio at the same moments
          auto with = make_setup(a.batch, true), without = make_setup(a.batch, false);
          const auto [t_with, t_without] =
              measure_alternately(a, dev, [&] { with->step(); }, [&] { without->step(); });
          std::printf("  checkpointing costs %.2fx the time of the plain step (run alternately: %.3f s vs %.3f s)\n",
                      t_with / t_without, t_with, t_without);
        }
      }
    } else {
      train_step(a.batch, false);
    }
  }
  return 0;
}
