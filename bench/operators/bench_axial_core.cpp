// bench_axial_core: the fused core of IFactFormer-m's parallel block (attention/axial_core.hpp)
// alone at the default sizes, forward and forward+backward, against a 4096² sgemm measured in
// the same run.
//
//   bench_axial_core [--threads N] [--repeats R] [--grid NXxNYxNZ] [--batch B]
//
// FLOPs counted per sample and head: V_h = û W_vᵀ (2·n·dim·dh), the three axial products
// (2·n·dh·(nx + ny + nz)) and the output product (2·n·3dh·d_out); backward counts twice the
// forward's products plus the recomputation of V_h and X (its GEMMs, as performed).
// Times are medians of R runs after one warm-up; with libxsmm, each case also runs on BLAS
// alone (alternating, same process) and the ratio is printed.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "attention/axial_core.hpp"
#include "attention/row_gemm.hpp"
#include "operators/heap_policy.hpp"

namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

template <class F>
double median_time(int repeats, F&& f) {
  f();
  std::vector<double> t;
  for (int r = 0; r < repeats; ++r) {
    const double t0 = now();
    f();
    t.push_back(now() - t0);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 2, repeats = 5, b = 1;
  int64_t nx = 32, ny = 33, nz = 16;
  const int64_t dim = 96, heads = 5, dh = 96, dout = 96;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (k == "--threads") threads = std::stoi(next());
    else if (k == "--repeats") repeats = std::stoi(next());
    else if (k == "--batch") b = std::stoi(next());
    else if (k == "--grid") {
      const auto g = next();
      if (std::sscanf(g.c_str(), "%ldx%ldx%ld", &nx, &ny, &nz) != 3) { std::fprintf(stderr, "bad --grid %s\n", g.c_str()); return 2; }
    } else {
      std::fprintf(stderr, "usage: bench_axial_core [--threads N] [--repeats R] [--grid NXxNYxNZ] [--batch B]\n");
      return 2;
    }
  }
  iff::keep_freed_heap_memory();  // as ifactflow does
  torch::set_num_threads(threads);
  torch::manual_seed(1);
  const int64_t nsg = 4096;
  auto A = torch::randn({nsg, nsg}), B = torch::randn({nsg, nsg}), C = torch::empty({nsg, nsg});
  const double t_sgemm = median_time(repeats, [&] { torch::mm_out(C, A, B); });
  const double peak = 2.0 * nsg * nsg * nsg / t_sgemm / 1e9;
  A = B = C = torch::Tensor();
  std::printf("bench_axial_core: grid %ldx%ldx%ld, batch %d, %d thread(s), median of %d\n", nx, ny, nz, b, threads, repeats);
  std::printf("sgemm %ld^2: %.1f GFLOP/s (reference rate)\n", nsg, peak);

  const int64_t n = nx * ny * nz;
  auto un = torch::randn({b, nx, ny, nz, dim}).requires_grad_(true);
  auto w_v = (torch::randn({heads * dh, dim}) / 10).requires_grad_(true);
  auto k_x = (torch::randn({b, heads, nx, nx}) / 5).requires_grad_(true);
  auto k_y = (torch::randn({b, heads, ny, ny}) / 5).requires_grad_(true);
  auto k_z = (torch::randn({b, heads, nz, nz}) / 5).requires_grad_(true);
  auto w_2 = (torch::randn({dout, 3 * heads * dh}) / 30).requires_grad_(true);
  const double per_head = 2.0 * n * dim * dh + 2.0 * n * dh * (nx + ny + nz) + 2.0 * n * 3 * dh * dout;
  const double f_fwd = b * heads * per_head;
  // backward: recompute V_h and X (first two terms), then dW_2, dX̂, the transposed axial
  // products, dK, dû and dW_v (each as large as its forward product)
  const double f_bwd = b * heads * (2.0 * n * dim * dh + 2.0 * n * dh * (nx + ny + nz) + 2 * 2.0 * n * 3 * dh * dout +
                                    2 * 2.0 * n * dh * (nx + ny + nz) + 2 * 2.0 * n * dim * dh);
  // Each case runs with libxsmm kernels (attention/row_gemm.hpp) and with BLAS alone, one
  // after the other in every round, so that both see the same load on the machine.
  auto g = torch::randn({b, n, dout});
  auto forward = [&] {
    torch::NoGradGuard ng;
    (void)iff::attention::parallel_axial_core(un, w_v, k_x, k_y, k_z, w_2, 1e-5);
  };
  auto forward_backward = [&] {
    auto z = iff::attention::parallel_axial_core(un, w_v, k_x, k_y, k_z, w_2, 1e-5);
    (void)torch::autograd::grad({z}, {un, w_v, k_x, k_y, k_z, w_2}, {g});
  };
  const bool jit = iff::attention::small_gemm_jit();
  std::vector<std::pair<const char*, bool>> modes{{"BLAS   ", false}};
  if (jit) modes.insert(modes.begin(), {"libxsmm", true});
  auto report = [&](const char* what, double flop, const std::function<void()>& f) {
    std::vector<std::vector<double>> t(modes.size());
    for (int r = -1; r < repeats; ++r)  // r = −1: warm-up
      for (std::size_t m = 0; m < modes.size(); ++m) {
        iff::attention::set_small_gemm_jit(modes[m].second);
        const double t0 = now();
        f();
        if (r >= 0) t[m].push_back(now() - t0);
      }
    iff::attention::set_small_gemm_jit(jit);
    std::vector<double> med;
    for (std::size_t m = 0; m < modes.size(); ++m) {
      std::sort(t[m].begin(), t[m].end());
      med.push_back(t[m][t[m].size() / 2]);
      std::printf("%-17s %s: %8.1f ms  %6.1f GFLOP/s (%4.1f%% of sgemm, %.2f GFLOP)\n", what, modes[m].first,
                  med[m] * 1e3, flop / med[m] / 1e9, 100 * flop / med[m] / 1e9 / peak, flop / 1e9);
    }
    if (modes.size() == 2) std::printf("%-17s libxsmm is %.2fx faster than BLAS alone\n", what, med[1] / med[0]);
  };
  report("forward", f_fwd, forward);
  report("forward+backward", f_fwd + f_bwd, forward_backward);
  return 0;
}
