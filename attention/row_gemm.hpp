// Matrix products of the fused axial core (attention/axial_core.cpp), row-major.
//
// RowGemm plans one product shape C [M×N] = A [M×K] B [K×N] + β·C (row strides lda, ldb,
// ldc; β ∈ {0, 1}) and applies it to many operands: the core multiplies the same shapes for
// every slab, head and sample. Its products are small or thin (depth 16–96, 96 columns) and
// BLAS packs its operands for each call, which at these sizes costs as much as the product
// (OpenBLAS: ~65% of its large-sgemm rate at depth 96). With libxsmm, RowGemm instead calls
// JIT-generated kernels on blocks of C of at most kRowBlock rows (shared evenly) × kColBlock
// columns, whose
// operands stay in L1/L2 and need no packing; products with more than kMaxJitColumns
// columns (long streams, where BLAS's packing pays) and builds without libxsmm use BLAS.
// Both give the same sums to round-off (the order of the k-sum differs).
//
// gemm_rm is the general BLAS product (transposed operands allowed) for the core's
// reductions over all points (dW = dzᵀ X̂ and the like), where BLAS is the right tool.
#pragma once

#include <cstdint>
#include <vector>

namespace iff::attention {

/// Whether RowGemm uses libxsmm kernels where it can (the default when built with libxsmm);
/// false forces BLAS everywhere (benchmarks compare the two in one process, tests check
/// that they agree). Not thread-safe: set it between products, not during one.
void set_small_gemm_jit(bool on);
/// Whether libxsmm kernels are built in and switched on.
bool small_gemm_jit();

template <class T>
class RowGemm {
 public:
  static constexpr int64_t kRowBlock = 32, kColBlock = 256, kMaxJitColumns = 4096;

  RowGemm(int64_t M, int64_t N, int64_t K, int64_t lda, int64_t ldb, int64_t ldc, T beta);
  /// C = A B + β C.
  void operator()(const T* A, const T* B, T* C) const;
  /// Whether this shape runs on libxsmm kernels.
  bool jit() const { return kernels_[0] != nullptr; }

 private:
  using Kernel = void (*)(const T*, const T*, T*, ...);
  int64_t M_, N_, K_, lda_, ldb_, ldc_;
  T beta_;
  int64_t mb_, nb_;
  // [full rows/full columns, full rows/last columns, last rows/full columns, last/last]
  Kernel kernels_[4] = {nullptr, nullptr, nullptr, nullptr};
};

extern template class RowGemm<float>;
extern template class RowGemm<double>;

/// The right operand B [K×N] of bf16 products (Bf16Gemm), rounded to bfloat16 once, in
/// libxsmm's VNNI layout (pairs of consecutive rows interleaved, [⌈K/2⌉][N][2], a zero row
/// appended to an odd K); the emulated products decode it back to floats.
class Bf16Matrix {
 public:
  Bf16Matrix() = default;
  /// B [K×N] with row stride ldb.
  Bf16Matrix(const float* B, int64_t K, int64_t N, int64_t ldb);
  int64_t rows() const { return K_; }
  int64_t cols() const { return N_; }
  const uint16_t* pairs() const { return pairs_.data(); }

 private:
  int64_t K_ = 0, N_ = 0;
  std::vector<uint16_t> pairs_;
};

/// A left operand A [M×K] of bf16 products rounded to bfloat16 once, each row padded to an
/// even length with a zero: for an A that several products share (the backward's û and dz,
/// multiplied once per head and axis), so that it is rounded once rather than per product.
class Bf16Rows {
 public:
  Bf16Rows() = default;
  /// A [M×K] with row stride lda.
  Bf16Rows(const float* A, int64_t M, int64_t K, int64_t lda);
  /// Makes room for M×K values (kept between uses of the same size), their rows unset.
  void resize(int64_t M, int64_t K);
  /// Rows [row0, row0 + count) from A (count rows of K values, row stride lda): threads may
  /// set disjoint ranges at once.
  void set_rows(int64_t row0, int64_t count, const float* A, int64_t lda);
  int64_t rows() const { return M_; }
  int64_t cols() const { return K_; }
  /// Row i: K bf16 values (and the padding zero of an odd K).
  const uint16_t* row(int64_t i) const { return bits_.data() + i * (K_ + K_ % 2); }

 private:
  int64_t M_ = 0, K_ = 0;
  std::vector<uint16_t> bits_;
};

/// C [M×N] (float32, row stride ldc) = bf16(A − 1 sᵀ) B + β·C for A [M×K] float32 (row stride
/// lda), an optional shift s [K] per column (centring before the rounding keeps the rounding
/// error relative to A's spread, not its mean), B a Bf16Matrix [K×N], float32 accumulation
/// (attention/mixed_precision.hpp): A's rows are
/// rounded into a scratch of the calling thread, then multiplied by native bf16 kernels
/// (libxsmm, on AVX512-BF16) in blocks of at most RowGemm::kRowBlock rows, or, where those are
/// absent or switched off, by RowGemm<float> on the rounded values. N ≤ kMaxColumns.
class Bf16Gemm {
 public:
  static constexpr int64_t kMaxColumns = RowGemm<float>::kColBlock;

  Bf16Gemm(int64_t M, int64_t N, int64_t K, int64_t lda, int64_t ldc, float beta);
  void operator()(const float* A, const Bf16Matrix& B, float* C, const float* shift = nullptr) const;
  /// C = A' B + β·C for A' the M rows of A from row0 on (already rounded).
  void operator()(const Bf16Rows& A, int64_t row0, const Bf16Matrix& B, float* C) const;
  /// Whether this shape runs on native bf16 kernels.
  bool native() const { return kernels_[0] != nullptr; }

 private:
  using Kernel = void (*)(const void*, const void*, float*, ...);
  int64_t M_, N_, K_, Kp_, lda_, ldc_;
  float beta_;
  int64_t mb_;
  Kernel kernels_[2] = {nullptr, nullptr};  // [full rows, last rows]
  RowGemm<float> emulated_;
};

/// Row-major C [M×N] = op(A) op(B) + β·C through BLAS, op(X) = Xᵀ when its flag is set;
/// lda, ldb, ldc are the row strides of the stored matrices.
void gemm_rm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
             int64_t ldb, float beta, float* C, int64_t ldc);
void gemm_rm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const double* A, int64_t lda, const double* B,
             int64_t ldb, double beta, double* C, int64_t ldc);

/// Whether the products above exist in this build (a BLAS was found).
bool have_blas();

}  // namespace iff::attention
