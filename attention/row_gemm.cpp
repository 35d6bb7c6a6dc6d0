#include "attention/row_gemm.hpp"

#include <algorithm>
#include <atomic>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "attention/mixed_precision.hpp"
#include "io/error.hpp"

#ifdef IFF_HAVE_LIBXSMM
#include <libxsmm.h>
#endif

#ifdef IFF_HAVE_BLAS
extern "C" {
// Fortran BLAS (the library libtorch itself calls), column-major.
void sgemm_(const char* ta, const char* tb, const int* m, const int* n, const int* k, const float* alpha,
            const float* a, const int* lda, const float* b, const int* ldb, const float* beta, float* c,
            const int* ldc);
void dgemm_(const char* ta, const char* tb, const int* m, const int* n, const int* k, const double* alpha,
            const double* a, const int* lda, const double* b, const int* ldb, const double* beta, double* c,
            const int* ldc);
}
#endif

namespace iff::attention {

namespace {

#ifdef IFF_HAVE_LIBXSMM
std::atomic<bool> jit_on{true};
#else
std::atomic<bool> jit_on{false};
#endif

template <class T>
void blas_gemm(char ta, char tb, int m, int n, int k, const T* a, int lda, const T* b, int ldb, T beta, T* c,
               int ldc) {
#ifdef IFF_HAVE_BLAS
  const T one = 1;
  if constexpr (std::is_same_v<T, float>)
    sgemm_(&ta, &tb, &m, &n, &k, &one, a, &lda, b, &ldb, &beta, c, &ldc);
  else
    dgemm_(&ta, &tb, &m, &n, &k, &one, a, &lda, b, &ldb, &beta, c, &ldc);
#else
  IFF_CHECK(false, "gemm_rm: built without BLAS");
#endif
}

template <class T>
void gemm_rm_impl(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const T* A, int64_t lda, const T* B, int64_t ldb,
                  T beta, T* C, int64_t ldc) {
  // row-major C = column-major Cᵀ = op(B)ᵀ op(A)ᵀ
  blas_gemm<T>(tb ? 'T' : 'N', ta ? 'T' : 'N', static_cast<int>(N), static_cast<int>(M), static_cast<int>(K), B,
               static_cast<int>(ldb), A, static_cast<int>(lda), beta, C, static_cast<int>(ldc));
}

#ifdef IFF_HAVE_LIBXSMM
/// libxsmm kernel for the column-major product c [m×n] = a [m×k] b [k×n] + β c.
template <class T>
void* jit_kernel(int64_t m, int64_t n, int64_t k, int64_t lda, int64_t ldb, int64_t ldc, T beta) {
  const libxsmm_blasint mm = m, nn = n, kk = k, la = lda, lb = ldb, lc = ldc;
  const T alpha = 1;
  const int flags = LIBXSMM_GEMM_FLAG_NONE, prefetch = LIBXSMM_GEMM_PREFETCH_NONE;
  if constexpr (std::is_same_v<T, float>)
    return reinterpret_cast<void*>(libxsmm_smmdispatch(mm, nn, kk, &la, &lb, &lc, &alpha, &beta, &flags, &prefetch));
  else
    return reinterpret_cast<void*>(libxsmm_dmmdispatch(mm, nn, kk, &la, &lb, &lc, &alpha, &beta, &flags, &prefetch));
}
#endif

}  // namespace

void set_small_gemm_jit(bool on) {
#ifdef IFF_HAVE_LIBXSMM
  jit_on = on;
#else
  (void)on;
#endif
}

bool small_gemm_jit() { return jit_on; }

bool have_blas() {
#ifdef IFF_HAVE_BLAS
  return true;
#else
  return false;
#endif
}

template <class T>
RowGemm<T>::RowGemm(int64_t M, int64_t N, int64_t K, int64_t lda, int64_t ldb, int64_t ldc, T beta)
    : M_(M), N_(N), K_(K), lda_(lda), ldb_(ldb), ldc_(ldc), beta_(beta),
      // rows shared evenly over the fewest blocks of at most kRowBlock (33 rows: 17 + 16, not
      // 32 + a one-row block, which would run at matrix-vector speed)
      mb_((M + (M + kRowBlock - 1) / kRowBlock - 1) / ((M + kRowBlock - 1) / kRowBlock)),
      nb_(std::min(N, kColBlock)) {
  IFF_CHECK(M > 0 && N > 0 && K > 0 && lda >= K && ldb >= N && ldc >= N, "RowGemm: bad shape");
#ifdef IFF_HAVE_LIBXSMM
  if (!jit_on || N > kMaxJitColumns || !(beta == T(0) || beta == T(1))) return;
  // Row-major C = A B is column-major Cᵀ = Bᵀ Aᵀ: libxsmm's m, n are our columns, rows.
  const int64_t mt = M % mb_, nt = N % nb_;
  kernels_[0] = reinterpret_cast<Kernel>(jit_kernel<T>(nb_, mb_, K, ldb, lda, ldc, beta));
  if (nt) kernels_[1] = reinterpret_cast<Kernel>(jit_kernel<T>(nt, mb_, K, ldb, lda, ldc, beta));
  if (mt) kernels_[2] = reinterpret_cast<Kernel>(jit_kernel<T>(nb_, mt, K, ldb, lda, ldc, beta));
  if (mt && nt) kernels_[3] = reinterpret_cast<Kernel>(jit_kernel<T>(nt, mt, K, ldb, lda, ldc, beta));
  const bool complete = kernels_[0] && (!nt || kernels_[1]) && (!mt || kernels_[2]) && (!mt || !nt || kernels_[3]);
  if (!complete) std::fill(kernels_, kernels_ + 4, nullptr);  // libxsmm declined a shape: BLAS
#endif
}

template <class T>
void RowGemm<T>::operator()(const T* A, const T* B, T* C) const {
  if (!jit()) {
    gemm_rm_impl<T>(false, false, M_, N_, K_, A, lda_, B, ldb_, beta_, C, ldc_);
    return;
  }
  // Column blocks outer: a block of B (K × nb) is reused by every row block of A.
  for (int64_t j = 0; j < N_; j += nb_) {
    const bool last_cols = j + nb_ > N_;
    for (int64_t i = 0; i < M_; i += mb_) {
      const bool last_rows = i + mb_ > M_;
      kernels_[2 * last_rows + last_cols](B + j, A + i * lda_, C + i * ldc_ + j);
    }
  }
}

template class RowGemm<float>;
template class RowGemm<double>;

namespace {

/// out[j·2 + r] = bf16(row_r[j]) for the pair of rows (row_0, row_1) of N values (row_1 null:
/// zeros), the VNNI interleaving; 16 columns per VCVTNEPS2BF16 and 32-bit merge.
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16"))) void pair_to_bf16(const float* row0,
                                                                                  const float* row1, int64_t N,
                                                                                  uint16_t* out) {
  for (int64_t j = 0; j < N; j += 16) {
    const __mmask16 m = N - j >= 16 ? __mmask16(0xffff) : __mmask16((1u << (N - j)) - 1);
    const __m256bh lo = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, row0 + j));
    const __m256bh hi = _mm512_cvtneps_pbh(row1 ? _mm512_maskz_loadu_ps(m, row1 + j) : _mm512_setzero_ps());
    const __m512i both = _mm512_or_si512(_mm512_cvtepu16_epi32(reinterpret_cast<const __m256i&>(lo)),
                                         _mm512_slli_epi32(_mm512_cvtepu16_epi32(reinterpret_cast<const __m256i&>(hi)), 16));
    _mm512_mask_storeu_epi32(out + 2 * j, m, both);
  }
}
#endif

}  // namespace

Bf16Matrix::Bf16Matrix(const float* B, int64_t K, int64_t N, int64_t ldb) : K_(K), N_(N) {
  IFF_CHECK(K > 0 && N > 0 && ldb >= N, "Bf16Matrix: bad shape");
  const int64_t half = (K + 1) / 2;
  pairs_.resize(static_cast<std::size_t>(half * N * 2));
#if defined(__x86_64__) && defined(__GNUC__)
  if (cpu_has_bf16()) {
    for (int64_t k = 0; k < K; k += 2)
      pair_to_bf16(B + k * ldb, k + 1 < K ? B + (k + 1) * ldb : nullptr, N, pairs_.data() + k * N);
    return;
  }
#endif
  for (int64_t k = 0; k < K; ++k) {
    uint16_t* out = pairs_.data() + (k / 2) * N * 2 + k % 2;
    const float* b = B + k * ldb;
    for (int64_t j = 0; j < N; ++j) out[j * 2] = to_bf16_bits(b[j]);
    if (k + 1 == K && K % 2)
      for (int64_t j = 0; j < N; ++j) out[j * 2 + 1] = 0;
  }
}

namespace {

/// out[i, k] = bf16(A[i, k] − shift[k]) for M rows of K values (row strides lda, Kp; the
/// padding column of an odd K set to zero), one value at a time (to_bf16_bits): for CPUs
/// without bf16 conversions.
void rows_to_bf16_scalar(const float* A, int64_t M, int64_t K, int64_t lda, int64_t Kp, const float* shift,
                         uint16_t* out) {
  for (int64_t i = 0; i < M; ++i) {
    for (int64_t k = 0; k < K; ++k) out[i * Kp + k] = to_bf16_bits(A[i * lda + k] - (shift ? shift[k] : 0.0f));
    if (Kp > K) out[i * Kp + K] = 0;
  }
}

/// rows_to_bf16_scalar with 16 values per VCVTNEPS2BF16 (round to nearest even, as
/// to_bf16_bits); needs AVX512-BF16.
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16"))) void rows_to_bf16(const float* A, int64_t M, int64_t K,
                                                                         int64_t lda, int64_t Kp, const float* shift,
                                                                         uint16_t* out) {
  for (int64_t i = 0; i < M; ++i) {
    const float* a = A + i * lda;
    uint16_t* r = out + i * Kp;
    for (int64_t k = 0; k < K; k += 16) {
      const __mmask16 m = K - k >= 16 ? __mmask16(0xffff) : __mmask16((1u << (K - k)) - 1);
      __m512 v = _mm512_maskz_loadu_ps(m, a + k);
      if (shift != nullptr) v = _mm512_sub_ps(v, _mm512_maskz_loadu_ps(m, shift + k));
      const __m256bh h = _mm512_cvtneps_pbh(v);
      _mm256_mask_storeu_epi16(r + k, m, reinterpret_cast<const __m256i&>(h));
    }
    if (Kp > K) r[K] = 0;
  }
}
#else
void rows_to_bf16(const float* A, int64_t M, int64_t K, int64_t lda, int64_t Kp, const float* shift, uint16_t* out) {
  rows_to_bf16_scalar(A, M, K, lda, Kp, shift, out);
}
#endif

/// The rounded values of a Bf16Matrix as floats [K][N], for the emulated products.
const float* decoded(const Bf16Matrix& B) {
  thread_local std::vector<float> out;
  const int64_t K = B.rows(), N = B.cols();
  out.resize(static_cast<std::size_t>(K * N));
  for (int64_t k = 0; k < K; ++k)
    for (int64_t j = 0; j < N; ++j) out[k * N + j] = from_bf16_bits(B.pairs()[(k / 2) * N * 2 + j * 2 + k % 2]);
  return out.data();
}

}  // namespace

Bf16Rows::Bf16Rows(const float* A, int64_t M, int64_t K, int64_t lda) {
  resize(M, K);
  set_rows(0, M, A, lda);
}

void Bf16Rows::resize(int64_t M, int64_t K) {
  IFF_CHECK(M > 0 && K > 0, "Bf16Rows: bad shape");
  M_ = M;
  K_ = K;
  bits_.resize(static_cast<std::size_t>(M * (K + K % 2)));
}

void Bf16Rows::set_rows(int64_t row0, int64_t count, const float* A, int64_t lda) {
  IFF_CHECK(row0 >= 0 && count >= 0 && row0 + count <= M_ && lda >= K_, "Bf16Rows: rows out of range");
  const int64_t Kp = K_ + K_ % 2;
  uint16_t* out = bits_.data() + row0 * Kp;
  if (cpu_has_bf16())
    rows_to_bf16(A, count, K_, lda, Kp, nullptr, out);
  else
    rows_to_bf16_scalar(A, count, K_, lda, Kp, nullptr, out);
}

#ifdef IFF_HAVE_LIBXSMM
namespace {
/// libxsmm kernel for the column-major c [m×n] (float) = a [m×k] (bf16, VNNI) b [k×n] (bf16) + β c.
void* bf16_kernel(int64_t m, int64_t n, int64_t k, int64_t ldb, int64_t ldc, float beta) {
  const libxsmm_blasint mm = m, nn = n, kk = k, la = m, lb = ldb, lc = ldc;
  const float alpha = 1;
  const int flags = LIBXSMM_GEMM_FLAG_VNNI_A, prefetch = LIBXSMM_GEMM_PREFETCH_NONE;
  return reinterpret_cast<void*>(libxsmm_bsmmdispatch(mm, nn, kk, &la, &lb, &lc, &alpha, &beta, &flags, &prefetch));
}
}  // namespace
#endif

Bf16Gemm::Bf16Gemm(int64_t M, int64_t N, int64_t K, int64_t lda, int64_t ldc, float beta)
    : M_(M), N_(N), K_(K), Kp_(K + K % 2), lda_(lda), ldc_(ldc), beta_(beta),
      mb_((M + (M + RowGemm<float>::kRowBlock - 1) / RowGemm<float>::kRowBlock - 1) /
          ((M + RowGemm<float>::kRowBlock - 1) / RowGemm<float>::kRowBlock)),
      emulated_(M, N, K, K, N, ldc, beta) {
  IFF_CHECK(M > 0 && N > 0 && K > 0 && lda >= K && ldc >= N && N <= kMaxColumns && (beta == 0.0f || beta == 1.0f),
            "Bf16Gemm: bad shape");
#ifdef IFF_HAVE_LIBXSMM
  if (!bf16_native()) return;
  // row-major C = A B is column-major Cᵀ = Bᵀ Aᵀ: libxsmm's m, n are our columns, rows
  kernels_[0] = reinterpret_cast<Kernel>(bf16_kernel(N, mb_, Kp_, Kp_, ldc, beta));
  if (M % mb_) kernels_[1] = reinterpret_cast<Kernel>(bf16_kernel(N, M % mb_, Kp_, Kp_, ldc, beta));
  if (!kernels_[0] || (M % mb_ && !kernels_[1])) kernels_[0] = kernels_[1] = nullptr;
#endif
}

void Bf16Gemm::operator()(const float* A, const Bf16Matrix& B, float* C, const float* shift) const {
  IFF_CHECK(B.rows() == K_ && B.cols() == N_, "Bf16Gemm: operand of another shape");
  if (native()) {
    thread_local std::vector<uint16_t> a;  // A's rows in bf16, an odd K padded with a zero
    a.resize(static_cast<std::size_t>(M_ * Kp_));
    rows_to_bf16(A, M_, K_, lda_, Kp_, shift, a.data());
    for (int64_t i = 0; i < M_; i += mb_)
      kernels_[i + mb_ > M_](B.pairs(), a.data() + i * Kp_, C + i * ldc_);
    return;
  }
  thread_local std::vector<float> a;
  a.resize(static_cast<std::size_t>(M_ * K_));
  for (int64_t i = 0; i < M_; ++i)
    for (int64_t k = 0; k < K_; ++k) a[i * K_ + k] = round_bf16(A[i * lda_ + k] - (shift ? shift[k] : 0.0f));
  emulated_(a.data(), decoded(B), C);
}

void Bf16Gemm::operator()(const Bf16Rows& A, int64_t row0, const Bf16Matrix& B, float* C) const {
  IFF_CHECK(B.rows() == K_ && B.cols() == N_ && A.cols() == K_ && row0 >= 0 && row0 + M_ <= A.rows(),
            "Bf16Gemm: operand of another shape");
  if (native()) {
    for (int64_t i = 0; i < M_; i += mb_) kernels_[i + mb_ > M_](B.pairs(), A.row(row0 + i), C + i * ldc_);
    return;
  }
  thread_local std::vector<float> a;
  a.resize(static_cast<std::size_t>(M_ * K_));
  for (int64_t i = 0; i < M_; ++i) {
    const uint16_t* r = A.row(row0 + i);
    for (int64_t k = 0; k < K_; ++k) a[i * K_ + k] = from_bf16_bits(r[k]);
  }
  emulated_(a.data(), decoded(B), C);
}

void gemm_rm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
             int64_t ldb, float beta, float* C, int64_t ldc) {
  gemm_rm_impl<float>(ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc);
}

void gemm_rm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const double* A, int64_t lda, const double* B,
             int64_t ldb, double beta, double* C, int64_t ldc) {
  gemm_rm_impl<double>(ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc);
}

}  // namespace iff::attention
