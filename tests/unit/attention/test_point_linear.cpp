// The per-point linear map (attention/point_linear.hpp) against the explicit sum
// y[p, o] = Σ_i act(x[p, i]) W[o, i] + b[o] in long double (act the identity or the erf
// GELU), on row counts that leave a partial block of points, its gradients against finite
// differences, its kernels against torch::linear, and its bad-shape error.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <vector>

#include "attention/point_linear.hpp"
#include "attention/row_gemm.hpp"
#include "tests/support/torch_test_helpers.hpp"

namespace att = iff::attention;
using iff::test::max_abs_diff;

namespace {

/// max |point_linear(x, W, b) − explicit sum| / max |y| for x [2, rows, in].
double explicit_sum_error(torch::ScalarType dtype, int64_t rows, int64_t in, int64_t out, bool bias,
                          bool gelu = false) {
  torch::manual_seed(rows + 7 * in + 31 * out);
  auto o = torch::TensorOptions().dtype(dtype);
  auto x = torch::randn({2, rows, in}, o), w = torch::randn({out, in}, o);
  auto b = bias ? torch::randn({out}, o) : torch::Tensor();
  auto y = att::point_linear(x, w, b, gelu ? att::PointInput::gelu : att::PointInput::as_is);
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{2, rows, out}));
  auto xd = x.to(torch::kFloat64).contiguous(), wd = w.to(torch::kFloat64).contiguous();
  auto yd = y.to(torch::kFloat64).contiguous();
  const double* xp = xd.data_ptr<double>();
  const double* wp = wd.data_ptr<double>();
  const double* yp = yd.data_ptr<double>();
  double err = 0, scale = 0;
  for (int64_t p = 0; p < 2 * rows; ++p)
    for (int64_t j = 0; j < out; ++j) {
      long double want = bias ? static_cast<long double>(b[j].item<double>()) : 0.0L;
      for (int64_t i = 0; i < in; ++i) {
        const double a = gelu ? iff::test::gelu_erf(xp[p * in + i]) : xp[p * in + i];
        want += static_cast<long double>(a) * wp[j * in + i];
      }
      err = std::max(err, static_cast<double>(std::abs(want - static_cast<long double>(yp[p * out + j]))));
      scale = std::max(scale, static_cast<double>(std::abs(want)));
    }
  return err / scale;
}

}  // namespace

TEST(PointLinear, EqualsTheExplicitSum) {
  // 2·300 rows: two full blocks of points and a partial one; 24 outputs, 96 and 37 inputs
  EXPECT_LT(explicit_sum_error(torch::kFloat64, 300, 96, 24, true), 1e-14);
  EXPECT_LT(explicit_sum_error(torch::kFloat64, 300, 37, 96, false), 1e-14);
  EXPECT_LT(explicit_sum_error(torch::kFloat32, 300, 96, 96, true), 2e-6);
  EXPECT_LT(explicit_sum_error(torch::kFloat64, 5, 3, 2, true), 1e-14);  // fewer points than a block
  EXPECT_LT(explicit_sum_error(torch::kFloat64, 300, 48, 3, true, /*gelu=*/true), 1e-14);
  EXPECT_LT(explicit_sum_error(torch::kFloat32, 300, 96, 96, false, /*gelu=*/true), 2e-6);
}

TEST(PointLinear, GradientsMatchFiniteDifferences) {
  auto o = torch::TensorOptions().dtype(torch::kFloat64);
  auto x = torch::randn({3, 100, 7}, o).requires_grad_(true);
  auto w = torch::randn({5, 7}, o).requires_grad_(true);
  auto b = torch::randn({5}, o).requires_grad_(true);
  iff::test::expect_gradients([&] { return att::point_linear(x, w, b); }, {x, w, b});
  iff::test::expect_gradients([&] { return att::point_linear(x, w); }, {x, w});
  iff::test::expect_gradients([&] { return att::point_linear(x, w, b, att::PointInput::gelu); }, {x, w, b});
}

TEST(PointLinear, OwnKernelsAndTorchLinearAgreeWithGradients) {
  auto o = torch::TensorOptions().dtype(torch::kFloat64);
  auto x = torch::randn({2, 4, 5, 70, 12}, o).requires_grad_(true);  // 2800 points
  auto w = torch::randn({9, 12}, o).requires_grad_(true);
  auto b = torch::randn({9}, o).requires_grad_(true);
  auto g = torch::randn({2, 4, 5, 70, 9}, o);
  for (auto input : {att::PointInput::as_is, att::PointInput::gelu}) {
    const bool gelu = input == att::PointInput::gelu;
    auto want = torch::linear(gelu ? torch::gelu(x) : x, w, b);
    auto g_want = torch::autograd::grad({(want * g).sum()}, {x, w, b});
    for (bool jit : {true, false}) {
      att::set_small_gemm_jit(jit);
      EXPECT_EQ(att::point_linear_own_kernels(x), jit && att::small_gemm_jit());
      auto got = att::point_linear(x, w, b, input);
      auto g_got = torch::autograd::grad({(got * g).sum()}, {x, w, b});
      att::set_small_gemm_jit(true);
      EXPECT_LT(max_abs_diff(got, want), 1e-12) << "jit " << jit << " gelu " << gelu;
      for (int i = 0; i < 3; ++i)
        EXPECT_LT(max_abs_diff(g_got[i], g_want[i]), 1e-11) << "jit " << jit << " gelu " << gelu << " grad " << i;
    }
  }
}

TEST(PointLinear, SameBitsOnOneAndTwoThreads) {
  auto x = torch::randn({1, 1000, 96}), w = torch::randn({96, 96});
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  auto one = att::point_linear(x, w);
  at::set_num_threads(2);
  auto two = att::point_linear(x, w);
  at::set_num_threads(threads);
  EXPECT_TRUE(torch::equal(one, two));  // fixed blocks of points
}

TEST(PointLinear, RejectsMismatchedShapes) {
  auto x = torch::randn({4, 6});
  EXPECT_THROW(att::point_linear(x, torch::randn({3, 5})), std::exception);
  EXPECT_THROW(att::point_linear(x, torch::randn({3, 6}), torch::randn({4})), std::exception);
}
