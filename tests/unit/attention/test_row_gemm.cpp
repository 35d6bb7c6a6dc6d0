// The row-major products of the axial core (attention/row_gemm.hpp) against the explicit
// sum C[i, j] = Σ_k A[i, k] B[k, j] + β C[i, j] in long double, on shapes that leave partial
// row and column blocks, with row strides wider than the matrices, through the libxsmm
// kernels (when built with them) and through BLAS alone.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <tuple>
#include <vector>

#include "attention/row_gemm.hpp"

namespace att = iff::attention;

namespace {

struct Shape {
  int64_t M, N, K;
};

template <class T>
double max_error(const Shape& s, T beta, bool jit, bool* used_jit) {
  const int64_t lda = s.K + 3, ldb = s.N + 5, ldc = s.N + 7;
  std::mt19937 gen(static_cast<unsigned>(s.M * 131 + s.N * 17 + s.K));
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<T> A(s.M * lda), B(s.K * ldb), C(s.M * ldc);
  for (auto* v : {&A, &B, &C})
    for (auto& e : *v) e = static_cast<T>(u(gen));
  const std::vector<T> C0 = C;
  att::set_small_gemm_jit(jit);
  const att::RowGemm<T> gemm(s.M, s.N, s.K, lda, ldb, ldc, beta);
  *used_jit = gemm.jit();
  gemm(A.data(), B.data(), C.data());
  att::set_small_gemm_jit(true);
  double err = 0;
  for (int64_t i = 0; i < s.M; ++i) {
    for (int64_t j = 0; j < s.N; ++j) {
      long double want = static_cast<long double>(beta) * C0[i * ldc + j];
      for (int64_t k = 0; k < s.K; ++k) want += static_cast<long double>(A[i * lda + k]) * B[k * ldb + j];
      err = std::max(err, static_cast<double>(std::fabs(want - static_cast<long double>(C[i * ldc + j]))));
    }
    for (int64_t j = s.N; j < ldc; ++j)  // the padding between rows stays untouched
      if (C[i * ldc + j] != C0[i * ldc + j]) return INFINITY;
  }
  return err;
}

// (rows, columns, depth): the core's V and output products (depth 96), its axial products
// (16–33 deep, up to 1536 columns), partial blocks of 32 rows and 256 columns, and a product
// wider than kMaxJitColumns (BLAS in every build).
const std::vector<Shape> kShapes{{96, 96, 96}, {45, 96, 96}, {16, 96, 16}, {33, 1536, 33},
                                 {37, 300, 20}, {3, 5, 7},   {32, 4200, 32}};

/// Every shape, β ∈ {0, 1}, with and without the JIT kernels, within tol·K of the sum.
template <class T>
void expect_all_shapes_exact(double tol) {
  for (const auto& s : kShapes)
    for (T beta : {T(0), T(1)})
      for (bool jit : {true, false}) {
        bool used = false;
        EXPECT_LT(max_error<T>(s, beta, jit, &used), tol * s.K)
            << s.M << "x" << s.N << "x" << s.K << " beta " << beta << " jit " << jit;
        if (!jit) {
          EXPECT_FALSE(used);
        }
      }
}

}  // namespace

TEST(RowGemm, EqualsTheExplicitSumInFloat64WithAndWithoutJitKernels) {
  if (!att::have_blas()) GTEST_SKIP() << "built without BLAS";
  expect_all_shapes_exact<double>(1e-13);
}

TEST(RowGemm, EqualsTheExplicitSumInFloat32WithAndWithoutJitKernels) {
  if (!att::have_blas()) GTEST_SKIP() << "built without BLAS";
  expect_all_shapes_exact<float>(2e-7);
}

TEST(RowGemm, UsesJitKernelsWhereItShould) {
  if (!att::small_gemm_jit()) GTEST_SKIP() << "built without libxsmm";
  EXPECT_TRUE(att::RowGemm<float>(16896, 96, 96, 96, 96, 96, 1.0F).jit());
  EXPECT_TRUE(att::RowGemm<double>(33, 1536, 33, 33, 1536, 1536, 0.0).jit());
  EXPECT_FALSE(att::RowGemm<float>(32, 50688, 32, 32, 50688, 50688, 0.0F).jit());  // wider than kMaxJitColumns
  EXPECT_FALSE(att::RowGemm<float>(96, 96, 96, 96, 96, 96, 0.5F).jit());           // β ∉ {0, 1}
}
