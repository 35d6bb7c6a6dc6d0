// The fused axial core of the parallel block (attention/axial_core.hpp) against the same
// formula written with plain libtorch operations (einsum, instance_norm, linear), forward
// and every gradient, in float64 and float32, with more (sample, head, axis) units than
// threads so that units are shared out.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <array>
#include <vector>

#include "attention/axial_core.hpp"
#include "attention/row_gemm.hpp"
#include "tests/support/torch_test_helpers.hpp"

namespace att = iff::attention;
using iff::test::max_abs_diff;

namespace {

struct CoreInputs {
  torch::Tensor un, w_v, k_x, k_y, k_z, w_2;
  std::vector<torch::Tensor> all() const { return {un, w_v, k_x, k_y, k_z, w_2}; }
};

struct CoreSizes {
  int64_t b = 2, nx = 5, ny = 4, nz = 3, dim = 4, heads = 3, dh = 2, dout = 5;
};

CoreInputs random_inputs(torch::ScalarType dtype, const CoreSizes& z = {}, double offset = 1) {
  const int64_t b = z.b, nx = z.nx, ny = z.ny, nz = z.nz, dim = z.dim, heads = z.heads, dh = z.dh, dout = z.dout;
  auto o = torch::TensorOptions().dtype(dtype);
  CoreInputs in;
  // a mean offset per channel, so that the normalisation's centring matters
  in.un = (torch::randn({b, nx, ny, nz, dim}, o) + offset * torch::linspace(-2, 3, dim, o)).requires_grad_(true);
  in.w_v = torch::randn({heads * dh, dim}, o).requires_grad_(true);
  in.k_x = torch::randn({b, heads, nx, nx}, o).requires_grad_(true);
  in.k_y = torch::randn({b, heads, ny, ny}, o).requires_grad_(true);
  in.k_z = torch::randn({b, heads, nz, nz}, o).requires_grad_(true);
  in.w_2 = torch::randn({dout, 3 * heads * dh}, o).requires_grad_(true);
  return in;
}

/// InstanceNorm([K_x ⋆_x V, K_y ⋆_y V, K_z ⋆_z V]) W_2ᵀ with channel order (head, axis, c).
torch::Tensor plain_core(const CoreInputs& in, double eps) {
  const auto b = in.un.size(0), nx = in.un.size(1), ny = in.un.size(2), nz = in.un.size(3);
  const auto heads = in.k_x.size(1), dh = in.w_v.size(0) / heads;
  auto v = torch::linear(in.un, in.w_v).view({b, nx, ny, nz, heads, dh});
  auto xx = torch::einsum("bhij,bjlrhc->bilrhc", {in.k_x, v});
  auto xy = torch::einsum("bhlm,bimrhc->bilrhc", {in.k_y, v});
  auto xz = torch::einsum("bhrs,bilshc->bilrhc", {in.k_z, v});
  auto x = torch::stack({xx, xy, xz}, 5).reshape({b, nx * ny * nz, 3 * heads * dh});
  auto xn = torch::instance_norm(x.transpose(1, 2), {}, {}, {}, {}, true, 0.0, eps, false).transpose(1, 2);
  return torch::linear(xn, in.w_2);
}

void expect_core_matches(torch::ScalarType dtype, double tol) {
  torch::manual_seed(11);
  auto in = random_inputs(dtype);
  auto got = att::parallel_axial_core(in.un, in.w_v, in.k_x, in.k_y, in.k_z, in.w_2, 1e-5);
  auto want = plain_core(in, 1e-5);
  ASSERT_EQ(got.sizes(), want.sizes());
  EXPECT_LT(max_abs_diff(got, want), tol * (1 + want.abs().max().item<double>()));
  auto w = torch::randn_like(want);
  auto g_got = torch::autograd::grad({(got * w).sum()}, in.all());
  auto g_want = torch::autograd::grad({(want * w).sum()}, in.all());
  const char* names[] = {"un", "w_v", "k_x", "k_y", "k_z", "w_2"};
  for (std::size_t i = 0; i < g_got.size(); ++i) {
    ASSERT_TRUE(g_got[i].defined()) << names[i];
    EXPECT_LT(max_abs_diff(g_got[i], g_want[i]), tol * (1 + g_want[i].abs().max().item<double>())) << names[i];
  }
}

}  // namespace

TEST(AxialCore, Float64EqualsThePlainFormulaAndItsGradients) {
  if (!att::axial_core_supported(torch::zeros({1}, torch::kFloat64))) GTEST_SKIP() << "built without BLAS";
  expect_core_matches(torch::kFloat64, 1e-12);
}

TEST(AxialCore, Float32EqualsThePlainFormulaAndItsGradients) {
  if (!att::axial_core_supported(torch::zeros({1}))) GTEST_SKIP() << "built without BLAS";
  expect_core_matches(torch::kFloat32, 2e-5);
}

TEST(AxialCore, SameResultOnOneAndTwoThreads) {
  if (!att::axial_core_supported(torch::zeros({1}, torch::kFloat64))) GTEST_SKIP() << "built without BLAS";
  torch::manual_seed(12);
  auto in = random_inputs(torch::kFloat64);
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  auto one = att::parallel_axial_core(in.un, in.w_v, in.k_x, in.k_y, in.k_z, in.w_2, 1e-5);
  auto g_one = torch::autograd::grad({one.sum()}, in.all());
  at::set_num_threads(2);
  auto two = att::parallel_axial_core(in.un, in.w_v, in.k_x, in.k_y, in.k_z, in.w_2, 1e-5);
  auto g_two = torch::autograd::grad({two.sum()}, in.all());
  at::set_num_threads(threads);
  EXPECT_TRUE(torch::equal(one, two)) << max_abs_diff(one, two);  // fixed blocks and merge order
  for (std::size_t i = 0; i < g_one.size(); ++i) EXPECT_LT(max_abs_diff(g_one[i], g_two[i]), 1e-11) << i;
}

// With room for the intermediates of fewer heads than there are, the forward handles the
// heads in groups (here 2 + 1 and 1 + 1 + 1) and gives the plain formula's result.
TEST(AxialCore, HeadsInGroupsGiveThePlainFormula) {
  if (!att::axial_core_supported(torch::zeros({1}, torch::kFloat64))) GTEST_SKIP() << "built without BLAS";
  torch::manual_seed(15);
  CoreSizes z;  // 3 heads
  auto in = random_inputs(torch::kFloat64, z);
  auto want = plain_core(in, 1e-5);
  const double per_head = 4.0 * z.nx * z.ny * z.nz * z.dh * sizeof(double);
  for (double heads_room : {2.5, 1.0}) {
    att::set_axial_core_group_bytes(heads_room * per_head);
    auto got = att::parallel_axial_core(in.un, in.w_v, in.k_x, in.k_y, in.k_z, in.w_2, 1e-5);
    att::set_axial_core_group_bytes(256.0 * (1 << 20));
    EXPECT_LT(max_abs_diff(got, want), 1e-12 * (1 + want.abs().max().item<double>())) << heads_room;
  }
}

// A grid whose products leave partial blocks of the libxsmm kernels (rows of 32, columns of
// 256) and whose x-axis product is wider than RowGemm::kMaxJitColumns (BLAS), and more
// points than one block of column_moments: the kernels and BLAS alone give the same result.
TEST(AxialCore, JitKernelsAndBlasAloneAgreeOnALargerGrid) {
  if (!att::axial_core_supported(torch::zeros({1}, torch::kFloat64))) GTEST_SKIP() << "built without BLAS";
  torch::manual_seed(13);
  CoreSizes z;
  z.b = 1, z.nx = 7, z.ny = 9, z.nz = 40, z.dim = 8, z.heads = 2, z.dh = 20, z.dout = 6;
  auto in = random_inputs(torch::kFloat64, z);
  auto want = plain_core(in, 1e-5);
  // weighted: the plain sum of an instance-normalised field has zero gradient
  auto w = torch::randn_like(want);
  auto g_want = torch::autograd::grad({(want * w).sum()}, in.all());
  for (bool jit : {true, false}) {
    att::set_small_gemm_jit(jit);
    auto got = att::parallel_axial_core(in.un, in.w_v, in.k_x, in.k_y, in.k_z, in.w_2, 1e-5);
    auto g_got = torch::autograd::grad({(got * w).sum()}, in.all());
    att::set_small_gemm_jit(true);
    EXPECT_LT(max_abs_diff(got, want), 1e-12 * (1 + want.abs().max().item<double>())) << "jit " << jit;
    for (std::size_t i = 0; i < g_got.size(); ++i)
      EXPECT_LT(max_abs_diff(g_got[i], g_want[i]), 1e-12 * (1 + g_want[i].abs().max().item<double>()))
          << "jit " << jit << " gradient " << i;
  }
}

// z is accumulated from the uncentred X and the mean's share subtracted once, and the channel
// moments come from one shifted pass per block of points, so float32 round-off grows with
// |μ|/σ of X's channels; with channel means 20× the spread of the input it stays at the
// float32 level of the result, on a small grid and on one with the demo's x-slabs (33×16
// points, the moments' largest blocks).
TEST(AxialCore, Float32HoldsWhenTheChannelMeansDwarfTheirSpread) {
  if (!att::axial_core_supported(torch::zeros({1}))) GTEST_SKIP() << "built without BLAS";
  torch::manual_seed(14);
  for (auto [nx, ny, nz] : {std::array<int64_t, 3>{8, 9, 10}, std::array<int64_t, 3>{3, 33, 16}}) {
    CoreSizes z;
    z.b = 1, z.nx = nx, z.ny = ny, z.nz = nz, z.dim = 16, z.heads = 2, z.dh = 16, z.dout = 8;
    auto in = random_inputs(torch::kFloat64, z, 20);
    auto want = plain_core(in, 1e-5);
    auto got = att::parallel_axial_core(in.un.to(torch::kFloat32), in.w_v.to(torch::kFloat32),
                                        in.k_x.to(torch::kFloat32), in.k_y.to(torch::kFloat32),
                                        in.k_z.to(torch::kFloat32), in.w_2.to(torch::kFloat32), 1e-5);
    const double scale = want.abs().max().item<double>();
    const double err = max_abs_diff(got.to(torch::kFloat64), want) / scale;
    RecordProperty("relative_error_" + std::to_string(ny), std::to_string(err));
    EXPECT_LT(err, 2e-5) << nx << "x" << ny << "x" << nz;
  }
}
