#include "attention/axial_core.hpp"

#include <ATen/Parallel.h>
#include <ATen/record_function.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <mutex>
#include <optional>
#include <vector>

#include "attention/mixed_precision.hpp"
#include "attention/parallel_items.hpp"
#include "attention/row_gemm.hpp"
#include "attention/slab.hpp"
#include "io/error.hpp"

namespace iff::attention {

namespace {

using torch::Tensor;

#ifdef IFF_HAVE_BLAS
/// A field [outer, m, inner] (row-major) seen along one axis of length m.
struct AxisView {
  int64_t outer, m, inner;
  int64_t slab() const { return m * inner; }
};

/// The three axes of a head-major block [nx, ny, nz, dh].
std::array<AxisView, 3> axis_views(int64_t nx, int64_t ny, int64_t nz, int64_t dh) {
  return {AxisView{1, nx, ny * nz * dh}, AxisView{nx, ny, nz * dh}, AxisView{nx * ny, nz, dh}};
}

// The moments' one pass is also compiled for AVX2 and chosen when the library is loaded (GCC
// function clones): the library is otherwise built for the baseline x86-64 (SSE2), which
// halves the width of this loop over the channels.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define IFF_AVX2_CLONE __attribute__((target_clones("avx2", "default")))
#else
#define IFF_AVX2_CLONE
#endif

/// s1[c] = Σ (x − sh[c]), s2[c] = Σ (x − sh[c])² over `rows` rows of `per_row` points of d
/// channels each (row stride ld).
template <class T>
inline void shifted_sums_impl(const T* x, int64_t rows, int64_t per_row, int64_t ld, int64_t d,
                              const T* __restrict sh, T* __restrict s1, T* __restrict s2) {
  std::fill(s1, s1 + d, T(0));
  std::fill(s2, s2 + d, T(0));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t q = 0; q < per_row; ++q) {
      const T* __restrict e = x + r * ld + q * d;
      for (int64_t c = 0; c < d; ++c) {
        const T t = e[c] - sh[c];
        s1[c] += t;
        s2[c] += t * t;
      }
    }
}
IFF_AVX2_CLONE void shifted_sums(const float* x, int64_t rows, int64_t per_row, int64_t ld, int64_t d,
                                 const float* sh, float* s1, float* s2) {
  shifted_sums_impl(x, rows, per_row, ld, d, sh, s1, s2);
}
IFF_AVX2_CLONE void shifted_sums(const double* x, int64_t rows, int64_t per_row, int64_t ld, int64_t d,
                                 const double* sh, double* s1, double* s2) {
  shifted_sums_impl(x, rows, per_row, ld, d, sh, s1, s2);
}

/// Per-channel mean and M₂ = Σ(x − mean)² of a field whose rows hold points of d channels
/// (value index = point·d + channel), gathered block by block while each block is in cache:
/// one pass per block over x − s, with the shift s the mean of the block's first 16 points
/// (so that |mean − s| is a fraction of σ and the block's M₂ = Σ(x − s)² − (Σ(x − s))²/n_b
/// cancels little in T), vectorised over the channels; the blocks' moments merged into the
/// running ones in double (Chan, Golub & LeVeque 1983: M₂ = M₂ᵃ + M₂ᵇ + δ² nᵃ nᵇ / n).
template <class T>
class ChannelMoments {
 public:
  static constexpr int64_t kShiftPoints = 16;

  explicit ChannelMoments(int64_t d) : d_(d), mean_(d), m2_(d), shift_(d), s1_(d), s2_(d) {}

  void reset() {
    count_ = 0;
    std::fill(mean_.begin(), mean_.end(), 0.0);
    std::fill(m2_.begin(), m2_.end(), 0.0);
  }

  /// Adds `rows` rows of `width` values (width/d points each; row stride ld).
  void add(const T* x, int64_t rows, int64_t width, int64_t ld) {
    const int64_t d = d_, per_row = width / d, nb = rows * per_row;
    T* __restrict sh = shift_.data();
    T* __restrict s1 = s1_.data();
    T* __restrict s2 = s2_.data();
    const int64_t ns = std::min<int64_t>(nb, kShiftPoints);
    std::fill(sh, sh + d, T(0));
    for (int64_t p = 0; p < ns; ++p) {
      const T* e = x + (p / per_row) * ld + (p % per_row) * d;
      for (int64_t c = 0; c < d; ++c) sh[c] += e[c];
    }
    for (int64_t c = 0; c < d; ++c) sh[c] /= static_cast<T>(ns);
    shifted_sums(x, rows, per_row, ld, d, sh, s1, s2);
    const double na = static_cast<double>(count_), nbd = static_cast<double>(nb), n = na + nbd;
    for (int64_t c = 0; c < d; ++c) {
      const double m1 = static_cast<double>(s1[c]) / nbd;  // block mean − shift
      const double bm = static_cast<double>(sh[c]) + m1;
      const double bm2 = std::max(0.0, static_cast<double>(s2[c]) - m1 * static_cast<double>(s1[c]));
      merge(c, na, nbd, n, bm, bm2);
    }
    count_ += nb;
  }

  /// Adds the points gathered by `other`.
  void add(const ChannelMoments& other) {
    if (other.count_ == 0) return;
    const double na = static_cast<double>(count_), nb = static_cast<double>(other.count_), n = na + nb;
    for (int64_t c = 0; c < d_; ++c) merge(c, na, nb, n, other.mean_[c], other.m2_[c]);
    count_ += other.count_;
  }

  int64_t count() const { return count_; }
  double mean(int64_t c) const { return mean_[c]; }
  double m2(int64_t c) const { return m2_[c]; }
  /// Replaces the moments by those of `count` points of the given means and M₂ (the merge
  /// over the ranks of a slab group).
  void assign(int64_t count, const double* mean, const double* m2) {
    count_ = count;
    std::copy(mean, mean + d_, mean_.begin());
    std::copy(m2, m2 + d_, m2_.begin());
  }

  /// μ and (σ² + eps)^{-1/2} (biased σ²) of the points added so far.
  void finish(double eps, T* mean, T* rstd) const {
    for (int64_t c = 0; c < d_; ++c) {
      mean[c] = static_cast<T>(mean_[c]);
      rstd[c] = static_cast<T>(1.0 / std::sqrt(m2_[c] / static_cast<double>(count_) + eps));
    }
  }

 private:
  /// Chan's merge of nb points of mean bm and M₂ bm2 into channel c's running moments of na.
  void merge(int64_t c, double na, double nb, double n, double bm, double bm2) {
    const double delta = bm - mean_[c];
    mean_[c] += delta * nb / n;
    m2_[c] += bm2 + delta * delta * na * nb / n;
  }

  int64_t d_, count_ = 0;
  std::vector<double> mean_, m2_;
  std::vector<T> shift_, s1_, s2_;
};

/// The product dst[o] = K src[o] + β·dst[o] for each slab o of an axis (K [m×depth]
/// row-major, src[o] [depth × inner], dst[o] [m × inner]; depth = m but for the rows of a
/// split x axis, whose K_x rows multiply every plane), in column chunks of at most kChunk values (whole points of d channels), so that a chunk of
/// src (m × kChunk) and of dst stay in L2 and dst's channel moments can be gathered from
/// it (the x axis of a 32×33×16 grid has 50,688 columns).
template <class T>
class AxisProduct {
 public:
  static constexpr int64_t kChunk = 2048;

  AxisProduct(const AxisView& view, int64_t d, T beta, int64_t depth = 0)
      : a_(view),
        depth_(depth > 0 ? depth : view.m),
        chunk_(std::min(view.inner, std::max<int64_t>(1, kChunk / d) * d)),
        full_(view.m, chunk_, depth_, depth_, view.inner, view.inner, beta),
        tail_(view.m, view.inner % chunk_ ? view.inner % chunk_ : chunk_, depth_, depth_, view.inner, view.inner,
              beta) {}

  /// The product in independent pieces: slab o, column chunk j is piece o·chunks + j.
  int64_t pieces() const { return a_.outer * chunks(); }
  int64_t chunks() const { return (a_.inner + chunk_ - 1) / chunk_; }

  /// Piece i of dst = K src (+ β dst); with `moments`, also adds its dst values to them.
  void piece(int64_t i, const T* K, const T* src, T* dst, ChannelMoments<T>* moments = nullptr) const {
    const int64_t o = i / chunks(), j = (i % chunks()) * chunk_;
    const T* s = src + o * depth_ * a_.inner + j;
    T* t = dst + o * a_.slab() + j;
    const bool tail = j + chunk_ > a_.inner;
    (tail ? tail_ : full_)(K, s, t);
    if (moments != nullptr) moments->add(t, a_.m, tail ? a_.inner - j : chunk_, a_.inner);
  }

  /// dst = K src (+ β dst).
  void operator()(const T* K, const T* src, T* dst) const {
    for (int64_t i = 0; i < pieces(); ++i) piece(i, K, src, dst);
  }

 private:
  AxisView a_;
  int64_t depth_, chunk_;
  RowGemm<T> full_, tail_;
};

/// The products along x, y, z of a head-major block [nx, ny, nz, d].
/// `depth_x`: the planes the x product multiplies (those of the whole field where x is split).
template <class T>
std::array<AxisProduct<T>, 3> axis_products(const std::array<AxisView, 3>& views, int64_t d, T beta,
                                            int64_t depth_x = 0) {
  return {AxisProduct<T>(views[0], d, beta, depth_x), AxisProduct<T>(views[1], d, beta),
          AxisProduct<T>(views[2], d, beta)};
}

/// The moments of each channel over the whole split field, from each rank's: with N = Σ n_r,
///   μ = Σ_r n_r μ_r / N,   M₂ = Σ_r (M₂_r + n_r (μ_r − μ)²)
/// (two sums over the group, in rank order: the same bits on every rank).
template <class T>
void merge_over_slabs(std::vector<ChannelMoments<T>*> parts, int64_t d, const SlabGroup& slab) {
  const auto k = static_cast<int64_t>(parts.size());
  auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  auto first = torch::empty({k + 1, d}, opts);  // rows: n_r μ_r per part, then n_r
  double* f = first.data_ptr<double>();
  for (int64_t i = 0; i < k; ++i)
    for (int64_t c = 0; c < d; ++c) f[i * d + c] = static_cast<double>(parts[i]->count()) * parts[i]->mean(c);
  for (int64_t c = 0; c < d; ++c) f[k * d + c] = static_cast<double>(parts[0]->count());
  auto sums = slab.sum(first).contiguous();
  const double* S = sums.data_ptr<double>();
  const double n_all = S[k * d];
  std::vector<double> mu(static_cast<std::size_t>(k * d));
  for (int64_t i = 0; i < k * d; ++i) mu[i] = S[i] / n_all;
  auto second = torch::empty({k, d}, opts);
  double* q = second.data_ptr<double>();
  for (int64_t i = 0; i < k; ++i)
    for (int64_t c = 0; c < d; ++c) {
      const double delta = parts[i]->mean(c) - mu[i * d + c];
      q[i * d + c] = parts[i]->m2(c) + static_cast<double>(parts[i]->count()) * delta * delta;
    }
  auto m2 = slab.sum(second).contiguous();
  for (int64_t i = 0; i < k; ++i)
    parts[i]->assign(static_cast<int64_t>(n_all), mu.data() + i * d, m2.data_ptr<double>() + i * d);
}

/// W_{v,h}ᵀ [dim, dh] for each head h, contiguous ([heads, dim, dh]): V_h = û W_{v,h}ᵀ.
Tensor per_head_transposed(const Tensor& w_v, int64_t heads) {
  return w_v.view({heads, w_v.size(0) / heads, w_v.size(1)}).transpose(1, 2).contiguous();
}

/// dK [m×m] = Σ_o dx[o] v[o]ᵀ, i.e. dK[i, j] = Σ dx[o, i, ·] v[o, j, ·].
template <class T>
void kernel_grad(const AxisView& a, const T* dx, const T* v, T* dk) {
  for (int64_t o = 0; o < a.outer; ++o)
    gemm_rm(false, true, a.m, a.m, a.inner, dx + o * a.slab(), a.inner, v + o * a.slab(), a.inner, T(o ? 1 : 0), dk,
               a.m);
}

/// InstanceNorm backward in place: g ← rstd·(g − mean(g) − x̂·mean(g∘x̂)) per column of
/// g, x̂ [n×d] (means over the n rows, sums in double). With `slab`, the rows are this rank's
/// of a split field and the means are over all the ranks' points.
template <class T>
void instance_norm_backward(T* g, const T* xh, int64_t n, int64_t d, const T* rstd, std::vector<double>& acc,
                            const SlabGroup* slab = nullptr) {
  acc.assign(static_cast<std::size_t>(2 * d + 1), 0.0);
  double* sg = acc.data();
  double* sgx = acc.data() + d;
  for (int64_t p = 0; p < n; ++p)
    for (int64_t c = 0; c < d; ++c) {
      sg[c] += g[p * d + c];
      sgx[c] += static_cast<double>(g[p * d + c]) * xh[p * d + c];
    }
  double count = static_cast<double>(n);
  if (slab != nullptr) {
    auto local = torch::from_blob(acc.data(), {2 * d + 1}, torch::TensorOptions().dtype(torch::kFloat64));
    local[2 * d] = count;
    auto all = slab->sum(local).contiguous();
    std::copy(all.data_ptr<double>(), all.data_ptr<double>() + 2 * d, acc.data());
    count = all.data_ptr<double>()[2 * d];
  }
  std::vector<T> mg(static_cast<std::size_t>(d)), mgx(static_cast<std::size_t>(d));
  for (int64_t c = 0; c < d; ++c) {
    mg[c] = static_cast<T>(sg[c] / count);
    mgx[c] = static_cast<T>(sgx[c] / count);
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

/// V_h of every plane of a split x axis into `all` [nx·ny·nz·dh]: the ranks' slabs
/// [nx_local, ny·nz·dh] joined.
template <class T>
void gather_values(const T* v, const Shapes& s, const SlabGroup& slab, const torch::TensorOptions& options, T* all) {
  const int64_t inner = s.ny * s.nz * s.dh;
  auto mine = torch::from_blob(const_cast<T*>(v), {s.nx, inner}, options);
  auto out = torch::from_blob(all, {slab.nx(), inner}, options);
  slab.gather_x_into(mine, out);
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

/// Scratch of at least `numel` values of the calling thread, kept between calls (the forward
/// and the backward use it in turn): the forward's intermediates take up to group_bytes, and
/// a fresh allocation of that size is mapped anew by the system each time (glibc serves
/// blocks over 32 MiB by mmap), which costs a page fault and a zero fill per 4 KiB —
/// measured: the forward twice as slow.
Tensor& workspace(int64_t numel, const torch::TensorOptions& options) {
  thread_local Tensor w;
  if (!w.defined() || w.numel() < numel || w.scalar_type() != options.dtype().toScalarType()) {
    w.reset();  // the old buffer goes before the new one is made, not after
    w = torch::empty({numel}, options);
  }
  return w;
}

/// The most bytes of the forward's intermediates at once (set_axial_core_group_bytes).
std::atomic<double> group_bytes{256.0 * (1 << 20)};

/// How many heads one pass of core_forward handles: all of them while their intermediates
/// (4·n·dh values each) fit in group_bytes, else fewer (at least one).
int64_t heads_per_group(const Shapes& s, std::size_t value_bytes) {
  const double per_head = 4.0 * static_cast<double>(s.n * s.dh) * static_cast<double>(value_bytes);
  return std::clamp<int64_t>(static_cast<int64_t>(group_bytes / per_head), 1, s.heads);
}

/// z, and μ, rstd [b, heads, 3, dh], for one sample and group of heads after the other, in
/// three parallel sweeps over the points that use every intermediate while it is in cache:
///  1. per (x-slab, head) (ny·nz points): V_h = û W_{v,h}ᵀ, then X_y = K_y ⋆_y V_h and, per
///     (x, y) line, X_z = K_z ⋆_z V_h from the slab of V_h just made, with their moments
///     (the heads of a slab in turn, so that its û is read from memory once);
///  2. per (head, column chunk): X_x = K_x ⋆_x V_h (it needs all of V_h), with its moments;
///  3. per block of points: z += Σ_{h,a} X_{h,a} W'_{h,a}, W'_{h,a} = diag(rstd_{h,a}) W_{2,(h,a)}ᵀ,
///     the group's 3·heads products on one block of z while it is in L1 (one pass over z
///     per group, not per head and axis).
/// The products use the uncentred X; −Σ μ W' is added to each block of z with the last
/// group's products. With `mixed` (bf16-mixed arithmetic, float only) the products of V_h
/// and of z take bf16 operands (Bf16Gemm): V_h = bf16(û) bf16(W_{v,h}ᵀ) (û rounded once per
/// sample), and
/// z += bf16(X_{h,a} − μ_{h,a}) bf16(W'_{h,a}), centred before the rounding (no −Σ μ W'
/// term); the axial products and the moments stay in float32. Fewer sweeps also mean fewer waits for the slowest thread. The three
/// sweeps stay in one function of about 100 lines: they share the group's buffers and the
/// index arithmetic of its parallel regions, which the cache argument above is checked against.
template <class T>
void core_forward(const Shapes& s, const Tensor& un, const Tensor& w_v, const std::array<Tensor, 3>& k,
                  const Tensor& w_2, double eps, bool mixed, const SlabGroup* split, Tensor& z, Tensor& mean,
                  Tensor& rstd) {
  // points per output block (z's block in L1), blocks per tile (z's tile in L2, each W'
  // used on all of its blocks in turn)
  constexpr int64_t kBlock = 64, kTile = 4;
  const auto views = axis_views(s.nx, s.ny, s.nz, s.dh);
  const int64_t nd = s.n * s.dh, cols = 3 * s.heads * s.dh, slab = s.ny * s.nz;
  // split x: the head groups of the whole field, the same on every rank, so that each
  // rank's intermediates are its share of the whole field's
  Shapes sized = s;
  if (split != nullptr) {
    sized.nx = split->nx();
    sized.n = sized.nx * s.ny * s.nz;
  }
  const int64_t group = heads_per_group(sized, sizeof(T));
  const int64_t depth_x = split != nullptr ? split->nx() : s.nx;  // planes K_x's rows multiply
  // per head of a group: V_h, X_{h,x}, X_{h,y}, X_{h,z} [n, dh]; then W'_{h,a} [dh, d_out] of all heads
  // (split x: then one head's V_h of every plane)
  const int64_t gathered = split != nullptr ? split->nx() * s.ny * s.nz * s.dh : 0;
  T* base = workspace(4 * group * nd + 3 * s.heads * s.dh * s.dout + gathered, un.options()).data_ptr<T>();
  auto values = [&](int64_t g) { return base + 4 * g * nd; };  // g: head within its group
  auto axial_x = [&](int64_t g, int64_t a) { return base + (4 * g + 1 + a) * nd; };
  T* wp = base + 4 * group * nd;
  T* all_values = wp + 3 * s.heads * s.dh * s.dout;
  auto w_prime = [&](int64_t h, int64_t a) { return wp + (3 * h + a) * s.dh * s.dout; };
  const auto w_vt = per_head_transposed(w_v, s.heads);
  const T* unp = un.data_ptr<T>();
  const T* wvtp = w_vt.data_ptr<T>();
  const T* w2p = w_2.data_ptr<T>();
  const std::array<const T*, 3> kp{k[0].data_ptr<T>(), k[1].data_ptr<T>(), k[2].data_ptr<T>()};
  T* zp = z.data_ptr<T>();
  const RowGemm<T> value(slab, s.dh, s.dim, s.dim, s.dh, s.dh, T(0));
  const auto axial = axis_products<T>(views, s.dh, T(0), depth_x);
  const int64_t chunks = axial[0].pieces();
  const int64_t blocks = (s.n + kBlock - 1) / kBlock, last_rows = s.n - (blocks - 1) * kBlock;
  // [overwrite, accumulate] × [full block, last block]: the first product of a sample
  // overwrites z (which starts uninitialised), the others add to it
  const std::array<RowGemm<T>, 4> output{RowGemm<T>(kBlock, s.dout, s.dh, s.dh, s.dout, s.dout, T(0)),
                                         RowGemm<T>(last_rows, s.dout, s.dh, s.dh, s.dout, s.dout, T(0)),
                                         RowGemm<T>(kBlock, s.dout, s.dh, s.dh, s.dout, s.dout, T(1)),
                                         RowGemm<T>(last_rows, s.dout, s.dh, s.dh, s.dout, s.dout, T(1))};
  // per head of a group: moments of X_y and X_z per x-slab, of X_x per column chunk, merged
  // in a fixed order
  std::vector<ChannelMoments<T>> m_y(group * s.nx, ChannelMoments<T>(s.dh));
  std::vector<ChannelMoments<T>> m_z(group * s.nx, ChannelMoments<T>(s.dh));
  std::vector<ChannelMoments<T>> m_x(group * chunks, ChannelMoments<T>(s.dh));
  std::vector<double> bias(s.dout);
  std::vector<T> bias_t(s.dout);
  // bf16-mixed: W_{v,h}ᵀ and W'_{h,a} rounded, and their products
  // (products wider than Bf16Gemm's columns, dh or d_out, run in float32)
  constexpr bool can_mix = std::is_same_v<T, float>;
  mixed = mixed && can_mix && std::max(s.dh, s.dout) <= Bf16Gemm::kMaxColumns;
  std::vector<Bf16Matrix> w_v_b, w_prime_b(mixed ? 3 * s.heads : 0);
  std::vector<Bf16Gemm> value_b, output_b;
  if constexpr (can_mix)
    if (mixed) {
      for (int64_t h = 0; h < s.heads; ++h) w_v_b.emplace_back(wvtp + h * s.dim * s.dh, s.dim, s.dh, s.dh);
      value_b.emplace_back(slab, s.dh, s.dim, s.dim, s.dh, 0.0f);
      for (const int64_t rows : {kBlock, last_rows})
        for (const float beta : {0.0f, 1.0f}) output_b.emplace_back(rows, s.dout, s.dh, s.dh, s.dout, beta);
    }
  // bf16-mixed: the sample's û rounded once for all heads (the calling thread's, kept between
  // calls; named by reference so that the worker threads see this one)
  thread_local Bf16Rows kept_rows;
  Bf16Rows& un_rows = kept_rows;
  for (int64_t b = 0; b < s.b; ++b) {
    std::fill(bias.begin(), bias.end(), 0.0);
    if constexpr (can_mix)
      if (mixed) {
        un_rows.resize(s.n, s.dim);
        for_each_item(s.nx, [&](int64_t i) {
          un_rows.set_rows(i * slab, slab, unp + (b * s.n + i * slab) * s.dim, s.dim);
        });
      }
    for (int64_t h0 = 0; h0 < s.heads; h0 += group) {
      const int64_t g_n = std::min(group, s.heads - h0);
      auto kernel = [&](int64_t a, int64_t h) {
        const int64_t m = views[a].m;
        return kp[a] + (b * s.heads + h) * m * (a == 0 ? depth_x : m);
      };
      for_each_item(s.nx * g_n, [&](int64_t item) {
        const int64_t i = item / g_n, g = item % g_n, h = h0 + g;
        T* v = values(g);
        if constexpr (can_mix)
          if (mixed) value_b[0](un_rows, i * slab, w_v_b[h], v + i * slab * s.dh);
        if (!mixed) value(unp + (b * s.n + i * slab) * s.dim, wvtp + h * s.dim * s.dh, v + i * slab * s.dh);
        auto& my = m_y[g * s.nx + i];
        my.reset();
        axial[1].piece(i, kernel(1, h), v, axial_x(g, 1), &my);
        for (int64_t j = i * s.ny; j < (i + 1) * s.ny; ++j) axial[2].piece(j, kernel(2, h), v, axial_x(g, 2));
        auto& mz = m_z[g * s.nx + i];
        mz.reset();  // the slab's lines at once, while they are in cache
        mz.add(axial_x(g, 2) + i * slab * s.dh, slab, s.dh, s.dh);
      });
      if (split == nullptr) {
        for_each_item(g_n * chunks, [&](int64_t item) {
          const int64_t g = item / chunks, j = item % chunks;
          auto& mx = m_x[g * chunks + j];
          mx.reset();
          axial[0].piece(j, kernel(0, h0 + g), values(g), axial_x(g, 0), &mx);
        });
      } else {  // one head's V of every plane at a time
        for (int64_t g = 0; g < g_n; ++g) {
          gather_values<T>(values(g), s, *split, un.options(), all_values);
          for_each_item(chunks, [&](int64_t j) {
            auto& mx = m_x[g * chunks + j];
            mx.reset();
            axial[0].piece(j, kernel(0, h0 + g), all_values, axial_x(g, 0), &mx);
          });
        }
      }
      std::vector<ChannelMoments<T>*> merged;  // per (head of the group, axis)
      for (int64_t g = 0; g < g_n; ++g)
        for (int64_t a = 0; a < 3; ++a) {
          const int64_t parts = a == 0 ? chunks : s.nx;
          ChannelMoments<T>* part = (a == 0 ? m_x.data() : a == 1 ? m_y.data() : m_z.data()) + g * parts;
          for (int64_t i = 1; i < parts; ++i) part[0].add(part[i]);
          merged.push_back(part);
        }
      if (split != nullptr) merge_over_slabs<T>(merged, s.dh, *split);
      for (int64_t g = 0; g < g_n; ++g)
        for (int64_t a = 0; a < 3; ++a) {
          const int64_t h = h0 + g;
          ChannelMoments<T>* part = merged[3 * g + a];
          const int64_t u = (b * s.heads + h) * 3 + a;
          T* mu = mean.data_ptr<T>() + u * s.dh;
          T* rs = rstd.data_ptr<T>() + u * s.dh;
          part[0].finish(eps, mu, rs);
          const T* w2 = w2p + (h * 3 + a) * s.dh;  // columns of this block, row stride cols
          T* w = w_prime(h, a);
          for (int64_t c = 0; c < s.dh; ++c)
            for (int64_t o = 0; o < s.dout; ++o) {
              w[c * s.dout + o] = w2[o * cols + c] * rs[c];
              if (!mixed) bias[o] -= static_cast<double>(mu[c]) * w[c * s.dout + o];
            }
          if constexpr (can_mix)
            if (mixed) w_prime_b[3 * h + a] = Bf16Matrix(w, s.dh, s.dout, s.dout);
        }
      const bool first_group = h0 == 0, last_group = h0 + g_n == s.heads;
      if (last_group)  // the means' share of z, complete with the last group's moments
        for (int64_t o = 0; o < s.dout; ++o) bias_t[o] = static_cast<T>(bias[o]);
      const int64_t tiles = (blocks + kTile - 1) / kTile;
      for_each_item(tiles, [&](int64_t t) {
        const int64_t i0 = t * kTile, i1 = std::min(blocks, i0 + kTile);
        for (int64_t g = 0; g < g_n; ++g)
          for (int64_t a = 0; a < 3; ++a) {
            const bool first = first_group && g == 0 && a == 0;
            const int64_t u = (b * s.heads + h0 + g) * 3 + a;
            for (int64_t i = i0; i < i1; ++i) {
              const int64_t which = 2 * !first + (i + 1 == blocks);
              T* zb = zp + (b * s.n + i * kBlock) * s.dout;
              const T* xb = axial_x(g, a) + i * kBlock * s.dh;
              if constexpr (can_mix)
                if (mixed) output_b[2 * (i + 1 == blocks) + !first](xb, w_prime_b[3 * (h0 + g) + a], zb,
                                                                    mean.data_ptr<T>() + u * s.dh);
              if (!mixed) output[which](xb, w_prime(h0 + g, a), zb);
            }
          }
        if (last_group && !mixed)  // the means' share, while the tile is in cache
          for (int64_t r = i0 * kBlock; r < std::min(s.n, i1 * kBlock); ++r)
            for (int64_t o = 0; o < s.dout; ++o) zp[(b * s.n + r) * s.dout + o] += bias_t[o];
      });
    }
  }
}

/// The backward's products with û, dz and the weights on bf16 operands, float32 accumulation
/// (bf16-mixed arithmetic, float only; `on` is false otherwise and nothing is prepared):
///   V_h = û W_{v,h}ᵀ,  G = dz W_{2,(h,a)},  dû += dV_h W_{v,h},
///   dW_{v,h}ᵀ = ûᵀ dV_h,  dW_{2,(h,a)} += dzᵀ X̂   (depth n).
/// û_b, dz_b and their transposes are rounded once per sample, the weights once per call,
/// dV_h and X̂ once per product. The axial products, their adjoints, the kernel gradients
/// and the InstanceNorm backward stay in float32, as in the forward.
template <class T>
struct MixedBackward {
  bool on = false;
  MixedBackward(const Shapes&, const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&, bool) {}
  void value(int64_t, int64_t, T*) const {}
  void value_adjoint(const T*, int64_t, T*) const {}
  void value_weight(const T*, int64_t, T*) const {}
  void output_weight(const T*, int64_t, T*) const {}
  void output_adjoint(int64_t, int64_t, T*) const {}
};

template <>
struct MixedBackward<float> {
  bool on;
  const Shapes& s;
  // per sample: û_b [n×dim], dz_b [n×d_out], û_bᵀ [dim×n], dz_bᵀ [d_out×n]
  std::vector<Bf16Rows> un_rows, dz_rows, un_t, dz_t;
  std::vector<Bf16Matrix> w_vt, w_v, w_2;  // W_{v,h}ᵀ [dim×dh], W_{v,h} [dh×dim], W_{2,(h,a)} [d_out×dh]
  std::optional<Bf16Gemm> value_g, value_adjoint_g, output_adjoint_g, value_weight_g, output_weight_g;

  MixedBackward(const Shapes& sh, const Tensor& un, const Tensor& wv, const Tensor& wvt, const Tensor& w2,
                const Tensor& dz, bool mixed)
      : on(mixed), s(sh) {
    if (!on) return;
    const int64_t cols = 3 * s.heads * s.dh;
    const float* wvp = wv.data_ptr<float>();
    const float* wvtp = wvt.data_ptr<float>();
    const float* w2p = w2.data_ptr<float>();
    for (int64_t h = 0; h < s.heads; ++h) {
      w_vt.emplace_back(wvtp + h * s.dim * s.dh, s.dim, s.dh, s.dh);
      w_v.emplace_back(wvp + h * s.dh * s.dim, s.dh, s.dim, s.dim);
      for (int64_t a = 0; a < 3; ++a) w_2.emplace_back(w2p + (h * 3 + a) * s.dh, s.dout, s.dh, cols);
    }
    const auto un_tf = un.view({s.b, s.n, s.dim}).transpose(1, 2).contiguous();
    const auto dz_tf = dz.view({s.b, s.n, s.dout}).transpose(1, 2).contiguous();
    for (auto* v : {&un_rows, &dz_rows, &un_t, &dz_t}) v->resize(s.b);
    for_each_item(4 * s.b, [&](int64_t item) {  // the four roundings of each sample side by side
      const int64_t b = item / 4;
      switch (item % 4) {
        case 0: un_rows[b] = Bf16Rows(un.data_ptr<float>() + b * s.n * s.dim, s.n, s.dim, s.dim); break;
        case 1: dz_rows[b] = Bf16Rows(dz.data_ptr<float>() + b * s.n * s.dout, s.n, s.dout, s.dout); break;
        case 2: un_t[b] = Bf16Rows(un_tf.data_ptr<float>() + b * s.n * s.dim, s.dim, s.n, s.n); break;
        default: dz_t[b] = Bf16Rows(dz_tf.data_ptr<float>() + b * s.n * s.dout, s.dout, s.n, s.n); break;
      }
    });
    value_g.emplace(s.n, s.dh, s.dim, s.dim, s.dh, 0.0f);
    value_adjoint_g.emplace(s.n, s.dim, s.dh, s.dh, s.dim, 1.0f);
    output_adjoint_g.emplace(s.n, s.dh, s.dout, s.dout, s.dh, 0.0f);
    value_weight_g.emplace(s.dim, s.dh, s.n, s.n, s.dh, 0.0f);
    output_weight_g.emplace(s.dout, s.dh, s.n, s.n, cols, 1.0f);
  }
  /// V_h = û_b W_{v,h}ᵀ
  void value(int64_t b, int64_t h, float* v) const { (*value_g)(un_rows[b], 0, w_vt[h], v); }
  /// dû_b += dV_h W_{v,h}
  void value_adjoint(const float* dv, int64_t h, float* dun_b) const { (*value_adjoint_g)(dv, w_v[h], dun_b); }
  /// dW_{v,h} [dh×dim] += (û_bᵀ dV_h)ᵀ
  void value_weight(const float* dv, int64_t b, float* dw) const {
    thread_local std::vector<float> block;
    block.resize(static_cast<std::size_t>(s.dim * s.dh));
    (*value_weight_g)(un_t[b], 0, Bf16Matrix(dv, s.n, s.dh, s.dh), block.data());
    for (int64_t c = 0; c < s.dh; ++c)
      for (int64_t d = 0; d < s.dim; ++d) dw[c * s.dim + d] += block[d * s.dh + c];
  }
  /// dW_{2,(h,a)} += dz_bᵀ X̂: the block's columns of dW_2 (row stride 3·heads·dh)
  void output_weight(const float* xhat, int64_t b, float* dw2) const {
    (*output_weight_g)(dz_t[b], 0, Bf16Matrix(xhat, s.n, s.dh, s.dh), dw2);
  }
  /// G = dz_b W_{2,(h,a)}, block = h·3 + a
  void output_adjoint(int64_t b, int64_t block, float* g) const { (*output_adjoint_g)(dz_rows[b], 0, w_2[block], g); }
};

template <class T>
void core_backward(const Shapes& s, const Tensor& un, const Tensor& w_v, const std::array<Tensor, 3>& k,
                   const Tensor& w_2, const Tensor& mean, const Tensor& rstd, const Tensor& dz, bool mixed,
                   Tensor& dun, Tensor& dw_v, std::array<Tensor, 3>& dk, Tensor& dw_2) {
  const auto views = axis_views(s.nx, s.ny, s.nz, s.dh);
  const int64_t parts = thread_parts(s), nd = s.n * s.dh, cols = 3 * s.heads * s.dh;
  T* scratch = workspace(parts * 4 * nd, un.options()).data_ptr<T>();  // per part: V_h, X, G, dV_h
  // per-part sums of dû, dW_v, dW_2 (part 0 writes the results themselves)
  auto dun_parts = parts > 1 ? torch::zeros({parts - 1, s.b, s.n, s.dim}, un.options()) : Tensor();
  auto dwv_parts = parts > 1 ? torch::zeros({parts - 1, w_v.size(0), s.dim}, un.options()) : Tensor();
  auto dw2_parts = parts > 1 ? torch::zeros({parts - 1, s.dout, cols}, un.options()) : Tensor();
  const auto w_vt = per_head_transposed(w_v, s.heads);
  // K_aᵀ: the adjoint axial products dV += K_aᵀ ⋆_a dX
  const std::array<Tensor, 3> k_t{k[0].transpose(2, 3).contiguous(), k[1].transpose(2, 3).contiguous(),
                                  k[2].transpose(2, 3).contiguous()};
  const T* unp = un.data_ptr<T>();
  const T* wvp = w_v.data_ptr<T>();
  const T* wvtp = w_vt.data_ptr<T>();
  const T* w2p = w_2.data_ptr<T>();
  const T* dzp = dz.data_ptr<T>();
  const std::array<const T*, 3> kp{k[0].data_ptr<T>(), k[1].data_ptr<T>(), k[2].data_ptr<T>()};
  const std::array<const T*, 3> ktp{k_t[0].data_ptr<T>(), k_t[1].data_ptr<T>(), k_t[2].data_ptr<T>()};
  const std::array<T*, 3> dkp{dk[0].data_ptr<T>(), dk[1].data_ptr<T>(), dk[2].data_ptr<T>()};
  const T* meanp = mean.data_ptr<T>();
  const T* rstdp = rstd.data_ptr<T>();
  const RowGemm<T> value(s.n, s.dh, s.dim, s.dim, s.dh, s.dh, T(0));
  const auto axial = axis_products<T>(views, s.dh, T(0));
  const auto axial_adjoint = axis_products<T>(views, s.dh, T(1));
  const RowGemm<T> output_adjoint(s.n, s.dh, s.dout, s.dout, cols, s.dh, T(0));  // dz W_{2,(h,a)}
  const RowGemm<T> value_adjoint(s.n, s.dim, s.dh, s.dh, s.dim, s.dim, T(1));   // dV_h W_{v,h}
  constexpr bool can_mix = std::is_same_v<T, float>;
  mixed = mixed && can_mix && std::max({s.dim, s.dout, s.dh}) <= Bf16Gemm::kMaxColumns;
  const MixedBackward<T> bf(s, un, w_v, w_vt, w_2, dz, mixed);
  run_workers(s, parts, [&](int64_t p, UnitQueue& queue) {
    T* v = scratch + p * 4 * nd;
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
      if (bf.on) {
        bf.value_adjoint(dv, h, dunp + b * s.n * s.dim);
        bf.value_weight(dv, b, dwvp + h * s.dh * s.dim);
        return;
      }
      value_adjoint(dv, wvp + h * s.dh * s.dim, dunp + b * s.n * s.dim);
      gemm_rm(true, false, s.dh, s.dim, s.n, dv, s.dh, un_b, s.dim, T(1), dwvp + h * s.dh * s.dim, s.dim);
    };
    for (int64_t u; (u = queue.take(p)) >= 0;) {
      const int64_t bh = u / 3, a = u % 3, b = bh / s.heads, h = bh % s.heads;
      const T* un_b = unp + b * s.n * s.dim;
      const T* dz_b = dzp + b * s.n * s.dout;
      if (bh != current) {
        flush();
        if (bf.on)
          bf.value(b, h, v);
        else
          value(un_b, wvtp + h * s.dim * s.dh, v);
        std::fill(dv, dv + nd, T(0));
        current = bh;
      }
      const int64_t m = views[a].m;
      const T* kk = kp[a] + bh * m * m;
      axial[a](kk, v, x);
      const T* mu = meanp + u * s.dh;
      const T* rs = rstdp + u * s.dh;
      for (int64_t q = 0; q < s.n; ++q)  // X̂
        for (int64_t c = 0; c < s.dh; ++c) x[q * s.dh + c] = (x[q * s.dh + c] - mu[c]) * rs[c];
      const int64_t col0 = (h * 3 + a) * s.dh;
      if (bf.on) {
        bf.output_weight(x, b, dw2p + col0);
        bf.output_adjoint(b, h * 3 + a, g);
      } else {
        gemm_rm(true, false, s.dout, s.dh, s.n, dz_b, s.dout, x, s.dh, T(1), dw2p + col0, cols);  // dzᵀ X̂
        output_adjoint(dz_b, w2p + col0, g);
      }
      instance_norm_backward<T>(g, x, s.n, s.dh, rs, acc);
      axial_adjoint[a](ktp[a] + bh * m * m, g, dv);
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

/// The backward on this rank's x-slab of a field split over `slab` (K_x: this rank's rows
/// [nx_local × nx] per sample and head). The same sums as core_backward, per (sample, head)
/// in turn, with the collectives between the products: V_h of every plane gathered for
/// X_x = K_x,rows V_h,all and dK_x,rows = dX_x V_h,allᵀ; the InstanceNorm means of G and
/// G∘X̂ summed over the group; dV_h,all = K_x,rowsᵀ dX_x reduce-scattered to this rank's
/// planes. dû is this rank's; dW_v, dW_2 are this rank's parts, whose sum over the group is
/// the whole field's. Float32 or float64 arithmetic (no bf16 products); the products run on
/// one thread, the BLAS ones on BLAS's.
template <class T>
void core_backward_slab(const Shapes& s, const SlabGroup& slab, const Tensor& un, const Tensor& w_v,
                        const std::array<Tensor, 3>& k, const Tensor& w_2, const Tensor& mean, const Tensor& rstd,
                        const Tensor& dz, Tensor& dun, Tensor& dw_v, std::array<Tensor, 3>& dk, Tensor& dw_2) {
  const auto views = axis_views(s.nx, s.ny, s.nz, s.dh);
  const int64_t nd = s.n * s.dh, cols = 3 * s.heads * s.dh, nx_all = slab.nx(), inner = s.ny * s.nz * s.dh;
  const int64_t nd_all = nx_all * inner;
  // V_h, X, G, dV_h of the slab; V_h and dV_h of every plane; this rank's planes of the latter's sum
  T* scratch = workspace(5 * nd + 2 * nd_all, un.options()).data_ptr<T>();
  T* v = scratch;
  T* x = v + nd;
  T* g = x + nd;
  T* dv = g + nd;
  T* v_all = dv + nd;
  T* dv_all = v_all + nd_all;
  T* mine = dv_all + nd_all;
  auto dv_all_t = torch::from_blob(dv_all, {nx_all, inner}, un.options());
  auto mine_t = torch::from_blob(mine, {s.nx, inner}, un.options());
  const auto w_vt = per_head_transposed(w_v, s.heads);
  const std::array<Tensor, 3> k_t{Tensor(), k[1].transpose(2, 3).contiguous(), k[2].transpose(2, 3).contiguous()};
  const T* unp = un.data_ptr<T>();
  const T* wvp = w_v.data_ptr<T>();
  const T* wvtp = w_vt.data_ptr<T>();
  const T* w2p = w_2.data_ptr<T>();
  const T* dzp = dz.data_ptr<T>();
  const T* meanp = mean.data_ptr<T>();
  const T* rstdp = rstd.data_ptr<T>();
  const RowGemm<T> value(s.n, s.dh, s.dim, s.dim, s.dh, s.dh, T(0));
  const auto axial = axis_products<T>(views, s.dh, T(0), nx_all);
  const auto axial_adjoint = axis_products<T>(views, s.dh, T(1));
  const RowGemm<T> output_adjoint(s.n, s.dh, s.dout, s.dout, cols, s.dh, T(0));  // dz W_{2,(h,a)}
  const RowGemm<T> value_adjoint(s.n, s.dim, s.dh, s.dh, s.dim, s.dim, T(1));   // dV_h W_{v,h}
  std::vector<double> acc;
  for (int64_t bh = 0; bh < s.b * s.heads; ++bh) {
    const int64_t b = bh / s.heads, h = bh % s.heads;
    const T* un_b = unp + b * s.n * s.dim;
    const T* dz_b = dzp + b * s.n * s.dout;
    value(un_b, wvtp + h * s.dim * s.dh, v);
    gather_values<T>(v, s, slab, un.options(), v_all);
    std::fill(dv, dv + nd, T(0));
    for (int64_t a = 0; a < 3; ++a) {
      const int64_t u = bh * 3 + a, m = views[a].m, depth = a == 0 ? nx_all : m;
      const T* kk = k[a].data_ptr<T>() + bh * m * depth;
      T* dkk = dk[a].data_ptr<T>() + bh * m * depth;
      axial[a](kk, a == 0 ? v_all : v, x);
      const T* mu = meanp + u * s.dh;
      const T* rs = rstdp + u * s.dh;
      for (int64_t q = 0; q < s.n; ++q)  // X̂
        for (int64_t c = 0; c < s.dh; ++c) x[q * s.dh + c] = (x[q * s.dh + c] - mu[c]) * rs[c];
      const int64_t col0 = (h * 3 + a) * s.dh;
      gemm_rm(true, false, s.dout, s.dh, s.n, dz_b, s.dout, x, s.dh, T(1), dw_2.data_ptr<T>() + col0, cols);
      output_adjoint(dz_b, w2p + col0, g);
      instance_norm_backward<T>(g, x, s.n, s.dh, rs, acc, &slab);
      if (a == 0) {  // dV_all = K_rowsᵀ dX (every plane), this rank's planes of its sum; dK_rows = dX V_allᵀ
        gemm_rm(true, false, nx_all, inner, s.nx, kk, nx_all, g, inner, T(0), dv_all, inner);
        slab.reduce_scatter_x_into(dv_all_t, mine_t);
        for (int64_t i = 0; i < nd; ++i) dv[i] += mine[i];
        gemm_rm(false, true, s.nx, nx_all, inner, g, inner, v_all, inner, T(0), dkk, nx_all);
      } else {
        axial_adjoint[a](k_t[a].data_ptr<T>() + bh * m * m, g, dv);
        kernel_grad<T>(views[a], g, v, dkk);
      }
    }
    value_adjoint(dv, wvp + h * s.dh * s.dim, dun.data_ptr<T>() + b * s.n * s.dim);
    gemm_rm(true, false, s.dh, s.dim, s.n, dv, s.dh, un_b, s.dim, T(1), dw_v.data_ptr<T>() + h * s.dh * s.dim, s.dim);
  }
}

struct AxialCore : torch::autograd::Function<AxialCore> {
  static Tensor forward(torch::autograd::AutogradContext* ctx, const Tensor& un_in, const Tensor& w_v_in,
                        const Tensor& k_x, const Tensor& k_y, const Tensor& k_z, const Tensor& w_2_in, double eps,
                        AxialCoreCache* cache, int64_t slab_address) {
    const auto* slab = reinterpret_cast<const SlabGroup*>(slab_address);
    ctx->saved_data["slab"] = slab_address;
    auto un = un_in.contiguous(), w_v = w_v_in.contiguous(), w_2 = w_2_in.contiguous();
    std::array<Tensor, 3> k{k_x.contiguous(), k_y.contiguous(), k_z.contiguous()};
    const auto s = shapes_of(un, w_v, k[0], w_2);
    Tensor z, mean, rstd;
    const bool mixed = arithmetic() == Arithmetic::bf16_mixed;
    if (cache != nullptr && cache->z.defined()) {
      IFF_CHECK(cache->z.sizes() == torch::IntArrayRef({s.b, s.n, s.dout}), "parallel_axial_core: stale cache");
      z = cache->z.clone();
      mean = cache->mean;
      rstd = cache->rstd;
    } else {
      z = torch::empty({s.b, s.n, s.dout}, un.options());
      mean = torch::empty({s.b, s.heads, 3, s.dh}, un.options());
      rstd = torch::empty_like(mean);
      RECORD_FUNCTION("parallel_axial_core", std::vector<c10::IValue>());
      AT_DISPATCH_FLOATING_TYPES(un.scalar_type(), "parallel_axial_core",
                                 [&] { core_forward<scalar_t>(s, un, w_v, k, w_2, eps, mixed, slab, z, mean, rstd); });
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
    const bool mixed = arithmetic() == Arithmetic::bf16_mixed;
    const auto* slab = reinterpret_cast<const SlabGroup*>(ctx->saved_data["slab"].toInt());
    RECORD_FUNCTION("parallel_axial_core_backward", std::vector<c10::IValue>());
    AT_DISPATCH_FLOATING_TYPES(un.scalar_type(), "parallel_axial_core_backward", [&] {
      if (slab != nullptr)
        core_backward_slab<scalar_t>(s, *slab, un, w_v, k, w_2, mean, rstd, dz, dun, dw_v, dk, dw_2);
      else
        core_backward<scalar_t>(s, un, w_v, k, w_2, mean, rstd, dz, mixed, dun, dw_v, dk, dw_2);
    });
    return {dun, dw_v, dk[0], dk[1], dk[2], dw_2, Tensor(), Tensor(), Tensor()};
  }
};
#endif

}  // namespace

void set_axial_core_group_bytes(double bytes) {
#ifdef IFF_HAVE_BLAS
  group_bytes = bytes;
#else
  (void)bytes;
#endif
}

bool axial_core_supported(const torch::Tensor& t) {
#ifdef IFF_HAVE_BLAS
  return t.device().is_cpu() && (t.scalar_type() == torch::kFloat32 || t.scalar_type() == torch::kFloat64);
#else
  return false;
#endif
}

torch::Tensor parallel_axial_core(const torch::Tensor& un, const torch::Tensor& w_v, const torch::Tensor& k_x,
                                  const torch::Tensor& k_y, const torch::Tensor& k_z, const torch::Tensor& w_2,
                                  double eps, AxialCoreCache* cache, const SlabGroup* slab) {
  IFF_CHECK(axial_core_supported(un), "parallel_axial_core: no kernel for " << un.device() << " " << un.scalar_type());
  IFF_CHECK(un.dim() == 5 && k_x.dim() == 4 && k_x.size(0) == un.size(0) && k_x.size(2) == un.size(1) &&
                k_x.size(3) == (slab != nullptr ? slab->nx() : un.size(1)) &&
                k_y.size(2) == un.size(2) && k_z.size(2) == un.size(3) && w_v.size(1) == un.size(4) &&
                w_v.size(0) % k_x.size(1) == 0 && w_2.size(1) == 3 * w_v.size(0),
            "parallel_axial_core: inconsistent shapes " << un.sizes() << ", " << w_v.sizes() << ", " << k_x.sizes()
                                                        << ", " << w_2.sizes());
  for (const auto* t : {&w_v, &k_x, &k_y, &k_z, &w_2})
    IFF_CHECK(t->scalar_type() == un.scalar_type() && t->device() == un.device(),
              "parallel_axial_core: mixed dtypes or devices");
#ifdef IFF_HAVE_BLAS
  return AxialCore::apply(un, w_v, k_x, k_y, k_z, w_2, eps, cache, reinterpret_cast<int64_t>(slab));
#else
  return {};
#endif
}

}  // namespace iff::attention
