// Exactness of the attention building blocks against naive float64 formulas written here,
// and their gradients against finite differences.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "attention/factorized_block.hpp"
#include "attention/low_rank_kernel.hpp"
#include "attention/pooling_reducer.hpp"
#include "attention/rotary_embedding.hpp"
#include "tests/support/torch_test_helpers.hpp"

namespace att = iff::attention;
using iff::test::expect_gradients;
using iff::test::gelu_erf;
using iff::test::max_abs_diff;

namespace {

const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);

// θ_j(p) = 64 p 10000^(-2j/d) for j < d/2, repeated for the second half.
double rotary_angle(double p, int j, int d) { return 64.0 * p * std::pow(10000.0, -2.0 * (j % (d / 2)) / d); }

// rot(q, p)_j = q_j cos θ_j − q_{j+d/2} sin θ_j (j < d/2);  q_j cos θ_j + q_{j−d/2} sin θ_j (j ≥ d/2)
// with θ_j = 64 p inv_freq_{j mod d/2}; `inv_freq` empty: the exact 10000^(-2j/d).
std::vector<double> rotate(const std::vector<double>& q, double p, const std::vector<double>& inv_freq = {}) {
  const int d = static_cast<int>(q.size());
  std::vector<double> r(d);
  for (int j = 0; j < d; ++j) {
    const double t = inv_freq.empty() ? rotary_angle(p, j, d) : 64.0 * p * inv_freq[j % (d / 2)];
    r[j] = j < d / 2 ? q[j] * std::cos(t) - q[j + d / 2] * std::sin(t) : q[j] * std::cos(t) + q[j - d / 2] * std::sin(t);
  }
  return r;
}

// y = W x (+ b), W [out, in]
std::vector<double> linear(const torch::Tensor& W, const std::vector<double>& x, const torch::Tensor& b = {}) {
  auto w = W.accessor<double, 2>();
  std::vector<double> y(W.size(0), 0.0);
  for (int64_t o = 0; o < W.size(0); ++o) {
    for (int64_t i = 0; i < W.size(1); ++i) y[o] += w[o][i] * x[i];
    if (b.defined()) y[o] += b[o].item<double>();
  }
  return y;
}

std::vector<double> layer_norm(const std::vector<double>& x, const torch::Tensor& w, const torch::Tensor& b) {
  double mu = 0, var = 0;
  for (double v : x) mu += v;
  mu /= x.size();
  for (double v : x) var += (v - mu) * (v - mu);
  var /= x.size();  // biased
  std::vector<double> y(x.size());
  for (std::size_t i = 0; i < x.size(); ++i)
    y[i] = (x[i] - mu) / std::sqrt(var + 1e-5) * w[i].item<double>() + b[i].item<double>();
  return y;
}

std::vector<double> geglu(const std::vector<double>& x) {
  const std::size_t h = x.size() / 2;
  std::vector<double> y(h);
  for (std::size_t i = 0; i < h; ++i) y[i] = gelu_erf(x[i]) * x[i + h];
  return y;
}

std::vector<double> row(const torch::Tensor& t) {
  auto c = t.contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

// The reducer as the reference computes it: W_in on every point, then the mean, then the MLP.
std::vector<std::vector<double>> reducer_reference(att::PoolingReducerImpl& r, const std::vector<std::vector<std::vector<double>>>& lines) {
  std::vector<std::vector<double>> out;
  for (const auto& pts : lines) {  // pts: the points of one index along the axis
    std::vector<double> mean;
    for (const auto& p : pts) {
      auto y = linear(r.to_in->weight, p);
      if (mean.empty()) mean.assign(y.size(), 0.0);
      for (std::size_t c = 0; c < y.size(); ++c) mean[c] += y[c] / pts.size();
    }
    auto z = layer_norm(mean, r.out_ffn->norm->weight, r.out_ffn->norm->bias);
    z = geglu(linear(r.out_ffn->fn->fc1->weight, z, r.out_ffn->fn->fc1->bias));
    out.push_back(linear(r.out_ffn->fn->fc2->weight, z, r.out_ffn->fn->fc2->bias));
  }
  return out;
}

// K[h][i][j] = Σ_d rot(W_q a_i)_{h,d} rot(W_k a_j)_{h,d}
std::vector<std::vector<std::vector<double>>> kernel_reference(att::LowRankKernelImpl& k, const std::vector<std::vector<double>>& a,
                                                                const std::vector<double>& pos, int heads) {
  const int n = static_cast<int>(a.size());
  const int d = static_cast<int>(k.to_q->weight.size(0)) / heads;
  const auto inv = row(k.pos_emb->inv_freq);  // the stored buffer (float32-rounded values)
  std::vector<std::vector<std::vector<double>>> K(heads, std::vector<std::vector<double>>(n, std::vector<double>(n, 0.0)));
  for (int h = 0; h < heads; ++h) {
    std::vector<std::vector<double>> q(n), kk(n);
    for (int i = 0; i < n; ++i) {
      auto qi = linear(k.to_q->weight, a[i]), ki = linear(k.to_k->weight, a[i]);
      q[i] = rotate(std::vector<double>(qi.begin() + h * d, qi.begin() + (h + 1) * d), pos[i], inv);
      kk[i] = rotate(std::vector<double>(ki.begin() + h * d, ki.begin() + (h + 1) * d), pos[i], inv);
    }
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j)
        for (int e = 0; e < d; ++e) K[h][i][j] += q[i][e] * kk[j][e];
  }
  return K;
}

/// The factorized block by direct loops over points, heads and channels (one sample).
torch::Tensor block_reference(att::FactorizedBlockImpl& blk, const torch::Tensor& u, const torch::Tensor& px,
                              const torch::Tensor& py, const torch::Tensor& pz) {
  const auto& o = blk.options();
  const int nx = u.size(0), ny = u.size(1), nz = u.size(2), H = o.heads, dh = o.dim_head;
  auto idx = [&](int i, int l, int r) { return (i * ny + l) * nz + r; };
  const int N = nx * ny * nz;
  std::vector<std::vector<double>> un(N), v(N), w(N);
  for (int i = 0; i < nx; ++i)
    for (int l = 0; l < ny; ++l)
      for (int r = 0; r < nz; ++r) {
        const int p = idx(i, l, r);
        un[p] = layer_norm(row(u[i][l][r]), blk.in_norm->weight, blk.in_norm->bias);
        v[p] = linear(blk.to_v->weight, un[p]);
        w[p] = linear(blk.to_in->weight, un[p]);
      }
  std::vector<std::vector<std::vector<double>>> lx(nx), ly(ny), lz(nz);
  for (int i = 0; i < nx; ++i)
    for (int l = 0; l < ny; ++l)
      for (int r = 0; r < nz; ++r) {
        lx[i].push_back(w[idx(i, l, r)]);
        ly[l].push_back(w[idx(i, l, r)]);
        lz[r].push_back(w[idx(i, l, r)]);
      }
  auto Kx = kernel_reference(*blk.low_rank_kernel_x, reducer_reference(*blk.reduce_x, lx), row(px), H);
  auto Ky = kernel_reference(*blk.low_rank_kernel_y, reducer_reference(*blk.reduce_y, ly), row(py), H);
  auto Kz = kernel_reference(*blk.low_rank_kernel_z, reducer_reference(*blk.reduce_z, lz), row(pz), H);
  const bool parallel = o.factorization == att::Factorization::parallel;
  const int C = parallel ? 3 * H * dh : H * dh;
  std::vector<std::vector<double>> X(N, std::vector<double>(C, 0.0));
  for (int h = 0; h < H; ++h)
    for (int c = 0; c < dh; ++c)
      for (int i = 0; i < nx; ++i)
        for (int l = 0; l < ny; ++l)
          for (int r = 0; r < nz; ++r) {
            const int p = idx(i, l, r);
            if (parallel) {
              double sx = 0, sy = 0, sz = 0;
              for (int j = 0; j < nx; ++j) sx += Kx[h][i][j] * v[idx(j, l, r)][h * dh + c];
              for (int m = 0; m < ny; ++m) sy += Ky[h][l][m] * v[idx(i, m, r)][h * dh + c];
              for (int s = 0; s < nz; ++s) sz += Kz[h][r][s] * v[idx(i, l, s)][h * dh + c];
              X[p][h * 3 * dh + 0 * dh + c] = sx;
              X[p][h * 3 * dh + 1 * dh + c] = sy;
              X[p][h * 3 * dh + 2 * dh + c] = sz;
            } else {  // K_z(K_y(K_x V)) as one triple sum
              double s3 = 0;
              for (int j = 0; j < nx; ++j)
                for (int m = 0; m < ny; ++m)
                  for (int s = 0; s < nz; ++s) s3 += Kz[h][r][s] * Ky[h][l][m] * Kx[h][i][j] * v[idx(j, m, s)][h * dh + c];
              X[p][h * dh + c] = s3;
            }
          }
  for (int c = 0; c < C; ++c) {  // InstanceNorm: biased variance over the points, eps 1e-5
    double mu = 0, var = 0;
    for (int p = 0; p < N; ++p) mu += X[p][c] / N;
    for (int p = 0; p < N; ++p) var += (X[p][c] - mu) * (X[p][c] - mu) / N;
    for (int p = 0; p < N; ++p) X[p][c] = (X[p][c] - mu) / std::sqrt(var + 1e-5);
  }
  auto out = torch::zeros({nx, ny, nz, o.dim}, f64);
  for (int p = 0; p < N; ++p) {
    auto y = linear(blk.out_proj->weight, X[p]);
    for (auto& e : y) e = gelu_erf(e);
    y = linear(blk.out_final->weight, y);
    for (int c = 0; c < o.dim; ++c) out.view({N, o.dim})[p][c] = y[c];
  }
  return out;
}

att::FactorizedBlockOptions tiny_block(att::Factorization f) {
  att::FactorizedBlockOptions o;
  o.dim = 4;
  o.heads = 2;
  o.dim_head = 3;
  o.kernel_multiplier = 2;
  o.factorization = f;
  return o;
}

}  // namespace

TEST(RotaryEmbedding, MatchesTheRotationFormula) {
  torch::manual_seed(0);
  att::RotaryEmbedding rope(8);
  rope->to(torch::kFloat64);
  // the buffer: inv_freq_j = 10000^(-2j/d) (computed in float32 as the reference does)
  for (int j = 0; j < 4; ++j) EXPECT_NEAR(rope->inv_freq[j].item<double>(), std::pow(10000.0, -2.0 * j / 8), 1e-7);
  auto p = torch::tensor({0.0, 0.3, 1.7, 12.5}, f64);
  auto q = torch::randn({4, 8}, f64);
  // exact angles in float64 so that only the rotation is tested
  auto theta = torch::zeros({4, 8}, f64);
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 8; ++j) theta[i][j] = rotary_angle(p[i].item<double>(), j, 8);
  auto got = att::apply_rotary(q, theta);
  for (int i = 0; i < 4; ++i) {
    auto want = rotate(row(q[i]), p[i].item<double>());
    for (int j = 0; j < 8; ++j) EXPECT_NEAR(got[i][j].item<double>(), want[j], 1e-12);
  }
  EXPECT_LT(max_abs_diff(rope->forward(p), theta), 1e-5 * 64 * 12.5);
  // the rotation preserves the norm of each (j, j + d/2) pair
  EXPECT_NEAR(got.norm().item<double>(), q.norm().item<double>(), 1e-12);
}

TEST(LowRankKernel, EqualsTheExplicitSum) {
  torch::manual_seed(1);
  att::LowRankKernel k(5, 4, 2);
  k->to(torch::kFloat64);
  auto a = torch::randn({2, 6, 5}, f64) * 10.0;
  auto pos = torch::linspace(0, 2, 6, f64);
  auto K = k->forward(a, pos);
  ASSERT_EQ(K.sizes(), (std::vector<int64_t>{2, 2, 6, 6}));
  for (int b = 0; b < 2; ++b) {
    std::vector<std::vector<double>> rows;
    for (int i = 0; i < 6; ++i) rows.push_back(row(a[b][i]));
    auto want = kernel_reference(*k, rows, row(pos), 2);
    for (int h = 0; h < 2; ++h)
      for (int i = 0; i < 6; ++i)
        for (int j = 0; j < 6; ++j)
          EXPECT_NEAR(K[b][h][i][j].item<double>(), want[h][i][j], 1e-10 * (1 + std::abs(want[h][i][j])));
  }
  // one axial application: (K v)_i = Σ_j K_ij v_j
  auto v = torch::randn({2, 2, 6, 3}, f64);
  auto kv = torch::matmul(K, v);
  double s = 0;
  for (int j = 0; j < 6; ++j) s += K[1][0][2][j].item<double>() * v[1][0][j][1].item<double>();
  EXPECT_NEAR(kv[1][0][2][1].item<double>(), s, 1e-12 * (1 + std::abs(s)));
}

// The kernel keeps cos θ, sin θ of the last coordinates between calls; changing the
// coordinates, editing them or the frequency buffer in place, or the dtype must each give
// what a fresh module gives.
TEST(LowRankKernel, ReusesItsRotaryAnglesOnlyWhileTheyHold) {
  torch::manual_seed(3);
  att::LowRankKernel k(5, 4, 2);
  k->to(torch::kFloat64);
  auto a = torch::randn({2, 6, 5}, f64);
  auto pos = torch::linspace(0, 2, 6, f64);
  auto fresh = [&](const torch::Tensor& p, const torch::Tensor& x) {
    att::LowRankKernel f(5, 4, 2);
    f->to(x.scalar_type());
    torch::NoGradGuard ng;
    for (const auto& item : k->named_parameters()) f->named_parameters()[item.key()].copy_(item.value());
    for (const auto& item : k->named_buffers()) f->named_buffers()[item.key()].copy_(item.value());
    return f->forward(x, p);
  };
  auto first = k->forward(a, pos);
  EXPECT_TRUE(torch::equal(k->forward(a, pos), first));  // from the cache
  auto other = torch::linspace(0, 3, 6, f64);
  EXPECT_TRUE(torch::equal(k->forward(a, other), fresh(other, a)));
  EXPECT_FALSE(torch::equal(k->forward(a, other), first));
  {
    torch::NoGradGuard ng;
    other.mul_(0.5);
  }
  EXPECT_TRUE(torch::equal(k->forward(a, other), fresh(other, a)));
  {
    torch::NoGradGuard ng;
    k->pos_emb->inv_freq.mul_(2.0);
  }
  EXPECT_TRUE(torch::equal(k->forward(a, other), fresh(other, a)));
  k->to(torch::kFloat32);
  auto a32 = a.to(torch::kFloat32);
  auto pos32 = other.to(torch::kFloat32);
  EXPECT_TRUE(torch::equal(k->forward(a32, pos32), fresh(pos32, a32)));
}

TEST(Basics, GeGluLayerNormInstanceNormSemantics) {
  torch::manual_seed(2);
  auto x = torch::randn({3, 8}, f64);
  auto g = att::geglu(x);
  for (int i = 0; i < 3; ++i) {
    auto want = geglu(row(x[i]));
    for (int j = 0; j < 4; ++j) EXPECT_NEAR(g[i][j].item<double>(), want[j], 1e-14);
  }
  torch::nn::LayerNorm ln(torch::nn::LayerNormOptions({8}));
  ln->to(torch::kFloat64);
  {
    torch::NoGradGuard ng;
    ln->weight.normal_();
    ln->bias.normal_();
  }
  auto y = ln->forward(x);
  for (int i = 0; i < 3; ++i) {
    auto want = layer_norm(row(x[i]), ln->weight, ln->bias);
    for (int j = 0; j < 8; ++j) EXPECT_NEAR(y[i][j].item<double>(), want[j], 1e-12);
  }
  // InstanceNorm over the points of each sample and channel, biased variance, eps 1e-5
  auto field = torch::randn({2, 10, 3}, f64) * 0.01 + 0.5;
  auto n = att::instance_norm_channels_last(field, 1e-5);
  for (int b = 0; b < 2; ++b)
    for (int c = 0; c < 3; ++c) {
      double mu = 0, var = 0;
      for (int p = 0; p < 10; ++p) mu += field[b][p][c].item<double>() / 10;
      for (int p = 0; p < 10; ++p) var += std::pow(field[b][p][c].item<double>() - mu, 2) / 10;
      for (int p = 0; p < 10; ++p)
        EXPECT_NEAR(n[b][p][c].item<double>(), (field[b][p][c].item<double>() - mu) / std::sqrt(var + 1e-5), 1e-12);
    }
  // and torch's own instance norm (channels first) agrees
  auto ref = torch::instance_norm(field.transpose(1, 2), {}, {}, {}, {}, true, 0.0, 1e-5, false).transpose(1, 2);
  EXPECT_LT(max_abs_diff(n, ref), 1e-12);
}

class BlockExactness : public ::testing::TestWithParam<att::Factorization> {};

TEST_P(BlockExactness, EqualsDirectLoops) {
  torch::manual_seed(3);
  att::FactorizedBlock blk(tiny_block(GetParam()));
  blk->to(torch::kFloat64);
  {  // non-trivial norms
    torch::NoGradGuard ng;
    for (auto& p : blk->named_parameters())
      if (p.key().find("norm") != std::string::npos) p.value().normal_(0.5, 0.3);
    for (auto* k : {&blk->low_rank_kernel_x, &blk->low_rank_kernel_y, &blk->low_rank_kernel_z}) {
      (*k)->to_q->weight.normal_(0, 0.5);
      (*k)->to_k->weight.normal_(0, 0.5);
    }
  }
  const int nx = 3, ny = 4, nz = 2;
  auto u = torch::randn({2, nx, ny, nz, 4}, f64);
  auto px = torch::linspace(0, 3, nx, f64), py = torch::linspace(-1, 1, ny, f64), pz = torch::tensor({0.1, 0.9}, f64);
  auto got = blk->forward(u, px, py, pz);
  ASSERT_EQ(got.sizes(), u.sizes());
  for (int b = 0; b < 2; ++b) {
    auto want = block_reference(*blk, u[b], px, py, pz);
    EXPECT_LT(max_abs_diff(got[b], want), 1e-10) << "sample " << b;
    EXPECT_GT(want.abs().max().item<double>(), 0.1);
  }
}

TEST_P(BlockExactness, GradientsMatchFiniteDifferences) {
  torch::manual_seed(4);
  att::FactorizedBlock blk(tiny_block(GetParam()));
  blk->to(torch::kFloat64);
  auto u = torch::randn({1, 3, 4, 2, 4}, f64).requires_grad_(true);
  auto px = torch::linspace(0, 3, 3, f64), py = torch::linspace(-1, 1, 4, f64), pz = torch::tensor({0.1, 0.9}, f64);
  std::vector<torch::Tensor> wrt{u};
  for (auto& p : blk->parameters()) wrt.push_back(p);
  expect_gradients([&] { return blk->forward(u, px, py, pz); }, wrt, 1e-5);
}

INSTANTIATE_TEST_SUITE_P(Factorization, BlockExactness,
                         ::testing::Values(att::Factorization::parallel, att::Factorization::chained),
                         [](const auto& info) { return info.param == att::Factorization::parallel ? "m" : "o"; });

TEST(Gradients, KernelAndReducerMatchFiniteDifferences) {
  torch::manual_seed(5);
  att::LowRankKernel k(3, 4, 2);
  att::PoolingReducer r(3, 3, 3);
  k->to(torch::kFloat64);
  r->to(torch::kFloat64);
  auto a = torch::randn({2, 5, 3}, f64).requires_grad_(true);
  auto pos = torch::linspace(0, 1, 5, f64);
  std::vector<torch::Tensor> wrt{a};
  for (auto& p : k->parameters()) wrt.push_back(p);
  for (auto& p : r->parameters()) wrt.push_back(p);
  expect_gradients([&] { return k->forward(r->forward(a), pos); }, wrt, 1e-5);
}
