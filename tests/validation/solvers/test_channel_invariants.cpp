// Physics invariants of the channel DNS: laminar Poiseuille flow is a steady state to
// round-off (several Re, both drivings), viscous Stokes modes decay at the rates of
// VALIDATION.md, and the divergence stays at round-off in a transitional run.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "solvers/channel_diagnostics.hpp"
#include "solvers/initial_conditions.hpp"

using namespace iff::solvers;

using namespace iff::spectral;


namespace {
ChannelGrid small_grid(int nx, int ny, int nz, double lx, double lz) {
  ChannelGrid g;
  g.nx = nx, g.ny = ny, g.nz = nz, g.lx = lx, g.lz = lz;
  return g;
}
}  // namespace

struct LaminarCase {
  double re;
  Driving driving;
  double u_centre;  // 1 in centre-line units; Re_tau/2 in wall units (nu = 1/Re_tau, F = 1)
};

class Laminar : public ::testing::TestWithParam<LaminarCase> {};

TEST_P(Laminar, PoiseuilleStaysToRoundOff) {
  const auto c = GetParam();
  ChannelGrid g = small_grid(8, 33, 8, 2 * M_PI, M_PI);
  ChannelPhysics ph;
  ph.nu = 1.0 / c.re;
  ph.driving = c.driving;
  ph.pressure_gradient = 2.0 * ph.nu * c.u_centre;  // -dP/dx = 2 ν U_c
  ph.bulk_velocity = 2.0 / 3.0 * c.u_centre;
  ChannelNSE nse(g, ph, MPI_COMM_SELF);
  cvec x0 = laminar_state(nse, c.u_centre);
  Sbdf s(nse, 0.01, 3, 4);
  s.start(x0);
  for (int i = 0; i < 200; ++i) s.step();
  double err = 0.0;
  for (std::size_t q = 0; q < x0.size(); ++q) err = std::max(err, std::abs(s.state()[q] - x0[q]));
  EXPECT_LE(err / c.u_centre, 1e-12) << "Re=" << c.re << " driving=" << to_string(c.driving);
  EXPECT_NEAR(bulk_velocity(nse, s.state()), 2.0 / 3.0 * c.u_centre, 1e-12 * c.u_centre);
  // the bulk-velocity driving recovers -dP/dx = 2 ν U_c (to round-off amplified by 1/dt)
  EXPECT_NEAR(nse.forcing(), ph.pressure_gradient, 1e-8 * ph.pressure_gradient + 1e-12 * c.u_centre);
}

INSTANTIATE_TEST_SUITE_P(
    ReAndDriving, Laminar,
    ::testing::Values(LaminarCase{100, Driving::pressure_gradient, 1.0}, LaminarCase{2000, Driving::pressure_gradient, 1.0},
                      LaminarCase{10000, Driving::pressure_gradient, 1.0}, LaminarCase{100, Driving::bulk_velocity, 1.0},
                      LaminarCase{2000, Driving::bulk_velocity, 1.0}, LaminarCase{10000, Driving::bulk_velocity, 1.0},
                      LaminarCase{180, Driving::pressure_gradient, 90.0}, LaminarCase{590, Driving::bulk_velocity, 295.0}));

namespace {
/// Energy decay rate sigma (E ∝ e^{2σt}) of a single-mode initial condition, measured
/// between t = 1 and t = 5 with SBDF3, dt = 0.005.
double measured_decay(const ChannelGrid& g, double nu, const std::function<void(const ChannelNSE&, cvec&)>& init,
                      int m) {
  ChannelPhysics ph;
  ph.nu = nu;
  ph.pressure_gradient = 0.0;
  ChannelNSE nse(g, ph, MPI_COMM_SELF);
  cvec x(nse.state_size(), 0.0);
  init(nse, x);
  const double dt = 0.005;
  Sbdf s(nse, dt, 3, 8);
  s.start(x);
  while (s.step_count() < 200) s.step();
  const double t1 = s.time(), e1 = mode_energy(nse, s.state(), m);
  while (s.step_count() < 1000) s.step();
  const double t2 = s.time(), e2 = mode_energy(nse, s.state(), m);
  return std::log(e2 / e1) / (2.0 * (t2 - t1));
}

double newton(std::function<double(double)> f, double x) {
  for (int i = 0; i < 50; ++i) {
    const double h = 1e-7, d = (f(x + h) - f(x - h)) / (2 * h);
    const double dx = f(x) / d;
    x -= dx;
    if (std::abs(dx) < 1e-15) break;
  }
  return x;
}
}  // namespace

struct StokesCase {
  bool even;
  double k;          // root from VALIDATION.md
  double alpha2_k2;  // α² + k² from VALIDATION.md
};

class StokesModes : public ::testing::TestWithParam<StokesCase> {};

TEST_P(StokesModes, VDecayRateMatchesTable) {
  const auto c = GetParam();
  const double alpha = 1.0, nu = 0.01;
  // refine the tabulated root of k tan k = -α tanh α (even) or k cot k = α coth α (odd)
  const double k = c.even ? newton([&](double s) { return s * std::sin(s) + alpha * std::tanh(alpha) * std::cos(s); }, c.k)
                          : newton([&](double s) { return s * std::cos(s) - alpha / std::tanh(alpha) * std::sin(s); }, c.k);
  EXPECT_NEAR(k, c.k, 1e-9);
  EXPECT_NEAR(alpha * alpha + k * k, c.alpha2_k2, 1e-9);
  ChannelGrid g = small_grid(4, 49, 4, 2 * M_PI / alpha, 2 * M_PI);
  const int m = g.mode(1, 0);  // (kx = α, kz = 0)
  auto init = [&](const ChannelNSE& nse, cvec& x) {
    const auto y = chebyshev_points(g.ny);
    std::vector<cplx> v(g.ny);
    for (int j = 0; j < g.ny; ++j)
      v[j] = 1e-6 * (c.even ? std::cos(k * y[j]) / std::cos(k) - std::cosh(alpha * y[j]) / std::cosh(alpha)
                            : std::sin(k * y[j]) / std::sin(k) - std::sinh(alpha * y[j]) / std::sinh(alpha));
    ChebyshevTransform(g.ny).to_coefficients(v.data());
    for (int j = 0; j < g.ny; ++j) x[nse.index(m, 0, j)] = v[j];
  };
  const double sigma = measured_decay(g, nu, init, m);
  const double expect = -nu * c.alpha2_k2;
  EXPECT_NEAR(sigma / expect, 1.0, 1e-6) << "sigma=" << sigma << " expected " << expect;
}

INSTANTIATE_TEST_SUITE_P(Table, StokesModes,
                         ::testing::Values(StokesCase{true, 2.8833556586, 9.3137398539},
                                           StokesCase{false, 4.4238637909, 20.5705708402},
                                           StokesCase{true, 6.1601776406, 38.9477885633},
                                           StokesCase{false, 7.6847534362, 60.0554353749}));

TEST(StokesModes, EtaAndMeanFlowDecayRates) {
  const double nu = 0.01, alpha = 1.0;
  ChannelGrid g = small_grid(4, 49, 4, 2 * M_PI / alpha, 2 * M_PI);
  for (int n : {1, 2, 3}) {
    auto shape = [n](double y) { return n % 2 ? std::cos(n * M_PI * y / 2) : std::sin(n * M_PI * y / 2); };
    for (int which : {0, 1}) {  // 0: η of (α, 0); 1: mean spanwise flow W (α = 0)
      const int m = which == 0 ? g.mode(1, 0) : 0;
      auto init = [&](const ChannelNSE& nse, cvec& x) {
        const auto y = chebyshev_points(g.ny);
        std::vector<cplx> f(g.ny);
        for (int j = 0; j < g.ny; ++j) f[j] = 1e-6 * shape(y[j]);
        ChebyshevTransform(g.ny).to_coefficients(f.data());
        for (int j = 0; j < g.ny; ++j) x[nse.index(m, 1, j)] = f[j];
      };
      const double a2 = which == 0 ? alpha * alpha : 0.0;
      const double expect = -nu * (a2 + std::pow(n * M_PI / 2, 2));
      const double sigma = measured_decay(g, nu, init, m);
      EXPECT_NEAR(sigma / expect, 1.0, 1e-6) << "n=" << n << (which == 0 ? " eta" : " mean W");
    }
  }
}

TEST(ChannelFlow, DivergenceStaysAtRoundOffInTransitionalRun) {
  ChannelGrid g = small_grid(16, 33, 16, M_PI, 0.3 * M_PI);
  ChannelPhysics ph;
  ph.nu = 1.0 / 4200.0;
  ph.driving = Driving::bulk_velocity;
  ph.bulk_velocity = 2.0 / 3.0;
  ChannelNSE nse(g, ph, MPI_COMM_SELF);
  cvec x = laminar_state(nse, 1.0);
  add_random_perturbation(nse, x, 0.3, 7);
  EXPECT_NEAR(std::sqrt(2 * fluctuation_energy(nse, x)), 0.3, 1e-12);
  EXPECT_LT(max_divergence(nse, x), 1e-12);
  Sbdf s(nse, 0.02, 3, 4);
  s.start(x);
  for (int i = 0; i < 100; ++i) s.step();
  EXPECT_TRUE(finite(nse, s.state()));
  EXPECT_GT(fluctuation_energy(nse, s.state()), 1e-4);  // still disturbed
  EXPECT_NEAR(bulk_velocity(nse, s.state()), 2.0 / 3.0, 1e-13);
  const double div = max_divergence(nse, s.state());
  std::printf("max |div u| after 100 steps: %.3e (CFL %.3f)\n", div, 0.02 * nse.last_diagnostics().cfl_rate);
  EXPECT_LT(div, 1e-11);
}

TEST(ChannelFlow, ParsevalPhysicalEnergyEqualsSpectralEnergy) {
  // the padded-grid plane averages (physical space) and the sum over modes (spectral space)
  // give the same energies: checks the transform normalisation and the 3/2-rule padding
  ChannelGrid g = small_grid(12, 25, 8, 2.0, 1.0);
  ChannelPhysics ph;
  ph.nu = 1e-3;
  ChannelNSE nse(g, ph, MPI_COMM_SELF);
  cvec x = laminar_state(nse, 1.0);
  add_random_perturbation(nse, x, 0.2, 3);
  cvec n;
  nse.explicit_terms(x, n);
  const auto& d = nse.last_diagnostics();
  EXPECT_NEAR(d.fluct_energy, fluctuation_energy(nse, x), 1e-15);
  EXPECT_NEAR(d.fluct_energy, 0.5 * 0.2 * 0.2, 1e-15);
  // mean-flow part: (1/2)(1/2)∫(1-y²)² dy = 4/15
  EXPECT_NEAR(d.kinetic_energy - d.fluct_energy, 4.0 / 15.0, 1e-14);
}
