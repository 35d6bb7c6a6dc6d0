#include "attention/axial_core.hpp"

#include <ATen/Parallel.h>
#include <ATen/record_function.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <mutex>
#include <vector>

#include "io/error.hpp"

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

using torch::Tensor;

#ifdef IFF_HAVE_BLAS
void blas_gemm(char ta, char tb, int m, int n, int k, float alpha, const float* a, int lda, const float* b,
               int ldb, float beta, float* c, int ldc) {
  sgemm_(&ta, &tb, &m, &n, &k, &alpha, a, &lda, b, &ldb, &beta, c, &ldc);
}
void blas_gemm(char ta, char tb, int m, int n, int k, double alpha, const double* a, int lda, const double* b,
               int ldb, double beta, double* c, int ldc) {
  dgemm_(&ta, &tb, &m, &n, &k, &alpha, a, &lda, b, &ldb, &beta, c, &ldc);
}

/// Row-major C [M×N] = op(A) op(B) + beta·C, op(X) = Xᵀ when its flag is set; lda, ldb, ldc
/// are row strides of the stored matrices.
template <class T>
void gemm_rm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const T* A, int64_t lda, const T* B, int64_t ldb,
             T beta, T* C, int64_t ldc) {
  // row-major C = column-major Cᵀ = op(B)ᵀ op(A)ᵀ
  blas_gemm(tb ? 'T' : 'N', ta ? 'T' : 'N', static_cast<int>(N), static_cast<int>(M), static_cast<int>(K), T(1), B,
            static_cast<int>(ldb), A, static_cast<int>(lda), beta, C, static_cast<int>(ldc));
}

/// A field [outer, m, inner] (row-major) seen along one axis of length m.
struct AxisView {
  int64_t outer, m, inner;
  int64_t slab() const { return m * inner; }
};

/// The three axes of a head-major block [nx, ny, nz, dh].
std::array<AxisView, 3> axis_views(int64_t nx, int64_t ny, int64_t nz, int64_t dh) {
  return {AxisView{1, nx, ny * nz * dh}, AxisView{nx, ny, nz * dh}, AxisView{nx * ny, nz, dh}};
}

/// dst[o] = op(K) src[o] + beta·dst[o] for each slab o (K [m×m]).
template <class T>
void apply_axis(const AxisView& a, const T* K, bool transpose_k, const T* src, T beta, T* dst) {
  for (int64_t o = 0; o < a.outer; ++o)
    gemm_rm<T>(transpose_k, false, a.m, a.inner, a.m, K, a.m, src + o * a.slab(), a.inner, beta, dst + o * a.slab(),
               a.inner);
}

/// dK [m×m] = Σ_o dx[o] v[o]ᵀ, i.e. dK[i, j] = Σ dx[o, i, ·] v[o, j, ·].
template <class T>
void kernel_grad(const AxisView& a, const T* dx, const T* v, T* dk) {
  for (int64_t o = 0; o < a.outer; ++o)
    gemm_rm<T>(false, true, a.m, a.m, a.inner, dx + o * a.slab(), a.inner, v + o * a.slab(), a.inner, T(o ? 1 : 0), dk,
               a.m);
}

/// Centres the columns of x [n×d] in place; their mean and (σ² + eps)^{-1/2} (biased σ²,
/// two passes, sums in double).
template <class T>
void center_columns(T* x, int64_t n, int64_t d, double eps, T* mean, T* rstd, std::vector<double>& acc) {
  acc.assign(static_cast<std::size_t>(d), 0.0);
  for (int64_t p = 0; p < n; ++p)
    for (int64_t c = 0; c < d; ++c) acc[c] += x[p * d + c];
  for (int64_t c = 0; c < d; ++c) mean[c] = static_cast<T>(acc[c] / static_cast<double>(n));
  acc.assign(static_cast<std::size_t>(d), 0.0);
  for (int64_t p = 0; p < n; ++p)
    for (int64_t c = 0; c < d; ++c) {
      const T e = x[p * d + c] - mean[c];
      x[p * d + c] = e;
      acc[c] += static_cast<double>(e) * e;
    }
  for (int64_t c = 0; c < d; ++c) rstd[c] = static_cast<T>(1.0 / std::sqrt(acc[c] / static_cast<double>(n) + eps));
}

/// InstanceNorm backward in place: g ← rstd·(g − mean(g) − x̂·mean(g∘x̂)) per column of
/// g, x̂ [n×d] (means over the n rows, sums in double).
template <class T>
void instance_norm_backward(T* g, const T* xh, int64_t n, int64_t d, const T* rstd, std::vector<double>& acc) {
  acc.assign(static_cast<std::size_t>(2 * d), 0.0);
  double* sg = acc.data();
  double* sgx = acc.data() + d;
  for (int64_t p = 0; p < n; ++p)
    for (int64_t c = 0; c < d; ++c) {
      sg[c] += g[p * d + c];
      sgx[c] += static_cast<double>(g[p * d + c]) * xh[p * d + c];
    }
  std::vector<T> mg(static_cast<std::size_t>(d)), mgx(static_cast<std::size_t>(d));
  for (int64_t c = 0; c < d; ++c) {
    mg[c] = static_cast<T>(sg[c] / static_cast<double>(n));
    mgx[c] = static_cast<T>(sgx[c] / static_cast<double>(n));
  }
  for (int64_t p = 0; p < n; ++p)
    for (int64_t c = 0; c < d; ++c) g[p * d + c] = rstd[c] * (g[p * d + c] - mg[c] - xh[p * d + c] * mgx[c]);
}

struct Shapes {
  int64_t b, nx, ny, nz, n, dim, heads, dh, dout;
  int64_t units() const { return b * heads * 3; }  // (sample, head, axis) blocks
};

Shapes shapes_of(const Tensor& un, const Tensor& w_v, const Tensor& k_x, const Tensor& w_2) {
  Shapes s{};
  s.b = un.size(0);
  s.nx = un.size(1);
  s.ny = un.size(2);
  s.nz = un.size(3);
  s.dim = un.size(4);
  s.n = s.nx * s.ny * s.nz;
  s.heads = k_x.size(1);
  s.dh = w_v.size(0) / s.heads;
  s.dout = w_2.size(0);
  return s;
}

/// Shares the (sample, head, axis) units out over `parts` workers in one parallel region
/// (BLAS runs serially inside it): worker p starts on the p-th contiguous share, in order,
/// and when it runs dry takes units from the tail of the fullest other share, so that a
/// worker delayed by the machine's other load does not hold the rest up.
class UnitQueue {
 public:
  UnitQueue(int64_t units, int64_t parts) : next_(parts), end_(parts) {
    for (int64_t p = 0; p < parts; ++p) {
      next_[p] = p * units / parts;
      end_[p] = (p + 1) * units / parts;
    }
  }
  /// The next unit for worker p, or −1 when none is left.
  int64_t take(int64_t p) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (next_[p] < end_[p]) return next_[p]++;
    int64_t victim = -1, most = 0;
    for (std::size_t q = 0; q < next_.size(); ++q)
      if (end_[q] - next_[q] > most) {
        most = end_[q] - next_[q];
        victim = static_cast<int64_t>(q);
      }
    return victim < 0 ? -1 : --end_[victim];
  }

 private:
  std::mutex mutex_;
  std::vector<int64_t> next_, end_;
};

/// Runs worker(p, queue) for p = 0 .. parts−1 in one parallel region.
template <class F>
void run_workers(const Shapes& s, int64_t parts, F&& worker) {
  UnitQueue queue(s.units(), parts);
  at::parallel_for(0, parts, 1, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) worker(p, queue);
  });
}

int64_t thread_parts(const Shapes& s) { return std::max<int64_t>(1, std::min<int64_t>(at::get_num_threads(), s.units())); }

/// z (part p accumulates into z_parts[p], part 0 into z itself), and μ, rstd [b, heads, 3, dh].
template <class T>
void core_forward(const Shapes& s, const Tensor& un, const Tensor& w_v, const std::array<Tensor, 3>& k,
                  const Tensor& w_2, double eps, Tensor& z, Tensor& mean, Tensor& rstd) {
  const auto views = axis_views(s.nx, s.ny, s.nz, s.dh);
  const int64_t parts = thread_parts(s), nd = s.n * s.dh, cols = 3 * s.heads * s.dh;
  auto scratch = torch::empty({parts, 2 * nd + s.dout * s.dh}, un.options());
  auto z_parts = parts > 1 ? torch::zeros({parts - 1, s.b, s.n, s.dout}, un.options()) : Tensor();
  const T* unp = un.data_ptr<T>();
  const T* wvp = w_v.data_ptr<T>();
  const T* w2p = w_2.data_ptr<T>();
  const std::array<const T*, 3> kp{k[0].data_ptr<T>(), k[1].data_ptr<T>(), k[2].data_ptr<T>()};
  T* meanp = mean.data_ptr<T>();
  T* rstdp = rstd.data_ptr<T>();
  run_workers(s, parts, [&](int64_t p, UnitQueue& queue) {
    T* v = scratch.data_ptr<T>() + p * scratch.size(1);
    T* x = v + nd;
    T* w = x + nd;
    T* zp = p == 0 ? z.data_ptr<T>() : z_parts.data_ptr<T>() + (p - 1) * z.numel();
    std::vector<double> acc;
    int64_t current = -1;
    for (int64_t u; (u = queue.take(p)) >= 0;) {
      const int64_t bh = u / 3, a = u % 3, b = bh / s.heads, h = bh % s.heads;
      const T* un_b = unp + b * s.n * s.dim;
      if (bh != current) {  // V_h = û W_{v,h}ᵀ
        gemm_rm<T>(false, true, s.n, s.dh, s.dim, un_b, s.dim, wvp + h * s.dh * s.dim, s.dim, T(0), v, s.dh);
        current = bh;
      }
      const int64_t m = views[a].m;
      apply_axis<T>(views[a], kp[a] + bh * m * m, false, v, T(0), x);
      T* mu = meanp + u * s.dh;
      T* rs = rstdp + u * s.dh;
      center_columns<T>(x, s.n, s.dh, eps, mu, rs, acc);
      const T* w2 = w2p + (h * 3 + a) * s.dh;  // columns of this block, row stride cols
      for (int64_t o = 0; o < s.dout; ++o)
        for (int64_t c = 0; c < s.dh; ++c) w[o * s.dh + c] = w2[o * cols + c] * rs[c];
      gemm_rm<T>(false, true, s.n, s.dout, s.dh, x, s.dh, w, s.dh, T(1), zp + b * s.n * s.dout, s.dout);
    }
  });
  for (int64_t p = 1; p < parts; ++p) z.add_(z_parts[p - 1]);
}

template <class T>
void core_backward(const Shapes& s, const Tensor& un, const Tensor& w_v, const std::array<Tensor, 3>& k,
                   const Tensor& w_2, const Tensor& mean, const Tensor& rstd, const Tensor& dz, Tensor& dun,
                   Tensor& dw_v, std::array<Tensor, 3>& dk, Tensor& dw_2) {
  const auto views = axis_views(s.nx, s.ny, s.nz, s.dh);
  const int64_t parts = thread_parts(s), nd = s.n * s.dh, cols = 3 * s.heads * s.dh;
  auto scratch = torch::empty({parts, 4 * nd}, un.options());
  // per-part sums of dû, dW_v, dW_2 (part 0 writes the results themselves)
  auto dun_parts = parts > 1 ? torch::zeros({parts - 1, s.b, s.n, s.dim}, un.options()) : Tensor();
  auto dwv_parts = parts > 1 ? torch::zeros({parts - 1, w_v.size(0), s.dim}, un.options()) : Tensor();
  auto dw2_parts = parts > 1 ? torch::zeros({parts - 1, s.dout, cols}, un.options()) : Tensor();
  const T* unp = un.data_ptr<T>();
  const T* wvp = w_v.data_ptr<T>();
  const T* w2p = w_2.data_ptr<T>();
  const T* dzp = dz.data_ptr<T>();
  const std::array<const T*, 3> kp{k[0].data_ptr<T>(), k[1].data_ptr<T>(), k[2].data_ptr<T>()};
  const std::array<T*, 3> dkp{dk[0].data_ptr<T>(), dk[1].data_ptr<T>(), dk[2].data_ptr<T>()};
  const T* meanp = mean.data_ptr<T>();
  const T* rstdp = rstd.data_ptr<T>();
  run_workers(s, parts, [&](int64_t p, UnitQueue& queue) {
    T* v = scratch.data_ptr<T>() + p * scratch.size(1);
    T* x = v + nd;
    T* g = x + nd;
    T* dv = g + nd;
    T* dunp = p == 0 ? dun.data_ptr<T>() : dun_parts.data_ptr<T>() + (p - 1) * dun.numel();
    T* dwvp = p == 0 ? dw_v.data_ptr<T>() : dwv_parts.data_ptr<T>() + (p - 1) * dw_v.numel();
    T* dw2p = p == 0 ? dw_2.data_ptr<T>() : dw2_parts.data_ptr<T>() + (p - 1) * dw_2.numel();
    std::vector<double> acc;
    int64_t current = -1;
    auto flush = [&] {  // dû_b += dV_h W_{v,h},  dW_{v,h} += dV_hᵀ û_b
      if (current < 0) return;
      const int64_t b = current / s.heads, h = current % s.heads;
      const T* un_b = unp + b * s.n * s.dim;
      gemm_rm<T>(false, false, s.n, s.dim, s.dh, dv, s.dh, wvp + h * s.dh * s.dim, s.dim, T(1), dunp + b * s.n * s.dim,
                 s.dim);
      gemm_rm<T>(true, false, s.dh, s.dim, s.n, dv, s.dh, un_b, s.dim, T(1), dwvp + h * s.dh * s.dim, s.dim);
    };
    for (int64_t u; (u = queue.take(p)) >= 0;) {
      const int64_t bh = u / 3, a = u % 3, b = bh / s.heads, h = bh % s.heads;
      const T* un_b = unp + b * s.n * s.dim;
      const T* dz_b = dzp + b * s.n * s.dout;
      if (bh != current) {
        flush();
        gemm_rm<T>(false, true, s.n, s.dh, s.dim, un_b, s.dim, wvp + h * s.dh * s.dim, s.dim, T(0), v, s.dh);
        std::fill(dv, dv + nd, T(0));
        current = bh;
      }
      const int64_t m = views[a].m;
      const T* kk = kp[a] + bh * m * m;
      apply_axis<T>(views[a], kk, false, v, T(0), x);
      const T* mu = meanp + u * s.dh;
      const T* rs = rstdp + u * s.dh;
      for (int64_t q = 0; q < s.n; ++q)  // X̂
        for (int64_t c = 0; c < s.dh; ++c) x[q * s.dh + c] = (x[q * s.dh + c] - mu[c]) * rs[c];
      const int64_t col0 = (h * 3 + a) * s.dh;
      gemm_rm<T>(true, false, s.dout, s.dh, s.n, dz_b, s.dout, x, s.dh, T(1), dw2p + col0, cols);  // dzᵀ X̂
      gemm_rm<T>(false, false, s.n, s.dh, s.dout, dz_b, s.dout, w2p + col0, cols, T(0), g, s.dh);  // dz W_2
      instance_norm_backward<T>(g, x, s.n, s.dh, rs, acc);
      apply_axis<T>(views[a], kk, true, g, T(1), dv);
      kernel_grad<T>(views[a], g, v, dkp[a] + bh * m * m);
    }
    flush();
  });
  for (int64_t p = 1; p < parts; ++p) {
    dun.add_(dun_parts[p - 1].view_as(dun));
    dw_v.add_(dwv_parts[p - 1]);
    dw_2.add_(dw2_parts[p - 1]);
  }
}

struct AxialCore : torch::autograd::Function<AxialCore> {
  static Tensor forward(torch::autograd::AutogradContext* ctx, const Tensor& un_in, const Tensor& w_v_in,
                        const Tensor& k_x, const Tensor& k_y, const Tensor& k_z, const Tensor& w_2_in, double eps,
                        AxialCoreCache* cache) {
    auto un = un_in.contiguous(), w_v = w_v_in.contiguous(), w_2 = w_2_in.contiguous();
    std::array<Tensor, 3> k{k_x.contiguous(), k_y.contiguous(), k_z.contiguous()};
    const auto s = shapes_of(un, w_v, k[0], w_2);
    Tensor z, mean, rstd;
    if (cache != nullptr && cache->z.defined()) {
      IFF_CHECK(cache->z.sizes() == torch::IntArrayRef({s.b, s.n, s.dout}), "parallel_axial_core: stale cache");
      z = cache->z.clone();
      mean = cache->mean;
      rstd = cache->rstd;
    } else {
      z = torch::zeros({s.b, s.n, s.dout}, un.options());
      mean = torch::empty({s.b, s.heads, 3, s.dh}, un.options());
      rstd = torch::empty_like(mean);
      RECORD_FUNCTION("parallel_axial_core", std::vector<c10::IValue>());
      AT_DISPATCH_FLOATING_TYPES(un.scalar_type(), "parallel_axial_core",
                                 [&] { core_forward<scalar_t>(s, un, w_v, k, w_2, eps, z, mean, rstd); });
      if (cache != nullptr) *cache = {z, mean, rstd};
    }
    ctx->save_for_backward({un, w_v, k[0], k[1], k[2], w_2, mean, rstd});
    return z;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad) {
    auto saved = ctx->get_saved_variables();
    const auto &un = saved[0], &w_v = saved[1], &w_2 = saved[5], &mean = saved[6], &rstd = saved[7];
    std::array<Tensor, 3> k{saved[2], saved[3], saved[4]};
    const auto s = shapes_of(un, w_v, k[0], w_2);
    auto dz = grad[0].contiguous();
    auto dun = torch::zeros_like(un), dw_v = torch::zeros_like(w_v), dw_2 = torch::zeros_like(w_2);
    std::array<Tensor, 3> dk{torch::empty_like(k[0]), torch::empty_like(k[1]), torch::empty_like(k[2])};
    RECORD_FUNCTION("parallel_axial_core_backward", std::vector<c10::IValue>());
    AT_DISPATCH_FLOATING_TYPES(un.scalar_type(), "parallel_axial_core_backward", [&] {
      core_backward<scalar_t>(s, un, w_v, k, w_2, mean, rstd, dz, dun, dw_v, dk, dw_2);
    });
    return {dun, dw_v, dk[0], dk[1], dk[2], dw_2, Tensor(), Tensor()};
  }
};
#endif

}  // namespace

bool axial_core_supported(const torch::Tensor& t) {
#ifdef IFF_HAVE_BLAS
  return t.device().is_cpu() && (t.scalar_type() == torch::kFloat32 || t.scalar_type() == torch::kFloat64);
#else
  return false;
#endif
}

torch::Tensor parallel_axial_core(const torch::Tensor& un, const torch::Tensor& w_v, const torch::Tensor& k_x,
                                  const torch::Tensor& k_y, const torch::Tensor& k_z, const torch::Tensor& w_2,
                                  double eps, AxialCoreCache* cache) {
  IFF_CHECK(axial_core_supported(un), "parallel_axial_core: no kernel for " << un.device() << " " << un.scalar_type());
  IFF_CHECK(un.dim() == 5 && k_x.dim() == 4 && k_x.size(0) == un.size(0) && k_x.size(2) == un.size(1) &&
                k_y.size(2) == un.size(2) && k_z.size(2) == un.size(3) && w_v.size(1) == un.size(4) &&
                w_v.size(0) % k_x.size(1) == 0 && w_2.size(1) == 3 * w_v.size(0),
            "parallel_axial_core: inconsistent shapes " << un.sizes() << ", " << w_v.sizes() << ", " << k_x.sizes()
                                                        << ", " << w_2.sizes());
  for (const auto* t : {&w_v, &k_x, &k_y, &k_z, &w_2})
    IFF_CHECK(t->scalar_type() == un.scalar_type() && t->device() == un.device(),
              "parallel_axial_core: mixed dtypes or devices");
#ifdef IFF_HAVE_BLAS
  return AxialCore::apply(un, w_v, k_x, k_y, k_z, w_2, eps, cache);
#else
  return {};
#endif
}

}  // namespace iff::attention
