// bench_precision: fp32 against bf16-mixed arithmetic (operators/arithmetic.hpp) for the same
// model and weights, side by side in one process.
//
//   bench_precision [--threads N] [--repeats R] [--grid NXxNYxNZ] [--models a,b]
//                   [--batches 1,4] [--train-batch B] [--no-train]
//
// For each model (default IFactFormer-m, FNO and IFNO at their default sizes, 32x33x16): the
// forward at each batch (no gradients) and a training step (forward, relative-L2 loss,
// backward, AdamW step; IFactFormer with activation checkpointing) at --train-batch (default
// 1), each timed in fp32 and bf16-mixed alternately R times after one warm-up of each
// (medians; alternation makes both see the same moments of the machine's load), with the
// speed-up fp32 / bf16-mixed; and the relative difference of the bf16-mixed forward from the
// fp32 one, ‖y_bf16 − y_fp32‖₂ / ‖y_fp32‖₂ and the largest |difference| / max |y_fp32|. The
// figures are printed as they are measured. On a CPU without AVX512-BF16 bf16-mixed runs
// emulated (the same values, no faster): the header says which.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "operators/arithmetic.hpp"
#include "operators/heap_policy.hpp"
#include "operators/model.hpp"

namespace ops = iff::operators;
using iff::Arithmetic;

namespace {

struct Args {
  int threads = 2, repeats = 5, nx = 32, ny = 33, nz = 16, train_batch = 1;
  std::vector<std::string> models{"ifactformer-m", "fno", "ifno"};
  std::vector<int> batches{1, 4};
  bool train = true;
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string m; std::getline(ss, m, ',');) out.push_back(m);
  return out;
}

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

/// Medians of f(fp32) and f(bf16-mixed) run alternately R times after one warm-up of each.
template <class F>
std::pair<double, double> alternately(int repeats, F&& f) {
  const torch::Device cpu(torch::kCPU);
  auto timed = [&](Arithmetic a) {
    const ops::ArithmeticScope scope(a, cpu);
    const double t0 = now();
    f();
    return now() - t0;
  };
  timed(Arithmetic::fp32);
  timed(Arithmetic::bf16_mixed);
  std::vector<double> t32, t16;
  for (int r = 0; r < repeats; ++r) {
    t32.push_back(timed(Arithmetic::fp32));
    t16.push_back(timed(Arithmetic::bf16_mixed));
  }
  return {median(t32), median(t16)};
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

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error("missing value after " + k);
      return argv[++i];
    };
    if (k == "--threads") a.threads = std::stoi(next());
    else if (k == "--repeats") a.repeats = std::stoi(next());
    else if (k == "--train-batch") a.train_batch = std::stoi(next());
    else if (k == "--no-train") a.train = false;
    else if (k == "--grid") std::sscanf(next().c_str(), "%dx%dx%d", &a.nx, &a.ny, &a.nz);
    else if (k == "--models") a.models = split(next());
    else if (k == "--batches") {
      a.batches.clear();
      for (const auto& b : split(next())) a.batches.push_back(std::stoi(b));
    } else {
      std::fprintf(stderr, "usage: bench_precision [--threads N] [--repeats R] [--grid NXxNYxNZ] [--models a,b] "
                           "[--batches 1,4] [--train-batch B] [--no-train]\n");
      return 2;
    }
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  iff::keep_freed_heap_memory();
  at::set_num_threads(a.threads);
  const torch::Device cpu(torch::kCPU);
  std::printf("bench_precision: grid %dx%dx%d, %d thread(s), median of %d alternating run(s); CPU bf16: %s; %s\n",
              a.nx, a.ny, a.nz, a.threads, a.repeats, iff::attention::cpu_bf16_features(),
              ops::describe_arithmetic(Arithmetic::bf16_mixed, cpu).c_str());
  for (const auto& kind : a.models) {
    auto spec = default_spec(kind, a);
    spec.ifactformer.checkpoint_activations = true;
    torch::manual_seed(0);
    auto model = ops::make_model(spec);
    std::printf("\n%s: %ld parameters\n", kind.c_str(), static_cast<long>(model.parameter_count()));
    model.module->eval();
    for (int b : a.batches) {
      torch::NoGradGuard ng;
      auto u = torch::randn({b, a.nx, a.ny, a.nz, 3});
      torch::Tensor y32, y16;
      {
        const ops::ArithmeticScope s(Arithmetic::fp32, cpu);
        y32 = model(u);
      }
      {
        const ops::ArithmeticScope s(Arithmetic::bf16_mixed, cpu);
        y16 = model(u);
      }
      const double l2 = ((y16 - y32).norm() / y32.norm()).item<double>();
      const double mx = ((y16 - y32).abs().max() / y32.abs().max()).item<double>();
      const auto [t32, t16] = alternately(a.repeats, [&] { (void)model(u); });
      std::printf("  forward batch %d: fp32 %.3f s, bf16-mixed %.3f s, speed-up %.2fx; bf16 vs fp32 output: "
                  "%.2e relative L2, %.2e max\n",
                  b, t32, t16, t32 / t16, l2, mx);
    }
    if (!a.train) continue;
    model.module->train();
    std::vector<torch::Tensor> params;
    for (auto& p : model.module->parameters())
      if (p.requires_grad()) params.push_back(p);
    torch::optim::AdamW opt(params, torch::optim::AdamWOptions(5e-4));
    const int b = a.train_batch;
    auto u = torch::randn({b, a.nx, a.ny, a.nz, 3}), target = torch::randn({b, a.nx, a.ny, a.nz, 3});
    const auto [t32, t16] = alternately(a.repeats, [&] {
      opt.zero_grad();
      auto loss = ((model(u) - target).reshape({b, -1}).norm(2, 1) / target.reshape({b, -1}).norm(2, 1)).mean();
      loss.backward();
      opt.step();
    });
    std::printf("  train step batch %d%s: fp32 %.3f s, bf16-mixed %.3f s, speed-up %.2fx\n", b,
                spec.is_ifactformer() ? " (activation checkpointing)" : "", t32, t16, t32 / t16);
  }
  return 0;
}
