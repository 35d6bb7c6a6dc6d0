// The four operators: parameter counts of the defaults, reference module names, spectral
// convolution against a direct DFT, gradients, activation checkpointing, overfitting.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <sys/resource.h>

#include <cmath>
#include <cstdlib>
#include <complex>
#include <set>

#include "io/error.hpp"
#include "operators/heap_policy.hpp"
#include "operators/model.hpp"
#include "tests/support/torch_test_helpers.hpp"

namespace ops = iff::operators;
using iff::test::expect_gradients;
using iff::test::max_abs_diff;

namespace {

const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);

ops::ModelSpec spec_on_grid(ops::ModelKind kind, int nx, int ny, int nz) {
  ops::ModelSpec s;
  s.kind = kind;
  s.x = ops::ModelSpec::periodic_axis(nx, 4 * M_PI);
  s.y = ops::ModelSpec::chebyshev_axis(ny);
  s.z = ops::ModelSpec::periodic_axis(nz, 4 * M_PI / 3);
  s.lx = 4 * M_PI;
  s.lz = 4 * M_PI / 3;
  return s;
}

ops::ModelSpec tiny_ifactformer(ops::ModelKind kind = ops::ModelKind::ifactformer_m) {
  auto s = spec_on_grid(kind, 4, 5, 4);
  s.ifactformer.dim = 12;
  s.ifactformer.heads = 2;
  s.ifactformer.dim_head = 6;
  s.ifactformer.kernel_multiplier = 1;
  s.ifactformer.n_layer = 3;
  return s;
}

double relative_l2(const torch::Tensor& pred, const torch::Tensor& target) {
  auto b = pred.size(0);
  auto num = (pred - target).reshape({b, -1}).norm(2, 1);
  auto den = target.reshape({b, -1}).norm(2, 1);
  return (num / den).mean().item<double>();
}

}  // namespace

TEST(ParameterCount, DefaultsMatchTheReference) {
  torch::manual_seed(0);
  auto m = ops::make_model(spec_on_grid(ops::ModelKind::ifactformer_m, 4, 5, 4));
  EXPECT_EQ(m.parameter_count(), 1163331);  // IFactFormer-m defaults, as the reference
  auto o = ops::make_model(spec_on_grid(ops::ModelKind::ifactformer_o, 4, 5, 4));
  EXPECT_EQ(o.parameter_count(), 1163331 - 2 * 480 * 96);  // to_out.2 sees heads·dim_head channels
  EXPECT_EQ(ops::make_model(spec_on_grid(ops::ModelKind::fno, 4, 5, 4)).parameter_count(), 6558495);
  EXPECT_EQ(ops::make_model(spec_on_grid(ops::ModelKind::ifno, 4, 5, 4)).parameter_count(), 1642035);
}

TEST(ModuleTree, NamesAndShapesOfTheReferenceStateDict) {
  torch::manual_seed(0);
  auto m = ops::make_model(spec_on_grid(ops::ModelKind::ifactformer_m, 4, 5, 4));
  std::map<std::string, std::vector<int64_t>> got;
  for (const auto& p : m.module->named_parameters()) got[p.key()] = p.value().sizes().vec();
  for (const auto& b : m.module->named_buffers()) got[b.key()] = b.value().sizes().vec();
  // names and shapes of FABlock3D_m / Model in libs/*.py at the default size
  const std::string blk = "encoder.layers.0.1.";
  std::map<std::string, std::vector<int64_t>> want{
      {"to_in.0.weight", {48, 1, 1, 1}},
      {"to_in.0.bias", {48}},
      {"to_in.2.weight", {96, 48, 1, 1}},
      {"encoder.layers.0.0.0._B", {3, 48}},
      {"encoder.layers.0.0.1.weight", {96, 96}},
      {"encoder.layers.0.0.1.bias", {96}},
      {blk + "in_norm.weight", {96}},
      {blk + "in_norm.bias", {96}},
      {blk + "to_v.weight", {480, 96}},
      {blk + "to_in.weight", {96, 96}},
      {blk + "to_out.2.weight", {96, 1440}},
      {blk + "to_out.4.weight", {96, 96}},
      {"simple_to_out.1.weight", {48, 96, 1}},
      {"simple_to_out.3.weight", {3, 48, 1}},
      {"simple_to_out.3.bias", {3}},
  };
  for (std::string ax : {"to_x.0.", "to_y.1.", "to_z.1."}) {
    want[blk + ax + "to_in.weight"] = {96, 96};
    want[blk + ax + "out_ffn.norm.weight"] = {96};
    want[blk + ax + "out_ffn.norm.bias"] = {96};
    want[blk + ax + "out_ffn.fn.net.0.weight"] = {192, 96};
    want[blk + ax + "out_ffn.fn.net.0.bias"] = {192};
    want[blk + ax + "out_ffn.fn.net.3.weight"] = {96, 96};
    want[blk + ax + "out_ffn.fn.net.3.bias"] = {96};
  }
  for (std::string ax : {"x", "y", "z"}) {
    want[blk + "low_rank_kernel_" + ax + ".to_q.weight"] = {1440, 96};
    want[blk + "low_rank_kernel_" + ax + ".to_k.weight"] = {1440, 96};
    want[blk + "low_rank_kernel_" + ax + ".pos_emb.inv_freq"] = {144};
  }
  EXPECT_EQ(got, want);
}

TEST(SpectralConv3d, AllModesEqualADirectDft) {
  torch::manual_seed(6);
  const int nx = 4, ny = 6, nz = 4, ci = 2, co = 3;
  ops::SpectralConv3d conv(ci, co, 2, 3, 3);  // 2·2 = nx, 2·3 = ny, 3 = nz/2 + 1: every mode kept
  conv->to(torch::kFloat64);
  auto u = torch::randn({1, ci, nx, ny, nz}, f64);
  auto got = conv->forward(u);
  using cd = std::complex<double>;
  auto weight = [&](int i, int o, int kx, int ky, int kz) {
    const auto& w = kx < 2 ? (ky < 3 ? conv->weights1 : conv->weights3) : (ky < 3 ? conv->weights2 : conv->weights4);
    auto e = w[i][o][kx % 2][ky % 3][kz];
    return cd(e[0].item<double>(), e[1].item<double>());
  };
  auto ua = u.accessor<double, 5>();
  // û_i(k) = Σ_n u_i(n) e^{−2πi k·n/N}; v̂_o = Σ_i R_io û_i; y(n) = (1/N) Σ_k c_kz Re(v̂ e^{+2πi k·n/N})
  std::vector<cd> vh(co * nx * ny * 3, cd(0, 0));
  for (int kx = 0; kx < nx; ++kx)
    for (int ky = 0; ky < ny; ++ky)
      for (int kz = 0; kz < 3; ++kz)
        for (int i = 0; i < ci; ++i) {
          cd uh(0, 0);
          for (int x = 0; x < nx; ++x)
            for (int y = 0; y < ny; ++y)
              for (int z = 0; z < nz; ++z)
                uh += ua[0][i][x][y][z] * std::exp(cd(0, -2 * M_PI * (double(kx * x) / nx + double(ky * y) / ny + double(kz * z) / nz)));
          for (int o = 0; o < co; ++o) vh[((o * nx + kx) * ny + ky) * 3 + kz] += weight(i, o, kx, ky, kz) * uh;
        }
  double worst = 0;
  for (int o = 0; o < co; ++o)
    for (int x = 0; x < nx; ++x)
      for (int y = 0; y < ny; ++y)
        for (int z = 0; z < nz; ++z) {
          double s = 0;
          for (int kx = 0; kx < nx; ++kx)
            for (int ky = 0; ky < ny; ++ky)
              for (int kz = 0; kz < 3; ++kz) {
                const double c = (kz == 0 || kz == nz / 2) ? 1.0 : 2.0;
                s += c * std::real(vh[((o * nx + kx) * ny + ky) * 3 + kz] *
                                   std::exp(cd(0, 2 * M_PI * (double(kx * x) / nx + double(ky * y) / ny + double(kz * z) / nz))));
              }
          worst = std::max(worst, std::abs(s / (nx * ny * nz) - got[0][o][x][y][z].item<double>()));
        }
  EXPECT_LT(worst, 1e-12);
}

TEST(SpectralConv3d, GradientsMatchFiniteDifferences) {
  torch::manual_seed(7);
  ops::SpectralConv3d conv(2, 2, 2, 2, 2);
  conv->to(torch::kFloat64);
  auto u = torch::randn({1, 2, 4, 5, 4}, f64).requires_grad_(true);
  std::vector<torch::Tensor> wrt{u};
  for (auto& p : conv->parameters()) wrt.push_back(p);
  expect_gradients([&] { return conv->forward(u); }, wrt, 1e-6);
}

TEST(Fno, ShapesPaddingIncrementAndGradients) {
  for (auto kind : {ops::ModelKind::fno, ops::ModelKind::ifno}) {
    torch::manual_seed(8);
    auto s = spec_on_grid(kind, 8, 6, 4);
    s.fno.modes_x = 3;
    s.fno.modes_y = 3;
    s.fno.modes_z = 2;
    s.fno.width = 4;
    s.fno.n_layer = 2;
    s.fno.pad_y = 2;
    s.fno.in_time_window = 2;
    s.fno.projection = 8;
    auto m = ops::make_model(s);
    m.module->to(torch::kFloat64);
    auto u = torch::randn({2, 2, 8, 6, 4, 3}, f64).requires_grad_(true);
    auto y = m(u);
    EXPECT_EQ(y.sizes(), (std::vector<int64_t>{2, 8, 6, 4, 3}));
    std::vector<torch::Tensor> wrt{u};
    for (auto& p : m.module->parameters()) wrt.push_back(p);
    expect_gradients([&] { return m(u); }, wrt, 1e-6, 3);
    // increment: the same network plus the last input snapshot
    auto s2 = s;
    s2.fno.target = ops::Target::increment;
    torch::manual_seed(8);
    auto m2 = ops::make_model(s2);
    m2.module->to(torch::kFloat64);
    EXPECT_LT(max_abs_diff(m2(u), y + u.select(1, 1)), 1e-12);
  }
}

TEST(IFactFormer, WindowShapesAndGradients) {
  torch::manual_seed(9);
  auto s = tiny_ifactformer();
  s.ifactformer.in_time_window = 2;
  s.ifactformer.n_layer = 2;
  auto m = ops::make_model(s);
  m.module->to(torch::kFloat64);
  auto u = torch::randn({2, 2, 4, 5, 4, 3}, f64).requires_grad_(true);
  EXPECT_EQ(m(u).sizes(), (std::vector<int64_t>{2, 4, 5, 4, 3}));
  std::vector<torch::Tensor> wrt{u};
  for (auto& p : m.module->parameters())
    if (p.requires_grad()) wrt.push_back(p);
  expect_gradients([&] { return m(u); }, wrt, 1e-5, 3);
  EXPECT_THROW(m(torch::randn({1, 2, 4, 4, 4, 3}, f64)), iff::InputError);  // wrong grid
}

TEST(IFactFormer, ActivationCheckpointingGivesTheSameGradients) {
  for (auto kind : {ops::ModelKind::ifactformer_m, ops::ModelKind::ifactformer_o}) {
    auto s = tiny_ifactformer(kind);
    torch::manual_seed(10);
    auto plain = ops::make_model(s);
    s.ifactformer.checkpoint_activations = true;
    torch::manual_seed(10);
    auto ckpt = ops::make_model(s);
    plain.module->to(torch::kFloat64);
    ckpt.module->to(torch::kFloat64);
    ckpt.module->train();
    auto u = torch::randn({2, 4, 5, 4, 3}, f64);
    auto l1 = plain(u).pow(2).sum(), l2 = ckpt(u).pow(2).sum();
    EXPECT_NEAR(l1.item<double>(), l2.item<double>(), 1e-12 * std::abs(l1.item<double>()));
    l1.backward();
    l2.backward();
    auto p1 = plain.module->named_parameters(), p2 = ckpt.module->named_parameters();
    for (const auto& p : p1) {
      if (!p.value().requires_grad()) continue;
      ASSERT_TRUE(p2[p.key()].grad().defined()) << p.key();
      EXPECT_LT(max_abs_diff(p.value().grad(), p2[p.key()].grad()), 1e-10) << p.key();
    }
  }
}

TEST(IFactFormer, TinyModelOverfitsEightSamples) {
  torch::manual_seed(11);
  const int threads = at::get_num_threads();
  at::set_num_threads(1);  // tiny tensors: threading costs more than it gives
  auto s = tiny_ifactformer();
  s.ifactformer.dim = 24;  // 4 lifted channels per velocity component
  s.ifactformer.dim_head = 8;
  s.ifactformer.n_layer = 2;
  auto m = ops::make_model(s);
  auto u = torch::randn({8, 4, 5, 4, 3});
  auto target = 0.5 * u + 0.3 * torch::tanh(2 * u.roll({1}, {4}));  // a fixed nonlinear map
  torch::optim::Adam opt(m.module->parameters(), torch::optim::AdamOptions(1e-2));
  auto loss_of = [&] {
    auto num = (m(u) - target).reshape({8, -1}).norm(2, 1);
    return (num / target.reshape({8, -1}).norm(2, 1)).mean();
  };
  const double first = loss_of().item<double>();
  double last = first;
  int steps = 0;
  for (; steps < 2000; ++steps) {
    if (steps > 0 && steps % 300 == 0)  // step decay, as StepLR
      for (auto& g : opt.param_groups()) {
        auto& o = static_cast<torch::optim::AdamOptions&>(g.options());
        o.lr(o.lr() * 0.5);
      }
    opt.zero_grad();
    auto loss = loss_of();  // at the current weights
    last = loss.item<double>();
    if (last < first / 100) break;
    loss.backward();
    opt.step();
  }
  at::set_num_threads(threads);
  EXPECT_LT(last, first / 100) << "loss " << first << " -> " << last << " after " << steps << " steps";
  EXPECT_NEAR(relative_l2(m(u), target), last, 1e-6);
  std::cout << "overfit: loss " << first << " -> " << last << " in " << steps << " Adam steps\n";
}

// The Fourier features are kept between forwards while the positions and B hold, and made
// anew when either changes: always [sin 2πpB, cos 2πpB].
TEST(GaussianFourierFeatures, KeptOnlyWhileThePositionsAndBHold) {
  torch::manual_seed(21);
  ops::GaussianFourierFeatures f(3, 4, 1.0);
  auto formula = [&](const torch::Tensor& p) {
    auto a = 2 * M_PI * torch::matmul(p, f->B);
    return torch::cat({a.sin(), a.cos()}, -1);
  };
  auto p = torch::rand({10, 3});
  auto first = f->forward(p);
  EXPECT_LT(max_abs_diff(first, formula(p)), 1e-6);
  EXPECT_TRUE(f->forward(p.clone()).is_same(first));  // equal positions: kept
  auto q = p.clone();
  q[3][1] = 0.5;
  EXPECT_LT(max_abs_diff(f->forward(q), formula(q)), 1e-6);  // other positions
  {
    torch::NoGradGuard no_grad;
    f->B.mul_(2);  // as load_state_dict would change it
  }
  EXPECT_LT(max_abs_diff(f->forward(q), formula(q)), 1e-6);
  f->to(torch::kFloat64);  // the model in float64: positions and B in float64
  const auto pd = p.to(torch::kFloat64);
  EXPECT_EQ(f->forward(pd).scalar_type(), torch::kFloat64);
  EXPECT_LT(max_abs_diff(f->forward(pd), formula(pd)), 1e-12);
}

// After keep_freed_heap_memory(), a block of the size of a layer's tensors that was freed is
// reused without fresh pages: touching it again takes (next to) no page faults. Without it,
// glibc would have unmapped it or trimmed the heap and the 2,048 pages would fault again.
TEST(HeapPolicy, FreedBlocksAreReusedWithoutPageFaults) {
#if defined(__SANITIZE_ADDRESS__) || !defined(__GLIBC__)
  GTEST_SKIP() << "glibc's allocator is not in use";
#else
  iff::keep_freed_heap_memory();
  constexpr std::size_t kBytes = 8u << 20;
  auto touch = [] {
    auto* p = static_cast<volatile char*>(std::malloc(kBytes));
    for (std::size_t i = 0; i < kBytes; i += 4096) p[i] = 1;
    std::free(const_cast<char*>(p));
  };
  auto faults = [] {
    rusage r{};
    getrusage(RUSAGE_SELF, &r);
    return r.ru_minflt;
  };
  touch();
  const long before = faults();
  touch();
  EXPECT_LT(faults() - before, 64) << "of " << kBytes / 4096 << " pages";
#endif
}
