// bench_axial_core: the fused core of IFactFormer-m's parallel block (attention/axial_core.hpp)
// alone at the default sizes, forward and forward+backward, against a 4096² sgemm measured in
// the same run.
//
//   bench_axial_core [--threads N] [--repeats R] [--grid NXxNYxNZ] [--batch B]
//
// FLOPs counted per sample and head: V_h = û W_vᵀ (2·n·dim·dh), the three axial products
// (2·n·dh·(nx + ny + nz)) and the output product (2·n·3dh·d_out); backward counts twice the
// forward's products plus the recomputation of V_h and X (its GEMMs, as performed).
// Times are medians of R runs after one warm-up.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "attention/axial_core.hpp"

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
  torch::set_num_threads(threads);
  torch::manual_seed(1);
  const int64_t nsg = 4096;
  auto A = torch::randn({nsg, nsg}), B = torch::randn({nsg, nsg});
  const double t_sgemm = median_time(repeats, [&] { (void)torch::mm(A, B); });
  const double peak = 2.0 * nsg * nsg * nsg / t_sgemm / 1e9;
  A = B = torch::Tensor();
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
  {
    torch::NoGradGuard ng;
    const double t = median_time(repeats, [&] { (void)iff::attention::parallel_axial_core(un, w_v, k_x, k_y, k_z, w_2, 1e-5); });
    std::printf("forward          : %8.1f ms  %6.1f GFLOP/s (%4.1f%% of sgemm, %.2f GFLOP)\n", t * 1e3, f_fwd / t / 1e9,
                100 * f_fwd / t / 1e9 / peak, f_fwd / 1e9);
  }
  {
    auto g = torch::randn({b, n, dout});
    const double t = median_time(repeats, [&] {
      auto z = iff::attention::parallel_axial_core(un, w_v, k_x, k_y, k_z, w_2, 1e-5);
      (void)torch::autograd::grad({z}, {un, w_v, k_x, k_y, k_z, w_2}, {g});
    });
    std::printf("forward+backward : %8.1f ms  %6.1f GFLOP/s (%4.1f%% of sgemm, %.2f GFLOP)\n", t * 1e3,
                (f_fwd + f_bwd) / t / 1e9, 100 * (f_fwd + f_bwd) / t / 1e9 / peak, (f_fwd + f_bwd) / 1e9);
  }
  return 0;
}
