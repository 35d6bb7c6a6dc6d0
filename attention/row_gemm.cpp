#include "attention/row_gemm.hpp"

#include <algorithm>
#include <atomic>

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

void gemm_rm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
             int64_t ldb, float beta, float* C, int64_t ldc) {
  gemm_rm_impl<float>(ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc);
}

void gemm_rm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const double* A, int64_t lda, const double* B,
             int64_t ldb, double beta, double* C, int64_t ldc) {
  gemm_rm_impl<double>(ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc);
}

}  // namespace iff::attention
