// Shared helpers of the libtorch tests (tests/unit/attention, tests/unit/operators): naive
// float64 formulas and a finite-difference gradient check.
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <functional>
#include <vector>

namespace iff::test {

inline double gelu_erf(double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }

/// Maximum |a − b| over all entries.
inline double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

/// Checks d(Σ w∘f)/dθ for each tensor θ in `wrt` against central differences at up to
/// `samples` entries per tensor (float64 tensors; w fixed random weights).
inline void expect_gradients(const std::function<torch::Tensor()>& f, const std::vector<torch::Tensor>& wrt,
                             double rel_tol = 1e-6, int samples = 6, double h = 1e-6) {
  torch::manual_seed(1234);
  auto out = f();
  auto w = torch::randn_like(out);
  auto grads = torch::autograd::grad({(out * w).sum()}, wrt, {}, false, false, /*allow_unused=*/true);
  for (std::size_t k = 0; k < wrt.size(); ++k) {
    auto theta = wrt[k];
    ASSERT_EQ(theta.scalar_type(), torch::kFloat64);
    auto flat = theta.detach().view(-1);
    const int64_t n = flat.numel();
    auto g = grads[k].defined() ? grads[k].reshape(-1) : torch::zeros({n}, flat.options());
    for (int s = 0; s < samples && s < n; ++s) {
      const int64_t idx = (s * 7919 + 13) % n;
      double num;
      {
        torch::NoGradGuard ng;
        const double orig = flat[idx].item<double>();
        flat[idx] = orig + h;
        const double lp = (f() * w).sum().item<double>();
        flat[idx] = orig - h;
        const double lm = (f() * w).sum().item<double>();
        flat[idx] = orig;
        num = (lp - lm) / (2 * h);
      }
      const double ana = g[idx].item<double>();
      EXPECT_NEAR(ana, num, rel_tol * std::max(1.0, std::abs(num))) << "tensor " << k << " entry " << idx;
    }
  }
}

}  // namespace iff::test
