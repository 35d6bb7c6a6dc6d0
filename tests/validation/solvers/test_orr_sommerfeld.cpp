// Orr–Sommerfeld: the in-code eigensolver reproduces the published eigenvalues, and the DNS
// started from the Re = 7500, α = 1 eigenmode (Ny = 65, SBDF3, dt = 0.02, to t = 13) follows
// v̂(y) exp(-iωt) and grows its energy at 2 Im ω (VALIDATION.md).
#include <gtest/gtest.h>

#include <cmath>

#include "solvers/channel_diagnostics.hpp"
#include "solvers/initial_conditions.hpp"

using namespace iff::solvers;

using namespace iff::spectral;


TEST(OrrSommerfeld, EigenvaluesMatchPublishedValues) {
  // Orszag 1971, Re = 10000, alpha = 1: c = 0.23752649 + 0.00373967 i
  auto m = orr_sommerfeld_least_stable(101, 1.0, 10000.0);
  EXPECT_NEAR(m.omega.real(), 0.23752649, 1e-8);
  EXPECT_NEAR(m.omega.imag(), 0.00373967, 1e-8);
  auto w = orr_sommerfeld_spectrum(101, 1.0, 10000.0);
  auto near = [&](std::complex<double> z) {
    double d = 1e300;
    for (auto x : w) d = std::min(d, std::abs(x - z));
    return d;
  };
  EXPECT_LT(near({0.96463092, -0.03516728}), 1e-7);
  EXPECT_LT(near({0.27720434, -0.05089873}), 1e-7);
  EXPECT_LT(near({0.34910682, -0.12450198}), 1e-7);
  auto m75 = orr_sommerfeld_least_stable(65, 1.0, 7500.0);
  EXPECT_NEAR(m75.omega.real(), 0.24989153647208, 1e-9);
  EXPECT_NEAR(m75.omega.imag(), 0.00223497575482, 1e-9);
}

TEST(OrrSommerfeld, DnsFollowsEigenmodeAtRe7500) {
  const double re = 7500.0, alpha = 1.0, dt = 0.02, t_end = 13.0;
  ChannelGrid g;
  g.nx = 4, g.ny = 65, g.nz = 4, g.lx = 2 * M_PI / alpha, g.lz = 2 * M_PI;
  ChannelPhysics ph;
  ph.nu = 1.0 / re;
  ph.driving = Driving::pressure_gradient;
  ph.pressure_gradient = 2.0 / re;
  ChannelNSE nse(g, ph, MPI_COMM_SELF);
  auto mode = orr_sommerfeld_least_stable(g.ny, alpha, re);
  const double eps = 1e-5;
  cvec x = laminar_state(nse, 1.0);
  add_orr_sommerfeld_mode(nse, x, mode, eps);
  const int m = g.mode(1, 0);  // kx = α, kz = 0
  std::vector<cplx> v0(g.ny);
  for (int k = 0; k < g.ny; ++k) v0[k] = x[nse.index(m, 0, k)];
  const double e0 = mode_energy(nse, x, m);

  Sbdf sbdf(nse, dt, 3, 8);
  sbdf.start(x);
  const long steps = std::lround(t_end / dt);
  while (sbdf.step_count() < steps) sbdf.step();
  const double t = sbdf.time();
  ASSERT_NEAR(t, t_end, 1e-9);
  const auto& xe = sbdf.state();
  const cplx phase = std::exp(cplx(0.0, -1.0) * mode.omega * t);
  // relative L2 (values on the Gauss–Lobatto points, Clenshaw–Curtis weights)
  std::vector<cplx> d(g.ny), r(g.ny);
  for (int k = 0; k < g.ny; ++k) d[k] = xe[nse.index(m, 0, k)] - v0[k] * phase, r[k] = v0[k] * phase;
  ChebyshevTransform ct(g.ny);
  ct.to_values(d.data());
  ct.to_values(r.data());
  const auto w = clenshaw_curtis_weights(g.ny);
  double num = 0, den = 0;
  for (int j = 0; j < g.ny; ++j) num += w[j] * std::norm(d[j]), den += w[j] * std::norm(r[j]);
  const double err = std::sqrt(num / den);
  const double rate = std::log(mode_energy(nse, xe, m) / e0) / t;
  std::printf("OS Re=7500: relative L2 error %.3e, growth rate %.10f vs 2 Im w = %.10f (rel %.2e)\n", err, rate,
              2 * mode.omega.imag(), std::abs(rate / (2 * mode.omega.imag()) - 1));
  EXPECT_LT(err, 1e-5);
  EXPECT_NEAR(rate / (2 * mode.omega.imag()), 1.0, 1e-4);
}
